# The event ring's size (module parameter ring_size) and its exact loss
# accounting: with the reader stopped, a burst of B events loses exactly
# max(0, B - RING), whether the reader then reads (the first record's
# `dropped`) or closes without reading (/proc/kbridge's dropped counter).
. ./lib.sh
dropped() { sed -n 's/^events delivered=[0-9]* dropped=\([0-9]*\)$/\1/p' /proc/kbridge; }
# burst N: N changes of relay (each a real change: it toggles).
burst() {
    k=0
    while [ $k -lt "$1" ]; do echo "toggle relay" > /dev/kbridge; k=$((k + 1)); done
}

# Bad values refuse to load, with the reason in the log; nothing is left behind.
unload_module
for bad in 0 8 100 131072; do
    if kb_insmod ring_size=$bad 2>/dev/null; then
        ktest_fail "ring-size-$bad-refused" "insmod ring_size=$bad succeeded"
        rmmod kbridge
    else
        ktest_pass "ring-size-$bad-refused"
    fi
done
check ring-size-refusal-logged sh -c 'dmesg | grep -q "ring_size=100 is not a power of two from 16 to 65536"'

R=16
check ring-size-load kb_insmod ring_size=$R
expect_eq ring-size-param "$(cat /sys/module/kbridge/parameters/ring_size)" $R

for b in $((R - 1)) $R $((R + 1)) $((2 * R)); do
    want=$((b > R ? b - R : 0))
    # A reader that reads after the burst: its first record says how many it lost.
    exec 3< /dev/kbridge
    burst $b
    got=$(dd bs=32 count=1 <&3 2>/dev/null | od -A n -t u4 -j 28 -N 4 | tr -d ' ')
    exec 3<&-
    expect_eq "burst-$b-read-dropped" "$got" "$want"
    # A reader that closes without reading: counted as dropped all the same.
    before=$(dropped)
    exec 3< /dev/kbridge
    burst $b
    exec 3<&-
    expect_eq "burst-$b-close-dropped" "$(( $(dropped) - before ))" "$want"
done

# Back to the default module for the tests after this one.
rmmod kbridge
check ring-size-default-reload kb_insmod
expect_eq ring-size-default "$(cat /sys/module/kbridge/parameters/ring_size)" 128
