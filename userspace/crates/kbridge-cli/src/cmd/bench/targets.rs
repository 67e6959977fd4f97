//! The targets of issue 14: ratios of the rows' medians, each with pass or fail.

use super::rows::Run;
use super::{Row, Target};

/// `a / b` of two rows' medians.
fn ratio(a: Option<&Row>, b: Option<&Row>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b.median_ns > 0.0 => Some(a.median_ns / b.median_ns),
        _ => None,
    }
}

fn target(
    name: &'static str,
    value: Option<f64>,
    cmp: &'static str,
    limit: f64,
    detail: String,
) -> Target {
    let pass = value.map(|v| if cmp == "<=" { v <= limit } else { v >= limit });
    Target {
        name,
        value,
        cmp,
        limit,
        pass,
        detail,
    }
}

pub(super) fn targets(run: &Run<'_>) -> Vec<Target> {
    let set = run.row("ioctl", "set", "library");
    let set_bare = run
        .row("ioctl", "set-bits", "bare")
        .or_else(|| run.row("ioctl", "set-values", "bare"));
    let get = run.row("ioctl", "get", "library");
    // The bare call under the library's get: GET_BITS for a line of maximum 1 when the
    // module has it (what `IoctlBackend::get_line` picks), else GET_VALUES.
    let get_bare = run
        .row("ioctl", "get-bits", "bare")
        .filter(|_| run.line_max == 1)
        .or_else(|| run.row("ioctl", "get-values", "bare"));
    let get_cmd = if get_bare.is_some_and(|r| r.op == "get-bits") {
        "GET_BITS"
    } else {
        "GET_VALUES"
    };
    let set_cmd = if run.row("ioctl", "set-bits", "bare").is_some() {
        "SET_BITS"
    } else {
        "SET_VALUES"
    };
    let mm = run.row("mmap", "value", "library");
    vec![
        target(
            "ioctl set / raw GPIO v2 set",
            ratio(set, run.row("gpio-v2", "set", "baseline")),
            "<=",
            1.25,
            format!(
                "library set of one line ({set_cmd}) vs GPIO_V2_LINE_SET_VALUES on the same chip"
            ),
        ),
        target(
            "ioctl get / getppid",
            ratio(get, run.row("getppid", "call", "baseline")),
            "<=",
            1.5,
            format!("library get of one line ({get_cmd}) vs getppid()"),
        ),
        target(
            "ioctl get / mmap read",
            ratio(get, mm),
            ">=",
            50.0,
            "how many times cheaper the mmap one-line read is".into(),
        ),
        target(
            "ioctl get: library / bare",
            ratio(get, get_bare),
            "<=",
            1.10,
            format!("library overhead over the bare {get_cmd}"),
        ),
        target(
            "ioctl set: library / bare",
            ratio(set, set_bare),
            "<=",
            1.10,
            format!("library overhead over the bare {set_cmd}"),
        ),
        target(
            "mmap read: library / bare",
            ratio(mm, run.row("mmap", "value", "bare")),
            "<=",
            1.05,
            "library overhead over the bare seqcount read".into(),
        ),
        target(
            "context switches per set",
            set.map(|r| r.csw_per_op),
            "<=",
            0.01,
            "ioctl set with no listener; 0.01 allows for the odd timer preemption, a \
             kworker switch per set would be 1"
                .into(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbridge::Config;

    fn row(via: &'static str, op: &'static str, role: &'static str, median: f64) -> Row {
        Row {
            group: "g",
            via,
            op,
            role,
            k: 1,
            median_ns: median,
            ci_low_ns: median,
            ci_high_ns: median,
            batches: 100,
            csw_per_op: 0.0,
        }
    }

    #[test]
    fn targets_are_ratios_of_medians() {
        let cfg = Config::new();
        let mut run = Run {
            cfg: &cfg,
            has_ioctl: true,
            only: None,
            line_max: 1,
            k: 1,
            batches: 100,
            rows: vec![
                row("gpio-v2", "set", "baseline", 1000.0),
                row("ioctl", "set", "library", 1200.0),
                row("ioctl", "set-values", "bare", 1150.0),
                row("getppid", "call", "baseline", 400.0),
                row("ioctl", "get", "library", 800.0),
                row("ioctl", "get-values", "bare", 700.0),
                row("mmap", "value", "library", 10.0),
                row("mmap", "value", "bare", 10.0),
            ],
            skipped: Vec::new(),
        };
        let t = targets(&run);
        let by = |n: &str| t.iter().find(|t| t.name == n).unwrap();
        assert_eq!(by("ioctl set / raw GPIO v2 set").pass, Some(true));
        assert_eq!(by("ioctl get / getppid").pass, Some(false));
        assert_eq!(by("ioctl get / mmap read").value, Some(80.0));
        assert_eq!(by("ioctl get / mmap read").pass, Some(true));
        assert_eq!(by("ioctl get: library / bare").pass, Some(false));
        assert_eq!(by("mmap read: library / bare").pass, Some(true));
        assert_eq!(by("context switches per set").pass, Some(true));
        run.rows.retain(|r| r.via != "gpio-v2");
        assert_eq!(
            targets(&run)[0].pass,
            None,
            "no baseline: n/a, not a failure"
        );
    }
}
