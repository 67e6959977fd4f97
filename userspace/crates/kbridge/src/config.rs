//! Where the interfaces live.

use std::path::{Path, PathBuf};

use kbridge_abi as abi;

/// Paths of the kernel interfaces, all under one root directory.
///
/// The root is `/` on a device. Tests (and tools working on a captured tree) point it at a
/// directory holding `proc/kbridge`, `sys/class/misc/kbridge/...` and so on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    root: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The real system: root `/`.
    pub fn new() -> Self {
        Config {
            root: PathBuf::from("/"),
        }
    }

    /// Every path below `root` instead of `/`.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Config { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `abs` (an absolute path from the ABI) below the root.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// `/dev/kbridge`.
    pub fn dev_path(&self) -> PathBuf {
        self.path(abi::DEV_PATH)
    }

    /// `/proc/kbridge`.
    pub fn proc_path(&self) -> PathBuf {
        self.path(abi::PROC_PATH)
    }

    /// `/sys/class/misc/kbridge/device/lines`.
    pub fn sysfs_lines_dir(&self) -> PathBuf {
        self.path(abi::SYSFS_LINES_DIR)
    }

    /// `/sys/fs/bpf/kbridge`.
    pub fn bpf_pin_dir(&self) -> PathBuf {
        self.path(abi::BPF_PIN_DIR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_root() {
        assert_eq!(Config::new().dev_path(), Path::new("/dev/kbridge"));
        assert_eq!(Config::new().proc_path(), Path::new("/proc/kbridge"));
        let c = Config::with_root("/tmp/t");
        assert_eq!(c.dev_path(), Path::new("/tmp/t/dev/kbridge"));
        assert_eq!(
            c.sysfs_lines_dir(),
            Path::new("/tmp/t/sys/class/misc/kbridge/device/lines")
        );
        assert_eq!(c.bpf_pin_dir(), Path::new("/tmp/t/sys/fs/bpf/kbridge"));
    }
}
