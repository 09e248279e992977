#!/bin/bash
# Run every test of efa-monitor on this machine:
#   1. the Check unit suites and the CLI tests, built with AddressSanitizer
#      and UndefinedBehaviorSanitizer and warnings as errors, and the
#      plugin's real-cluster tests on this host's Slurm (22.05);
#   2. a short, fixed run of each libFuzzer target (make fuzz), where clang
#      has libFuzzer;
#   3. the plugin's real-cluster tests on Slurm 24.11 and 26.05, each in a
#      cached Debian root (tools/check-slurm.sh; EFA_SLURM_RELEASES=none
#      skips them, EFA_SLURM_RELEASES="24.11" runs one);
#   4. the Debian and RPM packages (tools/check-packages.sh);
#   5. make distcheck (the release tarball builds and passes its tests).
# Installs what it needs first (Debian packages, as root). Ends with one
# line "N passed, N failed" counting every individual check.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/tools/deps.sh" || exit 1

if [ -f "$top/config.status" ]; then
	echo "efa-monitor: the source tree is configured in place; running 'make distclean' so out-of-tree builds work" >&2
	make -s distclean >/dev/null 2>&1 || true
fi
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }

status=0
build="$top/build/check"
rm -rf "$build" && mkdir -p "$build" && cd "$build"
"$top/configure" -q --enable-werror --enable-sanitizers || exit 1
make -s -j2 >/dev/null || { make -j1; exit 1; }

# Sanitizer reports fail the test that triggered them.
# The official SigV4 vectors live beside the project, never in it; distcheck
# builds elsewhere, so name them by absolute path.
[ -d "$top/../shared/aws-sig-v4-test-suite" ] &&
	export SIGV4_SUITE="$(cd "$top/../shared/aws-sig-v4-test-suite" && pwd)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
make -s -j2 check || status=1

passed=0 failed=0
for log in $(find "$build/tests" -name '*.log' ! -name test-suite.log | sort); do
	if line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log"); then
		echo "$(basename "$log" .log): $line"
		c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
		e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
		passed=$((passed + c - f - e)); failed=$((failed + f + e))
	else
		p=$(grep -c '^ok [0-9]' "$log")
		f=$(grep -c '^FAIL' "$log")
		trs="${log%.log}.trs"
		if [ -f "$trs" ] && grep -q ':test-result: SKIP' "$trs"; then
			echo "$(basename "$log" .log): skipped ($(grep -m1 '^SKIP' "$log"))"
			continue
		fi
		if [ -f "$trs" ] && ! grep -q ':test-result: PASS' "$trs" && [ "$f" -eq 0 ]; then f=1; fi
		echo "$(basename "$log" .log): $p passed, $f failed"
		passed=$((passed + p)); failed=$((failed + f))
	fi
done
if [ $status -ne 0 ]; then
	echo "--- failing test logs:"
	grep -l -E ':test-result: (FAIL|ERROR)' $(find "$build/tests" -name '*.trs') 2>/dev/null |
		while read -r trs; do echo "=== ${trs%.trs}.log"; tail -40 "${trs%.trs}.log"; done
fi

# libFuzzer targets (fuzz/): a short run of each from a fixed seed, so a
# parser that starts crashing on its seed corpus or near it fails here.
# One check per target; skipped, and said so, where clang has no libFuzzer.
cd "$build"
fuzzlog="$build/fuzz.log"
make -s fuzz FUZZ_RUNS=20000 >"$fuzzlog" 2>&1
fuzzrc=$?
if grep -q '^fuzz: skipped' "$fuzzlog"; then
	grep '^fuzz: skipped' "$fuzzlog"
elif grep -qE '^fuzz_[a-z_]+: [0-9]+ passed, [0-9]+ failed' "$fuzzlog"; then
	while read -r line; do
		echo "$line"
		p=$(echo "$line" | sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/^[^:]+: [0-9]+ passed, ([0-9]+) failed.*/\1/')
		passed=$((passed + p)); failed=$((failed + f))
	done < <(grep -E '^fuzz_[a-z_]+: [0-9]+ passed, [0-9]+ failed' "$fuzzlog")
	[ $fuzzrc -eq 0 ] || { grep -vE '^fuzz_[a-z_]+: 1 passed' "$fuzzlog" | tail -60; status=1; }
else
	# The targets did not build.
	tail -30 "$fuzzlog"
	echo "fuzz: 0 passed, 1 failed"
	failed=$((failed + 1)); status=1
fi

# The plugin on the newer Slurm releases, each built inside its own root
# (Slurm loads only plugins built for its major.minor). Each release ends
# with "slurm R: N passed, M failed"; a release without that line failed.
releases=${EFA_SLURM_RELEASES-24.11 26.05}
if [ "$releases" != none ] && [ -n "$releases" ]; then
	cd "$top"
	slog="$top/build/check-slurm.log"
	"$top/tools/check-slurm.sh" $releases </dev/null 2>&1 | tee "$slog" || status=1
	for rel in $releases; do
		line=$(grep -E "^slurm $rel: [0-9]+ passed, [0-9]+ failed$" "$slog" | tail -n 1)
		if [ -z "$line" ]; then
			echo "slurm $rel: 0 passed, 1 failed (no result)"
			failed=$((failed + 1)); status=1
			continue
		fi
		p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
		passed=$((passed + p)); failed=$((failed + f))
	done
fi

# The Debian and RPM packages: built from the tarball, linted, installed,
# the plugin run on a real cluster, purged (tools/check-packages.sh, which
# ends with "N passed, M failed"; EFA_PACKAGES=no skips it).
if [ "${EFA_PACKAGES:-yes}" != no ]; then
	plog="$top/build/check-packages.log"
	EFA_PACKAGES_BUILD="$build" "$top/tools/check-packages.sh" </dev/null 2>&1 | tee "$plog" || status=1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$plog" | tail -n 1)
	p=$(echo "$line" | sed -nE 's/^([0-9]+) passed.*/\1/p')
	f=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed$/\1/p')
	[ -n "$line" ] || { p=0 f=1; status=1; }
	echo "packages: $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
fi

# distcheck: the tarball builds out of tree and its tests pass.
dist="$top/build/dist"
rm -rf "$dist" && mkdir -p "$dist" && cd "$dist"
if "$top/configure" -q && make -s distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >distcheck.log 2>&1; then
	echo "distcheck: 1 passed, 0 failed"
	passed=$((passed + 1))
else
	tail -25 distcheck.log
	# The failing tests' own words, last, where a truncated CI log keeps them.
	for trs in $(grep -l -r -E ':test-result: (FAIL|ERROR)' --include='*.trs' . 2>/dev/null); do
		echo "=== distcheck ${trs%.trs}.log"
		grep -E '^(not ok|FAIL|# )' "${trs%.trs}.log" | tail -15
		tail -15 "${trs%.trs}.log"
	done
	echo "distcheck: 0 passed, 1 failed"
	failed=$((failed + 1)); status=1
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ] || status=1
exit $status
