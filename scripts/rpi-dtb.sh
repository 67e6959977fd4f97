#!/usr/bin/env bash
# The emulated Raspberry Pi 4's DTB (lane rpi4): mainline bcm2711-rpi-4-b.dtb,
# built with symbols (-@) from the 6.12 lane's own kernel tree, plus the
# product's Pi overlay conf/dts/rpi/kbridge-overlay.dts applied with fdtoverlay
# (what the Pi firmware does for "dtoverlay=kbridge"), then the emulator-only
# tests/dts/rpi4-qemu.dtso. Prints the .dtb path;
# rebuilt only when an input changes.
. "$(dirname "$0")/lib.sh"
klane=$(kb_lane_kernel rpi4)
kdir=$(kb_kernel_dir "$klane")
out="$KB_OUT/rpi4"; mkdir -p "$out"
overlay="$KB_ROOT/conf/dts/rpi/kbridge-overlay.dts"
# What only the emulated Pi needs (see the file).
qemu_overlay="$KB_ROOT/tests/dts/rpi4-qemu.dtso"
base_rel=broadcom/bcm2711-rpi-4-b.dtb
key=$( { cat "$overlay" "$qemu_overlay" "$0"; echo "$kdir"; } | sha256sum | cut -c1-12)
dtb="$out/bcm2711-rpi-4-b-kbridge-$key.dtb"
if [ ! -f "$dtb" ]; then
    # shellcheck disable=SC2046
    make -s -C "$kdir" $(kb_kmake_args "$klane") DTC_FLAGS=-@ "$base_rel" >"$out/dtb-build.log" 2>&1 \
        || { cat "$out/dtb-build.log" >&2; kb_die "building $base_rel failed"; }
    base="$kdir/arch/arm64/boot/dts/$base_rel"
    fdtget "$base" /__symbols__ gpio >/dev/null 2>&1 || kb_die "$base has no __symbols__ (was -@ honoured?)"
    dtc -q -@ -I dts -O dtb -o "$out/kbridge-overlay.dtbo" "$overlay" || kb_die "dtc failed on $overlay"
    dtc -q -@ -I dts -O dtb -o "$out/rpi4-qemu.dtbo" "$qemu_overlay" || kb_die "dtc failed on $qemu_overlay"
    fdtoverlay -i "$base" -o "$dtb.tmp" "$out/kbridge-overlay.dtbo" "$out/rpi4-qemu.dtbo" || kb_die "fdtoverlay failed"
    mv "$dtb.tmp" "$dtb"
fi
echo "$dtb"
