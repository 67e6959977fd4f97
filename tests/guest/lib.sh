# Helpers for in-guest tests (busybox sh). Each test file sources this and
# reports cases with ktest_pass/ktest_fail/ktest_skip; the host counts the
# "KTEST" lines on the console. A file that exits non-zero without reporting
# is counted as a failure by run-all.sh.
KB_KO=/lib/modules/kbridge.ko
KTEST_FILE=${KTEST_FILE:-$(basename "$0" .sh)}

ktest_pass() { echo "KTEST PASS $KTEST_FILE/$1"; }
ktest_fail() { echo "KTEST FAIL $KTEST_FILE/$1: $2"; }
ktest_skip() { echo "KTEST SKIP $KTEST_FILE/$1: $2"; }

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

# The gpio-sim line behind a named line of bank A: prints its sysfs dir.
sim_line() {
    for chip in /sys/devices/platform/gpio-sim/gpiochip*; do
        [ -d "$chip/sim_gpio$1" ] && { echo "$chip/sim_gpio$1"; return 0; }
    done
    return 1
}

module_loaded() { grep -q '^kbridge ' /proc/modules; }
load_module() { module_loaded || insmod "$KB_KO"; }
unload_module() { ! module_loaded || rmmod kbridge; }
