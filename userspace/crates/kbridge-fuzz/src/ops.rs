//! One random operation per call, per interface. Every call records its kind and outcome; an
//! error is an expected answer to a bad request, not a failure of the campaign (the kernel's
//! own checkers, and the invariants, decide that).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::sync::atomic::AtomicBool;

use kbridge_abi as abi;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::mman::{MapFlags, ProtFlags};
use nix::sys::socket::{
    self, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};

use crate::rng::Rng;
use crate::stats::Stats;
use crate::sys::{self, Guarded, PAGE};

pub(crate) const LINES_DIR: &str = "/sys/class/misc/kbridge/device/lines";
const NAMES: [&str; 8] = [
    "relay", "buzzer", "lamp", "button", "door", "status", "fault", "act",
];

/// A worker's state.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) rng: Rng,
    pub(crate) stats: Stats,
    buf: Guarded,
    /// Readers that never read (their queues overflow), closed now and then.
    lagging: Vec<File>,
    /// The generic netlink family id, resolved once (0: not yet).
    family: u16,
    nl_seq: u32,
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(0))
}

fn io<T>(r: std::io::Result<T>) -> Result<T, Errno> {
    r.map_err(|e| errno_of(&e))
}

impl Worker {
    pub(crate) fn new(seed: u64) -> Result<Self, Errno> {
        Ok(Worker {
            rng: Rng::new(seed),
            stats: Stats::default(),
            buf: Guarded::new()?,
            lagging: Vec::new(),
            family: 0,
            nl_seq: 1,
        })
    }

    /// Closes the lagging readers (before an rmmod: open files pin the module).
    pub(crate) fn close_lagging(&mut self) {
        self.lagging.clear();
    }

    fn open_dev(&mut self, write: bool) -> Result<File, Errno> {
        let mut o = OpenOptions::new();
        o.read(true)
            .write(write)
            .custom_flags(nix::libc::O_NONBLOCK);
        io(o.open(abi::DEV_PATH))
    }

    /// A random name: a real line, or one of the lengths around the limit, or junk.
    fn name(&mut self) -> String {
        match self.rng.below(10) {
            0 => "x".repeat(31),
            1 => "y".repeat(32),
            2 => "z".repeat(33),
            3 => String::new(),
            4 => String::from_utf8_lossy(&self.rng.bytes(6)).into_owned(),
            _ => (*self.rng.pick(&NAMES).unwrap_or(&"relay")).to_owned(),
        }
    }

    // --- ioctl -------------------------------------------------------------------------

    pub(crate) fn ioctl(&mut self, allow_change: bool) {
        let nrs: &[u8] = if allow_change {
            &[0, 1, 2, 3, 4]
        } else {
            &[0, 1, 2]
        };
        let nr = if self.rng.chance(90) {
            *self.rng.pick(nrs).unwrap_or(&0)
        } else {
            self.rng.below(256) as u8
        };
        let size = match nr {
            0 => abi::IOC_BOARD_INFO_SIZE_V1,
            1 => abi::IOC_LINE_INFO_SIZE_V1,
            2 | 3 => abi::IOC_VALUES_SIZE_V1,
            _ => abi::IOC_TOGGLE_SIZE_V1,
        };
        // The struct: zeros with a valid size and plausible fields, then mutated.
        let mut data = vec![0u8; if self.rng.chance(10) { PAGE } else { size }];
        let put = |d: &mut Vec<u8>, off: usize, b: &[u8]| {
            if let Some(s) = d.get_mut(off..off + b.len()) {
                s.copy_from_slice(b);
            }
        };
        let mut size_field = size as u32;
        if self.rng.chance(20) {
            size_field = match self.rng.below(5) {
                0 => 0,
                1 => size_field - 1,
                2 => size_field + 4,
                3 => abi::IOC_STRUCT_MAX_SIZE + 1,
                _ => self.rng.u32(),
            };
        }
        put(&mut data, 0, &size_field.to_ne_bytes());
        let mask = if self.rng.chance(80) {
            self.rng.below(256)
        } else {
            self.rng.next_u64()
        };
        match nr {
            1 => put(&mut data, 4, &(self.rng.below(10) as u32).to_ne_bytes()),
            2..=4 => put(&mut data, 8, &mask.to_ne_bytes()),
            _ => {}
        }
        if nr == 3 {
            for i in 0..8 {
                let v = if self.rng.chance(85) {
                    self.rng.below(2) as u32
                } else {
                    self.rng.interesting_u32()
                };
                put(&mut data, 16 + 4 * i, &v.to_ne_bytes());
            }
        }
        // Flags, reserved fields and tails: a few random bytes anywhere.
        if self.rng.chance(25) {
            for _ in 0..=self.rng.below(3) {
                let at = self.rng.below_usize(data.len());
                if let Some(b) = data.get_mut(at) {
                    *b = self.rng.next_u64() as u8;
                }
            }
        }
        let dir = match self.rng.below(12) {
            0 => abi::IOC_NONE,
            1 => abi::IOC_READ,
            2 => abi::IOC_WRITE,
            _ if nr == 4 => abi::IOC_WRITE,
            _ => abi::IOC_READ | abi::IOC_WRITE,
        };
        let magic = if self.rng.chance(95) {
            abi::IOC_MAGIC
        } else {
            abi::IOC_MAGIC.wrapping_add(1)
        };
        let cmd_size = if self.rng.chance(90) {
            size
        } else {
            self.rng.below_usize(1 << 14)
        };
        let cmd = abi::ioc(dir, magic, nr, cmd_size);
        // Read-write, or read-only where that is all this user may open.
        let f = match self.open_dev(true) {
            Err(Errno::EACCES) => self.open_dev(false),
            other => other,
        };
        let f = match f {
            Ok(f) => f,
            Err(e) => {
                self.stats.record::<()>("ioctl", &Err(e));
                return;
            }
        };
        let r = match self.rng.below(20) {
            0 => sys::ioctl(&f, cmd, 0),
            1 => sys::ioctl(&f, cmd, 0xffff_8000_0000_0000),
            2 | 3 => {
                // The struct runs into the guard page.
                let over = 1 + self.rng.below_usize(data.len().min(64));
                let addr = self.buf.place(&data, over);
                sys::ioctl(&f, cmd, addr)
            }
            4 => {
                // Another thread changes `size` while the kernel reads the struct twice.
                let addr = self.buf.place_start(&data);
                let stop = AtomicBool::new(false);
                let (a, b) = (size as u32, self.rng.interesting_u32());
                std::thread::scope(|s| {
                    let buf = &self.buf;
                    let stop = &stop;
                    s.spawn(move || sys::flip_size(buf, a, b, stop));
                    let mut last = Ok(());
                    for _ in 0..20 {
                        last = sys::ioctl(&f, cmd, addr);
                    }
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    last
                })
            }
            _ => {
                let addr = self.buf.place(&data, 0);
                sys::ioctl(&f, cmd, addr)
            }
        };
        self.stats.record("ioctl", &r);
    }

    // --- generic netlink ---------------------------------------------------------------------

    fn attr(&mut self, depth: u32, out: &mut Vec<u8>) {
        let ty: u16 = match self.rng.below(10) {
            0 => 0,
            1 => 60 + self.rng.below(1000) as u16,
            _ => 1 + self.rng.below(10) as u16,
        };
        let nested = self.rng.chance(30);
        let mut payload = Vec::new();
        if depth < 3 && self.rng.chance(30) {
            for _ in 0..self.rng.below(4) {
                self.attr(depth + 1, &mut payload);
            }
        } else {
            match self.rng.below(6) {
                0 => payload.extend_from_slice(&self.rng.interesting_u32().to_ne_bytes()),
                1 => payload.extend_from_slice(&self.rng.next_u64().to_ne_bytes()),
                2 => {
                    payload.extend_from_slice(self.name().as_bytes());
                    payload.push(0);
                }
                3 => payload.extend_from_slice(self.name().as_bytes()),
                4 => {}
                _ => {
                    let n = self.rng.below_usize(40);
                    payload.extend(self.rng.bytes(n));
                }
            }
        }
        let mut len = 4 + payload.len();
        if self.rng.chance(4) {
            len = self.rng.below_usize(len + 8);
        }
        let ty = ty | if nested { 0x8000 } else { 0 };
        out.extend_from_slice(&(len.min(0xffff) as u16).to_ne_bytes());
        out.extend_from_slice(&ty.to_ne_bytes());
        out.extend_from_slice(&payload);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }

    fn nl_message(&mut self) -> (u8, bool, Vec<u8>) {
        let cmd = if self.rng.chance(90) {
            1 + self.rng.below(4) as u8
        } else {
            self.rng.below(8) as u8
        };
        let dump = self.rng.chance(20);
        let mut attrs = Vec::new();
        if self.rng.chance(3) {
            // More nests than the board has lines.
            for i in 0..70u32 {
                let mut inner = Vec::new();
                for (ty, v) in [(2u16, i % 9), (5u16, 1)] {
                    inner.extend_from_slice(&8u16.to_ne_bytes());
                    inner.extend_from_slice(&ty.to_ne_bytes());
                    inner.extend_from_slice(&v.to_ne_bytes());
                }
                attrs.extend_from_slice(&((4 + inner.len()) as u16).to_ne_bytes());
                attrs.extend_from_slice(&(2u16 | 0x8000).to_ne_bytes());
                attrs.extend_from_slice(&inner);
            }
        } else {
            for _ in 0..self.rng.below(6) {
                self.attr(0, &mut attrs);
            }
        }
        (cmd, dump, attrs)
    }

    /// One raw generic netlink request (any bytes), reading replies until the ack, the end
    /// of the dump, or 200 ms. `allow_change`: false keeps to read commands.
    pub(crate) fn netlink(&mut self, allow_change: bool) {
        let r = self.netlink_inner(allow_change);
        self.stats.record("netlink", &r);
    }

    fn netlink_inner(&mut self, allow_change: bool) -> Result<(), Errno> {
        if self.family == 0 {
            let c = kbridge::netlink::Client::connect().map_err(|_| Errno::ENOENT)?;
            self.family = c.family_id();
        }
        let (mut cmd, dump, attrs) = self.nl_message();
        if !allow_change && (cmd == 3 || cmd == 4) {
            cmd = 2;
        }
        let sock: OwnedFd = socket::socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkGeneric,
        )?;
        socket::bind(sock.as_raw_fd(), &NetlinkAddr::new(0, 0))?;
        if self.rng.chance(20) {
            // A tiny receive buffer: dumps and replies overrun it.
            socket::setsockopt(&sock, socket::sockopt::RcvBuf, &256)?;
        }
        let seq = self.nl_seq;
        self.nl_seq = self.nl_seq.wrapping_add(1);
        let flags: u16 = 1 | if dump { 0x300 } else { 4 }; // REQUEST | DUMP or ACK
        let mut msg = Vec::with_capacity(20 + attrs.len());
        let len = 20 + attrs.len();
        let hdr_len = if self.rng.chance(3) {
            self.rng.below_usize(len + 16)
        } else {
            len
        };
        msg.extend_from_slice(&(hdr_len as u32).to_ne_bytes());
        msg.extend_from_slice(&self.family.to_ne_bytes());
        msg.extend_from_slice(&flags.to_ne_bytes());
        msg.extend_from_slice(&seq.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(&[cmd, 1, 0, 0]);
        msg.extend_from_slice(&attrs);
        socket::sendto(
            sock.as_raw_fd(),
            &msg,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        let mut buf = vec![0u8; if self.rng.chance(20) { 64 } else { 32768 }];
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
            let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(ms))? == 0 {
                return Err(Errno::ETIMEDOUT);
            }
            let n = socket::recv(sock.as_raw_fd(), &mut buf, MsgFlags::MSG_TRUNC)?;
            let got = buf.get(..n.min(buf.len())).unwrap_or(&[]);
            // Walk the messages: an NLMSG_ERROR (2) or NLMSG_DONE (3) of ours ends it.
            let mut off = 0;
            while let Some(h) = got.get(off..off + 16) {
                let mlen = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
                let mtype = u16::from_ne_bytes([h[4], h[5]]);
                let mseq = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
                if mseq == seq && (mtype == 2 || mtype == 3) {
                    let err = got
                        .get(off + 16..off + 20)
                        .map_or(0, |e| i32::from_ne_bytes([e[0], e[1], e[2], e[3]]));
                    return if err == 0 {
                        Ok(())
                    } else {
                        Err(Errno::from_raw(-err))
                    };
                }
                if mlen < 16 {
                    break;
                }
                off += (mlen + 3) & !3;
            }
        }
    }

    // --- chardev -----------------------------------------------------------------------------

    fn command_text(&mut self) -> Vec<u8> {
        let mut t = Vec::new();
        for _ in 0..=self.rng.below(4) {
            let name = self.name();
            let piece = match self.rng.below(12) {
                0 => format!("set {name} {}", self.rng.below(2)),
                1 => format!("{name}={}", self.rng.below(2)),
                2 => format!("toggle {name}"),
                3 => format!("set {name} {}", 1u64 << 32),
                4 => format!("set {name} {}", self.rng.interesting_u32()),
                5 => "set\trelay\t1\r".to_owned(),
                6 => "set relay\u{0}1".to_owned(),
                7 => String::new(),
                8 => format!("relay=0 {name}=1"),
                9 => String::from_utf8_lossy(&self.rng.bytes(12)).into_owned(),
                _ => format!("set {name} {}", self.rng.below(2)),
            };
            t.extend_from_slice(piece.as_bytes());
            if self.rng.chance(90) {
                t.push(b'\n');
            }
        }
        if self.rng.chance(3) {
            t.resize(abi::CHARDEV_MAX_WRITE + 1 + self.rng.below_usize(100), b' ');
        }
        t
    }

    pub(crate) fn chardev(&mut self, allow_change: bool) {
        let write = allow_change && self.rng.chance(50);
        let writable = write || self.rng.chance(30);
        let f = match self.open_dev(writable) {
            Ok(f) => f,
            Err(e) => {
                self.stats.record::<()>("chardev", &Err(e));
                return;
            }
        };
        let r = if write {
            let text = self.command_text();
            let over = if self.rng.chance(15) {
                1 + self.rng.below_usize(text.len().clamp(1, 64))
            } else {
                0
            };
            if text.len() > PAGE {
                io((&f).write(&text)).map(drop)
            } else {
                let addr = self.buf.place(&text, over);
                sys::write_raw(&f, addr, text.len()).map(drop)
            }
        } else {
            let len = *self
                .rng
                .pick(&[0usize, 31, 32, 33, 64, 513, 4096, 4097, 1 + PAGE / 2])
                .unwrap_or(&32);
            let over = if self.rng.chance(20) {
                1 + self.rng.below_usize(len.clamp(1, 64))
            } else {
                0
            };
            let addr = self.buf.place(&vec![0u8; len.min(PAGE)], over);
            sys::read_raw(&f, addr, len.min(PAGE)).map(drop)
        };
        self.stats.record("chardev", &r);
        // Keep some readers open without ever reading: their queues overflow.
        if self.lagging.len() < 3 && self.rng.chance(5) {
            self.lagging.push(f);
        } else if !self.lagging.is_empty() && self.rng.chance(5) {
            self.lagging.remove(0);
        }
    }

    // --- mmap --------------------------------------------------------------------------------

    pub(crate) fn mmap(&mut self) {
        let rw = self.rng.chance(50);
        let f = match self.open_dev(rw) {
            Ok(f) => f,
            Err(e) => {
                self.stats.record::<()>("mmap", &Err(e));
                return;
            }
        };
        let prots = [
            ProtFlags::PROT_NONE,
            ProtFlags::PROT_READ,
            ProtFlags::PROT_WRITE,
            ProtFlags::PROT_EXEC,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            ProtFlags::PROT_READ | ProtFlags::PROT_EXEC,
        ];
        let prot = *self.rng.pick(&prots).unwrap_or(&ProtFlags::PROT_READ);
        let flags = if self.rng.chance(50) {
            MapFlags::MAP_SHARED
        } else {
            MapFlags::MAP_PRIVATE
        };
        let len = *self.rng.pick(&[PAGE, PAGE, 2 * PAGE, 0]).unwrap_or(&PAGE);
        let offset = if self.rng.chance(90) { 0 } else { PAGE as i64 };
        let m = sys::map(&f, len, prot, flags, offset);
        self.stats.record("mmap", &m);
        let Ok(mut m) = m else { return };
        drop(f);
        // Read the page under its seqcount, as a reader would.
        if let Some(magic) = m.read_u32(abi::SHARED_OFF_MAGIC) {
            if magic != abi::SHARED_MAGIC {
                self.stats
                    .violation(format!("shared page magic {magic:#x}"));
            }
        }
        for _ in 0..self.rng.below(3) {
            let r = match self.rng.below(5) {
                0 => m.protect(*self.rng.pick(&prots).unwrap_or(&ProtFlags::PROT_READ)),
                1 => m.remap(2 * PAGE, self.rng.chance(50)),
                2 => m.dontneed(),
                3 => m.fork_read(),
                _ => m.remap(PAGE, false),
            };
            self.stats.record("mmap-op", &r);
        }
        let _ = m.read_u32(abi::SHARED_OFF_MAGIC);
    }

    // --- sysfs and procfs ----------------------------------------------------------------------

    pub(crate) fn sysfs(&mut self, allow_change: bool) {
        let name = (*self.rng.pick(&NAMES).unwrap_or(&"relay")).to_owned();
        let path = format!("{LINES_DIR}/{name}/value");
        let r = if allow_change && self.rng.chance(60) {
            let v: Vec<u8> = match self.rng.below(8) {
                0 => b"2\n".to_vec(),
                1 => b"-1".to_vec(),
                2 => b"abc".to_vec(),
                3 => Vec::new(),
                4 => vec![b'1'; 5000],
                5 => format!("{}\n", self.rng.interesting_u32()).into_bytes(),
                _ => format!("{}\n", self.rng.below(2)).into_bytes(),
            };
            OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|f| f.write_all_at(&v, 0))
        } else {
            File::open(&path).and_then(|f| {
                let mut s = String::new();
                (&f).read_to_string(&mut s)?;
                if self.rng.chance(20) {
                    let mut fds = [PollFd::new(
                        f.as_fd(),
                        PollFlags::POLLPRI | PollFlags::POLLERR,
                    )];
                    let _ = poll(&mut fds, PollTimeout::from(10u8));
                }
                Ok(())
            })
        };
        self.stats.record("sysfs", &io(r));
    }

    pub(crate) fn procfs(&mut self) {
        let r = std::fs::read_to_string(abi::PROC_PATH).map(drop);
        self.stats.record("procfs", &io(r));
    }

    /// One operation of a random kind (weights: ioctl 30, netlink 20, chardev 20, mmap 10,
    /// sysfs 15, procfs 5).
    pub(crate) fn random_op(&mut self, allow_change: bool) {
        match self.rng.below(100) {
            0..=29 => self.ioctl(allow_change),
            30..=49 => self.netlink(allow_change),
            50..=69 => self.chardev(allow_change),
            70..=79 => self.mmap(),
            80..=94 => self.sysfs(allow_change),
            _ => self.procfs(),
        }
    }
}
