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

/// Linux capability numbers by their `cap` option names (`setuid`, `CAP_SETUID`…).
pub fn capability(name: &str) -> Option<u32> {
    let name = name.trim().to_ascii_lowercase();
    let name = name.strip_prefix("cap_").unwrap_or(&name);
    Some(match name {
        "chown" => 0,
        "dac_override" => 1,
        "dac_read_search" => 2,
        "fowner" => 3,
        "fsetid" => 4,
        "kill" => 5,
        "setgid" => 6,
        "setuid" => 7,
        "setpcap" => 8,
        "net_bind_service" => 10,
        "net_broadcast" => 11,
        "net_admin" => 12,
        "net_raw" => 13,
        "ipc_lock" => 14,
        "sys_chroot" => 18,
        "sys_ptrace" => 19,
        "sys_admin" => 21,
        "sys_nice" => 23,
        "sys_resource" => 24,
        _ => return None,
    })
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

/// Sets this thread's permitted and effective sets to exactly `caps` (inheritable empty).
/// Async-signal-safe: usable between fork and exec.
pub fn set_capabilities(caps: &[u32]) -> io::Result<()> {
    let mut data = [CapData::default(); 2];
    for &cap in caps {
        let (word, bit) = ((cap / 32) as usize, cap % 32);
        if word < 2 {
            data[word].effective |= 1 << bit;
            data[word].permitted |= 1 << bit;
        }
    }
    let header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    // SAFETY: capset with a valid v3 header and two data words, as the ABI requires.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &raw const header, data.as_ptr()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Drops to `ids` (as [`drop_to`]) but keeps `caps` permitted and effective: the
/// unprivileged Emperor (Fedora's `uid = uwsgi` + `cap = setgid,setuid`) still switches to
/// each tyrant vassal's owner. Threads started later inherit the sets.
pub fn drop_keeping(ids: &Ids, initgroups: bool, caps: &[u32]) -> io::Result<()> {
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let dropped = drop_to(ids, initgroups);
    // SAFETY: as above.
    unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) };
    dropped?;
    set_capabilities(caps)
}
