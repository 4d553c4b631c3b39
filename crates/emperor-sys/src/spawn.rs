//! Starting a vassal master from the Emperor: fork + exec of the emperor's own binary.
//!
//! # Theory of operation
//! The Emperor runs tokio, so it has threads; a threaded process may only fork to exec at
//! once (DESIGN, "Threads rule"). [`spawn`] therefore does nothing in the child but
//! async-signal-safe syscalls between `fork` and `exec`, in this order:
//!
//! 1. `setsid()`: the vassal gets its own session and process group, so stopping it can
//!    signal its whole tree (`kill(-pgid)`), workers and helpers included;
//! 2. the descriptors the vassal must inherit (the emperor link, the config descriptor) are
//!    duplicated to the fixed numbers asked for, and every other descriptor above them is
//!    marked close-on-exec (nothing of the emperor leaks into a vassal);
//! 3. tyrant mode ([`Credentials`]): `setgroups` (the list resolved in the parent: NSS is not
//!    async-signal-safe), `setresgid`, `setresuid`, then checks that every id is the target
//!    and that `setuid(0)` fails; `PR_SET_KEEPCAPS` off and the ambient capability set
//!    cleared, so no capability survives the `exec` even from an unprivileged emperor that
//!    holds `CAP_SETUID`;
//! 4. `PR_SET_PDEATHSIG(SIGKILL)`, *after* the credential change (which clears it): if the
//!    emperor dies, the vassal master dies with it (and its workers follow theirs). The death
//!    signal follows the parent *thread*, so callers spawn from one long-lived thread;
//! 5. `exec` with an environment built by the caller from scratch.

use std::io;
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// What to start.
#[derive(Debug)]
pub struct SpawnSpec<'a> {
    pub program: &'a Path,
    /// The whole argv, `argv[0]` included.
    pub args: &'a [String],
    /// The whole environment (nothing else is inherited).
    pub env: &'a [(String, String)],
    pub cwd: &'a Path,
    /// `(descriptor in this process, number it gets in the child)`; at most 8. Targets are 0
    /// (an on-demand listening socket as stdin) or at least 3.
    pub fds: &'a [(RawFd, RawFd)],
    /// Run as this user (tyrant mode); `None` keeps the emperor's identity.
    pub credentials: Option<&'a Credentials>,
}

/// Who a vassal runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (empty: none; see [`crate::privileges::group_list`]).
    pub groups: Vec<u32>,
}

/// Forks and execs `spec`; returns the child's pid. The child is not reaped here: the
/// caller's reaper collects it.
pub fn spawn(spec: &SpawnSpec<'_>) -> io::Result<i32> {
    const MAX_FDS: usize = 8;
    if spec.fds.len() > MAX_FDS || spec.fds.iter().any(|&(_, to)| to == 1 || to == 2 || to < 0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "at most 8 inherited descriptors, numbered 0 (stdin) or 3 and up",
        ));
    }
    let mut fds = [(-1, -1); MAX_FDS];
    fds[..spec.fds.len()].copy_from_slice(spec.fds);
    let count = spec.fds.len();
    let highest = spec.fds.iter().map(|&(_, to)| to).max().unwrap_or(2).max(2);
    let parent = std::process::id();
    let credentials = spec.credentials.cloned();
    let mut command = Command::new(spec.program);
    command
        .arg0(spec.args.first().map_or("emperor", String::as_str))
        .args(spec.args.iter().skip(1))
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(spec.cwd)
        .stdin(Stdio::null());
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe syscalls (setsid, fcntl, dup2, close_range, prctl, getppid, _exit) on
    // stack data; it allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            // Move every source out of the way first, so that a source numbered like another
            // entry's target is not clobbered by the dup2 below.
            let mut moved = [-1; MAX_FDS];
            for i in 0..count {
                let fd = libc::fcntl(fds[i].0, libc::F_DUPFD_CLOEXEC, 64 + highest);
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                moved[i] = fd;
            }
            for i in 0..count {
                // dup2 clears close-on-exec on the new descriptor.
                if libc::dup2(moved[i], fds[i].1) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // Everything above the inherited descriptors closes at exec (std's own error
            // pipe included, which is close-on-exec already and must stay open until then).
            let first = u32::try_from(highest + 1).unwrap_or(3);
            if libc::syscall(
                libc::SYS_close_range,
                first,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            ) < 0
            {
                for fd in highest + 1..4096 {
                    let flags = libc::fcntl(fd, libc::F_GETFD);
                    if flags >= 0 {
                        libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                    }
                }
            }
            if let Some(c) = &credentials {
                drop_credentials(c)?;
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) < 0 {
                return Err(io::Error::last_os_error());
            }
            // The emperor may have died between fork and prctl.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let child = command.spawn()?;
    // Dropping a `Child` neither waits nor kills: the caller's reaper owns it now.
    Ok(i32::try_from(child.id()).unwrap_or(-1))
}

/// The tyrant drop, in the forked child: only async-signal-safe syscalls on data prepared by
/// the parent.
///
/// # Safety
/// Called between `fork` and `exec` only.
unsafe fn drop_credentials(c: &Credentials) -> io::Result<()> {
    let fail = || Err(io::Error::last_os_error());
    // SAFETY: plain syscalls on integers and a slice the parent allocated.
    unsafe {
        if libc::setgroups(c.groups.len(), c.groups.as_ptr()) < 0 {
            return fail();
        }
        if libc::setresgid(c.gid, c.gid, c.gid) < 0 || libc::setresuid(c.uid, c.uid, c.uid) < 0 {
            return fail();
        }
        let (mut r, mut e, mut s) = (0, 0, 0);
        if libc::getresgid(&raw mut r, &raw mut e, &raw mut s) < 0
            || (r, e, s) != (c.gid, c.gid, c.gid)
            || libc::getresuid(&raw mut r, &raw mut e, &raw mut s) < 0
            || (r, e, s) != (c.uid, c.uid, c.uid)
        {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the credentials did not change as asked",
            ));
        }
        // An unprivileged emperor keeps CAP_SETUID/SETGID (its `cap`): they survive a change
        // between two non-zero uids, so clear every set before checking the drop.
        if crate::privileges::set_capabilities(&[]).is_err() {
            return fail();
        }
        if c.uid != 0 && libc::setuid(0) == 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "setuid(0) succeeded after dropping privileges",
            ));
        }
        if libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 {
            return fail();
        }
        // Cleared even if the emperor never raised any: nothing ambient crosses the exec.
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
    }
    Ok(())
}

/// The pids of this process's direct children (`/proc/self/task/*/children`), adopted ones
/// included (the emperor is a subreaper).
pub fn children() -> Vec<i32> {
    children_of(i32::try_from(std::process::id()).unwrap_or(i32::MAX))
}

/// The pids of the direct children of process `pid`, from every one of its threads
/// (`/proc/PID/task/*/children`), sorted.
pub fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The process group of `pid`, if it still exists.
pub fn process_group(pid: i32) -> Option<i32> {
    let pgid = nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid))).ok()?;
    Some(pgid.as_raw())
}

/// Why a vassal file could not be read for a spawn.
#[derive(Debug)]
pub enum ReadError {
    /// The path is a symbolic link (opened with `O_NOFOLLOW`).
    Symlink,
    /// Not a regular file (a FIFO, a device, a directory).
    NotRegular,
    /// Larger than the limit.
    TooLarge(u64),
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Symlink => write!(
                f,
                "is a symbolic link; vassal files are opened without following links \
                 (replace the link with the file itself)"
            ),
            ReadError::NotRegular => write!(f, "is not a regular file"),
            ReadError::TooLarge(n) => write!(
                f,
                "is {n} bytes; a vassal file is at most 65535 bytes (move the bulk into an \
                 included file)"
            ),
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// Reads a vassal file the way the Emperor must: opened with `O_NOFOLLOW | O_NONBLOCK` (a
/// symlink or a FIFO cannot stall or redirect it), checked with `fstat` on the open
/// descriptor (regular, at most `max` bytes), read from that same descriptor. The metadata
/// returned is the descriptor's, so the owner and the bytes belong to the same file.
pub fn read_config(path: &Path, max: u64) -> Result<(Vec<u8>, std::fs::Metadata), ReadError> {
    read_config_with(path, max, false)
}

/// As [`read_config`], but following a symbolic link (`emperor-tyrant-nofollow`: the caller
/// compares the link's owner with the owner of what was opened).
pub fn read_config_following(
    path: &Path,
    max: u64,
) -> Result<(Vec<u8>, std::fs::Metadata), ReadError> {
    read_config_with(path, max, true)
}

fn read_config_with(
    path: &Path,
    max: u64,
    follow: bool,
) -> Result<(Vec<u8>, std::fs::Metadata), ReadError> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nofollow | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                ReadError::Symlink
            } else {
                ReadError::Io(e)
            }
        })?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > max {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.by_ref()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok((bytes, meta))
}
