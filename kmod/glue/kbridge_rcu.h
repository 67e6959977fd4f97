/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kbridge C glue for RCU (Rust: platform.rs, declarations in ffi_rcu.rs):
 * the bound board's pointer is read under rcu_read_lock() and its reference
 * released only after synchronize_rcu(), so callbacks that are not fenced by
 * an unregistration (generic netlink runs independently of the board) can
 * take a reference safely. 6.12's kernel crate has no RCU API.
 */
#ifndef KBRIDGE_RCU_H
#define KBRIDGE_RCU_H

void kbridge_rcu_read_lock(void);
void kbridge_rcu_read_unlock(void);
void kbridge_rcu_synchronize(void);

#endif /* KBRIDGE_RCU_H */
