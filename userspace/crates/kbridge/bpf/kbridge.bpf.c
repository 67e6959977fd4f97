// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge's eBPF map interface (docs/bpf.md).
 *
 * Attached to the kbridge:kbridge_line_change tracepoint, which the module
 * fires once per recorded change, under its board lock, in sequence order.
 * The program (kbridge_mirror) mirrors every change into three maps that user space pins
 * under /sys/fs/bpf/kbridge/:
 *
 *   kbridge_lines   ARRAY[64]  line index -> struct kbridge_bpf_line
 *   kbridge_events  RINGBUF    struct kbridge_event per change
 *   kbridge_stats   ARRAY[1]   struct kbridge_bpf_stats
 *
 * Built by userspace/crates/kbridge/build.rs with
 * `clang -target bpfel -O2 -g -I kmod/uapi` and embedded in the kbridge
 * library, which loads it with aya (userspace/crates/kbridge/src/bpf/). The
 * three value structs come from kmod/uapi/kbridge-bpf.h, generated from
 * kbridge-abi, whose Rust structs the library uses. No libbpf or kernel
 * headers, so the build needs nothing but clang; the numeric constants below
 * are stable UAPI (include/uapi/linux/bpf.h).
 */

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

/* enum bpf_map_type */
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_MAP_TYPE_RINGBUF 27
/* bpf_map_update_elem() flags */
#define BPF_ANY 0

/* The helpers used, by their UAPI numbers (enum bpf_func_id). */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size,
				    __u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;

#define SEC(name) __attribute__((section(name), used))
/* BTF-defined maps, as libbpf and aya read them from the .maps section. */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

/* The maps' values, the ring record, KBRIDGE_MAX_LINES and the other numbers:
 * generated from kbridge-abi, shared with user space (kmod/uapi/). */
#include "kbridge-bpf.h"

/*
 * The tracepoint's record, as /sys/kernel/tracing/events/kbridge/
 * kbridge_line_change/format describes it: the common header
 * (struct trace_entry) then TP_STRUCT__entry of kmod/glue/trace/kbridge.h.
 * tests/guest/t60-bpf.sh compares the two.
 */
struct kbridge_line_change_ctx {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	int common_pid;
	__u64 seq;
	__u64 timestamp_ns;
	__u32 line;
	__u32 old_value;
	__u32 new_value;
	__u8 source;
	__u8 kind;
};

/* The layout, pinned: kbridge::bpf::CTX_FIELDS lists the same (name, offset,
 * size) triples (a unit test compares it with these lines) and kbridge-test
 * compares CTX_FIELDS with the format file in the guest. */
#define CTX_FIELD(f, off, sz)                                                  \
	_Static_assert(__builtin_offsetof(struct kbridge_line_change_ctx, f) ==  \
			       (off) &&                                        \
			       sizeof(((struct kbridge_line_change_ctx *)0)->f) == \
				       (sz),                                   \
		       "tracepoint field " #f)
CTX_FIELD(common_type, 0, 2);
CTX_FIELD(common_flags, 2, 1);
CTX_FIELD(common_preempt_count, 3, 1);
CTX_FIELD(common_pid, 4, 4);
CTX_FIELD(seq, 8, 8);
CTX_FIELD(timestamp_ns, 16, 8);
CTX_FIELD(line, 24, 4);
CTX_FIELD(old_value, 28, 4);
CTX_FIELD(new_value, 32, 4);
CTX_FIELD(source, 36, 1);
CTX_FIELD(kind, 37, 1);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KBRIDGE_MAX_LINES);
	__type(key, __u32);
	__type(value, struct kbridge_bpf_line);
} kbridge_lines SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KBRIDGE_BPF_RINGBUF_BYTES);
} kbridge_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kbridge_bpf_stats);
} kbridge_stats SEC(".maps");

/*
 * The module fires the tracepoint under its board lock, so hits never run
 * concurrently: plain stores and increments are enough, and the drop count
 * stamped into each record is exact.
 */
SEC("tracepoint/kbridge/kbridge_line_change")
int kbridge_mirror(struct kbridge_line_change_ctx *ctx)
{
	__u32 zero = 0;
	__u32 line = ctx->line;
	struct kbridge_bpf_stats *stats;
	struct kbridge_bpf_line *l;
	struct kbridge_event *ev;

	stats = bpf_map_lookup_elem(&kbridge_stats, &zero);
	if (!stats)
		return 0;
	stats->events++;

	l = bpf_map_lookup_elem(&kbridge_lines, &line);
	if (!l) {
		stats->bad_line++;
		return 0;
	}
	l->seq = ctx->seq;
	l->timestamp_ns = ctx->timestamp_ns;
	l->changes++;
	l->value = ctx->new_value;
	l->source = ctx->source;
	l->kind = ctx->kind;
	l->flags = KBRIDGE_BPF_LINE_VALID;

	ev = bpf_ringbuf_reserve(&kbridge_events, sizeof(*ev), 0);
	if (!ev) {
		stats->ringbuf_dropped++;
		return 0;
	}
	ev->seq = ctx->seq;
	ev->timestamp_ns = ctx->timestamp_ns;
	ev->line = (__u16)line;
	ev->source = ctx->source;
	ev->kind = ctx->kind;
	ev->old_value = ctx->old_value;
	ev->new_value = ctx->new_value;
	/* Unlike the character device's per-reader count, a ring record's
	 * `dropped` is the running total of records lost to a full ring buffer
	 * (user space turns it into a per-reader delta). */
	ev->dropped = (__u32)stats->ringbuf_dropped;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
