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
    nix::ioctl_readwrite_bad!(get_bits, abi::IOC_GET_BITS, abi::IocBits);
    nix::ioctl_readwrite_bad!(set_bits, abi::IOC_SET_BITS, abi::IocBits);
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

/// `KBRIDGE_IOC_GET_VALUES` (`set` false) or `SET_VALUES` (`set` true) on a caller-owned
/// request, in place: the fast path reuses one prebuilt struct, so nothing is built or copied
/// per call. `arg.size` is forced to the v1 size.
#[inline]
pub(crate) fn values_in_place(
    fd: BorrowedFd<'_>,
    set: bool,
    arg: &mut abi::IocValues,
) -> io::Result<()> {
    arg.size = abi::IOC_VALUES_SIZE_V1 as u32;
    if set {
        // SAFETY: as in `board_info`: valid borrowed fd, `arg` is a live, exclusively borrowed
        // `IocValues` whose `size` field (set just above) bounds what the kernel touches to
        // `arg` itself.
        unsafe { raw::set_values(fd.as_raw_fd(), arg) }?;
    } else {
        // SAFETY: as for the set above.
        unsafe { raw::get_values(fd.as_raw_fd(), arg) }?;
    }
    Ok(())
}

/// `KBRIDGE_IOC_GET_BITS` (`set` false) or `SET_BITS` (`set` true) on a caller-owned request,
/// in place. `arg.size` is forced to the v1 size. A kernel without them answers `ENOTTY`.
#[inline]
pub(crate) fn bits_in_place(
    fd: BorrowedFd<'_>,
    set: bool,
    arg: &mut abi::IocBits,
) -> io::Result<()> {
    arg.size = abi::IOC_BITS_SIZE_V1 as u32;
    if set {
        // SAFETY: valid borrowed fd; `arg` is a live, exclusively borrowed `IocBits` whose
        // `size` field (set just above) is its own size, so the kernel reads and writes at
        // most `size_of::<IocBits>()` bytes, all inside `arg`.
        unsafe { raw::set_bits(fd.as_raw_fd(), arg) }?;
    } else {
        // SAFETY: as for the set above.
        unsafe { raw::get_bits(fd.as_raw_fd(), arg) }?;
    }
    Ok(())
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
        for (nr, num) in [(5, abi::IOC_GET_BITS), (6, abi::IOC_SET_BITS)] {
            assert_eq!(
                num,
                n(nix::request_code_readwrite!(
                    b'J',
                    nr,
                    size_of::<abi::IocBits>()
                ))
            );
        }
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
        let mut bits = abi::IocBits::request(1, 1);
        bits.size = 0;
        let e2 = super::bits_in_place(file.as_fd(), true, &mut bits).unwrap_err();
        assert_eq!(bits.size as usize, abi::IOC_BITS_SIZE_V1, "size forced");
        let mut vals = abi::IocValues::request(1);
        let e3 = super::values_in_place(file.as_fd(), false, &mut vals).unwrap_err();
        assert_eq!((e2.raw_os_error(), e3.raw_os_error()), (Some(25), Some(25)));
        let _ = std::fs::remove_file(&path);
        assert_eq!(err.raw_os_error(), Some(25)); // ENOTTY
    }
}
