// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the LED poll's delayed work.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/work.rs.
 */

#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "kbridge_glue.h"

static void kbridge_led_poll_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kbridge_led_poll_work, kbridge_led_poll_fn);

static void kbridge_led_poll_fn(struct work_struct *work)
{
	unsigned int ms = kbridge_rust_led_poll();

	if (ms)
		schedule_delayed_work(&kbridge_led_poll_work, msecs_to_jiffies(ms));
}

void kbridge_glue_led_poll_start(unsigned int delay_ms)
{
	schedule_delayed_work(&kbridge_led_poll_work, msecs_to_jiffies(delay_ms));
}

void kbridge_glue_led_poll_stop(void)
{
	cancel_delayed_work_sync(&kbridge_led_poll_work);
}
