//! What the campaign did: operations tried per kind, and how each ended.

use std::collections::BTreeMap;
use std::fmt::Write;

use nix::errno::Errno;

/// Counters of one thread (merged at the end).
#[derive(Debug, Default, Clone)]
pub(crate) struct Stats {
    /// Operations per kind.
    pub(crate) tried: BTreeMap<&'static str, u64>,
    /// Outcomes per kind: `ok` or the errno's name.
    pub(crate) outcomes: BTreeMap<(&'static str, String), u64>,
    /// Events received by the listeners, and the drops they reported.
    pub(crate) events: BTreeMap<&'static str, (u64, u64)>,
    /// Invariant violations, each described once.
    pub(crate) violations: Vec<String>,
}

impl Stats {
    pub(crate) fn record<T>(&mut self, kind: &'static str, r: &Result<T, Errno>) {
        *self.tried.entry(kind).or_default() += 1;
        let o = match r {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("{e:?}"),
        };
        *self.outcomes.entry((kind, o)).or_default() += 1;
    }

    pub(crate) fn events(&mut self, via: &'static str, received: u64, dropped: u64) {
        let e = self.events.entry(via).or_default();
        e.0 += received;
        e.1 += dropped;
    }

    pub(crate) fn violation(&mut self, what: String) {
        eprintln!("kbridge-fuzz: INVARIANT: {what}");
        self.violations.push(what);
    }

    pub(crate) fn merge(&mut self, o: Stats) {
        for (k, v) in o.tried {
            *self.tried.entry(k).or_default() += v;
        }
        for (k, v) in o.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        for (k, (a, b)) in o.events {
            self.events(k, a, b);
        }
        self.violations.extend(o.violations);
    }

    /// The report: one `FUZZ` line per kind (`ops=`, then outcomes), per event stream, and
    /// the totals.
    pub(crate) fn report(&self, role: &str) -> String {
        let mut out = String::new();
        let total: u64 = self.tried.values().sum();
        for (kind, n) in &self.tried {
            let _ = write!(out, "FUZZ {role} {kind} ops={n}");
            for ((k, o), c) in &self.outcomes {
                if k == kind {
                    let _ = write!(out, " {o}={c}");
                }
            }
            out.push('\n');
        }
        for (via, (r, d)) in &self.events {
            let _ = writeln!(out, "FUZZ {role} events-{via} received={r} dropped={d}");
        }
        let _ = writeln!(
            out,
            "FUZZ {role} total ops={total} violations={}",
            self.violations.len()
        );
        out
    }
}
