SUMMARY = "kbridge command and agent: board lines and LEDs from user space"
DESCRIPTION = "The kbridge command (list, get, set, toggle, watch) and the \
agent service, which drive the kbridge kernel module through its character \
device, sysfs, procfs, generic netlink and eBPF interfaces; with the udev \
rule that gives the kbridge group access to /dev/kbridge, the systemd unit \
and the default agent configuration."
HOMEPAGE = "https://example.invalid/kbridge"
SECTION = "console/utils"
# userspace/Cargo.toml: license = "GPL-2.0-only OR MIT". The statically linked
# crates (kbridge-crates.inc) are MIT or "MIT OR Apache-2.0", and foldhash
# (through aya's hashbrown) is Zlib.
LICENSE = "GPL-2.0-only | MIT"
# The workspace carries SPDX headers and no license text of its own.
LIC_FILES_CHKSUM = "file://userspace/crates/kbridge-abi/src/abi.rs;beginline=1;endline=1;md5=107a173833ee0b60d07de595965ecd52"

inherit cargo cargo-update-recipe-crates ptest-cargo kbridge_src systemd useradd features_check

REQUIRED_DISTRO_FEATURES = "kbridge"

# The kbridge library's build.rs compiles its BPF program
# (userspace/crates/kbridge/bpf/kbridge.bpf.c) with clang and embeds it, so
# clang-native is needed whatever PACKAGECONFIG says.
DEPENDS += "clang-native"

# Generated from userspace/Cargo.lock by meta-kbridge/scripts/crates-inc.py
# (or `bitbake -c update_crates kbridge`); scripts/check-layer.sh fails when
# the two disagree.
require ${BPN}-crates.inc

SRC_URI += "file://kbridge.service \
    file://60-kbridge.rules \
    file://agent.toml \
"

KBRIDGE_SRC_PATHS = "userspace"
CARGO_SRC_DIR = "userspace"
# Only the workspace's lock file (S may be a whole developer checkout).
CARGO_LOCK_SRC_DIR = "${S}/userspace"

# The BPF programs (userspace/**/*.bpf.c), compiled for the "bpf" target by
# the same clang-native the Rust kernel build uses, against the target
# sysroot: kernel UAPI headers (linux/bpf.h) and libbpf's (bpf/bpf_helpers.h).
PACKAGECONFIG ??= "bpf"
PACKAGECONFIG[bpf] = ",,clang-native libbpf"
KBRIDGE_BPF_ARCH = "${@{'aarch64': 'arm64', 'x86_64': 'x86'}.get(d.getVar('TARGET_ARCH'), d.getVar('TARGET_ARCH'))}"

kbridge_compile_bpf() {
    rm -rf ${B}/bpf
    mkdir -p ${B}/bpf
    find ${S}/userspace -path ${S}/userspace/target -prune -o -name '*.bpf.c' -print | sort | while read -r src; do
        bbnote "BPF: compiling ${src#${S}/}"
        clang -target bpf -O2 -g -D__TARGET_ARCH_${KBRIDGE_BPF_ARCH} -I${STAGING_INCDIR} \
            -c "$src" -o ${B}/bpf/$(basename "$src" .c).o
    done
}

do_compile:append() {
    if ${@bb.utils.contains('PACKAGECONFIG', 'bpf', 'true', 'false', d)}; then
        kbridge_compile_bpf
    fi
}

do_install:append() {
    install -d ${D}${sysconfdir}/kbridge
    install -m 0644 ${UNPACKDIR}/agent.toml ${D}${sysconfdir}/kbridge/agent.toml
    install -d ${D}${nonarch_base_libdir}/udev/rules.d
    install -m 0644 ${UNPACKDIR}/60-kbridge.rules ${D}${nonarch_base_libdir}/udev/rules.d/
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${UNPACKDIR}/kbridge.service ${D}${systemd_system_unitdir}/
    if [ -d ${B}/bpf ] && [ -n "$(ls ${B}/bpf)" ]; then
        install -d ${D}${datadir}/kbridge/bpf
        install -m 0644 ${B}/bpf/*.o ${D}${datadir}/kbridge/bpf/
    fi
}

# /dev/kbridge belongs to group kbridge (60-kbridge.rules); the agent runs as
# user kbridge in it.
USERADD_PACKAGES = "${PN}"
USERADD_PARAM:${PN} = "--system --user-group --no-create-home --home-dir /nonexistent --shell /sbin/nologin kbridge"

# udev starts the agent when /dev/kbridge appears and systemd stops it when
# the device goes (rmmod): the unit has no [Install] section to enable.
SYSTEMD_SERVICE:${PN} = "kbridge.service"
SYSTEMD_AUTO_ENABLE:${PN} = "disable"

PACKAGES =+ "${PN}-bpf"
FILES:${PN} += "${nonarch_base_libdir}/udev/rules.d/60-kbridge.rules"
FILES:${PN}-bpf += "${datadir}/kbridge/bpf"
CONFFILES:${PN} = "${sysconfdir}/kbridge/agent.toml"
RRECOMMENDS:${PN} += "${PN}-bpf kernel-module-kbridge"
