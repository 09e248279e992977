#!/bin/bash
# Launch and teardown overhead of the SPANK plugin: `srun -N3 true` with and
# without --efa-monitor on the 3-node test cluster (tests/slurm/cluster.sh),
# interleaved so drift hits both alike; medians. Needs root.
#   [BENCH_SHAPE=p5] bench/srun-overhead.sh [RUNS]      (default 30 each, p4d nodes)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
: "${EFA_MONITOR:=$top/reporter/efa-monitor}"
PLUGIN=${EFA_PLUGIN:-$(dirname "$EFA_MONITOR")/../spank/.libs/spank_efa_monitor.so}
RUNS=${1:-30}
C=$(mktemp -d /tmp/srun-overhead.XXXXXX)
chmod 755 "$C"
trap 'bash "$top/tests/slurm/cluster.sh" stop "$C" >/dev/null 2>&1; rm -rf "$C"' EXIT
echo "optional $(realpath "$PLUGIN") reporter=$(realpath "$EFA_MONITOR") sysfs=$C/sys/%n channel_host=127.0.0.1" > "$C/plugstack.conf"
bash "$top/tests/slurm/cluster.sh" start "$C" --plugstack "$C/plugstack.conf" >/dev/null
SHAPE=${BENCH_SHAPE:-p4d}
if [ "$SHAPE" != p4d ]; then
	for n in n1 n2 n3; do /usr/bin/python3 "$top/tests/efasim" create "$C/sys/$n" --shape "$SHAPE" --force >/dev/null; done
fi
. "$C/env.sh"
cd "$C/out"
ms() { local t0 t1; t0=$(date +%s%N); srun -N3 "$@" true 2>/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); }
for _ in 1 2 3; do ms >/dev/null; ms --efa-monitor >/dev/null; done   # warm-up
off=() on=()
for _ in $(seq "$RUNS"); do off+=("$(ms)"); on+=("$(ms --efa-monitor)"); done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m_off=$(median "${off[@]}") m_on=$(median "${on[@]}")
echo "srun -N3 true, $RUNS runs each, $SHAPE-shaped simulated nodes ($(ls "$C/sys/n1/class/infiniband" | wc -l) devices each, $(nproc) CPUs):"
printf '  without --efa-monitor: median %.1f ms (min %.1f, max %.1f)\n' "$(echo "$m_off/1000" | bc -l)" \
	"$(echo "$(printf '%s\n' "${off[@]}" | sort -n | head -1)/1000" | bc -l)" "$(echo "$(printf '%s\n' "${off[@]}" | sort -n | tail -1)/1000" | bc -l)"
printf '  with    --efa-monitor: median %.1f ms (min %.1f, max %.1f)\n' "$(echo "$m_on/1000" | bc -l)" \
	"$(echo "$(printf '%s\n' "${on[@]}" | sort -n | head -1)/1000" | bc -l)" "$(echo "$(printf '%s\n' "${on[@]}" | sort -n | tail -1)/1000" | bc -l)"
printf '  added per step: %.1f ms (goal: under 20 ms)\n' "$(echo "($m_on-$m_off)/1000" | bc -l)"
# Where a node's time goes, from the plugin's debug lines in the slurmd logs
# (medians over every node of every monitored step): scan and start
# snapshot and reporter spawn before the tasks; end snapshot, reporter stop
# and report send after the last task.
/usr/bin/python3 - "$C"/log/slurmd-n*.log <<'PY'
import re, statistics, sys
phases = {}
for path in sys.argv[1:]:
    for line in open(path, errors="replace"):
        if "efa-monitor: node" not in line:
            continue
        for name, ms in re.findall(r"(scan|start snapshot|reporter spawn|end snapshot|reporter stop|report sent in) ([0-9.]+) ms", line):
            phases.setdefault(name, []).append(float(ms))
print("  per node, median ms: " + ", ".join("%s %.2f" % (k, statistics.median(v)) for k, v in phases.items()))
PY
