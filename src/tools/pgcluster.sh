#!/bin/bash
# pgcluster.sh: a private PostgreSQL 15 cluster for tests and the demo.
#
#   pgcluster.sh start DIR    initialise DIR/data if missing, start the server on
#                             a Unix socket in DIR/run only (no TCP), create the
#                             database wfmon, the owner role wfmon_owner and the
#                             daemon role wfmon_app (idempotent), and print the
#                             two conninfo strings as shell assignments:
#                               WFMON_DB_OWNER='host=DIR/run dbname=wfmon user=wfmon_owner'
#                               WFMON_DB_APP='host=DIR/run dbname=wfmon user=wfmon_app'
#   pgcluster.sh stop DIR     fast shutdown (no error when it is not running)
#   pgcluster.sh status DIR   exit 0 when running, 3 when not
#
# PGCLUSTER_CONF, when set at the first start, holds extra postgresql.conf
# lines for the new cluster (the metrics benchmark gives its large history
# more shared buffers this way).
#
# PostgreSQL refuses to run as root: as root every server command runs as the
# postgres OS user, which then owns DIR (DIR's parents must be traversable by
# it). Authentication on the socket is trust: the socket folder is private.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
# runuser lives in /usr/sbin, which a minimal PATH may leave out.
export PATH="${PATH:-/usr/bin:/bin}:/usr/sbin:/sbin"

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
data=$dir/data
run=$dir/run

as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# The server's tools complain when they cannot see the current folder.
cd "$dir"

running() { as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; }

psql_su() { # database, then psql arguments
	local db=$1; shift
	as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$run" -U postgres -d "$db" "$@"
}

start() {
	chmod 0755 "$dir"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir"
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		rm -rf "$data"
		as_pg "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
			>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
		cat >>"$data/postgresql.conf" <<-EOF
		# pgcluster.sh: private cluster, Unix socket only
		listen_addresses = ''
		unix_socket_directories = '$run'
		max_connections = 50
		shared_buffers = 32MB
		EOF
		if [ -n "${PGCLUSTER_CONF:-}" ]; then
			printf '%s\n' "$PGCLUSTER_CONF" >>"$data/postgresql.conf"
		fi
	fi
	as_pg mkdir -p "$run"
	if ! running; then
		as_pg "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
			{ tail -n 20 "$dir/server.log" >&2; exit 1; }
	fi
	psql_su postgres <<-'EOF'
	DO $$
	BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wfmon_owner') THEN
			CREATE ROLE wfmon_owner LOGIN;
		END IF;
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wfmon_app') THEN
			CREATE ROLE wfmon_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
		END IF;
	END
	$$;
	EOF
	if [ -z "$(psql_su postgres -c "SELECT 1 FROM pg_database WHERE datname = 'wfmon'")" ]; then
		psql_su postgres -c "CREATE DATABASE wfmon OWNER wfmon_owner"
	fi
	# The daemon role may connect but not create anything, not even temporary tables.
	psql_su wfmon <<-'EOF'
	SET client_min_messages = warning;
	REVOKE ALL ON DATABASE wfmon FROM PUBLIC;
	GRANT CONNECT ON DATABASE wfmon TO wfmon_app;
	GRANT CONNECT, CREATE, TEMPORARY ON DATABASE wfmon TO wfmon_owner;
	REVOKE CREATE ON SCHEMA public FROM PUBLIC;
	ALTER SCHEMA public OWNER TO wfmon_owner;
	-- Read-only statistics (pg_stat_activity's states) for the resources view.
	GRANT pg_monitor TO wfmon_app;
	EOF
	echo "WFMON_DB_OWNER='host=$run dbname=wfmon user=wfmon_owner'"
	echo "WFMON_DB_APP='host=$run dbname=wfmon user=wfmon_app'"
}

stop() {
	if [ -f "$data/PG_VERSION" ] && running; then
		as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
	fi
}

case $cmd in
start) start ;;
stop) stop ;;
status) if [ -f "$data/PG_VERSION" ] && running; then echo running; else echo stopped; exit 3; fi ;;
*) usage ;;
esac
