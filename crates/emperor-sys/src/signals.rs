//! Signals delivered as readable events (`signalfd(2)`), so the master's poll loop handles
//! them like any other descriptor, outside of signal-handler context.
//!
//! # Theory of operation
//! The signals a process wants are *blocked* (so their default action never runs) and read
//! from a `signalfd`. Blocked masks are inherited across `fork`, so a worker starts with the
//! master's mask and must set its own up: [`SignalFd::new`] in the worker blocks the worker's
//! set and [`unblock_all`] clears what the master blocked. `SIGPIPE` is ignored everywhere: a
//! client that goes away is a write error, not a death.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd as NixSignalFd};

/// A `signalfd` for a set of signals, which are blocked while it lives.
#[derive(Debug)]
pub struct SignalFd {
    fd: NixSignalFd,
}

impl SignalFd {
    /// Blocks `signals` and opens a non-blocking, close-on-exec signalfd for them.
    pub fn new(signals: &[i32]) -> io::Result<SignalFd> {
        let mut set = SigSet::empty();
        for &s in signals {
            set.add(Signal::try_from(s).map_err(io::Error::from)?);
        }
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)?;
        let fd = NixSignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(SignalFd { fd })
    }

    /// The next pending signal and the pid that sent it, if any.
    pub fn read(&mut self) -> io::Result<Option<(i32, i32)>> {
        match self.fd.read_signal() {
            Ok(Some(info)) => Ok(Some((
                i32::try_from(info.ssi_signo).unwrap_or(0),
                i32::try_from(info.ssi_pid).unwrap_or(0),
            ))),
            Ok(None) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl AsFd for SignalFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SignalFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_fd().as_raw_fd()
    }
}

/// Unblocks every signal (a forked child resetting the mask it inherited).
pub fn unblock_all() -> io::Result<()> {
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None).map_err(io::Error::from)
}

/// Ignores `SIGPIPE`: writes to a closed connection fail with `EPIPE` instead.
pub fn ignore_sigpipe() {
    // SAFETY: installing SIG_IGN has no handler code to run; it is process-wide and done at
    // startup before any thread exists.
    unsafe {
        let _ = nix::sys::signal::signal(Signal::SIGPIPE, nix::sys::signal::SigHandler::SigIgn);
    }
}

/// Restores the default action of `signal`.
pub fn default_action(signal: i32) -> io::Result<()> {
    let sig = Signal::try_from(signal).map_err(io::Error::from)?;
    // SAFETY: SIG_DFL installs no handler code.
    unsafe { nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigDfl) }
        .map(|_| ())
        .map_err(io::Error::from)
}

/// Sends `signal` to `pid` (the ops commands `--reload`/`--stop PIDFILE`): unlike
/// [`crate::process::kill`], a process that is gone is an error (`NotFound`), and so is a pid
/// that would address a group or every process (`pid <= 0`).
pub fn send(pid: i32, signal: i32) -> io::Result<()> {
    if pid <= 0 {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    let sig = Signal::try_from(signal).map_err(io::Error::from)?;
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::ESRCH) => {
            Err(io::Error::new(io::ErrorKind::NotFound, "no such process"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Signal numbers, re-exported so that callers need not depend on libc.
pub mod numbers {
    pub const SIGHUP: i32 = libc::SIGHUP;
    pub const SIGINT: i32 = libc::SIGINT;
    pub const SIGQUIT: i32 = libc::SIGQUIT;
    pub const SIGKILL: i32 = libc::SIGKILL;
    pub const SIGTERM: i32 = libc::SIGTERM;
    pub const SIGUSR1: i32 = libc::SIGUSR1;
    pub const SIGUSR2: i32 = libc::SIGUSR2;
    pub const SIGCHLD: i32 = libc::SIGCHLD;
    pub const SIGTTIN: i32 = libc::SIGTTIN;
    pub const SIGTTOU: i32 = libc::SIGTTOU;
    pub const SIGWINCH: i32 = libc::SIGWINCH;
    pub const SIGURG: i32 = libc::SIGURG;
    pub const SIGSTOP: i32 = libc::SIGSTOP;
    pub const SIGCONT: i32 = libc::SIGCONT;
}
