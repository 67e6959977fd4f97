// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the misc character device /dev/kbridge, and a wait queue's
 * waits and wake-ups. Each function wraps one kernel construct and holds no
 * logic (rules: kbridge_glue.h); the Rust side is sys/misc.rs and
 * sys/wait.rs (the file operations land in iface/chardev.rs).
 *
 * The misc device is allocated per registration (6.12's bindings have no
 * struct miscdevice for Rust to embed), with a pointer back to what the
 * Rust registration owns; the wait queue is embedded in Rust (the board) and
 * only initialised here (init_waitqueue_head() is a macro with a static
 * lock class key).
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "kbridge_glue.h"

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

/* A misc device and the Rust registration's data for open(). */
struct kbridge_misc {
	struct miscdevice misc;
	const void *data;
};

struct miscdevice *kbridge_glue_misc_alloc(const char *name, umode_t mode,
					   struct device *parent,
					   const void *data)
{
	struct kbridge_misc *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return NULL;
	m->misc.minor = MISC_DYNAMIC_MINOR;
	m->misc.name = name;
	m->misc.fops = &kbridge_fops;
	m->misc.mode = mode;
	m->misc.parent = parent;
	m->data = data;
	return &m->misc;
}

void kbridge_glue_misc_free(struct miscdevice *misc)
{
	kfree(container_of(misc, struct kbridge_misc, misc));
}

int kbridge_glue_misc_register(struct miscdevice *misc)
{
	return misc_register(misc);
}

void kbridge_glue_misc_deregister(struct miscdevice *misc)
{
	misc_deregister(misc);
}

/* In open() only: misc_open() has set private_data to the misc device. */
const void *kbridge_glue_misc_open_data(struct file *file)
{
	struct miscdevice *misc = file->private_data;

	return container_of(misc, struct kbridge_misc, misc)->data;
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

void kbridge_glue_init_waitqueue(struct wait_queue_head *wq)
{
	init_waitqueue_head(wq);
}

int kbridge_glue_wait_event(struct wait_queue_head *wq, bool (*ready)(void *),
			    void *arg)
{
	return wait_event_interruptible(*wq, ready(arg));
}

/* poll_wait() plus the barrier that pairs with wq_has_sleeper() in the
 * waker, as sock_poll_wait() does: the readiness check after it then sees
 * any change whose waker saw no sleeper. */
void kbridge_glue_poll_wait(struct file *file, struct wait_queue_head *wq,
			    struct poll_table_struct *pt)
{
	poll_wait(file, wq, pt);
	smp_mb();
}

/* wq_has_sleeper(): whether a reader or poller waits (with the barrier that
 * pairs with the waiter's; see its kernel-doc). */
bool kbridge_glue_has_sleeper(struct wait_queue_head *wq)
{
	return wq_has_sleeper(wq);
}

void kbridge_glue_wake_up_poll(struct wait_queue_head *wq, __poll_t events)
{
	wake_up_interruptible_poll(wq, events);
}
