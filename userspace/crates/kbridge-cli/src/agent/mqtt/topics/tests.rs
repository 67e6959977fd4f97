use super::*;

fn lines() -> Vec<MqttLine> {
    let l = |name: &str, kind, max_value, writable| MqttLine {
        name: name.into(),
        kind,
        max_value,
        writable,
    };
    vec![
        l("relay", LineKind::Output, 1, true),
        l("buzzer", LineKind::Output, 1, false),
        l("button", LineKind::Input, 1, false),
        l("pwm", LineKind::Led, 255, true),
        l("status", LineKind::Led, 1, true),
    ]
}

fn topics() -> Topics {
    Topics::new("kbridge", "qemu", Some("homeassistant"))
}

fn run(target: &Target, payload: &str) -> Result<Vec<(String, u32)>, Refusal> {
    command(target, payload.as_bytes(), &lines(), &|name| {
        u32::from(name == "relay")
    })
}

fn line(name: &str) -> Target {
    Target::Line(name.into())
}

#[test]
fn command_topics_are_recognised() {
    let t = topics();
    assert_eq!(t.target("kbridge/qemu/relay/set"), Some(line("relay")));
    assert_eq!(t.target("kbridge/qemu/set"), Some(Target::Board));
    assert_eq!(t.target("kbridge/qemu/relay"), None);
    assert_eq!(t.target("kbridge/qemu//set"), None);
    assert_eq!(t.target("kbridge/qemu/a/b/set"), None);
    assert_eq!(t.target("kbridge/other/relay/set"), None);
    assert_eq!(t.target("kbridge/qemux/set"), None);
}

#[test]
fn line_commands_accept_the_conventions() {
    let ok = |t: &Target, p: &str, name: &str, v: u32| {
        assert_eq!(run(t, p), Ok(vec![(name.to_owned(), v)]), "payload {p}");
    };
    ok(&line("relay"), "OFF", "relay", 0);
    ok(&line("relay"), "on", "relay", 1);
    ok(&line("relay"), "TOGGLE", "relay", 0);
    ok(&line("status"), "toggle", "status", 1);
    ok(&line("relay"), "1", "relay", 1);
    ok(&line("pwm"), "ON", "pwm", 255);
    ok(&line("pwm"), " 128\n", "pwm", 128);
    ok(
        &line("pwm"),
        r#"{"state": "ON", "brightness": 64}"#,
        "pwm",
        64,
    );
    ok(
        &line("pwm"),
        r#"{"state": "OFF", "brightness": 64}"#,
        "pwm",
        0,
    );
    ok(&line("pwm"), r#"{"state": "ON"}"#, "pwm", 255);
    ok(&line("pwm"), r#"{"value": 7}"#, "pwm", 7);
    ok(&line("relay"), "true", "relay", 1);
}

#[test]
fn bad_line_commands_are_refused_with_a_code() {
    let code = |t: &Target, p: &str| run(t, p).map_err(|r| r.code);
    assert_eq!(code(&line("buzzer"), "ON"), Err("read_only"));
    assert_eq!(code(&line("button"), "ON"), Err("read_only"));
    assert_eq!(code(&line("nope"), "ON"), Err("unknown_line"));
    assert_eq!(code(&line("relay"), "2"), Err("out_of_range"));
    assert_eq!(code(&line("pwm"), "256"), Err("out_of_range"));
    assert_eq!(code(&line("relay"), "high"), Err("bad_payload"));
    assert_eq!(code(&line("relay"), "-1"), Err("bad_payload"));
    assert_eq!(code(&line("pwm"), r#"{"color": 1}"#), Err("bad_payload"));
    assert_eq!(
        command(&line("relay"), &[0xff], &lines(), &|_| 0).map_err(|r| r.code),
        Err("bad_payload")
    );
}

#[test]
fn board_sets_are_all_or_nothing() {
    assert_eq!(
        run(
            &Target::Board,
            r#"{"relay": "OFF", "pwm": 10, "status": "ON"}"#
        ),
        Ok(vec![
            ("pwm".to_owned(), 10),
            ("relay".to_owned(), 0),
            ("status".to_owned(), 1)
        ])
    );
    let code = |p: &str| run(&Target::Board, p).map_err(|r| r.code);
    assert_eq!(code(r#"{"relay": "ON", "buzzer": "ON"}"#), Err("read_only"));
    assert_eq!(code(r#"{"relay": "ON", "pwm": 300}"#), Err("out_of_range"));
    assert_eq!(code("{}"), Err("bad_payload"));
    assert_eq!(code("ON"), Err("bad_payload"));
}

#[test]
fn state_payloads_carry_value_seq_source_and_time() {
    let v = state_payload(LineKind::Led, 128, 42, Some(Source::Ioctl), Some(7));
    assert_eq!(
        v.to_string(),
        r#"{"brightness":128,"seq":42,"source":"ioctl","state":"ON","timestamp_ns":7,"value":128}"#
    );
    let v = state_payload(LineKind::Input, 0, 1, None, None);
    assert_eq!(
        v.to_string(),
        r#"{"seq":1,"source":null,"state":"OFF","timestamp_ns":null,"value":0}"#
    );
}

#[test]
fn discovery_follows_home_assistant() {
    let t = topics();
    let ls = lines();
    let find = |name: &str| ls.iter().find(|l| l.name == name).cloned();
    let Some((topic, relay)) = find("relay").and_then(|l| t.discovery(&l)) else {
        panic!("no discovery for relay");
    };
    assert_eq!(topic, "homeassistant/switch/qemu/relay/config");
    assert_eq!(relay["command_topic"], "kbridge/qemu/relay/set");
    assert_eq!(relay["state_topic"], "kbridge/qemu/relay");
    assert_eq!(relay["availability_topic"], "kbridge/qemu/availability");
    assert_eq!(relay["unique_id"], "kbridge_qemu_relay");
    assert_eq!(relay["value_template"], "{{ value_json.state }}");
    assert_eq!(relay["device"]["identifiers"][0], "kbridge_qemu");
    let Some((topic, pwm)) = find("pwm").and_then(|l| t.discovery(&l)) else {
        panic!("no discovery for pwm");
    };
    assert_eq!(topic, "homeassistant/light/qemu/pwm/config");
    assert_eq!(pwm["schema"], "json");
    assert_eq!(pwm["brightness_scale"], 255);
    assert_eq!(pwm["supported_color_modes"], json!(["brightness"]));
    let Some((_, status)) = find("status").and_then(|l| t.discovery(&l)) else {
        panic!("no discovery for status");
    };
    assert_eq!(status["supported_color_modes"], json!(["onoff"]));
    assert!(status.get("brightness_scale").is_none());
    // Not writable over MQTT: a sensor without a command topic.
    let Some((topic, buzzer)) = find("buzzer").and_then(|l| t.discovery(&l)) else {
        panic!("no discovery for buzzer");
    };
    assert_eq!(topic, "homeassistant/binary_sensor/qemu/buzzer/config");
    assert!(buzzer.get("command_topic").is_none());
    let off = Topics::new("kbridge", "qemu", None);
    assert!(find("relay").and_then(|l| off.discovery(&l)).is_none());
}
