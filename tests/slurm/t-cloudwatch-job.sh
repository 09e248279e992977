#!/bin/bash
# A monitored job's metrics reach CloudWatch with its JobId: a real 3-node
# Slurm cluster (tests/slurm/cluster.sh), the plugin with the cloudwatch
# sink, per-node reporter configs (%n), credentials from a fake instance
# role (fake IMDS), and the fake CloudWatch checking every signature with
# botocore. Then a hanging CloudWatch: the job still ends, with its exact
# summary, and the reporters say what they dropped. Needs root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${EFA_MONITOR:?set by make check}"
PLUGIN=${EFA_PLUGIN:-$(dirname "$EFA_MONITOR")/../spank/.libs/spank_efa_monitor.so}
PLUGIN=$(realpath -m "$PLUGIN")
EFASIM_PY=$(realpath "$here/../efasim")
FAKES=$(realpath "$here/../fakes")
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run slurmd"; exit 77; }
[ -f "$PLUGIN" ] || { echo "SKIP: plugin not built ($PLUGIN)"; exit 77; }
$PY -c 'import botocore' 2>/dev/null || { echo "SKIP: python3-botocore missing"; exit 77; }

C=$(mktemp -d "${TEST_TMPDIR:-/tmp}/t-cwjob.XXXXXX" 2>/dev/null || mktemp -d /tmp/t-cwjob.XXXXXX)
chmod 755 "$C"
checks=0
PIDS=()
fail() { echo "FAIL: t-cloudwatch-job: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	bash "$here/cluster.sh" stop "$C" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$C"
}
trap cleanup EXIT
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; ok "$3"; }
assert_grep() { grep -Eq -- "$1" "$2" || { sed 's/^/    /' "$2" >&2; fail "$3: no line matches /$1/"; }; ok "$3"; }
wait_for() { for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }

# The fakes: CloudWatch (accepting the role's rotating keys) and IMDS.
creds=()
for n in $(seq -f %04g 1 40); do creds+=(--cred "ASIAFAKE$n:fake-s3cr3t-$n:fake-t0k3n-$n"); done
$PY "$FAKES/fake_cloudwatch.py" --port-file "$C/cw.port" --record "$C/rec.jsonl" --region us-east-1 "${creds[@]}" &
PIDS+=("$!")
$PY "$FAKES/fake_imds.py" --port-file "$C/imds.port" --log "$C/imds.log" --instance-id i-shared --region us-east-1 &
PIDS+=("$!")
wait_for test -s "$C/cw.port" -a -s "$C/imds.port" || fail "the fakes did not start"
CW="http://127.0.0.1:$(cat "$C/cw.port")"
IMDS="http://127.0.0.1:$(cat "$C/imds.port")"
rec() { $PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(eval(sys.argv[2]))' "$C/rec.jsonl" "$1"; }
ctl() { $PY -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST"), timeout=10).read()' "$CW$1" "$2"; }

# One reporter config per node: its InstanceId, the fakes' addresses.
mkdir -p "$C/conf"
for n in n1 n2 n3; do
	cat >"$C/conf/reporter-$n.conf" <<-EOF
	instance_id = i-$n
	cw_endpoint = $CW
	cw_region = us-east-1
	imds_endpoint = $IMDS
	cw_timeout = 1
	cw_retries = 1
	log_level = info
	EOF
done
chmod -R a+rX "$C/conf"
mkdir -p "$C/logs" && chmod 1777 "$C/logs"
echo "optional $PLUGIN reporter=$(realpath "$EFA_MONITOR") sysfs=$C/sys/%n channel_host=127.0.0.1 interval=0.5 collect_timeout=10 stop_timeout=4 sinks=cloudwatch config=$C/conf/reporter-%n.conf log_dir=$C/logs" >"$C/plugstack.conf"
bash "$here/cluster.sh" start "$C" --plugstack "$C/plugstack.conf" >"$C/start.log" 2>&1 ||
	{ cat "$C/start.log"; fail "cluster did not start"; }
. "$C/env.sh"
chmod -R a+rwX "$C/sys"
cd "$C/out" || fail "no $C/out"
as_user() { su efatest -s /bin/bash -c ". $C/env.sh; cd $C/out; $1"; }
traffic() { echo "/usr/bin/python3 $EFASIM_PY traffic $C/sys/\$SLURMD_NODENAME $*"; }
drops() { echo "/usr/bin/python3 $EFASIM_PY advance $C/sys/\$SLURMD_NODENAME $*"; }

# --- a 3-node step: every node's datums arrive, tagged with the JobId ------
job='case $SLURMD_NODENAME in n2) '"$(drops rx_drops=5)"';; esac >/dev/null; '"$(traffic --tx-bytes 1000000)"' >/dev/null; sleep 2'
as_user "srun -N3 --efa-monitor bash -c '$job'" >srun.out 2>srun.err || { cat srun.err; fail "srun failed"; }
jobid=$(sed -nE 's/^efa-monitor: job ([0-9]+) step 0: .*/\1/p' srun.err)
[ -n "$jobid" ] || { cat srun.err; fail "no summary in srun's stderr"; }
ok "srun -N3 --efa-monitor with the cloudwatch sink: summary for job $jobid"
assert_grep "^efa-monitor:   TX 12000000 bytes" srun.err "the summary's totals are exact (3 nodes x 4 x 1 MB)"
wait_for test "$(rec 'len(r)')" -ge 3 || fail "fewer than 3 requests: $(rec 'len(r)')"
assert_eq "$(rec '[(x["status"], x["signature_ok"], x["token"]) for x in r]')" \
	"[(200, True, True), (200, True, True), (200, True, True)]" \
	"one request per node at the step's end, signed with the role's session credentials"
assert_eq "$(rec 'sorted(set(d["Dimensions"]["InstanceId"] for x in r for d in x["datums"]))')" "['i-n1', 'i-n2', 'i-n3']" \
	"every node published under its own InstanceId"
assert_eq "$(rec 'sorted(set(d["Dimensions"].get("JobId") for x in r for d in x["datums"]))')" "['$jobid']" \
	"every datum carries the job's JobId"
assert_eq "$(rec 'sorted(set(len(d["Dimensions"]) for x in r for d in x["datums"]))')" "[3]" \
	"dimensions InstanceId, Interface, JobId"
dropsum() { rec "sum(v * c for x in r for d in x['datums'] if d['MetricName'] == 'rx_drops' and d['Dimensions']['InstanceId'] == '$1' for v, c in zip(d.get('Values', [d.get('Value')]), d.get('Counts', [1])))"; }
assert_eq "$(dropsum i-n1) $(dropsum i-n2) $(dropsum i-n3)" "0.0 20.0 0.0" "rx_drops: exactly 4 x 5 on n2 (5 per interface), none elsewhere"
assert_eq "$(rec 'sorted(set(d["Dimensions"]["Interface"] for x in r for d in x["datums"]))' | tr -d "[]' " | tr ',' '\n' | wc -l)" 4 \
	"the 4 interfaces of each node"

# --- a hanging CloudWatch: the job is not held beyond the stop timeout -----
ctl /__reset ""
ctl /__script '["hang:60", "hang:60", "hang:60", "hang:60", "hang:60", "hang:60"]'
start=$(date +%s)
as_user "srun -N3 --efa-monitor bash -c '$(traffic --tx-bytes 2000000) >/dev/null; sleep 1'" >hang.out 2>hang.err ||
	{ cat hang.err; fail "srun failed with a hanging CloudWatch"; }
took=$(($(date +%s) - start))
ok "a hanging CloudWatch: srun still returns (in ${took}s; stop_timeout 4 s bounds the wait)"
assert_grep "^efa-monitor:   TX 24000000 bytes" hang.err "the summary is still exact"
hjob=$(sed -nE 's/^efa-monitor: job ([0-9]+) step 0: .*/\1/p' hang.err)
logs=$(ls "$C"/logs/efa-monitor-"$hjob".0.*.log 2>/dev/null | wc -l)
assert_eq "$logs" 3 "each node's reporter kept a log"
assert_eq "$(grep -l 'datums dropped' "$C"/logs/efa-monitor-"$hjob".0.*.log | wc -l)" 3 \
	"every reporter logged the datums it could not deliver"
echo "1..$checks"
