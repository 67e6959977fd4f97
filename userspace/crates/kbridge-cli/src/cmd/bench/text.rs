//! The human form of the bench's document: the table, the event tests, the targets.

use std::io::Write;

use super::BenchJson;
use crate::output;

/// A time for the table, in ns: one decimal below 10 µs.
fn ns(v: f64) -> String {
    if v < 10_000.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

fn cpu(c: Option<usize>) -> String {
    c.map_or("-".to_owned(), |c| c.to_string())
}

pub(crate) fn text(out: &mut impl Write, b: &BenchJson) -> std::io::Result<()> {
    let pinned = b
        .pinned_cpu
        .map_or("not pinned".to_owned(), |c| format!("pinned to CPU {c}"));
    writeln!(
        out,
        "kbridge bench: kernel {}, line {} ({}), {pinned}",
        b.kernel, b.line, b.kind
    )?;
    writeln!(
        out,
        "{} batches of K calls per row after {} warm-up, rows interleaved;",
        b.batches, b.warmup
    )?;
    writeln!(
        out,
        "median ns per call, 95% CI of the median (order statistics)"
    )?;
    if let Some(g) = &b.gpio {
        let head = format!(
            "gpio-v2: {} line {} \"{}\" (chip \"{}\"), prebuilt request",
            g.chip, g.offset, g.line_name, g.label
        );
        writeln!(out, "{}", output::fit(&head, 80))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<8} {:<12} {:<8} {:>5} {:>10} {:>21} {:>7}",
        "VIA", "OP", "ROLE", "K", "MEDIAN", "95% CI", "CSW/OP"
    )?;
    let mut group = "";
    for r in &b.rows {
        if r.group != group {
            group = r.group;
            writeln!(out, "-- {group}")?;
        }
        let ci = format!("{} .. {}", ns(r.ci_low_ns), ns(r.ci_high_ns));
        writeln!(
            out,
            "{:<8} {:<12} {:<8} {:>5} {:>10} {:>21} {:>7.3}",
            r.via,
            r.op,
            r.role,
            r.k,
            ns(r.median_ns),
            ci,
            r.csw_per_op
        )?;
    }
    writeln!(out, "(clock empty batch: ns per pair of clock reads)")?;
    writeln!(out)?;
    writeln!(
        out,
        "events: sustained rate without loss (writer CPU {}, reader CPU {})",
        cpu(b.pinned_cpu),
        cpu(b.reader_cpu)
    )?;
    for t in &b.throughput {
        let best = match (t.lossless_per_s, t.writer_bound) {
            (Some(r), true) => format!(">= {r}/s, no loss (the writer's maximum)"),
            (Some(r), false) => format!("{r}/s without loss"),
            (None, _) => "loss at every rate tried".to_owned(),
        };
        let loss = match t.runs.first() {
            Some(r) if r.lost > 0 => {
                format!(
                    "; unpaced {}/s lost {} of {}",
                    r.offered_per_s, r.lost, r.sent
                )
            }
            _ => String::new(),
        };
        writeln!(out, "  {:<9} {best}{loss}", t.transport)?;
    }
    writeln!(
        out,
        "events: latency from set to blocked reader woken (other CPU)"
    )?;
    for l in &b.latency {
        writeln!(
            out,
            "  {:<9} p50 {} us, p99 {} us, max {} us ({} samples)",
            l.transport,
            output::micros(l.p50_ns),
            output::micros(l.p99_ns),
            output::micros(l.max_ns),
            l.samples
        )?;
    }
    writeln!(
        out,
        "events: burst with the reader stopped, ring {}",
        b.ring
    )?;
    for x in &b.burst {
        let got = match (x.received, x.dropped_field) {
            (Some(r), Some(d)) => format!("records {r}, field {d}, "),
            _ => String::new(),
        };
        let proc = x.procfs_dropped.map_or("n/a".to_owned(), |p| p.to_string());
        writeln!(
            out,
            "  B={:<4} {:<5} want dropped {:<4} {got}/proc +{proc} {}",
            x.burst,
            x.reader,
            x.expected_dropped,
            if x.ok { "ok" } else { "WRONG" }
        )?;
    }
    writeln!(out)?;
    writeln!(out, "targets (issue 14)")?;
    for t in &b.targets {
        let v = t.value.map_or("n/a".to_owned(), |v| format!("{v:.3}"));
        let verdict = match t.pass {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "n/a",
        };
        writeln!(
            out,
            "  {:<28} {:>9} {} {:<6} {verdict}",
            t.name, v, t.cmp, t.limit
        )?;
    }
    for s in &b.skipped {
        let head = format!("skipped {}: ", s.what);
        let reason = output::fit(&s.reason, 80usize.saturating_sub(head.chars().count()));
        writeln!(out, "{head}{reason}")?;
    }
    if !b.correct {
        writeln!(out, "BURST ACCOUNTING WRONG: see the burst rows above")?;
    }
    Ok(())
}
