//! Mirrors a button onto an LED: the LED is on while the button is high.
//!
//! ```text
//! button_led [BUTTON] [LED] [CHANGES]    (defaults: button status, run forever)
//! ```
//!
//! With the `async` feature the button is waited on with
//! `embedded_hal_async::digital::Wait::wait_for_any_edge` on a tokio current-thread runtime
//! (woken by the kernel's events, no polling); without it, the button is polled every 10 ms
//! with `InputPin::is_high`. Stops after `CHANGES` button changes if given.

use std::process::ExitCode;

use embedded_hal::digital::{InputPin, OutputPin};
use kbridge_hal::{Input, Output};

/// Sets `led` to `button`'s level.
fn mirror<I: InputPin, O: OutputPin>(button: &mut I, led: &mut O) -> Result<bool, String> {
    let high = button.is_high().map_err(|e| format!("{e:?}"))?;
    led.set_state(high.into()).map_err(|e| format!("{e:?}"))?;
    Ok(high)
}

#[cfg(feature = "async")]
fn run(button: &mut Input, led: &mut Output, changes: Option<u32>) -> Result<(), String> {
    use embedded_hal_async::digital::Wait;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    rt.block_on(async {
        mirror(button, led)?;
        let mut seen = 0;
        while changes.is_none_or(|n| seen < n) {
            button
                .wait_for_any_edge()
                .await
                .map_err(|e| e.to_string())?;
            let high = mirror(button, led)?;
            println!("button {}", if high { "high" } else { "low" });
            seen += 1;
        }
        Ok(())
    })
}

#[cfg(not(feature = "async"))]
fn run(button: &mut Input, led: &mut Output, changes: Option<u32>) -> Result<(), String> {
    use embedded_hal::delay::DelayNs;

    let mut last = mirror(button, led)?;
    let mut seen = 0;
    while changes.is_none_or(|n| seen < n) {
        kbridge_hal::Delay.delay_ms(10);
        let high = mirror(button, led)?;
        if high != last {
            println!("button {}", if high { "high" } else { "low" });
            last = high;
            seen += 1;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let button_name = args.first().map_or("button", String::as_str);
    let led_name = args.get(1).map_or("status", String::as_str);
    let changes = match args.get(2).map(|s| s.parse::<u32>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            eprintln!("usage: button_led [BUTTON] [LED] [CHANGES]");
            return ExitCode::from(2);
        }
    };
    let opened = Input::open(button_name).and_then(|b| Ok((b, Output::open(led_name)?)));
    let (mut button, mut led) = match opened {
        Ok(pins) => pins,
        Err(e) => {
            eprintln!("button_led: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&mut button, &mut led, changes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("button_led: {e}");
            ExitCode::FAILURE
        }
    }
}
