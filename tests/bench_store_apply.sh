#!/bin/bash
# tests/bench_store_apply.sh BUILD: PostgreSQL's own cost of storing events,
# without the daemon (`make bench-store`). It isolates what the ingest
# benchmark cannot: PostgreSQL's CPU per event apart from the machine's noise.
#
# One private cluster (on CPU 1 when there are two; psql on CPU 0), one
# database per schema: `base` migrated by BENCH_BASE/wfmond when BENCH_BASE is
# set (a build of an older tree), `this` by BUILD/wfmond. BENCH_BATCHES batches
# of BENCH_BATCH spool records (tests/bench/store_records.py: 100 executions
# at once; the `mixed` shape has 15 % step, counter and execution events, the
# `log` shape only log lines, as wfmon-bench publishes) are written through
# the SQL the daemon sends for its schema (one transaction per batch, as
# src/store/write.c does: one jsonb array up to migration 0015, typed
# columns from 0016), then the same batches once more (a spool replay:
# nothing may be stored twice). Measured per run: wall time, the backend's CPU
# (/proc/PID/stat of the session) and the whole cluster's (postmaster, its
# children and what it reaped: walwriter, checkpointer, autovacuum), per event
# stored, and the rows stored. Rounds alternate the order of the schemas.
# BENCH_PERF=1 also records `perf record -g` of the backend of each run into
# $tmp (kept, path printed) and prints its top symbols.
# The log shape also gets a floor row, `this+copy`: the same rows as the write
# function makes them, COPYed into this schema's execution_events, one
# transaction a batch (no JSON to expand, no projection to update): what
# PostgreSQL itself spends on those rows and their indexes on this machine.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
base=${BENCH_BASE:-}
batches=${BENCH_BATCHES:-100}
size=${BENCH_BATCH:-1000}
rounds=${BENCH_ROUNDS:-2}
shapes=${BENCH_SHAPES:-mixed log}
for bin in "$build/wfmond" ${base:+"$base/wfmond"}; do
	[ -x "$bin" ] || { echo "bench_store_apply: $bin is missing; run make first" >&2; exit 1; }
done
. tests/support/bench_pin.sh
. tests/support/bench_pg.sh

tmp=$(mktemp -d /tmp/wfmon-storeapply.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	src/tools/pgcluster.sh stop "$tmp/pg" >/dev/null 2>&1 || true
	[ "${BENCH_PERF:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$(src/tools/pgcluster.sh start "$tmp/pg")"
pm=$(head -n 1 "$tmp/pg/data/postmaster.pid")
[ ${#pin_load[@]} -gt 0 ] && taskset -a -p -c 1 "$pm" >/dev/null
hz=$(getconf CLK_TCK)

su_sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$tmp/pg/run" -U postgres "$@"; }

# schema NAME BUILD: database NAME migrated by BUILD/wfmond.
schema() {
	su_sql -d postgres -c "CREATE DATABASE $1 OWNER wfmon_owner" >/dev/null
	"$2/wfmond" --migrate --database-owner "host=$tmp/pg/run dbname=$1 user=wfmon_owner" \
		--app-role wfmon_app >/dev/null 2>"$tmp/migrate.log" ||
		{ cat "$tmp/migrate.log" >&2; exit 1; }
}
dbs=(this)
schema this "$build"
if [ -n "$base" ]; then
	dbs=(base this)
	schema base "$base"
fi

# cluster_ticks: clock ticks the cluster used so far.
cat >"$tmp/ticks.sh" <<-EOF
#!/bin/bash
# ticks.sh OUT BACKEND_PID: appends "ns backend_ticks cluster_ticks" to OUT.
b=\$(awk '{print \$14 + \$15}' /proc/\$2/stat)
t=\$(awk '{print \$14 + \$15 + \$16 + \$17}' /proc/$pm/stat)
for p in \$(pgrep -P $pm); do
	[ -r /proc/\$p/stat ] && t=\$((t + \$(awk '{print \$14 + \$15}' /proc/\$p/stat 2>/dev/null || echo 0)))
done
echo "\$(date +%s%N) \$b \$t" >>"\$1"
EOF
chmod +x "$tmp/ticks.sh"

# records_of SHAPE: the shape's batches (one file a shape, for every schema).
records_of() {
	local share=0.85
	[ "$1" = log ] && share=1
	[ -f "$tmp/$1.jsonl" ] || python3 tests/bench/store_records.py "$batches" "$size" "$share" >"$tmp/$1.jsonl"
	echo "$tmp/$1.jsonl"
}
# copy_sql SHAPE: the floor's psql script (COPY of the rows, CPU read around).
copy_sql() {
	local f=$tmp/copy-$1.sql
	[ -f "$f" ] && { echo "$f"; return; }
	mkdir -p "$tmp/copy"
	{
		echo "SELECT pg_backend_pid() AS bpid \\gset"
		echo "\\setenv BPID :bpid"
		echo "SET wfmon.org = 'bench';"
		echo "\\! $tmp/ticks.sh $tmp/ticks \$BPID"
		python3 tests/bench/store_records.py --copy "$tmp/copy" <"$(records_of "$1")"
		echo "\\! $tmp/ticks.sh $tmp/ticks \$BPID"
	} >"$f"
	echo "$f"
}
printf '%-5s %-5s %-11s %9s %10s %11s %11s %8s\n' round shape db events/s "wall µs" "backend µs" "cluster µs" stored
for r in $(seq 1 "$rounds"); do
	order=("${dbs[@]}")
	[ $((r % 2)) = 0 ] && order=($(printf '%s\n' "${dbs[@]}" | tac))
	for shape in $shapes; do
		runs=("${order[@]}")
		[ "$shape" = log ] && runs+=(copy)
		for run in "${runs[@]}"; do
			# COPY FROM is refused under row-level security: the floor runs
			# as the superuser, whom it does not bind.
			db=$run label=$run user=wfmon_app
			[ "$run" = copy ] && db=this label=this+copy user=postgres
			records=$(records_of "$shape")
			[ "$run" = copy ] && f=$(copy_sql "$shape")
			su_sql -d "$db" -c "SET client_min_messages = warning" \
				-c "TRUNCATE execution_events, workflows, workflow_executions, step_executions,
				    execution_counters, execution_metrics, step_metrics, resource_metrics" \
				-c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
			rm -f "$tmp/ticks"
			perf_pid=
			if [ "$run" = copy ]; then
				"${pin_daemon[@]}" psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$tmp/pg/run" -U "$user" \
					-d "$db" -f "$f" >/dev/null &
			else
				# The statements the daemon sends for this schema: from
				# migration 0016 on, typed columns.
				form=jsonb
				[ "$(su_sql -d "$db" -c "SELECT to_regproc('wfmon_store_events') IS NOT NULL")" = t ] &&
					form=columns
				"${pin_daemon[@]}" python3 tests/bench/store_records.py --bind "$form" \
					"host=$tmp/pg/run dbname=$db user=$user" "$tmp/ticks.sh $tmp/ticks" 2 \
					<"$records" &
			fi
			psql_pid=$!
			if [ "${BENCH_PERF:-0}" = 1 ]; then
				while [ ! -s "$tmp/ticks" ]; do sleep 0.02; done
				bpid=$(pgrep -P "$pm" -n)
				perf record -q -g -p "$bpid" -o "$tmp/perf-$r-$shape-$label.data" >/dev/null 2>&1 &
				perf_pid=$!
			fi
			wait "$psql_pid"
			if [ -n "$perf_pid" ]; then
				kill -INT "$perf_pid"
				wait "$perf_pid" || true
			fi
			want=$((batches * size))
			stored=$(su_sql -d "$db" -c "SELECT count(*) FROM execution_events")
			[ "$stored" = "$want" ] || { echo "bench_store_apply: $db stored $stored of $want events" >&2; exit 1; }
			awk -v hz="$hz" -v n="$want" -v r="$r" -v s="$shape" -v db="$label" -v stored="$stored" '
				{ t[NR] = $1; b[NR] = $2; c[NR] = $3 }
				function row(name, i, st) {
					wall = (t[i + 1] - t[i]) / 1e3 / n
					printf "%-5s %-5s %-11s %9.0f %10.1f %11.1f %11.1f %8s\n", r, s, name, 1e6 / wall, wall,
					       (b[i + 1] - b[i]) * 1e6 / hz / n, (c[i + 1] - c[i]) * 1e6 / hz / n, st
				}
				END { row(db, 1, stored); if (NR > 2) row(db "+replay", 2, "-") }' "$tmp/ticks"
			if [ -n "$perf_pid" ]; then
				echo "  perf: $tmp/perf-$r-$shape-$label.data (backend, both passes)"
				perf report -i "$tmp/perf-$r-$shape-$label.data" --no-children --stdio --percent-limit 1.2 \
					--sort dso,sym 2>/dev/null | grep -E '^ +[0-9]' | head -30 | sed 's/^/  /'
			fi
		done
	done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
