//! docs/syzkaller/kbridge.txt{,.const} against the sources of truth: every ioctl number and
//! struct size from kbridge-abi, every netlink command and attribute number from the
//! library's constants (which tests/host/netlink-spec.sh ties to the YAML spec), and every
//! KBRIDGE_* name the description uses has a constant.

use std::collections::BTreeMap;

use kbridge::netlink::{change, cmd, line};
use kbridge_abi as abi;

#[path = "../../../test-support/ptest.rs"]
mod ptest;

/// docs/syzkaller/NAME, found at run time (ptest); None on a ptest target without the
/// sources, where the test returns, reported as skipped.
fn doc(name: &str) -> Option<String> {
    let path = ptest::source_path(&format!("../../../docs/syzkaller/{name}"))?;
    #[allow(clippy::unwrap_used)]
    Some(std::fs::read_to_string(&path).unwrap())
}

fn consts() -> Option<BTreeMap<String, u64>> {
    let text = doc("kbridge.txt.const")?;
    let consts = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("arches"))
        .filter_map(|l| {
            let (k, v) = l.split_once(" = ")?;
            Some((k.trim().to_owned(), v.trim().parse().ok()?))
        })
        .collect();
    Some(consts)
}

#[test]
fn constants_match_the_abi() {
    let Some(c) = consts() else {
        return;
    };
    let want: [(&str, u64); 15] = [
        ("KBRIDGE_IOC_BOARD_INFO", abi::IOC_BOARD_INFO.into()),
        ("KBRIDGE_IOC_LINE_INFO", abi::IOC_LINE_INFO.into()),
        ("KBRIDGE_IOC_GET_VALUES", abi::IOC_GET_VALUES.into()),
        ("KBRIDGE_IOC_SET_VALUES", abi::IOC_SET_VALUES.into()),
        ("KBRIDGE_IOC_TOGGLE", abi::IOC_TOGGLE.into()),
        ("KBRIDGE_CMD_BOARD_GET", cmd::BOARD_GET.into()),
        ("KBRIDGE_CMD_LINE_GET", cmd::LINE_GET.into()),
        ("KBRIDGE_CMD_LINE_SET", cmd::LINE_SET.into()),
        ("KBRIDGE_CMD_LINE_TOGGLE", cmd::LINE_TOGGLE.into()),
        ("KBRIDGE_A_LINE_INDEX", line::INDEX.into()),
        ("KBRIDGE_A_LINE_NAME", line::NAME.into()),
        ("KBRIDGE_A_LINE_VALUE", line::VALUE.into()),
        ("KBRIDGE_A_CHANGE_ASSIGN", change::ASSIGN.into()),
        ("KBRIDGE_A_CHANGE_TARGET", change::TARGET.into()),
        ("O_NONBLOCK", 2048),
    ];
    for (name, value) in want {
        assert_eq!(c.get(name), Some(&value), "{name} in kbridge.txt.const");
    }
}

#[test]
fn every_name_has_a_constant() {
    let (Some(c), Some(text)) = (consts(), doc("kbridge.txt")) else {
        return;
    };
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    for word in code.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')) {
        if word.starts_with("KBRIDGE_") {
            assert!(c.contains_key(word), "{word} is used but has no constant");
        }
    }
}

#[test]
fn struct_sizes_match_the_abi() {
    let Some(text) = doc("kbridge.txt") else {
        return;
    };
    for (set, size) in [
        ("kbridge_board_info_size", abi::IOC_BOARD_INFO_SIZE_V1),
        ("kbridge_line_info_size", abi::IOC_LINE_INFO_SIZE_V1),
        ("kbridge_values_size", abi::IOC_VALUES_SIZE_V1),
        ("kbridge_toggle_size", abi::IOC_TOGGLE_SIZE_V1),
    ] {
        let first = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{set} = ")))
            .and_then(|v| v.split(',').next())
            .map(str::trim);
        assert_eq!(first, Some(size.to_string().as_str()), "{set}");
    }
}
