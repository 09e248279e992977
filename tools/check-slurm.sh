#!/bin/bash
# Run the SPANK plugin's real-cluster tests (tests/slurm/smoke.sh and every
# tests/slurm/t-*.sh) against a given Slurm release:
#
#   tools/check-slurm.sh 22.05|24.11|26.05|all ...
#
# 22.05 is this host's own Slurm (Debian 12). 24.11 (Debian trixie) and
# 26.05 (Debian sid) each run in a Debian root of their own, built once with
# mmdebstrap from the Debian mirror this host's apt sources name, and cached
# under $EFA_ROOTS (default /var/cache/efa-monitor/roots/slurm-RELEASE): a
# second run reuses it. Slurm loads only plugins built against its own
# major.minor, so the project is built inside each root, against that
# root's headers, in build/slurm-RELEASE of the source tree (a copy of the
# sources, autoreconf'd and configured there), and the tests run there
# with that root's slurmctld, slurmd and munged. Nothing is written outside
# the roots and build/slurm-RELEASE.
#
# Each root runs in a private mount namespace (/proc, /sys, /dev and the
# build tree bound in; the kernel drops the mounts when the last process of
# the namespace exits, however the run ends). Its clusters take ports from
# a range of their own (cluster.sh's lock file lives in each root's /tmp,
# so it cannot keep a root's cluster and the host's apart).
#
# Prints per test "slurm R NAME: N passed, M failed" and per release a
# closing "slurm R: N passed, M failed" (an "ok N -" line is a pass; a
# "FAIL" line, or a non-zero exit without one, a failure; exit 77 a skip).
# Exits non-zero if anything failed. Needs root.
#
# Environment: EFA_ROOTS (cache directory), EFA_DEBIAN_MIRROR (override
# the mirror taken from the apt sources), EFA_ROOT_REBUILD=1 (build the
# roots afresh), EFA_TEST_TIMEOUT (seconds per test script, default 1200),
# KEEP=1 (keep the tests' cluster directories).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$top/configure.ac" ] && [ -f "$top/tests/slurm/cluster.sh" ] ||
	{ echo "check-slurm: $top is not the efa-monitor source tree" >&2; exit 2; }
ROOTS=${EFA_ROOTS:-/var/cache/efa-monitor/roots}
TEST_TIMEOUT=${EFA_TEST_TIMEOUT:-1200}

# What a root holds: Slurm and munge, and what the project needs to build
# and test (tools/deps.sh, less what only the host's tests and demo use).
ROOT_PACKAGES=(
	slurm-wlm slurmctld slurmd libslurm-dev munge
	autoconf automake libtool pkg-config make gcc libc6-dev
	libcurl4-openssl-dev libssl-dev libcjson-dev zlib1g-dev
	python3 python3-botocore procps iproute2 hostname
)

say() { echo "check-slurm: $*" >&2; }
die() { say "error: $*"; exit 2; }

usage() { echo "usage: $0 22.05|24.11|26.05|all ..." >&2; exit 2; }

# suite RELEASE: the Debian suite that ships it (empty: this host's).
suite_of() {
	case "$1" in
	22.05) echo "" ;;
	24.11) echo trixie ;;
	26.05) echo sid ;;
	*) return 1 ;;
	esac
}

# Port ranges for the clusters, one per release, apart from the host's
# (cluster.sh's default 17000-27000) and below the ephemeral range.
ports_of() {
	case "$1" in
	22.05) echo "17000 27000" ;;
	24.11) echo "27000 29500" ;;
	26.05) echo "29500 32000" ;;
	esac
}

# The Debian mirror this host's apt sources use (the first non-security
# source of the host's release), unless EFA_DEBIAN_MIRROR says otherwise.
debian_mirror() {
	local codename f u
	if [ -n "${EFA_DEBIAN_MIRROR:-}" ]; then echo "$EFA_DEBIAN_MIRROR"; return 0; fi
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		u=$(sed -e 's/#.*//' -e 's/\[[^]]*\]//g' "$f" |
			awk -v c="$codename" '$1 == "deb" && ($3 == c || c == "") && $2 !~ /security/ { print $2; exit }')
		[ -n "$u" ] && { echo "$u"; return 0; }
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822: blank-line separated stanzas of "Key: value".
		u=$(awk -v c="$codename" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (c == "" || (" " suites " ") ~ (" " c " ")) && uris !~ /security/ && uris != "" && !done) {
					split(uris, a, " "); print a[1]; done = 1
				}
				types = suites = uris = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "uris:" { $1 = ""; uris = $0; sub(/^ +/, "", uris) }
			END { flush() }' "$f")
		[ -n "$u" ] && { echo "$u"; return 0; }
	done
	return 1
}

# A root is complete when it holds this stamp: its suite and package list.
root_stamp() { echo "efa-monitor slurm root: suite $1; packages: ${ROOT_PACKAGES[*]}"; }

# build_root RELEASE: make (or reuse) the cached root of RELEASE. Serialised
# per release by a lock, so concurrent runs build it once.
build_root() {
	local rel=$1 suite dir stamp mirror lockfd t ver
	suite=$(suite_of "$rel")
	dir="$ROOTS/slurm-$rel"
	stamp=$(root_stamp "$suite")
	mkdir -p "$ROOTS" || return 1
	exec {lockfd}>>"$ROOTS/slurm-$rel.build.lock"
	flock -w 3600 "$lockfd" || { say "cannot lock $ROOTS/slurm-$rel.build.lock"; return 1; }
	if [ -z "${EFA_ROOT_REBUILD:-}" ] && [ "$(cat "$dir/.efa-monitor-root" 2>/dev/null)" = "$stamp" ]; then
		exec {lockfd}>&-
		say "slurm $rel: cached root $dir"
		return 0
	fi
	command -v mmdebstrap >/dev/null || {
		say "installing mmdebstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap </dev/null >/dev/null ||
			{ apt-get update -qq </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap </dev/null >/dev/null; } ||
			{ exec {lockfd}>&-; say "cannot install mmdebstrap"; return 1; }
	}
	mirror=$(debian_mirror) || { exec {lockfd}>&-; say "no Debian mirror in the apt sources (set EFA_DEBIAN_MIRROR)"; return 1; }
	say "slurm $rel: building the root $dir (Debian $suite; a few minutes, a few hundred MB)"
	t=$SECONDS
	rm -rf -- "$dir.new"
	# sid's Release file carries a Valid-Until date, which a mirror that is
	# a snapshot of the archive can be past.
	if ! mmdebstrap --variant=minbase --include="$(IFS=,; echo "${ROOT_PACKAGES[*]}")" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		"$suite" "$dir.new" "$mirror" </dev/null >"$ROOTS/slurm-$rel.build.log" 2>&1; then
		tail -n 20 "$ROOTS/slurm-$rel.build.log" >&2
		rm -rf -- "$dir.new"
		exec {lockfd}>&-
		say "slurm $rel: mmdebstrap failed (log: $ROOTS/slurm-$rel.build.log)"
		return 1
	fi
	ver=$(chroot "$dir.new" dpkg-query -W -f '${Version}' slurmd 2>/dev/null)
	case "$ver" in
	"$rel".*) ;;
	*)
		rm -rf -- "$dir.new"
		exec {lockfd}>&-
		say "slurm $rel: Debian $suite has slurmd '$ver', not $rel"
		return 1 ;;
	esac
	echo "$stamp" >"$dir.new/.efa-monitor-root"
	rm -rf -- "$dir" && mv -- "$dir.new" "$dir" || { exec {lockfd}>&-; return 1; }
	exec {lockfd}>&-
	say "slurm $rel: root built in $((SECONDS - t)) s (slurmd $ver, $(du -sh "$dir" | cut -f1))"
}

# in_root ROOT BUILD CMD...: run CMD as root inside ROOT ("" for the host)
# with a clean environment, in a private mount namespace where /proc, /sys,
# /dev and BUILD (at its own path) are bound in.
in_root() {
	local root=$1 build=$2
	shift 2
	if [ -z "$root" ]; then
		"$@"
		return
	fi
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		r=$1 b=$2
		shift 2
		mount --rbind /proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mkdir -p "$r$b"
		mount --bind "$b" "$r$b"
		exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			${CLUSTER_PORT_MIN:+CLUSTER_PORT_MIN=$CLUSTER_PORT_MIN} \
			${CLUSTER_PORT_MAX:+CLUSTER_PORT_MAX=$CLUSTER_PORT_MAX} \
			${KEEP:+KEEP=$KEEP} "$@"' in_root "$root" "$build" "$@"
}

# copy_sources DEST: the project's sources (tracked and untracked, not
# ignored; without git: all but build/ and .git) into DEST.
copy_sources() {
	local dest=$1
	mkdir -p "$dest" || return 1
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -xf - -C "$dest"
	else
		(cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$dest"
	fi
}

# build_project RELEASE ROOT BUILD: the project, built for RELEASE in BUILD/src.
build_project() {
	local rel=$1 root=$2 build=$3 t=$SECONDS
	rm -rf -- "$build" && mkdir -p "$build" && chmod 755 "$build" || return 1
	copy_sources "$build/src" || { say "cannot copy the sources to $build/src"; return 1; }
	in_root "$root" "$build" /bin/sh -c '
		cd "$1/src" &&
		{ autoreconf -fi >"$1/build.log" 2>&1 &&
		  ./configure --with-slurm=/usr --enable-werror >>"$1/build.log" 2>&1 &&
		  make -j2 >>"$1/build.log" 2>&1; } || { tail -n 30 "$1/build.log"; exit 1; }
		slurmd -V
	' build "$build" >"$build/version" || { cat "$build/version" >&2; say "slurm $rel: build failed (log: $build/build.log)"; return 1; }
	[ -f "$build/src/spank/.libs/spank_efa_monitor.so" ] || { say "slurm $rel: the plugin was not built (no slurm/spank.h?)"; return 1; }
	say "slurm $rel: built for $(cat "$build/version") in $((SECONDS - t)) s"
}

# run_tests RELEASE ROOT BUILD: every test script; sets PASSED, FAILED.
run_tests() {
	local rel=$1 root=$2 build=$3 src t p f rc name log
	src="$build/src"
	PASSED=0 FAILED=0
	mkdir -p "$src/tests/tmp"
	for t in "$src/tests/slurm/smoke.sh" "$src"/tests/slurm/t-*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		log="$build/$name.log"
		local t0=$SECONDS
		in_root "$root" "$build" /usr/bin/timeout -k 30 "$TEST_TIMEOUT" /usr/bin/env \
			EFASIM="/usr/bin/python3 $src/tests/efasim" \
			EFA_MONITOR="$src/reporter/efa-monitor" \
			TEST_TMPDIR="$src/tests/tmp" srcdir="$src" \
			/bin/bash "$t" </dev/null >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok [0-9]' "$log")
		f=$(grep -c '^FAIL' "$log")
		if [ $rc = 77 ]; then
			echo "slurm $rel $name: skipped ($(grep -m1 -i 'skip' "$log"))"
			continue
		fi
		[ $rc != 0 ] && [ "$f" = 0 ] && f=1
		echo "slurm $rel $name: $p passed, $f failed ($((SECONDS - t0)) s)"
		if [ "$f" != 0 ]; then
			[ $rc = 124 ] && echo "    (timed out after $TEST_TIMEOUT s)"
			tail -n 30 "$log" | sed 's/^/    /'
		fi
		PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
	done
}

check_release() {
	local rel=$1 root="" build lo hi t0=$SECONDS
	build="$top/build/slurm-$rel"
	read -r lo hi < <(ports_of "$rel")
	export CLUSTER_PORT_MIN=$lo CLUSTER_PORT_MAX=$hi
	if [ -n "$(suite_of "$rel")" ]; then
		build_root "$rel" || { echo "slurm $rel: 0 passed, 1 failed"; return 1; }
		root="$ROOTS/slurm-$rel"
	fi
	build_project "$rel" "$root" "$build" || { echo "slurm $rel: 0 passed, 1 failed"; return 1; }
	run_tests "$rel" "$root" "$build"
	[ -n "$root" ] && stop_root_munge "$root"
	say "slurm $rel: $((SECONDS - t0)) s in all"
	echo "slurm $rel: $PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

# The root's munged, which cluster.sh leaves running for the next cluster:
# stopped after the tests unless another run is using the root.
stop_root_munge() {
	local root=$1 pid
	pid=$(tr -dc '0-9' <"$root/run/munge/munged.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	[ "$(readlink "/proc/$pid/root")" = "$root" ] || return 0
	pgrep -x slurmd >/dev/null && for p in $(pgrep -x slurmd); do
		[ "$(readlink "/proc/$p/root")" = "$root" ] && return 0	# another run's cluster
	done
	kill -TERM "$pid" 2>/dev/null
}

main() {
	local a rel status=0 releases=()
	[ $# -ge 1 ] || usage
	[ "$(id -u)" = 0 ] || die "needs root (it builds roots and starts slurmd)"
	for a in "$@"; do
		case "$a" in
		all) releases+=(22.05 24.11 26.05) ;;
		22.05|24.11|26.05) releases+=("$a") ;;
		*) usage ;;
		esac
	done
	for rel in "${releases[@]}"; do
		check_release "$rel" || status=1
	done
	return $status
}

# One line, read whole before it runs: editing this file during a run
# cannot change what the run does.
main "$@"; exit $?
