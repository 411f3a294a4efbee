#!/bin/bash
# tests/bench_metrics.sh BUILD: the metrics benchmark (`make bench-metrics`).
#
# 1. Queries. A private PostgreSQL cluster in $BENCH_METRICS_DIR (default
#    /tmp/wfmon-bench-metrics; kept, so a second run skips the generation)
#    filled by BUILD/wfmon-histgen with $BENCH_EXECUTIONS (10,000,000)
#    executions of 50 workflows over 400 days. wfmond and PostgreSQL run on
#    core 0, the client (curl) on core 1 (taskset). For a 30-day and a 1-year
#    metrics query, of every workflow and of the busiest one, it prints the
#    round trip of GET /v1/metrics (median, p95 and max of $BENCH_REPEAT runs
#    after two warm-ups) beside the goal of 50 ms (the goal is met when the
#    median is under it; p95 and max show what a loaded machine adds), the
#    median of the daemon's own database time (took_ms), and the p50/p95/p99 the
#    daemon answered beside percentile_disc over the raw rows of the same
#    period, with their difference (goal: within 1 %).
# 2. Writes. $BENCH_WRITE_EXECUTIONS (5,000) executions (11 events each:
#    queued, started, four steps, the end) are posted to /v1/events as fast as
#    the daemon takes them, and the time until PostgreSQL has stored them all
#    (wfmond_events_stored_total) gives the stored events per second. Four
#    daemons, each in a fresh cluster of its own: the daemon from before the
#    metrics work (no migration 0005: built from the parent of the commit that
#    added it, or $BENCH_BASE_REV, "none" to skip), this one with rollups off
#    (metrics-rollup-interval 0), on at the default 10 s, and on every second;
#    back to back, $BENCH_ROUNDS (5) rounds, every other one in reverse
#    order, same pinning. Goal: on within 10 % of off. Other work on the
#    machine moves the wall-clock rate a lot, so each run also counts the CPU
#    time its daemon and its PostgreSQL cluster used (/proc: the postmaster
#    with its reaped children, and its live children) and prints the stored
#    events per CPU second beside it, and the store thread's own account from
#    /metrics: the time it spent writing events and the time it spent in
#    rollup passes (one thread does both, one after the other, so that share
#    is what rollups take from the write rate at most).
#
# BENCH_PARTS="queries writes" (the default) chooses the parts to run.
# BENCH_METRICS_CLEAN=1 deletes the clusters at the end (they take ~40 GB).
# Exits non-zero when something could not run; a missed goal is shown as
# MISSED but does not fail.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
dir=${BENCH_METRICS_DIR:-/tmp/wfmon-bench-metrics}
executions=${BENCH_EXECUTIONS:-10000000}
repeat=${BENCH_REPEAT:-20}
wexec=${BENCH_WRITE_EXECUTIONS:-5000}
parts=${BENCH_PARTS:-queries writes}
for bin in wfmond wfmon wfmon-histgen; do
	[ -x "$build/$bin" ] || { echo "bench_metrics: $build/$bin is missing; run make first" >&2; exit 1; }
done
for tool in taskset curl psql python3; do
	command -v $tool >/dev/null || { echo "bench_metrics: $tool is missing" >&2; exit 1; }
done
mkdir -p "$dir"
chmod 0755 "$dir"
tmp=$(mktemp -d /tmp/wfmon-bench-metrics-run.XXXXXX)
chmod 0755 "$tmp"
daemon_pid=
stop_daemon() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}
cleanup() {
	stop_daemon
	src/tools/pgcluster.sh stop "$dir/pg" >/dev/null 2>&1
	for c in "$tmp"/wpg-*; do
		[ -d "$c" ] && src/tools/pgcluster.sh stop "$c" >/dev/null 2>&1
	done
	[ "${BENCH_METRICS_CLEAN:-0}" = 1 ] && rm -rf "$dir"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$tmp/secret"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# start_daemon DB_APP DB_OWNER SPOOL [flags...]: wfmond on core 0.
start_daemon() {
	local app=$1 owner=$2 spool=$3 port
	shift 3
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 12000))
		port_open "$port" && continue
		taskset -c 0 "$build/wfmond" --listen "127.0.0.1:$port" --jwt-secret-file "$tmp/secret" --log-level warn \
			--database "$app" --database-owner "$owner" --spool-dir "$spool" "$@" 2>>"$tmp/wfmond.log" &
		daemon_pid=$!
		for _ in $(seq 1 600); do
			curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { daemon_port=$port; return 0; }
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		stop_daemon
	done
	echo "bench_metrics: wfmond did not start:" >&2
	tail -n 20 "$tmp/wfmond.log" >&2
	exit 1
}
token() { "$build/wfmon" token --org "$1" --sub bench --role "$2" --secret-file "$tmp/secret"; }

# ---- 1. queries ---------------------------------------------------------------------------
if [[ " $parts " == *" queries "* ]]; then
echo "== metrics queries over $executions executions =="
# PostgreSQL on core 0 with the daemon; more shared buffers than the tests' clusters.
src/tools/pgcluster.sh stop "$dir/pg" >/dev/null 2>&1
eval "$(PGCLUSTER_CONF=$'shared_buffers = 2GB\nmax_wal_size = 16GB\ncheckpoint_timeout = 30min\nwork_mem = 256MB\nmaintenance_work_mem = 512MB' \
	taskset -c 0 src/tools/pgcluster.sh start "$dir/pg")" || { echo "bench_metrics: no cluster" >&2; exit 1; }
# bench_sql SQL: one statement as organization bench, unaligned, no headers.
bench_sql() { PGOPTIONS="-c wfmon.org=bench -c work_mem=1GB" psql -X -q -A -t -F ' ' "$WFMON_DB_OWNER" -c "$1"; }
have=$(bench_sql "SELECT count(*) FROM workflow_executions") || { echo "bench_metrics: cannot read $dir/pg" >&2; exit 1; }
if [ "$have" -lt $((executions * 99 / 100)) ]; then
	echo "generating the history (wfmon-histgen --executions $executions; about half an hour)..."
	start=$SECONDS
	"$build/wfmon-histgen" --owner "$WFMON_DB_OWNER" --org bench --executions "$executions" >"$tmp/histgen.log" 2>&1 ||
		{ cat "$tmp/histgen.log" >&2; exit 1; }
	tail -n 2 "$tmp/histgen.log"
	echo "generated in $((SECONDS - start)) s"
fi
du -sh "$dir/pg/data" | awk '{print "database size: " $1}'
# Raw history is kept (no retention) so that percentile_disc sees what the rollups saw.
start_daemon "$WFMON_DB_APP" "$WFMON_DB_OWNER" "$tmp/spool" --retention-events-days 0 --retention-metrics-days 0
viewer=$(token bench viewer)
busiest=$(bench_sql "SELECT workflow_id FROM metric_rollups WHERE span_hours = 672 AND step_id = '' \
	AND workflow_id <> '' GROUP BY workflow_id ORDER BY sum(completed + failed + cancelled) DESC LIMIT 1")

# ms_stats: median, p95 and max of the numbers on stdin.
ms_stats() { sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f %.1f", a[int((NR+1)/2)], a[int(NR*0.95+0.999)], a[NR]}'; }
# exact FROM TO WORKFLOW: percentile_disc p50 p95 p99 over the raw rows.
exact() {
	local wf=""
	[ -n "$3" ] && wf="AND workflow_id = '$3'"
	bench_sql "SELECT percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP
		(ORDER BY floor(extract(epoch FROM finished_at - started_at) * 1000))
		FROM workflow_executions WHERE status IN ('completed', 'failed') AND started_at IS NOT NULL
		AND finished_at >= '$1' AND finished_at < '$2' $wf" | tr -d '{}' | tr ',' ' '
}

printf '\n%-22s %9s %9s %9s %6s %9s   %-24s %-28s %s\n' "query" "median" "p95" "max" "goal" "store" \
	"daemon p50/p95/p99 ms" "percentile_disc p50/p95/p99" "worst diff"
for q in "30d all:range=30d" "30d $busiest:range=30d&workflow=$busiest" "1y all:range=1y" \
	"1y $busiest:range=1y&workflow=$busiest"; do
	name=${q%%:*}
	args=${q#*:}
	url="http://127.0.0.1:$daemon_port/v1/metrics?$args"
	for _ in 1 2; do taskset -c 1 curl -s -o /dev/null -H "Authorization: Bearer $viewer" "$url"; done
	: >"$tmp/took"
	times=$(for _ in $(seq 1 "$repeat"); do
		taskset -c 1 curl -s -o "$tmp/answer.json" -w '%{time_total}\n' -H "Authorization: Bearer $viewer" "$url"
		python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["took_ms"])' "$tmp/answer.json" >>"$tmp/took"
	done | awk '{printf "%.2f\n", $1 * 1000}')
	read -r med p95 max <<<"$(echo "$times" | ms_stats)"
	read -r took _ <<<"$(ms_stats <"$tmp/took")"
	read -r from to d50 d95 d99 <<<"$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1])); s=d["summary"]
to=min(d["to"], d["now"])
print(d["from"], to, s["p50_ms"], s["p95_ms"], s["p99_ms"])' "$tmp/answer.json")"
	wf=""
	case $args in *workflow=*) wf=${args##*workflow=} ;; esac
	read -r e50 e95 e99 <<<"$(exact "$from" "$to" "$wf")"
	worst=$(python3 -c 'import sys; v=list(map(float,sys.argv[1:])); print("%.3f %%" % max(abs(v[i]-v[i+3])/v[i+3]*100 for i in range(3)))' \
		"$d50" "$d95" "$d99" "$e50" "$e95" "$e99")
	goal=ok
	awk "BEGIN{exit !($med > 50)}" && goal=MISSED
	printf '%-22s %6s ms %6s ms %6s ms %6s %6s ms   %-24s %-28s %s\n' "$name" "$med" "$p95" "$max" "$goal" "$took" \
		"$d50/$d95/$d99" "$e50/$e95/$e99" "$worst"
done
stop_daemon
src/tools/pgcluster.sh stop "$dir/pg" >/dev/null 2>&1
fi

# ---- 2. stored events per second, rollups off and on -------------------------------------------
[[ " $parts " == *" writes "* ]] || exit 0
echo
echo "== stored events per second, rollups off and on ($wexec executions, $((wexec * 11)) events a run) =="
# The daemon as it was before the metrics work (the parent of the commit that
# added migration 0005, or $BENCH_BASE_REV; "none" skips it), built once in $dir.
base_rev=${BENCH_BASE_REV:-$(git rev-list --reverse HEAD -- src/store/migrations/0005_metrics.sql 2>/dev/null | head -n 1)^}
base_build=
if [ "$base_rev" != none ] && base_sha=$(git rev-parse --verify -q "$base_rev^{commit}"); then
	base_src="$dir/base-${base_sha:0:12}"
	if [ ! -x "$base_src/build/wfmond" ]; then
		echo "building wfmond at ${base_sha:0:12} (before the metrics work)..."
		rm -rf "$base_src" && mkdir -p "$base_src" && git archive "$base_sha" | tar -x -C "$base_src" &&
			make -C "$base_src" -j"$(nproc)" build/wfmond >"$tmp/base-build.log" 2>&1 ||
			{ tail -n 20 "$tmp/base-build.log" >&2; exit 1; }
	fi
	base_build="$base_src/build"
fi
# cpu_ticks CLUSTER: clock ticks used so far by the cluster (the postmaster,
# the children it reaped, its live children) and the daemon.
cpu_ticks() {
	local pm t=0 p
	pm=$(head -n 1 "$1/data/postmaster.pid")
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
	for p in $(pgrep -P "$pm") "$daemon_pid"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
# run_writes LABEL ORG BUILD [flags...]: one measured run of BUILD's daemon,
# in a fresh cluster of its own (every run starts from the same empty tables).
run_writes() {
	local label=$1 org=$2 run_build=$3 cluster="$tmp/wpg-$2"
	shift 3
	eval "$(taskset -c 0 src/tools/pgcluster.sh start "$cluster")" || { echo "bench_metrics: no cluster" >&2; exit 1; }
	local keep_build=$build
	build=$run_build
	start_daemon "$WFMON_DB_APP" "$WFMON_DB_OWNER" "$tmp/spool-$org" "$@"
	build=$keep_build
	local prod
	prod=$(token "$org" producer)
	python3 - "$org" "$wexec" "$tmp/load-$org" <<-'EOF'
	import json, sys, time, os
	org, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	os.makedirs(out, exist_ok=True)
	now = int(time.time() * 1000) - n * 50
	def iso(ms): return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ms // 1000)) + '.%03dZ' % (ms % 1000)
	batch, k = [], 0
	for i in range(n):
	    x, wf, t = '%s-x%d' % (org, i), 'wf-%d' % (i % 20), now + i * 50
	    ev = lambda kind, sfx, ts, **f: dict(type=kind, id='%s-%s' % (x, sfx), execution_id=x, workflow_id=wf, ts=iso(ts), **f)
	    batch.append(ev('execution.queued', 'q', t, workflow_name=wf, priority='NORMAL',
	                    steps=[{'id': 's%d' % s, 'name': 'Step %d' % s} for s in range(4)]))
	    batch.append(ev('execution.started', 's', t + 5))
	    for s in range(4):
	        batch.append(ev('step.started', 'a%d' % s, t + 10 + s * 8, step_id='s%d' % s))
	        batch.append(ev('step.completed', 'b%d' % s, t + 15 + s * 8, step_id='s%d' % s, duration_ms=5))
	    batch.append(ev('execution.completed' if i % 17 else 'execution.failed', 'e', t + 45,
	                    **({} if i % 17 else {'error': 'boom'})))
	    if len(batch) + 11 > 1000:   # the daemon takes at most 1000 events a request
	        open('%s/%06d.ndjson' % (out, k), 'w').write('\n'.join(json.dumps(e) for e in batch))
	        batch, k = [], k + 1
	if batch:
	    open('%s/%06d.ndjson' % (out, k), 'w').write('\n'.join(json.dumps(e) for e in batch))
	EOF
	local total=$((wexec * 11)) t0 t1 stored c0 c1
	c0=$(cpu_ticks "$cluster")
	t0=$(date +%s.%N)
	local answer
	for f in "$tmp/load-$org"/*.ndjson; do
		answer=$(taskset -c 1 curl -s -H "Authorization: Bearer $prod" -H 'Content-Type: application/x-ndjson' \
			--data-binary "@$f" "http://127.0.0.1:$daemon_port/v1/events")
		case $answer in *'"rejected":0'*) ;; *) echo "bench_metrics: refused: ${answer:0:300}" >&2; exit 1 ;; esac
	done
	local deadline=$((SECONDS + 1800))
	while :; do
		stored=$(curl -s "http://127.0.0.1:$daemon_port/metrics" | awk '$1 == "wfmond_events_stored_total" {print $2}')
		[ "${stored:-0}" -ge "$total" ] && break
		[ $SECONDS -lt $deadline ] || { echo "bench_metrics: only ${stored:-0} of $total stored" >&2; exit 1; }
		sleep 0.05
	done
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$cluster")
	local rate per_cpu share
	rate=$(awk "BEGIN {printf \"%.0f\", $total / ($t1 - $t0)}")
	per_cpu=$(awk "BEGIN {printf \"%.0f\", $total / (($c1 - $c0) / $(getconf CLK_TCK))}")
	# The store thread's own account: time writing events, time in rollup passes.
	share=$(curl -s "http://127.0.0.1:$daemon_port/metrics" | awk '
		$1 == "wfmond_store_write_seconds_total" {w = $2}
		$1 == "wfmond_metrics_rollup_seconds_total" {r = $2; have = 1}
		$1 == "wfmond_metrics_rollup_facts_total" {n = $2}
		END {if (have) printf "%.1f|rollup passes %.2f s of %.2f s store time (%.1f %%), %d facts", 100 * r / (w + r), r, w + r, 100 * r / (w + r), n}')
	stop_daemon
	src/tools/pgcluster.sh stop "$cluster" >/dev/null 2>&1
	rm -rf "$tmp/load-$org" "$cluster" "$tmp/spool-$org"
	printf '%-30s %6s events/s %6s events per CPU s   %s\n' "$label" "$rate" "$per_cpu" "${share#*|}"
	echo "$label|$rate|$per_cpu|${share%%|*}" >>"$tmp/write-rates"
}
# Back to back, the order reversed in the second round (drift on the
# machine weighs on both sides alike).
kinds=("rollups off" "rollups on (10 s)" "rollups on (1 s)")
[ -n "$base_build" ] && kinds=("before metrics" "${kinds[@]}")
run_kind() {
	case $2 in
	"before metrics") run_writes "round $1: $2" "base$1" "$base_build" ;;
	"rollups off") run_writes "round $1: $2" "off$1" "$build" --metrics-rollup-interval 0 ;;
	"rollups on (10 s)") run_writes "round $1: $2" "on$1" "$build" --metrics-rollup-interval 10 ;;
	"rollups on (1 s)") run_writes "round $1: $2" "fast$1" "$build" --metrics-rollup-interval 1 ;;
	esac
}
for ((round = 1; round <= ${BENCH_ROUNDS:-5}; round++)); do
	if ((round % 2)); then
		for k in "${kinds[@]}"; do run_kind $round "$k"; done
	else
		for ((i = ${#kinds[@]} - 1; i >= 0; i--)); do run_kind $round "${kinds[$i]}"; done
	fi
done
python3 - "$tmp/write-rates" <<-'EOF'
import sys, collections, statistics
runs = collections.defaultdict(dict)   # round -> kind -> (rate, per_cpu, share)
for line in open(sys.argv[1]):
    label, rate, per_cpu, share = line.strip().split('|')
    rnd, kind = label.split(': ', 1)
    runs[rnd][kind] = (float(rate), float(per_cpu), float(share) if share else None)
kinds = [k for k in ('before metrics', 'rollups off', 'rollups on (10 s)', 'rollups on (1 s)')
         if all(k in r for r in runs.values())]
print()
for on in ('rollups on (10 s)', 'rollups on (1 s)'):
    shares = [r[on][2] for r in runs.values() if r[on][2] is not None]
    print('%-17s rollup passes took %.1f %% of the store thread\'s time (median of %d runs)' % (
        on, statistics.median(shares), len(shares)))
for base in ('before metrics', 'rollups off'):
    if base not in kinds:
        continue
    for on in ('rollups on (10 s)', 'rollups on (1 s)'):
        w = [r[on][0] / r[base][0] for r in runs.values()]
        c = [r[on][1] / r[base][1] for r in runs.values()]
        print('%-17s / %-14s per round: events/s %s (median %.3f); per CPU s %s (median %.3f)' % (
            on, base, ' '.join('%.2f' % x for x in w), statistics.median(w),
            ' '.join('%.2f' % x for x in c), statistics.median(c)))
EOF
