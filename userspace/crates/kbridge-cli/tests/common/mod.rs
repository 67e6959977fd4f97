//! What the CLI test files share: a fake tree (`KBRIDGE_ROOT`) of a 3-line board and the
//! helpers that run the real `kbridge` binary against it.

// Each test file is its own crate and uses a part of this module.
#![allow(dead_code)]

#[path = "../../../../test-support/ptest.rs"]
pub(crate) mod ptest;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `/proc/kbridge` of the fake board.
pub(crate) const PROC: &str = "\
abi 1
board test-board lines 3 seq 9
line 0 led0 kind=led value=255 max=255 flags=- changes=4 source=sysfs changed_ns=1500000000
line 1 relay kind=output value=1 max=1 flags=active-low changes=1 source=ioctl changed_ns=2000000000
line 2 button kind=input value=0 max=1 flags=- changes=0 source=init changed_ns=1000
ops procfs=1 sysfs=0 chardev=0 ioctl=3 mmap=0 netlink=0
events delivered=0 dropped=0
";

/// A fake root under the temp dir, removed on drop.
pub(crate) struct Tree(pub(crate) PathBuf);

impl Tree {
    /// An empty root: the module is "not loaded".
    pub(crate) fn empty() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kbridge-cli-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Tree(dir)
    }

    /// A root with /proc/kbridge and the sysfs lines of the same board; no /dev/kbridge.
    pub(crate) fn board() -> Self {
        let t = Tree::empty();
        t.write("proc/kbridge", PROC);
        for (name, kind, value, max, low) in [
            ("led0", "led", 255, 255, 0),
            ("relay", "output", 1, 1, 1),
            ("button", "input", 0, 1, 0),
        ] {
            let d = format!("sys/class/misc/kbridge/device/lines/{name}");
            t.write(&format!("{d}/name"), &format!("{name}\n"));
            t.write(&format!("{d}/kind"), &format!("{kind}\n"));
            t.write(&format!("{d}/value"), &format!("{value}\n"));
            t.write(&format!("{d}/max_value"), &format!("{max}\n"));
            t.write(&format!("{d}/active_low"), &format!("{low}\n"));
        }
        t
    }

    /// Writes `text` to `rel` under the root, creating the directories.
    pub(crate) fn write(&self, rel: &str, text: &str) {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    /// The sysfs `value` file of line `name`.
    pub(crate) fn value(&self, name: &str) -> String {
        fs::read_to_string(
            self.0
                .join(format!("sys/class/misc/kbridge/device/lines/{name}/value")),
        )
        .unwrap()
    }

    /// Runs `kbridge args` against this root.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        kbridge(&self.0, args)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `kbridge args` with `KBRIDGE_ROOT=root`.
pub(crate) fn kbridge(root: &Path, args: &[&str]) -> Output {
    Command::new(ptest::kbridge_bin())
        .args(args)
        .env("KBRIDGE_ROOT", root)
        .output()
        .unwrap()
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}
