//! The /proc/kbridge text format as the kernel produces it (the `Proc*` Display impls).

use kbridge_abi::*;

#[test]
fn records_have_the_documented_form() {
    assert_eq!(ProcAbi.to_string(), "abi 1");
    assert_eq!(
        ProcBoard {
            name: "qemu-virt",
            num_lines: 3,
            seq: 42
        }
        .to_string(),
        "board qemu-virt lines 3 seq 42"
    );
    let line = ProcLine {
        index: 0,
        name: "led0",
        kind: KIND_LED,
        value: 255,
        max_value: 255,
        flags: LINE_FLAG_ACTIVE_LOW,
        changes: 2,
        last_source: SOURCE_SYSFS,
        last_change_ns: 123456789,
    };
    assert_eq!(
        line.to_string(),
        "line 0 led0 kind=led value=255 max=255 flags=active-low changes=2 source=sysfs changed_ns=123456789"
    );
    let plain = ProcLine {
        flags: 0,
        kind: KIND_INPUT,
        last_source: SOURCE_INIT,
        ..line
    };
    assert_eq!(
        plain.to_string(),
        "line 0 led0 kind=input value=255 max=255 flags=- changes=2 source=init changed_ns=123456789"
    );
    assert_eq!(
        ProcOps {
            counts: [1, 2, 3, 4, 5, 6]
        }
        .to_string(),
        "ops procfs=1 sysfs=2 chardev=3 ioctl=4 mmap=5 netlink=6"
    );
    assert_eq!(
        ProcEvents {
            delivered: 10,
            dropped: 1
        }
        .to_string(),
        "events delivered=10 dropped=1"
    );
    assert_eq!(
        ProcNetlink {
            sent: 7,
            failed: 2,
            lost: 1,
            replies_lost: 3
        }
        .to_string(),
        "netlink sent=7 failed=2 lost=1 replies_lost=3"
    );
}

#[test]
fn unknown_codes_are_printed_as_numbers() {
    let line = ProcLine {
        index: 1,
        name: "x",
        kind: 9,
        value: 0,
        max_value: 1,
        flags: 0,
        changes: 0,
        last_source: 77,
        last_change_ns: 0,
    };
    let text = line.to_string();
    assert!(text.contains(" kind=9 "), "{text}");
    assert!(text.contains(" source=77 "), "{text}");
}

#[test]
fn line_fields_constant_matches_the_record() {
    let line = ProcLine {
        index: 0,
        name: "a",
        kind: KIND_OUTPUT,
        value: 0,
        max_value: 1,
        flags: 0,
        changes: 0,
        last_source: SOURCE_INIT,
        last_change_ns: 0,
    }
    .to_string();
    let keys: Vec<&str> = line
        .split(' ')
        .skip(3)
        .filter_map(|w| w.split_once('=').map(|(k, _)| k))
        .collect();
    assert_eq!(keys, PROC_LINE_FIELDS);
}
