//! Pins the binary ABI: sizes, offsets, ioctl numbers, magic values and encodings. A failure
//! here means the kernel/user contract changed; that needs an ABI version decision, not a
//! test update.

use core::mem::{offset_of, size_of};
use kbridge_abi::*;

#[test]
fn constants_are_pinned() {
    assert_eq!(ABI_VERSION, 1);
    assert_eq!(MAX_LINES, 64);
    assert_eq!(NAME_LEN, 32);
    assert_eq!(NAME_MAX_LEN, 31);
    assert_eq!(SHARED_MAGIC, u32::from_be_bytes(*b"KBRG"));
    assert_eq!(SHARED_PAGE_SIZE, 4096);
    assert_eq!(CHARDEV_MAX_WRITE, 4096);
    assert_eq!(IOC_MAGIC, 0x4A);
    assert_eq!((KIND_OUTPUT, KIND_INPUT, KIND_LED), (0, 1, 2), "line kinds");
    assert_eq!(
        [
            SOURCE_INIT,
            SOURCE_HARDWARE,
            SOURCE_SYSFS,
            SOURCE_CHARDEV,
            SOURCE_IOCTL,
            SOURCE_NETLINK,
            SOURCE_KERNEL
        ],
        [0, 1, 2, 3, 4, 5, 6]
    );
    assert_eq!(LINE_FLAG_ACTIVE_LOW, 1);
    assert_eq!((BPF_LINE_VALID, BPF_LINE_SEEDED), (1, 2), "BPF line flags");
    assert_eq!(
        [BPF_MAP_LINES, BPF_MAP_EVENTS, BPF_MAP_STATS],
        ["kbridge_lines", "kbridge_events", "kbridge_stats"]
    );
    assert_eq!(
        [BPF_PIN_LINES, BPF_PIN_EVENTS, BPF_PIN_STATS, BPF_PIN_LINK],
        ["lines", "events", "stats", "link"]
    );
    assert_eq!(BPF_RINGBUF_BYTES, 64 * 1024);
}

#[test]
fn ioctl_numbers_are_pinned() {
    assert_eq!(IOC_BOARD_INFO, 0xC058_4A00);
    assert_eq!(IOC_LINE_INFO, 0xC070_4A01);
    assert_eq!(IOC_GET_VALUES, 0xC128_4A02);
    assert_eq!(IOC_SET_VALUES, 0xC128_4A03);
    assert_eq!(IOC_TOGGLE, 0x4020_4A04);
    assert_eq!(IOC_GET_BITS, 0xC020_4A05);
    assert_eq!(IOC_SET_BITS, 0xC020_4A06);
}

#[test]
fn ioc_encoding_matches_asm_generic() {
    // Known values from the kernel headers (asm-generic/ioctl.h layout).
    // FS_IOC_GETFLAGS = _IOR('f', 1, long) on 64-bit.
    assert_eq!(ior(b'f', 1, 8), 0x8008_6601);
    // GPIO_V2_GET_LINE_IOCTL = _IOWR(0xB4, 0x07, struct gpio_v2_line_request /* 592 */).
    assert_eq!(iowr(0xB4, 0x07, 592), 0xC250_B407);
    // USBDEVFS_RESET = _IO('U', 20).
    assert_eq!(io(b'U', 20), 0x0000_5514);
    assert_eq!(iow(b'J', 4, 32), IOC_TOGGLE);
    // Oversized sizes are masked, never a panic.
    assert_eq!(ioc(IOC_READ, 0, 0, 1 << 14), 0x8000_0000);
}

#[test]
fn struct_sizes_are_pinned() {
    assert_eq!(size_of::<EventRecord>(), 32);
    assert_eq!(size_of::<IocBoardInfo>(), 88);
    assert_eq!(size_of::<IocLineInfo>(), 112);
    assert_eq!(size_of::<IocValues>(), 296);
    assert_eq!(size_of::<IocToggle>(), 32);
    assert_eq!(size_of::<SharedLine>(), 24);
    assert_eq!(size_of::<SharedState>(), 1576);
    assert_eq!(EVENT_SIZE, 32);
    assert_eq!(IOC_BOARD_INFO_SIZE_V1, 88);
    assert_eq!(IOC_LINE_INFO_SIZE_V1, 112);
    assert_eq!(IOC_VALUES_SIZE_V1, 296);
    assert_eq!(IOC_TOGGLE_SIZE_V1, 32);
    assert_eq!(SHARED_LINE_SIZE, 24);
    assert_eq!(SHARED_STATE_SIZE, 1576);
    assert_eq!(size_of::<BpfLine>(), 32);
    assert_eq!(size_of::<BpfStats>(), 24);
    assert_eq!(BPF_LINE_SIZE, 32);
    assert_eq!(BPF_STATS_SIZE, 24);
    assert_eq!(BPF_KEY_SIZE, 4);
}

/// Sum of field sizes equals the struct size: there is no implicit padding anywhere.
#[test]
fn no_implicit_padding() {
    assert_eq!(8 + 8 + 2 + 1 + 1 + 4 + 4 + 4, size_of::<EventRecord>());
    assert_eq!(4 * 4 + 8 + NAME_LEN + 4 * 8, size_of::<IocBoardInfo>());
    assert_eq!(4 * 8 + 8 + 8 + NAME_LEN + 4 * 8, size_of::<IocLineInfo>());
    assert_eq!(
        4 + 4 + 8 + 4 * MAX_LINES + 8 + 4 * 4,
        size_of::<IocValues>()
    );
    assert_eq!(4 + 4 + 8 + 4 * 4, size_of::<IocToggle>());
    assert_eq!(4 + 1 + 1 + 2 + 8 + 8, size_of::<SharedLine>());
    assert_eq!(
        4 * 6 + 8 + 8 + SHARED_LINE_SIZE * MAX_LINES,
        size_of::<SharedState>()
    );
    assert_eq!(8 + 8 + 8 + 4 + 1 + 1 + 1 + 1, size_of::<BpfLine>());
    assert_eq!(8 * 3, size_of::<BpfStats>());
}

#[test]
fn offsets_are_pinned() {
    assert_eq!(offset_of!(EventRecord, seq), 0);
    assert_eq!(offset_of!(EventRecord, timestamp_ns), 8);
    assert_eq!(offset_of!(EventRecord, line), 16);
    assert_eq!(offset_of!(EventRecord, source), 18);
    assert_eq!(offset_of!(EventRecord, kind), 19);
    assert_eq!(offset_of!(EventRecord, old_value), 20);
    assert_eq!(offset_of!(EventRecord, new_value), 24);
    assert_eq!(offset_of!(EventRecord, dropped), 28);

    assert_eq!(offset_of!(BpfLine, seq), 0);
    assert_eq!(offset_of!(BpfLine, timestamp_ns), 8);
    assert_eq!(offset_of!(BpfLine, changes), 16);
    assert_eq!(offset_of!(BpfLine, value), 24);
    assert_eq!(offset_of!(BpfLine, source), 28);
    assert_eq!(offset_of!(BpfLine, kind), 29);
    assert_eq!(offset_of!(BpfLine, flags), 30);
    assert_eq!(offset_of!(BpfLine, reserved), 31);
    assert_eq!(offset_of!(BpfStats, events), 0);
    assert_eq!(offset_of!(BpfStats, ringbuf_dropped), 8);
    assert_eq!(offset_of!(BpfStats, bad_line), 16);

    assert_eq!(offset_of!(IocBoardInfo, seq), 16);
    assert_eq!(offset_of!(IocBoardInfo, name), 24);
    assert_eq!(offset_of!(IocBoardInfo, reserved), 56);

    assert_eq!(offset_of!(IocLineInfo, index), 4);
    assert_eq!(offset_of!(IocLineInfo, last_source), 24);
    assert_eq!(offset_of!(IocLineInfo, changes), 32);
    assert_eq!(offset_of!(IocLineInfo, last_change_ns), 40);
    assert_eq!(offset_of!(IocLineInfo, name), 48);
    assert_eq!(offset_of!(IocLineInfo, reserved), 80);

    assert_eq!(offset_of!(IocValues, mask), 8);
    assert_eq!(offset_of!(IocValues, values), 16);
    assert_eq!(offset_of!(IocValues, seq), 272);
    assert_eq!(offset_of!(IocValues, reserved), 280);

    assert_eq!(offset_of!(IocToggle, mask), 8);
    assert_eq!(offset_of!(IocToggle, reserved), 16);

    assert_eq!(SHARED_OFF_MAGIC, 0);
    assert_eq!(SHARED_OFF_ABI_VERSION, 4);
    assert_eq!(SHARED_OFF_HEADER_SIZE, 8);
    assert_eq!(SHARED_OFF_NUM_LINES, 12);
    assert_eq!(SHARED_OFF_SEQCOUNT, 16);
    assert_eq!(SHARED_OFF_SEQ, 24);
    assert_eq!(SHARED_OFF_VALUES_BITMAP, 32);
    assert_eq!(SHARED_OFF_LINES, 40);
    assert_eq!(SHARED_LINE_OFF_VALUE, 0);
    assert_eq!(SHARED_LINE_OFF_KIND, 4);
    assert_eq!(SHARED_LINE_OFF_FLAGS, 5);
    assert_eq!(SHARED_LINE_OFF_RESERVED, 6);
    assert_eq!(SHARED_LINE_OFF_CHANGES, 8);
    assert_eq!(SHARED_LINE_OFF_LAST_CHANGE_NS, 16);
    assert_eq!(shared_line_offset(0), Some(40));
    assert_eq!(shared_line_offset(63), Some(40 + 63 * 24));
    assert_eq!(shared_line_offset(64), None);
    assert_eq!(shared_line_offset(usize::MAX), None);
}

#[test]
fn requests_carry_their_size() {
    assert_eq!(IocBoardInfo::request().size, 88);
    assert_eq!(IocLineInfo::request(3).size, 112);
    assert_eq!(IocLineInfo::request(3).index, 3);
    assert_eq!(IocValues::request(0b101).size, 296);
    assert_eq!(IocValues::request(0b101).mask, 0b101);
    assert_eq!(IocToggle::request(1).size, 32);
}

fn sample_event() -> EventRecord {
    EventRecord {
        seq: 0x0102_0304_0506_0708,
        timestamp_ns: 0x1112_1314_1516_1718,
        line: 0x2122,
        source: SOURCE_SYSFS,
        kind: KIND_LED,
        old_value: 0x3132_3334,
        new_value: 0x4142_4344,
        dropped: 0x5152_5354,
    }
}

#[test]
fn event_bytes_follow_the_struct_layout() {
    let ev = sample_event();
    let b = ev.to_bytes();
    assert_eq!(b[0..8], ev.seq.to_ne_bytes());
    assert_eq!(b[8..16], ev.timestamp_ns.to_ne_bytes());
    assert_eq!(b[16..18], ev.line.to_ne_bytes());
    assert_eq!(b[18], SOURCE_SYSFS);
    assert_eq!(b[19], KIND_LED);
    assert_eq!(b[20..24], ev.old_value.to_ne_bytes());
    assert_eq!(b[24..28], ev.new_value.to_ne_bytes());
    assert_eq!(b[28..32], ev.dropped.to_ne_bytes());
    assert_eq!(EventRecord::from_bytes(&b), ev);
}

#[cfg(target_endian = "little")]
#[test]
fn event_bytes_are_little_endian_on_supported_targets() {
    let b = sample_event().to_bytes();
    assert_eq!(b[0..8], [8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(b[16..18], [0x22, 0x21]);
}

#[test]
fn shared_state_round_trips_through_bytes() {
    let mut state = SharedState::from_bytes(&[]);
    assert_eq!(state.magic, 0);
    state.magic = SHARED_MAGIC;
    state.abi_version = ABI_VERSION;
    state.header_size = SHARED_STATE_SIZE as u32;
    state.num_lines = 2;
    state.seqcount = 4;
    state.seq = 99;
    state.values_bitmap = 0b10;
    state.lines[1] = SharedLine {
        value: 255,
        kind: KIND_LED,
        flags: LINE_FLAG_ACTIVE_LOW as u8,
        reserved: 0,
        changes: 7,
        last_change_ns: 123_456_789,
    };
    let mut page = [0u8; SHARED_PAGE_SIZE];
    state.write_bytes(&mut page);
    assert_eq!(page[0..4], SHARED_MAGIC.to_ne_bytes());
    let off = shared_line_offset(1).unwrap();
    assert_eq!(page[off..off + 4], 255u32.to_ne_bytes());
    assert_eq!(page[off + SHARED_LINE_OFF_KIND], KIND_LED);
    assert!(page[SHARED_STATE_SIZE..].iter().all(|&b| b == 0));
    assert_eq!(SharedState::from_bytes(&page), state);
    // A short buffer decodes what is there and zero for the rest; writing to it is a no-op
    // past its end.
    let mut short = [0u8; 10];
    state.write_bytes(&mut short);
    assert_eq!(SharedState::from_bytes(&short).magic, SHARED_MAGIC);
    assert_eq!(SharedState::from_bytes(&short).num_lines, 0);
}

#[test]
fn seqcount_parity() {
    assert!(!seqcount_is_writing(0));
    assert!(seqcount_is_writing(1));
    assert!(!seqcount_is_writing(u32::MAX - 1));
    assert!(seqcount_is_writing(u32::MAX));
}

#[test]
fn user_size_checks() {
    assert_eq!(check_user_size(88, 88), Ok(UserSize::Exact));
    assert_eq!(check_user_size(0, 88), Err(SizeError::TooSmall));
    assert_eq!(check_user_size(87, 88), Err(SizeError::TooSmall));
    assert_eq!(check_user_size(96, 88), Ok(UserSize::Larger { extra: 8 }));
    assert_eq!(
        check_user_size(4096, 88),
        Ok(UserSize::Larger { extra: 4008 })
    );
    assert_eq!(check_user_size(4097, 88), Err(SizeError::TooBig));
    assert_eq!(check_user_size(u32::MAX, 88), Err(SizeError::TooBig));
    assert!(all_zero(&[]));
    assert!(all_zero(&[0, 0]));
    assert!(!all_zero(&[0, 1]));
}

#[test]
fn ioctl_input_checks() {
    assert_eq!(lines_mask(0), 0);
    assert_eq!(lines_mask(3), 0b111);
    assert_eq!(lines_mask(64), u64::MAX);
    assert_eq!(lines_mask(u32::MAX), u64::MAX);

    assert_eq!(IocValues::request(0b11).check_input(2), Ok(()));
    assert_eq!(
        IocValues::request(0).check_input(2),
        Err(IocInputError::Mask)
    );
    assert_eq!(
        IocValues::request(0b100).check_input(2),
        Err(IocInputError::Mask)
    );
    assert_eq!(IocValues::request(u64::MAX).check_input(64), Ok(()));
    let mut v = IocValues::request(1);
    v.flags = 1;
    assert_eq!(v.check_input(2), Err(IocInputError::Flags));
    let mut v = IocValues::request(1);
    v.reserved[3] = 1;
    assert_eq!(v.check_input(2), Err(IocInputError::Reserved));

    assert_eq!(IocToggle::request(1).check_input(1), Ok(()));
    assert_eq!(
        IocToggle::request(2).check_input(1),
        Err(IocInputError::Mask)
    );
    let mut t = IocToggle::request(1);
    t.reserved[0] = 5;
    assert_eq!(t.check_input(1), Err(IocInputError::Reserved));

    assert_eq!(IocLineInfo::request(1).check_input(2), Ok(()));
    assert_eq!(
        IocLineInfo::request(2).check_input(2),
        Err(IocInputError::Index)
    );
}

#[test]
fn set_rules() {
    assert_eq!(check_set(KIND_OUTPUT, 1, 1), Ok(()));
    assert_eq!(check_set(KIND_OUTPUT, 1, 2), Err(SetError::OutOfRange));
    assert_eq!(check_set(KIND_INPUT, 1, 0), Err(SetError::NotWritable));
    assert_eq!(check_set(KIND_LED, 255, 255), Ok(()));
    assert_eq!(check_set(KIND_LED, 255, 256), Err(SetError::OutOfRange));
    assert_eq!(check_set(200, 255, 0), Err(SetError::NotWritable));
    assert_eq!(toggled_value(0, 1), 1);
    assert_eq!(toggled_value(1, 1), 0);
    assert_eq!(toggled_value(0, 255), 255);
    assert_eq!(toggled_value(17, 255), 0);
}

#[test]
fn ioc_bits_layout_and_checks() {
    assert_eq!(size_of::<IocBits>(), IOC_BITS_SIZE_V1);
    // No padding: the size is the sum of the fields (the kernel copies it as plain bytes).
    assert_eq!(4 + 4 + 8 + 8 + 8, size_of::<IocBits>());
    assert_eq!(offset_of!(IocBits, mask), 8);
    assert_eq!(offset_of!(IocBits, bits), 16);
    assert_eq!(offset_of!(IocBits, seq), 24);
    let r = IocBits::request(0b101, 0b100);
    assert_eq!(
        (r.size, r.flags, r.mask, r.bits, r.seq),
        (32, 0, 0b101, 0b100, 0)
    );
    assert_eq!(r.check_input(3), Ok(()));
    assert_eq!(r.check_input(2), Err(IocInputError::Mask));
    assert_eq!(
        IocBits::request(0, 0).check_input(3),
        Err(IocInputError::Mask)
    );
    let mut f = IocBits::request(1, 0);
    f.flags = 1;
    assert_eq!(f.check_input(3), Err(IocInputError::Flags));
    assert_eq!(bit_value(true, 255), 255);
    assert_eq!(bit_value(false, 255), 0);
    assert_eq!(bit_value(true, 1), 1);
}

#[test]
fn bpf_line_bytes_follow_the_struct_layout() {
    let l = BpfLine {
        seq: 7,
        timestamp_ns: 123_456_789,
        changes: 3,
        value: 255,
        source: SOURCE_IOCTL,
        kind: KIND_LED,
        flags: BPF_LINE_VALID | BPF_LINE_SEEDED,
        reserved: 0,
    };
    let b = l.to_bytes();
    assert_eq!(b[..8], 7u64.to_ne_bytes());
    assert_eq!(b[16..24], 3u64.to_ne_bytes());
    assert_eq!(b[24..28], 255u32.to_ne_bytes());
    assert_eq!(b[28..], [SOURCE_IOCTL, KIND_LED, 3, 0]);
    assert_eq!(BpfLine::from_bytes(&b), l);
}

#[test]
fn bpf_stats_bytes_follow_the_struct_layout() {
    let s = BpfStats {
        events: 10,
        ringbuf_dropped: 2,
        bad_line: 1,
    };
    let b = s.to_bytes();
    assert_eq!(b[8..16], 2u64.to_ne_bytes());
    assert_eq!(b[16..], 1u64.to_ne_bytes());
    assert_eq!(BpfStats::from_bytes(&b), s);
}
