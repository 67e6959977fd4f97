//! The `kbridge` binary end to end: parsing, help, exit codes, and real runs against a fake
//! tree (`KBRIDGE_ROOT`) through the procfs and sysfs backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::{code, stderr, stdout, Tree};

/// Every subcommand; the top-level help lists each and each has its own help.
const SUBCOMMANDS: [&str; 14] = [
    "info",
    "list",
    "get",
    "set",
    "toggle",
    "watch",
    "blink",
    "agent",
    "interfaces",
    "status",
    "bench",
    "selftest",
    "completions",
    "manpage",
];

#[test]
fn version_names_the_abi() {
    let o = Tree::empty().run(&["--version"]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        format!("kbridge {} (kbridge ABI 1)\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_commands_options_and_exit_codes() {
    let o = Tree::empty().run(&["--help"]);
    assert_eq!(code(&o), 0);
    let help = stdout(&o);
    for word in SUBCOMMANDS
        .iter()
        .chain(&["--via", "--json", "ioctl", "module not loaded"])
    {
        assert!(help.contains(word), "help lacks {word}:\n{help}");
    }
    assert!(!help.contains("--root"), "--root is a hidden testing aid");
    let o = Tree::empty().run(&["set", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("NAME=VALUE"));
}

#[test]
fn usage_errors_exit_2() {
    let t = Tree::board();
    for args in [
        &[][..],
        &["frobnicate"],
        &["get"],
        &["set"],
        &["toggle"],
        &["--via", "carrier-pigeon", "list"],
        &["--via", "procfs", "set", "led0"],
        &["--via", "procfs", "set", "led0", "on"],
        &["--via", "procfs", "set", "led0", "-1"],
        &["--via", "procfs", "set", "led0=1", "relay"],
        &["events", "--timeout", "soon"],
    ] {
        let o = t.run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

#[test]
fn missing_module_exits_5() {
    let t = Tree::empty();
    for via in ["ioctl", "procfs", "sysfs", "mmap", "chardev"] {
        let args: &[&str] = if via == "chardev" {
            &["--via", via, "events"]
        } else {
            &["--via", via, "list"]
        };
        let o = t.run(args);
        assert_eq!(code(&o), 5, "{via}: {}", stderr(&o));
        assert!(stderr(&o).contains("not loaded"), "{via}: {}", stderr(&o));
    }
    // Default interface too.
    assert_eq!(code(&t.run(&["get", "led0"])), 5);
}

#[test]
fn json_errors_are_json_on_stderr() {
    let o = Tree::empty().run(&["--json", "list"]);
    assert_eq!(code(&o), 5);
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    assert_eq!(v["error"]["kind"], "not_loaded");
    assert_eq!(v["error"]["exit_code"], 5);
    assert_eq!(v["error"]["via"], "ioctl");
    assert_eq!(v["error"]["errno"], 2);
}

#[test]
fn unknown_line_exits_3_with_a_suggestion() {
    let t = Tree::board();
    for via in ["procfs", "sysfs"] {
        let o = t.run(&["--via", via, "get", "realy"]);
        assert_eq!(code(&o), 3, "{via}");
        assert!(
            stderr(&o).contains("unknown line `realy` (did you mean `relay`?)"),
            "{via}: {}",
            stderr(&o)
        );
    }
    let o = t.run(&["--json", "--via", "procfs", "get", "led9"]);
    assert_eq!(code(&o), 3);
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    assert_eq!(v["error"]["kind"], "unknown_line");
    assert_eq!(v["error"]["suggestion"], "led0");
}

#[test]
fn list_and_get_via_procfs() {
    let t = Tree::board();
    let o = t.run(&["--via", "procfs", "list"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("NAME"));
    assert!(lines[2].starts_with("relay ") && lines[2].contains("active-low"));

    let o = t.run(&["--via", "procfs", "get", "relay", "led0"]);
    assert_eq!(stdout(&o), "relay=1\nled0=255\n");

    let o = t.run(&["--via", "procfs", "--json", "get", "button"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"schema": "kbridge/2", "via": "procfs", "values": [{"name": "button", "value": 0}]})
    );

    let o = t.run(&["--via", "procfs", "info", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"schema": "kbridge/2", "via": "procfs", "board": "test-board", "abi_version": 1,
                           "num_lines": 3, "seq": 9})
    );

    let o = t.run(&["list", "--via", "procfs", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["lines"][0]["name"], "led0");
    assert_eq!(v["lines"][0]["last_source"], "sysfs");
    assert_eq!(v["lines"][1]["active_low"], true);
}

#[test]
fn read_only_interfaces_refuse_writes() {
    let t = Tree::board();
    let o = t.run(&["--via", "procfs", "set", "led0", "1"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    let o = t.run(&["--via", "procfs", "events"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("chardev"), "{}", stderr(&o));
}

#[test]
fn set_and_toggle_via_sysfs() {
    let t = Tree::board();
    let o = t.run(&["--via", "sysfs", "set", "led0", "17"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "silent on success");
    assert_eq!(t.value("led0"), "17\n");

    let o = t.run(&["--via", "sysfs", "--json", "set", "led0=0", "relay=0"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["atomic"], false);
    assert_eq!(
        v["set"][1],
        serde_json::json!({"name": "relay", "value": 0})
    );
    assert_eq!(
        (t.value("led0"), t.value("relay")),
        ("0\n".into(), "0\n".into())
    );

    assert_eq!(
        code(&t.run(&["--via", "sysfs", "toggle", "led0", "relay"])),
        0
    );
    assert_eq!(
        (t.value("led0"), t.value("relay")),
        ("255\n".into(), "1\n".into())
    );

    // Refusals: input line, out of range, duplicates. Nothing changes. (A single-line sysfs
    // write goes straight to the kernel, which is the judge; several lines are checked first.)
    let o = t.run(&["--via", "sysfs", "set", "led0=3", "button=1"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot be set"));
    let o = t.run(&["--via", "sysfs", "set", "led0=3", "relay=2"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("out of range"));
    assert_eq!(
        code(&t.run(&["--via", "sysfs", "set", "led0=1", "led0=2"])),
        2
    );
    assert_eq!(t.value("led0"), "255\n");
}

#[test]
fn bpf_without_attach_says_how_to_attach() {
    let t = Tree::board();
    t.write("dev/kbridge", "");
    let o = t.run(&["--via", "bpf", "list"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("kbridge bpf attach"), "{}", stderr(&o));
    let o = t.run(&["bpf", "detach"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("not attached"), "{}", stderr(&o));
}

#[test]
fn interfaces_lists_capabilities() {
    let o = Tree::empty().run(&["interfaces"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 7);
    assert!(text.contains("ioctl    read write atomic"));
    assert!(text.contains("netlink  read write atomic events"));
    assert!(text.contains("bpf      read events"));
    let o = Tree::empty().run(&["interfaces", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["interfaces"][2]["name"], "chardev");
    assert_eq!(v["interfaces"][2]["events"], true);
}

#[test]
fn hidden_root_option_overrides_the_environment() {
    let t = Tree::board();
    let o = Command::new(common::ptest::kbridge_bin())
        .args(["--root"])
        .arg(&t.0)
        .args(["--via", "procfs", "get", "led0"])
        .env("KBRIDGE_ROOT", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "led0=255\n", "{}", stderr(&o));
}

#[test]
fn new_commands_parse_and_refuse_bad_usage() {
    let t = Tree::board();
    let o = t.run(&["--help"]);
    for word in ["status", "bench", "selftest", "completions", "manpage"] {
        assert!(stdout(&o).contains(word), "help lacks {word}");
    }
    for args in [
        &["bench", "-n", "0"][..],
        &["bench", "-n", "many"],
        &["bench", "--gpio-line", "-1"],
        &["completions"],
        &["completions", "tcsh"],
        &["--via", "ioctl", "--via", "sysfs", "get", "led0"],
        &["list", "--via", "procfs", "--via", "sysfs"],
        &["status", "extra"],
        &["selftest", "--line"],
    ] {
        let o = t.run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
    // --line names are checked like every other name: unknown (3), not writable (1).
    let o = t.run(&["bench", "--via", "procfs", "--line", "realy", "-n", "1"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("did you mean `relay`"),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["bench", "--via", "procfs", "--line", "button", "-n", "1"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o = t.run(&["selftest", "--via", "sysfs", "--line", "button"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // A named interface that is not there is an error, not a skip.
    let o = t.run(&["bench", "--via", "ioctl", "-n", "1"]);
    assert_eq!(code(&o), 5, "{}", stderr(&o));
    let o = t.run(&["bench", "--via", "netlink", "-n", "1"]);
    assert_eq!(code(&o), 5, "{}", stderr(&o));
}

#[test]
fn completions_and_manpage_generate() {
    let t = Tree::empty();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = t.run(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}");
        let text = stdout(&o);
        assert!(text.len() > 1000 && text.contains("selftest"), "{shell}");
    }
    let o = t.run(&["manpage"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(text.contains(".TH kbridge 1"), "{text}");
    assert!(text.contains("bench") && text.contains("Exit status"));
}

#[test]
fn every_subcommand_help_has_examples() {
    let t = Tree::empty();
    for sub in SUBCOMMANDS {
        let o = t.run(&[sub, "--help"]);
        assert_eq!(code(&o), 0, "{sub}");
        assert!(
            stdout(&o).contains(&format!("Examples:\n  kbridge {sub}")),
            "{sub}: {}",
            stdout(&o)
        );
    }
}
