//! The kbridge ioctls. Numbers and structs come from [`kbridge_abi`]; `nix` only issues the
//! system call (its `*_bad!` macros take the number as is, so the ABI crate stays the single
//! source of truth for the encoding).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use kbridge_abi as abi;

mod raw {
    use kbridge_abi as abi;

    nix::ioctl_readwrite_bad!(board_info, abi::IOC_BOARD_INFO, abi::IocBoardInfo);
    nix::ioctl_readwrite_bad!(line_info, abi::IOC_LINE_INFO, abi::IocLineInfo);
    nix::ioctl_readwrite_bad!(get_values, abi::IOC_GET_VALUES, abi::IocValues);
    nix::ioctl_readwrite_bad!(set_values, abi::IOC_SET_VALUES, abi::IocValues);
    nix::ioctl_write_ptr_bad!(toggle, abi::IOC_TOGGLE, abi::IocToggle);
}

/// `KBRIDGE_IOC_BOARD_INFO`.
pub(crate) fn board_info(fd: BorrowedFd<'_>) -> io::Result<abi::IocBoardInfo> {
    let mut arg = abi::IocBoardInfo::request();
    // SAFETY: `fd` is a valid open descriptor for the duration of the call (it is borrowed).
    // `arg` is a live, properly aligned `IocBoardInfo` whose `size` field is its own size, so
    // the kernel reads and writes at most `size_of::<IocBoardInfo>()` bytes through the
    // pointer, all inside `arg`. The pointer does not outlive the call.
    unsafe { raw::board_info(fd.as_raw_fd(), &mut arg) }?;
    Ok(arg)
}

/// `KBRIDGE_IOC_LINE_INFO` for line `index`.
pub(crate) fn line_info(fd: BorrowedFd<'_>, index: u32) -> io::Result<abi::IocLineInfo> {
    let mut arg = abi::IocLineInfo::request(index);
    // SAFETY: as in `board_info`: valid borrowed fd, `arg` is a live `IocLineInfo` whose
    // `size` field bounds what the kernel touches to `arg` itself.
    unsafe { raw::line_info(fd.as_raw_fd(), &mut arg) }?;
    Ok(arg)
}

/// `KBRIDGE_IOC_GET_VALUES` for the lines in `mask`.
pub(crate) fn get_values(fd: BorrowedFd<'_>, mask: u64) -> io::Result<abi::IocValues> {
    let mut arg = abi::IocValues::request(mask);
    // SAFETY: as in `board_info`: valid borrowed fd, `arg` is a live `IocValues` whose `size`
    // field bounds what the kernel touches to `arg` itself.
    unsafe { raw::get_values(fd.as_raw_fd(), &mut arg) }?;
    Ok(arg)
}

/// `KBRIDGE_IOC_SET_VALUES`; returns the global sequence number after the operation.
pub(crate) fn set_values(fd: BorrowedFd<'_>, mut arg: abi::IocValues) -> io::Result<u64> {
    arg.size = abi::IOC_VALUES_SIZE_V1 as u32;
    // SAFETY: as in `board_info`: valid borrowed fd, `arg` is a live `IocValues` (a local
    // copy) whose `size` field bounds what the kernel touches to `arg` itself.
    unsafe { raw::set_values(fd.as_raw_fd(), &mut arg) }?;
    Ok(arg.seq)
}

/// `KBRIDGE_IOC_TOGGLE` for the lines in `mask`.
pub(crate) fn toggle(fd: BorrowedFd<'_>, mask: u64) -> io::Result<()> {
    let arg = abi::IocToggle::request(mask);
    // SAFETY: valid borrowed fd; `arg` is a live `IocToggle` whose `size` field is its own
    // size. The kernel only reads through the pointer (`_IOW`), within `arg`.
    unsafe { raw::toggle(fd.as_raw_fd(), &arg) }?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use kbridge_abi as abi;

    /// Cross-check the ABI crate's encoder against nix's, which mirrors the kernel headers.
    #[test]
    fn abi_numbers_match_nix_encoding() {
        use std::mem::size_of;
        let n = |x: nix::sys::ioctl::ioctl_num_type| x as u32;
        assert_eq!(
            abi::IOC_BOARD_INFO,
            n(nix::request_code_readwrite!(
                b'J',
                0,
                size_of::<abi::IocBoardInfo>()
            ))
        );
        assert_eq!(
            abi::IOC_LINE_INFO,
            n(nix::request_code_readwrite!(
                b'J',
                1,
                size_of::<abi::IocLineInfo>()
            ))
        );
        assert_eq!(
            abi::IOC_GET_VALUES,
            n(nix::request_code_readwrite!(
                b'J',
                2,
                size_of::<abi::IocValues>()
            ))
        );
        assert_eq!(
            abi::IOC_SET_VALUES,
            n(nix::request_code_readwrite!(
                b'J',
                3,
                size_of::<abi::IocValues>()
            ))
        );
        assert_eq!(
            abi::IOC_TOGGLE,
            n(nix::request_code_write!(
                b'J',
                4,
                size_of::<abi::IocToggle>()
            ))
        );
    }

    /// A regular file is not the device: the ioctl fails cleanly (ENOTTY), nothing else.
    #[test]
    fn ioctl_on_a_regular_file_is_enotty() {
        use std::os::fd::AsFd;
        let path = std::env::temp_dir().join(format!("kbridge-ioctl-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        let err = super::board_info(file.as_fd()).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert_eq!(err.raw_os_error(), Some(25)); // ENOTTY
    }
}
