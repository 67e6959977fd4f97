//! The pin types and their embedded-hal trait implementations.

use embedded_hal::digital::{ErrorType, InputPin, OutputPin, StatefulOutputPin};
use embedded_hal::pwm::{self, SetDutyCycle};
use kbridge::{Backend, Config, IoctlBackend, LineKind};

use crate::{Error, Result};

/// A line opened by name on one backend, with what never changes about it: prepared once
/// ([`Backend::prepare`]), so reads and writes go through the backend's fast path
/// ([`Backend::value_of`], [`Backend::set_line`]) without a lookup or an allocation.
#[derive(Debug)]
pub(crate) struct Line<B> {
    backend: B,
    handle: kbridge::Line,
    name: String,
    kind: LineKind,
    max: u32,
}

impl<B: Backend> Line<B> {
    /// Looks the line up and checks its kind.
    fn open(
        mut backend: B,
        name: &str,
        pin: &'static str,
        wanted: &'static str,
        accepts: fn(LineKind) -> bool,
    ) -> Result<Self> {
        let handle = backend.prepare(name)?;
        if !accepts(handle.kind()) {
            return Err(Error::WrongKind {
                name: handle.name().to_owned(),
                kind: handle.kind(),
                pin,
                wanted,
            });
        }
        Ok(Line {
            backend,
            name: handle.name().to_owned(),
            kind: handle.kind(),
            max: handle.max_value(),
            handle,
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The current logical value (brightness for LEDs).
    pub(crate) fn value(&mut self) -> Result<u32> {
        Ok(self.backend.value_of(&self.handle)?)
    }

    pub(crate) fn is_high(&mut self) -> Result<bool> {
        Ok(self.value()? != 0)
    }

    fn set(&mut self, value: u32) -> Result<()> {
        Ok(self.backend.set_line(&self.handle, value)?)
    }

    fn toggle(&mut self) -> Result<()> {
        Ok(self.backend.toggle(&[self.name.as_str()])?)
    }
}

/// The default backend of the pins: ioctl for writes (`SET_BITS` on one reused request), with
/// the shared page mapped for reads where the module serves it (a few loads instead of a
/// system call); reads stay ioctls where it cannot be mapped.
fn fast_ioctl(config: &Config) -> Result<IoctlBackend> {
    let mut backend = IoctlBackend::open(config)?;
    // Reads fall back to GET_VALUES when the page cannot be mapped: not an error.
    let _ = backend.map_reads();
    Ok(backend)
}

fn is_drivable(kind: LineKind) -> bool {
    matches!(kind, LineKind::Output | LineKind::Led)
}

fn is_led(kind: LineKind) -> bool {
    kind == LineKind::Led
}

fn is_readable(kind: LineKind) -> bool {
    matches!(kind, LineKind::Input | LineKind::Output | LineKind::Led)
}

/// A GPIO output or an LED, driven on/off.
///
/// `set_high` sets the line's maximum (1 for a GPIO, the maximum brightness for an LED),
/// `set_low` sets 0, `toggle` is the kernel's atomic toggle (0 becomes the maximum, anything
/// else 0). `is_set_high` and `InputPin::is_high` read the driven value back: true when it is
/// not 0.
#[derive(Debug)]
pub struct Output<B = IoctlBackend> {
    line: Line<B>,
}

impl Output<IoctlBackend> {
    /// Opens output or LED line `name` through `/dev/kbridge` (ioctl backend).
    pub fn open(name: &str) -> Result<Self> {
        Self::open_in(&Config::new(), name)
    }

    /// As [`Output::open`] with the interfaces found under `config`'s root.
    pub fn open_in(config: &Config, name: &str) -> Result<Self> {
        Self::with_backend(fast_ioctl(config)?, name)
    }
}

impl<B: Backend> Output<B> {
    /// Opens output or LED line `name` through `backend`, which must be able to read lines
    /// (every backend but chardev) and write them (ioctl, chardev, sysfs).
    ///
    /// Fails with [`Error::WrongKind`] for an input line, and with the library's error for an
    /// unknown name.
    pub fn with_backend(backend: B, name: &str) -> Result<Self> {
        Ok(Output {
            line: Line::open(
                backend,
                name,
                "Output",
                "an output or LED line",
                is_drivable,
            )?,
        })
    }
}

/// An LED, on/off like [`Output`] and with its brightness as a PWM duty cycle.
///
/// `SetDutyCycle::max_duty_cycle` is the LED's maximum brightness (clamped to `u16::MAX`;
/// larger maxima are scaled), `set_duty_cycle(d)` sets brightness `d`. LEDs behind a GPIO
/// (`leds-gpio`) have maximum 1: any duty is then off or on.
#[derive(Debug)]
pub struct Led<B = IoctlBackend> {
    line: Line<B>,
}

impl Led<IoctlBackend> {
    /// Opens LED line `name` through `/dev/kbridge` (ioctl backend).
    pub fn open(name: &str) -> Result<Self> {
        Self::open_in(&Config::new(), name)
    }

    /// As [`Led::open`] with the interfaces found under `config`'s root.
    pub fn open_in(config: &Config, name: &str) -> Result<Self> {
        Self::with_backend(fast_ioctl(config)?, name)
    }
}

impl<B: Backend> Led<B> {
    /// Opens LED line `name` through `backend` (see [`Output::with_backend`]). Fails with
    /// [`Error::WrongKind`] for a GPIO line.
    pub fn with_backend(backend: B, name: &str) -> Result<Self> {
        Ok(Led {
            line: Line::open(backend, name, "Led", "an LED line", is_led)?,
        })
    }

    /// The current brightness, 0..=[`Led::max_brightness`].
    pub fn brightness(&mut self) -> Result<u32> {
        self.line.value()
    }

    /// Sets the brightness, 0..=[`Led::max_brightness`] (the kernel refuses more).
    pub fn set_brightness(&mut self, value: u32) -> Result<()> {
        self.line.set(value)
    }

    /// The LED's maximum brightness.
    pub fn max_brightness(&self) -> u32 {
        self.line.max
    }
}

/// The brightness for duty cycle `duty` of an LED with maximum `max`.
fn duty_to_brightness(duty: u16, max: u32) -> u32 {
    let max_duty = duty_max(max);
    if u32::from(max_duty) == max || max_duty == 0 {
        u32::from(duty)
    } else {
        // max > u16::MAX: scale, rounding down; duty max_duty gives exactly max.
        let scaled = u64::from(duty) * u64::from(max) / u64::from(max_duty);
        u32::try_from(scaled).unwrap_or(max)
    }
}

fn duty_max(max: u32) -> u16 {
    u16::try_from(max).unwrap_or(u16::MAX)
}

/// A line read as a digital input: a GPIO input, or an output or LED (then the driven value).
///
/// `is_high` is true when the logical value is not 0 (for an active-low input: when the
/// signal is active). With the `async` feature it implements
/// `embedded_hal_async::digital::Wait` on the line's change events.
#[derive(Debug)]
pub struct Input<B = IoctlBackend> {
    pub(crate) line: Line<B>,
    #[cfg(feature = "async")]
    pub(crate) events: crate::wait::Events,
}

impl Input<IoctlBackend> {
    /// Opens line `name` for reading through `/dev/kbridge` (ioctl backend).
    pub fn open(name: &str) -> Result<Self> {
        Self::open_in(&Config::new(), name)
    }

    /// As [`Input::open`] with the interfaces found under `config`'s root (also used for
    /// the event stream of `Wait`).
    pub fn open_in(config: &Config, name: &str) -> Result<Self> {
        #[allow(unused_mut)]
        let mut input = Self::with_backend(fast_ioctl(config)?, name)?;
        #[cfg(feature = "async")]
        {
            input = input.with_events_config(config.clone());
        }
        Ok(input)
    }
}

impl<B: Backend> Input<B> {
    /// Opens line `name` for reading through `backend` (any backend that can read lines).
    /// Fails with [`Error::WrongKind`] only for kinds this library does not know.
    pub fn with_backend(backend: B, name: &str) -> Result<Self> {
        Ok(Input {
            line: Line::open(
                backend,
                name,
                "Input",
                "an input, output or LED line",
                is_readable,
            )?,
            #[cfg(feature = "async")]
            events: crate::wait::Events::new(Config::new()),
        })
    }
}

/// What all pin types share.
macro_rules! common {
    ($pin:ident) => {
        impl<B: Backend> $pin<B> {
            /// The line's name.
            pub fn name(&self) -> &str {
                self.line.name()
            }

            /// What the line is.
            pub fn kind(&self) -> LineKind {
                self.line.kind
            }

            /// The line's largest value (1 for GPIOs, maximum brightness for LEDs).
            pub fn max_value(&self) -> u32 {
                self.line.max
            }

            /// The backend, for operations the traits do not cover.
            pub fn backend_mut(&mut self) -> &mut B {
                &mut self.line.backend
            }

            /// Gives the backend back.
            pub fn into_backend(self) -> B {
                self.line.backend
            }
        }

        impl<B: Backend> ErrorType for $pin<B> {
            type Error = Error;
        }

        impl<B: Backend> InputPin for $pin<B> {
            fn is_high(&mut self) -> Result<bool> {
                self.line.is_high()
            }

            fn is_low(&mut self) -> Result<bool> {
                Ok(!self.line.is_high()?)
            }
        }
    };
}

common!(Output);
common!(Led);
common!(Input);

/// The output traits of [`Output`] and [`Led`].
macro_rules! output {
    ($pin:ident) => {
        impl<B: Backend> OutputPin for $pin<B> {
            fn set_low(&mut self) -> Result<()> {
                self.line.set(0)
            }

            fn set_high(&mut self) -> Result<()> {
                let max = self.line.max;
                self.line.set(max)
            }
        }

        impl<B: Backend> StatefulOutputPin for $pin<B> {
            fn is_set_high(&mut self) -> Result<bool> {
                self.line.is_high()
            }

            fn is_set_low(&mut self) -> Result<bool> {
                Ok(!self.line.is_high()?)
            }

            /// One atomic toggle in the kernel, not a read followed by a write.
            fn toggle(&mut self) -> Result<()> {
                self.line.toggle()
            }
        }
    };
}

output!(Output);
output!(Led);

impl<B: Backend> pwm::ErrorType for Led<B> {
    type Error = Error;
}

impl<B: Backend> SetDutyCycle for Led<B> {
    fn max_duty_cycle(&self) -> u16 {
        duty_max(self.line.max)
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<()> {
        let max = self.max_duty_cycle();
        if duty > max {
            return Err(Error::DutyOutOfRange {
                name: self.line.name.clone(),
                duty,
                max,
            });
        }
        let value = duty_to_brightness(duty, self.line.max);
        self.line.set(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbridge::{BoardInfo, Interface, LineInfo};

    /// A board in memory: relay (output), button (input), status (LED, max 255), plus a
    /// log of the calls, so the tests see which backend operation each trait method uses.
    #[derive(Debug)]
    struct FakeBoard {
        lines: Vec<LineInfo>,
        calls: Vec<String>,
    }

    impl FakeBoard {
        fn new() -> Self {
            FakeBoard {
                lines: vec![
                    LineInfo::new("relay", LineKind::Output, 0, 1),
                    LineInfo::new("button", LineKind::Input, 1, 1),
                    LineInfo::new("status", LineKind::Led, 0, 255),
                    LineInfo::new("future", LineKind::Unknown(9), 0, 1),
                ],
                calls: Vec::new(),
            }
        }
    }

    impl Backend for FakeBoard {
        fn via(&self) -> Interface {
            Interface::Ioctl
        }

        fn board(&mut self) -> kbridge::Result<BoardInfo> {
            unreachable!("the pins never ask for board info")
        }

        fn lines(&mut self) -> kbridge::Result<Vec<LineInfo>> {
            self.calls.push("lines".into());
            Ok(self.lines.clone())
        }

        fn get(&mut self, names: &[&str]) -> kbridge::Result<Vec<u32>> {
            self.calls.push(format!("get {names:?}"));
            names
                .iter()
                .map(|n| kbridge::find(&self.lines, n).map(|l| l.value))
                .collect()
        }

        fn set(&mut self, values: &[(&str, u32)]) -> kbridge::Result<()> {
            self.calls.push(format!("set {values:?}"));
            for &(name, value) in values {
                let line = self.lines.iter_mut().find(|l| l.name == name).unwrap();
                if value > line.max_value {
                    return Err(kbridge::Error::OutOfRange {
                        name: name.into(),
                        value,
                        max: line.max_value,
                    });
                }
                line.value = value;
            }
            Ok(())
        }

        fn toggle(&mut self, names: &[&str]) -> kbridge::Result<()> {
            self.calls.push(format!("toggle {names:?}"));
            for &name in names {
                let line = self.lines.iter_mut().find(|l| l.name == name).unwrap();
                line.value = if line.value == 0 { line.max_value } else { 0 };
            }
            Ok(())
        }
    }

    fn value(board: &FakeBoard, name: &str) -> u32 {
        kbridge::find(&board.lines, name).unwrap().value
    }

    #[test]
    fn output_drives_and_reads_back() {
        let mut relay = Output::with_backend(FakeBoard::new(), "relay").unwrap();
        assert_eq!(
            (relay.name(), relay.kind(), relay.max_value()),
            ("relay", LineKind::Output, 1)
        );
        relay.set_high().unwrap();
        assert_eq!(value(relay.backend_mut(), "relay"), 1);
        assert!(relay.is_set_high().unwrap());
        assert!(
            relay.is_high().unwrap(),
            "InputPin on an output reads the driven value"
        );
        relay.toggle().unwrap();
        assert_eq!(value(relay.backend_mut(), "relay"), 0);
        assert!(relay.is_set_low().unwrap());
        relay.set_state(true.into()).unwrap();
        assert_eq!(value(relay.backend_mut(), "relay"), 1);
        relay.set_low().unwrap();
        let board = relay.into_backend();
        assert_eq!(value(&board, "relay"), 0);
        // Toggle is the backend's (atomic) toggle, one call, not get + set.
        assert!(board.calls.iter().any(|c| c == "toggle [\"relay\"]"));
        assert_eq!(
            board.calls.iter().filter(|c| c.starts_with("set")).count(),
            3
        );
    }

    #[test]
    fn led_as_output_means_full_brightness() {
        let mut led = Output::with_backend(FakeBoard::new(), "status").unwrap();
        led.set_high().unwrap();
        assert_eq!(value(led.backend_mut(), "status"), 255);
        led.toggle().unwrap();
        assert_eq!(value(led.backend_mut(), "status"), 0);
    }

    #[test]
    fn led_duty_cycle_is_brightness() {
        let mut led = Led::with_backend(FakeBoard::new(), "status").unwrap();
        assert_eq!(led.max_duty_cycle(), 255);
        assert_eq!(led.max_brightness(), 255);
        led.set_duty_cycle(100).unwrap();
        assert_eq!(led.brightness().unwrap(), 100);
        assert!(
            led.is_set_high().unwrap(),
            "any non-zero brightness is high"
        );
        led.set_duty_cycle_percent(50).unwrap();
        assert_eq!(led.brightness().unwrap(), 127);
        led.set_duty_cycle_fully_on().unwrap();
        assert_eq!(led.brightness().unwrap(), 255);
        led.set_duty_cycle_fully_off().unwrap();
        assert!(led.is_low().unwrap());
        match led.set_duty_cycle(256) {
            Err(Error::DutyOutOfRange {
                duty: 256,
                max: 255,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(led.brightness().unwrap(), 0, "refused duty changes nothing");
        led.set_brightness(7).unwrap();
        assert_eq!(led.brightness().unwrap(), 7);
    }

    #[test]
    fn large_led_maxima_are_scaled() {
        assert_eq!(duty_to_brightness(0, 1_000_000), 0);
        assert_eq!(duty_to_brightness(u16::MAX, 1_000_000), 1_000_000);
        assert_eq!(duty_to_brightness(32768, 1_000_000), 500_007);
        assert_eq!(duty_max(1_000_000), u16::MAX);
        assert_eq!(duty_to_brightness(1, 1), 1);
        assert_eq!(duty_to_brightness(0, 0), 0);
    }

    #[test]
    fn input_reads_any_known_kind() {
        let mut button = Input::with_backend(FakeBoard::new(), "button").unwrap();
        assert!(button.is_high().unwrap());
        assert!(!button.is_low().unwrap());
        let mut relay = Input::with_backend(FakeBoard::new(), "relay").unwrap();
        assert!(relay.is_low().unwrap());
        let mut status = Input::with_backend(FakeBoard::new(), "status").unwrap();
        assert!(status.is_low().unwrap());
    }

    #[test]
    fn wrong_kinds_fail_at_open() {
        match Output::with_backend(FakeBoard::new(), "button") {
            Err(Error::WrongKind {
                kind: LineKind::Input,
                pin: "Output",
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Led::with_backend(FakeBoard::new(), "relay"),
            Err(Error::WrongKind {
                kind: LineKind::Output,
                ..
            })
        ));
        assert!(matches!(
            Input::with_backend(FakeBoard::new(), "future"),
            Err(Error::WrongKind {
                kind: LineKind::Unknown(9),
                ..
            })
        ));
        match Output::with_backend(FakeBoard::new(), "relai") {
            Err(Error::Kbridge(kbridge::Error::UnknownLine { suggestion, .. })) => {
                assert_eq!(suggestion.as_deref(), Some("relay"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backend_errors_pass_through() {
        let mut led = Led::with_backend(FakeBoard::new(), "status").unwrap();
        let err = led.set_brightness(300).unwrap_err();
        assert!(matches!(
            err.as_kbridge(),
            Some(kbridge::Error::OutOfRange {
                value: 300,
                max: 255,
                ..
            })
        ));
        assert_eq!(led.brightness().unwrap(), 0);
    }
}
