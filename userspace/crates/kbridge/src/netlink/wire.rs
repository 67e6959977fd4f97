//! The attribute stream: encoding requests, splitting replies.

use super::*;

/// One attribute of a request, encoded as given (no checks: `kbridge-test` sends bad ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAttr {
    /// Attribute type.
    pub ty: u16,
    /// Set `NLA_F_NESTED`.
    pub nested: bool,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

impl RawAttr {
    /// A u32 attribute.
    pub fn u32(ty: u16, v: u32) -> Self {
        RawAttr {
            ty,
            nested: false,
            payload: v.to_ne_bytes().to_vec(),
        }
    }

    /// A NUL-terminated string attribute.
    pub fn str(ty: u16, s: &str) -> Self {
        let mut payload = s.as_bytes().to_vec();
        payload.push(0);
        RawAttr {
            ty,
            nested: false,
            payload,
        }
    }

    /// A nest of `children`, flagged `NLA_F_NESTED`.
    pub fn nest(ty: u16, children: &[RawAttr]) -> Self {
        RawAttr {
            ty,
            nested: true,
            payload: encode(children),
        }
    }
}

/// Encodes attributes as a netlink attribute stream (aligned to 4 bytes).
pub fn encode(attrs: &[RawAttr]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in attrs {
        let len = u16::try_from(4 + a.payload.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_ne_bytes());
        let ty = a.ty | if a.nested { NLA_F_NESTED } else { 0 };
        out.extend_from_slice(&ty.to_ne_bytes());
        out.extend_from_slice(&a.payload);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    out
}

/// Splits a netlink attribute stream into `(type, payload)` pairs (flags stripped).
pub fn decode(buf: &[u8]) -> Vec<(u16, &[u8])> {
    abi::nl::attrs(buf).map(|a| (a.ty, a.data)).collect()
}

/// The attributes of one reply or event message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// Command of the message.
    pub cmd: u8,
    /// `(type, payload)` in message order.
    pub attrs: Vec<(u16, Vec<u8>)>,
}

impl Reply {
    pub(super) fn find(&self, ty: u16) -> Option<&[u8]> {
        self.attrs
            .iter()
            .rev()
            .find(|(t, _)| *t == ty)
            .map(|(_, p)| p.as_slice())
    }

    /// A u8 attribute.
    pub fn u8(&self, ty: u16) -> Option<u8> {
        self.find(ty)?.first().copied()
    }

    /// A u32 attribute.
    pub fn u32(&self, ty: u16) -> Option<u32> {
        Some(u32::from_ne_bytes(
            self.find(ty)?.get(..4)?.try_into().ok()?,
        ))
    }

    /// A u64 attribute.
    pub fn u64(&self, ty: u16) -> Option<u64> {
        Some(u64::from_ne_bytes(
            self.find(ty)?.get(..8)?.try_into().ok()?,
        ))
    }

    /// A string attribute (up to its NUL).
    pub fn str(&self, ty: u16) -> Option<String> {
        let p = self.find(ty)?;
        let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
        String::from_utf8(p.get(..end)?.to_vec()).ok()
    }

    pub(super) fn need<T>(&self, what: &str, v: Option<T>) -> Result<T> {
        v.ok_or_else(|| Error::protocol(VIA, format!("reply without {what}")))
    }
}

/// Splits an encoded stream back into `(raw type with flags, payload)`.
pub(super) fn decode_raw(mut buf: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while let Some(hdr) = buf.get(..4) {
        let len = usize::from(u16::from_ne_bytes([hdr[0], hdr[1]]));
        let ty = u16::from_ne_bytes([hdr[2], hdr[3]]);
        let payload = buf
            .get(4..len.max(4))
            .unwrap_or(buf.get(4..).unwrap_or(&[]));
        out.push((ty, payload));
        buf = buf.get((len.max(4) + 3) & !3..).unwrap_or(&[]);
    }
    out
}
