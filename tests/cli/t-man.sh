#!/bin/bash
# The man pages against the code they document, so that they cannot drift:
# every command and option of 'efa-monitor --help' in efa-monitor(8); every
# key of the reporter's table (the same --help) in efa-monitor.conf(5) and
# no key there that the program lacks; every plugstack.conf key of the
# plugin's table (_keys[] in spank/settings.c) and every --efa-monitor
# option (USER_OPTS_HELP) in spank_efa_monitor(8), and nothing more; every
# option of efa-monitor-node-setup --help in its page; and
# mandoc -T lint finds nothing (where mandoc is installed).
. "$(dirname "$0")/lib.sh"

MAN=$srcdir/man
# roff FILE: the page's source with its escapes undone (\- is -, \fB...\fR gone).
roff() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$1"; }
roff "$MAN/efa-monitor.8" >"$WORK/efa-monitor.8"
roff "$MAN/efa-monitor.conf.5" >"$WORK/efa-monitor.conf.5"
roff "$MAN/spank_efa_monitor.8" >"$WORK/spank_efa_monitor.8"
mon --help >"$WORK/help" || fail "efa-monitor --help failed"

# --- efa-monitor(8): commands and options ------------------------------------
cmds=$(sed -n '/^Commands:/,/^$/p' "$WORK/help" | awk 'NF && $1 != "Commands:" { print $1 }')
[ "$(echo $cmds)" != "" ] || fail "no command found in efa-monitor --help"
missing=""
for c in $cmds help; do
	sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$WORK/efa-monitor.8" | grep -Eq "^\.BR? $c( |$)" ||
		missing="$missing $c"
done
[ -z "$missing" ] || fail "efa-monitor(8) lacks the command(s):$missing"
ok "efa-monitor(8) describes every command ($(echo $cmds))"

opts=$(grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' "$WORK/help" | tr -d ' ,' | sort -u)
[ "$(echo "$opts" | wc -l)" -ge 30 ] || fail "only $(echo "$opts" | wc -l) options found in efa-monitor --help"
missing=""
for o in $opts; do
	grep -Eq -- "^\.(B|BI|BR) .*$o( |,|\"|$)" "$WORK/efa-monitor.8" || missing="$missing $o"
done
[ -z "$missing" ] || fail "efa-monitor(8) lacks the option(s):$missing"
ok "efa-monitor(8) describes all $(echo "$opts" | wc -l) options of efa-monitor --help"

bools=$(grep -E -- '\(--no-\.\.\. to turn off\)' "$WORK/help" | awk '{ print $1 }' | sed 's/^--//')
missing=""
for b in $bools; do
	grep -Eq -- "--no-$b( |\"|$)" "$WORK/efa-monitor.8" || missing="$missing --no-$b"
done
[ -z "$missing" ] || fail "efa-monitor(8) lacks the negation(s):$missing"
ok "efa-monitor(8) names --no-KEY for each of the $(echo $bools | wc -w) boolean options"

# Reverse: an option in the page that the program does not have.
extra=""
for o in $(sed -n '/^\.SH OPTIONS/,/^\.SH ENVIRONMENT/p' "$WORK/efa-monitor.8" |
	grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/^--no-/--/' | sort -u); do
	echo "$opts" | grep -qx -- "$o" || extra="$extra $o"
done
[ -z "$extra" ] || fail "efa-monitor(8) documents option(s) the program does not have:$extra"
ok "efa-monitor(8) documents no option the program lacks"

# --- efa-monitor.conf(5): the reporter's keys ------------------------------
keys=$(echo "$opts" | grep -vx -- '--config' | grep -vx -- '--help' | sed -e 's/^--//' -e 's/-/_/g' | sort -u)
page=$(sed -n '/^\.SH KEYS/,/^\.SH FILES/p' "$WORK/efa-monitor.conf.5" |
	sed -nE 's/^\.BI ([a-z_0-9]+) " = .*/\1/p' | sort -u)
assert_eq "$(comm -23 <(echo "$keys") <(echo "$page") | tr '\n' ' ')" "" \
	"efa-monitor.conf(5) describes every key of the program ($(echo "$keys" | wc -l))"
assert_eq "$(comm -13 <(echo "$keys") <(echo "$page") | tr '\n' ' ')" "" \
	"efa-monitor.conf(5) describes no key the program lacks"
missing=""
for k in $page; do
	sed -n "/^\.BI $k \" = /,/^\.TP/p" "$WORK/efa-monitor.conf.5" | grep -q '^Default' || missing="$missing $k"
done
[ -z "$missing" ] || fail "efa-monitor.conf(5) gives no default for:$missing"
ok "efa-monitor.conf(5) gives every key's default"

# --- spank_efa_monitor(8): plugstack keys and --efa-monitor options ---------
skeys=$(awk '/^static const struct conf_key _keys\[\] = \{/ { on = 1; next }
	on && /^\};/ { on = 0 }
	on { while (match($0, /KEY\("[a-z_]+"/)) { print substr($0, RSTART + 5, RLENGTH - 6); $0 = substr($0, RSTART + RLENGTH) } }' \
	"$srcdir/spank/settings.c" | sort -u)
[ "$(echo "$skeys" | wc -l)" -ge 5 ] || fail "could not read the plugin's keys from spank/settings.c"
spage=$(sed -n '/^\.SH PLUGSTACK ARGUMENTS/,/^\.SH OPTIONS/p' "$WORK/spank_efa_monitor.8" |
	sed -nE 's/^\.B[IR]? ([a-z_]+)= .*/\1/p' | sort -u)
assert_eq "$(comm -23 <(echo "$skeys") <(echo "$spage") | tr '\n' ' ')" "" \
	"spank_efa_monitor(8) describes every plugstack argument ($(echo $skeys))"
assert_eq "$(comm -13 <(echo "$skeys") <(echo "$spage") | tr '\n' ' ')" "" \
	"spank_efa_monitor(8) describes no plugstack argument the plugin lacks"
snippet=$srcdir/slurm-conf/efa-monitor.conf.plugstack.in
missing=""
for k in $skeys; do grep -Eq "^#   $k=" "$snippet" || missing="$missing $k"; done
[ -z "$missing" ] || fail "slurm-conf/efa-monitor.conf.plugstack.in does not explain:$missing"
ok "the plugstack snippet explains every argument too"

uopts=$(sed -nE 's/^#define USER_OPTS_HELP "(.*)"$/\1/p' "$srcdir/spank/settings.h" |
	tr ',' '\n' | sed -E 's/^ *//; s/=.*//' | sort -u)
[ -n "$uopts" ] || fail "could not read USER_OPTS_HELP from spank/settings.h"
upage=$(sed -n '/^\.SH OPTIONS/,/^\.SH LAUNCH FORMS/p' "$WORK/spank_efa_monitor.8" |
	sed -nE 's/^\.BI? ([a-z_]+)(=| *$).*/\1/p' | sort -u)
assert_eq "$(echo $upage)" "$(echo $uopts)" "spank_efa_monitor(8) describes exactly the --efa-monitor options ($(echo $uopts))"

# --- efa-monitor-node-setup(8): its options --------------------------------
roff "$MAN/efa-monitor-node-setup.8" >"$WORK/efa-monitor-node-setup.8"
bash "$srcdir/tools/efa-monitor-node-setup.sh" --help >"$WORK/setup-help" || fail "efa-monitor-node-setup --help failed"
sopts=$(grep -oE -- '(^|[ ,])(--[a-z][a-z-]*|-[a-z])' "$WORK/setup-help" | tr -d ' ,' | sort -u)
[ "$(echo "$sopts" | wc -l)" -ge 10 ] || fail "only $(echo "$sopts" | wc -l) options found in efa-monitor-node-setup --help"
missing=""
for o in $sopts; do
	grep -Eq -- "^\.(B|BI|BR) .*$o( |,|\"|$)" "$WORK/efa-monitor-node-setup.8" || missing="$missing $o"
done
[ -z "$missing" ] || fail "efa-monitor-node-setup(8) lacks the option(s):$missing"
ok "efa-monitor-node-setup(8) describes all $(echo "$sopts" | wc -l) options of its --help"

# --- mandoc -T lint --------------------------------------------------------
if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -T lint -W warning "$MAN/efa-monitor.8" "$MAN/efa-monitor.conf.5" "$MAN/spank_efa_monitor.8" \
		"$MAN/efa-monitor-node-setup.8" 2>&1)
	assert_eq "$out" "" "mandoc -T lint: no warning in the four pages"
else
	echo "# mandoc not installed: lint skipped"
fi
done_testing
