// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the misc character device /dev/kbridge and its readers' wait queue.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is iface/chardev.rs.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
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

/* poll_wait() plus the barrier that pairs with wq_has_sleeper() in the
 * waker, as sock_poll_wait() does: the readiness check after it then sees
 * any change whose waker saw no sleeper. */
void kbridge_glue_poll_wait(struct file *file, struct poll_table_struct *pt)
{
	poll_wait(file, &kbridge_readers, pt);
	smp_mb();
}

/* wq_has_sleeper(): whether a reader or poller waits (with the barrier that
 * pairs with the waiter's; see its kernel-doc). */
bool kbridge_glue_readers_waiting(void)
{
	return wq_has_sleeper(&kbridge_readers);
}

void kbridge_glue_wake_readers(__poll_t events)
{
	wake_up_interruptible_poll(&kbridge_readers, events);
}
