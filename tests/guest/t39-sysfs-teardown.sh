# sysfs files opened before an unbind or an rmmod: once kbridge has let go,
# reads and writes through them fail (the directory is gone), and never reach
# kbridge's code. With CONFIG_DEBUG_KOBJECT_RELEASE (lane 6.12-debug: it
# delays a kobject's final release by seconds) a module that only drops its
# reference would leave the files live, pointing into freed memory or an
# unloaded module (any kernel report fails the run).
. ./lib.sh
load_module || { ktest_fail load "insmod failed"; exit 0; }
K=/sys/bus/platform/drivers/kbridge
V=/sys/class/misc/kbridge/device/lines/relay/value

exec 3>"$V" 4<"$V"
check unbind sh -c "echo kbridge > $K/unbind"
check unbind-write-refused sh -c '! echo 1 >&3 2>/dev/null'
check unbind-read-refused sh -c '! cat <&4 >/dev/null 2>&1'
exec 3>&- 4<&-
check rebind sh -c "echo kbridge > $K/bind"
n=0; while [ ! -e "$V" ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n + 1)); done

exec 3>"$V"
check rmmod rmmod kbridge
check rmmod-write-refused sh -c '! echo 1 >&3 2>/dev/null'
exec 3>&-
sleep 5   # past the delayed releases: nothing may fire into the gone module
check reload kb_insmod
check works-after-reload kbridge set relay=1 --via sysfs
kbridge set relay=0 --via sysfs >/dev/null 2>&1
