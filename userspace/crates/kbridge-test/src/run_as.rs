//! `run-as UID GID[,GID...] CMD [ARG...]`: drop to a user and exec a command.

use std::ffi::CString;
use std::fmt;

use nix::unistd::{execvp, setgid, setgroups, setuid, Gid, Uid};

#[derive(Debug)]
pub(crate) enum Error {
    Usage,
    Sys(&'static str, nix::errno::Errno),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage => write!(f, "usage"),
            Error::Sys(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

/// Switches groups, then the user, then execs; returns only on failure.
pub(crate) fn exec(args: &[String]) -> Result<std::convert::Infallible, Error> {
    let [uid, gids, cmd @ ..] = args else {
        return Err(Error::Usage);
    };
    let uid: u32 = uid.parse().map_err(|_| Error::Usage)?;
    let gids: Vec<Gid> = gids
        .split(',')
        .map(|g| g.parse().map(Gid::from_raw).map_err(|_| Error::Usage))
        .collect::<Result<_, _>>()?;
    let Some(&primary) = gids.first() else {
        return Err(Error::Usage);
    };
    let argv: Vec<CString> = cmd
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| Error::Usage))
        .collect::<Result<_, _>>()?;
    let Some(prog) = argv.first() else {
        return Err(Error::Usage);
    };
    setgroups(&gids).map_err(|e| Error::Sys("setgroups", e))?;
    setgid(primary).map_err(|e| Error::Sys("setgid", e))?;
    setuid(Uid::from_raw(uid)).map_err(|e| Error::Sys("setuid", e))?;
    execvp(prog, &argv).map_err(|e| Error::Sys("exec", e))
}
