#!/bin/bash
# test_console_numbers.sh: numbers an operator can trust, in tmux, against a
# real wfmond with a private PostgreSQL (src/tools/pgcluster.sh).
#
# A scripted history: failures handled by a later run and failures not yet
# handled, an old JPK failure buried under 210 newer runs, two running
# executions kept alive by a publisher in the background (it also starts and
# completes an execution twice a second, so event messages keep flowing), one
# that went quiet (stale after 3 s), four queued (backlog threshold 3), a run
# that took 5.8 s, and one reporting "9 of 16 days". Then:
#   - two consoles started at different times show the same header counts,
#     the daemon's (GET /v1/summary) and the stored history's (SQL);
#   - after a restart of the daemon they still do;
#   - `/` finds the old execution through the server, and says so;
#   - the "9 of 16 days" bar and percentage match the label;
#   - one queue depth in the header, the queue view, the resources view and
#     the backlog notice;
#   - the backlog and reconnection notices stay while events flow, X hides one;
#     so does the reason a token was refused;
#   - the CPU warning in the header of the list, queue, resources, alerts,
#     execution and timeline views;
#   - 5.8 s reads the same in the list, the execution and the timeline;
#   - Polish at 80 and 120 columns: columns never run together, whole
#     priority names, "bez sygnału";
#   - an alert notification's "wfmon open ID" works pasted into a shell, an
#     unknown id says "not found", and resolving the alert handles the failure.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init numbers
PG=$TMP/pg
BG=
BUSY=
bg_stop() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
	[ -n "$BUSY" ] && kill "$BUSY" 2>/dev/null && wait "$BUSY" 2>/dev/null
	BG= BUSY=
}
pg_stop() { bg_stop; "$ROOT/src/tools/pgcluster.sh" stop "$PG" >/dev/null 2>&1; }
console_at_exit pg_stop
command -v python3 >/dev/null || { echo "$TEST_NAME: python3 is missing"; exit 1; }

eval "$("$ROOT/src/tools/pgcluster.sh" start "$PG")" || { echo "$TEST_NAME: no PostgreSQL cluster"; exit 1; }
daemon_start_any_port --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$TMP/spool" \
	--stale-after 3 --queue-backlog-threshold 3 --sample-interval 1 --cpu-threshold 100   # the busy host must not raise its own warning
mint_token olga operator
mint_token pub producer

# SQL as the cluster's superuser (row-level security does not apply to it).
sql() {
	local run=(psql -X -q -A -t -h "$PG/run" -U postgres -d wfmon -c "$1")
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${run[@]}"; else "${run[@]}"; fi
}

# ---- the history ------------------------------------------------------------------------
at() { printf '%s.%03dZ' "$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000)); }
ev() { event_json "$1" "$2" "$3" "$(at "$4")" "${5:-}"; echo; }
NOW=$(date +%s%3N)
S=1000
# run WF NAME EXEC QUEUED_MS END_KIND END_MS [EXTRA]: queued, started 1 s later, ended.
run() {
	local wf=$1 name=$2 x=$3 t=$4 kind=$5 end=$6 extra=${7:-}
	ev execution.queued "$x" "$wf" "$t" "\"workflow_name\":\"$name\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"work\",\"name\":\"Work\"}]"
	ev execution.started "$x" "$wf" $((t + S)) '"worker":"w1"'
	case $kind in
	completed) ev execution.completed "$x" "$wf" "$end" "\"duration_ms\":$((end - t - S))" ;;
	failed) ev execution.failed "$x" "$wf" "$end" "\"error\":\"${extra:-boom}\"" ;;
	esac
}
mapfile -t E < <(
	run vat-calculation "VAT calculation" vat-f1 $((NOW - 610 * S)) failed $((NOW - 600 * S))
	run vat-calculation "VAT calculation" vat-ok $((NOW - 595 * S)) completed $((NOW - 580 * S))
	run vat-calculation "VAT calculation" vat-f2 $((NOW - 310 * S)) failed $((NOW - 300 * S))
	run jpk-generation "JPK generation" jpkfail-old-1 $((NOW - 3000 * S)) failed $((NOW - 2990 * S)) "JPK schema"
	run jpk-generation "JPK generation" jpk-f2 $((NOW - 210 * S)) failed $((NOW - 200 * S))
	run month-close "Month close" dur-1 $((NOW - 150 * S)) completed $((NOW - 149 * S + 5800))
)
publish "${E[@]}"
# 210 newer finished runs: the old JPK failure is not among the 200 a console loads.
for b in 0 1 2 3 4 5 6; do
	mapfile -t E < <(for i in $(seq $((b * 30)) $((b * 30 + 29))); do
		run daily-sync "Daily sync" "sync-$i" $((NOW - 120 * S + i * 100)) completed $((NOW - 118 * S + i * 100))
	done)
	publish "${E[@]}"
done
mapfile -t E < <(
	for q in 1 2 3 4; do
		ev execution.queued "q-$q" payroll $((NOW - 60 * S + q)) '"workflow_name":"Payroll","priority":"NORMAL","steps":[{"id":"pay","name":"Pay"}]'
	done
	ev execution.queued run-quiet-1 invoice-processing $((NOW - 50 * S)) '"workflow_name":"Invoice processing","priority":"NORMAL","steps":[{"id":"ocr","name":"OCR"}]'
	ev execution.started run-quiet-1 invoice-processing $((NOW - 49 * S)) '"worker":"w2"'
	ev execution.queued run-fresh-1 payment-processing $((NOW - 40 * S)) '"workflow_name":"Payment processing","priority":"LOW","steps":[{"id":"pay","name":"Pay"}]'
	ev execution.started run-fresh-1 payment-processing $((NOW - 39 * S)) '"worker":"w1"'
	ev step.started run-fresh-1 payment-processing $((NOW - 39 * S)) '"step_id":"pay"'
	ev execution.queued prog-1 pos-import $((NOW - 30 * S)) '"workflow_name":"POS import","priority":"HIGH","steps":[{"id":"fetch-pos","name":"Fetch POS orders"},{"id":"store","name":"Store"}]'
	ev execution.started prog-1 pos-import $((NOW - 29 * S)) '"worker":"w3"'
	ev step.started prog-1 pos-import $((NOW - 29 * S)) '"step_id":"fetch-pos"'
	ev step.progress prog-1 pos-import $((NOW - 20 * S)) '"step_id":"fetch-pos","current":9,"total":16,"unit":"days","message":"2026-11-09"'
)
publish "${E[@]}"

# The background: the two live runs keep talking, a worker reports, and a
# short run starts and completes twice a second (event messages flow).
background() {
	local n=0 tok
	tok=$(cat "$TMP/producer")
	while :; do
		n=$((n + 1))
		local t
		t=$(at "$(date +%s%3N)")
		curl -s -o /dev/null -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' --data-binary \
"[{\"type\":\"log\",\"id\":\"bg-a-$n-$$\",\"execution_id\":\"run-fresh-1\",\"workflow_id\":\"payment-processing\",\"ts\":\"$t\",\"level\":\"info\",\"message\":\"tick $n\"},\
{\"type\":\"log\",\"id\":\"bg-b-$n-$$\",\"execution_id\":\"prog-1\",\"workflow_id\":\"pos-import\",\"ts\":\"$t\",\"level\":\"info\",\"message\":\"tick $n\"},\
{\"type\":\"resource.sample\",\"id\":\"bg-r-$n-$$\",\"execution_id\":\"run-fresh-1\",\"workflow_id\":\"payment-processing\",\"ts\":\"$t\",\"worker\":\"w1\",\"cpu_percent\":12.5,\"memory_bytes\":460741427,\"step_id\":\"pay\"},\
{\"type\":\"execution.started\",\"id\":\"bg-s-$n-$$\",\"execution_id\":\"tick-$n-$$\",\"workflow_id\":\"heartbeat\",\"ts\":\"$t\"},\
{\"type\":\"execution.completed\",\"id\":\"bg-c-$n-$$\",\"execution_id\":\"tick-$n-$$\",\"workflow_id\":\"heartbeat\",\"ts\":\"$t\"}]" \
			"http://127.0.0.1:$PORT/v1/events" 2>/dev/null
		sleep 0.5
	done
}
background &
BG=$!

# press SESSION KEY...: one key at a time. Esc and the key after it in one
# write would read as Alt+key (the console waits 25 ms for a sequence).
press() {
	local s=$1 k
	shift
	for k in "$@"; do
		keys "$s" "$k"
		sleep 0.3
	done
}

# ---- the counts: two consoles, the daemon, the stored history ------------------------------
counts_of() { # SESSION -> "running R unhandled F queued Q stale S alerts A" from the header
	screen "$1" | sed -n 2p | LC_ALL=C.UTF-8 sed -E 's/ *⚠.*//; s/^ +//; s/ +/ /g'
}
summary_counts() {
	curl -s -H "Authorization: Bearer $(cat "$TMP/operator")" "http://127.0.0.1:$PORT/v1/summary" |
		python3 -c 'import json,sys; s=json.load(sys.stdin); print("running %d unhandled failures %d queued %d stale %d alerts %d" % (s["running"], s["failed_unhandled"], s["queued"], s["stale"], s["alerts_open"]))'
}
# The stored history's unhandled failures, by the definition in wfmond(8).
UNHANDLED_SQL="WITH ok AS (SELECT org_id, workflow_id, max(coalesce(started_at, queued_at, first_seen)) AS start
  FROM workflow_executions WHERE status = 'completed' GROUP BY 1, 2)
SELECT count(*) FROM workflow_executions x LEFT JOIN ok USING (org_id, workflow_id)
WHERE x.org_id = 'acme' AND x.status = 'failed' AND (ok.start IS NULL OR coalesce(x.finished_at, x.last_heartbeat) >= ok.start)
  AND NOT EXISTS (SELECT 1 FROM alert_history a WHERE a.org_id = x.org_id AND a.execution_id = x.execution_id AND a.status = 'resolved')"
# same_counts WHAT WANT SESSION...: every console's header, and the daemon, read WANT.
same_counts() {
	local what=$1 want=$2
	shift 2
	local end=$((SECONDS + 20)) s got all
	while [ $SECONDS -le $end ]; do
		all=1
		for s in "$@"; do
			got=$(counts_of "$s")
			[ "$got" = "$want" ] || all=0
		done
		[ "$(summary_counts)" = "$want" ] || all=0
		[ $all = 1 ] && { ok "$what: $want"; return 0; }
		sleep 0.2
	done
	for s in "$@"; do echo "  $s: $(counts_of "$s")"; done
	echo "  daemon: $(summary_counts)"
	bad "$what: wanted $want" "$1"
}

console_start c1 120 30 operator LANG=C.UTF-8
wait_for c1 "the first console is up" "LIVE" 10
# Everything stored before the second console starts and the checks begin.
total=$(( 6 + 210 + 4 + 3 ))
for _ in $(seq 1 100); do
	[ "$(sql "SELECT count(*) FROM workflow_executions WHERE workflow_id <> 'heartbeat'")" = "$total" ] && break
	sleep 0.2
done
[ "$(sql "$UNHANDLED_SQL")" = 3 ] && ok "the stored history holds 3 failures not handled (vat-f2, jpkfail-old-1, jpk-f2)" ||
	bad "stored unhandled failures: $(sql "$UNHANDLED_SQL"), wanted 3"
sleep 4   # run-quiet-1 goes stale (3 s)
console_start c2 120 30 operator LANG=C.UTF-8
wait_for c2 "the second console is up" "LIVE" 10
WANT="running 2 unhandled failures 3 queued 4 stale 1 alerts 0"
same_counts "two consoles started at different times and the daemon agree" "$WANT" c1 c2
# The rows say what the header counts: the two live runs send only log lines
# (no room of the list carries them), yet they are not stale, as the daemon
# knows; the quiet one is.
for s in c1 c2; do
	count_is $s "$s: the list shows the header's running executions" " running +[░█]" 2
	count_is $s "$s: the list shows the header's stale execution" "quiet-1 +stale +[░█]" 1
done

# ---- one queue depth ---------------------------------------------------------------------
wait_for c2 "the header warns of the backlog" "⚠ backlog 4"
wait_for c2 "the backlog notice says the same depth" "BACKLOG: 4 queued \(threshold 3\)"
keys c2 Q
wait_for c2 "the queue view's depth is the header's" "^ depth 4 +high 0 +normal 4 +low 0"
wait_for c2 "the average wait says over what" "average wait .*executions? left the queue in the last 15 min"
keys c2 R
wait_for c2 "the resources view's queue depth is the header's" "queue depth 4 " 10
wait_for c2 "top consumers count the running executions" "payment-processing +12\.5% +439\.4 MiB +1$" 10
keys c2 Escape

# ---- the notice line: kept while events flow -----------------------------------------------
wait_for c1 "the backlog notice is on the notice line" "BACKLOG: 4 queued .*X: dismiss"
m1=$(screen c1 | tail -n 1)
sleep 8
screen_grep c1 -q "BACKLOG: 4 queued .*X: dismiss" && ok "the backlog notice is still there 8 s later" ||
	bad "the backlog notice went away while events flowed" c1
m2=$(screen c1 | tail -n 1)
[ "$m1" != "$m2" ] && ok "event messages kept flowing meanwhile ($m2)" || bad "no event message in 8 s" c1
keys c1 X
wait_gone c1 "X dismisses the notice" "BACKLOG: 4 queued"
screen_grep c1 -q "⚠ backlog 4" && ok "the header still warns" || bad "the header lost the backlog warning" c1

# ---- 5.8 s everywhere ------------------------------------------------------------------------
keys c2 / dur-1 Enter
wait_for c2 "the list shows the run that took 5.8 s" "Month close .* 5\.8 s"
keys c2 Enter
wait_for c2 "the execution took 5.8 s" "Month close dur-1 +completed +took 5\.8 s"
keys c2 t
wait_for c2 "the timeline's total is 5.8 s" "Timeline: Month close dur-1 +completed +total 5\.8 s"
press c2 Escape Escape / Escape

# ---- / finds an old execution through the server --------------------------------------------
keys c2 / jpkfail-old
wait_for c2 "typing filters only what is loaded" "No execution matches the filter\."
keys c2 Enter
wait_for c2 "Enter asks the server's history, and says so" "history: 1 from the server" 10
wait_for c2 "the old JPK failure is listed" "JPK generation .*failed"
keys c2 / Escape
wait_gone c2 "Esc clears the filter and the history" "history:"

# ---- progress in one unit ------------------------------------------------------------------------
keys c2 : "exec prog-1" Enter
wait_for c2 "the label counts days" "Processing 9 of 16 days \(Fetch POS orders\)"
line=$(screen_grep c2 "Processing 9 of 16 days")
full=$(printf '%s' "$line" | LC_ALL=C.UTF-8 grep -o '█' | wc -l)
empty=$(printf '%s' "$line" | LC_ALL=C.UTF-8 grep -o '░' | wc -l)
width=$((full + empty))
if [ "$width" -gt 0 ] && [ "$full" -eq $((width * 9 / 16)) ]; then
	ok "the bar is 9/16 full ($full of $width)"
else
	bad "the bar is $full of $width, wanted $((width * 9 / 16))" c2
fi
printf '%s' "$line" | grep -q " 56%" && ok "the percentage is 9/16: 56%" || bad "the percentage is not 56%: $line" c2
# Large counts read as every other number: grouped.
publish "$(ev step.progress prog-1 pos-import "$(date +%s%3N)" '"step_id":"fetch-pos","current":12500,"total":20000,"unit":"documents"')"
wait_for c2 "the label groups large counts" "Processing 12,500 of 20,000 documents \(Fetch POS orders\) .* 63%"   # 62.5 rounds half up
wait_for c2 "so does the step's own line" "Fetch POS orders .*12,500/20,000 documents"
keys c2 Escape

# ---- a restart: the stored history's numbers ---------------------------------------------------
daemon_stop
daemon_start || { echo "$TEST_NAME: cannot restart wfmond"; cat "$TMP/wfmond.log"; exit 1; }
wait_for c1 "the first console reconnects and says so" "reconnected" 20
same_counts "after a restart the consoles and the daemon read the stored history" "$WANT" c1 c2
[ "$(sql "$UNHANDLED_SQL")" = 3 ] && ok "and the stored history still says 3" || bad "stored unhandled: $(sql "$UNHANDLED_SQL")"
sleep 8
screen_grep c1 -q "reconnected" && ok "the reconnection notice stays while events flow" ||
	bad "the reconnection notice went away within 8 s" c1

# ---- Polish at 80 and 120 columns: columns apart, whole words ----------------------------------
console_start p80 80 24 operator LC_ALL=C.UTF-8 LANGUAGE=pl
console_start p120 120 30 operator LC_ALL=C.UTF-8 LANGUAGE=pl
wait_for p80 "Polish console at 80 columns" "NA ŻYWO" 10
wait_for p120 "Polish console at 120 columns" "NA ŻYWO" 10
wait_for p120 "Polish header: w toku, nieobsłużone błędy, bez sygnału" "w toku 2 +nieobsłużone błędy 3 +w kolejce 4 +bez sygnału 1"
wait_for p80 "Polish: the stale one is 'bez sygnału'" "Invoice proces.* bez sygnału "
wait_for p120 "Polish: whole priority names at 120 columns" " normalny$"
count_is p120 "Polish: no priority cut short" "norma…|wyso…|nisk…" 0
# columns SESSION TITLE-REGEX SPEC: every row under the header line keeps its
# columns apart: SPEC lists "TITLE:l" (a left-aligned column: the cell before
# it ends in a blank) or "TITLE:r" (right-aligned: a blank after it).
columns() {
	local s=$1 what=$2 head=$3 spec=$4 out
	if out=$(screen "$s" | python3 "$ROOT/tests/support/columns.py" "$head" "$spec" ${5:+"$5"} 2>&1); then
		ok "$what"
	else
		bad "$what: $out" "$s"
	fi
}
for s in p80 p120; do
	# At 80 columns the priority is the first column to give way.
	prio=" PRIO:l"
	[ $s = p80 ] && prio=
	columns $s "$s: the executions' columns never run together" "WORKFLOW +ID" \
		"ID:l STAN:l POSTĘP:l KROK:l CZAS:r$prio"
	keys $s Q
	wait_for $s "$s: the queue view" "^ Kolejka \("
	columns $s "$s: the queue's columns never run together" "WORKFLOW +ID" "WORKFLOW:l ID:l PRIO:l CZEKA:r"
	wait_for $s "$s: when the queue clears, in one sentence" "kolejka opróżni się za około|nie wiadomo, kiedy kolejka się opróżni"
	count_is $s "$s: no 'opróżnienie za nie ma…'" "za nie ma czego|opróżnienie za" 0
	keys $s R
	wait_for $s "$s: resources, Polish numbers and units" "439,4 MiB" 10
	columns $s "$s: the top consumers' columns never run together" "WORKFLOW +CPU" "CPU:r PAMIĘĆ:r TOKU:r" 1
	count_is $s "$s: no unit runs into a word" "(MiB|KiB|GiB|ms|%)[[:alpha:]]" 0
	keys $s Escape
done

# ---- the notification's command, pasted into a shell ---------------------------------------
cat >"$TMP/rule.json" <<EOF
{"name":"SEPA fails","type":"execution_failed","workflow_id":"sepa-export","severity":"error",
 "cooldown_minutes":5,"channels":[{"type":"in_app"}]}
EOF
out=$("$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" create "$TMP/rule.json" 2>&1) ||
	bad "wfmon alerts create: $out"
mapfile -t E < <(run sepa-export "SEPA export" sepa-f1 $(($(date +%s%3N) - 3 * S)) failed $(date +%s%3N) "bank said no")
publish "${E[@]}"
body=
for _ in $(seq 1 50); do
	body=$("$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" --json list 2>/dev/null)
	case $body in *sepa-f1*) break ;; esac
	sleep 0.2
done
cmd=$(printf '%s' "$body" | grep -o 'wfmon open [A-Za-z0-9_.:-]*' | head -n 1)
[ "$cmd" = "wfmon open sepa-f1" ] && ok "the notification says: $cmd" || bad "the notification's command: '$cmd'"
same_counts "the new failure counts" "running 2 unhandled failures 4 queued 4 stale 1 alerts 1" c1 c2
# As a user's shell would run it: wfmon on the PATH, the URL and token in the environment.
$TM new-session -d -s shell -x 120 -y 30 -c "$TMP" -e LANG=C.UTF-8 \
	-e WFMON_URL="$URL" -e WFMON_TOKEN="$(cat "$TMP/operator")" -e XDG_CONFIG_HOME="$TMP/cfg" \
	"env PATH='$B:/usr/bin:/bin' bash -c '$cmd'; sleep 30"
wait_for shell "the pasted command opens the execution" "SEPA export sepa-f1 +failed" 10
wait_for shell "with its error" "bank said no"
$TM new-session -d -s unknown -x 120 -y 30 -c "$TMP" -e LANG=C.UTF-8 \
	-e WFMON_URL="$URL" -e WFMON_TOKEN="$(cat "$TMP/operator")" -e XDG_CONFIG_HOME="$TMP/cfg" \
	"env PATH='$B:/usr/bin:/bin' wfmon open no-such-execution-7; sleep 30"
wait_for unknown "an unknown id says not found" "no-such-execution-7 +not found" 10
wait_for unknown "and what that means" "the server knows no execution no-such-execution-7 in organization acme"
screen_grep unknown -q "priority|queued" && bad "an unknown id shows a status or priority" unknown ||
	ok "an unknown id shows no status or priority"
# Resolving the alert handles the failure.
aid=$(printf '%s' "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("snapshot",d); print([a["id"] for a in d["alerts"] if a.get("execution_id")=="sepa-f1"][0])')
"$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" resolve "$aid" >/dev/null 2>&1 || bad "resolve the alert"
same_counts "a resolved alert handles its failure" "running 2 unhandled failures 3 queued 4 stale 1 alerts 0" c1 c2
[ "$(sql "$UNHANDLED_SQL")" = 3 ] && ok "so does the stored history" || bad "stored unhandled: $(sql "$UNHANDLED_SQL")"

# ---- the CPU warning in the header of every view ------------------------------------------
# A threshold of 1% and one core kept busy: the host is above it.
daemon_stop
DAEMON_FLAGS+=(--cpu-threshold 1)
daemon_start || { echo "$TEST_NAME: cannot restart wfmond"; cat "$TMP/wfmond.log"; exit 1; }
timeout 30 sh -c 'while :; do :; done' &
BUSY=$!
header_warns() { # SESSION VIEW: the header (line 2) carries the CPU warning
	local end=$((SECONDS + 10))
	while [ $SECONDS -le $end ]; do
		screen "$1" | sed -n 2p | LC_ALL=C.UTF-8 grep -Eq "⚠ CPU [0-9]+%" && { ok "the $2's header warns of the CPU"; return; }
		sleep 0.2
	done
	bad "the $2's header does not warn of the CPU" "$1"
}
press c2 Escape Escape
header_warns c2 "executions list"
keys c2 Q
header_warns c2 "queue view"
keys c2 R
header_warns c2 "resources view"
keys c2 A
header_warns c2 "alerts view"
press c2 Escape
keys c2 : "exec prog-1" Enter
header_warns c2 "execution view"
keys c2 t
header_warns c2 "timeline"
kill "$BUSY" 2>/dev/null
wait "$BUSY" 2>/dev/null
BUSY=

# ---- a refusal stays: the reason for an HTTP 401 while events flow ---------------------------
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/other-secret"
"$B/wfmon" token --org acme --sub eve --role viewer --secret-file "$TMP/other-secret" >"$TMP/forged"
console_start forged 100 30 forged LANG=C.UTF-8
wait_for forged "a refused token says why" "refused the token \(HTTP 401[;)]" 10
sleep 8
screen_grep forged -Eq "refused the token \(HTTP 401[;)]" && ok "and still says so 8 s later" ||
	bad "the reason for the 401 went away" forged

bg_stop
console_test_summary
