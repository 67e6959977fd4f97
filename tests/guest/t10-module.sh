# kbridge.ko loads, binds to the board node, logs its lines, and unloads cleanly.
. ./lib.sh

check insmod kb_insmod
check bound test -e /sys/bus/platform/drivers/kbridge/kbridge
log=$(dmesg | grep 'kbridge:')
for l in "line 0 'relay': output value=0" "line 1 'buzzer': output value=0 active-low" \
         "line 2 'lamp': output value=0" "line 3 'button': input value=0" "line 4 'door': input" \
         "line 5 'status': led value=0 max=1 (LED board:green:status)" \
         "line 6 'fault': led value=0 max=1 (LED board:red:fault)" \
         "line 7 'act': led value=0 max=1 (LED board:green:act)" "board 'qemu-virt': 8 lines"; do
    case "$log" in *"$l"*) ktest_pass "dmesg: $l" ;; *) ktest_fail "dmesg: $l" "not in dmesg: $(echo "$log" | tail -8 | tr '\n' '|')" ;; esac
done
# kbridge names itself the consumer of its GPIO lines (gpioinfo, debugfs).
for l in relay buzzer lamp button door; do
    check "gpio-consumer-$l" grep -q "kbridge:$l" /sys/kernel/debug/gpio
done
check rmmod rmmod kbridge
check unbound-after-rmmod kb_gone

n=0; ok=1
while [ $n -lt 20 ]; do
    kb_insmod && rmmod kbridge || { ok=0; break; }
    n=$((n + 1))
done
[ $ok = 1 ] && ktest_pass "load-unload-20x" || ktest_fail "load-unload-20x" "failed at iteration $n"
