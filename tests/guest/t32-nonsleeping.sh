# Lines on a GPIO controller that never sleeps, as on the Raspberry Pi: QEMU
# virt's PL061 carries the output "lamp" (line 1) and, through leds-gpio, the
# LED "act" (line 0). gpiolib and the LED core take their non-sleeping paths
# here (leds-gpio installs only brightness_set), unlike the gpio-sim lines.
# Every writer and every reader, checked against the controller's own state
# (debugfs gpio) and the LED class brightness.
. ./lib.sh
load_module || { ktest_fail load "insmod failed"; exit 0; }
L=/sys/class/misc/kbridge/device/lines
ACT=/sys/class/leds/board:green:act

pl061_val() { gpio_dbg_val pl061 "$1"; }
proc_line() { grep "^line [0-9]* $1 " /proc/kbridge; }

# The board gives act a default trigger (heartbeat, as on the Pi): kbridge owns
# its LEDs and removed it at probe, so nothing fights kbridge's writes.
check act-trigger-removed grep -q '\[none\]' $ACT/trigger
check act-trigger-removed-logged sh -c "dmesg | grep -q \"line 'act': removing the trigger of LED board:green:act\""

check lamp-listed grep -q '^line 2 lamp kind=output ' /proc/kbridge
check act-listed grep -q '^line 7 act kind=led ' /proc/kbridge
expect_eq lamp-hw-initial "$(pl061_val 1)" 0
expect_eq act-hw-initial "$(pl061_val 0)" 0

# Each writer sets then clears both lines; every reader agrees, the hardware follows.
hw() {
    case $2 in
        lamp) expect_eq "$1" "$(pl061_val 1)" "$3" ;;
        act) expect_eq "$1" "$(pl061_val 0)" "$3"; expect_eq "$1-class" "$(cat $ACT/brightness)" "$3" ;;
    esac
}
rw_matrix rw hw lamp act

# Toggle and an atomic multi-line set that is refused leave every line as it was.
check toggle-act kbridge toggle act --via ioctl
expect_eq toggle-act-hw "$(pl061_val 0)" 1
check refused-multi sh -c '! kbridge set lamp=1 act=0 status=2 --via ioctl 2>/dev/null'
expect_eq refused-multi-lamp "$(pl061_val 1)" 0
expect_eq refused-multi-act "$(cat $ACT/brightness)" 1
check toggle-act-back kbridge toggle act --via chardev

# A trigger attached after probe owns the LED: writes get EBUSY ("busy") through
# every writer, and a multi-line set whose LED write fails undoes the lines
# written before it (lamp comes first), so every line stays as it was.
echo timer > $ACT/trigger
for w in ioctl netlink; do
    out=$(kbridge set lamp=1 act=1 --via $w 2>&1); rc=$?
    [ "$rc" != 0 ] && ktest_pass "trigger-set-refused-via-$w" || ktest_fail "trigger-set-refused-via-$w" "exit 0: $out"
    case "$out" in *[Bb]usy*) ktest_pass "trigger-set-ebusy-via-$w" ;; *) ktest_fail "trigger-set-ebusy-via-$w" "$out" ;; esac
    expect_eq "trigger-set-lamp-undone-via-$w-hw" "$(pl061_val 1)" 0
    expect_eq "trigger-set-lamp-undone-via-$w" "$(kbridge get lamp --via ioctl)" "lamp=0"
done
check trigger-set-refused-via-sysfs sh -c "! echo 1 2>/dev/null > $L/act/value"
check trigger-set-refused-via-chardev sh -c "! printf 'set act 1\n' 2>/dev/null > /dev/kbridge"
# While the trigger blinks the LED, kbridge records at most one change per LED
# poll (100 ms): no event storm.
s0=$(sed -n 's/^board .* seq \([0-9]*\).*/\1/p' /proc/kbridge)
sleep 2
s1=$(sed -n 's/^board .* seq \([0-9]*\).*/\1/p' /proc/kbridge)
if [ -n "$s0" ] && [ -n "$s1" ] && [ $((s1 - s0)) -le 22 ]; then ktest_pass trigger-no-event-storm
else ktest_fail trigger-no-event-storm "seq went from '$s0' to '$s1' in 2 s"; fi
echo none > $ACT/trigger
check trigger-gone-set-works kbridge set act=1 --via ioctl
expect_eq trigger-gone-set-hw "$(pl061_val 0)" 1
check trigger-gone-clear kbridge set act=0 --via ioctl

# A change made outside kbridge (LED class sysfs) is picked up as source=kernel.
echo 1 > $ACT/brightness; sleep 0.3
check external-act-seen sh -c 'grep -q "^line 7 act .* value=1 .* source=kernel " /proc/kbridge'
echo 0 > $ACT/brightness; sleep 0.3

# BPF: with the program attached the map follows the non-sleeping lines too.
if kbridge bpf attach >/dev/null 2>&1; then
    check bpf-set kbridge set lamp=1 act=1 --via ioctl
    expect_eq bpf-get "$(kbridge get lamp act --via bpf | tr '\n' ' ')" "lamp=1 act=1 "
    out=$(kbridge selftest --line lamp --line act 2>&1); rc=$?
    expect_eq selftest-exit "$rc" 0
    case "$out" in *" 0 failed"*) ktest_pass selftest-all ;; *) ktest_fail selftest-all "$out" ;; esac
    kbridge set lamp=0 act=0 --via ioctl >/dev/null
    check bpf-detach kbridge bpf detach
else
    ktest_fail bpf-attach "kbridge bpf attach failed"
fi
unload_module
