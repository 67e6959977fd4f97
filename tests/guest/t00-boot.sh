# The emulated board came up with the hardware kbridge drives.
. ./lib.sh

check proc-mounted test -r /proc/self/status
check tracefs-mounted test -d /sys/kernel/tracing/events
check bpffs-mounted grep -q ' /sys/fs/bpf bpf ' /proc/mounts
check gpio-sim-bank test -n "$(sim_line 0)"
check led-status-class test -f /sys/class/leds/board:green:status/brightness
check led-fault-class test -f /sys/class/leds/board:red:fault/brightness
check kbridge-dt-node test -f /proc/device-tree/kbridge/compatible
expect_eq dt-compatible "$(tr -d '\0' < /proc/device-tree/kbridge/compatible)" "kbridge,board"
