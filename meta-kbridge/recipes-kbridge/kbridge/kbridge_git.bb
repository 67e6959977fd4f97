SUMMARY = "kbridge command and agent: board lines and LEDs from user space"
DESCRIPTION = "The kbridge command (list, get, set, toggle, watch) and the \
agent service, which drive the kbridge kernel module through its character \
device, sysfs, procfs, generic netlink and eBPF interfaces; with the udev \
rule that gives the kbridge group access to /dev/kbridge, the systemd unit \
and the default agent configuration."
HOMEPAGE = "https://example.invalid/kbridge"
SECTION = "console/utils"
# userspace/Cargo.toml: license = "GPL-2.0-only OR MIT"; and the licences of
# the statically linked crates, KBRIDGE_CRATES_LICENSE, generated from
# userspace/Cargo.lock into kbridge-licenses.inc (scripts/check-layer.sh
# fails when it is out of date).
require ${BPN}-licenses.inc
LICENSE = "(GPL-2.0-only | MIT) & ${KBRIDGE_CRATES_LICENSE}"
# The workspace carries SPDX headers and no license text of its own.
LIC_FILES_CHKSUM = "file://userspace/crates/kbridge-abi/src/abi.rs;beginline=1;endline=1;md5=107a173833ee0b60d07de595965ecd52"

inherit cargo cargo-update-recipe-crates ptest-cargo kbridge_src systemd useradd features_check

REQUIRED_DISTRO_FEATURES = "kbridge"

# The kbridge library's build.rs compiles its BPF program
# (userspace/crates/kbridge/bpf/kbridge.bpf.c) with clang and embeds it in
# the binary (`kbridge bpf attach` loads it with aya).
DEPENDS += "clang-native"

# Generated from userspace/Cargo.lock by meta-kbridge/scripts/crates-inc.py
# (or `bitbake -c update_crates kbridge`); scripts/check-layer.sh fails when
# the two disagree.
require ${BPN}-crates.inc

SRC_URI += "file://kbridge.service \
    file://60-kbridge.rules \
    file://agent.toml \
"

# kmod/uapi: the BPF program includes kbridge-bpf.h from there.
KBRIDGE_SRC_PATHS = "kmod/uapi userspace"
CARGO_SRC_DIR = "userspace"
# Only the workspace's lock file (S may be a whole developer checkout).
CARGO_LOCK_SRC_DIR = "${S}/userspace"

# build.rs runs KBRIDGE_BPF_CLANG with -target bpf -g; the program includes
# only kmod/uapi/kbridge-bpf.h (and the kbridge-nl-uapi.h it includes), so no
# libbpf or kernel headers are needed. It is clang-native
# behind a wrapper that adds the prefix maps of DEBUG_PREFIX_MAP: the object
# is embedded in the binary (include_bytes!), and its DWARF would otherwise
# carry the build directory (buildpaths QA, and the host's paths on target).
KBRIDGE_BPF_CFLAGS = "${DEBUG_PREFIX_MAP}"
export KBRIDGE_BPF_CLANG = "${WORKDIR}/kbridge-bpf-clang"

kbridge_bpf_clang() {
    printf '#!/bin/sh\nexec clang %s "$@"\n' "$(echo ${KBRIDGE_BPF_CFLAGS})" >${KBRIDGE_BPF_CLANG}
    chmod 0755 ${KBRIDGE_BPF_CLANG}
}
do_compile[prefuncs] += "kbridge_bpf_clang"

do_install:append() {
    install -d ${D}${sysconfdir}/kbridge
    install -m 0644 ${UNPACKDIR}/agent.toml ${D}${sysconfdir}/kbridge/agent.toml
    install -d ${D}${nonarch_base_libdir}/udev/rules.d
    install -m 0644 ${UNPACKDIR}/60-kbridge.rules ${D}${nonarch_base_libdir}/udev/rules.d/
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${UNPACKDIR}/kbridge.service ${D}${systemd_system_unitdir}/
}

# /dev/kbridge belongs to group kbridge (60-kbridge.rules); the agent runs as
# user kbridge in it.
USERADD_PACKAGES = "${PN}"
USERADD_PARAM:${PN} = "--system --user-group --no-create-home --home-dir /nonexistent --shell /sbin/nologin kbridge"

# udev starts the agent when /dev/kbridge appears and systemd stops it when
# the device goes (rmmod): the unit has no [Install] section to enable.
SYSTEMD_SERVICE:${PN} = "kbridge.service"
SYSTEMD_AUTO_ENABLE:${PN} = "disable"

FILES:${PN} += "${nonarch_base_libdir}/udev/rules.d/60-kbridge.rules"
CONFFILES:${PN} = "${sysconfdir}/kbridge/agent.toml"
RRECOMMENDS:${PN} += "kernel-module-kbridge"
