//! Property tests of every input the kernel parses or validates on behalf of user space
//! (chardev text commands, sysfs values, ioctl structs, netlink attribute streams), as
//! arbitrary bytes and as well-formed values, through proptest. Each property runs a fixed
//! number of cases (PROPTEST_CASES overrides it; the default keeps `cargo test` to seconds).
//! The coverage-guided counterpart is the cargo-fuzz targets in `userspace/fuzz`
//! (scripts/fuzz-host.sh, docs/testing.md).
//!
//! What must hold: no panic on any input; what parses, prints back to itself; the validators
//! accept exactly what their rules say.

use kbridge_abi::{self as abi, nl, Command, IocValues};
use proptest::prelude::*;

use crate::abi_rules::{input_rule, size_rule};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        ..ProptestConfig::default()
    }
}

/// Bytes drawn mostly from the command alphabet, so the parser gets past its first checks.
fn command_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> = b"set toggle relay lamp_1 0123456789 \t\n\r-\0\xff".to_vec();
    proptest::collection::vec(
        prop_oneof![4 => proptest::sample::select(alphabet), 1 => any::<u8>()],
        0..120,
    )
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,30}"
}

fn command() -> impl Strategy<Value = (String, Option<u32>)> {
    (name(), proptest::option::of(any::<u32>()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn commands_never_panic_and_print_back(input in command_bytes()) {
        let mut ok = 0usize;
        let mut failed = false;
        for c in abi::parse_commands(&input) {
            match c {
                Ok(cmd) => {
                    ok += 1;
                    prop_assert!(!failed, "a command after an error");
                    let text = cmd.to_string();
                    let again: Vec<_> = abi::parse_commands(text.as_bytes()).collect();
                    prop_assert_eq!(again, vec![Ok(cmd)]);
                }
                Err(e) => {
                    prop_assert!(!failed, "two errors");
                    prop_assert!(e.line >= 1);
                    failed = true;
                }
            }
        }
        match abi::validate_commands(&input) {
            Ok(n) => prop_assert!(!failed && n == ok),
            Err(_) => prop_assert!(failed),
        }
    }

    #[test]
    fn well_formed_writes_parse_to_their_commands(cmds in proptest::collection::vec(command(), 0..20)) {
        let text: String = cmds
            .iter()
            .map(|(n, v)| match v {
                Some(v) => format!("set {n} {v}\n"),
                None => format!("toggle {n}\n"),
            })
            .collect();
        let parsed: Vec<Command<'_>> = abi::parse_commands(text.as_bytes()).map(Result::unwrap).collect();
        prop_assert_eq!(parsed.len(), cmds.len());
        for (c, (n, v)) in parsed.iter().zip(&cmds) {
            prop_assert_eq!(c.name(), n.as_str());
            match (c, v) {
                (Command::Set { value, .. }, Some(v)) => prop_assert_eq!(value, v),
                (Command::Toggle { .. }, None) => {}
                _ => prop_assert!(false, "{c:?} for {v:?}"),
            }
        }
    }

    #[test]
    fn sysfs_values(input in proptest::collection::vec(any::<u8>(), 0..16), v in any::<u32>()) {
        if let Ok(x) = abi::parse_sysfs_value(&input) {
            // Only the canonical decimal, with or without one newline.
            let canon = x.to_string();
            let with_newline = format!("{canon}\n");
            prop_assert!(input == canon.as_bytes() || input == with_newline.as_bytes());
        }
        prop_assert_eq!(abi::parse_sysfs_value(format!("{v}\n").as_bytes()), Ok(v));
        prop_assert_eq!(abi::parse_sysfs_value(v.to_string().as_bytes()), Ok(v));
    }

    #[test]
    fn ioctl_values_validation(
        flags in prop_oneof![Just(0u32), any::<u32>()],
        mask in prop_oneof![any::<u64>(), (0u32..64).prop_map(|b| 1u64 << b)],
        reserved in prop_oneof![Just([0u32; 4]), any::<[u32; 4]>()],
        num_lines in 0u32..=64,
    ) {
        let v = IocValues { flags, reserved, ..IocValues::request(mask) };
        prop_assert_eq!(v.check_input(num_lines), input_rule(flags, &reserved, mask, num_lines));
    }

    #[test]
    fn ioctl_sizes(user in any::<u32>(), known in 1usize..4096) {
        prop_assert_eq!(abi::check_user_size(user, known), size_rule(user, known));
    }

    #[test]
    fn netlink_attrs_stay_in_bounds(buf in proptest::collection::vec(any::<u8>(), 0..256)) {
        let base = buf.as_ptr() as usize;
        let mut end_seen = 0usize;
        for a in nl::attrs(&buf) {
            let start = a.raw.as_ptr() as usize - base;
            prop_assert!(start >= end_seen, "attributes overlap or go backwards");
            prop_assert!(start + a.raw.len() <= buf.len());
            prop_assert!(a.raw.len() >= 4);
            prop_assert_eq!(a.data, &a.raw[4..]);
            prop_assert_eq!(a.ty & !nl::NLA_TYPE_MASK, 0);
            end_seen = start + a.raw.len();
        }
    }

    #[test]
    fn netlink_attrs_decode_what_was_encoded(
        attrs in proptest::collection::vec((1u16..0x3fff, any::<bool>(), proptest::collection::vec(any::<u8>(), 0..20)), 0..12)
    ) {
        let mut buf = Vec::new();
        for (ty, nested, payload) in &attrs {
            let len = u16::try_from(4 + payload.len()).unwrap();
            buf.extend_from_slice(&len.to_ne_bytes());
            buf.extend_from_slice(&(ty | if *nested { nl::NLA_F_NESTED } else { 0 }).to_ne_bytes());
            buf.extend_from_slice(payload);
            while buf.len() % 4 != 0 {
                buf.push(0);
            }
        }
        let got: Vec<(u16, Vec<u8>)> = nl::attrs(&buf).map(|a| (a.ty, a.data.to_vec())).collect();
        let want: Vec<(u16, Vec<u8>)> = attrs.iter().map(|(t, _, p)| (*t, p.clone())).collect();
        prop_assert_eq!(got, want);
    }
}
