//! Facts about the host and its user database.
//!
//! uWSGI's magic variables `%h %u %U %g %G %k` read these once at startup; `emperor check`
//! uses the lookups to warn about users and groups that do not exist.

use nix::unistd::{Gid, Group, Uid, User};

/// The host facts that config expansion needs, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// `gethostname(2)`.
    pub hostname: String,
    /// Real uid of this process.
    pub uid: u32,
    /// Name of `uid` in the user database, or the number when it has none.
    pub user: String,
    /// Real gid of this process.
    pub gid: u32,
    /// Name of `gid` in the group database, or the number when it has none.
    pub group: String,
    /// Number of CPUs this process may run on.
    pub cpus: usize,
}

impl HostFacts {
    /// Reads the facts of the running process.
    pub fn current() -> HostFacts {
        let uid = Uid::current();
        let gid = Gid::current();
        let hostname = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "localhost".to_owned());
        let user = User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| uid.to_string(), |u| u.name);
        let group = Group::from_gid(gid)
            .ok()
            .flatten()
            .map_or_else(|| gid.to_string(), |g| g.name);
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        HostFacts {
            hostname,
            uid: uid.as_raw(),
            user,
            gid: gid.as_raw(),
            group,
            cpus,
        }
    }
}

/// Whether a user given by name or number exists in the user database.
pub fn user_exists(name_or_id: &str) -> bool {
    match name_or_id.parse::<u32>() {
        Ok(_) => true,
        Err(_) => User::from_name(name_or_id).ok().flatten().is_some(),
    }
}

/// Whether a group given by name or number exists in the group database.
pub fn group_exists(name_or_id: &str) -> bool {
    match name_or_id.parse::<u32>() {
        Ok(_) => true,
        Err(_) => Group::from_name(name_or_id).ok().flatten().is_some(),
    }
}

/// The name and home directory of `uid` in the user database.
pub fn user_by_uid(uid: u32) -> Option<(String, std::path::PathBuf)> {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| (u.name, u.dir))
}
