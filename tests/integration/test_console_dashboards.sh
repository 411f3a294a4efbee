#!/bin/bash
# test_console_dashboards.sh: dashboards in the console, in tmux, against a
# real wfmond with a private PostgreSQL (src/tools/pgcluster.sh) fed by a
# scripted publisher: the built-in default at 80x24 (ASCII, no colour) and
# 120x40 after start; edit mode: add through the picker, move, resize,
# remove (confirmed), undo, save; the console restarted finds the saved
# layout; another dashboard created and switched to ([ ] and :dashboard);
# Enter on a widget opens its view (workflow health: the workflows view on
# the overdue workflow); the summary's system health; --readonly refuses
# the editor; Polish.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init dashboards
PG=$TMP/pg
pg_stop() { "$ROOT/src/tools/pgcluster.sh" stop "$PG" >/dev/null 2>&1; }
console_at_exit pg_stop

eval "$("$ROOT/src/tools/pgcluster.sh" start "$PG")" || { echo "test_console_dashboards: no PostgreSQL cluster"; exit 1; }
daemon_start_any_port --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$TMP/spool"
mint_token olga operator
mint_token pub producer
cp "$TMP/producer" "$TMP/pub" 2>/dev/null || true

at() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000)); }
ev() { event_json "$1" "$2" "$3" "$(at "$4")" "${5:-}"; }
NOW=$(date +%s%3N)
# A finished VAT run, a failed JPK run, a running invoice run with two steps.
publish "$(ev execution.queued vat-1 vat-calculation $((NOW - 60000)) '"workflow_name":"VAT calculation","priority":"NORMAL","steps":[{"id":"calc","name":"Calculate"}]')" \
	"$(ev execution.started vat-1 vat-calculation $((NOW - 59000)))" \
	"$(ev execution.completed vat-1 vat-calculation $((NOW - 50000)))"
publish "$(ev execution.started jpk-1 jpk-generation $((NOW - 40000)))" \
	"$(ev execution.failed jpk-1 jpk-generation $((NOW - 30000)) '"error":"Brak kursu NBP dla EUR"')"
publish "$(ev execution.queued inv-1 invoice-processing $((NOW - 20000)) '"workflow_name":"Invoice processing","priority":"HIGH","steps":[{"id":"ocr","name":"OCR"},{"id":"book","name":"Book"}]')" \
	"$(ev execution.started inv-1 invoice-processing $((NOW - 19000)))" \
	"$(ev step.started inv-1 invoice-processing $((NOW - 19000)) '"step_id":"ocr"')"

console() { # NAME COLS ROWS ENV... -- ARGS
	local name=$1 cols=$2 rows=$3
	shift 3
	console_start "$name" "$cols" "$rows" operator "$@"
}

# ---- the built-in default at 80x24, ASCII, no colour --------------------------------------------------
console a 80 24 -- --view dashboard --ascii --mono
wait_for a "the built-in dashboard: summary" 'running +1 +queued +0 +failed, needing attention +1' 10
wait_for a "running executions widget with the running one" 'Invoice processing' 5
wait_for a "tax deadlines widget" 'VAT/JPK_V7M +22 d|VAT/JPK_V7M' 5
wait_for a "workflow health widget, the failed workflow first" '! jpk-generation .* failed +0\.0%' 5
wait_for a "the footer names the built-in dashboard" 'default \(built-in\)' 5
if screen a | awk 'length($0) > 80 { bad = 1 } END { exit bad }'; then ok "nothing wider than 80 columns"; else bad "a line wider than 80" a; fi
if screen_grep a -q '[^ -~]'; then bad "non-ASCII on an --ascii screen" a; else ok "ASCII only with --ascii"; fi

# Enter on a widget opens its view: the summary -> failed executions.
keys a Enter
wait_for a "Enter on the summary opens the executions list" 'Executions' 5
keys a Escape
wait_for a "Esc from the list comes back to the dashboard" 'failed, needing attention' 5
# Tab to the queue widget (reading order: summary, running, alerts, queue).
keys a Tab Tab Tab Enter
wait_for a "Enter on the queue widget opens the queue view" 'backlog threshold' 5
keys a D
wait_for a "D brings the dashboard back" 'failed, needing attention' 5
wait_for a "system health: daemon, database, spool backlog, notifier, queue" \
	'daemon up +database up +spool backlog 0 +notifier ok +queue 0' 5
# A schedule whose expected run never came: the workflow is overdue.
echo '{"workflow_id":"vat-return","name":"VAT return","working_day":1,"at":"00:00","since":"2020-01-01T00:00:00Z"}' |
	"$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" schedule - >"$TMP/sched.out" 2>&1 ||
	bad "schedule save: $(cat "$TMP/sched.out")"
wait_for a "workflow health: the missed schedule is overdue, first" '! VAT return .*OVERDUE' 10
keys a Tab Tab Tab
wait_for a "Tab reaches the workflow health widget" '^>Workflow health' 5
keys a Enter
wait_for a "Enter on workflow health opens the workflows view (W)" 'Workflows \([0-9]+\)' 5
keys a Enter
wait_for a "... with the cursor on the overdue workflow (Enter there lists its runs)" \
	'showing the executions of VAT return' 5
keys a D
wait_for a "D brings the dashboard back" 'failed, needing attention' 5

# ---- edit: add, move, resize, remove, undo, save -----------------------------------------------------------
keys a e
wait_for a "e enters the editor" 'EDITING' 5
keys a a
wait_for a "a opens the picker with a preview" 'Add a widget' 5
for _ in 1 2 3; do keys a Down; done
wait_for a "the picker describes the selected type" 'completed / \(completed \+ failed\)' 5
keys a Enter
wait_for a "the widget is added" 'added Success rate' 5
wait_for a "it sits on the grid, selected, with its place" '0,20 4x4' 5
keys a l l
wait_for a "l moves it right" '2,20 4x4' 5
keys a L J
wait_for a "L and J resize it" '2,20 5x5' 5
keys a h h h
wait_for a "moving off the grid is refused" 'cannot go there' 5
keys a t
keys a -l 'Udane'
keys a Enter
wait_for a "t sets its title" 'Udane' 5
keys a u
wait_for a "u undoes the title" 'Success rate' 5
keys a d
wait_for a "d asks first" 'remove the widget Success rate\? \(y/n\)' 5
keys a n
wait_for a "n keeps it" 'cancelled' 5
keys a s
wait_for a "s saves on the server" 'saved dashboard default' 10
wait_for a "the editor is left" '^ ?Dashboard +default \(default\)' 5
keys a q

# The console restarted finds the saved layout (its sixth row of widgets).
console b 80 24 -- --view dashboard --ascii --mono
wait_for b "after a restart the saved dashboard is shown" '^ ?Dashboard +default \(default\)' 10
keys b e
keys b BTab
wait_for b "with the added widget in its place" 'Success rate' 5
keys b Escape
keys b q

# ---- another dashboard, switching -------------------------------------------------------------------------
console c 120 40 -- --view dashboard
wait_for c "120x40: the saved default" 'Dashboard +default \(default\)' 10
keys c N
keys c -l 'Kolejka'
keys c Enter
wait_for c "N makes a new one in the editor" 'new dashboard Kolejka' 5
keys c a
for _ in 1 2 3 4 5; do keys c Down; done
keys c Enter
wait_for c "a queue widget added" 'added Queue' 5
# Configured by keyboard: a tax deadlines widget with its own list (one
# naming the workflow that must have succeeded), its rows, a workflow and a
# range on the queue widget.
keys c a
for _ in 1 2 3 4 5 6; do keys c Down; done   # the picker stays on the last type picked (Queue)
keys c Enter
wait_for c "a tax deadlines widget added" 'added Tax deadlines' 5
keys c T
keys c -l 'JPK 25 jpk-generation; ZUS 17'
keys c Enter
wait_for c "T sets its deadlines" '2 deadline\(s\)' 5
wait_for c "the widget shows them, JPK with its failed workflow" '(x|✘) [0-9]{2}\.[0-9]{2}\*? +JPK ' 5
wait_for c "... and ZUS" '[0-9]{2}\.[0-9]{2}\*? +ZUS ' 5
keys c T
keys c -l '; VAT 30'
keys c Enter
wait_for c "a bad deadline is refused, naming it" 'config\.deadlines\[2\]\.day' 5
keys c n
keys c -l 1
keys c Enter
wait_for c "n sets its rows" ' n1$| n1 ' 5
keys c BTab w
keys c -l 'jpk-generation'
keys c Enter
keys c g
wait_for c "w and g set the workflow and the range of the queue widget" 'jpk-generation 7d [0-9]+,[0-9]+ [0-9]+x[0-9]+' 5
keys c s
wait_for c "the new one is saved" 'saved dashboard Kolejka' 10
"$B/wfmon" dashboards --url "$URL" --token-file "$TMP/operator" export Kolejka >"$TMP/kolejka.json" 2>&1 ||
	bad "export Kolejka: $(cat "$TMP/kolejka.json")"
if python3 - "$TMP/kolejka.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
tax = [w for w in d["widgets"] if w["type"] == "tax_deadlines"][0]
queue = [w for w in d["widgets"] if w["type"] == "queue_status"][0]
assert tax["config"]["deadlines"] == [{"name": "JPK", "day": 25, "workflow": "jpk-generation"},
                                      {"name": "ZUS", "day": 17}], tax
assert tax["config"]["limit"] == 1, tax
assert queue["config"] == {"workflow": "jpk-generation", "range": "7d"}, queue
PY
then ok "the configuration set by keyboard is on the server"; else bad "the exported configuration: $(cat "$TMP/kolejka.json")"; fi
keys c ']'
wait_for c "] switches to the other dashboard" 'Dashboard +default \(default\)' 10
keys c :
keys c -l 'dashboard Kolejka'
keys c Enter
wait_for c ":dashboard NAME opens it" 'Dashboard +Kolejka' 10
keys c '*'
wait_for c "* makes it the default" 'Kolejka is now the dashboard wfmon opens on' 10
keys c x
wait_for c "x asks before deleting" 'delete dashboard Kolejka\? \(y/n\)' 5
keys c y
wait_for c "deleted" 'deleted dashboard Kolejka' 10
keys c q

# ---- a copy, and a narrow terminal: stacked, nothing cut ------------------------------------------------------
console n 40 20 -- --view dashboard --ascii
wait_for n "40 columns: the widgets stack, full width" '^ Running executions *$' 10
if screen n | awk 'length($0) > 40 { bad = 1 } END { exit bad }'; then ok "nothing wider than 40 columns"; else bad "a line wider than 40" n; fi
keys n Tab Tab
wait_for n "Tab scrolls the stack to the selected widget" '^>Alerts' 5
keys n C
keys n -l 'Copy of default'
keys n Enter
wait_for n "C saves a copy" 'saved dashboard Copy of default' 10
keys n q

# ---- read-only and Polish ------------------------------------------------------------------------------------
console r 80 24 LANG=C.UTF-8 LANGUAGE=pl -- --view dashboard --readonly
wait_for r "Polish summary" 'uruchomione' 10
keys r e
wait_for r "--readonly refuses the editor" 'tylko do odczytu' 5
keys r q

console_test_summary
