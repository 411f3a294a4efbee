#!/bin/bash
# Packaging: every program prints the same --version; the systemd unit passes
# systemd-analyze (when present); make install puts the unit, the commented
# example configuration, the sysusers file, the licence and the programs in
# place, and make uninstall takes them away again, keeping an edited config.
set -u
cd "$(dirname "$0")/../.."
WFMON_BUILD=${WFMON_BUILD:-build}
# tests/run.sh gives an absolute path; make wants it as the Makefile names it.
WFMON_BUILD=${WFMON_BUILD#"$PWD"/}
TMP=$(mktemp -d /tmp/wfmon-pkg.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# ---- one version ---------------------------------------------------------------
want=$(sed -n 's/^#define WFMON_VERSION "\(.*\)"/\1/p' include/proto/version.h)
[ -n "$want" ] || fail "no WFMON_VERSION in include/proto/version.h"
rev=$(sed -n 's/^#define PROTO_REVISION \([0-9]*\).*/\1/p' include/proto/proto.h)
for p in wfmond wfmon wfmon-sim wfmon-bench wfmon-histgen wfmon-bullmq; do
	line=$("$WFMON_BUILD/$p" --version) || fail "$p --version exited $?"
	[ "$line" = "$p $want (protocol wfmon.v1, revision $rev)" ] || fail "$p --version said '$line'"
done

# ---- the unit ------------------------------------------------------------------
unit="$WFMON_BUILD/wfmond.service"
[ -f "$unit" ] || fail "no $unit (make builds it)"
grep -q '^Type=notify$' "$unit" || fail "the unit is not Type=notify"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "no ExecReload"
grep -q '^WatchdogSec=' "$unit" || fail "no WatchdogSec"
if command -v systemd-analyze >/dev/null; then
	# verify wants the ExecStart binary to exist: point it at this build's.
	mkdir -p "$TMP/unit"
	sed "s|^ExecStart=[^ ]*/wfmond|ExecStart=$(cd "$WFMON_BUILD" && pwd)/wfmond|" "$unit" >"$TMP/unit/wfmond.service"
	out=$(systemd-analyze verify --man=no "$TMP/unit/wfmond.service" 2>&1)
	[ -z "$out" ] || fail "systemd-analyze verify: $out"
	exposure=$(systemd-analyze security --offline=yes "$TMP/unit/wfmond.service" 2>&1 |
		sed -n 's/.*Overall exposure level for wfmond.service: \([0-9.]*\).*/\1/p')
	[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level"
	awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "exposure $exposure is above 2.0"
	echo "unit verified; systemd-analyze security exposure $exposure"
else
	echo "systemd-analyze is not installed: the unit file check was skipped"
fi

# ---- install and uninstall -----------------------------------------------------
# Same PREFIX as the build, so nothing is rebuilt: only DESTDIR differs.
san=0
case "$WFMON_BUILD" in *san) san=1 ;; esac
mk() { make --no-print-directory -s SAN=$san BUILD="$WFMON_BUILD" DESTDIR="$TMP/root" "$@"; }
mk install >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; fail "make install"; }
prefix=$(sed -n 's/^PREFIX *?= *//p' Makefile)
root="$TMP/root$prefix"
sysconf="$root/etc"
for f in sbin/wfmond bin/wfmon bin/wfmon-sim bin/wfmon-bench lib/systemd/system/wfmond.service \
	lib/sysusers.d/wfmon.conf share/doc/wfmon/LICENSE share/man/man8/wfmond.8 share/man/man5/wfmond.conf.5; do
	[ -f "$root/$f" ] || fail "make install did not install $f"
done
cmp -s packaging/wfmond.conf "$sysconf/wfmon/wfmond.conf.example" || fail "no example beside the config"
cmp -s packaging/wfmond.conf "$sysconf/wfmon/wfmond.conf" || fail "no wfmond.conf installed"
grep -q "^ExecStart=$prefix/sbin/wfmond --config $prefix/etc/wfmon/wfmond.conf\$" \
	"$root/lib/systemd/system/wfmond.service" || fail "the installed unit names other paths"
# The installed example is what the daemon reads by default: it parses.
"$root/sbin/wfmond" --config "$sysconf/wfmon/wfmond.conf" 2>"$TMP/err" </dev/null
grep -q "no JWT key" "$TMP/err" || fail "the example did not parse: $(cat "$TMP/err")"

# A second install keeps an edited configuration.
echo "log-level = debug" >>"$sysconf/wfmon/wfmond.conf"
mk install >"$TMP/install.log" 2>&1 || fail "make install (again)"
grep -q "^log-level = debug" "$sysconf/wfmon/wfmond.conf" || fail "make install overwrote the configuration"
mk uninstall >"$TMP/uninstall.log" 2>&1 || { cat "$TMP/uninstall.log"; fail "make uninstall"; }
left=$(cd "$TMP/root" && find . -type f | sort)
[ "$left" = "./${prefix#/}/etc/wfmon/wfmond.conf" ] || fail "make uninstall left: $left"
rm "$sysconf/wfmon/wfmond.conf"
mk install >/dev/null 2>&1 && mk uninstall >/dev/null 2>&1 || fail "install/uninstall (clean)"
left=$(cd "$TMP/root" && find . -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install and uninstall: ok"
