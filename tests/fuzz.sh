#!/bin/bash
# tests/fuzz.sh SECONDS NAME...: runs each libFuzzer target build/fuzz/fuzz_NAME
# for SECONDS with its dictionary (tests/fuzz/NAME.dict), its seed corpus
# (tests/fuzz/corpus/NAME) and the inputs earlier runs found
# (build/fuzz/corpus/NAME, where new ones go). Prints one line per target
# with its executions and coverage; a crash, a leak or a timeout leaves the
# input in build/fuzz/crash-NAME-* and fails. `make fuzz` and `make check`
# (through tests/run.sh) call it.
set -u
cd "$(dirname "$0")/.."
secs=$1; shift
failed=0
for name in "$@"; do
	bin=build/fuzz/fuzz_$name
	[ -x "$bin" ] || { echo "FAIL fuzz $name: $bin is missing (make fuzz-build)"; failed=1; continue; }
	mkdir -p "build/fuzz/corpus/$name"
	log=build/fuzz/$name.log
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-dict="tests/fuzz/$name.dict" -artifact_prefix="build/fuzz/crash-$name-" \
		"build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "ok   fuzz $name: ${runs:-?} runs in ${secs} s, ${cov:-cov: ?}"
	else
		echo "FAIL fuzz $name (exit $rc): see $log"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 8 | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
