#!/bin/bash
# tests/bench_ingest.sh BUILD: the ingest benchmark (`make bench` runs it after
# the fan-out matrix; `make bench-ingest` alone).
#
# The shape a workflow monitor usually has: many executions, each watched by
# one console, every event stored. Each run starts a fresh BUILD/wfmond on
# CPU 0, the load (this tree's wfmon-bench) and PostgreSQL on CPU 1, and
# measures from /proc:
#   - without storage: 1000 rooms of one subscriber each, 2000 events/s, one
#     event per publish, then five per publish: the daemon's CPU per event
#     (one delivery per event), its RSS at the start and at the end; and the
#     fan-out row that must not regress: 1000 subscribers of one room, 200/s;
#   - with storage (a private PostgreSQL cluster, 100 rooms of one subscriber):
#     10,000 events/s offered, then STORE_SATURATE (60,000: more than the 50,000/s goal, so that the goal can show) offered: events
#     stored per second (from the first publish until every accepted event is
#     in PostgreSQL), PostgreSQL's CPU per stored event (the postmaster and its
#     backends), the subscribers' p99 while it stores, events lost.
# With BENCH_BASE set to another build folder (an older wfmond, e.g. one made
# from `git archive REV`), every run is made with both daemons back to back,
# the order reversed in the second round, so drift on the machine weighs on
# both alike; the table shows both and the ratio.
#
# The live rows also run against two reference servers in Node
# (tests/bench/ref_server.js: the same rooms and answers on Socket.IO 4.8 and
# on ws 8, no storage, no validation), pinned and loaded the same way, when
# node and npm are there: npm installs them once into BUILD/node-bench.
# Environment: BENCH_DURATION (measured seconds a run, 10), BENCH_ROUNDS (2),
# BENCH_BASE, BENCH_PARTS ("live store", the default), STORE_SATURATE,
# BENCH_REFS ("socketio ws", the default; empty: none), BENCH_PERF=1 (perf
# record of the daemon in each live run, into BUILD/perf-ingest-*.data, its
# call graphs as BENCH_PERF_G says, -g by default, e.g. "--call-graph dwarf";
# top symbols printed). Prints
# the table and appends every JSON line to BUILD/bench-ingest.jsonl. Timing
# goals are printed as met or MISSED and never fail the script; a run that
# fails (daemon died, no answer, an event lost) does.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
base=${BENCH_BASE:-}
duration=${BENCH_DURATION:-10}
rounds=${BENCH_ROUNDS:-2}
parts=${BENCH_PARTS:-live store}
saturate=${STORE_SATURATE:-60000}
results=$build/bench-ingest.jsonl

for bin in "$build/wfmond" "$build/wfmon" "$build/wfmon-bench" ${base:+"$base/wfmond"}; do
	[ -x "$bin" ] || { echo "bench_ingest: $bin is missing; run make first" >&2; exit 1; }
done
. tests/support/bench_pin.sh
. tests/support/bench_pg.sh

tmp=$(mktemp -d /tmp/wfmon-ingest.XXXXXX)
chmod 755 "$tmp"   # the cluster runs as postgres when we are root
daemon_pid=
stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}
cleanup() {
	stop_daemon
	[ -d "$tmp/pg" ] && src/tools/pgcluster.sh stop "$tmp/pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$tmp/secret"
chmod 600 "$tmp/secret"
for role in viewer producer; do
	"$build/wfmon" token --org ingest --sub "ingest-$role" --role "$role" --ttl 2h \
		--secret-file "$tmp/secret" >"$tmp/$role.jwt" || exit 1
done

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
metric() { curl -fsS "http://127.0.0.1:$daemon_port/metrics" 2>/dev/null | sed -n "s/^$1 //p"; }
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"; }

# start_daemon WFMOND [flags...]: a fresh daemon on a free port, requests
# unthrottled (one event per publish is the point of the test).
start_daemon() {
	local bin=$1 attempt i
	shift
	for attempt in 1 2 3 4 5; do
		daemon_port=$((20000 + RANDOM % 12000))
		port_open "$daemon_port" && continue
		"${pin_daemon[@]}" "$bin" --config /dev/null --listen "127.0.0.1:$daemon_port" \
			--jwt-secret-file "$tmp/secret" --log-level warn --requests-per-second 100000 \
			--request-burst 100000 "$@" 2>"$tmp/wfmond.log" &
		daemon_pid=$!
		for i in $(seq 100); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			curl -fsS "http://127.0.0.1:$daemon_port/healthz" >/dev/null 2>&1 && return 0
			sleep 0.05
		done
		stop_daemon
	done
	echo "bench_ingest: $bin did not start:" >&2
	cat "$tmp/wfmond.log" >&2
	exit 1
}

# load SUBSCRIBERS ROOMS RATE BATCH PUBLISHERS [wfmon-bench options]: wfmon-bench against the daemon; its JSON line.
load() {
	"${pin_load[@]}" "$build/wfmon-bench" "${@:6}" --url "ws://127.0.0.1:$daemon_port" --token-file "$tmp/viewer.jwt" \
		--producer-token-file "$tmp/producer.jwt" --subscribers "$1" --rooms "$2" --rate "$3" --batch "$4" \
		--publishers "$5" --duration "$duration" --daemon-pid "$daemon_pid" 2>"$tmp/bench.log"
}

failed=0
rows=()   # "PART|SHAPE|DAEMON|JSON"
record() { # PART SHAPE DAEMON JSON
	echo "$4" >>"$results"
	rows+=("$1|$2|$3|$4")
}

# live LABEL WFMOND SHAPE: one run without storage.
live_run() {
	local label=$1 bin=$2 shape=$3 out batch publishers rooms=1000 rate=2000
	case $shape in
	batch1) batch=1 publishers=2 ;;
	batch5) batch=5 publishers=1 ;;
	fanout) batch=1 publishers=1 rooms=1 rate=200 ;;
	esac
	start_daemon "$bin"
	echo "bench_ingest: $label, 1000 subscribers in $rooms room(s), $rate events/s, $batch event(s) a publish"
	local perf_pid= perf_data=$build/perf-ingest-$label-$shape.data
	if [ "${BENCH_PERF:-0}" = 1 ]; then
		perf record -q -F 999 ${BENCH_PERF_G:--g} -p "$daemon_pid" -o "$perf_data" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	out=$(load 1000 "$rooms" "$rate" "$batch" "$publishers") || out=
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		echo "  perf: $perf_data (the daemon, the whole run)"
		perf report -i "$perf_data" --children --stdio --sort sym -g none --percent-limit 3 2>/dev/null |
			grep -E '^ +[0-9]' | head -40 | sed 's/^/  /'
	fi
	if [ -n "$out" ] && [ "$(field lost "$out")" = 0 ]; then
		record live "$shape" "$label" "{\"part\":\"live\",\"daemon\":\"$label\",${out#\{}"
	else
		echo "bench_ingest: FAILED: ${out:-no result}" >&2
		tail -n 10 "$tmp/bench.log" >&2
		failed=1
	fi
	stop_daemon
}

# The reference servers: Socket.IO 4.8 and ws 8 from npm, in their own folder.
refs=${BENCH_REFS-socketio ws}
node_dir=$build/node-bench
refs_ready() {
	[ -n "$refs" ] || return 1
	command -v node >/dev/null && command -v npm >/dev/null || {
		echo "bench_ingest: node or npm missing (make deps installs them): no reference rows" >&2
		return 1
	}
	[ -d "$node_dir/node_modules/socket.io" ] && [ -d "$node_dir/node_modules/ws" ] && return 0
	mkdir -p "$node_dir"
	echo '{"name":"wfmon-bench-ref","private":true}' >"$node_dir/package.json"
	(cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error --cache "$PWD/.npm-cache" \
		socket.io@4.8 ws@8) >"$tmp/npm.log" 2>&1 || {
		echo "bench_ingest: npm install socket.io@4.8 ws@8 failed: no reference rows" >&2
		tail -n 5 "$tmp/npm.log" >&2
		return 1
	}
}

# ref_run LABEL IMPL SHAPE: one live run against a reference server.
ref_run() {
	local label=$1 impl=$2 shape=$3 out batch publishers i framing=()
	case $shape in
	batch1) batch=1 publishers=2 ;;
	batch5) batch=5 publishers=1 ;;
	esac
	[ "$impl" = socketio ] && framing=(--framing socketio)
	for _ in 1 2 3 4 5; do
		daemon_port=$((20000 + RANDOM % 12000))
		port_open "$daemon_port" || break
	done
	NODE_PATH="$node_dir/node_modules" "${pin_daemon[@]}" node tests/bench/ref_server.js "$impl" "$daemon_port" \
		>"$tmp/ref.log" 2>&1 &
	daemon_pid=$!
	for i in $(seq 100); do
		grep -q ready "$tmp/ref.log" 2>/dev/null && break
		sleep 0.05
	done
	echo "bench_ingest: $label ($impl), 1000 subscribers in 1000 rooms, 2000 events/s, $batch event(s) a publish"
	if out=$(load 1000 1000 2000 "$batch" "$publishers" "${framing[@]}") && [ -n "$out" ] &&
		[ "$(field lost "$out")" = 0 ]; then
		record live "$shape" "$label" "{\"part\":\"live\",\"daemon\":\"$label\",${out#\{}"
	else
		echo "bench_ingest: $label FAILED: ${out:-no result}" >&2
		tail -n 5 "$tmp/bench.log" "$tmp/ref.log" >&2
		failed=1
	fi
	stop_daemon
}

# store_run LABEL WFMOND RATE: one run with storage, in a fresh cluster.
store_run() {
	local label=$1 bin=$2 rate=$3 out
	rm -rf "$tmp/pg" "$tmp/spool"
	eval "$(src/tools/pgcluster.sh start "$tmp/pg")" || { echo "bench_ingest: no PostgreSQL" >&2; exit 1; }
	[ ${#pin_load[@]} -gt 0 ] && taskset -a -p -c 1 "$(head -n 1 "$tmp/pg/data/postmaster.pid")" >/dev/null
	start_daemon "$bin" --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$tmp/spool"
	for _ in $(seq 100); do [ "$(metric wfmond_database_up)" = 1 ] && break; sleep 0.1; done
	echo "bench_ingest: $label, storing, 100 rooms x 1 subscriber, $rate events/s offered"
	local c0 t0 t1 c1 stored0 stored accepted
	stored0=$(metric wfmond_events_stored_total)
	local tx0 tx1 ws0 ws1
	tx0=$(metric wfmond_store_write_batches_total)
	ws0=$(metric wfmond_store_write_seconds_total)
	c0=$(bench_pg_ticks "$tmp/pg/data")
	t0=$(date +%s.%N)
	# 100 events a publish at most (what is due each ms), 4 publishers.
	out=$(load 100 100 "$rate" 100 4)
	accepted=$(field published "$out")
	# Every accepted event reaches PostgreSQL; refused ones (a full spool) do not count.
	accepted=$((accepted - $(field refused "$out")))
	local deadline=$((SECONDS + 300))
	while :; do
		stored=$(metric wfmond_events_stored_total)
		[ "$((${stored:-0} - stored0))" -ge "$accepted" ] && break
		if [ $SECONDS -ge $deadline ]; then
			echo "bench_ingest: only $((${stored:-0} - stored0)) of $accepted stored" >&2
			failed=1
			break
		fi
		sleep 0.02
	done
	t1=$(date +%s.%N)
	c1=$(bench_pg_ticks "$tmp/pg/data")
	tx1=$(metric wfmond_store_write_batches_total)
	ws1=$(metric wfmond_store_write_seconds_total)
	local n=$((stored - stored0))
	local extra
	# Events per write transaction, when the daemon counts its transactions.
	extra=$(awk -v n="$n" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" \
		-v tx="$(( ${tx1:-0} - ${tx0:-0} ))" -v ws="$(awk -v a="${ws0:-0}" -v b="${ws1:-0}" 'BEGIN { print b - a }')" \
		'BEGIN { split(c0, a, " "); split(c1, b, " "); per = 1e6 / hz / (n > 0 ? n : 1)
		         printf "\"stored\":%d,\"stored_per_s\":%.0f,\"pg_cpu_us_per_event\":%.1f,\"pg_backend_us_per_event\":%.1f,\"pg_other_us_per_event\":%.1f,\"events_per_tx\":%.0f,\"write_ms_per_tx\":%.1f",
		                n, n / (t1 - t0), (b[1] + b[2] - a[1] - a[2]) * per, (b[1] - a[1]) * per, (b[2] - a[2]) * per, (tx > 0 ? n / tx : 0), (tx > 0 ? ws * 1000 / tx : 0) }')
	if [ -n "$out" ] && [ "$(field lost "$out")" = 0 ]; then
		record store "$rate" "$label" "{\"part\":\"store\",\"daemon\":\"$label\",\"offered\":$rate,$extra,${out#\{}"
	else
		echo "bench_ingest: FAILED: ${out:-no result}" >&2
		tail -n 10 "$tmp/bench.log" >&2
		failed=1
	fi
	stop_daemon
	src/tools/pgcluster.sh stop "$tmp/pg" >/dev/null 2>&1
}

daemons=("this:$build/wfmond")
[ -n "$base" ] && daemons=("base:$base/wfmond" "${daemons[@]}")
each_daemon() { # ROUND FUNCTION ARGS...: FUNCTION LABEL BIN ARGS for each daemon, reversed on even rounds
	local round=$1 fn=$2 i
	shift 2
	local order=("${daemons[@]}")
	if ((round % 2 == 0)); then
		order=()
		for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do order+=("${daemons[$i]}"); done
	fi
	for d in "${order[@]}"; do "$fn" "${d%%:*}" "${d#*:}" "$@"; done
}

: >"$results"
refs_ok=0
[[ " $parts " == *" live "* ]] && refs_ready && refs_ok=1
echo "bench_ingest: load average $(cut -d' ' -f1-3 /proc/loadavg)${pin_daemon:+; daemon on CPU 0, load and PostgreSQL on CPU 1}"
# The floor under the live rows: every event is one write to its subscriber's
# socket, every publish one more for its acknowledgement.
writecost=$("${pin_daemon[@]}" "$build/wfmon-bench" --write-cost 1000 2>/dev/null) && echo "$writecost" >>"$results"
# The floor under the live rows on this machine: a bare server thread on
# CPU 0 making only the system calls of the shape (wait, read the publish,
# write its acknowledgement and each event), its load on CPU 1 (it pins its
# own threads). No server can spend less per event on this shape here.
floor_run() { # BATCH PUBLISHERS
	local out
	out=$("$build/wfmon-bench" --floor "$1" --publishers "$2" --subscribers 1000 --rate 2000 \
		--duration "$duration" 2>/dev/null) || return 0
	echo "$out" >>"$results"
	rows+=("floor|batch$1|bare|$out")
}
for ((round = 1; round <= rounds; round++)); do
	if [[ " $parts " == *" live "* ]]; then
		floor_run 1 2
		floor_run 5 1
		each_daemon "$round" live_run batch1
		each_daemon "$round" live_run batch5
		each_daemon "$round" live_run fanout
		if [ -n "$refs" ] && [ "$refs_ok" = 1 ]; then
			for impl in $refs; do
				label=$impl
				[ "$impl" = socketio ] && label=sio
				ref_run "$label" "$impl" batch1
				ref_run "$label" "$impl" batch5
			done
		fi
	fi
	if [[ " $parts " == *" store "* ]]; then
		each_daemon "$round" store_run 10000
		each_daemon "$round" store_run "$saturate"
	fi
done
echo "bench_ingest: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"

echo
printf '%-5s %-22s %-5s %10s %9s %9s %11s %11s %11s %9s %7s %9s %9s\n' part shape daemon deliv/s p99_ms lost \
	"µs/deliv" "pg_µs/ev" "pg_be/other" stored/s load% rss0_KiB rss_KiB
for row in "${rows[@]}"; do
	IFS='|' read -r part shape label j <<<"$row"
	case $shape in
	batch1) desc="1000 rooms, 1/publish" ;;
	batch5) desc="1000 rooms, 5/publish" ;;
	fanout) desc="1 room, 1000 subs" ;;
	*) desc="100 rooms, $shape offered" ;;
	esac
	local_be=$(field pg_backend_us_per_event "$j")
	printf '%-5s %-22s %-5s %10s %9s %9s %11s %11s %11s %9s %7s %9s %9s\n' "$part" "$desc" "$label" \
		"$(field deliveries_per_s "$j")" "$(field p99_ms "$j")" "$(field lost "$j")" \
		"$(field daemon_cpu_us_per_delivery "$j")$(field server_cpu_us_per_event "$j")" "$(field pg_cpu_us_per_event "$j")" \
		"${local_be:+$local_be/$(field pg_other_us_per_event "$j")}" \
		"$(field stored_per_s "$j")" "$(field bench_cpu_percent "$j")" "$(field daemon_rss_start_kib "$j")" "$(field daemon_rss_kib "$j")"
done
# What bounds stored/s: the daemon writes one transaction at a time, so a
# transaction's wall time against the CPU PostgreSQL's session spent on it
# says how much of it PostgreSQL was working.
for row in "${rows[@]}"; do
	IFS='|' read -r part shape label j <<<"$row"
	[ "$part" = store ] || continue
	awk -v shape="$shape" -v label="$label" -v n="$(field events_per_tx "$j")" -v w="$(field write_ms_per_tx "$j")" \
		-v be="$(field pg_backend_us_per_event "$j")" 'BEGIN {
		if (w > 0) printf "store transactions, %s offered, %s: %d events, %.1f ms each in the daemon, %.1f ms of them PostgreSQL session CPU (%.0f %%)\n",
			shape, label, n, w, n * be / 1000, n * be / 10 / w }'
done
if [ -n "$base" ]; then
	echo
	echo "ratios base/this, per round (daemon µs per event; PostgreSQL µs per event; stored/s this/base):"
	python3 - "$results" <<-'EOF'
	import json, sys, collections
	runs = [r for r in (json.loads(l) for l in open(sys.argv[1])) if 'part' in r]
	seen = collections.defaultdict(list)
	for r in runs:
	    key = (r['part'], r['rooms'], r.get('batch') if r['part'] == 'live' else r['offered'])
	    seen[key].append(r)
	for key, rs in sorted(seen.items(), key=lambda kv: str(kv[0])):
	    base = [r for r in rs if r['daemon'] == 'base']
	    this = [r for r in rs if r['daemon'] == 'this']
	    for i, (b, t) in enumerate(zip(base, this)):
	        if key[0] == 'live':
	            what = '1 room of 1000 (fan-out)' if b['rooms'] == 1 else '1000 rooms, %s a publish' % key[2]
	            print('  live, %s, round %d: %.1f -> %.1f µs a delivery (x%.2f), RSS growth %d -> %d KiB' % (
	                what, i + 1, b['daemon_cpu_us_per_delivery'], t['daemon_cpu_us_per_delivery'],
	                b['daemon_cpu_us_per_delivery'] / t['daemon_cpu_us_per_delivery'],
	                b['daemon_rss_kib'] - b['daemon_rss_start_kib'], t['daemon_rss_kib'] - t['daemon_rss_start_kib']))
	        else:
	            print('  store, %s offered, round %d: %d -> %d stored/s, PostgreSQL %.1f -> %.1f µs/event, p99 %s -> %s ms, events a transaction %s -> %s' % (
	                key[2], i + 1, b['stored_per_s'], t['stored_per_s'], b['pg_cpu_us_per_event'],
	                t['pg_cpu_us_per_event'], b['p99_ms'], t['p99_ms'], b.get('events_per_tx') or '-', t.get('events_per_tx') or '-'))
	EOF
fi
if [ -n "${writecost:-}" ]; then
	w=$(field us_per_write_1_frame "$writecost")
	echo
	printf 'this machine: one write of one frame to a loopback socket costs %s µs of CPU (the receiver'"'"'s TCP work\n' "$w"
	printf 'included): one write per event and one per publish is a floor of %s µs an event at 1 event a publish,\n' \
		"$(awk -v w="$w" 'BEGIN { printf "%.1f", 2 * w }')"
	printf '%s µs at 5 (before reading the publish, parsing, routing and waking up).\n' \
		"$(awk -v w="$w" 'BEGIN { printf "%.1f", w + w / 5 }')"
	printf 'A bare server making only the system calls of this shape, its load on the other CPU (the floor rows,\n'
	printf 'wfmon-bench --floor; the wakeups and the cross-CPU wakeups of the readers included) is the real floor.\n'
fi
echo
echo "goals (this daemon):"
goal() { # TEXT CONDITION-ON-ALL-ROWS
	printf '  %-68s %s\n' "$1" "$2"
}
verdict() { # PART SHAPE FIELD OP LIMIT
	local v=met n=0 row x
	for row in "${rows[@]}"; do
		IFS='|' read -r part shape label j <<<"$row"
		[ "$part" = "$1" ] && [ "$shape" = "$2" ] && [ "$label" = this ] || continue
		n=$((n + 1))
		x=$(field "$3" "$j")
		# A run that did not produce the figure proves nothing.
		[ -n "$x" ] || { v="no figure"; break; }
		awk -v x="$x" -v l="$5" "BEGIN { exit !(x $4 l) }" || v=MISSED
	done
	[ $n -gt 0 ] || v="not run"
	echo "$v"
}
goal "daemon CPU <= 15 µs per event, 1000 rooms, 1 event a publish" "$(verdict live batch1 daemon_cpu_us_per_delivery '<=' 15)"
goal "daemon CPU <= 8 µs per event, 1000 rooms, 5 events a publish" "$(verdict live batch5 daemon_cpu_us_per_delivery '<=' 8)"
goal ">= 50000 events/s stored ($saturate offered)" "$(verdict store "$saturate" stored_per_s '>=' 50000)"
goal "<= 15 µs of PostgreSQL CPU per stored event ($saturate offered)" "$(verdict store "$saturate" pg_cpu_us_per_event '<=' 15)"
goal "p99 <= 20 ms while storing 10000 events/s" "$(verdict store 10000 p99_ms '<=' 20)"
goal "p99 <= 50 ms while storage is saturated" "$(verdict store "$saturate" p99_ms '<=' 50)"
echo
echo "results: $results"
exit "$failed"
