//! The `[mqtt]` section: the broker bridge (docs/mqtt.md). Off unless the section is there
//! (and `enabled` is not false).
//!
//! As for the rest of the file, [`parse`] checks what the text alone decides and
//! [`MqttConfig::bind`] checks the line lists against the board. The files the section names
//! (password, CA, client certificate and key) are read by the bridge when it starts, with
//! errors at the key that names them ([`MqttConfig::file_error`]).

use std::ops::Range;
use std::time::Duration;

use kbridge::{LineInfo, LineKind};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, SourceFile};
use crate::pattern;

/// Default `mqtt.prefix`.
pub(crate) const DEFAULT_PREFIX: &str = "kbridge";
/// Default `mqtt.discovery_prefix` (Home Assistant's).
pub(crate) const DEFAULT_DISCOVERY_PREFIX: &str = "homeassistant";
/// Default `mqtt.keep_alive`.
const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(30);
/// Bounds of `mqtt.keep_alive` (MQTT's field is 16-bit seconds).
const KEEP_ALIVE_RANGE: (Duration, Duration) = (Duration::from_secs(5), Duration::from_secs(65535));
/// Default and bounds of `mqtt.queue`: messages waiting for the connection.
const DEFAULT_QUEUE: usize = 256;
const QUEUE_RANGE: (i64, i64) = (16, 65536);

/// The section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMqtt {
    enabled: Option<bool>,
    broker: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    ca: Option<Spanned<String>>,
    client_cert: Option<Spanned<String>>,
    client_key: Option<Spanned<String>>,
    prefix: Option<Spanned<String>>,
    qos: Option<Spanned<i64>>,
    keep_alive: Option<Spanned<String>>,
    queue: Option<Spanned<i64>>,
    discovery: Option<bool>,
    discovery_prefix: Option<Spanned<String>>,
    publish: Option<Spanned<Vec<Spanned<String>>>>,
    writable: Option<Vec<Spanned<String>>>,
}

/// `mqtt://` or `mqtts://`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Plain,
    Tls,
}

/// A file named in the section, with where it was named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileRef {
    pub(crate) path: String,
    pub(crate) key: &'static str,
    pub(crate) span: Range<usize>,
}

/// A line list entry: as written (maybe an alias) and the line it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListedLine {
    pub(crate) key: String,
    pub(crate) line: String,
    pub(crate) span: Range<usize>,
}

/// The validated `[mqtt]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MqttConfig {
    pub(crate) scheme: Scheme,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// None: the board's name.
    pub(crate) client_id: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) password_file: Option<FileRef>,
    pub(crate) ca: Option<FileRef>,
    /// Client certificate and key (both or neither).
    pub(crate) client_auth: Option<(FileRef, FileRef)>,
    pub(crate) prefix: String,
    pub(crate) qos: u8,
    pub(crate) keep_alive: Duration,
    pub(crate) queue: usize,
    /// None: discovery off.
    pub(crate) discovery_prefix: Option<String>,
    /// None: every line.
    pub(crate) publish: Option<Vec<ListedLine>>,
    pub(crate) writable: Vec<ListedLine>,
    /// The configuration file, for errors found later (files, lines).
    pub(crate) source: SourceFile,
}

/// One published line, as the bridge needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MqttLine {
    pub(crate) name: String,
    pub(crate) kind: LineKind,
    pub(crate) max_value: u32,
    pub(crate) writable: bool,
}

/// `host[:port]` of a broker URL; the port defaults by scheme.
fn parse_broker(url: &str) -> Result<(Scheme, String, u16), String> {
    let (scheme, rest) = if let Some(r) = url.strip_prefix("mqtt://") {
        (Scheme::Plain, r)
    } else if let Some(r) = url.strip_prefix("mqtts://") {
        (Scheme::Tls, r)
    } else {
        return Err(format!(
            "`{url}` is not a broker URL (use mqtt://host[:port] or mqtts://host[:port])"
        ));
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "`{url}`: only a host and a port are allowed (credentials go in username and password_file)"
        ));
    }
    let default_port = match scheme {
        Scheme::Plain => 1883,
        Scheme::Tls => 8883,
    };
    // `[v6addr]:port`, `host:port` or `host`.
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        let (h, after) = r
            .split_once(']')
            .ok_or_else(|| format!("`{url}`: unclosed `[` in the host"))?;
        (h, after.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(format!("`{url}`: `{p}` is not a port (1..=65535)")),
        },
    };
    Ok((scheme, host.to_owned(), port))
}

/// A topic prefix: levels without wildcards, no empty level.
fn check_prefix(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("empty prefix".to_owned());
    }
    if text.contains(['+', '#', '\0']) {
        return Err(format!(
            "`{text}` contains an MQTT wildcard (+ or #) or NUL"
        ));
    }
    if text.split('/').any(str::is_empty) {
        return Err(format!(
            "`{text}` has an empty topic level (no leading, trailing or double /)"
        ));
    }
    Ok(())
}

/// Parses `[mqtt]`; `resolve` turns an alias into its line. None when the bridge is off.
pub(super) fn parse(
    section: Option<&Spanned<RawMqtt>>,
    source: &SourceFile,
    resolve: &dyn Fn(&str) -> String,
    err: &mut dyn FnMut(&Range<usize>, String, String),
) -> Option<MqttConfig> {
    let section_span = section.map_or(0..0, Spanned::span);
    let raw = section.map(Spanned::get_ref)?;
    if raw.enabled == Some(false) {
        return None;
    }
    let mut ok = true;
    let mut fail = |span: &Range<usize>, key: &str, msg: String| {
        ok = false;
        err(span, format!("mqtt.{key}"), msg);
    };
    let (scheme, host, port) = match &raw.broker {
        None => {
            fail(&section_span, "broker", "missing: the [mqtt] section needs a broker URL (e.g. broker = \"mqtt://localhost\"), or enabled = false".to_owned());
            (Scheme::Plain, String::new(), 0)
        }
        Some(b) => parse_broker(b.get_ref()).unwrap_or_else(|e| {
            fail(&b.span(), "broker", e);
            (Scheme::Plain, String::new(), 0)
        }),
    };
    let file = |f: &Option<Spanned<String>>, key: &'static str| {
        f.as_ref().map(|f| FileRef {
            path: f.get_ref().clone(),
            key,
            span: f.span(),
        })
    };
    let password_file = file(&raw.password_file, "password_file");
    let ca = file(&raw.ca, "ca");
    let client_cert = file(&raw.client_cert, "client_cert");
    let client_key = file(&raw.client_key, "client_key");
    if let (Some(p), None) = (&password_file, &raw.username) {
        fail(
            &p.span,
            "password_file",
            "a password needs a username (mqtt.username)".to_owned(),
        );
    }
    let client_auth = match (client_cert, client_key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        (Some(c), None) => {
            fail(
                &c.span,
                "client_cert",
                "a client certificate needs its key (mqtt.client_key)".to_owned(),
            );
            None
        }
        (None, Some(k)) => {
            fail(
                &k.span,
                "client_key",
                "a client key needs its certificate (mqtt.client_cert)".to_owned(),
            );
            None
        }
    };
    if scheme == Scheme::Plain {
        for f in [&ca, &client_auth.as_ref().map(|(c, _)| c.clone())]
            .into_iter()
            .flatten()
        {
            fail(
                &f.span,
                f.key,
                format!("TLS settings need an mqtts:// broker (the broker is mqtt://{host})"),
            );
        }
    } else if ca.is_none() && raw.broker.is_some() {
        let span = raw.broker.as_ref().map_or(0..0, Spanned::span);
        fail(
            &span,
            "broker",
            "mqtts:// needs the CA that signed the broker's certificate (mqtt.ca)".to_owned(),
        );
    }
    let client_id = raw.client_id.as_ref().and_then(|c| {
        let id = c.get_ref();
        if id.is_empty() || id.len() > 256 || !id.chars().all(|c| c.is_ascii_graphic()) {
            fail(&c.span(), "client_id", format!("`{id}` is not a usable client id (1 to 256 printable ASCII characters, no spaces)"));
            None
        } else {
            Some(id.clone())
        }
    });
    let prefix = match &raw.prefix {
        None => DEFAULT_PREFIX.to_owned(),
        Some(p) => {
            if let Err(e) = check_prefix(p.get_ref()) {
                fail(&p.span(), "prefix", e);
            }
            p.get_ref().clone()
        }
    };
    let discovery_prefix = match (raw.discovery, &raw.discovery_prefix) {
        (Some(false), _) => None,
        (_, None) => Some(DEFAULT_DISCOVERY_PREFIX.to_owned()),
        (_, Some(p)) => {
            if let Err(e) = check_prefix(p.get_ref()) {
                fail(&p.span(), "discovery_prefix", e);
            }
            Some(p.get_ref().clone())
        }
    };
    let qos = match &raw.qos {
        None => 1,
        Some(q) => match u8::try_from(*q.get_ref()) {
            Ok(q @ 0..=2) => q,
            _ => {
                fail(
                    &q.span(),
                    "qos",
                    format!("{} is not a QoS (0, 1 or 2)", q.get_ref()),
                );
                1
            }
        },
    };
    let mut keep_alive = DEFAULT_KEEP_ALIVE;
    if let Some(k) = &raw.keep_alive {
        match pattern::parse_duration(k.get_ref()) {
            Ok(d) if d < KEEP_ALIVE_RANGE.0 || d > KEEP_ALIVE_RANGE.1 => fail(
                &k.span(),
                "keep_alive",
                format!(
                    "{} is out of range ({}..={})",
                    pattern::format_duration(d),
                    pattern::format_duration(KEEP_ALIVE_RANGE.0),
                    pattern::format_duration(KEEP_ALIVE_RANGE.1)
                ),
            ),
            Ok(d) => keep_alive = d,
            Err(e) => fail(&k.span(), "keep_alive", e),
        }
    }
    let queue = match &raw.queue {
        None => DEFAULT_QUEUE,
        Some(q) => {
            let n = *q.get_ref();
            if !(QUEUE_RANGE.0..=QUEUE_RANGE.1).contains(&n) {
                fail(
                    &q.span(),
                    "queue",
                    format!(
                        "{n} is out of range ({}..={})",
                        QUEUE_RANGE.0, QUEUE_RANGE.1
                    ),
                );
            }
            usize::try_from(n).unwrap_or(DEFAULT_QUEUE)
        }
    };
    let mut list = |items: &[Spanned<String>], key: &str| -> Vec<ListedLine> {
        let mut out: Vec<ListedLine> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let line = resolve(item.get_ref());
            let k = format!("{key}[{i}]");
            if let Some(first) = out.iter().find(|o| o.line == line) {
                fail(
                    &item.span(),
                    &k,
                    format!("line `{line}` is already listed at mqtt.{}", first.key),
                );
                continue;
            }
            out.push(ListedLine {
                key: k,
                line,
                span: item.span(),
            });
        }
        out
    };
    let publish = raw.publish.as_ref().map(|p| list(p.get_ref(), "publish"));
    let writable = raw
        .writable
        .as_deref()
        .map_or_else(Vec::new, |w| list(w, "writable"));
    if let Some(p) = &publish {
        for w in &writable {
            if !p.iter().any(|p| p.line == w.line) {
                fail(&w.span, &w.key, format!("line `{}` is writable but not in mqtt.publish; a remote switch needs its state", w.line));
            }
        }
    }
    ok.then(|| MqttConfig {
        scheme,
        host,
        port,
        client_id,
        username: raw.username.as_ref().map(|u| u.get_ref().clone()),
        password_file,
        ca,
        client_auth,
        prefix,
        qos,
        keep_alive,
        queue,
        discovery_prefix,
        publish,
        writable,
        source: source.clone(),
    })
}

impl MqttConfig {
    /// An error about a file the section names (unreadable, not PEM, ...).
    pub(crate) fn file_error(&self, f: &FileRef, message: impl Into<String>) -> ConfigError {
        self.source
            .error(&f.span, format!("mqtt.{}", f.key), message)
    }

    /// The lines to publish, checked against the board.
    pub(crate) fn bind(&self, lines: &[LineInfo]) -> Result<Vec<MqttLine>, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let find =
            |l: &ListedLine, errors: &mut Vec<ConfigError>| match kbridge::find(lines, &l.line) {
                Ok(info) => Some(info.clone()),
                Err(e) => {
                    errors.push(self.source.error(
                        &l.span,
                        format!("mqtt.{}", l.key),
                        e.to_string(),
                    ));
                    None
                }
            };
        let published: Vec<LineInfo> = match &self.publish {
            None => lines.to_vec(),
            Some(p) => p.iter().filter_map(|l| find(l, &mut errors)).collect(),
        };
        let mut writable = Vec::new();
        for w in &self.writable {
            let Some(info) = find(w, &mut errors) else {
                continue;
            };
            if info.kind.is_writable() {
                writable.push(info.name);
            } else {
                errors.push(self.source.error(
                    &w.span,
                    format!("mqtt.{}", w.key),
                    format!(
                        "line `{}` is an {} line and cannot be set",
                        info.name, info.kind
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(published
            .into_iter()
            .map(|l| MqttLine {
                writable: writable.contains(&l.name),
                name: l.name,
                kind: l.kind,
                max_value: l.max_value,
            })
            .collect())
    }
}
