// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the kbridge:kbridge_line_change tracepoint. Defining
 * CREATE_TRACE_POINTS before including the TRACE_EVENT header makes this
 * the one object that instantiates the event (as Rust Binder does in-tree).
 * No logic: the function only forwards its arguments.
 */
#include <linux/types.h>

#include "kbridge_trace.h"

#define CREATE_TRACE_POINTS
#include "trace/kbridge.h"

void kbridge_trace_line_change(unsigned int line, unsigned int old_value,
			       unsigned int new_value, u64 seq,
			       unsigned int source, unsigned int kind,
			       u64 timestamp_ns)
{
	trace_kbridge_line_change(line, old_value, new_value, seq, source, kind,
				  timestamp_ns);
}
