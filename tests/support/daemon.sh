# daemon.sh: shell helpers for integration tests: a real wfmond on a free
# loopback port with its own secret, and tokens for it. Source it; it uses
# $WFMON_BUILD (default build) and cleans up with daemon_cleanup (trap it).

WFMON_BUILD=${WFMON_BUILD:-build}
TEST_DIR=$(mktemp -d /tmp/wfmon-shtest.XXXXXX)
DAEMON_PID=
DAEMON_PORT=

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# daemon_start [extra flags...]: starts wfmond and waits for /healthz.
daemon_start() {
	[ -f "$TEST_DIR/secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TEST_DIR/secret"
	[ -n "$DAEMON_PORT" ] || DAEMON_PORT=$(free_port)
	"$WFMON_BUILD/wfmond" --listen "127.0.0.1:$DAEMON_PORT" --jwt-secret-file "$TEST_DIR/secret" \
		--log-level info --config /dev/null "$@" >>"$TEST_DIR/wfmond.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 1 200); do
		if curl -fsS "http://127.0.0.1:$DAEMON_PORT/healthz" >/dev/null 2>&1; then return 0; fi
		kill -0 "$DAEMON_PID" 2>/dev/null || { echo "wfmond exited; log:"; cat "$TEST_DIR/wfmond.log"; return 1; }
		sleep 0.05
	done
	echo "wfmond did not answer /healthz"; return 1
}

daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	local rc=$?
	DAEMON_PID=
	return $rc
}

# mint ORG SUB ROLE FILE: writes a token to FILE.
mint() {
	"$WFMON_BUILD/wfmon" token --org "$1" --sub "$2" --role "$3" --ttl 1h \
		--secret-file "$TEST_DIR/secret" >"$4"
}

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

daemon_cleanup() {
	[ -n "$DAEMON_PID" ] && kill -KILL "$DAEMON_PID" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	if [ "${KEEP_TEST_DIR:-}" = "" ]; then rm -rf "$TEST_DIR"; fi
}
