#!/bin/bash
# tls_clients.sh: the console, `wfmon tail`, `wfmon alerts` and wfmon-sim over
# wss:// against wfmond with a certificate from a test CA made here with
# openssl: events flow with verification; a wrong host name and an unknown CA
# are refused with the message; a token crossing a network in clear text is
# warned about; short-lived tokens are renewed in-band (the console from its
# token file, tail from a token command) so that nothing is closed at their
# expiry, and a console whose file stops being refreshed says so and is
# refused once its token is gone.
#
# The daemon, tmux and the checks are tests/support/console.sh (no terminal
# needed, screens printed on failure).
# shellcheck source=tests/support/console.sh
. "$(dirname "$0")/../support/console.sh"
console_test_init tls-clients
command -v openssl >/dev/null || { echo "$TEST_NAME: openssl is missing"; exit 1; }

# ---- a test CA and the daemon's certificate (for localhost only) ------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/ca.key" -out "$TMP/ca.crt" \
	-days 2 -subj '/CN=wfmon test CA' 2>/dev/null || exit 1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/srv.key" -out "$TMP/srv.csr" \
	-subj '/CN=localhost' 2>/dev/null || exit 1
printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$TMP/srv.ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
	-extfile "$TMP/srv.ext" -out "$TMP/srv.crt" 2>/dev/null || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/other.key" \
	-out "$TMP/other.crt" -days 2 -subj '/CN=another CA' 2>/dev/null || exit 1

# console.sh's daemon_start speaks plain HTTP: this one waits over HTTPS.
daemon_start() {
	"$B/wfmond" --listen "127.0.0.1:$PORT" --jwt-secret-file "$TMP/secret" --log-level info \
		"${DAEMON_FLAGS[@]}" >>"$TMP/wfmond.log" 2>&1 &
	DPID=$!
	for _ in $(seq 1 200); do
		curl -sf --cacert "$TMP/ca.crt" "https://localhost:$PORT/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || { DPID=; return 1; }
		sleep 0.05
	done
	return 1
}
daemon_start_any_port --tls-cert "$TMP/srv.crt" --tls-key "$TMP/srv.key" --jwt-leeway 1
URL=wss://localhost:$PORT
metric() { curl -sf --cacert "$TMP/ca.crt" "https://localhost:$PORT/metrics" | sed -n "s/^$1 //p"; }
mint_token pub producer
# Tokens of 6 s for the viewers: without renewal, every connection would be
# closed (4004) within 7 s.
TOKEN_CMD="$B/wfmon token --org acme --sub ann --role viewer --ttl 6s --secret-file $TMP/secret"
$TOKEN_CMD >"$TMP/viewer" || exit 1
(while sleep 2; do $TOKEN_CMD >"$TMP/viewer.new" && mv "$TMP/viewer.new" "$TMP/viewer"; done) &
REFRESHER=$!
stop_refresher() { kill "$REFRESHER" 2>/dev/null; wait "$REFRESHER" 2>/dev/null; }
console_at_exit stop_refresher

# ---- refused certificates, with the reason ------------------------------------------------------
out=$("$B/wfmon" tail --url "wss://127.0.0.1:$PORT" --ca-file "$TMP/ca.crt" --token-file "$TMP/viewer" org 2>&1)
rc=$?
case "$rc:$out" in
1:*"is not for 127.0.0.1"*) ok "tail: a wrong host name is refused, with the reason" ;;
*) bad "tail to the wrong name: exit $rc: $out" ;;
esac
out=$("$B/wfmon" tail --url "$URL" --ca-file "$TMP/other.crt" --token-file "$TMP/viewer" org 2>&1)
rc=$?
case "$rc:$out" in
1:*"is not signed by the CA in $TMP/other.crt"*) ok "tail: an unknown CA is refused, with the reason" ;;
*) bad "tail with another CA: exit $rc: $out" ;;
esac
out=$("$B/wfmon" tail --url "$URL" --token-file "$TMP/viewer" org 2>&1)
case "$out" in
*"not signed by a CA this system trusts"*"--ca-file"*) ok "tail: without --ca-file, the system's CAs, and how to fix it" ;;
*) bad "tail without --ca-file: $out" ;;
esac
out=$("$B/wfmon-sim" --url "wss://127.0.0.1:$PORT" --ca-file "$TMP/ca.crt" --token-file "$TMP/producer" \
	--once month-end-closing --speed 100 --quiet 2>&1)
rc=$?
case "$rc:$out" in
1:*"is not for 127.0.0.1"*) ok "wfmon-sim: a wrong host name is refused, with the reason" ;;
*) bad "wfmon-sim to the wrong name: exit $rc: $out" ;;
esac
out=$("$B/wfmon" alerts --url "$URL" --ca-file "$TMP/ca.crt" --token-file "$TMP/viewer" list 2>&1)
[ $? -eq 0 ] && ok "wfmon alerts list over wss" || bad "wfmon alerts over wss: $out"

# ---- clear text to another host is warned about; to this one it is not ------------------------
out=$(timeout 3 "$B/wfmon" tail --url ws://wfmon.invalid:7681 --token-file "$TMP/viewer" org 2>&1)
case "$out" in
*"warning: the URL is not encrypted"*"clear text"*) ok "a token to another host over ws:// is warned about" ;;
*) bad "no clear-text warning: $out" ;;
esac
out=$(timeout 2 "$B/wfmon" tail --url "ws://127.0.0.1:1" --token-file "$TMP/viewer" org 2>&1)
case "$out" in *"warning"*) bad "a warning for loopback: $out" ;; *) ok "no warning for loopback" ;; esac

# ---- tail (token command) and the simulator over wss --------------------------------------------
"$B/wfmon" tail --url "$URL" --ca-file "$TMP/ca.crt" --token-command "$TOKEN_CMD" org \
	>"$TMP/org.jsonl" 2>"$TMP/tail.err" &
TAIL=$!
for _ in $(seq 1 50); do grep -q '"subscribed"' "$TMP/org.jsonl" 2>/dev/null && break; sleep 0.1; done
grep -q '"subscribed"' "$TMP/org.jsonl" && ok "tail over wss subscribed" || bad "tail did not subscribe: $(cat "$TMP/tail.err")"
console_start main 100 30 viewer LANG=C.UTF-8 -- --ca-file "$TMP/ca.crt"
wait_for main "the console over wss is LIVE" "LIVE" 10

# The simulator publishes for 16 s: almost three viewer token lifetimes.
"$B/wfmon-sim" --url "$URL" --ca-file "$TMP/ca.crt" --token-file "$TMP/producer" --seed 5 --rate 40 \
	--speed 50 --duration 16 --quiet 2>"$TMP/sim.err"
rc=$?
[ $rc -eq 0 ] && ok "wfmon-sim over wss: every event acknowledged" || bad "wfmon-sim exit $rc: $(cat "$TMP/sim.err")"
n=$(grep -c '"type":"event"' "$TMP/org.jsonl")
[ "$n" -gt 0 ] && ok "tail received $n events over wss" || bad "tail received no events"
# Events still arrive after every first token has long expired.
last=$(grep -v '"type":"stats"' "$TMP/org.jsonl" | tail -n 1)   # the summary comes every few seconds too
case "$last" in *'"type":"event"'*) ok "tail still receiving at the end" ;; *) bad "tail's last line: $last" ;; esac
expired=$(metric wfmond_token_expired_closes_total)
[ "$expired" = 0 ] && ok "no connection closed for an expired token (renewed in-band)" ||
	bad "connections closed at token expiry: $expired"
if grep -q "reconnecting" "$TMP/tail.err"; then bad "tail reconnected: $(cat "$TMP/tail.err")"; else ok "tail never reconnected"; fi
wait_gone main "the console never lost its connection" "connection lost|RECONNECTING|OFFLINE" 1
kill -INT $TAIL
wait $TAIL

# ---- a token file nobody refreshes any more -----------------------------------------------------
stop_refresher
wait_for main "the console says its token file gives nothing fresher" "token: the token file" 12
wait_for main "then the daemon refuses the expired token" "refused the token" 15
grep -q "its token expired .* closing it (4004)" "$TMP/wfmond.log" && ok "the daemon closed it at expiry (4004)" ||
	bad "no 4004 in the daemon log"

grep -q "ERROR: AddressSanitizer\|runtime error" "$TMP/wfmond.log" && bad "sanitizer report in the daemon log"
console_test_summary
