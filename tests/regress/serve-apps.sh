#!/bin/sh
# A deploy key reaches only its apps (issue 11): serve takes an app named in
# agent.ini, with --app only those, and a path only with --allow-paths. A
# refused request gets exit 3 naming the app and creates nothing; the
# session goes on. cutover-agent(8), serve.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
make_release "$T/r1" "$T/web-1.tar.gz" one
S1=$(sha256sum "$T/web-1.tar.gz" | cut -d' ' -f1)
cat > "$T/agent.ini" <<INI
[app web]
root = $T/web
[app api]
root = $T/api
INI
P="$T/elsewhere"
S() { "$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/agent.ini" serve "$@" >"$T/out" 2>"$T/err"; }
has() { grep -q -- "$1" "$T/out" || { cat "$T/out" "$T/err"; fail "missing: $1"; }; }

step "a path is refused without --allow-paths: exit 3, named, nothing created"
S <<END
hello
request 1 deploy $P release=web-1 sha256=$S1
upload 1 $T/web-1.tar.gz $S1 1000
result 1
request 2 lock $P
result 2
request 3 status $P
result 3
request 4 history $P
result 4
request 5 status web
result 5
END
for i in 1 2 3 4; do
	has "^RESULT $i err=-7 exit=3 .*app \\\\\"$P\\\\\": a path is not an app name; serve takes paths only with --allow-paths"
done
has '^RESULT 5 err=0 exit=0 '
has '^agent-exit 0'
[ ! -e "$P" ] || fail "$P was created: $(find "$P")"

step "an app agent.ini does not name is refused"
S <<END
hello
request 1 deploy nosuch release=web-1 sha256=$S1
upload 1 $T/web-1.tar.gz $S1 1000
result 1
END
has "^RESULT 1 err=-7 exit=3 .*app \\\\\"nosuch\\\\\" is not configured in $T/agent.ini"

step "--app narrows: api is refused, web works"
S --app web <<END
hello
request 1 deploy api release=web-1 sha256=$S1
upload 1 $T/web-1.tar.gz $S1 1000
result 1
request 2 deploy web release=web-1 sha256=$S1
upload 2 $T/web-1.tar.gz $S1 1000
result 2
END
has "^RESULT 1 err=-7 exit=3 .*app \\\\\"api\\\\\" is not served to this key (serve --app)"
has '^RESULT 2 err=0 exit=0 '
[ ! -e "$T/api" ] || fail "api's ROOT was created"
[ "$(readlink "$T/web/current")" = releases/web-1 ] || fail "web not deployed"

step "--app repeated; a path given to --app is a usage error"
S --app api --app web <<END
hello
request 1 status api
result 1
request 2 status web
result 2
END
has '^RESULT 1 err=0 exit=0 '
has '^RESULT 2 err=0 exit=0 '
expect_exit 2 agent --config "$T/agent.ini" serve --app "$P" </dev/null
case $ERR in *"--app: \"$P\" is not an app name"*) ;; *) fail "message: $ERR" ;; esac

step "--allow-paths: a path works"
S --allow-paths <<END
hello
request 1 deploy $P release=web-1 sha256=$S1
upload 1 $T/web-1.tar.gz $S1 1000
result 1
END
has '^RESULT 1 err=0 exit=0 '
[ "$(readlink "$P/current")" = releases/web-1 ] || fail "path app not deployed"

step "a broken agent.ini is a config error (exit 2), not a refusal"
echo 'bogus line' >> "$T/agent.ini"
S <<END
hello
request 1 status web
result 1
END
has '^RESULT 1 err=-5 exit=2 '
pass
