//! Durations (`250ms`, `1.5s`) and blink patterns (`on:100ms,off:900ms`), shared by
//! `kbridge blink` and the agent's configuration.

use std::fmt;
use std::time::Duration;

/// Shortest step of a pattern: bounds the write rate of a blink or heartbeat to 1000/s.
pub(crate) const MIN_STEP: Duration = Duration::from_millis(1);
/// Most steps in one pattern.
pub(crate) const MAX_STEPS: usize = 64;

/// Parses `<number><unit>`: `us`, `ms`, `s` or `min`, the number a decimal (`1.5s`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration (expected a number and a unit, e.g. `250ms`)".to_owned());
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(format!(
            "`{t}` is not a duration (expected a number and a unit, e.g. `250ms`)"
        ));
    }
    let nanos_per_unit: u128 = match unit {
        "" => {
            return Err(format!(
                "`{t}` has no unit (use us, ms, s or min, e.g. `{t}ms`)"
            ))
        }
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "min" => 60_000_000_000,
        other => {
            return Err(format!(
                "`{t}`: unknown unit `{other}` (use us, ms, s or min)"
            ))
        }
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if frac.contains('.') {
        return Err(format!("`{t}` is not a duration (two decimal points)"));
    }
    let too_long = || format!("`{t}` is too long");
    let int: u128 = int.parse().map_err(|_| too_long())?;
    let mut nanos = int.checked_mul(nanos_per_unit).ok_or_else(too_long)?;
    // Fraction digits, exactly (no floating point): 1.5s = 1s + 5 * 10^8 ns.
    let mut scale = nanos_per_unit;
    for d in frac.chars() {
        scale /= 10;
        let digit = u128::from(d.to_digit(10).unwrap_or(0));
        nanos = nanos
            .checked_add(digit.saturating_mul(scale))
            .ok_or_else(too_long)?;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| too_long())?;
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Ok(Duration::new(secs, sub))
}

/// Formats a duration the way [`parse_duration`] reads it (shortest exact unit).
pub(crate) fn format_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        "0ms".to_owned()
    } else if ns % 60_000_000_000 == 0 {
        format!("{}min", ns / 60_000_000_000)
    } else if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else if ns % 1_000_000 == 0 {
        format!("{}ms", ns / 1_000_000)
    } else {
        format!("{}us", ns / 1_000)
    }
}

/// A step's value: `on` (the line's maximum), `off` (0) or a number (LED brightness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    On,
    Off,
    Value(u32),
}

impl Level {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "on" => Ok(Level::On),
            "off" => Ok(Level::Off),
            t => kbridge_abi::parse_value(t.as_bytes())
                .map(Level::Value)
                .map_err(|_| format!("`{t}` is not a level (use on, off or a number)")),
        }
    }

    /// The value on a line whose maximum is `max`.
    pub(crate) fn resolve(self, max: u32) -> Result<u32, String> {
        match self {
            Level::On => Ok(max),
            Level::Off => Ok(0),
            Level::Value(v) if v <= max => Ok(v),
            Level::Value(v) => Err(format!("value {v} is out of range (0..={max})")),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::On => f.write_str("on"),
            Level::Off => f.write_str("off"),
            Level::Value(v) => write!(f, "{v}"),
        }
    }
}

/// One step of a pattern: hold `level` for `hold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) level: Level,
    pub(crate) hold: Duration,
}

/// A blink pattern: steps played in order, then repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub(crate) steps: Vec<Step>,
}

impl Pattern {
    /// `LEVEL:DURATION[,LEVEL:DURATION...]`, e.g. `on:100ms,off:900ms`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("empty pattern (expected e.g. `on:100ms,off:900ms`)".to_owned());
        }
        let mut steps = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let Some((level, hold)) = part.split_once(':') else {
                return Err(format!(
                    "step `{part}` needs a level and a duration, e.g. `on:100ms`"
                ));
            };
            let level = Level::parse(level).map_err(|e| format!("step `{part}`: {e}"))?;
            let hold = parse_duration(hold).map_err(|e| format!("step `{part}`: {e}"))?;
            if hold < MIN_STEP {
                return Err(format!(
                    "step `{part}` is shorter than {}",
                    format_duration(MIN_STEP)
                ));
            }
            steps.push(Step { level, hold });
        }
        if steps.len() > MAX_STEPS {
            return Err(format!(
                "{} steps is too many (at most {MAX_STEPS})",
                steps.len()
            ));
        }
        Ok(Pattern { steps })
    }

    /// A square wave: on for half the period, off for the other half.
    pub(crate) fn square(period: Duration) -> Result<Self, String> {
        let half = period / 2;
        if half < MIN_STEP {
            return Err(format!(
                "period {} is shorter than {}",
                format_duration(period),
                format_duration(MIN_STEP * 2)
            ));
        }
        Ok(Pattern {
            steps: vec![
                Step {
                    level: Level::On,
                    hold: half,
                },
                Step {
                    level: Level::Off,
                    hold: period.saturating_sub(half),
                },
            ],
        })
    }

    /// The values on a line whose maximum is `max`, with their hold times.
    pub(crate) fn resolve(&self, max: u32) -> Result<Vec<(u32, Duration)>, String> {
        self.steps
            .iter()
            .map(|s| {
                s.level
                    .resolve(max)
                    .map(|v| (v, s.hold))
                    .map_err(|e| format!("step `{}:{}`: {e}", s.level, format_duration(s.hold)))
            })
            .collect()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{}", s.level, format_duration(s.hold))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = |t: &str| parse_duration(t).unwrap();
        assert_eq!(ok("250ms"), Duration::from_millis(250));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("0.25s"), Duration::from_millis(250));
        assert_eq!(ok("2min"), Duration::from_secs(120));
        assert_eq!(ok("750us"), Duration::from_micros(750));
        assert_eq!(ok(" 5s "), Duration::from_secs(5));
        assert_eq!(ok("0ms"), Duration::ZERO);
        let err = |t: &str| parse_duration(t).unwrap_err();
        assert_eq!(
            err("100"),
            "`100` has no unit (use us, ms, s or min, e.g. `100ms`)"
        );
        assert_eq!(err("5h"), "`5h`: unknown unit `h` (use us, ms, s or min)");
        assert_eq!(
            err("fast"),
            "`fast` is not a duration (expected a number and a unit, e.g. `250ms`)"
        );
        assert_eq!(
            err("-1s"),
            "`-1s` is not a duration (expected a number and a unit, e.g. `250ms`)"
        );
        assert_eq!(
            err(".5s"),
            "`.5s` is not a duration (expected a number and a unit, e.g. `250ms`)"
        );
        assert_eq!(
            err("1.2.3s"),
            "`1.2.3s` is not a duration (two decimal points)"
        );
        assert_eq!(
            err(""),
            "empty duration (expected a number and a unit, e.g. `250ms`)"
        );
        assert_eq!(
            err("99999999999999999999999999999999999999999s"),
            "`99999999999999999999999999999999999999999s` is too long"
        );
        for d in ["250ms", "1s", "2min", "750us", "1500ms"] {
            assert_eq!(format_duration(ok(d)), d);
        }
    }

    #[test]
    fn patterns() {
        let p = Pattern::parse("on:100ms, off:900ms").unwrap();
        assert_eq!(p.to_string(), "on:100ms,off:900ms");
        assert_eq!(
            p.resolve(1).unwrap(),
            vec![
                (1, Duration::from_millis(100)),
                (0, Duration::from_millis(900))
            ]
        );
        let p = Pattern::parse("128:50ms,off:50ms,255:1s").unwrap();
        assert_eq!(p.resolve(255).unwrap()[2], (255, Duration::from_secs(1)));
        assert_eq!(
            p.resolve(1).unwrap_err(),
            "step `128:50ms`: value 128 is out of range (0..=1)"
        );
        let err = |t: &str| Pattern::parse(t).unwrap_err();
        assert_eq!(
            err("on"),
            "step `on` needs a level and a duration, e.g. `on:100ms`"
        );
        assert_eq!(
            err("on:100ms,blue:1s"),
            "step `blue:1s`: `blue` is not a level (use on, off or a number)"
        );
        assert_eq!(
            err("on:100,off:1s"),
            "step `on:100`: `100` has no unit (use us, ms, s or min, e.g. `100ms`)"
        );
        assert_eq!(err("on:0ms,off:1s"), "step `on:0ms` is shorter than 1ms");
        assert_eq!(
            err(" "),
            "empty pattern (expected e.g. `on:100ms,off:900ms`)"
        );
        assert_eq!(
            err("on:1s,,off:1s"),
            "step `` needs a level and a duration, e.g. `on:100ms`"
        );
        let long = vec!["on:1ms"; MAX_STEPS + 1].join(",");
        assert_eq!(err(&long), "65 steps is too many (at most 64)");
        let sq = Pattern::square(Duration::from_millis(200)).unwrap();
        assert_eq!(sq.to_string(), "on:100ms,off:100ms");
        assert_eq!(
            Pattern::square(Duration::from_micros(1500)).unwrap_err(),
            "period 1500us is shorter than 2ms"
        );
    }
}
