SUMMARY = "Raspberry Pi device-tree overlay describing the kbridge board"
DESCRIPTION = "Compiles files/kbridge-overlay.dts (ACT LED and header \
GPIO17, GPIO27, GPIO22 of a Raspberry Pi 4 or 5) into kbridge.dtbo and deploys \
it for the boot partition (conf/distro/include/kbridge.inc puts it in \
overlays/ and adds dtoverlay=kbridge to config.txt)."
HOMEPAGE = "https://example.invalid/kbridge"
SECTION = "bsp"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://kbridge-overlay.dts;beginline=1;endline=1;md5=50d2ba0afecd20f74c12a4bdbcfcfe61"

COMPATIBLE_MACHINE = "^rpi$"

DEPENDS = "dtc-native"

# files/kbridge-overlay.dts is the one copy: the project's rpi4 test lane
# applies it too (conf/dts/rpi/kbridge-overlay.dts links here).
SRC_URI = "file://kbridge-overlay.dts"
S = "${UNPACKDIR}"

inherit deploy nopackages

# The device tree is made for one machine: its stamps and sstate must be too.
PACKAGE_ARCH = "${MACHINE_ARCH}"

do_compile() {
    # -@: the overlay refers to the base tree's labels (gpio, led_act),
    # which the firmware resolves through __symbols__ and __fixups__.
    dtc -q -@ -I dts -O dtb -o ${B}/kbridge.dtbo ${S}/kbridge-overlay.dts
}

do_install[noexec] = "1"

do_deploy() {
    install -m 0644 ${B}/kbridge.dtbo ${DEPLOYDIR}/
}
addtask deploy after do_compile before do_build
