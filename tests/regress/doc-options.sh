#!/bin/sh
# --help and the man pages agree: every long option printed by the programs'
# --help (and each command's --help) appears in the man page, every command
# and exit code is documented, and every [app] key of conf/keys.def is
# described in cutover-agent.ini(5).
. "$top_srcdir/tests/lib.sh"

MAN="$top_srcdir/man"
[ -x "$CUTOVER_AGENT" ] || fail "no agent binary at $CUTOVER_AGENT"

# man_text PAGE: the roff source as plain words (\- -> -, font escapes gone).
man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f\[[A-Z]*\]//g' -e 's/\\(en/-/g' "$1"
}

# long_opts: the --long options in stdin, one per line.
long_opts() {
	grep -o -- '--[a-z][a-z0-9-]*' | LC_ALL=C sort -u
}

# commands_in_help: command names listed under "commands:" in stdin.
commands_in_help() {
	awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
	    on && /^  [a-z]/ { print $1 }'
}

# check_prog NAME BIN PAGE: options and commands of BIN documented in PAGE.
check_prog() {
	_name=$1; _bin=$2; _page=$3
	man_text "$_page" > "$T/$_name.txt"
	step "$_name --help exits 0 and lists commands"
	expect_exit 0 "$_bin" --help
	printf '%s\n' "$OUT" > "$T/$_name.help"
	_cmds=$(commands_in_help < "$T/$_name.help")
	[ -n "$_cmds" ] || fail "no commands found in $_name --help"
	_missing=""
	for o in $(long_opts < "$T/$_name.help"); do
		grep -q -e "$o\\b" "$T/$_name.txt" || _missing="$_missing $o"
	done
	[ -z "$_missing" ] || fail "$_page lacks options of $_name --help:$_missing"
	for c in $_cmds; do
		step "$_name $c: in the man page, options of $c --help documented"
		grep -Eq "^\\.(B|BI|BR|IP|TP).*\\b$c\\b|^$c\\b" "$T/$_name.txt" ||
		    fail "$_page does not document command $c"
		set +e
		"$_bin" "$c" --help > "$T/$_name.$c.help" 2>&1
		_rc=$?
		if [ $_rc -ne 0 ] && [ "$c" != serve ]; then
			cat "$T/$_name.$c.help"; fail "$_name $c --help exited $_rc"
		fi
		_missing=""
		for o in $(long_opts < "$T/$_name.$c.help"); do
			grep -q -e "$o\\b" "$T/$_name.txt" || _missing="$_missing $o"
		done
		[ -z "$_missing" ] || fail "$_page lacks options of $_name $c --help:$_missing"
	done
	step "$_name: exit codes documented"
	awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 } on && /^\.B [0-9]$/ { print $2 }' \
	    "$_page" | tr '\n' ' ' > "$T/$_name.codes"
	[ "$(cat "$T/$_name.codes")" = "$4" ] ||
	    fail "$_page EXIT STATUS lists [$(cat "$T/$_name.codes")], want [$4]"
}

check_prog cutover-agent "$CUTOVER_AGENT" "$MAN/cutover-agent.8" "0 1 2 3 4 "

step "every [app] key of conf/keys.def is a KEYS entry of cutover-agent.ini(5)"
keys=$(sed -n 's/^KEY_[A-Z]*(\([a-z_0-9]*\),.*/\1/p' "$top_srcdir/conf/keys.def")
[ -n "$keys" ] || fail "no keys found in conf/keys.def"
missing=""
for k in $keys; do
	grep -q "^\\.BI $k \"" "$MAN/cutover-agent.ini.5" || missing="$missing $k"
done
[ -z "$missing" ] || fail "cutover-agent.ini.5 lacks keys:$missing"

step "every [app] key appears in conf/agent.ini.example"
missing=""
for k in $keys; do
	grep -Eq "^;? ?$k =" "$top_srcdir/conf/agent.ini.example" || missing="$missing $k"
done
[ -z "$missing" ] || fail "conf/agent.ini.example lacks keys:$missing"

if [ -x "$CUTOVER" ]; then
	check_prog cutover "$CUTOVER" "$MAN/cutover.1" "0 1 2 3 4 5 "
	# A fleet key list, if the coordinator declares one like keys.def.
	for def in "$top_srcdir"/conf/fleet*.def "$top_srcdir"/coordinator/*.def; do
		[ -f "$def" ] || continue
		step "every fleet key of ${def#"$top_srcdir"/} is in cutover.ini(5)"
		missing=""
		for k in $(sed -n 's/^[A-Z_]*(\([a-z_0-9]*\),.*/\1/p' "$def"); do
			grep -q "^\\.BI $k \"" "$MAN/cutover.ini.5" || missing="$missing $k"
		done
		[ -z "$missing" ] || fail "cutover.ini.5 lacks keys:$missing"
	done
else
	echo "note: no coordinator at $CUTOVER; cutover(1) not checked against --help"
fi

pass
