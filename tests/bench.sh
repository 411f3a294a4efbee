#!/bin/bash
# tests/bench.sh BUILD: the fan-out benchmark matrix (`make bench`).
#
# First measures what one write to a loopback socket costs on this machine
# (wfmon-bench --write-cost 1000): the daemon's CPU per delivery is about that
# divided by the frames each write carries, so the goals below depend on it.
# Then starts BUILD/wfmond on a free loopback port with a fresh random secret and
# one viewer and one producer token, runs BUILD/wfmon-bench for subscribers
# 100 and 1000 x rooms 1 and 100, then the same daemon over TLS (a certificate
# from a CA made here with openssl) for the 1-room rows, then what receiving
# costs each client (--client-cost: the lean client against libwebsockets',
# plain and over TLS), then the idle-connection test, prints the tables beside
# the goals and appends every JSON result line to BUILD/bench-results.jsonl.
# With two CPUs or more and taskset at hand, the daemon runs on CPU 0 and the
# load on CPU 1 (BENCH_PIN=0: not pinned). The daemon is killed on exit
# whatever happens.
#
# Environment: BENCH_DURATION (measured seconds per run, 10), BENCH_IDLE (idle
# connections, 10000), BENCH_PIN. Exits non-zero if a run failed; a missed goal
# is shown as MISSED but does not fail (the numbers depend on the machine).
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
duration=${BENCH_DURATION:-10}
idle_n=${BENCH_IDLE:-10000}
results=$build/bench-results.jsonl

. tests/support/bench_pin.sh

for bin in wfmond wfmon wfmon-bench; do
	if [ ! -x "$build/$bin" ]; then
		echo "bench: $build/$bin is missing; run make first" >&2
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/wfmon-bench.XXXXXX)
daemon_pid=
stop_daemon() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
		daemon_pid=
	fi
}
cleanup() {
	stop_daemon
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 32 random bytes as 64 hex characters: text, so no newline can hide in it.
head -c 32 /dev/urandom | od -An -vtx1 | tr -d ' \n' >"$tmp/secret"
chmod 600 "$tmp/secret"
for role in viewer producer; do
	if ! "$build/wfmon" token --org bench --sub "bench-$role" --role "$role" \
		--secret-file "$tmp/secret" >"$tmp/$role.token" 2>"$tmp/token.err"; then
		echo "bench: cannot mint a $role token:" >&2
		cat "$tmp/token.err" >&2
		exit 1
	fi
done

# TLS: a CA and a certificate for localhost, made here.
if ! { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ca.key" \
	-out "$tmp/ca.crt" -days 2 -subj '/CN=wfmon bench CA' &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.csr" \
		-subj '/CN=localhost' &&
	printf 'subjectAltName=DNS:localhost\n' >"$tmp/tls.ext" &&
	openssl x509 -req -in "$tmp/tls.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 \
		-extfile "$tmp/tls.ext" -out "$tmp/tls.crt"; } 2>"$tmp/openssl.log"; then
	echo "bench: cannot make the test certificate:" >&2
	cat "$tmp/openssl.log" >&2
	exit 1
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_daemon [wfmond flags...]: a random free port; if the daemon still
# cannot bind it (a race), try another.
start_daemon() {
	local attempt port
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 12000))  # below the ephemeral range
		port_open "$port" && continue
		"${pin_daemon[@]}" "$build/wfmond" --listen "127.0.0.1:$port" --jwt-secret-file "$tmp/secret" \
			--log-level warn --config /dev/null "$@" 2>"$tmp/wfmond.log" &
		daemon_pid=$!
		local i
		for i in $(seq 1 100); do
			if ! kill -0 "$daemon_pid" 2>/dev/null; then
				wait "$daemon_pid" 2>/dev/null
				daemon_pid=
				break
			fi
			if port_open "$port"; then
				daemon_port=$port
				return 0
			fi
			sleep 0.05
		done
		stop_daemon
	done
	echo "bench: wfmond did not start; its log:" >&2
	cat "$tmp/wfmond.log" >&2
	return 1
}
# field NAME JSON: a top-level number (or null) from a flat JSON line.
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"; }

: >"$results"
echo "bench: the cost of one write to each of 1000 loopback sockets on this machine"
if writecost=$("$build/wfmon-bench" --write-cost 1000 2>"$tmp/writecost.log") && [ -n "$writecost" ]; then
	echo "$writecost" >>"$results"
else
	echo "bench: the write-cost measurement FAILED:" >&2
	cat "$tmp/writecost.log" >&2
	writecost=
fi

start_daemon || exit 1
url=ws://127.0.0.1:$daemon_port
tls_args=()
tls=no
echo "bench: wfmond pid $daemon_pid on $url; $duration s per run${pin_daemon:+; daemon on CPU 0, load on CPU 1}"

failed=0
rows=()
# run SUBSCRIBERS ROOMS EVENTS_PER_S [EVENTS_PER_PUBLISH [PUBLISHERS]]
run() {
	local subs=$1 rooms=$2 rate=$3 out
	local target=$((rate * subs / rooms))
	# wfmond limits requests per connection (200/s by default): two publishers
	# sending batches that keep each under 100 publishes/s stay well inside it.
	local publishers=${5:-2}
	local batch=${4:-$(((rate + 199) / 200))}
	echo "bench: $subs subscribers in $rooms room(s), $rate events/s ($target deliveries/s), TLS $tls"
	if out=$("${pin_load[@]}" "$build/wfmon-bench" --url "$url" "${tls_args[@]}" --token-file "$tmp/viewer.token" \
		--producer-token-file "$tmp/producer.token" --subscribers "$subs" --rooms "$rooms" \
		--rate "$rate" --duration "$duration" --publishers "$publishers" --batch "$batch" \
		--daemon-pid "$daemon_pid" 2>"$tmp/bench.log") && [ -n "$out" ]; then
		echo "$out" >>"$results"
		rows+=("$target $tls $out")
	else
		echo "bench: FAILED; last lines of its log:" >&2
		tail -n 15 "$tmp/bench.log" >&2
		[ -n "$out" ] && echo "$out" >>"$results"
		failed=1
	fi
	if ! kill -0 "$daemon_pid" 2>/dev/null; then
		echo "bench: wfmond died; its log:" >&2
		tail -n 30 "$tmp/wfmond.log" >&2
		daemon_pid=
		exit 1
	fi
}

run 100 1 2000
run 100 100 2000
run 1000 1 200
# The same load from a producer that sends 5 events a publish (every 25 ms):
# each subscriber then gets several frames per write.
run 1000 1 200 5 1
run 1000 100 200

# client_cost SUBSCRIBERS: the lean client, then libwebsockets', receiving.
cost_rows=()
client_cost() {
	local out
	echo "bench: receiving cost of each client, $1 subscribers, 200 events/s, TLS $tls"
	if out=$("${pin_load[@]}" "$build/wfmon-bench" --url "$url" "${tls_args[@]}" --token-file "$tmp/viewer.token" \
		--producer-token-file "$tmp/producer.token" --client-cost "$1" --rate 200 \
		--duration "$duration" 2>"$tmp/cost.log") && [ -n "$out" ]; then
		echo "$out" >>"$results"
		cost_rows+=("$out")
	else
		echo "bench: client cost FAILED:" >&2
		tail -n 5 "$tmp/cost.log" >&2
		failed=1
	fi
}
client_cost 1000

# The same daemon over TLS: the 1-room rows, where the writing dominates.
stop_daemon
start_daemon --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" || exit 1
url=wss://localhost:$daemon_port
tls_args=(--ca-file "$tmp/ca.crt")
tls=yes
echo "bench: wfmond pid $daemon_pid on $url (TLS; kernel TLS: $(grep -q '^tls ' /proc/modules 2>/dev/null && echo possible || echo not in this kernel))"
run 100 1 2000
run 1000 1 200
run 1000 1 200 5 1
client_cost 1000
tls_args=()
tls=no

# A fresh daemon, so that memory the fan-out runs freed does not hide what
# the idle connections cost.
stop_daemon
start_daemon || exit 1
url=ws://127.0.0.1:$daemon_port
echo "bench: $idle_n idle connections (new wfmond pid $daemon_pid)"
idle=
# 17 s: every connection is pinged once (ping-interval 15 s) while the
# daemon's CPU is measured.
if idle=$("${pin_load[@]}" "$build/wfmon-bench" --url "$url" --token-file "$tmp/viewer.token" \
	--idle "$idle_n" --idle-seconds 17 --daemon-pid "$daemon_pid" 2>"$tmp/idle.log") && [ -n "$idle" ]; then
	echo "$idle" >>"$results"
else
	echo "bench: idle test FAILED; last lines of its log:" >&2
	tail -n 15 "$tmp/idle.log" >&2
	idle=
	failed=1
fi

echo
printf '%11s %5s %5s %4s %10s %10s %8s %8s %8s %8s %9s %10s\n' subscribers rooms batch tls target/s \
	achieved/s p50_ms p99_ms max_ms lost "µs/deliv" "rss_KiB"
goal_rate=MISSED goal_cpu=met cpu_seen=0
for row in "${rows[@]}"; do
	target=${row%% *}
	row=${row#* }
	rtls=${row%% *}
	j=${row#* }
	subs=$(field subscribers "$j") rooms=$(field rooms "$j")
	dps=$(field deliveries_per_s "$j") p99=$(field p99_ms "$j") lost=$(field lost "$j")
	cpu=$(field daemon_cpu_us_per_delivery "$j")
	printf '%11s %5s %5s %4s %10s %10s %8s %8s %8s %8s %9s %10s\n' "$subs" "$rooms" "$(field batch "$j")" "$rtls" \
		"$target" "$dps" "$(field p50_ms "$j")" "$p99" "$(field max_ms "$j")" "$lost" "$cpu" \
		"$(field daemon_rss_kib "$j")"
	# The goals are the plain listener's; the TLS rows are there to compare.
	[ "$rtls" = no ] || continue
	if [ "$subs" = 1000 ] && [ "$rooms" = 1 ]; then
		if [ "$dps" != null ] && [ "$p99" != null ] && [ "${dps%.*}" -ge 200000 ] &&
			awk -v p="$p99" 'BEGIN { exit !(p < 20) }' && [ "$lost" = 0 ]; then
			goal_rate=met
		fi
	fi
	# With many rooms the per-event work dominates, not the fan-out.
	if [ "$rooms" = 1 ] && [ "$cpu" != null ]; then
		cpu_seen=1
		awk -v c="$cpu" 'BEGIN { exit !(c < 3) }' || goal_cpu=MISSED
	fi
done
[ "$cpu_seen" = 1 ] || goal_cpu=MISSED
if [ ${#cost_rows[@]} -gt 0 ]; then
	printf '\nreceiving cost per delivery in the load process (µs of CPU), the same daemon and load:\n'
	printf '%4s %11s %14s %14s %8s\n' tls subscribers lean libwebsockets ratio
	for j in "${cost_rows[@]}"; do
		lean=$(sed -n 's/.*"lean":{[^}]*"cpu_us_per_delivery":\([0-9.]*\).*/\1/p' <<<"$j")
		lws=$(sed -n 's/.*"libwebsockets":{[^}]*"cpu_us_per_delivery":\([0-9.]*\).*/\1/p' <<<"$j")
		printf '%4s %11s %14s %14s %8s\n' "$(field tls "$j" | sed 's/true/yes/;s/false/no/')" \
			"$(field subscribers "$j")" "$lean" "$lws" "$(awk -v a="$lean" -v b="$lws" 'BEGIN { if (a > 0) printf "%.2f", b / a }')"
	done
fi
goal_idle=MISSED
if [ -n "$idle" ]; then
	per=$(field rss_per_connection_bytes "$idle")
	printf '\nidle: %s connections, daemon RSS %s -> %s KiB, %s bytes per connection\n' \
		"$(field idle_connections "$idle")" "$(field daemon_rss_before_kib "$idle")" \
		"$(field daemon_rss_after_kib "$idle")" "$per"
	printf '      daemon CPU %s %% of a core over %s s, each connection pinged once\n' \
		"$(field daemon_cpu_percent "$idle")" "$(field idle_seconds "$idle")"
	awk -v b="$per" 'BEGIN { exit !(b < 4096) }' && goal_idle=met
fi
if [ -n "$writecost" ]; then
	printf '\nthis machine: one write of one %s-byte frame to a loopback socket costs %s µs of CPU,\n' \
		"$(field frame_bytes "$writecost")" "$(field us_per_write_1_frame "$writecost")"
	printf '              one write of %s frames %s µs (%s µs a frame)\n' "$(field frames "$writecost")" \
		"$(field us_per_write_frames "$writecost")" "$(field us_per_frame_batched "$writecost")"
fi
echo
echo "goals:"
echo "  1000 subscribers, 1 room: >= 200000 deliveries/s, p99 < 20 ms, 0 lost   $goal_rate"
echo "  daemon CPU < 3 µs per delivery (the 1-room runs)                      $goal_cpu"
echo "  10000 idle connections < 4 KiB daemon RSS each                         $goal_idle"
echo
echo "results: $results"
exit "$failed"
