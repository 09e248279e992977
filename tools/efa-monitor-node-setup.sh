#!/bin/bash
# efa-monitor-node-setup: install efa-monitor on a Slurm cluster node, for
# AWS ParallelCluster's OnNodeConfigured step (or any node bootstrap):
# the reporter, the SPANK plugin, the reporter's config, the plugstack.conf
# line, the node daemon's systemd service and logrotate snippet; the service
# is enabled and started only on nodes with an EFA device or an NVIDIA GPU.
#
# Idempotent: a second run changes nothing and says so. Files are compared
# before they are written, and replaced by rename (a running binary is never
# written over). Run `efa-monitor-node-setup --help` for the options.
#
# Exit status: 0 done (or nothing to do), 1 a step failed, 2 bad usage.
set -euo pipefail

# The installed copy (sbin/efa-monitor-node-setup) gets its build's paths
# here; the copy in the source tree leaves them empty.
INSTALLED_PREFIX=
INSTALLED_SYSCONFDIR=
INSTALLED_UNITDIR=

PROG="efa-monitor-node-setup"
UNIT="efa-monitor.service"
umask 022

usage() {
	cat <<EOF
Usage: $PROG [options] [SOURCE]

Install efa-monitor on this node. SOURCE is the release tarball
(efa-monitor-X.Y.Z.tar.gz from 'make dist') or an unpacked source tree: it is
built and installed unless that version is already installed.

  --from-build DIR   install from an existing, configured build directory
                     ('make install' into a staging directory, then copied)
  --no-build         use what is already installed (the default of the
                     installed copy of this script when no SOURCE is given)
  --reinstall        build and install SOURCE even if its version is installed
  --root DIR         install into DIR, a scratch root: every path is prefixed
                     with DIR, systemctl only edits DIR (enable), nothing is
                     started; says what would be started
  --prefix DIR       install prefix for SOURCE builds (default: /usr/local)
  --sysconfdir DIR   where efa-monitor.conf goes, for SOURCE builds (default: /etc)
  --slurm DIR        Slurm prefix holding include/slurm/spank.h, for SOURCE builds
                     (default: /opt/slurm when it has it, else the system's)
  --slurm-etc DIR    the directory of plugstack.conf (default: /opt/slurm/etc,
                     else /etc/slurm, whichever exists)
  --sysfs-root DIR   sysfs to look for EFA devices and NVIDIA GPUs (default: /sys)
  --enable-service, --force
                     enable and start efa-monitor.service on any node
  --no-service       do not enable or start the service (it is still installed)
  --log-file         the node daemon logs to /var/log/efa-monitor/efa_monitor.log
                     (a service drop-in; /var/log/efa_monitor.log links to it)
                     instead of the journal
  -j N               parallel build jobs (default: the number of CPUs)
  -h, --help         this help

By default the service is enabled and started when SYSFS has an RDMA device
driven by efa (or with the Amazon PCI vendor id) or an NVIDIA display or 3D
controller. Exit status: 0 done or nothing to do, 1 a step failed, 2 bad usage.
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit 1
}
usage_error() {
	printf '%s: %s (see --help)\n' "$PROG" "$*" >&2
	exit 2
}

# ------------------------------------------------------------- options --

SOURCE="" FROM_BUILD="" NO_BUILD=0 REINSTALL=0 ROOT="" PREFIX="" SYSCONFDIR_OPT=""
SLURM_DIR="" SLURM_ETC="" SYSFS=/sys SERVICE=auto LOG_FILE=0
JOBS=$(nproc 2>/dev/null || echo 1)

# takes_value "$@": the current option's value, from --opt=VALUE or the
# next word (then shifted too).
takes_value() {
	if [ $has_val = 0 ]; then
		[ $# -ge 2 ] || usage_error "$opt needs a value"
		val=$2
		shift_by=2
	fi
	[ -n "$val" ] || usage_error "$opt needs a non-empty value"
}
while [ $# -gt 0 ]; do
	opt=$1 val="" has_val=0 shift_by=1
	case $opt in
	--*=*)
		val=${opt#*=}
		opt=${opt%%=*}
		has_val=1
		;;
	esac
	case $opt in
	--from-build) takes_value "$@"; FROM_BUILD=$val ;;
	--no-build) NO_BUILD=1 ;;
	--reinstall) REINSTALL=1 ;;
	--root) takes_value "$@"; ROOT=$val ;;
	--prefix) takes_value "$@"; PREFIX=$val ;;
	--sysconfdir) takes_value "$@"; SYSCONFDIR_OPT=$val ;;
	--slurm) takes_value "$@"; SLURM_DIR=$val ;;
	--slurm-etc) takes_value "$@"; SLURM_ETC=$val ;;
	--sysfs-root) takes_value "$@"; SYSFS=$val ;;
	--enable-service | --force) SERVICE=yes ;;
	--no-service) SERVICE=no ;;
	--log-file) LOG_FILE=1 ;;
	-j) takes_value "$@"; JOBS=$val ;;
	-h | --help)
		usage
		exit 0
		;;
	-*) usage_error "unknown option '$opt'" ;;
	*)
		[ -z "$SOURCE" ] || usage_error "one SOURCE only ('$SOURCE', then '$opt')"
		SOURCE=$opt
		;;
	esac
	case $opt in
	--no-build | --reinstall | --enable-service | --force | --no-service | --log-file)
		[ $has_val = 0 ] || usage_error "$opt takes no value"
		;;
	esac
	shift "$shift_by"
done

modes=0
[ -z "$SOURCE" ] || modes=$((modes + 1))
[ -z "$FROM_BUILD" ] || modes=$((modes + 1))
[ $NO_BUILD = 0 ] || modes=$((modes + 1))
[ $modes -le 1 ] || usage_error "give one of SOURCE, --from-build DIR and --no-build"
if [ $modes = 0 ]; then
	[ -n "$INSTALLED_PREFIX" ] ||
		usage_error "nothing to install: give a tarball or source tree, --from-build DIR or --no-build"
	NO_BUILD=1
fi
case $JOBS in '' | *[!0-9]* | 0) usage_error "-j needs a positive number, not '$JOBS'" ;; esac
for v in ROOT PREFIX SYSCONFDIR_OPT SLURM_ETC; do
	p=${!v}
	[ -z "$p" ] || [ "${p#/}" != "$p" ] || usage_error "paths must be absolute: '$p'"
done
if [ -n "$ROOT" ]; then
	mkdir -p "$ROOT" || die "cannot create the root $ROOT"
	ROOT=$(cd "$ROOT" && pwd)
	[ "$ROOT" != / ] || ROOT=""
fi
if [ -z "$ROOT" ] && [ "$(id -u)" != 0 ]; then
	die "installing on this node needs root (or --root DIR to install into a scratch root)"
fi
R=$ROOT # prefix of every path written

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$PROG.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

CHANGES=0          # what this run changed
SERVICE_CHANGED=0  # the daemon's binary, unit, drop-in or config changed: restart it
changed() {
	CHANGES=$((CHANGES + 1))
	say "$*"
}

# ---------------------------------------------------------- file helpers --

# same_file SRC DST: DST is a regular file with SRC's bytes and mode.
same_file() {
	[ -f "$2" ] && [ ! -L "$2" ] && cmp -s "$1" "$2" &&
		[ "$(stat -c %a "$1")" = "$(stat -c %a "$2")" ]
}

# put_file SRC DST [MODE]: copy SRC to DST unless it is already there;
# replaced by rename so that readers (and a running program) never see a
# half-written file. Returns 0 when DST changed, 1 when it was already right.
put_file() {
	local src=$1 dst=$2 mode=${3:-} tmp
	if [ -n "$mode" ]; then
		cp "$src" "$WORK/put" && chmod "$mode" "$WORK/put"
		src=$WORK/put
	fi
	if same_file "$src" "$dst"; then
		return 1
	fi
	mkdir -p "$(dirname "$dst")"
	tmp=$(mktemp "$(dirname "$dst")/.${dst##*/}.XXXXXX")
	if ! { cp "$src" "$tmp" && chmod "$(stat -c %a "$src")" "$tmp" && mv -f "$tmp" "$dst"; }; then
		rm -f "$tmp"
		die "cannot write $dst"
	fi
	return 0
}

# put_link TARGET LINK: LINK -> TARGET unless it already is. 0 when changed.
put_link() {
	if [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; then
		return 1
	fi
	[ ! -e "$2" ] || [ -L "$2" ] || die "$2 exists and is not a link: left alone"
	mkdir -p "$(dirname "$2")"
	ln -sfn "$1" "$2"
	return 0
}

# sync_tree STAGE: copy a staged 'make install' into the root, only what
# differs. Sets SYNC_NEW, SYNC_SAME; marks the service changed when any of
# its files did.
sync_tree() {
	local stage=$1 rel kind
	SYNC_NEW=0 SYNC_SAME=0
	while IFS= read -r -d '' rel; do
		rel=${rel#./}
		if [ -L "$stage/$rel" ]; then
			kind="link"
			put_link "$(readlink "$stage/$rel")" "$R/$rel" || kind=same
		elif [ -d "$stage/$rel" ]; then
			[ -d "$R/$rel" ] || install -d -m "$(stat -c %a "$stage/$rel")" "$R/$rel"
			continue
		else
			kind="file"
			put_file "$stage/$rel" "$R/$rel" || kind=same
		fi
		if [ $kind = same ]; then
			SYNC_SAME=$((SYNC_SAME + 1))
		else
			SYNC_NEW=$((SYNC_NEW + 1))
			changed "installed /$rel"
			case $rel in */efa-monitor | *.service) SERVICE_CHANGED=1 ;; esac
		fi
	done < <(cd "$stage" && find . -mindepth 1 -print0 | sort -z)
}

# run_logged LOG WHAT CMD...: run CMD with its output in LOG; on failure
# show the end of LOG and stop.
run_logged() {
	local log=$1 what=$2
	shift 2
	if ! "$@" >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "$what failed (the lines above are the end of its output)"
	fi
}

# ----------------------------------------------------------------- paths --

# The paths of an installation: BINDIR DATADIR SYSCONFDIR UNITDIR VERSION.
BINDIR="" DATADIR="" SYSCONFDIR="" UNITDIR="" VERSION=""

# build_paths DIR: read them from a configured build directory's Makefile
# (into a file: make may say things on stdout, such as remaking a Makefile).
build_paths() {
	rm -f "$WORK/paths"
	make -s --no-print-directory -C "$1" -f Makefile -f - efa_monitor_paths \
		EFAM_PATHS="$WORK/paths" >>"$WORK/install.log" 2>&1 <<'EOF' ||
efa_monitor_paths:
	@echo "BINDIR='$(bindir)'" > "$(EFAM_PATHS)"
	@echo "DATADIR='$(datadir)'" >> "$(EFAM_PATHS)"
	@echo "SYSCONFDIR='$(sysconfdir)'" >> "$(EFAM_PATHS)"
	@echo "UNITDIR='$(systemdsystemunitdir)'" >> "$(EFAM_PATHS)"
	@echo "VERSION='$(VERSION)'" >> "$(EFAM_PATHS)"
EOF
		{ tail -n 20 "$WORK/install.log" >&2; die "cannot read the install paths of the build in $1"; }
	[ -s "$WORK/paths" ] || die "cannot read the install paths of the build in $1"
	# shellcheck disable=SC1091 # written just above
	. "$WORK/paths"
}

# installed_version BIN: "X.Y.Z" of an installed efa-monitor, or nothing.
installed_version() {
	[ -x "$1" ] || return 0
	"$1" version 2>/dev/null | awk '$1 == "efa-monitor" { print $2 }' || true
}

# installed_paths PREFIX: the paths of an efa-monitor installed under
# PREFIX (in the root); its configuration file is the one it reads by
# default, which it names in its --help.
installed_paths() {
	local prefix=$1 d
	BINDIR=$prefix/bin
	DATADIR=$prefix/share
	[ -x "$R$BINDIR/efa-monitor" ] || die "no efa-monitor in $R$BINDIR (install it first, or give SOURCE)"
	VERSION=$(installed_version "$R$BINDIR/efa-monitor")
	[ -n "$VERSION" ] || die "$R$BINDIR/efa-monitor does not run ('efa-monitor version' failed)"
	SYSCONFDIR=$("$R$BINDIR/efa-monitor" --help |
		sed -n 's|.*key of the config file, \(/.*\)/efa-monitor\.conf).*|\1|p')
	[ -n "$SYSCONFDIR" ] || die "cannot tell which config file $R$BINDIR/efa-monitor reads"
	UNITDIR=no
	for d in ${INSTALLED_UNITDIR:+"$INSTALLED_UNITDIR"} "$prefix/lib/systemd/system" \
		/etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
		[ "$d" != no ] || continue
		if [ -f "$R$d/$UNIT" ]; then
			UNITDIR=$d
			break
		fi
	done
}

# ----------------------------------------------------------- installing --

# A source tree's or tarball's version, from its name or its configure.
source_version() {
	local src=$1 top
	if [ -d "$src" ]; then
		sed -n "s/^PACKAGE_VERSION='\(.*\)'$/\1/p" "$src/configure" | head -n 1
		return
	fi
	# The first top-level directory the tarball holds ('make dist' makes one).
	top=$(tar -tf "$src" 2>/dev/null | awk -F/ '{ sub(/^\.\//, "") } $1 != "" && $1 != "." { print $1; exit }') || true
	case $top in efa-monitor-[0-9]*) echo "${top#efa-monitor-}" ;; esac
}

# build_source SRC: configure and build SRC in a scratch directory; sets
# FROM_BUILD to it.
build_source() {
	local src=$1 srcdir log=$WORK/build.log flags=()
	if [ -d "$src" ]; then
		srcdir=$(cd "$src" && pwd)
	else
		mkdir "$WORK/src"
		tar -xf "$src" -C "$WORK/src" || die "cannot unpack $src"
		srcdir=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	fi
	[ -x "$srcdir/configure" ] || die "$src has no configure script (a git checkout needs 'autoreconf -fi' first)"
	flags=(--prefix="$PREFIX" --sysconfdir="$SYSCONFDIR_OPT" --with-systemdsystemunitdir="$(unit_dir_for "$PREFIX")")
	if [ -n "$SLURM_DIR" ]; then
		flags+=(--with-slurm="$SLURM_DIR")
	elif [ -f /opt/slurm/include/slurm/spank.h ]; then
		flags+=(--with-slurm=/opt/slurm)
	fi
	mkdir "$WORK/build"
	say "building efa-monitor from $src"
	(cd "$WORK/build" && run_logged "$log" "configure" "$srcdir/configure" "${flags[@]}")
	run_logged "$log" "the build" make -C "$WORK/build" -j "$JOBS"
	FROM_BUILD=$WORK/build
}

# unit_dir_for PREFIX: where the unit goes for a build with that prefix: a
# directory systemd searches.
unit_dir_for() {
	case $1 in
	/usr | /usr/local) echo "$1/lib/systemd/system" ;;
	*) echo /etc/systemd/system ;;
	esac
}

# install_build DIR: 'make install' into a staging directory, then copy
# into the root what differs.
install_build() {
	local dir=$1
	[ -f "$dir/Makefile" ] || die "$dir is not a configured build directory (no Makefile)"
	build_paths "$dir"
	run_logged "$WORK/install.log" "make install" \
		make -C "$dir" install DESTDIR="$WORK/stage"
	sync_tree "$WORK/stage"
	if [ $SYNC_NEW = 0 ]; then
		say "efa-monitor $VERSION already installed ($SYNC_SAME files unchanged)"
	else
		say "efa-monitor $VERSION: $SYNC_NEW files installed, $SYNC_SAME unchanged"
	fi
}

PREFIX=${PREFIX:-${INSTALLED_PREFIX:-/usr/local}}
SYSCONFDIR_OPT=${SYSCONFDIR_OPT:-${INSTALLED_SYSCONFDIR:-/etc}}

if [ -n "$SOURCE" ]; then
	[ -e "$SOURCE" ] || die "$SOURCE does not exist"
	want=$(source_version "$SOURCE")
	[ -n "$want" ] || die "$SOURCE is neither an efa-monitor tarball nor a source tree"
	have=$(installed_version "$R$PREFIX/bin/efa-monitor")
	if [ "$have" = "$want" ] && [ $REINSTALL = 0 ]; then
		say "efa-monitor $want already installed in $R$PREFIX: not building it again (--reinstall to do so)"
		NO_BUILD=1
	else
		build_source "$SOURCE"
	fi
fi
if [ -n "$FROM_BUILD" ]; then
	[ -d "$FROM_BUILD" ] || die "$FROM_BUILD is not a directory"
	install_build "$(cd "$FROM_BUILD" && pwd)"
else
	installed_paths "$PREFIX"
	[ -n "$SOURCE" ] || say "using efa-monitor $VERSION installed in $R$PREFIX"
fi

SHARE=$DATADIR/efa-monitor
for f in efa-monitor.conf.example efa-monitor.conf.plugstack efa-monitor.logrotate efa-monitor-log-file.conf; do
	[ -f "$R$SHARE/$f" ] || die "$R$SHARE/$f is missing: the installation is incomplete"
done

# ----------------------------------------------------------- the config --

CONF=$SYSCONFDIR/efa-monitor.conf
if [ -e "$R$CONF" ]; then
	say "kept $CONF (never overwritten)"
elif put_file "$R$SHARE/efa-monitor.conf.example" "$R$CONF" 644; then
	changed "installed $CONF (every key commented out: the defaults)"
	SERVICE_CHANGED=1
fi

# ------------------------------------------------------ plugstack.conf --

# A plugstack line that loads our plugin.
PLUGIN_LINE='^[[:space:]]*(optional|required)[[:space:]]+[^[:space:]]*spank_efa_monitor\.so'

# loaded_elsewhere OURS FILE...: a FILE other than OURS loads the plugin.
loaded_elsewhere() {
	local ours=$1 f
	shift
	for f in "$@"; do
		[ "$f" != "$ours" ] && [ -f "$f" ] && grep -qE "$PLUGIN_LINE" "$f" && return 0
	done
	return 1
}

# The plugin's line, from the installed snippet that has this build's paths.
plugstack() {
	local snippet=$R$SHARE/efa-monitor.conf.plugstack line plugin etc conf dropdir target pat
	line=$(grep -E '^[[:space:]]*(optional|required)[[:space:]]' "$snippet" | head -n 1) || true
	[ -n "$line" ] || die "$snippet has no plugin line"
	plugin=$(awk '{ print $2 }' <<<"$line")
	if [ ! -f "$R$plugin" ]; then
		warn "the SPANK plugin $plugin is not installed (built without Slurm's headers?): plugstack.conf left alone"
		return
	fi
	if [ -n "$SLURM_ETC" ]; then
		etc=$SLURM_ETC
	elif [ -d "$R/opt/slurm/etc" ]; then
		etc=/opt/slurm/etc # ParallelCluster
	elif [ -d "$R/etc/slurm" ]; then
		etc=/etc/slurm
	else
		warn "no Slurm configuration directory (/opt/slurm/etc, /etc/slurm; --slurm-etc DIR): plugstack.conf left alone"
		return
	fi
	[ -d "$R$etc" ] || die "--slurm-etc $etc: no such directory"
	conf=$etc/plugstack.conf
	dropdir=$etc/plugstack.conf.d
	target=$dropdir/efa-monitor.conf

	# plugstack.conf includes plugstack.conf.d/* (Debian's, ParallelCluster's
	# with pyxis), and our file name matches the include: our own file there.
	if [ -d "$R$dropdir" ] && [ -f "$R$conf" ]; then
		while read -r pat; do
			# shellcheck disable=SC2053 # the include is a glob
			if [[ $target == $pat ]]; then
				if loaded_elsewhere "$R$target" "$R$conf" "$R$dropdir"/*; then
					say "the plugin is already loaded by another file in $etc: plugstack left alone"
				elif put_file "$snippet" "$R$target" 644; then
					changed "installed $target (restart slurmd to load the plugin)"
				else
					say "$target already in place"
				fi
				return
			fi
		done < <(awk '$1 == "include" { print $2 }' "$R$conf")
	fi

	# Else one line in plugstack.conf, appended under a lock: on
	# ParallelCluster /opt/slurm/etc is shared by every node.
	mkdir -p "$R$etc"
	exec 9>>"$R$conf"
	if command -v flock >/dev/null 2>&1; then
		flock -w 60 9 || die "cannot lock $conf"
	fi
	if grep -qE "$PLUGIN_LINE" "$R$conf"; then
		say "$conf already loads the plugin"
	else
		printf '# efa-monitor: srun|sbatch|salloc --efa-monitor (added by %s; see %s)\n%s\n' \
			"$PROG" "$SHARE/efa-monitor.conf.plugstack" "$line" >&9
		changed "added the plugin to $conf (restart slurmd to load it)"
	fi
	exec 9>&-
}
plugstack

# ---------------------------------------------- logrotate and log file --

if put_file "$R$SHARE/efa-monitor.logrotate" "$R/etc/logrotate.d/efa-monitor" 644; then
	changed "installed /etc/logrotate.d/efa-monitor"
fi
if [ $LOG_FILE = 1 ]; then
	dropin=/etc/systemd/system/$UNIT.d/log-file.conf
	if put_file "$R$SHARE/efa-monitor-log-file.conf" "$R$dropin" 644; then
		changed "installed $dropin: the daemon logs to /var/log/efa-monitor/efa_monitor.log"
		SERVICE_CHANGED=1
	fi
	# The seed daemon's path, for whatever reads it (a CloudWatch agent's
	# log collection): a link to the file in the service's LogsDirectory.
	if put_link efa-monitor/efa_monitor.log "$R/var/log/efa_monitor.log"; then
		changed "linked /var/log/efa_monitor.log -> efa-monitor/efa_monitor.log"
	fi
fi

# ------------------------------------------------------------ the service --

# detect: what makes this a node to monitor, in DETECTED ("" for nothing).
detect() {
	local d drv vendor class efa=() gpu=()
	for d in "$SYSFS"/class/infiniband/*; do
		[ -e "$d" ] || continue
		drv=$(readlink "$d/device/driver" 2>/dev/null) || drv=""
		vendor=$(cat "$d/device/vendor" 2>/dev/null) || vendor=""
		if [ "${drv##*/}" = efa ] || [ "$vendor" = 0x1d0f ]; then
			efa+=("${d##*/}")
		fi
	done
	for d in "$SYSFS"/bus/pci/devices/*; do
		[ -e "$d" ] || continue
		vendor=$(cat "$d/vendor" 2>/dev/null) || vendor=""
		class=$(cat "$d/class" 2>/dev/null) || class=""
		# 0x0300: VGA controller, 0x0302: 3D controller (A100, H100, ...).
		if [ "$vendor" = 0x10de ]; then
			case $class in 0x0300* | 0x0302*) gpu+=("${d##*/}") ;; esac
		fi
	done
	DETECTED=""
	[ ${#efa[@]} = 0 ] || DETECTED="${#efa[@]} EFA device(s) (${efa[*]})"
	[ ${#gpu[@]} = 0 ] || DETECTED="${DETECTED:+$DETECTED, }${#gpu[@]} NVIDIA GPU(s) (${gpu[*]})"
}

setup_service() {
	local why out
	if [ "$UNITDIR" = no ] || [ ! -f "$R$UNITDIR/$UNIT" ]; then
		warn "$UNIT is not installed (built --without-systemdsystemunitdir?): no service"
		return
	fi
	case $SERVICE in
	no)
		say "$UNIT installed, not enabled (--no-service)"
		return
		;;
	yes) why="--enable-service" ;;
	auto)
		detect
		if [ -z "$DETECTED" ]; then
			say "no EFA device or NVIDIA GPU under $SYSFS: $UNIT installed, not enabled (--enable-service to enable it anyway)"
			return
		fi
		why=$DETECTED
		;;
	esac
	say "monitoring this node: $why"

	if [ -n "$ROOT" ]; then
		enable_in_root
		say "--root: would start $UNIT now (not started: nothing runs under --root)"
		return
	fi
	if [ ! -d /run/systemd/system ]; then
		enable_in_root
		say "systemd is not running here (PID 1 is $(ps -o comm= -p 1 2>/dev/null || echo unknown)): $UNIT starts at the next boot"
		return
	fi
	[ $SERVICE_CHANGED = 0 ] || systemctl daemon-reload
	enable_in_root
	if systemctl -q is-active "$UNIT"; then
		if [ $SERVICE_CHANGED = 1 ]; then
			systemctl restart "$UNIT" || die "systemctl restart $UNIT failed (journalctl -u efa-monitor)"
			changed "restarted $UNIT (its files changed)"
		else
			say "$UNIT already running"
		fi
	else
		out=$(systemctl start "$UNIT" 2>&1) || die "systemctl start $UNIT failed: $out (journalctl -u efa-monitor)"
		changed "started $UNIT"
	fi
}

# enable_in_root: the WantedBy= link, made by systemctl itself (under
# --root only in the root's /etc; no running systemd needed). Given the
# unit's path, systemctl also links a unit outside its search path (a
# --prefix of /opt/...) into /etc/systemd/system.
enable_in_root() {
	local args=() state out
	[ -z "$ROOT" ] || args=(--root="$ROOT")
	if ! command -v systemctl >/dev/null 2>&1; then
		if put_link "$UNITDIR/$UNIT" "$R/etc/systemd/system/multi-user.target.wants/$UNIT"; then
			case $UNITDIR in
			/etc/systemd/system | /usr/local/lib/systemd/system | /usr/lib/systemd/system | /lib/systemd/system) ;;
			*) put_link "$UNITDIR/$UNIT" "$R/etc/systemd/system/$UNIT" || true ;;
			esac
			changed "enabled $UNIT (linked into multi-user.target.wants)"
		else
			say "$UNIT already enabled"
		fi
		return
	fi
	state=$(systemctl "${args[@]}" is-enabled "$UNIT" 2>/dev/null) || true
	if [ "$state" = enabled ]; then
		say "$UNIT already enabled"
		return
	fi
	out=$(systemctl "${args[@]}" enable "$UNITDIR/$UNIT" 2>&1) || die "systemctl enable $UNITDIR/$UNIT failed: $out"
	changed "enabled $UNIT"
}
setup_service

if [ $CHANGES = 0 ]; then
	say "nothing to do: everything already in place"
else
	say "done: $CHANGES change(s)"
fi
