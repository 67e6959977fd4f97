# The CLI beyond get/set: atomic multi-set, status, selftest, bench (+ raw GPIO
# baseline), versioned JSON, completions and the man page.
. ./lib.sh
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }
sim_val() { cat "$(sim_line "$1")/value"; }
led() { cat "/sys/class/leds/board:$1/brightness"; }
snapshot() { kbridge get relay buzzer status fault; }
# has NAME TEXT PATTERN: pass if a line of TEXT matches the (basic) regex PATTERN.
has() {
    if printf '%s\n' "$2" | grep -q -- "$3"; then ktest_pass "$1"
    else ktest_fail "$1" "no '$3' in: $(printf '%s' "$2" | tail -4 | tr '\n' ' ')"; fi
}

# For docs/cli.md: what the tour's commands print on the emulated board.
for c in "list" "status" "list --via sysfs"; do
    echo "TOUR: \$ kbridge $c"
    # shellcheck disable=SC2086
    kbridge $c 2>&1 | sed 's/^/TOUR: /'
done

# --- multi-set: one atomic change; one bad pair and nothing changes ---------------
check multi-set kbridge set relay=1 status=1 buzzer=1
expect_eq multi-set-relay-hw "$(sim_val 0)" 1
expect_eq multi-set-buzzer-hw "$(sim_val 1)" 0          # active-low: 1 drives low
expect_eq multi-set-status-led "$(led green:status)" 1
before=$(snapshot)
for via in ioctl chardev; do
    kbridge set relay=0 button=1 --via $via >/dev/null 2>&1
    expect_eq "multi-set-input-refused-$via-exit" "$?" 1
    kbridge set relay=0 status=2 --via $via >/dev/null 2>&1
    expect_eq "multi-set-range-refused-$via-exit" "$?" 1
    kbridge set relay=0 nosuch=1 --via $via >/dev/null 2>&1
    expect_eq "multi-set-unknown-refused-$via-exit" "$?" 3
    kbridge set relay=0 relay=1 --via $via >/dev/null 2>&1
    expect_eq "multi-set-duplicate-refused-$via-exit" "$?" 2
    expect_eq "multi-set-refused-$via-unchanged" "$(snapshot)" "$before"
    expect_eq "multi-set-refused-$via-hw" "$(sim_val 0)" 1
done
out=$(kbridge get relay realy 2>&1); rc=$?
expect_eq unknown-exit "$rc" 3
has unknown-suggests "$out" "did you mean \`relay\`"

check multi-toggle kbridge toggle relay status --via chardev
expect_eq multi-toggle-values "$(kbridge get relay status --via mmap)" "relay=0
status=0"
check multi-set-back kbridge set buzzer=0
check list-columns sh -c 'kbridge list | head -1 | grep -q "NAME.*KIND.*VALUE.*MAX.*FLAGS.*CHANGES.*SOURCE"'
check list-active-low sh -c 'kbridge list --via procfs | grep "^buzzer " | grep -q active-low'
check list-sysfs-dashes sh -c 'kbridge list --via sysfs | grep "^relay " | grep -q " - "'

# --- JSON: every document carries the schema -----------------------------------
for args in "info" "list" "get relay" "status" "interfaces" "set relay=0" "toggle status"; do
    # shellcheck disable=SC2086
    check "json-schema-$(echo $args | tr ' =' '--')" sh -c "kbridge --json $args | grep -q '^{\"schema\":\"kbridge/2\",'"
done
check toggle-back kbridge set status=0
kbridge events -n 1 --timeout 5 --json >/tmp/ev.json 2>&1 &
evpid=$!
sleep 0.3
kbridge set relay=1 --via sysfs
wait $evpid
check json-event sh -c 'grep -q "^{\"schema\":\"kbridge/2\",.*\"line\":\"relay\".*\"source\":\"sysfs\"" /tmp/ev.json'
kbridge --json get nosuch 2>/tmp/err.json >/dev/null
check json-error sh -c 'grep -q "^{\"schema\":\"kbridge/2\",\"error\":{\"kind\":\"unknown_line\"" /tmp/err.json'
check set-back kbridge set relay=0

# --- status ------------------------------------------------------------------
check status kbridge status
status=$(kbridge status --json)
for want in '"loaded":true' '"tool_abi":1' '"module_abi":1' '"abi_match":true' \
            '"board":"qemu-virt"' '"num_lines":8' '"ok":true'; do
    has "status-json-$want" "$status" "$want"
done
for i in procfs sysfs chardev ioctl mmap netlink; do
    has "status-$i-healthy" "$status" "{\"name\":\"$i\",\"available\":true,\"healthy\":true"
done
check status-text-interfaces sh -c 'kbridge status | grep -q "^ioctl *ok "'

# --- selftest: passes and leaves every line as it was -------------------------
kbridge set relay=1 status=1
before=$(snapshot); hw_before="$(sim_val 0)$(sim_val 1)$(led green:status)$(led red:fault)"
out=$(kbridge selftest 2>&1); rc=$?
echo "$out" | sed 's/^/SELFTEST: /'
expect_eq selftest-exit "$rc" 0
has selftest-all-pass "$out" '^24 checks: 24 passed, 0 failed; values restored$'
expect_eq selftest-restored "$(snapshot)" "$before"
expect_eq selftest-restored-hw "$(sim_val 0)$(sim_val 1)$(led green:status)$(led red:fault)" "$hw_before"
check selftest-json sh -c 'kbridge selftest --line relay --json | grep -q "\"failed\":0,\"restored\":true,\"ok\":true"'
expect_eq selftest-json-restored "$(snapshot)" "$before"
kbridge set relay=0 status=0

# --- bench: runs, restores the line; the raw GPIO baseline's options ------------
# (t85-bench.sh checks the bench's document, ratios and burst accounting.)
before=$(snapshot)
# Exit 1 is wrong burst accounting, which t85 reports row by row.
kbridge bench -n 10 -k 2 --events 100 --latency-samples 5 --json >/tmp/bench.json 2>/tmp/bench.err
case $? in 0|1) ktest_pass bench-exit ;; *) ktest_fail bench-exit "$(tail -2 /tmp/bench.err)" ;; esac
expect_eq bench-restored "$(snapshot)" "$before"
out=$(kbridge bench -n 10 -k 2 --events 100 --latency-samples 5 --gpio-compare 2>&1); rc=$?
case $rc in 0|1) ktest_pass gpio-compare-exit ;; *) ktest_fail gpio-compare-exit "exit $rc" ;; esac
has gpio-compare-get-row "$out" '^gpio-v2  *get '
has gpio-compare-set-row "$out" '^gpio-v2  *set '
# The baseline takes the first free line of relay's chip and says which: spare0 (6) on
# a fresh board, a lower one when an earlier test left a line free (t38's supplier
# unbind leaves leds-gpio on the old chip, so led-status' line is free after it).
n=$(printf '%s\n' "$out" | sed -n 's/^gpio-v2: \/dev\/gpiochip[0-9]* line \([0-9]*\) "[^"]*" (chip "kbridge-sim-a").*/\1/p')
if [ -n "$n" ]; then ktest_pass gpio-compare-says-which
else ktest_fail gpio-compare-says-which "no 'gpio-v2: ... line N \"name\" (chip \"kbridge-sim-a\")' in: $(printf '%s\n' "$out" | head -5 | tr '\n' ' ')"; fi
expect_eq gpio-compare-line-free-after "$(sim_val "${n:-6}")" 0
kbridge bench -n 5 --gpio-chip kbridge-sim-a --gpio-line 0 >/dev/null 2>&1
expect_eq gpio-compare-busy-line-refused "$?" 1
kbridge bench -n 5 --gpio-chip nosuch >/dev/null 2>&1
expect_eq gpio-compare-no-chip-refused "$?" 1

# --- human output fits 80 columns ---------------------------------------------------
for c in "list" "status" "selftest --line relay" "bench -n 5 -k 2 --events 100 --latency-samples 5" "interfaces" "--help"; do
    # shellcheck disable=SC2086
    wide=$(kbridge $c 2>&1 | awk '{ gsub(/…/, "."); if (length($0) > 80) print }')
    expect_eq "80-columns-$(echo "$c" | cut -d' ' -f1)" "$wide" ""
done

# --- completions and man page -----------------------------------------------------
for sh in bash zsh fish; do
    check "completions-$sh" sh -c "kbridge completions $sh | grep -q selftest"
done
check manpage sh -c 'kbridge manpage | grep -q "^.TH kbridge 1"'

unload_module
kbridge status >/dev/null 2>&1; expect_eq status-not-loaded-exit "$?" 5
check status-not-loaded-json sh -c 'kbridge status --json 2>/dev/null | grep -q "\"loaded\":false"'
