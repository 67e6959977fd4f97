// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the platform driver (kbridge,board) and the bound device.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/platform.rs.
 */

#include <linux/device.h>
#include <linux/err.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>

#include "kbridge_glue.h"

int kbridge_glue_device_link_supplier(struct device *consumer,
				      struct device *supplier)
{
	return device_link_add(consumer, supplier, DL_FLAG_AUTOREMOVE_CONSUMER) ?
		       0 : -EINVAL;
}

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

int kbridge_glue_dev_err_probe(struct device *dev, int err, const char *msg)
{
	return dev_err_probe(dev, err, "%s\n", msg);
}

void *kbridge_glue_get_drvdata(struct device *dev)
{
	return dev_get_drvdata(dev);
}
