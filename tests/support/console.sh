# console.sh: shared machinery of the console tests in tests/integration
# (test_console*.sh): a real wfmond on a free loopback port, tokens for it,
# a publisher (curl to /v1/events), consoles in a private tmux server, and
# checks that read their screens.
#
# Use it like this:
#
#   . "$(dirname "$0")/../support/console.sh"
#   console_test_init NAME        # temp dir, EXIT trap, tool checks, secret
#   console_at_exit FUNCTION      # optional: run before the temp dir goes
#   daemon_start_any_port [wfmond flags...]
#   mint_token SUB ROLE           # writes $TMP/ROLE
#   console_start SESSION COLS ROWS ROLE [VAR=VALUE...] -- [wfmon args...]
#   wait_for SESSION "what it shows" 'extended regex' [timeout_s]
#   ...
#   console_test_summary          # last line: "N passed, N failed", status
#
# Works with no terminal and an empty environment (as CI runs: env -i with
# WFMON_BUILD set): tmux gets its own socket (-L wfmon-NAME-$$, -f /dev/null)
# and only that server is killed; a console sees only what console_start gives
# it. Every wait polls with a timeout; every failed check prints what it
# looked for and the screen. The script exits non-zero on any failure.
#
# Variables for the scenario: ROOT (the source tree), B (the build folder,
# absolute), TMP (the temp folder, also each console's working folder), TM
# (the tmux command), PORT and URL (the daemon), passed and failed.

set -u
export PATH=${PATH:-/usr/local/bin:/usr/bin:/bin}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${WFMON_BUILD:-$ROOT/build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
TEST_NAME=$(basename "$0" .sh)
TMP=
TM=
DPID=
PORT=
URL=
DAEMON_FLAGS=()
EXIT_HOOKS=()
passed=0
failed=0

# ---- set-up and clean-up --------------------------------------------------------------

# console_test_init NAME: makes /tmp/wfmon-NAME.XXXXXX (traversable: the
# test cluster's postgres user must reach its folder when CI runs as root),
# the tmux command on socket wfmon-NAME-$$, the EXIT trap, and the secret.
console_test_init() {
	TMP=$(mktemp -d "/tmp/wfmon-$1.XXXXXX")
	chmod 0755 "$TMP"
	TM="tmux -L wfmon-$1-$$ -f /dev/null"
	trap console_test_cleanup EXIT
	local tool
	for tool in tmux curl; do
		command -v $tool >/dev/null || { echo "$TEST_NAME: $tool is missing"; exit 1; }
	done
	head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/secret"
}

# console_at_exit FUNCTION: the clean-up calls FUNCTION once the consoles and
# the daemon are gone and before the temp folder is removed.
console_at_exit() { EXIT_HOOKS+=("$1"); }

console_test_cleanup() {
	$TM kill-server 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	local hook
	for hook in "${EXIT_HOOKS[@]}"; do "$hook"; done
	rm -rf "$TMP"
}

# console_test_summary: the last command of a test; its status is the test's.
console_test_summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# ---- the daemon -----------------------------------------------------------------------

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# daemon_start: starts wfmond on $PORT with DAEMON_FLAGS (also after
# daemon_stop, on the same port) and waits up to 10 s for /healthz.
daemon_start() {
	"$B/wfmond" --listen "127.0.0.1:$PORT" --jwt-secret-file "$TMP/secret" --log-level warn \
		"${DAEMON_FLAGS[@]}" >>"$TMP/wfmond.log" 2>&1 &
	DPID=$!
	for _ in $(seq 1 200); do
		curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || { DPID=; return 1; }
		sleep 0.05
	done
	return 1
}

daemon_stop() {
	kill "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

# daemon_start_any_port [wfmond flags...]: tries random ports until the
# daemon answers; sets PORT and URL, or prints the log and exits.
daemon_start_any_port() {
	DAEMON_FLAGS=("$@")
	for _ in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 30000))
		port_free $PORT && daemon_start && break
		PORT=
	done
	[ -n "$PORT" ] || { echo "$TEST_NAME: cannot start wfmond"; cat "$TMP/wfmond.log"; exit 1; }
	URL=ws://127.0.0.1:$PORT
}

# mint_token SUB ROLE: a token of org acme written to $TMP/ROLE.
mint_token() {
	"$B/wfmon" token --org acme --sub "$1" --role "$2" --secret-file "$TMP/secret" >"$TMP/$2" || exit 1
}

# ---- the publisher --------------------------------------------------------------------

# event_json TYPE EXEC WORKFLOW TS [EXTRA-FIELDS] -> one event object. Called
# in a subshell ($(event_json ...)), so the id comes from the clock and
# $RANDOM, not a counter.
event_json() {
	printf '{"type":"%s","id":"ev-%s-%s","execution_id":"%s","workflow_id":"%s","ts":"%s"%s}' \
		"$1" "$(date +%s%N)" "$RANDOM" "$2" "$3" "$4" "${5:+,$5}"
}

# post_events BODY: posts a JSON array as the producer; prints the answer.
post_events() {
	curl -s -H "Authorization: Bearer $(cat "$TMP/producer")" -H 'Content-Type: application/json' \
		--data-binary "$1" "http://127.0.0.1:$PORT/v1/events"
}

# publish EVENT...: posts the objects as one batch and says so when the
# daemon rejected any or saw a duplicate id.
publish() {
	local IFS=,
	local body="[$*]"
	local out
	out=$(post_events "$body")
	case $out in *'"rejected":0'*) ;; *) echo "publish rejected: $out"; echo "body: $body" ;; esac
	case $out in *duplicate*) echo "publish: duplicate event ids: $out" ;; esac
}

# ---- consoles -------------------------------------------------------------------------

# console_start SESSION COLS ROWS ROLE [VAR=VALUE...] [-- wfmon args...]:
# wfmon with the token $TMP/ROLE in a detached COLSxROWS session. Its
# environment is tmux's plus the VARs (set LANG yourself: none is inherited),
# its stderr goes to $TMP/console-SESSION.err, and the pane stays 30 s after
# wfmon ends so the last screen can still be read.
console_start() {
	local name=$1 cols=$2 rows=$3 tok=$4
	shift 4
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=(-e "$1"); shift; done
	[ $# -gt 0 ] && shift
	mkdir -p "$TMP/cfg"
	$TM new-session -d -s "$name" -x "$cols" -y "$rows" -c "$TMP" -e XDG_CONFIG_HOME="$TMP/cfg" \
		-e NO_COLOR= "${envs[@]}" \
		"$B/wfmon --url $URL --token-file $TMP/$tok --view executions $* 2>>$TMP/console-$name.err; sleep 30"
}
screen() { $TM capture-pane -p -t "$1"; }
keys() { local s=$1; shift; $TM send-keys -t "$s" "$@"; }
# screen_grep SESSION GREP-ARGS...: grep over the screen. The screen is UTF-8
# whatever the test's own locale (empty under env -i), and a mark such as ✔
# must be one character to `[^ ]`.
screen_grep() { local s=$1; shift; screen "$s" | LC_ALL=C.UTF-8 grep "$@"; }
# line_of SESSION REGEX: the number of the first screen line that matches.
line_of() { screen_grep "$1" -nE -- "$2" | head -n 1 | cut -d: -f1; }

# ---- checks ---------------------------------------------------------------------------

ok() { passed=$((passed + 1)); echo "ok: $1"; }
# bad WHAT [SESSION]: a failure, with the session's screen when one is named.
bad() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	if [ -n "${2:-}" ]; then
		echo "---- screen of $2 ----"
		screen "$2" | sed 's/^/| /'
		echo "----"
	fi
}
# wait_for SESSION WHAT EXTENDED-REGEX [TIMEOUT_S]: until a line matches.
wait_for() {
	local s=$1 what=$2 re=$3 t=${4:-5}
	local end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do
		screen_grep "$s" -Eq -- "$re" && { ok "$what"; return 0; }
		sleep 0.1
	done
	bad "$what: looked for /$re/ for ${t}s" "$s"
	return 1
}
# wait_gone SESSION WHAT EXTENDED-REGEX [TIMEOUT_S]: until no line matches.
wait_gone() {
	local s=$1 what=$2 re=$3 t=${4:-5}
	local end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do
		screen_grep "$s" -Eq -- "$re" || { ok "$what"; return 0; }
		sleep 0.1
	done
	bad "$what: /$re/ still shown after ${t}s" "$s"
	return 1
}
# count_is SESSION WHAT EXTENDED-REGEX N: exactly N lines match.
count_is() {
	local n
	n=$(screen_grep "$1" -Ec -- "$3")
	if [ "$n" -eq "$4" ]; then ok "$2"; else bad "$2: /$3/ on $n lines, wanted $4" "$1"; fi
}
# ascii_only SESSION WHAT: every byte on the screen is printable ASCII.
ascii_only() {
	if screen "$1" | LC_ALL=C grep -q '[^ -~]'; then bad "$2" "$1"; else ok "$2"; fi
}
