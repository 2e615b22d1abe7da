#!/bin/sh
# No C function in agent/, proto/ or conf/ is longer than 120 lines (the
# project's style rule). Functions are found by the code's own layout: the
# body opens with `{` in column 0 and closes with `}` in column 0, and the
# name is the last line before it that starts with an identifier and `(`.
# Every directory of C the project ships.
. "$top_srcdir/tests/lib.sh"

MAX=120
DIRS=${CODE_SHAPE_DIRS:-"agent proto conf coordinator"}

# long_functions FILE...: "file:line: name: N lines" for each body over MAX.
long_functions() {
	awk -v max="$MAX" '
	    FNR == 1 { start = 0; name = "?" }
	    /^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
	    /^\{/ { start = FNR }
	    /^\}/ && start {
		n = FNR - start - 1
		if (n > max)
			printf "%s:%d: %s: %d lines\n", FILENAME, start, name, n
		start = 0
	    }' "$@"
}

step "the check finds a function of $((MAX + 1)) lines and passes one of $MAX"
{
	printf 'static int\nlong_one(void)\n{\n'
	i=0; while [ $i -le $MAX ]; do echo "	x++;"; i=$((i + 1)); done
	printf '}\n\nint\nshort_one(int a,\n    int b)\n{\n'
	i=1; while [ $i -le $MAX ]; do echo "	y++;"; i=$((i + 1)); done
	printf '}\n'
} > "$T/sample.c"
long_functions "$T/sample.c" > "$T/found"
[ "$(cat "$T/found")" = "$T/sample.c:3: long_one: $((MAX + 1)) lines" ] ||
    fail "self-check: $(cat "$T/found")"

step "no function longer than $MAX lines in $DIRS"
cd "$top_srcdir" || fail "cd $top_srcdir"
files=""
for d in $DIRS; do
	for f in "$d"/*.c; do
		[ -f "$f" ] && files="$files $f"
	done
done
[ -n "$files" ] || fail "no C files in $DIRS"
# shellcheck disable=SC2086
long_functions $files > "$T/long"
[ ! -s "$T/long" ] || fail "functions over $MAX lines:
$(cat "$T/long")"
pass
