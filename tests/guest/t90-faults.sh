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
level=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 5
probe faults
dmesg -n "$level"
for a in failslab fail_page_alloc; do echo Y > $D/$a/ignore-gfp-wait; echo 2 > $D/$a/verbose; done
# The board is bound and works after the campaign.
check works-after kbridge set relay=0 --via ioctl
