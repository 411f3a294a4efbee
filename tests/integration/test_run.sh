#!/bin/bash
# wfmon run, step and emit against a real wfmond: a succeeding, a failing, a
# long-running and a killed command (exit status passed through, output
# passed through and seen as log lines), a missing command, output that is
# not UTF-8, a log flood held to --log-rate, steps and events from inside the
# script, a cancel from an operator, and a report made while the daemon is
# down: kept in the outbox and sent by the next command.
set -u
. "$(dirname "$0")/../support/daemon.sh"
trap daemon_cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- daemon log"; tail -20 "$TEST_DIR/wfmond.log"; exit 1; }

W="$WFMON_BUILD/wfmon"
export PATH="$WFMON_BUILD:$PATH" WFMON_OUTBOX="$TEST_DIR/outbox"
unset WFMON_EXECUTION_ID WFMON_WORKFLOW_ID WFMON_TOKEN WFMON_TOKEN_FILE
daemon_start || fail "daemon did not start"
mint acme cron producer "$TEST_DIR/producer"
mint acme olga operator "$TEST_DIR/operator"
URL="ws://127.0.0.1:$DAEMON_PORT"
export WFMON_URL="$URL"

"$W" tail --token-file "$TEST_DIR/operator" org >"$TEST_DIR/org.jsonl" 2>"$TEST_DIR/tail.err" &
wait_for 5 grep -q '"type":"subscribed"' "$TEST_DIR/org.jsonl" || fail "tail did not subscribe"

run() { "$W" run --token-file "$TEST_DIR/producer" "$@"; }

# A succeeding command: output passed through, exit 0, labels reported.
OUT=$(run --workflow nightly-backup --name "Nightly backup" --label period=2026-11 --label "client=Biuro Bilans" \
	--execution-id backup-1 -- sh -c 'echo copied 3 files; echo "a warning" >&2' 2>"$TEST_DIR/run1.err")
[ $? -eq 0 ] || fail "a succeeding command did not exit 0: $(cat "$TEST_DIR/run1.err")"
[ "$OUT" = "copied 3 files" ] || fail "stdout not passed through: '$OUT'"
grep -q "a warning" "$TEST_DIR/run1.err" || fail "stderr not passed through"

# A failing one: its exit status is ours.
run --workflow nightly-backup --execution-id backup-2 -- sh -c 'echo disk full >&2; exit 3' 2>"$TEST_DIR/run2.err"
[ $? -eq 3 ] || fail "exit status 3 not passed through"
grep -q "exit status 3" "$TEST_DIR/run2.err" || fail "no word about the failure: $(cat "$TEST_DIR/run2.err")"

# Killed by a signal: 128 + 9, reported as such.
run --workflow nightly-backup --execution-id backup-3 -- sh -c 'kill -9 $$' 2>/dev/null
[ $? -eq 137 ] || fail "a command killed by SIGKILL did not give 137"

# A command that does not exist: 127, and the execution failed.
run --workflow nightly-backup --execution-id backup-4 -- /no/such/command 2>"$TEST_DIR/run4.err"
[ $? -eq 127 ] || fail "a missing command did not give 127"
grep -q "cannot run '/no/such/command'" "$TEST_DIR/run4.err" || fail "no word about the missing command: $(cat "$TEST_DIR/run4.err")"

# Output that is not UTF-8, and a flood of lines held to --log-rate.
run --workflow reports --execution-id flood-1 --log-rate 10 -- \
	sh -c 'printf "caf\351 au lait\n"; i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done' \
	>/dev/null 2>"$TEST_DIR/flood.err" || fail "the flood command failed"
grep -q "not valid UTF-8" "$TEST_DIR/flood.err" || fail "invalid UTF-8 not said: $(cat "$TEST_DIR/flood.err")"
grep -q "output lines were not reported" "$TEST_DIR/flood.err" || fail "held-back lines not said"

# Steps and events from inside the script, with their attempts.
run --workflow month-close --execution-id close-1 -- sh -c '
	wfmon step "Fetch bank statements" -- sh -c "echo fetched" &&
	wfmon step --attempt 1 "Send JPK" -- sh -c "echo 502 >&2; exit 1";
	wfmon step --attempt 2 "Send JPK" -- sh -c "echo sent" &&
	wfmon emit counter name=invoices value:=42 &&
	wfmon emit log level=info "message=Zamknięto okres 2026-11"' >/dev/null 2>"$TEST_DIR/close.err" \
	|| fail "the script with steps failed: $(cat "$TEST_DIR/close.err")"

# A long-running command that an operator cancels from the console.
run --workflow long-job --execution-id long-1 -- sh -c 'echo started; sleep 60' >/dev/null 2>"$TEST_DIR/long.err" &
LONG=$!
wait_for 10 grep -q '"execution_id":"long-1".*"step.started"\|"step.started".*"execution_id":"long-1"' "$TEST_DIR/org.jsonl" \
	|| fail "the long job did not start"
python3 - "$URL" "$(cat "$TEST_DIR/operator")" <<'PY' || fail "the cancel request"
import base64, json, os, socket, sys
url, token = sys.argv[1], sys.argv[2]
host, port = url[5:].split(":")
s = socket.create_connection((host, int(port)))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wfmon.v1\r\n"
           f"Authorization: Bearer {token}\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
rest = buf.split(b"\r\n\r\n", 1)[1]
def send(obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    hdr = bytes([0x81, 0x80 | 126]) + len(data).to_bytes(2, "big") if len(data) >= 126 else bytes([0x81, 0x80 | len(data)])
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
def recv():
    global rest
    while True:
        if len(rest) >= 2:
            n = rest[1] & 0x7f; off = 2
            if n == 126: n = int.from_bytes(rest[2:4], "big"); off = 4
            if len(rest) >= off + n:
                msg, rest = rest[off:off + n], rest[off + n:]
                return json.loads(msg)
        rest += s.recv(65536)
send({"type": "cancel", "id": "c1", "execution_id": "long-1", "reason": "wrong period"})
while True:
    m = recv()
    if m.get("id") == "c1":
        assert m["type"] == "done", m
        break
PY
wait $LONG
RC=$?
[ $RC -eq 143 ] || fail "the cancelled command exited $RC, not 143 (SIGTERM)"
grep -q "asked from the console to cancel long-1" "$TEST_DIR/long.err" || fail "the cancel was not said: $(cat "$TEST_DIR/long.err")"

# The output lines, as the execution's log.
for x in backup-1 flood-1; do
	"$W" tail --token-file "$TEST_DIR/operator" "execution:$x" >"$TEST_DIR/$x.jsonl" 2>>"$TEST_DIR/tail.err" &
	wait_for 5 grep -q '"type":"subscribed"' "$TEST_DIR/$x.jsonl" || fail "tail of $x"
	kill $!
done
python3 - "$TEST_DIR/backup-1.jsonl" "$TEST_DIR/flood-1.jsonl" <<'PY' || fail "the log lines"
import json, sys
def log(path):
    return json.loads(open(path).readline())["snapshot"]["execution"]["log"]
lines = [(l["level"], l["message"], l.get("step_id")) for l in log(sys.argv[1])]
assert ("info", "copied 3 files", "command") in lines and ("warn", "a warning", "command") in lines, lines
flood = [l["message"] for l in log(sys.argv[2])]
assert "caf\ufffd au lait" in flood, flood[:3]
assert any("not valid UTF-8" in m for m in flood), flood[-3:]
assert any("output lines were not sent" in m for m in flood), flood[-3:]
assert 20 < len(flood) < 100, len(flood)
print("log lines ok:", len(lines), "and", len(flood))
PY

# The daemon is down: the command still runs, the report waits in the outbox.
daemon_stop || fail "daemon did not stop"
OUT=$(run --workflow nightly-backup --execution-id offline-1 --send-timeout 2 -- sh -c 'echo offline work; exit 0' \
	2>"$TEST_DIR/offline.err")
[ $? -eq 0 ] && [ "$OUT" = "offline work" ] || fail "the command did not run while the daemon was down"
grep -q "is kept in" "$TEST_DIR/offline.err" || fail "no word about the outbox: $(cat "$TEST_DIR/offline.err")"
ls "$TEST_DIR/outbox"/offline-1-*.ndjson >/dev/null 2>&1 || fail "no report in the outbox"
daemon_start || fail "daemon did not restart"
"$W" tail --token-file "$TEST_DIR/operator" org >"$TEST_DIR/org2.jsonl" 2>>"$TEST_DIR/tail.err" &
wait_for 5 grep -q '"type":"subscribed"' "$TEST_DIR/org2.jsonl" || fail "tail did not subscribe again"
"$W" emit --token-file "$TEST_DIR/producer" --flush 2>"$TEST_DIR/flush.err" || fail "flush: $(cat "$TEST_DIR/flush.err")"
grep -q "from the outbox sent" "$TEST_DIR/flush.err" || fail "flush said nothing"
ls "$TEST_DIR/outbox"/*.ndjson >/dev/null 2>&1 && fail "the outbox was not emptied"
wait_for 5 grep -q '"execution_id":"offline-1".*"execution.completed"\|"execution.completed".*"execution_id":"offline-1"' \
	"$TEST_DIR/org2.jsonl" || fail "the kept report did not arrive"

# Usage errors: a clear line and exit 2; no command runs without --workflow.
"$W" run --token-file "$TEST_DIR/producer" -- true 2>"$TEST_DIR/usage.err"; [ $? -eq 2 ] || fail "run without --workflow"
grep -q -- "--workflow is required" "$TEST_DIR/usage.err" || fail "usage message: $(cat "$TEST_DIR/usage.err")"
"$W" run --token-file "$TEST_DIR/producer" --workflow "bad id" -- true 2>/dev/null; [ $? -eq 2 ] || fail "a bad workflow id"
"$W" run --token-file "$TEST_DIR/producer" --workflow w --label nokey -- true 2>/dev/null; [ $? -eq 2 ] || fail "a bad label"
"$W" run --token-file "$TEST_DIR/producer" --workflow w 2>/dev/null; [ $? -eq 2 ] || fail "run without a command"
"$W" emit --token-file "$TEST_DIR/producer" --execution-id x --workflow w counter name=x value=3 2>"$TEST_DIR/emit.err"; [ $? -eq 2 ] || fail "emit of a bad event"
grep -q "key:=42" "$TEST_DIR/emit.err" || fail "emit's hint about numbers: $(cat "$TEST_DIR/emit.err")"
"$W" step --token-file "$TEST_DIR/producer" "No context" -- true 2>"$TEST_DIR/step.err"; [ $? -eq 2 ] || fail "step without an execution"
grep -q "no execution to report to" "$TEST_DIR/step.err" || fail "step's message: $(cat "$TEST_DIR/step.err")"

# Expected runs from the command line: saved, listed, checked before sending,
# refused to a viewer, deleted.
mint acme vera viewer "$TEST_DIR/viewer"
A() { "$W" alerts --token-file "$TEST_DIR/$1" "${@:2}"; }
echo '{"workflow_id":"nightly-backup","cron":"30 2 * * *","grace_minutes":30}' | A operator schedule - \
	>"$TEST_DIR/sched.out" 2>&1 || fail "schedule save: $(cat "$TEST_DIR/sched.out")"
grep -q "saved the schedule of nightly-backup" "$TEST_DIR/sched.out" || fail "schedule save said: $(cat "$TEST_DIR/sched.out")"
echo '{"workflow_id":"month-close","working_day":5,"at":"18:00"}' | A operator schedule - >/dev/null 2>&1 \
	|| fail "a working-day schedule"
A viewer schedules >"$TEST_DIR/scheds.out" 2>&1 || fail "schedules: $(cat "$TEST_DIR/scheds.out")"
grep -q "^nightly-backup  *30 2 \* \* \*  *waiting" "$TEST_DIR/scheds.out" &&
	grep -q "^month-close  *working day 5 18:00" "$TEST_DIR/scheds.out" || fail "schedules listed: $(cat "$TEST_DIR/scheds.out")"
echo '{"workflow_id":"x","cron":"61 * * * *"}' | A operator schedule - 2>"$TEST_DIR/sched.err"
[ $? -eq 1 ] && grep -q "at schedule.cron: the minute field '61'" "$TEST_DIR/sched.err" || fail "a bad cron: $(cat "$TEST_DIR/sched.err")"
echo '{"workflow_id":"x","cron":"* * * * *","timezone":"Mars/Base"}' | A operator schedule - 2>"$TEST_DIR/sched.err"
[ $? -eq 1 ] && grep -q "unknown time zone 'Mars/Base'" "$TEST_DIR/sched.err" || fail "an unknown zone: $(cat "$TEST_DIR/sched.err")"
echo '{"workflow_id":"x","cron":"* * * * *"}' | A viewer schedule - 2>"$TEST_DIR/sched.err"
[ $? -eq 1 ] && grep -q "forbidden" "$TEST_DIR/sched.err" || fail "a viewer's schedule: $(cat "$TEST_DIR/sched.err")"
A operator unschedule nightly-backup >/dev/null 2>&1 || fail "unschedule"
A operator schedules | grep -q "^nightly-backup" && fail "the deleted schedule is still listed"
A operator unschedule nightly-backup 2>"$TEST_DIR/sched.err"
[ $? -eq 1 ] && grep -q "has no schedule" "$TEST_DIR/sched.err" || fail "unschedule of nothing: $(cat "$TEST_DIR/sched.err")"

sleep 0.5
kill %1 %2 2>/dev/null
python3 - "$TEST_DIR/org.jsonl" <<'PY' || fail "what the daemon received"
import json, sys
ev = [json.loads(l)["event"] for l in open(sys.argv[1]) if '"type":"event"' in l]
by = {}
for e in ev:
    by.setdefault(e["execution_id"], []).append(e)
def kinds(x): return [e["type"] for e in by[x]]
def last(x, k): return [e for e in by[x] if e["type"] == k][-1]
assert kinds("backup-1")[-1] == "execution.completed", kinds("backup-1")
q = last("backup-1", "execution.queued")
assert q["workflow_name"] == "Nightly backup" and q["labels"] == {"period": "2026-11", "client": "Biuro Bilans"}, q
assert q["params"]["command"].startswith("sh -c"), q
done = last("backup-1", "step.completed")
assert done["step_id"] == "command" and done["duration_ms"] >= 0 and done["memory_bytes"] > 0, done
f = last("backup-2", "execution.failed")
assert f["error"] == "exit status 3" and f["error_code"] == "EXIT_3", f
f = last("backup-3", "execution.failed")
assert f["error_code"] == "SIGKILL" and "signal 9" in f["error"], f
f = last("backup-4", "execution.failed")
assert f["error_code"] == "ENOENT" and "/no/such/command" in f["error"], f
steps = [(e["step_id"], e.get("attempt")) for e in by["close-1"] if e["type"] in ("step.completed", "step.failed")]
assert ("fetch-bank-statements", None) in steps and ("send-jpk", 1) in steps and ("send-jpk", 2) in steps, steps
assert kinds("close-1")[-1] == "execution.completed", kinds("close-1")
c = last("long-1", "execution.cancelled")
assert c["reason"].startswith("cancelled by olga"), c
assert any(e["type"] == "control.replied" and e["accepted"] for e in by["long-1"]), kinds("long-1")
print("run reports ok:", len(by), "executions")
PY
daemon_stop || fail "daemon did not exit cleanly"
grep -q "ERROR: AddressSanitizer\|runtime error" "$TEST_DIR/wfmond.log" && fail "sanitizer report in the daemon log"
echo "ok"
