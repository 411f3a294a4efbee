#!/bin/bash
# test_console_cluster.sh: the console on a node of a cluster whose Redis goes
# away (wfmond(8), CLUSTER, "Redis away"): a real redis-server, a private
# PostgreSQL (src/tools/pgcluster.sh), one wfmond node, the console in tmux on
# an execution's view. While Redis is away the producer's batches are
# acknowledged from the node's outbox and the console shows them at once as
# pending: the log lines appear, the execution's title and the header count
# them; when Redis is back their numbered copies only move the positions (each
# line is shown once) and the counts go.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init cluster
command -v redis-server >/dev/null || { echo "test_console_cluster: redis-server is missing"; exit 1; }
PG=$TMP/pg
pg_stop() { "$ROOT/src/tools/pgcluster.sh" stop "$PG" >/dev/null 2>&1; }
console_at_exit pg_stop
RPID=
redis_stop() { [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null; RPID=; }
console_at_exit redis_stop
redis_start() {
	redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$TMP" --save "" --appendonly yes \
		--appendfsync always >>"$TMP/redis.log" 2>&1 &
	RPID=$!
	for _ in $(seq 1 100); do
		[ "$(printf 'PING\r\n' | timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RPORT; cat >&3; head -c 5 <&3" 2>/dev/null)" = "+PONG" ] && return 0
		sleep 0.05
	done
	echo "test_console_cluster: redis-server did not start"; cat "$TMP/redis.log"; exit 1
}
for _ in $(seq 1 20); do
	RPORT=$((20000 + RANDOM % 30000))
	port_free $RPORT && break
done
redis_start

eval "$("$ROOT/src/tools/pgcluster.sh" start "$PG")" || { echo "test_console_cluster: no PostgreSQL cluster"; exit 1; }
daemon_start_any_port --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$TMP/spool" \
	--cluster "redis://127.0.0.1:$RPORT"
mint_token ann viewer
mint_token pub producer

now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
ev() { event_json "$1" "$2" "$3" "$(now)" "${4:-}"; }
X=ex-cl-1
log_line() { ev log $X close-books "\"level\":\"info\",\"message\":\"$1\""; }
publish "$(ev execution.queued $X close-books '"workflow_name":"Close the books","priority":"HIGH","steps":[{"id":"a","name":"Post accruals"}]')" \
	"$(ev execution.started $X close-books '"worker":"w1"')" \
	"$(log_line "before the outage")"

console_start main 110 30 viewer LANG=C.UTF-8 -- --exec $X
wait_for main "the execution opens, live" "Close the books.*running" 10
wait_for main "its log so far" "before the outage"
wait_gone main "nothing pending yet" "PENDING"

redis_stop
wait_for main "the header says the other nodes are delayed" "OTHER NODES DELAYED" 10
publish "$(log_line "taken while away one")" "$(log_line "taken while away two")"
publish "$(log_line "taken while away three")"
wait_for main "the pending lines are shown at once" "taken while away three"
wait_for main "the execution's title counts its pending events" "Close the books.* 3 EVENTS PENDING"
wait_for main "the header counts the node's pending events" "OTHER NODES DELAYED +3 EVENTS PENDING" 5

redis_start
wait_gone main "Redis back: nothing pending" "PENDING" 15
wait_gone main "the header is plain LIVE again" "DELAYED" 10
for w in one two three; do
	count_is main "the line '$w' is shown once" "taken while away $w" 1
done
publish "$(log_line "after the outage")"
wait_for main "the log goes on after it" "after the outage"
count_is main "the line before the outage is shown once" "before the outage" 1

# Polish
console_start pl 110 30 viewer LANG=C.UTF-8 LANGUAGE=pl -- --exec $X
wait_for pl "Polish console live" "Close the books"
redis_stop
wait_for pl "Polish header: other nodes delayed" "POZOSTAŁE WĘZŁY OPÓŹNIONE" 10
publish "$(log_line "po polsku")"
wait_for pl "Polish: one pending event" "1 ZDARZENIE OCZEKUJE"
publish "$(log_line "po polsku dwa")"
wait_for pl "Polish: two pending events" "2 ZDARZENIA OCZEKUJĄ"
redis_start
wait_gone pl "Polish: nothing pending once Redis is back" "OCZEKUJ" 15

console_test_summary
