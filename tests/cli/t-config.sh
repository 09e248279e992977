#!/bin/bash
# Configuration: the file, command-line overrides, and every error naming
# the key, the file and the line.
. "$(dirname "$0")/lib.sh"

sim create "$WORK/sys" --shape p4d >/dev/null

printf 'interval = 0.05\n# a comment\n\nintervall = 5\n' > "$WORK/bad-key.conf"
mon run -c "$WORK/bad-key.conf" --sysfs-root "$WORK/sys" > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 2 "unknown key: exit status 2"
assert_grep "bad-key.conf:4: unknown key 'intervall'" "$WORK/out" "unknown key named with file and line"

printf 'interval = fast\n' > "$WORK/bad-value.conf"
mon run -c "$WORK/bad-value.conf" > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 2 "bad value: exit status 2"
assert_grep "bad-value.conf:1: bad value 'fast' for 'interval': expected seconds" "$WORK/out" "bad value named"

printf 'log_stdout = maybe\n' > "$WORK/bad-bool.conf"
mon run -c "$WORK/bad-bool.conf" > "$WORK/out" 2>&1
assert_grep "bad-bool.conf:1: bad value 'maybe' for 'log_stdout': expected yes or no" "$WORK/out" "bad boolean named"

printf 'just words\n' > "$WORK/bad-line.conf"
mon run -c "$WORK/bad-line.conf" > "$WORK/out" 2>&1
assert_grep "bad-line.conf:1: expected 'key = value'" "$WORK/out" "malformed line named"

mon run -c "$WORK/nonexistent.conf" > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 2 "missing explicit config: exit status 2"
assert_grep "nonexistent.conf: cannot open" "$WORK/out" "missing explicit config named"

mon run --interval -1 > "$WORK/out" 2>&1
assert_grep "\-\-interval: bad value '-1' for 'interval'" "$WORK/out" "bad command-line value names the option"

mon run --intervals 3 > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 2 "unknown option: exit status 2"
assert_grep "unknown option '--intervals'" "$WORK/out" "unknown option named"

mon run --sinks log,carrier-pigeon --sysfs-root "$WORK/sys" --samples 1 > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 1 "unknown sink: exit status 1"
assert_grep "unknown sink 'carrier-pigeon'.*known sinks: log" "$WORK/out" "unknown sink named"

mon frobnicate > "$WORK/out" 2>&1; rc=$?
assert_eq "$rc" 2 "unknown command: exit status 2"

# The file sets the root and the interval; the command line wins.
printf 'sysfs_root = "%s"\ninterval = 30   # trailing comment\nsamples = 1\n' "$WORK/sys" > "$WORK/good.conf"
mon run -c "$WORK/good.conf" --interval 0.05 > "$WORK/out" 2>"$WORK/err"; rc=$?
assert_eq "$rc" 0 "good config with override: exit status 0"
assert_eq "$(grep -c 'RX=' "$WORK/out")" 4 "one interval, one line per p4d device"
assert_grep "every 0.05 s" "$WORK/err" "command line overrides the file's interval"

mon --help > "$WORK/out" 2>&1
assert_grep "^  --log-file VALUE" "$WORK/out" "--help lists config keys as options"
done_testing
