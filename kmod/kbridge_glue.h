/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbridge C glue: one function per kernel construct that Rust can't reach
 * from an out-of-tree module on every supported kernel (6.12 .. 7.x): static
 * inlines, macros, and APIs absent from 6.12's generated bindings (gpiod_*,
 * misc_*, proc_*, genl_*). No logic lives here: each function forwards to the
 * kernel. The Rust declarations are in ffi.rs and must match this header
 * (tests/host/glue-abi.sh checks them with bindgen).
 *
 * Errors are returned as negative errnos; pointers through out-parameters.
 */
#ifndef KBRIDGE_GLUE_H
#define KBRIDGE_GLUE_H

#include <linux/types.h>

struct device;
struct gpio_desc;
struct led_classdev;

/* Platform driver (Rust: platform.rs). Probe/remove call back into Rust. */
int kbridge_glue_platform_register(void);
void kbridge_glue_platform_unregister(void);
void kbridge_glue_set_drvdata(struct device *dev, void *data);
void *kbridge_glue_get_drvdata(struct device *dev);

/* Implemented in Rust (platform.rs). */
int kbridge_rust_probe(struct device *dev);
void kbridge_rust_remove(struct device *dev);

/* Firmware properties (Rust: dt.rs). */
bool kbridge_glue_property_present(struct device *dev, const char *prop);
int kbridge_glue_string_count(struct device *dev, const char *prop);
int kbridge_glue_read_strings(struct device *dev, const char *prop,
			      const char **out, size_t n);
int kbridge_glue_gpio_count(struct device *dev, const char *con_id);

/* GPIO consumer API (Rust: gpio.rs). */
int kbridge_glue_gpiod_get(struct device *dev, const char *con_id,
			   unsigned int idx, bool output,
			   struct gpio_desc **out);
int kbridge_glue_gpiod_set(struct gpio_desc *desc, int value);
int kbridge_glue_gpiod_get_value(struct gpio_desc *desc);
bool kbridge_glue_gpiod_is_active_low(struct gpio_desc *desc);

/* LED consumer API (Rust: led.rs). */
int kbridge_glue_led_count(struct device *dev);
int kbridge_glue_led_get(struct device *dev, unsigned int idx,
			 struct led_classdev **out);
int kbridge_glue_led_set(struct led_classdev *led, unsigned int value);
unsigned int kbridge_glue_led_brightness(struct led_classdev *led);
unsigned int kbridge_glue_led_max_brightness(struct led_classdev *led);
const char *kbridge_glue_led_name(struct led_classdev *led);

#endif /* KBRIDGE_GLUE_H */
