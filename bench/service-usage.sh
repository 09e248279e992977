#!/bin/bash
# bench/service-usage.sh - what the node daemon costs as efa-monitor.service
# runs it, against the unit's CPUQuota=5% and MemoryMax=256M (make
# bench-service).
#
# On a simulated tree (p5: 32 EFA devices, ~1,300 counter files) it runs
# `efa-monitor run --sinks $SINKS` and reads, from /proc/PID:
#   1. --interval 1 for RUN_1 seconds (60): CPU over that window, after the
#      start-up sample (utime+stime from stat, in clock ticks, and the sum of
#      every thread's schedstat, in ns), VmRSS and VmHWM at the end;
#   2. --interval 60, which would need minutes for a few samples: a short
#      run (RUN_60 s) gives its start-up cost, its memory and its idle CPU
#      between samples; at 60 s every sample reads every counter
#      (full_read_interval 10 < 60), so the cost of one such sample is
#      measured at --interval 1 --full-read-interval 0 over FULL_SAMPLES
#      samples, and CPU at 60 s = (that cost + 60 s of idle CPU) / 60 s.
#
# Environment (set by the make target): EFASIM (command), EFA_MONITOR.
# Knobs: SINKS (log), EXTRA_ARGS (more reporter options, e.g. for a sink:
# "--prom-dir /tmp/x"), SHAPE (p5), RUN_1 (60), RUN_60 (10), FULL_SAMPLES
# (20), SETTLE (2: seconds left to start-up before measuring), TMPDIR.
# The daemon's stdout (the log sink's lines) goes to /dev/null.
# shellcheck disable=SC2154 # measure() sets the TAG_* variables with printf -v
set -euo pipefail

: "${EFASIM:?EFASIM is not set (run through make bench-service)}"
: "${EFA_MONITOR:?EFA_MONITOR is not set}"
SINKS=${SINKS:-log}
EXTRA_ARGS=${EXTRA_ARGS:-}
SHAPE=${SHAPE:-p5}
RUN_1=${RUN_1:-60}
RUN_60=${RUN_60:-10}
FULL_SAMPLES=${FULL_SAMPLES:-20}
SETTLE=${SETTLE:-2}
# The unit's limits.
QUOTA_PCT=5
MEMORY_MAX_KB=$((256 * 1024))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/efa-service-usage.XXXXXX")
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

say() { printf '%s\n' "$*"; }
calc() { awk -v f="$1" "BEGIN { printf f, $2 }"; } # calc FORMAT EXPRESSION
met() { if [ "$(awk "BEGIN { print ($1) ? 1 : 0 }")" = 1 ]; then echo MET; else echo "NOT MET"; fi; }
now_ns() { date +%s%N; }

# cpu_ns PID: CPU time of every thread, ns (schedstat: not rounded to ticks).
cpu_ns() {
	local t total=0
	for t in /proc/"$1"/task/*/schedstat; do
		total=$((total + $(cut -d' ' -f1 "$t")))
	done
	echo "$total"
}
# cpu_ticks PID: utime + stime of the process (all threads), clock ticks.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# vm PID FIELD: VmRSS, VmHWM ... in kB.
vm() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# measure TAG SECONDS ARGS...: start the daemon with ARGS, let start-up pass
# (SETTLE s), take CPU over the next SECONDS, then memory; stop it with
# SIGTERM. Sets TAG_cpu_ns, TAG_wall_ns, TAG_ticks, TAG_start_ns, TAG_rss,
# TAG_hwm.
measure() {
	local tag=$1 secs=$2 c0 c1 t0 t1 w0 w1 rc=0
	shift 2
	# shellcheck disable=SC2086 # EXTRA_ARGS is a list of options
	"$EFA_MONITOR" run --sysfs-root "$TREE" --sinks "$SINKS" $EXTRA_ARGS "$@" >/dev/null 2>"$WORK/$tag.err" &
	PID=$!
	sleep "$SETTLE"
	kill -0 "$PID" 2>/dev/null || { cat "$WORK/$tag.err"; wait "$PID" || true; PID=""; exit 1; }
	c0=$(cpu_ns "$PID") t0=$(cpu_ticks "$PID") w0=$(now_ns)
	sleep "$secs"
	c1=$(cpu_ns "$PID") t1=$(cpu_ticks "$PID") w1=$(now_ns)
	printf -v "${tag}_rss" %s "$(vm "$PID" VmRSS)"
	printf -v "${tag}_hwm" %s "$(vm "$PID" VmHWM)"
	printf -v "${tag}_cpu_ns" %s $((c1 - c0))
	printf -v "${tag}_wall_ns" %s $((w1 - w0))
	printf -v "${tag}_ticks" %s $((t1 - t0))
	printf -v "${tag}_start_ns" %s "$c0"
	kill -TERM "$PID"
	wait "$PID" || rc=$?
	PID=""
	[ "$rc" = 0 ] || { say "efa-monitor exited $rc after SIGTERM:"; cat "$WORK/$tag.err"; exit 1; }
}

TREE=$WORK/sys
$EFASIM create "$TREE" --shape "$SHAPE" >/dev/null
HZ=$(getconf CLK_TCK)
say "== efa-monitor run as a service would: sinks=$SINKS${EXTRA_ARGS:+, $EXTRA_ARGS}"
say "host:    $(uname -srm), $(nproc) CPUs, CLK_TCK $HZ"
say "tree:    $SHAPE, $(find "$TREE/class/infiniband" -mindepth 1 -maxdepth 1 | wc -l) devices, $(find "$TREE/devices" -path '*counters/*' -type f ! -name lifespan | wc -l) counter files (regular files, not sysfs)"
say "binary:  $EFA_MONITOR"
if grep -q __asan_init "$EFA_MONITOR" 2>/dev/null; then
	say "WARNING: this efa-monitor is built with sanitizers: CPU and memory are not a release build's"
fi

say ""
say "1. --interval 1: CPU over ${RUN_1} s after ${SETTLE} s of start-up"
measure i1 "$RUN_1" --interval 1
I1_PCT=$(calc %.4f "$i1_cpu_ns / $i1_wall_ns * 100")
I1_TICK_PCT=$(calc %.4f "$i1_ticks / $HZ / ($i1_wall_ns / 1e9) * 100")
say "   CPU ${i1_cpu_ns} ns over $(calc %.2f "$i1_wall_ns / 1e9") s = ${I1_PCT} % of a CPU" \
	"(utime+stime: ${i1_ticks} ticks = ${I1_TICK_PCT} %); start-up sample ${i1_start_ns} ns"
say "   per sample: $(calc %.3f "$i1_cpu_ns / 1e6 / $RUN_1") ms; VmRSS ${i1_rss} kB, VmHWM ${i1_hwm} kB"

say ""
say "2. --interval 60, extrapolated"
measure i60 "$RUN_60" --interval 60
IDLE_PCT=$(calc %.5f "$i60_cpu_ns / $i60_wall_ns * 100")
say "   ${RUN_60} s after the first sample: CPU ${i60_cpu_ns} ns (${i60_ticks} ticks) = ${IDLE_PCT} % (idle between samples)"
say "   start-up (first sample included): $(calc %.2f "$i60_start_ns / 1e6") ms CPU; VmRSS ${i60_rss} kB, VmHWM ${i60_hwm} kB"
FULL_SECS=$FULL_SAMPLES
measure full "$FULL_SECS" --interval 1 --full-read-interval 0
FULL_MS=$(calc %.4f "$full_cpu_ns / 1e6 / $FULL_SAMPLES")
I60_PCT=$(calc %.5f "($FULL_MS / 1000 + $i60_cpu_ns / $i60_wall_ns * 60) / 60 * 100")
say "   one sample reading every counter (--full-read-interval 0, ${FULL_SAMPLES} samples): ${FULL_MS} ms CPU"
say "   => at 60 s: (${FULL_MS} ms + 60 s x idle) / 60 s = ${I60_PCT} % of a CPU"

HWM=$(( i1_hwm > i60_hwm ? i1_hwm : i60_hwm ))
HWM=$(( full_hwm > HWM ? full_hwm : HWM ))
say ""
say "== SUMMARY (CPUQuota=${QUOTA_PCT}% is 5 % of one CPU; MemoryMax=256M also counts the page cache the cgroup owns)"
printf '%-34s %-28s %-14s %s\n' measure result limit status
printf '%-34s %-28s %-14s %s\n' "CPU at --interval 1 (measured)" "${I1_PCT} %" "< ${QUOTA_PCT} %" "$(met "$I1_PCT < $QUOTA_PCT")"
printf '%-34s %-28s %-14s %s\n' "CPU at --interval 60 (derived)" "${I60_PCT} %" "< ${QUOTA_PCT} %" "$(met "$I60_PCT < $QUOTA_PCT")"
printf '%-34s %-28s %-14s %s\n' "peak RSS (VmHWM, all runs)" "${HWM} kB" "< ${MEMORY_MAX_KB} kB" "$(met "$HWM < $MEMORY_MAX_KB")"
printf '%-34s %-28s %-14s %s\n' "headroom" "CPU $(calc %.0f "$QUOTA_PCT / ($I1_PCT > 0 ? $I1_PCT : 1e-9)")x at 1 s, memory $(calc %.0f "$MEMORY_MAX_KB / $HWM")x" "" ""
