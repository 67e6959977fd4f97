# Probe errors (scripts/run-guest.sh <lane> probe): the DT has the emulated
# board plus the broken kbridge,board nodes of tests/dts/probe-errors.dtso.
# Each broken node must fail its probe with one dmesg line naming the node and
# the broken rule (dev_err_probe), leave nothing behind, and the good board
# must bind and work; load/unload stays clean.
# shellcheck disable=SC2010 # ls | grep over sysfs names, which are plain words
. ./lib.sh

# node|the rule's dmesg line|errno the driver core reports
CASES='kbridge-bad-label|label is not a valid name|-22
kbridge-names-mismatch|output-names lists 2 names but the node has 1 GPIOs|-22
kbridge-bad-name|output-names[0] is not a valid line name|-22
kbridge-dup-names|duplicate line name '"'spare'"'|-22
kbridge-too-many|more than 64 lines|-7'
# kbridge-missing-gpio names line 12 of an 8-line chip: gpiolib can't tell
# "never" from "not yet" and answers EPROBE_DEFER, so the probe is deferred
# (reason in devices_deferred), not failed.
# Probe order between nodes is not defined, so the good board (kbridge) and
# the valid kbridge-second are kept away from the driver (driver_override)
# while the broken nodes probe; then the good board is bound by hand, then
# kbridge-second, which is refused: kbridge drives one board.
P=/sys/devices/platform

round() {
    r=$1
    dmesg -c >/dev/null
    echo none > $P/kbridge/driver_override
    echo none > $P/kbridge-second/driver_override
    echo none > $P/kbridge-keep-triggers/driver_override
    check "$r/insmod" kb_insmod
    log=$(dmesg)
    echo "$CASES" | while IFS='|' read -r node msg errno; do
        case "$log" in *"kbridge $node: error $errno: $msg"*) ktest_pass "$r/$node/message" ;;
            *) ktest_fail "$r/$node/message" "no 'kbridge $node: error $errno: $msg' in dmesg: $(echo "$log" | grep -F "$node" | tr '\n' '|')" ;; esac
        case "$log" in *"kbridge $node: probe with driver kbridge failed with error $errno"*) ktest_pass "$r/$node/probe-failed" ;;
            *) ktest_fail "$r/$node/probe-failed" "the driver core did not log error $errno for $node" ;; esac
    done
    # debugfs checks: once, in the second round (after a full load/unload).
    if [ "$r" = round1 ]; then :
    elif [ -r /sys/kernel/debug/devices_deferred ]; then
        deferred=$(grep kbridge-missing-gpio /sys/kernel/debug/devices_deferred)
        case "$deferred" in *"line 'ghost': cannot get its hardware"*) ktest_pass "$r/kbridge-missing-gpio/deferred-reason" ;;
            *) ktest_fail "$r/kbridge-missing-gpio/deferred-reason" "devices_deferred: '$deferred'" ;; esac
    else
        ktest_skip "$r/kbridge-missing-gpio/deferred-reason" "no debugfs in this kernel (CONFIG_DEBUG_FS off)"
    fi
    # The good board.
    echo kbridge > $P/kbridge/driver_override
    check "$r/good-board-binds" sh -c "echo kbridge > /sys/bus/platform/drivers/kbridge/bind"
    # Now the second valid node.
    echo kbridge > $P/kbridge-second/driver_override
    dmesg -c >/dev/null
    if echo kbridge-second > /sys/bus/platform/drivers/kbridge/bind 2>/dev/null; then
        ktest_fail "$r/kbridge-second/refused" "binding a second board succeeded"
    else
        ktest_pass "$r/kbridge-second/refused"
    fi
    log=$(dmesg)
    case "$log" in *"kbridge kbridge-second: error -16: only one kbridge,board node can be bound"*) ktest_pass "$r/kbridge-second/message" ;;
        *) ktest_fail "$r/kbridge-second/message" "dmesg: $(echo "$log" | tr '\n' '|')" ;; esac
    case "$log" in *"board 'second'"*) ktest_fail "$r/kbridge-second/no-hardware-touched" "it got as far as the board: $log" ;;
        *) ktest_pass "$r/kbridge-second/no-hardware-touched" ;; esac
    for node in kbridge-bad-label kbridge-names-mismatch kbridge-bad-name kbridge-dup-names \
                kbridge-too-many kbridge-missing-gpio kbridge-second; do
        if [ -e "$P/$node/driver" ] || [ -e "$P/$node/lines" ]; then
            ktest_fail "$r/$node/nothing-left" "$(ls "$P/$node")"
        else
            ktest_pass "$r/$node/nothing-left"
        fi
    done
    expect_eq "$r/one-device-bound" "$(ls /sys/bus/platform/drivers/kbridge | grep -c '^kbridge')" 1
    expect_eq "$r/good-board-bound" "$(readlink -f /sys/bus/platform/drivers/kbridge/kbridge)" $P/kbridge
    expect_eq "$r/one-misc-device" "$(ls /sys/class/misc | grep -c '^kbridge')" 1
    kbridge --via ioctl set relay 1
    expect_eq "$r/good-board-works" "$(cat /sys/class/misc/kbridge/device/lines/relay/value)" 1
    kbridge --via ioctl set relay 0
    expect_eq "$r/proc-label" "$(awk '$1=="board" {print $2}' /proc/kbridge)" qemu-virt
    # The spare lines the broken nodes requested are free again.
    if [ "$r" = round1 ]; then :
    elif [ -r /sys/kernel/debug/gpio ]; then
        expect_eq "$r/spare-lines-free" "$(grep -cE '\((spare|ghost|l[0-9]+)\)' /sys/kernel/debug/gpio)" 0
    else
        ktest_skip "$r/spare-lines-free" "no debugfs in this kernel (CONFIG_DEBUG_FS off)"
    fi
    check "$r/rmmod" rmmod kbridge
    expect_eq "$r/nothing-bound-after-rmmod" "$(ls /sys/class/misc | grep -c '^kbridge')" 0
}
round round1
round round2

# kbridge,keep-led-triggers: the board keeps its LED's trigger, and writes to
# that LED get EBUSY until the trigger is removed.
keep=/sys/class/leds/board:blue:keep
echo none > $P/kbridge/driver_override
echo none > $P/kbridge-second/driver_override
echo kbridge > $P/kbridge-keep-triggers/driver_override
dmesg -c >/dev/null
check keep/insmod kb_insmod
expect_eq keep/bound "$(readlink -f /sys/bus/platform/drivers/kbridge/kbridge-keep-triggers)" "$(readlink -f $P/kbridge-keep-triggers)"
check keep/trigger-kept grep -q '\[heartbeat\]' $keep/trigger
case "$(dmesg)" in *"removing the trigger"*) ktest_fail keep/not-removed "$(dmesg | grep 'removing the trigger')" ;;
    *) ktest_pass keep/not-removed ;; esac
out=$(kbridge set keep=1 --via ioctl 2>&1); rc=$?
[ "$rc" != 0 ] && ktest_pass keep/set-refused || ktest_fail keep/set-refused "exit 0: $out"
case "$out" in *[Bb]usy*) ktest_pass keep/set-ebusy ;; *) ktest_fail keep/set-ebusy "$out" ;; esac
echo none > $keep/trigger
check keep/set-after-trigger-gone kbridge set keep=1 --via ioctl
expect_eq keep/hw "$(gpio_dbg_val pl061 2)" 1
expect_eq keep/class "$(cat $keep/brightness)" 1
check keep/clear kbridge set keep=0 --via ioctl
check keep/rmmod rmmod kbridge
echo kbridge > $P/kbridge/driver_override
