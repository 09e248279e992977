#!/bin/bash
# bench/run.sh - the sampling benchmark, run by `make bench`.
#
# On a simulated p5 tree (32 EFA devices, every counter) it measures:
#   1. the time of one fabric_sample() against the floor of one pread() per
#      counter file on fds held open (bench/bench_sample), and the system
#      calls per sample of each (strace -c, when strace is installed);
#   2. the daemon's peak RSS and CPU over 1000 samples at a short interval,
#      the CPU per sample without start-up, and what that makes at a 1 s
#      interval (also measured directly over a few 1 s intervals);
# and on an mlx5 tree of the same size, Debian's prometheus-node-exporter
# infiniband collector: its CPU per scrape beside ours per sample, and
# whether it exports anything for the EFA tree.
#
# Environment (set by the make target): EFASIM (command), BENCH_SAMPLE,
# EFA_MONITOR, PYTHON3. Knobs: BENCH_SAMPLES (1000), BENCH_INTERVAL (0.005),
# BENCH_BATCHES (20), BENCH_BATCH_SIZE (100), BENCH_SLOW_SAMPLES (10; 0 skips
# the direct 1 s run), BENCH_SCRAPES (200), BENCH_STRACE_LOOPS (100),
# NODE_EXPORTER (/usr/bin/prometheus-node-exporter), TMPDIR (/tmp).
set -euo pipefail

: "${EFASIM:?EFASIM is not set (run through make bench)}"
: "${BENCH_SAMPLE:?BENCH_SAMPLE is not set}"
: "${EFA_MONITOR:?EFA_MONITOR is not set}"
PYTHON3=${PYTHON3:-python3}
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
SAMPLES=${BENCH_SAMPLES:-1000}
INTERVAL=${BENCH_INTERVAL:-0.005}
# One full read in ten samples, as at a 1 s interval with the default
# full_read_interval of 10 s.
FULL_READ=$(awk -v i="$INTERVAL" 'BEGIN { print i * 10 }')
BATCHES=${BENCH_BATCHES:-20}
BATCH_SIZE=${BENCH_BATCH_SIZE:-100}
SLOW_SAMPLES=${BENCH_SLOW_SAMPLES:-10}
SCRAPES=${BENCH_SCRAPES:-200}
STRACE_LOOPS=${BENCH_STRACE_LOOPS:-100}

# Goals (from the issue) and the seed's limits.
GOAL_RATIO=1.5
GOAL_RSS_KB=4096
GOAL_CPU_PCT=0.05
SEED_CPU_PCT=5
SEED_RSS_KB=$((256 * 1024))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/efa-bench.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
forget() { # forget PID: stop tracking a process that has been reaped
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

say() { printf '%s\n' "$*"; }
hdr() { printf '\n== %s\n' "$*"; }
calc() { awk -v f="$1" "BEGIN { printf f, $2 }"; }  # calc FORMAT EXPRESSION
yesno() { if [ "$(awk "BEGIN { print ($1) ? 1 : 0 }")" = 1 ]; then echo MET; else echo "NOT MET"; fi; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- helpers --

# measure.py wait OUT -- CMD...: run CMD to completion (stdout to /dev/null,
# stderr to OUT.err); poll its /proc/PID/status for VmHWM every 10 ms; at
# exit take wait4()'s rusage. Writes shell assignments to OUT.
# measure.py window OUT START END -- CMD...: run CMD, read the CPU time of
# all its threads (/proc/PID/task/*/schedstat, ns) at START and END seconds
# after it started, then SIGTERM it. Writes cpu_ns and window_ns to OUT.
cat >"$WORK/measure.py" <<'EOF'
import os, signal, subprocess, sys, time

def hwm(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None

def cpu_ns(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            total += int(f.read().split()[0])
    return total

mode, out = sys.argv[1], sys.argv[2]
args = sys.argv[sys.argv.index("--") + 1:]
err = open(out + ".err", "w")
t0 = time.monotonic()
p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
res = {}
if mode == "wait":
    peak = 0
    while True:
        h = hwm(p.pid)
        if h is not None:
            peak = max(peak, h)
        r = os.wait4(p.pid, os.WNOHANG)
        if r[0] == p.pid:
            break
        time.sleep(0.01)
    _, status, ru = r
    p.returncode = os.waitstatus_to_exitcode(status)
    res = dict(rc=p.returncode, vmhwm_kb=peak, maxrss_kb=ru.ru_maxrss,
               utime_s="%.6f" % ru.ru_utime, stime_s="%.6f" % ru.ru_stime,
               cpu_s="%.6f" % (ru.ru_utime + ru.ru_stime),
               elapsed_s="%.6f" % (time.monotonic() - t0))
else:
    start, end = float(sys.argv[3]), float(sys.argv[4])
    time.sleep(max(0.0, t0 + start - time.monotonic()))
    c0, w0 = cpu_ns(p.pid), time.monotonic()
    time.sleep(max(0.0, t0 + end - time.monotonic()))
    c1, w1 = cpu_ns(p.pid), time.monotonic()
    peak = hwm(p.pid) or 0
    p.send_signal(signal.SIGTERM)
    p.wait()
    res = dict(rc=p.returncode, cpu_ns=c1 - c0, window_ns=int((w1 - w0) * 1e9), vmhwm_kb=peak)
with open(out, "w") as f:
    for k, v in res.items():
        f.write("%s=%s\n" % (k, v))
EOF

measure() { "$PYTHON3" "$WORK/measure.py" "$@"; }

# strace_counts OUT CMD...: per-syscall call counts of CMD ("name calls").
strace_counts() {
	local out=$1
	shift
	strace -f -qq -c -o "$out.raw" "$@" >/dev/null 2>"$out.err" || return 1
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$out.raw" >"$out"
}

# strace_diff BASE RUN K: syscalls per loop of RUN over BASE; prints
# "TOTAL name=n name=n ..." (per loop, largest first).
strace_diff() {
	awk -v k="$3" '
		NR == FNR { base[$1] = $2; next }
		{ d = ($2 - base[$1]) / k; if (d > 0.004) { n[$1] = d; total += d } }
		END {
			s = sprintf("%.2f", total)
			while (1) {
				best = ""
				for (x in n) if (best == "" || n[x] > n[best]) best = x
				if (best == "") break
				s = s sprintf(" %s=%.2f", best, n[best]); delete n[best]
			}
			print s
		}' "$1" "$2"
}

free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ticks PID: utime + stime of the whole process, in clock ticks.
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# monitor_cpu TREE TAG: CPU and RSS of the daemon over $SAMPLES samples at
# $INTERVAL, and over one, to take start-up out. Sets TAG_* variables.
monitor_cpu() {
	local tree=$1 tag=$2
	measure wait "$WORK/$tag.full" -- "$EFA_MONITOR" run --sysfs-root "$tree" \
		--interval "$INTERVAL" --full-read-interval "$FULL_READ" --samples "$SAMPLES" --no-log-stdout
	measure wait "$WORK/$tag.one" -- "$EFA_MONITOR" run --sysfs-root "$tree" \
		--interval "$INTERVAL" --full-read-interval "$FULL_READ" --samples 1 --no-log-stdout
	local full one
	full=$(. "$WORK/$tag.full"; echo "$rc $cpu_s $vmhwm_kb $maxrss_kb $elapsed_s")
	one=$(. "$WORK/$tag.one"; echo "$cpu_s")
	set -- $full
	if [ "$1" != 0 ]; then
		say "efa-monitor failed (exit $1):"
		cat "$WORK/$tag.full.err"
		exit 1
	fi
	# --samples N takes N+1 samples (the first only primes the rates).
	printf -v "${tag}_gross_ms" %s "$(calc %.4f "$2 * 1000 / ($SAMPLES + 1)")"
	printf -v "${tag}_marg_ms" %s "$(calc %.4f "($2 - $one) * 1000 / ($SAMPLES - 1)")"
	printf -v "${tag}_start_ms" %s "$(calc %.2f "$one * 1000")"
	printf -v "${tag}_cpu" %s "$2"
	printf -v "${tag}_hwm_kb" %s "$3"
	printf -v "${tag}_maxrss_kb" %s "$4"
	printf -v "${tag}_elapsed" %s "$(calc %.2f "$5")"
	printf -v "${tag}_warnings" %s "$(grep -c overran "$WORK/$tag.full.err" || true)"
}

# --------------------------------------------------------------- the trees --

P5="$WORK/p5"
MLX="$WORK/mlx5"
FSTYPE=$(stat -f -c %T "$WORK")
hdr "efa-monitor sampling benchmark"
say "host:      $(uname -srm), $(nproc) CPUs, CLK_TCK $(getconf CLK_TCK)"
say "trees:     $WORK, on a '$FSTYPE' file system: regular files written by tests/efasim,"
say "           NOT sysfs (no kernel show() callback behind each read: real reads cost more)"
$EFASIM create "$P5" --shape p5 --force
$EFASIM create "$MLX" --shape mlx5 --devices 32 --force
say "p5 tree:   $(ls "$P5/class/infiniband" | wc -l) devices; mlx5 tree: $(ls "$MLX/class/infiniband" | wc -l) devices"

# ------------------------------------------------ 1. sample time vs floor --

hdr "1. fabric_sample() against the floor (p5, bench/bench_sample)"
"$BENCH_SAMPLE" -b "$BATCHES" -s "$BATCH_SIZE" -o "$WORK/p5.kv" "$P5"
. "$WORK/p5.kv"
P5_COUNTERS=$held

SYS_SAMPLE="" SYS_FLOOR="" SYS_TRACKER="" SYS_MON=""
if have strace && strace -f -qq -c -o /dev/null true >/dev/null 2>&1; then
	hdr "system calls per call (strace -c, $STRACE_LOOPS loops minus set-up only)"
	strace_counts "$WORK/s.none" "$BENCH_SAMPLE" -l none -k 0 "$P5"
	for ph in sample floor tracker; do
		strace_counts "$WORK/s.$ph" "$BENCH_SAMPLE" -l "$ph" -k "$STRACE_LOOPS" "$P5"
	done
	SYS_SAMPLE=$(strace_diff "$WORK/s.none" "$WORK/s.sample" "$STRACE_LOOPS")
	SYS_FLOOR=$(strace_diff "$WORK/s.none" "$WORK/s.floor" "$STRACE_LOOPS")
	SYS_TRACKER=$(strace_diff "$WORK/s.none" "$WORK/s.tracker" "$STRACE_LOOPS")
	[ -n "$SYS_TRACKER" ] || SYS_TRACKER=0
	# The daemon's whole interval: sample, tracker, sinks, the wait.
	strace_counts "$WORK/m.one" "$EFA_MONITOR" run --sysfs-root "$P5" --interval 0.01 --full-read-interval 0.1 \
		--samples 1 --no-log-stdout
	strace_counts "$WORK/m.many" "$EFA_MONITOR" run --sysfs-root "$P5" --interval 0.01 --full-read-interval 0.1 \
		--samples $((STRACE_LOOPS + 1)) --no-log-stdout
	SYS_MON=$(strace_diff "$WORK/m.one" "$WORK/m.many" "$STRACE_LOOPS")
	say "  fabric_sample():   $SYS_SAMPLE"
	say "  floor:             $SYS_FLOOR"
	say "  tracker_update():  $SYS_TRACKER"
	say "  daemon interval:   $SYS_MON"
else
	say "(strace unavailable: by the code, fabric_sample() makes one pread64 per held"
	say " counter plus lseek + 2 getdents64 to re-list the class directory)"
fi

# --------------------------------------------------- 2. daemon RSS and CPU --

hdr "2. efa-monitor run: $SAMPLES samples every $INTERVAL s on p5 (stdout off)"
monitor_cpu "$P5" p5
say "  wall ${p5_elapsed} s, CPU ${p5_cpu} s, start-up (2 samples) ${p5_start_ms} ms CPU"
say "  CPU per sample: ${p5_gross_ms} ms with start-up, ${p5_marg_ms} ms without"
say "  peak RSS: VmHWM ${p5_hwm_kb} KiB (rusage ru_maxrss ${p5_maxrss_kb} KiB, which counts the launcher's pages at exec)"
[ "$p5_warnings" = 0 ] || say "  note: $p5_warnings 'sampling overran' warnings"
P5_PCT=$(calc %.4f "$p5_marg_ms / 1000 * 100")

if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%M %U %S %e' -o "$WORK/gnutime" "$EFA_MONITOR" run --sysfs-root "$P5" \
		--interval "$INTERVAL" --full-read-interval "$FULL_READ" --samples "$SAMPLES" --no-log-stdout >/dev/null 2>&1
	read -r gt_m gt_u gt_s gt_e <"$WORK/gnutime"
	say "  cross-check, GNU time: max RSS ${gt_m} KiB, ${gt_u} s user + ${gt_s} s sys (10 ms resolution), ${gt_e} s wall"
fi

DIRECT_PCT=""
if [ "$SLOW_SAMPLES" -gt 0 ]; then
	say "  direct: $SLOW_SAMPLES samples at --interval 1 (CPU of t=0.5..$((SLOW_SAMPLES))+0.5 s, from schedstat)"
	measure window "$WORK/slow" 0.5 "$(calc %.1f "$SLOW_SAMPLES + 0.5")" -- \
		"$EFA_MONITOR" run --sysfs-root "$P5" --interval 1 --no-log-stdout
	slow_cpu_ns=$(. "$WORK/slow"; echo "$cpu_ns")
	slow_window_ns=$(. "$WORK/slow"; echo "$window_ns")
	DIRECT_PCT=$(calc %.4f "$slow_cpu_ns / $slow_window_ns * 100")
	say "  direct: ${slow_cpu_ns} ns CPU over ${slow_window_ns} ns = ${DIRECT_PCT} % of a core"
fi

# ------------------------------------------------------- 3. node_exporter --

hdr "3. prometheus-node-exporter infiniband collector (mlx5 tree, 32 HCAs)"
"$BENCH_SAMPLE" -b "$BATCHES" -s "$BATCH_SIZE" -o "$WORK/mlx.kv" "$MLX" | sed -n '/layout:/p;/fabric_sample()/p;/floor:/p'
MLX_SAMPLE_US=$(. "$WORK/mlx.kv"; echo "$sample_median_us")
MLX_BOTH_US=$(. "$WORK/mlx.kv"; echo "$both_median_us")
MLX_COUNTERS=$(. "$WORK/mlx.kv"; echo "$held")
monitor_cpu "$MLX" mlx
say "  efa-monitor on mlx5: ${mlx_marg_ms} ms CPU per sample without start-up (${mlx_gross_ms} ms with)"

NE_OK="" NE_MS="" NE_PCT="" NE_BYTES="" NE_MLX_TX="" NE_MLX_LINES="" NE_P5_LINES="" NE_P5B_LINES="" NE_SYS=""
# start_ne TREE: start node_exporter on TREE; sets NE_PID, NE_URL.
start_ne() {
	local port
	port=$(free_port)
	"$NODE_EXPORTER" --path.sysfs="$1" --path.procfs=/proc --collector.disable-defaults \
		--collector.infiniband --web.disable-exporter-metrics \
		--web.listen-address="127.0.0.1:$port" >"$WORK/ne.log" 2>&1 &
	NE_PID=$!
	PIDS+=("$NE_PID")
	NE_URL="http://127.0.0.1:$port/metrics"
	for _ in $(seq 100); do
		curl -sf -o /dev/null "$NE_URL" && return 0
		kill -0 "$NE_PID" 2>/dev/null || break
		sleep 0.05
	done
	say "  node_exporter did not come up:"
	cat "$WORK/ne.log"
	return 1
}
stop_ne() {
	kill "$NE_PID" 2>/dev/null || true
	wait "$NE_PID" 2>/dev/null || true
	forget "$NE_PID"
}

if [ -x "$NODE_EXPORTER" ] && have curl; then
	say "  $("$NODE_EXPORTER" --version 2>&1 | head -1)"
	say "  flags: --collector.disable-defaults --collector.infiniband --web.disable-exporter-metrics"
	if start_ne "$MLX"; then
		curl -sf "$NE_URL" >"$WORK/ne.mlx.txt"
		NE_BYTES=$(wc -c <"$WORK/ne.mlx.txt")
		NE_MLX_TX=$(grep -c '^node_infiniband_port_data_transmitted_bytes_total{' "$WORK/ne.mlx.txt" || true)
		NE_MLX_LINES=$(grep -c '^node_infiniband_' "$WORK/ne.mlx.txt" || true)
		for _ in $(seq 10); do curl -sf -o /dev/null "$NE_URL"; done # warm-up
		t0=$(ticks "$NE_PID")
		w0=$(date +%s.%N)
		for _ in $(seq "$SCRAPES"); do curl -sf -o /dev/null "$NE_URL"; done
		w1=$(date +%s.%N)
		t1=$(ticks "$NE_PID")
		hz=$(getconf CLK_TCK)
		NE_MS=$(calc %.3f "($t1 - $t0) * 1000 / $hz / $SCRAPES")
		NE_PCT=$(calc %.4f "$NE_MS / 1000 * 100")
		say "  $SCRAPES scrapes in $(calc %.2f "$w1 - $w0")s wall: $((t1 - t0)) ticks = ${NE_MS} ms CPU per scrape"
		say "  one scrape: $NE_BYTES bytes, $NE_MLX_LINES node_infiniband_ samples," \
			"$NE_MLX_TX node_infiniband_port_data_transmitted_bytes_total series"
		if have strace; then
			strace -f -qq -c -o "$WORK/ne.strace" -p "$NE_PID" 2>/dev/null &
			st=$!
			PIDS+=("$st")
			sleep 1
			for _ in $(seq 20); do curl -sf -o /dev/null "$NE_URL"; done
			sleep 0.5
			kill -INT "$st" 2>/dev/null || true
			wait "$st" 2>/dev/null || true
			forget "$st"
			if [ -s "$WORK/ne.strace" ]; then
				NE_SYS=$(awk '$1 ~ /^[0-9.]+$/ && $NF == "total" { printf "%.0f", $4 / 20 }' "$WORK/ne.strace")
				say "  node_exporter system calls per scrape (strace -p, 20 scrapes): $NE_SYS" \
					"($(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" && $4 >= 20 { printf "%s=%.0f ", $NF, $4 / 20 }' "$WORK/ne.strace"))"
			fi
		fi
		stop_ne
	fi
	# The p5 tree as efasim builds it (like a real EFA device: no board_id,
	# no hca_type, no ports/N/counters), then with board_id and hca_type
	# added, in case only those stood in the way.
	for variant in plain board_id; do
		if [ "$variant" = board_id ]; then
			for d in "$P5"/class/infiniband/*/; do
				echo EFA >"$d/board_id"
				echo efa >"$d/hca_type"
			done
		fi
		start_ne "$P5" || continue
		curl -sf "$NE_URL" >"$WORK/ne.p5.txt"
		lines=$(grep -c '^node_infiniband_' "$WORK/ne.p5.txt" || true)
		ok=$(awk '/^node_scrape_collector_success\{collector="infiniband"\}/ { print $2 }' "$WORK/ne.p5.txt")
		say "  on the p5 tree ($variant): $lines node_infiniband_ samples, collector success=$ok"
		if [ "$variant" = plain ]; then NE_P5_LINES=$lines; else NE_P5B_LINES=$lines; fi
		stop_ne
	done
else
	say "  skipped: $NODE_EXPORTER or curl not installed (Debian: apt-get install prometheus-node-exporter curl)"
fi

# ----------------------------------------------------------------- summary --

hdr "SUMMARY (trees on '$FSTYPE' regular files, not sysfs; $(nproc) CPUs)"
us() { calc %.1f "$1"; }
top4() { # "TOTAL a=1 b=2 ..." -> "TOTAL (a 1, b 2, c 3, d 4, ...)"
	echo "$1" | awk '{ s = sprintf("%.0f (", $1); for (i = 2; i <= NF && i <= 5; i++) { split($i, kv, "="); s = s (i > 2 ? ", " : "") kv[1] " " sprintf("%.0f", kv[2]) } print s (NF > 5 ? ", ...)" : ")") }'
}
row() { printf '%-38s %-56s %-16s %s\n' "$1" "$2" "$3" "$4"; }
row "measure" "result" "goal" "status"
row "-------" "------" "----" "------"
row "p5 layout" "$devices devices, $P5_COUNTERS counters" "" ""
row "re-scans in timed fabric_sample()" "$rescans of $timed_samples" "0" "$(yesno "$rescans == 0")"
row "fabric_sample() per sample (median)" "$(us "$sample_median_us") us (mean $(us "$sample_mean_us"))" "" ""
row "floor: 1 pread/file (median)" "$(us "$floor_median_us") us (mean $(us "$floor_mean_us"))" "" ""
row "sample / floor" "$(calc %.2f "$ratio_median")x (means $(calc %.2f "$ratio_mean")x)" "<= ${GOAL_RATIO}x" \
	"$(yesno "$ratio_median <= $GOAL_RATIO")"
if [ -n "$SYS_SAMPLE" ]; then
	row "syscalls per sample: fabric_sample()" "$(top4 "$SYS_SAMPLE")" "" ""
	row "syscalls per sample: floor" "$(top4 "$SYS_FLOOR")" "" ""
	row "syscalls per interval: whole daemon" "$(top4 "$SYS_MON")" "" ""
fi
row "  of which class dir re-list" "$(us "$relist_median_us") us" "" ""
row "  floor + parse (sysfs_pread_u64)" "$(us "$parse_median_us") us" "" ""
row "tracker_update() per sample" "$(us "$tracker_median_us") us" "" ""
row "sample + tracker per sample" "$(us "$both_median_us") us" "" ""
row "daemon peak RSS (VmHWM)" "${p5_hwm_kb} KiB" "< ${GOAL_RSS_KB} KiB" \
	"$(yesno "$p5_hwm_kb < $GOAL_RSS_KB")"
row "daemon CPU per sample, $SAMPLES @ ${INTERVAL}s" "${p5_marg_ms} ms (${p5_gross_ms} w/ start-up)" "" ""
row "=> CPU at 1 s interval (derived)" "${P5_PCT} % of a core" "< ${GOAL_CPU_PCT} %" \
	"$(yesno "$P5_PCT < $GOAL_CPU_PCT")"
if [ -n "$DIRECT_PCT" ]; then
	row "   CPU at 1 s interval (measured)" "${DIRECT_PCT} % ($SLOW_SAMPLES intervals)" "< ${GOAL_CPU_PCT} %" \
		"$(yesno "$DIRECT_PCT < $GOAL_CPU_PCT")"
fi
row "seed limits: CPU / RSS" "${P5_PCT} % / ${p5_hwm_kb} KiB" "< ${SEED_CPU_PCT} % / 256 MB" \
	"$(yesno "$P5_PCT < $SEED_CPU_PCT && $p5_hwm_kb < $SEED_RSS_KB")"
row "mlx5 (32 HCAs): fabric_sample()" "$(us "$MLX_SAMPLE_US") us, $MLX_COUNTERS counters" "" ""
row "mlx5: efa-monitor CPU per sample" "${mlx_marg_ms} ms" "" ""
if [ -n "$NE_MS" ]; then
	row "mlx5: node_exporter CPU per scrape" "${NE_MS} ms (ours/theirs $(calc %.2f "$mlx_marg_ms / $NE_MS"))" "" ""
	row "mlx5: node_exporter at 1 s scrapes" "${NE_PCT} % of a core" "" ""
	[ -z "$NE_SYS" ] || row "mlx5: node_exporter syscalls/scrape" "$NE_SYS" "" ""
	row "mlx5: node_exporter exports mlx5" "$NE_MLX_TX tx_bytes series, $NE_MLX_LINES samples" "" ""
fi
if [ -n "$NE_P5_LINES" ]; then
	row "p5: node_exporter exports EFA" "$NE_P5_LINES samples (${NE_P5B_LINES:-?} w/ board_id)" "" \
		"$([ "$NE_P5_LINES" = 0 ] && [ "${NE_P5B_LINES:-0}" = 0 ] && echo 'sees nothing' || echo 'sees EFA')"
fi
