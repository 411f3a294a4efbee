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
# The daemon, tmux, the publisher and the checks are tests/support/console.sh
# (no terminal and an empty environment are fine, as CI runs it); the cluster
# lives in the temporary folder and is stopped and removed at the end.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init views
PG=$TMP/pg
THRESHOLD=3
pg_stop() { "$ROOT/src/tools/pgcluster.sh" stop "$PG" >/dev/null 2>&1; }
console_at_exit pg_stop

# ---- database and daemon ----------------------------------------------------------
eval "$("$ROOT/src/tools/pgcluster.sh" start "$PG")" || { echo "test_console_views: no PostgreSQL cluster"; exit 1; }
[ -n "${WFMON_DB_APP:-}" ] && [ -n "${WFMON_DB_OWNER:-}" ] || { echo "pgcluster.sh printed no conninfo"; exit 1; }
daemon_start_any_port --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$TMP/spool" \
	--queue-backlog-threshold $THRESHOLD --sample-interval 1 --cpu-threshold 100   # a busy host must not hide the backlog notice
mint_token olga operator
mint_token pub producer

# ---- publisher ------------------------------------------------------------------------
# Times are milliseconds since the epoch; every event of the payment runs gets
# its own timestamp, offsets from the run's start.
at() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000)); }
# ev TYPE EXEC WORKFLOW TS_MS EXTRA-FIELDS -> one event object.
ev() { event_json "$1" "$2" "$3" "$(at "$4")" "${5:-}"; }

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
console() { # NAME COLS ROWS ARGS...: the operator's console in English
	local name=$1 cols=$2 rows=$3
	shift 3
	console_start "$name" "$cols" "$rows" operator LANG=C.UTF-8 -- "$@"
}

# ---- timeline ---------------------------------------------------------------------------
console tl 120 30 --exec $PP
wait_for tl "execution view opens" "Steps \(8\)" 10
keys tl t
wait_for tl "t opens the timeline" "Timeline: Payment processing"
wait_for tl "timeline shows the total duration" "total 7(\.4)? s"
wait_for tl "timeline shows axis labels" "0 s .*2 s .*4 s"
wait_for tl "the longest step is marked #1" "#1 Check sanctions"
# validate-batch ends in the column where verify-iban starts: the first name
# gives way, with an ellipsis and a blank, never running into the next.
wait_for tl "bar names keep apart" "#3 Validate b[^ ]*… +Verify I"
count_is tl "no bar name runs into the next" "[[:alnum:]](Verify|Approve|Send|Con)" 0
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
wait_for tl "its start, duration and wait" "start \+1\.2 s .*duration 3\.0 s +waited 200 ms"
# Four finished runs (this one too): 2, 2, 2 and 3 s: avg 2.25 and p95 2.85,
# rounded half up.
wait_for tl "compared with its history: +33% vs avg" "last 4 runs: avg 2\.3 s, p95 2\.9 s +\+33% vs avg" 10
wait_for tl "slow mark above p95" "SLOW: above p95"
wait_for tl "what it waited for" "after: validate-batch"
keys tl l
wait_for tl "l moves on in time (approve started next)" "Approve \(approve\)"
wait_for tl "approve waited for the slowest check" "duration 500 ms +waited 300 ms"
keys tl h h
wait_for tl "h goes back in time" "Check balance \(check-balance\)"
keys tl + +
wait_for tl "+ zooms in" "zoom x4"
# The axis labels (the line under the title) are the window's span: a pan
# that moved nothing would leave them as they are.
axis=$(screen tl | sed -n "$(($(line_of tl '^ Timeline: ') + 1))p")
keys tl '>'
wait_gone tl "> pans: the axis moves on" "^$(printf '%s' "$axis" | sed 's/[][\\.*^$+?(){}|]/\\&/g')\$"
wait_for tl "> pans (still zoomed)" "zoom x4"
keys tl 0
wait_gone tl "0 resets the zoom" "zoom x"
# Only the whole execution puts 0 s at the left edge and its end (7 s) on
# the same axis: a window zoomed x4 spans a quarter of it.
wait_for tl "0 shows the whole execution" "^ 0 s .* 7 s"
keys tl '?'
wait_for tl "help lists the timeline's keys" "zoom in \(around the selected step\)"
keys tl x
keys tl Escape
wait_for tl "Esc goes back to the execution" "Steps \(8\)"
keys tl q

# ASCII, 80x24: the timeline fits and writes only ASCII.
console ascii 80 24 --ascii --mono --exec $PP
wait_for ascii "ascii: execution view" "Steps \(8\)" 10
keys ascii t
wait_for ascii "ascii: timeline at 80x24" "Timeline: Payment processing"
wait_for ascii "ascii: tick marks in ASCII" "\+-+\+"
ascii_only ascii "ascii timeline: only printable ASCII"
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
console_start pl 110 32 operator LC_ALL=C.UTF-8 LANGUAGE=pl
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
wait_for res "R opens the resources view" "^ Resources +sampled at"
wait_for res "resources: host CPU and memory" "host CPU [0-9]+\.[0-9]% +memory .* of .*\([0-9.]+%\)" 10
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

console_test_summary
