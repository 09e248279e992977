#!/bin/bash
# The node monitor: the seed's line format, health lines, a fixed number
# of intervals, clean SIGTERM, SIGHUP reopening the log.
. "$(dirname "$0")/lib.sh"

sim create "$WORK/sys" --shape p4d >/dev/null
dev=$($EFASIM list "$WORK/sys" | awk 'NR==1 {print $1}')

# One interval, ended by SIGTERM (the partial interval is published), with
# 25 MB on every device's TX and 50 MB on RX moved after the baseline
# sample: no wall-clock window to hit, however loaded the machine is.
"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --interval 600 --log-level debug > "$WORK/out" 2> "$WORK/err" &
pid=$!; PIDS+=("$pid")
wait_for grep -q "baseline sample taken" "$WORK/err" || fail "no baseline sample: $(cat "$WORK/err")"
sim traffic "$WORK/sys" --tx-bytes 25000000 --rx-bytes 50000000 > /dev/null
sim advance "$WORK/sys" --device "$dev" rx_drops=5 rdma_read_wr_err=2 > /dev/null
kill -TERM "$pid"; wait "$pid"; rc=$?
assert_eq "$rc" 0 "run stopped by SIGTERM after one interval exits 0"
assert_eq "$(grep -c ': RX=.* Mbps, TX=.* Mbps$' "$WORK/out")" 4 "1 interval x 4 devices in the seed's format"
first=$(grep "^$dev: RX=" "$WORK/out")
rx=$(echo "$first" | sed -E 's/.*RX=([0-9.]+) Mbps.*/\1/')
tx=$(echo "$first" | sed -E 's/.*TX=([0-9.]+) Mbps.*/\1/')
# The rate is the exact byte count over the window the program measured
# (it logs each at debug level): computed here the way it computes it, so
# it matches to the last printed digit however loaded the machine is.
ns=$(grep -oE 'rates over [0-9]+ ns \(measured\)' "$WORK/err" | awk 'NR==1 {print $3}')
assert_eq "$(grep -c 'rates over [0-9]* ns (measured)' "$WORK/err")" 1 "the interval's measured window is logged"
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.2f", b * 1e9 / ns * 8 / 1e6 }'; }
assert_eq "$rx" "$(mbps 50000000 "$ns")" "RX rate is 50 MB over the measured window ($ns ns)"
assert_eq "$tx" "$(mbps 25000000 "$ns")" "TX rate is 25 MB over the measured window ($ns ns)"
assert_grep "^$dev: rdma_read_wr_err \+2, rx_drops \+5$" "$WORK/out" "health line names the counters that moved, with exact deltas"
assert_eq "$(grep -c 'rx_drops' "$WORK/out")" 1 "health line once, for the device where they moved"

# A fixed number of intervals: --samples 3 ends by itself after 3, and
# nothing moved: every line reads zero.
"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --interval 0.05 --samples 3 > "$WORK/out5" 2>/dev/null
assert_eq "$?" 0 "run --samples 3 exits 0"
assert_eq "$(grep -c ': RX=0.00 Mbps, TX=0.00 Mbps$' "$WORK/out5")" 12 "3 intervals x 4 devices, idle intervals read zero"

# SIGTERM stops cleanly; SIGHUP reopens the log file (logrotate).
"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --interval 0.1 --log-file "$WORK/mon.log" --no-log-stdout > "$WORK/out2" 2>&1 &
pid=$!; PIDS+=("$pid")
wait_for grep -q "RX=" "$WORK/mon.log" || fail "no rate line in the log file"
ok "rate lines reach the log file"
assert_grep "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]+[+-][0-9]{4} efa-monitor: info: rdmap" "$WORK/mon.log" "log file lines are timestamped and prefixed"
mv "$WORK/mon.log" "$WORK/mon.log.1"
kill -HUP "$pid"
wait_for test -s "$WORK/mon.log" || fail "SIGHUP did not reopen the log file"
ok "SIGHUP reopens the log file"
kill -TERM "$pid"; wait "$pid"; rc=$?
assert_eq "$rc" 0 "SIGTERM: clean exit 0"
assert_grep "stopping on signal 15" "$WORK/mon.log" "SIGTERM is logged"
assert_eq "$(wc -c < "$WORK/out2" | tr -d ' ')" 0 "--no-log-stdout with a log file keeps stdout and stderr quiet"

# Counters that feed no metric are read on the slower full-read schedule:
# a device error counter's increase still gets its line, exactly once.
"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --interval 0.1 --full-read-interval 0.3 --log-level debug > "$WORK/out4" 2>"$WORK/err4" &
pid=$!; PIDS+=("$pid")
wait_for grep -q "baseline sample taken" "$WORK/err4" || fail "no baseline sample"
sim advance "$WORK/sys" --device "$dev" create_qp_err=2 > /dev/null
wait_for grep -q "create_qp_err" "$WORK/out4" || fail "the slow-schedule counter's increase never showed"
# Two more full reads after it: a second line would have come by then.
n=$(grep -c "stopping\|rates over" "$WORK/err4")
wait_for test "$(grep -c 'rates over' "$WORK/err4")" -ge $((n + 6))
kill -TERM "$pid"; wait "$pid"
assert_grep "all every 3 samples" "$WORK/err4" "full read every 3 samples at 0.1 s / 0.3 s"
assert_eq "$(grep -cxF -- "$dev: create_qp_err +2" "$WORK/out4")" 1 "a slow-schedule counter's increase is reported once"

# Per-job streams are tagged with the job and step.
mon run --sysfs-root "$WORK/sys" --interval 0.05 --samples 1 --job-id 42 --step-id 0 > "$WORK/out3" 2>/dev/null
assert_grep "^job 42.0 $dev: RX=" "$WORK/out3" "per-job lines carry the job and step"
done_testing
