// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: input lines' threaded interrupts.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/irq.rs.
 */

#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>

#include "kbridge_glue.h"

int kbridge_glue_gpiod_to_irq(struct gpio_desc *desc)
{
	return gpiod_to_irq(desc);
}

static irqreturn_t kbridge_glue_irq_thread(int irq, void *cookie)
{
	return kbridge_rust_irq_thread(irq, cookie);
}

int kbridge_glue_request_irq(unsigned int irq, const char *name, void *cookie)
{
	return request_threaded_irq(irq, NULL, kbridge_glue_irq_thread,
				    IRQF_ONESHOT | IRQF_TRIGGER_RISING |
				    IRQF_TRIGGER_FALLING, name, cookie);
}

void kbridge_glue_free_irq(unsigned int irq, void *cookie)
{
	free_irq(irq, cookie);
}
