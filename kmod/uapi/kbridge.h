/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * kbridge user ABI for C: the character device's ioctls and shared page, and
 * the names of the other interfaces; the event record and the BPF maps are in
 * kbridge-bpf.h, included below. docs/interfaces.md
 * describes them; examples/c/ uses each.
 *
 * GENERATED from userspace/crates/kbridge-abi/src/abi.rs (the one definition
 * the module and user space compile) by the kbridge-abi test c_header: do
 * not edit. Regenerate with
 *   KBRIDGE_BLESS=1 cargo test -p kbridge-abi --test abi c_header
 * Line kinds, sources, flags, limits and the generic netlink numbers come
 * from kbridge-nl-uapi.h (generated from docs/netlink/kbridge.yaml).
 */
#ifndef _UAPI_LINUX_KBRIDGE_ABI_H
#define _UAPI_LINUX_KBRIDGE_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include "kbridge-nl-uapi.h"
#include "kbridge-bpf.h"
#ifndef __KERNEL__
#include <stddef.h>
#endif

#define KBRIDGE_ABI_VERSION 1
/* Name buffers, NUL included. */
#define KBRIDGE_NAME_LEN 32
/* The character device (read, write, poll, ioctl, mmap). */
#define KBRIDGE_DEV_PATH "/dev/kbridge"
/* The whole state as text. */
#define KBRIDGE_PROC_PATH "/proc/kbridge"
/* One directory per line: value (poll it), max_value, kind, name, active_low. */
#define KBRIDGE_SYSFS_LINES_DIR "/sys/class/misc/kbridge/device/lines"
/* The generic netlink family's event group. */
#define KBRIDGE_GENL_MCGRP_EVENTS "events"
/* Where `kbridge bpf attach` pins the BPF maps. */
#define KBRIDGE_BPF_PIN_DIR "/sys/fs/bpf/kbridge"
/* Longest write() of text commands. */
#define KBRIDGE_CHARDEV_MAX_WRITE 4096

#define KBRIDGE_SHARED_MAGIC 0x4b425247 /* "KBRG" */
#define KBRIDGE_SHARED_PAGE_SIZE 4096

/* KBRIDGE_IOC_BOARD_INFO: in `size`, out the rest. */
struct kbridge_board_info {
	__u32 size;
	__u32 abi_version;
	__u32 num_lines;
	__u32 flags;
	__u64 seq;
	__u8 name[KBRIDGE_NAME_LEN];
	__u32 reserved[8];
};

/* KBRIDGE_IOC_LINE_INFO: in `size` and `index`, out the rest. */
struct kbridge_line_info {
	__u32 size;
	__u32 index;
	__u32 kind;
	__u32 flags;
	__u32 value;
	__u32 max_value;
	__u32 last_source;
	__u32 reserved0;
	__u64 changes;
	__u64 last_change_ns;
	__u8 name[KBRIDGE_NAME_LEN];
	__u32 reserved[8];
};

/* KBRIDGE_IOC_GET_VALUES / KBRIDGE_IOC_SET_VALUES: the lines in `mask` (bit i = line i),
 * atomically; `seq` out. */
struct kbridge_values {
	__u32 size;
	__u32 flags;
	__u64 mask;
	__u32 values[KBRIDGE_MAX_LINES];
	__u64 seq;
	__u32 reserved[4];
};

/* KBRIDGE_IOC_TOGGLE: toggles the lines in `mask` atomically. */
struct kbridge_toggle {
	__u32 size;
	__u32 flags;
	__u64 mask;
	__u32 reserved[4];
};

/* KBRIDGE_IOC_GET_BITS / KBRIDGE_IOC_SET_BITS: the lines in `mask` as one bit each
 * (on = non-zero; SET sets an on line to its max_value); `seq` out. */
struct kbridge_bits {
	__u32 size;
	__u32 flags;
	__u64 mask;
	__u64 bits;
	__u64 seq;
};

/* One line in the shared page. */
struct kbridge_shared_line {
	__u32 value;
	__u8 kind;
	__u8 flags;
	__u16 reserved;
	__u64 changes;
	__u64 last_change_ns;
};

/* The page mmap() of /dev/kbridge gives (read-only, offset 0, one page). Read it
 * with the seqcount protocol: see kbridge_shared_read_value() below. */
struct kbridge_shared_state {
	__u32 magic;
	__u32 abi_version;
	__u32 header_size;
	__u32 num_lines;
	__u32 seqcount;
	__u32 reserved;
	__u64 seq;
	__u64 values_bitmap;
	struct kbridge_shared_line lines[KBRIDGE_MAX_LINES];
};

#define KBRIDGE_IOC_MAGIC 'J'
#define KBRIDGE_IOC_BOARD_INFO _IOWR(KBRIDGE_IOC_MAGIC, 0x00, struct kbridge_board_info)
#define KBRIDGE_IOC_LINE_INFO _IOWR(KBRIDGE_IOC_MAGIC, 0x01, struct kbridge_line_info)
#define KBRIDGE_IOC_GET_VALUES _IOWR(KBRIDGE_IOC_MAGIC, 0x02, struct kbridge_values)
#define KBRIDGE_IOC_SET_VALUES _IOWR(KBRIDGE_IOC_MAGIC, 0x03, struct kbridge_values)
#define KBRIDGE_IOC_TOGGLE _IOW(KBRIDGE_IOC_MAGIC, 0x04, struct kbridge_toggle)
#define KBRIDGE_IOC_GET_BITS _IOWR(KBRIDGE_IOC_MAGIC, 0x05, struct kbridge_bits)
#define KBRIDGE_IOC_SET_BITS _IOWR(KBRIDGE_IOC_MAGIC, 0x06, struct kbridge_bits)

/*
 * The shared page's seqcount protocol: the kernel makes `seqcount` odd, updates
 * the fields, and makes it even again. A reader retries while it is odd or
 * while it changed during the read. Returns the value of line `i` (0 if `i` is
 * not a line).
 */
static inline __u32
kbridge_shared_read_value(const volatile struct kbridge_shared_state *s, unsigned int i)
{
	__u32 start, value;

	if (i >= KBRIDGE_MAX_LINES)
		return 0;
	do {
		start = __atomic_load_n(&s->seqcount, __ATOMIC_ACQUIRE);
		if (start & 1)
			continue;
		value = s->lines[i].value;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((start & 1) || __atomic_load_n(&s->seqcount, __ATOMIC_RELAXED) != start);
	return value;
}

/* The layout above is the Rust one: checked by every C compiler that includes this. */
_Static_assert(KBRIDGE_MAX_LINES == 64, "kbridge ABI: KBRIDGE_MAX_LINES");
_Static_assert(KBRIDGE_NAME_MAX_LEN == 31, "kbridge ABI: KBRIDGE_NAME_MAX_LEN");
_Static_assert(KBRIDGE_LINE_KIND_OUTPUT == 0, "kbridge ABI: KBRIDGE_LINE_KIND_OUTPUT");
_Static_assert(KBRIDGE_LINE_KIND_INPUT == 1, "kbridge ABI: KBRIDGE_LINE_KIND_INPUT");
_Static_assert(KBRIDGE_LINE_KIND_LED == 2, "kbridge ABI: KBRIDGE_LINE_KIND_LED");
_Static_assert(KBRIDGE_SOURCE_INIT == 0, "kbridge ABI: KBRIDGE_SOURCE_INIT");
_Static_assert(KBRIDGE_SOURCE_HARDWARE == 1, "kbridge ABI: KBRIDGE_SOURCE_HARDWARE");
_Static_assert(KBRIDGE_SOURCE_SYSFS == 2, "kbridge ABI: KBRIDGE_SOURCE_SYSFS");
_Static_assert(KBRIDGE_SOURCE_CHARDEV == 3, "kbridge ABI: KBRIDGE_SOURCE_CHARDEV");
_Static_assert(KBRIDGE_SOURCE_IOCTL == 4, "kbridge ABI: KBRIDGE_SOURCE_IOCTL");
_Static_assert(KBRIDGE_SOURCE_NETLINK == 5, "kbridge ABI: KBRIDGE_SOURCE_NETLINK");
_Static_assert(KBRIDGE_SOURCE_KERNEL == 6, "kbridge ABI: KBRIDGE_SOURCE_KERNEL");
_Static_assert(KBRIDGE_LINE_FLAGS_ACTIVE_LOW == 1, "kbridge ABI: KBRIDGE_LINE_FLAGS_ACTIVE_LOW");
_Static_assert(offsetof(struct kbridge_board_info, size) == 0, "kbridge ABI: kbridge_board_info.size");
_Static_assert(offsetof(struct kbridge_board_info, abi_version) == 4, "kbridge ABI: kbridge_board_info.abi_version");
_Static_assert(offsetof(struct kbridge_board_info, num_lines) == 8, "kbridge ABI: kbridge_board_info.num_lines");
_Static_assert(offsetof(struct kbridge_board_info, flags) == 12, "kbridge ABI: kbridge_board_info.flags");
_Static_assert(offsetof(struct kbridge_board_info, seq) == 16, "kbridge ABI: kbridge_board_info.seq");
_Static_assert(offsetof(struct kbridge_board_info, name) == 24, "kbridge ABI: kbridge_board_info.name");
_Static_assert(offsetof(struct kbridge_board_info, reserved) == 56, "kbridge ABI: kbridge_board_info.reserved");
_Static_assert(sizeof(struct kbridge_board_info) == 88, "kbridge ABI: sizeof kbridge_board_info");
_Static_assert(offsetof(struct kbridge_line_info, size) == 0, "kbridge ABI: kbridge_line_info.size");
_Static_assert(offsetof(struct kbridge_line_info, index) == 4, "kbridge ABI: kbridge_line_info.index");
_Static_assert(offsetof(struct kbridge_line_info, kind) == 8, "kbridge ABI: kbridge_line_info.kind");
_Static_assert(offsetof(struct kbridge_line_info, flags) == 12, "kbridge ABI: kbridge_line_info.flags");
_Static_assert(offsetof(struct kbridge_line_info, value) == 16, "kbridge ABI: kbridge_line_info.value");
_Static_assert(offsetof(struct kbridge_line_info, max_value) == 20, "kbridge ABI: kbridge_line_info.max_value");
_Static_assert(offsetof(struct kbridge_line_info, last_source) == 24, "kbridge ABI: kbridge_line_info.last_source");
_Static_assert(offsetof(struct kbridge_line_info, reserved0) == 28, "kbridge ABI: kbridge_line_info.reserved0");
_Static_assert(offsetof(struct kbridge_line_info, changes) == 32, "kbridge ABI: kbridge_line_info.changes");
_Static_assert(offsetof(struct kbridge_line_info, last_change_ns) == 40, "kbridge ABI: kbridge_line_info.last_change_ns");
_Static_assert(offsetof(struct kbridge_line_info, name) == 48, "kbridge ABI: kbridge_line_info.name");
_Static_assert(offsetof(struct kbridge_line_info, reserved) == 80, "kbridge ABI: kbridge_line_info.reserved");
_Static_assert(sizeof(struct kbridge_line_info) == 112, "kbridge ABI: sizeof kbridge_line_info");
_Static_assert(offsetof(struct kbridge_values, size) == 0, "kbridge ABI: kbridge_values.size");
_Static_assert(offsetof(struct kbridge_values, flags) == 4, "kbridge ABI: kbridge_values.flags");
_Static_assert(offsetof(struct kbridge_values, mask) == 8, "kbridge ABI: kbridge_values.mask");
_Static_assert(offsetof(struct kbridge_values, values) == 16, "kbridge ABI: kbridge_values.values");
_Static_assert(offsetof(struct kbridge_values, seq) == 272, "kbridge ABI: kbridge_values.seq");
_Static_assert(offsetof(struct kbridge_values, reserved) == 280, "kbridge ABI: kbridge_values.reserved");
_Static_assert(sizeof(struct kbridge_values) == 296, "kbridge ABI: sizeof kbridge_values");
_Static_assert(offsetof(struct kbridge_toggle, size) == 0, "kbridge ABI: kbridge_toggle.size");
_Static_assert(offsetof(struct kbridge_toggle, flags) == 4, "kbridge ABI: kbridge_toggle.flags");
_Static_assert(offsetof(struct kbridge_toggle, mask) == 8, "kbridge ABI: kbridge_toggle.mask");
_Static_assert(offsetof(struct kbridge_toggle, reserved) == 16, "kbridge ABI: kbridge_toggle.reserved");
_Static_assert(sizeof(struct kbridge_toggle) == 32, "kbridge ABI: sizeof kbridge_toggle");
_Static_assert(offsetof(struct kbridge_bits, size) == 0, "kbridge ABI: kbridge_bits.size");
_Static_assert(offsetof(struct kbridge_bits, flags) == 4, "kbridge ABI: kbridge_bits.flags");
_Static_assert(offsetof(struct kbridge_bits, mask) == 8, "kbridge ABI: kbridge_bits.mask");
_Static_assert(offsetof(struct kbridge_bits, bits) == 16, "kbridge ABI: kbridge_bits.bits");
_Static_assert(offsetof(struct kbridge_bits, seq) == 24, "kbridge ABI: kbridge_bits.seq");
_Static_assert(sizeof(struct kbridge_bits) == 32, "kbridge ABI: sizeof kbridge_bits");
_Static_assert(offsetof(struct kbridge_shared_line, value) == 0, "kbridge ABI: kbridge_shared_line.value");
_Static_assert(offsetof(struct kbridge_shared_line, kind) == 4, "kbridge ABI: kbridge_shared_line.kind");
_Static_assert(offsetof(struct kbridge_shared_line, flags) == 5, "kbridge ABI: kbridge_shared_line.flags");
_Static_assert(offsetof(struct kbridge_shared_line, reserved) == 6, "kbridge ABI: kbridge_shared_line.reserved");
_Static_assert(offsetof(struct kbridge_shared_line, changes) == 8, "kbridge ABI: kbridge_shared_line.changes");
_Static_assert(offsetof(struct kbridge_shared_line, last_change_ns) == 16, "kbridge ABI: kbridge_shared_line.last_change_ns");
_Static_assert(sizeof(struct kbridge_shared_line) == 24, "kbridge ABI: sizeof kbridge_shared_line");
_Static_assert(offsetof(struct kbridge_shared_state, magic) == 0, "kbridge ABI: kbridge_shared_state.magic");
_Static_assert(offsetof(struct kbridge_shared_state, abi_version) == 4, "kbridge ABI: kbridge_shared_state.abi_version");
_Static_assert(offsetof(struct kbridge_shared_state, header_size) == 8, "kbridge ABI: kbridge_shared_state.header_size");
_Static_assert(offsetof(struct kbridge_shared_state, num_lines) == 12, "kbridge ABI: kbridge_shared_state.num_lines");
_Static_assert(offsetof(struct kbridge_shared_state, seqcount) == 16, "kbridge ABI: kbridge_shared_state.seqcount");
_Static_assert(offsetof(struct kbridge_shared_state, reserved) == 20, "kbridge ABI: kbridge_shared_state.reserved");
_Static_assert(offsetof(struct kbridge_shared_state, seq) == 24, "kbridge ABI: kbridge_shared_state.seq");
_Static_assert(offsetof(struct kbridge_shared_state, values_bitmap) == 32, "kbridge ABI: kbridge_shared_state.values_bitmap");
_Static_assert(offsetof(struct kbridge_shared_state, lines) == 40, "kbridge ABI: kbridge_shared_state.lines");
_Static_assert(sizeof(struct kbridge_shared_state) == 1576, "kbridge ABI: sizeof kbridge_shared_state");
_Static_assert(KBRIDGE_IOC_BOARD_INFO == 0xc0584a00u, "kbridge ABI: KBRIDGE_IOC_BOARD_INFO");
_Static_assert(KBRIDGE_IOC_LINE_INFO == 0xc0704a01u, "kbridge ABI: KBRIDGE_IOC_LINE_INFO");
_Static_assert(KBRIDGE_IOC_GET_VALUES == 0xc1284a02u, "kbridge ABI: KBRIDGE_IOC_GET_VALUES");
_Static_assert(KBRIDGE_IOC_SET_VALUES == 0xc1284a03u, "kbridge ABI: KBRIDGE_IOC_SET_VALUES");
_Static_assert(KBRIDGE_IOC_TOGGLE == 0x40204a04u, "kbridge ABI: KBRIDGE_IOC_TOGGLE");
_Static_assert(KBRIDGE_IOC_GET_BITS == 0xc0204a05u, "kbridge ABI: KBRIDGE_IOC_GET_BITS");
_Static_assert(KBRIDGE_IOC_SET_BITS == 0xc0204a06u, "kbridge ABI: KBRIDGE_IOC_SET_BITS");

#endif /* _UAPI_LINUX_KBRIDGE_ABI_H */
