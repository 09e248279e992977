#!/bin/bash
# The one-shot view: every device, type, link, and rates whose figures
# match the bytes the simulator moved during the window.
. "$(dirname "$0")/lib.sh"

sim create "$WORK/p5" --shape p5 >/dev/null
mon show --sysfs-root "$WORK/p5" --window 0.05 > "$WORK/table" 2>"$WORK/err"
assert_eq "$(grep -c '^rdmap[0-9]*s0 *efa ' "$WORK/table")" 32 "p5: 32 EFA devices in the table"
assert_grep "^32 devices, 3200 Gb/s line rate" "$WORK/table" "p5 line rate 3200 Gb/s"

sim create "$WORK/p5en" --shape p5en >/dev/null
mon show --sysfs-root "$WORK/p5en" --window 0.05 --json > "$WORK/p5en.json"
assert_eq "$(json "$WORK/p5en.json" 'len(j["devices"])')" 16 "p5en: 16 devices"
assert_eq "$(json "$WORK/p5en.json" 'j["link_bps"]')" 3200000000000 "p5en: 16 x 200 Gb/s"

# Traffic during the window: the JSON rate times the window is the exact
# number of bytes moved.
sim create "$WORK/ib" --shape mlx5 --devices 2 >/dev/null
( sleep 0.3; $EFASIM traffic "$WORK/ib" --device mlx5_0 --tx-bytes 40000000 --rx-bytes 80000000 --tx-pkts 1000 ) &
mon show --sysfs-root "$WORK/ib" --window 1 --json > "$WORK/ib.json"
wait
assert_eq "$(json "$WORK/ib.json" '[d["type"] for d in j["devices"]]')" "['ib', 'ib']" "mlx5 devices are IB"
assert_eq "$(json "$WORK/ib.json" 'j["devices"][0]["counters"]["port_xmit_data"]')" 10000000 "raw port_xmit_data counts 4-byte words"
assert_eq "$(json "$WORK/ib.json" 'round(j["devices"][0]["rates"]["tx_bytes"] * j["window_s"])')" 40000000 "TX bytes/s x window = bytes moved (x4 rule applied)"
assert_eq "$(json "$WORK/ib.json" 'round(j["devices"][0]["rates"]["rx_bytes"] * j["window_s"])')" 80000000 "RX bytes/s x window = bytes moved"
assert_eq "$(json "$WORK/ib.json" 'round(j["devices"][0]["rates"]["tx_packets"] * j["window_s"])')" 1000 "TX packets/s x window = packets"
assert_eq "$(json "$WORK/ib.json" 'j["devices"][1]["rates"]["tx_bytes"]')" 0 "idle device reads zero"
assert_eq "$(json "$WORK/ib.json" '"rx_errors" in j["devices"][0]["rates"]')" True "IB has rx_errors"

# EFA devices have no rx_errors/tx_discards: never invented.
assert_eq "$(json "$WORK/p5en.json" '"rx_errors" in j["devices"][0]["rates"] or "tx_discards" in j["devices"][0]["rates"]')" False "EFA: no rx_errors/tx_discards invented"
assert_eq "$(json "$WORK/p5en.json" '"lifespan" in j["devices"][0]["counters"]')" False "lifespan is not a counter"

# Odd files: the view still works, the odd counters are named.
sim break "$WORK/p5" rdmap113s0 tx_bytes na >/dev/null
sim break "$WORK/p5" rdmap116s0 rx_bytes unreadable >/dev/null
sim break "$WORK/p5" rdmap119s0 rx_pkts missing >/dev/null
sim set "$WORK/p5" rdmap121s0 tx_pkts 18446744073709551616 >/dev/null
mon show --sysfs-root "$WORK/p5" --window 0.05 --json > "$WORK/odd.json" 2> "$WORK/odd.err"; rc=$?
assert_eq "$rc" 0 "odd files: show still succeeds"
assert_eq "$(json "$WORK/odd.json" '[d["odd"] for d in j["devices"][:4]]')" "[{'tx_bytes': 'n/a'}, {'rx_bytes': 'unreadable'}, {'rx_pkts': 'missing'}, {'tx_pkts': 'overflow'}]" "each odd counter has its state"
assert_eq "$(grep -c 'left out until it reads again' "$WORK/odd.err")" 4 "each odd counter logged once across two samples"

# A root with no RDMA devices: a warning, an empty table, exit 0.
mkdir -p "$WORK/empty"
mon show --sysfs-root "$WORK/empty" --window 0.01 > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 0 "no devices: exit 0"
assert_grep "no RDMA device counters under" "$WORK/out" "no devices: warned"
mon show --sysfs-root "$WORK/nonexistent" --window 0.01 > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 1 "nonexistent root: exit 1"
assert_grep "cannot read .*nonexistent: No such file or directory" "$WORK/out" "nonexistent root named"
done_testing
