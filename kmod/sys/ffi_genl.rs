// SPDX-License-Identifier: GPL-2.0

//! Raw declarations of the generic netlink glue in `kbridge_genl.c`.
//!
//! C header: [kbridge_genl.h](kbridge_genl.h)
//!
//! Only [`crate::sys::genl`] calls these. `tests/host/glue-abi.sh` checks them
//! against the header.

use core::ffi::{c_char, c_int, c_long, c_uint, c_void};

use crate::sys::ffi::opaque;

// Opaque stand-ins for the C structs, as in `ffi.rs`.
opaque! {
    /// `struct genl_info`.
    genl_info;
    /// `struct netlink_callback`.
    netlink_callback;
    /// `struct sk_buff`.
    sk_buff;
}

extern "C" {
    pub(crate) fn kbridge_genl_register() -> c_int;
    pub(crate) fn kbridge_genl_unregister();

    pub(crate) fn kbridge_genl_payload(info: *mut genl_info, len: *mut c_uint) -> *const c_void;
    pub(crate) fn kbridge_genl_set_err(
        info: *mut genl_info,
        nla: *const c_void,
        msg: *const c_char,
    );
    pub(crate) fn kbridge_genl_set_missing(
        info: *mut genl_info,
        nest: *const c_void,
        type_: c_uint,
        msg: *const c_char,
    );

    pub(crate) fn kbridge_genl_new(payload: usize) -> *mut sk_buff;
    pub(crate) fn kbridge_genl_free(skb: *mut sk_buff);
    pub(crate) fn kbridge_genl_start_reply(
        skb: *mut sk_buff,
        info: *mut genl_info,
        cmd: c_uint,
    ) -> *mut c_void;
    pub(crate) fn kbridge_genl_start_dump(
        skb: *mut sk_buff,
        cb: *mut netlink_callback,
        cmd: c_uint,
    ) -> *mut c_void;
    pub(crate) fn kbridge_genl_start_event(skb: *mut sk_buff, cmd: c_uint) -> *mut c_void;
    pub(crate) fn kbridge_genl_put(
        skb: *mut sk_buff,
        type_: c_uint,
        len: c_uint,
        data: *const c_void,
    ) -> c_int;
    pub(crate) fn kbridge_genl_put_u64(
        skb: *mut sk_buff,
        type_: c_uint,
        value: u64,
        pad: c_uint,
    ) -> c_int;
    pub(crate) fn kbridge_genl_reserve_u64(
        skb: *mut sk_buff,
        type_: c_uint,
        pad: c_uint,
    ) -> *mut c_void;
    pub(crate) fn kbridge_genl_end(skb: *mut sk_buff, hdr: *mut c_void);
    pub(crate) fn kbridge_genl_cancel(skb: *mut sk_buff, hdr: *mut c_void);
    pub(crate) fn kbridge_genl_len(skb: *mut sk_buff) -> c_uint;
    pub(crate) fn kbridge_genl_reply(skb: *mut sk_buff, info: *mut genl_info) -> c_int;
    pub(crate) fn kbridge_genl_has_listeners() -> bool;
    pub(crate) fn kbridge_genl_multicast(skb: *mut sk_buff) -> c_int;
    pub(crate) fn kbridge_genl_cb_args(cb: *mut netlink_callback) -> *mut c_long;
}
