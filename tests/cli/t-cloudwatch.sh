#!/bin/bash
# The CloudWatch sink against the fake CloudWatch (every signature checked
# by botocore): exact datums and dimensions, batching into Values/Counts,
# gzip, retries on 5xx and throttling, no retry on a validation error,
# hanging and refusing endpoints, the bounded queue, and credentials from
# a fake instance role that expire mid-run and are refreshed.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
FAKES="${srcdir:-.}/tests/fakes"
$PY -c 'import botocore' 2>/dev/null || { echo "1..0 # SKIP python3-botocore missing"; exit 77; }

sim create "$WORK/sys" --shape p4d >/dev/null
read -r A B _ <<<"$($EFASIM list "$WORK/sys" | awk '{print $1}' | tr '\n' ' ')"

creds=(--cred AKIDTEST:s3cr3t-key)
for n in $(seq -f %04g 1 40); do creds+=(--cred "ASIAFAKE$n:fake-s3cr3t-$n:fake-t0k3n-$n"); done
$PY "$FAKES/fake_cloudwatch.py" --port-file "$WORK/cw.port" --record "$WORK/rec.jsonl" \
	--region us-east-1 "${creds[@]}" &
PIDS+=("$!")
wait_for test -s "$WORK/cw.port" || fail "the fake CloudWatch did not start"
CW="http://127.0.0.1:$(cat "$WORK/cw.port")"

ctl() { $PY -c '
import sys, urllib.request
m, url, body = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None
req = urllib.request.Request(url, data=body.encode() if body else (b"" if m == "POST" else None), method=m)
print(urllib.request.urlopen(req, timeout=10).read().decode())' "$1" "$CW$2" "${3:-}"; }
reset() { ctl POST /__reset >/dev/null || fail "reset the fake"; }
script() { ctl POST /__script "$1" >/dev/null || fail "script the fake: $1"; }
# rec EXPR: a Python expression over r (the records since the last reset)
rec() { $PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(eval(sys.argv[2]))' "$WORK/rec.jsonl" "$1"; }

export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=s3cr3t-key AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_CLOUDWATCH="$CW" AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_DEFAULT_REGION
export HOME="$WORK/home"; mkdir -p "$HOME"

# cwrun OUT ARGS...: the reporter with the cloudwatch sink, bounded in time.
cwrun() { local out=$1; shift; timeout 60 "$EFA_MONITOR" run --sysfs-root "$WORK/sys" --no-log-stdout \
	--sinks cloudwatch --instance-id i-0test "$@" >"$out.out" 2>"$out.err"; }

# --- 1. exact datums: one interval (ended by SIGTERM) with known traffic ---
reset
cwrun "$WORK/a" --interval 600 --job-id 42 --step-id 0 --cw-batch-interval 0 \
	--cw-dimensions "InstanceId,Interface,JobId;JobId" --log-level debug &
pid=$!
wait_for grep -q "baseline sample taken" "$WORK/a.err" || fail "the reporter did not start: $(cat "$WORK/a.err")"
sim traffic "$WORK/sys" --device "$A" --tx-bytes 3000000 --tx-pkts 3000 >/dev/null
sim traffic "$WORK/sys" --device "$B" --tx-bytes 1000000 >/dev/null
sim advance "$WORK/sys" rx_drops=7 rdma_write_wr_err=2 --device "$A" >/dev/null
pkill -TERM -P "$pid" -x timeout	# cwrun's timeout, which hands SIGTERM to the reporter
wait "$pid"
assert_eq "$?" 0 "a run with the cloudwatch sink exits 0"
assert_eq "$(rec '[(x["action"], x["protocol"], x["status"], x["signature_ok"], x["access_key"]) for x in r]')" \
	"[('PutMetricData', 'json', 200, True, 'AKIDTEST')]" "one PutMetricData over JSON 1.0, signature verified by botocore"
assert_eq "$(rec 'len(r[0]["datums"])')" 30 "30 datums: 6 metrics a p4d has x (4 interfaces + 1 JobId roll-up)"
d() { rec "[x['Value'] for x in r[0]['datums'] if x['MetricName']=='$1' and x['Dimensions']==$2]"; }
full() { echo "{'InstanceId': 'i-0test', 'Interface': '$1', 'JobId': '42'}"; }
# The window the rates are over, as the program measured and logged it.
ns=$(grep -oE 'rates over [0-9]+ ns \(measured\)' "$WORK/a.err" | awk 'NR==1 {print $3}')
assert_eq "$($PY -c "a=$(d tx_bytes_rate "$(full "$A")")[0]; b=$(d tx_bytes_rate "$(full "$B")")[0]; p=$(d tx_packets_rate "$(full "$A")")[0]
eq=lambda x, y: abs(x - y) <= 1e-12 * abs(y)
print(eq(a, 3*b), eq(a, 1000*p), eq(a, 3000000 * 1e9 / ${ns:-1}))")" "True True True" \
	"rates: A/B is 3 and bytes/packets 1000 (to the last bits of a double), and 3 MB over the measured window ($ns ns)"
assert_eq "$(d rx_drops "$(full "$A")") $(d rdma_errors "$(full "$A")") $(d rx_drops "{'JobId': '42'}")" \
	"[7.0] [2.0] [7.0]" "counts exact per interface and in the JobId roll-up"
assert_eq "$(rec 'sorted(set(x["Unit"]+"/"+x["MetricName"] for x in r[0]["datums"]))')" \
	"['Bytes/Second/rx_bytes_rate', 'Bytes/Second/tx_bytes_rate', 'Count/Second/rx_packets_rate', 'Count/Second/tx_packets_rate', 'Count/rdma_errors', 'Count/rx_drops']" \
	"the seed's names and units; EFA lacks rx_errors/tx_discards: none invented"
assert_eq "$(rec 'sorted(set(x["StorageResolution"] for x in r[0]["datums"]))')" "[60]" "standard resolution by default"

# --- 2. batching: 10 intervals in one minute-period -> Values/Counts ------
reset
cwrun "$WORK/b" --interval 0.1 --samples 10 --job-id 42 --cw-batch-interval 300 --cw-gzip-min 1
assert_eq "$?" 0 "a batched run exits 0"
assert_eq "$(rec 'len(r), all(x["gzip"] for x in r), all(x["signature_ok"] for x in r)')" "(1, True, True)" \
	"10 intervals go out as one gzipped request at stop, signed over the compressed body"
series_counts() { $PY - "$WORK/rec.jsonl" <<'PYEOF'
import collections, json, sys
n = collections.Counter()
for r in map(json.loads, open(sys.argv[1])):
    for d in r["datums"]:
        n[(d["MetricName"], tuple(sorted(d["Dimensions"].items())))] += int(sum(d.get("Counts", [1])))
print(sorted(set(n.values())), len(n))
PYEOF
}
assert_eq "$(series_counts)" "[10] 24" "each of the 24 series holds its 10 values in Values/Counts"
assert_eq "$(rec 'len(r[0]["datums"]) <= 2 * 24')" True "at most one datum per series per minute"

# --- 3. retries: 500 then throttling, then success -------------------------
reset
script '["500", "throttle", "ok"]'
cwrun "$WORK/c" --interval 0.1 --samples 1 --cw-batch-interval 0
assert_eq "$(rec '[x["status"] for x in r]')" "[500, 400, 200]" "5xx and throttling are retried until accepted"
assert_grep "cloudwatch: 1 requests \(0 failed, 2 retries\), 24 datums sent" "$WORK/c.err" "the stats say 2 retries, 24 datums sent"

# --- 4. a validation error is not retried ---------------------------------
reset
script '["invalid"]'
cwrun "$WORK/d" --interval 0.1 --samples 1 --cw-batch-interval 0
assert_eq "$(rec 'len(r)')" 1 "a 400 validation error is not retried"
assert_grep "PutMetricData rejected, 24 datums dropped: HTTP 400 InvalidParameterValue: " "$WORK/d.err" \
	"CloudWatch's code and message are logged with the datums dropped"
assert_grep "24 datums dropped \(queue full 0, rejected 24" "$WORK/d.err" "and counted as rejected"

# --- 5. a hanging endpoint: bounded by cw_timeout and the flush deadline ---
reset
script '["hang:30", "hang:30", "hang:30"]'
cwrun "$WORK/e" --interval 0.1 --samples 1 --cw-batch-interval 0 --cw-timeout 1 --cw-retries 1 --cw-flush-timeout 3
assert_eq "$?" 0 "a hanging endpoint: the run still ends, exit 0"
assert_grep "PutMetricData failed after 2 attempts, 24 datums dropped: .*(timed out|Timeout)" "$WORK/e.err" "two timed-out attempts, then the datums are dropped and said so"
assert_grep "24 datums dropped \(queue full 0, rejected 0, failed 24" "$WORK/e.err" "counted as failed"

# --- 5b. a request hanging past the stop, batches queued behind it --------
# The first request hangs far longer than cw_timeout... and cw_timeout is
# longer than the flush: at the stop deadline it is still in flight, and
# every later interval's batch waits behind it. Each datum must still end
# as sent or dropped: the intervals published are counted from the log.
reset
script '["hang:60"]'
cwrun "$WORK/e2" --interval 0.1 --samples 6 --cw-batch-interval 0 --cw-timeout 30 --cw-flush-timeout 1 \
	--log-level debug
assert_eq "$?" 0 "a request hanging through the stop: exit 0"
intervals=$(grep -c 'rates over [0-9]* ns (measured)' "$WORK/e2.err")
assert_eq "$intervals" 6 "6 intervals published (from the log)"
sent=$(sed -nE 's/.* ([0-9]+) datums sent in.*/\1/p' "$WORK/e2.err")
dropped=$(sed -nE 's/.*; ([0-9]+) datums dropped.*/\1/p' "$WORK/e2.err")
assert_eq "$((sent + dropped))" "$((intervals * 24))" "sent + dropped = 24 datums x every interval published"
assert_grep "datums dropped \(queue full [0-9]+, rejected [0-9]+, failed [0-9]+, at stop [0-9]+, in flight at stop [0-9]+, invalid [0-9]+\)" \
	"$WORK/e2.err" "the last line names each reason, in flight at stop included"
by_reason=$(sed -nE 's/.*\(queue full ([0-9]+), rejected ([0-9]+), failed ([0-9]+), at stop ([0-9]+), in flight at stop ([0-9]+), invalid ([0-9]+)\).*/\1 \2 \3 \4 \5 \6/p' "$WORK/e2.err")
assert_eq "$(echo "$by_reason" | awk '{print $1+$2+$3+$4+$5+$6}')" "$dropped" "the reasons add up to the datums dropped"
assert_eq "$(rec 'sum(len(x["datums"]) for x in r if x["status"] == 200)')" "$sent" "what the stats call sent is what CloudWatch recorded"

# --- 6. connection refused -------------------------------------------------
CLOSED=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AWS_ENDPOINT_URL_CLOUDWATCH="http://127.0.0.1:$CLOSED" cwrun "$WORK/f" --interval 0.1 --samples 2 \
	--cw-batch-interval 0 --cw-retries 2 --cw-flush-timeout 2
assert_eq "$?" 0 "a refusing endpoint: exit 0"
assert_grep "failed after 3 attempts, 24 datums dropped: .*refused" "$WORK/f.err" "refused connections are retried, then dropped with the reason"
assert_grep "48 datums dropped" "$WORK/f.err" "every datum of both intervals is accounted for"

# --- 7. the bounded queue drops the oldest batch --------------------------
reset
script '["hang:3"]'
cwrun "$WORK/g" --interval 0.05 --samples 20 --cw-batch-interval 0 --cw-queue-max 2 --cw-timeout 2 \
	--cw-retries 0 --cw-flush-timeout 3
assert_eq "$?" 0 "a stuck sender with a full queue: exit 0"
assert_grep "dropped a batch of 24 datums: the queue is full \(2 batches" "$WORK/g.err" "the oldest batch is dropped, said with its size"
sent=$(sed -nE 's/.* ([0-9]+) datums sent in.*/\1/p' "$WORK/g.err")
dropped=$(sed -nE 's/.*; ([0-9]+) datums dropped.*/\1/p' "$WORK/g.err")
assert_eq "$((sent + dropped))" 480 "sent + dropped = every datum of 20 intervals (480)"
assert_eq "$(rec 'sum(len(x["datums"]) for x in r if x["status"] == 200)')" "$sent" "what the stats call sent is what CloudWatch recorded"

# --- 8. credentials from the instance role, refreshed when close to expiry -
reset
$PY "$FAKES/fake_imds.py" --port-file "$WORK/imds.port" --log "$WORK/imds.log" --ttl 901 \
	--instance-id i-0imds --region us-east-1 &
PIDS+=("$!")
wait_for test -s "$WORK/imds.port" || fail "the fake IMDS did not start"
( unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED AWS_REGION
  EFA_MONITOR_IMDS="http://127.0.0.1:$(cat "$WORK/imds.port")"
  timeout 60 "$EFA_MONITOR" run --sysfs-root "$WORK/sys" --no-log-stdout --sinks cloudwatch \
	--imds-endpoint "$EFA_MONITOR_IMDS" --interval 0.5 --samples 16 --cw-batch-interval 0 \
	--job-id 42 >"$WORK/h.out" 2>"$WORK/h.err" )
assert_eq "$?" 0 "a run on instance-role credentials exits 0"
assert_eq "$(rec 'all(x["status"] == 200 and x["signature_ok"] and x["token"] for x in r), len(r)')" "(True, 16)" \
	"16 requests, each signed with a session token and accepted"
assert_eq "$(rec 'r[0]["access_key"], len(set(x["access_key"] for x in r)) >= 2')" "('ASIAFAKE0001', True)" \
	"the role's credentials expire during the run and fresh ones are used"
assert_eq "$(rec 'sorted(set(d["Dimensions"]["InstanceId"] for x in r for d in x["datums"]))')" "['i-0imds']" \
	"InstanceId and region come from instance metadata"
assert_no_grep "fake-s3cr3t|fake-t0k3n|s3cr3t-key" "$WORK/h.err" "no secret or token in the log"

# --- 9. the dashboard: what dashboards/ holds, and PutDashboard -----------
DASH="${srcdir:-.}/dashboards"
mon dashboard --cw-region us-east-1 --line-rate-gbps 3200 >"$WORK/job.json" 2>"$WORK/dash.err"
assert_eq "$(cmp -s "$WORK/job.json" "$DASH/cloudwatch-job.json" && echo same)" same "dashboards/cloudwatch-job.json is what 'efa-monitor dashboard' writes"
mon dashboard --cw-region us-east-1 --line-rate-gbps 3200 --dashboard-scope node --dashboard-name efa-monitor-nodes >"$WORK/node.json"
assert_eq "$(cmp -s "$WORK/node.json" "$DASH/cloudwatch-node.json" && echo same)" same "dashboards/cloudwatch-node.json too"
assert_eq "$(json "$WORK/job.json" '[w["properties"]["title"] for w in j["widgets"]], j["variables"][0]["property"], j["widgets"][1]["properties"]["annotations"]["horizontal"][0]["value"]')" \
	"['Network throughput (bytes/s per interface)', 'Bandwidth utilisation (Gb/s)', 'Packet rate (packets/s per interface)', 'Errors, discards and retransmits (per minute)', 'Current rates'] JobId 3200" \
	"the seed's five widgets, a JobId variable, the line rate drawn"
reset
mon dashboard --cw-region us-east-1 --line-rate-gbps 3200 --dashboard-put --dashboard-name efa-test >"$WORK/put.out" 2>&1
assert_eq "$?" 0 "dashboard --dashboard-put exits 0"
assert_eq "$(rec '[(x["action"], x["status"], x["signature_ok"], x["dashboard"]["name"]) for x in r]')" \
	"[('PutDashboard', 200, True, 'efa-test')]" "PutDashboard through the same signer"
assert_eq "$(rec 'json.loads(r[0]["dashboard"]["body"]) == json.load(open(sys.argv[1].replace("rec.jsonl", "job.json")))')" True \
	"the stored body is the printed one"
mon dashboard --cw-region us-east-1 --dashboard-name "bad name" >/dev/null 2>"$WORK/dash.err"
assert_eq "$?" 2 "a bad dashboard name is refused"
assert_grep "dashboard_name = bad name: 1 to 255 of A-Z" "$WORK/dash.err" "naming the rule"

# --- 10. configuration errors name the key ---------------------------------
for bad in "--cw-dimensions InstanceId,Host" "--cw-storage-resolution 5" "--cw-namespace AWS/EC2"; do
	# shellcheck disable=SC2086
	"$EFA_MONITOR" run --sysfs-root "$WORK/sys" --samples 1 --sinks cloudwatch $bad >/dev/null 2>"$WORK/bad.err"
	[ $? -ne 0 ] || fail "$bad accepted"
	key=$(echo "$bad" | sed -E 's/^--([a-z-]+) .*/\1/; s/-/_/g')
	assert_grep "$key" "$WORK/bad.err" "$bad is refused, naming $key"
done
done_testing
