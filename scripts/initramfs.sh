#!/usr/bin/env bash
# Build the guest initramfs for a lane: scripts/initramfs.sh <lane> <kbridge.ko>
# Contents: busybox, tests/guest (init, runner, tests), the module, the agent
# (out/agent/kbridge, when built), mosquitto with its libraries and a test PKI
# (scripts/mosquitto.sh), bpftool with its libraries (scripts/debroot.sh). Uses the
# lane kernel's gen_init_cpio so no root is needed for /dev/console. Prints the path of the .cpio.gz.
. "$(dirname "$0")/lib.sh"
lane=${1:?usage: initramfs.sh <lane> <kbridge.ko>}; ko=${2:?kbridge.ko path}
kdir=$(kb_kernel_dir "$lane")
out="$KB_OUT/$lane"; mkdir -p "$out"
list="$out/initramfs.list"
bb="$KB_CACHE/busybox/bin/busybox"
[ -x "$bb" ] || kb_die "busybox missing: run scripts/setup-host.sh"
agent="$KB_OUT/agent/kbridge"

{
    echo "dir /dev 0755 0 0"
    echo "nod /dev/console 0600 0 0 c 5 1"
    for d in /bin /sbin /etc /lib /lib/modules /usr /usr/bin /tests /proc /sys /tmp /root /run /home /home/user; do
        echo "dir $d 0755 0 0"
    done
    echo "file /bin/busybox $bb 0755 0 0"
    echo "file /init $KB_ROOT/tests/guest/init 0755 0 0"
    for f in "$KB_ROOT"/tests/guest/*; do
        [ "$(basename "$f")" = init ] || echo "file /tests/$(basename "$f") $f 0644 0 0"
    done
    echo "file /lib/modules/kbridge.ko $ko 0644 0 0"
    [ -x "$agent" ] && echo "file /usr/bin/kbridge $agent 0755 0 0"
    [ -x "$agent-test" ] && echo "file /usr/bin/kbridge-test $agent-test 0755 0 0"
    [ -x "$agent-fuzz" ] && echo "file /usr/bin/kbridge-fuzz $agent-fuzz 0755 0 0"
    [ -x "$agent-blinky" ] && echo "file /usr/bin/kbridge-blinky $agent-blinky 0755 0 0"
    for c in "$KB_OUT"/agent/c/kbridge-*; do
        [ -x "$c" ] && echo "file /usr/bin/$(basename "$c") $c 0755 0 0"
    done
    # Users for permission tests: root, an unprivileged user, and a member of the
    # kbridge group (the udev rule gives that group the device and sysfs values).
    printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nmember:x:1001:1001:member of kbridge:/home/user:/bin/sh\n' > "$out/passwd"
    printf 'root:x:0:\nkbridge:x:900:member\nuser:x:1000:\nmember:x:1001:\n' > "$out/group"
    # Mosquitto (broker, clients, their libraries, a test PKI) for tests/guest/t75-mqtt.sh;
    # without it that test skips and says why.
    if mq=$("$KB_ROOT/scripts/mosquitto.sh" "$out/pki"); then
        for d in /lib/aarch64-linux-gnu /usr/sbin /etc/kbridge-test; do echo "dir $d 0755 0 0"; done
        ( cd "$mq" && find . -type f | sort ) | while read -r f; do
            echo "file /${f#./} $mq/${f#./} $(stat -c %a "$mq/$f") 0 0"
        done
        for f in "$out"/pki/*; do echo "file /etc/kbridge-test/$(basename "$f") $f 0644 0 0"; done
    else
        kb_log "warning: no mosquitto for the guest; t75-mqtt.sh will skip"
    fi
    # bpftool (and its libraries) for tests/guest/t61-bpftool.sh, the third-party client
    # docs/bpf.md describes; without it that test skips. Libraries mosquitto already
    # brought (the loader, libc) are listed once: the first tree wins (see the awk below),
    # so the loader and libc always come from one package version.
    if bt=$("$KB_ROOT/scripts/debroot.sh" bpftool "$KB_BPFTOOL_PACKAGES" usr/sbin/bpftool); then
        for d in /lib/aarch64-linux-gnu /usr/sbin; do echo "dir $d 0755 0 0"; done
        ( cd "$bt" && find . -type f | sort ) | while read -r f; do
            echo "file /${f#./} $bt/${f#./} $(stat -c %a "$bt/$f") 0 0"
        done
    else
        kb_log "warning: no bpftool for the guest; t61-bpftool.sh will skip"
    fi
    echo "dir /etc/udev 0755 0 0"
    echo "dir /etc/udev/rules.d 0755 0 0"
    echo "file /etc/udev/rules.d/60-kbridge.rules $KB_ROOT/meta-kbridge/recipes-kbridge/kbridge/files/60-kbridge.rules 0644 0 0"
    echo "file /etc/passwd $out/passwd 0644 0 0"
    echo "file /etc/group $out/group 0644 0 0"
} | awk '!seen[$2]++' > "$list"  # each path once (mosquitto and bpftool share libraries)

"$kdir/usr/gen_init_cpio" "$list" | gzip -1 > "$out/initramfs.cpio.gz.tmp" || kb_die "gen_init_cpio failed"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
echo "$out/initramfs.cpio.gz"
