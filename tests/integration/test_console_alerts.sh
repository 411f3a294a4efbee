#!/bin/bash
# test_console_alerts.sh: the console's alerts in tmux, against a real wfmond
# (no database: alerts live in the daemon's memory).
#
# A consecutive_failures rule (count 3, critical, in-app channel with the
# bell) is created for jpk-generation with `wfmon alerts create`; three
# execution.failed events published with curl fire it. The operator's
# console shows the header count, the critical banner and the alert in the
# alerts view, and its bell rings (not with WFMON_NO_BELL); `a` and Enter
# acknowledge it ("acknowledged by olga"); a
# viewer's `a` is refused by the daemon; the rules list shows the rule; a
# rule made in the form with a bad cooldown gets the daemon's error naming
# the field; a rule with seven channels survives an edit in the form;
# LANGUAGE=pl shows it in Polish.
#
# The daemon, tmux and the checks are tests/support/console.sh (no terminal
# and an empty environment are fine, as CI runs it).
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init alerts
WF=jpk-generation
daemon_start_any_port
mint_token olga operator
mint_token vic viewer
mint_token pub producer

# ---- the rule, through the command line -------------------------------------------------
cat >"$TMP/rule.json" <<EOF
{"name":"JPK fails repeatedly","type":"consecutive_failures","workflow_id":"$WF",
 "severity":"critical","cooldown_minutes":15,"conditions":{"count":3},
 "channels":[{"type":"in_app","bell":true}]}
EOF
if out=$("$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" create "$TMP/rule.json" 2>&1); then
	ok "wfmon alerts create saved the rule"
else
	bad "wfmon alerts create: $out"
fi

# ---- consoles: operator (English), viewer, operator in Polish ---------------------------
console_start op 120 32 operator LANG=C.UTF-8
console_start vw 120 32 viewer LANG=C.UTF-8 WFMON_NO_BELL=1
console_start pl 120 32 operator LC_ALL=C.UTF-8 LANGUAGE=pl
wait_for op "operator console up" "LIVE" 10
wait_for vw "viewer console up" "LIVE" 10
wait_for pl "Polish console up" "NA ŻYWO" 10
wait_for op "no alerts yet" "alerts 0" 5

# ---- three failures fire the rule -------------------------------------------------------
at() { date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S.000Z; }
NOW=$(date +%s%3N)
evs=
for i in 1 2 3; do
	x=jpk-$i-$$
	t=$((NOW - (10 - i) * 1000))
	evs+="${evs:+,}{\"type\":\"execution.queued\",\"id\":\"q-$x\",\"execution_id\":\"$x\",\"workflow_id\":\"$WF\",\"ts\":\"$(at $((t - 500)))\",\"workflow_name\":\"JPK generation\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"build\",\"name\":\"Build\"}]}"
	evs+=",{\"type\":\"execution.started\",\"id\":\"s-$x\",\"execution_id\":\"$x\",\"workflow_id\":\"$WF\",\"ts\":\"$(at $((t - 400)))\",\"worker\":\"w1\"}"
	evs+=",{\"type\":\"execution.failed\",\"id\":\"f-$x\",\"execution_id\":\"$x\",\"workflow_id\":\"$WF\",\"ts\":\"$(at "$t")\",\"error\":\"JPK schema validation failed\"}"
done
out=$(post_events "[$evs]")
case $out in *'"rejected":0'*) ok "three failures published" ;; *) bad "publish: $out" ;; esac

wait_for op "the header counts the active alert" "alerts 1" 10
wait_for op "the critical banner shows the title" "CRITICAL ALERT: .*" 5
wait_for vw "the viewer sees the banner too" "CRITICAL ALERT" 5
wait_for pl "Polish: the critical banner" "ALERT KRYTYCZNY" 5
# The rule's in-app channel asks for the bell: tmux notes it per window.
bell() { $TM display -p -t "$1" '#{window_bell_flag}'; }
[ "$(bell op)" = 1 ] && ok "the bell rang once for the new alert" || bad "no bell in the operator's console" op
[ "$(bell vw)" = 0 ] && ok "WFMON_NO_BELL keeps the viewer's console quiet" || bad "the bell rang despite WFMON_NO_BELL" vw

# ---- the alerts view --------------------------------------------------------------------
keys op A
wait_for op "A opens the alerts view" "Alerts \(1 active\)"
wait_for op "the alert is listed: severity, state, rule, workflow" "critical +active +JPK fails repeatedly +$WF"
wait_for op "not acknowledged yet" "not acknowledged"
keys op Enter
wait_for op "Enter shows the alert in full" "Deliveries \("
wait_for op "the detail shows the rule" "JPK fails repeatedly \(rule-"
wait_for op "the detail shows the context" "Context"
keys op Escape
wait_for op "Esc goes back to the list" "Alerts \(1 active\)"

# The viewer: the daemon refuses.
keys vw A
wait_for vw "viewer: the alerts view" "Alerts \(1 active\)"
keys vw a
wait_for vw "viewer: a asks for a note" "Acknowledge alert [0-9]+: note"
keys vw Enter
wait_for vw "viewer: the daemon's refusal is shown" "cannot acknowledge alert [0-9]+: only operators and admins may act on alerts" 10

# The operator acknowledges with a note.
keys op a
wait_for op "a asks for a note" "Acknowledge alert [0-9]+: note"
keys op -l "checking the JPK file"
keys op Enter
wait_for op "the daemon's answer: acknowledged" "Alert acknowledged" 10
wait_for op "the list says who acknowledged it" "acknowledged by olga" 10
wait_gone op "the banner is gone once acknowledged" "CRITICAL ALERT" 5
keys op Enter
wait_for op "the detail shows the note" "checking the JPK file"
keys op Escape

# ---- Polish -----------------------------------------------------------------------------
keys pl A
wait_for pl "Polish: the alerts view" "Alerty \(aktywne: 1\)"
wait_for pl "Polish: severity and state" "krytyczny +potwierdzony"
wait_for pl "Polish: who acknowledged" "potwierdzony przez olga"

# ---- rules ------------------------------------------------------------------------------
keys op u
wait_for op "u opens the rules list" "Alert rules \(1\)"
wait_for op "the rule is listed with its type, scope, severity, cooldown" \
	"JPK fails repeatedly +consecutive failures +$WF +critical +15 min +yes"
keys op n
wait_for op "n opens the form" "New alert rule"
keys op -l "Bad cooldown"
keys op Tab Tab Tab Tab Tab   # name, type, workflow, labels, severity: on cooldown
keys op C-u
keys op -l 2
keys op Enter
wait_for op "the daemon's error names the field" "field rule\.cooldown_minutes" 10
wait_for op "the form shows the error on the field" "cooldown \(minutes\): " 5
keys op -l 0
keys op Enter
wait_for op "a valid cooldown saves the rule" "Rule saved" 10
wait_for op "the rules list shows both" "Alert rules \(2\)" 10
keys pl : rules Enter
wait_for pl "Polish: the rules list" "Reguły alertów \(2\)" 10

keys vw u
wait_for vw "viewer: the rules list" "Alert rules \(2\)" 10
keys vw n
wait_for vw "viewer: the form opens" "New alert rule"
keys vw -l "viewer rule"
keys vw Enter
wait_for vw "viewer: saving a rule is refused" "only operators and admins may change alert rules" 10

# A rule with seven channels (the most the form used to load was five) edited
# in the form and saved unchanged keeps all seven, secrets included.
hooks=
for i in 1 2 3 4 5 6; do
	hooks+=",{\"type\":\"webhook\",\"url\":\"https://hooks.example.com/$i\",\"secret\":\"secret-of-hook-$i-0123456789\"}"
done
cat >"$TMP/seven.json" <<EOF
{"name":"Seven channels","type":"execution_failed","severity":"warning",
 "channels":[{"type":"in_app","bell":false}$hooks]}
EOF
if out=$("$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" create "$TMP/seven.json" 2>&1); then
	ok "a rule with seven channels saved"
else
	bad "wfmon alerts create (seven channels): $out"
fi
keys op l
wait_for op "the list reloads with it" "Alert rules \(3\)" 10
keys op Down
keys op Enter
wait_for op "the form opens on it" "Edit rule rule-" 5
keys op Enter
wait_for op "saved unchanged" "Rule saved" 10
channels=$("$B/wfmon" alerts --url "$URL" --token-file "$TMP/operator" --json rules 2>/dev/null |
	python3 -c 'import json, sys
for r in json.load(sys.stdin)["rules"]:
    if r["name"] == "Seven channels":
        print(len(r["channels"]), sum(c.get("secret") == "***" for c in r["channels"]))')
if [ "$channels" = "7 6" ]; then ok "the form kept all seven channels and their secrets"
else bad "after the form's save the rule has (channels, secrets): $channels"; fi

# --readonly refuses locally.
console_start ro 120 32 operator LANG=C.UTF-8 -- --readonly
wait_for ro "readonly console up" "READONLY" 10
keys ro A
wait_for ro "readonly: alerts view" "Alerts \(1 active\)"
keys ro a
wait_for ro "readonly: a is refused" "read-only console \(--readonly\): acting on alerts is disabled"

# Quit every console (out of the form first) and read what they printed:
# under ASan/UBSan a report there fails the test.
for s in op vw pl ro; do
	for _ in 1 2 3 4; do keys $s Escape; sleep 0.1; done
	keys $s q
done
end=$((SECONDS + 10))
while [ $SECONDS -le $end ] && pgrep -f "^$B/wfmon --url $URL" >/dev/null; do sleep 0.1; done
if pgrep -f "^$B/wfmon --url $URL" >/dev/null; then bad "every console quits with q"
else ok "every console quit with q"; fi
for f in "$TMP"/console-*.err; do
	if grep -Eq "Sanitizer|runtime error" "$f"; then bad "$(basename "$f"): sanitizer report"; sed 's/^/| /' "$f"
	else ok "$(basename "$f") has no sanitizer report"; fi
done
console_test_summary
