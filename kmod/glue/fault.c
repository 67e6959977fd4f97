// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: fault injection for line writes (debugfs).
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/fault.rs.
 */

#include <linux/debugfs.h>
#include <linux/fault-inject.h>

#include "kbridge_glue.h"

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
