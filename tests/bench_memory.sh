#!/bin/bash
# tests/bench_memory.sh BUILD: the daemon's memory under a rolling set of
# executions (`make bench-memory`; MEMORY_DURATION=600 for the full run).
#
# A fresh BUILD/wfmond (no storage) on CPU 0; on CPU 1, wfmon-sim in load
# mode (--events-per-second: executions start, run their steps and finish,
# new ones all the time, at a steady event rate) and two `wfmon tail`
# subscribers of the org and queue rooms (so rooms keep history). The
# daemon's RSS is read from /proc every MEMORY_SAMPLE seconds and printed as
# a curve; the verdict compares the last third of the run with its first
# sample after a third of it: flat means within 10 % (the caps of the memory
# model in the README are reached within the first third at the default
# rate). Environment: MEMORY_DURATION (s, 120), MEMORY_RATE (events/s, 2000),
# MEMORY_SAMPLE (s, 10). Fails only when a program fails; the verdict is
# printed as met or MISSED.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${MEMORY_DURATION:-120}
rate=${MEMORY_RATE:-2000}
every=${MEMORY_SAMPLE:-10}
for bin in wfmond wfmon wfmon-sim; do
	[ -x "$build/$bin" ] || { echo "bench_memory: $build/$bin is missing; run make first" >&2; exit 1; }
done
. tests/support/bench_pin.sh
tmp=$(mktemp -d /tmp/wfmon-memory.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$tmp/secret"
for role in viewer producer; do
	"$build/wfmon" token --org memory --sub "memory-$role" --role "$role" --ttl 2h \
		--secret-file "$tmp/secret" >"$tmp/$role.jwt" || exit 1
done
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for attempt in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 12000))
	port_open "$port" || break
done
"${pin_daemon[@]}" "$build/wfmond" --config /dev/null --listen "127.0.0.1:$port" --jwt-secret-file "$tmp/secret" \
	--log-level warn --requests-per-second 100000 --request-burst 100000 2>"$tmp/wfmond.log" &
daemon=$!
pids+=("$daemon")
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.05
done
kill -0 "$daemon" 2>/dev/null || { echo "bench_memory: wfmond did not start:" >&2; cat "$tmp/wfmond.log" >&2; exit 1; }
url="ws://127.0.0.1:$port"
for i in 1 2; do
	"${pin_load[@]}" "$build/wfmon" tail --url "$url" --token-file "$tmp/viewer.jwt" org queue >/dev/null 2>&1 &
	pids+=("$!")
done
"${pin_load[@]}" "$build/wfmon-sim" --url "$url" --token-file "$tmp/producer.jwt" --seed 16 \
	--events-per-second "$rate" --duration "$duration" --quiet 2>"$tmp/sim.log" &
sim=$!
pids+=("$sim")

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$daemon/status" 2>/dev/null; }
metric() { curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | sed -n "s/^$1 //p"; }
echo "bench_memory: $rate events/s for $duration s, rolling executions (wfmon-sim), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%8s %10s %12s\n' seconds rss_KiB events_in
samples=()
start=$SECONDS
while [ $((SECONDS - start)) -le "$duration" ] && kill -0 "$sim" 2>/dev/null; do
	r=$(rss)
	[ -n "$r" ] || { echo "bench_memory: wfmond died:" >&2; cat "$tmp/wfmond.log" >&2; exit 1; }
	samples+=("$((SECONDS - start)) $r")
	printf '%8d %10d %12s\n' $((SECONDS - start)) "$r" "$(metric wfmond_events_in_total)"
	sleep "$every"
done
wait "$sim"
sim_rc=$?
[ "$sim_rc" = 0 ] || { echo "bench_memory: wfmon-sim failed ($sim_rc):" >&2; tail -n 5 "$tmp/sim.log" >&2; exit 1; }
kill -0 "$daemon" 2>/dev/null || { echo "bench_memory: wfmond died:" >&2; cat "$tmp/wfmond.log" >&2; exit 1; }
printf '%s\n' "${samples[@]}" | awk -v d="$duration" '
	{ t[NR] = $1; r[NR] = $2 }
	END {
		for (i = 1; i <= NR && t[i] < d / 3; i++) ;
		if (i > NR) { print "bench_memory: too few samples"; exit }
		ref = r[i]; max = ref; min = ref
		for (j = i; j <= NR; j++) { if (r[j] > max) max = r[j]; if (r[j] < min) min = r[j] }
		v = (max <= ref * 1.10) ? "met" : "MISSED"
		printf "RSS from %d s to the end: %d KiB at %d s, between %d and %d KiB (%+.1f %%): flat within 10 %%: %s\n",
			t[i], ref, t[i], min, max, (max - ref) * 100 / ref, v
	}'
