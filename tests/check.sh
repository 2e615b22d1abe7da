#!/bin/sh
# Build and run the whole test suite: the README's test command.
#	sh tests/check.sh            # normal build (-Werror), make check, cppcheck
#	sh tests/check.sh asan       # the same suite under ASan+UBSan
# Installs what it needs (packaging/deps.sh). Prints "N passed, M failed"
# last and exits non-zero when anything failed.
set -u
mode=${1:-plain}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

sh packaging/deps.sh >/tmp/cutover-deps.log 2>&1 || { cat /tmp/cutover-deps.log; echo "0 passed, 1 failed"; exit 1; }
[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh >/dev/null 2>&1 || { echo "autogen failed"; echo "0 passed, 1 failed"; exit 1; }

case $mode in
asan)
	bdir=build-asan
	san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	cflags="-O1 -g $san -Wall -Wextra -Werror"
	ldflags="$san"
	# Leak checks stay on; the forked sshd is not ours and is not instrumented.
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
	;;
*)
	bdir=build-check
	cflags="-O2 -g -Wall -Wextra -Werror"
	ldflags=""
	;;
esac

mkdir -p "$bdir" && cd "$bdir" || exit 2
if [ ! -f Makefile ] || [ ../configure -nt Makefile ]; then
	../configure --enable-fault-injection CFLAGS="$cflags" LDFLAGS="$ldflags" >configure.out 2>&1 ||
	    { cat configure.out; echo "0 passed, 1 failed"; exit 1; }
fi
if ! make -j2 >make.out 2>&1; then
	grep -E 'error|warning' make.out | head -40
	echo "0 passed, 1 failed"; exit 1
fi
rm -f test-suite.log
make -j2 check >check.out 2>&1
check_rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' check.out
for f in $(grep -lE '^:test-result: (FAIL|ERROR)' $(find . -name '*.trs') 2>/dev/null); do
	echo "=== ${f%.trs}.log"; tail -40 "${f%.trs}.log"
done
pass=$(sed -n 's/^# PASS: *//p' test-suite.log 2>/dev/null | head -1)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log 2>/dev/null | head -1)
err=$(sed -n 's/^# ERROR: *//p' test-suite.log 2>/dev/null | head -1)
xpass=$(sed -n 's/^# XPASS: *//p' test-suite.log 2>/dev/null | head -1)
pass=${pass:-0}; fail=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} ))
[ -f test-suite.log ] || fail=$((fail + 1))
# make check that stopped early (a test program that did not build) failed too.
if [ "$check_rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	grep -E 'error|Error' check.out | head -20
	fail=$((fail + 1))
fi

if [ "$mode" = plain ]; then
	# Static analysis counts as one test.
	cd "$top"
	if cppcheck --error-exitcode=1 --enable=warning,style,performance,portability \
	    --inline-suppr -q --std=c11 --suppress=missingIncludeSystem \
	    -I proto -I conf -I agent -I coordinator -D__GNUC__ \
	    proto conf agent coordinator 2>"$top/$bdir/cppcheck.out"; then
		echo "PASS: cppcheck"; pass=$((pass + 1))
	else
		cat "$top/$bdir/cppcheck.out"; echo "FAIL: cppcheck"; fail=$((fail + 1))
	fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
