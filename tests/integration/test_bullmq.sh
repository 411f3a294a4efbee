#!/bin/bash
# test_bullmq.sh: wfmon-bullmq end to end. A real redis-server (started here,
# on a Unix socket in the temp folder), a real BullMQ application
# (bullmq_app.js on the bullmq npm package, installed by this test into
# build/node-bullmq-VERSION, never committed), wfmon-bullmq, a real wfmond with a
# private PostgreSQL, and the console in tmux.
#
#   1. The application runs first, alone: its history is in Redis's streams
#      when the bridge starts (read from the oldest entry). Then the test adds
#      what a shared Redis holds: data that is not JSON, another application's
#      keys, a queue of an unknown BullMQ version, a "queue" that is no stream.
#   2. wfmond must then hold: each job an execution with its status, attempts
#      (each failed attempt's error), progress, masked and bounded data, labels
#      from the data, the final failure's reason and stack; the flow an
#      execution whose steps are its children; the prioritized and the delayed
#      jobs queued (in the queue numbers); the odd jobs said and skipped or
#      kept as text.
#   3. Jobs added live; while wfmond is down (delivered when it is back); after
#      a restart of Redis; after the bridge was killed (its saved stream
#      position: nothing read twice, nothing lost).
#   4. The console shows the executions, the label filter, the flow's steps
#      with the retried one's attempt.
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init bullmq
PG=$TMP/pg
# The BullMQ to test against (test_bullmq6.sh sets 6.x); ioredis is its Redis client.
BULLMQ_VERSION=${BULLMQ_VERSION:-5.81.5}
NODE_DIR=$ROOT/build/node-bullmq-$BULLMQ_VERSION
REDIS_SOCK=$TMP/redis.sock
REDIS_PID=
BRIDGE_PID=
stop_all() {
	[ -n "$BRIDGE_PID" ] && kill "$BRIDGE_PID" 2>/dev/null && wait "$BRIDGE_PID" 2>/dev/null
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	"$ROOT/src/tools/pgcluster.sh" stop "$PG" >/dev/null 2>&1
	if [ "$failed" -ne 0 ]; then
		echo "---- wfmon-bullmq log (last 40 lines)"; tail -n 40 "$TMP/bridge.log" 2>/dev/null
		echo "---- wfmond log (last 20 lines)"; tail -n 20 "$TMP/wfmond.log" 2>/dev/null
	fi
}
console_at_exit stop_all
die() { bad "$1"; console_test_summary; exit 1; }
check() { # WHAT COMMAND...: one check
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# ---- tools: redis-server, node and npm (make deps installs them), BullMQ from npm -----
for tool in redis-server redis-cli node npm python3; do
	command -v $tool >/dev/null || die "$tool is missing (make deps installs it)"
done
installed=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$NODE_DIR/node_modules/bullmq/package.json" 2>/dev/null)
if [ "$installed" != "$BULLMQ_VERSION" ]; then
	rm -rf "$NODE_DIR"
	mkdir -p "$NODE_DIR"
	echo '{"name":"wfmon-bullmq-test","private":true}' >"$NODE_DIR/package.json"
	# Its own cache beside it: a CI environment may have no usable HOME.
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error --cache "$NODE_DIR/.npm-cache" \
		"bullmq@$BULLMQ_VERSION" ioredis@5) >"$TMP/npm.log" 2>&1 || { cat "$TMP/npm.log"; die "npm install bullmq@$BULLMQ_VERSION"; }
fi
app() { # PHASE: the BullMQ application, until what it added has finished
	NODE_PATH="$NODE_DIR/node_modules" node "$ROOT/tests/integration/bullmq_app.js" "$REDIS_SOCK" "$1" \
		>>"$TMP/app.log" 2>&1 || { cat "$TMP/app.log"; die "the BullMQ application (phase $1) failed"; }
}
R() { redis-cli -s "$REDIS_SOCK" "$@"; }
redis_start() {
	mkdir -p "$TMP/redis"
	redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 --dir "$TMP/redis" \
		--save '' --appendonly yes --appendfsync always >>"$TMP/redis.log" 2>&1 &
	REDIS_PID=$!
	for _ in $(seq 1 100); do R ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done
	cat "$TMP/redis.log"; die "redis-server did not start"
}
redis_stop() { kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null; REDIS_PID=; }

# ---- database, daemon, tokens -----------------------------------------------------------
eval "$("$ROOT/src/tools/pgcluster.sh" start "$PG")" || die "no PostgreSQL cluster"
daemon_start_any_port --database "$WFMON_DB_APP" --database-owner "$WFMON_DB_OWNER" --spool-dir "$TMP/spool"
mint_token bridge producer
mint_token olga operator
redis_start

bridge_start() {
	"$B/wfmon-bullmq" --redis-socket "$REDIS_SOCK" --state "$TMP/state.json" --url "$URL" \
		--token-file "$TMP/producer" --label period --mask nip --discover-interval 1 --verbose \
		>>"$TMP/bridge.log" 2>&1 &
	BRIDGE_PID=$!
}

# snapshots EXEC_ID...: the executions wfmond holds, one JSON object per line
# ({"id":..., "missing":true} for one it does not know).
snapshots() {
	local rooms=() x pid n
	for x in "$@"; do rooms+=("execution:$x"); done
	"$B/wfmon" tail --url "$URL" --token-file "$TMP/operator" "${rooms[@]}" >"$TMP/tail.jsonl" 2>/dev/null &
	pid=$!
	for _ in $(seq 1 100); do
		n=$(grep -c '"type":"\(subscribed\|error\)"' "$TMP/tail.jsonl")
		[ "$n" -ge $# ] && break
		sleep 0.1
	done
	kill $pid 2>/dev/null; wait $pid 2>/dev/null
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("type") == "subscribed":
        x = (m.get("snapshot") or {}).get("execution")
        print(json.dumps(x if x else {"id": m["room"][len("execution:"):], "missing": True}))
    elif m.get("type") == "error":
        print(json.dumps({"id": "?", "missing": True, "error": m}))
' "$TMP/tail.jsonl"
}
# settled EXEC_ID...: every one of them is finished in wfmond.
settled() {
	snapshots "$@" | python3 -c '
import json, sys
xs = [json.loads(l) for l in sys.stdin]
sys.exit(0 if len(xs) == int(sys.argv[1]) and all(x.get("status") in ("completed", "failed") for x in xs) else 1)
' $#
}
wait_settled() { # SECONDS EXEC_ID...
	local t=$1; shift
	local end=$((SECONDS + t))
	while [ $SECONDS -le $end ]; do settled "$@" && return 0; sleep 0.3; done
	return 1
}

# ---- 1. history first, then a Redis shared with others ----------------------------------
app first
R hset bull:reports:raw-1 data 'period=2026-11; not {json' >/dev/null
R set bull:sessions:meta 'not a hash' >/dev/null
R set session:4f2a 'another application' >/dev/null
R hset bull:future:meta version bullmq:9.0.0 >/dev/null
R xadd bull:future:events '*' event added jobId f-1 >/dev/null
R hset bull:legacy:meta version bullmq:5.1.0 >/dev/null
R set bull:legacy:events 'not a stream' >/dev/null
bridge_start

# The queue "faktury zł/2026": its characters that ids cannot hold replaced,
# then a hash of the original (wfmon-bullmq(1)), apart from "faktury_z___2026".
ODD=$(python3 -c '
h = 2166136261
for c in "faktury zł/2026".encode() + b"\x1f" + b"odd-1":
    h = ((h ^ c) * 16777619) & 0xffffffff
print("faktury_z___2026:odd-1.%08x" % h)')
DONE=(invoices:ok-1 invoices:retry-1 invoices:fail-1 invoices:huge-1 invoices:deep-1 invoices:close-1
	"$ODD" faktury_z___2026:odd-1)
wait_settled 30 "${DONE[@]}" && ok "the application's history reached wfmond" ||
	bad "the history: $(snapshots "${DONE[@]}" | cut -c1-200)"

snapshots "${DONE[@]}" reports:prio-1 reports:later-1 reports:raw-1 >"$TMP/snap.jsonl"
python3 - "$TMP/snap.jsonl" "$ODD" >"$TMP/snap.check" 2>&1 <<'PY'
import json, sys
x = {e["id"]: e for e in map(json.loads, open(sys.argv[1]))}
fails = []
def want(what, cond):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond: fails.append(what)
def step(e, sid):
    return next((s for s in e.get("steps", []) if s["id"] == sid), {})
def logs(e):
    return [(l["level"], l["message"]) for l in e.get("log", [])]

ok1 = x["invoices:ok-1"]
want("a job is an execution of the workflow <queue>.<name>, completed",
     ok1["status"] == "completed" and ok1["workflow_id"] == "invoices.ocr-invoice")
want("its data is the params, the configured and default keys masked at any depth",
     ok1["params"]["password"] == "***" and ok1["params"]["nip"] == "***" and ok1["params"]["nested"]["token"] == "***"
     and ok1["params"]["nested"]["list"][2]["secret"] == "***" and ok1["params"]["invoice"] == "FV/2026/11/1")
want("its return value is the output", step(ok1, "process").get("output") == {"ok": True, "job": "ocr-invoice", "sum": 1234.5})
want("progress reported", step(ok1, "process").get("progress", {}).get("current") == 100)
want("labels from the data (--label period) and the queue",
     ok1["labels"].get("period") == "2026-11" and ok1["labels"].get("queue") == "invoices")
want("the masking is said in the execution's log after it was queued (not as its start)",
     any("4 values masked" in m for _, m in logs(ok1)))

r = x["invoices:retry-1"]; p = step(r, "process")
want("a job retried once: completed at attempt 2, attempt 1's error kept",
     r["status"] == "completed" and p.get("attempt") == 2 and p.get("status") == "completed"
     and [(a["attempt"], a["status"], a["error"]) for a in p.get("attempts", [])] == [(1, "failed", "OCR engine timeout")])

f = x["invoices:fail-1"]; p = step(f, "process")
want("a job failing every attempt: failed with the reason, 2 attempts",
     f["status"] == "failed" and "bad NIP 1234567890" in (f["error"] or "") and p.get("attempt") == 2
     and len(p.get("attempts", [])) == 1)
stack = [m for lvl, m in logs(f) if lvl == "error" and m.startswith("Error: bad NIP")]
want("its stack trace in the log, its lines kept", len(stack) == 1 and "\n    at " in stack[0])

h = x["invoices:huge-1"]
want("200 kB of data: a bounded preview and a word", h["status"] == "completed" and h["params"].get("truncated") is True
     and len(json.dumps(h["params"])) < 20000 and any("more than the 16384 kept" in m for _, m in logs(h)))
d = x["invoices:deep-1"]
depth, v = 0, d["params"]
while isinstance(v, dict) and "down" in v:
    v, depth = v["down"], depth + 1
want("data nested 40 deep: cut at 32 levels, said", d["status"] == "completed" and depth < 33
     and any("nests deeper" in m for _, m in logs(d)))

c = x["invoices:close-1"]
ids = [s["id"] for s in c["steps"]]
want("a flow is one execution whose steps are its children, then its own processing",
     c["status"] == "completed" and sorted(ids) == ["invoices:close-1-jpk", "invoices:close-1-vat", "process"]
     and sorted(step(c, "process").get("depends_on", [])) == ["invoices:close-1-jpk", "invoices:close-1-vat"])
vat = step(c, "invoices:close-1-vat")
want("a flow's child retried: attempt 2, its input the child's data", vat.get("attempt") == 2
     and vat.get("name") == "vat-return" and vat.get("input") == {"step": "vat", "fail": "once"})

o, look = x[sys.argv[2]], x["faktury_z___2026:odd-1"]
want("a queue name with a space, a slash and Polish letters: ids of the protocol's characters and a hash, "
     "the name kept", o["status"] == "completed" and o["workflow_id"].startswith("faktury_z___2026.import.")
     and o["labels"].get("queue") == "faktury zł/2026" and "faktury zł/2026" in o["workflow_name"]
     and o["params"] == {"period": "2026-11"})
want("a queue named like it with the replaced characters written out: an execution and a workflow of its own",
     look["status"] == "completed" and look["workflow_id"] == "faktury_z___2026.import"
     and look["labels"].get("queue") == "faktury_z___2026" and look["params"] == {"period": "2026-10"})

pr, lt, raw = x["reports:prio-1"], x["reports:later-1"], x["reports:raw-1"]
want("a prioritized job waiting: queued HIGH", pr["status"] == "queued" and pr["priority"] == "HIGH")
want("a delayed job: queued with delayed_until", lt["status"] == "queued" and lt["delayed_until"] is not None)
want("data that is not JSON: kept as text, said, still queued (not taken as started)",
     raw["status"] == "queued" and raw["params"] == "period=2026-11; not {json"
     and any("not JSON" in m for _, m in logs(raw)))
sys.exit(1 if fails else 0)
PY
rc=$?
sed 's/^/  /' "$TMP/snap.check"
[ $rc -eq 0 ] && ok "what wfmond holds of each job" || bad "what wfmond holds of each job (see above)"

"$B/wfmon" tail --url "$URL" --token-file "$TMP/operator" queue >"$TMP/queue.jsonl" 2>/dev/null &
for _ in $(seq 1 100); do [ -s "$TMP/queue.jsonl" ] && break; sleep 0.1; done
kill $! 2>/dev/null
numbers=$(head -n 1 "$TMP/queue.jsonl")
check "queue numbers: 3 waiting, the delayed one apart, 1 HIGH" python3 -c '
import json, sys
n = json.loads(sys.argv[1])["snapshot"]["numbers"]
sys.exit(0 if n["depth"] == 3 and n["delayed"] == 1 and n["by_priority"]["HIGH"] == 1 else 1)' "$numbers"

check "an unknown BullMQ version said and skipped" grep -q "BullMQ version 'bullmq:9.0.0' has a layout this bridge does not know" "$TMP/bridge.log"
check "another application's key said and skipped" grep -q "bull:sessions:meta is a Redis string, not a BullMQ queue" "$TMP/bridge.log"
check "a queue whose events are no stream said and skipped" grep -q "bull:legacy:events is a Redis string, not a stream" "$TMP/bridge.log"
check "nothing of the unknown queue reached wfmond" python3 -c '
import json, sys
sys.exit(0 if json.loads(sys.argv[1]).get("missing") else 1)' "$(snapshots future:f-1)"

# ---- 3. live, wfmond down, Redis restarted, the bridge killed ---------------------------
app live
wait_settled 20 invoices:live-1 && ok "a job run while the bridge watches" || bad "the live job"

daemon_stop
app offline
sleep 1.5
check "the bridge says wfmond is away and keeps running" kill -0 "$BRIDGE_PID"
daemon_start || die "wfmond did not start again"
wait_settled 30 invoices:offline-1 && ok "a job run while wfmond was down, delivered when it came back" ||
	bad "the job run while wfmond was down"

redis_stop
sleep 1.5
check "Redis down: said, the bridge keeps running" grep -q "trying again" "$TMP/bridge.log"
redis_start
app redis-back
wait_settled 30 invoices:redis-back-1 && ok "a job after Redis restarted" || bad "the job after Redis restarted"

# Killed without a chance to save: the state file written before is where it
# resumes; what was read after it is read again (same event ids: wfmond
# takes them once). Then stopped cleanly: it saves, and reads nothing again.
sleep 1.5                       # a save (once a second) after the last job
kill -KILL "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
app while-killed
mark=$(wc -l <"$TMP/bridge.log")
bridge_start
wait_settled 30 invoices:while-killed-1 && ok "a job run while the bridge was dead" || bad "the job run while the bridge was dead"
check "a restarted bridge resumes at its saved position" grep -q "queue invoices: reading its events from [0-9]" "$TMP/bridge.log"
check "... and reads none of the jobs settled before it was killed" \
	bash -c "! tail -n +$((mark + 1)) '$TMP/bridge.log' | grep -E ' (ok-1|retry-1|live-1|redis-back-1)\$| (ok-1|retry-1|live-1|redis-back-1):'"
kill -TERM "$BRIDGE_PID"; wait "$BRIDGE_PID"
check "stopped by SIGTERM: exit 0" [ $? -eq 0 ]
mark=$(wc -l <"$TMP/bridge.log")
bridge_start
sleep 2
check "started again after a clean stop: no entry read again" \
	bash -c "! tail -n +$((mark + 1)) '$TMP/bridge.log' | grep -q 'event(s)'"
EVERY=("${DONE[@]}" invoices:live-1 invoices:offline-1 invoices:redis-back-1 invoices:while-killed-1)
check "each job once, none lost: every execution settled, retries counted once" python3 -c '
import json, sys
xs = [json.loads(l) for l in sys.stdin]
r = next(x for x in xs if x["id"] == "invoices:retry-1")
sys.exit(0 if len(xs) == int(sys.argv[1]) and all(x.get("status") in ("completed", "failed") for x in xs)
         and len(r["steps"][0]["attempts"]) == 1 else 1)' ${#EVERY[@]} < <(snapshots "${EVERY[@]}")

# ---- 4. the console -------------------------------------------------------------------
console_start main 120 30 operator LANG=C.UTF-8
wait_for main "the console lists the bridge's executions" 'month-close \(invoices\)' 10
wait_for main "the failed job with its reason" 'bad NIP 1234567890' 5
keys main / 'label:period=2026-10' Enter
wait_for main "label filter: the October job" 'validate-nip' 5
wait_gone main "label filter: the November ones hidden" 'month-close' 5
keys main /
sleep 0.3
keys main Escape
wait_for main "Escape in the filter prompt clears it" 'month-close \(invoices\)' 5
keys main / 'month-close' Enter
wait_for main "text filter: the flow" 'month-close \(invoices\)' 5
keys main Enter
wait_for main "the flow's steps: its children" 'jpk-file' 5
wait_for main "the retried child with its attempt" 'vat-return.*#2' 5

console_test_summary
