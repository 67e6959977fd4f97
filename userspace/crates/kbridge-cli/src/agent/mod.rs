//! `kbridge agent`: the board daemon.
//!
//! One thread, one poll loop over the signalfd and the event stream, with two kinds of
//! timers (heartbeat steps, reconnection). See docs/agent.md for the behaviour.

mod config;
mod log;
mod mqtt;

use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use kbridge::{Backend, Config, Error, EventStream, Interface, LineInfo};
use nix::sys::signal::Signal;

pub(crate) use self::config::{AgentConfig, ConfigError, LogLevel, Plan};
use self::log::Log;
use self::mqtt::Bridge;
use crate::pattern::format_duration;
use crate::signals::{self, Signals};

/// Arguments of `kbridge agent`.
#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    /// Configuration file
    #[arg(long, value_name = "FILE", default_value = "/etc/kbridge/agent.toml")]
    pub(crate) config: PathBuf,

    /// Check the configuration (against the board if it is there) and exit
    #[arg(long)]
    pub(crate) check: bool,

    /// Log level (error, warn, info, debug), overriding agent.log_level
    #[arg(long, value_name = "LEVEL", value_parser = LogLevel::parse)]
    pub(crate) log_level: Option<LogLevel>,
}

/// First reconnection delay; doubles up to `agent.retry_max`.
const RETRY_MIN: Duration = Duration::from_millis(100);

/// Exit status for an invalid configuration or a fatal error.
const EXIT_FAILURE: u8 = 1;

fn load(path: &Path, via_override: Option<Interface>) -> Result<AgentConfig, Vec<ConfigError>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ConfigError {
            file: name.clone(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read: {e}"),
        }]
    })?;
    let mut cfg = AgentConfig::parse(&name, &text)?;
    if let Some(m) = &cfg.mqtt {
        mqtt::check_files(m).map_err(|e| vec![e])?;
    }
    if let Some(via) = via_override {
        if !via.capabilities().write {
            return Err(vec![ConfigError {
                file: "--via".into(),
                line: 0,
                column: 0,
                key: String::new(),
                message: format!("{via} cannot set lines (use ioctl, chardev or sysfs)"),
            }]);
        }
        cfg.via = via;
    }
    Ok(cfg)
}

/// Whether an error means the board went away (module unloaded, device unbound).
fn is_gone(e: &Error) -> bool {
    use nix::errno::Errno;
    const ENOENT: i32 = Errno::ENOENT as i32;
    const ENXIO: i32 = Errno::ENXIO as i32;
    const ENODEV: i32 = Errno::ENODEV as i32;
    match e {
        Error::NotLoaded { .. } | Error::Protocol { .. } => true,
        Error::Os { source, .. } => {
            matches!(source.raw_os_error(), Some(ENOENT | ENXIO | ENODEV))
        }
        _ => false,
    }
}

/// The open board.
struct Conn {
    /// Writes (and reads, if its interface can).
    ctl: Box<dyn Backend>,
    /// Reads, when `ctl`'s interface can't (chardev): ioctl.
    reader: Option<Box<dyn Backend>>,
    events: EventStream,
    plan: Plan,
    /// Heartbeat state, index-aligned with `plan.heartbeats`: next step and when.
    beats: Vec<(usize, Instant)>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("via", &self.ctl.via())
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

impl Conn {
    fn open(cfg: &AgentConfig, root: &Config) -> Result<Self, Error> {
        let ctl = kbridge::open(cfg.via, root)?;
        let reader = if cfg.via.capabilities().read {
            None
        } else {
            Some(kbridge::open(Interface::Ioctl, root)?)
        };
        // Subscribe before reading any state, so no change falls between the two.
        let events = kbridge::open(cfg.events, root)?.events()?;
        Ok(Conn {
            ctl,
            reader,
            events,
            plan: Plan::default(),
            beats: Vec::new(),
        })
    }

    fn reader(&mut self) -> &mut dyn Backend {
        match &mut self.reader {
            Some(r) => r.as_mut(),
            None => self.ctl.as_mut(),
        }
    }

    fn lines(&mut self) -> Result<Vec<LineInfo>, Error> {
        self.reader().lines()
    }

    fn set(&mut self, values: &[(String, u32)]) -> Result<(), Error> {
        if values.is_empty() {
            return Ok(());
        }
        let v: Vec<(&str, u32)> = values.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        self.ctl.set(&v)
    }

    /// Every mirror target set from its source's current value.
    fn sync_mirrors(&mut self) -> Result<Vec<(String, u32)>, Error> {
        if self.plan.mirrors.is_empty() {
            return Ok(Vec::new());
        }
        let sources: Vec<String> = self.plan.mirrors.iter().map(|m| m.from.clone()).collect();
        let names: Vec<&str> = sources.iter().map(String::as_str).collect();
        let values = self.reader().get(&names)?;
        let targets: Vec<(String, u32)> = self
            .plan
            .mirrors
            .iter()
            .zip(values)
            .map(|(m, v)| (m.to.clone(), m.target_value(v)))
            .collect();
        self.set(&targets)?;
        Ok(targets)
    }

    /// Starts every heartbeat at its first step, now.
    fn restart_beats(&mut self) {
        let now = Instant::now();
        self.beats = self.plan.heartbeats.iter().map(|_| (0, now)).collect();
    }

    fn next_beat(&self) -> Option<Instant> {
        self.beats.iter().map(|(_, due)| *due).min()
    }
}

#[derive(Debug)]
struct Agent {
    log: Log,
    log_override: Option<LogLevel>,
    path: PathBuf,
    root: Config,
    via_override: Option<Interface>,
    config: AgentConfig,
    /// A reloaded configuration not yet checked against the board (it was away).
    pending: Option<AgentConfig>,
    conn: Option<Conn>,
    /// The MQTT bridge, once the board has been seen with `[mqtt]` on.
    bridge: Option<Bridge>,
    ever_connected: bool,
    /// When disconnected: the next attempt, the current delay, failed attempts so far.
    retry_at: Option<Instant>,
    backoff: Duration,
    attempts: u32,
}

/// How the loop ends.
enum Stop {
    Signal(Signal),
    /// The configuration does not fit the board at the first connection.
    Invalid,
    Fatal(String),
}

impl Agent {
    fn report(&self, what: &str, errors: &[ConfigError]) {
        for e in errors {
            self.log.error(format_args!("{what}{e}"));
        }
    }

    fn summary(plan: &Plan) -> String {
        format!(
            "{} initial values, {} mirror rules, {} heartbeats{}",
            plan.initial.len(),
            plan.mirrors.len(),
            plan.heartbeats.len(),
            if plan.mqtt.is_empty() {
                String::new()
            } else {
                format!(", {} lines on MQTT", plan.mqtt.len())
            }
        )
    }

    /// Opens the board, binds the configuration and applies it.
    fn connect(&mut self) -> Result<(), Result<Error, Stop>> {
        let mut conn = Conn::open(&self.config, &self.root).map_err(Ok)?;
        let lines = conn.lines().map_err(Ok)?;
        if let Some(pending) = self.pending.take() {
            match pending.bind(&lines) {
                Ok(_) => {
                    self.log
                        .info("the configuration reloaded while the board was away fits it");
                    self.set_config(pending);
                }
                Err(errs) => {
                    self.report("reload rejected: ", &errs);
                    self.log.error("keeping the previous configuration");
                }
            }
        }
        match self.config.bind(&lines) {
            Ok(plan) => conn.plan = plan,
            Err(errs) => {
                self.report("", &errs);
                if !self.ever_connected {
                    return Err(Err(Stop::Invalid));
                }
                self.log.error(
                    "the configuration does not fit this board: running without rules until a \
                     valid one is loaded (SIGHUP)",
                );
            }
        }
        let initial = conn.plan.initial.clone();
        conn.set(&initial).map_err(Ok)?;
        let mirrored = conn.sync_mirrors().map_err(Ok)?;
        conn.restart_beats();
        self.log.debug(format_args!(
            "applied initial {initial:?}, mirrors {mirrored:?}"
        ));
        self.log.info(format_args!(
            "running on the board via {} (events via {}): {}",
            self.config.via,
            self.config.events,
            Self::summary(&conn.plan)
        ));
        self.conn = Some(conn);
        self.ever_connected = true;
        self.sync_bridge();
        Ok(())
    }

    /// Starts, restarts, stops or resumes the MQTT bridge to match the configuration and
    /// the board (just connected, or just reconfigured).
    fn sync_bridge(&mut self) {
        let Some(conn) = &mut self.conn else { return };
        let wanted = self.config.mqtt.as_ref();
        if let Some(b) = &mut self.bridge {
            if Some(b.config()) == wanted && b.lines() == conn.plan.mqtt.as_slice() {
                b.board_back(conn, &self.log);
                return;
            }
        }
        if let Some(old) = self.bridge.take() {
            self.log
                .info("mqtt: stopping the bridge (configuration changed)");
            old.stop();
        }
        let Some(cfg) = wanted else { return };
        let lines = conn.plan.mqtt.clone();
        match Bridge::start(cfg, lines, conn, &self.root, &self.log) {
            Ok(b) => self.bridge = Some(b),
            Err(errs) => {
                self.report("mqtt: ", &errs);
                self.log.error("mqtt: running without the bridge");
            }
        }
    }

    fn set_config(&mut self, cfg: AgentConfig) {
        self.log.level = self.log_override.unwrap_or(cfg.log_level);
        self.config = cfg;
    }

    /// The board went away: close everything (so the module can be unloaded) and retry.
    fn lost(&mut self, e: &Error) {
        self.conn = None;
        if let Some(b) = &mut self.bridge {
            b.board_gone();
        }
        self.backoff = RETRY_MIN;
        self.attempts = 0;
        self.retry_at = Some(Instant::now() + self.backoff);
        self.log.warn(format_args!(
            "board gone ({e}); released it, retrying with backoff up to {}",
            format_duration(self.config.retry_max)
        ));
    }

    fn try_connect(&mut self) -> Result<(), Stop> {
        match self.connect() {
            Ok(()) => {
                if self.attempts > 0 || self.retry_at.is_some() {
                    self.log.info(format_args!(
                        "board back after {} attempts; initial state and rules re-applied",
                        self.attempts + 1
                    ));
                }
                self.retry_at = None;
                self.attempts = 0;
                Ok(())
            }
            Err(Err(stop)) => Err(stop),
            Err(Ok(e)) => {
                self.conn = None;
                if self.attempts == 0 && !self.ever_connected {
                    self.log.warn(format_args!("waiting for the board: {e}"));
                } else {
                    self.log.debug(format_args!(
                        "board still away: {e}; next try in {}",
                        format_duration(self.backoff)
                    ));
                }
                self.attempts += 1;
                self.retry_at = Some(Instant::now() + self.backoff);
                self.backoff = (self.backoff * 2).min(self.config.retry_max);
                Ok(())
            }
        }
    }

    /// A runtime error on the open board: gone → reconnect; else log and carry on.
    fn failed(&mut self, what: &str, e: &Error) {
        if is_gone(e) {
            self.lost(e);
        } else {
            self.log.error(format_args!("{what}: {e}"));
        }
    }

    fn on_events(&mut self) {
        let Some(conn) = &mut self.conn else { return };
        let mut resync = false;
        let mut targets: BTreeMap<String, u32> = BTreeMap::new();
        loop {
            match conn.events.next_timeout(Some(Duration::ZERO)) {
                Ok(Some(ev)) => {
                    if let Some(b) = &mut self.bridge {
                        b.on_event(&ev);
                    }
                    if ev.dropped > 0 {
                        resync = true;
                        self.log.warn(format_args!(
                            "{} events lost before seq {}: re-reading the mirror sources",
                            ev.dropped, ev.seq
                        ));
                    }
                    for m in conn.plan.mirrors.iter().filter(|m| m.from == ev.line) {
                        targets.insert(m.to.clone(), m.target_value(ev.new_value));
                        self.log.debug(format_args!(
                            "mirror {} {} -> {}: {} = {}",
                            m.from,
                            ev.old_value,
                            ev.new_value,
                            m.to,
                            m.target_value(ev.new_value)
                        ));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // The stream only fails when the board goes (poll hang-up, ENODEV).
                    self.lost(&e);
                    return;
                }
            }
        }
        if let Some(b) = &mut self.bridge {
            b.after_events(conn, &self.log);
        }
        let result = if resync {
            conn.sync_mirrors().map(drop)
        } else {
            let values: Vec<(String, u32)> = targets.into_iter().collect();
            conn.set(&values)
        };
        if let Err(e) = result {
            self.failed("mirror", &e);
        }
    }

    fn on_beats(&mut self) {
        let Some(conn) = &mut self.conn else { return };
        let now = Instant::now();
        let mut values = Vec::new();
        for (hb, (step, due)) in conn.plan.heartbeats.iter().zip(conn.beats.iter_mut()) {
            if *due > now {
                continue;
            }
            let Some(&(value, hold)) = hb.steps.get(*step) else {
                continue;
            };
            values.push((hb.line.clone(), value));
            *step = (*step + 1) % hb.steps.len().max(1);
            // Keep the rhythm, but never try to catch up a backlog (after a stall).
            *due = if *due + hold > now {
                *due + hold
            } else {
                now + hold
            };
        }
        if let Err(e) = conn.set(&values) {
            self.failed("heartbeat", &e);
        }
    }

    fn reload(&mut self) {
        self.log
            .info(format_args!("SIGHUP: reloading {}", self.path.display()));
        let cfg = match load(&self.path, self.via_override) {
            Ok(c) => c,
            Err(errs) => {
                self.report("reload rejected: ", &errs);
                self.log.error("keeping the running configuration");
                return;
            }
        };
        let Some(conn) = &mut self.conn else {
            self.log
                .info("board away: the new configuration will be checked when it returns");
            self.pending = Some(cfg);
            return;
        };
        if cfg.via != self.config.via || cfg.events != self.config.events {
            // Other interfaces: reopen the board with the new configuration.
            self.log.info("interfaces changed: reconnecting");
            self.pending = Some(cfg);
            self.conn = None;
            self.retry_at = Some(Instant::now());
            self.backoff = RETRY_MIN;
            self.attempts = 0;
            return;
        }
        let lines = match conn.lines() {
            Ok(l) => l,
            Err(e) => {
                self.pending = Some(cfg);
                self.failed("reload", &e);
                return;
            }
        };
        let plan = match cfg.bind(&lines) {
            Ok(p) => p,
            Err(errs) => {
                self.report("reload rejected: ", &errs);
                self.log.error("keeping the running configuration");
                return;
            }
        };
        let old = std::mem::replace(&mut conn.plan, plan);
        // Heartbeats that stop leave their line off.
        let stopped: Vec<(String, u32)> = old
            .heartbeats
            .iter()
            .filter(|o| !conn.plan.heartbeats.iter().any(|n| n.line == o.line))
            .filter(|o| !conn.plan.mirrors.iter().any(|m| m.to == o.line))
            .map(|o| (o.line.clone(), 0))
            .collect();
        let initial = if conn.plan.initial != old.initial {
            conn.plan.initial.clone()
        } else {
            Vec::new()
        };
        let result = conn
            .set(&stopped)
            .and_then(|()| conn.set(&initial))
            .and_then(|()| conn.sync_mirrors().map(drop));
        conn.restart_beats();
        let summary = Self::summary(&conn.plan);
        self.set_config(cfg);
        self.log
            .info(format_args!("configuration reloaded: {summary}"));
        self.sync_bridge();
        if let Err(e) = result {
            self.failed("applying the reloaded configuration", &e);
        }
    }

    fn run(&mut self, signals: &Signals) -> Stop {
        if let Err(stop) = self.try_connect() {
            return stop;
        }
        loop {
            let deadline = [self.retry_at, self.conn.as_ref().and_then(Conn::next_beat)]
                .into_iter()
                .flatten()
                .min();
            let ready = {
                let events = self.conn.as_ref().map(|c| c.events.as_fd());
                let wake = self.bridge.as_ref().map(Bridge::wake_fd);
                let fds: Vec<_> = [events, wake].into_iter().flatten().collect();
                signals::wait_any(signals, &fds, deadline).map(|(signal, ready)| {
                    let mut ready = ready.into_iter();
                    let events = events.is_some() && ready.next().unwrap_or(false);
                    let wake = wake.is_some() && ready.next().unwrap_or(false);
                    (signal, events, wake)
                })
            };
            let (signal, events, wake) = match ready {
                Ok(r) => r,
                Err(e) => return Stop::Fatal(format!("poll: {e}")),
            };
            if wake {
                if let Some(b) = &mut self.bridge {
                    b.on_wake(self.conn.as_mut(), &self.log);
                }
            }
            if signal {
                loop {
                    match signals.pending() {
                        Ok(Some(Signal::SIGHUP)) => self.reload(),
                        Ok(Some(sig)) => return Stop::Signal(sig),
                        Ok(None) => break,
                        Err(e) => return Stop::Fatal(format!("signals: {e}")),
                    }
                }
            }
            if events {
                self.on_events();
            }
            let now = Instant::now();
            if self.retry_at.is_some_and(|at| now >= at) {
                if let Err(stop) = self.try_connect() {
                    return stop;
                }
            }
            if self
                .conn
                .as_ref()
                .and_then(Conn::next_beat)
                .is_some_and(|d| now >= d)
            {
                self.on_beats();
            }
        }
    }

    /// Clean exit: heartbeat lines are left off; everything else stays as it is.
    fn shutdown(&mut self) {
        if let Some(conn) = &mut self.conn {
            let off: Vec<(String, u32)> = conn
                .plan
                .heartbeats
                .iter()
                .map(|h| (h.line.clone(), 0))
                .collect();
            if let Err(e) = conn.set(&off) {
                self.log.warn(format_args!("turning heartbeats off: {e}"));
            }
        }
        if let Some(b) = self.bridge.take() {
            b.stop();
        }
        self.conn = None;
    }
}

/// Runs `kbridge agent`; returns the process's exit status.
pub(crate) fn main(args: &AgentArgs, via_override: Option<Interface>, root: &Config) -> ExitCode {
    let mut log = Log::new(args.log_level.unwrap_or(LogLevel::Info));
    let config = match load(&args.config, via_override) {
        Ok(c) => c,
        Err(errs) => {
            for e in &errs {
                log.error(e);
            }
            log.error(format_args!(
                "invalid configuration ({} errors); not starting",
                errs.len()
            ));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    log.level = args.log_level.unwrap_or(config.log_level);
    if args.check {
        return check(&log, &config, root);
    }
    // Signals first: a SIGTERM during start-up is then handled like any other.
    let signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            log.error(format_args!("signals: {e}"));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    log.info(format_args!(
        "starting with {} (pid {})",
        args.config.display(),
        std::process::id()
    ));
    let mut agent = Agent {
        log,
        log_override: args.log_level,
        path: args.config.clone(),
        root: root.clone(),
        via_override,
        config,
        pending: None,
        conn: None,
        bridge: None,
        ever_connected: false,
        retry_at: None,
        backoff: RETRY_MIN,
        attempts: 0,
    };
    match agent.run(&signals) {
        Stop::Signal(sig) => {
            agent.shutdown();
            agent
                .log
                .info(format_args!("{}: stopped", signals::name(sig)));
            ExitCode::SUCCESS
        }
        Stop::Invalid => {
            agent
                .log
                .error("the configuration does not fit the board; not starting");
            ExitCode::from(EXIT_FAILURE)
        }
        Stop::Fatal(msg) => {
            agent.shutdown();
            agent.log.error(msg);
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// `--check`: the file, then the board if it is there.
fn check(log: &Log, config: &AgentConfig, root: &Config) -> ExitCode {
    let lines = kbridge::open(Interface::Ioctl, root).and_then(|mut b| b.lines());
    match lines {
        Ok(lines) => match config.bind(&lines) {
            Ok(plan) => {
                log.info(format_args!(
                    "configuration is valid for this board: {}",
                    Agent::summary(&plan)
                ));
                ExitCode::SUCCESS
            }
            Err(errs) => {
                for e in &errs {
                    log.error(e);
                }
                ExitCode::from(EXIT_FAILURE)
            }
        },
        Err(e) => {
            log.warn(format_args!(
                "configuration file is valid; not checked against a board ({e})"
            ));
            ExitCode::SUCCESS
        }
    }
}
