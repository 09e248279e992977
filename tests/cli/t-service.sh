#!/bin/bash
# efa-monitor.service as built: systemd accepts it without a warning
# (systemd-analyze verify, with the log-file drop-in too), it has the
# seed's limits and the hardening asked for, its exposure score is low
# (systemd-analyze security --offline), and the log-file drop-in and the
# logrotate snippet rotate a running daemon's log through SIGHUP.
. "$(dirname "$0")/lib.sh"

top_builddir=$(cd "$(dirname "$EFA_MONITOR")/.." && pwd)
unit=$top_builddir/systemd/efa-monitor.service
dropin=$top_builddir/systemd/efa-monitor-log-file.conf
logrotate_conf=$srcdir/systemd/efa-monitor.logrotate
[ -f "$unit" ] || { echo "SKIP: $unit not built (configured --without-systemdsystemunitdir?)"; exit 77; }
[ -f "$dropin" ] || fail "$dropin not built (make all)"
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: systemd-analyze not installed"; exit 77; }

assert_no_grep '@[a-z_]+@' "$unit" "no @variable@ left in the generated unit"
assert_no_grep '@[a-z_]+@' "$dropin" "no @variable@ left in the generated drop-in"
# The default config is optional and an explicit one must exist: the unit
# relies on the default so that a node without a config still runs.
assert_grep '^ExecStart=/.*/efa-monitor run$' "$unit" "ExecStart runs 'efa-monitor run' on the default config"
bin=$(sed -n 's/^ExecStart=\(.*\) run$/\1/p' "$unit")
assert_eq "$(grep -c '^ExecStart=' "$dropin")" 2 "the drop-in resets ExecStart, then sets it"
assert_grep "^ExecStart=$bin run --log-file /var/log/efa-monitor/efa_monitor.log --no-log-stdout\$" "$dropin" \
	"the drop-in logs to the LogsDirectory, not stdout, with the unit's binary"
for d in 'Type=simple' 'Wants=network-online.target' 'After=network-online.target' \
	'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' 'RestartSec=5' \
	'CPUQuota=5%' 'MemoryMax=256M' 'DynamicUser=yes' 'LogsDirectory=efa-monitor' 'UMask=0027' \
	'NoNewPrivileges=yes' 'CapabilityBoundingSet=' 'ProtectSystem=strict' 'ProtectHome=yes' \
	'PrivateTmp=yes' 'PrivateDevices=yes' 'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
	'ProtectControlGroups=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'RestrictNamespaces=yes' 'LockPersonality=yes' 'MemoryDenyWriteExecute=yes' \
	'SystemCallFilter=@system-service' 'SystemCallArchitectures=native' \
	'ReadWritePaths=-/var/lib/prometheus/node-exporter' 'WantedBy=multi-user.target'; do
	grep -qxF -- "$d" "$unit" || fail "$unit has no line '$d'"
done
ok "the unit has the 28 required directives, each exactly as asked"

# verify needs the ExecStart binary: a copy of the unit that runs this
# build's reporter, in a directory of its own (verify also loads the
# drop-ins beside the unit).
# analyze DIR: systemd-analyze verify on DIR/efa-monitor.service; prints
# its output except lines about the system's own units.
analyze() {
	systemd-analyze verify "$1/efa-monitor.service" 2>&1 |
		grep -Ev '^(/usr/lib|/lib|/etc|/run)/systemd/' || true
}
mkdir -p "$WORK/u1" "$WORK/u2/efa-monitor.service.d" "$WORK/u3"
sed "s|^ExecStart=$bin |ExecStart=$EFA_MONITOR |" "$unit" >"$WORK/u1/efa-monitor.service"
assert_grep "^ExecStart=$EFA_MONITOR run\$" "$WORK/u1/efa-monitor.service" "the test copy runs the built reporter"
analyze "$WORK/u1" >"$WORK/verify1"
assert_eq "$(cat "$WORK/verify1")" "" "systemd-analyze verify: no error, no warning"
cp "$WORK/u1/efa-monitor.service" "$WORK/u2/"
sed "s|^ExecStart=$bin |ExecStart=$EFA_MONITOR |" "$dropin" >"$WORK/u2/efa-monitor.service.d/log-file.conf"
analyze "$WORK/u2" >"$WORK/verify2"
assert_eq "$(cat "$WORK/verify2")" "" "systemd-analyze verify with the log-file drop-in: no error, no warning"
# The check bites: a unit whose binary is missing is refused.
sed "s|^ExecStart=$bin |ExecStart=$WORK/missing/efa-monitor |" "$unit" >"$WORK/u3/efa-monitor.service"
analyze "$WORK/u3" >"$WORK/verify3"
assert_grep 'missing/efa-monitor' "$WORK/verify3" "(control) verify names a missing ExecStart binary"

# Exposure score: systemd's own scale, 0 (locked down) .. 10 (exposed).
if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
	systemd-analyze security --offline=yes "$WORK/u1/efa-monitor.service" >"$WORK/security" 2>&1 || true
	score=$(sed -n 's/^→ Overall exposure level for efa-monitor.service: \([0-9.]*\) .*/\1/p' "$WORK/security")
	[ -n "$score" ] || { cat "$WORK/security" >&2; fail "no exposure level in systemd-analyze security"; }
	echo "# systemd-analyze security --offline=yes: exposure $score"
	awk -v s="$score" 'BEGIN { exit !(s < 3.0) }' || fail "exposure $score, expected < 3.0"
	ok "exposure level $score < 3.0"
	# The only exposures left: what a network client needs (sockets, the
	# host's network, any address), the host's root directory, the rtc
	# that ProtectClock= allows reading, and UMask=0027's group-readable files.
	sed -n 's/^✗ \([^ ]*\) .*/\1/p' "$WORK/security" | sort >"$WORK/exposed"
	printf '%s\n' 'DeviceAllow=' 'IPAddressDeny=' 'PrivateNetwork=' 'RestrictAddressFamilies=~AF_(INET|INET6)' \
		'RestrictAddressFamilies=~AF_UNIX' 'RootDirectory=/RootImage=' 'UMask=' | sort >"$WORK/allowed"
	assert_eq "$(comm -23 "$WORK/exposed" "$WORK/allowed" | tr '\n' ' ')" "" "no exposure beyond the 7 a network client needs"
else
	echo "# systemd-analyze security has no --offline here: score not measured"
fi

# The drop-in's command line, then logrotate with the shipped snippet (its
# path and postrotate pointed at this test): the daemon writes the new file.
sim create "$WORK/sys" --shape p4d >/dev/null
mkdir -m 0700 "$WORK/log"
args=$(sed -n "s|^ExecStart=$bin run ||p" "$dropin" | tail -n 1 | sed "s|/var/log/efa-monitor/|$WORK/log/|")
# shellcheck disable=SC2086 # the drop-in's arguments, split as systemd does
"$EFA_MONITOR" run $args --sysfs-root "$WORK/sys" --interval 0.1 >"$WORK/stdout" 2>&1 &
pid=$!; PIDS+=("$pid")
wait_for grep -qs 'RX=' "$WORK/log/efa_monitor.log" || fail "no rate line in the drop-in's log file"
ok "the drop-in's arguments write rate lines to the log file"
if command -v logrotate >/dev/null 2>&1; then
	sed -e "s|/var/log/efa-monitor/|$WORK/log/|" \
		-e "s|systemctl reload efa-monitor.service.*|kill -HUP $pid|" "$logrotate_conf" >"$WORK/logrotate.conf"
	assert_grep "kill -HUP $pid" "$WORK/logrotate.conf" "the test's snippet signals this daemon"
	logrotate -f -s "$WORK/logrotate.state" "$WORK/logrotate.conf" 2>"$WORK/logrotate.err" ||
		{ cat "$WORK/logrotate.err" >&2; fail "logrotate failed"; }
	assert_grep 'RX=' "$WORK/log/efa_monitor.log.1" "logrotate moved the old log to .1"
	wait_for grep -qs 'RX=' "$WORK/log/efa_monitor.log" || fail "the daemon did not write the new log after SIGHUP"
	ok "after SIGHUP the daemon writes the new log file"
	assert_eq "$(stat -c %a "$WORK/log/efa_monitor.log")" 640 "logrotate creates the new log 0640"
else
	echo "# logrotate not installed: rotation not exercised"
fi
kill -TERM "$pid"; wait "$pid"; rc=$?
assert_eq "$rc" 0 "SIGTERM: the daemon exits 0"
assert_eq "$(wc -c <"$WORK/stdout" | tr -d ' ')" 0 "nothing on stdout or stderr with the drop-in's arguments"

echo "# the unit is not started for real by this test (PID 1 here: '$(ps -o comm= -p 1)')"
done_testing
