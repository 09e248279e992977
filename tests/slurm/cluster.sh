#!/bin/bash
# tests/slurm/cluster.sh - a real 3-node Slurm cluster on this one machine,
# for the SPANK plugin tests.
#
#   cluster.sh start DIR [--plugstack FILE] [--extra-conf FILE]
#                                             build DIR, start munge (if needed),
#                                             slurmctld and slurmd n1 n2 n3;
#                                             FILE's lines are appended to
#                                             slurm.conf (e.g. PrologFlags=Contain;
#                                             a repeated key: the last one wins)
#   cluster.sh stop DIR                       stop what start started
#   cluster.sh reconfigure DIR [--all]        restart the slurmds (and with
#                                             --all slurmctld) so a changed
#                                             DIR/etc/plugstack.conf is re-read
#   cluster.sh status DIR                     print the daemons and node states
#   cluster.sh wait-job DIR JOBID [SECONDS]   wait (default 60 s) for a job to
#                                             end; exit with its exit code, like
#                                             sbatch --wait but polling every
#                                             0.2 s instead of every 2 s (call it
#                                             within 5 s of the job's end:
#                                             MinJobAge=5)
#
# Everything lives under DIR:
#   DIR/etc/slurm.conf, DIR/etc/plugstack.conf
#   DIR/spool/ctld (StateSaveLocation)
#   DIR/spool/nodes -> /tmp/efa-sd.XXXXXX: n1..n3 (SlurmdSpoolDir). slurmd
#                   binds a Unix socket per step there (n1_<job>.<step>, the
#                   batch step being 4294967291), and a socket path holds at
#                   most 107 bytes: under a deep DIR (make distcheck's build
#                   tree) the batch step's socket would not fit, and sbatch
#                   jobs would hang. So the spool is a short directory of its
#                   own, removed by stop.
#   DIR/log/slurmctld.log, DIR/log/slurmd-nX.log (debug level), DIR/log/*.out
#   DIR/run/*.pid, DIR/run/ports
#   DIR/sys/n1..n3: simulated p4d EFA sysfs trees (tests/efasim), one per node,
#                   so a plugin with sysfs root DIR/sys/%n sees its own node
#   DIR/out: world-writable (1777) scratch for job output
#   DIR/env.sh: ". DIR/env.sh" exports SLURM_CONF (and EFA_SLURM_DIR)
#
# All nodes share this host's name; tell them apart by SLURMD_NODENAME.
# Needs root (the daemons run as root, SlurmUser=root). Creates the user
# "efatest" for jobs of a non-root user. Nothing is written to /etc/slurm.
#
# Can also be sourced: it then only defines the functions (cluster_start DIR
# [--plugstack FILE], cluster_stop DIR, cluster_reconfigure DIR [--all],
# cluster_status DIR, cluster_wait_job DIR JOBID [SECONDS]).

CLUSTER_SH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EFASIM_PATH=${EFASIM_PATH:-$CLUSTER_SH_DIR/../efasim}
CLUSTER_NODES=(n1 n2 n3)
CLUSTER_USER=${CLUSTER_USER:-efatest}
: "${CLUSTER_START_TIMEOUT:=30}"	# seconds for the nodes to come up idle
: "${CLUSTER_STOP_TIMEOUT:=15}"		# seconds for the daemons to exit
# Ports are picked from [CLUSTER_PORT_MIN, CLUSTER_PORT_MAX), below the
# kernel's ephemeral range so no outgoing connection can take them.
: "${CLUSTER_PORT_MIN:=17000}"
: "${CLUSTER_PORT_MAX:=27000}"
CLUSTER_LOCK=/tmp/efa-monitor-slurm-cluster.lock
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac	# slurmd, munged, useradd

_c_say() { echo "cluster.sh: $*" >&2; }
_c_die() { _c_say "error: $*"; return 1; }

# _c_alive PID: the process exists and is not a zombie. pid 1 in these
# sandboxes does not reap orphans promptly, so a dead daemon can linger as
# a zombie: "kill -0" would say it lives.
_c_alive() {
	local st=""
	[ -n "$1" ] || return 1
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	st=${st%% *}
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# _c_ours PID DIR: the process is alive and belongs to the cluster in DIR:
# its command line names DIR/etc/slurm.conf (the daemons are started with
# -f) or its environment has SLURM_CONF=DIR/etc/slurm.conf (slurmstepd and
# the job's tasks inherit it). Guards against pid reuse and strangers.
_c_ours() {
	local conf="$2/etc/slurm.conf"
	_c_alive "$1" || return 1
	grep -qzxF -- "$conf" "/proc/$1/cmdline" 2>/dev/null && return 0
	grep -qzxF -- "SLURM_CONF=$conf" "/proc/$1/environ" 2>/dev/null
}

# _c_detached LOG CMD...: run CMD (a daemon that forks into the background)
# in a new session, stdin /dev/null, stdout and stderr appended to LOG, and
# no other descriptor of ours: a daemon that kept, say, the pipe a CI runner
# reads our output from would keep that runner waiting for ever. Returns
# CMD's status (the daemon's parent's).
_c_detached() {
	local log=$1
	shift
	(
		for f in /proc/$BASHPID/fd/*; do
			f=${f##*/}
			case "$f" in 0|1|2|*[!0-9]*) ;; *) eval "exec $f>&-" 2>/dev/null ;; esac
		done
		exec setsid -w "$@" </dev/null >>"$log" 2>&1
	)
}

_c_pidfile_pid() { [ -r "$1" ] && tr -dc '0-9' <"$1"; }

# Run a Slurm client with this cluster's config, bounded in time.
_c_client() { local dir=$1; shift; SLURM_CONF="$dir/etc/slurm.conf" timeout 15 "$@" </dev/null; }

_c_ensure_packages() {
	local missing=()
	command -v slurmctld >/dev/null || missing+=(slurmctld)
	command -v slurmd >/dev/null || missing+=(slurmd)
	command -v srun >/dev/null || missing+=(slurm-wlm)
	[ -r /usr/include/slurm/spank.h ] || missing+=(libslurm-dev)
	command -v munged >/dev/null || missing+=(munge)
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || { _c_die "missing packages: ${missing[*]} (run as root to install)"; return 1; }
	_c_say "installing slurm-wlm slurmctld slurmd libslurm-dev munge"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get -qq -y install slurm-wlm slurmctld slurmd libslurm-dev munge ||
	  { apt-get -qq update && apt-get -qq -y install slurm-wlm slurmctld slurmd libslurm-dev munge; }
	} </dev/null >/dev/null || { _c_die "apt-get install failed"; return 1; }
}

# munge: start it if a credential does not round-trip. It is shared by every
# cluster on the host, so it is left running by stop; DIR/run/munge.started
# records that this cluster started it.
_c_munge_ok() { timeout 5 munge -n </dev/null 2>/dev/null | timeout 5 unmunge >/dev/null 2>&1; }

_c_ensure_munge() {
	local dir=$1 i mfd mpid rc=1
	_c_munge_ok && return 0
	# Two clusters starting at once must not both start munged.
	exec {mfd}>>"$CLUSTER_LOCK.munge"
	flock -w 60 "$mfd" 2>/dev/null
	if _c_munge_ok; then exec {mfd}>&-; return 0; fi
	if [ ! -s /etc/munge/munge.key ]; then
		_c_say "creating /etc/munge/munge.key"
		if command -v mungekey >/dev/null; then
			mungekey -c -f -k /etc/munge/munge.key
		else
			dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=128 2>/dev/null
		fi
		chown munge: /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
	fi
	mkdir -p /run/munge /var/log/munge /var/lib/munge
	chown munge: /run/munge /var/log/munge /var/lib/munge
	chmod 755 /run/munge
	# A socket or pid file left by a munged that died keeps a new one from
	# starting.
	mpid=$(_c_pidfile_pid /run/munge/munged.pid)
	if ! _c_alive "$mpid"; then
		rm -f /run/munge/munged.pid /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
	fi
	_c_detached "$dir/log/munged.out" su -s /bin/sh munge -c /usr/sbin/munged ||
		_c_say "warning: munged exited with status $?: $(tail -n 3 "$dir/log/munged.out")"
	for i in $(seq 50); do
		if _c_munge_ok; then
			date +%s >"$dir/run/munge.started"
			rc=0
			break
		fi
		sleep 0.1
	done
	exec {mfd}>&-
	[ $rc = 0 ] || _c_die "munge -n | unmunge still fails after starting munged (see /var/log/munge/munged.log)"
	return $rc
}

_c_ensure_user() {
	id "$CLUSTER_USER" >/dev/null 2>&1 && return 0
	useradd -m -s /bin/bash "$CLUSTER_USER" </dev/null ||
		{ _c_die "useradd $CLUSTER_USER failed"; return 1; }
}

# _c_port_free PORT: nothing listens on it, nothing is connected from or to it.
_c_port_free() {
	! ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .
}

# _c_pick_ports: print 4 free consecutive ports (slurmctld, n1, n2, n3),
# starting at a random offset so that concurrent clusters do not collide.
_c_pick_ports() {
	local span=$(((CLUSTER_PORT_MAX - CLUSTER_PORT_MIN) / 4)) try base p ok
	for try in $(seq 50); do
		base=$((CLUSTER_PORT_MIN + (RANDOM * 32768 + RANDOM) % span * 4))
		ok=1
		for p in $base $((base + 1)) $((base + 2)) $((base + 3)); do
			_c_port_free "$p" || { ok=; break; }
		done
		[ -n "$ok" ] && { echo "$base"; return 0; }
	done
	return 1
}

_c_write_conf() {
	local dir=$1 base=$2 extra=${3:-} host cpus nodespool
	nodespool=$(_c_node_spool "$dir") || { _c_die "no slurmd spool linked from $dir/spool/nodes"; return 1; }
	host=$(hostname -s 2>/dev/null) || host=
	[ -n "$host" ] || host=${HOSTNAME%%.*}
	cpus=$(nproc)
	cat >"$dir/etc/slurm.conf" <<EOF
# Written by tests/slurm/cluster.sh: a 3-node test cluster on one host.
ClusterName=efatest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Schedule a batch job when it is submitted, not at the next periodic pass
# (batch_sched_delay defaults to 3 s).
SchedulerParameters=batch_sched_delay=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
InactiveLimit=0
KillWait=5
MessageTimeout=10
UnkillableStepTimeout=30
# sbatch --wait polls every 2 s only while MinJobAge is at most 5; above,
# it backs off to 8 s and 32 s (src/sbatch/sbatch.c _job_wait). Finished
# jobs stay visible to scontrol/squeue for at least 5 s.
MinJobAge=5
MailProg=/bin/true
PlugStackConfig=$dir/etc/plugstack.conf
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$nodespool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=debug
NodeName=n[1-3] NodeHostname=$host NodeAddr=127.0.0.1 Port=[$((base + 1))-$((base + 3))] CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=n[1-3] Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
	if [ -n "$extra" ]; then
		{ echo "# from $extra"; cat "$extra"; } >>"$dir/etc/slurm.conf" || return 1
	fi
	chmod 644 "$dir/etc/slurm.conf"
	echo "$base $((base + 1)) $((base + 2)) $((base + 3))" >"$dir/run/ports"
}

# _c_make_node_spool DIR: a short SlurmdSpoolDir (see the header), linked
# from DIR/spool/nodes so that the logs, the tests and stop can find it.
# Its longest socket, /tmp/efa-sd.XXXXXX/n3/n3_4294967295.4294967291, is
# 43 bytes.
_c_make_node_spool() {
	local dir=$1 spool n
	spool=$(mktemp -d /tmp/efa-sd.XXXXXX) || { _c_die "cannot create a slurmd spool in /tmp"; return 1; }
	chmod 755 "$spool"
	ln -s "$spool" "$dir/spool/nodes" || { rm -rf "$spool"; return 1; }
	for n in "${CLUSTER_NODES[@]}"; do mkdir "$spool/$n" || return 1; done
}

# _c_remove_node_spool DIR: remove what _c_make_node_spool made (only a
# /tmp/efa-sd.* directory that DIR/spool/nodes points to).
_c_remove_node_spool() {
	local link="$1/spool/nodes" target
	[ -L "$link" ] || return 0
	target=$(readlink "$link")
	case "$target" in /tmp/efa-sd.*) rm -rf -- "$target" ;; esac
	rm -f -- "$link"
}

# The SlurmdSpoolDir of the cluster in DIR.
_c_node_spool() { readlink "$1/spool/nodes"; }

_c_logs() {
	local dir=$1 f
	for f in "$dir"/log/slurmctld.log "$dir"/log/slurmd-n*.log "$dir"/log/*.out; do
		[ -s "$f" ] || continue
		echo "--- tail $f" >&2
		tail -n 15 "$f" >&2
	done
}

# _c_nodes_idle DIR: every node is idle (nothing else: not idle*, down, drain).
_c_nodes_idle() {
	local out
	out=$(_c_client "$1" sinfo -h -N -o '%N %t' 2>/dev/null) || return 1
	[ "$(printf '%s\n' "$out" | grep -c ' idle$')" = ${#CLUSTER_NODES[@]} ]
}

# _c_wait_idle DIR [OFFSETS]: bounded wait for all nodes idle. With OFFSETS
# ("n1:bytes n2:bytes ..."), also for each slurmd's log to show, past that
# offset, the reply to its registration: the restarted slurmd is the one
# slurmctld sees (a node can look idle from its previous registration).
_c_wait_idle() {
	local dir=$1 offs=${2:-} end o ok
	end=$((SECONDS + CLUSTER_START_TIMEOUT))
	while [ $SECONDS -lt $end ]; do
		ok=1
		for o in $offs; do
			tail -c +$((${o#*:} + 1)) "$dir/log/slurmd-${o%%:*}.log" 2>/dev/null |
				grep -q '_handle_node_reg_resp' || { ok=; break; }
		done
		[ -n "$ok" ] && _c_nodes_idle "$dir" && return 0
		sleep 0.2
	done
	return 1
}

_c_start_slurmd() {
	local dir=$1 n=$2
	SLURM_CONF="$dir/etc/slurm.conf" _c_detached "$dir/log/slurmd-$n.out" \
		slurmd -f "$dir/etc/slurm.conf" -N "$n" ||
		{ _c_die "slurmd -N $n failed to start"; return 1; }
}

_c_start_slurmctld() {
	local dir=$1
	SLURM_CONF="$dir/etc/slurm.conf" _c_detached "$dir/log/slurmctld.out" \
		slurmctld -c -f "$dir/etc/slurm.conf" ||
		{ _c_die "slurmctld failed to start"; return 1; }
}

_c_slurmd_pidfiles() { local n; for n in "${CLUSTER_NODES[@]}"; do echo "$1/run/slurmd-$n.pid"; done; }

# _c_wait_pidfiles DIR FILE...: bounded wait (10 s in all) for the daemons
# to write their pid files.
_c_wait_pidfiles() {
	local dir=$1 i f ok
	shift
	for i in $(seq 100); do
		ok=1
		for f in "$@"; do
			_c_ours "$(_c_pidfile_pid "$f")" "$dir" || { ok=; break; }
		done
		[ -n "$ok" ] && return 0
		sleep 0.1
	done
	_c_die "no live daemon for $f"
}

# _c_kill_wait DIR PID...: SIGTERM, a bounded wait, then SIGKILL.
_c_kill_wait() {
	local dir=$1 p end left
	shift
	local pids=()
	for p in "$@"; do _c_ours "$p" "$dir" && pids+=("$p"); done
	[ ${#pids[@]} -eq 0 ] && return 0
	kill -TERM "${pids[@]}" 2>/dev/null
	end=$((SECONDS + CLUSTER_STOP_TIMEOUT))
	while :; do
		left=()
		for p in "${pids[@]}"; do _c_alive "$p" && left+=("$p"); done
		[ ${#left[@]} -eq 0 ] && return 0
		[ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	_c_say "killing (SIGKILL) ${left[*]}"
	kill -KILL "${left[@]}" 2>/dev/null
	sleep 0.2
}

_c_stop_slurmds() {
	local dir=$1 n pids=()
	for n in "${CLUSTER_NODES[@]}"; do
		pids+=("$(_c_pidfile_pid "$dir/run/slurmd-$n.pid")")
	done
	_c_kill_wait "$dir" "${pids[@]}"
}

# Processes left behind by this cluster's jobs: slurmstepd (its environment
# has SLURM_CONF=DIR/etc/slurm.conf) and the jobs' tasks (SLURM_CONF and
# SLURM_JOB_ID). Never this shell or its ancestors (a test that sourced
# DIR/env.sh has SLURM_CONF too).
_c_leftovers() {
	local conf="$1/etc/slurm.conf" f p anc=" " q=$$
	while [ -n "$q" ] && [ "$q" -gt 1 ]; do
		anc+="$q "
		read -r q 2>/dev/null <"/proc/$q/stat" || break
		q=${q##*) }
		q=${q#* }
		q=${q%% *}
	done
	for f in $(grep -lzxF -- "SLURM_CONF=$conf" /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/environ}
		case "$anc" in *" $p "*) continue ;; esac
		_c_alive "$p" || continue
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ] ||
			grep -qz '^SLURM_JOB_ID=' "$f" 2>/dev/null; then
			echo "$p"
		fi
	done
}

# _c_daemons DIR: pids of the live daemons started with -f DIR/etc/slurm.conf,
# whether or not their pid files are still there.
_c_daemons() {
	local f p
	for f in $(grep -lzxF -- "$1/etc/slurm.conf" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in
		slurmctld|slurmd) _c_alive "$p" && echo "$p" ;;
		esac
	done
}

cluster_status() {
	local dir n pid
	dir=$(realpath -m "${1:?usage: cluster.sh status DIR}")
	pid=$(_c_pidfile_pid "$dir/run/slurmctld.pid")
	if _c_ours "$pid" "$dir"; then echo "slurmctld $pid running"; else echo "slurmctld not running"; fi
	for n in "${CLUSTER_NODES[@]}"; do
		pid=$(_c_pidfile_pid "$dir/run/slurmd-$n.pid")
		if _c_ours "$pid" "$dir"; then echo "slurmd $n $pid running"; else echo "slurmd $n not running"; fi
	done
	[ -r "$dir/run/ports" ] && echo "ports (ctld n1 n2 n3): $(cat "$dir/run/ports")"
	_c_client "$dir" sinfo -N -o '%N %t' 2>/dev/null
	return 0
}

cluster_wait_job() {
	local dir id=${2:?usage: cluster.sh wait-job DIR JOBID [SECONDS]} end line st ec
	dir=$(realpath -m "${1:?usage: cluster.sh wait-job DIR JOBID [SECONDS]}")
	end=$((SECONDS + ${3:-60}))
	while :; do
		line=$(_c_client "$dir" scontrol -o show job "$id" 2>&1) || line="error: $line"
		case "$line" in
		*"Invalid job id"*)
			_c_die "job $id unknown: never submitted, or ended more than MinJobAge (5 s) ago"
			return 125 ;;
		esac
		st=$(printf '%s\n' "$line" | sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p')
		case "$st" in
		COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY)
			ec=$(printf '%s\n' "$line" | sed -n 's/.* ExitCode=\([0-9]*\):\([0-9]*\).*/\1 \2/p')
			set -- $ec
			[ "${2:-0}" != 0 ] && return 1	# killed by a signal
			[ "$st" = COMPLETED ] || [ "${1:-1}" != 0 ] || return 1
			return "${1:-1}"
			;;
		esac
		[ $SECONDS -ge $end ] && { _c_die "job $id not finished after ${3:-60}s (state ${st:-unknown})"; return 124; }
		sleep 0.2
	done
}

cluster_start() {
	local dir plugstack="" extra="" n pid base lockfd=""
	[ $# -ge 1 ] || { _c_die "usage: cluster.sh start DIR [--plugstack FILE] [--extra-conf FILE]"; return 2; }
	dir=$(realpath -m "$1")
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--plugstack) plugstack=${2:?--plugstack needs a FILE}; shift 2 ;;
		--plugstack=*) plugstack=${1#*=}; shift ;;
		--extra-conf) extra=${2:?--extra-conf needs a FILE}; shift 2 ;;
		--extra-conf=*) extra=${1#*=}; shift ;;
		*) _c_die "start: unknown argument '$1'"; return 2 ;;
		esac
	done
	[ "$(id -u)" = 0 ] || { _c_die "start must run as root"; return 1; }
	[ -z "$plugstack" ] || [ -r "$plugstack" ] || { _c_die "cannot read $plugstack"; return 1; }
	[ -z "$extra" ] || [ -r "$extra" ] || { _c_die "cannot read $extra"; return 1; }
	[ -z "$extra" ] || extra=$(realpath "$extra")
	pid=$(_c_pidfile_pid "$dir/run/slurmctld.pid")
	if _c_ours "$pid" "$dir"; then
		_c_die "a cluster already runs in $dir (cluster.sh stop $dir first)"; return 1
	fi

	_c_ensure_packages || return 1

	# DIR and every parent we create: 755, so that the job user can reach
	# slurm.conf, plugstack.conf and the simulated sysfs.
	local d=$dir created=()
	while [ ! -e "$d" ]; do created+=("$d"); d=$(dirname "$d"); done
	mkdir -p "$dir" || return 1
	for d in "${created[@]}"; do chmod 755 "$d"; done
	chmod 755 "$dir"
	_c_remove_node_spool "$dir"
	rm -rf "$dir/spool" "$dir/run" "$dir/sys" "$dir/log"	# no stale state or log lines
	mkdir -p "$dir/etc" "$dir/spool/ctld" "$dir/log" "$dir/run" "$dir/out" "$dir/sys" || return 1
	_c_make_node_spool "$dir" || return 1
	chmod 755 "$dir/etc" "$dir/spool" "$dir/log" "$dir/run" "$dir/sys"
	chmod 1777 "$dir/out"
	if [ -n "$plugstack" ]; then
		cp "$plugstack" "$dir/etc/plugstack.conf" || return 1
	else
		: >"$dir/etc/plugstack.conf"
	fi
	chmod 644 "$dir/etc/plugstack.conf"

	_c_ensure_munge "$dir" || return 1
	_c_ensure_user || return 1
	su "$CLUSTER_USER" -s /bin/sh -c "test -r '$dir/etc/plugstack.conf' && test -w '$dir/out'" </dev/null 2>/dev/null ||
		_c_say "warning: user $CLUSTER_USER cannot reach $dir (a parent directory not searchable?)"

	for n in "${CLUSTER_NODES[@]}"; do
		/usr/bin/python3 "$EFASIM_PATH" create "$dir/sys/$n" --shape p4d </dev/null ||
			{ _c_die "efasim create $dir/sys/$n failed"; return 1; }
	done
	chmod -R a+rX "$dir/sys"

	# Pick the ports and start the daemons under a host-wide lock, so two
	# clusters starting at once cannot both pick the same free ports.
	exec {lockfd}>>"$CLUSTER_LOCK"
	flock -w 120 "$lockfd" || _c_say "warning: could not lock $CLUSTER_LOCK, going on"
	base=$(_c_pick_ports) || { exec {lockfd}>&-; _c_die "no free ports in $CLUSTER_PORT_MIN-$CLUSTER_PORT_MAX"; return 1; }
	_c_write_conf "$dir" "$base" "$extra" || { exec {lockfd}>&-; return 1; }
	cat >"$dir/env.sh" <<EOF
# . this file to talk to the test cluster in $dir
export SLURM_CONF='$dir/etc/slurm.conf'
export EFA_SLURM_DIR='$dir'
EOF
	chmod 644 "$dir/env.sh"

	local rc=0
	_c_start_slurmctld "$dir" && _c_wait_pidfiles "$dir" "$dir/run/slurmctld.pid" || rc=1
	if [ $rc = 0 ]; then
		for n in "${CLUSTER_NODES[@]}"; do _c_start_slurmd "$dir" "$n" || rc=1; done
		[ $rc = 0 ] && { _c_wait_pidfiles "$dir" $(_c_slurmd_pidfiles "$dir") || rc=1; }
	fi
	[ $rc = 0 ] && { _c_wait_idle "$dir" || { _c_say "nodes not idle after ${CLUSTER_START_TIMEOUT}s"; rc=1; }; }
	exec {lockfd}>&-
	if [ $rc != 0 ]; then
		_c_client "$dir" sinfo -N -o '%N %t %E' >&2 2>/dev/null
		_c_logs "$dir"
		_c_say "start failed; stopping what was started"
		cluster_stop "$dir" >/dev/null 2>&1
		return 1
	fi
	return 0
}

cluster_stop() {
	local dir pid left i
	dir=$(realpath -m "${1:?usage: cluster.sh stop DIR}")
	# Cancel the jobs first, so that slurmstepd ends them the usual way.
	pid=$(_c_pidfile_pid "$dir/run/slurmctld.pid")
	if _c_ours "$pid" "$dir" &&
		[ -n "$(_c_client "$dir" squeue -h -o %i 2>/dev/null)" ]; then
		_c_client "$dir" scancel $(_c_client "$dir" squeue -h -o %i 2>/dev/null) >/dev/null 2>&1
		i=$((SECONDS + 10))
		while [ $SECONDS -lt $i ] && [ -n "$(_c_client "$dir" squeue -h -o %i 2>/dev/null)" ]; do
			sleep 0.2
		done
	fi
	_c_stop_slurmds "$dir"
	_c_kill_wait "$dir" "$pid"
	# Daemons whose pid file is gone (or DIR removed under them).
	left=$(_c_daemons "$dir")
	[ -n "$left" ] && _c_kill_wait "$dir" $left
	# Whatever the jobs left: slurmstepd (e.g. stuck in a plugin) and tasks.
	left=$(_c_leftovers "$dir")
	if [ -n "$left" ]; then
		_c_say "killing leftover processes of $dir: $(echo $left)"
		kill -KILL $left 2>/dev/null
		for i in $(seq 50); do
			left=$(_c_leftovers "$dir")
			[ -z "$left" ] && break
			sleep 0.1
		done
	fi
	rm -f "$dir/run/slurmctld.pid" "$dir"/run/slurmd-*.pid 2>/dev/null
	left="$left $(_c_daemons "$dir")"
	[ -z "$(echo $left)" ] || { _c_die "processes of $dir survive SIGKILL: $(echo $left)"; return 1; }
	_c_remove_node_spool "$dir"
	return 0
}

cluster_reconfigure() {
	local dir all="" offs="" pid n
	dir=$(realpath -m "${1:?usage: cluster.sh reconfigure DIR [--all]}")
	[ "${2:-}" = --all ] && all=1
	pid=$(_c_pidfile_pid "$dir/run/slurmctld.pid")
	_c_ours "$pid" "$dir" || { _c_die "no cluster runs in $dir"; return 1; }
	_c_stop_slurmds "$dir"
	for n in "${CLUSTER_NODES[@]}"; do
		offs+="$n:$(stat -c %s "$dir/log/slurmd-$n.log" 2>/dev/null || echo 0) "
	done
	if [ -n "$all" ]; then
		_c_kill_wait "$dir" "$pid"
		# Without -c: keep the jobs and node state in StateSaveLocation.
		SLURM_CONF="$dir/etc/slurm.conf" _c_detached "$dir/log/slurmctld.out" \
			slurmctld -f "$dir/etc/slurm.conf" || { _c_die "slurmctld restart failed"; return 1; }
		_c_wait_pidfiles "$dir" "$dir/run/slurmctld.pid" || return 1
	fi
	local rc=0
	for n in "${CLUSTER_NODES[@]}"; do _c_start_slurmd "$dir" "$n" || rc=1; done
	[ $rc = 0 ] && { _c_wait_pidfiles "$dir" $(_c_slurmd_pidfiles "$dir") || rc=1; }
	[ $rc = 0 ] && _c_wait_idle "$dir" "$offs" || {
		_c_client "$dir" sinfo -N -o '%N %t %E' >&2 2>/dev/null
		_c_logs "$dir"
		_c_die "reconfigure failed (daemons or nodes not back within the time limits)"
		return 1
	}
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cmd=${1:-}
	[ $# -gt 0 ] && shift
	case "$cmd" in
	start) cluster_start "$@" ;;
	stop) cluster_stop "$@" ;;
	reconfigure) cluster_reconfigure "$@" ;;
	status) cluster_status "$@" ;;
	wait-job) cluster_wait_job "$@" ;;
	*) echo "usage: $0 start DIR [--plugstack FILE] [--extra-conf FILE] | stop DIR | reconfigure DIR [--all] | status DIR | wait-job DIR JOBID [SECONDS]" >&2; exit 2 ;;
	esac
	exit $?
fi
