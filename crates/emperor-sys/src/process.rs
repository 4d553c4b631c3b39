//! Processes: fork, reaping, signals to processes, process titles, prctl.
//!
//! # Theory of operation
//! The vassal master is single-threaded for its whole life (DESIGN, "Threads rule"), so a
//! plain `fork(2)` is safe there: the child gets a copy of the only thread. The child must not
//! return into code that assumes it is the parent; [`fork`] says which side it is on.
//!
//! The master is a *subreaper* (`PR_SET_CHILD_SUBREAPER`): descendants that lose their
//! parent (a daemon an app double-forked) are re-parented to it rather than to init, so
//! [`reap`] sees them and nothing outlives the vassal unnoticed. Workers set
//! `PR_SET_PDEATHSIG` so that a master killed with SIGKILL takes its workers with it (uWSGI's
//! "orphaned workers" flaw).

use std::io;

use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// Which side of a fork this process is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    Child,
    Parent { child: i32 },
}

/// `fork(2)`.
///
/// # Safety
/// The calling process must be single-threaded (or the child must only call
/// async-signal-safe functions before `exec`). The vassal master satisfies this by design.
pub unsafe fn fork() -> io::Result<Forked> {
    // SAFETY: the caller guarantees the process is single-threaded (see above).
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => Ok(Forked::Child),
        nix::unistd::ForkResult::Parent { child } => Ok(Forked::Parent {
            child: child.as_raw(),
        }),
    }
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit code {c}"),
            Exit::Signal(s) => match Signal::try_from(*s) {
                Ok(sig) => write!(f, "signal {s} ({})", sig.as_str()),
                Err(_) => write!(f, "signal {s}"),
            },
        }
    }
}

/// Reaps every child that has ended, without blocking.
pub fn reap() -> Vec<(i32, Exit)> {
    let mut out = Vec::new();
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => out.push((pid.as_raw(), Exit::Code(code))),
            Ok(WaitStatus::Signaled(pid, sig, _)) => {
                out.push((pid.as_raw(), Exit::Signal(sig as i32)));
            }
            Ok(WaitStatus::StillAlive) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// Sends `signal` to `pid`; a process already gone is not an error.
pub fn kill(pid: i32, signal: i32) -> io::Result<()> {
    let sig = Signal::try_from(signal).map_err(io::Error::from)?;
    match nix::sys::signal::kill(Pid::from_raw(pid), sig) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Whether a process exists (signal 0).
pub fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(Pid::from_raw(pid), None).is_ok()
}

/// Makes this process a subreaper for its descendants.
pub fn set_child_subreaper() -> io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(io::Error::from)
}

/// Asks the kernel to send `signal` to this process when its parent *thread* dies.
pub fn set_parent_death_signal(signal: i32) -> io::Result<()> {
    let sig = Signal::try_from(signal).map_err(io::Error::from)?;
    nix::sys::prctl::set_pdeathsig(Some(sig)).map_err(io::Error::from)
}

/// Sets the thread name shown by `ps -L`/`top` (15 bytes at most; longer names are cut).
pub fn set_name(name: &str) {
    let mut bytes: Vec<u8> = name.bytes().filter(|&b| b != 0).take(15).collect();
    bytes.push(0);
    if let Ok(c) = std::ffi::CStr::from_bytes_with_nul(&bytes) {
        let _ = nix::sys::prctl::set_name(c);
    }
}

/// The current process id.
pub fn pid() -> i32 {
    nix::unistd::getpid().as_raw()
}

/// The parent process id.
pub fn parent_pid() -> i32 {
    nix::unistd::getppid().as_raw()
}

/// Ends the process at once, without running destructors or atexit handlers (a forked
/// child that must not flush the parent's buffers twice).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

/// Resident set size and virtual size of `pid` in bytes, from `/proc/PID/statm`.
pub fn memory(pid: i32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let mut parts = text.split_whitespace().map(|p| p.parse::<u64>().ok());
    let vsz = parts.next()??;
    let rss = parts.next()??;
    let page = page_size();
    Some((rss * page, vsz * page))
}

fn page_size() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|p| u64::try_from(p).ok())
        .unwrap_or(4096)
}

/// Sets `RLIMIT_AS` (soft and hard) to `bytes`.
pub fn limit_address_space(bytes: u64) -> io::Result<()> {
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_AS, bytes, bytes)
        .map_err(io::Error::from)
}

/// `dup2(from, to)`: makes descriptor `to` refer to what `from` refers to (log redirection).
pub fn redirect_fd(from: i32, to: i32) -> io::Result<()> {
    // SAFETY: dup2 atomically replaces `to`; both are plain descriptor numbers owned by this
    // process, and `to` is one of the standard descriptors the caller means to replace.
    let r = unsafe { libc::dup2(from, to) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Detaches from the terminal (`daemonize`): fork, the parent exits, the child starts a new
/// session. Returns in the child only.
///
/// # Safety
/// As [`fork`]: the process must be single-threaded.
pub unsafe fn daemonize() -> io::Result<()> {
    // SAFETY: forwarded to the caller.
    match unsafe { fork() }? {
        Forked::Parent { .. } => exit_now(0),
        Forked::Child => {
            nix::unistd::setsid()?;
            Ok(())
        }
    }
}

/// The number of threads of this process (`/proc/self/task`).
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// `fork(2)` for the vassal master, inside `CPython`'s fork hooks with the GIL held.
///
/// The master's own code never starts a thread (DESIGN, "Threads rule"; CI checks the
/// dependency tree). Other threads can only be the app's: a `threading.Thread` started at
/// import, or a library's pool (`OpenBLAS` under numpy, gRPC). They do not exist in the child;
/// the caller warns about them. Refusing to fork would leave such an app without workers,
/// where uWSGI (and Python's own `os.fork()`) fork under the same contract.
pub fn fork_master() -> io::Result<Forked> {
    // SAFETY: no thread of ours runs besides the caller. An app thread cannot be inside the
    // interpreter (the caller holds the GIL after `PyOS_BeforeFork`, which also takes the
    // import lock and is undone by `PyOS_AfterFork_Child`); glibc's fork resets malloc's
    // locks, and libraries with locks of their own register `pthread_atfork` handlers: the
    // contract of `os.fork()` in a threaded Python program.
    unsafe { fork() }
}

/// Sets an environment variable (`env = K=V`).
///
/// Only for the single-threaded startup of a process: the environment is not synchronized.
pub fn set_env(key: &str, value: &str) -> io::Result<()> {
    if thread_count() != 1 {
        return Err(io::Error::other(
            "refusing to change the environment of a multi-threaded process",
        ));
    }
    // SAFETY: checked above that no other thread can read the environment concurrently.
    unsafe { std::env::set_var(key, value) };
    Ok(())
}

/// [`daemonize`], refused unless the process is single-threaded.
pub fn daemonize_single_threaded() -> io::Result<()> {
    if thread_count() != 1 {
        return Err(io::Error::other(
            "refusing to daemonize a multi-threaded process",
        ));
    }
    // SAFETY: checked above that the process has a single thread.
    unsafe { daemonize() }
}

/// Sets the process title shown by `ps` and `top` (`emperor master app`, `emperor worker 1
/// app`) by rewriting the argument area the kernel gave the process, as uWSGI and nginx do.
/// The title is cut to the length of the original command line; the rest is zeroed.
///
/// # Theory of operation
/// `/proc/self/stat` gives the bounds of the argument area (`arg_start`, `arg_end`, fields 48
/// and 49). Writing there is writing our own memory; `ps` reads it back through
/// `/proc/PID/cmdline`. Nothing else reads argv after startup (std copied it at start).
pub fn set_title(title: &str) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): field N is at index N - 3.
    let (Some(start), Some(end)) = (
        fields.get(48 - 3).and_then(|f| f.parse::<usize>().ok()),
        fields.get(49 - 3).and_then(|f| f.parse::<usize>().ok()),
    ) else {
        return;
    };
    if end <= start || end - start > 1 << 20 {
        return;
    }
    let len = end - start;
    let bytes = title.as_bytes();
    let n = bytes.len().min(len - 1);
    // SAFETY: [arg_start, arg_end) is this process's own argument area, mapped writable by
    // the kernel at exec; it is only read back by /proc readers. We write within its bounds.
    unsafe {
        let area = std::slice::from_raw_parts_mut(start as *mut u8, len);
        area[..n].copy_from_slice(&bytes[..n]);
        area[n..].fill(0);
    }
}

/// Replaces this process with a fresh run of `program` (same pid), with `env` added:
/// the vassal master's reload. Descriptors without close-on-exec survive. Returns only on
/// failure.
pub fn exec(program: &std::path::Path, args: &[String], env: &[(&str, String)]) -> io::Error {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    cmd.args(args.iter().skip(1));
    if let Some(arg0) = args.first() {
        cmd.arg0(arg0);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.exec()
}

/// Creates (or re-creates) a FIFO at `path` with mode 0600 and opens it for reading,
/// non-blocking. A write end is opened too and kept, so that writers closing never leave the
/// read end at EOF (the master polls it forever). Returns (read end, write end).
pub fn open_fifo(
    path: &std::path::Path,
) -> io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()) => {
            std::fs::remove_file(path)?;
        }
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a file that is not a FIFO is in the way",
            ));
        }
        Err(_) => {}
    }
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600))?;
    let read = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let write = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    Ok((read.into(), write.into()))
}

/// `read(2)` on a non-blocking descriptor that is not a socket (a FIFO): `Ok(None)` when
/// nothing is there.
pub fn read_available(fd: &impl std::os::fd::AsFd, buf: &mut [u8]) -> io::Result<Option<usize>> {
    match nix::unistd::read(fd, buf) {
        Ok(n) => Ok(Some(n)),
        Err(nix::errno::Errno::EAGAIN) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Takes the descriptor whose number the environment variable `var` holds (one a parent left
/// open across `exec`: the emperor link, a reload's config), close-on-exec from now on.
/// `Ok(None)` when the variable is not set; an error when it is not a number or names no open
/// descriptor. With `remove`, the variable is removed from the environment.
///
/// Call once per variable, at startup, before any thread exists: a second call would make a
/// second owner of the same descriptor.
pub fn inherited_fd(var: &str, remove: bool) -> io::Result<Option<std::os::fd::OwnedFd>> {
    use std::os::fd::FromRawFd;
    let Some(value) = std::env::var_os(var) else {
        return Ok(None);
    };
    if remove {
        if thread_count() > 1 {
            return Err(io::Error::other(
                "refusing to change the environment of a multi-threaded process",
            ));
        }
        // SAFETY: checked above that no other thread can read the environment concurrently.
        unsafe { std::env::remove_var(var) };
    }
    let fd: i32 = value
        .to_str()
        .and_then(|v| v.trim().parse().ok())
        .filter(|fd| *fd >= 0)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{var}` is not a descriptor number"),
            )
        })?;
    // SAFETY: F_GETFD only asks whether the number names an open descriptor.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "`{var}={fd}` names no open descriptor: {}",
                io::Error::last_os_error()
            ),
        ));
    }
    // SAFETY: the parent passed this descriptor to us across exec for this purpose; the
    // caller takes it once, so nothing else in this process owns it.
    let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    crate::net::set_cloexec(fd, true)?;
    Ok(Some(owned))
}

/// An anonymous in-memory file (`memfd_create`) holding `bytes`, close-on-exec, its offset
/// back at 0: how a reloading master hands its re-executed self data that must not change.
pub fn memfd_with(name: &str, bytes: &[u8]) -> io::Result<std::os::fd::OwnedFd> {
    use std::io::{Seek, Write};
    let fd = nix::sys::memfd::memfd_create(name, nix::sys::memfd::MFdFlags::MFD_CLOEXEC)?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    file.rewind()?;
    Ok(file.into())
}

/// Pins this process to `cpus` (`sched_setaffinity`).
pub fn set_cpu_affinity(cpus: &[usize]) -> io::Result<()> {
    let mut set = nix::sched::CpuSet::new();
    for &cpu in cpus {
        set.set(cpu).map_err(io::Error::from)?;
    }
    nix::sched::sched_setaffinity(Pid::from_raw(0), &set).map_err(io::Error::from)
}

/// How many CPUs the machine has online (not only the ones this process may use).
pub fn online_cpus() -> usize {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|s| {
            s.trim()
                .split(',')
                .map(|range| match range.split_once('-') {
                    Some((a, b)) => Some(b.parse::<usize>().ok()? - a.parse::<usize>().ok()? + 1),
                    None => range.parse::<usize>().ok().map(|_| 1),
                })
                .sum::<Option<usize>>()
        })
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
}

/// Makes `command`'s child start with no blocked signal and default dispositions for the
/// ones the master handles: a master blocks its signals (it reads them from a signalfd), and
/// a blocked mask survives `exec`, so without this an attached daemon could not be stopped
/// with SIGTERM.
pub fn unblock_signals_in_child(command: &mut std::process::Command) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: runs between fork and exec; `sigprocmask` and `signal` are async-signal-safe
    // and touch no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&raw mut set);
            if libc::sigprocmask(libc::SIG_SETMASK, &raw const set, std::ptr::null_mut()) < 0 {
                return Err(io::Error::last_os_error());
            }
            for signal in [
                libc::SIGPIPE,
                libc::SIGTERM,
                libc::SIGINT,
                libc::SIGHUP,
                libc::SIGQUIT,
            ] {
                libc::signal(signal, libc::SIG_DFL);
            }
            Ok(())
        });
    }
}
