// SPDX-License-Identifier: GPL-2.0

//! Line and board names, validated by the ABI's rules (`abi::validate_name`).

use crate::abi;

/// A validated line or board name, stored inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    buf: [u8; abi::NAME_LEN],
    len: usize,
}

impl Name {
    /// `s` as a name, or None when the ABI refuses it.
    pub fn new(s: &[u8]) -> Option<Self> {
        abi::validate_name(s).ok()?;
        let mut buf = [0u8; abi::NAME_LEN];
        buf.get_mut(..s.len())?.copy_from_slice(s);
        Some(Name { buf, len: s.len() })
    }

    /// The name's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The name (validated names are ASCII).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("?")
    }
}
