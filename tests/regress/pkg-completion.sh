#!/bin/sh
# Bash completion (completion/cutover.bash): commands, options, app names
# from the agent config and the fleet file, hosts, groups and release IDs.
. "$top_srcdir/tests/lib.sh"

command -v bash >/dev/null 2>&1 || skip "no bash"
COMP="$top_srcdir/completion/cutover.bash"

# complete FUNC WORD...: run FUNC with COMP_WORDS=WORDS (the last one is the
# word being completed) in a fresh bash; candidates one per line, sorted.
complete_words() {
	_f=$1; shift
	(cd "$T" && timeout 10 bash --norc --noprofile -c '
		. "$0" || exit 99
		f=$1; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$f" || exit 98
		printf "%s\n" "${COMPREPLY[@]}"' "$COMP" "$_f" "$@") | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# expect_completion WANT FUNC WORD...: the candidates must be exactly WANT.
expect_completion() {
	_want=$1; shift
	_got=$(complete_words "$@")
	[ "$_got" = "$_want" ] || fail "completing \"$*\": expected [$_want], got [$_got]"
}

mkdir -p "$T/srv/web/releases/web-1.0" "$T/srv/web/releases/web-1.1" \
    "$T/srv/web/releases/web-2.0" "$T/srv/worker/releases/w-7"
cat > "$T/agent.ini" <<INI
; test config
[app web]
root = $T/srv/web   ; inline comment
keep = 5
[app  worker ]
root = $T/srv/worker
INI
cat > "$T/cutover.ini" <<INI
[fleet]
user = deploy
app = web
[group eu]
hosts = web01 web02
[group us]
hosts = web03
[host web01]
address = 127.0.0.11
[host db01]
app = worker
INI

step "agent: commands and global options"
expect_completion "deploy" _cutover_agent cutover-agent dep
expect_completion "pin prune" _cutover_agent cutover-agent p
expect_completion "activate check deploy drill history install pin prune rollback serve status unpin" _cutover_agent cutover-agent ""
expect_completion "--config" _cutover_agent cutover-agent --co
expect_completion "--json" _cutover_agent cutover-agent --config x.ini --j

step "agent: command options"
expect_completion "--force-schema --help --release --sha256 --signature" _cutover_agent cutover-agent deploy web x.tgz --
expect_completion "--help --release --sha256 --signature" _cutover_agent cutover-agent install web x.tgz --
expect_completion "--signature" _cutover_agent cutover-agent install web x.tgz --si
expect_completion "--release" _cutover_agent cutover-agent deploy web x.tgz --r
expect_completion "--to" _cutover_agent cutover-agent rollback web --t
expect_completion "--force-schema --help --to" _cutover_agent cutover-agent rollback web --
expect_completion "--force-schema" _cutover_agent cutover-agent activate web web-1 --f
expect_completion "--keep" _cutover_agent cutover-agent prune web --k
expect_completion "--idle-timeout" _cutover_agent cutover-agent serve --i
expect_completion "--allow-paths --app" _cutover_agent cutover-agent serve --a
expect_completion "web worker" _cutover_agent cutover-agent --config "$T/agent.ini" serve --app ""
expect_completion "web worker" _cutover_agent cutover-agent --config "$T/agent.ini" check ""
expect_completion "" _cutover_agent cutover-agent serve --idle-timeout ""

step "agent: app names from the config's [app NAME] sections"
expect_completion "web worker" _cutover_agent cutover-agent --config "$T/agent.ini" status ""
expect_completion "worker" _cutover_agent cutover-agent --config "$T/agent.ini" --json rollback wo

step "agent: app as a path completes directories"
expect_completion "$T/srv/web $T/srv/worker" _cutover_agent cutover-agent status "$T/srv/w"

step "agent: release IDs from ROOT/releases"
expect_completion "web-1.0 web-1.1 web-2.0" _cutover_agent cutover-agent --config "$T/agent.ini" rollback web --to ""
expect_completion "web-1.0 web-1.1" _cutover_agent cutover-agent --config "$T/agent.ini" activate web web-1.
expect_completion "w-7" _cutover_agent cutover-agent --config "$T/agent.ini" pin worker ""
expect_completion "web-2.0" _cutover_agent cutover-agent unpin "$T/srv/web" web-2

step "agent: archives are files"
: > "$T/web-3.0.tar.gz"
expect_completion "$T/web-3.0.tar.gz" _cutover_agent cutover-agent deploy web "$T/web-3"

step "coordinator: commands and options"
expect_completion "deploy" _cutover cutover dep
expect_completion "debug-exec deploy" _cutover cutover de
expect_completion "dump-config" _cutover cutover du
expect_completion "-f" _cutover cutover -f
expect_completion "--file" _cutover cutover --fi
expect_completion "--verbose --version" _cutover cutover --ver
expect_completion "eu us" _cutover cutover --file "$T/cutover.ini" rollback --group ""
expect_completion "--dry-run" _cutover cutover deploy x.tgz --dr
expect_completion "--actor --app --batch --dry-run --exclude --force-schema --group --help --hosts --pool --to" _cutover cutover rollback -
printf '[fleet]\nblue_green = blue, green\nswitch = true\n' > "$T/bg.ini"
expect_completion "blue green" _cutover cutover -f "$T/bg.ini" rollback --pool ""
expect_completion "green" _cutover cutover -f "$T/bg.ini" deploy x.tgz --pool g
expect_completion "--sha256" _cutover cutover deploy https://a.example/x.tgz --sh
expect_completion "drill" _cutover cutover dr
expect_completion "--actor --app --canary --exclude --group --help --hosts" _cutover cutover drill -
expect_completion "eu" _cutover cutover -f "$T/cutover.ini" drill --canary e
expect_completion "report" _cutover cutover rep
expect_completion "--app --exclude --group --help --hosts --html --json --rollout --since" _cutover cutover report -
expect_completion "" _cutover cutover report --since ""
expect_completion "abort" _cutover cutover ab
expect_completion "--actor --app --exclude --group --help --hosts --wait" _cutover cutover resume -
expect_completion "--app --exclude --group --help --hosts" _cutover cutover -f "$T/cutover.ini" status -
expect_completion "--app --exclude --group --help --hosts --keep" _cutover cutover prune -
expect_completion "--app --exclude --group --help --hosts" _cutover cutover pin web-1.0 -
expect_completion "pin prune" _cutover cutover p
expect_completion "unpin" _cutover cutover un
expect_completion "web01,web02 web01,web03" _cutover cutover -f "$T/cutover.ini" prune --exclude web01,web0
expect_completion "eu us" _cutover cutover -f "$T/cutover.ini" unpin x --exclude web01 --group ""

step "coordinator: groups, hosts (comma lists) and apps from the fleet file"
expect_completion "eu us" _cutover cutover -f "$T/cutover.ini" deploy x.tgz --group ""
expect_completion "db01 web01 web02 web03" _cutover cutover -f "$T/cutover.ini" status --hosts ""
expect_completion "web01,web02 web01,web03" _cutover cutover -f "$T/cutover.ini" status --hosts web01,web0
expect_completion "web worker" _cutover cutover -f "$T/cutover.ini" rollback --app ""
step "coordinator: ./cutover.ini is the default fleet file"
expect_completion "eu us" _cutover cutover status --group ""

pass
