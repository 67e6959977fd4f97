// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: GPIO consumer: the board's lines.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/gpio.rs.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/gpio/consumer.h>
#include <linux/gpio/driver.h>

#include "kbridge_glue.h"

int kbridge_glue_gpiod_get(struct device *dev, const char *con_id,
			   unsigned int idx, bool output,
			   struct gpio_desc **out)
{
	struct gpio_desc *desc = devm_gpiod_get_index(dev, con_id, idx,
						      output ? GPIOD_OUT_LOW : GPIOD_IN);

	if (IS_ERR(desc))
		return PTR_ERR(desc);
	*out = desc;
	return 0;
}

int kbridge_glue_gpiod_set_consumer_name(struct gpio_desc *desc, const char *name)
{
	/* gpiolib keeps its own copy of the name. */
	return gpiod_set_consumer_name(desc, name);
}

int kbridge_glue_gpiod_set(struct gpio_desc *desc, int value)
{
	return gpiod_set_value_cansleep(desc, value);
}

int kbridge_glue_gpiod_get_value(struct gpio_desc *desc)
{
	return gpiod_get_value_cansleep(desc);
}

struct device *kbridge_glue_gpiod_supplier(struct gpio_desc *desc)
{
	/* The device whose driver provides the chip (gpio-sim, pl061, the Pi's
	 * pinctrl): the chip's own gpio_device unbinds its consumers only after
	 * gpiochip_remove() has torn down the chip's IRQs. */
	return gpio_device_to_device(gpiod_to_gpio_device(desc))->parent;
}

bool kbridge_glue_gpiod_is_active_low(struct gpio_desc *desc)
{
	return gpiod_is_active_low(desc);
}
