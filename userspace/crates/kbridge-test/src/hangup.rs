//! The board going away while a process waits in epoll: every waiter sees the hang-up
//! (`EPOLLHUP`), whatever events it asked for. The probe waits for `EPOLLOUT`, which kbridge
//! never reports, so only the hang-up (that epoll always reports) can end the wait; the board
//! is unbound from another thread meanwhile, then bound again.

use std::time::Duration;

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use crate::raw;
use crate::report::Report;

const DRIVER: &str = "/sys/bus/platform/drivers/kbridge";
/// The emulated board's platform device.
const DEVICE: &str = "kbridge";

pub(crate) fn run(r: &mut Report) {
    let file = match raw::open(false) {
        Ok(f) => f,
        Err(e) => return r.fail("open", format!("{}: {e}", raw::DEV)),
    };
    let ep = match Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC) {
        Ok(ep) => ep,
        Err(e) => return r.fail("epoll-create", e),
    };
    if let Err(e) = ep.add(&file, EpollEvent::new(EpollFlags::EPOLLOUT, 1)) {
        return r.fail("epoll-add", e);
    }
    let unbinder = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(200));
        std::fs::write(format!("{DRIVER}/unbind"), DEVICE)
    });
    let mut events = [EpollEvent::empty()];
    let waited = ep.wait(&mut events, EpollTimeout::from(2000u16));
    let unbound = unbinder
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the unbind thread panicked")));
    match unbound {
        Ok(()) => r.pass("unbind"),
        Err(e) => r.fail("unbind", e),
    }
    match waited {
        Ok(1) if events[0].events().contains(EpollFlags::EPOLLHUP) => r.pass("epoll-hup-on-unbind"),
        Ok(0) => r.fail(
            "epoll-hup-on-unbind",
            "the waiter slept through the unbind (no wake-up within 2 s)",
        ),
        other => r.fail(
            "epoll-hup-on-unbind",
            format!("{other:?}, events {:?}", events[0].events()),
        ),
    }
    drop(file);
    match std::fs::write(format!("{DRIVER}/bind"), DEVICE) {
        Ok(()) => r.pass("rebind"),
        Err(e) => r.fail("rebind", e),
    }
}
