# tests/support/bench_pg.sh: sourced by the benchmarks that store (from the
# tree's top). The private cluster of src/tools/pgcluster.sh is made for tests
# and the demo (shared_buffers 32MB, checkpoints every 1GB of WAL); a
# benchmark of PostgreSQL's cost per stored event runs it as a server would
# be set up, so that a run's events fit in its buffers and checkpoints do not
# come every few seconds: the same settings for every such benchmark, so that
# their figures compare.
export PGCLUSTER_CONF="shared_buffers = 256MB
max_wal_size = 4GB"

# bench_pg_ticks DATA_DIR: the clock ticks the cluster of DATA_DIR used so
# far, as "BACKENDS OTHERS": its sessions (backends: client connections) and
# the rest (the postmaster, what it reaped, its other processes: the WAL
# writer, checkpointer, background writer, autovacuum).
bench_pg_ticks() {
	local pm p t backends=0 others
	pm=$(head -n 1 "$1/postmaster.pid")
	others=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
	for p in $(pgrep -P "$pm"); do
		t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || continue
		[ -n "$t" ] || continue
		# A backend's title is "postgres: USER DATABASE ...": a client's session.
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q '^postgres: wfmon'; then
			backends=$((backends + t))
		else
			others=$((others + t))
		fi
	done
	echo "$backends $others"
}
