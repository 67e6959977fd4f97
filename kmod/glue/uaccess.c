// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the clock and user memory.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/uaccess.rs.
 */

#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "kbridge_glue.h"

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
