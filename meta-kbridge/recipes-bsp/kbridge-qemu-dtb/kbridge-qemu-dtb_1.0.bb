SUMMARY = "Device tree of the emulated kbridge board for runqemu on qemuarm64"
DESCRIPTION = "QEMU virt's own device tree, dumped by the qemu-system-aarch64 \
that runqemu uses with the machine's QB_MACHINE, QB_CPU and QB_SMP, with the \
kbridge board overlay (gpio-sim banks, gpio-leds and the kbridge node; \
files/qemu-board.dtso, the board the project's CI boots) applied by \
fdtoverlay. Deployed as kbridge-qemu-board.dtb for QB_DTB."
HOMEPAGE = "https://example.invalid/kbridge"
SECTION = "bsp"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://qemu-board.dtso;beginline=1;endline=1;md5=50d2ba0afecd20f74c12a4bdbcfcfe61"

COMPATIBLE_MACHINE = "^qemuarm64$"

DEPENDS = "dtc-native qemu-system-native"

# files/qemu-board.dtso is the one copy: the project's CI boots it too
# (conf/dts/qemu-board.dtso links here).
SRC_URI = "file://qemu-board.dtso"
S = "${UNPACKDIR}"

inherit deploy nopackages

# The device tree is made for one machine: its stamps and sstate must be too.
PACKAGE_ARCH = "${MACHINE_ARCH}"

KBRIDGE_QEMU_DTB = "kbridge-qemu-board.dtb"

# QEMU lays out CPUs, interrupt controller and MMIO devices by these options,
# so the tree must come from exactly the ones runqemu boots with: change
# QB_SMP or QB_CPU in local.conf or the machine, not in an image recipe. RAM
# is not a concern: QEMU rewrites the memory node at boot from -m. Devices on
# PCI (network, disks, virtio-serial, RNG) are probed, not in the tree.
do_compile() {
    qemu-system-aarch64 ${QB_MACHINE} -machine dumpdtb=${B}/virt.dtb ${QB_CPU} ${QB_SMP} \
        -m 256 -nographic -nic none
    dtc -q -@ -I dts -O dtb -o ${B}/qemu-board.dtbo ${S}/qemu-board.dtso
    fdtoverlay -i ${B}/virt.dtb -o ${B}/${KBRIDGE_QEMU_DTB} ${B}/qemu-board.dtbo
}

do_install[noexec] = "1"

do_deploy() {
    install -m 0644 ${B}/${KBRIDGE_QEMU_DTB} ${DEPLOYDIR}/
}
addtask deploy after do_compile before do_build
