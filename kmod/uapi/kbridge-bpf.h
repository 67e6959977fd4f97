/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * kbridge user ABI for C and BPF: the event record and the eBPF maps that
 * `kbridge bpf attach` pins (docs/bpf.md). Self-contained: it needs __u8 to
 * __u64 defined (by <linux/types.h>, or by a BPF program's own typedefs) and
 * includes only kbridge-nl-uapi.h, so the BPF program
 * (userspace/crates/kbridge/bpf/kbridge.bpf.c) includes it as it is.
 * kbridge.h includes it.
 *
 * GENERATED from userspace/crates/kbridge-abi/src/abi.rs by the kbridge-abi
 * test c_header: do not edit. Regenerate with
 *   KBRIDGE_BLESS=1 cargo test -p kbridge-abi --test abi c_header
 */
#ifndef _UAPI_LINUX_KBRIDGE_BPF_H
#define _UAPI_LINUX_KBRIDGE_BPF_H

#include "kbridge-nl-uapi.h"

/* The maps' names in the BPF object and the kernel. */
#define KBRIDGE_BPF_MAP_LINES "kbridge_lines"
#define KBRIDGE_BPF_MAP_EVENTS "kbridge_events"
#define KBRIDGE_BPF_MAP_STATS "kbridge_stats"
/* The files they (and the program's link) are pinned as, under KBRIDGE_BPF_PIN_DIR. */
#define KBRIDGE_BPF_PIN_LINES "lines"
#define KBRIDGE_BPF_PIN_EVENTS "events"
#define KBRIDGE_BPF_PIN_STATS "stats"
#define KBRIDGE_BPF_PIN_LINK "link"
/* Size of the kbridge_events ring buffer. */
#define KBRIDGE_BPF_RINGBUF_BYTES 65536
/* kbridge_bpf_line.flags: the entry holds a real state (seeded or written). */
#define KBRIDGE_BPF_LINE_VALID 0x1
/* kbridge_bpf_line.flags: last written by the seeding, not by a change. */
#define KBRIDGE_BPF_LINE_SEEDED 0x2

/* One change, as read() from /dev/kbridge returns it and as the BPF program
 * writes it to the kbridge_events ring buffer (32 bytes). */
struct kbridge_event {
	__u64 seq;
	__u64 timestamp_ns;
	__u16 line;
	__u8 source;
	__u8 kind;
	__u32 old_value;
	__u32 new_value;
	__u32 dropped;
};

/* Value of the kbridge_lines array map (key: line index, __u32): one line's state.
 * `seq` is the change's when the program wrote it, the snapshot's when seeded;
 * `flags` holds KBRIDGE_BPF_LINE_*. */
struct kbridge_bpf_line {
	__u64 seq;
	__u64 timestamp_ns;
	__u64 changes;
	__u32 value;
	__u8 source;
	__u8 kind;
	__u8 flags;
	__u8 reserved;
};

/* Value of kbridge_stats[0]: the program's counters. */
struct kbridge_bpf_stats {
	__u64 events;
	__u64 ringbuf_dropped;
	__u64 bad_line;
};

/* The layout above is the Rust one: checked by every C compiler that includes this. */
_Static_assert(sizeof(__u32) == 4, "kbridge ABI: BPF map key");
_Static_assert(__builtin_offsetof(struct kbridge_event, seq) == 0, "kbridge ABI: kbridge_event.seq");
_Static_assert(__builtin_offsetof(struct kbridge_event, timestamp_ns) == 8, "kbridge ABI: kbridge_event.timestamp_ns");
_Static_assert(__builtin_offsetof(struct kbridge_event, line) == 16, "kbridge ABI: kbridge_event.line");
_Static_assert(__builtin_offsetof(struct kbridge_event, source) == 18, "kbridge ABI: kbridge_event.source");
_Static_assert(__builtin_offsetof(struct kbridge_event, kind) == 19, "kbridge ABI: kbridge_event.kind");
_Static_assert(__builtin_offsetof(struct kbridge_event, old_value) == 20, "kbridge ABI: kbridge_event.old_value");
_Static_assert(__builtin_offsetof(struct kbridge_event, new_value) == 24, "kbridge ABI: kbridge_event.new_value");
_Static_assert(__builtin_offsetof(struct kbridge_event, dropped) == 28, "kbridge ABI: kbridge_event.dropped");
_Static_assert(sizeof(struct kbridge_event) == 32, "kbridge ABI: sizeof kbridge_event");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, seq) == 0, "kbridge ABI: kbridge_bpf_line.seq");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, timestamp_ns) == 8, "kbridge ABI: kbridge_bpf_line.timestamp_ns");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, changes) == 16, "kbridge ABI: kbridge_bpf_line.changes");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, value) == 24, "kbridge ABI: kbridge_bpf_line.value");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, source) == 28, "kbridge ABI: kbridge_bpf_line.source");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, kind) == 29, "kbridge ABI: kbridge_bpf_line.kind");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, flags) == 30, "kbridge ABI: kbridge_bpf_line.flags");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_line, reserved) == 31, "kbridge ABI: kbridge_bpf_line.reserved");
_Static_assert(sizeof(struct kbridge_bpf_line) == 32, "kbridge ABI: sizeof kbridge_bpf_line");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_stats, events) == 0, "kbridge ABI: kbridge_bpf_stats.events");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_stats, ringbuf_dropped) == 8, "kbridge ABI: kbridge_bpf_stats.ringbuf_dropped");
_Static_assert(__builtin_offsetof(struct kbridge_bpf_stats, bad_line) == 16, "kbridge ABI: kbridge_bpf_stats.bad_line");
_Static_assert(sizeof(struct kbridge_bpf_stats) == 24, "kbridge ABI: sizeof kbridge_bpf_stats");

#endif /* _UAPI_LINUX_KBRIDGE_BPF_H */
