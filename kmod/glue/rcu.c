// SPDX-License-Identifier: GPL-2.0
/* kbridge C glue for RCU: see kbridge_rcu.h. */
#include <linux/rcupdate.h>

#include "kbridge_rcu.h"

void kbridge_rcu_read_lock(void)
{
	rcu_read_lock();
}

void kbridge_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void kbridge_rcu_synchronize(void)
{
	synchronize_rcu();
}
