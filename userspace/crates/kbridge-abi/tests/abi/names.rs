//! Names, kinds and sources: the vocabulary every text interface shares.

use kbridge_abi::*;

#[test]
fn valid_names() {
    for name in [
        "a",
        "led0",
        "status-led",
        "btn_1",
        "z-_9",
        "abcdefghijklmnopqrstuvwxyz01234",
    ] {
        assert_eq!(validate_name(name.as_bytes()), Ok(name), "{name}");
    }
}

#[test]
fn invalid_names() {
    let cases: &[(&[u8], NameError)] = &[
        (b"", NameError::Empty),
        (b"abcdefghijklmnopqrstuvwxyz012345", NameError::TooLong),
        (b"0led", NameError::BadStart),
        (b"_led", NameError::BadStart),
        (b"-led", NameError::BadStart),
        (b"Led", NameError::BadStart),
        (b"lED", NameError::BadChar),
        (b"led 0", NameError::BadChar),
        (b"led\0", NameError::BadChar),
        (b"led.0", NameError::BadChar),
        (b"led/0", NameError::BadChar),
        ("l\u{e9}d".as_bytes(), NameError::BadChar),
        (b"\xff", NameError::BadStart),
    ];
    for (name, err) in cases {
        assert_eq!(validate_name(name), Err(*err), "{name:?}");
    }
}

#[test]
fn name_fields() {
    let field = name_to_field("led0").unwrap();
    assert_eq!(&field[..5], b"led0\0");
    assert!(field[4..].iter().all(|&b| b == 0));
    assert_eq!(name_from_field(&field), Ok("led0"));

    let longest = "a".repeat(NAME_MAX_LEN);
    let field = name_to_field(&longest).unwrap();
    assert_eq!(field[NAME_LEN - 1], 0);
    assert_eq!(name_from_field(&field), Ok(longest.as_str()));

    assert_eq!(name_to_field("Bad"), Err(NameError::BadStart));
    assert_eq!(name_from_field(&[0; NAME_LEN]), Err(NameError::Empty));
    // No NUL terminator at all.
    assert_eq!(name_from_field(&[b'a'; NAME_LEN]), Err(NameError::TooLong));
    // Garbage after the terminator.
    let mut field = name_to_field("led0").unwrap();
    field[10] = b'x';
    assert_eq!(name_from_field(&field), Err(NameError::BadChar));
}

#[test]
fn kinds_round_trip() {
    for (kind, name) in [
        (KIND_OUTPUT, "output"),
        (KIND_INPUT, "input"),
        (KIND_LED, "led"),
    ] {
        assert_eq!(kind_name(kind), Some(name));
        assert_eq!(kind_from_name(name), Some(kind));
    }
    assert_eq!(kind_name(3), None);
    assert_eq!(kind_from_name("LED"), None);
    assert!(kind_is_writable(KIND_OUTPUT));
    assert!(kind_is_writable(KIND_LED));
    assert!(!kind_is_writable(KIND_INPUT));
    assert!(!kind_is_writable(3));
}

#[test]
fn sources_round_trip() {
    let all = [
        (SOURCE_INIT, "init"),
        (SOURCE_HARDWARE, "hardware"),
        (SOURCE_SYSFS, "sysfs"),
        (SOURCE_CHARDEV, "chardev"),
        (SOURCE_IOCTL, "ioctl"),
        (SOURCE_NETLINK, "netlink"),
        (SOURCE_KERNEL, "kernel"),
    ];
    for (source, name) in all {
        assert_eq!(source_name(source), Some(name));
        assert_eq!(source_from_name(name), Some(source));
    }
    assert_eq!(source_name(7), None);
    assert_eq!(
        source_from_name("procfs"),
        None,
        "read-only interfaces never change state"
    );
}
