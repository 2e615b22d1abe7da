#!/bin/bash
# Config errors name file, line and key; exit 2; nothing is touched.
. "$top_srcdir/tests/lib.sh"

step "unknown key"
printf '[app web]\nroot = %s/r\nkepp = 3\n' "$T" > "$T/a.ini"
expect_exit 2 agent --config "$T/a.ini" status web
printf '%s\n' "$ERR" | grep -q "a.ini:3: kepp: unknown key" || fail "$ERR"
[ ! -e "$T/r" ] || fail "root created despite config error"

step "bad number"
printf '[app web]\nroot = %s/r\nkeep = lots\n' "$T" > "$T/b.ini"
expect_exit 2 agent --config "$T/b.ini" status web
printf '%s\n' "$ERR" | grep -q "b.ini:3: keep:" || fail "$ERR"

step "missing root, relative root, unknown app, missing file, key outside a section"
printf '[app web]\nkeep = 3\n' > "$T/c.ini"
expect_exit 2 agent --config "$T/c.ini" status web
printf '%s\n' "$ERR" | grep -q "root" || fail "$ERR"
printf '[app web]\nroot = rel/dir\n' > "$T/d.ini"
expect_exit 2 agent --config "$T/d.ini" status web
expect_exit 2 agent --config "$T/d.ini" status nosuch
expect_exit 2 agent --config "$T/none.ini" status web
printf 'root = /x\n' > "$T/e.ini"
expect_exit 2 agent --config "$T/e.ini" status web

step "an error in another app's section is still an error"
printf '[app web]\nroot = %s/r\n[app api]\nroot = /x\nhealth_retries = 0\n' "$T" > "$T/f.ini"
expect_exit 2 agent --config "$T/f.ini" status web
printf '%s\n' "$ERR" | grep -q "f.ini:5: health_retries" || fail "$ERR"

step "a valid config works, sizes take suffixes"
printf '[app web]\nroot = %s/r\nmax_bytes = 10M\nkeep = 2 ; comment\n' "$T" > "$T/g.ini"
expect_exit 0 agent --config "$T/g.ini" status web
pass
