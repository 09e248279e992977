#!/bin/bash
# tools/efa-monitor-node-setup.sh into scratch roots (--root): from this
# build (--from-build), then from a tarball of the sources, on a simulated
# EFA node (service enabled), a node with no device (not enabled) and the
# same node with an NVIDIA GPU (enabled, by the installed copy, --no-build).
# Every second run changes nothing: the roots are compared file by file
# (type, mode, size, mtime, link target, checksum) before and after.
. "$(dirname "$0")/lib.sh"

top_builddir=$(cd "$(dirname "$EFA_MONITOR")/.." && pwd)
setup=$srcdir/tools/efa-monitor-node-setup.sh
UNIT=efa-monitor.service

# This build's install paths, as the script reads them.
make -s --no-print-directory -C "$top_builddir" -f Makefile -f - paths OUT="$WORK/paths" >/dev/null 2>&1 <<'EOF' ||
paths:
	@echo "bindir='$(bindir)' sbindir='$(sbindir)' datadir='$(datadir)' sysconfdir='$(sysconfdir)'" > "$(OUT)"
	@echo "unitdir='$(systemdsystemunitdir)' plugindir='$(slurmplugindir)' version='$(VERSION)'" >> "$(OUT)"
EOF
	fail "cannot read the build's paths"
. "$WORK/paths"
share=$datadir/efa-monitor
[ "$unitdir" != no ] || { echo "SKIP: configured --without-systemdsystemunitdir"; exit 77; }
have_plugin=no
[ ! -f "$top_builddir/spank/.libs/spank_efa_monitor.so" ] || have_plugin=yes

# snapshot ROOT: every entry with its type, mode, size, mtime, link target,
# and every file's checksum.
snapshot() {
	(cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort &&
		find . -type f -exec md5sum {} + | LC_ALL=C sort)
}
# run_setup OUT ARGS...: the script; its output in OUT; returns its status.
run_setup() {
	local out=$1
	shift
	bash "$setup" "$@" >"$out" 2>&1
}
# mode PATH: octal permission bits.
mode() { stat -c %a "$1"; }

# --------------------------------------------------- usage and failures --
run_setup "$WORK/u1" --bogus; rc=$?
assert_eq "$rc" 2 "an unknown option exits 2"
assert_grep "unknown option '--bogus'" "$WORK/u1" "and names it"
run_setup "$WORK/u2" --root relative/dir --no-build; rc=$?
assert_eq "$rc" 2 "a relative --root exits 2"
run_setup "$WORK/u3" --root "$WORK/r0"; rc=$?
assert_eq "$rc" 2 "the source copy with nothing to install exits 2"
run_setup "$WORK/u4" --root "$WORK/r0" "$WORK/no-such.tar.gz"; rc=$?
assert_eq "$rc" 1 "a missing tarball exits 1"
assert_grep "error: .*no-such.tar.gz does not exist" "$WORK/u4" "and says so"
run_setup "$WORK/u5" --root "$WORK/r0" --no-build; rc=$?
assert_eq "$rc" 1 "--no-build with nothing installed exits 1"
assert_grep "error: no efa-monitor in $WORK/r0/usr/local/bin" "$WORK/u5" "and says where it looked"

# ----------------------------------------------------- A: an EFA node --
# Debian's Slurm layout: plugstack.conf includes plugstack.conf.d/*.conf.
ra=$WORK/ra
sim create "$WORK/sys-efa" --shape p4d >/dev/null
mkdir -p "$ra/etc/slurm/plugstack.conf.d"
echo 'include /etc/slurm/plugstack.conf.d/*.conf' >"$ra/etc/slurm/plugstack.conf"
args=(--root "$ra" --from-build "$top_builddir" --sysfs-root "$WORK/sys-efa" --log-file)
run_setup "$WORK/a1" "${args[@]}" || { cat "$WORK/a1" >&2; fail "first run on the EFA node failed"; }
ok "EFA node: first run exits 0"
assert_grep "^efa-monitor-node-setup: efa-monitor $version: [0-9]+ files installed, 0 unchanged$" "$WORK/a1" \
	"first run installs every file"
for f in "$bindir/efa-monitor:755" "$sbindir/efa-monitor-node-setup:755" "$unitdir/$UNIT:644" \
	"$share/efa-monitor.conf.plugstack:644" "$share/efa-monitor.conf.example:644" \
	"$share/efa-monitor.logrotate:644" "$share/efa-monitor-log-file.conf:644" \
	"$sysconfdir/efa-monitor.conf:644" "/etc/logrotate.d/efa-monitor:644" \
	"/etc/systemd/system/$UNIT.d/log-file.conf:644"; do
	p=${f%:*}
	[ -f "$ra$p" ] || fail "$p not installed"
	[ "$(mode "$ra$p")" = "${f##*:}" ] || fail "$p has mode $(mode "$ra$p"), expected ${f##*:}"
done
ok "reporter, setup script, unit, examples, config, logrotate and drop-in in place with their modes"
cmp -s "$ra$bindir/efa-monitor" "$EFA_MONITOR" || fail "the installed reporter is not this build's"
ok "the installed reporter is this build's"
cmp -s "$ra$unitdir/$UNIT" "$top_builddir/systemd/$UNIT" || fail "the installed unit differs from the built one"
ok "the installed unit is the built one"
cmp -s "$ra$sysconfdir/efa-monitor.conf" "$srcdir/slurm-conf/efa-monitor.conf.example" ||
	fail "the config is not the example"
ok "the config is the example (all defaults)"
assert_grep "^INSTALLED_PREFIX=/" "$ra$sbindir/efa-monitor-node-setup" "the installed script knows its prefix"
assert_eq "$(readlink "$ra/var/log/efa_monitor.log")" efa-monitor/efa_monitor.log \
	"--log-file: the seed's log path links into the LogsDirectory"
assert_eq "$(readlink "$ra/etc/systemd/system/multi-user.target.wants/$UNIT")" "$unitdir/$UNIT" \
	"EFA node: the service is enabled (multi-user.target.wants link)"
assert_grep "monitoring this node: 4 EFA device\(s\) \(rdmap16s27 rdmap16s28 rdmap32s27 rdmap32s28\)" "$WORK/a1" \
	"the EFA devices are named as the reason"
assert_grep "^efa-monitor-node-setup: --root: would start $UNIT now" "$WORK/a1" "--root says what it would start"
if [ $have_plugin = yes ]; then
	[ -f "$ra$plugindir/spank_efa_monitor.so" ] || fail "the plugin is not installed"
	assert_eq "$(mode "$ra$plugindir/spank_efa_monitor.so")" 755 "the SPANK plugin is installed 0755"
	cmp -s "$ra/etc/slurm/plugstack.conf.d/efa-monitor.conf" "$ra$share/efa-monitor.conf.plugstack" ||
		fail "plugstack.conf.d/efa-monitor.conf is not the installed snippet"
	ok "plugstack.conf.d/efa-monitor.conf is the installed snippet"
	assert_eq "$(mode "$ra/etc/slurm/plugstack.conf.d/efa-monitor.conf")" 644 "plugstack.conf.d file is 0644"
	assert_eq "$(cat "$ra/etc/slurm/plugstack.conf")" 'include /etc/slurm/plugstack.conf.d/*.conf' \
		"plugstack.conf itself is untouched"
fi

snapshot "$ra" >"$WORK/a.before"
run_setup "$WORK/a2" "${args[@]}" || { cat "$WORK/a2" >&2; fail "second run on the EFA node failed"; }
ok "EFA node: second run exits 0"
snapshot "$ra" >"$WORK/a.after"
diff "$WORK/a.before" "$WORK/a.after" >"$WORK/a.diff" || { cat "$WORK/a.diff" >&2; fail "the second run changed the root"; }
ok "EFA node: the second run changed nothing (modes, sizes, mtimes, links, checksums)"
assert_grep "^efa-monitor-node-setup: efa-monitor $version already installed \([0-9]+ files unchanged\)$" "$WORK/a2" \
	"the second run says already installed"
assert_grep "^efa-monitor-node-setup: $UNIT already enabled$" "$WORK/a2" "and already enabled"
assert_grep "^efa-monitor-node-setup: nothing to do: everything already in place$" "$WORK/a2" "and nothing to do"
if [ $have_plugin = yes ]; then
	assert_eq "$(cat "$ra"/etc/slurm/plugstack.conf "$ra"/etc/slurm/plugstack.conf.d/* | grep -c spank_efa_monitor.so)" 1 \
		"the plugin line is there exactly once after two runs"
fi

# --------------------------------------------- B: a node with no device --
# ParallelCluster's layout: /opt/slurm/etc/plugstack.conf, another plugin
# already in it, no plugstack.conf.d.
rb=$WORK/rb
mkdir -p "$WORK/sys-none/class/infiniband" "$rb/opt/slurm/etc"
echo 'required /opt/slurm/lib/slurm/spank_pyxis.so' >"$rb/opt/slurm/etc/plugstack.conf"
args=(--root "$rb" --from-build "$top_builddir" --sysfs-root "$WORK/sys-none")
run_setup "$WORK/b1" "${args[@]}" || { cat "$WORK/b1" >&2; fail "first run on the plain node failed"; }
ok "plain node: first run exits 0"
assert_grep "no EFA device or NVIDIA GPU under $WORK/sys-none: $UNIT installed, not enabled" "$WORK/b1" \
	"plain node: says why the service is not enabled"
[ ! -e "$rb/etc/systemd/system/multi-user.target.wants/$UNIT" ] || fail "the service was enabled on a node with no device"
ok "plain node: the service is not enabled"
[ -f "$rb$unitdir/$UNIT" ] || fail "the unit is not installed"
ok "plain node: the unit is installed all the same"
[ ! -e "$rb/var/log/efa_monitor.log" ] && [ ! -e "$rb/etc/systemd/system/$UNIT.d" ] || fail "log-file pieces without --log-file"
ok "no log-file drop-in or link without --log-file"
if [ $have_plugin = yes ]; then
	assert_eq "$(sed -n 1p "$rb/opt/slurm/etc/plugstack.conf")" 'required /opt/slurm/lib/slurm/spank_pyxis.so' \
		"the other plugin's line is kept first"
	assert_eq "$(grep -vc '^#' "$rb/opt/slurm/etc/plugstack.conf")" 2 "one plugin line added to plugstack.conf"
	assert_eq "$(grep -v '^#' "$rb/opt/slurm/etc/plugstack.conf" | tail -n 1)" \
		"$(grep -E '^(optional|required) ' "$rb$share/efa-monitor.conf.plugstack")" "it is the snippet's line"
fi
snapshot "$rb" >"$WORK/b.before"
run_setup "$WORK/b2" "${args[@]}" || { cat "$WORK/b2" >&2; fail "second run on the plain node failed"; }
snapshot "$rb" >"$WORK/b.after"
diff "$WORK/b.before" "$WORK/b.after" >"$WORK/b.diff" || { cat "$WORK/b.diff" >&2; fail "the second run changed the root"; }
ok "plain node: the second run changed nothing"
assert_grep "^efa-monitor-node-setup: nothing to do: everything already in place$" "$WORK/b2" "and says so"
if [ $have_plugin = yes ]; then
	assert_eq "$(grep -c spank_efa_monitor.so "$rb/opt/slurm/etc/plugstack.conf")" 1 \
		"the plugin line is in plugstack.conf exactly once after two runs"
	assert_grep "/opt/slurm/etc/plugstack.conf already loads the plugin" "$WORK/b2" "the second run says the line is there"
fi

# ------------------------ C: the same node gets an NVIDIA GPU (3D controller) --
# The installed copy, with no SOURCE, uses the installed tree (--no-build).
gpu=$WORK/sys-none/bus/pci/devices/0000:00:1e.0
mkdir -p "$gpu"
echo 0x10de >"$gpu/vendor"
echo 0x030200 >"$gpu/class"
"$rb$sbindir/efa-monitor-node-setup" --root "$rb" --sysfs-root "$WORK/sys-none" >"$WORK/c1" 2>&1 ||
	{ cat "$WORK/c1" >&2; fail "the installed copy failed"; }
ok "GPU node: the installed copy runs on the installed tree"
assert_grep "^efa-monitor-node-setup: using efa-monitor $version installed in $rb" "$WORK/c1" "it uses the installed tree"
assert_grep "monitoring this node: 1 NVIDIA GPU\(s\) \(0000:00:1e.0\)" "$WORK/c1" "the GPU is named as the reason"
assert_eq "$(readlink "$rb/etc/systemd/system/multi-user.target.wants/$UNIT")" "$unitdir/$UNIT" \
	"GPU node: the service is enabled"
assert_grep "^efa-monitor-node-setup: done: 1 change\(s\)$" "$WORK/c1" "enabling was the only change"

# --------------------------------------------- D: from a source tarball --
# The tarball 'make dist' makes (its distdir step, into the scratch
# directory, then tar), built by the script with its own defaults: prefix
# /usr/local, config in /etc. About 20 s on 2 CPUs.
dist=$WORK/dist/efa-monitor-$version
mkdir -p "$WORK/dist"
if make -s --no-print-directory -C "$top_builddir" distdir distdir="$dist" top_distdir="$dist" >"$WORK/distdir.log" 2>&1; then
	tar -C "$WORK/dist" -czf "$WORK/dist/efa-monitor-$version.tar.gz" "efa-monitor-$version" || fail "tar failed"
	rm -rf "$dist"
	rd=$WORK/rd
	args=(--root "$rd" --sysfs-root "$WORK/sys-efa" --no-service -j 2 "$WORK/dist/efa-monitor-$version.tar.gz")
	run_setup "$WORK/d1" "${args[@]}" || { cat "$WORK/d1" >&2; fail "the tarball build failed"; }
	ok "tarball: built and installed"
	assert_grep "^efa-monitor-node-setup: building efa-monitor from .*efa-monitor-$version.tar.gz" "$WORK/d1" "it was built"
	[ -x "$rd/usr/local/bin/efa-monitor" ] || fail "no /usr/local/bin/efa-monitor"
	ok "tarball: the reporter is in /usr/local/bin"
	assert_eq "$(mode "$rd/etc/efa-monitor.conf")" 644 "tarball: the config is /etc/efa-monitor.conf"
	"$rd/usr/local/bin/efa-monitor" --help >"$WORK/d.help"
	assert_grep "key of the config file, /etc/efa-monitor.conf\)" "$WORK/d.help" "tarball: the reporter reads /etc/efa-monitor.conf"
	assert_eq "$(mode "$rd/usr/local/lib/systemd/system/$UNIT")" 644 "tarball: the unit is in /usr/local/lib/systemd/system"
	assert_grep "^ExecStart=/usr/local/bin/efa-monitor run$" "$rd/usr/local/lib/systemd/system/$UNIT" \
		"tarball: the unit runs /usr/local/bin/efa-monitor"
	assert_grep "$UNIT installed, not enabled \(--no-service\)" "$WORK/d1" "--no-service: not enabled"
	[ ! -e "$rd/etc/systemd/system/multi-user.target.wants/$UNIT" ] || fail "--no-service enabled the service"
	ok "--no-service: no multi-user.target.wants link"
	snapshot "$rd" >"$WORK/d.before"
	run_setup "$WORK/d2" "${args[@]}" || { cat "$WORK/d2" >&2; fail "second tarball run failed"; }
	snapshot "$rd" >"$WORK/d.after"
	diff "$WORK/d.before" "$WORK/d.after" >"$WORK/d.diff" || { cat "$WORK/d.diff" >&2; fail "the second run changed the root"; }
	ok "tarball: the second run changed nothing"
	assert_grep "efa-monitor $version already installed in $rd/usr/local: not building it again" "$WORK/d2" \
		"tarball: the same version is not built again"
else
	cat "$WORK/distdir.log" >&2
	fail "make distdir failed"
fi
done_testing
