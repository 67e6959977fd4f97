# The fuzz and stress campaign (kbridge-fuzz): random and malformed operations
# on every interface from three threads, an unprivileged process and one in
# another network namespace, while the board, its GPIO and LED providers, an
# LED trigger, the BPF program and the module itself come and go. It checks
# the board's invariants throughout and at the end (same values everywhere,
# every change received or counted as dropped); kernel reports fail the run
# through the console checker, leaks through the kmemleak scan after it.
# Length: kb_fuzz=SECONDS on the kernel command line (make fuzz DURATION=...),
# else 120 s where the kernel's checkers are on (6.12-debug) and 20 s elsewhere.
. ./lib.sh
command -v kbridge-fuzz >/dev/null || { ktest_fail present "kbridge-fuzz not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }
[ -e /dev/kbridge ] || echo kbridge > /sys/bus/platform/drivers/kbridge/bind
secs=${kb_fuzz:-}
if [ -z "$secs" ]; then
    if [ -e /sys/kernel/debug/kmemleak ]; then secs=120; else secs=20; fi
fi
kbridge-fuzz --duration "$secs" --seed "${kb_fuzz_seed:-1}" --module "$KB_KO" > /tmp/fuzz.out 2>/tmp/fuzz.err
rc=$?
cat /tmp/fuzz.out
tail -5 /tmp/fuzz.err
if [ $rc = 0 ] && grep -q '^FUZZ-RESULT ok' /tmp/fuzz.out; then
    ktest_pass campaign
else
    ktest_fail campaign "exit $rc: $(grep -E '^FUZZ-(VIOLATION|RESULT)' /tmp/fuzz.out | head -5 | tr '\n' ' ')"
fi
# It really ran: operations of every kind, from every process, and the chaos.
for role_kind in "main ioctl" "main netlink" "main chardev" "main mmap" "main sysfs" "main procfs" \
                 "unpriv netlink" "unpriv ioctl" "netns netlink" "main chaos-unbind" "main chaos-rmmod" \
                 "main invariant-checks"; do
    n=$(sed -n "s/^FUZZ $role_kind ops=\([0-9]*\).*/\1/p" /tmp/fuzz.out)
    if [ "${n:-0}" -gt 0 ]; then ktest_pass "ran/${role_kind% *}-${role_kind#* }"
    else ktest_fail "ran/${role_kind% *}-${role_kind#* }" "no operations of this kind"; fi
done
check works-after kbridge set relay=0 --via ioctl
