//! [embedded-hal] 1.0 traits for kbridge lines, opened by name.
//!
//! A kbridge board's lines (GPIO outputs, GPIO inputs, LEDs) become embedded-hal pins, so a
//! driver written against `embedded_hal::digital` (or `embedded_hal::pwm` for LED brightness)
//! runs unchanged on a Linux board through the kbridge kernel module.
//!
//! | type | lines it opens | traits |
//! |---|---|---|
//! | [`Output`] | outputs, LEDs | `OutputPin`, `StatefulOutputPin`, `InputPin` (driven value) |
//! | [`Led`] | LEDs | as [`Output`], plus `pwm::SetDutyCycle` (duty = brightness) |
//! | [`Input`] | inputs, outputs, LEDs | `InputPin`; `embedded_hal_async::digital::Wait` (feature `async`) |
//!
//! Opening a line of the wrong kind ([`Output`] on an input, [`Led`] on a GPIO) fails at open
//! time with [`Error::WrongKind`]. Values are *logical*: high means active, also on an
//! active-low line. High on an LED is its maximum brightness; an LED reads high at any
//! non-zero brightness.
//!
//! Each pin owns a [`kbridge::Backend`] and a line handle prepared once by name, so every
//! operation is the backend's allocation-free fast path. The default is the ioctl backend
//! ([`IoctlBackend`]) with the shared page mapped for reads: a read is a few loads from the
//! page (`GET_VALUES` where it cannot be mapped), a write one `SET_BITS` (`SET_VALUES` for a
//! brightness, or on a module without `SET_BITS`), a toggle the kernel's atomic `TOGGLE`.
//! Any other backend that can read and write lines works too ([`Output::with_backend`]).
//!
//! ```no_run
//! use embedded_hal::digital::{InputPin, OutputPin, StatefulOutputPin};
//! use kbridge_hal::{Input, Output};
//!
//! let mut relay = Output::open("relay")?;
//! relay.set_high()?;
//! relay.toggle()?;
//! let mut button = Input::open("button")?;
//! if button.is_high()? {
//!     relay.set_low()?;
//! }
//! # Ok::<(), kbridge_hal::Error>(())
//! ```
//!
//! With the `async` feature, [`Input`] implements `embedded_hal_async::digital::Wait` on the
//! kbridge event stream ([`kbridge::AsyncEventStream`]); its futures need a tokio runtime
//! with I/O enabled.
//!
//! [embedded-hal]: https://docs.rs/embedded-hal/1

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod delay;
mod error;
mod pin;
#[cfg(feature = "async")]
mod wait;

pub use delay::Delay;
pub use error::{Error, Result};
pub use kbridge::{Backend, Config, Interface, IoctlBackend, LineKind};
pub use pin::{Input, Led, Output};
