#!/bin/bash
# test_console.sh: drives the real console (wfmon with no subcommand) in tmux
# against a real wfmond fed by a scripted publisher (curl to /v1/events).
#
# The daemon, tmux, the publisher and the checks are tests/support/console.sh:
# it works with no terminal and an empty environment (as CI runs), prints the
# screen with every failed check and exits non-zero on any failure.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init console
daemon_start_any_port
mint_token ann viewer
mint_token pub producer

# ---- publisher ------------------------------------------------------------------
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# ev TYPE EXEC WORKFLOW EXTRA-FIELDS -> one event object, stamped now.
ev() { event_json "$1" "$2" "$3" "$(now)" "${4:-}"; }

STEP_NAMES=("Lock the period" "Import bank statements" "Match payments" "Accrue costs"
	"Fetch Meta insights" "Fetch POS orders" "Reconcile VAT" "Depreciation run"
	"FX revaluation" "Trial balance" "Management report" "Close the period")
plan() {
	local s="" i
	for i in $(seq 1 12); do
		s+=$(printf '{"id":"s%02d","name":"%s"%s}' $i "${STEP_NAMES[$((i - 1))]}" \
			"$([ $i -gt 1 ] && printf ',"depends_on":["s%02d"]' $((i - 1)))")
		[ $i -lt 12 ] && s+=,
	done
	echo "[$s]"
}
MEC=ex-mec-1
step_done() { # exec step ms
	publish "$(ev step.started $1 month-end-closing "\"step_id\":\"$2\",\"input\":{\"step\":\"$2\"}")" \
		"$(ev step.completed $1 month-end-closing "\"step_id\":\"$2\",\"duration_ms\":$3,\"output\":{\"ok\":true},\"cpu_percent\":12.5,\"memory_bytes\":10485760")"
}

# Background executions of another workflow: running, completed, failed.
publish \
	"$(ev execution.queued ex-ds-1 daily-sync '"workflow_name":"Daily sync","priority":"LOW","steps":[{"id":"f","name":"Fetch"},{"id":"l","name":"Load","depends_on":["f"]}]')" \
	"$(ev execution.started ex-ds-1 daily-sync)" \
	"$(ev step.started ex-ds-1 daily-sync '"step_id":"f"')" \
	"$(ev execution.queued ex-ds-2 daily-sync '"workflow_name":"Daily sync","priority":"NORMAL","steps":[{"id":"f","name":"Fetch"}]')" \
	"$(ev execution.started ex-ds-2 daily-sync)" \
	"$(ev step.completed ex-ds-2 daily-sync '"step_id":"f","duration_ms":1200')" \
	"$(ev execution.completed ex-ds-2 daily-sync '"duration_ms":1500')" \
	"$(ev execution.queued ex-ds-3 daily-sync '"workflow_name":"Daily sync","priority":"NORMAL","steps":[{"id":"f","name":"Fetch"}]')" \
	"$(ev execution.started ex-ds-3 daily-sync)" \
	"$(ev step.failed ex-ds-3 daily-sync '"step_id":"f","error":"Meta Graph API error 17: User request limit reached","error_code":"META_RATE_LIMIT"')" \
	"$(ev execution.failed ex-ds-3 daily-sync '"error":"Meta Graph API error 17"')"

# The 12-step month-end closing: 4 steps done, the 5th running with progress.
publish "$(ev execution.queued $MEC month-end-closing "\"workflow_name\":\"Month-end closing\",\"priority\":\"HIGH\",\"params\":{\"period\":\"2026-10\"},\"steps\":$(plan)")" \
	"$(ev execution.started $MEC month-end-closing '"worker":"w1"')"
for i in 1 2 3 4; do step_done $MEC s0$i $((i * 1000 + 250)); done
publish "$(ev step.started $MEC month-end-closing '"step_id":"s05","input":{"days":10,"from":"2026-10-01"}')" \
	"$(ev step.progress $MEC month-end-closing '"step_id":"s05","current":3,"total":10,"unit":"days"')"
publish "$(ev counter $MEC month-end-closing '"name":"Meta insights fetched","value":1234')" \
	"$(ev log $MEC month-end-closing '"level":"info","message":"Synchronizing 10 days","step_id":"s05"')"

# ---- the console ------------------------------------------------------------------
console_start main 110 40 viewer LANG=C.UTF-8 --

wait_for main "header shows LIVE, org and user" "org acme .*user ann \(viewer\).*LIVE"
wait_for main "executions list fills" "Month-end closing.*running"
wait_for main "failed execution listed" "Daily sync.*failed"
wait_for main "header counts running" "running 2"
wait_for main "progress of the 12-step execution" "Month-end closing.* 33%"

# Updates appear while watching.
publish "$(ev execution.queued ex-ds-4 daily-sync '"workflow_name":"Daily sync","priority":"HIGH","steps":[{"id":"f","name":"Fetch"}]')"
wait_for main "a new execution appears (queued)" "ex-ds-4.*queued"

# Filter by status: 3 failed only.
keys main 3
wait_gone main "status filter 3 hides running ones" "Month-end closing"
wait_for main "status filter 3 shows the failed one" "ex-ds-3.*failed"
keys main 1
wait_for main "status filter 1 shows all again" "Month-end closing"
keys main 5
wait_for main "status filter 5 shows queued" "ex-ds-4"
wait_gone main "status filter 5 hides the rest" "ex-ds-3"
keys main 1

# Filter by text / regular expression.
keys main / 'mon.*clos' Enter
wait_gone main "regex filter hides other workflows" "Daily sync"
wait_for main "regex filter keeps the match" "Month-end closing"
keys main / C-u Enter
wait_for main "clearing the filter shows all" "Daily sync"

# :wf
keys main : 'wf daily-sync' Enter
wait_gone main ":wf filters by workflow" "Month-end closing"
keys main : wf Enter
wait_for main ":wf with no name shows all" "Month-end closing"

# The execution view: all 12 steps with the right marks.
keys main : "exec $MEC" Enter
wait_for main "execution view opens" "Steps \(12\)"
for n in "${STEP_NAMES[@]}"; do
	count_is main "step '$n' shown once" "^ [^ ] $n " 1
done
count_is main "4 completed steps marked ✔" "✔ .*completed" 4
count_is main "pending steps shown" "· .*pending" 7
wait_for main "running step with progress in days" "Fetch Meta insights +running .*3/10 days"
wait_for main "progress line in days" "Processing 3 of 10 days"
wait_for main "counter shown" "Meta insights fetched: 1,234"
wait_for main "LIVE badge while it runs" "running +LIVE"
wait_for main "log pane shows the log line" "INFO +s05: Synchronizing 10 days"

# It moves on: step 5 completes, step 6 fails with an error.
publish "$(ev counter $MEC month-end-closing '"name":"Meta insights fetched","value":2500')" \
	"$(ev step.progress $MEC month-end-closing '"step_id":"s05","current":10,"total":10,"unit":"days"')" \
	"$(ev step.completed $MEC month-end-closing '"step_id":"s05","duration_ms":4200,"output":{"rows":2500}')" \
	"$(ev step.started $MEC month-end-closing '"step_id":"s06"')" \
	"$(ev step.failed $MEC month-end-closing '"step_id":"s06","error":"POS API returned HTTP 502 for 2026-10-01\nretry later","error_code":"POS_HTTP_502"')"
wait_for main "counter counts up live" "Meta insights fetched: 2,500"
wait_for main "failed step shows ✘ and the first line of its error" "✘ Fetch POS orders +failed .*POS API returned HTTP 502 for 2026-10-01"
wait_for main "the log says Step failed" "Step failed: s06"
wait_for main "the log says Step completed" "Step completed: s05"
count_is main "5 completed steps" "✔ .*completed" 5

# The step view: input and output.
keys main g j j j j Enter
# The step view's title, not the execution view's row of the same step
# (that one starts with its mark).
wait_for main "step view shows the step" "^ Fetch Meta insights +completed +$MEC"
wait_for main "step input shown" '"days": 10'
wait_for main "step output shown" '"rows": 2500'
wait_for main "step duration shown" "duration: 4.2 s"
keys main w Enter
for _ in $(seq 1 30); do [ -s "$TMP/wfmon-$MEC-s05.json" ] && break; sleep 0.1; done
if grep -q '"rows": 2500' "$TMP/wfmon-$MEC-s05.json" 2>/dev/null; then ok "w writes the step's data"
else bad "w writes the step's data to $TMP/wfmon-$MEC-s05.json" main; fi
wait_for main "w says where it went" "wrote [0-9]+ bytes to .*wfmon-$MEC-s05.json"
keys main y
wait_for main "y copies with OSC 52" "copied [0-9]+ bytes to the clipboard"

# Help lists the keys of the view.
keys main '?'
wait_for main "? lists the step view's keys" "copy the input and output to the clipboard"
wait_for main "? lists the global keys" "show this help"
keys main x
wait_gone main "any key closes the help" "show this help"
keys main Escape
wait_for main "Esc goes back to the execution" "Steps \(12\)"
keys main '?'
wait_for main "? in the execution view" "move the focus between steps and log"
keys main x

# The daemon restarts mid-run: RECONNECTING, then the same execution, nothing lost or doubled.
daemon_stop
wait_for main "RECONNECTING shown while the daemon is down" "RECONNECTING" 8
daemon_start || { echo "cannot restart wfmond"; exit 1; }
step_done $MEC s07 900
wait_for main "back LIVE after the restart" "LIVE" 20
wait_for main "resync said on the message line" "reconnected: (resynchronised|nothing missed)" 20
wait_for main "a step completed after the restart is shown" "✔ Reconcile VAT +completed" 10
for n in "${STEP_NAMES[@]}"; do
	count_is main "after restart: step '$n' shown once" "^ [^ ] $n " 1
done
count_is main "after restart: 6 completed steps" "✔ .*completed" 6
count_is main "after restart: the failed step still failed" "✘ Fetch POS orders" 1

publish "$(ev execution.failed $MEC month-end-closing '"error":"step s06 failed"')"
wait_for main "execution failed is logged" "Workflow execution failed"
keys main q

# 80x24, --ascii --mono: no stray bytes, ASCII marks. The restarted daemon
# knows only what came after the restart: a second closing starts now.
MEC2=ex-mec-2
publish "$(ev execution.queued $MEC2 month-end-closing "\"workflow_name\":\"Month-end closing\",\"priority\":\"NORMAL\",\"steps\":$(plan)")" \
	"$(ev execution.started $MEC2 month-end-closing)"
step_done $MEC2 s01 1500
step_done $MEC2 s02 2500
publish "$(ev step.started $MEC2 month-end-closing '"step_id":"s03"')" \
	"$(ev step.failed $MEC2 month-end-closing '"step_id":"s03","error":"Brak dopasowania płatności — zażółć gęślą jaźń"')" \
	"$(ev log $MEC2 month-end-closing '"level":"warn","message":"Łódź: zamówienia – częściowo"')"
console_start ascii 80 24 viewer LANG=C.UTF-8 -- --ascii --mono --exec $MEC2
wait_for ascii "ascii: execution shown" "Steps \(12\)"
wait_for ascii "ascii: completed mark +" "^ \+ Lock the period"
wait_for ascii "ascii: failed mark x, Polish letters transliterated" "^ x Match payments .*Brak dopasowania platnos"
wait_for ascii "ascii: pending mark ." "^ \. Accrue costs"

ascii_only ascii "ascii: only printable ASCII on screen"
if screen ascii | awk 'length($0) > 80 { bad = 1 } END { exit !bad }'; then bad "ascii: no line wider than 80" ascii
else ok "ascii: no line wider than 80"; fi
if screen ascii | grep -Eq '\^\[|M-|\\[0-9]{3}|\[[0-9;]+m'; then bad "ascii: no escape garbage" ascii
else ok "ascii: no escape garbage"; fi
keys ascii Escape
wait_for ascii "ascii: list at 80 columns" "Executions \("
ascii_only ascii "ascii list: only printable ASCII"
keys ascii q

# Polish: LANGUAGE=pl with C.UTF-8, and LANG=pl_PL.UTF-8.
export_pl_dir=$B/locale
if [ -f "$export_pl_dir/pl/LC_MESSAGES/wfmon.mo" ]; then
	console_start pl 110 30 viewer LC_ALL=C.UTF-8 LANGUAGE=pl --
	wait_for pl "Polish (LANGUAGE=pl): status names" "nieudane"
	wait_for pl "Polish (LANGUAGE=pl): footer" "Wszystkie"
	keys pl : "exec $MEC2" Enter
	wait_for pl "Polish: step status" "✔ Lock the period +zakończony"
	publish "$(ev step.started $MEC2 month-end-closing '"step_id":"s04"')" \
		"$(ev step.failed $MEC2 month-end-closing '"step_id":"s04","error":"timeout"')"
	wait_for pl "Polish: log message" "Krok nie powiódł się: s04"
	keys pl q
	console_start pl2 110 30 viewer LANG=pl_PL.UTF-8 --
	wait_for pl2 "Polish (LANG=pl_PL.UTF-8)" "w toku"
	keys pl2 q
else
	bad "Polish catalogue missing: $export_pl_dir/pl/LC_MESSAGES/wfmon.mo (make tests builds it)" main
fi

# A bad theme: the console names the file and line and keeps its theme.
mkdir -p "$TMP/cfg/wfmon/themes"
printf 'header = white on blue\nstatus_ok = greenish\n' >"$TMP/cfg/wfmon/themes/broken.theme"
console_start theme 100 24 viewer LANG=C.UTF-8 --
wait_for theme "theme: console up" "LIVE"
keys theme : 'theme broken' Enter
wait_for theme "bad theme names file and line" "broken.theme:2: unknown colour"
keys theme : 'theme colorblind' Enter
wait_for theme ":theme switches live" "theme colorblind"
keys theme q

console_test_summary
