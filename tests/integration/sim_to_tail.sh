#!/bin/bash
# wfmon-sim publishes a whole month-end-closing execution; `wfmon tail` sees the
# org feed and the execution room in order; HTTP publishing works the same way.
set -u
. "$(dirname "$0")/../support/daemon.sh"
trap daemon_cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- daemon log"; tail -20 "$TEST_DIR/wfmond.log"; exit 1; }

daemon_start || fail "daemon did not start"
mint acme ann viewer "$TEST_DIR/viewer"
mint acme sim producer "$TEST_DIR/producer"
URL="ws://127.0.0.1:$DAEMON_PORT"

"$WFMON_BUILD/wfmon" tail --url "$URL" --token-file "$TEST_DIR/viewer" org >"$TEST_DIR/org.jsonl" 2>"$TEST_DIR/tail.err" &
TAIL=$!
wait_for 5 grep -q '"type":"subscribed"' "$TEST_DIR/org.jsonl" || fail "tail did not subscribe: $(cat "$TEST_DIR/tail.err")"

"$WFMON_BUILD/wfmon-sim" --url "$URL" --token-file "$TEST_DIR/producer" --seed 11 --speed 200 \
	--once month-end-closing --quiet 2>"$TEST_DIR/sim.err" || fail "wfmon-sim failed: $(cat "$TEST_DIR/sim.err")"

wait_for 5 grep -Eq '"type":"execution\.(completed|failed)"' "$TEST_DIR/org.jsonl" || fail "no terminal event in the org feed"
kill -INT $TAIL; wait $TAIL

python3 - "$TEST_DIR/org.jsonl" <<'PY' || fail "org feed check"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1])]
events = [m for m in msgs if m["type"] == "event"]
kinds = [m["event"]["type"] for m in events]
seqs = [m["seq"] for m in events]
assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "positions not strictly rising"
assert kinds[0] == "execution.queued", kinds[:3]
q = events[0]["event"]
assert q["workflow_id"] == "month-end-closing" and len(q["steps"]) == 12, q
# The org feed carries execution-level events only, without step data.
assert not any(k in ("log", "counter", "step.progress", "resource.sample") for k in kinds), kinds
assert not any("input" in m["event"] or "output" in m["event"] for m in events)
ids = [m["event"]["id"] for m in events]
assert len(ids) == len(set(ids)), "an event delivered twice"
print("org feed ok:", len(events), "events")
PY

# The execution room, subscribed after the end: the snapshot holds all 12 steps.
EXEC=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "\"event\"" in l][0]["event"]["execution_id"])' "$TEST_DIR/org.jsonl")
"$WFMON_BUILD/wfmon" tail --url "$URL" --token-file "$TEST_DIR/viewer" "execution:$EXEC" >"$TEST_DIR/exec.jsonl" 2>>"$TEST_DIR/tail.err" &
TAIL=$!
wait_for 5 grep -q '"type":"subscribed"' "$TEST_DIR/exec.jsonl" || fail "tail of execution:$EXEC did not subscribe"
kill -INT $TAIL; wait $TAIL
python3 - "$TEST_DIR/exec.jsonl" <<'PY' || fail "execution snapshot check"
import json, sys
sub = [json.loads(l) for l in open(sys.argv[1])][0]
x = sub["snapshot"]["execution"]
assert len(x["steps"]) == 12, len(x["steps"])
assert x["status"] in ("completed", "failed"), x["status"]
done = [s for s in x["steps"] if s["status"] == "completed"]
assert all(s["duration_ms"] is not None for s in done)
print("execution snapshot ok:", x["status"], len(done), "steps completed")
PY

# HTTP: a JSON array from a producer, then a duplicate.
EV='{"type":"log","id":"http-1","execution_id":"h1","workflow_id":"wf","ts":"2026-11-23T04:00:00Z","level":"info","message":"hello"}'
OUT=$(curl -sS -H "Authorization: Bearer $(cat "$TEST_DIR/producer")" -H 'Content-Type: application/json' \
	--data "[$EV,$EV]" "http://127.0.0.1:$DAEMON_PORT/v1/events") || fail "curl"
echo "$OUT" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert [x["status"] for x in r["results"]]==["ok","duplicate"], r' \
	|| fail "HTTP publish answer: $OUT"

daemon_stop || fail "daemon did not exit cleanly"
grep -q "ERROR: AddressSanitizer\|runtime error" "$TEST_DIR/wfmond.log" && fail "sanitizer report in the daemon log"
echo "ok"
