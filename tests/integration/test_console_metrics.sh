#!/bin/bash
# test_console_metrics.sh: the console's metrics views in tmux, against a real
# wfmond with a private PostgreSQL (src/tools/pgcluster.sh) fed by a scripted
# publisher (curl to /v1/events): the table of workflows (M and :metrics), a
# range change, sorting, one workflow's trend graphs (Braille, and ASCII with
# --ascii), its buckets per hour/day and its steps, the degradation mark, both
# exports read back, the help listing the key, and the Polish texts.
#
# Workflows, all finished within the last hour: document-classification, the
# specification's case (8 of 10 completed, 100 to 1000 ms); invoice-processing,
# 20 quick runs; jpk-generation, a baseline of 1-second runs days ago and 15
# runs of 6 s now, so it is flagged as degraded.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init metrics
PG=$TMP/pg
pg_stop() { "$ROOT/src/tools/pgcluster.sh" stop "$PG" >/dev/null 2>&1; }
console_at_exit pg_stop

eval "$("$ROOT/src/tools/pgcluster.sh" start "$PG")" || { echo "test_console_metrics: no PostgreSQL cluster"; exit 1; }
daemon_start_any_port --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$TMP/spool" \
	--degradation-window-hours 2
mint_token olga operator
mint_token pub producer

at() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000)); }
ev() { event_json "$1" "$2" "$3" "$(at "$4")" "${5:-}"; }
# execution EXEC WORKFLOW NAME START_MS DURATION_MS OUTCOME
execution() {
	local x=$1 wf=$2 name=$3 t=$4 d=$5 out=$6 err=
	[ "$out" = failed ] && err='"error":"boom"'
	publish "$(ev execution.queued "$x" "$wf" $((t - 100)) "\"workflow_name\":\"$name\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"parse\",\"name\":\"Parse\"},{\"id\":\"file\",\"name\":\"File\"}]")" \
		"$(ev execution.started "$x" "$wf" "$t")" \
		"$(ev step.started "$x" "$wf" "$t" '"step_id":"parse"')" \
		"$(ev step.completed "$x" "$wf" $((t + d / 4)) "\"step_id\":\"parse\",\"duration_ms\":$((d / 4))")" \
		"$(ev step.started "$x" "$wf" $((t + d / 4)) '"step_id":"file"')" \
		"$(ev step.completed "$x" "$wf" $((t + d)) "\"step_id\":\"file\",\"duration_ms\":$((d * 3 / 4))")" \
		"$(ev "execution.$out" "$x" "$wf" $((t + d)) "$err")"
}

NOW=$(date +%s%3N)
for i in $(seq 1 10); do
	out=completed; [ "$i" -gt 8 ] && out=failed
	execution "dc-$i" document-classification "Document classification" $((NOW - 1800000 + i * 60000)) $((i * 100)) $out
done
for i in $(seq 1 20); do
	execution "inv-$i" invoice-processing "Invoice processing" $((NOW - 3000000 + i * 60000)) 300 completed
done
for i in $(seq 1 20); do
	execution "jpk-old-$i" jpk-generation "JPK generation" $((NOW - 3 * 86400000 + i * 3600000)) 1000 completed
done
for i in $(seq 1 15); do
	execution "jpk-$i" jpk-generation "JPK generation" $((NOW - 2400000 + i * 60000)) 6000 completed
done

console() { # NAME ENV... -- ARGS: the operator's console, 100x30
	local name=$1
	shift
	console_start "$name" 100 30 operator "$@"
}

# ---- the table ----------------------------------------------------------------------
console m LANG=C.UTF-8 --
wait_for m "the console is up" "LIVE" 10
keys m M
wait_for m "M opens the metrics table" "Metrics: all workflows" 5
wait_for m "the daemon's answer fills it" "Document classification" 10
wait_for m "the specification's success rate" "Document classification +10 +80[.,]0 ?%" 5
wait_for m "its p50 and p95" "Document classification .* 500 ms +1[.,]0 s" 5
wait_for m "the summary counts every run" "runs 45 " 5
wait_for m "the degraded workflow is flagged" "JPK generation .*⚠" 5
wait_for m "the banner counts the degraded" "Performance degradation detected: 1" 5
# Sorted by runs: invoice-processing (20) first.
l_inv=$(line_of m "Invoice processing")
l_jpk=$(line_of m "JPK generation")
l_dc=$(line_of m "Document classification")
if [ -n "$l_inv" ] && [ -n "$l_dc" ] && [ "$l_inv" -lt "$l_jpk" ] && [ "$l_jpk" -lt "$l_dc" ]; then
	ok "sorted by runs, most first"
else bad "sorted by runs (lines $l_inv $l_jpk $l_dc)" m; fi
keys m s s s s s
wait_for m "s moves the sort to P95" "sorted by p95" 5
l_jpk=$(line_of m "JPK generation")
l_inv=$(line_of m "Invoice processing")
if [ -n "$l_jpk" ] && [ "$l_jpk" -lt "$l_inv" ]; then ok "the slowest p95 first"; else bad "slowest first" m; fi
# Range: 30 days in daily buckets.
keys m 4
wait_for m "4 asks for 30 days" "last 30 d, buckets of 1d" 10
keys m 1
wait_for m "1 asks for the last hour, in minutes" "last 1 h, buckets of 1m" 10
keys m 2
wait_for m "2 is back to 24 hours" "last 24 h, buckets of 1h" 10

# ---- one workflow ---------------------------------------------------------------------
keys m :
keys m "metrics jpk-generation" Enter
wait_for m ":metrics NAME opens the workflow" "Metrics: JPK generation" 10
wait_for m "its degradation, in words" "Performance degradation detected: p95 6[.,]0 s over the last 2 h" 10
wait_for m "the p95 graph" "Execution time p95 per 1h" 5
wait_for m "the success graph" "Success rate per 1h" 5
wait_for m "the executions graph" "Executions per 1h" 5
if screen_grep m -q '⣿'; then ok "graphs are drawn in Braille"; else bad "Braille graphs" m; fi
wait_for m "its steps against the period before" "Steps: this period against the one before" 5
wait_for m "a step row: 15 runs in 24 h, 4.5 s" "File +15 +4[.,]5 s" 5
keys m 4 d
wait_for m "d: executions per day over 30 days" "Executions per 1d" 10
keys m w
wait_for m "w: per week" "Executions per 1w" 10
keys m Tab
wait_for m "Tab gives the steps the room" "Tab: graphs" 5
keys m Tab

# ---- exports ----------------------------------------------------------------------------
keys m e
wait_for m "e writes a CSV file and says where" "wrote the figures to $TMP/wfmon-metrics-jpk-generation-30d-" 5
csv=$(ls "$TMP"/wfmon-metrics-jpk-generation-*.csv 2>/dev/null | head -n 1)
if [ -n "$csv" ] && head -n 1 "$csv" | grep -q '^kind,workflow_id,workflow_name,step_id,step_name,period_start,period_end,runs' &&
	grep -q '^summary,jpk-generation,JPK generation,,,' "$csv" && grep -q '^step,jpk-generation,JPK generation,file,File,' "$csv"; then
	ok "the CSV file reads back: header, summary, steps"
else bad "the CSV file ($csv)"; fi
keys m E
wait_for m "E writes JSON" "wrote the figures to $TMP/wfmon-metrics-jpk-generation-.*\.json" 5
js=$(ls "$TMP"/wfmon-metrics-jpk-generation-*.json 2>/dev/null | head -n 1)
if [ -n "$js" ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["workflow"]["id"]=="jpk-generation" and d["summary"]["runs"]>=15' "$js"; then
	ok "the JSON file reads back"
else bad "the JSON file ($js)"; fi
keys m Escape
wait_for m "Esc goes back to the table" "Metrics: all workflows" 5
keys m '?'
wait_for m "help lists the key" "M +performance metrics" 5
keys m q

# ---- ASCII and Polish ---------------------------------------------------------------------
console a LANG=C.UTF-8 -- --ascii
wait_for a "ASCII console up" "LIVE" 10
keys a M
wait_for a "ASCII table" "Document classification" 10
keys a :
keys a "metrics document-classification" Enter
wait_for a "ASCII trends" "Execution time p95" 10
wait_for a "graphs in ASCII" "[#.]{4}" 5
ascii_only a "nothing but ASCII on the screen"

console pl LC_ALL=C.UTF-8 LANGUAGE=pl --
wait_for pl "Polish console up" "NA ŻYWO" 10
keys pl M
wait_for pl "the table in Polish" "Metryki: wszystkie workflow" 10
wait_for pl "the degradation in Polish" "Wykryto spadek wydajności: 1" 10
keys pl j Enter
wait_for pl "a workflow in Polish" "Czas wykonania p95 na 1h" 10

console_test_summary
