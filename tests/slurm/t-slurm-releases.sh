#!/bin/bash
# What differs between Slurm releases (spank/compat.h), on a real 3-node
# cluster (tests/slurm/cluster.sh) of whichever Slurm is installed; run on
# 22.05, 24.11 and 26.05 by tools/check-slurm.sh:
#   - a bare "sbatch --efa-monitor" reaches the inner sruns as the literal
#     argument "(null)": they are monitored, not refused;
#   - with PrologFlags=Contain, the extern step (on every node for the whole
#     job) is left alone: no reporter, nothing counted twice;
#   - from 24.05 on, SlurmdParameters=contain_spank runs user_init and
#     task_exit in clone(CLONE_VM) children of slurmstepd: totals stay
#     exact, the reporter's stream is whole and no reporter is left.
# Needs root; skipped (77) otherwise or when the plugin was not built.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${EFA_MONITOR:?set by make check}"
PLUGIN=${EFA_PLUGIN:-$(dirname "$EFA_MONITOR")/../spank/.libs/spank_efa_monitor.so}
PLUGIN=$(realpath -m "$PLUGIN")
EFASIM_PY=$(realpath "$here/../efasim")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run slurmd"; exit 77; }
[ -f "$PLUGIN" ] || { echo "SKIP: plugin not built ($PLUGIN)"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin

# "slurm-wlm 24.11.5" or "slurm 22.05.8": major * 100 + minor.
ver=$(slurmd -V 2>/dev/null | sed -nE 's/.* ([0-9]+)\.([0-9]+)\..*/\1 \2/p')
read -r vmaj vmin <<<"$ver"
[ -n "${vmin:-}" ] || { echo "SKIP: cannot tell the Slurm version from 'slurmd -V'"; exit 77; }
vnum=$((10#$vmaj * 100 + 10#$vmin))
echo "# slurmd $vmaj.$vmin"

C=$(mktemp -d "${TEST_TMPDIR:-/tmp}/t-releases.XXXXXX" 2>/dev/null || mktemp -d /tmp/t-releases.XXXXXX)
chmod 755 "$C"
checks=0
fail() { echo "FAIL: t-slurm-releases: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
cleanup() { bash "$here/cluster.sh" stop "$C" >/dev/null 2>&1; [ -n "${KEEP:-}" ] || rm -rf "$C"; }
trap cleanup EXIT
assert_grep() { grep -Eq -- "$1" "$2" || { sed 's/^/    /' "$2" >&2; fail "$3: no line matches /$1/"; }; ok "$3"; }
assert_no_grep() { ! grep -Eq -- "$1" "$2" || { sed 's/^/    /' "$2" >&2; fail "$3: a line matches /$1/"; }; ok "$3"; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; ok "$3"; }
traffic() { echo "/usr/bin/python3 $EFASIM_PY traffic $C/sys/\$SLURMD_NODENAME $*"; }
as_user() { su efatest -s /bin/bash -c ". $C/env.sh; cd $C/out; $1"; }
no_reporter_left() {
	local left
	left=$(pgrep -fa "efa-monitor run --sysfs-root $C/" | grep -v pgrep)
	[ -z "$left" ] || fail "$1: reporter processes left: $left"
	ok "$1: no reporter left on any node"
}

# start [EXTRA-CONF-LINE...]: a fresh cluster with the plugin.
start() {
	bash "$here/cluster.sh" stop "$C" >/dev/null 2>&1
	echo "optional $PLUGIN reporter=$(realpath "$EFA_MONITOR") sysfs=$C/sys/%n channel_host=127.0.0.1 interval=0.2 collect_timeout=10" >"$C/plugstack.conf"
	printf '%s\n' "${@:-# nothing}" >"$C/extra.conf"
	bash "$here/cluster.sh" start "$C" --plugstack "$C/plugstack.conf" --extra-conf "$C/extra.conf" >"$C/start.log" 2>&1 ||
		{ cat "$C/start.log"; fail "cluster did not start ($*)"; }
	. "$C/env.sh"
	chmod -R a+rwX "$C/sys"
	cd "$C/out" || fail "no $C/out"
}

# --- a bare sbatch --efa-monitor: every inner srun inherits it ------------
start "PrologFlags=Contain"
cat >"$C/out/bare.sh" <<EOF
#!/bin/bash
srun -N3 bash -c '$(traffic --tx-bytes 1000000 --rx-bytes 2000000) >/dev/null'
EOF
chmod 755 "$C/out/bare.sh"
as_user "sbatch --wait -N3 --efa-monitor -o bare.out ./bare.sh" >/dev/null 2>&1 ||
	{ cat "$C/out/bare.out"; fail "sbatch --wait -N3 --efa-monitor (bare) failed"; }
assert_no_grep "bad --efa-monitor option" bare.out "bare sbatch flag: the inner srun does not refuse '(null)'"
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes, 12 interfaces" bare.out "bare sbatch flag: the inner step is monitored"
assert_grep "^efa-monitor:   TX 12000000 bytes .*; RX 24000000 bytes" bare.out "bare sbatch flag: exact inner step totals"
assert_grep "^efa-monitor: job [0-9]+: 3 nodes, 12 interfaces, .* \(all monitored steps\)$" bare.out "bare sbatch flag: the job-level summary"
no_reporter_left "bare sbatch flag"
bjob=$(sed -nE 's/^efa-monitor: job ([0-9]+): .*/\1/p' bare.out)
grep -Eq "\[$bjob\.extern\]" "$C/log/slurmd-n3.log" ||
	fail "PrologFlags=Contain: no extern step of job $bjob in n3's slurmd log"
ok "PrologFlags=Contain: the job had its extern step on every node, counted nowhere (totals above exact)"

# --- contain_spank (24.05 and later) --------------------------------------
if [ "$vnum" -lt 2405 ]; then
	echo "# contain_spank: not in Slurm $vmaj.$vmin"
	echo "1..$checks"
	exit 0
fi
start "SlurmdParameters=contain_spank" "PrologFlags=Contain"
grep -q '^SlurmdParameters=contain_spank' "$C/etc/slurm.conf" || fail "contain_spank not in slurm.conf"
job='case $SLURMD_NODENAME in n3) '"$(traffic --tx-bytes 100000 --rx-bytes 300000)"';; *) '"$(traffic --tx-bytes 1000000 --rx-bytes 3000000)"';; esac >/dev/null; sleep 1'
as_user "srun -N3 --efa-monitor bash -c '$job'" >cs.out 2>cs.err || { cat cs.err; fail "srun under contain_spank failed"; }
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes, 12 interfaces, " cs.err "contain_spank: step summary"
assert_grep "^efa-monitor:   TX 8400000 bytes \(0.01 GB\), .*; RX 25200000 bytes" cs.err "contain_spank: exact totals"
assert_grep "^efa-monitor:   node n3: TX 400000 bytes, RX 1200000 bytes, 4 interfaces" cs.err "contain_spank: exact n3 totals"
assert_no_grep "stream interrupted|never reported|unreadable" cs.err "contain_spank: every node's stream whole (the reporter's final report read from task_exit)"
assert_no_grep "peak TX 0.00 Gbps, RX 0.00 Gbps" cs.err "contain_spank: peaks from the reporter"
no_reporter_left "contain_spank srun"

cat >"$C/out/cs-job.sh" <<EOF
#!/bin/bash
$(traffic --tx-bytes 500000 --rx-bytes 500000) >/dev/null
srun -N3 bash -c '$(traffic --tx-bytes 1000000 --rx-bytes 2000000) >/dev/null'
echo script done
EOF
chmod 755 "$C/out/cs-job.sh"
as_user "sbatch --wait -N3 --efa-monitor=json=cs-job.json -o cs-job.out ./cs-job.sh" >/dev/null 2>&1 ||
	{ cat "$C/out/cs-job.out"; fail "sbatch under contain_spank failed"; }
assert_grep "^script done$" cs-job.out "contain_spank: the batch job ran"
assert_grep "^efa-monitor: job [0-9]+ step 0: 3 nodes" cs-job.out "contain_spank: the inner step's summary"
# n1: the batch script 2,000,000/2,000,000 + the step 4,000,000/8,000,000.
assert_grep "^efa-monitor:   node n1: TX 6000000 bytes, RX 10000000 bytes" cs-job.out "contain_spank: job level, n1 exact (the job channel opened in slurmstepd)"
assert_grep "^efa-monitor:   TX 14000000 bytes .*; RX 26000000 bytes" cs-job.out "contain_spank: job level, exact aggregate"
assert_eq "$(stat -c %U cs-job.json 2>/dev/null)" efatest "contain_spank: json= written as the job user"
no_reporter_left "contain_spank sbatch"

cat >"$C/out/kill.sh" <<EOF
#!/bin/bash
$(traffic --tx-bytes 1000) >/dev/null
pkill -KILL -u efatest -f "efa-monitor run --sysfs-root $C/sys/\$SLURMD_NODENAME "
$(traffic --tx-bytes 2000) >/dev/null
EOF
chmod 755 "$C/out/kill.sh"
as_user "srun -N3 --efa-monitor ./kill.sh" >kill.out 2>&1 || { cat kill.out; fail "killing the reporter failed the job"; }
assert_grep "^efa-monitor:   TX 36000 bytes" kill.out "contain_spank, reporter killed: totals exact"
assert_grep "stream interrupted on n2: the reporter (killed by signal 9|exited \(status unknown: reaped by slurmstepd\))" kill.out "contain_spank, reporter killed: the stream named interrupted"
no_reporter_left "contain_spank, reporter killed"

echo "1..$checks"
