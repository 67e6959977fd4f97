//! The netlink attribute walker the module and the library share (`nl::attrs`).

use kbridge_abi::nl::{self, attrs};

/// `ty` with a payload, padded to 4 bytes as netlink does.
fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&u16::try_from(4 + payload.len()).unwrap().to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

#[test]
fn walks_in_order_with_flags_stripped_and_padding_skipped() {
    let mut buf = attr(nl::line::NAME, b"relay\0");
    buf.extend(attr(
        nl::change::ASSIGN | nl::NLA_F_NESTED,
        &attr(nl::change::TARGET, &7u32.to_ne_bytes()),
    ));
    buf.extend(attr(nl::line::CHANGES, &9u64.to_ne_bytes()));
    let got: Vec<_> = attrs(&buf).collect();
    assert_eq!(got.len(), 3);
    assert_eq!((got[0].ty, got[0].str()), (nl::line::NAME, &b"relay"[..]));
    assert_eq!(
        got[0].raw.len(),
        10,
        "the header and payload, not the padding"
    );
    assert_eq!(got[1].ty, nl::change::ASSIGN);
    let inner: Vec<_> = attrs(got[1].data).collect();
    assert_eq!((inner[0].ty, inner[0].u32()), (nl::change::TARGET, Some(7)));
    assert_eq!(got[2].u64(), Some(9));
    assert_eq!(got[2].u32(), Some(9), "the low half on little-endian hosts");
}

#[test]
fn stops_at_a_malformed_header() {
    let good = attr(1, &[1, 2, 3, 4]);
    for bad in [
        vec![3u8, 0, 1, 0],        // length below the header
        vec![40u8, 0, 1, 0, 0, 0], // length past the end
        vec![8u8, 0],              // truncated header
    ] {
        let mut buf = good.clone();
        buf.extend(&bad);
        assert_eq!(attrs(&buf).count(), 1, "{bad:?}");
    }
    assert_eq!(attrs(&[]).count(), 0);
    let short = attr(2, &[1, 2]);
    let a = attrs(&short).next().unwrap();
    assert_eq!((a.u32(), a.u64(), a.str()), (None, None, &[1u8, 2][..]));
}
