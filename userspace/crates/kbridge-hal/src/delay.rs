//! A `DelayNs` for std targets.

use std::time::Duration;

use embedded_hal::delay::DelayNs;

/// [`DelayNs`] by sleeping the calling thread (`std::thread::sleep`): at least the asked time,
/// usually tens of microseconds more on Linux. Meant for blinking and debouncing, not for
/// bit-banging.
#[derive(Clone, Copy, Debug, Default)]
pub struct Delay;

impl DelayNs for Delay {
    fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(Duration::from_nanos(u64::from(ns)));
    }

    fn delay_us(&mut self, us: u32) {
        std::thread::sleep(Duration::from_micros(u64::from(us)));
    }

    fn delay_ms(&mut self, ms: u32) {
        std::thread::sleep(Duration::from_millis(u64::from(ms)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn sleeps_at_least_the_time_asked() {
        let start = Instant::now();
        Delay.delay_ms(20);
        Delay.delay_us(5_000);
        Delay.delay_ns(5_000_000);
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}
