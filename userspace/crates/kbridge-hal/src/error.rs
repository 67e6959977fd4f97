//! The pins' error type and its embedded-hal error kinds.

use embedded_hal::{digital, pwm};
use kbridge::LineKind;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a kbridge pin can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The line exists but is of a kind the pin type cannot drive (at open time).
    #[error("line `{name}` is {} {kind} line; {pin} needs {wanted}", article(*kind))]
    WrongKind {
        /// The line's name.
        name: String,
        /// What it is.
        kind: LineKind,
        /// The pin type asked for (`Output`, `Led`, `Input`).
        pin: &'static str,
        /// The kinds that pin type accepts.
        wanted: &'static str,
    },

    /// `set_duty_cycle` above [`SetDutyCycle::max_duty_cycle`](pwm::SetDutyCycle::max_duty_cycle).
    #[error("duty cycle {duty} is above the maximum {max} of line `{name}`")]
    DutyOutOfRange {
        /// The line's name.
        name: String,
        /// The duty cycle asked for.
        duty: u16,
        /// The largest duty cycle.
        max: u16,
    },

    /// The kbridge library or the kernel refused (unknown line, permission, module not
    /// loaded, ...): the library's error, with its interface and errno.
    #[error(transparent)]
    Kbridge(#[from] kbridge::Error),
}

fn article(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Input | LineKind::Output | LineKind::Unknown(_) => "an",
        LineKind::Led => "a",
    }
}

impl Error {
    /// The library error, if the library or the kernel refused.
    pub fn as_kbridge(&self) -> Option<&kbridge::Error> {
        match self {
            Error::Kbridge(e) => Some(e),
            _ => None,
        }
    }

    /// The errno behind the error, if a system call failed.
    pub fn errno(&self) -> Option<i32> {
        self.as_kbridge().and_then(kbridge::Error::errno)
    }

    /// The embedded-hal digital error kind.
    ///
    /// embedded-hal 1.0 defines a single digital kind, `Other` ("the original error may
    /// contain more information"), and the same for PWM. Every kbridge error therefore maps to
    /// `Other`; generic code that needs more asks the error itself ([`Error::as_kbridge`],
    /// [`Error::errno`], `Display`). The match is exhaustive on purpose: when embedded-hal grows
    /// kinds (`ErrorKind` is `#[non_exhaustive]`) this is the one place to map them.
    pub fn digital_kind(&self) -> digital::ErrorKind {
        match self {
            Error::WrongKind { .. } | Error::DutyOutOfRange { .. } | Error::Kbridge(_) => {
                digital::ErrorKind::Other
            }
        }
    }

    /// The embedded-hal PWM error kind (only `Other` exists, as for [`Error::digital_kind`]).
    pub fn pwm_kind(&self) -> pwm::ErrorKind {
        match self {
            Error::WrongKind { .. } | Error::DutyOutOfRange { .. } | Error::Kbridge(_) => {
                pwm::ErrorKind::Other
            }
        }
    }
}

impl digital::Error for Error {
    fn kind(&self) -> digital::ErrorKind {
        self.digital_kind()
    }
}

impl pwm::Error for Error {
    fn kind(&self) -> pwm::ErrorKind {
        self.pwm_kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_hal::digital::Error as _;

    #[test]
    fn messages_and_kinds() {
        let e = Error::WrongKind {
            name: "button".into(),
            kind: LineKind::Input,
            pin: "Output",
            wanted: "an output or LED line",
        };
        assert_eq!(
            e.to_string(),
            "line `button` is an input line; Output needs an output or LED line"
        );
        assert_eq!(e.kind(), digital::ErrorKind::Other);
        assert_eq!(pwm::Error::kind(&e), pwm::ErrorKind::Other);
        assert!(e.errno().is_none());
        let e = Error::from(kbridge::Error::UnknownLine {
            name: "relai".into(),
            suggestion: Some("relay".into()),
        });
        assert_eq!(
            e.to_string(),
            "unknown line `relai` (did you mean `relay`?)"
        );
        assert!(matches!(
            e.as_kbridge(),
            Some(kbridge::Error::UnknownLine { .. })
        ));
        assert_eq!(e.kind(), digital::ErrorKind::Other);
    }
}
