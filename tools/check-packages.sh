#!/bin/bash
# Build and check efa-monitor's packages on this Debian machine:
#   1. the man pages pass mandoc -T lint;
#   2. 'make dist' makes the tarball, with efa-monitor.spec (its Version
#      configure.ac's), the man pages and debian/ in it;
#   3. dpkg-buildpackage -us -uc -b builds efa-monitor and efa-monitor-slurm
#      from the unpacked tarball (a clean tree), and lintian finds no error
#      and no warning in them;
#   4. the packages install; the plugin is not loaded until its plugstack
#      line is uncommented; tests/slurm/smoke.sh passes with EFA_MONITOR and
#      EFA_PLUGIN naming the installed files; on the same real 3-node Slurm
#      the installed plugin (enabled from the shipped conffile) runs the
#      installed reporter and srun prints exact totals;
#   5. dpkg -r, then dpkg -P, leave nothing of what dpkg -L listed, no
#      configuration, log or state directory, no new user or group;
#   6. rpmbuild -ta builds the RPMs (efa-monitor, efa-monitor-slurm, the
#      source RPM) from the same tarball, against this machine's libraries
#      (--nodeps: Debian's rpm database is empty), and rpmlint reports no
#      message that this script does not explain (each is printed with why
#      it stays).
# Installs the Debian packages it needs (as root). Prints "ok N - ..." or
# "not ok N - ..." per check and ends with "N passed, M failed"; exits
# non-zero if anything failed. Needs root; refuses to run when efa-monitor
# packages are already installed (it would remove them). KEEP=1 keeps the
# scratch directory. EFA_PACKAGES_BUILD=DIR makes the tarball in DIR, a
# configured build of this tree (check.sh passes its own), instead of
# configuring one.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$top/configure.ac" ] && [ -d "$top/debian" ] ||
	{ echo "check-packages: $top is not the efa-monitor source tree" >&2; exit 2; }
[ ! -f "$top/config.status" ] ||
	{ echo "check-packages: $top is configured in place: 'make distclean' there first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "check-packages: needs root (it installs and removes packages)" >&2; exit 2; }

PKGS=(efa-monitor efa-monitor-slurm)
for p in "${PKGS[@]}"; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then
		echo "check-packages: $p is installed on this machine; remove it first (this check installs and purges it)" >&2
		exit 2
	fi
done

t0=$EPOCHREALTIME
passed=0 failed=0 n=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check WHAT CMD...: one check from a command's exit status.
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }
say() { echo "# $*"; }
# show FILE: the end of a log, indented, after a failure.
show() { tail -n "${2:-30}" "$1" | sed 's/^/#   /'; }
# quiet LOG CMD...: CMD with its output appended to LOG.
quiet() { local log=$1; shift; "$@" >>"$log" 2>&1; }

# --- what it needs ------------------------------------------------------------
NEED=(debhelper dpkg-dev fakeroot lintian mandoc rpm rpmlint man-db)
missing=()
for p in "${NEED[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null ||
		{ echo "check-packages: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
"$top/tools/deps.sh" || exit 1

WORK=$(mktemp -d /tmp/efa-packages.XXXXXX) || exit 1
chmod 755 "$WORK"
installed=0
cleanup() {
	# Whatever happened, leave the machine as it was: no package of ours.
	[ $installed = 0 ] || dpkg -P "${PKGS[@]}" >/dev/null 2>&1
	if [ -n "${KEEP:-}" ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- 1. man pages -------------------------------------------------------------
out=$(mandoc -T lint -W warning "$top"/man/*.[58] 2>&1)
if [ -z "$out" ]; then ok "mandoc -T lint: $(ls "$top"/man/*.[58] | wc -l) man pages clean"; else
	echo "$out" | sed 's/^/#   /'; not_ok "mandoc -T lint"; fi

# --- 2. the tarball -------------------------------------------------------------
t=$EPOCHREALTIME
version=$(sed -nE 's/^AC_INIT\(\[efa-monitor\], \[([^]]+)\].*/\1/p' "$top/configure.ac")
mkdir "$WORK/dist"
if [ -n "${EFA_PACKAGES_BUILD:-}" ]; then
	# A build directory of this tree that is configured already (check.sh's).
	(cd "$EFA_PACKAGES_BUILD" && make -s dist && mv "efa-monitor-$version.tar.gz" "$WORK/dist/") >"$WORK/dist.log" 2>&1
else
	(cd "$top" && autoreconf -fi) >"$WORK/dist.log" 2>&1 &&
		(cd "$WORK/dist" && "$top/configure" -q && make -s dist) >>"$WORK/dist.log" 2>&1
fi
if [ -f "$WORK/dist/efa-monitor-$version.tar.gz" ]; then
	ok "make dist: efa-monitor-$version.tar.gz"
else
	show "$WORK/dist.log"; not_ok "make dist"
fi
TARBALL=$WORK/dist/efa-monitor-$version.tar.gz
listing=$(tar -tzf "$TARBALL" 2>/dev/null | sed "s|^efa-monitor-$version/||")
absent=""
for f in efa-monitor.spec debian/control debian/rules man/efa-monitor.8 man/efa-monitor.conf.5 \
	man/spank_efa_monitor.8 man/efa-monitor-node-setup.8; do
	grep -qx "$f" <<<"$listing" || absent="$absent $f"
done
check "the tarball has the spec, debian/ and the man pages${absent:+ (missing:$absent)}" [ -z "$absent" ]
specv=$(tar -xzOf "$TARBALL" "efa-monitor-$version/efa-monitor.spec" 2>/dev/null | sed -nE 's/^Version:[[:space:]]+//p')
check "efa-monitor.spec has configure.ac's version ($specv = $version)" [ "$specv" = "$version" ]
debv=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
check "debian/changelog's version is configure.ac's ($debv = $version)" [ "${debv%%-*}" = "$version" ]
say "tarball: $(elapsed "$t") s"

# --- 3. Debian packages ----------------------------------------------------------
t=$EPOCHREALTIME
mkdir "$WORK/deb"
tar -xzf "$TARBALL" -C "$WORK/deb"
if (cd "$WORK/deb/efa-monitor-$version" &&
	DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) >"$WORK/deb/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(elapsed "$t") s)"
else
	show "$WORK/deb/build.log"; not_ok "dpkg-buildpackage -us -uc -b"
fi
DEBS=()
for p in "${PKGS[@]}"; do DEBS+=("$WORK/deb/${p}_${version}_$(dpkg --print-architecture).deb"); done
check "built ${DEBS[*]##*/}" quiet /dev/null ls "${DEBS[@]}"

t=$EPOCHREALTIME
lintian --fail-on none --tag-display-limit 0 "$WORK/deb/efa-monitor_${version}_$(dpkg --print-architecture).changes" \
	>"$WORK/lintian.log" 2>&1
grep -v '^running with root privileges' "$WORK/lintian.log" | sed 's/^/# lintian: /'
errs=$(grep -c '^E: ' "$WORK/lintian.log") warns=$(grep -c '^W: ' "$WORK/lintian.log")
check "lintian: $errs errors, $warns warnings ($(elapsed "$t") s)" [ "$errs$warns" = 00 ]

# --- 4. install, then the plugin on a real cluster ----------------------------------
t=$EPOCHREALTIME
users_before=$(getent passwd | cut -d: -f1 | sort)
groups_before=$(getent group | cut -d: -f1 | sort)
installed=1
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${DEBS[@]}" >"$WORK/install.log" 2>&1; then
	ok "apt-get install ${DEBS[*]##*/}"
else
	show "$WORK/install.log"; not_ok "apt-get install"
fi
for p in "${PKGS[@]}"; do dpkg -L "$p" >>"$WORK/paths" 2>/dev/null; done
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Conffiles}\n' "$p" | awk 'NF { print $1 }'; done >"$WORK/conffiles"
sort -u -o "$WORK/paths" "$WORK/paths"
check "the packages hold $(wc -l <"$WORK/paths") paths" [ -s "$WORK/paths" ]

check "/usr/bin/efa-monitor version: efa-monitor $version" \
	[ "$(/usr/bin/efa-monitor version 2>&1)" = "efa-monitor $version" ]
PLUGIN=$(grep -E '/slurm-wlm/spank_efa_monitor\.so$' "$WORK/paths")
check "the plugin is in Slurm's plugin directory (${PLUGIN:-none})" \
	[ "${PLUGIN%/*}" = "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/slurm-wlm" ]
want_conf=$'/etc/efa-monitor.conf\n/etc/logrotate.d/efa-monitor\n/etc/slurm/plugstack.conf.d/efa-monitor.conf'
check "conffiles: $(echo $(sort "$WORK/conffiles"))" [ "$(sort "$WORK/conffiles")" = "$want_conf" ]
SNIPPET=/etc/slurm/plugstack.conf.d/efa-monitor.conf
check "the plugstack line ships commented out" \
	eval "! grep -Eq '^[[:space:]]*(optional|required)' $SNIPPET && grep -Eq '^#[[:space:]]*optional[[:space:]]+$PLUGIN ' $SNIPPET"
pages=$(man -w efa-monitor efa-monitor.conf spank_efa_monitor efa-monitor-node-setup 2>/dev/null | wc -l)
check "man finds the 4 installed man pages" [ "$pages" = 4 ]
check "efa-monitor.service installed, not enabled" \
	eval "[ -f /lib/systemd/system/efa-monitor.service ] && [ ! -e /etc/systemd/system/multi-user.target.wants/efa-monitor.service ]"
say "install: $(elapsed "$t") s"

t=$EPOCHREALTIME
mkdir -p "$WORK/tmp" && chmod 755 "$WORK/tmp"
if EFA_MONITOR=/usr/bin/efa-monitor EFA_PLUGIN=$PLUGIN TEST_TMPDIR=$WORK/tmp \
	bash "$top/tests/slurm/smoke.sh" >"$WORK/smoke.log" 2>&1; then
	ok "tests/slurm/smoke.sh with the installed efa-monitor and plugin ($(grep -c '^ok ' "$WORK/smoke.log") checks, $(elapsed "$t") s)"
else
	show "$WORK/smoke.log"; not_ok "tests/slurm/smoke.sh with the installed efa-monitor and plugin"
fi

# The installed plugin on a real cluster: first from the shipped (commented)
# plugstack file, then enabled by uncommenting its line as an administrator
# would, with this cluster's simulated sysfs. The reporter it starts is its
# default, the installed /usr/bin/efa-monitor.
t=$EPOCHREALTIME
C=$WORK/cluster
CLUSTER="$top/tests/slurm/cluster.sh"
EFASIM_PY=$top/tests/efasim
if bash "$CLUSTER" start "$C" --plugstack "$SNIPPET" >"$WORK/cluster.log" 2>&1; then
	. "$C/env.sh"
	chmod -R a+rwX "$C/sys"
	out=$(cd "$C/out" && timeout 60 srun -N1 --efa-monitor true 2>&1 </dev/null)
	check "shipped as is, the plugin is not loaded (srun: unrecognized option)" \
		eval 'grep -q "unrecognized option.*efa-monitor" <<<"$out"'
	sed -e 's|^#[[:space:]]*\(optional[[:space:]]\)|\1|' \
		-e "/^optional /s|\$| sysfs=$C/sys/%n channel_host=127.0.0.1 interval=0.2|" "$SNIPPET" >"$C/etc/plugstack.conf"
	bash "$CLUSTER" reconfigure "$C" >>"$WORK/cluster.log" 2>&1
	traffic() { echo "/usr/bin/python3 $EFASIM_PY traffic $C/sys/\$SLURMD_NODENAME $*"; }
	job='case $SLURMD_NODENAME in n3) '"$(traffic --tx-bytes 100000 --rx-bytes 300000 --tx-pkts 10 --rx-pkts 30)"';; *) '"$(traffic --tx-bytes 1000000 --rx-bytes 3000000 --tx-pkts 100 --rx-pkts 300)"';; esac >/dev/null; sleep 1'
	su efatest -s /bin/bash -c ". $C/env.sh; cd $C/out; timeout 60 srun -N3 --efa-monitor bash -c '$job'" \
		>"$C/out/srun.out" 2>"$C/out/srun.err" </dev/null
	sed 's/^/# srun: /' "$C/out/srun.err"
	check "enabled: srun -N3 --efa-monitor as a user prints the step's summary" \
		grep -Eq '^efa-monitor: job [0-9]+ step 0: 3 nodes, 12 interfaces' "$C/out/srun.err"
	check "the installed plugin and reporter give exact totals (TX 8400000, RX 25200000 bytes)" \
		grep -Eq '^efa-monitor:   TX 8400000 bytes \(0.01 GB\), 840 packets; RX 25200000 bytes \(0.03 GB\), 2520 packets$' "$C/out/srun.err"
	check "the installed reporter sampled (peaks), n3 named a straggler" \
		grep -Eq '^efa-monitor:   node n3: TX 400000 bytes, RX 1200000 bytes, 4 interfaces, avg [0-9.]+ Gbps TX\+RX, peak [0-9.]+ Gbps TX\+RX, straggler' "$C/out/srun.err"
	check "the cluster stops" quiet "$WORK/cluster.log" bash "$CLUSTER" stop "$C"
else
	show "$WORK/cluster.log"; not_ok "cluster.sh start with the shipped plugstack file"
fi
say "installed plugin on the cluster: $(elapsed "$t") s"

# --- 5. remove, purge: nothing left ---------------------------------------------------
t=$EPOCHREALTIME
check "dpkg -r ${PKGS[*]}" quiet "$WORK/remove.log" dpkg -r "${PKGS[@]}"
left=""
while read -r p; do
	grep -qx -- "$p" "$WORK/conffiles" && continue
	[ -e "$p" ] && [ ! -d "$p" ] && left="$left $p"
done <"$WORK/paths"
check "removed: every file gone but the conffiles${left:+ (left:$left)}" [ -z "$left" ]
check "dpkg -P ${PKGS[*]}" quiet "$WORK/remove.log" dpkg -P "${PKGS[@]}"
installed=0
left=""
while read -r p; do
	[ -e "$p" ] || [ -L "$p" ] || continue
	# A directory another package owns (/usr/share/man, /etc/slurm, ...) stays.
	[ "$p" = /. ] && continue
	[ -d "$p" ] && dpkg -S "$p" >/dev/null 2>&1 && continue
	left="$left $p"
done <"$WORK/paths"
for p in /etc/efa-monitor.conf /etc/logrotate.d/efa-monitor /etc/slurm/plugstack.conf.d/efa-monitor.conf \
	/var/log/efa-monitor /var/lib/efa-monitor /usr/share/efa-monitor /usr/share/doc/efa-monitor \
	/usr/share/doc/efa-monitor-slurm /etc/systemd/system/multi-user.target.wants/efa-monitor.service; do
	[ -e "$p" ] && left="$left $p"
done
check "purged: none of the $(wc -l <"$WORK/paths") paths, no config, log or state directory left${left:+ (left:$left)}" [ -z "$left" ]
state=$(dpkg-query -W -f='${db:Status-Abbrev}' "${PKGS[@]}" 2>/dev/null | tr -d ' ')
check "dpkg knows nothing of them (${state:-not known})" eval '[ -z "$state" ] || [ "$state" = unun ]'
# The test cluster adds its job user (efatest); the packages add none.
new=$(comm -13 <(echo "$users_before") <(getent passwd | cut -d: -f1 | sort) | grep -vx efatest)
newg=$(comm -13 <(echo "$groups_before") <(getent group | cut -d: -f1 | sort) | grep -vx efatest)
check "no user or group left behind${new:+ (users: $new)}${newg:+ (groups: $newg)}" [ -z "$new$newg" ]
say "remove and purge: $(elapsed "$t") s"

# --- 6. RPM ------------------------------------------------------------------------------
t=$EPOCHREALTIME
R=$WORK/rpm
mkdir -p "$R"
# On Debian: no debuginfo (no find-debuginfo); brp-compress is a bash script
# that Debian's rpm runs with dash, so name bash for it.
if rpmbuild -ta "$TARBALL" --nodeps --define "_topdir $R" --define 'debug_package %{nil}' \
	--define '__brp_compress /bin/bash %{_rpmconfigdir}/brp-compress %{?_prefix}' \
	--define 'packager efa-monitor developers <efa-monitor@users.noreply.github.com>' \
	--define "_smp_mflags -j2" >"$R/build.log" 2>&1; then
	ok "rpmbuild -ta efa-monitor-$version.tar.gz ($(elapsed "$t") s)"
else
	show "$R/build.log"; not_ok "rpmbuild -ta"
fi
RPMS=$(find "$R/RPMS" "$R/SRPMS" -name '*.rpm' 2>/dev/null | sort)
names=$(for f in $RPMS; do rpm -qp --qf '%{NAME}\n' "$f" 2>/dev/null; done | sort | tr '\n' ' ')
check "RPMs: $names" [ "$names" = "efa-monitor efa-monitor efa-monitor-slurm " ]
# has LIST PATH...: every PATH is a line of LIST (a here-string: no pipe
# for grep -q to cut short under pipefail).
has() { local list=$1 p; shift; for p in "$@"; do grep -qxF -- "$p" <<<"$list" || return 1; done; }
slurm_rpm=$(echo "$RPMS" | grep '/RPMS/.*efa-monitor-slurm-')
main_rpm=$(echo "$RPMS" | grep '/RPMS/.*/efa-monitor-[0-9]')
slurm_files=$(rpm -qlp "$slurm_rpm" 2>/dev/null) slurm_conf=$(rpm -qp --configfiles "$slurm_rpm" 2>/dev/null)
main_files=$(rpm -qlp "$main_rpm" 2>/dev/null) main_conf=$(rpm -qp --configfiles "$main_rpm" 2>/dev/null)
check "efa-monitor-slurm holds the plugin in %{_libdir}/slurm and its commented plugstack line" \
	eval 'has "$slurm_files" /usr/lib64/slurm/spank_efa_monitor.so /usr/share/man/man8/spank_efa_monitor.8.gz &&
		has "$slurm_conf" "$SNIPPET"'
check "efa-monitor's RPM holds the reporter, its service, config and compressed man pages" \
	eval 'has "$main_files" /usr/bin/efa-monitor /usr/sbin/efa-monitor-node-setup \
		/usr/lib/systemd/system/efa-monitor.service /usr/share/man/man5/efa-monitor.conf.5.gz \
		/usr/share/man/man8/efa-monitor.8.gz /usr/share/man/man8/efa-monitor-node-setup.8.gz &&
		has "$main_conf" /etc/efa-monitor.conf /etc/logrotate.d/efa-monitor'
# Every message rpmlint gives here, and why it stays. A message not in this
# list fails the check.
declare -A RPMLINT_WHY=(
	[no-signature]="packages are signed by whoever publishes them, not by this build"
	[no-url-tag]="the project has no public home page yet"
	[invalid-url]="Source0 is the tarball's name, as there is no URL to fetch it from"
	[no-buildroot-tag]="BuildRoot is obsolete since rpm 4.6: rpmbuild sets it"
	[invalid-license]="Apache-2.0 is the SPDX name that Fedora and RHEL want; Debian's rpmlint has an older list"
	[requires-on-release]="the plugin runs the reporter of its own build: it requires exactly that version-release"
	[unstripped-binary-or-object]="Debian's rpm has no find-debuginfo, so debug_package is off here; RHEL's rpmbuild strips into -debuginfo"
	[empty-%post]="the systemd scriptlets come from systemd-rpm-macros (BuildRequires), which Debian lacks"
	[empty-%preun]="as empty-%post"
	[empty-%postun]="as empty-%post"
	[logrotate-log-dir-not-packaged]="/var/log/efa-monitor is the service's LogsDirectory=: systemd creates it for the dynamic user"
	[manpage-not-compressed]="Debian's rpmlint configuration wants bzip2; rpmbuild's brp-compress gzips them, as on RHEL"
	[no-manual-page-for-binary]="it looks for bzip2 pages only: efa-monitor.8.gz and efa-monitor-node-setup.8.gz are there (checked above)"
)
if command -v rpmlint >/dev/null 2>&1; then
	rpmlint $RPMS >"$R/rpmlint.log" 2>&1
	unexplained=0
	while read -r line; do
		tag=$(echo "$line" | sed -nE 's/^[^ ]+: [EW]: ([^ ]+).*/\1/p')
		if [ -n "${RPMLINT_WHY[$tag]+set}" ]; then
			echo "# rpmlint: $line  -- ${RPMLINT_WHY[$tag]}"
		else
			echo "# rpmlint: $line  -- NOT EXPLAINED"
			unexplained=$((unexplained + 1))
		fi
	done < <(grep -E '^[^ ]+: [EW]: ' "$R/rpmlint.log")
	grep -E 'packages and .* checked' "$R/rpmlint.log" | sed 's/^ */# rpmlint: /'
	check "rpmlint: every message explained ($unexplained not)" [ "$unexplained" = 0 ]
fi
say "rpm: $(elapsed "$t") s"

say "packages: $(elapsed "$t0") s in all"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
