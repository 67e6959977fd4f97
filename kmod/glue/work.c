// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: self-rearming delayed works, embedded in Rust.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/work.rs.
 */

#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "kbridge_glue.h"

/* Runs the Rust work owning @work; it returns the delay in ms until its next
 * run, or 0 to stop. */
static void kbridge_glue_work_fn(struct work_struct *work)
{
	struct delayed_work *dw = to_delayed_work(work);
	unsigned int ms = kbridge_rust_work_run(dw);

	if (ms)
		schedule_delayed_work(dw, msecs_to_jiffies(ms));
}

void kbridge_glue_delayed_work_init(struct delayed_work *dw)
{
	INIT_DELAYED_WORK(dw, kbridge_glue_work_fn);
}

void kbridge_glue_delayed_work_start(struct delayed_work *dw,
				     unsigned int delay_ms)
{
	schedule_delayed_work(dw, msecs_to_jiffies(delay_ms));
}

void kbridge_glue_delayed_work_cancel(struct delayed_work *dw)
{
	cancel_delayed_work_sync(dw);
}
