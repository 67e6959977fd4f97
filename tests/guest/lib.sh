# Helpers for in-guest tests (busybox sh). Each test file sources this and
# reports cases with ktest_pass/ktest_fail/ktest_skip, as KTAP
# (Documentation/dev-tools/ktap.rst) result lines of the file's subtest:
#     ok N case
#     not ok N case # reason
#     ok N case # SKIP reason
# run-all.sh prints each file's subtest header, then its plan and result once
# the file is done (a file that exits non-zero gets a failed case `exit`);
# the host parses the console with tests/host/ktap.py. The cases of a file
# are numbered through $KTAP_STATE, which holds "<cases> <failed> <skipped>"
# so far, so that subshells and kbridge-test (which reports the same way)
# keep one count. Cases are reported one at a time, never concurrently.
KB_KO=/lib/modules/kbridge.ko
KTEST_FILE=${KTEST_FILE:-$(basename "$0" .sh)}
KTAP_STATE=${KTAP_STATE:-/tmp/ktap-state}
export KTAP_STATE

# ktap_result ok|"not ok"|skip CASE [REASON]: one numbered result line.
ktap_result() {
    read -r _ktap_n _ktap_f _ktap_s 2>/dev/null < "$KTAP_STATE" || { _ktap_n=0 _ktap_f=0 _ktap_s=0; }
    _ktap_n=$((_ktap_n + 1))
    # A reason is one line, and a `#` in a name would start a directive (no
    # fork for the usual case: the whole suite reports many hundred cases).
    _ktap_why=$3 _ktap_case=$2
    case $3 in *"
"*) _ktap_why=$(printf '%s' "$3" | tr '\n' ' ') ;; esac
    case $2 in *"#"* | *"
"*) _ktap_case=$(printf '%s' "$2" | tr '#\n' '_ ') ;; esac
    case $1 in
        ok) _ktap_line="ok $_ktap_n $_ktap_case" ;;
        skip) _ktap_s=$((_ktap_s + 1)); _ktap_line="ok $_ktap_n $_ktap_case # SKIP $_ktap_why" ;;
        *) _ktap_f=$((_ktap_f + 1)); _ktap_line="not ok $_ktap_n $_ktap_case # $_ktap_why" ;;
    esac
    echo "$_ktap_n $_ktap_f $_ktap_s" > "$KTAP_STATE"
    echo "    $_ktap_line"
}
ktest_pass() { ktap_result ok "$1"; }
ktest_fail() { ktap_result "not ok" "$1" "$2"; }
ktest_skip() { ktap_result skip "$1" "$2"; }

# check NAME CMD...: pass if CMD exits 0, else fail with its output.
check() {
    name=$1; shift
    if out=$("$@" 2>&1); then ktest_pass "$name"
    else ktest_fail "$name" "'$*' exited $? : $(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
    if [ "$2" = "$3" ]; then ktest_pass "$1"
    else ktest_fail "$1" "got '$2', expected '$3'"; fi
}

# wait_for FILE PATTERN [TENTHS]: until grep finds PATTERN in FILE (default 5 s).
wait_for() {
    n=0
    while [ $n -lt "${3:-50}" ]; do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}
# wait_exit PID [TENTHS]: until PID has exited (default 5 s); its status in $rc.
wait_exit() {
    n=0
    while kill -0 "$1" 2>/dev/null && [ $n -lt "${2:-50}" ]; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$1" 2>/dev/null; then rc=timeout; kill -9 "$1"; wait "$1"; return 1; fi
    wait "$1"; rc=$?
}
# The gpio-sim line behind a named line of bank A: prints its sysfs dir.
sim_line() {
    for chip in /sys/devices/platform/gpio-sim/gpiochip*; do
        [ -d "$chip/sim_gpio$1" ] && { echo "$chip/sim_gpio$1"; return 0; }
    done
    return 1
}

# probe AREA: runs `kbridge-test AREA` (its cases print their own KTAP lines;
# exit 1 means one failed). Any other exit status (a crash: 128 + signal) fails
# the area as a whole, so cases it never reached are not lost silently.
probe() {
    KTEST_FILE=$KTEST_FILE kbridge-test "$1"
    rc=$?
    [ $rc -le 1 ] || ktest_fail "$1-exit" "kbridge-test $1 exited $rc (signal $((rc > 128 ? rc - 128 : 0)))"
    return 0
}

module_loaded() { grep -q '^kbridge ' /proc/modules; }
# kb_gone: waits until the last load of kbridge is gone from sysfs
# (/sys/bus/platform/drivers/kbridge and /sys/module/kbridge); fails after 10 s.
# Under CONFIG_DEBUG_KOBJECT_RELEASE (the 6.12-debug lane) a kobject is
# released 1 to 4 s after its last put, so those directories can outlive
# rmmod, and registering the driver again before then fails with EEXIST and a
# kobject warning on the console.
kb_gone() {
    i=0
    while [ -e /sys/bus/platform/drivers/kbridge ] || [ -e /sys/module/kbridge ]; do
        [ $i -ge 100 ] && return 1
        sleep 0.1; i=$((i + 1))
    done
}
# kb_insmod [PARAM=VALUE...]: insmod kbridge.ko once the previous load is gone.
# shellcheck disable=SC2120 # callers in other files pass parameters
kb_insmod() { kb_gone; insmod "$KB_KO" "$@"; }
load_module() { module_loaded || kb_insmod; }
unload_module() { ! module_loaded || rmmod kbridge; }

# gpio_dbg_val CHIP_PATTERN N: the level gpiolib reports in debugfs for line N
# (chip-relative) of the first chip whose header line matches the awk regex
# CHIP_PATTERN: prints 1 (hi) or 0 (lo), nothing if the line isn't requested.
gpio_dbg_val() {
    awk -v pat="$1" -v n="$2" '
        /^gpiochip/ { inchip = ($0 ~ pat); if (inchip) { split($3, r, "-"); base = r[1] } next }
        inchip && $1 == "gpio-" base + n { for (i = 1; i <= NF; i++) if ($i == "hi" || $i == "lo") { print ($i == "hi") ? 1 : 0; exit } }
    ' /sys/kernel/debug/gpio
}

# rw_matrix PREFIX HWCHECK LINE...: every writer (ioctl, sysfs, chardev,
# netlink) sets the LINEs to 1, then 0; after each write every reader (procfs,
# sysfs, ioctl, mmap, netlink) must report the new value, the change's source
# must be the writer, and `HWCHECK NAME LINE VALUE` (a function of the test
# file) checks the hardware.
rw_matrix() {
    prefix=$1 hwcheck=$2; shift 2
    for w in ioctl sysfs chardev netlink; do
        for v in 1 0; do
            sets="" cmds="" want=""
            for l in "$@"; do sets="$sets $l=$v"; cmds="${cmds}set $l $v\n"; want="$want$l=$v "; done
            # shellcheck disable=SC2059,SC2086 # cmds holds the \n on purpose; sets is a word list
            case $w in
                sysfs) out=$(for l in "$@"; do echo $v > "/sys/class/misc/kbridge/device/lines/$l/value" || exit 1; done 2>&1) ;;
                chardev) out=$(printf "$cmds" 2>&1 > /dev/kbridge) ;;
                *) out=$(kbridge set $sets --via $w 2>&1) ;;
            esac
            rc=$?
            t="$prefix/set-$v-via-$w"
            [ "$rc" = 0 ] && ktest_pass "$t" || ktest_fail "$t" "exit $rc: $out"
            for l in "$@"; do
                $hwcheck "$t-$l-hw" "$l" "$v"
                grep -q "^line [0-9]* $l .* value=$v .* source=$w " /proc/kbridge \
                    && ktest_pass "$t-$l-source" || ktest_fail "$t-$l-source" "$(grep "^line [0-9]* $l " /proc/kbridge)"
            done
            for r in procfs sysfs ioctl mmap netlink; do
                # shellcheck disable=SC2068
                expect_eq "$t-get-via-$r" "$(kbridge get $@ --via $r | tr '\n' ' ')" "$want"
            done
        done
    done
}
