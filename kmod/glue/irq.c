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

/* A threaded handler only (no hard-IRQ part): @flags come from Rust. */
int kbridge_glue_request_irq(unsigned int irq, unsigned long flags,
			     const char *name, void *cookie)
{
	return request_threaded_irq(irq, NULL, kbridge_glue_irq_thread, flags,
				    name, cookie);
}

void kbridge_glue_free_irq(unsigned int irq, void *cookie)
{
	free_irq(irq, cookie);
}
