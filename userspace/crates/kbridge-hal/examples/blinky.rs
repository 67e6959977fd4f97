//! Blinks a kbridge line, with a driver written only against embedded-hal traits.
//!
//! ```text
//! blinky [LINE] [TIMES] [PERIOD_MS]      (defaults: status 5 500)
//! ```
//!
//! `blink` knows nothing about kbridge: any `OutputPin` and `DelayNs` will do. `main` opens
//! the line by name through kbridge's ioctl backend (an output or an LED; an input is refused
//! at open time) and hands it over with a std sleeping delay.

use std::process::ExitCode;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;

/// Drives `pin` high then low `times` times, one `period_ms` per cycle; ends low.
fn blink<P: OutputPin, D: DelayNs>(
    pin: &mut P,
    delay: &mut D,
    times: u32,
    period_ms: u32,
) -> Result<(), P::Error> {
    for _ in 0..times {
        pin.set_high()?;
        delay.delay_ms(period_ms / 2);
        pin.set_low()?;
        delay.delay_ms(period_ms - period_ms / 2);
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let line = args.first().map_or("status", String::as_str);
    let number = |i: usize, default: u32| -> Result<u32, String> {
        args.get(i).map_or(Ok(default), |s| {
            s.parse().map_err(|_| format!("not a number: `{s}`"))
        })
    };
    let (times, period_ms) = match (number(1, 5), number(2, 500)) {
        (Ok(t), Ok(p)) => (t, p),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("blinky: {e}\nusage: blinky [LINE] [TIMES] [PERIOD_MS]");
            return ExitCode::from(2);
        }
    };
    let mut pin = match kbridge_hal::Output::open(line) {
        Ok(pin) => pin,
        Err(e) => {
            eprintln!("blinky: {e}");
            return ExitCode::FAILURE;
        }
    };
    match blink(&mut pin, &mut kbridge_hal::Delay, times, period_ms) {
        Ok(()) => {
            println!("blinked {line} {times} times");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("blinky: {e}");
            ExitCode::FAILURE
        }
    }
}
