#!/bin/bash
# tests/bench_cluster.sh BUILD: the cluster benchmark (`make bench-cluster`).
#
# One PostgreSQL, one redis-server and three wfmond nodes (--cluster) on this
# machine; wfmon-bench publishes to node A and its subscribers listen on node
# B, so every delivery measured crosses nodes through Redis; node C applies
# the same stream with nobody watching. Then the same load against one node
# alone (no cluster), back to back, the whole twice. Reported per run:
# delivery p50/p99 (publish to receipt), deliveries per second, the CPU of
# each daemon and of redis-server per event (from /proc). The nodes are
# pinned to CPU 0, the load, Redis and PostgreSQL to CPU 1: on two cores the
# cluster cannot show more throughput than one node, only what crossing
# nodes costs. Timing goals are printed, never failed.
#
# Environment: BENCH_DURATION (10 s), BENCH_WARMUP (1 s of publishing before
# the measurement; the nodes' recent-event rings and dedup windows fill in
# the first seconds at 10,000/s, and their growth is part of a short run), BENCH_ROUNDS (2), BENCH_RATE (10000),
# BENCH_SUBSCRIBERS (100), BENCH_ROOMS (100); BENCH_PERF=1 records each node
# of the cluster runs (perf --call-graph dwarf, into BUILD/perf-cluster-N.data)
# and prints its top functions. BENCH_PIN=0 pins nothing: the kernel places
# every process (how the cluster would run here without care), to set beside
# the pinned figures.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-1}
rounds=${BENCH_ROUNDS:-2}
rate=${BENCH_RATE:-10000}
subs=${BENCH_SUBSCRIBERS:-100}
rooms=${BENCH_ROOMS:-100}
results=$build/bench-cluster.jsonl

for bin in "$build/wfmond" "$build/wfmon" "$build/wfmon-bench"; do
	[ -x "$bin" ] || { echo "bench_cluster: $bin is missing; run make first" >&2; exit 1; }
done
command -v redis-server >/dev/null || { echo "bench_cluster: redis-server is missing (make deps)" >&2; exit 1; }
pin_daemon=() pin_load=()
if [ "${BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin_daemon=(taskset -c 0) pin_load=(taskset -c 1)
fi

tmp=$(mktemp -d /tmp/wfmon-cluster-bench.XXXXXX)
chmod 755 "$tmp"
pids=() redis_pid=
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
	if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; redis_pid=; fi
}
cleanup() {
	stop_all
	[ -d "$tmp/pg" ] && src/tools/pgcluster.sh stop "$tmp/pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$tmp/secret"
chmod 600 "$tmp/secret"
for role in viewer producer; do
	"$build/wfmon" token --org bench --sub "bench-$role" --role "$role" --ttl 2h \
		--secret-file "$tmp/secret" >"$tmp/$role.jwt" || exit 1
done
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 12000)); port_open "$p" || { echo "$p"; return; }; done; }
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# histogram PORT METRIC NAME: a node's histogram METRIC (seconds) as JSON
# fields: NAME (how many), NAME_mean_ms, NAME_over_25ms.
histogram() {
	curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v m="$2" -v name="$3" '
		$1 == m "_count" { n = $2 }
		$1 == m "_sum" { sum = $2 }
		$1 == m "_bucket{le=\"0.025\"}" { le25 = $2 }
		END { printf "\"%s\":%d,\"%s_mean_ms\":%.2f,\"%s_over_25ms\":%d", name, n, name, n ? sum * 1000 / n : 0, name, n - le25 }'
}
# turns PORT NAME: a node's event-loop turns as JSON fields (histogram's,
# NAME_max_ms, the longest; NAME_cpu_s and NAME_waiting_s, the loop thread's
# CPU time and time waiting for a CPU since the node started).
turns() {
	histogram "$1" wfmond_loop_turn_seconds "$2"
	curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
		awk -v name="$2" '$1 == "wfmond_loop_turn_max_seconds" { printf ",\"%s_max_ms\":%.1f", name, $2 * 1000 }
			$1 == "wfmond_loop_cpu_seconds_total" { printf ",\"%s_cpu_s\":%.2f", name, $2 }
			$1 == "wfmond_loop_runnable_waiting_seconds_total" { printf ",\"%s_waiting_s\":%.2f", name, $2 }'
}
# spool_syncs PORT: the publishing node's group commits (its acks wait for
# them); in a cluster also its round trips to Redis (they wait for those first).
spool_syncs() {
	histogram "$1" wfmond_spool_sync_seconds syncs
	[ "${2:-}" = cluster ] && printf , && histogram "$1" wfmond_cluster_publish_seconds publishes
}

eval "$(src/tools/pgcluster.sh start "$tmp/pg")" || { echo "bench_cluster: no PostgreSQL" >&2; exit 1; }
[ ${#pin_load[@]} -gt 0 ] && taskset -a -p -c 1 "$(head -n 1 "$tmp/pg/data/postmaster.pid")" >/dev/null

# node NAME [flags]: a daemon on a free port; its pid in node_pid, port in node_port.
node() {
	local name=$1 i
	shift
	node_port=$(free_port)
	mkdir -p "$tmp/$name"
	"${pin_daemon[@]}" "$build/wfmond" --config /dev/null --listen "127.0.0.1:$node_port" \
		--jwt-secret-file "$tmp/secret" --log-level warn --requests-per-second 100000 \
		--request-burst 100000 --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" \
		--spool-dir "$tmp/$name/spool" "$@" 2>"$tmp/$name/wfmond.log" &
	node_pid=$!
	pids+=("$node_pid")
	for i in $(seq 200); do
		curl -fsS "http://127.0.0.1:$node_port/healthz" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench_cluster: node $name did not start:" >&2
	cat "$tmp/$name/wfmond.log" >&2
	exit 1
}

# load SUB_PORT PUB_PORT DAEMON_PID: wfmon-bench; its JSON line.
load() {
	"${pin_load[@]}" "$build/wfmon-bench" --url "ws://127.0.0.1:$1" --publish-url "ws://127.0.0.1:$2" \
		--token-file "$tmp/viewer.jwt" --producer-token-file "$tmp/producer.jwt" --subscribers "$subs" \
		--rooms "$rooms" --rate "$rate" --publishers 4 --duration "$duration" --warmup "$warmup" --daemon-pid "$3" \
		2>"$tmp/bench.log"
}

rows=()
run_cluster() {
	local rport
	rport=$(free_port)
	mkdir -p "$tmp/redis"
	"${pin_load[@]}" redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp/redis" --save '' \
		--appendonly yes --appendfsync everysec >"$tmp/redis/log" 2>&1 &
	redis_pid=$!
	for _ in $(seq 100); do port_open "$rport" && break; sleep 0.05; done
	node a --cluster "redis://127.0.0.1:$rport"; local a_port=$node_port a_pid=$node_pid
	node b --cluster "redis://127.0.0.1:$rport"; local b_port=$node_port b_pid=$node_pid
	node c --cluster "redis://127.0.0.1:$rport"; local c_pid=$node_pid
	echo "bench_cluster: 3 nodes, publish on A, $subs subscribers on B in $rooms rooms, $rate events/s"
	local r0 a0 b0 c0 out r1 a1 b1 c1 hz n
	r0=$(ticks "$redis_pid") a0=$(ticks "$a_pid") b0=$(ticks "$b_pid") c0=$(ticks "$c_pid")
	local perfs=() n p
	if [ "${BENCH_PERF:-0}" = 1 ]; then
		for n in a b c; do
			eval "p=\$${n}_pid"
			perf record -q -F 999 --call-graph dwarf -p "$p" -o "$build/perf-cluster-$n.data" >/dev/null 2>&1 &
			perfs+=($!)
		done
	fi
	out=$(load "$b_port" "$a_port" "$b_pid")
	local syncs
	syncs=$(spool_syncs "$a_port" cluster),$(turns "$a_port" a_turns),$(turns "$b_port" b_turns),$(curl -fsS "http://127.0.0.1:$b_port/metrics" 2>/dev/null | awk '
		/^wfmond_cluster_entries_total / { e = $2 } /^wfmond_cluster_reads_total / { r = $2 }
		/^wfmond_cluster_applied_total / { n = $2 }
		END { printf "\"b_events_per_entry\":%.2f,\"b_entries_per_read\":%.2f", e ? n / e : 0, r ? e / r : 0 }')
	for p in "${perfs[@]}"; do kill -INT "$p"; wait "$p" || true; done
	for n in a b c; do
		[ ${#perfs[@]} -gt 0 ] || break
		echo "  perf: $build/perf-cluster-$n.data (node ${n^^}, the whole run)"
		perf report -i "$build/perf-cluster-$n.data" --children --stdio --sort sym -g none --percent-limit 4 \
			2>/dev/null | grep -E '^ +[0-9]' | grep -v '\[k\]' | head -30 | sed 's/^/  /'
	done
	r1=$(ticks "$redis_pid") a1=$(ticks "$a_pid") b1=$(ticks "$b_pid") c1=$(ticks "$c_pid")
	hz=$(getconf CLK_TCK)
	n=$(field published "$out")
	local extra
	extra=$(awk -v n="${n:-0}" -v hz="$hz" -v r="$((r1 - r0))" -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v c="$((c1 - c0))" \
		'BEGIN { d = n > 0 ? n : 1; printf "\"redis_cpu_us_per_event\":%.1f,\"node_a_cpu_us_per_event\":%.1f,\"node_b_cpu_us_per_event\":%.1f,\"node_c_cpu_us_per_event\":%.1f", r / hz * 1e6 / d, a / hz * 1e6 / d, b / hz * 1e6 / d, c / hz * 1e6 / d }')
	record "cluster" "{\"setup\":\"3 nodes\",$extra,$syncs,${out#\{}"
	stop_all
	rm -rf "$tmp/redis" "$tmp/a" "$tmp/b" "$tmp/c"
}
run_single() {
	node one
	echo "bench_cluster: 1 node, $subs subscribers in $rooms rooms, $rate events/s"
	local out p0 p1 n
	p0=$(ticks "$node_pid")
	out=$(load "$node_port" "$node_port" "$node_pid")
	p1=$(ticks "$node_pid")
	local syncs
	syncs=$(spool_syncs "$node_port"),$(turns "$node_port" a_turns)
	n=$(field published "$out")
	local extra
	extra=$(awk -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" -v d="$((p1 - p0))" \
		'BEGIN { printf "\"node_cpu_us_per_event\":%.1f", d / hz * 1e6 / (n > 0 ? n : 1) }')
	record "single" "{\"setup\":\"1 node\",$extra,$syncs,${out#\{}"
	stop_all
	rm -rf "$tmp/one"
}
failed=0
record() { # LABEL JSON
	echo "$2" >>"$results"
	if [ "$(field lost "$2")" != 0 ]; then
		echo "bench_cluster: FAILED ($1): events lost: $2" >&2
		tail -n 5 "$tmp/bench.log" >&2
		failed=1
	fi
	rows+=("$1|$2")
}

for round in $(seq "$rounds"); do
	if ((round % 2)); then run_cluster; run_single; else run_single; run_cluster; fi
done

printf '\n%-8s %-5s %9s %9s %12s %10s %10s %10s %10s %10s %10s %10s %12s\n' setup round p50_ms p99_ms deliveries/s \
	redis_us/ev a_us/ev b_us/ev c_us/ev ack_gap_ms syncs\>25ms redis\>25ms turn_max_a/b
i=0
for row in "${rows[@]}"; do
	label=${row%%|*} json=${row#*|}
	i=$((i + 1))
	if [ "$label" = cluster ]; then
		printf '%-8s %-5s %9s %9s %12s %10s %10s %10s %10s %10s %10s %10s %12s\n' "3 nodes" $(((i + 1) / 2)) \
			"$(field p50_ms "$json")" "$(field p99_ms "$json")" "$(field deliveries_per_s "$json")" \
			"$(field redis_cpu_us_per_event "$json")" "$(field node_a_cpu_us_per_event "$json")" \
			"$(field node_b_cpu_us_per_event "$json")" "$(field node_c_cpu_us_per_event "$json")" \
			"$(field ack_gap_max_ms "$json")" "$(field syncs_over_25ms "$json")/$(field syncs "$json")" \
			"$(field publishes_over_25ms "$json")/$(field publishes "$json")" \
			"$(field a_turns_max_ms "$json")/$(field b_turns_max_ms "$json")"
		p99=$(field p99_ms "$json")
		awk -v p="${p99:-999}" 'BEGIN { exit !(p <= 20) }' && echo "  cross-node p99 <= 20 ms: met" ||
			echo "  cross-node p99 <= 20 ms: MISSED"
	else
		printf '%-8s %-5s %9s %9s %12s %10s %10s %10s %10s %10s %10s %10s %12s\n' "1 node" $(((i + 1) / 2)) \
			"$(field p50_ms "$json")" "$(field p99_ms "$json")" "$(field deliveries_per_s "$json")" "-" \
			"$(field node_cpu_us_per_event "$json")" "-" "-" "$(field ack_gap_max_ms "$json")" \
			"$(field syncs_over_25ms "$json")/$(field syncs "$json")" "-" "$(field a_turns_max_ms "$json")"
	fi
done
exit $failed
