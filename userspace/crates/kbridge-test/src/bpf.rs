//! `kbridge-test bpf`: the tracepoint's format against the program's view of it, and the BPF
//! ring buffer under load, through the library (needs
//! `kbridge bpf attach` first; tests/guest/t60-bpf.sh runs it).
//!
//! Opens a ring buffer reader, makes changes through ioctl without reading until the ring
//! buffer overflows (at most [`MAX_CHANGES`]), then reads everything and checks: sequence numbers strictly
//! increase, every gap is exactly the `dropped` count of the record after it, received +
//! dropped = changes made, and the program's `ringbuf_dropped` counter grew by the same amount.

use std::time::{Duration, Instant};

use kbridge::{bpf, Backend, Config, EventSource, IoctlBackend};

use crate::report::Report;

/// Changes made while nobody reads, at most: 64 KiB / 40 bytes per record is ~1640 records.
const MAX_CHANGES: u64 = 6000;
/// Time allowed for making them.
const MAX_TIME: Duration = Duration::from_secs(60);

/// The tracepoint's format file in tracefs.
const FORMAT: &str = "/sys/kernel/tracing/events/kbridge/kbridge_line_change/format";

pub(crate) fn run(r: &mut Report) {
    r.check("tracepoint-format", format());
    if let Err(e) = overflow(r) {
        r.fail("ringbuf-overflow", e);
    }
}

fn overflow(r: &mut Report) -> Result<(), String> {
    let cfg = Config::new();
    let before = bpf::stats(&cfg).map_err(|e| format!("stats: {e}"))?;
    let mut events = kbridge::BpfEvents::open(&cfg).map_err(|e| format!("open: {e}"))?;
    // A second reader is refused while this one exists.
    match kbridge::BpfEvents::open(&cfg) {
        Err(e) if e.errno() == Some(16) => r.pass("second-reader-ebusy"),
        Err(e) => r.fail("second-reader-ebusy", format!("wrong error: {e}")),
        Ok(_) => r.fail("second-reader-ebusy", "a second reader was allowed"),
    }
    let mut io = IoctlBackend::open(&cfg).map_err(|e| format!("ioctl: {e}"))?;
    let first_seq = io.board().map_err(|e| e.to_string())?.seq + 1;
    // Toggle two outputs per ioctl until the program has dropped records (or give up).
    let start = Instant::now();
    let mut made = 0u64;
    while made < MAX_CHANGES && start.elapsed() < MAX_TIME {
        for _ in 0..50 {
            io.toggle(&["relay", "buzzer"])
                .map_err(|e| format!("toggle: {e}"))?;
            made += 2;
        }
        let now = bpf::stats(&cfg).map_err(|e| format!("stats: {e}"))?;
        if now.ringbuf_dropped >= before.ringbuf_dropped + 10 {
            break;
        }
    }
    println!(
        "bpf overflow: {made} changes in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let last_seq = io.board().map_err(|e| e.to_string())?.seq;
    if last_seq + 1 - first_seq != made {
        return Err(format!(
            "seq moved by {} for {made} changes (another writer?)",
            last_seq + 1 - first_seq
        ));
    }
    let (mut received, mut dropped, mut expect) = (0u64, 0u64, first_seq);
    let mut order_ok = true;
    while let Some(ev) = events
        .next_timeout(Some(Duration::from_millis(500)))
        .map_err(|e| format!("read: {e}"))?
    {
        if ev.seq != expect + u64::from(ev.dropped) {
            if order_ok {
                r.fail(
                    "ringbuf-order",
                    format!(
                        "seq {} after expecting {expect} with dropped={}",
                        ev.seq, ev.dropped
                    ),
                );
            }
            order_ok = false;
        }
        received += 1;
        dropped += u64::from(ev.dropped);
        expect = ev.seq + 1;
        if ev.seq == last_seq {
            break;
        }
    }
    // Drops are reported by the next record that makes it: the ring is empty again, so this
    // change's record carries the count of everything lost since the last one received.
    io.toggle(&["relay"]).map_err(|e| format!("toggle: {e}"))?;
    made += 1;
    match events
        .next_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| format!("read: {e}"))?
    {
        Some(ev) if ev.seq == expect + u64::from(ev.dropped) && ev.seq == last_seq + 1 => {
            received += 1;
            dropped += u64::from(ev.dropped);
        }
        Some(ev) => {
            order_ok = false;
            r.fail(
                "ringbuf-order",
                format!(
                    "after the overflow: seq {} dropped {} (expected seq {})",
                    ev.seq,
                    ev.dropped,
                    last_seq + 1
                ),
            );
        }
        None => {
            order_ok = false;
            r.fail("ringbuf-order", "no record after the overflow");
        }
    }
    if order_ok {
        r.pass("ringbuf-order");
    }
    let after = bpf::stats(&cfg).map_err(|e| format!("stats: {e}"))?;
    let counted = after.ringbuf_dropped - before.ringbuf_dropped;
    println!("bpf overflow: {received} received, {dropped} reported dropped, counter +{counted}");
    if dropped == 0 {
        r.fail(
            "ringbuf-overflow",
            "nothing was dropped: ring larger than expected?",
        );
    } else if received + dropped != made {
        r.fail(
            "ringbuf-overflow",
            format!("{received} received + {dropped} dropped != {made}"),
        );
    } else if counted != dropped {
        r.fail(
            "ringbuf-overflow",
            format!("map counter says {counted} dropped, records say {dropped}"),
        );
    } else {
        r.pass("ringbuf-overflow");
    }
    Ok(())
}

/// Every `field:TYPE NAME; offset:N; size:N;` of the format file equals
/// [`bpf::CTX_FIELDS`], in order.
fn format() -> Result<(), String> {
    let text = std::fs::read_to_string(FORMAT).map_err(|e| format!("{FORMAT}: {e}"))?;
    let mut found = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("field:"))
    {
        let part = |key: &str| {
            line.split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix(key))
                .map(str::to_owned)
                .ok_or_else(|| format!("no {key} in `{line}`"))
        };
        let decl = part("field:")?;
        let name = decl
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .trim_start_matches('*')
            .to_owned();
        let num = |key: &str| -> Result<u32, String> {
            part(key)?
                .parse()
                .map_err(|e| format!("{key} in `{line}`: {e}"))
        };
        found.push((name, num("offset:")?, num("size:")?));
    }
    let want: Vec<(String, u32, u32)> = bpf::CTX_FIELDS
        .iter()
        .map(|&(n, o, s)| (n.to_owned(), o, s))
        .collect();
    if found == want {
        Ok(())
    } else {
        Err(format!(
            "format file has {found:?}, the program expects {want:?}"
        ))
    }
}
