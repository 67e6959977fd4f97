// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: LED consumer: the board's LEDs.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/led.rs.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/leds.h>
#include <linux/of.h>

#include "kbridge_glue.h"

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

bool kbridge_glue_led_can_sleep(struct led_classdev *led)
{
	/* leds-gpio installs only brightness_set on a GPIO that cannot sleep. */
	return led->brightness_set_blocking != NULL;
}

int kbridge_glue_led_set_sync(struct led_classdev *led, unsigned int value)
{
	return led_set_brightness_sync(led, value);
}

void kbridge_glue_led_set_nosleep(struct led_classdev *led, unsigned int value)
{
	/* led_set_brightness_nosleep() is private to the LED core; this is its
	 * public wrapper (it defers only while software blink runs). */
	led_set_brightness(led, value);
}

void kbridge_glue_led_store_brightness(struct led_classdev *led,
				       unsigned int value)
{
	led->brightness = value;
}

#ifdef CONFIG_LEDS_TRIGGERS
bool kbridge_glue_led_has_trigger(struct led_classdev *led)
{
	bool ret;

	down_read(&led->trigger_lock);
	ret = led->trigger != NULL;
	up_read(&led->trigger_lock);
	return ret;
}
#else
bool kbridge_glue_led_has_trigger(struct led_classdev *led)
{
	return false;
}
#endif

void kbridge_glue_led_trigger_remove(struct led_classdev *led)
{
	led_trigger_remove(led);
}

struct device *kbridge_glue_led_supplier(struct led_classdev *led)
{
	/* The device whose driver registered the LED (leds-gpio's platform device). */
	return led->dev->parent;
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
