#!/bin/bash
# tests/bench_retention.sh: what retention costs PostgreSQL to remove a day of
# old events, row by row (execution_events before migration 0014, the way
# src/store/retention.c deleted: 1000 rows a statement, one transaction each,
# then the VACUUM those dead rows need) and by dropping the day's partition
# (after 0014: wfmon_partitions_drop). `make bench-retention`.
#
# One private cluster (autovacuum off, so that every cost is counted where it
# is made), two databases in it, one per schema: `before` (migrations up to
# 0012) and `after` (all of them). Each gets BENCH_ROWS events received 40 days
# ago and as many received today (the rows that stay, so the indexes have
# their real size); then the old ones are removed, back to back, twice (the
# order reversed the second time). Measured: wall time and the cluster's CPU
# (postmaster and backends, from /proc), and the rows left. The cluster runs
# on CPU 1 when there are two.
set -eu
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-300000}
rounds=${BENCH_ROUNDS:-2}

tmp=$(mktemp -d /tmp/wfmon-retention.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	src/tools/pgcluster.sh stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PGCLUSTER_CONF="autovacuum = off
shared_buffers = 256MB"
eval "$(src/tools/pgcluster.sh start "$tmp/pg")"
pm=$(head -n 1 "$tmp/pg/data/postmaster.pid")
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	taskset -a -p -c 1 "$pm" >/dev/null
fi
sql() { # DB, then psql arguments
	local db=$1
	shift
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$tmp/pg/run" -U wfmon_owner -d "$db" "$@"
}

# pg_ticks: clock ticks the cluster used so far (the postmaster, what it reaped, its live children).
pg_ticks() {
	local t p
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
	for p in $(pgrep -P "$pm"); do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
hz=$(getconf CLK_TCK)

# schema DB LAST: a fresh database with the migrations up to LAST (a file name prefix).
schema() {
	psql -X -q -h "$tmp/pg/run" -U postgres -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" \
		-c "CREATE DATABASE $1 OWNER wfmon_owner" >/dev/null
	local f
	for f in src/store/migrations/*.sql; do
		[[ $(basename "$f") > $2 ]] && break
		sql "$1" -1 -f "$f" >/dev/null
	done
}

# fill DB: BENCH_ROWS events received 40 days ago and as many today.
fill() {
	sql "$1" >/dev/null <<-EOF
	BEGIN;
	SELECT set_config('wfmon.org', 'bench', true);
	INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, step_id, ts,
				      received_at, body)
	SELECT 'bench', g, 'ev-' || g, 'x-' || (g / 20), 'wf-' || (g % 50), 'step.completed', 's' || (g % 20),
	       t, t, jsonb_build_object('id', 'ev-' || g, 'type', 'step.completed', 'execution_id', 'x-' || (g / 20),
					'workflow_id', 'wf-' || (g % 50), 'step_id', 's' || (g % 20),
					'output', jsonb_build_object('rows', g, 'note', repeat('x', 120)))
	FROM generate_series(1, 2 * $rows) g,
	     LATERAL (SELECT CASE WHEN g <= $rows THEN now() - interval '40 days' ELSE now() END AS t) a;
	COMMIT;
	ANALYZE execution_events;
	EOF
	psql -X -q -h "$tmp/pg/run" -U postgres -d "$1" -c CHECKPOINT
}

# measure LABEL DB SQL-FILE: runs the file in one session; prints a result line.
measure() {
	local c0 t0 t1 c1 left
	sync
	c0=$(pg_ticks)
	t0=$(date +%s.%N)
	sql "$2" -f "$3" >/dev/null
	t1=$(date +%s.%N)
	c1=$(pg_ticks)
	left=$(sql "$2" -c "SELECT set_config('wfmon.org', 'bench', false)" \
		-c "SELECT count(*) FROM execution_events WHERE received_at < now() - interval '30 days'" | tail -n 1)
	awk -v l="$1" -v n="$rows" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v left="$left" \
		'BEGIN { printf "%-34s %9d rows %9.2f s %9.2f s CPU %8.2f µs CPU/row  %d old rows left\n",
			 l, n, t1 - t0, (c1 - c0) / hz, (c1 - c0) / hz * 1e6 / n, left }'
}

# The row-by-row script: retention.c's statement, one transaction a batch.
batches=$(((rows + 999) / 1000 + 1))
{
	for ((i = 0; i < batches; i++)); do
		echo "BEGIN; SELECT set_config('wfmon.org', 'bench', true);"
		echo "DELETE FROM execution_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM execution_events WHERE" \
			"received_at < now() - 30 * interval '1 day' LIMIT 1000)); COMMIT;"
	done
} >"$tmp/rows.sql"
echo "VACUUM execution_events;" >"$tmp/vacuum.sql"
echo "SELECT wfmon_partitions_drop('execution_events', ((now() - interval '30 days') AT TIME ZONE 'UTC')::date, 8);" \
	>"$tmp/drop.sql"

run_before() {
	schema before 0012_zz
	fill before
	measure "before 0014: DELETE, 1000 a statement" before "$tmp/rows.sql"
	measure "before 0014: the VACUUM after it" before "$tmp/vacuum.sql"
}
run_after() {
	schema after 0014_zz
	sql after -c "SELECT wfmon_partitions_ensure(((now() - interval '40 days') AT TIME ZONE 'UTC')::date,
		((now() - interval '40 days') AT TIME ZONE 'UTC')::date)" >/dev/null
	fill after
	measure "after 0014: DROP of the day partition" after "$tmp/drop.sql"
}

echo "bench_retention: $rows old rows to remove and $rows that stay; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= rounds; round++)); do
	echo "round $round:"
	if ((round % 2 == 1)); then run_before; run_after; else run_after; run_before; fi
done
echo "bench_retention: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
