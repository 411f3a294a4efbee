#!/bin/bash
# test_console_views.sh: the console's timeline, queue and resources views in
# tmux, against a real wfmond with a private PostgreSQL (src/tools/pgcluster.sh)
# fed by a scripted publisher (curl to /v1/events).
#
# The payment-processing execution is published with explicit timestamps, so
# its Gantt layout is fixed: validate-batch, then check-sanctions,
# check-balance and verify-iban in parallel, approve, then send-sepa and
# send-elixir in parallel, confirm. Three earlier runs give the step
# statistics the timeline compares with.
#
# Works with no terminal and an empty environment (as CI runs): tmux gets its
# own socket (-L wfmon-views-$$) and only that server is killed; the cluster
# lives in a temporary folder and is stopped and removed at the end.
set -u
export PATH=${PATH:-/usr/local/bin:/usr/bin:/bin}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${WFMON_BUILD:-$ROOT/build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
TMP=$(mktemp -d /tmp/wfmon-views.XXXXXX)
chmod 0755 "$TMP"
PG=$TMP/pg
SOCK=wfmon-views-$$
TM="tmux -L $SOCK -f /dev/null"
DPID=
PORT=
passed=0
failed=0
THRESHOLD=3

cleanup() {
	$TM kill-server 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	"$ROOT/src/tools/pgcluster.sh" stop "$PG" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

for tool in tmux curl; do
	command -v $tool >/dev/null || { echo "test_console_views: $tool is missing"; exit 1; }
done

# ---- database and daemon ----------------------------------------------------------
eval "$("$ROOT/src/tools/pgcluster.sh" start "$PG")" || { echo "test_console_views: no PostgreSQL cluster"; exit 1; }
[ -n "${WFMON_DB_APP:-}" ] && [ -n "${WFMON_DB_OWNER:-}" ] || { echo "pgcluster.sh printed no conninfo"; exit 1; }
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/secret"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

daemon_start() {
	"$B/wfmond" --listen "127.0.0.1:$PORT" --jwt-secret-file "$TMP/secret" --log-level warn \
		--database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$TMP/spool" \
		--queue-backlog-threshold $THRESHOLD --sample-interval 1 >>"$TMP/wfmond.log" 2>&1 &
	DPID=$!
	for _ in $(seq 1 200); do
		curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

for _ in $(seq 1 20); do
	PORT=$((20000 + RANDOM % 30000))
	port_free $PORT && daemon_start && break
	PORT=
done
[ -n "$PORT" ] || { echo "test_console_views: cannot start wfmond"; cat "$TMP/wfmond.log"; exit 1; }

"$B/wfmon" token --org acme --sub olga --role operator --secret-file "$TMP/secret" >"$TMP/operator" || exit 1
"$B/wfmon" token --org acme --sub pub --role producer --secret-file "$TMP/secret" >"$TMP/producer" || exit 1

# ---- publisher ------------------------------------------------------------------------
# Times are milliseconds since the epoch; every event of the payment runs gets
# its own timestamp, offsets from the run's start.
at() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000)); }
# ev TYPE EXEC WORKFLOW TS_MS EXTRA-FIELDS -> one event object. It runs in a
# subshell ($(ev ...)), so the id comes from the clock, not a counter.
ev() {
	printf '{"type":"%s","id":"ev-%s-%s","execution_id":"%s","workflow_id":"%s","ts":"%s"%s}' \
		"$1" "$(date +%s%N)" "$RANDOM" "$2" "$3" "$(at "$4")" "${5:+,$5}"
}
publish() { # events... (objects)
	local IFS=,
	local body="[$*]"
	local out
	out=$(curl -s -H "Authorization: Bearer $(cat "$TMP/producer")" -H 'Content-Type: application/json' \
		--data-binary "$body" "http://127.0.0.1:$PORT/v1/events")
	case $out in *'"rejected":0'*) ;; *) echo "publish rejected: $out"; echo "body: $body" ;; esac
	case $out in *duplicate*) echo "publish: duplicate event ids: $out" ;; esac
}

PLAN='[{"id":"validate-batch","name":"Validate batch"},
{"id":"check-sanctions","name":"Check sanctions","depends_on":["validate-batch"]},
{"id":"check-balance","name":"Check balance","depends_on":["validate-batch"]},
{"id":"verify-iban","name":"Verify IBAN","depends_on":["validate-batch"]},
{"id":"approve","name":"Approve","depends_on":["check-sanctions","check-balance","verify-iban"]},
{"id":"send-sepa","name":"Send SEPA","depends_on":["approve"]},
{"id":"send-elixir","name":"Send Elixir","depends_on":["approve"]},
{"id":"confirm","name":"Confirm","depends_on":["send-sepa","send-elixir"]}]'
PLAN=$(echo "$PLAN" | tr -d '\n')
# step id, start offset, end offset (ms from the run's start)
TIMES=("validate-batch 0 1000" "verify-iban 1000 1500" "check-balance 1100 2100" "check-sanctions 1200 4200"
	"approve 4500 5000" "send-sepa 5000 7000" "send-elixir 5100 6100" "confirm 7200 7400")

# payment_run EXEC START_MS SANCTIONS_MS: one complete run.
payment_run() {
	local x=$1 t=$2 sanctions=$3 evs=() s a b
	evs+=("$(ev execution.queued "$x" payment-processing $((t - 500)) "\"workflow_name\":\"Payment processing\",\"priority\":\"NORMAL\",\"steps\":$PLAN")")
	evs+=("$(ev execution.started "$x" payment-processing "$t" '"worker":"w1"')")
	for line in "${TIMES[@]}"; do
		read -r s a b <<<"$line"
		[ "$s" = check-sanctions ] && b=$((a + sanctions))
		evs+=("$(ev step.started "$x" payment-processing $((t + a)) "\"step_id\":\"$s\"")")
		evs+=("$(ev step.completed "$x" payment-processing $((t + b)) "\"step_id\":\"$s\",\"duration_ms\":$((b - a))")")
	done
	evs+=("$(ev execution.completed "$x" payment-processing $((t + 7400)) '"duration_ms":7400')")
	publish "${evs[@]}"
}

NOW=$(($(date +%s%3N)))
# Three earlier runs: check-sanctions took 2 s each time (avg = p95 = 2 s).
payment_run pp-old-1 $((NOW - 3600000)) 2000
payment_run pp-old-2 $((NOW - 2400000)) 2000
payment_run pp-old-3 $((NOW - 1200000)) 2000
# Today's run: check-sanctions takes 3 s: above the average and p95.
PP=pp-2026-11-23
payment_run $PP $((NOW - 60000)) 3000

# ---- the console ------------------------------------------------------------------------
console() { # NAME COLS ROWS ARGS...
	local name=$1 cols=$2 rows=$3
	shift 3
	mkdir -p "$TMP/cfg"
	$TM new-session -d -s "$name" -x "$cols" -y "$rows" -c "$TMP" -e XDG_CONFIG_HOME="$TMP/cfg" \
		-e NO_COLOR= -e LANG=C.UTF-8 \
		"$B/wfmon --url ws://127.0.0.1:$PORT --token-file $TMP/operator $* 2>>$TMP/console-$name.err; sleep 30"
}
screen() { $TM capture-pane -p -t "$1"; }
keys() { local s=$1; shift; $TM send-keys -t "$s" "$@"; }

ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() {
	failed=$((failed + 1))
	echo "FAIL: $1"
	echo "---- screen of $2 ----"
	screen "$2" | sed 's/^/| /'
	echo "----"
}
wait_for() { # SESSION WHAT EXTENDED-REGEX [TIMEOUT_S]
	local s=$1 what=$2 re=$3 t=${4:-5}
	local end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do
		screen "$s" | grep -Eq -- "$re" && { ok "$what"; return 0; }
		sleep 0.1
	done
	bad "$what: looked for /$re/ for ${t}s" "$s"
	return 1
}
wait_gone() { # SESSION WHAT EXTENDED-REGEX [TIMEOUT_S]
	local s=$1 what=$2 re=$3 t=${4:-5}
	local end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do
		screen "$s" | grep -Eq -- "$re" || { ok "$what"; return 0; }
		sleep 0.1
	done
	bad "$what: /$re/ still shown after ${t}s" "$s"
	return 1
}
line_of() { screen "$1" | grep -nE -- "$2" | head -n 1 | cut -d: -f1; }

# ---- timeline ---------------------------------------------------------------------------
console tl 120 30 --exec $PP
wait_for tl "execution view opens" "Steps \(8\)" 10
keys tl t
wait_for tl "t opens the timeline" "Timeline: Payment processing"
wait_for tl "timeline shows the total duration" "total 7(\.4)? s"
wait_for tl "timeline shows axis labels" "0s .*2s .*4s"
wait_for tl "the longest step is marked #1" "#1 Check sanctions"
l_sanc=$(line_of tl "Check sanctions")
l_bal=$(line_of tl "Check balance")
l_iban=$(line_of tl "Verify I")
l_val=$(line_of tl "Validate b")
if [ -n "$l_sanc" ] && [ -n "$l_bal" ] && [ -n "$l_iban" ] &&
	[ "$l_sanc" != "$l_bal" ] && [ "$l_bal" != "$l_iban" ] && [ "$l_sanc" != "$l_iban" ]; then
	ok "the three parallel checks are on three rows ($l_iban, $l_bal, $l_sanc)"
else
	bad "the three parallel checks are on three rows (got '$l_sanc' '$l_bal' '$l_iban')" tl
fi
if [ -n "$l_val" ] && [ "$l_val" = "$l_iban" ]; then ok "sequential steps share a row (validate, verify IBAN)"
else bad "validate-batch and verify-iban share row 0 (got '$l_val' '$l_iban')" tl; fi
l_sepa=$(line_of tl "Send SEPA")
l_elix=$(line_of tl "Send Elixir")
if [ -n "$l_sepa" ] && [ -n "$l_elix" ] && [ "$l_sepa" != "$l_elix" ]; then ok "send-sepa and send-elixir on separate rows"
else bad "send-sepa and send-elixir on separate rows (got '$l_sepa' '$l_elix')" tl; fi

# The cursor: first step, then check-sanctions (plan order).
keys tl g
wait_for tl "the cursor starts on validate-batch" "Validate batch \(validate-batch\)"
keys tl j
wait_for tl "j moves to check-sanctions" "Check sanctions \(check-sanctions\)"
wait_for tl "its start, duration and wait" "start \+1\.2s .*duration 3 s +waited 200 ms"
# Four finished runs (this one too): 2, 2, 2 and 3 s.
wait_for tl "compared with its history: +33% vs avg" "last 4 runs: avg 2\.2 s, p95 2\.8 s +\+33% vs avg" 10
wait_for tl "slow mark above p95" "SLOW: above p95"
wait_for tl "what it waited for" "after: validate-batch"
keys tl l
wait_for tl "l moves on in time (approve started next)" "Approve \(approve\)"
wait_for tl "approve waited for the slowest check" "duration 500 ms +waited 300 ms"
keys tl h h
wait_for tl "h goes back in time" "Check balance \(check-balance\)"
keys tl + +
wait_for tl "+ zooms in" "zoom x4"
keys tl '>'
wait_for tl "> pans (still zoomed)" "zoom x4"
keys tl 0
wait_gone tl "0 resets the zoom" "zoom x"
wait_for tl "0 shows the whole execution" "#1 Check sanctions"
keys tl '?'
wait_for tl "help lists the timeline's keys" "zoom in \(around the selected step\)"
keys tl x
keys tl Escape
wait_for tl "Esc goes back to the execution" "Steps \(8\)"
keys tl q

# ASCII, 80x24: the timeline fits and writes only ASCII.
$TM new-session -d -s ascii -x 80 -y 24 -c "$TMP" -e XDG_CONFIG_HOME="$TMP/cfg" -e LANG=C.UTF-8 \
	"$B/wfmon --url ws://127.0.0.1:$PORT --token-file $TMP/operator --ascii --mono --exec $PP; sleep 30"
wait_for ascii "ascii: execution view" "Steps \(8\)" 10
keys ascii t
wait_for ascii "ascii: timeline at 80x24" "Timeline: Payment processing"
wait_for ascii "ascii: tick marks in ASCII" "\+-+\+"
if screen ascii | LC_ALL=C grep -q '[^ -~]'; then bad "ascii timeline: only printable ASCII" ascii
else ok "ascii timeline: only printable ASCII"; fi
keys ascii q

# ---- queue --------------------------------------------------------------------------------
console q 110 32
wait_for q "console up" "LIVE" 10
QNOW=$(date +%s%3N)
evs=()
for i in $(seq 1 $((THRESHOLD + 1))); do
	evs+=("$(ev execution.queued "ne-$i" nightly-export $((QNOW - (10 - i) * 1000)) '"workflow_name":"Nightly export","priority":"NORMAL","steps":[{"id":"dump","name":"Dump"}]')")
done
publish "${evs[@]}"
wait_for q "the header warns of the backlog" "BACKLOG: $((THRESHOLD + 1)) queued \(threshold $THRESHOLD\)" 10
keys q Q
wait_for q "Q opens the queue view" "Queue \($((THRESHOLD + 1))\)"
wait_for q "queue view: the backlog warning with the clearance estimate" "BACKLOG: $((THRESHOLD + 1)) queued \(threshold $THRESHOLD\), clears in"
wait_for q "queue view: depth and priorities" "depth $((THRESHOLD + 1)) +high 0 +normal $((THRESHOLD + 1)) +low 0"
wait_for q "queue view: the oldest and its age" "oldest ne-1, waiting [0-9]+ s"
wait_for q "queue view: the depth graph" "Depth, last"
wait_for q "queue view: queued oldest first" "^ +1 Nightly export +ne-1 "
wait_for q "queue view: the last queued is last" "^ +$((THRESHOLD + 1)) Nightly export +ne-$((THRESHOLD + 1)) "
keys q p
wait_for q "p: the daemon raised the priority" "the server raised the priority of ne-1 to high" 10
keys q q

# Polish: the queue view and its warning.
$TM new-session -d -s pl -x 110 -y 32 -c "$TMP" -e XDG_CONFIG_HOME="$TMP/cfg" -e LC_ALL=C.UTF-8 -e LANGUAGE=pl \
	"$B/wfmon --url ws://127.0.0.1:$PORT --token-file $TMP/operator; sleep 30"
wait_for pl "Polish console up" "NA ŻYWO" 10
keys pl : queue Enter
wait_for pl "Polish: the queue view's backlog warning" "ZALEGŁOŚCI: $((THRESHOLD + 1)) w kolejce \(próg $THRESHOLD\)"
wait_for pl "Polish: the queue's numbers" "długość $((THRESHOLD + 1))"
keys pl q

# --readonly: p is refused in the console.
console ro 110 32 --readonly
wait_for ro "readonly console up" "READONLY" 10
keys ro : queue Enter
wait_for ro ":queue opens the queue view" "Queue \("
keys ro j p
wait_for ro "readonly: p is disabled and says so" "read-only console \(--readonly\): raising a priority is disabled"
keys ro q

# ---- resources ------------------------------------------------------------------------------
console res 110 36
wait_for res "console up" "LIVE" 10
keys res R
wait_for res "R opens the resources view" "Resources"
wait_for res "resources: host CPU and memory" "host CPU [0-9]+\.[0-9] % +memory .* of .*\([0-9.]+ %\)" 10
wait_for res "resources: database connections in use, idle, max" "database up +connections [0-9]+ in use, [0-9]+ idle, max [0-9]+" 15
wait_for res "resources: daemon CPU and RSS" "daemon CPU .* RSS [0-9.]+ [KMG]iB"
wait_for res "resources: WebSocket connections" "WebSocket connections [1-9]"
wait_for res "resources: events/s" "events/s [0-9.]+ in, [0-9.]+ out"
wait_for res "resources: history graphs" "Host CPU .*last"
keys res '?'
wait_for res "help lists the resources view's keys" "the queue view"
keys res x Escape
wait_for res "Esc goes back to the executions" "Executions \("
keys res q

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
