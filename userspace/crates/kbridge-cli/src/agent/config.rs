//! The agent's configuration file: schema, parsing and validation.
//!
//! Validation has two stages. [`AgentConfig::parse`] checks everything the file alone
//! decides (syntax, unknown keys, types, durations, patterns, alias and rule consistency);
//! [`AgentConfig::bind`] checks it against the live board's lines (names exist, kinds, value
//! ranges) and yields the [`Plan`] the agent runs. Every error carries the file, line,
//! column and key it is about.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use kbridge::{Interface, LineInfo};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::pattern::{self, Level, Pattern};

mod mqtt;
pub(crate) use self::mqtt::{FileRef, MqttConfig, MqttLine, Scheme};

/// The pattern of a `[[heartbeat]]` without one: two short flashes a second.
pub(crate) const DEFAULT_HEARTBEAT: &str = "on:100ms,off:100ms,on:100ms,off:700ms";
/// Default `agent.retry_max`.
pub(crate) const DEFAULT_RETRY_MAX: Duration = Duration::from_secs(5);
/// Bounds of `agent.retry_max`.
const RETRY_MAX_RANGE: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_secs(600));

// ---- the file as written ------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    agent: RawAgent,
    #[serde(default)]
    aliases: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    initial: BTreeMap<Spanned<String>, Spanned<RawLevel>>,
    #[serde(default)]
    patterns: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    mirror: Vec<Spanned<RawMirror>>,
    #[serde(default)]
    heartbeat: Vec<Spanned<RawHeartbeat>>,
    mqtt: Option<Spanned<mqtt::RawMqtt>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    log_level: Option<Spanned<String>>,
    via: Option<Spanned<String>>,
    events: Option<Spanned<String>>,
    retry_max: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMirror {
    from: Spanned<String>,
    to: Spanned<String>,
    #[serde(default)]
    invert: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeartbeat {
    led: Spanned<String>,
    pattern: Option<Spanned<String>>,
}

/// `on`, `off` or a non-negative integer.
#[derive(Debug)]
struct RawLevel(Level);

impl<'de> Deserialize<'de> for RawLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawLevel;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("on, off or a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawLevel, E> {
                u32::try_from(v)
                    .map(|v| RawLevel(Level::Value(v)))
                    .map_err(|_| E::custom(format!("value {v} is out of range (0..=4294967295)")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawLevel, E> {
                u32::try_from(v)
                    .map(|v| RawLevel(Level::Value(v)))
                    .map_err(|_| E::custom(format!("value {v} is out of range (0..=4294967295)")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawLevel, E> {
                match v {
                    "on" => Ok(RawLevel(Level::On)),
                    "off" => Ok(RawLevel(Level::Off)),
                    _ => Err(E::custom(format!(
                        "`{v}` is not a level (use on, off or a number)"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

// ---- errors -------------------------------------------------------------------------------

/// One problem in a configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConfigError {
    /// The file, as given.
    pub(crate) file: String,
    /// 1-based line and column (0 when the whole file is meant).
    pub(crate) line: usize,
    pub(crate) column: usize,
    /// Dotted key, e.g. `mirror[1].to` (empty when unknown).
    pub(crate) key: String,
    pub(crate) message: String,
}

impl ConfigError {
    /// An error about the file as a whole (no position), e.g. one found at run time.
    pub(crate) fn whole(file: &str, key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_owned(),
            line: 0,
            column: 0,
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The text of a configuration file and its name, to turn spans into positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) text: String,
}

impl SourceFile {
    /// 1-based line and column (in characters) of byte `offset`.
    fn position(&self, offset: usize) -> (usize, usize) {
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    fn error(
        &self,
        span: &Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = self.position(span.start);
        ConfigError {
            file: self.name.clone(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// The dotted key at byte `offset` for a parse error: the table header in force there
    /// (`mirror[1]` for the second `[[mirror]]`) and the key written at the offset, if any.
    fn key_at(&self, offset: usize) -> String {
        // Headers up to the end of the offset's line (the error may be about the header).
        let end = self
            .text
            .get(offset..)
            .and_then(|r| r.find('\n'))
            .map_or(self.text.len(), |i| offset + i);
        let before = self.text.get(..end).unwrap_or("");
        let mut table = String::new();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for line in before.lines() {
            let t = line.trim();
            if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
                let name = name.trim().to_owned();
                let n = counts.entry(name.clone()).or_insert(0);
                table = format!("{name}[{n}]");
                *n += 1;
            } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
                table = name.trim().to_owned();
            }
        }
        // An error about a value: the key written before it on the same line.
        let line_start = self
            .text
            .get(..offset)
            .and_then(|b| b.rfind('\n'))
            .map_or(0, |i| i + 1);
        let prefix = self.text.get(line_start..offset).unwrap_or("");
        if let Some((key, _)) = prefix.split_once('=') {
            let key = key.trim().trim_matches('"');
            if !key.is_empty() && !key.starts_with('[') {
                return if table.is_empty() {
                    key.to_owned()
                } else {
                    format!("{table}.{key}")
                };
            }
        }
        let rest = self.text.get(offset..).unwrap_or("");
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        // Only a key if it is followed by `=` (not a value or a header).
        let after = rest.get(word.len()..).unwrap_or("").trim_start();
        let is_key = !word.is_empty() && after.starts_with('=') && !rest.starts_with('[');
        match (table.is_empty(), is_key) {
            (_, false) => table,
            (true, true) => word,
            (false, true) => format!("{table}.{word}"),
        }
    }
}

// ---- the validated configuration ----------------------------------------------------------

/// Log levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text {
            "error" => Ok(LogLevel::Error),
            "warn" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            other => Err(format!(
                "unknown level `{other}` (use error, warn, info or debug)"
            )),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// A line named in the file (directly or through an alias).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Named {
    /// Where: `mirror[0].from`, `initial.light`, ...
    pub(crate) key: String,
    /// As written (maybe an alias).
    pub(crate) written: String,
    /// The line name after alias resolution.
    pub(crate) line: String,
    pub(crate) span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mirror {
    pub(crate) from: Named,
    pub(crate) to: Named,
    pub(crate) invert: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Heartbeat {
    pub(crate) led: Named,
    pub(crate) pattern: Pattern,
    pub(crate) pattern_key: String,
    pub(crate) pattern_span: Range<usize>,
}

/// A configuration that passed the file-only checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AgentConfig {
    pub(crate) source: SourceFile,
    pub(crate) log_level: LogLevel,
    /// Interface for writes (and reads where it can): `agent.via`, default ioctl.
    pub(crate) via: Interface,
    /// Interface the events come from: `agent.events`, default chardev.
    pub(crate) events: Interface,
    pub(crate) retry_max: Duration,
    /// alias → (target as written, span of the alias key, span of the target).
    pub(crate) aliases: BTreeMap<String, (String, Range<usize>, Range<usize>)>,
    pub(crate) initial: Vec<(Named, Level, Range<usize>)>,
    pub(crate) mirrors: Vec<Mirror>,
    pub(crate) heartbeats: Vec<Heartbeat>,
    /// `[mqtt]`: None when the bridge is off.
    pub(crate) mqtt: Option<MqttConfig>,
}

/// What the agent does on a particular board: the configuration bound to its lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Applied at start and when the board returns, in one atomic set.
    pub(crate) initial: Vec<(String, u32)>,
    pub(crate) mirrors: Vec<MirrorPlan>,
    pub(crate) heartbeats: Vec<HeartbeatPlan>,
    /// The lines the MQTT bridge publishes (empty when `[mqtt]` is off).
    pub(crate) mqtt: Vec<MqttLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MirrorPlan {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) invert: bool,
    /// The target's value for "active" (its maximum: 1, or full LED brightness).
    pub(crate) on: u32,
}

impl MirrorPlan {
    /// The target's value for a source value.
    pub(crate) fn target_value(&self, source: u32) -> u32 {
        if (source != 0) != self.invert {
            self.on
        } else {
            0
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeartbeatPlan {
    pub(crate) line: String,
    pub(crate) steps: Vec<(u32, Duration)>,
}

fn interface(text: &str, need_write: bool) -> Result<Interface, String> {
    let via: Interface = text
        .parse()
        .map_err(|e: kbridge::UnknownInterface| e.to_string())?;
    let caps = via.capabilities();
    if need_write && !caps.write {
        return Err(format!(
            "{via} cannot set lines (use ioctl, chardev or sysfs)"
        ));
    }
    if !need_write && !caps.events {
        return Err(format!("{via} does not deliver events (use chardev)"));
    }
    Ok(via)
}

impl AgentConfig {
    /// Parses and checks a configuration file's text; `name` is used in messages.
    pub(crate) fn parse(name: &str, text: &str) -> Result<Self, Vec<ConfigError>> {
        let source = SourceFile {
            name: name.to_owned(),
            text: text.to_owned(),
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = source.key_at(span.start);
            vec![source.error(&span, key, e.message().to_owned())]
        })?;
        let mut errors = Vec::new();
        let mut err = |span: &Range<usize>, key: String, msg: String| {
            errors.push(source.error(span, key, msg));
        };

        // [agent]
        let mut log_level = LogLevel::Info;
        if let Some(l) = &raw.agent.log_level {
            match LogLevel::parse(l.get_ref()) {
                Ok(l) => log_level = l,
                Err(e) => err(&l.span(), "agent.log_level".into(), e),
            }
        }
        let mut via = Interface::Ioctl;
        if let Some(v) = &raw.agent.via {
            match interface(v.get_ref(), true) {
                Ok(i) => via = i,
                Err(e) => err(&v.span(), "agent.via".into(), e),
            }
        }
        let mut events = Interface::Chardev;
        if let Some(v) = &raw.agent.events {
            match interface(v.get_ref(), false) {
                Ok(i) => events = i,
                Err(e) => err(&v.span(), "agent.events".into(), e),
            }
        }
        let mut retry_max = DEFAULT_RETRY_MAX;
        if let Some(r) = &raw.agent.retry_max {
            match pattern::parse_duration(r.get_ref()) {
                Ok(d) if d < RETRY_MAX_RANGE.0 || d > RETRY_MAX_RANGE.1 => err(
                    &r.span(),
                    "agent.retry_max".into(),
                    format!(
                        "{} is out of range ({}..={})",
                        pattern::format_duration(d),
                        pattern::format_duration(RETRY_MAX_RANGE.0),
                        pattern::format_duration(RETRY_MAX_RANGE.1)
                    ),
                ),
                Ok(d) => retry_max = d,
                Err(e) => err(&r.span(), "agent.retry_max".into(), e),
            }
        }

        // [aliases]: alias -> line name (never another alias).
        let mut aliases = BTreeMap::new();
        for (alias, target) in &raw.aliases {
            let key = format!("aliases.{}", alias.get_ref());
            if let Err(reason) = kbridge_abi::validate_name(alias.get_ref().as_bytes()) {
                err(
                    &alias.span(),
                    key.clone(),
                    format!("`{}` is not a valid name: {reason}", alias.get_ref()),
                );
            }
            if raw.aliases.keys().any(|a| a.get_ref() == target.get_ref()) {
                err(
                    &target.span(),
                    key,
                    format!(
                        "`{}` is itself an alias; an alias must name a line",
                        target.get_ref()
                    ),
                );
                continue;
            }
            aliases.insert(
                alias.get_ref().clone(),
                (target.get_ref().clone(), alias.span(), target.span()),
            );
        }
        let named = |key: String, written: &Spanned<String>| Named {
            key,
            written: written.get_ref().clone(),
            line: aliases
                .get(written.get_ref())
                .map_or_else(|| written.get_ref().clone(), |(t, _, _)| t.clone()),
            span: written.span(),
        };

        // [mqtt]
        let resolve = |name: &str| {
            aliases
                .get(name)
                .map_or_else(|| name.to_owned(), |(t, _, _)| t.clone())
        };
        let mqtt = mqtt::parse(raw.mqtt.as_ref(), &source, &resolve, &mut err);

        // [patterns]
        let mut patterns = BTreeMap::new();
        for (name, text) in &raw.patterns {
            match Pattern::parse(text.get_ref()) {
                Ok(p) => {
                    patterns.insert(name.get_ref().clone(), p);
                }
                Err(e) => err(&text.span(), format!("patterns.{}", name.get_ref()), e),
            }
        }

        // [initial]: each line once, after alias resolution.
        let mut initial: Vec<(Named, Level, Range<usize>)> = Vec::new();
        for (name, level) in &raw.initial {
            let n = named(format!("initial.{}", name.get_ref()), name);
            if let Some((first, _, _)) = initial.iter().find(|(o, _, _)| o.line == n.line) {
                err(
                    &n.span,
                    n.key.clone(),
                    format!("line `{}` is already set by {}", n.line, first.key),
                );
                continue;
            }
            initial.push((n, level.get_ref().0, level.span()));
        }

        // [[mirror]]
        let mut mirrors: Vec<Mirror> = Vec::new();
        for (i, m) in raw.mirror.iter().enumerate() {
            let m = m.get_ref();
            let from = named(format!("mirror[{i}].from"), &m.from);
            let to = named(format!("mirror[{i}].to"), &m.to);
            if from.line == to.line {
                err(
                    &to.span,
                    to.key.clone(),
                    format!("line `{}` cannot mirror itself", to.line),
                );
                continue;
            }
            mirrors.push(Mirror {
                from,
                to,
                invert: m.invert,
            });
        }

        // [[heartbeat]]
        let mut heartbeats = Vec::new();
        for (i, h) in raw.heartbeat.iter().enumerate() {
            let h = h.get_ref();
            let led = named(format!("heartbeat[{i}].led"), &h.led);
            let pattern_key = format!("heartbeat[{i}].pattern");
            let (text, span) = match &h.pattern {
                Some(p) => (p.get_ref().as_str(), p.span()),
                None => (DEFAULT_HEARTBEAT, h.led.span()),
            };
            let pattern = if text.contains(':') {
                Pattern::parse(text)
            } else if let Some(p) = patterns.get(text) {
                Ok(p.clone())
            } else if raw.patterns.keys().any(|k| k.get_ref() == text) {
                continue; // Already reported under [patterns].
            } else {
                let known: Vec<&str> = raw.patterns.keys().map(|k| k.get_ref().as_str()).collect();
                Err(format!(
                    "no pattern named `{text}` in [patterns] ({}); an inline pattern looks like `on:100ms,off:900ms`",
                    if known.is_empty() { "there are none".to_owned() } else { format!("known: {}", known.join(", ")) }
                ))
            };
            match pattern {
                Ok(pattern) => heartbeats.push(Heartbeat {
                    led,
                    pattern,
                    pattern_key,
                    pattern_span: span,
                }),
                Err(e) => err(&span, pattern_key, e),
            }
        }

        // One driver per line, and no chains (a mirror's target feeding another rule would
        // make the result depend on event order, and inverted pairs would oscillate).
        let mut drivers: Vec<&Named> = Vec::new();
        for target in mirrors
            .iter()
            .map(|m| &m.to)
            .chain(heartbeats.iter().map(|h| &h.led))
        {
            if let Some(first) = drivers.iter().find(|d| d.line == target.line) {
                err(
                    &target.span,
                    target.key.clone(),
                    format!(
                        "line `{}` is already driven by {}",
                        target.line,
                        rule_of(&first.key)
                    ),
                );
            } else {
                drivers.push(target);
            }
        }
        for m in &mirrors {
            if let Some(d) = drivers.iter().find(|d| d.line == m.from.line) {
                err(
                    &m.from.span,
                    m.from.key.clone(),
                    format!(
                        "line `{}` is driven by {}; a mirror source can't be another rule's target",
                        m.from.line,
                        rule_of(&d.key)
                    ),
                );
            }
        }

        if errors.is_empty() {
            Ok(AgentConfig {
                source,
                log_level,
                via,
                events,
                retry_max,
                aliases,
                initial,
                mirrors,
                heartbeats,
                mqtt,
            })
        } else {
            Err(errors)
        }
    }

    /// Checks the configuration against the board's lines and makes the plan to run.
    pub(crate) fn bind(&self, lines: &[LineInfo]) -> Result<Plan, Vec<ConfigError>> {
        let s = &self.source;
        let mut errors = Vec::new();
        let find = |n: &Named, errors: &mut Vec<ConfigError>| -> Option<LineInfo> {
            match kbridge::find(lines, &n.line) {
                Ok(l) => Some(l.clone()),
                Err(e) => {
                    let via = if n.written == n.line {
                        String::new()
                    } else {
                        format!(" (alias `{}`)", n.written)
                    };
                    // An alias's own problem is reported once, at the alias.
                    if via.is_empty() {
                        errors.push(s.error(&n.span, n.key.clone(), e.to_string()));
                    }
                    None
                }
            }
        };
        for (alias, (target, alias_span, target_span)) in &self.aliases {
            let key = format!("aliases.{alias}");
            if lines.iter().any(|l| l.name == *alias) {
                errors.push(s.error(
                    alias_span,
                    key.clone(),
                    format!(
                        "alias `{alias}` is also the name of a line; aliases must be new names"
                    ),
                ));
            }
            if let Err(e) = kbridge::find(lines, target) {
                errors.push(s.error(target_span, key, e.to_string()));
            }
        }
        let mut plan = Plan::default();
        for (n, level, span) in &self.initial {
            let Some(line) = find(n, &mut errors) else {
                continue;
            };
            if !line.kind.is_writable() {
                errors.push(s.error(
                    &n.span,
                    n.key.clone(),
                    format!(
                        "line `{}` is {} {} line and cannot be set",
                        line.name,
                        article(&line),
                        line.kind
                    ),
                ));
                continue;
            }
            match level.resolve(line.max_value) {
                Ok(v) => plan.initial.push((line.name.clone(), v)),
                Err(e) => {
                    errors.push(s.error(span, n.key.clone(), format!("line `{}`: {e}", line.name)))
                }
            }
        }
        for m in &self.mirrors {
            let from = find(&m.from, &mut errors);
            let to = find(&m.to, &mut errors);
            if let Some(to) = &to {
                if !to.kind.is_writable() {
                    errors.push(s.error(
                        &m.to.span,
                        m.to.key.clone(),
                        format!(
                            "line `{}` is {} {} line and cannot be a mirror target",
                            to.name,
                            article(to),
                            to.kind
                        ),
                    ));
                    continue;
                }
            }
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            plan.mirrors.push(MirrorPlan {
                from: from.name,
                to: to.name,
                invert: m.invert,
                on: to.max_value,
            });
        }
        for h in &self.heartbeats {
            let Some(line) = find(&h.led, &mut errors) else {
                continue;
            };
            if !line.kind.is_writable() {
                errors.push(s.error(
                    &h.led.span,
                    h.led.key.clone(),
                    format!(
                        "line `{}` is {} {} line and cannot blink",
                        line.name,
                        article(&line),
                        line.kind
                    ),
                ));
                continue;
            }
            match h.pattern.resolve(line.max_value) {
                Ok(steps) => plan.heartbeats.push(HeartbeatPlan {
                    line: line.name,
                    steps,
                }),
                Err(e) => errors.push(s.error(
                    &h.pattern_span,
                    h.pattern_key.clone(),
                    format!("on line `{}`: {e}", line.name),
                )),
            }
        }
        if let Some(m) = &self.mqtt {
            match m.bind(lines) {
                Ok(l) => plan.mqtt = l,
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(plan)
        } else {
            Err(errors)
        }
    }
}

fn article(line: &LineInfo) -> &'static str {
    match line.kind {
        kbridge::LineKind::Led => "a",
        _ => "an",
    }
}

/// `mirror[0].to` → `mirror[0]`.
fn rule_of(key: &str) -> &str {
    key.rsplit_once('.').map_or(key, |(rule, _)| rule)
}

#[cfg(test)]
mod tests;
