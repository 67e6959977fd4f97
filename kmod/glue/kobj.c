// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: sysfs directories and the line attributes.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/kobj.rs.
 */

#include <linux/device.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "kbridge_glue.h"

/* One trampoline per attribute: the attribute id is the only thing added. */
#define KBRIDGE_SHOW(_name, _id)						\
static ssize_t _name##_show(struct kobject *kobj,				\
			    struct kobj_attribute *attr, char *buf)		\
{										\
	return kbridge_rust_sysfs_show(kobj, _id, buf);				\
}
KBRIDGE_SHOW(value, KBRIDGE_ATTR_VALUE)
KBRIDGE_SHOW(max_value, KBRIDGE_ATTR_MAX_VALUE)
KBRIDGE_SHOW(kind, KBRIDGE_ATTR_KIND)
KBRIDGE_SHOW(name, KBRIDGE_ATTR_NAME)
KBRIDGE_SHOW(active_low, KBRIDGE_ATTR_ACTIVE_LOW)

static ssize_t value_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t len)
{
	return kbridge_rust_sysfs_store(kobj, KBRIDGE_ATTR_VALUE, buf, len);
}

static struct kobj_attribute kbridge_attr_value = __ATTR_RW_MODE(value, 0664);
static struct kobj_attribute kbridge_attr_max_value = __ATTR_RO(max_value);
static struct kobj_attribute kbridge_attr_kind = __ATTR_RO(kind);
static struct kobj_attribute kbridge_attr_name = __ATTR_RO(name);
static struct kobj_attribute kbridge_attr_active_low = __ATTR_RO(active_low);

static struct attribute *kbridge_line_attrs[] = {
	&kbridge_attr_value.attr,
	&kbridge_attr_max_value.attr,
	&kbridge_attr_kind.attr,
	&kbridge_attr_name.attr,
	&kbridge_attr_active_low.attr,
	NULL,
};

static const struct attribute_group kbridge_line_group = {
	.attrs = kbridge_line_attrs,
};

struct kobject *kbridge_glue_device_kobj(struct device *dev)
{
	return &dev->kobj;
}

struct kobject *kbridge_glue_kobject_create(const char *name,
					    struct kobject *parent)
{
	return kobject_create_and_add(name, parent);
}

void kbridge_glue_kobject_del(struct kobject *kobj)
{
	kobject_del(kobj);
}

void kbridge_glue_kobject_put(struct kobject *kobj)
{
	kobject_put(kobj);
}

int kbridge_glue_sysfs_add_line_attrs(struct kobject *kobj)
{
	return sysfs_create_group(kobj, &kbridge_line_group);
}

/* The kernfs node of the line's `value` file, with a reference (NULL if absent). */
struct kernfs_node *kbridge_glue_sysfs_value_node(struct kobject *kobj)
{
	return sysfs_get_dirent(kobj->sd, "value");
}

void kbridge_glue_kernfs_put(struct kernfs_node *kn)
{
	kernfs_put(kn);
}

/* Whether any file is open on @kn: only an open file can poll() it. */
bool kbridge_glue_kernfs_has_open(struct kernfs_node *kn)
{
	return rcu_access_pointer(kn->attr.open) != NULL;
}

/* sysfs_notify() without its lookup: wakes poll()ers of @kn. */
void kbridge_glue_kernfs_notify(struct kernfs_node *kn)
{
	kernfs_notify(kn);
}
