//! What the tests that need more than their own binary share, included with `#[path]` by
//! each test crate that does (a module, not a crate: no dependency to publish or lock).
//!
//! The workspace's tests also run on Yocto targets as the `kbridge-ptest` package
//! (meta-kbridge, `ptest-cargo`): the test binaries are copied to `/usr/lib/kbridge/ptest`
//! and run by its `run-ptest`, which sets `KBRIDGE_PTEST=1`. There the source tree the
//! tests compare against (kmod/, the snapshots, docs/) does not exist, and nothing of the
//! build directory may be baked into the binaries (buildpaths QA): so paths are found at
//! run time, and a test whose files are missing
//! - under `KBRIDGE_PTEST` prints `SKIP: <crate>::<test>: <why>` on stdout, a line the
//!   ptest log parsers count as a skip, and returns;
//! - anywhere else (`cargo test` on the host) fails: a missing file is a broken checkout.
//!
//! `crates/kbridge-abi/tests/abi/ptest_guard.rs` fails when a test reads the source tree
//! or bakes a build path in without this module.

// Each including crate uses a part of it; tests may panic.
#![allow(dead_code, clippy::panic, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Set by meta-kbridge's run-ptest on the target.
pub(crate) const PTEST_ENV: &str = "KBRIDGE_PTEST";

/// Whether the tests run as a Yocto ptest (`KBRIDGE_PTEST=1`).
pub(crate) fn under_ptest() -> bool {
    std::env::var_os(PTEST_ENV).is_some_and(|v| v == "1")
}

/// `rel`, relative to the including crate's directory (`CARGO_MANIFEST_DIR`, read at run
/// time), when it exists. Under ptest without it: prints the SKIP line and gives None, and
/// the test returns. On the host a missing `CARGO_MANIFEST_DIR` or file fails the test.
pub(crate) fn source_path(rel: &str) -> Option<PathBuf> {
    let path = std::env::var_os("CARGO_MANIFEST_DIR").map(|dir| Path::new(&dir).join(rel));
    if let Some(path) = path.as_ref().filter(|p| p.exists()) {
        return Some(path.clone());
    }
    if under_ptest() {
        skip(&format!(
            "needs {rel} of the kbridge source tree, which the target does not have"
        ));
        return None;
    }
    match path {
        None => panic!(
            "CARGO_MANIFEST_DIR is not set: run this test with cargo test (on a target \
             without the sources, as run-ptest does, with {PTEST_ENV}=1)"
        ),
        Some(path) => panic!("{} is missing from the source tree", path.display()),
    }
}

/// Reports the running test as skipped: `SKIP: <crate>::<test>: <why>` on the real stdout
/// (the test harness captures only `print!`), one write, so the line stays whole; once per
/// test (the harness runs each test in a thread of its own, named after it).
pub(crate) fn skip(why: &str) {
    thread_local!(static REPORTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if REPORTED.with(|r| r.replace(true)) {
        return;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    let line = format!("SKIP: {}::{test}: {why}\n", env!("CARGO_PKG_NAME"));
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// The `kbridge` binary the CLI tests run: `KBRIDGE_BIN` (run-ptest sets the installed
/// one), else the one cargo built next to the test (`CARGO_BIN_EXE_kbridge` at run time,
/// or `target/<profile>/kbridge` for a test in `target/<profile>/deps/`). Not `env!`: the
/// compile-time path would be a build path in the ptest binary.
pub(crate) fn kbridge_bin() -> PathBuf {
    // (An empty KBRIDGE_BIN: run-ptest found no kbridge on PATH; then the panic below.)
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(bin) = set("KBRIDGE_BIN").or_else(|| set("CARGO_BIN_EXE_kbridge")) {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("the test binary's own path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join(format!("kbridge{}", std::env::consts::EXE_SUFFIX)));
    match bin {
        Some(bin) if bin.is_file() => bin,
        _ => panic!(
            "no kbridge binary next to {} (set KBRIDGE_BIN; run-ptest sets the installed one)",
            exe.display()
        ),
    }
}
