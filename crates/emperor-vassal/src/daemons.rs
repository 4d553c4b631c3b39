//! `attach-daemon`: commands the master runs beside the workers (a celery worker, a
//! `manage.py` loop…), respawned when they die and stopped with the vassal.
//!
//! Each daemon runs `/bin/sh -c CMD` in its own process group, as the vassal's user (it starts
//! after the privilege drop). The master reaps it like a worker (it is the master's child) and
//! starts it again after a delay that doubles while it keeps dying young (1 s to 30 s), never
//! sleeping. On stop and on reload the whole group gets SIGTERM, then SIGKILL after the mercy:
//! a daemon's own children go with it.
//!
//! `smart-attach-daemon PIDFILE CMD` supervises a command that daemonizes itself: the master
//! runs CMD when the pid in PIDFILE is not alive, watches that pid (the master is a subreaper,
//! so the daemon becomes its child and is reaped like one), and leaves it running across
//! reloads; it is stopped with the vassal. `smart-attach-daemon2` is the same for a command
//! that stays in the foreground (and writes PIDFILE). `attach-daemon2` takes uWSGI's keys
//! (`cmd=`, `pidfile=`, `daemonize=`, `stopsignal=`).

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use emperor_sys::process;

use crate::log;

/// One attached daemon.
#[derive(Debug)]
pub struct Daemon {
    pub cmd: String,
    /// The process watched: the `sh` running CMD, or for a smart daemon the pid its pidfile
    /// names.
    pub pid: Option<i32>,
    pub respawns: u64,
    /// Smart daemons: the pidfile naming the daemon's pid.
    pidfile: Option<std::path::PathBuf>,
    /// A smart daemon's launcher (`sh -c CMD`), until it exits.
    launcher: Option<i32>,
    stop_signal: i32,
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
            pidfile: None,
            launcher: None,
            stop_signal: emperor_sys::signals::numbers::SIGTERM,
            started: Instant::now(),
            backoff: Duration::ZERO,
            next_start: Some(Instant::now()),
        }
    }

    /// `smart-attach-daemon[2] = PIDFILE CMD`.
    pub fn smart(spec: &str) -> Result<Daemon, String> {
        let (pidfile, cmd) = spec
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("`{spec}`: expected `PIDFILE COMMAND`"))?;
        let mut d = Daemon::new(cmd.trim().to_owned());
        d.pidfile = Some(pidfile.into());
        Ok(d)
    }

    /// `attach-daemon2 = cmd=…,pidfile=…,daemonize=…,stopsignal=…` (uWSGI's keys; others are
    /// ignored with a log line).
    pub fn from_keys(spec: &str) -> Result<Daemon, String> {
        let mut cmd = None;
        let mut pidfile = None;
        let mut stop_signal = None;
        // `cmd` is last-wins and may hold commas: everything after `cmd=` up to the next
        // `,key=` of a known key.
        for part in spec.split(',') {
            let Some((key, value)) = part.split_once('=') else {
                if let Some(c) = cmd.as_mut() {
                    let c: &mut String = c;
                    c.push(',');
                    c.push_str(part);
                }
                continue;
            };
            match key.trim() {
                "cmd" | "command" | "exec" => cmd = Some(value.to_owned()),
                "pidfile" => pidfile = Some(std::path::PathBuf::from(value.trim())),
                "stopsignal" | "stop_signal" => {
                    stop_signal = Some(value.trim().parse::<i32>().map_err(|_| {
                        format!("`attach-daemon2`: `stopsignal={value}` is not a signal number")
                    })?);
                }
                "daemonize" | "freq" | "touch" | "uid" | "gid" | "control" | "ns" => {}
                other => {
                    if let Some(c) = cmd.as_mut() {
                        let c: &mut String = c;
                        c.push(',');
                        c.push_str(part);
                    } else {
                        log::line(&format!("`attach-daemon2`: key `{other}` ignored"));
                    }
                }
            }
        }
        let cmd = cmd.ok_or_else(|| format!("`attach-daemon2 = {spec}`: no `cmd=`"))?;
        let mut d = Daemon::new(cmd);
        d.pidfile = pidfile;
        if let Some(signal) = stop_signal {
            d.stop_signal = signal;
        }
        Ok(d)
    }

    /// A smart daemon keeps running across the vassal's reloads.
    pub fn survives_reload(&self) -> bool {
        self.pidfile.is_some()
    }

    /// Whether `pid` is this daemon's (its watched pid or its launcher).
    pub fn owns(&self, pid: i32) -> bool {
        self.pid == Some(pid) || self.launcher == Some(pid)
    }

    /// The pid a smart daemon's pidfile names, if that process is alive.
    fn pid_from_file(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.pidfile.as_ref()?).ok()?;
        let pid: i32 = text.trim().parse().ok()?;
        (pid > 0 && process::alive(pid)).then_some(pid)
    }

    /// Starts the daemon if it is due.
    pub fn start_if_due(&mut self) {
        if self.pidfile.is_some() {
            if let Some(pid) = self.pid
                && !process::alive(pid)
            {
                // Gone without being reaped here (not our child): as if it died.
                self.died_pid(pid, process::Exit::Code(0), true);
            }
            if self.pid.is_none()
                && let Some(pid) = self.pid_from_file()
            {
                if self.launcher.is_none() {
                    log::line(&format!(
                        "daemon `{}` is running (pid: {pid}, from its pidfile)",
                        self.cmd
                    ));
                }
                self.pid = Some(pid);
                self.next_start = None;
                return;
            }
            if self.launcher.is_some() {
                return;
            }
        }
        if self.pid.is_some() || self.next_start.is_none_or(|at| at > Instant::now()) {
            return;
        }
        let mut command = Command::new("/bin/sh");
        command.arg("-c").arg(&self.cmd).process_group(0);
        process::unblock_signals_in_child(&mut command);
        match command.spawn() {
            Ok(child) => {
                let pid = i32::try_from(child.id()).unwrap_or(0);
                // The master reaps it (process::reap waits for any child); the handle is not
                // needed.
                drop(child);
                if self.pidfile.is_some() {
                    self.launcher = Some(pid);
                } else {
                    self.pid = Some(pid);
                }
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

    /// Records the end of `pid` (the daemon or its launcher); `respawn`: start it again later.
    pub fn died(&mut self, pid: i32, exit: process::Exit, respawn: bool) {
        if self.launcher == Some(pid) {
            // A smart daemon's launcher: the daemon itself is found through the pidfile.
            self.launcher = None;
            if self.pid_from_file().is_none() && self.pid.is_none() && respawn {
                log::line(&format!(
                    "daemon `{}`: the command ended ({exit}) and its pidfile names no live process",
                    self.cmd
                ));
                self.schedule_retry();
            }
            return;
        }
        self.died_pid(pid, exit, respawn);
    }

    fn died_pid(&mut self, pid: i32, exit: process::Exit, respawn: bool) {
        self.pid = None;
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

    /// Sends `signal` to the daemon (a plain daemon's whole process group). A smart daemon
    /// gets its `stopsignal` instead of SIGTERM.
    pub fn signal(&self, signal: i32) {
        let signal = if signal == emperor_sys::signals::numbers::SIGTERM {
            self.stop_signal
        } else {
            signal
        };
        if let Some(pid) = self.pid {
            if self.pidfile.is_some() {
                let _ = process::kill(pid, signal);
            } else {
                let _ = process::kill(-pid, signal);
            }
        }
        if let Some(launcher) = self.launcher {
            let _ = process::kill(-launcher, signal);
        }
    }
}
