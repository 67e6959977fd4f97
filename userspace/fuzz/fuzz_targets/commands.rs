// SPDX-License-Identifier: GPL-2.0-only OR MIT

//! Chardev text commands (`write()` to /dev/kbridge): `validate_commands`, the kernel's first
//! pass, agrees with `parse_commands`, its second; nothing panics; every command prints back
//! to itself.

#![no_main]

use kbridge_abi::{self as abi, ParseErrorKind, CHARDEV_MAX_WRITE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut it = abi::parse_commands(data);
    let mut items = Vec::new();
    for item in it.by_ref() {
        items.push(item);
    }
    // Ended for good.
    assert!(it.next().is_none(), "parse_commands yields after its end");

    // Some commands, then at most one error, which is the last item.
    let first_err = items.iter().position(Result::is_err);
    if let Some(i) = first_err {
        assert_eq!(i + 1, items.len(), "items after an error");
    }

    let lines = data.split(|&b| b == b'\n').count();
    match abi::validate_commands(data) {
        Ok(n) => {
            assert!(first_err.is_none(), "validate Ok but parse failed");
            assert_eq!(
                n,
                items.len(),
                "validate counts {n}, parse yields {}",
                items.len()
            );
        }
        Err(e) => {
            assert_eq!(items.last(), Some(&Err(e)), "validate and parse disagree");
            if e.kind == ParseErrorKind::TooLong {
                assert_eq!(e.line, 0);
                assert!(data.len() > CHARDEV_MAX_WRITE);
            } else {
                assert!(data.len() <= CHARDEV_MAX_WRITE);
                assert!(
                    e.line >= 1 && e.line as usize <= lines,
                    "error on line {}",
                    e.line
                );
                // The line it names is not empty and is the one that fails alone.
                let line = data
                    .split(|&b| b == b'\n')
                    .nth(e.line as usize - 1)
                    .unwrap_or(&[]);
                assert!(!line.is_empty());
                let alone = abi::validate_commands(line).map_err(|e| e.kind);
                assert_eq!(alone, Err(e.kind));
            }
        }
    }

    // What parses prints back to itself, and as many commands as the write has non-empty lines.
    for cmd in items.iter().flatten() {
        let text = cmd.to_string();
        let again: Vec<_> = abi::parse_commands(text.as_bytes()).collect();
        assert_eq!(again, vec![Ok(*cmd)], "{text:?} does not parse back");
    }
    if first_err.is_none() {
        let non_empty = data
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(items.len(), non_empty);
    }
});
