//! Compiles `src/abi.rs` the way the kernel module does (`#[path] pub mod abi;` inside a
//! `no_std` crate that is not `kbridge-abi`) with the kernel's rustc lint flags and
//! `-D warnings`, so a change that would break the module's build with `CONFIG_WERROR` fails
//! here first. Needs `rustc` (it fails, not skips, without one).

use std::path::{Path, PathBuf};
use std::process::Command;

fn rustc() -> Option<PathBuf> {
    if let Some(rustc) = std::env::var_os("RUSTC") {
        return Some(rustc.into());
    }
    // The rustc next to the cargo that runs this test (Debian: /usr/bin/rustc); at run time,
    // as the `env!` macro would put the build host's path in the binary.
    if let Some(cargo) = std::env::var_os("CARGO") {
        let sibling = Path::new(&cargo).with_file_name("rustc");
        if sibling.exists() {
            return Some(sibling);
        }
    }
    Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("rustc"))
}

#[test]
fn abi_rs_builds_as_a_kernel_module_member() {
    // Found at run time (crate::ptest): skipped, counted, on a ptest target without sources.
    let Some(abi) = crate::ptest::source_path("src/abi.rs") else {
        return;
    };
    // No silent skip: the workspace can't build without a rustc either.
    let rustc = rustc().expect("no rustc found for the kernel-style build of abi.rs");
    let dir = std::env::temp_dir().join(format!("kbridge-abi-kbuild-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wrapper = dir.join("kbridge_module.rs");
    std::fs::write(
        &wrapper,
        format!(
            "//! Stand-in for the kernel module crate.\n\
             #![no_std]\n\
             /// The kbridge user ABI.\n\
             #[path = {:?}]\n\
             pub mod abi;\n",
            abi.display().to_string()
        ),
    )
    .unwrap();
    // Linux 6.12 `rust_common_flags` (rustc lints; clippy's are covered by this crate's
    // [lints] table) and `rust_common_cmd`.
    let output = Command::new(rustc)
        .args([
            "--edition=2021",
            "--crate-type=rlib",
            "--emit=metadata",
            "-Cpanic=abort",
            "-Coverflow-checks=on",
            "-Dwarnings",
            "-Dnon_ascii_idents",
            "-Dunsafe_op_in_unsafe_fn",
            "-Wmissing_docs",
            "-Wrust_2018_idioms",
            "-Wunreachable_pub",
            "--out-dir",
        ])
        .arg(&dir)
        .arg(&wrapper)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "abi.rs does not build as a kernel module member:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
