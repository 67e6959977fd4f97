/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kbridge:kbridge_line_change tracepoint (docs/bpf.md).
 *
 * A TRACE_EVENT header: included normally it declares trace_*(), included
 * again by <trace/define_trace.h> (from kbridge_trace.c, which defines
 * CREATE_TRACE_POINTS) it defines the event. It lives in kmod/trace/ so that
 * tests/host/glue-abi.sh, which runs bindgen on kmod/kbridge_*.h, never sees
 * the TRACE_EVENT macros.
 *
 * The field layout is an ABI for BPF programs: bpf/kbridge.bpf.c mirrors it
 * in struct kbridge_line_change_ctx, and tests/guest/t60-bpf.sh checks that
 * against /sys/kernel/tracing/events/kbridge/kbridge_line_change/format.
 * Append fields only at the end.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kbridge

#if !defined(KBRIDGE_TRACE_EVENTS_H) || defined(TRACE_HEADER_MULTI_READ)
#define KBRIDGE_TRACE_EVENTS_H

#include <linux/tracepoint.h>

TRACE_EVENT(kbridge_line_change,

	TP_PROTO(unsigned int line, unsigned int old_value,
		 unsigned int new_value, u64 seq, unsigned int source,
		 unsigned int kind, u64 timestamp_ns),

	TP_ARGS(line, old_value, new_value, seq, source, kind, timestamp_ns),

	TP_STRUCT__entry(
		__field(u64, seq)
		__field(u64, timestamp_ns)
		__field(u32, line)
		__field(u32, old_value)
		__field(u32, new_value)
		__field(u8, source)
		__field(u8, kind)
	),

	TP_fast_assign(
		__entry->seq = seq;
		__entry->timestamp_ns = timestamp_ns;
		__entry->line = line;
		__entry->old_value = old_value;
		__entry->new_value = new_value;
		__entry->source = source;
		__entry->kind = kind;
	),

	TP_printk("line=%u old=%u new=%u seq=%llu source=%u kind=%u ts=%llu",
		  __entry->line, __entry->old_value, __entry->new_value,
		  __entry->seq, __entry->source, __entry->kind,
		  __entry->timestamp_ns)
);

#endif /* KBRIDGE_TRACE_EVENTS_H */

/* Out of tree: define_trace.h finds this file as <./kbridge.h> through
 * -I$(src)/trace (kmod/Kbuild, CFLAGS_kbridge_trace.o). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kbridge
#include <trace/define_trace.h>
