use super::*;
use kbridge::LineKind;

/// The emulated board's lines (conf/dts/qemu-board.dtso).
fn board() -> Vec<LineInfo> {
    vec![
        LineInfo::new("relay", LineKind::Output, 0, 1),
        LineInfo::new("buzzer", LineKind::Output, 0, 1),
        LineInfo::new("button", LineKind::Input, 0, 1),
        LineInfo::new("door", LineKind::Input, 1, 1),
        LineInfo::new("status", LineKind::Led, 0, 1),
        LineInfo::new("fault", LineKind::Led, 0, 1),
        LineInfo::new("pwm", LineKind::Led, 0, 255),
    ]
}

fn errors(text: &str) -> Vec<String> {
    match AgentConfig::parse("agent.toml", text) {
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
        Ok(cfg) => match cfg.bind(&board()) {
            Err(errs) => errs.iter().map(ToString::to_string).collect(),
            Ok(plan) => panic!("accepted:\n{text}\n{plan:?}"),
        },
    }
}

/// Every configuration of `table` fails with exactly its messages.
fn check_table<'a>(table: impl Iterator<Item = (&'a str, &'a [&'a str])>) {
    let mut bad = Vec::new();
    for (text, want) in table {
        let got = errors(text);
        if got != want {
            bad.push(format!(
                "config:\n{text}\n  got:  {got:?}\n  want: {want:?}\n"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn bad_configs_give_precise_messages() {
    let table: &[(&str, &[&str])] = &[
        // syntax and schema (toml's spans)
        ("relay = 1\n", &["agent.toml:1:1: relay: unknown field `relay`, expected one of `agent`, `aliases`, `initial`, `patterns`, `mirror`, `heartbeat`, `mqtt`"]),
        ("[agent]\nloglevel = \"debug\"\n", &["agent.toml:2:1: agent.loglevel: unknown field `loglevel`, expected one of `log_level`, `via`, `events`, `retry_max`"]),
        ("[[mirror]]\nfrom = \"button\"\nto = \"relay\"\n\n[[mirror]]\nfrm = \"door\"\nto = \"buzzer\"\n",
            &["agent.toml:6:1: mirror[1].frm: unknown field `frm`, expected one of `from`, `to`, `invert`"]),
        ("[[mirror]]\nfrom = \"button\"\n", &["agent.toml:1:1: mirror[0]: missing field `to`"]),
        ("[[mirror]]\nfrom = \"button\"\nto = \"relay\"\ninvert = 1\n", &["agent.toml:4:10: mirror[0].invert: invalid type: integer `1`, expected a boolean"]),
        ("[aliases]\nlight = \"status\"\nlight = \"fault\"\n", &["agent.toml:3:1: aliases.light: duplicate key"]),
        ("[initial]\nrelay = 1.5\n", &["agent.toml:2:9: initial.relay: invalid type: floating point `1.5`, expected on, off or a number"]),
        ("[initial]\nrelay = \"high\"\n", &["agent.toml:2:9: initial.relay: `high` is not a level (use on, off or a number)"]),
        ("[initial]\nrelay = -1\n", &["agent.toml:2:9: initial.relay: value -1 is out of range (0..=4294967295)"]),
        ("[initial\nrelay = 1\n", &["agent.toml:1:9: initial: unclosed table, expected `]`"]),
        // [agent]
        ("[agent]\nlog_level = \"verbose\"\n", &["agent.toml:2:13: agent.log_level: unknown level `verbose` (use error, warn, info or debug)"]),
        ("[agent]\nvia = \"procfs\"\n", &["agent.toml:2:7: agent.via: procfs cannot set lines (use ioctl, chardev or sysfs)"]),
        ("[agent]\nvia = \"serial\"\n", &["agent.toml:2:7: agent.via: unknown interface `serial` (expected one of: procfs, sysfs, chardev, ioctl, mmap, netlink, bpf)"]),
        ("[agent]\nevents = \"ioctl\"\n", &["agent.toml:2:10: agent.events: ioctl does not deliver events (use chardev)"]),
        ("[agent]\nretry_max = \"5\"\n", &["agent.toml:2:13: agent.retry_max: `5` has no unit (use us, ms, s or min, e.g. `5ms`)"]),
        ("[agent]\nretry_max = \"1ms\"\n", &["agent.toml:2:13: agent.retry_max: 1ms is out of range (100ms..=10min)"]),
        // durations and patterns
        ("[patterns]\nslow = \"on:500,off:500ms\"\n", &["agent.toml:2:8: patterns.slow: step `on:500`: `500` has no unit (use us, ms, s or min, e.g. `500ms`)"]),
        ("[patterns]\nfast = \"on:0ms,off:1ms\"\n", &["agent.toml:2:8: patterns.fast: step `on:0ms` is shorter than 1ms"]),
        ("[[heartbeat]]\nled = \"status\"\npattern = \"on:1x\"\n", &["agent.toml:3:11: heartbeat[0].pattern: step `on:1x`: `1x`: unknown unit `x` (use us, ms, s or min)"]),
        ("[patterns]\nslow = \"on:1s,off:1s\"\n[[heartbeat]]\nled = \"status\"\npattern = \"fast\"\n",
            &["agent.toml:5:11: heartbeat[0].pattern: no pattern named `fast` in [patterns] (known: slow); an inline pattern looks like `on:100ms,off:900ms`"]),
        ("[[heartbeat]]\nled = \"status\"\npattern = \"on:100ms,128:100ms\"\n", &["agent.toml:3:11: heartbeat[0].pattern: on line `status`: step `128:100ms`: value 128 is out of range (0..=1)"]),
        // aliases
        ("[aliases]\nrelay = \"buzzer\"\n", &["agent.toml:2:1: aliases.relay: alias `relay` is also the name of a line; aliases must be new names"]),
        ("[aliases]\nlamp = \"light\"\nlight = \"status\"\n", &["agent.toml:2:8: aliases.lamp: `light` is itself an alias; an alias must name a line"]),
        ("[aliases]\nlight = \"stauts\"\n", &["agent.toml:2:9: aliases.light: unknown line `stauts` (did you mean `status`?)"]),
        ("[aliases]\n\"Big Light\" = \"status\"\n", &["agent.toml:2:1: aliases.Big Light: `Big Light` is not a valid name: name must start with a lowercase letter"]),
        // line names and kinds (the live board)
        ("[initial]\nbuton = 1\n", &["agent.toml:2:1: initial.buton: unknown line `buton` (did you mean `button`?)"]),
        ("[initial]\nbutton = 1\n", &["agent.toml:2:1: initial.button: line `button` is an input line and cannot be set"]),
        ("[initial]\nrelay = 2\n", &["agent.toml:2:9: initial.relay: line `relay`: value 2 is out of range (0..=1)"]),
        ("[aliases]\nlight = \"status\"\n[initial]\nlight = \"on\"\nstatus = 0\n", &["agent.toml:5:1: initial.status: line `status` is already set by initial.light"]),
        ("[[mirror]]\nfrom = \"button\"\nto = \"door\"\n", &["agent.toml:3:6: mirror[0].to: line `door` is an input line and cannot be a mirror target"]),
        ("[[mirror]]\nfrom = \"buttn\"\nto = \"relay\"\n", &["agent.toml:2:8: mirror[0].from: unknown line `buttn` (did you mean `button`?)"]),
        ("[[mirror]]\nfrom = \"buton\"\nto = \"door\"\n", &["agent.toml:2:8: mirror[0].from: unknown line `buton` (did you mean `button`?)",
            "agent.toml:3:6: mirror[0].to: line `door` is an input line and cannot be a mirror target"]),
        ("[[mirror]]\nfrom = \"relay\"\nto = \"relay\"\n", &["agent.toml:3:6: mirror[0].to: line `relay` cannot mirror itself"]),
        ("[[heartbeat]]\nled = \"door\"\n", &["agent.toml:2:7: heartbeat[0].led: line `door` is an input line and cannot blink"]),
        // rule consistency
        ("[[mirror]]\nfrom = \"button\"\nto = \"status\"\n[[heartbeat]]\nled = \"status\"\n",
            &["agent.toml:5:7: heartbeat[0].led: line `status` is already driven by mirror[0]"]),
        ("[aliases]\nlight = \"status\"\n[[mirror]]\nfrom = \"button\"\nto = \"light\"\n[[mirror]]\nfrom = \"door\"\nto = \"status\"\n",
            &["agent.toml:8:6: mirror[1].to: line `status` is already driven by mirror[0]"]),
        ("[[mirror]]\nfrom = \"button\"\nto = \"relay\"\n[[mirror]]\nfrom = \"relay\"\nto = \"buzzer\"\n",
            &["agent.toml:5:8: mirror[1].from: line `relay` is driven by mirror[0]; a mirror source can't be another rule's target"]),
        // several errors at once, in file order within each stage
        ("[initial]\nrelay = 1\nbuzzer = 3\n[[mirror]]\nfrom = \"button\"\nto = \"dor\"\n",
            &["agent.toml:3:10: initial.buzzer: line `buzzer`: value 3 is out of range (0..=1)",
              "agent.toml:6:6: mirror[0].to: unknown line `dor` (did you mean `door`?)"]),
    ];
    check_table(table.iter().map(|(t, w)| (*t, *w)));
}

#[test]
fn a_full_config_binds_to_a_plan() {
    let text = r#"
[agent]
log_level = "debug"
via = "chardev"
retry_max = "2s"

[aliases]
light = "status"
btn = "button"

[initial]
relay = 1
light = "off"
pwm = 128

[patterns]
slow = "on:500ms,off:500ms"

[[mirror]]
from = "btn"
to = "fault"

[[mirror]]
from = "door"
to = "buzzer"
invert = true

[[heartbeat]]
led = "light"
pattern = "slow"

[[heartbeat]]
led = "pwm"
pattern = "255:10ms,off:20ms"
"#;
    let cfg = AgentConfig::parse("a.toml", text).unwrap();
    assert_eq!(cfg.log_level, LogLevel::Debug);
    assert_eq!(cfg.via, Interface::Chardev);
    assert_eq!(cfg.events, Interface::Chardev);
    assert_eq!(cfg.retry_max, Duration::from_secs(2));
    let plan = cfg.bind(&board()).unwrap();
    assert_eq!(
        plan.initial,
        vec![
            ("status".into(), 0),
            ("pwm".into(), 128),
            ("relay".into(), 1)
        ]
    );
    assert_eq!(plan.mirrors.len(), 2);
    let m = &plan.mirrors[1];
    assert_eq!(
        (m.from.as_str(), m.to.as_str(), m.invert),
        ("door", "buzzer", true)
    );
    assert_eq!((m.target_value(1), m.target_value(0)), (0, 1));
    assert_eq!(plan.mirrors[0].target_value(1), 1);
    assert_eq!(plan.heartbeats[0].line, "status");
    assert_eq!(
        plan.heartbeats[1].steps,
        vec![
            (255, Duration::from_millis(10)),
            (0, Duration::from_millis(20))
        ]
    );
}

#[test]
fn empty_config_and_defaults() {
    let cfg = AgentConfig::parse("a.toml", "").unwrap();
    assert_eq!(cfg.via, Interface::Ioctl);
    assert_eq!(cfg.events, Interface::Chardev);
    assert_eq!(cfg.log_level, LogLevel::Info);
    assert_eq!(cfg.retry_max, DEFAULT_RETRY_MAX);
    assert_eq!(cfg.bind(&board()).unwrap(), Plan::default());
    let cfg = AgentConfig::parse("a.toml", "[[heartbeat]]\nled = \"status\"\n").unwrap();
    assert_eq!(cfg.heartbeats[0].pattern.to_string(), DEFAULT_HEARTBEAT);
}

/// `[mqtt]` errors: the same file:line:column style as the rest.
#[test]
fn bad_mqtt_sections_give_precise_messages() {
    let b = "[mqtt]\nbroker = \"mqtt://localhost\"\n";
    let with = |extra: &str| format!("{b}{extra}");
    let table: Vec<(String, &[&str])> = vec![
        ("[mqtt]\nprefix = \"x\"\n".into(), &["agent.toml:1:1: mqtt.broker: missing: the [mqtt] section needs a broker URL (e.g. broker = \"mqtt://localhost\"), or enabled = false"]),
        ("[mqtt]\nbroker = \"tcp://h\"\n".into(), &["agent.toml:2:10: mqtt.broker: `tcp://h` is not a broker URL (use mqtt://host[:port] or mqtts://host[:port])"]),
        ("[mqtt]\nbroker = \"mqtt://h:0\"\n".into(), &["agent.toml:2:10: mqtt.broker: `mqtt://h:0`: `0` is not a port (1..=65535)"]),
        ("[mqtt]\nbroker = \"mqtt://u:p@h\"\n".into(), &["agent.toml:2:10: mqtt.broker: `mqtt://u:p@h`: only a host and a port are allowed (credentials go in username and password_file)"]),
        ("[mqtt]\nbroker = \"mqtts://h\"\n".into(), &["agent.toml:2:10: mqtt.broker: mqtts:// needs the CA that signed the broker's certificate (mqtt.ca)"]),
        (with("brokr = 1\n"), &["agent.toml:3:1: mqtt.brokr: unknown field `brokr`, expected one of `enabled`, `broker`, `client_id`, `username`, `password_file`, `ca`, `client_cert`, `client_key`, `prefix`, `qos`, `keep_alive`, `queue`, `discovery`, `discovery_prefix`, `publish`, `writable`"]),
        (with("qos = 3\n"), &["agent.toml:3:7: mqtt.qos: 3 is not a QoS (0, 1 or 2)"]),
        (with("qos = \"1\"\n"), &["agent.toml:3:7: mqtt.qos: invalid type: string \"1\", expected i64"]),
        (with("keep_alive = \"1s\"\n"), &["agent.toml:3:14: mqtt.keep_alive: 1s is out of range (5s..=65535s)"]),
        (with("queue = 1\n"), &["agent.toml:3:9: mqtt.queue: 1 is out of range (16..=65536)"]),
        (with("prefix = \"a/#\"\n"), &["agent.toml:3:10: mqtt.prefix: `a/#` contains an MQTT wildcard (+ or #) or NUL"]),
        (with("prefix = \"/a\"\n"), &["agent.toml:3:10: mqtt.prefix: `/a` has an empty topic level (no leading, trailing or double /)"]),
        (with("client_id = \"my board\"\n"), &["agent.toml:3:13: mqtt.client_id: `my board` is not a usable client id (1 to 256 printable ASCII characters, no spaces)"]),
        (with("password_file = \"/p\"\n"), &["agent.toml:3:17: mqtt.password_file: a password needs a username (mqtt.username)"]),
        (with("ca = \"/ca.pem\"\n"), &["agent.toml:3:6: mqtt.ca: TLS settings need an mqtts:// broker (the broker is mqtt://localhost)"]),
        ("[mqtt]\nbroker = \"mqtts://h\"\nca = \"/ca\"\nclient_cert = \"/c\"\n".into(), &["agent.toml:4:15: mqtt.client_cert: a client certificate needs its key (mqtt.client_key)"]),
        (with("writable = [\"relay\", \"relay\"]\n"), &["agent.toml:3:22: mqtt.writable[1]: line `relay` is already listed at mqtt.writable[0]"]),
        (with("publish = [\"button\"]\nwritable = [\"relay\"]\n"), &["agent.toml:4:13: mqtt.writable[0]: line `relay` is writable but not in mqtt.publish; a remote switch needs its state"]),
        // against the board
        (with("writable = [\"button\"]\n"), &["agent.toml:3:13: mqtt.writable[0]: line `button` is an input line and cannot be set"]),
        (with("publish = [\"rely\"]\n"), &["agent.toml:3:12: mqtt.publish[0]: unknown line `rely` (did you mean `relay`?)"]),
    ];
    check_table(table.iter().map(|(t, w)| (t.as_str(), *w)));
}

#[test]
fn mqtt_is_off_by_default_and_binds_its_lines() {
    assert_eq!(AgentConfig::parse("a.toml", "").unwrap().mqtt, None);
    let off = "[mqtt]\nenabled = false\nbroker = \"nonsense\"\n";
    assert_eq!(AgentConfig::parse("a.toml", off).unwrap().mqtt, None);
    let text =
        "[aliases]\nlight = \"status\"\n[mqtt]\nbroker = \"mqtts://[::1]\"\nca = \"/ca.pem\"\n\
                publish = [\"relay\", \"button\", \"light\"]\nwritable = [\"light\", \"relay\"]\n";
    let cfg = AgentConfig::parse("a.toml", text).unwrap();
    let m = cfg.mqtt.clone().unwrap();
    assert_eq!(
        (m.scheme, m.host.as_str(), m.port),
        (Scheme::Tls, "::1", 8883)
    );
    assert_eq!((m.prefix.as_str(), m.qos, m.queue), ("kbridge", 1, 256));
    assert_eq!(m.discovery_prefix.as_deref(), Some("homeassistant"));
    assert_eq!(m.keep_alive, Duration::from_secs(30));
    let plan = cfg.bind(&board()).unwrap();
    let got: Vec<(&str, bool)> = plan
        .mqtt
        .iter()
        .map(|l| (l.name.as_str(), l.writable))
        .collect();
    assert_eq!(got, [("relay", true), ("button", false), ("status", true)]);
    // Without a list every line is published, none writable.
    let cfg = AgentConfig::parse(
        "a.toml",
        "[mqtt]\nbroker = \"mqtt://b:1884\"\ndiscovery = false\n",
    )
    .unwrap();
    let m = cfg.mqtt.clone().unwrap();
    assert_eq!((m.port, m.discovery_prefix), (1884, None));
    let plan = cfg.bind(&board()).unwrap();
    assert_eq!(plan.mqtt.len(), board().len());
    assert!(plan.mqtt.iter().all(|l| !l.writable));
}

/// A file of the repository and its text; None on a ptest target without the sources
/// (found at run time, crate::ptest: the test returns, reported as skipped).
fn repo_file(rel: &str) -> Option<(String, String)> {
    let path = crate::ptest::source_path(&format!("../../../{rel}"))?;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some((path.display().to_string(), text))
}

/// The file the Yocto image installs as /etc/kbridge/agent.toml.
#[test]
fn shipped_agent_toml_is_valid() {
    let Some((path, text)) = repo_file("meta-kbridge/recipes-kbridge/kbridge/files/agent.toml")
    else {
        return;
    };
    let cfg = AgentConfig::parse(&path, &text).unwrap_or_else(|e| panic!("{e:?}"));
    cfg.bind(&board()).unwrap_or_else(|e| panic!("{e:?}"));
}

/// The unit's command line is the one this command accepts.
#[test]
fn shipped_unit_runs_this_command() {
    use clap::Parser;
    let Some((_, unit)) = repo_file("meta-kbridge/recipes-kbridge/kbridge/files/kbridge.service")
    else {
        return;
    };
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    assert_eq!(
        exec,
        "/usr/bin/kbridge agent --config /etc/kbridge/agent.toml"
    );
    let cli = crate::cli::Cli::try_parse_from(exec.split_whitespace()).unwrap();
    match cli.command {
        crate::cli::Command::Agent(a) => {
            assert_eq!(a.config, std::path::Path::new("/etc/kbridge/agent.toml"));
            assert!(!a.check);
        }
        other => panic!("{other:?}"),
    }
}

/// Every ```toml block of docs/agent.md is a valid configuration for the emulated board.
#[test]
fn documented_examples_are_valid() {
    doc_examples_are_valid("docs/agent.md");
}

/// The same for docs/mqtt.md.
#[test]
fn documented_mqtt_examples_are_valid() {
    doc_examples_are_valid("docs/mqtt.md");
}

fn doc_examples_are_valid(rel: &str) {
    let Some((path, doc)) = repo_file(rel) else {
        return;
    };
    let mut blocks = 0;
    let mut rest = doc.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("closed block");
        let text = &body[..end];
        let cfg = AgentConfig::parse(&path, text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        cfg.bind(&board())
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        blocks += 1;
        rest = &body[end..];
    }
    assert!(blocks >= 1, "no ```toml block in {path}");
}
