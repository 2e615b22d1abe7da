#!/bin/sh
# Malformed, oversized, truncated and out-of-order frames: each ends the
# session with one ERROR frame, a line on stderr, and no change on disk.
. "$top_srcdir/tests/lib.sh"
PC="$top_builddir/tests/proto-client"
[ -x "$PC" ] || skip "tests/proto-client not built"
A="$T/app"
make_release "$T/r1" "$T/web-1.tar.gz" one
expect_exit 0 agent deploy "$A" "$T/web-1.tar.gz"
before=$(tree_digest "$A")

# bad NAME EXPECTED-ERROR-LINE: run the script on stdin, check the ERROR and the tree.
bad() {
	name=$1 want=$2
	step "$name"
	"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err"
	grep -q -- "$want" "$T/out" || { cat "$T/out" "$T/err"; fail "no \"$want\""; }
	[ "$(grep -c '^ERROR' "$T/out")" = 1 ] || { cat "$T/out"; fail "not exactly one ERROR"; }
	grep -q '^agent-exit [1-9]' "$T/out" || { cat "$T/out"; fail "agent exit status 0"; }
	grep -q 'cutover-agent: serve: ' "$T/err" || { cat "$T/err"; fail "nothing on stderr"; }
	[ "$(tree_digest "$A")" = "$before" ] || fail "the app tree changed"
}

bad "request before hello" '^ERROR -14 expected HELLO, got REQUEST' <<END
request 1 deploy $A release=web-2
drain
END

bad "oversized length, refused from the header alone" '^ERROR -20 bad frame' <<END
hello
raw 001000010b
drain
END

bad "zero length" '^ERROR -14 bad frame' <<END
hello
raw 00000000
drain
END

bad "unknown type" '^ERROR -14 malformed unknown frame' <<END
hello
raw 000000056300000001
drain
END

bad "declared length longer than the fields" '^ERROR -14 malformed REQUEST frame' <<END
hello
raw 0000001e0a00000001000000067374617475730000000377656200000000ffffffff
drain
END

bad "string length past the frame" '^ERROR -18 malformed REQUEST frame' <<END
hello
raw 0000000f0a0000000100000020737461747573
drain
END

bad "embedded NUL in the op" '^ERROR -14 malformed REQUEST frame' <<END
hello
raw 0000001b0a0000000100000007737400617475730000000377656200000000
drain
END

bad "bad kv type" '^ERROR -14 malformed REQUEST frame' <<END
hello
raw 000000250a0000000100000006737461747573000000037765620000000107000000016b0000000176
drain
END

bad "DATA with no upload" '^ERROR -14 DATA for request 9' <<END
hello
raw 0000000d0b000000090000000461626364
drain
END

bad "a result frame from the client" '^ERROR -14 unexpected RESULT' <<END
hello
raw 0000000e1600000001000000000000000000
drain
END

step "stream ends inside a frame"
"$PC" -t 20 -- "$CUTOVER_AGENT" serve --allow-paths >"$T/out" 2>"$T/err" <<END
hello
raw 000000400a0000
close
drain
END
grep -q 'stream ended inside a frame' "$T/err" || { cat "$T/err"; fail "no message"; }
grep -q '^agent-exit [1-9]' "$T/out" || fail "exit status 0"
[ "$(tree_digest "$A")" = "$before" ] || fail "the app tree changed"

step "nothing but frames on stdout, even when a hook prints"
mkdir -p "$T/cfg"
printf '[app hooked]\nroot = %s/h\nafter_activate = echo HOOK-OUTPUT; echo HOOK-ERR >&2\n' "$T" >"$T/cfg/agent.ini"
"$PC" -t 20 -- "$CUTOVER_AGENT" --config "$T/cfg/agent.ini" serve >"$T/out" 2>"$T/err" <<END
hello
request 1 deploy hooked release=web-1
upload 1 $T/web-1.tar.gz
result 1
END
grep -q '^RESULT 1 err=0 exit=0' "$T/out" || { cat "$T/out" "$T/err"; fail "deploy failed"; }
grep -q '^BAD' "$T/out" && fail "undecodable frame"
grep -q '^agent-exit 0' "$T/out" || fail "exit status"
pass
