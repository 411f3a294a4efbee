#!/bin/bash
# tests/ack_gap.sh [DAEMON_BUILD]: the longest wait between two
# acknowledgements a producer sees while the spool drains after a PostgreSQL
# outage (`make bench-acks`).
#
# A private PostgreSQL cluster and DAEMON_BUILD/wfmond (default build) with a
# database, the daemon pinned to CPU 0; this tree's wfmon-bench
# (build/wfmon-bench) and PostgreSQL pinned to CPU 1; the bench publishes ACK_RATE events/s (800) in publishes of ACK_BATCH events
# (8) with at most 4 publishes unacknowledged, as a producer with a bounded
# window does. After WARMUP_S (5) PostgreSQL stops for OUTAGE_S (60); when it
# is back, the daemon drains what its spool took meanwhile while the load goes
# on. The script prints the
# longest gap between two acknowledgements during the drain (from PostgreSQL's
# restart until the spool holds less than a second of traffic), during the
# outage and before it, as one JSON line, also appended to
# DAEMON_BUILD/ack-gap-results.jsonl. Goal: under 100 ms during the drain.
# An acknowledgement waits for the spool's fdatasync whatever PostgreSQL does:
# "drain_syncs_over_100ms" counts the group commits the disk took longer than
# 100 ms over during the drain (from the daemon's wfmond_spool_sync_seconds),
# the floor under any gap.
#
# DAEMON_BUILD may be another tree's build (an older wfmond, to compare): only
# its wfmond is used.
set -u
cd "$(dirname "$0")/.."
daemon_build=${1:-build}
rate=${ACK_RATE:-800}
# Events per publish: 100 publishes/s at 800 events/s, within the default
# request budget (200/s); an acknowledgement is due every 10 ms.
batch=${ACK_BATCH:-8}
outage=${OUTAGE_S:-60}
warmup=${WARMUP_S:-5}
drain_max=${DRAIN_MAX_S:-120}
bench=build/wfmon-bench
for bin in "$daemon_build/wfmond" build/wfmon "$bench"; do
	[ -x "$bin" ] || { echo "ack_gap: $bin is missing; run make first" >&2; exit 1; }
done
cpus=$(nproc)
pin_daemon=() pin_bench=()
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then
	pin_daemon=(taskset -c 0) pin_bench=(taskset -c 1)
fi

tmp=$(mktemp -d /tmp/wfmon-ackgap.XXXXXX)
chmod 755 "$tmp"   # the cluster runs as postgres when we are root
daemon_pid= bench_pid=
cleanup() {
	[ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null
	wait 2>/dev/null
	src/tools/pgcluster.sh stop "$tmp/pg" >/dev/null 2>&1
	[ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL (its postmaster, and the backends it forks) runs beside the load,
# off the daemon's CPU, as it would on a host of its own.
pin_pg() {
	[ ${#pin_bench[@]} -gt 0 ] || return 0
	local pid
	pid=$(head -n 1 "$tmp/pg/data/postmaster.pid" 2>/dev/null) && taskset -a -p -c 1 "$pid" >/dev/null
}
conninfo=$(src/tools/pgcluster.sh start "$tmp/pg") || { echo "ack_gap: no PostgreSQL cluster" >&2; exit 1; }
eval "$conninfo"
pin_pg
head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$tmp/secret"
for role in viewer producer; do
	build/wfmon token --org ackgap --sub "ackgap-$role" --role "$role" --ttl 2h \
		--secret-file "$tmp/secret" >"$tmp/$role.jwt" || exit 1
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${pin_daemon[@]}" "$daemon_build/wfmond" --config /dev/null --listen "127.0.0.1:$port" \
	--jwt-secret-file "$tmp/secret" --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" \
	--spool-dir "$tmp/spool" --reconnect-max 1 --log-level info >"$tmp/wfmond.log" 2>&1 &
daemon_pid=$!
metric() { curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | sed -n "s/^$1 //p"; }
# Group commits of the spool that took over 100 ms so far (the disk's share
# of any gap), empty with a daemon that does not count them.
slow_syncs() {
	curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '
		/^wfmond_spool_sync_seconds_count / { n = $2 }
		/^wfmond_spool_sync_seconds_bucket\{le="0.1"\} / { le = $2 }
		END { if (n != "") print n - le }'
}
for _ in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
[ "$(metric wfmond_database_up)" = 1 ] || { echo "ack_gap: the daemon did not start:"; cat "$tmp/wfmond.log"; exit 1; }

now_ms() { date +%s%3N; }
total=$((warmup + outage + drain_max))
"${pin_bench[@]}" "$bench" --url "ws://127.0.0.1:$port" --token-file "$tmp/viewer.jwt" \
	--producer-token-file "$tmp/producer.jwt" --subscribers 1 --rate "$rate" --batch "$batch" --warmup 1 \
	--duration "$total" --ack-gaps "$tmp/gaps" >"$tmp/bench.json" 2>"$tmp/bench.log" &
bench_pid=$!
sleep "$warmup"
t_stop=$(now_ms)
src/tools/pgcluster.sh stop "$tmp/pg" >/dev/null
sleep "$outage"
spooled=$(metric wfmond_spool_pending_events)
slow_before=$(slow_syncs)
t_restart=$(now_ms)
src/tools/pgcluster.sh start "$tmp/pg" >/dev/null
pin_pg
# Drained: less than a second of traffic waiting (the load goes on).
t_drained=
for _ in $(seq $((drain_max * 10))); do
	pending=$(metric wfmond_spool_pending_events)
	if [ -n "$pending" ] && [ "$pending" -lt "$rate" ] && [ "$(metric wfmond_database_up)" = 1 ]; then
		t_drained=$(now_ms)
		break
	fi
	sleep 0.1
done
[ -n "$t_drained" ] || { echo "ack_gap: the spool did not drain in ${drain_max} s"; tail "$tmp/wfmond.log"; exit 1; }
# A little of the steady state after the drain, then stop the load.
sleep 2
t_end=$(now_ms)
slow_after=$(slow_syncs)
slow_drain=null
[ -n "$slow_before" ] && [ -n "$slow_after" ] && slow_drain=$((slow_after - slow_before))
kill -TERM "$bench_pid" 2>/dev/null   # (a background job of a script ignores SIGINT)
wait "$bench_pid" 2>/dev/null
bench_pid=

max_gap() { # FROM_MS TO_MS: the longest gap (ms) ending in [FROM, TO], 0 if none over 10 ms
	awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b && $2 > m { m = $2 } END { printf "%.1f", m + 0 }' "$tmp/gaps"
}
gaps_over() { # FROM TO LIMIT_MS
	awk -v a="$1" -v b="$2" -v l="$3" '$1 >= a && $1 <= b && $2 > l { n++ } END { print n + 0 }' "$tmp/gaps"
}
drain_s=$(awk -v a="$t_restart" -v b="$t_drained" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
line=$(printf '{"daemon":"%s","rate":%s,"outage_s":%s,"spooled":%s,"drain_s":%s,"drain_ack_gap_max_ms":%s,"drain_gaps_over_100ms":%s,"drain_syncs_over_100ms":%s,"outage_ack_gap_max_ms":%s,"before_ack_gap_max_ms":%s,"pinned":%s}' \
	"$daemon_build/wfmond" "$rate" "$outage" "${spooled:-null}" "$drain_s" \
	"$(max_gap "$t_restart" "$t_end")" "$(gaps_over "$t_restart" "$t_end" 100)" "$slow_drain" \
	"$(max_gap "$t_stop" "$t_restart")" "$(max_gap 0 "$t_stop")" \
	"$([ ${#pin_daemon[@]} -gt 0 ] && echo true || echo false)")
echo "$line"
echo "$line" >>"$daemon_build/ack-gap-results.jsonl"
