// SPDX-License-Identifier: GPL-2.0

//! Raw declarations of the RCU glue in `kbridge_rcu.c`.
//!
//! C header: [kbridge_rcu.h](kbridge_rcu.h)
//!
//! Only [`super::rcu`] calls these.

extern "C" {
    pub(crate) fn kbridge_rcu_read_lock();
    pub(crate) fn kbridge_rcu_read_unlock();
    pub(crate) fn kbridge_rcu_synchronize();
}
