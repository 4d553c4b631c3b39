//! Tyrant mode: each vassal runs as the owner of its file, and a user who can write a vassal
//! file gains nothing beyond their own account.
//!
//! # Theory of operation
//! The identity and the bytes come from the same open descriptor: the file is opened with
//! `O_NOFOLLOW | O_NONBLOCK` (a symlink is refused, a FIFO cannot block the emperor), the
//! descriptor is `fstat`ed (regular file, at most 65535 bytes) and read; the bytes go to the
//! vassal over its config descriptor, so swapping the file after the check changes nothing.
//! This runs at every spawn and respawn (uWSGI reuses the owner it saw first).
//!
//! Refused, each with the fix in the message: uid 0 or gid 0 (uWSGI's "invalid
//! permissions"); a symlink, unless `emperor-tyrant-nofollow` and the link's owner also owns
//! the target (else root would read bob's file on alice's behalf); a group- or world-writable
//! file (someone else could write the config that runs as the owner); a file with more than
//! one hard link (a link to someone else's file). A refused vassal waits until its file
//! changes. The vassal itself refuses a config whose `uid`/`gid` is another user (it runs
//! unprivileged and could not switch anyway: uWSGI loops on "cannot `setgid()` as non-root
//! user", #1776).
//!
//! The drop itself is [`emperor_sys::spawn`]'s: groups, gid, uid, verified, no capability
//! left, then `PR_SET_PDEATHSIG`.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use emperor_proto::link::MAX_CONFIG;
use emperor_sys::spawn::{Credentials, ReadError};

use crate::Settings;

/// Why a vassal file will not run (yet).
#[derive(Debug)]
pub enum Refusal {
    /// A tyrant rule: the message says what to `chown`/`chmod`.
    Rule(String),
    /// The file could not be read.
    Read(ReadError),
}

/// Reads `path` for a tyrant spawn: its bytes and who runs them.
pub fn read(path: &Path, settings: &Settings) -> Result<(Vec<u8>, Credentials), Refusal> {
    let shown = path.display();
    let (bytes, meta, owner) = match emperor_sys::spawn::read_config(path, MAX_CONFIG as u64) {
        Ok((bytes, meta)) => {
            let owner = (meta.uid(), meta.gid());
            (bytes, meta, owner)
        }
        Err(ReadError::Symlink) if settings.tyrant_nofollow => {
            let link =
                std::fs::symlink_metadata(path).map_err(|e| Refusal::Read(ReadError::Io(e)))?;
            let (bytes, target) =
                emperor_sys::spawn::read_config_following(path, MAX_CONFIG as u64)
                    .map_err(Refusal::Read)?;
            if (link.uid(), link.gid()) != (target.uid(), target.gid()) {
                return Err(Refusal::Rule(format!(
                    "is a symbolic link owned by uid {} gid {} to a file owned by uid {} gid \
                     {}: with `emperor-tyrant-nofollow` the link's owner must own the target \
                     too (`chown -h` the link, or copy the file)",
                    link.uid(),
                    link.gid(),
                    target.uid(),
                    target.gid()
                )));
            }
            (bytes, target, (link.uid(), link.gid()))
        }
        Err(ReadError::Symlink) => {
            return Err(Refusal::Rule(
                "is a symbolic link: in tyrant mode a vassal file must be a regular file owned \
                 by the user it runs as (replace the link with a copy, or set \
                 `emperor-tyrant-nofollow` to accept links whose owner owns the target)"
                    .to_owned(),
            ));
        }
        Err(e) => return Err(Refusal::Read(e)),
    };
    let (uid, gid) = owner;
    if uid == 0 || gid == 0 {
        return Err(Refusal::Rule(format!(
            "is owned by uid {uid} gid {gid}: tyrant mode never runs a vassal as root; give \
             the file to the user it should run as: `chown USER:GROUP {shown}`"
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Refusal::Rule(format!(
            "is writable by its group or by everyone (mode {:o}): anyone who can write it \
             runs code as uid {uid}; `chmod go-w {shown}`",
            meta.mode() & 0o7777
        )));
    }
    if meta.nlink() > 1 {
        return Err(Refusal::Rule(format!(
            "has {} hard links: a hard link can make another user's file run as its owner; \
             replace it with a copy (`cp --remove-destination`)",
            meta.nlink()
        )));
    }
    let groups = if settings.tyrant_initgroups {
        emperor_sys::privileges::group_list(uid, gid)
    } else {
        Vec::new()
    };
    Ok((bytes, Credentials { uid, gid, groups }))
}
