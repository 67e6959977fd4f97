# `make demo`: what kbridge does, on the emulated board.
. /tests/lib.sh
say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() { echo "# $*"; "$@"; }
say "the board: gpio-sim lines and LED class devices from the device tree"
run ls /sys/class/leds
say "load kbridge; it binds to the kbridge,board node"
run insmod "$KB_KO"
dmesg | grep 'kbridge:' | sed 's/^/    /'
say "the agent"
run kbridge --version
[ -e /proc/kbridge ] && { say "procfs"; run cat /proc/kbridge; }
[ -e /dev/kbridge ] && { say "list via ioctl"; run kbridge list; }
say "unload"
run rmmod kbridge
echo "KBRIDGE-DEMO-END"
