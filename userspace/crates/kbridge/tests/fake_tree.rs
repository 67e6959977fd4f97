//! Backends against a captured/fake tree (`Config::with_root`): procfs and sysfs end to end,
//! and the device backends' error paths without a module.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use kbridge::{Config, Error, Interface, LineKind, Source};

struct TempRoot(PathBuf);

impl TempRoot {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kbridge-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempRoot(dir)
    }

    fn config(&self) -> Config {
        Config::with_root(&self.0)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.0.join(rel)).unwrap()
    }

    fn sysfs_line(&self, name: &str, kind: &str, value: u32, max: u32, active_low: bool) {
        let dir = format!("sys/class/misc/kbridge/device/lines/{name}");
        self.write(&format!("{dir}/name"), &format!("{name}\n"));
        self.write(&format!("{dir}/kind"), &format!("{kind}\n"));
        self.write(&format!("{dir}/value"), &format!("{value}\n"));
        self.write(&format!("{dir}/max_value"), &format!("{max}\n"));
        self.write(
            &format!("{dir}/active_low"),
            if active_low { "1\n" } else { "0\n" },
        );
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A /proc/kbridge captured from the emulated board; built in, so the test also runs as a
/// Yocto ptest, where the source tree is absent.
const PROC_FIXTURE: &str = include_str!("fixtures/proc_kbridge.txt");

#[test]
fn procfs_backend_reads_the_snapshot() {
    let root = TempRoot::new();
    root.write("proc/kbridge", PROC_FIXTURE);
    let mut b = kbridge::open(Interface::Procfs, &root.config()).unwrap();
    assert_eq!(b.via(), Interface::Procfs);
    let board = b.board().unwrap();
    assert_eq!(
        (board.name.as_str(), board.num_lines, board.seq),
        ("qemu-virt", 4, 17)
    );
    assert_eq!(b.get(&["relay", "led0", "relay"]).unwrap(), vec![1, 255, 1]);
    let button = b.line("button").unwrap();
    assert_eq!(button.kind, LineKind::Input);
    assert_eq!(button.last_source, Some(Source::Hardware));
    match b.get(&["realy"]) {
        Err(Error::UnknownLine { name, suggestion }) => {
            assert_eq!(name, "realy");
            assert_eq!(suggestion.as_deref(), Some("relay"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        b.set(&[("led0", 1)]),
        Err(Error::Unsupported {
            via: Interface::Procfs,
            ..
        })
    ));
    assert!(matches!(
        b.toggle(&["led0"]),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(b.events(), Err(Error::Unsupported { .. })));
}

#[test]
fn procfs_backend_reports_garbage_as_protocol_errors() {
    let root = TempRoot::new();
    root.write("proc/kbridge", "hello\n");
    let mut b = kbridge::open(Interface::Procfs, &root.config()).unwrap();
    assert!(matches!(b.lines(), Err(Error::Protocol { .. })));
}

fn sysfs_board() -> TempRoot {
    let root = TempRoot::new();
    root.sysfs_line("led0", "led", 0, 255, false);
    root.sysfs_line("relay", "output", 1, 1, true);
    root.sysfs_line("button", "input", 0, 1, false);
    root
}

#[test]
fn sysfs_backend_lists_in_name_order() {
    let root = sysfs_board();
    let mut b = kbridge::open(Interface::Sysfs, &root.config()).unwrap();
    let lines = b.lines().unwrap();
    let names: Vec<_> = lines.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["button", "led0", "relay"]);
    assert!(lines[2].active_low);
    assert_eq!(lines[1].max_value, 255);
    assert_eq!(
        lines[1].changes, None,
        "sysfs does not report change counters"
    );
    assert!(matches!(b.board(), Err(Error::Unsupported { .. })));
}

#[test]
fn sysfs_backend_writes_values() {
    let root = sysfs_board();
    let value =
        |name: &str| root.read(&format!("sys/class/misc/kbridge/device/lines/{name}/value"));
    let mut b = kbridge::open(Interface::Sysfs, &root.config()).unwrap();
    b.set(&[("led0", 128)]).unwrap();
    assert_eq!(value("led0"), "128\n");
    b.set(&[("led0", 7), ("relay", 0)]).unwrap();
    assert_eq!(
        (value("led0"), value("relay")),
        ("7\n".into(), "0\n".into())
    );
    b.toggle(&["relay"]).unwrap();
    assert_eq!(value("relay"), "1\n");
    b.toggle(&["led0", "relay"]).unwrap();
    assert_eq!(
        (value("led0"), value("relay")),
        ("0\n".into(), "0\n".into())
    );
    b.toggle(&["led0"]).unwrap();
    assert_eq!(value("led0"), "255\n");
    assert_eq!(b.get(&["led0", "relay"]).unwrap(), vec![255, 0]);
}

#[test]
fn sysfs_backend_checks_multi_line_requests_before_writing() {
    let root = sysfs_board();
    let mut b = kbridge::open(Interface::Sysfs, &root.config()).unwrap();
    assert!(matches!(
        b.set(&[("led0", 1), ("button", 1)]),
        Err(Error::NotWritable { .. })
    ));
    assert!(matches!(
        b.set(&[("led0", 1), ("relay", 2)]),
        Err(Error::OutOfRange { max: 1, .. })
    ));
    assert!(matches!(
        b.set(&[("led0", 1), ("led0", 2)]),
        Err(Error::DuplicateLine { .. })
    ));
    assert!(matches!(
        b.toggle(&["button"]),
        Err(Error::NotWritable { .. })
    ));
    assert_eq!(b.get(&["led0"]).unwrap(), vec![0], "nothing was written");
    match b.set(&[("led", 1)]) {
        Err(Error::UnknownLine { suggestion, .. }) => {
            assert_eq!(suggestion.as_deref(), Some("led0"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        b.get(&["../led0"]),
        Err(Error::InvalidName { .. })
    ));
}

#[test]
fn missing_module_is_not_loaded() {
    let root = TempRoot::new();
    for via in [
        Interface::Procfs,
        Interface::Sysfs,
        Interface::Chardev,
        Interface::Ioctl,
        Interface::Mmap,
    ] {
        match kbridge::open(via, &root.config()) {
            Err(Error::NotLoaded { via: v, .. }) => assert_eq!(v, via),
            Err(other) => panic!("{via}: {other:?}"),
            Ok(_) => panic!("{via}: opened"),
        }
    }
}

#[test]
fn netlink_without_the_family_is_not_loaded() {
    // The build host has no kbridge module: the family does not resolve. (A sandbox without
    // generic netlink sockets fails earlier, opening the socket.)
    let root = TempRoot::new();
    let err = kbridge::open(Interface::Netlink, &root.config())
        .err()
        .unwrap();
    match &err {
        Error::NotLoaded { path, .. } => {
            assert!(path.to_string_lossy().contains("family kbridge"), "{err}")
        }
        Error::Os { op, .. } => assert!(op.contains("socket"), "{err}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.via(), Some(Interface::Netlink));
}

#[test]
fn bpf_needs_the_module_then_an_attached_program() {
    let root = TempRoot::new();
    let err = kbridge::open(Interface::Bpf, &root.config()).err().unwrap();
    assert!(matches!(err, Error::NotLoaded { .. }), "{err:?}");
    root.write("dev/kbridge", "a device");
    let err = kbridge::open(Interface::Bpf, &root.config()).err().unwrap();
    assert!(matches!(err, Error::BpfNotAttached { .. }), "{err:?}");
    assert!(err.to_string().contains("kbridge bpf attach"), "{err}");
    assert_eq!(err.via(), Some(Interface::Bpf));
    assert!(matches!(
        kbridge::bpf::detach(&root.config()),
        Err(Error::BpfNotAttached { .. })
    ));
    let status = kbridge::bpf::status(&root.config());
    if let Ok(s) = status {
        assert!(!s.attached && s.pinned.is_empty() && s.stats.is_none());
    }
}

#[test]
fn a_device_that_is_not_kbridge_fails_cleanly() {
    let root = TempRoot::new();
    root.write("dev/kbridge", "not a device");
    let mut b = kbridge::open(Interface::Ioctl, &root.config()).unwrap();
    let err = b.board().unwrap_err();
    assert_eq!(err.errno(), Some(25), "{err}"); // ENOTTY
    assert!(kbridge::open(Interface::Mmap, &root.config()).is_err());
    let mut c = kbridge::open(Interface::Chardev, &root.config()).unwrap();
    assert!(matches!(c.lines(), Err(Error::Unsupported { .. })));
}
