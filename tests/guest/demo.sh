# `make demo` / scripts/demo.sh: a tour of kbridge on the emulated board.
. /tests/lib.sh
say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { echo "# $*"; "$@"; }
L=/sys/class/misc/kbridge/device/lines

say "the board: gpio-sim lines and LED class devices from the device tree"
run ls /sys/class/leds
say "load kbridge; it binds to the kbridge,board node"
run insmod "$KB_KO"
dmesg | grep 'kbridge' | sed 's/^/    /'
run kbridge --version
run kbridge status

say "every line, by name (via ioctl)"
run kbridge list

say "watch in the background while we change things"
kbridge watch > /tmp/watch.log 2>&1 &
watch_pid=$!
sleep 0.3

say "set through several interfaces; each sees the others' changes"
run kbridge --via ioctl set relay=1 status=1         # one atomic ioctl
run kbridge --via chardev toggle buzzer              # a text command on /dev/kbridge
run kbridge --via sysfs set fault 1                  # one sysfs write
run sh -c "echo 0 > $L/fault/value"                  # plain shell, same thing
say "a hardware edge: the simulator pulls the button input up"
run sh -c "echo pull-up > $(sim_line 4)/pull"
sleep 0.2
say "read back through procfs and the shared mmap page"
run kbridge --via procfs get relay buzzer button
run kbridge --via mmap list

say "blink the status LED 3 times, then restore it"
run kbridge blink status --period 200ms --count 3
sleep 0.3
kill -INT $watch_pid; wait $watch_pid 2>/dev/null
say "what watch saw (one event per change, in order, with its source)"
cat /tmp/watch.log

say "the status file"
run cat /proc/kbridge

say "unload"
run rmmod kbridge
echo "KBRIDGE-DEMO-END"
