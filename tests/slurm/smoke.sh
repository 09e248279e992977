#!/bin/bash
# tests/slurm/smoke.sh - check the test-cluster harness alone (no plugin):
# start a 3-node cluster in a scratch directory, run srun and sbatch jobs as
# root and as the user efatest, restart the slurmds, stop it, and check that
# nothing of it is left. TAP-like output; exit status non-zero on failure.
# Needs root. Keeps the scratch directory on failure (KEEP=1: always).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$HERE/cluster.sh
. "$CLUSTER"	# for _c_ours / _c_leftovers in the final checks

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP smoke.sh needs root"; exit 77; }

TOP=$(mktemp -d "${TEST_TMPDIR:-/tmp}/efa-slurm-smoke.XXXXXX") || exit 1
# A cluster directory deep enough that a socket under it could not hold the
# batch step's name (as under make distcheck's build tree in CI, where
# sbatch jobs hung): cluster.sh must keep slurmd's sockets out of it.
WORK=$TOP/a-cluster-directory-deep-enough-that-no-slurmd-socket-path-below-it-would-fit
chmod 755 "$TOP" && mkdir "$WORK" || exit 1
checks=0
stopped=
failed=
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# ok WHAT: prints the time since the previous check too.
lap=$EPOCHREALTIME
ok() {
	checks=$((checks + 1))
	echo "ok $checks - $* [$(awk -v a="$lap" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2fs", b - a }')]"
	lap=$EPOCHREALTIME
}
fail() {
	failed=1
	echo "not ok $((checks + 1)) - $*"
	echo "FAIL: smoke: $*" >&2
	exit 1
}
cleanup() {
	[ -z "$stopped" ] && "$CLUSTER" stop "$WORK" >/dev/null 2>&1
	if [ -n "$failed" ] || [ -n "${KEEP:-}" ]; then
		[ -n "$failed" ] && _c_logs "$WORK"
		echo "# kept $WORK" >&2
	else
		rm -rf "$TOP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# expect ACTUAL EXPECTED WHAT
expect() { [ "$1" = "$2" ] || fail "$3: got '$(echo $1)', expected '$(echo $2)'"; ok "$3"; }
# job CMD...: a Slurm client, bounded in time, no stdin.
job() { timeout 60 "$@" </dev/null; }
NODES=$(printf 'n1\nn2\nn3')

t=$(now)
"$CLUSTER" start "$WORK" </dev/null || fail "cluster.sh start"
t_start=$(since "$t")
ok "cluster starts, 3 nodes idle (${t_start}s)"
. "$WORK/env.sh"
[ "$SLURM_CONF" = "$WORK/etc/slurm.conf" ] || fail "env.sh exports SLURM_CONF"
ok "env.sh exports SLURM_CONF"

for n in n1 n2 n3; do
	[ "$(ls "$WORK/sys/$n/class/infiniband" | wc -l)" = 4 ] || fail "simulated sysfs for $n"
done
ok "simulated p4d sysfs in sys/n1..n3"

t=$(now)
out=$(job srun -N3 hostname) || fail "srun -N3 hostname: exit $?"
expect "$(printf '%s\n' "$out" | wc -l)" 3 "srun -N3 hostname: 3 lines"

out=$(job srun -N3 printenv SLURMD_NODENAME | sort) || fail "srun printenv"
expect "$out" "$NODES" "srun -N3: one task on each of n1 n2 n3"

out=$(job srun -N3 -n6 printenv SLURMD_NODENAME | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')
expect "$out" "2 2 2 " "srun -N3 -n6: two tasks per node"

cd "$WORK/out" || fail "cd $WORK/out"
job sbatch --wait -N3 -o "$WORK/out/batch.out" --wrap 'srun -N3 printenv SLURMD_NODENAME' >/dev/null ||
	fail "sbatch --wait: exit $?"
expect "$(sort "$WORK/out/batch.out")" "$NODES" "sbatch --wait -N3 with an inner srun: n1 n2 n3 in the output file"

# cluster.sh wait-job: the same without sbatch's 2-second polling, and the
# job's exit code.
id=$(job sbatch --parsable -N3 -o "$WORK/out/fast.out" --wrap 'srun -N3 printenv SLURMD_NODENAME') ||
	fail "sbatch --parsable"
"$CLUSTER" wait-job "$WORK" "$id" 30 || fail "wait-job $id: exit $?"
expect "$(sort "$WORK/out/fast.out")" "$NODES" "sbatch + cluster.sh wait-job: n1 n2 n3 in the output file"
id=$(job sbatch --parsable -N1 -o /dev/null --wrap 'exit 3') || fail "sbatch --parsable"
"$CLUSTER" wait-job "$WORK" "$id" 30; rc=$?
expect "$rc" 3 "cluster.sh wait-job exits with the job's exit code"

# Two jobs at once on the same nodes (OverSubscribe).
job srun -N3 sleep 2 >/dev/null 2>&1 & bg=$!
sleep 0.5
out=$(job srun -N3 --immediate=5 printenv SLURMD_NODENAME | sort)
wait "$bg" || fail "background srun -N3 sleep 2"
expect "$out" "$NODES" "a second job runs while another holds all nodes"

out=$(su efatest -s /bin/bash -c ". '$WORK/env.sh' && cd '$WORK/out' &&
	timeout 60 srun -N3 sh -c 'echo \$SLURMD_NODENAME \$(id -un)'" </dev/null | sort) ||
	fail "srun as efatest"
expect "$out" "$(printf 'n1 efatest\nn2 efatest\nn3 efatest')" "srun -N3 as user efatest runs as efatest on n1 n2 n3"

out=$(su efatest -s /bin/bash -c ". '$WORK/env.sh' && cd '$WORK/out' &&
	timeout 60 sbatch --wait -N3 -o efatest.out --wrap 'srun -N3 printenv SLURMD_NODENAME' >/dev/null &&
	sort efatest.out" </dev/null) || fail "sbatch as efatest"
expect "$out" "$NODES" "sbatch --wait as user efatest"
t_jobs=$(since "$t")
echo "# jobs: ${t_jobs}s"

# reconfigure: restart the slurmds with a changed plugstack.conf.
old=$(cat "$WORK"/run/slurmd-n*.pid | tr '\n' ' ')
echo '# changed' >"$WORK/etc/plugstack.conf"
t=$(now)
"$CLUSTER" reconfigure "$WORK" </dev/null || fail "cluster.sh reconfigure"
t_reconf=$(since "$t")
new=$(cat "$WORK"/run/slurmd-n*.pid | tr '\n' ' ')
[ "$old" != "$new" ] || fail "reconfigure: slurmd pids unchanged ($old)"
ok "reconfigure restarts the 3 slurmds (${t_reconf}s)"
out=$(job srun -N3 printenv SLURMD_NODENAME | sort)
expect "$out" "$NODES" "srun -N3 after reconfigure"

pids="$(cat "$WORK"/run/*.pid | tr '\n' ' ')"
spool=$(readlink "$WORK/spool/nodes")
read -r -a ports <"$WORK/run/ports"
t=$(now)
"$CLUSTER" stop "$WORK" </dev/null || fail "cluster.sh stop"
t_stop=$(since "$t")
stopped=1
ok "cluster stops (${t_stop}s)"

for p in $pids; do
	! _c_ours "$p" "$WORK" || fail "daemon $p still runs after stop"
done
left=$(_c_leftovers "$WORK")
[ -z "$left" ] || fail "processes of the cluster left after stop: $left"
# Zombies do not count: pid 1 here does not reap them promptly.
left=$(ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/' | grep -F -- "$WORK/" | grep -v -e "smoke.sh" -e " awk " -e "grep -F" || true)
[ -z "$left" ] || fail "processes naming $WORK left after stop: $left"
ok "no slurmctld, slurmd, slurmstepd or task of this cluster remains"
[ -n "$spool" ] && [ ! -e "$spool" ] && [ ! -e "$WORK/spool/nodes" ] ||
	fail "slurmd spool '$spool' left after stop"
ok "the slurmd spool $spool is removed"

for p in "${ports[@]}"; do
	! ss -Htln "( sport = :$p )" | grep -q . || fail "port $p still listening after stop"
done
ok "ports ${ports[*]} released"

echo "# timings: start ${t_start}s, jobs ${t_jobs}s, reconfigure ${t_reconf}s, stop ${t_stop}s"
echo "1..$checks"
