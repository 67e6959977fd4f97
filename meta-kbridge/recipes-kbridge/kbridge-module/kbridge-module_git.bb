SUMMARY = "kbridge kernel module: board LEDs and GPIO lines for user space"
DESCRIPTION = "Rust-for-Linux platform driver (with a thin C part) bound to the \
device-tree node compatible with \"kbridge,board\". It exposes the board's \
outputs, inputs and LEDs through procfs, sysfs, a character device (ioctl \
and mmap), generic netlink and an eBPF tracepoint."
HOMEPAGE = "https://example.invalid/kbridge"
SECTION = "kernel"
LICENSE = "GPL-2.0-only"
# kmod/ carries SPDX headers and no license text of its own.
LIC_FILES_CHKSUM = "file://kmod/Kbuild;beginline=1;endline=1;md5=daad6f7f7a0a286391cd7773ccf79340"

# module-rust skips the recipe unless "rust" is in KERNEL_FEATURES, which
# must therefore be set globally (conf/distro/include/kbridge.inc does).
inherit module-rust kbridge_src features_check

REQUIRED_DISTRO_FEATURES = "kbridge"

# kmod/Kbuild compiles in the ABI definitions from userspace/, so the module
# needs both directories, at the same relative place.
KBRIDGE_SRC_PATHS = "kmod userspace"

# Built in S, as oe-core's meta-skeleton rust-out-of-tree-module: S is the
# top of the kbridge tree and module.bbclass runs make in kmod/ of it. The
# Rust remap of module-rust (${S}) and the C one of DEBUG_PREFIX_MAP (${S},
# ${B}) then cover every file the module is compiled from.
B = "${S}/kmod"
# externalsrc sets its own B unless told otherwise.
EXTERNALSRC_BUILD = "${S}/kmod"
# With KBRIDGE_SRC_DIR, S is a copy of the checkout (kbridge_src.bbclass):
# a developer's tree never receives object files, and two machines can
# build it at once.
KBRIDGE_SRC_COPY = "1"

# The kernel fragment and device trees come from this layer, the module from
# the kbridge sources, which carry the same files (meta-kbridge/ of the
# repository); with KBRIDGE_SRCREV the two can be different revisions. Stop
# before building a module for a fragment or board of another revision.
KBRIDGE_LAYER_FILES = "recipes-kernel/linux/files/kbridge.cfg \
    recipes-kernel/linux/files/kbridge-kmeta/features/kbridge/qemu-board.cfg \
    recipes-bsp/kbridge-qemu-dtb/files/qemu-board.dtso \
    dynamic-layers/raspberrypi/recipes-bsp/kbridge-rpi-overlay/files/kbridge-overlay.dts \
"
KBRIDGE_SRC_TOP = "${@d.getVar('KBRIDGE_SRC_DIR') or d.getVar('S')}"

kbridge_check_layer_files() {
    for f in ${KBRIDGE_LAYER_FILES}; do
        if [ -e ${KBRIDGE_SRC_TOP}/meta-kbridge/$f ] && \
           ! cmp -s ${KBRIDGE_SRC_TOP}/meta-kbridge/$f ${KBRIDGE_LAYERDIR}/$f; then
            bbfatal "meta-kbridge/$f differs between the layer (${KBRIDGE_LAYERDIR}) and the" \
                    "kbridge sources (${KBRIDGE_SRC_TOP}): use the layer of the kbridge revision you build"
        fi
    done
}
do_configure[prefuncs] += "kbridge_check_layer_files"

# Loaded at boot on every image that installs it (modules-load.d). On a
# board whose device tree has no "kbridge,board" node it loads and stays idle.
KERNEL_MODULE_AUTOLOAD += "kbridge"

# The module is packaged as kernel-module-kbridge-<kernel version>, which
# RPROVIDES kernel-module-kbridge. The kernel recipe matches every
# kernel-module-* name dynamically too, so without this explicit RPROVIDES
# bitbake resolves "kernel-module-kbridge" in IMAGE_INSTALL to the kernel and
# never builds this recipe (as with meta-skeleton's rust-out-of-tree-module).
RPROVIDES:${PN} += "kernel-module-kbridge"
