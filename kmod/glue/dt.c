// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: firmware (device tree) properties of the bound device.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/dt.rs.
 */

#include <linux/device.h>
#include <linux/gpio/consumer.h>
#include <linux/property.h>

#include "kbridge_glue.h"

bool kbridge_glue_property_present(struct device *dev, const char *prop)
{
	return device_property_present(dev, prop);
}

int kbridge_glue_string_count(struct device *dev, const char *prop)
{
	return device_property_string_array_count(dev, prop);
}

int kbridge_glue_read_strings(struct device *dev, const char *prop,
			      const char **out, size_t n)
{
	return device_property_read_string_array(dev, prop, out, n);
}

int kbridge_glue_gpio_count(struct device *dev, const char *con_id)
{
	return gpiod_count(dev, con_id);
}
