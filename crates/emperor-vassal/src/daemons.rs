//! `attach-daemon`: commands the master runs beside the workers (a celery worker, a
//! `manage.py` loop…), respawned when they die and stopped with the vassal.
//!
//! Each daemon runs `/bin/sh -c CMD` in its own process group, as the vassal's user (it starts
//! after the privilege drop). The master reaps it like a worker (it is the master's child) and
//! starts it again after a delay that doubles while it keeps dying young (1 s to 30 s), never
//! sleeping. On stop and on reload the whole group gets SIGTERM, then SIGKILL after the mercy:
//! a daemon's own children go with it.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use emperor_sys::process;

use crate::log;

/// One attached daemon.
#[derive(Debug)]
pub struct Daemon {
    pub cmd: String,
    pub pid: Option<i32>,
    pub respawns: u64,
    started: Instant,
    backoff: Duration,
    next_start: Option<Instant>,
}

impl Daemon {
    pub fn new(cmd: String) -> Daemon {
        Daemon {
            cmd,
            pid: None,
            respawns: 0,
            started: Instant::now(),
            backoff: Duration::ZERO,
            next_start: Some(Instant::now()),
        }
    }

    /// Starts the daemon if it is due.
    pub fn start_if_due(&mut self) {
        if self.pid.is_some() || self.next_start.is_none_or(|at| at > Instant::now()) {
            return;
        }
        match Command::new("/bin/sh")
            .arg("-c")
            .arg(&self.cmd)
            .process_group(0)
            .spawn()
        {
            Ok(child) => {
                let pid = i32::try_from(child.id()).unwrap_or(0);
                // The master reaps it (process::reap waits for any child); the handle is not
                // needed.
                drop(child);
                self.pid = Some(pid);
                self.started = Instant::now();
                self.next_start = None;
                self.respawns += 1;
                log::line(&format!("spawned daemon `{}` (pid: {pid})", self.cmd));
            }
            Err(e) => {
                log::line(&format!(
                    "failed to start daemon `{}`: {e}; retrying",
                    self.cmd
                ));
                self.schedule_retry();
            }
        }
    }

    fn schedule_retry(&mut self) {
        self.backoff = (self.backoff * 2).clamp(Duration::from_secs(1), Duration::from_secs(30));
        self.next_start = Some(Instant::now() + self.backoff);
    }

    /// Records the daemon's death; `respawn`: start it again later.
    pub fn died(&mut self, exit: process::Exit, respawn: bool) {
        let pid = self.pid.take().unwrap_or(0);
        log::line(&format!(
            "daemon `{}` (pid: {pid}) ended ({exit})",
            self.cmd
        ));
        if !respawn {
            return;
        }
        if self.started.elapsed() >= Duration::from_secs(10) {
            self.backoff = Duration::ZERO;
            self.next_start = Some(Instant::now() + Duration::from_secs(1));
        } else {
            self.schedule_retry();
        }
    }

    /// Sends `signal` to the daemon's process group.
    pub fn signal(&self, signal: i32) {
        if let Some(pid) = self.pid {
            let _ = process::kill(-pid, signal);
        }
    }
}
