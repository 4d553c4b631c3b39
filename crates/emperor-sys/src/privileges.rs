//! Dropping root: `uid`/`gid` by name or number, supplementary groups, and a check that the
//! drop cannot be undone (DESIGN, "Privileges").
//!
//! Order, as uWSGI and every careful daemon: supplementary groups first (`initgroups` for the
//! user, or none with `no-initgroups`), then `setgid`, then `setuid`, then verify that
//! `setuid(0)` fails. Doing `setuid` first would leave the process unable to change groups.

use std::ffi::CString;
use std::io;

use nix::unistd::{Gid, Group, Uid, User};

/// A user or group resolved from the user database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// The user's name, for `initgroups` (None when given by a number without a passwd entry).
    pub user: Option<String>,
}

fn err(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, message)
}

/// Resolves `uid`/`gid` options (names or numbers). A user without `gid` gets its primary
/// group, as uWSGI does.
pub fn resolve(uid: Option<&str>, gid: Option<&str>) -> io::Result<Ids> {
    let user = match uid {
        None => None,
        Some(u) => Some(match u.parse::<u32>() {
            Ok(n) => (n, User::from_uid(Uid::from_raw(n)).ok().flatten()),
            Err(_) => {
                let found = User::from_name(u)
                    .map_err(io::Error::from)?
                    .ok_or_else(|| err(format!("user `{u}` does not exist")))?;
                (found.uid.as_raw(), Some(found))
            }
        }),
    };
    let group = match gid {
        None => user
            .as_ref()
            .and_then(|(_, u)| u.as_ref().map(|u| u.gid.as_raw())),
        Some(g) => Some(match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => Group::from_name(g)
                .map_err(io::Error::from)?
                .ok_or_else(|| err(format!("group `{g}` does not exist")))?
                .gid
                .as_raw(),
        }),
    };
    Ok(Ids {
        uid: user.as_ref().map(|(n, _)| *n),
        gid: group,
        user: user.and_then(|(_, u)| u.map(|u| u.name)),
    })
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Uid::effective().is_root()
}

/// Drops to `ids`: groups, then gid, then uid, then checks the drop is permanent.
pub fn drop_to(ids: &Ids, initgroups: bool) -> io::Result<()> {
    if let Some(gid) = ids.gid {
        let gid = Gid::from_raw(gid);
        match (&ids.user, initgroups) {
            (Some(name), true) => {
                let name = CString::new(name.as_str())
                    .map_err(|_| err("user name has a NUL byte".into()))?;
                nix::unistd::initgroups(&name, gid)?;
            }
            _ => nix::unistd::setgroups(&[gid])?,
        }
        nix::unistd::setresgid(gid, gid, gid)?;
    }
    if let Some(uid) = ids.uid {
        let uid = Uid::from_raw(uid);
        nix::unistd::setresuid(uid, uid, uid)?;
        if !uid.is_root() && nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "setuid(0) succeeded after dropping privileges",
            ));
        }
    }
    Ok(())
}

/// The real uid and gid of this process.
pub fn current_ids() -> (u32, u32) {
    (Uid::current().as_raw(), Gid::current().as_raw())
}

/// The supplementary groups `initgroups` would give `uid` (its passwd name) with primary
/// group `gid`; just `[gid]` for a uid without a passwd entry. Resolved in the parent: NSS is
/// not async-signal-safe, so a forked child must not look users up.
pub fn group_list(uid: u32, gid: u32) -> Vec<u32> {
    let Some(user) = User::from_uid(Uid::from_raw(uid)).ok().flatten() else {
        return vec![gid];
    };
    let Ok(name) = CString::new(user.name) else {
        return vec![gid];
    };
    nix::unistd::getgrouplist(&name, Gid::from_raw(gid)).map_or_else(
        |_| vec![gid],
        |groups| groups.into_iter().map(Gid::as_raw).collect(),
    )
}
