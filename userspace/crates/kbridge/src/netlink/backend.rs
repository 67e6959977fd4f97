//! [`NetlinkBackend`]: the [`Backend`] over the family's commands.

use super::*;

/// Backend over the generic netlink family.
#[derive(Debug)]
pub struct NetlinkBackend {
    client: Client,
}

pub(super) fn line_of(r: &Reply) -> Result<(u32, LineInfo)> {
    let index = r.need("a line index", r.u32(line::INDEX))?;
    let name = r.need("a line name", r.str(line::NAME))?;
    let kind = LineKind::from_abi(r.need("a line kind", r.u8(line::KIND))?);
    let value = r.need("a value", r.u32(line::VALUE))?;
    let max = r.need("a max-value", r.u32(line::MAX_VALUE))?;
    let mut l = LineInfo::new(name, kind, value, max);
    l.active_low = r.u32(line::FLAGS).unwrap_or(0) & abi::LINE_FLAG_ACTIVE_LOW != 0;
    l.changes = r.u64(line::CHANGES);
    l.last_source = r.u8(line::LAST_SOURCE).map(Source::from_abi);
    l.last_change_ns = r.u64(line::LAST_CHANGE_NS);
    Ok((index, l))
}

impl NetlinkBackend {
    /// Opens a socket and resolves the family.
    pub fn open() -> Result<Self> {
        Ok(NetlinkBackend {
            client: Client::connect()?,
        })
    }

    /// The raw client.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Sets lines atomically; returns the sequence number after the change.
    pub fn set_with_seq(&mut self, values: &[(&str, u32)]) -> Result<u64> {
        check_unique(values.iter().map(|(n, _)| *n))?;
        let attrs: Vec<RawAttr> = values
            .iter()
            .map(|&(name, v)| {
                RawAttr::nest(
                    change::ASSIGN,
                    &[RawAttr::str(line::NAME, name), RawAttr::u32(line::VALUE, v)],
                )
            })
            .collect();
        match self.client.request(cmd::LINE_SET, &attrs, false) {
            Ok(r) => seq_of(&r),
            Err(e) => Err(self.explain(e, |lines| check_set_request(lines, values))),
        }
    }

    /// Toggles lines atomically; returns the sequence number after the change.
    pub fn toggle_with_seq(&mut self, names: &[&str]) -> Result<u64> {
        check_unique(names.iter().copied())?;
        let attrs: Vec<RawAttr> = names
            .iter()
            .map(|&name| RawAttr::nest(change::TARGET, &[RawAttr::str(line::NAME, name)]))
            .collect();
        match self.client.request(cmd::LINE_TOGGLE, &attrs, false) {
            Ok(r) => seq_of(&r),
            Err(e) => Err(self.explain(e, |lines| check_toggle_request(lines, names))),
        }
    }

    /// A refused change that the line table explains becomes the precise library error
    /// (unknown line with a suggestion, input line, value out of range).
    fn explain(&mut self, e: Error, check: impl FnOnce(&[LineInfo]) -> Result<()>) -> Error {
        let explainable = matches!(e.errno(), Some(ENOENT | EINVAL | ERANGE));
        if explainable {
            if let Ok(lines) = self.lines() {
                if let Err(precise) = check(&lines) {
                    return precise;
                }
            }
        }
        e
    }
}

pub(super) fn seq_of(replies: &[Reply]) -> Result<u64> {
    let r = replies
        .first()
        .ok_or_else(|| Error::protocol(VIA, "no reply to a change"))?;
    r.need("a sequence number", r.u64(change::SEQ))
}

impl Backend for NetlinkBackend {
    fn via(&self) -> Interface {
        VIA
    }

    fn board(&mut self) -> Result<BoardInfo> {
        let replies = self.client.request(cmd::BOARD_GET, &[], false)?;
        let r = replies
            .first()
            .ok_or_else(|| Error::protocol(VIA, "no reply to board-get"))?;
        let abi_version = r.need("an ABI version", r.u32(board::ABI_VERSION))?;
        if abi_version != abi::ABI_VERSION {
            return Err(Error::AbiMismatch {
                via: VIA,
                kernel: abi_version,
                user: abi::ABI_VERSION,
            });
        }
        Ok(BoardInfo {
            name: r.need("a label", r.str(board::LABEL))?,
            abi_version,
            num_lines: r.need("a line count", r.u32(board::LINE_COUNT))?,
            seq: r.need("a sequence number", r.u64(board::SEQ))?,
        })
    }

    /// One dump: a message per line, in index order.
    fn lines(&mut self) -> Result<Vec<LineInfo>> {
        let replies = self.client.request(cmd::LINE_GET, &[], true)?;
        let mut lines = Vec::with_capacity(replies.len());
        for (expected, r) in replies.iter().enumerate() {
            let (index, l) = line_of(r)?;
            if usize::try_from(index).ok() != Some(expected) {
                return Err(Error::protocol(
                    VIA,
                    format!("dump gave line {index} where {expected} was expected"),
                ));
            }
            lines.push(l);
        }
        Ok(lines)
    }

    /// One `line-get` by name.
    fn line(&mut self, name: &str) -> Result<LineInfo> {
        abi::validate_name(name.as_bytes()).map_err(|reason| Error::InvalidName {
            name: name.to_owned(),
            reason,
        })?;
        match self
            .client
            .request(cmd::LINE_GET, &[RawAttr::str(line::NAME, name)], false)
        {
            Ok(r) => {
                let r = r
                    .first()
                    .ok_or_else(|| Error::protocol(VIA, "no reply to line-get"))?;
                Ok(line_of(r)?.1)
            }
            Err(e) if e.errno() == Some(ENOENT) => {
                let lines = self.lines()?;
                crate::backend::find(&lines, name).cloned()
            }
            Err(e) => Err(e),
        }
    }

    /// One `line-set`: atomic.
    fn set(&mut self, values: &[(&str, u32)]) -> Result<()> {
        self.set_with_seq(values).map(|_| ())
    }

    /// One `line-toggle`: atomic.
    fn toggle(&mut self, names: &[&str]) -> Result<()> {
        self.toggle_with_seq(names).map(|_| ())
    }

    fn events(&mut self) -> Result<EventStream> {
        Ok(EventStream::new(Box::new(NetlinkEvents::subscribe(
            &mut self.client,
        )?)))
    }
}
