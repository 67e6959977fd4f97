# Systematic fault injection (lane 6.12-debug: CONFIG_FAULT_INJECTION with
# failslab and fail_page_alloc). kbridge-test's `faults` area fails each kernel
# allocation of a netlink toggle, an ioctl set, a chardev write, a sysfs write
# and a bind in turn (/proc/thread-self/fail-nth): each must be refused with
# nothing changed, or done exactly once, and a failed bind must leave nothing
# registered. Leaks and use-after-frees on those error paths fail the run
# through kmemleak and KASAN.
. ./lib.sh
D=/sys/kernel/debug
if [ ! -e /proc/self/fail-nth ] || [ ! -d $D/failslab ]; then
    ktest_skip faults "no fault injection in this kernel (CONFIG_FAULT_INJECTION, FAILSLAB and FAULT_INJECTION_DEBUG_FS are in the 6.12-debug lane only)"
    exit 0
fi
load_module || { ktest_fail load "insmod failed"; exit 0; }
[ -e /dev/kbridge ] || echo kbridge > /sys/bus/platform/drivers/kbridge/bind
# Fail GFP_KERNEL (sleeping) allocations and order-0 pages too (both are
# skipped by default); say which allocation failed, without a stack dump.
for a in failslab fail_page_alloc; do
    echo N > $D/$a/ignore-gfp-wait
    echo 1 > $D/$a/verbose
done
echo N > $D/fail_page_alloc/ignore-gfp-highmem
echo 0 > $D/fail_page_alloc/min-order
# Hundreds of binds: keep their info lines and the injected-failure notices off
# the (slow, emulated) serial console; warnings and errors still reach it, so
# the console checker sees any kernel report.
# kbridge's own attribute (line writes): counted by fail-nth like the others.
[ -d $D/fail_kbridge_hw_write ] && echo 1 > $D/fail_kbridge_hw_write/verbose
level=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 5
probe faults
dmesg -n "$level"
for a in failslab fail_page_alloc; do echo Y > $D/$a/ignore-gfp-wait; echo 2 > $D/$a/verbose; done

# An atomic two-line set whose second write fails, and whose undo of the first
# write fails too (kbridge's own fault attribute: the first line write passes,
# the next two fail). The request fails, the kernel log says the undo failed,
# and the state claims what the hardware holds: relay stayed high.
F=$D/fail_kbridge_hw_write
if [ -d $F ]; then
    kbridge set relay=0 lamp=0 --via ioctl >/dev/null 2>&1
    echo 2 > $F/space; echo 2 > $F/times
    echo 100 > $F/probability
    check undo-fails/refused sh -c '! kbridge set relay=1 lamp=1 --via ioctl'
    echo 0 > $F/probability
    check undo-fails/logged sh -c "dmesg | grep -q \"line 'relay': undoing a failed request failed too\""
    expect_eq undo-fails/hardware "$(cat "$(sim_line 0)/value")" 1
    expect_eq undo-fails/state "$(kbridge get relay --via procfs)" relay=1
    check undo-fails/source grep -q '^line 0 relay .* source=kernel ' /proc/kbridge
    kbridge set relay=0 --via ioctl >/dev/null 2>&1
else
    ktest_fail undo-fails "no $F: the module's fault attribute is missing"
fi
# The board is bound and works after the campaign.
check works-after kbridge set relay=0 --via ioctl
