# The emulated Raspberry Pi 4 (lane rpi4: QEMU raspi4b, mainline
# bcm2711-rpi-4-b.dtb + conf/dts/rpi/kbridge-overlay.dts): the product's Pi
# overlay binds kbridge to the header pins GPIO17, GPIO27 (outputs), GPIO22
# (input, pull-up) and the ACT LED (leds-gpio on GPIO 42). The BCM2711 GPIO
# controller never sleeps. Every writer and reader, checked against the
# controller's state (debugfs gpio) and the LED class brightness.
. ./lib.sh
check insmod load_module
check bound test -e /sys/bus/platform/drivers/kbridge/kbridge
log=$(dmesg | grep 'kbridge:')
for l in "line 0 'gpio17': output value=0" "line 1 'gpio27': output value=0" \
         "line 2 'gpio22': input" "line 3 'act': led" "board 'raspberrypi': 4 lines"; do
    case "$log" in *"$l"*) ktest_pass "dmesg: $l" ;; *) ktest_fail "dmesg: $l" "not in dmesg: $(echo "$log" | tail -6 | tr '\n' '|')" ;; esac
done
# The LED class device behind "act" (mainline names it from its DT label).
led=$(echo "$log" | sed -n "s/.*line 3 'act': led .*(LED \(.*\))$/\1/p" | head -1)
ACT=/sys/class/leds/$led
check act-led-class test -n "$led" -a -d "$ACT"

# bcm2711_val N: the level gpiolib reports for BCM2711 GPIO N.
bcm_val() { gpio_dbg_val 'bcm2711|bcm2835' "$1"; }

# The ACT LED's default trigger (mainline: heartbeat) was removed at probe.
check act-trigger-removed grep -q '\[none\]' "$ACT/trigger"
check act-trigger-removed-logged sh -c "dmesg | grep -q \"line 'act': removing the trigger of LED $led\""

hw() {
    case $2 in
        gpio17) expect_eq "$1" "$(bcm_val 17)" "$3" ;;
        gpio27) expect_eq "$1" "$(bcm_val 27)" "$3" ;;
        act) expect_eq "$1" "$(bcm_val 42)" "$3"; expect_eq "$1-class" "$(cat "$ACT/brightness")" "$3" ;;
    esac
}
rw_matrix rpi hw gpio17 gpio27 act

# Toggle; a refused multi-line set (gpio22 is an input) changes nothing.
check toggle-gpio17 kbridge toggle gpio17 --via ioctl
expect_eq toggle-gpio17-hw "$(bcm_val 17)" 1
check refused-multi sh -c '! kbridge set gpio27=1 act=1 gpio22=1 --via netlink 2>/dev/null'
expect_eq refused-multi-gpio27 "$(bcm_val 27)" 0
expect_eq refused-multi-act "$(cat "$ACT/brightness")" 0
check toggle-gpio17-back kbridge toggle gpio17 --via chardev

# A trigger attached after probe owns the LED: EBUSY, and the output written
# before the LED in the same set is undone.
echo heartbeat > "$ACT/trigger"
out=$(kbridge set gpio27=1 act=1 --via ioctl 2>&1); rc=$?
[ "$rc" != 0 ] && ktest_pass trigger-set-refused || ktest_fail trigger-set-refused "exit 0: $out"
case "$out" in *[Bb]usy*) ktest_pass trigger-set-ebusy ;; *) ktest_fail trigger-set-ebusy "$out" ;; esac
expect_eq trigger-set-undone-hw "$(bcm_val 27)" 0
echo none > "$ACT/trigger"
check trigger-gone-set-works kbridge set act=1 --via ioctl
check trigger-gone-clear kbridge set act=0 --via ioctl

# The input: every reader reports what gpiolib reads from the pin.
v=$(bcm_val 22)
if [ -z "$v" ]; then
    ktest_fail input-hw "debugfs has no value for GPIO22"
else
    for r in procfs sysfs ioctl mmap netlink; do
        expect_eq "input-get-via-$r" "$(kbridge get gpio22 --via $r)" "gpio22=$v"
    done
fi
ktest_skip input-edges "QEMU's raspi4b cannot drive a BCM2711 pin from outside the guest, so input edges and their interrupts are not exercised here (the gpio-sim lanes test them)"

# eBPF map, selftest (every writer x every reader, the BPF map included) and
# bench on the Pi's lines.
if kbridge bpf attach >/dev/null 2>&1; then
    ktest_pass bpf-attach
    check bpf-set kbridge set gpio17=1 act=1 --via ioctl
    expect_eq bpf-get "$(kbridge get gpio17 act --via bpf | tr '\n' ' ')" "gpio17=1 act=1 "
    check bpf-clear kbridge set gpio17=0 act=0 --via ioctl
else
    ktest_fail bpf-attach "kbridge bpf attach failed"
fi
out=$(kbridge selftest 2>&1); rc=$?
echo "$out" | sed 's/^/SELFTEST: /'
expect_eq selftest-exit "$rc" 0
case "$out" in *"readers: procfs sysfs ioctl mmap netlink bpf"*) ktest_pass selftest-reads-bpf ;;
    *) ktest_fail selftest-reads-bpf "$(echo "$out" | head -3)" ;; esac
case "$out" in *"12 checks: 12 passed, 0 failed; values restored"*) ktest_pass selftest-all ;; *) ktest_fail selftest-all "$out" ;; esac
out=$(kbridge bench -n 100 2>&1); rc=$?
echo "$out" | sed 's/^/BENCH: /'
# 1: wrong burst accounting, shown in the table (t85 checks it on the virt board).
case $rc in 0|1) ktest_pass bench-exit ;; *) ktest_fail bench-exit "exit $rc" ;; esac
expect_eq bench-restored "$(kbridge get gpio17 gpio27 act --via ioctl | tr '\n' ' ')" "gpio17=0 gpio27=0 act=0 "
kbridge bpf detach >/dev/null 2>&1
check rmmod unload_module
