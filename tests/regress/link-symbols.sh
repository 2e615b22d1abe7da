#!/bin/sh
# The agent's and the coordinator's libraries define no global symbol twice,
# so one test binary can link both (e.g. an engine test driving a real agent
# in-process). proto/ and conf/ code lives once, in libcutover.a/libcutconf.a.
. "$top_srcdir/tests/lib.sh"

command -v nm >/dev/null || skip "no nm"
A="$top_builddir/libagent.a"
C="$top_builddir/libcoord.a"
[ -f "$A" ] || fail "no $A"
[ -f "$C" ] || skip "no $C (coordinator not built)"

# defined LIB: the global symbols LIB defines, one per line, sorted.
defined() { nm -g --defined-only "$1" | awk 'NF == 3 { print $3 }' | LC_ALL=C sort -u; }

step "the check sees a symbol defined in both"
defined "$A" > "$T/a"
defined "$C" > "$T/c"
[ -s "$T/a" ] && [ -s "$T/c" ] || fail "nm listed nothing"
head -1 "$T/a" > "$T/c2" && cat "$T/c" >> "$T/c2"
[ -n "$(LC_ALL=C sort -u "$T/c2" | LC_ALL=C comm -12 "$T/a" -)" ] || fail "self-check found no overlap"

step "libagent.a and libcoord.a define no global symbol twice"
LC_ALL=C comm -12 "$T/a" "$T/c" > "$T/both"
[ ! -s "$T/both" ] || fail "defined in both (prefix the agent's with agent_): $(tr '\n' ' ' < "$T/both")"
pass
