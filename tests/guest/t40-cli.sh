# The agent CLI drives and reads the board through every file interface, and
# all interfaces agree (cross-interface consistency).
. ./lib.sh
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }
sim_val() { cat "$(sim_line "$1")/value"; }

check info kbridge info
check list kbridge list
check list-json sh -c 'kbridge list --json | grep -q "\"relay\""'

# A change through each writable interface is seen identically through all readers.
v=1
for w in ioctl sysfs chardev; do
    check "set-via-$w" kbridge set relay $v --via $w
    expect_eq "set-via-$w-hw" "$(sim_val 0)" $v
    for r in procfs sysfs ioctl mmap; do
        expect_eq "set-via-$w-get-via-$r" "$(kbridge get relay --via $r)" "relay=$v"
    done
    check "set-via-$w-source" grep -q "^line 0 relay .* source=$w " /proc/kbridge
    v=$((1 - v))
done
# Atomic multi-line set via ioctl.
check set-multi kbridge set relay=1 status=1 --via ioctl
expect_eq set-multi-led "$(cat /sys/class/leds/board:green:status/brightness)" 1
check toggle kbridge toggle status --via ioctl
expect_eq toggle-led "$(cat /sys/class/leds/board:green:status/brightness)" 0
# Read-only interfaces refuse writes with a clear error.
check set-via-procfs-refused sh -c '! kbridge set relay 0 --via procfs'
check set-via-mmap-refused sh -c '! kbridge set relay 0 --via mmap'
# Errors: unknown name (exit 3), input line.
kbridge get nosuch >/dev/null 2>&1; expect_eq unknown-name-exit "$?" 3
check set-input-refused sh -c '! kbridge set button 1'
# A hardware edge is seen through every reader.
echo pull-up > "$(sim_line 4)/pull"; sleep 0.2
for r in procfs sysfs ioctl mmap; do
    expect_eq "edge-get-via-$r" "$(kbridge get button --via $r)" "button=1"
done
echo pull-down > "$(sim_line 4)/pull"; sleep 0.2
unload_module
kbridge list >/dev/null 2>&1; expect_eq not-loaded-exit "$?" 5
