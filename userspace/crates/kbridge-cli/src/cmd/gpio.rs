//! The raw GPIO character device (uAPI v2, through gpiocdev), as the baseline of
//! `kbridge bench --gpio-compare`.
//!
//! kbridge owns its lines (they are requested by the module), so the baseline uses a free
//! line of a chip chosen by label: on the emulated board, line 6 of "kbridge-sim-a", the
//! gpio-sim bank behind kbridge's own lines.

use std::path::{Path, PathBuf};

use gpiocdev::line::Value;
use gpiocdev::Request;

use crate::Failure;

/// Consumer name the line is requested with (shows in `gpioinfo`).
const CONSUMER: &str = "kbridge-bench";

/// One requested output line.
#[derive(Debug)]
pub(crate) struct RawLine {
    req: Request,
    offset: u32,
    /// `/dev/gpiochipN`.
    pub(crate) path: PathBuf,
    /// The chip's label.
    pub(crate) label: String,
    /// The line's name on the chip (may be empty).
    pub(crate) line_name: String,
}

fn failed(what: impl std::fmt::Display) -> Failure {
    Failure::Check(format!("--gpio-compare: {what}"))
}

/// The GPIO character devices in `dev_dir`, in name order.
pub(crate) fn chip_paths(dev_dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(dev_dir)
        .map_err(|e| failed(format!("cannot list {}: {e}", dev_dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("gpiochip"))
        })
        .filter_map(|p| gpiocdev::chip::is_chip(&p).ok())
        .collect();
    paths.sort_by(|a, b| gpiocdev::chip::path_compare(a, b));
    paths.dedup();
    Ok(paths)
}

impl RawLine {
    /// Requests line `offset` of the chip labelled `label` as an output at 0.
    pub(crate) fn open(dev_dir: &Path, label: &str, offset: u32) -> Result<Self, Failure> {
        let mut seen = Vec::new();
        for path in chip_paths(dev_dir)? {
            let chip = gpiocdev::Chip::from_path(&path).map_err(failed)?;
            let info = chip.info().map_err(failed)?;
            if info.label != label {
                seen.push(info.label);
                continue;
            }
            if offset >= info.num_lines {
                return Err(failed(format!(
                    "{} ({label}) has {} lines, no line {offset}",
                    path.display(),
                    info.num_lines
                )));
            }
            let line = chip.line_info(offset).map_err(failed)?;
            if line.used {
                return Err(failed(format!(
                    "line {offset} of {} ({label}) is in use by `{}`; pick a free one with \
                     --gpio-line",
                    path.display(),
                    line.consumer
                )));
            }
            let req = Request::builder()
                .on_chip(&path)
                .with_consumer(CONSUMER)
                .with_line(offset)
                .as_output(Value::Inactive)
                .request()
                .map_err(failed)?;
            return Ok(RawLine {
                req,
                offset,
                path,
                label: info.label,
                line_name: line.name,
            });
        }
        Err(failed(format!(
            "no GPIO chip labelled `{label}` (found: {})",
            if seen.is_empty() {
                "none".to_owned()
            } else {
                seen.join(", ")
            }
        )))
    }

    /// The line's offset on its chip.
    pub(crate) fn offset(&self) -> u32 {
        self.offset
    }

    /// `GPIO_V2_LINE_GET_VALUES_IOCTL` for the line.
    pub(crate) fn get(&self) -> Result<u32, Failure> {
        match self.req.value(self.offset).map_err(failed)? {
            Value::Active => Ok(1),
            Value::Inactive => Ok(0),
        }
    }

    /// `GPIO_V2_LINE_SET_VALUES_IOCTL` for the line.
    pub(crate) fn set(&self, value: u32) -> Result<(), Failure> {
        let v = if value == 0 {
            Value::Inactive
        } else {
            Value::Active
        };
        self.req.set_value(self.offset, v).map_err(failed)
    }
}
