//! Compiles the BPF program (bpf/kbridge.bpf.c) into `$OUT_DIR/kbridge.bpf.o`, which
//! src/bpf/ embeds. The program includes kmod/uapi/kbridge-bpf.h (generated from kbridge-abi),
//! so that folder must be beside `userspace/` (the Yocto recipe copies it too). The object is never checked in: it is built from source every time the
//! source changes.
//!
//! The compiler is, in order: `$KBRIDGE_BPF_CLANG`, `$CLANG`, `clang-19`, `clang` (any clang
//! with the BPF backend, 12 or newer, works; Debian bookworm and Yocto's clang-native have it).
//! The target is `bpfel`/`bpfeb` to match the endianness of the target the library is built
//! for, not of the build machine.

use std::env;
use std::path::PathBuf;
use std::process::Command;

const SRC: &str = "bpf/kbridge.bpf.c";
/// kmod/uapi, relative to this crate: kbridge-bpf.h (generated from kbridge-abi) and the
/// kbridge-nl-uapi.h it includes.
const UAPI: &str = "../../../kmod/uapi";
const HEADERS: [&str; 2] = ["kbridge-bpf.h", "kbridge-nl-uapi.h"];

fn main() {
    println!("cargo:rerun-if-changed={SRC}");
    for h in HEADERS {
        println!("cargo:rerun-if-changed={UAPI}/{h}");
    }
    println!("cargo:rerun-if-env-changed=KBRIDGE_BPF_CLANG");
    println!("cargo:rerun-if-env-changed=CLANG");
    if let Err(msg) = build() {
        eprintln!("error: building the BPF object: {msg}");
        std::process::exit(1);
    }
}

fn build() -> Result<(), String> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let target = match env::var("CARGO_CFG_TARGET_ENDIAN").as_deref() {
        Ok("big") => "bpfeb",
        _ => "bpfel",
    };
    let candidates: Vec<String> = ["KBRIDGE_BPF_CLANG", "CLANG"]
        .iter()
        .filter_map(|v| env::var(v).ok().filter(|s| !s.is_empty()))
        .chain(["clang-19".to_owned(), "clang".to_owned()])
        .collect();
    let obj = out.join("kbridge.bpf.o");
    let mut tried = Vec::new();
    for clang in &candidates {
        let status = Command::new(clang)
            .args([
                "-target", target, "-O2", "-g", "-Wall", "-Werror", "-I", UAPI, "-c", SRC, "-o",
            ])
            .arg(&obj)
            .status();
        match status {
            Ok(s) if s.success() => return Ok(()),
            Ok(s) => return Err(format!("`{clang}` failed ({s}) on {SRC}")),
            Err(e) => tried.push(format!("{clang}: {e}")),
        }
    }
    Err(format!(
        "no clang found (tried {}); install clang (Debian: clang-19) or set KBRIDGE_BPF_CLANG",
        tried.join(", ")
    ))
}
