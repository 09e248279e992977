#!/bin/bash
# The prometheus sink: the exact file it writes (raw device counters in
# base units, x 4 for IB data words, labels, no invented series), promtool
# lint, file names and lifetimes (a job's file goes with the job, the
# node daemon's stays), failures that are logged once and counted; then a
# real node_exporter serving the files and a real Prometheus scraping it,
# queried for exact values, and every PromQL expression of the Grafana
# dashboard run against it.
. "$(dirname "$0")/lib.sh"

for tool in promtool prometheus prometheus-node-exporter curl; do
	command -v "$tool" > /dev/null || { echo "SKIP: $tool not installed (tools/deps.sh)"; exit 77; }
done
DASHBOARD="$srcdir/dashboards/grafana-efa-monitor.json"

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
	"$@"
}
# The value as Python prints a float: what the helper below prints too.
num() { /usr/bin/python3 -c "print(repr(float($1)))"; }
# Leave out the timestamp's value, which is the only thing that varies.
norm_ts() { sed -E 's/^(efa_monitor_last_sample_timestamp_seconds(\{[^}]*\})?) [0-9]+\.[0-9]{3}$/\1 TS/' "$1"; }
# Conditions re-evaluated at each poll.
lines_are() { [ "$(grep -c "$2" "$3")" = "$1" ]; }
pq_is() { [ "$(pq query "$PROM" "$1")" = "$2" ]; }
pq_empty() { [ -z "$(pq query "$PROM" "$1")" ]; }
# Intervals the reporter of test 3 logged (one rate line per device).
intervals3() { echo $(($(grep -c ': RX=' "$WORK/out3") / 5)); }
test_ge_intervals() { [ "$(intervals3)" -ge "$1" ]; }
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# pq: Prometheus HTTP API and text-format helper. Series print as
# '{labels} value', labels sorted, without __name__, instance and job (the
# scrape's), the value as a Python float repr, lines sorted.
cat > "$WORK/pq.py" <<'EOF'
import json, re, sys, urllib.parse, urllib.request

def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()

def api(base, path, params):
    j = json.loads(get(base + path + "?" + urllib.parse.urlencode(params, doseq=True)))
    if j.get("status") != "success":
        sys.exit("query failed: %s %s: %s" % (path, params, j))
    return j["data"]

def series(labels, value):
    keep = sorted(k for k in labels if k not in ("__name__", "instance", "job"))
    return "{%s} %r" % (",".join('%s="%s"' % (k, labels[k]) for k in keep), float(value))

def vector(data):
    if data["resultType"] == "scalar":
        return ["%r" % float(data["result"][1])]
    return sorted(series(s["metric"], s["value"][1]) for s in data["result"])

def query(base, expr, time=None):
    params = {"query": expr}
    if time:
        params["time"] = time
    return vector(api(base, "/api/v1/query", params))

LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

def scrape(url, prefix):
    out = []
    for line in get(url).splitlines():
        if line.startswith("#") or not line.startswith(prefix):
            continue
        m = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line)
        out.append(m.group(1) + " " + series(dict(LABEL.findall(m.group(2) or "")), m.group(3)))
    return sorted(out)

def subst(expr, values):
    for k in sorted(values, key=len, reverse=True):
        expr = expr.replace("$" + k, values[k])
    return expr

def dashboard(path, base, time, values):
    d = json.load(open(path))
    for p in d["panels"]:
        for t in p["targets"]:
            lines = query(base, subst(t["expr"], values), time)
            tag = "P%s/%s" % (p["id"], t["refId"])
            print("%s %d series" % (tag, len(lines)))
            for l in lines:
                print(tag, l)

def variables(path, base, values):
    d = json.load(open(path))
    for v in d["templating"]["list"]:
        if v["type"] != "query":
            continue
        m = re.match(r'^label_values\((.*), *(\w+)\)$', v["definition"])
        data = api(base, "/api/v1/label/%s/values" % m.group(2),
                   {"match[]": subst(m.group(1), values)})
        print(v["name"], " ".join(sorted(data)))

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "query":
    print("\n".join(query(*args)))
elif cmd == "scrape":
    print("\n".join(scrape(*args)))
elif cmd == "dashboard":
    dashboard(args[0], args[1], args[2], json.loads(args[3]))
elif cmd == "variables":
    variables(args[0], args[1], json.loads(args[2]))
elif cmd == "exprs":
    for p in json.load(open(args[0]))["panels"]:
        for t in p["targets"]:
            print(t["expr"])
EOF
pq() { /usr/bin/python3 "$WORK/pq.py" "$@"; }

# --- The file: a p4d node (kernel 6.17: every EFA counter) plus an mlx5 HCA.
sys1="$WORK/sys1"
sim create "$sys1" --shape p4d --kernel 6.17 > /dev/null
sim add "$sys1" --shape mlx5 > /dev/null
feed() { # the same known counters on any tree of this shape
	sim traffic "$1" --device rdmap16s27 --tx-bytes 25000000 --rx-bytes 50000000 --tx-pkts 2500 --rx-pkts 5000 > /dev/null
	sim advance "$1" --device rdmap16s27 rx_drops=5 rdma_read_wr_err=2 rdma_write_wr_err=1 retrans_pkts=7 \
		retrans_timeout_events=3 unresponsive_remote_events=1 impaired_remote_conn_events=4 > /dev/null
	sim traffic "$1" --device mlx5_0 --tx-bytes 4000000 --rx-bytes 8000000 --tx-pkts 100 --rx-pkts 200 > /dev/null
	sim advance "$1" --device mlx5_0 port_rcv_errors=3 port_xmit_discards=2 symbol_error=1 link_downed=1 \
		link_error_recovery=2 > /dev/null
}
feed "$sys1"
sim break "$sys1" rdmap16s28 rx_drops na > /dev/null
assert_eq "$($EFASIM get "$sys1" mlx5_0 port_xmit_data)" 1000000 "mlx5 port_xmit_data counts 4-byte words (raw 1000000)"

prom1="$WORK/prom1"
mkdir -p "$prom1"
t0=$(date +%s)
mon run --sinks prometheus --prom-dir "$prom1" --sysfs-root "$sys1" --interval 0.2 --samples 2 > "$WORK/out1" 2> "$WORK/err1"
assert_eq "$?" 0 "node daemon: run --samples 2 exits 0"
t1=$(date +%s)
assert_eq "$(ls -A "$prom1")" "efa-monitor.prom" "node daemon: efa-monitor.prom is left at exit, no temp file"
assert_eq "$(stat -c %a "$prom1/efa-monitor.prom")" 644 "the file is world-readable (node_exporter's user)"
promtool check metrics < "$prom1/efa-monitor.prom" > "$WORK/lint" 2>&1
assert_eq "$?:$(cat "$WORK/lint")" "0:" "promtool check metrics: no problem at all"

# Every line, exactly: EFA devices have no IB-only series and the reverse;
# rdmap16s28's rx_drops reads N/A, so its series is left out and its
# read-error gauge is 1; bytes on mlx5 are words x 4; sums of sources
# (rdma_errors 2+1, link_errors 1+1+2).
cat > "$WORK/expect1" <<'EOF'
# HELP efa_monitor_transmit_bytes_total Bytes transmitted (EFA tx_bytes; IB port_xmit_data x 4).
# TYPE efa_monitor_transmit_bytes_total counter
efa_monitor_transmit_bytes_total{device="mlx5_0",port="1",type="ib"} 4000000
efa_monitor_transmit_bytes_total{device="rdmap16s27",port="1",type="efa"} 25000000
efa_monitor_transmit_bytes_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_transmit_bytes_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_transmit_bytes_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_receive_bytes_total Bytes received (EFA rx_bytes; IB port_rcv_data x 4).
# TYPE efa_monitor_receive_bytes_total counter
efa_monitor_receive_bytes_total{device="mlx5_0",port="1",type="ib"} 8000000
efa_monitor_receive_bytes_total{device="rdmap16s27",port="1",type="efa"} 50000000
efa_monitor_receive_bytes_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_receive_bytes_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_receive_bytes_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_transmit_packets_total Packets transmitted (EFA tx_pkts; IB port_xmit_packets).
# TYPE efa_monitor_transmit_packets_total counter
efa_monitor_transmit_packets_total{device="mlx5_0",port="1",type="ib"} 100
efa_monitor_transmit_packets_total{device="rdmap16s27",port="1",type="efa"} 2500
efa_monitor_transmit_packets_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_transmit_packets_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_transmit_packets_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_receive_packets_total Packets received (EFA rx_pkts; IB port_rcv_packets).
# TYPE efa_monitor_receive_packets_total counter
efa_monitor_receive_packets_total{device="mlx5_0",port="1",type="ib"} 200
efa_monitor_receive_packets_total{device="rdmap16s27",port="1",type="efa"} 5000
efa_monitor_receive_packets_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_receive_packets_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_receive_packets_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_receive_errors_total Received packets with errors (IB port_rcv_errors).
# TYPE efa_monitor_receive_errors_total counter
efa_monitor_receive_errors_total{device="mlx5_0",port="1",type="ib"} 3
# HELP efa_monitor_transmit_discards_total Outbound packets discarded (IB port_xmit_discards).
# TYPE efa_monitor_transmit_discards_total counter
efa_monitor_transmit_discards_total{device="mlx5_0",port="1",type="ib"} 2
# HELP efa_monitor_receive_drops_total Received packets dropped (EFA rx_drops).
# TYPE efa_monitor_receive_drops_total counter
efa_monitor_receive_drops_total{device="rdmap16s27",port="1",type="efa"} 5
efa_monitor_receive_drops_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_receive_drops_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_rdma_errors_total RDMA work requests completed in error (EFA rdma_read_wr_err + rdma_write_wr_err).
# TYPE efa_monitor_rdma_errors_total counter
efa_monitor_rdma_errors_total{device="rdmap16s27",port="1",type="efa"} 3
efa_monitor_rdma_errors_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_rdma_errors_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_rdma_errors_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_retransmitted_packets_total Packets retransmitted (EFA retrans_pkts).
# TYPE efa_monitor_retransmitted_packets_total counter
efa_monitor_retransmitted_packets_total{device="rdmap16s27",port="1",type="efa"} 7
efa_monitor_retransmitted_packets_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_retransmitted_packets_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_retransmitted_packets_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_retransmit_timeouts_total Retransmission timeouts (EFA retrans_timeout_events).
# TYPE efa_monitor_retransmit_timeouts_total counter
efa_monitor_retransmit_timeouts_total{device="rdmap16s27",port="1",type="efa"} 3
efa_monitor_retransmit_timeouts_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_retransmit_timeouts_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_retransmit_timeouts_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_unresponsive_remote_events_total Remote peers found unresponsive (EFA unresponsive_remote_events).
# TYPE efa_monitor_unresponsive_remote_events_total counter
efa_monitor_unresponsive_remote_events_total{device="rdmap16s27",port="1",type="efa"} 1
efa_monitor_unresponsive_remote_events_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_unresponsive_remote_events_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_unresponsive_remote_events_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_impaired_remote_events_total Connections to remote peers found impaired (EFA impaired_remote_conn_events).
# TYPE efa_monitor_impaired_remote_events_total counter
efa_monitor_impaired_remote_events_total{device="rdmap16s27",port="1",type="efa"} 4
efa_monitor_impaired_remote_events_total{device="rdmap16s28",port="1",type="efa"} 0
efa_monitor_impaired_remote_events_total{device="rdmap32s27",port="1",type="efa"} 0
efa_monitor_impaired_remote_events_total{device="rdmap32s28",port="1",type="efa"} 0
# HELP efa_monitor_link_errors_total Link errors (IB symbol_error + link_downed + link_error_recovery).
# TYPE efa_monitor_link_errors_total counter
efa_monitor_link_errors_total{device="mlx5_0",port="1",type="ib"} 4
# HELP efa_monitor_device_info An RDMA device efa-monitor reads, with its driver and PCI address.
# TYPE efa_monitor_device_info gauge
efa_monitor_device_info{device="mlx5_0",type="ib",driver="mlx5_core",pci="0000:0c:00.0"} 1
efa_monitor_device_info{device="rdmap16s27",type="efa",driver="efa",pci="0000:10:1b.0"} 1
efa_monitor_device_info{device="rdmap16s28",type="efa",driver="efa",pci="0000:10:1c.0"} 1
efa_monitor_device_info{device="rdmap32s27",type="efa",driver="efa",pci="0000:20:1b.0"} 1
efa_monitor_device_info{device="rdmap32s28",type="efa",driver="efa",pci="0000:20:1c.0"} 1
# HELP efa_monitor_link_speed_bytes Line rate of the port in bytes per second.
# TYPE efa_monitor_link_speed_bytes gauge
efa_monitor_link_speed_bytes{device="mlx5_0",port="1",type="ib"} 25000000000
efa_monitor_link_speed_bytes{device="rdmap16s27",port="1",type="efa"} 12500000000
efa_monitor_link_speed_bytes{device="rdmap16s28",port="1",type="efa"} 12500000000
efa_monitor_link_speed_bytes{device="rdmap32s27",port="1",type="efa"} 12500000000
efa_monitor_link_speed_bytes{device="rdmap32s28",port="1",type="efa"} 12500000000
# HELP efa_monitor_read_errors Counter files of the device that did not read as a number in the latest sample (missing, unreadable, empty, N/A, garbage, overflow).
# TYPE efa_monitor_read_errors gauge
efa_monitor_read_errors{device="mlx5_0",type="ib"} 0
efa_monitor_read_errors{device="rdmap16s27",type="efa"} 0
efa_monitor_read_errors{device="rdmap16s28",type="efa"} 1
efa_monitor_read_errors{device="rdmap32s27",type="efa"} 0
efa_monitor_read_errors{device="rdmap32s28",type="efa"} 0
# HELP efa_monitor_last_sample_timestamp_seconds Wall-clock time of the sample this file holds, in seconds since the epoch.
# TYPE efa_monitor_last_sample_timestamp_seconds gauge
efa_monitor_last_sample_timestamp_seconds TS
# HELP efa_monitor_textfile_write_errors_total Failed writes of this file since the reporter started.
# TYPE efa_monitor_textfile_write_errors_total counter
efa_monitor_textfile_write_errors_total 0
EOF
norm_ts "$prom1/efa-monitor.prom" > "$WORK/got1"
diff -u "$WORK/expect1" "$WORK/got1" >&2 || fail "node daemon file differs from the expected text"
ok "node daemon file: every family, series, label and value exactly as expected"
ts=$(sed -nE 's/^efa_monitor_last_sample_timestamp_seconds ([0-9]+)\.[0-9]{3}$/\1/p' "$prom1/efa-monitor.prom")
[ -n "$ts" ] && [ "$ts" -ge "$t0" ] && [ "$ts" -le "$t1" ] || fail "timestamp $ts outside the run [$t0, $t1]"
ok "the timestamp is the sample's wall-clock time, in seconds with milliseconds"

# Linux 5.10's EFA keeps every counter in one list, in both hw_counters/
# and ports/1/hw_counters/: each series is there once, on port 1.
sim create "$WORK/old" --shape efa-old > /dev/null
sim traffic "$WORK/old" --device rdmap0s6 --tx-bytes 1000 > /dev/null
mkdir -p "$WORK/prom-old"
mon run --sinks prometheus --prom-dir "$WORK/prom-old" --sysfs-root "$WORK/old" --interval 0.1 --samples 1 > /dev/null 2>&1
assert_eq "$(grep '^efa_monitor_transmit_bytes_total' "$WORK/prom-old/efa-monitor.prom")" "$(printf '%s\n' \
	'efa_monitor_transmit_bytes_total{device="rdmap0s6",port="1",type="efa"} 1000' \
	'efa_monitor_transmit_bytes_total{device="rdmap0s7",port="1",type="efa"} 0' \
	'efa_monitor_transmit_bytes_total{device="rdmap0s8",port="1",type="efa"} 0' \
	'efa_monitor_transmit_bytes_total{device="rdmap0s9",port="1",type="efa"} 0')" \
	"5.10 single-list EFA: one series per device, on port 1"

# A per-job reporter: its own file, every series tagged with the job and
# step, the same raw values (they are the device's), removed at SIGTERM.
"$EFA_MONITOR" run --sinks prometheus --prom-dir "$prom1" --sysfs-root "$sys1" --interval 0.2 --job-id 42 --step-id 0 \
	> /dev/null 2> "$WORK/err2" &
pid=$!; PIDS+=("$pid")
job42="$prom1/efa-monitor-job-42.0.prom"
wait_until 10 test -s "$job42" || fail "no per-job file $job42"
ok "per-job reporter writes efa-monitor-job-42.0.prom beside the node daemon's file"
promtool check metrics < "$job42" > "$WORK/lint" 2>&1
assert_eq "$?:$(cat "$WORK/lint")" "0:" "per-job file: promtool check metrics has no problem"
sed -E -e '/^#/b' -e 's/\} /,job_id="42",step_id="0"} /' -e 't' \
	-e 's/^([a-z_]+) /\1{job_id="42",step_id="0"} /' "$WORK/expect1" > "$WORK/expect2"
norm_ts "$job42" > "$WORK/got2"
diff -u "$WORK/expect2" "$WORK/got2" >&2 || fail "per-job file differs from the expected text"
ok "per-job file: the same series and values, each with job_id=\"42\",step_id=\"0\""
kill -TERM "$pid"; wait "$pid"; rc=$?
assert_eq "$rc" 0 "per-job reporter: SIGTERM, exit 0"
assert_eq "$(ls -A "$prom1")" "efa-monitor.prom" "per-job file removed at exit; the node daemon's stays"

# Refused at open, with the reason: a directory that does not exist, ids
# that cannot name a file. A step name is fine.
mon run --sinks prometheus --prom-dir "$WORK/nope" --sysfs-root "$sys1" --interval 0.2 --samples 1 > /dev/null 2> "$WORK/err3"
assert_eq "$?" 1 "missing prom_dir: run fails"
assert_grep "prometheus sink: prom_dir $WORK/nope does not exist" "$WORK/err3" "missing prom_dir: the message names it"
mon run --sinks prometheus --prom-dir "$prom1" --sysfs-root "$sys1" --interval 0.2 --samples 1 --job-id '42/../x' > /dev/null 2> "$WORK/err4"
assert_eq "$?" 1 "job id with a slash: run fails"
assert_grep "job id '42/\.\./x' cannot name a file" "$WORK/err4" "job id with a slash: the message says why"
mon run --sinks prometheus --prom-dir "$prom1" --sysfs-root "$sys1" --interval 0.2 --samples 1 --job-id 43 --step-id 'a b' > /dev/null 2> "$WORK/err5"
assert_eq "$?" 1 "step id with a space: run fails"
assert_eq "$(ls -A "$prom1")" "efa-monitor.prom" "refused runs create no file"
mon run --sinks prometheus --prom-dir "$prom1" --sysfs-root "$sys1" --interval 0.2 --samples 1 --job-id 43 --step-id batch > /dev/null 2> "$WORK/err6"
assert_grep "writing $prom1/efa-monitor-job-43.batch.prom" "$WORK/err6" "step 'batch': efa-monitor-job-43.batch.prom"

# After open nothing is fatal: the temp file's place taken by a directory,
# then the whole directory gone; each kind is logged once, every failure
# counted, and writing resumes. The values are the device's raw counters:
# a driver reset shows as 0, not as a run total.
prom3="$WORK/prom3"
mkdir -p "$prom3"
"$EFA_MONITOR" run --sinks log,prometheus --prom-dir "$prom3" --sysfs-root "$sys1" --interval 0.1 \
	--no-health-lines --log-file "$WORK/log3" > "$WORK/out3" 2>&1 &
pid=$!; PIDS+=("$pid")
f3="$prom3/efa-monitor.prom"
wait_until 10 test -s "$f3" || fail "no file in $prom3"
mkdir "$f3.tmp"
wait_until 10 grep -q "cannot remove $f3.tmp" "$WORK/log3" || fail "no log line for the blocked temp file"
i=$(intervals3) # three more intervals fail: they must not be logged
wait_until 10 test_ge_intervals $((i + 3)) || fail "the reporter stopped sampling"
rmdir "$f3.tmp"
wait_until 10 grep -q "written again" "$WORK/log3" || fail "writing did not resume"
mv "$prom3" "$prom3.away"
wait_until 10 grep -q "cannot create $f3.tmp: No such file or directory" "$WORK/log3" || fail "no log line for the missing directory"
i=$(intervals3)
wait_until 10 test_ge_intervals $((i + 3)) || fail "the reporter stopped sampling"
mv "$prom3.away" "$prom3"
wait_until 10 lines_are 2 'written again' "$WORK/log3" || fail "writing did not resume after the directory came back"
sim reset "$sys1" --device rdmap16s27 > /dev/null
line='efa_monitor_transmit_bytes_total{device="rdmap16s27",port="1",type="efa"} 0'
wait_until 10 grep -qxF "$line" "$f3" || fail "after a driver reset the file does not show the raw 0"
ok "a driver reset shows as the device's value (0), not a run total"
kill -TERM "$pid"; wait "$pid"
assert_eq "$(grep -c 'cannot remove' "$WORK/log3")" 1 "a directory in the temp file's place: logged once"
assert_eq "$(grep -c 'cannot create' "$WORK/log3")" 1 "a missing directory: logged once"
n=$(sed -nE 's/^efa_monitor_textfile_write_errors_total ([0-9]+)$/\1/p' "$f3")
[ "${n:-0}" -ge 8 ] || fail "write errors counted: $n, expected at least 8 (4 intervals in each failure)"
assert_grep "sink prometheus: $n failed writes" "$WORK/log3" "efa_monitor_textfile_write_errors_total ($n) matches the sink's count"
assert_eq "$(ls -A "$prom3")" "efa-monitor.prom" "no temp file left behind"

# --- node_exporter and Prometheus, for real ------------------------------
sys2="$WORK/sys2"
prom2="$WORK/prom2"
mkdir -p "$prom2"
sim create "$sys2" --shape p4d --kernel 6.17 > /dev/null
sim add "$sys2" --shape mlx5 > /dev/null

# start_server LOG URL CMD...: CMD with @PORT@ replaced by a free port,
# retried if the port was taken meanwhile; sets PORT and SERVER_PID.
start_server() {
	local log=$1 path=$2; shift 2
	for _ in 1 2 3; do
		PORT=$(free_port)
		"${@//@PORT@/$PORT}" > "$log" 2>&1 &
		SERVER_PID=$!; PIDS+=("$SERVER_PID")
		local end=$((SECONDS + 60))
		while [ $SECONDS -lt $end ] && kill -0 "$SERVER_PID" 2> /dev/null; do
			curl -sf -o /dev/null "http://127.0.0.1:$PORT$path" && return 0
			sleep 0.1
		done
		kill "$SERVER_PID" 2> /dev/null; wait "$SERVER_PID" 2> /dev/null
	done
	cat "$log" >&2
	fail "cannot start $1"
}
start_server "$WORK/node_exporter.log" /metrics prometheus-node-exporter --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory "$prom2" --web.listen-address 127.0.0.1:@PORT@
NE="127.0.0.1:$PORT"; ne_pid=$SERVER_PID
ok "node_exporter serves $prom2 on $NE"
cat > "$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: efa
    static_configs:
      - targets: ['$NE']
EOF
start_server "$WORK/prometheus.log" /-/ready prometheus --config.file "$WORK/prometheus.yml" \
	--storage.tsdb.path "$WORK/tsdb" --web.listen-address 127.0.0.1:@PORT@
PROM="http://127.0.0.1:$PORT"; prom_pid=$SERVER_PID
ok "Prometheus scrapes it every second ($PROM)"

# The node daemon and two jobs on the node, all counters still at 0.
"$EFA_MONITOR" run --sinks prometheus --prom-dir "$prom2" --sysfs-root "$sys2" --interval 0.2 > /dev/null 2>&1 &
node_pid=$!; PIDS+=("$node_pid")
"$EFA_MONITOR" run --sinks prometheus --prom-dir "$prom2" --sysfs-root "$sys2" --interval 0.2 --job-id 42 --step-id 0 > /dev/null 2>&1 &
j42_pid=$!; PIDS+=("$j42_pid")
"$EFA_MONITOR" run --sinks prometheus --prom-dir "$prom2" --sysfs-root "$sys2" --interval 0.2 --job-id 43 --step-id batch > /dev/null 2>&1 &
j43_pid=$!; PIDS+=("$j43_pid")
sel='device="rdmap16s27",job_id="42"'
# Two scrapes at zero first, so the job's series start at 0 in Prometheus.
wait_until 60 pq_is "count_over_time(efa_monitor_transmit_bytes_total{$sel}[1m]) >= bool 2" \
	"{device=\"rdmap16s27\",job_id=\"42\",port=\"1\",step_id=\"0\",type=\"efa\"} 1.0" ||
	fail "Prometheus never scraped the job's series twice"
assert_eq "$(pq query "$PROM" "efa_monitor_transmit_bytes_total{$sel}")" \
	'{device="rdmap16s27",job_id="42",port="1",step_id="0",type="efa"} 0.0' "Prometheus has job 42's series at 0"

feed "$sys2"
# The last counter efasim moved is in Prometheus: so is everything before.
wait_until 30 pq_is 'efa_monitor_link_errors_total{job_id="42"}' \
	'{device="mlx5_0",job_id="42",port="1",step_id="0",type="ib"} 4.0' || fail "the counters never reached Prometheus"
ok "the moved counters reached Prometheus"

pq scrape "http://$NE/metrics" "" > "$WORK/scrape"
assert_grep '^node_textfile_scrape_error \{\} 0\.0$' "$WORK/scrape" "node_exporter reads the three files without error"
assert_eq "$(grep -c '^efa_monitor_transmit_bytes_total ' "$WORK/scrape")" 15 "node_exporter: 5 devices x (node, job 42, job 43) series"
for l in \
	'efa_monitor_transmit_bytes_total {device="rdmap16s27",job_id="42",port="1",step_id="0",type="efa"} 25000000.0' \
	'efa_monitor_receive_bytes_total {device="mlx5_0",job_id="42",port="1",step_id="0",type="ib"} 8000000.0' \
	'efa_monitor_transmit_bytes_total {device="mlx5_0",port="1",type="ib"} 4000000.0' \
	'efa_monitor_rdma_errors_total {device="rdmap16s27",job_id="43",port="1",step_id="batch",type="efa"} 3.0' \
	'efa_monitor_link_speed_bytes {device="mlx5_0",job_id="42",port="1",step_id="0",type="ib"} 25000000000.0'; do
	grep -qxF "$l" "$WORK/scrape" || { cat "$WORK/scrape" >&2; fail "curl scrape: no line '$l'"; }
	ok "curl scrape: $l"
done

# Every query at the instant T of one scrape after the counters moved.
T=$(pq query "$PROM" "scalar(timestamp(efa_monitor_link_errors_total{job_id=\"42\"}))")
j='job_id="42",port="1",step_id="0"'
assert_eq "$(pq query "$PROM" "efa_monitor_transmit_bytes_total{job_id=\"42\"}" "$T")" "$(printf '%s\n' \
	"{device=\"mlx5_0\",$j,type=\"ib\"} 4000000.0" \
	"{device=\"rdmap16s27\",$j,type=\"efa\"} 25000000.0" \
	"{device=\"rdmap16s28\",$j,type=\"efa\"} 0.0" \
	"{device=\"rdmap32s27\",$j,type=\"efa\"} 0.0" \
	"{device=\"rdmap32s28\",$j,type=\"efa\"} 0.0")" \
	'Prometheus: efa_monitor_transmit_bytes_total{job_id="42"} is what efasim moved, per device'
# The series start at 0 and T is a sample's time, so increase() does not
# extrapolate: it is the exact step.
assert_eq "$(pq query "$PROM" "increase(efa_monitor_receive_bytes_total{$sel}[10m])" "$T")" \
	"{device=\"rdmap16s27\",$j,type=\"efa\"} 50000000.0" "increase() over a window holding the step: exactly 50000000 bytes"

# The dashboard: every expression, the variables replaced with the test
# job's values; with a 5 s rate interval each returns something, with
# 10 m the figures are exact.
assert_eq "$(pq exprs "$DASHBOARD" | grep -c .)" 23 "the dashboard has 23 PromQL expressions"
pq variables "$DASHBOARD" "$PROM" '{"job_id": "42", "instance": "'"$NE"'"}' > "$WORK/vars"
assert_eq "$(cat "$WORK/vars")" "$(printf '%s\n' "job_id 42 43" "instance $NE" \
	"device mlx5_0 rdmap16s27 rdmap16s28 rdmap32s27 rdmap32s28")" "dashboard variables: jobs, the node, its devices"
vars='{"job_id": "42", "instance": "'"$NE"'", "device": ".*", "__rate_interval": "5s"}'
pq dashboard "$DASHBOARD" "$PROM" "$T" "$vars" > "$WORK/dash5s" || fail "a dashboard query failed"
assert_eq "$(grep -c ' 0 series$' "$WORK/dash5s")" 0 "every dashboard expression returns data (rate interval 5s)"
pq dashboard "$DASHBOARD" "$PROM" "$T" "${vars/5s/10m}" > "$WORK/dash" || fail "a dashboard query failed"
# Prometheus computes rate() as increase x (1 / range): D*(1/600) for the
# 10 m window, which may differ from D/600 in the last bit.
# expect_panel TAG [LABELS]: stdin has 'device python-expression' lines;
# LABELS go between device and type (default: job 42's, with the port).
expect_panel() {
	local tag=$1 mid=${2:-$j} dev expr type
	while read -r dev expr; do
		type=efa; [ "$dev" = mlx5_0 ] && type=ib
		echo "$tag {device=\"$dev\",$mid,type=\"$type\"} $(num "$expr")"
	done | sort > "$WORK/want"
	grep "^$tag {" "$WORK/dash" > "$WORK/have"
	diff -u "$WORK/want" "$WORK/have" >&2 || fail "dashboard panel $tag: values differ"
	ok "dashboard $tag: the exact values of its $(wc -l < "$WORK/want") series"
}
expect_panel P1/A <<EOF
mlx5_0 8000000*(1/600)
rdmap16s27 50000000*(1/600)
rdmap16s28 0
rdmap32s27 0
rdmap32s28 0
EOF
expect_panel P1/B <<EOF
mlx5_0 4000000*(1/600)
rdmap16s27 25000000*(1/600)
rdmap16s28 0
rdmap32s27 0
rdmap32s28 0
EOF
expect_panel P2/B <<EOF
mlx5_0 8*(4000000*(1/600))/1e9
rdmap16s27 8*(25000000*(1/600))/1e9
rdmap16s28 0
rdmap32s27 0
rdmap32s28 0
EOF
expect_panel P2/C <<EOF
mlx5_0 8*25000000000/1e9
rdmap16s27 8*12500000000/1e9
rdmap16s28 8*12500000000/1e9
rdmap32s27 8*12500000000/1e9
rdmap32s28 8*12500000000/1e9
EOF
expect_panel P3/A <<EOF
mlx5_0 100*(8000000*(1/600))/25000000000
rdmap16s27 100*(50000000*(1/600))/12500000000
rdmap16s28 0
rdmap32s27 0
rdmap32s28 0
EOF
expect_panel P4/B <<EOF
mlx5_0 100*(1/600)
rdmap16s27 2500*(1/600)
rdmap16s28 0
rdmap32s27 0
rdmap32s28 0
EOF
for ref in A:5 B:3 C:7 D:3 E:1 F:4; do
	expect_panel "P5/${ref%:*}" <<EOF
rdmap16s27 ${ref#*:}
rdmap16s28 0
rdmap32s27 0
rdmap32s28 0
EOF
done
for ref in G:3 H:2 I:4; do
	expect_panel "P5/${ref%:*}" <<< "mlx5_0 ${ref#*:}"
done
expect_panel P6/B 'job_id="42",step_id="0"' <<EOF
mlx5_0 0
rdmap16s27 0
rdmap16s28 0
rdmap32s27 0
rdmap32s28 0
EOF
assert_grep '^P6/C \{job_id="42",step_id="0"\} 0\.0$' "$WORK/dash" "dashboard P6/C: no failed writes"

# The job ends: its file goes, so do its series; the node daemon's stay.
kill -TERM "$j42_pid"; wait "$j42_pid"
assert_eq "$?:$(LC_ALL=C ls "$prom2" | tr '\n' ' ')" "0:efa-monitor-job-43.batch.prom efa-monitor.prom " \
	"job 42 stops: its file is removed, the others stay"
wait_until 30 pq_empty 'efa_monitor_transmit_bytes_total{job_id="42"}' ||
	fail "job 42's series still in Prometheus"
ok "Prometheus: job 42's series end with the job"
assert_eq "$(pq query "$PROM" 'count(efa_monitor_transmit_bytes_total{job_id=""})')" '{} 5.0' \
	"Prometheus: the node daemon's 5 series go on"
kill -TERM "$j43_pid" "$node_pid"; wait "$j43_pid"; wait "$node_pid"
assert_eq "$(ls "$prom2")" "efa-monitor.prom" "node daemon stops: its file stays (its timestamp tells its age)"
kill -TERM "$prom_pid" "$ne_pid"; wait "$prom_pid"; wait "$ne_pid"
done_testing
