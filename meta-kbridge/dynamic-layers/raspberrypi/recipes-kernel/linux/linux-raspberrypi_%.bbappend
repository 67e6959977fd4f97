# The kbridge kernel settings (meta-kbridge/recipes-kernel/linux) on the
# Raspberry Pi kernel.
require recipes-kernel/linux/linux-kbridge.inc

# linux-raspberrypi takes KERNEL_DEBUG from linux-yocto.inc but not the
# kernel features linux-yocto_6.18.bb derives from it: add the kernel-cache's
# debug-btf.scc (it includes debug-kernel.scc, which turns on
# DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT), since bcm2711_defconfig and
# bcm2712_defconfig have no debug info for BTF to be generated from.
KERNEL_FEATURES:append:kbridge-enabled = " features/debug/debug-btf.scc"
