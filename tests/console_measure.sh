#!/bin/bash
# console_measure.sh: CPU, bytes written to the terminal and event-to-screen
# latency of the console with ~RATE events/s flowing (not part of make check),
# at 120x40, on the executions list or on the built-in dashboard (VIEW).
#   tests/console_measure.sh [BUILD_DIR] [SECONDS] [RATE] [executions|dashboard]
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
bytes0=$(stat -c %s $TMP/tty.out); cpu0=$(awk '{print $14+$15}' /proc/$PID/stat); t0=$(date +%s.%N)
per=$((RATE / 10)); n=0; end=$((SECONDS + DUR))
while [ $SECONDS -lt $end ]; do
  ts=$(now); b="["; for i in $(seq 1 $per); do n=$((n+1)); x=$((n % 20 + 1)); s=$(( (n / 20) % 50 + 1 ))
    b+="{\"type\":\"step.completed\",\"id\":\"c$n\",\"execution_id\":\"ex-$x\",\"workflow_id\":\"wf$((x%4))\",\"ts\":\"$ts\",\"step_id\":\"s$s\",\"duration_ms\":5},"; done
  post "${b%,}]" & sleep 0.1
done
posting=$(jobs -p | grep -vx "$DPID")
[ -z "$posting" ] || wait $posting 2>/dev/null
sleep 0.5
t1=$(date +%s.%N); bytes1=$(stat -c %s $TMP/tty.out); cpu1=$(awk '{print $14+$15}' /proc/$PID/stat)
hz=$(getconf CLK_TCK)
awk -v b=$((bytes1-bytes0)) -v c=$((cpu1-cpu0)) -v hz=$hz -v t0=$t0 -v t1=$t1 -v n=$n 'BEGIN {
  d=t1-t0; printf "events %d in %.1f s (%.0f/s)\nCPU %.2f%% of one core\nterminal output %.0f bytes/s\n", n, d, n/d, 100*c/hz/d, b/d }'
# Latency: a new execution appears on screen (started: the dashboard's
# running executions show it first); polled every 10 ms.
for k in 1 2 3 4 5; do
  t=$(date +%s%N)
  post "[{\"type\":\"execution.queued\",\"id\":\"lat$k\",\"execution_id\":\"lat-$k\",\"workflow_id\":\"zz\",\"ts\":\"$(now)\",\"workflow_name\":\"AAA latency $k\",\"priority\":\"HIGH\",\"steps\":[{\"id\":\"a\",\"name\":\"a\"}]},{\"type\":\"execution.started\",\"id\":\"lats$k\",\"execution_id\":\"lat-$k\",\"workflow_id\":\"zz\",\"ts\":\"$(now)\"}]"
  waited=0
  until $TM capture-pane -p | grep -q "AAA latency $k"; do
    sleep 0.01; waited=$((waited + 1))
    [ $waited -lt 1000 ] || { echo "latency $k: not on screen after 10 s"; continue 2; }
  done
  echo "latency $k: $(( ($(date +%s%N) - t) / 1000000 )) ms (includes curl and tmux)"
done
