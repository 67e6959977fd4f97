//! The MQTT bridge (`[mqtt]`, docs/mqtt.md): the board's state on a broker, commands from it.
//!
//! rumqttc's connection runs on its own thread and only moves packets: what arrives
//! (connection up or down, commands) goes to the agent's loop through a channel, with a byte
//! on a socket pair to wake its poll. Everything that touches the board stays on the agent's
//! thread. Publishing never blocks: while the broker is away nothing is queued (the state is
//! re-published in full on reconnection), and a full request queue drops the message, counts
//! it and schedules a full re-publish.

mod options;
mod topics;

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use kbridge::{Config, Event};
use rumqttc::{Client, Connection, ConnectionError, Event as MqttEvent, Outgoing, Packet, QoS};
use serde_json::{json, Value};

pub(crate) use self::options::check_files;
use self::topics::{Refusal, Target, Topics, OFFLINE, ONLINE};
use super::config::{ConfigError, MqttConfig, MqttLine};
use super::log::Log;
use super::Conn;

/// First delay before reconnecting to the broker; doubles up to [`RECONNECT_MAX`].
const RECONNECT_MIN: Duration = Duration::from_millis(500);
const RECONNECT_MAX: Duration = Duration::from_secs(30);
/// How long a clean stop waits for the `offline` message and the DISCONNECT to go out.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// What the connection thread reports.
#[derive(Debug)]
enum Inbound {
    Connected,
    /// The connection failed or was lost; `refused`: the broker said no (CONNACK).
    Disconnected {
        why: String,
        refused: bool,
    },
    Message {
        topic: String,
        payload: Vec<u8>,
    },
    Stopped,
}

/// Counters published on the status topic.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    /// Gaps in the event stream (each one re-published the whole state).
    gaps: u64,
    /// Kernel events lost in those gaps.
    lost_events: u64,
    /// Full state publications (connections, gaps, board returns).
    republishes: u64,
    /// Commands refused or failed.
    refused: u64,
    /// Messages dropped because the request queue was full.
    queue_full: u64,
    /// Connections made (the first included).
    connections: u64,
}

/// The running bridge for one board.
pub(crate) struct Bridge {
    cfg: MqttConfig,
    lines: Vec<MqttLine>,
    topics: Topics,
    qos: QoS,
    root: Config,
    client: Client,
    inbox: mpsc::Receiver<Inbound>,
    wake: UnixStream,
    stopping: Arc<AtomicBool>,
    connected: bool,
    /// Something could not be published: re-publish everything when possible.
    dirty: bool,
    counters: Counters,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("topics", &self.topics)
            .field("connected", &self.connected)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// Wakes the agent's poll (a full socket buffer already means "wake up").
fn notify(wake: &mut UnixStream) {
    let _ = wake.write(&[1]);
}

/// The connection thread: drives rumqttc, reconnecting with backoff.
fn run(
    mut conn: Connection,
    tx: mpsc::Sender<Inbound>,
    mut wake: UnixStream,
    stopping: Arc<AtomicBool>,
) {
    let mut backoff = RECONNECT_MIN;
    let send = |m: Inbound, wake: &mut UnixStream| {
        let ok = tx.send(m).is_ok();
        notify(wake);
        ok
    };
    loop {
        let event = match conn.recv() {
            Ok(e) => e,
            Err(_) => break, // every client handle is gone
        };
        match event {
            Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                backoff = RECONNECT_MIN;
                if !send(Inbound::Connected, &mut wake) {
                    break;
                }
            }
            Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                let m = Inbound::Message {
                    topic: p.topic,
                    payload: p.payload.to_vec(),
                };
                if !send(m, &mut wake) {
                    break;
                }
            }
            Ok(MqttEvent::Outgoing(Outgoing::Disconnect)) if stopping.load(Ordering::Relaxed) => {
                break
            }
            Ok(_) => {}
            Err(e) => {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let why = match &e {
                    ConnectionError::ConnectionRefused(code) => {
                        format!("the broker refused the connection ({code:?})")
                    }
                    e => e.to_string(),
                };
                let m = Inbound::Disconnected {
                    why: format!(
                        "{why}; reconnecting in {}",
                        crate::pattern::format_duration(backoff)
                    ),
                    refused: matches!(e, ConnectionError::ConnectionRefused(_)),
                };
                if !send(m, &mut wake) {
                    break;
                }
                thread::sleep(backoff);
                backoff = (backoff * 2).min(RECONNECT_MAX);
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
            }
        }
    }
    let _ = tx.send(Inbound::Stopped);
    notify(&mut wake);
}

impl Bridge {
    /// Starts the bridge for the open board: connects in the background.
    /// `lines`: the bound plan's ([`super::Plan::mqtt`]).
    pub(crate) fn start(
        cfg: &MqttConfig,
        lines: Vec<MqttLine>,
        conn: &mut Conn,
        root: &Config,
        log: &Log,
    ) -> Result<Self, Vec<ConfigError>> {
        let board = conn
            .reader()
            .board()
            .map_err(|e| vec![board_error(cfg, &e)])?
            .name;
        let topics = Topics::new(&cfg.prefix, &board, cfg.discovery_prefix.as_deref());
        let opts = options::options(cfg, &board, &topics).map_err(|e| vec![e])?;
        let (client, connection) = Client::new(opts, cfg.queue);
        let (wake, thread_wake) = UnixStream::pair().map_err(|e| vec![io_error(cfg, &e)])?;
        wake.set_nonblocking(true)
            .and_then(|()| thread_wake.set_nonblocking(true))
            .map_err(|e| vec![io_error(cfg, &e)])?;
        let (tx, inbox) = mpsc::channel();
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stopping);
        thread::Builder::new()
            .name("mqtt".into())
            .spawn(move || run(connection, tx, thread_wake, flag))
            .map_err(|e| vec![io_error(cfg, &e)])?;
        log.info(format_args!(
            "mqtt: connecting to {}://{}:{} as `{}` ({} lines published, {} writable, topics under {}/{})",
            match cfg.scheme {
                super::config::Scheme::Plain => "mqtt",
                super::config::Scheme::Tls => "mqtts",
            },
            cfg.host,
            cfg.port,
            cfg.client_id.as_deref().unwrap_or(&board),
            lines.len(),
            lines.iter().filter(|l| l.writable).count(),
            cfg.prefix,
            board
        ));
        Ok(Bridge {
            cfg: cfg.clone(),
            qos: options::qos(cfg.qos),
            lines,
            topics,
            root: root.clone(),
            client,
            inbox,
            wake,
            stopping,
            connected: false,
            dirty: true,
            counters: Counters::default(),
        })
    }

    /// The configuration it runs (a reload with the same one keeps the bridge).
    pub(crate) fn config(&self) -> &MqttConfig {
        &self.cfg
    }

    /// The lines it publishes.
    pub(crate) fn lines(&self) -> &[MqttLine] {
        &self.lines
    }

    /// Readable when the connection thread has something for [`Bridge::on_wake`].
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }

    fn publish(&mut self, topic: String, payload: Vec<u8>, retain: bool) {
        if self
            .client
            .try_publish(topic, self.qos, retain, payload)
            .is_err()
        {
            self.counters.queue_full += 1;
            self.dirty = true;
        }
    }

    fn publish_json(&mut self, topic: String, payload: &Value, retain: bool) {
        self.publish(topic, payload.to_string().into_bytes(), retain);
    }

    /// Subscriptions, availability, discovery, the whole state and the status.
    fn announce(&mut self, conn: &mut Conn, log: &Log) {
        for filter in [self.topics.line_set_filter(), self.topics.board_set()] {
            if self.client.try_subscribe(filter, self.qos).is_err() {
                self.counters.queue_full += 1;
            }
        }
        self.publish(self.topics.availability(), ONLINE.into(), true);
        let discovery: Vec<(String, Value)> = self
            .lines
            .iter()
            .filter_map(|l| self.topics.discovery(l))
            .collect();
        for (topic, config) in discovery {
            self.publish_json(topic, &config, true);
        }
        self.republish(conn, log);
    }

    /// Publishes every line's state, then the status.
    fn republish(&mut self, conn: &mut Conn, log: &Log) {
        let read = conn
            .reader()
            .board()
            .and_then(|b| conn.lines().map(|l| (b.seq, l)));
        let (seq, lines) = match read {
            Ok(r) => r,
            Err(e) => {
                log.warn(format_args!(
                    "mqtt: reading the board for a re-publish: {e}"
                ));
                self.dirty = true;
                return;
            }
        };
        self.dirty = false;
        self.counters.republishes += 1;
        let states: Vec<(String, Value)> = lines
            .iter()
            .filter(|l| self.lines.iter().any(|m| m.name == l.name))
            .map(|l| (self.topics.state(&l.name), topics::line_payload(l, seq)))
            .collect();
        for (topic, payload) in states {
            self.publish_json(topic, &payload, true);
        }
        self.publish_status();
        log.debug(format_args!("mqtt: state re-published (seq {seq})"));
    }

    fn publish_status(&mut self) {
        let (status, _) = crate::cmd::status::collect(&self.root);
        let mut v = serde_json::to_value(&status).unwrap_or(Value::Null);
        let c = self.counters;
        if let Value::Object(o) = &mut v {
            o.insert(
                "mqtt".into(),
                json!({
                    "connected": self.connected,
                    "connections": c.connections,
                    "gaps": c.gaps,
                    "lost_events": c.lost_events,
                    "republishes": c.republishes,
                    "refused_commands": c.refused,
                    "queue_full": c.queue_full,
                }),
            );
        }
        self.publish_json(self.topics.status(), &v, true);
    }

    /// One kernel event, in the stream's order.
    pub(crate) fn on_event(&mut self, ev: &Event) {
        if ev.dropped > 0 {
            self.counters.gaps += 1;
            self.counters.lost_events += u64::from(ev.dropped);
            self.dirty = true;
        }
        if !self.connected || !self.lines.iter().any(|l| l.name == ev.line) {
            return;
        }
        let payload = topics::event_payload(ev);
        self.publish_json(self.topics.state(&ev.line), &payload, true);
    }

    /// After a batch of events: a gap (or a dropped message) re-publishes everything.
    pub(crate) fn after_events(&mut self, conn: &mut Conn, log: &Log) {
        if self.connected && self.dirty {
            log.warn(format_args!(
                "mqtt: re-publishing the whole state ({} gaps, {} events lost so far)",
                self.counters.gaps, self.counters.lost_events
            ));
            self.republish(conn, log);
        }
    }

    /// The board went away: it is offline until it returns.
    pub(crate) fn board_gone(&mut self) {
        if self.connected {
            self.publish(self.topics.availability(), OFFLINE.into(), true);
        }
        self.dirty = true;
    }

    /// The board is back (after [`Bridge::board_gone`]).
    pub(crate) fn board_back(&mut self, conn: &mut Conn, log: &Log) {
        if self.connected {
            self.announce(conn, log);
        }
    }

    /// Handles what the connection thread reported; `conn` is None while the board is away.
    pub(crate) fn on_wake(&mut self, mut conn: Option<&mut Conn>, log: &Log) {
        let mut buf = [0u8; 64];
        while matches!((&self.wake).read(&mut buf), Ok(n) if n > 0) {}
        while let Ok(m) = self.inbox.try_recv() {
            match m {
                Inbound::Connected => {
                    self.connected = true;
                    self.counters.connections += 1;
                    log.info(format_args!(
                        "mqtt: connected to {}:{} (connection {})",
                        self.cfg.host, self.cfg.port, self.counters.connections
                    ));
                    match conn.as_deref_mut() {
                        Some(c) => self.announce(c, log),
                        None => self.publish(self.topics.availability(), OFFLINE.into(), true),
                    }
                }
                Inbound::Disconnected { why, refused } => {
                    // A refusal (credentials, client id) needs someone to act: an error
                    // each time. A lost connection: a warning, then quieter retries.
                    if refused {
                        log.error(format_args!("mqtt: {why}"));
                    } else if self.connected || self.counters.connections == 0 {
                        log.warn(format_args!("mqtt: {why}"));
                    } else {
                        log.debug(format_args!("mqtt: {why}"));
                    }
                    self.connected = false;
                    self.dirty = true;
                }
                Inbound::Message { topic, payload } => {
                    self.on_command(conn.as_deref_mut(), &topic, &payload, log);
                }
                Inbound::Stopped => {}
            }
        }
    }

    fn on_command(&mut self, conn: Option<&mut Conn>, topic: &str, payload: &[u8], log: &Log) {
        let Some(target) = self.topics.target(topic) else {
            return;
        };
        let result = match conn {
            None => Err(Refusal {
                code: "board_away",
                message: "the board is not there (module unloaded?)".into(),
            }),
            Some(conn) => self.execute(conn, &target, payload),
        };
        match result {
            Ok(values) => log.info(format_args!("mqtt: {topic}: set {values:?}")),
            Err(r) => {
                self.counters.refused += 1;
                log.warn(format_args!(
                    "mqtt: refused {topic} `{}`: {} ({})",
                    String::from_utf8_lossy(payload),
                    r.message,
                    r.code
                ));
                let p = topics::error_payload(topic, payload, r.code, &r.message);
                self.publish_json(self.topics.error(), &p, false);
            }
        }
    }

    /// Checks a command and applies it as one set (one SET_VALUES for several lines).
    fn execute(
        &mut self,
        conn: &mut Conn,
        target: &Target,
        payload: &[u8],
    ) -> Result<Vec<(String, u32)>, Refusal> {
        let kernel = |e: kbridge::Error| Refusal {
            code: "kernel",
            message: e.to_string(),
        };
        let current = conn.lines().map_err(kernel)?;
        let value_of = |name: &str| {
            current
                .iter()
                .find(|l| l.name == name)
                .map_or(0, |l| l.value)
        };
        let values = topics::command(target, payload, &self.lines, &value_of)?;
        conn.set(&values).map_err(kernel)?;
        Ok(values)
    }

    /// Clean stop: `offline`, then DISCONNECT (so the broker does not send the last will).
    pub(crate) fn stop(mut self) {
        if self.connected {
            self.publish(self.topics.availability(), OFFLINE.into(), true);
        }
        self.stopping.store(true, Ordering::Relaxed);
        let _ = self.client.try_disconnect();
        let until = Instant::now() + STOP_WAIT;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.inbox.recv_timeout(left) {
                Ok(Inbound::Stopped) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

fn board_error(cfg: &MqttConfig, e: &kbridge::Error) -> ConfigError {
    ConfigError::whole(&cfg.source.name, "mqtt", format!("reading the board: {e}"))
}

fn io_error(cfg: &MqttConfig, e: &std::io::Error) -> ConfigError {
    ConfigError::whole(
        &cfg.source.name,
        "mqtt",
        format!("starting the bridge: {e}"),
    )
}
