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
struct file;
struct gpio_desc;
struct inode;
struct kernfs_node;
struct kobject;
struct led_classdev;
struct poll_table_struct;
struct proc_dir_entry;
struct seq_file;
struct vm_area_struct;

/* Platform driver (Rust: platform.rs). Probe/remove call back into Rust. */
/* device_link_add(consumer, supplier, DL_FLAG_AUTOREMOVE_CONSUMER): unbinding
 * the supplier unbinds the consumer first. */
int kbridge_glue_device_link_supplier(struct device *consumer,
				      struct device *supplier);
int kbridge_glue_platform_register(void);
void kbridge_glue_platform_unregister(void);
void kbridge_glue_set_drvdata(struct device *dev, void *data);
void *kbridge_glue_get_drvdata(struct device *dev);
int kbridge_glue_dev_err_probe(struct device *dev, int err, const char *msg);

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
int kbridge_glue_gpiod_set_consumer_name(struct gpio_desc *desc, const char *name);
/* The device whose driver provides the line's chip (may be NULL). */
struct device *kbridge_glue_gpiod_supplier(struct gpio_desc *desc);

/* LED consumer API (Rust: led.rs). */
int kbridge_glue_led_count(struct device *dev);
int kbridge_glue_led_get(struct device *dev, unsigned int idx,
			 struct led_classdev **out);
/* True when the driver's setter may sleep (brightness_set_blocking). */
bool kbridge_glue_led_can_sleep(struct led_classdev *led);
/* led_set_brightness_sync(): only for LEDs that can sleep (else -ENOTSUPP). */
int kbridge_glue_led_set_sync(struct led_classdev *led, unsigned int value);
/* led_set_brightness(): the driver's non-sleeping setter; cannot fail. */
void kbridge_glue_led_set_nosleep(struct led_classdev *led, unsigned int value);
/* led->brightness = value (undoes the value a failed sync set left behind). */
void kbridge_glue_led_store_brightness(struct led_classdev *led,
				       unsigned int value);
/* Whether a trigger drives the LED (read under trigger_lock). */
bool kbridge_glue_led_has_trigger(struct led_classdev *led);
/* led_trigger_remove(): detach the LED's trigger, if any. */
void kbridge_glue_led_trigger_remove(struct led_classdev *led);
unsigned int kbridge_glue_led_brightness(struct led_classdev *led);
/* The device whose driver registered the LED (may be NULL). */
struct device *kbridge_glue_led_supplier(struct led_classdev *led);
unsigned int kbridge_glue_led_max_brightness(struct led_classdev *led);
const char *kbridge_glue_led_name(struct led_classdev *led);

/* Time and user memory (Rust: uaccess.rs, board.rs). */
u64 kbridge_glue_ktime_ns(void);
unsigned long kbridge_glue_copy_to_user(void __user *to, const void *from,
					unsigned long n);
unsigned long kbridge_glue_copy_from_user(void *to, const void __user *from,
					  unsigned long n);

/* Character device: misc device + file operations (Rust: chardev.rs). */
int kbridge_glue_misc_register(struct device *parent);
void kbridge_glue_misc_deregister(void);
void *kbridge_glue_file_private(struct file *file);
void kbridge_glue_file_set_private(struct file *file, void *data);
bool kbridge_glue_file_nonblock(struct file *file);
bool kbridge_glue_file_writable(struct file *file);
int kbridge_glue_wait_event(bool (*ready)(void *), void *arg);
void kbridge_glue_poll_wait(struct file *file, struct poll_table_struct *pt);
bool kbridge_glue_readers_waiting(void);
void kbridge_glue_wake_readers(__poll_t events);

/* Implemented in Rust (chardev.rs); the glue's file_operations point at them. */
int kbridge_rust_open(struct inode *inode, struct file *file);
int kbridge_rust_release(struct inode *inode, struct file *file);
ssize_t kbridge_rust_read(struct file *file, char __user *buf, size_t len,
			  loff_t *off);
ssize_t kbridge_rust_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *off);
__poll_t kbridge_rust_poll(struct file *file, struct poll_table_struct *pt);
long kbridge_rust_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int kbridge_rust_mmap(struct file *file, struct vm_area_struct *vma);

/* Shared state page and its mapping (Rust: shmem.rs). */
unsigned long kbridge_glue_get_zeroed_page(void);
void kbridge_glue_free_page(unsigned long addr);
void kbridge_glue_vma_info(struct vm_area_struct *vma, unsigned long *len,
			   unsigned long *pgoff, bool *write, bool *exec);
/* Never writable or executable later (mprotect), never grown (mremap), not in core dumps. */
void kbridge_glue_vma_seal(struct vm_area_struct *vma);
/* Maps the page at @addr into @vma on each fault; the VMA holds a reference on it. */
void kbridge_glue_vma_map_page(struct vm_area_struct *vma, unsigned long addr);

/* procfs (Rust: procfs.rs). */
struct proc_dir_entry *kbridge_glue_proc_create(void *data);
void kbridge_glue_proc_remove(struct proc_dir_entry *entry);
void *kbridge_glue_seq_private(struct seq_file *m);
void kbridge_glue_seq_write(struct seq_file *m, const void *buf, size_t len);
/* Implemented in Rust (procfs.rs). */
int kbridge_rust_proc_show(struct seq_file *m, void *v);

/* Module parameters (Rust: sys/param.rs, which validates them). */
unsigned int kbridge_glue_param_ring_size(void);

/* sysfs: a kobject per line with a fixed attribute group (Rust: sysfs.rs). */
enum kbridge_attr {
	KBRIDGE_ATTR_VALUE,
	KBRIDGE_ATTR_MAX_VALUE,
	KBRIDGE_ATTR_KIND,
	KBRIDGE_ATTR_NAME,
	KBRIDGE_ATTR_ACTIVE_LOW,
};
struct kobject *kbridge_glue_device_kobj(struct device *dev);
struct kobject *kbridge_glue_kobject_create(const char *name,
					    struct kobject *parent);
/* kobject_del(): out of sysfs now (drains show/store); the put comes after. */
void kbridge_glue_kobject_del(struct kobject *kobj);
void kbridge_glue_kobject_put(struct kobject *kobj);
int kbridge_glue_sysfs_add_line_attrs(struct kobject *kobj);
struct kernfs_node *kbridge_glue_sysfs_value_node(struct kobject *kobj);
void kbridge_glue_kernfs_put(struct kernfs_node *kn);
bool kbridge_glue_kernfs_has_open(struct kernfs_node *kn);
void kbridge_glue_kernfs_notify(struct kernfs_node *kn);
/* Implemented in Rust (sysfs.rs). */
ssize_t kbridge_rust_sysfs_show(struct kobject *kobj, unsigned int attr,
				char *buf);
ssize_t kbridge_rust_sysfs_store(struct kobject *kobj, unsigned int attr,
				 const char *buf, size_t len);

/* Input lines' interrupts (Rust: irq.rs). */
int kbridge_glue_gpiod_to_irq(struct gpio_desc *desc);
int kbridge_glue_request_irq(unsigned int irq, const char *name, void *cookie);
void kbridge_glue_free_irq(unsigned int irq, void *cookie);
/* Implemented in Rust (irq.rs). */
unsigned int kbridge_rust_irq_thread(int irq, void *cookie);

/* Periodic check of LEDs changed behind kbridge's back (Rust: ledpoll.rs).
 * One delayed work: the Rust callback returns the delay in ms until its next
 * run, or 0 to stop. */
void kbridge_glue_led_poll_start(unsigned int delay_ms);
void kbridge_glue_led_poll_stop(void);
/* Implemented in Rust (ledpoll.rs). */
unsigned int kbridge_rust_led_poll(void);

/* Fault injection (Rust: fault.rs): a debugfs fault attribute for line writes. */
void kbridge_glue_fault_init(void);
void kbridge_glue_fault_exit(void);
bool kbridge_glue_fail_hw_write(void);

#endif /* KBRIDGE_GLUE_H */
