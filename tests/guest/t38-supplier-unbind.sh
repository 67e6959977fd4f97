# The LED and GPIO providers kbridge uses can be unbound under it (root:
# echo <dev> > /sys/bus/platform/drivers/<drv>/unbind). kbridge must let go
# first: afterwards nothing of kbridge may touch the provider's freed memory
# (the 100 ms LED poll included; the debug lane's KASAN checks that), and once
# the provider is back kbridge binds again and works.
# The gpio-sim cycle leaves leds-gpio (whose GPIOs are on gpio-sim too, with no
# device link between them) holding descriptors of the removed chip; when it
# lets go of them later, 6.12's gpiolib leaks their labels (kmemleak:
# desc_set_label from gpio_led_probe; gpiod_free_commit() skips the label once
# the chip is gone). A kernel bug, not kbridge's: so nothing after this file
# unbinds leds-gpio, and the fuzz campaign (t37) runs before it.
. ./lib.sh
load_module || { ktest_fail load "insmod failed"; exit 0; }
K=/sys/bus/platform/drivers/kbridge

# supplier_cycle NAME DRIVER DEVICE: unbind DEVICE from DRIVER, use kbridge,
# bind it back, bind kbridge back.
supplier_cycle() {
    sc=$1 drv=/sys/bus/platform/drivers/$2 dev=$3
    if [ ! -e "$drv/$dev" ]; then ktest_fail "$sc/present" "$dev is not bound to $2"; return; fi
    check "$sc/unbind" sh -c "echo $dev > $drv/unbind"
    sleep 0.5   # several LED polls
    if [ -e "$K/kbridge" ]; then
        ktest_fail "$sc/kbridge-let-go" "kbridge is still bound with its $2 supplier gone"
    else
        ktest_pass "$sc/kbridge-let-go"
    fi
    # Every interface is used while the board is gone; any kernel report
    # (oops, KASAN) fails the run (scripts/run-guest.sh).
    for via in procfs sysfs ioctl mmap netlink; do
        kbridge get status --via $via >/dev/null 2>&1
    done
    check "$sc/rebind-supplier" sh -c "echo $dev > $drv/bind"
    # The driver core may re-probe kbridge on its own (fw_devlink); else bind it.
    sleep 0.2
    [ -e "$K/kbridge" ] || echo kbridge > $K/bind 2>/dev/null
    # Wait until the probe has finished (the driver link appears before it does).
    n=0; while [ ! -e /dev/kbridge ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done
    check "$sc/kbridge-back" test -e "$K/kbridge" -a -e /dev/kbridge
    check "$sc/works" kbridge set relay=1 status=1 --via ioctl
    expect_eq "$sc/value" "$(kbridge get relay status --via procfs | tr '\n' ' ')" "relay=1 status=1 "
    kbridge set relay=0 status=0 --via ioctl >/dev/null 2>&1
}
supplier_cycle leds leds-gpio leds
supplier_cycle gpio-sim gpio-sim gpio-sim
unload_module
