//! The workspace's tests also run on Yocto targets (`kbridge-ptest`, see
//! `test-support/ptest.rs`): no test may bake a build path into its binary (`env!` of the
//! crate's directory, of `CARGO_BIN_EXE_*` or of `CARGO`: buildpaths QA, and a path that does
//! not exist on the target), and the source tree is found only through `ptest::source_path`,
//! which skips (counted) on the target and fails on the host when a file is missing.

use std::path::{Path, PathBuf};

/// Every .rs file under `dir`, build output left out.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn source_tree_reads_go_through_the_ptest_guard() {
    let Some(userspace) = crate::ptest::source_path("../..") else {
        return;
    };
    let mut files = Vec::new();
    rust_files(&userspace.join("crates"), &mut files);
    rust_files(&userspace.join("test-support"), &mut files);
    assert!(
        files.len() > 20,
        "only {} .rs files under {}",
        files.len(),
        userspace.display()
    );
    // Spelt in pieces so that this file does not match itself.
    let manifest_dir = ["CARGO_", "MANIFEST_DIR"].concat();
    let baked = [
        format!("env!(\"{manifest_dir}\")"),
        format!("option_env!(\"{manifest_dir}\")"),
        ["env!(\"CARGO_", "BIN_EXE_"].concat(),
        ["env!(\"CARGO", "\")"].concat(),
    ];
    let mut bad = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let rel = file
            .strip_prefix(&userspace)
            .unwrap_or(file)
            .display()
            .to_string();
        let build_script = file.file_name().is_some_and(|n| n == "build.rs");
        for (n, line) in text.lines().enumerate() {
            for b in &baked {
                if line.contains(b.as_str()) && !build_script {
                    bad.push(format!("{rel}:{}: {b}: a build path in the binary", n + 1));
                }
            }
            // Taking it out of a child's environment is no read.
            let read = line.contains(&manifest_dir) && !line.contains(".env_remove(");
            if read && !build_script && rel != "test-support/ptest.rs" {
                bad.push(format!(
                    "{rel}:{}: reads {manifest_dir} itself: use ptest::source_path",
                    n + 1
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "tests that would fail or leak on a ptest target:\n{}",
        bad.join("\n")
    );
}

/// This test binary run as run-ptest runs it on a target (`KBRIDGE_PTEST=1`, no crate
/// directory in the environment, elsewhere than the checkout): a test that needs the
/// source tree passes and says SKIP, in the line the ptest log parser counts.
#[test]
fn a_ptest_run_without_the_source_tree_reports_skip() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(&exe)
        .args(["--exact", "c_header::c_header"])
        .env("KBRIDGE_PTEST", "1")
        .env_remove("CARGO_MANIFEST_DIR")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}: {stdout}", exe.display());
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("SKIP: kbridge-abi::c_header::c_header: needs ")),
        "no SKIP line for c_header:\n{stdout}"
    );
}
