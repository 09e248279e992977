#!/bin/bash
# The SPANK plugin on a real 3-node Slurm cluster (tests/slurm/cluster.sh):
# jobs advance each node's simulated EFA counters by known amounts and the
# summaries must show exactly those figures. Needs root (it starts slurmd);
# skipped (77) otherwise or when the plugin was not built.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${EFA_MONITOR:?set by make check}"
PLUGIN=${EFA_PLUGIN:-$(dirname "$EFA_MONITOR")/../spank/.libs/spank_efa_monitor.so}
PLUGIN=$(realpath -m "$PLUGIN")
EFASIM_PY=$(realpath "$here/../efasim")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run slurmd"; exit 77; }
[ -f "$PLUGIN" ] || { echo "SKIP: plugin not built ($PLUGIN)"; exit 77; }

C=$(mktemp -d "${TEST_TMPDIR:-/tmp}/t-plugin.XXXXXX" 2>/dev/null || mktemp -d /tmp/t-plugin.XXXXXX)
chmod 755 "$C"
checks=0
fail() { echo "FAIL: t-plugin: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
cleanup() { bash "$here/cluster.sh" stop "$C" >/dev/null 2>&1; [ -n "${KEEP:-}" ] || rm -rf "$C"; }
trap cleanup EXIT

plugstack() { # plugstack ARGS...: the plugin line with the test's settings
	echo "optional $PLUGIN reporter=$(realpath "$EFA_MONITOR") sysfs=$C/sys/%n channel_host=127.0.0.1 interval=0.2 collect_timeout=5 $*" > "$C/plugstack.conf"
	# After start, the cluster reads its own copy (reconfigure restarts slurmd).
	[ -d "$C/etc" ] && cp "$C/plugstack.conf" "$C/etc/plugstack.conf"
	return 0
}
plugstack
bash "$here/cluster.sh" start "$C" --plugstack "$C/plugstack.conf" >"$C/start.log" 2>&1 ||
	{ cat "$C/start.log"; fail "cluster did not start"; }
. "$C/env.sh"
chmod -R a+rwX "$C/sys"
OUT="$C/out"
cd "$OUT" || fail "no $OUT"

# Commands a job runs: advance this node's counters (4 EFA devices each).
traffic() { echo "/usr/bin/python3 $EFASIM_PY traffic $C/sys/\$SLURMD_NODENAME $*"; }
as_user() { su efatest -s /bin/bash -c ". $C/env.sh; cd $OUT; $1"; }
json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; ok "$3"; }
assert_grep() { grep -Eq -- "$1" "$2" || { sed 's/^/    /' "$2" >&2; fail "$3: no line matches /$1/"; }; ok "$3"; }
assert_no_grep() { ! grep -Eq -- "$1" "$2" || { sed 's/^/    /' "$2" >&2; fail "$3: a line matches /$1/"; }; ok "$3"; }
no_reporter_left() {
	sleep 0.3
	local left
	left=$(pgrep -fa "efa-monitor run --sysfs-root $C/" | grep -v pgrep)
	[ -z "$left" ] || fail "$1: reporter processes left: $left"
	ok "$1: no reporter left on any node"
}

# --- the option is listed in srun, sbatch and salloc --help -----------------
for cmd in srun sbatch salloc; do
	$cmd --help 2>&1 | grep -q -- "--efa-monitor=\[OPTS\]" || fail "$cmd --help lacks --efa-monitor"
done
ok "--efa-monitor=[OPTS] in srun, sbatch and salloc --help"

# --- srun -N3 as a non-root user: exact totals, a straggler -----------------
# n1 and n2 move 1,000,000 bytes TX and 3,000,000 RX per device; n3 a tenth.
job='case $SLURMD_NODENAME in n3) '"$(traffic --tx-bytes 100000 --rx-bytes 300000 --tx-pkts 10 --rx-pkts 30)"';; *) '"$(traffic --tx-bytes 1000000 --rx-bytes 3000000 --tx-pkts 100 --rx-pkts 300)"';; esac >/dev/null; sleep 1'
as_user "srun -N3 --efa-monitor=json=step.json bash -c '$job'" > srun.out 2> srun.err ||
	{ cat srun.err; fail "srun -N3 --efa-monitor failed"; }
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes, 12 interfaces, " srun.err "srun: step summary header"
assert_grep "^efa-monitor:   TX 8400000 bytes \(0.01 GB\), 840 packets; RX 25200000 bytes \(0.03 GB\), 2520 packets$" srun.err "srun: exact aggregate totals"
assert_grep "^efa-monitor:   node n1: TX 4000000 bytes, RX 12000000 bytes, 4 interfaces" srun.err "srun: exact n1 totals"
assert_grep "^efa-monitor:   node n2: TX 4000000 bytes, RX 12000000 bytes, 4 interfaces" srun.err "srun: exact n2 totals"
assert_grep "^efa-monitor:   node n3: TX 400000 bytes, RX 1200000 bytes, 4 interfaces, avg [0-9]+\.[0-9]{2} Gbps TX\+RX, peak [0-9]+\.[0-9]{2} Gbps TX\+RX, straggler \(10 % of the median\)$" srun.err "srun: n3 named a straggler, its avg and peak labelled TX+RX"
assert_grep "^efa-monitor:   slowest node: n3 \(1600000 bytes, 10 % of the median 16000000\)$" srun.err "srun: slowest node against the median"
assert_grep "of 1200 Gb/s line rate$" srun.err "srun: line rate of 12 x 100 Gb/s"
assert_eq "$(json step.json 'j["totals"]["tx_bytes"], j["totals"]["rx_bytes"], j["nodes"], j["stragglers"]')" "8400000 25200000 3 ['n3']" "srun: json= file, written by the user, parsed"
assert_eq "$(stat -c %U step.json)" efatest "srun: json= file owned by the job user"
no_reporter_left "srun"

# --- the reporter runs as the job user, with nothing of root's --------------
as_user "srun -N3 --efa-monitor sleep 2" > /dev/null 2> sleep.err &
srun_pid=$!
for _ in $(seq 50); do [ "$(pgrep -fc "efa-monitor run --sysfs-root $C/")" = 3 ] && break; sleep 0.1; done
pids=$(pgrep -f "efa-monitor run --sysfs-root $C/")
[ "$(echo "$pids" | wc -w)" = 3 ] || fail "expected 3 reporters while the step runs, got: $pids"
ok "one reporter per node per step"
uid=$(id -u efatest) gid=$(id -g efatest)
for p in $pids; do
	ids=$(awk '/^Uid:|^Gid:/ {print $2, $3, $4, $5}' "/proc/$p/status" | tr '\n' ' ')
	[ "$ids" = "$uid $uid $uid $uid $gid $gid $gid $gid " ] || fail "reporter $p ids: $ids"
	grep -q "^CapEff:	0000000000000000" "/proc/$p/status" || fail "reporter $p has capabilities"
	# HUP, INT and TERM only, which the reporter takes through a signalfd;
	# nothing of slurmstepd's (QUIT, USR1, USR2, PIPE, ALRM, TSTP).
	grep -q "^SigBlk:	0000000000004003" "/proc/$p/status" || fail "reporter $p blocks $(grep SigBlk "/proc/$p/status")"
	[ "$(cat /proc/$p/oom_score_adj)" = 0 ] || fail "reporter $p oom_score_adj $(cat /proc/$p/oom_score_adj)"
	[ "$(readlink /proc/$p/fd/0)" = /dev/null ] || fail "reporter $p stdin is $(readlink /proc/$p/fd/0)"
done
ok "reporters: real/effective/saved/fs uid and gid of the user, no capabilities, only HUP/INT/TERM blocked (its signalfd), oom 0, stdin /dev/null"
wait "$srun_pid" || fail "srun sleep 2 failed"
no_reporter_left "after sleep 2"

# --- sbatch -N3 with inner sruns: step summaries and the job summary ---------
cat > job.sh <<EOF
#!/bin/bash
$(traffic --tx-bytes 500000 --rx-bytes 500000) >/dev/null
srun -N3 bash -c '$(traffic --tx-bytes 1000000 --rx-bytes 2000000) >/dev/null; sleep 0.5'
srun -N2 bash -c '$(traffic --tx-bytes 250000 --rx-bytes 250000) >/dev/null; sleep 0.3'
echo script done
EOF
chmod 755 job.sh
as_user "sbatch --wait -N3 --efa-monitor=json=job.json -o job.out ./job.sh" > /dev/null 2>&1 ||
	{ cat job.out; fail "sbatch --wait failed"; }
assert_grep "^script done$" job.out "sbatch: the job ran"
assert_eq "$(grep -c '^efa-monitor: job [0-9]* step [01]: ' job.out)" 2 "sbatch: each inner step inherits monitoring and prints its summary"
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes.*" job.out "sbatch: first inner step on 3 nodes"
assert_grep "^efa-monitor: job [0-9]+ step 1: 2 nodes.*" job.out "sbatch: second inner step on 2 nodes"
# Job level: n1 = batch script 2,000,000/2,000,000 + 4,000,000/8,000,000 +
# 1,000,000/1,000,000; n2 = 4,000,000/8,000,000 + 1,000,000/1,000,000; n3 =
# 4,000,000/8,000,000.
assert_grep "^efa-monitor: job [0-9]+: 3 nodes, 12 interfaces, .* \(all monitored steps\)$" job.out "sbatch: job-level summary in the output file"
assert_grep "^efa-monitor:   node n1: TX 7000000 bytes, RX 11000000 bytes" job.out "sbatch job level: n1 exact, the batch step not counted twice"
assert_grep "^efa-monitor:   node n2: TX 5000000 bytes, RX 9000000 bytes" job.out "sbatch job level: n2 = sum of its steps"
assert_grep "^efa-monitor:   TX 16000000 bytes .*; RX 28000000 bytes" job.out "sbatch job level: exact aggregate"
[ "$(tail -n +1 job.out | grep -n 'all monitored steps' | cut -d: -f1)" -gt "$(grep -n '^script done$' job.out | cut -d: -f1)" ] ||
	fail "the job summary is not after the script's output"
ok "sbatch: the job summary comes when the batch script ends"
assert_eq "$(json job.json 'j["job_level"], j["totals"]["tx_bytes"], j["totals"]["rx_bytes"]')" "True 16000000 28000000" "sbatch: json= holds the job-level summary"
assert_eq "$(stat -c %U job.json)" efatest "sbatch: json= written as the job user"
no_reporter_left "sbatch"

# --- malformed OPTS are refused before the job starts -----------------------
as_user "srun -N1 --efa-monitor=intervl=5 true" > bad.out 2>&1 && fail "srun accepted intervl=5"
assert_grep "bad --efa-monitor option 'intervl=5': unknown option \(allowed: interval=SECONDS, json=PATH, off\)" bad.out "srun: malformed OPTS refused with what is allowed"
as_user "sbatch -N1 --efa-monitor=interval=-3 --wrap true" > bad2.out 2>&1 && fail "sbatch accepted interval=-3"
assert_grep "bad --efa-monitor option 'interval=-3': interval must be seconds from 0.1 to 3600" bad2.out "sbatch: bad interval refused"

# --- without the option nothing happens; 'off' under default=on -------------
as_user "srun -N3 true" > plain.out 2>&1 || fail "plain srun failed"
assert_no_grep "efa-monitor" plain.out "no option, default=off: no summary"
plugstack default=on
bash "$here/cluster.sh" reconfigure "$C" >/dev/null 2>&1 || fail "reconfigure failed"
as_user "srun -N3 true" > on.out 2>&1 || fail "srun under default=on failed"
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes" on.out "default=on: monitored without the option"
as_user "srun -N3 --efa-monitor=off true" > off.out 2>&1 || fail "srun --efa-monitor=off failed"
assert_no_grep "efa-monitor" off.out "default=on: --efa-monitor=off opts out"
no_reporter_left "default=on"

# --- faults never fail the job -----------------------------------------------
plugstack reporter=/nonexistent/efa-monitor
bash "$here/cluster.sh" reconfigure "$C" >/dev/null 2>&1 || fail "reconfigure failed"
as_user "srun -N3 --efa-monitor bash -c '$(traffic --tx-bytes 40000) >/dev/null'" > nr.out 2>&1 ||
	{ cat nr.out; fail "a broken reporter path failed the job"; }
ok "broken reporter path: the job succeeds"
assert_grep "stream interrupted on n1: the reporter could not start: execve: No such file or directory" nr.out "broken reporter path: the summary says why"
assert_grep "^efa-monitor:   TX 480000 bytes" nr.out "broken reporter path: totals still exact from the snapshots"

plugstack "sysfs=$C/nowhere/%n"
bash "$here/cluster.sh" reconfigure "$C" >/dev/null 2>&1 || fail "reconfigure failed"
as_user "srun -N3 --efa-monitor true" > ns.out 2>&1 || { cat ns.out; fail "unreadable sysfs failed the job"; }
ok "unreadable sysfs: the job succeeds"
assert_grep "node n2: counters unreadable \(cannot read $C/nowhere/n2: No such file or directory\)" ns.out "unreadable sysfs: each node named with the reason"

plugstack bogus_key=1
bash "$here/cluster.sh" reconfigure "$C" >/dev/null 2>&1 || fail "reconfigure failed"
as_user "srun -N3 --efa-monitor true" > bk.out 2>&1 || { cat bk.out; fail "a bad plugstack key failed the job"; }
ok "unknown plugstack key: the job runs (plugin disabled)"
grep -q "unknown key 'bogus_key'.*monitoring disabled" "$C"/log/slurmd-n1.log ||
	fail "the slurmd log does not name the unknown plugstack key"
ok "unknown plugstack key: named in the slurmd log"

# A node without any RDMA device is named, the job runs.
plugstack
bash "$here/cluster.sh" reconfigure "$C" >/dev/null 2>&1 || fail "reconfigure failed"
mv "$C/sys/n3/class/infiniband" "$C/sys/n3/class/infiniband.away"
as_user "srun -N3 --efa-monitor true" > nd.out 2>&1 || fail "a node without devices failed the job"
assert_grep "node n3: no EFA or InfiniBand device" nd.out "a node without devices is named"
mv "$C/sys/n3/class/infiniband.away" "$C/sys/n3/class/infiniband"

# --- the reporter killed mid-job: exact totals, the stream named interrupted -
cat > kill.sh <<EOF
#!/bin/bash
$(traffic --tx-bytes 1000) >/dev/null
pkill -KILL -u efatest -f "efa-monitor run --sysfs-root $C/sys/\$SLURMD_NODENAME "
sleep 0.3
$(traffic --tx-bytes 2000) >/dev/null
EOF
chmod 755 kill.sh
as_user "srun -N3 --efa-monitor ./kill.sh" > kill.out 2>&1 || { cat kill.out; fail "killing the reporter failed the job"; }
assert_grep "^efa-monitor:   TX 36000 bytes" kill.out "reporter killed: totals still exact"
assert_grep "stream interrupted on n2: the reporter (killed by signal 9|exited \(status unknown: reaped by slurmstepd\))" kill.out "reporter killed: the summary says the stream was interrupted"
no_reporter_left "reporter killed"

# --- forged and altered node reports are rejected ----------------------------
forge=$(cat <<'PY'
import hashlib, hmac, os, socket
host, port = os.environ["SLURM_EFA_MONITOR_CHANNEL"].rsplit(":", 1)
job = os.environ["SLURM_JOB_ID"]
payload = ('{"node":"n9","job_id":"%s","step_id":"0","status":"ok","status_msg":"","start_ns":"1","end_ns":"2",'
           '"samples":"0","stream_interrupted":false,"stream_msg":"","peak_rate":{},"ifaces":[]}' % job).encode()
def send(key, body):
    mac = hmac.new(key, body, hashlib.sha256).hexdigest()
    s = socket.create_connection((host, int(port)), timeout=2)
    s.sendall(b"EFAM1 %s %d\n" % (mac.encode(), len(body)) + body)
    s.close()
send(os.urandom(32), payload)                        # forged: another key
key = bytes.fromhex(os.environ["SLURM_EFA_MONITOR_KEY"])
mac = hmac.new(key, payload, hashlib.sha256).hexdigest()
s = socket.create_connection((host, int(port)), timeout=2)   # altered after signing
s.sendall(b"EFAM1 %s %d\n" % (mac.encode(), len(payload)) + payload.replace(b'"n9"', b'"n8"'))
s.close()
PY
)
printf '%s\n' "$forge" > forge.py
as_user "srun -N3 --efa-monitor bash -c '[ \$SLURM_PROCID = 0 ] && /usr/bin/python3 $OUT/forge.py; $(traffic --tx-bytes 5000) >/dev/null'" > forge.out 2>&1 ||
	{ cat forge.out; fail "the forging job failed"; }
assert_eq "$(grep -c 'rejected a node report from 127.0.0.1:[0-9]*: bad signature' forge.out)" 2 "forged and altered reports rejected, each named"
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes, 12 interfaces" forge.out "forgeries never reach the summary"
assert_no_grep "n8|n9" forge.out "no forged node in the summary"
assert_grep "^efa-monitor:   TX 60000 bytes" forge.out "totals exact despite the forgeries"
no_reporter_left "forgery"

echo "1..$checks"
