// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: /proc/kbridge.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is iface/procfs.rs.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "kbridge_glue.h"

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
