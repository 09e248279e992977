#!/bin/bash
# The EMF sink: documents the CloudWatch agent accepts, over UDP and TCP,
# with the PutMetricData sink's names, units and dimension sets; exact
# figures; an unreachable agent costs dropped (and counted) documents,
# never the run.
. "$(dirname "$0")/lib.sh"
LISTENER="${srcdir:-.}/tests/fakes/emf_listener.py"
PY=/usr/bin/python3

sim create "$WORK/sys" --shape p4d >/dev/null
read -r A B _ <<<"$($EFASIM list "$WORK/sys" | awk '{print $1}' | tr '\n' ' ')"

"$PY" "$LISTENER" --port-file "$WORK/port" --record "$WORK/docs" &
PIDS+=("$!")
wait_for test -s "$WORK/port" || fail "the EMF listener did not start"
PORT=$(cat "$WORK/port")

# run_once TRANSPORT OUT [ARGS...]: one interval, ended by SIGTERM; traffic
# injected after the baseline sample: A sends 3 MB in 3000 packets, B 1 MB,
# A drops 7.
run_once() {
	local transport=$1 out=$2; shift 2
	"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --interval 600 --no-log-stdout \
		--sinks emf --emf-address "$transport://127.0.0.1:$PORT" --no-imds \
		--instance-id i-0test --log-level debug "$@" >"$out.out" 2>"$out.err" &
	local pid=$!
	wait_for grep -q "baseline sample taken" "$out.err" || fail "the reporter did not start: $(cat "$out.err")"
	sim traffic "$WORK/sys" --device "$A" --tx-bytes 3000000 --tx-pkts 3000 >/dev/null
	sim traffic "$WORK/sys" --device "$B" --tx-bytes 1000000 >/dev/null
	sim advance "$WORK/sys" rx_drops=7 --device "$A" >/dev/null
	kill -TERM "$pid"
	wait "$pid"
}

run_once udp "$WORK/u" --job-id 42 --step-id 0 --cw-dimensions "InstanceId,Interface,JobId;JobId"
assert_eq "$?" 0 "a run with the EMF sink exits 0"
wait_for test "$(wc -l <"$WORK/docs")" -ge 5 || fail "documents missing: $(cat "$WORK/docs")"
cp "$WORK/docs" "$WORK/udp.docs"; : >"$WORK/docs"

# The window the rates are over, as the program measured and logged it.
window_ns() { grep -oE 'rates over [0-9]+ ns \(measured\)' "$1" | awk 'NR==1 {print $3}'; }
check() { "$PY" - "$WORK/udp.docs" "$A" "$B" "$(window_ns "$WORK/u.err")" <<'PYEOF'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
A, B = sys.argv[2], sys.argv[3]
NS = int(sys.argv[4])
bad = [d for d in docs if not d["ok"]]
assert not bad, bad
assert len(docs) == 5, len(docs)
assert all(d["transport"] == "udp" for d in docs)
by = {}
for d in docs:
    doc = d["doc"]
    (cwm,) = doc["_aws"]["CloudWatchMetrics"]
    assert cwm["Namespace"] == "ParallelCluster/Network", cwm
    (dims,) = cwm["Dimensions"]
    units = {m["Name"]: m["Unit"] for m in cwm["Metrics"]}
    by[doc.get("Interface", "")] = (doc, dims, units)
iface = sorted(k for k in by if k)
assert len(iface) == 4, iface
a, dims, units = by[A]
assert dims == ["InstanceId", "Interface", "JobId"], dims
assert a["InstanceId"] == "i-0test" and a["JobId"] == "42" and "StepId" not in a, a
assert units == {"rx_bytes_rate": "Bytes/Second", "tx_bytes_rate": "Bytes/Second",
                 "rx_packets_rate": "Count/Second", "tx_packets_rate": "Count/Second",
                 "rx_drops": "Count", "rdma_errors": "Count"}, units
b = by[B][0]
# One interval for every device: the rates' ratio is the bytes' ratio
# (to the rounding of a double).
eq = lambda x, y: abs(x - y) <= 1e-12 * abs(y)
assert eq(a["tx_bytes_rate"], 3 * b["tx_bytes_rate"]), (a["tx_bytes_rate"], b["tx_bytes_rate"])
assert eq(a["tx_bytes_rate"], 1000 * a["tx_packets_rate"]), a
# 3 MB over the measured window, computed as the program does.
assert eq(a["tx_bytes_rate"], 3000000 * 1e9 / NS), (a["tx_bytes_rate"], NS)
assert a["rx_drops"] == 7 and b["rx_drops"] == 0 and a["rdma_errors"] == 0, (a, b)
assert a["rx_bytes_rate"] == 0
r, rdims, _ = by[""]
assert rdims == ["JobId"] and "InstanceId" not in r and r["JobId"] == "42", r
assert eq(r["tx_bytes_rate"], sum(by[i][0]["tx_bytes_rate"] for i in iface)), r
assert r["rx_drops"] == 7
for k in ("rx_errors", "tx_discards", "link_errors", "retrans_packets"):
    assert k not in a and k not in r, k
print("ok")
PYEOF
}
assert_eq "$(check 2>&1)" ok "UDP: 4 interface documents and 1 JobId roll-up, valid EMF, exact rates over the measured window, drops and sums, no invented metrics"

run_once tcp "$WORK/t" --job-id 43 --step-id 1 --cw-dimensions "InstanceId,Interface,JobId,StepId"
assert_eq "$?" 0 "a run over TCP exits 0"
wait_for test "$(wc -l <"$WORK/docs")" -ge 4 || fail "TCP documents missing"
assert_eq "$("$PY" -c '
import json,sys
d=[json.loads(l) for l in open(sys.argv[1])]
print(len(d), all(x["ok"] for x in d), sorted(set(x["transport"] for x in d)),
      sorted(set((x["doc"]["JobId"], x["doc"]["StepId"]) for x in d)),
      d[0]["doc"]["_aws"]["CloudWatchMetrics"][0]["Dimensions"])' "$WORK/docs")" \
	"4 True ['tcp'] [('43', '1')] [['InstanceId', 'Interface', 'JobId', 'StepId']]" \
	"TCP: newline-delimited documents on one connection, StepId when asked"
: >"$WORK/docs"

# The node daemon: no job, so JobId goes from the sets and {JobId} with it.
run_once udp "$WORK/n" --cw-dimensions "InstanceId,Interface,JobId;JobId" --cw-storage-resolution 1
wait_for test "$(wc -l <"$WORK/docs")" -ge 4 || fail "node documents missing"
assert_eq "$("$PY" -c '
import json,sys
d=[json.loads(l)["doc"] for l in open(sys.argv[1])]
print(len(d), sorted(set(map(str, (x["_aws"]["CloudWatchMetrics"][0]["Dimensions"] for x in d)))),
      any("JobId" in x for x in d),
      set(m.get("StorageResolution") for x in d for m in x["_aws"]["CloudWatchMetrics"][0]["Metrics"]))' "$WORK/docs")" \
	"4 [\"[['InstanceId', 'Interface']]\"] False {1}" \
	"node daemon: no JobId anywhere, high resolution marked per metric"

# No agent: a closed TCP port. The run completes; every document is counted as dropped.
CLOSED=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --interval 0.2 --samples 3 --no-log-stdout --sinks emf \
	--emf-address "tcp://127.0.0.1:$CLOSED" --no-imds --instance-id i-0test --job-id 44 >/dev/null 2>"$WORK/down.err"
assert_eq "$?" 0 "an unreachable agent does not fail the run"
assert_eq "$(grep -c 'cannot send to the CloudWatch agent' "$WORK/down.err")" 1 "the outage is logged once, naming the agent"
assert_grep "emf: 0 documents sent \(0 bytes\), 12 dropped" "$WORK/down.err" "every dropped document is counted (3 intervals x 4)"

# Bad addresses are refused at start, naming the key.
for bad in "127.0.0.1:25888" "udp://nohostport" "http://127.0.0.1:1"; do
	"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --samples 1 --sinks emf --emf-address "$bad" \
		--no-imds --instance-id x >/dev/null 2>"$WORK/bad.err"
	rc=$?
	[ "$rc" -ne 0 ] || fail "emf_address $bad accepted"
	assert_grep "emf_address = $bad: expected udp://HOST:PORT or tcp://HOST:PORT" "$WORK/bad.err" "emf_address '$bad' refused with a clear message"
done
done_testing
