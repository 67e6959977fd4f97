//! The chardev text command grammar (write() to /dev/kbridge).

use kbridge_abi::*;

fn parse_all(input: &[u8]) -> Result<Vec<Command<'_>>, ParseError> {
    parse_commands(input).collect()
}

fn err(line: u32, kind: ParseErrorKind) -> Result<Vec<Command<'static>>, ParseError> {
    Err(ParseError { line, kind })
}

fn set(name: &str, value: u32) -> Command<'_> {
    Command::Set { name, value }
}

fn toggle(name: &str) -> Command<'_> {
    Command::Toggle { name }
}

#[test]
fn single_commands() {
    assert_eq!(parse_all(b"set led0 1\n"), Ok(vec![set("led0", 1)]));
    assert_eq!(parse_all(b"set led0 1"), Ok(vec![set("led0", 1)]));
    assert_eq!(parse_all(b"toggle led0\n"), Ok(vec![toggle("led0")]));
    assert_eq!(parse_all(b"set\tled0\t255"), Ok(vec![set("led0", 255)]));
    assert_eq!(parse_all(b"set a 0"), Ok(vec![set("a", 0)]));
    assert_eq!(parse_all(b"set a 4294967295"), Ok(vec![set("a", u32::MAX)]));
}

#[test]
fn several_commands_and_empty_lines() {
    assert_eq!(
        parse_all(b"set led0 1\n\ntoggle relay\nset led1 0\n\n"),
        Ok(vec![set("led0", 1), toggle("relay"), set("led1", 0)])
    );
    assert_eq!(validate_commands(b"set a 1\ntoggle b\n"), Ok(2));
}

#[test]
fn nothing_to_do() {
    assert_eq!(parse_all(b""), Ok(vec![]));
    assert_eq!(parse_all(b"\n"), Ok(vec![]));
    assert_eq!(parse_all(b"\n\n\n"), Ok(vec![]));
    assert_eq!(validate_commands(b""), Ok(0));
}

#[test]
fn unknown_verbs_and_garbage() {
    assert_eq!(parse_all(b"get led0"), err(1, ParseErrorKind::UnknownVerb));
    assert_eq!(
        parse_all(b"SET led0 1"),
        err(1, ParseErrorKind::UnknownVerb)
    );
    assert_eq!(
        parse_all(b"sett led0 1"),
        err(1, ParseErrorKind::UnknownVerb)
    );
    assert_eq!(parse_all(b"led0=1"), err(1, ParseErrorKind::UnknownVerb));
    assert_eq!(parse_all(b"#comment"), err(1, ParseErrorKind::UnknownVerb));
}

#[test]
fn wrong_word_counts() {
    assert_eq!(parse_all(b"set"), err(1, ParseErrorKind::MissingName));
    assert_eq!(parse_all(b"set led0"), err(1, ParseErrorKind::MissingValue));
    assert_eq!(parse_all(b"toggle"), err(1, ParseErrorKind::MissingName));
    assert_eq!(
        parse_all(b"set a 1 2"),
        err(1, ParseErrorKind::TrailingWords)
    );
    assert_eq!(
        parse_all(b"toggle a 1"),
        err(1, ParseErrorKind::TrailingWords)
    );
}

#[test]
fn whitespace_is_strict() {
    for input in [
        &b" set a 1"[..],
        b"set a 1 ",
        b"set  a 1",
        b"set a\t 1",
        b"toggle a\t",
        b" ",
        b"\t\n",
    ] {
        assert_eq!(
            parse_all(input),
            err(1, ParseErrorKind::BadWhitespace),
            "{input:?}"
        );
    }
    assert_eq!(parse_all(b"set a 1\r\n"), err(1, ParseErrorKind::BadByte));
}

#[test]
fn values_are_plain_decimal() {
    let bad = |v: ValueError| ParseErrorKind::BadValue(v);
    assert_eq!(parse_all(b"set a +1"), err(1, bad(ValueError::NotDecimal)));
    assert_eq!(parse_all(b"set a -1"), err(1, bad(ValueError::NotDecimal)));
    assert_eq!(parse_all(b"set a 0x1"), err(1, bad(ValueError::NotDecimal)));
    assert_eq!(parse_all(b"set a 01"), err(1, bad(ValueError::NotDecimal)));
    assert_eq!(parse_all(b"set a 1.0"), err(1, bad(ValueError::NotDecimal)));
    assert_eq!(parse_all(b"set a 1e3"), err(1, bad(ValueError::NotDecimal)));
    assert_eq!(parse_all(b"set a on"), err(1, bad(ValueError::NotDecimal)));
    assert_eq!(
        parse_all(b"set a 4294967296"),
        err(1, bad(ValueError::Overflow))
    );
    assert_eq!(
        parse_all(b"set a 99999999999999999999999999999999"),
        err(1, bad(ValueError::Overflow))
    );
}

#[test]
fn names_are_validated() {
    let bad = |n: NameError| ParseErrorKind::BadName(n);
    assert_eq!(parse_all(b"set Led0 1"), err(1, bad(NameError::BadStart)));
    assert_eq!(parse_all(b"toggle 0led"), err(1, bad(NameError::BadStart)));
    assert_eq!(parse_all(b"toggle le.d"), err(1, bad(NameError::BadChar)));
    let long = format!("toggle {}", "a".repeat(32));
    assert_eq!(parse_all(long.as_bytes()), err(1, bad(NameError::TooLong)));
    let longest = format!("toggle {}", "a".repeat(31));
    assert_eq!(parse_all(longest.as_bytes()).map(|c| c.len()), Ok(1));
}

#[test]
fn control_bytes_are_refused() {
    assert_eq!(parse_all(b"set a\x001"), err(1, ParseErrorKind::Nul));
    assert_eq!(parse_all(b"set a 1\0"), err(1, ParseErrorKind::Nul));
    assert_eq!(parse_all(b"toggle led0\0\n"), err(1, ParseErrorKind::Nul));
    assert_eq!(parse_all(b"\0"), err(1, ParseErrorKind::Nul));
    assert_eq!(parse_all(b"toggle a\x1b"), err(1, ParseErrorKind::BadByte));
    assert_eq!(
        parse_all("toggle l\u{e9}d".as_bytes()),
        err(1, ParseErrorKind::BadByte)
    );
    assert_eq!(parse_all(b"toggle a\x7f"), err(1, ParseErrorKind::BadByte));
}

#[test]
fn error_reports_the_line_and_stops() {
    let input = b"set a 1\n\ntoggle b\nset c x\nset d 1\n";
    let mut it = parse_commands(input);
    assert_eq!(it.next(), Some(Ok(set("a", 1))));
    assert_eq!(it.next(), Some(Ok(toggle("b"))));
    assert_eq!(
        it.next(),
        Some(Err(ParseError {
            line: 4,
            kind: ParseErrorKind::BadValue(ValueError::NotDecimal)
        }))
    );
    assert_eq!(it.next(), None, "fused after an error");
    assert_eq!(
        validate_commands(input),
        Err(ParseError {
            line: 4,
            kind: ParseErrorKind::BadValue(ValueError::NotDecimal)
        })
    );
}

#[test]
fn write_size_limit() {
    let line = b"toggle a\n";
    let mut input = Vec::new();
    while input.len() + line.len() <= CHARDEV_MAX_WRITE {
        input.extend_from_slice(line);
    }
    input.resize(CHARDEV_MAX_WRITE, b'\n');
    assert!(validate_commands(&input).is_ok());
    input.push(b'\n');
    assert_eq!(
        validate_commands(&input),
        Err(ParseError {
            line: 0,
            kind: ParseErrorKind::TooLong
        })
    );
    let mut it = parse_commands(&input);
    assert!(it.next().is_some_and(|r| r.is_err()));
    assert_eq!(it.next(), None);
}

#[test]
fn display_is_the_wire_form() {
    for cmd in [set("led0", 255), toggle("relay-1"), set("a", 0)] {
        let text = cmd.to_string();
        assert_eq!(parse_all(text.as_bytes()), Ok(vec![cmd]));
    }
    assert_eq!(set("led0", 7).to_string(), "set led0 7");
    assert_eq!(toggle("led0").to_string(), "toggle led0");
    assert_eq!(set("x", 1).name(), "x");
    assert_eq!(toggle("y").name(), "y");
}

#[test]
fn errors_display() {
    let e = ParseError {
        line: 3,
        kind: ParseErrorKind::BadName(NameError::TooLong),
    };
    assert_eq!(e.to_string(), "line 3: name is longer than 31 bytes");
    let e = ParseError {
        line: 0,
        kind: ParseErrorKind::TooLong,
    };
    assert_eq!(e.to_string(), "write longer than 4096 bytes");
}

#[test]
fn sysfs_values() {
    assert_eq!(parse_sysfs_value(b"0\n"), Ok(0));
    assert_eq!(parse_sysfs_value(b"255"), Ok(255));
    assert_eq!(parse_sysfs_value(b"255\n\n"), Err(ValueError::NotDecimal));
    assert_eq!(parse_sysfs_value(b"\n"), Err(ValueError::Empty));
    assert_eq!(parse_sysfs_value(b""), Err(ValueError::Empty));
    assert_eq!(parse_sysfs_value(b" 1\n"), Err(ValueError::NotDecimal));
    assert_eq!(parse_sysfs_value(b"1 \n"), Err(ValueError::NotDecimal));
    assert_eq!(parse_value(b"0"), Ok(0));
    assert_eq!(parse_value(b"00"), Err(ValueError::NotDecimal));
}
