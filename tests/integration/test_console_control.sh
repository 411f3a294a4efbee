#!/bin/bash
# test_console_control.sh: issue 17 in the console (tmux, a real wfmond).
#
#   - a script reported by `wfmon run`, its steps unplanned (`wfmon step`),
#     one of them retried: the steps appear as they run, in the execution
#     view and the timeline, the retried one with its attempt and the first
#     attempt's error in the step view;
#   - cancel from the console: asked first, refused to a viewer and under
#     --readonly, the request shown until the producer (wfmon run) answers,
#     then the execution cancelled and the command stopped (143);
#   - a retry of that execution: the producer that ran it is gone, and the
#     daemon's answer says so;
#   - the workflows view (W): a schedule whose expected run was missed shows
#     MISSED with what was missed, and on time once the run arrives.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init control
daemon_start_any_port
mint_token olga operator
mint_token vera viewer
mint_token cron producer
export WFMON_OUTBOX=$TMP/outbox
unset WFMON_EXECUTION_ID WFMON_WORKFLOW_ID WFMON_TOKEN WFMON_TOKEN_FILE

# ---- a script with unplanned steps, one retried, then a long wait ---------------------
PATH="$B:$PATH" "$B/wfmon" run --url "$URL" --token-file "$TMP/producer" --workflow month-close \
	--name "Month close" --label period=2026-11 --execution-id close-7 -- sh -c '
	wfmon step "Fetch bank statements" -- sh -c "echo fetched 12 files"
	wfmon step --attempt 1 "Send JPK" -- sh -c "echo gateway said 502 >&2; exit 1"
	wfmon step --attempt 2 "Send JPK" -- sh -c "echo sent"
	echo waiting for the bank; sleep 60' >"$TMP/run.out" 2>"$TMP/run.err" &
RUN_PID=$!

console_start op 120 30 operator LANG=C.UTF-8
console_start viewer 100 30 viewer LANG=C.UTF-8
wait_for op "the script's execution is listed" 'Month close.*running' 10
wait_for viewer "... for the viewer too" 'Month close' 10

# The viewer may not cancel: said at once, nothing asked.
keys viewer c
wait_for viewer "a viewer's cancel is refused in words" "only operators and admins may cancel or retry executions \\(your role: viewer\\)" 5

keys op Enter
wait_for op "an unplanned step appears as it ran" 'Fetch bank statements' 10
wait_for op "the retried unplanned step with its attempt" 'Send JPK.*#2' 10
wait_for op "the execution's labels" 'period=2026-11' 5
# The step view: the first attempt's error.
for _ in $(seq 1 10); do
	screen_grep op -q '^ *[>▶].*Send JPK' && break
	keys op j
	sleep 0.1
done
keys op Enter
wait_for op "the step view lists the earlier attempt and its error" '#1 .*failed.*(gateway|exit status 1)' 5
keys op Escape
keys op t
wait_for op "the timeline shows the unplanned steps" 'Fetch bank statements' 5
for _ in $(seq 1 6); do
	screen_grep op -q 'attempts: #1 failed' && break
	keys op j
	sleep 0.2
done
wait_for op "the Gantt: the retried step's attempts, each with its duration and error" \
	'attempts: #1 failed [0-9.]+ m?s \(exit status 1\); #2 completed [0-9.]+ m?s' 5
keys op Escape

# Cancel: asked first ("n" keeps it running), then confirmed.
keys op c
wait_for op "cancel asks first" 'Cancel close-7' 5
keys op n
wait_for op "answering no: said, nothing asked" '^ *cancelled *$' 5
sleep 0.5
kill -0 $RUN_PID 2>/dev/null && ok "the command still runs after no" || bad "the command stopped after no"
keys op c
wait_for op "cancel asks again" 'Cancel close-7' 5
keys op y
wait_for op "the execution ends cancelled" 'CANCELLED|[Cc]ancelled by olga' 15
wait $RUN_PID
rc=$?
[ $rc -eq 143 ] && ok "the command was stopped (143)" || bad "wfmon run exited $rc, not 143"
grep -q "asked from the console to cancel close-7" "$TMP/run.err" && ok "wfmon run said who cancelled" ||
	bad "wfmon run's words: $(cat "$TMP/run.err")"

# Retry: the producer that ran it is gone; the daemon says so.
keys op r
wait_for op "retry asks first" 'Retry close-7' 5
keys op y
wait_for op "no producer listens: said in words" 'cannot retry close-7: no producer of this organization listens' 10
# A producer that listens but did not run it (wfmon-sim) says nothing: the
# request stays shown as waiting for the producer.
"$B/wfmon-sim" --url "$URL" --token-file "$TMP/producer" --rate 0.001 --quiet >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
sleep 1
keys op r
wait_for op "retry asks again" 'Retry close-7' 5
keys op y
wait_for op "the request shown until the producer answers" 'retry asked by olga: waiting for the producer' 10
sleep 1.5
wait_for op "... and still shown while it does not" 'retry asked by olga: waiting for the producer' 1
kill $SIM_PID
keys op Escape

# ---- the workflows view: a missed schedule, then the run ----------------------------
echo '{"workflow_id":"vat-return","name":"VAT return","working_day":1,"at":"00:00","since":"2020-01-01T00:00:00Z"}' |
	"$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" schedule - >"$TMP/sched.out" 2>&1 ||
	bad "schedule save: $(cat "$TMP/sched.out")"
keys op W
wait_for op "the workflows view" 'Workflows \([0-9]+\)' 5
wait_for op "the missed schedule: MISSED, what was missed" 'VAT return.*MISSED +did not start \(due [0-9]{4}-[0-9]{2}-0[1-5]' 10
wait_for op "the header counts it" 'schedule\(s\) missed' 5
wait_for op "the cancelled month close is listed with its last run" 'Month close.*cancelled' 5
wait_for op "... marked as cancelled, not as a success" '^(⊘|-) Month close' 5
PATH="$B:$PATH" "$B/wfmon" run --url "$URL" --token-file "$TMP/producer" --workflow vat-return --name "VAT return" \
	-- true >/dev/null 2>&1 || bad "the VAT run"
wait_for op "the run arrives: on time" 'VAT return.*on time' 10
wait_gone op "no schedule missed any more" 'schedule\(s\) missed' 5

console_test_summary
