// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue. See kbridge_glue.h for the rules: each function wraps one
 * kernel construct and holds no logic; all state and decisions are in Rust.
 */
#include <linux/device.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/gpio/consumer.h>
#include <linux/gpio/driver.h>
#include <linux/interrupt.h>
#include <linux/kobject.h>
#include <linux/leds.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kbridge_glue.h"

/* ---- platform driver -------------------------------------------------- */

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

/* ---- time and user memory ----------------------------------------------- */

u64 kbridge_glue_ktime_ns(void)
{
	return ktime_get_ns();
}

unsigned long kbridge_glue_copy_to_user(void __user *to, const void *from,
					unsigned long n)
{
	return copy_to_user(to, from, n);
}

unsigned long kbridge_glue_copy_from_user(void *to, const void __user *from,
					  unsigned long n)
{
	return copy_from_user(to, from, n);
}

/* ---- character device ---------------------------------------------------- */

static const struct file_operations kbridge_fops = {
	.owner = THIS_MODULE,
	.open = kbridge_rust_open,
	.release = kbridge_rust_release,
	.read = kbridge_rust_read,
	.write = kbridge_rust_write,
	.poll = kbridge_rust_poll,
	.unlocked_ioctl = kbridge_rust_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = kbridge_rust_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice kbridge_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kbridge",
	.fops = &kbridge_fops,
	.mode = 0660,
};

int kbridge_glue_misc_register(struct device *parent)
{
	kbridge_misc.parent = parent;
	return misc_register(&kbridge_misc);
}

void kbridge_glue_misc_deregister(void)
{
	misc_deregister(&kbridge_misc);
}

void *kbridge_glue_file_private(struct file *file)
{
	return file->private_data;
}

void kbridge_glue_file_set_private(struct file *file, void *data)
{
	file->private_data = data;
}

bool kbridge_glue_file_nonblock(struct file *file)
{
	return file->f_flags & O_NONBLOCK;
}

bool kbridge_glue_file_writable(struct file *file)
{
	return file->f_mode & FMODE_WRITE;
}

static DECLARE_WAIT_QUEUE_HEAD(kbridge_readers);

int kbridge_glue_wait_event(bool (*ready)(void *), void *arg)
{
	return wait_event_interruptible(kbridge_readers, ready(arg));
}

void kbridge_glue_poll_wait(struct file *file, struct poll_table_struct *pt)
{
	poll_wait(file, &kbridge_readers, pt);
}

void kbridge_glue_wake_readers(__poll_t events)
{
	wake_up_interruptible_poll(&kbridge_readers, events);
}

/* ---- LED poll ------------------------------------------------------------- */

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

/* ---- shared state page ---------------------------------------------------- */

unsigned long kbridge_glue_get_zeroed_page(void)
{
	return get_zeroed_page(GFP_KERNEL);
}

void kbridge_glue_free_page(unsigned long addr)
{
	free_page(addr);
}

void kbridge_glue_vma_info(struct vm_area_struct *vma, unsigned long *len,
			   unsigned long *pgoff, bool *write, bool *exec)
{
	*len = vma->vm_end - vma->vm_start;
	*pgoff = vma->vm_pgoff;
	*write = vma->vm_flags & VM_WRITE;
	*exec = vma->vm_flags & VM_EXEC;
}

void kbridge_glue_vma_seal(struct vm_area_struct *vma)
{
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE | VM_MAYEXEC);
}

/*
 * The page's VMAs: each holds a reference on the page (taken at mmap, on a
 * split or fork by .open, dropped by .close), so the page outlives the board
 * while mapped, and .fault maps it on every first access, also after
 * MADV_DONTNEED dropped the PTE (vm_insert_page() alone left such a re-fault
 * to SIGBUS).
 */
static void kbridge_page_vm_open(struct vm_area_struct *vma)
{
	get_page(vma->vm_private_data);
}

static void kbridge_page_vm_close(struct vm_area_struct *vma)
{
	put_page(vma->vm_private_data);
}

static vm_fault_t kbridge_page_vm_fault(struct vm_fault *vmf)
{
	struct page *page = vmf->vma->vm_private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kbridge_page_vm_ops = {
	.open = kbridge_page_vm_open,
	.close = kbridge_page_vm_close,
	.fault = kbridge_page_vm_fault,
};

void kbridge_glue_vma_map_page(struct vm_area_struct *vma, unsigned long addr)
{
	struct page *page = virt_to_page((void *)addr);

	get_page(page);
	vma->vm_private_data = page;
	vma->vm_ops = &kbridge_page_vm_ops;
}

/* ---- procfs ---------------------------------------------------------------- */

struct proc_dir_entry *kbridge_glue_proc_create(void *data)
{
	return proc_create_single_data("kbridge", 0444, NULL,
				       kbridge_rust_proc_show, data);
}

void kbridge_glue_proc_remove(struct proc_dir_entry *entry)
{
	proc_remove(entry);
}

void *kbridge_glue_seq_private(struct seq_file *m)
{
	return m->private;
}

void kbridge_glue_seq_write(struct seq_file *m, const void *buf, size_t len)
{
	seq_write(m, buf, len);
}

/* ---- sysfs ------------------------------------------------------------------ */

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

void kbridge_glue_sysfs_notify_value(struct kobject *kobj)
{
	sysfs_notify(kobj, NULL, "value");
}

/* ---- input interrupts ------------------------------------------------------- */

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

/* ---- fault injection ------------------------------------------------------- */

#ifdef CONFIG_FAULT_INJECTION
/*
 * fail_kbridge_hw_write: makes kbridge's writes to a line fail (EIO) as
 * configured in /sys/kernel/debug/fail_kbridge_hw_write (the standard
 * fault-inject attributes; also counted by /proc/<pid>/fail-nth), so the
 * tests can reach the undo path of an atomic multi-line set.
 */
static DECLARE_FAULT_ATTR(kbridge_fail_hw_write);
static struct dentry *kbridge_fault_dir;

void kbridge_glue_fault_init(void)
{
	struct dentry *d = fault_create_debugfs_attr("fail_kbridge_hw_write",
						     NULL,
						     &kbridge_fail_hw_write);

	kbridge_fault_dir = IS_ERR(d) ? NULL : d;
}

void kbridge_glue_fault_exit(void)
{
	debugfs_remove_recursive(kbridge_fault_dir);
}

bool kbridge_glue_fail_hw_write(void)
{
	return should_fail(&kbridge_fail_hw_write, 1);
}
#else
void kbridge_glue_fault_init(void)
{
}

void kbridge_glue_fault_exit(void)
{
}

bool kbridge_glue_fail_hw_write(void)
{
	return false;
}
#endif
