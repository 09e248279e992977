#!/bin/bash
# Real faults on a real 3-node Slurm cluster: a node's slurmstepd killed
# mid-step, every slurmstepd killed, srun killed; and a hostile or careless
# json= path (a FIFO, a symbolic link, a directory). Each case checks that
# the job's fate is Slurm's alone (monitoring fails nothing and holds
# nothing), that the summary names what happened, and that no process of
# ours is left behind.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${EFA_MONITOR:?set by make check}"
PLUGIN=${EFA_PLUGIN:-$(dirname "$EFA_MONITOR")/../spank/.libs/spank_efa_monitor.so}
PLUGIN=$(realpath -m "$PLUGIN")
EFASIM_PY=$(realpath "$here/../efasim")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run slurmd"; exit 77; }
[ -f "$PLUGIN" ] || { echo "SKIP: plugin not built ($PLUGIN)"; exit 77; }

C=$(mktemp -d "${TEST_TMPDIR:-/tmp}/t-faults.XXXXXX" 2>/dev/null || mktemp -d /tmp/t-faults.XXXXXX)
chmod 755 "$C"
checks=0
fail() { echo "FAIL: t-faults: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
cleanup() {
	pkill -KILL -u efatest -f "sleep 3[0-9][0-9]" 2>/dev/null
	bash "$here/cluster.sh" stop "$C" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$C"
}
trap cleanup EXIT

echo "optional $PLUGIN reporter=$(realpath "$EFA_MONITOR") sysfs=$C/sys/%n channel_host=127.0.0.1 interval=0.2 collect_timeout=3 send_timeout=2" > "$C/plugstack.conf"
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
reporters() { pgrep -fc "efa-monitor run --sysfs-root $C/"; }
# wait_for WHAT CMD...: poll (at most 120 s, a bound for a stuck test, not a
# timing assertion) until CMD succeeds.
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1200); do "$@" && return 0; sleep 0.1; done
	fail "gave up waiting for $what"
}
reporters_are() { [ "$(reporters)" = "$1" ]; }
# The slurmstepd of step JOB.STEP on NODE: it listens on NODE_JOB.STEP in
# slurmd's spool.
stepd_of() { ss -xlpn 2>/dev/null | grep -E "/$1_$2 " | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2; }
no_reporter_left() { wait_for "the reporters to exit ($1)" reporters_are 0; ok "$1: no reporter left"; }
job_of() { squeue -h -u efatest -o %A | head -1; }
has_job() { [ -n "$(job_of)" ]; }

# --- n3's slurmstepd killed mid-step -----------------------------------------
# n1 and n2 move their bytes and end; n3's task would run for minutes. Once
# every reporter runs, n3's slurmstepd is killed; when n1 and n2 have
# reported (their reporters are gone), the step is cancelled.
cat > kill-stepd.sh <<EOF
#!/bin/bash
case \$SLURMD_NODENAME in
n3) exec sleep 300 ;;
*) sleep 1; $TRAFFIC ;;
esac
EOF
chmod 755 kill-stepd.sh
as_user "srun -N3 --efa-monitor ./kill-stepd.sh" > ks.out 2>&1 &
srun_pid=$!
wait_for "3 reporters" reporters_are 3
jid=$(job_of)
pid=$(stepd_of n3 "$jid.0")
[ -n "$pid" ] || fail "no slurmstepd found for n3 in step $jid.0"
kill -KILL "$pid"
wait_for "n1 and n2 to finish and n3's reporter to notice" reporters_are 0
ok "slurmstepd of n3 killed: n3's reporter exits on its own (parent gone), n1 and n2 finish"
scancel "$jid.0"
wait "$srun_pid"
assert_grep "^efa-monitor: job $jid step 0: 2 nodes, 8 interfaces" ks.out "stepd killed: the summary covers the nodes that reported"
assert_grep "^efa-monitor:   TX 8000000 bytes .*; RX 16000000 bytes" ks.out "stepd killed: exact totals of n1 and n2"
assert_grep "^efa-monitor:   node n3: missing \(no report within 3 s\)$" ks.out "stepd killed: n3 named missing, with why"
pkill -KILL -u efatest -f "sleep 300" 2>/dev/null
wait_for "the job to end" eval '! has_job'

# --- every slurmstepd of a step killed: no report at all -------------------
# Inside an allocation srun cannot know which of the job's nodes a step
# uses; with no report to name them, the summary gives their number.
as_user "salloc -N3 --efa-monitor srun -N2 -r1 sleep 300" > ka.out 2>&1 &
salloc_pid=$!
wait_for "2 reporters" reporters_are 2
jid=$(job_of)
for n in n2 n3; do
	pid=$(stepd_of $n "$jid.0")
	[ -n "$pid" ] || fail "no slurmstepd for $n"
	kill -KILL "$pid"
done
no_reporter_left "every slurmstepd of the step killed"
scancel "$jid.0"
wait "$salloc_pid"
assert_grep "^efa-monitor: job $jid step 0: no node reported counters \(2 nodes expected\)$" ka.out "no node reported: the header says how many were expected"
assert_grep "^efa-monitor:   2 nodes missing \(no report within 3 s; names unknown: no node of the step reported them\)$" ka.out "no node reported: the missing nodes are counted"
pkill -KILL -u efatest -f "sleep 300" 2>/dev/null
wait_for "the job to end" eval '! has_job'

# --- srun killed: the step is cleaned up, no reporter remains ---------------
as_user "exec srun -N3 --efa-monitor sleep 300" > kr.out 2>&1 &
wait_for "3 reporters" reporters_are 3
# srun itself: of this cluster (other tests run theirs beside it, as the
# same user), not the shepherd it forks to cancel the job if it dies, nor a
# zombie srun of an earlier case that pid 1 has not reaped yet.
srun_pid=
for p in $(ps -u efatest -o pid=,stat=,comm= --sort=start_time | awk '$3 == "srun" && $2 !~ /Z/ {print $1}'); do
	grep -qzxF "SLURM_CONF=$C/etc/slurm.conf" "/proc/$p/environ" 2>/dev/null && { srun_pid=$p; break; }
done
[ -n "$srun_pid" ] || fail "no srun of this cluster found"
kill -KILL "$srun_pid"

no_reporter_left "srun killed"
wait_for "the job to end" eval '! has_job'
ok "srun killed: Slurm ends the job"

# --- json= where a regular file is expected --------------------------------
mkfifo fifo && chmod 666 fifo
as_user "timeout 120 srun -N1 --efa-monitor=json=fifo bash -c '$TRAFFIC'" > fifo.out 2>&1
rc=$?
[ $rc = 0 ] || { show fifo.out; fail "srun json=FIFO: rc $rc (124: it hung)"; }
ok "srun json=FIFO: srun returns, the job succeeds"
assert_grep "cannot write the summary to fifo: not a regular file \(a FIFO or socket with no reader\); only regular files are written" fifo.out "srun json=FIFO: one line says why"
assert_grep "^efa-monitor:   TX 4000000 bytes" fifo.out "srun json=FIFO: the summary is still printed"
# A FIFO with a reader: opened without blocking, then refused by fstat.
( exec 3<>fifo; sleep 30 ) &
holder=$!
as_user "timeout 120 srun -N1 --efa-monitor=json=fifo true" > fifo2.out 2>&1 || fail "srun json=FIFO with a reader failed"
assert_grep "cannot write the summary to fifo: not a regular file \(a FIFO\)" fifo2.out "srun json=FIFO with a reader: refused after fstat"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

as_user "echo precious > target; ln -sf target link"
as_user "srun -N1 --efa-monitor=json=link true" > link.out 2>&1 || fail "srun json=symlink failed"
assert_grep "cannot write the summary to link: is a symbolic link, which is not followed" link.out "srun json=symlink: refused"
[ "$(cat target)" = precious ] || fail "the symlink's target was written"
ok "srun json=symlink: the target is untouched"
as_user "mkdir -p adir; srun -N1 --efa-monitor=json=adir true" > dir.out 2>&1 || fail "srun json=directory failed"
assert_grep "cannot write the summary to adir: open: Is a directory" dir.out "srun json=directory: refused, named"

# In a batch job: the job-level summary's writer runs as the user in a child
# of root's slurmstepd; it must neither hang the job nor be left behind.
as_user "timeout 120 sbatch --wait -N1 --efa-monitor=json=fifo -o bfifo.out --wrap 'srun true; echo done'" > /dev/null 2>&1
rc=$?
[ $rc = 0 ] || { show bfifo.out; fail "sbatch json=FIFO: rc $rc"; }
ok "sbatch json=FIFO: the job succeeds"
assert_grep "^done$" bfifo.out "sbatch json=FIFO: the script ran"
assert_grep "cannot write the job summary to $OUT/fifo: not a regular file" bfifo.out "sbatch json=FIFO: the job output says why"
[ -f fifo.0 ] && [ "$(/usr/bin/python3 -c 'import json; print(json.load(open("fifo.0"))["nodes"])')" = 1 ] ||
	fail "the inner step did not write fifo.0"
ok "sbatch json=fifo: the inner step writes its own fifo.0"
holders=$(ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c "$OUT/fifo$")
[ "$holders" = 0 ] || fail "a process still holds the FIFO"
ok "sbatch json=FIFO: no writer left holding it"

no_reporter_left "after all faults"
echo "1..$checks"
