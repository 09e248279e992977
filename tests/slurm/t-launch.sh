#!/bin/bash
# Every way people launch monitored work, on a real 3-node Slurm cluster, as
# an unprivileged user: srun, sbatch and salloc with a bare --efa-monitor,
# with =OPTS, with =off, and without the flag under plugstack default=off
# and default=on; inner sruns; sbatch --wrap; --export=NONE; job arrays;
# heterogeneous jobs; srun --overlap. Each monitored step moves a known
# amount on every node, and each case checks the exact figures (or the
# exact absence of a summary) and that the job itself succeeded.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${EFA_MONITOR:?set by make check}"
PLUGIN=${EFA_PLUGIN:-$(dirname "$EFA_MONITOR")/../spank/.libs/spank_efa_monitor.so}
PLUGIN=$(realpath -m "$PLUGIN")
EFASIM_PY=$(realpath "$here/../efasim")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run slurmd"; exit 77; }
[ -f "$PLUGIN" ] || { echo "SKIP: plugin not built ($PLUGIN)"; exit 77; }

C=$(mktemp -d "${TEST_TMPDIR:-/tmp}/t-launch.XXXXXX" 2>/dev/null || mktemp -d /tmp/t-launch.XXXXXX)
chmod 755 "$C"
checks=0
fail() { echo "FAIL: t-launch: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
cleanup() { bash "$here/cluster.sh" stop "$C" >/dev/null 2>&1; [ -n "${KEEP:-}" ] || rm -rf "$C"; }
trap cleanup EXIT

plugstack() {
	echo "optional $PLUGIN reporter=$(realpath "$EFA_MONITOR") sysfs=$C/sys/%n channel_host=127.0.0.1 interval=0.2 collect_timeout=10 $*" > "$C/plugstack.conf"
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

# Each node of a step moves 1,000,000 bytes TX and 2,000,000 RX on each of
# its 4 devices: a step on N nodes moves exactly N x 4,000,000 / 8,000,000.
TRAFFIC="/usr/bin/python3 $EFASIM_PY traffic $C/sys/\$SLURMD_NODENAME --tx-bytes 1000000 --rx-bytes 2000000 --tx-pkts 100 --rx-pkts 200 >/dev/null"
printf '#!/bin/bash\n%s\n' "$TRAFFIC" > move.sh
chmod 755 move.sh
MOVE=$OUT/move.sh
as_user() { su efatest -s /bin/bash -c ". $C/env.sh; cd $OUT; $1"; }
show() { sed 's/^/    /' "$1" >&2; }
assert_grep() { grep -Eq -- "$1" "$2" || { show "$2"; fail "$3: no line matches /$1/"; }; ok "$3"; }
assert_count() {
	local n
	n=$(grep -Ec -- "$1" "$2")
	[ "$n" = "$3" ] || { show "$2"; fail "$4: $n lines match /$1/, expected $3"; }
	ok "$4"
}
assert_no_summary() {
	! grep -q "efa-monitor" "$1" || { show "$1"; fail "$2: unexpected efa-monitor output"; }
	ok "$2"
}
json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# step_ok FILE STEP NODES "n1 n2 ..." WHAT: an exact step summary.
step_ok() {
	local f=$1 step=$2 n=$3 names=$4 what=$5 name
	grep -Eq "^efa-monitor: job [0-9]+ step $step: $n nodes?, $((n * 4)) interfaces, " "$f" ||
		{ show "$f"; fail "$what: no step $step summary of $n nodes"; }
	grep -Eq "^efa-monitor:   TX $((n * 4000000)) bytes \([0-9.]+ GB\), $((n * 400)) packets; RX $((n * 8000000)) bytes \([0-9.]+ GB\), $((n * 800)) packets$" "$f" ||
		{ show "$f"; fail "$what: step $step totals are not exact"; }
	for name in $names; do
		grep -Eq "^efa-monitor:   node $name: TX 4000000 bytes, RX 8000000 bytes, 4 interfaces" "$f" ||
			{ show "$f"; fail "$what: node $name not exact"; }
	done
	! grep -Eq "missing|rejected|cannot|error" "$f" || { show "$f"; fail "$what: an error or a missing node"; }
	ok "$what: exact summary of step $step on $n nodes ($names)"
}

# ------------------------------------------------ srun, plugstack default=off
as_user "srun -N3 --efa-monitor $MOVE" > s-bare.out 2>&1 || { show s-bare.out; fail "srun --efa-monitor failed"; }
step_ok s-bare.out 0 3 "n1 n2 n3" "srun --efa-monitor"
as_user "srun -N2 --efa-monitor=interval=1 $MOVE" > s-opts.out 2>&1 || { show s-opts.out; fail "srun --efa-monitor=interval=1 failed"; }
step_ok s-opts.out 0 2 "n1 n2" "srun --efa-monitor=interval=1"
as_user "srun -N3 --efa-monitor=off $MOVE" > s-off.out 2>&1 || { show s-off.out; fail "srun --efa-monitor=off failed"; }
assert_no_summary s-off.out "srun --efa-monitor=off: runs, no summary"
as_user "srun -N3 $MOVE" > s-none.out 2>&1 || { show s-none.out; fail "plain srun failed"; }
assert_no_summary s-none.out "srun without the flag, default=off: runs, no summary"
as_user "srun -N3 --export=NONE --efa-monitor $MOVE" > s-exnone.out 2>&1 || { show s-exnone.out; fail "srun --export=NONE failed"; }
step_ok s-exnone.out 0 3 "n1 n2 n3" "srun --export=NONE --efa-monitor (the channel survives)"

# A heterogeneous job: one srun, two component jobs, one summary of both.
as_user "srun -N1 --efa-monitor $MOVE : -N2 $MOVE" > s-het.out 2>&1 || { show s-het.out; fail "heterogeneous srun failed"; }
step_ok s-het.out 0 3 "n1 n2 n3" "srun A : B (heterogeneous job)"

# ------------------------------------------------------------------- sbatch
cat > job.sh <<EOF
#!/bin/bash
srun -N3 $MOVE
srun -N2 -r1 $MOVE
echo script done
EOF
chmod 755 job.sh
# Job level: n1 moved in step 0; n2 and n3 in steps 0 and 1.
job_ok() {
	local f=$1 what=$2
	grep -q "^script done$" "$f" || { show "$f"; fail "$what: the script did not finish"; }
	step_ok "$f" 0 3 "n1 n2 n3" "$what, inner srun -N3"
	step_ok "$f" 1 2 "n2 n3" "$what, inner srun -N2 -r1 (nodes named from the step, not the job)"
	assert_grep "^efa-monitor: job [0-9]+: 3 nodes, 12 interfaces, .*\(all monitored steps\)$" "$f" "$what: job-level summary"
	assert_grep "^efa-monitor:   TX 20000000 bytes \([0-9.]+ GB\), 2000 packets; RX 40000000 bytes" "$f" "$what: job-level totals exact"
	assert_grep "^efa-monitor:   node n3: TX 8000000 bytes, RX 16000000 bytes" "$f" "$what: job level n3 = both steps"
}
as_user "sbatch --wait -N3 --efa-monitor -o b-bare.out ./job.sh" > /dev/null 2>&1 || { show b-bare.out; fail "sbatch --efa-monitor: the job failed"; }
ok "sbatch --efa-monitor (bare flag): the job succeeds"
job_ok b-bare.out "sbatch --efa-monitor"

as_user "sbatch --wait -N3 --efa-monitor=interval=1,json=net.json -o b-opts.out ./job.sh" > /dev/null 2>&1 || { show b-opts.out; fail "sbatch --efa-monitor=OPTS failed"; }
job_ok b-opts.out "sbatch --efa-monitor=interval=1,json=net.json"
[ "$(json net.0.json 'j["step_id"], j["nodes"], j["totals"]["tx_bytes"]')" = "0 3 12000000" ] || fail "net.0.json: $(cat net.0.json)"
[ "$(json net.1.json 'j["step_id"], j["nodes"], j["totals"]["tx_bytes"]')" = "1 2 8000000" ] || fail "net.1.json: $(cat net.1.json)"
[ "$(json net.json 'j["job_level"], j["nodes"], j["totals"]["tx_bytes"]')" = "True 3 20000000" ] || fail "net.json: $(cat net.json)"
ok "sbatch json=net.json: net.0.json and net.1.json per inner step, net.json for the job, none overwritten"
as_user "sbatch --wait -N3 --efa-monitor=json=pat-%j-%s.json -o b-pat.out ./job.sh" > /dev/null 2>&1 || { show b-pat.out; fail "sbatch json pattern failed"; }
jid=$(sed -nE 's/^efa-monitor: job ([0-9]+) step 0:.*/\1/p' b-pat.out)
[ -f "pat-$jid-0.json" ] && [ -f "pat-$jid-1.json" ] && [ -f "pat-$jid-job.json" ] || fail "json=pat-%j-%s.json: $(ls pat-*)"
ok "sbatch json=pat-%j-%s.json: pat-$jid-0.json, pat-$jid-1.json, pat-$jid-job.json"

as_user "sbatch --wait -N3 --efa-monitor=off -o b-off.out ./job.sh" > /dev/null 2>&1 || { show b-off.out; fail "sbatch --efa-monitor=off failed"; }
assert_grep "^script done$" b-off.out "sbatch --efa-monitor=off: the job runs"
assert_no_summary b-off.out "sbatch --efa-monitor=off: no summary"
as_user "sbatch --wait -N3 -o b-none.out ./job.sh" > /dev/null 2>&1 || { show b-none.out; fail "plain sbatch failed"; }
assert_no_summary b-none.out "sbatch without the flag, default=off: no summary"

as_user "sbatch --wait -N3 --export=NONE --efa-monitor -o b-exnone.out ./job.sh" > /dev/null 2>&1 || { show b-exnone.out; fail "sbatch --export=NONE failed"; }
job_ok b-exnone.out "sbatch --export=NONE --efa-monitor"

as_user "sbatch --wait -N2 --efa-monitor -o b-wrap.out --wrap 'srun -N2 $MOVE'" > /dev/null 2>&1 || { show b-wrap.out; fail "sbatch --wrap failed"; }
step_ok b-wrap.out 0 2 "n1 n2" "sbatch --wrap --efa-monitor"
assert_grep "^efa-monitor: job [0-9]+: 2 nodes, 8 interfaces, .*\(all monitored steps\)$" b-wrap.out "sbatch --wrap: job-level summary"

# A job array: every array task is a job of its own, with its own summaries
# (--exclusive: two tasks on one node would each count the other's bytes).
as_user "sbatch --wait --array=1-2 -N1 --exclusive --efa-monitor -o 'arr-%a.out' --wrap 'srun $MOVE'" > /dev/null 2>&1 || fail "sbatch --array failed"
for a in 1 2; do
	step_ok "arr-$a.out" 0 1 "" "job array task $a"
	assert_grep "^efa-monitor: job [0-9]+: 1 node, 4 interfaces, .*\(all monitored steps\)$" "arr-$a.out" "job array task $a: job-level summary"
done

# ------------------------------------------------------------------- salloc
as_user "salloc -N3 --efa-monitor srun -N3 $MOVE" > a-bare.out 2>&1 || { show a-bare.out; fail "salloc --efa-monitor failed"; }
step_ok a-bare.out 0 3 "n1 n2 n3" "salloc --efa-monitor srun"
as_user "salloc -N3 --efa-monitor=json=al.json bash -c 'srun -N3 $MOVE; srun -N1 -w n2 $MOVE'" > a-opts.out 2>&1 || { show a-opts.out; fail "salloc --efa-monitor=json= failed"; }
step_ok a-opts.out 0 3 "n1 n2 n3" "salloc --efa-monitor=json=al.json, first srun"
step_ok a-opts.out 1 1 "n2" "salloc --efa-monitor=json=al.json, srun -w n2"
[ "$(json al.0.json 'j["nodes"]') $(json al.1.json 'j["nodes"]')" = "3 1" ] || fail "salloc json: al.0.json/al.1.json"
ok "salloc json=al.json: one file per inner step"
as_user "salloc -N3 --efa-monitor=off srun -N3 $MOVE" > a-off.out 2>&1 || { show a-off.out; fail "salloc --efa-monitor=off failed"; }
assert_no_summary a-off.out "salloc --efa-monitor=off: no summary"
# srun --overlap beside a running step of the allocation (step 0, started
# first: the script waits until Slurm lists it).
cat > overlap.sh <<EOF
#!/bin/bash
srun -N3 sleep 2 &
until squeue -h -s -j \$SLURM_JOB_ID | grep -q "\$SLURM_JOB_ID\\.0 "; do sleep 0.1; done
srun --overlap -N3 $MOVE
wait
EOF
chmod 755 overlap.sh
as_user "salloc -N3 --efa-monitor ./overlap.sh" > a-overlap.out 2>&1 || { show a-overlap.out; fail "srun --overlap failed"; }
step_ok a-overlap.out 1 3 "n1 n2 n3" "srun --overlap inside an allocation"

# ------------------------------------------------------- plugstack default=on
plugstack default=on
bash "$here/cluster.sh" reconfigure "$C" >/dev/null 2>&1 || fail "reconfigure failed"
as_user "srun -N3 $MOVE" > on-s.out 2>&1 || { show on-s.out; fail "srun under default=on failed"; }
step_ok on-s.out 0 3 "n1 n2 n3" "default=on: srun without the flag"
as_user "srun -N3 --efa-monitor=off $MOVE" > on-s-off.out 2>&1 || fail "srun =off under default=on failed"
assert_no_summary on-s-off.out "default=on: srun --efa-monitor=off opts out"
as_user "sbatch --wait -N3 -o on-b.out ./job.sh" > /dev/null 2>&1 || { show on-b.out; fail "sbatch under default=on failed"; }
job_ok on-b.out "default=on: sbatch without the flag"
as_user "sbatch --wait -N3 --efa-monitor=off -o on-b-off.out ./job.sh" > /dev/null 2>&1 || fail "sbatch =off under default=on failed"
assert_grep "^script done$" on-b-off.out "default=on: sbatch --efa-monitor=off runs"
assert_no_summary on-b-off.out "default=on: sbatch --efa-monitor=off opts out, inner sruns too"
as_user "salloc -N3 srun -N3 $MOVE" > on-a.out 2>&1 || { show on-a.out; fail "salloc under default=on failed"; }
step_ok on-a.out 0 3 "n1 n2 n3" "default=on: salloc without the flag"
as_user "salloc -N3 --efa-monitor=off srun -N3 $MOVE" > on-a-off.out 2>&1 || fail "salloc =off under default=on failed"
assert_no_summary on-a-off.out "default=on: salloc --efa-monitor=off opts out"

sleep 0.3
left=$(pgrep -fa "efa-monitor run --sysfs-root $C/" | grep -v pgrep)
[ -z "$left" ] || fail "reporters left: $left"
ok "no reporter left after the whole matrix"
echo "1..$checks"
