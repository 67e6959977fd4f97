# kbridge-hal: the embedded-hal traits drive the real lines. `kbridge-test hal`
# (userspace/crates/kbridge-test/src/hal.rs) checks OutputPin/StatefulOutputPin on
# the relay against gpio-sim's value, the status LED's brightness through
# OutputPin and SetDutyCycle, InputPin on the button after gpio-sim pulls, and
# embedded-hal-async Wait resolving on edges made from another thread. Then the
# blinky example (written only against embedded-hal traits) blinks the LED.
. ./lib.sh
command -v kbridge-test >/dev/null || { ktest_fail probe-present "kbridge-test not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }

out=$(kbridge-test hal 2>&1); rc=$?
echo "$out"
echo "$out" | grep -Eq "^ *(not )?ok [0-9]+ relay-output( |$)" \
    || ktest_fail probe-ran "kbridge-test hal exited $rc without its cases: $(echo "$out" | tail -3 | tr '\n' ' ')"

# blinky: 3 blinks = 6 changes of the LED, ending off.
changes() { sed -n "s/^line [0-9]* $1 .* changes=\([0-9]*\) .*/\1/p" /proc/kbridge; }
if command -v kbridge-blinky >/dev/null; then
    before=$(changes status)
    check blinky-runs kbridge-blinky status 3 100
    expect_eq blinky-changes "$(( $(changes status) - before ))" 6
    expect_eq blinky-ends-off "$(cat /sys/class/leds/board:green:status/brightness)" 0
    # An input line is refused when the pin is opened, nothing is driven.
    before=$(changes button)
    check blinky-input-refused sh -c '! kbridge-blinky button 1 10'
    check blinky-input-message sh -c 'kbridge-blinky button 1 10 2>&1 | grep -q "is an input line; Output needs"'
    expect_eq blinky-input-unchanged "$(changes button)" "$before"
else
    ktest_fail blinky-present "kbridge-blinky not in the initramfs (scripts/build-agent.sh builds it)"
fi
unload_module
