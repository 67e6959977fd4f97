// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the module parameters (6.12's Rust module! has none).
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/param.rs, which validates.
 */

#include <linux/moduleparam.h>

#include "kbridge_glue.h"

static unsigned int ring_size = 128;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size,
	"events kept for readers, a power of two from 16 to 65536 (default 128)");

unsigned int kbridge_glue_param_ring_size(void)
{
	return ring_size;
}
