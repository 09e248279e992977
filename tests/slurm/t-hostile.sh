#!/bin/bash
# A hostile local user against the job path, on a real 3-node Slurm
# cluster: idle connections to srun's report channel from another user,
# a report forged (with the step's own key) for a node that has not
# reported yet, an oversized message, a signed flood, and a job channel
# pointed elsewhere. Each case checks that the genuine figures still come
# out exact and that the abuse is named.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${EFA_MONITOR:?set by make check}"
PLUGIN=${EFA_PLUGIN:-$(dirname "$EFA_MONITOR")/../spank/.libs/spank_efa_monitor.so}
PLUGIN=$(realpath -m "$PLUGIN")
EFASIM_PY=$(realpath "$here/../efasim")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run slurmd"; exit 77; }
[ -f "$PLUGIN" ] || { echo "SKIP: plugin not built ($PLUGIN)"; exit 77; }

C=$(mktemp -d "${TEST_TMPDIR:-/tmp}/t-hostile.XXXXXX" 2>/dev/null || mktemp -d /tmp/t-hostile.XXXXXX)
chmod 755 "$C"
checks=0
holder=
fail() { echo "FAIL: t-hostile: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	bash "$here/cluster.sh" stop "$C" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$C"
}
trap cleanup EXIT

echo "optional $PLUGIN reporter=$(realpath "$EFA_MONITOR") sysfs=$C/sys/%n channel_host=127.0.0.1 interval=0.2 collect_timeout=10" > "$C/plugstack.conf"
bash "$here/cluster.sh" start "$C" --plugstack "$C/plugstack.conf" >"$C/start.log" 2>&1 ||
	{ cat "$C/start.log"; fail "cluster did not start"; }
. "$C/env.sh"
chmod -R a+rwX "$C/sys"
OUT="$C/out"
cd "$OUT" || fail "no $OUT"

TRAFFIC="/usr/bin/python3 $EFASIM_PY traffic $C/sys/\$SLURMD_NODENAME --tx-bytes 1000000 --rx-bytes 2000000 >/dev/null"
as_user() { su efatest -s /bin/bash -c ". $C/env.sh; cd $OUT; $1"; }
show() { sed 's/^/    /' "$1" >&2; }
assert_grep() { grep -Eq -- "$1" "$2" || { show "$2"; fail "$3: no line matches /$1/"; }; ok "$3"; }
assert_no_grep() { ! grep -Eq -- "$1" "$2" || { show "$2"; fail "$3: a line matches /$1/"; }; ok "$3"; }
wait_file() { local i; for i in $(seq 1200); do [ -s "$1" ] && return 0; sleep 0.1; done; fail "no $1"; }
# exact3 FILE WHAT: n1, n2 and n3 each moved exactly their share.
exact3() {
	assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes, 12 interfaces" "$1" "$2: all three nodes in the summary"
	assert_grep "^efa-monitor:   TX 12000000 bytes \([0-9.]+ GB\), [0-9]+ packets; RX 24000000 bytes" "$1" "$2: exact totals"
}

# The forger: signs with the step's key (the job's own user has it) and
# sends to srun's channel from inside the job.
cat > forge.py <<'PY'
import hashlib, hmac, json, os, socket, sys
host, port = os.environ["SLURM_EFA_MONITOR_CHANNEL"].rsplit(":", 1)
key = bytes.fromhex(os.environ["SLURM_EFA_MONITOR_KEY"])
job, step = os.environ["SLURM_JOB_ID"], os.environ["SLURM_STEP_ID"]
def send(body, declared=None):
    mac = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(b"EFAM1 %s %d\n" % (mac, len(body) if declared is None else declared) + body)
    s.close()
def report(node):
    iface = {"name": "rdmap99s0", "type": "efa", "link_bps": "100000000000", "has": ["tx_bytes"],
             "start": {"tx_bytes": "0"}, "end": {"tx_bytes": "999999999999"},
             "total": {"tx_bytes": "999999999999"}, "peak_rate": {}, "resets": 0}
    return json.dumps({"node": node, "job_id": job, "step_id": step, "status": "ok", "status_msg": "",
                       "start_ns": "1", "end_ns": "2", "samples": "0", "stream_interrupted": False,
                       "stream_msg": "", "peak_rate": {}, "ifaces": [iface]}).encode()
what = sys.argv[1]
if what == "conflict":
    send(report("n3"))                      # before n3's own report
elif what == "oversized":
    send(b"x" * 64, declared=2 * 1024 * 1024)
elif what == "flood":
    for i in range(200):
        send(report("n%d" % (100 + i)))
PY
chmod 644 forge.py

# --- idle connections from another user --------------------------------
# Task 0 tells the test where srun listens, then waits; 'nobody' opens 50
# idle connections there and holds them while the step ends.
cat > idle-job.sh <<EOF
#!/bin/bash
[ "\$SLURM_PROCID" = 0 ] && echo "\$SLURM_EFA_MONITOR_CHANNEL" > $OUT/chan
until [ -e $OUT/go ]; do sleep 0.1; done
$TRAFFIC
EOF
chmod 755 idle-job.sh
as_user "srun -N3 --efa-monitor ./idle-job.sh" > idle.out 2>&1 &
srun_pid=$!
wait_file chan
cat > hold.py <<'PY'
import socket, sys, time
host, port = open(sys.argv[1]).read().strip().rsplit(":", 1)
conns = [socket.create_connection((host, int(port)), timeout=5) for _ in range(50)]
open(sys.argv[2], "w").write("%d\n" % len(conns))
time.sleep(120)
PY
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$OUT/hold.py" "$OUT/chan" "$OUT/held" &
holder=$!
wait_file held
[ "$(cat held)" = 50 ] || fail "the holder opened $(cat held) connections"
touch go
wait "$srun_pid" || { show idle.out; fail "srun failed with idle connections open"; }
exact3 idle.out "50 idle connections from nobody"
assert_grep "rejected a node report from [0-9]+ connections?: nothing received" idle.out "idle connections: named in one line"
assert_no_grep "missing" idle.out "idle connections: no genuine report lost"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=

# --- a forged report for a node, beside its genuine one ------------------
# Task 0 (n1) hands the test the channel and key, then waits; n2 and n3
# report and end; the test signs a report for n3 with the step's key (the
# job's own user has it) and sends it; then n1 ends. Which of n3's two
# reports is genuine cannot be told: neither may be chosen.
rm -f chan key go
cat > forge-job.sh <<EOF
#!/bin/bash
if [ "\$SLURM_PROCID" = 0 ]; then
	echo "\$SLURM_EFA_MONITOR_KEY" > $OUT/key
	echo "\$SLURM_EFA_MONITOR_CHANNEL" > $OUT/chan
	until [ -e $OUT/go ]; do sleep 0.1; done
fi
$TRAFFIC
EOF
chmod 755 forge-job.sh
as_user "srun -N3 --efa-monitor ./forge-job.sh" > conflict.out 2>&1 &
srun_pid=$!
wait_file key
wait_file chan
for i in $(seq 1200); do
	[ "$(pgrep -fc "efa-monitor run --sysfs-root $C/sys/n[23] ")" = 0 ] && break
	sleep 0.1
done
jid=$(squeue -h -u efatest -o %A | head -1)
SLURM_EFA_MONITOR_KEY=$(cat key) SLURM_EFA_MONITOR_CHANNEL=$(cat chan) SLURM_JOB_ID=$jid SLURM_STEP_ID=0 \
	/usr/bin/python3 "$OUT/forge.py" conflict || fail "the forger could not send"
touch go
wait "$srun_pid" || { show conflict.out; fail "the forging job failed"; }
assert_grep "^efa-monitor:   node n3: 2 conflicting reports; its figures are left out$" conflict.out "forged report for n3: n3 named as conflicting, neither report chosen"
assert_grep "^efa-monitor:   node n1: TX 4000000 bytes, RX 8000000 bytes" conflict.out "forged report: n1 exact (its report still awaited and counted)"
assert_grep "^efa-monitor:   node n2: TX 4000000 bytes, RX 8000000 bytes" conflict.out "forged report: n2 exact"
assert_no_grep "999999999999" conflict.out "forged report: its figures reach no total"

# --- an oversized message ------------------------------------------------
as_user "srun -N3 --efa-monitor bash -c '[ \$SLURM_PROCID = 0 ] && /usr/bin/python3 $OUT/forge.py oversized; $TRAFFIC'" > big.out 2>&1 ||
	{ show big.out; fail "the oversized job failed"; }
exact3 big.out "oversized message"
assert_grep "rejected a node report from 127.0.0.1:[0-9]+: payload length 2097152 above the limit of 1048576 bytes" big.out "oversized message: refused from its header, named"

# --- a signed flood of reports for nodes outside the step ---------------
# The job's own user holds the key and can spoil their own summary, but
# not make srun (or root's slurmstepd) do unbounded work or print without
# end: srun takes as many reports as the step has nodes, and what it took
# shows.
as_user "timeout 300 srun -N3 --efa-monitor bash -c '[ \$SLURM_PROCID = 0 ] && /usr/bin/python3 $OUT/forge.py flood; $TRAFFIC'" > flood.out 2>&1 ||
	{ show flood.out; fail "the flooding job failed (or hung)"; }
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes" flood.out "signed flood: at most the step's node count of reports taken"
[ "$(grep -c 'efa-monitor: ' flood.out)" -lt 60 ] || fail "the flood filled the job output: $(grep -c 'efa-monitor: ' flood.out) lines"
ok "signed flood: the output stays bounded ($(grep -c 'efa-monitor: ' flood.out) lines)"

# --- a job channel pointed at a name, outside any batch job ----------------
# slurmstepd resolves no name the job hands it, and says so.
as_user "SLURM_EFA_MONITOR_JOB_CHANNEL=localhost:9 SLURM_EFA_MONITOR_JOB_KEY=$(printf '0%.0s' $(seq 64)) srun -N3 --efa-monitor bash -c '$TRAFFIC'" > foreign.out 2>&1 ||
	{ show foreign.out; fail "the foreign-channel job failed"; }
exact3 foreign.out "job channel set by the user"
assert_grep "node n[123]: not sending the report to the batch step: 'localhost:9' is not a numeric address" foreign.out "job channel set by the user: a name is refused, and named"

left=$(pgrep -fa "efa-monitor run --sysfs-root $C/" | grep -v pgrep)
[ -z "$left" ] || fail "reporters left: $left"
ok "no reporter left"
echo "1..$checks"
