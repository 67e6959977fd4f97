//! sysfs backend: `/sys/class/misc/kbridge/device/lines/<name>/{value,max_value,kind,active_low}`.
//!
//! One attribute per read or write, so several lines are never changed atomically: a request
//! for several lines is checked completely first, then applied line by line. A single-line
//! set is one `write()` and nothing else; the kernel judges it (`EINVAL` is then explained
//! from the line's attributes). Lines are listed
//! in name order (sysfs has no index).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use kbridge_abi as abi;

use crate::backend::{check_set, check_set_request, check_toggle, check_toggle_request, Backend};
use crate::error::libc_errno;
use crate::{BoardInfo, Config, Error, Interface, LineInfo, LineKind, Result};

const VIA: Interface = Interface::Sysfs;

/// Backend over the sysfs line directories.
#[derive(Debug)]
pub struct SysfsBackend {
    dir: PathBuf,
}

fn read_attr(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io(VIA, "read", path, e))
}

/// Parses a numeric attribute (`"<decimal>\n"`).
pub fn parse_value_attr(text: &str) -> Result<u32> {
    abi::parse_sysfs_value(text.as_bytes())
        .map_err(|e| Error::protocol(VIA, format!("attribute value `{}`: {e}", text.trim_end())))
}

/// Parses the `kind` attribute (`"led\n"`).
pub fn parse_kind_attr(text: &str) -> Result<LineKind> {
    let name = text.strip_suffix('\n').unwrap_or(text);
    name.parse()
        .map_err(|()| Error::protocol(VIA, format!("unknown line kind `{name}`")))
}

/// Parses the `active_low` attribute (`"0\n"` or `"1\n"`).
pub fn parse_bool_attr(text: &str) -> Result<bool> {
    match text.strip_suffix('\n').unwrap_or(text) {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(Error::protocol(
            VIA,
            format!("expected 0 or 1, got `{other}`"),
        )),
    }
}

impl SysfsBackend {
    /// Checks that the lines directory exists.
    pub fn open(config: &Config) -> Result<Self> {
        let dir = config.sysfs_lines_dir();
        let meta = fs::metadata(&dir).map_err(|e| Error::open(VIA, "open", &dir, e))?;
        if !meta.is_dir() {
            return Err(Error::protocol(
                VIA,
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(SysfsBackend { dir })
    }

    fn names(&self) -> Result<Vec<String>> {
        let entries =
            fs::read_dir(&self.dir).map_err(|e| Error::open(VIA, "list", &self.dir, e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(VIA, "list", &self.dir, e))?;
            // Not a valid line name: not ours (sysfs adds nothing there, but be lenient).
            if let Some(name) = entry.file_name().to_str() {
                if abi::validate_name(name.as_bytes()).is_ok() {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Directory of line `name`, or the right error if there is no such line.
    fn line_dir(&self, name: &str) -> Result<PathBuf> {
        if abi::validate_name(name.as_bytes()).is_ok() {
            let dir = self.dir.join(name);
            if dir.is_dir() {
                return Ok(dir);
            }
        }
        let names = self.names()?;
        Err(crate::backend::unknown_line(
            name,
            names.iter().map(String::as_str),
        ))
    }

    fn read_line(&self, name: &str) -> Result<LineInfo> {
        let dir = self.line_dir(name)?;
        let kind = parse_kind_attr(&read_attr(&dir.join(abi::SYSFS_ATTR_KIND))?)?;
        let value = parse_value_attr(&read_attr(&dir.join(abi::SYSFS_ATTR_VALUE))?)?;
        let max = parse_value_attr(&read_attr(&dir.join(abi::SYSFS_ATTR_MAX_VALUE))?)?;
        let mut info = LineInfo::new(name, kind, value, max);
        info.active_low = parse_bool_attr(&read_attr(&dir.join(abi::SYSFS_ATTR_ACTIVE_LOW))?)?;
        Ok(info)
    }

    fn write_value(&self, name: &str, value: u32) -> Result<()> {
        let path = self.line_dir(name)?.join(abi::SYSFS_ATTR_VALUE);
        let text = format!("{value}\n");
        // O_TRUNC like a shell's `>`: sysfs ignores it, a captured tree needs it.
        let result = fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .and_then(|mut f| {
                // One write() call: sysfs stores see exactly one buffer.
                let n = f.write(text.as_bytes())?;
                if n == text.len() {
                    Ok(())
                } else {
                    Err(io::Error::new(io::ErrorKind::WriteZero, "short write"))
                }
            });
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc_errno::EINVAL) => {
                // Explain the refusal if we can, else report the errno.
                let line = self.read_line(name)?;
                check_set(name, line.kind, line.max_value, value)?;
                Err(Error::io(VIA, "set", &path, e))
            }
            Err(e) => Err(Error::io(VIA, "set", &path, e)),
        }
    }
}

impl Backend for SysfsBackend {
    fn via(&self) -> Interface {
        VIA
    }

    fn board(&mut self) -> Result<BoardInfo> {
        Err(Error::Unsupported {
            via: VIA,
            op: "read board info",
            reason: "sysfs exposes lines only; use ioctl, procfs or mmap",
        })
    }

    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        self.names()?
            .iter()
            .map(|name| self.read_line(name))
            .collect()
    }

    fn line(&mut self, name: &str) -> Result<LineInfo> {
        self.read_line(name)
    }

    /// One `value` read per line (not a snapshot).
    fn get(&mut self, names: &[&str]) -> Result<Vec<u32>> {
        names
            .iter()
            .map(|name| {
                let path = self.line_dir(name)?.join(abi::SYSFS_ATTR_VALUE);
                parse_value_attr(&read_attr(&path)?)
            })
            .collect()
    }

    fn set(&mut self, values: &[(&str, u32)]) -> Result<()> {
        if let [(name, value)] = values {
            return self.write_value(name, *value);
        }
        let lines = self.lines()?;
        check_set_request(&lines, values)?;
        values
            .iter()
            .try_for_each(|(name, value)| self.write_value(name, *value))
    }

    /// Read-modify-write per line: not atomic against other writers.
    fn toggle(&mut self, names: &[&str]) -> Result<()> {
        if names.len() > 1 {
            check_toggle_request(&self.lines()?, names)?;
        }
        for name in names {
            let line = self.read_line(name)?;
            check_toggle(name, line.kind)?;
            self.write_value(name, abi::toggled_value(line.value, line.max_value))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_parsers() {
        assert_eq!(parse_value_attr("255\n").unwrap(), 255);
        assert_eq!(parse_value_attr("0").unwrap(), 0);
        assert!(parse_value_attr("").is_err());
        assert!(parse_value_attr("-1\n").is_err());
        assert!(parse_value_attr("1 \n").is_err());
        assert_eq!(parse_kind_attr("led\n").unwrap(), LineKind::Led);
        assert_eq!(parse_kind_attr("output").unwrap(), LineKind::Output);
        assert!(parse_kind_attr("pwm\n").is_err());
        assert!(parse_bool_attr("1\n").unwrap());
        assert!(!parse_bool_attr("0\n").unwrap());
        assert!(parse_bool_attr("yes\n").is_err());
    }
}
