# tests/support/bench_pin.sh: sourced by the benchmarks (from the tree's top).
# Sets pin_daemon and pin_load, the prefixes that put the server on CPU 0 and
# its load on CPU 1 so that they do not take turns on one core; both empty
# with a single CPU, without taskset, or with BENCH_PIN=0.
pin_daemon=() pin_load=()
if [ "${BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin_daemon=(taskset -c 0)
	pin_load=(taskset -c 1)
fi
