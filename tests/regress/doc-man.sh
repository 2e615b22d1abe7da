#!/bin/sh
# The man pages render without groff/man warnings, and each puts the
# rollback command on the first screen (an IN AN INCIDENT section).
. "$top_srcdir/tests/lib.sh"

command -v man >/dev/null 2>&1 || skip "man (man-db) not installed"
for page in cutover.1 cutover-agent.8 cutover.ini.5 cutover-agent.ini.5; do
	f="$top_srcdir/man/$page"
	step "$page renders without warnings"
	[ -f "$f" ] || fail "missing $f"
	MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$f" > "$T/$page.txt" 2> "$T/$page.err" ||
	    fail "man -l exited non-zero: $(cat "$T/$page.err")"
	[ ! -s "$T/$page.err" ] || fail "warnings: $(cat "$T/$page.err")"
	[ "$(wc -l < "$T/$page.txt")" -gt 40 ] || fail "rendered page is suspiciously short"
	step "$page: rollback command on the first screen"
	head -n 40 "$T/$page.txt" > "$T/$page.top"
	grep -q '^IN AN INCIDENT' "$T/$page.top" || fail "no IN AN INCIDENT section in the first 40 lines"
	grep -Eq '^ +cutover(-agent)? .*rollback' "$T/$page.top" || fail "no rollback command in the first 40 lines"
	step "$page: no hyphenated words (copy-paste safe)"
	! grep -q -- '‐$' "$T/$page.txt" || fail "hyphenated line ends: $(grep -- '‐$' "$T/$page.txt" | head -3)"
done
pass
