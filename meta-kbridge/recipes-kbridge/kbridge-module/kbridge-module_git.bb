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

# Build from a copy (like the project's CI does) so the source tree, which
# may be a developer's checkout, never receives object files and two
# machines can build it at once.
KBRIDGE_MODULE_TREE = "${WORKDIR}/kbridge-tree"
B = "${KBRIDGE_MODULE_TREE}/kmod"

kbridge_stage_tree() {
    mkdir -p ${KBRIDGE_MODULE_TREE}
    # tar keeps mtimes, so Kbuild rebuilds only what changed.
    tar -C ${S} --exclude=target --exclude=.git -cf - ${KBRIDGE_SRC_PATHS} | tar -C ${KBRIDGE_MODULE_TREE} -xf -
}
do_compile[prefuncs] += "kbridge_stage_tree"

# Loaded at boot on every image that installs it (modules-load.d). On a
# board whose device tree has no "kbridge,board" node it loads and stays idle.
KERNEL_MODULE_AUTOLOAD += "kbridge"

# The module is packaged as kernel-module-kbridge-<kernel version>, which
# RPROVIDES kernel-module-kbridge. The kernel recipe matches every
# kernel-module-* name dynamically too, so without this explicit RPROVIDES
# bitbake resolves "kernel-module-kbridge" in IMAGE_INSTALL to the kernel and
# never builds this recipe (as with meta-skeleton's rust-out-of-tree-module).
RPROVIDES:${PN} += "kernel-module-kbridge"
