#!/bin/bash
# The quick-start demo (as root): build efa-monitor, then
#   1. a job with --efa-monitor on a local 3-node Slurm cluster whose nodes
#      have simulated EFA devices (tests/slurm/cluster.sh, tests/efasim):
#      its summary, and the per-job reporter's stream tagged with the job;
#   2. a simulated p5 node (32 EFA devices at 100 Gb/s) with traffic flowing,
#      seen with 'efa-monitor show' and the node monitor.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/deps.sh"
build="$top/build/demo"
if [ ! -x "$build/reporter/efa-monitor" ]; then
	( cd "$top" && { [ -f configure ] || autoreconf -fi >/dev/null 2>&1 || autoreconf -fi; } )
	mkdir -p "$build" && cd "$build"
	[ -f Makefile ] || "$top/configure" -q
	make -s -j2 >/dev/null
fi
mon="$build/reporter/efa-monitor"
plugin="$build/spank/.libs/spank_efa_monitor.so"
efasim="$top/tests/efasim"

# ---------------------------------------------------- 1. a monitored job --
cluster=$(mktemp -d /tmp/efa-monitor-demo-cluster.XXXXXX)
chmod 755 "$cluster"
stop_cluster() { bash "$top/tests/slurm/cluster.sh" stop "$cluster" >/dev/null 2>&1; rm -rf "$cluster"; }
trap stop_cluster EXIT
echo "optional $plugin reporter=$mon sysfs=$cluster/sys/%n channel_host=127.0.0.1 interval=1 log_dir=$cluster/out" > "$cluster/plugstack.conf"
echo "== starting a local Slurm cluster: slurmctld + 3 slurmd (n1 n2 n3), each with 4 simulated EFA devices"
bash "$top/tests/slurm/cluster.sh" start "$cluster" --plugstack "$cluster/plugstack.conf" >/dev/null
chmod -R a+rwX "$cluster/sys"
. "$cluster/env.sh"
cd "$cluster/out"
echo
echo "== srun -N3 --efa-monitor: 3 s of traffic, 40 Gb/s per device on n1 and n2, 8 Gb/s on n3 (as user efatest)"
cat > job.sh <<EOF
#!/bin/bash
case \$SLURMD_NODENAME in n3) g=8 ;; *) g=40 ;; esac
/usr/bin/python3 $efasim run $cluster/sys/\$SLURMD_NODENAME --gbps \$g --duration 3
EOF
chmod 755 job.sh
su efatest -s /bin/bash -c ". $cluster/env.sh; cd $cluster/out; srun -N3 --efa-monitor=json=summary.json ./job.sh" || true
echo
echo "== the per-job reporter's stream on n3 (tagged with the job and step; the log sink here, CloudWatch/EMF/Prometheus next)"
head -4 "$cluster"/out/efa-monitor-*.n3.log 2>/dev/null || true
echo
echo "== summary.json (written as the job user): $(python3 -c "import json; j=json.load(open('summary.json')); print('tx_bytes', j['totals']['tx_bytes'], 'rx_bytes', j['totals']['rx_bytes'], 'stragglers', j['stragglers'])")"
cd "$top"
stop_cluster
trap - EXIT
echo

# ---------------------------------------------------- 2. a p5 node --------

node=$(mktemp -d /tmp/efa-monitor-demo.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$node"' EXIT
"$efasim" create "$node" --shape p5 --force >/dev/null
devs=($("$efasim" list "$node" | awk '{print $1}'))

# A training job's traffic: 8 devices busy at ~80 Gb/s, the rest at ~12.
"$efasim" run "$node" --gbps 80 --jitter 0.05 --device "${devs[@]:0:8}" & pids+=($!)
"$efasim" run "$node" --gbps 12 --jitter 0.1 --device "${devs[@]:8}" & pids+=($!)
sleep 1

echo "== efa-monitor show: a simulated p5 node (sysfs root $node)"
"$mon" show --sysfs-root "$node" --window 1
echo
echo "== efa-monitor run: the node monitor, 3 intervals of 2 s (the daemon default is 60 s)"
( sleep 2.5; "$efasim" advance "$node" --device "${devs[3]}" rx_drops=3 retrans_pkts=17 >/dev/null ) &
"$mon" run --sysfs-root "$node" --interval 2 --samples 3 | awk -v d="${devs[0]}|${devs[3]}|${devs[8]}" '
	$1 ~ "^(" d "):" { print; next } { others++ }
	END { printf "... and %d more lines for the other devices\n", others }'
