#!/bin/bash
# The quick-start demo: build efa-monitor, simulate a p5 node (32 EFA
# devices at 100 Gb/s) with traffic flowing, look at it with
# 'efa-monitor show', then run the node monitor for a few intervals.
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
efasim="$top/tests/efasim"

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
