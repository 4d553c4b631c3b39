//! The master: supervises the workers from a single-threaded poll loop.
//!
//! # Theory of operation
//! Startup, in uWSGI's order: pidfile, `shared-socket`s (still root), privilege drop (unless
//! `chown-socket` needs root until the sockets exist), the other sockets, `chdir`, `env`,
//! preload, scoreboard, fork the workers. The master then blocks only in `poll(2)` on its
//! signalfd with a one-second tick.
//!
//! Signals (DESIGN, "Signals and stops"):
//!
//! | signal | master | workers get |
//! |---|---|---|
//! | SIGHUP | graceful reload of the workers: each finishes its request and is replaced | SIGHUP |
//! | SIGTERM | graceful stop: workers finish, `worker-reload-mercy`, then SIGKILL | SIGTERM |
//! | SIGINT, SIGQUIT | brutal stop: workers get SIGINT, SIGKILL after 3 s | SIGINT |
//! | a second TERM/INT/QUIT | escalates to brutal | SIGINT, then SIGKILL |
//! | SIGUSR1 | logs the scoreboard | — |
//! | SIGUSR2 | logs what each worker is doing | — |
//! | SIGCHLD | reaps; a dead worker is logged and respawned (with backoff if it dies young) | — |
//!
//! Respawn storms are rate-limited per worker slot with a timer, never by sleeping: a worker
//! that dies within a second of its spawn is respawned after 1 s, then 2 s, 4 s … up to 30 s;
//! one that lived 10 s resets its backoff. uWSGI sleeps in the master loop instead.

use std::fmt::Write as _;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use emperor_options::typed::VassalConfig;
use emperor_sys::process::{self, Exit, Forked};
use emperor_sys::signals::SignalFd;
use emperor_sys::signals::numbers::{
    SIGCHLD, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2,
    SIGWINCH,
};

use crate::daemons::Daemon;
use crate::listeners::{self, Listener};
use crate::log;
use crate::scoreboard::{CoreField, Field, Scoreboard};
use crate::stats::{AppStats, CoreStats, Snapshot, SocketStats, WorkerStats};
use crate::stats_server::{StatsConfig, StatsServer};
use crate::worker::{self, WorkerSettings};
use crate::{EXIT_NO_APP, Runtime};

/// How long brutally stopped workers get before SIGKILL.
const BRUTAL_MERCY: Duration = Duration::from_secs(3);
/// Longest delay between respawns of a worker that keeps dying.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    /// Reloading: the workers finish their requests, then the master re-executes itself,
    /// keeping its pid and its listeners.
    Reloading {
        kill_at: Instant,
    },
    /// Stopping; `brutal` once workers were sent SIGINT.
    Stopping {
        brutal: bool,
        kill_at: Instant,
    },
}

#[derive(Debug)]
struct Slot {
    pid: Option<i32>,
    spawned: Instant,
    backoff: Duration,
    respawn_at: Option<Instant>,
    /// When set, the worker was told to go and is killed at this instant if still alive.
    kill_at: Option<Instant>,
}

/// A running master.
#[derive(Debug)]
pub struct Master<R: Runtime> {
    cfg: VassalConfig,
    runtime: R,
    listeners: Vec<Listener>,
    scoreboard: Scoreboard,
    slots: Vec<Slot>,
    phase: Phase,
    signals: SignalFd,
    settings: WorkerSettings,
    options: MasterOptions,
    stats: Option<StatsServer>,
    /// How many worker slots run (SIGTTIN/SIGTTOU move it between 1 and `processes`).
    active: usize,
    /// `attach-daemon` processes.
    daemons: Vec<Daemon>,
    /// A chain reload in progress: the worker being replaced, and the pid it had.
    chain: Option<(usize, Option<i32>)>,
    /// The master FIFO: (read end polled, write end kept open).
    fifo: Option<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)>,
    /// The last seen state (modification time) of each `touch-reload` file.
    touched: Vec<Option<std::time::SystemTime>>,
    /// `memory-report`: the stats show each worker's RSS and VSZ.
    memory_report: bool,
    exit_code: i32,
}

const MASTER_SIGNALS: &[i32] = &[
    SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGTTIN, SIGTTOU, SIGWINCH,
];

/// What the master needs beyond the typed config: its name for process titles
/// (`{prefix}emperor master {name}`), its command line for reloads, and the reload, recycling,
/// FIFO and daemon options.
#[derive(Debug, Clone, Default)]
pub struct MasterOptions {
    /// The vassal's name: its config file's stem, or its first socket.
    pub name: String,
    /// `procname-prefix` (`procname-prefix-spaced` adds the space).
    pub procname_prefix: String,
    /// The directory the vassal started in, restored before a reload re-executes it.
    pub cwd: Option<std::path::PathBuf>,
    /// The command line, kept before process titles overwrite the argument area: a reload
    /// re-reads the configuration from it and re-executes it.
    pub args: Vec<String>,
    /// `touch-reload`: files whose modification (or appearance, or removal) reloads.
    pub touch_reload: Vec<std::path::PathBuf>,
    /// When workers are recycled.
    pub recycle: Recycle,
    /// `master-fifo`: a FIFO whose bytes are commands (uWSGI's letters).
    pub master_fifo: Option<std::path::PathBuf>,
    /// `touch-chain-reload`: files whose modification starts a chain reload.
    pub touch_chain_reload: Vec<std::path::PathBuf>,
    /// `touch-workers-reload`: files whose modification replaces the workers (the master
    /// stays; new code only with `lazy-apps`).
    pub touch_workers_reload: Vec<std::path::PathBuf>,
    /// `harakiri-verbose`: log the stuck worker's syscall and wait channel before killing it.
    pub harakiri_verbose: bool,
    /// `attach-daemon`: commands run beside the workers.
    pub daemons: Vec<String>,
}

/// Worker recycling and limits, enforced by the master every tick.
#[derive(Debug, Clone, Default)]
pub struct Recycle {
    /// `max-worker-lifetime`: a worker older than this is replaced gracefully.
    pub max_worker_lifetime: Option<Duration>,
    /// `reload-on-rss` / `reload-on-as` (bytes): replaced gracefully above this.
    pub reload_on_rss: Option<u64>,
    pub reload_on_as: Option<u64>,
    /// `evil-reload-on-rss` / `evil-reload-on-as` (bytes): killed at once above this.
    pub evil_reload_on_rss: Option<u64>,
    pub evil_reload_on_as: Option<u64>,
    /// `limit-as` (bytes): `RLIMIT_AS` of the master and its workers.
    pub limit_as: Option<u64>,
}

/// Starts a vassal: everything up to the first fork, then the supervision loop. Returns the
/// process exit code.
pub fn run<R: Runtime>(
    cfg: VassalConfig,
    runtime: R,
    settings: WorkerSettings,
    options: MasterOptions,
    stats: Option<StatsConfig>,
) -> i32 {
    match start(cfg, runtime, settings, options, stats) {
        Ok(master) => master.supervise(),
        Err(message) => {
            log::line(&format!("emperor: error: {message}"));
            1
        }
    }
}

fn start<R: Runtime>(
    cfg: VassalConfig,
    mut runtime: R,
    settings: WorkerSettings,
    options: MasterOptions,
    stats: Option<StatsConfig>,
) -> Result<Master<R>, String> {
    emperor_sys::signals::ignore_sigpipe();
    // Signals are blocked and queued from the very start: a SIGHUP or SIGTERM that arrives
    // while the app loads is handled once the loop runs, instead of killing the master.
    let signals =
        SignalFd::new(MASTER_SIGNALS).map_err(|e| format!("failed to set up signals: {e}"))?;
    if let Some(path) = &cfg.pidfile {
        std::fs::write(path, format!("{}\n", process::pid()))
            .map_err(|e| format!("failed to write pidfile `{}`: {e}", path.display()))?;
    }
    let mut inherited = listeners::inherited(&cfg)?;
    let shared = listeners::bind_shared(&cfg, &mut inherited)?;
    let ids = emperor_sys::privileges::resolve(cfg.uid.as_deref(), cfg.gid.as_deref())
        .map_err(|e| e.to_string())?;
    let drop_now = cfg.chown_socket.is_none();
    let dropping = ids.uid.is_some() || ids.gid.is_some();
    if dropping && drop_now {
        drop_privileges(&cfg, &ids)?;
    }
    let mut all = listeners::bind_all(&cfg, &shared, inherited)?;
    if dropping && !drop_now {
        drop_privileges(&cfg, &ids)?;
    }
    if !dropping && emperor_sys::privileges::is_root() {
        log::line(
            "*** WARNING: you are running emperor as root !!! (use the `uid` and `gid` options) ***",
        );
    }
    for l in &all {
        log::line(&format!(
            "{} socket {} at {} fd {}",
            if l.protocol == emperor_options::typed::Protocol::Http {
                "http"
            } else {
                "uwsgi"
            },
            if l.inherited { "inherited" } else { "bound" },
            l.name,
            l.raw()
        ));
    }
    all.extend(shared);
    let memory_report = stats.as_ref().is_some_and(|s| s.memory_report);
    let stats = match stats {
        Some(stats) => Some(StatsServer::bind(stats, cfg.listen.max(1))?),
        None => None,
    };
    if let Some(dir) = &cfg.chdir {
        std::env::set_current_dir(dir)
            .map_err(|e| format!("failed to chdir to `{}`: {e}", dir.display()))?;
        log::line(&format!("chdir() to {}", dir.display()));
    }
    process::set_child_subreaper().map_err(|e| format!("failed to become a subreaper: {e}"))?;
    process::set_name("emperor master");
    process::set_title(&format!(
        "{}emperor master {}",
        options.procname_prefix, options.name
    ));
    runtime.start()?;
    if !cfg.lazy_apps {
        if let Err(e) = runtime.preload() {
            log::line(&e);
            if cfg.need_app {
                log::line("*** no app loaded. GAME OVER ***");
                std::process::exit(EXIT_NO_APP);
            }
            log::line("*** no app loaded: every request will get a 500 until the app loads ***");
        }
        let threads = runtime.threads();
        if threads > 1 {
            log::line(&format!(
                "*** WARNING: the app started {} thread(s) while loading; threads do not survive fork(): set `lazy-apps = true` to load the app in each worker ***",
                threads - 1
            ));
        }
    }
    let scoreboard = Scoreboard::new(cfg.processes as usize, cfg.threads.max(1) as usize)
        .map_err(|e| format!("failed to map the scoreboard: {e}"))?;
    if let Some(limit) = options.recycle.limit_as {
        process::limit_address_space(limit)
            .map_err(|e| format!("failed to set `limit-as`: {e}"))?;
        log::line(&format!(
            "your process address space limit is {limit} bytes ({} MB)",
            limit / (1024 * 1024)
        ));
    }
    let fifo = match &options.master_fifo {
        Some(path) => {
            let fds = process::open_fifo(path).map_err(|e| {
                format!("failed to create the master FIFO `{}`: {e}", path.display())
            })?;
            log::line(&format!("master FIFO at {}", path.display()));
            Some(fds)
        }
        None => None,
    };
    let touched = options
        .touch_reload
        .iter()
        .chain(&options.touch_chain_reload)
        .chain(&options.touch_workers_reload)
        .map(|p| modified(p))
        .collect();
    let slots_count = cfg.processes as usize;
    let daemons = options.daemons.clone();
    let now = Instant::now();
    let slots = (0..cfg.processes)
        .map(|_| Slot {
            pid: None,
            spawned: now,
            backoff: Duration::ZERO,
            respawn_at: Some(now),
            kill_at: None,
        })
        .collect();
    log::line(&format!(
        "master process started (pid: {}), spawning {} worker(s)",
        process::pid(),
        cfg.processes
    ));
    Ok(Master {
        cfg,
        runtime,
        listeners: all,
        scoreboard,
        slots,
        phase: Phase::Running,
        signals,
        settings,
        options,
        touched,
        daemons: daemons.into_iter().map(Daemon::new).collect(),
        chain: None,
        fifo,
        active: slots_count,
        stats,
        memory_report,
        exit_code: 0,
    })
}

fn drop_privileges(cfg: &VassalConfig, ids: &emperor_sys::privileges::Ids) -> Result<(), String> {
    // After a reload the master already runs as the target user and cannot change groups.
    let (uid, gid) = emperor_sys::privileges::current_ids();
    if ids.uid.is_none_or(|u| u == uid)
        && ids.gid.is_none_or(|g| g == gid)
        && !emperor_sys::privileges::is_root()
    {
        return Ok(());
    }
    emperor_sys::privileges::drop_to(ids, !cfg.no_initgroups).map_err(|e| {
        format!(
            "failed to drop privileges to uid {:?} gid {:?}: {e}",
            ids.uid, ids.gid
        )
    })?;
    log::line(&format!(
        "dropped privileges to uid {} gid {}",
        ids.uid.map_or_else(|| "-".into(), |u| u.to_string()),
        ids.gid.map_or_else(|| "-".into(), |g| g.to_string())
    ));
    Ok(())
}

impl<R: Runtime> Master<R> {
    fn supervise(mut self) -> i32 {
        loop {
            self.respawn_due();
            let all_gone = self.slots.iter().all(|s| s.pid.is_none())
                && self.daemons.iter().all(|d| d.pid.is_none());
            match self.phase {
                Phase::Stopping { .. } if all_gone => break,
                Phase::Reloading { .. } if all_gone => self.exec_reload(),
                _ => {}
            }
            let mut stats = self.stats.take();
            let (ready, fifo_ready) = {
                let mut set = vec![(self.signals.as_fd(), false)];
                if let Some((read, _)) = &self.fifo {
                    set.push((read.as_fd(), false));
                }
                if let Some(stats) = &stats {
                    set.extend(stats.poll_set());
                }
                let mut ready = emperor_sys::poll::ready(&set, 1000).unwrap_or_default();
                let fifo_ready = self.fifo.is_some() && ready.len() > 1 && ready.remove(1);
                (ready, fifo_ready)
            };
            if fifo_ready {
                self.read_fifo();
            }
            if ready.first().copied().unwrap_or(false) {
                while let Ok(Some((signal, _sender))) = self.signals.read() {
                    self.on_signal(signal);
                }
            }
            if let Some(stats) = &mut stats {
                if ready.iter().skip(1).any(|r| *r) {
                    stats.on_ready(&ready[1..], &mut || self.snapshot());
                }
                stats.sweep();
            }
            self.stats = stats;
            self.reap();
            self.check_deadlines();
            self.check_touches();
            self.check_chain();
        }
        self.vacuum();
        log::line("goodbye to emperor.");
        self.exit_code
    }

    fn on_signal(&mut self, signal: i32) {
        match signal {
            SIGHUP if self.phase == Phase::Running => self.reload(),
            SIGTERM | SIGINT | SIGQUIT => self.stop(signal != SIGTERM),
            SIGUSR1 => self.log_stats(),
            SIGUSR2 => self.log_requests(),
            SIGTTIN if self.phase == Phase::Running => {
                if self.active < self.slots.len() {
                    self.active += 1;
                    self.slots[self.active - 1].respawn_at = Some(Instant::now());
                    log::line(&format!(
                        "SIGTTIN: adding worker {} ({} of {} running)",
                        self.active,
                        self.active,
                        self.slots.len()
                    ));
                } else {
                    log::line(&format!(
                        "SIGTTIN: already running the maximum of {} workers (`processes`)",
                        self.slots.len()
                    ));
                }
            }
            SIGTTOU if self.phase == Phase::Running => {
                if self.active > 1 {
                    self.active -= 1;
                    let slot = &mut self.slots[self.active];
                    slot.respawn_at = None;
                    if let Some(pid) = slot.pid {
                        let _ = process::kill(pid, SIGHUP);
                        slot.kill_at = Some(Instant::now() + self.settings.reload_mercy);
                    }
                    log::line(&format!(
                        "SIGTTOU: removing worker {} ({} of {} running)",
                        self.active + 1,
                        self.active,
                        self.slots.len()
                    ));
                } else {
                    log::line("SIGTTOU: one worker is the minimum");
                }
            }
            _ => {}
        }
    }

    /// A graceful reload (SIGHUP): the new configuration is checked first; if it has errors
    /// the running workers keep serving. Otherwise the workers finish their requests and the
    /// master re-executes itself (same pid), handing its listeners over: nothing closes them,
    /// so connections arriving meanwhile wait in the listen queue and none is refused.
    fn reload(&mut self) {
        let args = self.options.args.clone();
        let ctx = emperor_options::Context::current();
        let checked = emperor_options::from_command_line(&ctx, &args, emperor_options::Mode::Start);
        if checked.has_errors() {
            for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
                log::line(&d.to_string());
            }
            log::line(
                "*** reload refused: the new configuration has errors; the running workers keep serving ***",
            );
            return;
        }
        log::line(
            "...gracefully reloading: workers finish their requests, then the master re-executes itself...",
        );
        let kill_at = Instant::now() + self.settings.reload_mercy;
        self.phase = Phase::Reloading { kill_at };
        for daemon in &self.daemons {
            daemon.signal(SIGTERM);
        }
        for slot in &mut self.slots {
            slot.respawn_at = None;
            if let Some(pid) = slot.pid {
                let _ = process::kill(pid, SIGHUP);
                slot.kill_at = Some(kill_at);
            }
        }
    }

    /// Re-executes the master with the same command line, keeping the listeners. Returns
    /// only if `exec` failed; the master then goes on with new workers.
    fn exec_reload(&mut self) {
        let mut fds = String::new();
        for l in &self.listeners {
            if emperor_sys::net::set_cloexec(l.raw(), false).is_ok() {
                let _ = writeln!(fds, "{}:{}", l.raw(), l.name);
            }
        }
        let reloads = std::env::var("UWSGI_RELOADS")
            .ok()
            .and_then(|r| r.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        let args = &self.options.args;
        let program =
            std::env::current_exe().unwrap_or_else(|_| std::path::PathBuf::from(&args[0]));
        if let Some(cwd) = &self.options.cwd {
            let _ = std::env::set_current_dir(cwd);
        }
        log::line(&format!("binary reloading emperor (reload {reloads})..."));
        let error = process::exec(
            &program,
            args,
            &[
                (emperor_sys::net::RELOAD_FDS_VAR, fds),
                ("UWSGI_RELOADS", reloads.to_string()),
            ],
        );
        log::line(&format!(
            "*** reload failed: cannot re-execute `{}`: {error}; respawning the workers ***",
            program.display()
        ));
        for l in &self.listeners {
            let _ = emperor_sys::net::set_cloexec(l.raw(), true);
        }
        self.phase = Phase::Running;
        let now = Instant::now();
        for slot in &mut self.slots {
            slot.respawn_at = Some(now);
        }
    }

    /// `touch-reload` / `touch-chain-reload`: a file modified, created or removed since the
    /// last look reloads (or chain-reloads).
    fn check_touches(&mut self) {
        if self.phase != Phase::Running {
            return;
        }
        let plain = self.options.touch_reload.len();
        let chain = plain + self.options.touch_chain_reload.len();
        let paths: Vec<std::path::PathBuf> = self
            .options
            .touch_reload
            .iter()
            .chain(&self.options.touch_chain_reload)
            .chain(&self.options.touch_workers_reload)
            .cloned()
            .collect();
        for (i, path) in paths.iter().enumerate() {
            let now = modified(path);
            if now != self.touched[i] {
                self.touched[i] = now;
                if i < plain {
                    log::line(&format!(
                        "*** {} has been touched... grace them all !!! ***",
                        path.display()
                    ));
                    self.reload();
                } else if i < chain {
                    log::line(&format!(
                        "*** {} has been touched... chain reload !!! ***",
                        path.display()
                    ));
                    self.chain_reload();
                } else {
                    log::line(&format!(
                        "*** {} has been touched... workers reload !!! ***",
                        path.display()
                    ));
                    self.reload_workers(SIGHUP);
                }
                return;
            }
        }
    }

    /// Reads and runs master FIFO commands (uWSGI's letters; several per write are fine).
    fn read_fifo(&mut self) {
        let Some((read, _)) = &self.fifo else { return };
        let mut buf = [0u8; 64];
        let n = match process::read_available(read, &mut buf) {
            Ok(Some(n)) => n,
            _ => 0,
        };
        for &byte in &buf[..n] {
            match byte {
                b'r' => self.on_signal(SIGHUP),
                b'R' => {
                    log::line("master FIFO: brutal reload");
                    self.reload_workers(SIGINT);
                    if self.phase == Phase::Running {
                        self.reload();
                    }
                }
                b'w' => {
                    log::line("master FIFO: reloading the workers gracefully");
                    self.reload_workers(SIGHUP);
                }
                b'W' => {
                    log::line("master FIFO: reloading the workers brutally");
                    self.reload_workers(SIGINT);
                }
                b'q' => self.stop(false),
                b'Q' => self.stop(true),
                b's' => self.log_stats(),
                b'c' => self.chain_reload(),
                b'+' => self.on_signal(SIGTTIN),
                b'-' => self.on_signal(SIGTTOU),
                b'\n' | b'\r' | b' ' => {}
                other => log::line(&format!(
                    "master FIFO: command `{}` is not supported",
                    char::from(other).escape_default()
                )),
            }
        }
    }

    /// Chain reload (`touch-chain-reload`, FIFO `c`): one worker at a time is replaced, the
    /// next only once the new one accepts, so capacity never drops by more than one worker.
    /// It picks up new code with `lazy-apps` (a preloaded app is forked from the master).
    fn chain_reload(&mut self) {
        if self.phase != Phase::Running {
            return;
        }
        if self.chain.is_some() {
            log::line("chain reload already running");
            return;
        }
        log::line("chain reload starting");
        self.chain_step(0);
    }

    fn chain_step(&mut self, index: usize) {
        if index >= self.active {
            log::line("chain reloading complete");
            self.chain = None;
            return;
        }
        let pid = self.slots[index].pid;
        log::line(&format!("chain next victim is worker {}", index + 1));
        if let Some(pid) = pid {
            let _ = process::kill(pid, SIGHUP);
            self.slots[index].kill_at = Some(Instant::now() + self.settings.reload_mercy);
        }
        self.chain = Some((index, pid));
    }

    fn check_chain(&mut self) {
        let Some((index, old)) = self.chain else {
            return;
        };
        if self.phase != Phase::Running {
            self.chain = None;
            return;
        }
        let slot = &self.slots[index];
        let replaced = slot.pid.is_some()
            && slot.pid != old
            && self.scoreboard.get(index, Field::Accepting) == 1;
        if replaced {
            self.chain_step(index + 1);
        }
    }

    /// Replaces every worker: sends `signal` (SIGHUP finishes the request first), the master
    /// respawns them as they exit.
    fn reload_workers(&mut self, signal: i32) {
        if self.phase != Phase::Running {
            return;
        }
        let mercy = Instant::now() + self.settings.reload_mercy;
        for slot in &mut self.slots {
            if let Some(pid) = slot.pid {
                let _ = process::kill(pid, signal);
                slot.kill_at = Some(mercy);
            }
        }
    }

    fn stop(&mut self, brutal: bool) {
        let escalate = matches!(self.phase, Phase::Stopping { .. });
        if let Phase::Reloading { .. } = self.phase {
            log::line("stop requested during a reload: stopping instead");
        }
        let brutal = brutal || escalate;
        if let Phase::Stopping { brutal: true, .. } = self.phase {
            return;
        }
        let now = Instant::now();
        let (signal, mercy) = if brutal {
            (SIGINT, BRUTAL_MERCY)
        } else {
            (SIGTERM, self.settings.reload_mercy)
        };
        log::line(if brutal {
            "SIGINT/SIGQUIT received...killing workers..."
        } else {
            "SIGTERM received...gracefully stopping workers..."
        });
        self.phase = Phase::Stopping {
            brutal,
            kill_at: now + mercy,
        };
        for slot in &mut self.slots {
            slot.respawn_at = None;
            if let Some(pid) = slot.pid {
                let _ = process::kill(pid, signal);
                slot.kill_at = Some(now + mercy);
            }
        }
        for daemon in &self.daemons {
            daemon.signal(SIGTERM);
        }
    }

    fn reap(&mut self) {
        for (pid, exit) in process::reap() {
            if let Some(daemon) = self.daemons.iter_mut().find(|d| d.pid == Some(pid)) {
                daemon.died(exit, self.phase == Phase::Running);
                continue;
            }
            let Some(index) = self.slots.iter().position(|s| s.pid == Some(pid)) else {
                // A re-parented descendant (we are a subreaper): nothing to do but reap it.
                continue;
            };
            let id = index + 1;
            let slot = &mut self.slots[index];
            slot.pid = None;
            slot.kill_at = None;
            self.scoreboard.set(index, Field::Pid, 0);
            self.scoreboard.set(index, Field::Busy, 0);
            for core in 0..self.scoreboard.cores() {
                self.scoreboard
                    .core_set(index, core, CoreField::InRequest, 0);
                self.scoreboard
                    .core_set(index, core, CoreField::RequestStart, 0);
                self.scoreboard
                    .core_set(index, core, CoreField::HarakiriDeadline, 0);
            }
            self.scoreboard.set(index, Field::Accepting, 0);
            if matches!(self.phase, Phase::Stopping { .. } | Phase::Reloading { .. }) {
                log::line(&format!("worker {id} (pid: {pid}) stopped ({exit})"));
                continue;
            }
            if exit == Exit::Code(EXIT_NO_APP) && self.cfg.need_app {
                log::line(&format!(
                    "worker {id} (pid: {pid}) could not load the app and `need-app` is set: stopping"
                ));
                self.exit_code = EXIT_NO_APP;
                self.stop(false);
                continue;
            }
            match exit {
                Exit::Signal(sig) => log::line(&format!(
                    "DAMN ! worker {id} (pid: {pid}) died, killed by signal {sig} :( trying respawn ..."
                )),
                Exit::Code(0) => log::line(&format!("worker {id} (pid: {pid}) exited, respawning")),
                Exit::Code(code) => log::line(&format!(
                    "worker {id} (pid: {pid}) died with exit code {code}, respawning"
                )),
            }
            let lived = slot.spawned.elapsed();
            slot.backoff = if lived >= Duration::from_secs(10) {
                Duration::ZERO
            } else if lived < Duration::from_secs(1) {
                (slot.backoff * 2).clamp(Duration::from_secs(1), MAX_BACKOFF)
            } else {
                slot.backoff
            };
            if !slot.backoff.is_zero() {
                log::line(&format!(
                    "worker {id} respawning too fast: next try in {} s",
                    slot.backoff.as_secs()
                ));
            }
            slot.respawn_at = (index < self.active).then(|| Instant::now() + slot.backoff);
        }
    }

    fn respawn_due(&mut self) {
        if self.phase != Phase::Running {
            return;
        }
        for daemon in &mut self.daemons {
            daemon.start_if_due();
        }
        let now = Instant::now();
        for index in 0..self.active {
            let slot = &self.slots[index];
            if slot.pid.is_none() && slot.respawn_at.is_some_and(|at| at <= now) {
                self.spawn(index);
            }
        }
    }

    fn spawn(&mut self, index: usize) {
        let id = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let master_pid = process::pid();
        let forked = self.runtime.fork(&mut process::fork_single_threaded);
        match forked {
            Ok(Forked::Child) => {
                let code = self.become_worker(id, master_pid);
                process::exit_now(code);
            }
            Ok(Forked::Parent { child }) => {
                let slot = &mut self.slots[index];
                let respawn =
                    slot.pid.is_none() && self.scoreboard.get(index, Field::RespawnCount) > 0;
                slot.pid = Some(child);
                slot.spawned = Instant::now();
                slot.respawn_at = None;
                self.scoreboard
                    .set(index, Field::Pid, u64::try_from(child).unwrap_or(0));
                self.scoreboard
                    .set(index, Field::LastSpawn, emperor_sys::time::unix_now());
                self.scoreboard.set(index, Field::DeltaRequests, 0);
                self.scoreboard.add(index, Field::RespawnCount, 1);
                if respawn {
                    log::line(&format!("Respawned emperor worker {id} (new pid: {child})"));
                } else {
                    log::line(&format!("spawned emperor worker {id} (pid: {child})"));
                }
            }
            Err(e) => {
                log::line(&format!("failed to fork worker {id}: {e}; retrying in 1 s"));
                self.slots[index].respawn_at = Some(Instant::now() + Duration::from_secs(1));
            }
        }
    }

    /// In the forked child: set up and run the worker. Returns its exit code.
    fn become_worker(&mut self, id: u32, master_pid: i32) -> i32 {
        // Die with the master, even when it is SIGKILLed (uWSGI leaves orphans).
        let _ = process::set_parent_death_signal(SIGKILL);
        if process::parent_pid() != master_pid {
            return 1;
        }
        process::set_name(&format!("emperor wrk {id}"));
        process::set_title(&format!(
            "{}emperor worker {id} {}",
            self.options.procname_prefix, self.options.name
        ));
        let _ = emperor_sys::signals::unblock_all();
        let app = match self.runtime.worker_app(id) {
            Ok(app) => app,
            Err(e) => {
                log::line(&e);
                if self.cfg.need_app {
                    log::line("*** no app loaded. GAME OVER ***");
                    return EXIT_NO_APP;
                }
                return 1;
            }
        };
        let index = (id - 1) as usize;
        let threads = self.cfg.threads.max(1) as usize;
        let thread_apps = if threads > 1 {
            self.runtime.thread_apps().map(|f| (threads, f))
        } else {
            None
        };
        if threads > 1 && thread_apps.is_none() {
            log::line("*** WARNING: the app runtime cannot run threads: each worker runs one ***");
        }
        worker::run(
            index,
            &self.listeners,
            app,
            thread_apps,
            &self.scoreboard,
            &self.settings,
        )
    }

    fn check_deadlines(&mut self) {
        let now = Instant::now();
        let unix = emperor_sys::time::unix_now();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(pid) = slot.pid else { continue };
            if slot.kill_at.is_some_and(|at| at <= now) {
                log::line(&format!(
                    "worker {} (pid: {pid}) is taking too much time to die...NO MERCY !!!",
                    index + 1
                ));
                let _ = process::kill(pid, SIGKILL);
                slot.kill_at = None;
                continue;
            }
            if slot.kill_at.is_some() {
                continue;
            }
            if let Some(reason) = recycle_reason(&self.options.recycle, slot.spawned.elapsed(), pid)
            {
                let (evil, why) = reason;
                if evil {
                    log::line(&format!(
                        "*** EVIL RELOAD ON WORKER {} (pid: {pid}): {why} ***",
                        index + 1
                    ));
                    let _ = process::kill(pid, SIGKILL);
                } else {
                    log::line(&format!(
                        "worker {} (pid: {pid}) is recycled: {why}",
                        index + 1
                    ));
                    let _ = process::kill(pid, SIGHUP);
                    slot.kill_at = Some(now + self.settings.reload_mercy);
                }
                continue;
            }
            for core in 0..self.scoreboard.cores() {
                let deadline = self
                    .scoreboard
                    .core_get(index, core, CoreField::HarakiriDeadline);
                if deadline != 0 && unix > deadline {
                    log::line(&format!(
                        "*** HARAKIRI ON WORKER {} (pid: {pid}, try: 1, core: {core}) ***",
                        index + 1
                    ));
                    if self.options.harakiri_verbose {
                        for what in ["syscall", "wchan"] {
                            let text = std::fs::read_to_string(format!("/proc/{pid}/{what}"))
                                .unwrap_or_default();
                            log::line(&format!("HARAKIRI: -- {what}> {}", text.trim()));
                        }
                    }
                    self.scoreboard.add(index, Field::HarakiriCount, 1);
                    self.scoreboard
                        .core_set(index, core, CoreField::HarakiriDeadline, 0);
                    let _ = process::kill(pid, SIGKILL);
                    break;
                }
            }
        }
        if let Phase::Stopping { kill_at, .. } | Phase::Reloading { kill_at } = self.phase
            && kill_at <= now
        {
            for slot in &mut self.slots {
                if let Some(pid) = slot.pid {
                    let _ = process::kill(pid, SIGKILL);
                }
            }
            for daemon in &self.daemons {
                daemon.signal(SIGKILL);
            }
        }
    }

    fn log_stats(&self) {
        let mut total = 0;
        for index in 0..self.slots.len() {
            let requests = self.scoreboard.get(index, Field::Requests);
            total += requests;
            log::line(&format!(
                "worker {} pid {} requests {} exceptions {} harakiri {} respawns {} avg_rt {} us",
                index + 1,
                self.scoreboard.get(index, Field::Pid),
                requests,
                self.scoreboard.get(index, Field::Exceptions),
                self.scoreboard.get(index, Field::HarakiriCount),
                self.scoreboard.get(index, Field::RespawnCount),
                self.scoreboard.get(index, Field::AvgRt),
            ));
        }
        log::line(&format!("total requests: {total}"));
    }

    fn log_requests(&self) {
        let now = emperor_sys::time::unix_now();
        for index in 0..self.slots.len() {
            let pid = self.scoreboard.get(index, Field::Pid);
            let mut busy = false;
            for core in 0..self.scoreboard.cores() {
                let started = self
                    .scoreboard
                    .core_get(index, core, CoreField::RequestStart);
                if self.scoreboard.core_get(index, core, CoreField::InRequest) == 1 && started > 0 {
                    busy = true;
                    log::line(&format!(
                        "SIGUSR2: worker {} (pid: {pid}) core {core} is managing a request since {} s",
                        index + 1,
                        now.saturating_sub(started)
                    ));
                }
            }
            if !busy {
                log::line(&format!(
                    "SIGUSR2: worker {} (pid: {pid}) is idle",
                    index + 1
                ));
            }
        }
    }

    /// The stats document, read from the scoreboard now.
    fn snapshot(&self) -> Snapshot {
        let sb = &self.scoreboard;
        let sockets: Vec<SocketStats> = self
            .listeners
            .iter()
            .map(|l| {
                let (queue, max_queue) = emperor_sys::net::listen_queue(l.raw())
                    .unwrap_or((0, u64::from(self.cfg.listen)));
                SocketStats {
                    name: l.name.clone(),
                    proto: if l.protocol == emperor_options::typed::Protocol::Http {
                        "http"
                    } else {
                        "uwsgi"
                    }
                    .to_owned(),
                    queue,
                    max_queue,
                    shared: l.shared,
                    can_offload: false,
                }
            })
            .collect();
        let chdir = self
            .cfg
            .chdir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        let workers = (0..self.slots.len())
            .map(|i| {
                let pid = sb.get(i, Field::Pid);
                let (rss, vsz) = if self.memory_report && pid > 0 {
                    emperor_sys::process::memory(i32::try_from(pid).unwrap_or(0)).unwrap_or((0, 0))
                } else {
                    (0, 0)
                };
                let requests = sb.get(i, Field::Requests);
                let exceptions = sb.get(i, Field::Exceptions);
                let apps = if self.cfg.apps.is_empty() {
                    vec![String::new()]
                } else {
                    self.cfg.apps.iter().map(|a| a.mountpoint.clone()).collect()
                };
                WorkerStats {
                    id: i as u64 + 1,
                    pid,
                    accepting: sb.get(i, Field::Accepting),
                    requests,
                    delta_requests: sb.get(i, Field::DeltaRequests),
                    exceptions,
                    harakiri_count: sb.get(i, Field::HarakiriCount),
                    status: if i >= self.active {
                        "cheap"
                    } else if sb.get(i, Field::Busy) > 0 {
                        "busy"
                    } else {
                        "idle"
                    },
                    rss,
                    vsz,
                    running_time: sb.get(i, Field::RunningTime),
                    last_spawn: sb.get(i, Field::LastSpawn),
                    respawn_count: sb.get(i, Field::RespawnCount),
                    tx: sb.get(i, Field::Tx),
                    avg_rt: sb.get(i, Field::AvgRt),
                    apps: apps
                        .into_iter()
                        .enumerate()
                        .map(|(id, mountpoint)| AppStats {
                            id: id as u64,
                            mountpoint,
                            startup_time: 0,
                            requests,
                            exceptions,
                            chdir: chdir.clone(),
                        })
                        .collect(),
                    cores: (0..sb.cores())
                        .map(|c| CoreStats {
                            id: c as u64,
                            requests: sb.core_get(i, c, CoreField::Requests),
                            in_request: sb.core_get(i, c, CoreField::InRequest),
                            request_start: sb.core_get(i, c, CoreField::RequestStart),
                        })
                        .collect(),
                }
            })
            .collect();
        Snapshot {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            vassal: self.options.name.clone(),
            listen_queue: sockets.iter().map(|s| s.queue).max().unwrap_or(0),
            pid: u32::try_from(process::pid()).unwrap_or(0),
            uid: emperor_sys::privileges::current_ids().0,
            gid: emperor_sys::privileges::current_ids().1,
            cwd: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            sockets,
            workers,
        }
    }

    fn vacuum(&self) {
        if let Some(stats) = &self.stats {
            stats.vacuum();
        }
        if let Some(path) = &self.options.master_fifo {
            let _ = std::fs::remove_file(path);
        }
        if !self.cfg.vacuum {
            return;
        }
        for l in &self.listeners {
            if let Some(path) = &l.unix_path {
                let _ = std::fs::remove_file(path);
            }
        }
        if let Some(pidfile) = &self.cfg.pidfile {
            let _ = std::fs::remove_file(pidfile);
        }
    }
}

/// A file's modification time, `None` when it does not exist.
fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Why a worker must be recycled now: (`true` for an evil kill, the reason), or `None`.
fn recycle_reason(r: &Recycle, lived: Duration, pid: i32) -> Option<(bool, String)> {
    if let Some(max) = r.max_worker_lifetime
        && lived >= max
    {
        return Some((false, format!("lifetime reached ({} s)", max.as_secs())));
    }
    if r.reload_on_rss.is_none()
        && r.reload_on_as.is_none()
        && r.evil_reload_on_rss.is_none()
        && r.evil_reload_on_as.is_none()
    {
        return None;
    }
    let (rss, vsz) = process::memory(pid)?;
    let over = |limit: Option<u64>, value: u64| limit.is_some_and(|l| value > l);
    if over(r.evil_reload_on_rss, rss) {
        return Some((true, format!("RSS {rss} bytes")));
    }
    if over(r.evil_reload_on_as, vsz) {
        return Some((true, format!("address space {vsz} bytes")));
    }
    if over(r.reload_on_rss, rss) {
        return Some((false, format!("RSS {rss} bytes over `reload-on-rss`")));
    }
    if over(r.reload_on_as, vsz) {
        return Some((
            false,
            format!("address space {vsz} bytes over `reload-on-as`"),
        ));
    }
    None
}
