//! Topic names, payloads and commands of the MQTT bridge: pure functions, no I/O.
//!
//! The layout follows Zigbee2MQTT (`<prefix>/<board>/<line>` for retained state, `/set` for
//! commands, `availability`) and Home Assistant's MQTT discovery; docs/mqtt.md has the table.

use kbridge::{Event, LineInfo, LineKind, Source};
use serde_json::{json, Map, Value};

use super::super::config::MqttLine;

/// `online` / `offline` on the availability topic.
pub(crate) const ONLINE: &str = "online";
pub(crate) const OFFLINE: &str = "offline";

/// The topics of one board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Topics {
    /// `<prefix>/<board>`.
    base: String,
    discovery_prefix: Option<String>,
    board: String,
}

/// What a message on a command topic asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// `<prefix>/<board>/<line>/set`.
    Line(String),
    /// `<prefix>/<board>/set`: several lines at once.
    Board,
}

impl Topics {
    pub(crate) fn new(prefix: &str, board: &str, discovery_prefix: Option<&str>) -> Self {
        Topics {
            base: format!("{prefix}/{board}"),
            discovery_prefix: discovery_prefix.map(str::to_owned),
            board: board.to_owned(),
        }
    }

    pub(crate) fn state(&self, line: &str) -> String {
        format!("{}/{line}", self.base)
    }
    pub(crate) fn line_set(&self, line: &str) -> String {
        format!("{}/{line}/set", self.base)
    }
    pub(crate) fn board_set(&self) -> String {
        format!("{}/set", self.base)
    }
    /// Subscription for every line's command topic.
    pub(crate) fn line_set_filter(&self) -> String {
        format!("{}/+/set", self.base)
    }
    pub(crate) fn availability(&self) -> String {
        format!("{}/availability", self.base)
    }
    pub(crate) fn status(&self) -> String {
        format!("{}/status", self.base)
    }
    pub(crate) fn error(&self) -> String {
        format!("{}/error", self.base)
    }

    /// Which command topic `topic` is, if any.
    pub(crate) fn target(&self, topic: &str) -> Option<Target> {
        let rest = topic.strip_prefix(&self.base)?.strip_prefix('/')?;
        if rest == "set" {
            return Some(Target::Board);
        }
        let line = rest.strip_suffix("/set")?;
        (!line.is_empty() && !line.contains('/')).then(|| Target::Line(line.to_owned()))
    }

    /// Home Assistant's discovery topic and config for a line (None when discovery is off).
    pub(crate) fn discovery(&self, line: &MqttLine) -> Option<(String, Value)> {
        let prefix = self.discovery_prefix.as_ref()?;
        let component = component(line);
        let topic = format!("{prefix}/{component}/{}/{}/config", self.board, line.name);
        let mut c = Map::new();
        c.insert("name".into(), json!(line.name));
        c.insert(
            "unique_id".into(),
            json!(format!("kbridge_{}_{}", self.board, line.name)),
        );
        c.insert("state_topic".into(), json!(self.state(&line.name)));
        c.insert("availability_topic".into(), json!(self.availability()));
        c.insert("payload_available".into(), json!(ONLINE));
        c.insert("payload_not_available".into(), json!(OFFLINE));
        c.insert(
            "device".into(),
            json!({
                "identifiers": [format!("kbridge_{}", self.board)],
                "name": self.board,
                "manufacturer": "kbridge",
                "model": "kbridge board",
                "sw_version": env!("CARGO_PKG_VERSION"),
            }),
        );
        match component {
            "light" => {
                // JSON schema: the state topic's `state` and `brightness` keys are exactly
                // what the light reads, and its commands are the JSON `/set` accepts.
                // (The JSON schema's old `brightness` flag is deprecated: color modes say it.)
                c.insert("schema".into(), json!("json"));
                if line.max_value > 1 {
                    c.insert("supported_color_modes".into(), json!(["brightness"]));
                    c.insert("brightness_scale".into(), json!(line.max_value));
                } else {
                    c.insert("supported_color_modes".into(), json!(["onoff"]));
                }
            }
            _ => {
                c.insert("value_template".into(), json!("{{ value_json.state }}"));
                c.insert("payload_on".into(), json!("ON"));
                c.insert("payload_off".into(), json!("OFF"));
            }
        }
        if component == "switch" {
            c.insert("state_on".into(), json!("ON"));
            c.insert("state_off".into(), json!("OFF"));
        }
        if line.writable {
            c.insert("command_topic".into(), json!(self.line_set(&line.name)));
        }
        Some((topic, Value::Object(c)))
    }
}

/// Home Assistant component: light for LEDs, switch for outputs, binary_sensor otherwise
/// (inputs, and lines that are not remotely writable).
pub(crate) fn component(line: &MqttLine) -> &'static str {
    match line.kind {
        LineKind::Led if line.writable => "light",
        LineKind::Output if line.writable => "switch",
        _ => "binary_sensor",
    }
}

/// The retained state of a line: `{"value", "state", ["brightness"], "seq", "source",
/// "timestamp_ns"}`.
pub(crate) fn state_payload(
    kind: LineKind,
    value: u32,
    seq: u64,
    source: Option<Source>,
    timestamp_ns: Option<u64>,
) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), json!(value));
    m.insert("state".into(), json!(if value != 0 { "ON" } else { "OFF" }));
    if kind == LineKind::Led {
        m.insert("brightness".into(), json!(value));
    }
    m.insert("seq".into(), json!(seq));
    m.insert(
        "source".into(),
        source.map_or(Value::Null, |s| json!(s.to_string())),
    );
    m.insert(
        "timestamp_ns".into(),
        timestamp_ns.map_or(Value::Null, |t| json!(t)),
    );
    Value::Object(m)
}

/// The state payload of an event.
pub(crate) fn event_payload(ev: &Event) -> Value {
    state_payload(
        ev.kind,
        ev.new_value,
        ev.seq,
        Some(ev.source),
        Some(ev.timestamp_ns),
    )
}

/// The state payload of a line read in a full re-publish (`seq`: the board's at the read).
pub(crate) fn line_payload(line: &LineInfo, seq: u64) -> Value {
    state_payload(
        line.kind,
        line.value,
        seq,
        line.last_source,
        line.last_change_ns,
    )
}

/// Why a command was refused; `code` is the stable name on the error topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// One requested value: a number, or `ON`/`OFF`/`TOGGLE` (case-insensitive).
fn value_of(v: &Value, line: &MqttLine, current: u32) -> Result<u32, Refusal> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::Bool(b) => Some(if *b { line.max_value.into() } else { 0 }),
        Value::String(s) => match s.trim().to_ascii_uppercase().as_str() {
            "ON" => Some(line.max_value.into()),
            "OFF" => Some(0),
            "TOGGLE" => Some(if current != 0 {
                0
            } else {
                line.max_value.into()
            }),
            t => t.parse::<u64>().ok(),
        },
        _ => None,
    };
    let n = n.ok_or_else(|| {
        refuse(
            "bad_payload",
            format!(
                "line `{}`: {v} is not a value (use ON, OFF, TOGGLE or a number)",
                line.name
            ),
        )
    })?;
    match u32::try_from(n) {
        Ok(n) if n <= line.max_value => Ok(n),
        _ => Err(refuse(
            "out_of_range",
            format!(
                "line `{}`: {n} is out of range (0..={})",
                line.name, line.max_value
            ),
        )),
    }
}

/// The published line `name`, if it may be set remotely.
fn writable<'a>(lines: &'a [MqttLine], name: &str) -> Result<&'a MqttLine, Refusal> {
    match lines.iter().find(|l| l.name == name) {
        None => Err(refuse(
            "unknown_line",
            format!("no published line `{name}`"),
        )),
        Some(l) if !l.writable => Err(refuse(
            "read_only",
            format!("line `{name}` is not writable over MQTT (mqtt.writable)"),
        )),
        Some(l) => Ok(l),
    }
}

/// The values a command asks for, all checked; nothing is set unless all are valid.
///
/// A line's `/set` takes `ON`, `OFF`, `TOGGLE`, a number, or Home Assistant's JSON light
/// command `{"state": "ON", "brightness": 128}` (`{"value": n}` too). The board's `/set`
/// takes one JSON object of line → value, applied as one atomic set.
pub(crate) fn command(
    target: &Target,
    payload: &[u8],
    lines: &[MqttLine],
    current: &dyn Fn(&str) -> u32,
) -> Result<Vec<(String, u32)>, Refusal> {
    let text = std::str::from_utf8(payload)
        .map_err(|_| refuse("bad_payload", "payload is not UTF-8"))?
        .trim();
    match target {
        Target::Line(name) => {
            let line = writable(lines, name)?;
            let value = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(o)) => {
                    let v = o
                        .get("brightness")
                        .filter(|_| o.get("state").and_then(Value::as_str) != Some("OFF"))
                        .or_else(|| o.get("value"))
                        .or_else(|| o.get("state"))
                        .ok_or_else(|| {
                            refuse(
                                "bad_payload",
                                "a JSON command needs state, brightness or value",
                            )
                        })?;
                    value_of(v, line, current(name))?
                }
                Ok(v @ (Value::Number(_) | Value::Bool(_))) => value_of(&v, line, current(name))?,
                _ => value_of(&Value::String(text.to_owned()), line, current(name))?,
            };
            Ok(vec![(line.name.clone(), value)])
        }
        Target::Board => {
            let Ok(Value::Object(o)) = serde_json::from_str::<Value>(text) else {
                return Err(refuse(
                    "bad_payload",
                    "the board's set takes a JSON object of line names and values, e.g. {\"relay\": \"ON\", \"pwm\": 128}",
                ));
            };
            if o.is_empty() {
                return Err(refuse("bad_payload", "no lines given"));
            }
            o.iter()
                .map(|(name, v)| {
                    let line = writable(lines, name)?;
                    Ok((line.name.clone(), value_of(v, line, current(name))?))
                })
                .collect()
        }
    }
}

/// The error topic's message for a refused or failed command.
pub(crate) fn error_payload(topic: &str, payload: &[u8], code: &str, message: &str) -> Value {
    json!({
        "topic": topic,
        "payload": String::from_utf8_lossy(payload),
        "error": code,
        "message": message,
    })
}

#[cfg(test)]
mod tests;
