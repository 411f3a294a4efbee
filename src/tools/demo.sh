#!/bin/bash
# demo.sh: `make demo`: a private PostgreSQL cluster, wfmond, wfmon-sim with
# realistic traffic, and the console, all started from the checkout.
#
# Everything lives in demo-data/ (git-ignored): the cluster, the spool, the
# JWT secret, tokens and logs. Running it again reuses the cluster and the
# history. Quitting the console (or Ctrl-C) stops everything it started.
#
# Environment: BUILD (build), WFMON_DEMO_DIR (demo-data), WFMON_DEMO_PORT
# (7681, or a free one when that is taken), WFMON_DEMO_RATE (executions per
# minute, 30), WFMON_DEMO_SPEED (time compression of the simulator, 2).
set -u
cd "$(dirname "$0")/../.."
top=$PWD
build=${BUILD:-build}
dir=${WFMON_DEMO_DIR:-$top/demo-data}
rate=${WFMON_DEMO_RATE:-30}
speed=${WFMON_DEMO_SPEED:-2}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pgcluster=$top/src/tools/pgcluster.sh

say() { printf 'demo: %s\n' "$*"; }

daemon_pid= sim_pid= started_pg=
cleanup() {
	trap - EXIT INT TERM HUP
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	[ -n "$started_pg" ] && "$pgcluster" stop "$dir/pg" >/dev/null 2>&1
	say "stopped; history kept in $dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The Polish locale, so that LANG=pl_PL.UTF-8 works in the console.
if [ "$(id -u)" = 0 ] && ! locale -a 2>/dev/null | grep -qi '^pl_PL.utf8$'; then
	localedef -i pl_PL -f UTF-8 pl_PL.UTF-8 2>/dev/null || true
fi

say "starting PostgreSQL in $dir/pg"
pg_out=$("$pgcluster" start "$dir/pg") || { say "PostgreSQL did not start"; exit 1; }
started_pg=1
eval "$pg_out"   # WFMON_DB_OWNER, WFMON_DB_APP

[ -s "$dir/secret" ] || { head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$dir/secret"; chmod 600 "$dir/secret"; }

port=${WFMON_DEMO_PORT:-7681}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
url=ws://127.0.0.1:$port

say "starting wfmond on $url (log: $dir/wfmond.log)"
"$build/wfmond" --listen "127.0.0.1:$port" --jwt-secret-file "$dir/secret" \
	--database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$dir/spool" \
	>>"$dir/wfmond.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	kill -0 "$daemon_pid" 2>/dev/null || { say "wfmond exited:"; tail -n 20 "$dir/wfmond.log"; exit 1; }
	sleep 0.1
done

"$build/wfmon" token --org demo --sub wfmon-sim --role producer --ttl 7d --secret-file "$dir/secret" >"$dir/producer.token"
"$build/wfmon" token --org demo --sub "${USER:-operator}" --role operator --ttl 7d --secret-file "$dir/secret" >"$dir/operator.token"

say "starting wfmon-sim: $rate executions a minute (log: $dir/sim.log)"
"$build/wfmon-sim" --url "$url" --token-file "$dir/producer.token" --rate "$rate" --speed "$speed" \
	--workers 4 --quiet >>"$dir/sim.log" 2>&1 &
sim_pid=$!

cat <<EOF
demo: wfmond  $url   (metrics: http://127.0.0.1:$port/metrics)
demo: token   $dir/operator.token
demo: again   $build/wfmon --url $url --token-file $dir/operator.token
EOF

if [ -t 0 ] && [ -t 1 ]; then
	"$build/wfmon" --url "$url" --token-file "$dir/operator.token"
else
	say "no terminal: showing the live stream of the organization (Ctrl-C to stop)"
	"$build/wfmon" tail --url "$url" --token-file "$dir/operator.token" org
fi
