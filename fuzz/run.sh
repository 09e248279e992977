#!/bin/sh
# fuzz/run.sh SRCDIR NAME... - run the libFuzzer targets fuzz/fuzz_NAME (in
# the current, build, directory) over their seed corpus SRCDIR/fuzz/corpus/NAME,
# each for $FUZZ_RUNS executions from the fixed seed $FUZZ_SEED, so that a
# run is repeatable. Extra libFuzzer flags come from $FUZZ_ARGS.
#
# Each target works in a fresh directory under $TMPDIR: the inputs it finds
# and any crash input go there, never into the source tree. The directory is
# removed when the target passes and kept (and named) when it fails. With
# $FUZZ_WORKDIR, each target works in $FUZZ_WORKDIR/NAME instead and keeps
# it, so that a long run can start from the corpus of the one before.
# Prints one line per target, "fuzz_NAME: 1 passed, 0 failed (...)", and
# exits non-zero if any failed.
set -u
srcdir=$1
shift
runs=${FUZZ_RUNS:-20000}
seed=${FUZZ_SEED:-1}
status=0

for name in "$@"; do
	bin=fuzz/fuzz_$name
	if [ -n "${FUZZ_WORKDIR:-}" ]; then
		work=$FUZZ_WORKDIR/$name
		mkdir -p "$work/corpus" || exit 1
	else
		work=$(mktemp -d "${TMPDIR:-/tmp}/efa-monitor-fuzz-$name.XXXXXX") || exit 1
		mkdir "$work/corpus"
	fi
	# The node report's keys help every target that decodes reports.
	case $name in
	channel | report | summary) dict="-dict=$srcdir/fuzz/report.dict" ;;
	*) dict= ;;
	esac
	start=$(date +%s)
	# -timeout: no single input may take seconds (the slowest legitimate
	# one, a 65536-name node list, takes milliseconds).
	# shellcheck disable=SC2086
	if "$bin" -runs="$runs" -seed="$seed" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/" $dict ${FUZZ_ARGS:-} \
		"$work/corpus" "$srcdir/fuzz/corpus/$name" >"$work/log" 2>&1; then
		secs=$(($(date +%s) - start))
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
		last=$(grep -E '(DONE|pulse|NEW|REDUCE|INITED).* cov: ' "$work/log" | tail -1)
		cov=$(echo "$last" | sed -E 's/.* cov: ([0-9]+).*/\1/')
		ft=$(echo "$last" | sed -E 's/.* ft: ([0-9]+).*/\1/')
		echo "fuzz_$name: 1 passed, 0 failed ($execs runs in $secs s, cov $cov, ft $ft)"
		[ -n "${FUZZ_WORKDIR:-}" ] || rm -rf "$work"
	else
		echo "fuzz_$name: 0 passed, 1 failed (log and crash input kept in $work)"
		grep -v -E '^#[0-9]+' "$work/log" | tail -60
		status=1
	fi
done
exit $status
