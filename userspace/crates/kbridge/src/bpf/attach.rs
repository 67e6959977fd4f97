//! Loading and attaching the program, seeding the line map and pinning it all; detaching and
//! the status report.

use super::*;

/// What [`attach`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachReport {
    /// Where everything is pinned.
    pub pin_dir: PathBuf,
    /// Lines seeded from the module.
    pub seeded: u32,
    /// The global sequence number of the snapshot the map was seeded from.
    pub seed_seq: u64,
    /// Seeding rounds needed (1 unless changes raced with it).
    pub seed_rounds: u32,
}

/// What [`status`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BpfStatus {
    /// The pin directory.
    pub pin_dir: PathBuf,
    /// Which of [`PINS`] exist.
    pub pinned: Vec<&'static str>,
    /// The link is pinned: the program is attached.
    pub attached: bool,
    /// Ids of the loaded BPF programs called [`PROGRAM`] (empty once detached and freed).
    pub program_ids: Vec<u32>,
    /// The program's counters, when the statistics map is pinned.
    pub stats: Option<BpfStats>,
}

/// Fails unless bpffs is mounted on the pin directory's parent (`/sys/fs/bpf`).
fn check_bpffs(dir: &Path) -> Result<()> {
    let parent = dir.parent().unwrap_or(dir);
    let st = nix::sys::statfs::statfs(parent).map_err(|e| {
        io_error(
            "check bpffs",
            parent,
            io::Error::from_raw_os_error(e as i32),
        )
    })?;
    if st.filesystem_type() != nix::sys::statfs::FsType(BPF_FS_MAGIC as _) {
        return Err(Error::Bpf {
            op: "check bpffs",
            detail: format!(
                "{} is not a bpf filesystem (mount -t bpf bpf {})",
                parent.display(),
                parent.display()
            ),
            errno: None,
        });
    }
    Ok(())
}

/// Loads the program, attaches it to the tracepoint, seeds the line map and pins the link and
/// the maps under [`pin_dir`]. Needs root (`CAP_BPF` + `CAP_PERFMON`), the module loaded,
/// bpffs on `/sys/fs/bpf` and tracefs on `/sys/kernel/tracing`.
///
/// Fails with `EEXIST` when already attached (see [`detach`]); leftovers of an interrupted
/// attach (maps pinned without a link) are removed first.
pub fn attach(config: &Config) -> Result<AttachReport> {
    let dir = pin_dir(config);
    if dir.join(PIN_LINK).exists() {
        return Err(Error::Bpf {
            op: "attach",
            detail: format!(
                "already attached ({} exists); `kbridge bpf detach` first",
                dir.join(PIN_LINK).display()
            ),
            errno: Some(nix::errno::Errno::EEXIST as i32),
        });
    }
    let mut dev = Device::open(VIA, config)?;
    let board = dev.board_info()?;
    check_bpffs(&dir)?;
    remove_pins(&dir)?;

    let mut ebpf = Ebpf::load(OBJECT).map_err(|e| bpf_error("load the BPF object", e))?;
    let program: &mut TracePoint = ebpf
        .program_mut(PROGRAM)
        .ok_or_else(|| Error::protocol(VIA, format!("the BPF object has no program {PROGRAM}")))?
        .try_into()
        .map_err(|e| bpf_error("load the program", e))?;
    program
        .load()
        .map_err(|e| bpf_error("load the program", e))?;
    let link_id = program
        .attach(TRACEPOINT.0, TRACEPOINT.1)
        .map_err(|e| bpf_error("attach to kbridge:kbridge_line_change", e))?;
    let link = program
        .take_link(link_id)
        .map_err(|e| bpf_error("take the link", e))?;
    let link = FdLink::try_from(link).map_err(|e| bpf_error("take the link", e))?;

    // Attached: from here on every change reaches the maps. Now seed them.
    let (seeded, seed_seq, seed_rounds) = {
        let map = ebpf
            .map_mut(MAPS[0].0)
            .ok_or_else(|| Error::protocol(VIA, "the BPF object has no line map"))?;
        let mut lines: Array<&mut MapData, [u8; LINE_ENTRY_SIZE]> =
            Array::try_from(map).map_err(|e| bpf_error("open the line map", e))?;
        seed(&mut dev, &mut lines, board.num_lines)?
    };

    // Pin the maps, then the link; on failure remove what was pinned (dropping `link`
    // detaches the program).
    fs::create_dir_all(&dir).map_err(|e| io_error("create the pin directory", &dir, e))?;
    let pinned = (|| {
        for (name, file) in MAPS {
            ebpf.map(name)
                .ok_or_else(|| Error::protocol(VIA, format!("the BPF object has no map {name}")))?
                .pin(dir.join(file))
                .map_err(|e| bpf_error("pin a map", e))?;
        }
        link.pin(dir.join(PIN_LINK))
            .map_err(|e| bpf_error("pin the link", e))
    })();
    if let Err(e) = pinned {
        let _ = remove_pins(&dir);
        return Err(e);
    }
    Ok(AttachReport {
        pin_dir: dir,
        seeded,
        seed_seq,
        seed_rounds,
    })
}

/// Fills the line map from the module; see the module documentation for why it is safe
/// against concurrent changes. Returns (lines seeded, snapshot seq, rounds).
fn seed(
    dev: &mut Device,
    lines: &mut Array<&mut MapData, [u8; LINE_ENTRY_SIZE]>,
    num_lines: u32,
) -> Result<(u32, u64, u32)> {
    let mask = abi::lines_mask(num_lines);
    let snapshot = |dev: &mut Device| -> Result<abi::IocValues> {
        let fd = dev.file(false)?.as_fd();
        sys::ioctl::get_values(fd, mask).map_err(|e| dev.os("read values", e))
    };
    for round in 1..=SEED_ROUNDS {
        let snap = snapshot(dev)?;
        let infos = (0..num_lines)
            .map(|i| dev.line_info(i))
            .collect::<Result<Vec<LineInfo>>>()?;
        let mut seeded = 0;
        for (i, info) in (0..num_lines).zip(&infos) {
            let cur = lines
                .get(&i, 0)
                .map_err(|e| bpf_error("read the line map", e))?;
            let cur = LineEntry::from_bytes(&cur);
            if cur.flags & LINE_VALID != 0 && cur.seq > snap.seq {
                // The program recorded a change made after the snapshot: keep it (this round
                // will be repeated anyway, since the sequence number moved).
                continue;
            }
            let entry = LineEntry {
                seq: snap.seq,
                timestamp_ns: info.last_change_ns.unwrap_or(0),
                changes: info.changes.unwrap_or(0),
                value: snap.values.get(i as usize).copied().unwrap_or(0),
                source: info.last_source.map_or(abi::SOURCE_INIT, Source::to_abi),
                kind: info.kind.to_abi(),
                flags: LINE_VALID | LINE_SEEDED,
                reserved: 0,
            };
            lines
                .set(i, entry.to_bytes(), 0)
                .map_err(|e| bpf_error("seed the line map", e))?;
            seeded += 1;
        }
        if snapshot(dev)?.seq == snap.seq {
            return Ok((seeded, snap.seq, round));
        }
    }
    Err(Error::Bpf {
        op: "seed the line map",
        detail: format!("the board changed during each of {SEED_ROUNDS} attempts"),
        errno: Some(nix::errno::Errno::EBUSY as i32),
    })
}

/// Removes whatever of [`PINS`] exists, then the directory. The link goes first and its last
/// descriptor is closed here, so the program is detached (and the module's reference dropped)
/// before this returns.
fn remove_pins(dir: &Path) -> Result<Vec<&'static str>> {
    let mut removed = Vec::new();
    for name in PINS {
        let path = dir.join(name);
        if fs::symlink_metadata(&path).is_err() {
            continue;
        }
        if name == PIN_LINK {
            // Hold the link while unpinning so the final put is our close() (synchronous),
            // not the pin's (a deferred work item).
            let link = PinnedLink::from_pin(&path).map_err(|e| bpf_error("open the link", e))?;
            let fd_link = link
                .unpin()
                .map_err(|e| io_error("unpin the link", &path, e))?;
            drop(fd_link);
        } else {
            fs::remove_file(&path).map_err(|e| io_error("unpin a map", &path, e))?;
        }
        removed.push(name);
    }
    match fs::remove_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error("remove the pin directory", dir, e)),
    }
    Ok(removed)
}

/// Unpins the link and the maps and removes the pin directory: the program is detached, and
/// the kernel frees it and the maps once no reader (such as a running `watch`) holds them.
/// Returns what was removed; [`Error::BpfNotAttached`] if nothing was pinned.
pub fn detach(config: &Config) -> Result<Vec<&'static str>> {
    let dir = pin_dir(config);
    let removed = remove_pins(&dir)?;
    if removed.is_empty() {
        return Err(Error::BpfNotAttached {
            path: dir.join(PIN_LINK),
        });
    }
    Ok(removed)
}

/// What is pinned, whether the program is loaded, and its counters.
pub fn status(config: &Config) -> Result<BpfStatus> {
    let dir = pin_dir(config);
    let pinned: Vec<&'static str> = PINS
        .into_iter()
        .filter(|n| fs::symlink_metadata(dir.join(n)).is_ok())
        .collect();
    let stats = if pinned.contains(&PIN_STATS) {
        Some(read_stats(&dir)?)
    } else {
        None
    };
    let mut program_ids = Vec::new();
    for info in aya::programs::loaded_programs() {
        let info = info.map_err(|e| bpf_error("list loaded programs", e))?;
        if info.name_as_str() == Some(PROGRAM) {
            program_ids.push(info.id());
        }
    }
    Ok(BpfStatus {
        pin_dir: dir,
        attached: pinned.contains(&PIN_LINK),
        pinned,
        program_ids,
        stats,
    })
}
