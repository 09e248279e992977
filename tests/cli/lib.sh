# tests/cli/lib.sh - shared by the CLI tests: a scratch directory, the
# simulator, and assertions that say what differed.
set -u

: "${EFA_MONITOR:?set by make check}"
: "${EFASIM:?set by make check}"
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/${TEST_NAME}.XXXXXX" 2>/dev/null) ||
	{ mkdir -p "${TEST_TMPDIR:-/tmp}"; WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/${TEST_NAME}.XXXXXX"); }
PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

checks=0
fail() { echo "FAIL: $TEST_NAME: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
sim() { $EFASIM "$@" || fail "efasim $*"; }
mon() { "$EFA_MONITOR" "$@"; }

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; ok "$3"; }
# assert_grep PATTERN FILE WHAT
assert_grep() { grep -Eq -- "$1" "$2" || { echo "--- $2:" >&2; cat "$2" >&2; fail "$3: no line matches /$1/"; }; ok "$3"; }
assert_no_grep() { ! grep -Eq -- "$1" "$2" || { echo "--- $2:" >&2; cat "$2" >&2; fail "$3: a line matches /$1/"; }; ok "$3"; }
# json FILE EXPR: evaluate a Python expression on the parsed JSON 'j'
json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# wait_for CMD...: up to 60 s (a bound for a stuck test, never a timing check)
wait_for() { for _ in $(seq 600); do "$@" && return 0; sleep 0.1; done; return 1; }
done_testing() { echo "1..$checks"; exit 0; }
