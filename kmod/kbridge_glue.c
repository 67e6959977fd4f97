// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue. See kbridge_glue.h for the rules: each function wraps one
 * kernel construct and holds no logic; all state and decisions are in Rust.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/gpio/consumer.h>
#include <linux/leds.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/property.h>

#include "kbridge_glue.h"

/* ---- platform driver -------------------------------------------------- */

static int kbridge_glue_probe(struct platform_device *pdev)
{
	return kbridge_rust_probe(&pdev->dev);
}

static void kbridge_glue_remove(struct platform_device *pdev)
{
	kbridge_rust_remove(&pdev->dev);
}

static const struct of_device_id kbridge_of_match[] = {
	{ .compatible = "kbridge,board" },
	{ }
};
MODULE_DEVICE_TABLE(of, kbridge_of_match);

static struct platform_driver kbridge_platform_driver = {
	.probe = kbridge_glue_probe,
	.remove = kbridge_glue_remove,
	.driver = {
		.name = "kbridge",
		.of_match_table = kbridge_of_match,
	},
};

int kbridge_glue_platform_register(void)
{
	return platform_driver_register(&kbridge_platform_driver);
}

void kbridge_glue_platform_unregister(void)
{
	platform_driver_unregister(&kbridge_platform_driver);
}

void kbridge_glue_set_drvdata(struct device *dev, void *data)
{
	dev_set_drvdata(dev, data);
}

void *kbridge_glue_get_drvdata(struct device *dev)
{
	return dev_get_drvdata(dev);
}

/* ---- firmware properties ---------------------------------------------- */

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

/* ---- GPIO consumer ------------------------------------------------------ */

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

int kbridge_glue_gpiod_set(struct gpio_desc *desc, int value)
{
	return gpiod_set_value_cansleep(desc, value);
}

int kbridge_glue_gpiod_get_value(struct gpio_desc *desc)
{
	return gpiod_get_value_cansleep(desc);
}

bool kbridge_glue_gpiod_is_active_low(struct gpio_desc *desc)
{
	return gpiod_is_active_low(desc);
}

/* ---- LED consumer ------------------------------------------------------- */

int kbridge_glue_led_count(struct device *dev)
{
	return of_count_phandle_with_args(dev->of_node, "leds", NULL);
}

int kbridge_glue_led_get(struct device *dev, unsigned int idx,
			 struct led_classdev **out)
{
	struct led_classdev *led = devm_of_led_get(dev, idx);

	if (IS_ERR(led))
		return PTR_ERR(led);
	*out = led;
	return 0;
}

int kbridge_glue_led_set(struct led_classdev *led, unsigned int value)
{
	return led_set_brightness_sync(led, value);
}

unsigned int kbridge_glue_led_brightness(struct led_classdev *led)
{
	return led->brightness;
}

unsigned int kbridge_glue_led_max_brightness(struct led_classdev *led)
{
	return led->max_brightness;
}

const char *kbridge_glue_led_name(struct led_classdev *led)
{
	/* led->name is only set by drivers that register without init_data. */
	return dev_name(led->dev);
}
