//! `hal`: the embedded-hal traits of kbridge-hal driving the real lines of the emulated board,
//! each result checked on the hardware side: gpio-sim's own sysfs `value` for GPIOs, the LED
//! class `brightness` for LEDs, and input edges made with gpio-sim's `pull`.
//!
//! Board (conf/dts/qemu-board.dtso), gpio-sim bank A: line 0 relay, 2 LED status, 4 button.

use std::fmt::Display;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use embedded_hal::digital::{InputPin, OutputPin, StatefulOutputPin};
use embedded_hal::pwm::SetDutyCycle;
use embedded_hal_async::digital::Wait;
use kbridge_hal::{Error, Input, Led, LineKind, Output};

use crate::report::Report;

const GPIO_SIM: &str = "/sys/devices/platform/gpio-sim";
const STATUS_BRIGHTNESS: &str = "/sys/class/leds/board:green:status/brightness";
const SIM_RELAY: u32 = 0;
const SIM_BUTTON: u32 = 4;
/// How long a hardware change may take to show (gpio-sim irq -> kbridge).
const SETTLE: Duration = Duration::from_secs(2);
/// How long a wait that should resolve may take before the case fails.
const WAIT_LIMIT: Duration = Duration::from_secs(5);
/// How long the helper thread waits before making the edge.
const EDGE_DELAY: Duration = Duration::from_millis(300);

type Check = Result<(), String>;

fn fail(what: impl Display) -> String {
    what.to_string()
}

/// gpio-sim's directory for bank A line `line` (the chip holding `sim_gpio0`).
fn sim_line(line: u32) -> Result<PathBuf, String> {
    let entries = fs::read_dir(GPIO_SIM).map_err(|e| format!("{GPIO_SIM}: {e}"))?;
    for entry in entries.flatten() {
        let chip = entry.path();
        let is_chip = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with("gpiochip"));
        if is_chip && chip.join("sim_gpio0").is_dir() {
            return Ok(chip.join(format!("sim_gpio{line}")));
        }
    }
    Err(format!("no gpio-sim chip with sim_gpio0 under {GPIO_SIM}"))
}

fn read_trim(path: &Path) -> Result<String, String> {
    fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn expect_file(path: &Path, want: &str, after: &str) -> Check {
    let got = read_trim(path)?;
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{} is {got} after {after}, expected {want}",
            path.display()
        ))
    }
}

fn pull(button_sim: &Path, how: &str) -> Check {
    let path = button_sim.join("pull");
    fs::write(&path, how).map_err(|e| format!("{} <- {how}: {e}", path.display()))
}

/// Polls `pin` until it reads `high` (the gpio-sim interrupt takes a moment).
fn settle<P: InputPin>(pin: &mut P, high: bool) -> Check
where
    P::Error: std::fmt::Debug,
{
    let start = Instant::now();
    loop {
        let now = pin.is_high().map_err(|e| format!("is_high: {e:?}"))?;
        if now == high {
            return Ok(());
        }
        if start.elapsed() > SETTLE {
            return Err(format!("input still reads {now} after {SETTLE:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub(crate) fn run(r: &mut Report) {
    let sim_relay = match sim_line(SIM_RELAY) {
        Ok(p) => p,
        Err(e) => {
            r.fail("gpio-sim", e);
            return;
        }
    };
    let sim_button = sim_relay.with_file_name(format!("sim_gpio{SIM_BUTTON}"));
    r.check("open-wrong-kind", open_wrong_kind());
    r.check("relay-output", relay_output(&sim_relay.join("value")));
    r.check(
        "relay-stateful-toggle",
        relay_toggle(&sim_relay.join("value")),
    );
    r.check("led-output", led_output());
    r.check("led-duty-cycle", led_duty());
    r.check("button-input", button_input(&sim_button));
    r.check("op-latency", op_latency());
    match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt.block_on(waits(r, &sim_button)),
        Err(e) => r.fail("wait-runtime", e),
    }
    // Leave the board as the other tests expect it.
    let _ = pull(&sim_button, "pull-down");
    let _ = Output::open("relay").and_then(|mut p| p.set_low());
    let _ = Output::open("status").and_then(|mut p| p.set_low());
}

fn open_wrong_kind() -> Check {
    match Output::open("button") {
        Err(Error::WrongKind {
            kind: LineKind::Input,
            ..
        }) => {}
        other => return Err(format!("Output::open(button): {other:?}")),
    }
    match Led::open("relay") {
        Err(Error::WrongKind {
            kind: LineKind::Output,
            ..
        }) => {}
        other => return Err(format!("Led::open(relay): {other:?}")),
    }
    match Output::open("relai") {
        Err(Error::Kbridge(kbridge::Error::UnknownLine { suggestion, .. }))
            if suggestion.as_deref() == Some("relay") => {}
        other => return Err(format!("Output::open(relai): {other:?}")),
    }
    Ok(())
}

fn relay_output(value: &Path) -> Check {
    let mut relay = Output::open("relay").map_err(fail)?;
    relay.set_high().map_err(fail)?;
    expect_file(value, "1", "set_high")?;
    // InputPin on an output line reports the driven value, through a separate pin too.
    let mut read_back = Input::open("relay").map_err(fail)?;
    if !read_back.is_high().map_err(fail)? || !relay.is_high().map_err(fail)? {
        return Err("InputPin on the relay does not read the driven 1".into());
    }
    relay.set_low().map_err(fail)?;
    expect_file(value, "0", "set_low")?;
    if !read_back.is_low().map_err(fail)? {
        return Err("InputPin on the relay does not read the driven 0".into());
    }
    Ok(())
}

fn relay_toggle(value: &Path) -> Check {
    let mut relay = Output::open("relay").map_err(fail)?;
    relay.set_low().map_err(fail)?;
    if !relay.is_set_low().map_err(fail)? {
        return Err("is_set_low false after set_low".into());
    }
    relay.toggle().map_err(fail)?;
    expect_file(value, "1", "toggle from low")?;
    if !relay.is_set_high().map_err(fail)? {
        return Err("is_set_high false after toggle from low".into());
    }
    relay.toggle().map_err(fail)?;
    expect_file(value, "0", "toggle from high")?;
    if relay.is_set_high().map_err(fail)? {
        return Err("is_set_high true after toggle from high".into());
    }
    Ok(())
}

fn led_output() -> Check {
    let brightness = Path::new(STATUS_BRIGHTNESS);
    let mut led = Output::open("status").map_err(fail)?;
    led.set_high().map_err(fail)?;
    // On = the LED's maximum brightness (1 for this leds-gpio LED).
    expect_file(brightness, &led.max_value().to_string(), "set_high")?;
    led.set_low().map_err(fail)?;
    expect_file(brightness, "0", "set_low")?;
    led.toggle().map_err(fail)?;
    expect_file(brightness, &led.max_value().to_string(), "toggle")?;
    led.toggle().map_err(fail)?;
    expect_file(brightness, "0", "second toggle")
}

fn led_duty() -> Check {
    let brightness = Path::new(STATUS_BRIGHTNESS);
    let mut led = Led::open("status").map_err(fail)?;
    let max = led.max_duty_cycle();
    if u32::from(max) != led.max_brightness() || max == 0 {
        return Err(format!(
            "max_duty_cycle {max} vs max brightness {}",
            led.max_brightness()
        ));
    }
    led.set_duty_cycle(max).map_err(fail)?;
    expect_file(brightness, &max.to_string(), "set_duty_cycle(max)")?;
    match led.set_duty_cycle(max + 1) {
        Err(Error::DutyOutOfRange { .. }) => {}
        other => return Err(format!("set_duty_cycle(max + 1): {other:?}")),
    }
    expect_file(brightness, &max.to_string(), "a refused duty cycle")?;
    led.set_duty_cycle_fully_off().map_err(fail)?;
    expect_file(brightness, "0", "set_duty_cycle_fully_off")
}

/// Mean cost of one OutputPin write and one InputPin read on the relay (one ioctl each);
/// printed, and failed only if absurd (over 20 ms per operation: the debug lane's KASAN and
/// lockdep already make a write cost about 2 ms under emulation).
fn op_latency() -> Check {
    const N: u32 = 2000;
    let mut relay = Output::open("relay").map_err(fail)?;
    let start = Instant::now();
    for i in 0..N {
        relay.set_state((i % 2 == 0).into()).map_err(fail)?;
    }
    let write = start.elapsed() / N;
    let start = Instant::now();
    for _ in 0..N {
        relay.is_set_high().map_err(fail)?;
    }
    let read = start.elapsed() / N;
    relay.set_low().map_err(fail)?;
    println!(
        "# op latency (ioctl backend, mean of {N}): set_state {} us, is_set_high {} us",
        write.as_micros(),
        read.as_micros()
    );
    let limit = Duration::from_millis(20);
    if write > limit || read > limit {
        return Err(format!("write {write:?} / read {read:?} per operation"));
    }
    Ok(())
}

fn button_input(sim_button: &Path) -> Check {
    let mut button = Input::open("button").map_err(fail)?;
    pull(sim_button, "pull-up")?;
    settle(&mut button, true)?;
    pull(sim_button, "pull-down")?;
    settle(&mut button, false)?;
    if !button.is_low().map_err(fail)? {
        return Err("is_low false on a pulled-down button".into());
    }
    Ok(())
}

/// Pulls the button from another thread: each of `pulls` after a further [`EDGE_DELAY`].
/// Returns when the last pull started.
fn pull_later(
    sim_button: &Path,
    pulls: &'static [&'static str],
) -> std::thread::JoinHandle<Result<Option<Instant>, String>> {
    let sim_button = sim_button.to_owned();
    std::thread::spawn(move || {
        let mut last = None;
        for how in pulls {
            std::thread::sleep(EDGE_DELAY);
            last = Some(Instant::now());
            pull(&sim_button, how)?;
        }
        Ok(last)
    })
}

/// Runs one wait while a helper thread makes `pulls`; it must resolve after the last one and
/// not before. Prints the time from the start of the last pull's sysfs write to the wait's
/// end: the wake-up latency (gpio-sim interrupt, kbridge event, epoll, tokio, Wait).
async fn wait_for_edge<F>(sim_button: &Path, pulls: &'static [&'static str], wait: F) -> Check
where
    F: std::future::Future<Output = Result<(), Error>>,
{
    let start = Instant::now();
    let last = EDGE_DELAY * u32::try_from(pulls.len()).unwrap_or(u32::MAX);
    let helper = pull_later(sim_button, pulls);
    let res = tokio::time::timeout(WAIT_LIMIT, wait).await;
    let end = Instant::now();
    let took = end - start;
    let last_pull = helper
        .join()
        .map_err(|_| "helper thread panicked".to_owned())??;
    match res {
        Err(_) => Err(format!("not resolved within {WAIT_LIMIT:?} of {pulls:?}")),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(())) if took < last => Err(format!(
            "resolved after {took:?}, before the last of {pulls:?} ({last:?})"
        )),
        Ok(Ok(())) => {
            if let Some(pulled) = last_pull {
                let us = end.saturating_duration_since(pulled).as_micros();
                println!("# wait latency: {us} us from the pull to the wait's end");
            }
            Ok(())
        }
    }
}

async fn waits(r: &mut Report, sim_button: &Path) {
    let mut button = match Input::open("button") {
        Ok(b) => b,
        Err(e) => {
            r.fail("wait-open", e);
            return;
        }
    };
    let settled = pull(sim_button, "pull-down").and_then(|()| settle(&mut button, false));
    if let Err(e) = settled {
        r.fail("wait-setup", e);
        return;
    }

    let c = wait_for_edge(sim_button, &["pull-up"], button.wait_for_rising_edge()).await;
    r.check("wait-rising-edge", c);

    // The button is high now: wait_for_high returns at once (level checked first) ...
    let c = match tokio::time::timeout(Duration::from_secs(1), button.wait_for_high()).await {
        Ok(res) => res.map_err(fail),
        Err(_) => Err("wait_for_high on a high button did not return at once".into()),
    };
    r.check("wait-high-immediate", c);
    // ... but a rising edge needs an edge: a high level alone must not end the wait.
    let c = match tokio::time::timeout(Duration::from_millis(500), button.wait_for_rising_edge())
        .await
    {
        Err(_) => Ok(()),
        Ok(res) => Err(format!("resolved without an edge: {res:?}")),
    };
    r.check("wait-rising-needs-edge", c);

    let c = wait_for_edge(sim_button, &["pull-down"], button.wait_for_falling_edge()).await;
    r.check("wait-falling-edge", c);

    let c = match tokio::time::timeout(Duration::from_secs(1), button.wait_for_low()).await {
        Ok(res) => res.map_err(fail),
        Err(_) => Err("wait_for_low on a low button did not return at once".into()),
    };
    r.check("wait-low-immediate", c);

    let c = wait_for_edge(sim_button, &["pull-up"], button.wait_for_high()).await;
    r.check("wait-high-after-edge", c);
    let c = wait_for_edge(sim_button, &["pull-down"], button.wait_for_any_edge()).await;
    r.check("wait-any-edge", c);
    // Low now. An edge wait skips the opposite edge: up then down ends a falling wait only
    // at the second pull; and, from high, down then up ends a rising wait at the second.
    let c = wait_for_edge(
        sim_button,
        &["pull-up", "pull-down"],
        button.wait_for_falling_edge(),
    )
    .await;
    r.check("wait-falling-skips-rising", c);
    let settled = pull(sim_button, "pull-up").and_then(|()| settle(&mut button, true));
    let c = match settled {
        Ok(()) => {
            wait_for_edge(
                sim_button,
                &["pull-down", "pull-up"],
                button.wait_for_rising_edge(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    r.check("wait-rising-skips-falling", c);
}
