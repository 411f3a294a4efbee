#!/bin/bash
# console_measure.sh: CPU, bytes written to the terminal and event-to-screen
# latency of the console with RATE events/s flowing (not part of make check),
# at 120x40, on the executions list or on the built-in dashboard (VIEW).
#   tests/console_measure.sh [BUILD_DIR] [SECONDS] [RATE] [executions|dashboard]
# Latency: from posting a new execution (over a kept HTTP connection) to the
# console's first write to the terminal that carries its name.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$ROOT/build}" && pwd); DUR=${2:-20}; RATE=${3:-100}; VIEW=${4:-executions}
TMP=$(mktemp -d); SOCK=wfmon-measure-$$; TM="tmux -L $SOCK -f /dev/null"
DPID=; PID=
# Everything this script started goes with it: the console (and the script(1)
# around it, through the tmux server), the daemon and any request still posting.
cleanup() {
	$TM kill-server 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >$TMP/secret
PORT=$((20000 + RANDOM % 30000))
$B/wfmond --listen 127.0.0.1:$PORT --jwt-secret-file $TMP/secret --log-level warn >$TMP/d.log 2>&1 & DPID=$!
sleep 0.5
$B/wfmon token --org acme --sub ann --role viewer --secret-file $TMP/secret >$TMP/v
$B/wfmon token --org acme --sub p --role producer --secret-file $TMP/secret >$TMP/p
$TM new-session -d -x 120 -y 40 -e LANG=C.UTF-8 \
  "script -qfc '$B/wfmon --url ws://127.0.0.1:$PORT --token-file $TMP/v --view $VIEW' $TMP/tty.out"
sleep 1
# The console itself: its command line starts with the binary (tmux's and
# script's command lines only contain it).
PID=$(pgrep -f "^$B/wfmon --url ws://127.0.0.1:$PORT " | head -1)
if [ -z "$PID" ] || [ "$(cat /proc/$PID/comm 2>/dev/null)" != wfmon ]; then
	echo "console_measure: the console did not start (daemon log: $(tail -n 3 $TMP/d.log))" >&2
	exit 1
fi
echo "measuring the console, pid $PID: $(tr '\0' ' ' </proc/$PID/cmdline | cut -c1-100)"
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
post() { curl -s -o /dev/null -H "Authorization: Bearer $(cat $TMP/p)" --data-binary "$1" http://127.0.0.1:$PORT/v1/events; }
# 20 executions of 50 steps each, advanced round-robin: RATE/10 events every 100 ms.
for x in $(seq 1 20); do
  steps=$(for s in $(seq 1 50); do printf '{"id":"s%d","name":"Step %d"},' $s $s; done)
  post "[{\"type\":\"execution.queued\",\"id\":\"q$x\",\"execution_id\":\"ex-$x\",\"workflow_id\":\"wf$((x%4))\",\"ts\":\"$(now)\",\"workflow_name\":\"Workflow $((x%4))\",\"priority\":\"NORMAL\",\"steps\":[${steps%,}]},{\"type\":\"execution.started\",\"id\":\"st$x\",\"execution_id\":\"ex-$x\",\"workflow_id\":\"wf$((x%4))\",\"ts\":\"$(now)\"}]"
done
sleep 1
# The load and the latency samples come from one Python process (measure
# below): it posts over HTTP itself, so no process is started per batch or per
# sample, and it watches the bytes the console writes to the terminal (script
# -f flushes each write to tty.out) instead of polling tmux.
python3 - "$PORT" "$(cat $TMP/p)" "$RATE" "$DUR" "$TMP/tty.out" "$PID" <<'PY'
import http.client, json, os, random, re, string, sys, time
port, token, rate, dur, tty, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
def cpu_ticks():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])   # utime + stime
conn = None
def post(events):
    """POSTs a batch; a new connection when the daemon closed the last one."""
    global conn
    body = json.dumps(events).encode()
    for _ in range(2):
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/v1/events", body, {"Authorization": "Bearer " + token,
                                                      "Content-Type": "application/json"})
            r = conn.getresponse(); r.read()
            if r.getheader("Connection", "").lower() == "close":
                conn.close(); conn = None
            return r.status
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
    return 0
def now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)
# RATE events/s: RATE/10 step.completed every 100 ms, round-robin over the 20 executions.
bytes0, cpu0, start = os.path.getsize(tty), cpu_ticks(), time.monotonic()
n, per, end = 0, max(1, rate // 10), start + dur
tick = start
while rate > 0 and time.monotonic() < end:
    batch = []
    for _ in range(per):
        n += 1; x = n % 20 + 1; s = (n // 20) % 50 + 1
        batch.append({"type": "step.completed", "id": "c%d" % n, "execution_id": "ex-%d" % x,
                      "workflow_id": "wf%d" % (x % 4), "ts": now(), "step_id": "s%d" % s, "duration_ms": 5})
    post(batch)
    tick += 0.1
    time.sleep(max(0, tick - time.monotonic()))
time.sleep(max(0, end - time.monotonic()))
d, hz = time.monotonic() - start, os.sysconf("SC_CLK_TCK")
print("events %d in %.1f s (%.0f/s)\nCPU %.2f%% of one core\nterminal output %.0f bytes/s"
      % (n, d, n / d, 100.0 * (cpu_ticks() - cpu0) / hz / d, (os.path.getsize(tty) - bytes0) / d), flush=True)
time.sleep(1.0)
# Latency: a new execution (started, so the dashboard's running executions and
# the list show it first) named by a random word; on screen when the console's
# next write to the terminal carries it. Its escape sequences are taken out
# first; a piece of the word is enough (curses skips cells already right).
ansi = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()*+][0-9A-Za-z]|[=>78DEHMc])")
for k in range(1, 6):
    word = "".join(random.choice(string.ascii_uppercase) for _ in range(12))
    pieces = [word[i:i + 5].encode() for i in range(0, 8)]
    size = os.path.getsize(tty)
    t0 = time.monotonic()
    post([{"type": "execution.queued", "id": "lat%d" % k, "execution_id": "lat-%d" % k, "workflow_id": "zz",
           "ts": now(), "workflow_name": word, "priority": "HIGH", "steps": [{"id": "a", "name": "a"}]},
          {"type": "execution.started", "id": "lats%d" % k, "execution_id": "lat-%d" % k, "workflow_id": "zz",
           "ts": now()}])
    acked = (time.monotonic() - t0) * 1000
    seen, buf = None, b""
    while time.monotonic() - t0 < 10 and seen is None:
        if os.path.getsize(tty) > size:
            with open(tty, "rb") as f:
                f.seek(size); chunk = f.read()
            size += len(chunk); buf += chunk
            plain = ansi.sub(b"", buf)
            if any(p in plain for p in pieces):
                seen = (time.monotonic() - t0) * 1000
        time.sleep(0.001)
    print("latency %d: %s (publish acknowledged after %.0f ms)" %
          (k, "%.0f ms" % seen if seen is not None else "not seen in 10 s", acked), flush=True)
    time.sleep(0.5)
PY
