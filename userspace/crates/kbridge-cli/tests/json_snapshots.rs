//! Every JSON document shape of `kbridge --json`, compared with the files in
//! `tests/snapshots/` (schema `kbridge/2`, see docs/cli.md). Runs the real binary against a
//! fake tree (`KBRIDGE_ROOT`); timings are zeroed and the tree's path becomes `<root>`.
//!
//! A deliberate change of a document: `KBRIDGE_BLESS=1 cargo test -p kbridge-cli --test
//! json_snapshots`, review the diff, and bump the schema if a field was removed, renamed or
//! changed meaning.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

use common::{code, Tree};

impl Tree {
    /// [`Tree::board`] and /sys/module/kbridge; no /dev/kbridge.
    fn loaded() -> Self {
        let t = Tree::board();
        fs::create_dir_all(t.0.join("sys/module/kbridge")).unwrap();
        t
    }

    /// The one JSON document on stdout (or stderr), with the tree's path replaced.
    fn doc(&self, text: &[u8]) -> Value {
        let text = String::from_utf8(text.to_vec()).unwrap();
        let root = self.0.display().to_string();
        let text = text.replace(&root, "<root>");
        assert_eq!(text.lines().count(), 1, "one document per line: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// tests/snapshots, found at run time (common::ptest); None on a ptest target without the
/// sources, where the test returns, reported as skipped.
fn snapshot_dir() -> Option<PathBuf> {
    common::ptest::source_path("tests/snapshots")
}

/// Compares `doc` with `tests/snapshots/<name>.json` (or writes it with KBRIDGE_BLESS=1).
/// On a ptest target only the schema is checked (the test is reported as skipped).
fn snapshot(name: &str, doc: &Value) {
    assert_eq!(
        doc["schema"], "kbridge/2",
        "{name}: every document is versioned"
    );
    let Some(dir) = snapshot_dir() else {
        return;
    };
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(doc).unwrap() + "\n";
    if std::env::var_os("KBRIDGE_BLESS").is_some() {
        fs::write(&path, text).unwrap();
        return;
    }
    let want = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (KBRIDGE_BLESS=1 writes it)", path.display()));
    assert_eq!(
        text, want,
        "JSON shape of `{name}` changed; if deliberate, rerun with KBRIDGE_BLESS=1 and \
         update docs/cli.md (and the schema version if a field changed meaning)"
    );
}

/// Zeroes every `*_ns` number below `key` (timings).
fn zero_times(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if k.ends_with("_ns") && val.is_u64() {
                    *val = Value::from(0);
                } else {
                    zero_times(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(zero_times),
        _ => {}
    }
}

#[test]
fn info_list_get() {
    let t = Tree::loaded();
    for (name, args) in [
        ("info", &["--json", "--via", "procfs", "info"][..]),
        ("list", &["--json", "--via", "procfs", "list"]),
        ("list-sysfs", &["--json", "--via", "sysfs", "list"]),
        (
            "get",
            &["--json", "--via", "procfs", "get", "relay", "led0"],
        ),
    ] {
        let o = t.run(args);
        assert_eq!(code(&o), 0, "{name}");
        snapshot(name, &t.doc(&o.stdout));
    }
}

#[test]
fn set_and_toggle() {
    let t = Tree::loaded();
    let o = t.run(&["--json", "--via", "sysfs", "set", "led0=3", "relay=0"]);
    assert_eq!(code(&o), 0);
    snapshot("set", &t.doc(&o.stdout));
    let o = t.run(&["--json", "--via", "sysfs", "toggle", "relay"]);
    assert_eq!(code(&o), 0);
    snapshot("toggle", &t.doc(&o.stdout));
}

#[test]
fn interfaces() {
    let t = Tree::empty();
    let o = t.run(&["--json", "interfaces"]);
    snapshot("interfaces", &t.doc(&o.stdout));
}

#[test]
fn errors() {
    let t = Tree::loaded();
    let o = t.run(&["--json", "--via", "procfs", "get", "realy"]);
    assert_eq!(code(&o), 3);
    assert!(o.stdout.is_empty());
    snapshot("error-unknown-line", &t.doc(&o.stderr));
    let e = Tree::empty();
    let o = e.run(&["--json", "list"]);
    assert_eq!(code(&o), 5);
    snapshot("error-not-loaded", &e.doc(&o.stderr));
}

#[test]
fn status() {
    // Loaded, but /dev/kbridge is a plain file: its ioctls fail (ENOTTY), so procfs and
    // sysfs are healthy and the /dev/kbridge interfaces are not.
    let t = Tree::loaded();
    t.write("dev/kbridge", "");
    let o = t.run(&["--json", "status"]);
    assert_eq!(code(&o), 1, "an unhealthy interface fails status");
    let doc = t.doc(&o.stdout);
    assert_eq!(doc["module_abi"], 1);
    assert_eq!(doc["board"], "test-board");
    snapshot("status", &doc);
    let err = t.doc(&o.stderr);
    assert_eq!(err["error"]["exit_code"], 1);

    let e = Tree::empty();
    let o = e.run(&["--json", "status"]);
    assert_eq!(code(&o), 5);
    snapshot("status-not-loaded", &e.doc(&o.stdout));
}

#[test]
fn bench() {
    let t = Tree::loaded();
    let o = t.run(&[
        "--json", "bench", "--via", "procfs", "--via", "sysfs", "-n", "5", "--line", "led0",
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let mut doc = t.doc(&o.stdout);
    // The fake tree has procfs and sysfs only: their rows and the baselines are measured,
    // the rest is skipped with a reason.
    let rows = doc["rows"].as_array().unwrap();
    for r in rows {
        assert_eq!(r["batches"], 5);
        let f = |k: &str| r[k].as_f64().unwrap();
        assert!(
            f("ci_low_ns") <= f("median_ns") && f("median_ns") <= f("ci_high_ns"),
            "{r}"
        );
    }
    let has = |via: &str, op: &str, role: &str| {
        rows.iter()
            .any(|r| r["via"] == via && r["op"] == op && r["role"] == role)
    };
    assert!(has("getppid", "call", "baseline") && has("procfs", "get", "library"));
    assert!(has("sysfs", "get", "bare") && has("sysfs", "set", "library"));
    assert_eq!(doc["correct"], true);
    // What depends on the machine: times, CPUs, the kernel, error texts with paths.
    for r in doc["rows"].as_array_mut().unwrap() {
        for k in ["median_ns", "ci_low_ns", "ci_high_ns", "csw_per_op"] {
            r[k] = 0.into();
        }
    }
    for s in doc["skipped"].as_array_mut().unwrap() {
        s["reason"] = "".into();
    }
    for k in ["kernel", "cpus", "pinned_cpu", "reader_cpu"] {
        doc[k] = serde_json::Value::Null;
    }
    zero_times(&mut doc);
    snapshot("bench", &doc);
    assert_eq!(t.value("led0"), "255\n", "bench restores the line");
}

#[test]
fn selftest() {
    // sysfs writes, sysfs and procfs read. The fake procfs never changes and there is no
    // event stream, so every check fails: this is the failure shape, and exit status 1.
    let t = Tree::loaded();
    let o = t.run(&[
        "--json", "selftest", "--via", "sysfs", "--via", "procfs", "--line", "led0", "--line",
        "relay",
    ]);
    assert_eq!(code(&o), 1);
    let doc = t.doc(&o.stdout);
    assert_eq!(doc["restored"], true);
    snapshot("selftest", &doc);
    assert_eq!(
        (t.value("led0"), t.value("relay")),
        ("255\n".into(), "1\n".into())
    );
}

#[test]
fn human_output_fits_80_columns() {
    let t = Tree::loaded();
    t.write("dev/kbridge", "");
    for args in [
        &["--via", "procfs", "list"][..],
        &["status"],
        &["bench", "--via", "procfs", "--via", "sysfs", "-n", "2"],
        &["selftest", "--via", "sysfs", "--via", "procfs"],
        &["interfaces"],
        &["--help"],
        &["bench", "--help"],
        &["selftest", "--help"],
    ] {
        let o = t.run(args);
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(!text.is_empty(), "{args:?}");
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{args:?}: too wide: {line}");
        }
    }
}
