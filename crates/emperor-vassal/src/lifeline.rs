//! What a master under an emperor does when that emperor dies: it takes every process of its
//! vassal with it, so an Emperor killed by SIGKILL leaves nothing behind.
//!
//! # Theory of operation
//! The emperor's spawner starts each master with `PR_SET_PDEATHSIG(SIGKILL)`: the kernel
//! kills the master the moment the emperor is gone, whatever way it went. Workers have the
//! same link to their master. But what a vassal *started* has no such link: a process an
//! app spawned in its own session, a daemonized grandchild. The master is a child subreaper,
//! so all of those are its children (their parents died, or they still are its children);
//! killed by SIGKILL itself, the master could not do anything about them, and they would go to
//! pid 1.
//!
//! So once its signal handling is set up, the master asks for a signal it handles instead,
//! [`SIGNAL`] (`SIGPWR`, which nothing else sends a vassal). When it arrives and the parent
//! has changed (it is only a signal from someone else otherwise), the master SIGKILLs every
//! process below it, reaps, and repeats until none is left (a grandchild killed makes its
//! children the master's), then exits. That takes milliseconds.
//!
//! What is *not* covered: a master killed by SIGKILL at the same moment as its emperor (`kill -9
//! -1`, the OOM killer picking the master): its descendants then go to pid 1 (or the next
//! subreaper). Under systemd every vassal process is in the service's cgroup, and
//! `KillMode=mixed` kills what is left when the Emperor's main process is gone.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use emperor_sys::process;
use emperor_sys::signals::numbers::SIGKILL;

use crate::log;

/// The parent-death signal of a master under an emperor.
pub const SIGNAL: i32 = libc::SIGPWR;

/// The emperor's pid (0: not armed).
static EMPEROR: AtomicI32 = AtomicI32::new(0);

/// How long the master goes on killing before it exits anyway.
const DEADLINE: Duration = Duration::from_secs(2);

/// Under an emperor, with [`SIGNAL`] handled already: turns the parent-death signal into
/// [`SIGNAL`]. If the emperor is already gone, acts at once.
pub fn arm() {
    let parent = process::parent_pid();
    EMPEROR.store(parent, Ordering::SeqCst);
    if process::set_parent_death_signal(SIGNAL).is_err() {
        return;
    }
    // The emperor may have died just before the signal changed (it would have been SIGKILL
    // then, but check: nothing else tells).
    if process::parent_pid() != parent {
        emperor_died();
    }
}

/// [`SIGNAL`] arrived: if the emperor is gone, kills the whole vassal and exits. The signal
/// fires when the emperor's *thread* that started this master ends, which is the emperor's
/// death in practice, but its other threads may take a moment to go: give them a little time.
pub fn on_signal() {
    if !armed() {
        return;
    }
    if gone_within(Duration::from_millis(500)) {
        emperor_died();
    }
    log::line("SIGPWR ignored: the emperor is alive");
}

/// The link to the emperor was lost: if that is because the emperor died (rather than
/// closing the link), kills the whole vassal and exits; otherwise returns (the caller stops
/// gracefully).
pub fn on_lost_link() {
    if armed() && gone_within(Duration::from_millis(200)) {
        emperor_died();
    }
}

fn armed() -> bool {
    EMPEROR.load(Ordering::SeqCst) != 0
}

/// Whether the emperor is gone (this master was re-parented, or the emperor's process is a
/// zombie or no more), waiting at most `wait` for it to happen.
fn gone_within(wait: Duration) -> bool {
    let emperor = EMPEROR.load(Ordering::SeqCst);
    let deadline = Instant::now() + wait;
    loop {
        let state = std::fs::read_to_string(format!("/proc/{emperor}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").and_then(|(_, r)| r.chars().next()));
        if process::parent_pid() != emperor || matches!(state, None | Some('Z' | 'X')) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn emperor_died() -> ! {
    log::line("the emperor is gone: killing every process of this vassal and exiting");
    kill_descendants();
    process::exit_now(1);
}

/// Every live process below this one.
fn descendants() -> Vec<i32> {
    let mut out = Vec::new();
    let mut todo = vec![process::pid()];
    while let Some(pid) = todo.pop() {
        for child in emperor_sys::spawn::children_of(pid) {
            out.push(child);
            todo.push(child);
        }
    }
    out
}

/// SIGKILLs everything below this process until nothing is left (or [`DEADLINE`] passes),
/// reaping as it goes.
pub fn kill_descendants() {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let _ = process::reap();
        let all = descendants();
        if all.is_empty() || Instant::now() >= deadline {
            return;
        }
        for pid in all {
            let _ = process::kill(pid, SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
