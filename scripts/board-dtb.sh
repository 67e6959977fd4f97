#!/usr/bin/env bash
# Build the emulated board's DTB: QEMU virt's own tree (dumpdtb, same machine
# options as the boot) + conf/dts/qemu-board.dtso applied with fdtoverlay,
# then any extra overlays given as arguments, in order (the probe-error tests
# add tests/dts/probe-errors.dtso). Prints the path of the .dtb; rebuilt only
# when an input changes.
#   scripts/board-dtb.sh [EXTRA.dtso...]
. "$(dirname "$0")/lib.sh"
. "$KB_ROOT/scripts/qemu.env"
out="$KB_OUT/board"; mkdir -p "$out"
overlays=("$KB_ROOT/conf/dts/qemu-board.dtso" "$@")
key=$( { cat "${overlays[@]}" "$KB_ROOT/scripts/qemu.env" "$0"; "$KB_QEMU" --version | head -1; } | sha256sum | cut -c1-12)
dtb="$out/kbridge-qemu-$key.dtb"
if [ ! -f "$dtb" ]; then
    "$KB_QEMU" -machine "$KB_QEMU_MACHINE,dumpdtb=$out/virt.dtb" -cpu "$KB_QEMU_CPU" \
        -smp "$KB_QEMU_SMP" -m "$KB_QEMU_MEM" -nographic -nic none >/dev/null 2>&1 \
        || kb_die "qemu dumpdtb failed"
    # QEMU's tree carries no labels: name the nodes the board overlay refers to.
    fdtput -c "$out/virt.dtb" /__symbols__
    fdtput -t s "$out/virt.dtb" /__symbols__ pl061 /pl061@9030000
    dtbos=()
    for dtso in "${overlays[@]}"; do
        dtbo="$out/$(basename "$dtso" .dtso)-$key.dtbo"
        dtc -q -@ -I dts -O dtb -o "$dtbo" "$dtso" || kb_die "dtc failed on $dtso"
        dtbos+=("$dtbo")
    done
    fdtoverlay -i "$out/virt.dtb" -o "$dtb.tmp" "${dtbos[@]}" || kb_die "fdtoverlay failed"
    mv "$dtb.tmp" "$dtb"
fi
echo "$dtb"
