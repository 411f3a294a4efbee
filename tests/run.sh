#!/bin/bash
# Runs the whole suite once per build directory given (e.g. build build/san):
# every cmocka binary in DIR/tests (unit and integration) and every shell test in
# tests/integration/*.sh, with WFMON_BUILD=DIR so tests start that build's
# binaries. With WFMON_FUZZ_SECONDS set, then runs every libFuzzer target in
# build/fuzz for that long (one test each), or says why there are none.
# Counts individual cmocka cases, one per shell test and fuzz target, and ends
# with the line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
failures=()
logdir=$(mktemp -d /tmp/wfmon-tests.XXXXXX)
export WFMON_TEST_TMP=$logdir   # integration tests put their daemon folders here

run_one() { # name, command...
	local name=$1; shift
	local log="$logdir/$(echo "$name" | tr '/' '_').log"
	local start=$SECONDS
	timeout --kill-after=10 600 "$@" >"$log" 2>&1
	local rc=$?
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	if [ -n "$p" ] || [ -n "$f" ]; then
		p=${p:-0}; f=${f:-0}
		# A crash after some cases passed still counts as a failure.
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	elif [ "$rc" -eq 0 ]; then p=1; f=0
	else p=0; f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures+=("$name")
		echo "FAIL $name ($((SECONDS - start))s, exit $rc): last lines of $log"
		tail -n 40 "$log" | sed 's/^/    /'
	else
		echo "ok   $name ($p passed, $((SECONDS - start))s)"
	fi
}

for dir in "$@"; do
	export WFMON_BUILD="$PWD/$dir"
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "$t" "$t"
	done
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		run_one "$dir:$s" bash "$s"
	done
done

if [ -n "${WFMON_FUZZ_SECONDS:-}" ]; then
	if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
		echo "fuzz: ${FUZZ_CC:-clang} is not installed: the fuzz targets were not built or run"
	else
		for f in build/fuzz/fuzz_*; do
			[ -x "$f" ] || continue
			name=${f#build/fuzz/fuzz_}
			run_one "fuzz:$name" tests/fuzz.sh "$WFMON_FUZZ_SECONDS" "$name"
		done
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
	echo "logs kept in $logdir"
else
	rm -rf "$logdir"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
