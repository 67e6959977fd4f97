//! What happens around the workers: the board is unbound and bound, its GPIO and LED
//! providers come and go, inputs see pull storms, an LED trigger takes an LED over, the BPF
//! program is attached and detached, and the module is unloaded and loaded again while no
//! file is open.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use nix::errno::Errno;

use crate::rng::Rng;
use crate::stats::Stats;

const PLATFORM: &str = "/sys/bus/platform/drivers";
const LED: &str = "/sys/class/leds/board:green:status/trigger";
/// Exists while an rmmod is pending: the child processes (which can't see `Shared`) stop
/// opening files while it does.
pub(crate) const UNLOAD_PENDING: &str = "/tmp/kbridge-fuzz.unload";

/// Shared with the workers and the watcher.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Odd while the board is being taken down or brought up (the watcher then doesn't
    /// compare sequence numbers: a new board starts again at 0).
    pub(crate) generation: AtomicU64,
    /// Set before an rmmod: workers close the files they keep open.
    pub(crate) unload_pending: AtomicBool,
    /// Workers hold it for reading around each operation; the rmmod takes it for writing.
    pub(crate) module: RwLock<()>,
    pub(crate) stop: AtomicBool,
}

fn write(path: &str, what: &str) -> Result<(), Errno> {
    std::fs::write(path, what).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))
}

fn bound() -> bool {
    Path::new("/dev/kbridge").exists() && Path::new(&format!("{PLATFORM}/kbridge/kbridge")).exists()
}

/// Waits up to 3 s for the board to be bound (the driver core re-probes it once its
/// suppliers are back); binds it if it isn't.
/// Runs insmod once the previous load is gone from sysfs. Under
/// CONFIG_DEBUG_KOBJECT_RELEASE (the 6.12-debug lane) kobjects are released
/// 1 to 4 s after their last put: the old driver directory can outlive rmmod,
/// and registering the driver again then fails with EEXIST (and a kobject
/// warning on the console). Waits at most 10 s, then tries anyway.
fn insmod(module: &str) -> Result<(), Errno> {
    for _ in 0..100 {
        if !Path::new(&format!("{PLATFORM}/kbridge")).exists()
            && !Path::new("/sys/module/kbridge").exists()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("insmod")
        .arg(module)
        .status()
        .map_err(|_| Errno::ENOENT)
        .and_then(|s| if s.success() { Ok(()) } else { Err(Errno::EIO) })
}

fn settle() -> Result<(), Errno> {
    for i in 0..30 {
        if bound() {
            return Ok(());
        }
        if i == 5 {
            let _ = write(&format!("{PLATFORM}/kbridge/bind"), "kbridge");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(Errno::ETIMEDOUT)
}

/// The gpio-sim line directories of the input lines (button, door).
fn input_pulls() -> Vec<String> {
    let mut v = Vec::new();
    if let Ok(chips) = std::fs::read_dir("/sys/devices/platform/gpio-sim") {
        for c in chips.flatten() {
            for l in ["sim_gpio3", "sim_gpio4"] {
                let p = c.path().join(l).join("pull");
                if p.exists() {
                    v.push(p.to_string_lossy().into_owned());
                }
            }
        }
    }
    v
}

fn kbridge_cli(args: &[&str]) -> Result<(), Errno> {
    let st = Command::new("kbridge")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|_| Errno::ENOENT)?;
    if st.success() {
        Ok(())
    } else {
        Err(Errno::EIO)
    }
}

/// Runs until `shared.stop`; leaves the board bound, suppliers bound, no trigger, BPF
/// detached and the module loaded.
pub(crate) fn run(shared: &Shared, seed: u64, module: &str, st: &mut Stats) {
    let mut rng = Rng::new(seed ^ 0xc4a0_5c4a_05c4_a05c);
    let pulls = input_pulls();
    let mut bpf = false;
    while !shared.stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50 + rng.below(200)));
        match rng.below(16) {
            0..=2 => {
                shared.generation.fetch_add(1, Ordering::SeqCst);
                let r = write(&format!("{PLATFORM}/kbridge/unbind"), "kbridge");
                st.record("chaos-unbind", &r);
                std::thread::sleep(Duration::from_millis(rng.below(100)));
                let r =
                    write(&format!("{PLATFORM}/kbridge/bind"), "kbridge").and_then(|()| settle());
                st.record("chaos-bind", &r);
                shared.generation.fetch_add(1, Ordering::SeqCst);
            }
            3 | 4 => {
                // A provider goes away under the board. The LEDs' GPIOs are on gpio-sim
                // too: leds-gpio is unbound before gpio-sim and bound after it, as a
                // device link would order them. (Unbinding gpio-sim under a bound
                // leds-gpio makes 6.12's gpiolib leak the consumer labels when leds-gpio
                // later lets go: gpiod_free_commit() skips desc_set_label(NULL) once the
                // chip is gone and gpiodev_release() frees the descriptors without their
                // labels. That is the kernel's, not kbridge's; kmemleak would report it.)
                let sim = rng.chance(50);
                let devs: &[(&str, &str)] = if sim {
                    &[("leds-gpio", "leds"), ("gpio-sim", "gpio-sim")]
                } else {
                    &[("leds-gpio", "leds")]
                };
                shared.generation.fetch_add(1, Ordering::SeqCst);
                for (drv, dev) in devs {
                    let r = write(&format!("{PLATFORM}/{drv}/unbind"), dev);
                    st.record("chaos-supplier-unbind", &r);
                }
                std::thread::sleep(Duration::from_millis(rng.below(100)));
                for (drv, dev) in devs.iter().rev() {
                    let r = write(&format!("{PLATFORM}/{drv}/bind"), dev);
                    st.record("chaos-supplier-bind", &r);
                }
                let r = settle();
                st.record("chaos-settle", &r);
                shared.generation.fetch_add(1, Ordering::SeqCst);
            }
            5..=8 => {
                for _ in 0..20 {
                    if let Some(p) = rng.pick(&pulls) {
                        let dir = if rng.chance(50) {
                            "pull-up"
                        } else {
                            "pull-down"
                        };
                        let r = write(p, dir);
                        st.record("chaos-pull", &r);
                    }
                }
            }
            9 | 10 => {
                let r = write(LED, "timer");
                st.record("chaos-trigger", &r);
                std::thread::sleep(Duration::from_millis(rng.below(300)));
                let r = write(LED, "none");
                st.record("chaos-trigger", &r);
            }
            11 | 12 => {
                let r = if bpf {
                    kbridge_cli(&["bpf", "detach"])
                } else {
                    kbridge_cli(&["bpf", "attach"])
                };
                if r.is_ok() {
                    bpf = !bpf;
                }
                st.record("chaos-bpf", &r);
            }
            _ => {
                // rmmod/insmod: only with no kbridge file open anywhere in this process.
                if bpf && kbridge_cli(&["bpf", "detach"]).is_ok() {
                    bpf = false;
                }
                shared.unload_pending.store(true, Ordering::SeqCst);
                let _ = std::fs::write(UNLOAD_PENDING, "");
                std::thread::sleep(Duration::from_millis(150));
                let guard = shared.module.write();
                shared.generation.fetch_add(1, Ordering::SeqCst);
                let mut r = Err(Errno::EBUSY);
                for _ in 0..5 {
                    r = Command::new("rmmod")
                        .arg("kbridge")
                        .stderr(std::process::Stdio::null())
                        .status()
                        .map_err(|_| Errno::ENOENT)
                        .and_then(|s| {
                            if s.success() {
                                Ok(())
                            } else {
                                Err(Errno::EBUSY)
                            }
                        });
                    if r.is_ok() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                st.record("chaos-rmmod", &r);
                if r.is_ok() {
                    let r = insmod(module).and_then(|()| settle());
                    st.record("chaos-insmod", &r);
                }
                shared.generation.fetch_add(1, Ordering::SeqCst);
                drop(guard);
                let _ = std::fs::remove_file(UNLOAD_PENDING);
                shared.unload_pending.store(false, Ordering::SeqCst);
            }
        }
    }
    // Leave everything as the tests expect it.
    let _ = write(LED, "none");
    if bpf {
        let _ = kbridge_cli(&["bpf", "detach"]);
    }
    for (drv, dev) in [("gpio-sim", "gpio-sim"), ("leds-gpio", "leds")] {
        if !Path::new(&format!("{PLATFORM}/{drv}/{dev}")).exists() {
            let _ = write(&format!("{PLATFORM}/{drv}/bind"), dev);
        }
    }
    if !Path::new("/sys/module/kbridge").exists() {
        let _ = insmod(module);
    }
    if settle().is_err() {
        st.violation("the board did not come back after the campaign".to_owned());
    }
}
