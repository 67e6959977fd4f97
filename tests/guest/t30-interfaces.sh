# The file interfaces against the real hardware: procfs, sysfs, chardev text
# writes and event reads; every write checked on gpio-sim's own sysfs value
# (physical level) or the LED class brightness, and bad input leaves state unchanged.
. ./lib.sh
load_module || { ktest_fail load "insmod failed"; exit 0; }
L=/sys/class/misc/kbridge/device/lines
proc_val() { sed -n "s/^line [0-9]* $1 .* value=\([0-9]*\) .*/\1/p" /proc/kbridge; }
sim_val() { cat "$(sim_line "$1")/value"; }

check proc-abi grep -qx 'abi 1' /proc/kbridge
check proc-board grep -q "^board qemu-virt lines 8 seq " /proc/kbridge
check proc-line-relay grep -q '^line 0 relay kind=output value=0 max=1 flags=- changes=0 source=init ' /proc/kbridge
check proc-readonly sh -c '! echo x > /proc/kbridge'
check sysfs-dirs test -f $L/relay/value -a -f $L/status/value -a -f $L/button/value
expect_eq sysfs-kind "$(cat $L/buzzer/kind)" output
expect_eq sysfs-active-low "$(cat $L/buzzer/active_low)" 1
expect_eq sysfs-max-led "$(cat $L/status/max_value)" 1

# sysfs write -> gpio-sim line, procfs, source
echo 1 > $L/relay/value
expect_eq sysfs-set-relay "$(cat $L/relay/value)" 1
expect_eq sysfs-set-relay-hw "$(sim_val 0)" 1
expect_eq sysfs-set-relay-proc "$(proc_val relay)" 1
check sysfs-set-source grep -q '^line 0 relay .* changes=1 source=sysfs ' /proc/kbridge
# active-low output: logical 1 = physical 0
echo 1 > $L/buzzer/value
expect_eq active-low-hw "$(sim_val 1)" 0
# sysfs bad input: input line EPERM, garbage/out of range EINVAL, state unchanged
check sysfs-input-eperm sh -c "! echo 1 > $L/button/value"
check sysfs-garbage sh -c "! echo foo > $L/relay/value"
check sysfs-range sh -c "! echo 2 > $L/relay/value"
expect_eq sysfs-unchanged "$(cat $L/relay/value)" 1

# chardev text commands -> LED class brightness
check chardev-set sh -c 'echo "set status 1" > /dev/kbridge'
expect_eq chardev-led "$(cat /sys/class/leds/board:green:status/brightness)" 1
check chardev-source grep -q '^line 5 status .* source=chardev ' /proc/kbridge
check chardev-toggle sh -c 'echo "toggle relay" > /dev/kbridge'
expect_eq chardev-toggle-hw "$(sim_val 0)" 0
check chardev-batch sh -c 'printf "set relay 1\nset status 0\n" > /dev/kbridge'
expect_eq chardev-batch-relay "$(sim_val 0)" 1
expect_eq chardev-batch-led "$(cat /sys/class/leds/board:green:status/brightness)" 0
# a bad command anywhere in a write changes nothing
check chardev-bad-atomic sh -c '! printf "set relay 0\nset nosuch 1\n" > /dev/kbridge'
expect_eq chardev-bad-unchanged "$(sim_val 0)" 1
check chardev-bad-verb sh -c '! echo "frob relay" > /dev/kbridge'
check chardev-bad-input sh -c '! echo "set button 1" > /dev/kbridge'

# hardware edge on an input -> state change with source hardware
p="$(sim_line 4)/pull"
echo pull-up > "$p"; sleep 0.2
expect_eq edge-up "$(cat $L/button/value)" 1
check edge-source grep -q '^line 3 button .* source=hardware ' /proc/kbridge
echo pull-down > "$p"; sleep 0.2
expect_eq edge-down "$(cat $L/button/value)" 0

# LED changed behind kbridge's back is picked up (source kernel)
echo 1 > /sys/class/leds/board:red:fault/brightness
expect_eq led-external "$(cat $L/fault/value)" 1
check led-external-source grep -q '^line 6 fault .* source=kernel ' /proc/kbridge
echo 0 > /sys/class/leds/board:red:fault/brightness
# ... and without any kbridge access: the LED poll (every 100 ms) records it,
# which wakes a blocked reader and a sysfs poller.
cat /proc/kbridge > /dev/null   # settle the change above
dd if=/dev/kbridge of=/tmp/led-ev bs=32 count=1 2>/dev/null &
ddpid=$!
sleep 0.1
echo 1 > /sys/class/leds/board:red:fault/brightness
sleep 0.4
if kill -0 $ddpid 2>/dev/null; then
    kill $ddpid; wait $ddpid 2>/dev/null
    ktest_fail led-external-polled "no event within 400 ms of an LED change outside kbridge"
else
    # record: line (u16 at 16) = 6, source (u8 at 18) = 6 (kernel), new value (u32 at 24) = 1
    expect_eq led-external-polled "$(od -A n -t u1 -j 16 -N 3 /tmp/led-ev | tr -s ' ')" " 6 0 6"
fi
echo 0 > /sys/class/leds/board:red:fault/brightness
sleep 0.2
# An LED change first noticed by a write that changes nothing itself (here a
# sysfs write of relay's current value, microseconds after the LED change, so
# before the next LED poll) still wakes a blocked reader.
cat /proc/kbridge > /dev/null
dd if=/dev/kbridge of=/tmp/led-ev2 bs=32 count=1 2>/dev/null &
ddpid=$!
sleep 0.1
r=$(cat $L/relay/value)
echo 1 > /sys/class/leds/board:red:fault/brightness; echo "$r" > $L/relay/value
sleep 0.4
if kill -0 $ddpid 2>/dev/null; then
    kill $ddpid; wait $ddpid 2>/dev/null
    ktest_fail led-noop-write-wakes "a blocked reader was not woken by the LED change a no-op write recorded"
else
    expect_eq led-noop-write-wakes "$(od -A n -t u1 -j 16 -N 3 /tmp/led-ev2 | tr -s ' ')" " 6 0 6"
fi
echo 0 > /sys/class/leds/board:red:fault/brightness
sleep 0.2

# events: a reader sees every change in order; a reader that falls more than
# the ring (128) behind learns exactly how many it lost
cat /proc/kbridge > /dev/null   # settle the LED change above (picked up on access)
exec 4< /dev/kbridge
echo "toggle relay" > /dev/kbridge
rec=$(dd bs=32 count=1 <&4 2>/dev/null | od -An -tu1 -j16 -N4 | tr -s ' ')
expect_eq event-record "$rec" " 0 0 3 0"
exec 4<&-
exec 3< /dev/kbridge
# 200 separate writes (one write() is one atomic batch: only its net change counts)
i=0
while [ $i -lt 200 ]; do echo "toggle relay" > /dev/kbridge; i=$((i + 1)); done
dropped=$(dd bs=32 count=1 <&3 2>/dev/null | od -An -tu4 -j28 -N4 | tr -d ' ')
expect_eq overflow-dropped "$dropped" 72
check overflow-proc grep -q '^events delivered=[0-9]* dropped=72$' /proc/kbridge
exec 3<&-

# unload refused while /dev/kbridge is open, fine after close
exec 3< /dev/kbridge
check rmmod-busy-while-open sh -c '! rmmod kbridge 2>/dev/null'
exec 3<&-
check rmmod-after-close rmmod kbridge
