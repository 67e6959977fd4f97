//! The shared state page: one page, read-only, offset 0; everything else refused.

use kbridge_abi as abi;
use nix::errno::Errno;
use nix::sys::mman::{MapFlags, ProtFlags};

use crate::raw;
use crate::report::Report;

const RO: ProtFlags = ProtFlags::PROT_READ;

fn expect_err(r: &mut Report, case: &str, want: Errno, got: Result<raw::Mapping, Errno>) {
    match got {
        Err(e) if e == want => r.pass(case),
        Err(e) => r.fail(case, format!("expected {want}, got {e}")),
        Ok(_) => r.fail(case, format!("expected {want}, the mapping succeeded")),
    }
}

pub(crate) fn run(r: &mut Report) {
    let page = raw::page_size();
    let (rw, ro) = match (raw::open(true), raw::open(false)) {
        (Ok(rw), Ok(ro)) => (rw, ro),
        (Err(e), _) | (_, Err(e)) => return r.fail("open", format!("{}: {e}", raw::DEV)),
    };
    let shared = MapFlags::MAP_SHARED;
    let wr = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;

    expect_err(
        r,
        "prot-write-shared-eperm",
        Errno::EPERM,
        raw::map(&rw, page, wr, shared, 0),
    );
    expect_err(
        r,
        "prot-write-private-eperm",
        Errno::EPERM,
        raw::map(&rw, page, wr, MapFlags::MAP_PRIVATE, 0),
    );
    // The VFS refuses a shared writable mapping of a read-only file before kbridge sees it.
    expect_err(
        r,
        "prot-write-readonly-fd-eacces",
        Errno::EACCES,
        raw::map(&ro, page, wr, shared, 0),
    );
    expect_err(
        r,
        "prot-exec-eperm",
        Errno::EPERM,
        raw::map(&ro, page, RO | ProtFlags::PROT_EXEC, shared, 0),
    );
    expect_err(
        r,
        "two-pages-einval",
        Errno::EINVAL,
        raw::map(&ro, 2 * page, RO, shared, 0),
    );
    expect_err(
        r,
        "offset-one-page-einval",
        Errno::EINVAL,
        raw::map(&ro, page, RO, shared, page as i64),
    );

    let m = match raw::map(&ro, page, RO, shared, 0) {
        Ok(m) => m,
        Err(e) => return r.fail("map-readonly", e),
    };
    r.pass("map-readonly");
    match m.protect(wr) {
        Err(Errno::EACCES) => r.pass("mprotect-write-eacces"),
        other => r.fail("mprotect-write-eacces", format!("{other:?}")),
    }
    match m.protect(RO | ProtFlags::PROT_EXEC) {
        Err(Errno::EACCES) => r.pass("mprotect-exec-eacces"),
        other => r.fail("mprotect-exec-eacces", format!("{other:?}")),
    }
    // A mapping grown past the page would fault (SIGBUS) on its new part: refused.
    let m = match m.grow(2 * page) {
        Err((m, Errno::EFAULT)) => {
            r.pass("mremap-grow-efault");
            m
        }
        Err((m, e)) => {
            r.fail("mremap-grow-efault", format!("expected EFAULT, got {e}"));
            m
        }
        Ok(grown) => return r.fail("mremap-grow-efault", format!("the mapping grew: {grown:?}")),
    };
    let Some(st) = m.state() else {
        return r.fail("header", "seqcount never settled");
    };
    if st.magic == abi::SHARED_MAGIC && st.abi_version == abi::ABI_VERSION && st.seqcount % 2 == 0 {
        r.pass("header");
    } else {
        r.fail(
            "header",
            format!(
                "magic {:#x} abi {} seqcount {}",
                st.magic, st.abi_version, st.seqcount
            ),
        );
    }

    // A change through ioctl shows up in the page, and the page stays valid after close.
    drop(ro);
    let out = (0..st.num_lines).find(|&i| {
        st.lines
            .get(i as usize)
            .is_some_and(|l| l.kind == abi::KIND_OUTPUT)
    });
    let Some(out) = out else {
        return r.fail("page-follows-changes", "no output line in the page");
    };
    let old = st.lines.get(out as usize).map_or(0, |l| l.value);
    if let Err(e) = raw::set_line(&rw, out, 1 - old.min(1)) {
        return r.fail("page-follows-changes", format!("SET_VALUES: {e}"));
    }
    drop(rw);
    match m.state() {
        Some(now)
            if now.seq == st.seq + 1
                && now.lines.get(out as usize).map(|l| l.value) == Some(1 - old.min(1))
                && (now.values_bitmap >> out) & 1 == u64::from(1 - old.min(1)) =>
        {
            r.pass("page-follows-changes-after-close")
        }
        other => r.fail("page-follows-changes-after-close", format!("{other:?}")),
    }
    // MADV_DONTNEED drops the page table entry; the next read faults the page back in (it
    // used to be SIGBUS: a page put in with vm_insert_page() alone can't be faulted again).
    let before = m.state().map(|s| s.seq);
    match m.dontneed() {
        Ok(()) => match m.state() {
            Some(now) if Some(now.seq) == before && now.magic == abi::SHARED_MAGIC => {
                r.pass("dontneed-refault")
            }
            other => r.fail("dontneed-refault", format!("{other:?} after MADV_DONTNEED")),
        },
        Err(e) => r.fail("dontneed-refault", format!("madvise(MADV_DONTNEED): {e}")),
    }
    // Restore.
    if let Ok(rw) = raw::open(true) {
        let _ = raw::set_line(&rw, out, old);
    }
}
