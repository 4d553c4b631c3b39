//! The master: supervises the workers from a single-threaded poll loop.
//!
//! # Theory of operation
//! Startup, in uWSGI's order: pidfile, `shared-socket`s (still root), privilege drop (unless
//! `chown-socket` needs root until the sockets exist), the other sockets, `chdir`, `env`,
//! preload, scoreboard, fork the workers. The master then blocks only in `poll(2)` on its
//! signalfd (and the emperor link, the master FIFO, the stats socket) with a one-second tick.
//!
//! Signals and emperor bytes (DESIGN, "Signals and stops", "The emperor link"):
//!
//! | signal / byte | master | workers get |
//! |---|---|---|
//! | SIGHUP, byte 1 | graceful reload: the new config is checked, workers finish their requests, the master re-executes itself (same pid, listeners kept) | SIGHUP |
//! | SIGTERM, byte 2 | graceful stop: workers finish, `worker-reload-mercy`, then SIGKILL | SIGTERM |
//! | SIGINT, SIGQUIT, byte 0 | brutal stop: workers get SIGINT, SIGKILL after 3 s | SIGINT |
//! | byte 3 | chain reload: one worker at a time | SIGHUP, one by one |
//! | a second stop | escalates to brutal | SIGINT, then SIGKILL |
//! | EOF or error on the link | "lost connection with the emperor": graceful stop, then exit | SIGTERM |
//! | SIGUSR1 | logs the scoreboard | — |
//! | SIGUSR2 | logs what each worker is doing | — |
//! | SIGCHLD | reaps; a dead worker is logged and respawned (with backoff if it dies young) | — |
//!
//! Under an emperor (`crate::link`) the master also tells it, never blocking:
//!
//! | byte | when |
//! |---|---|
//! | report `stats` | at start, with `stats` set (our emperor only): the address as configured |
//! | 1 | at every start (a reload's `exec` included), the app loaded, before the first fork |
//! | 2 | a reload asks for the new config; it is read from the config channel within 5 s |
//! | 5 | once per start, when the scoreboard first shows a worker in its accept loop |
//! | 17 | once per start, when the scoreboard first counts a served request |
//! | 26 | every `heartbeat` seconds while a worker lives |
//! | report `reload-failed` | a reload refused: config errors (first error and its `file:line`), no config in time, or a config that could not serve (no socket, another user, a socket a restart could not bind) |
//! | report `draining` | a reload was accepted: the most seconds the workers may take to finish before the re-exec |
//! | report `needs-restart` | a reload's config changes the sockets or `uid`/`gid`, and a fresh start could serve it (`crate::reload_check`): the old config keeps serving until the emperor restarts the vassal |
//!
//! Byte 5 and 17 are noticed at the loop's tick, so they may come up to a second late. A
//! write that fails or does not fit is treated as EOF of the link.
//!
//! Respawn storms are rate-limited per worker slot with a timer, never by sleeping: a worker
//! that dies within a second of its spawn is respawned after 1 s, then 2 s, 4 s … up to 30 s;
//! one that lived 10 s resets its backoff. uWSGI sleeps in the master loop instead.

use std::fmt::Write as _;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use emperor_options::typed::VassalConfig;
use emperor_proto::link::{Event, FromVassal, ToVassal};
use emperor_sys::process::{self, Exit, Forked};
use emperor_sys::signals::SignalFd;
use emperor_sys::signals::numbers::{
    SIGCHLD, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2,
    SIGWINCH,
};

use crate::daemons::Daemon;
use crate::link::{ConfigReader, EmperorLink, Incoming};
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

impl Slot {
    /// Stops respawning this slot and tells its worker (if any) to go with `signal`; it is
    /// killed at `kill_at` if still alive.
    fn retire(&mut self, signal: i32, kill_at: Instant) {
        self.respawn_at = None;
        self.replace(signal, kill_at);
    }

    /// Tells this slot's worker (if any) to go with `signal`, to be replaced as usual when
    /// it ends; it is killed at `kill_at` if still alive.
    fn replace(&mut self, signal: i32, kill_at: Instant) {
        if let Some(pid) = self.pid {
            let _ = process::kill(pid, signal);
            self.kill_at = Some(kill_at);
        }
    }
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
    /// The link to the emperor, when started by one.
    link: Option<EmperorLink>,
    /// A reload waiting for its config from the emperor.
    pending_config: Option<ConfigReader>,
    /// The config validated for the reload in progress (a memfd), handed to the re-executed
    /// master.
    reload_config: Option<OwnedFd>,
    /// What this master (since its last `exec`) told the emperor.
    told: Told,
    idle: Idle,
    /// `cheaper`: the spare algorithm's state.
    cheaper: Option<CheaperState>,
    /// FIFO `p`: the workers are stopped.
    paused: bool,
    /// When attached daemons still running after a stop or reload get SIGKILL.
    daemons_kill_at: Option<Instant>,
    /// `py-autoreload`: when the modules were last looked at, and their modification times.
    autoreload: Option<(
        Instant,
        std::collections::HashMap<std::path::PathBuf, std::time::SystemTime>,
    )>,
    exit_code: i32,
}

/// The emperor messages a master sends once, and when it last sent a heartbeat.
#[derive(Debug)]
struct Told {
    /// Byte 5: a worker reached its accept loop.
    accepting: bool,
    /// Byte 17: a request was served.
    loyal: bool,
    heartbeat_at: Instant,
}

const MASTER_SIGNALS: &[i32] = &[
    SIGHUP,
    SIGTERM,
    SIGINT,
    SIGQUIT,
    SIGUSR1,
    SIGUSR2,
    SIGCHLD,
    SIGTTIN,
    SIGTTOU,
    SIGWINCH,
    crate::lifeline::SIGNAL,
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
    /// Every `master-fifo` given: the digits `0`-`9` make another one the active FIFO.
    pub master_fifos: Vec<std::path::PathBuf>,
    /// `touch-chain-reload`: files whose modification starts a chain reload.
    pub touch_chain_reload: Vec<std::path::PathBuf>,
    /// `touch-workers-reload`: files whose modification replaces the workers (the master
    /// stays; new code only with `lazy-apps`).
    pub touch_workers_reload: Vec<std::path::PathBuf>,
    /// `harakiri-verbose`: log the stuck worker's syscall and wait channel before killing it.
    pub harakiri_verbose: bool,
    /// `attach-daemon`: commands run beside the workers.
    pub daemons: Vec<String>,
    /// `smart-attach-daemon[2]` (`PIDFILE CMD`) and `attach-daemon2` (keys), already parsed.
    pub more_daemons: Vec<SpecDaemon>,
    /// `heartbeat`: send byte 26 to the emperor this often while a worker lives.
    pub heartbeat: Option<Duration>,
    /// `harakiri-graceful-timeout` (with `harakiri-graceful-signal`): on harakiri, send the
    /// signal and SIGKILL only after this grace.
    pub harakiri_graceful: Option<(i32, Duration)>,
    /// `idle`: after this long without a request, stop the workers and wait for a
    /// connection in the master (cheap mode), or with `die_on_idle` stop the vassal.
    pub idle: Option<Duration>,
    /// `die-on-idle`: under an emperor, byte 22 (the emperor stops it and, for an on-demand
    /// vassal, listens again); alone, a graceful stop.
    pub die_on_idle: bool,
    /// `cheaper`: adaptive worker count (the `spare` algorithm).
    pub cheaper: Option<Cheaper>,
    /// `py-autoreload`: every this often, a graceful reload when a module the master loaded
    /// changed on disk.
    pub py_autoreload: Option<Duration>,
    /// `reload-mercy`: how long attached daemons get to stop (default: `worker-reload-mercy`).
    pub reload_mercy: Option<Duration>,
}

/// A daemon given by `smart-attach-daemon[2]` or `attach-daemon2`.
#[derive(Debug, Clone)]
pub enum SpecDaemon {
    Smart(String),
    Keys(String),
}

/// `cheaper` with the `spare` algorithm (uWSGI's default).
#[derive(Debug, Clone)]
pub struct Cheaper {
    /// `cheaper`: the fewest workers kept running.
    pub min: usize,
    /// `cheaper-initial`: how many start (at least `min`).
    pub initial: usize,
    /// `cheaper-step`: how many are added at once.
    pub step: usize,
    /// `cheaper-overload`: seconds every worker must be busy before adding (and idle before
    /// removing).
    pub overload: u32,
}

#[derive(Debug)]
struct CheaperState {
    settings: Cheaper,
    busy_ticks: u32,
    idle_ticks: u32,
    last_check: Instant,
}

/// `idle` bookkeeping: when a request was last seen.
#[derive(Debug)]
struct Idle {
    last_activity: Instant,
    last_requests: u64,
    /// Cheap mode: no worker runs; the master waits for a connection.
    cheap: bool,
    /// Byte 22 sent: waiting for the emperor's stop.
    announced: bool,
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
    /// `min-worker-lifetime`: `reload-on-rss`/`-as` wait until a worker is this old (the
    /// `evil-` variants do not: they protect the machine).
    pub min_worker_lifetime: Duration,
}

/// Starts a vassal: everything up to the first fork, then the supervision loop. Returns the
/// process exit code. `link`: the emperor that started it, if any.
pub fn run<R: Runtime>(
    cfg: VassalConfig,
    runtime: R,
    settings: WorkerSettings,
    options: MasterOptions,
    stats: Option<StatsConfig>,
    link: Option<EmperorLink>,
) -> i32 {
    // To report a start that failed for good (the link moves into the master).
    let reporter = link.as_ref().and_then(|l| l.try_clone().ok());
    match start(cfg, runtime, settings, options, stats, link) {
        Ok(mut master) => {
            // Workers must never hold a copy of the link.
            drop(reporter);
            master.announce_start();
            master.supervise()
        }
        Err(e) => {
            log::line(&format!("emperor: error: {}", e.message));
            match reporter.filter(EmperorLink::ext) {
                Some(r) if e.permanent => {
                    let _ = r.report(Event::BadConfig, &e.message, None);
                    emperor_proto::link::EXIT_DO_NOT_RESPAWN
                }
                Some(r) => {
                    let _ = r.report(Event::StartFailed, &e.message, None);
                    1
                }
                None => 1,
            }
        }
    }
}

fn start<R: Runtime>(
    cfg: VassalConfig,
    mut runtime: R,
    settings: WorkerSettings,
    options: MasterOptions,
    stats: Option<StatsConfig>,
    link: Option<EmperorLink>,
) -> Result<Master<R>, crate::StartError> {
    emperor_sys::signals::ignore_sigpipe();
    if let Some(link) = &link {
        log::line(&format!(
            "*** has_emperor mode detected (fd: {}) ***",
            link.link_fd().as_raw_fd()
        ));
    }
    // Signals are blocked and queued from the very start: a SIGHUP or SIGTERM that arrives
    // while the app loads is handled once the loop runs, instead of killing the master.
    let signals =
        SignalFd::new(MASTER_SIGNALS).map_err(|e| format!("failed to set up signals: {e}"))?;
    if link.is_some() {
        // A dead emperor takes the whole vassal along (`crate::lifeline`).
        crate::lifeline::arm();
    }
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
        drop_privileges(&cfg, &ids).map_err(crate::StartError::permanent)?;
    }
    let mut all = listeners::bind_all(&cfg, &shared, inherited)?;
    // TCP_NODELAY and (unless `no-defer-accept`) TCP_DEFER_ACCEPT with `socket-timeout`
    // seconds, as uWSGI, on every TCP listener, bound or inherited.
    let defer = if cfg.no_defer_accept {
        0
    } else {
        cfg.socket_timeout.max(1)
    };
    for l in all.iter().chain(&shared) {
        emperor_sys::net::tune_listener(l.raw(), defer);
    }
    if cfg.reuse_port {
        let migrate = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_migrate_req")
            .is_ok_and(|v| v.trim() == "1");
        if !migrate {
            log::line(
                "*** WARNING: `reuse-port`: connections waiting on a worker's own socket are reset when that worker stops (reload, recycling, a crash); set the sysctl net.ipv4.tcp_migrate_req = 1 to have the kernel move them to another worker ***",
            );
        }
    }
    if dropping && !drop_now {
        drop_privileges(&cfg, &ids).map_err(crate::StartError::permanent)?;
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
        // Python's count (`threading`) and the process's (a library's native pool).
        let threads = runtime.threads().max(process::thread_count());
        if threads > 1 {
            log::line(&format!(
                "*** WARNING: the app started {} thread(s) while loading; threads do not survive fork(): the workers run without them (set `lazy-apps = true` to load the app in each worker) ***",
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
    // `cheaper`: start with `cheaper-initial` (else `cheaper`) workers; the rest are cheap.
    let active = options
        .cheaper
        .as_ref()
        .map_or(slots_count, |c| c.initial.clamp(1, slots_count));
    let mut daemons: Vec<Daemon> = options.daemons.iter().cloned().map(Daemon::new).collect();
    for spec in &options.more_daemons {
        daemons.push(match spec {
            SpecDaemon::Smart(s) => Daemon::smart(s)?,
            SpecDaemon::Keys(s) => Daemon::from_keys(s)?,
        });
    }
    let cheaper_settings = options.cheaper.clone();
    let now = Instant::now();
    let slots = (0..slots_count)
        .map(|i| Slot {
            pid: None,
            spawned: now,
            backoff: Duration::ZERO,
            respawn_at: (i < active).then_some(now),
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
        daemons,
        chain: None,
        fifo,
        active,
        autoreload: None,
        paused: false,
        daemons_kill_at: None,
        cheaper: cheaper_settings.map(|settings| CheaperState {
            settings,
            busy_ticks: 0,
            idle_ticks: 0,
            last_check: now,
        }),
        stats,
        memory_report,
        link,
        pending_config: None,
        reload_config: None,
        idle: Idle {
            last_activity: Instant::now(),
            last_requests: 0,
            cheap: false,
            announced: false,
        },
        told: Told {
            accepting: false,
            loyal: false,
            heartbeat_at: now,
        },
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
            let reloading = matches!(self.phase, Phase::Reloading { .. });
            // A smart daemon outlives reloads; one that is not our child (adopted from a
            // previous master) is gone when it is no longer alive.
            let all_gone = self.slots.iter().all(|s| s.pid.is_none())
                && self.daemons.iter().all(|d| {
                    (reloading && d.survives_reload()) || d.pid.is_none_or(|p| !process::alive(p))
                });
            match self.phase {
                Phase::Stopping { .. } if all_gone => break,
                Phase::Reloading { .. } if all_gone => self.exec_reload(),
                _ => {}
            }
            let mut stats = self.stats.take();
            let (ready, fifo_at, link_at, config_at, stats_at) = {
                let mut set = vec![(self.signals.as_fd(), false)];
                let mut add = |fd| {
                    set.push((fd, false));
                    Some(set.len() - 1)
                };
                let fifo_at = self.fifo.as_ref().and_then(|(read, _)| add(read.as_fd()));
                let link_at = self.link.as_ref().and_then(|l| add(l.link_fd()));
                let config_at = match (&self.link, &self.pending_config) {
                    (Some(link), Some(_)) => link.config_fd().and_then(add),
                    _ => None,
                };
                let listeners_at = set.len();
                if self.idle.cheap {
                    set.extend(self.listeners.iter().map(|l| (l.fd.as_fd(), false)));
                }
                let stats_at = set.len();
                if let Some(stats) = &stats {
                    set.extend(stats.poll_set());
                }
                // Until the first worker accepts, look often: the emperor waits for byte 5
                // (its spawn concurrency and readiness hang on it); then a 1 s tick.
                // A chain reload steps as soon as the new worker accepts: look often then too.
                let tick = if (self.link.is_some() && !self.told.accepting) || self.chain.is_some()
                {
                    10
                } else {
                    1000
                };
                let ready = emperor_sys::poll::ready(&set, tick).unwrap_or_default();
                let woken = ready
                    .get(listeners_at..stats_at)
                    .is_some_and(|r| r.iter().any(|r| *r));
                if woken {
                    self.leave_cheap_mode();
                }
                (ready, fifo_at, link_at, config_at, stats_at)
            };
            let is_ready = |at: Option<usize>| at.and_then(|i| ready.get(i)).copied() == Some(true);
            if is_ready(fifo_at) {
                self.read_fifo();
            }
            if is_ready(Some(0)) {
                while let Ok(Some((signal, _sender))) = self.signals.read() {
                    self.on_signal(signal);
                }
            }
            if is_ready(link_at) {
                self.read_link();
            }
            if is_ready(config_at) {
                self.read_pending_config();
            }
            if let Some(stats) = &mut stats {
                let ready = ready.get(stats_at..).unwrap_or_default();
                if ready.iter().any(|r| *r) {
                    stats.on_ready(ready, &mut || self.snapshot());
                }
                stats.sweep();
            }
            self.stats = stats;
            self.reap();
            self.check_deadlines();
            self.check_touches();
            log::check();
            self.check_chain();
            self.tell_progress();
            self.check_idle();
            self.check_cheaper();
            self.check_autoreload();
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
            crate::lifeline::SIGNAL => crate::lifeline::on_signal(),
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
                    self.retire_last("SIGTTOU: removing");
                } else {
                    log::line("SIGTTOU: one worker is the minimum");
                }
            }
            _ => {}
        }
    }

    /// A graceful reload (SIGHUP, touch-reload, FIFO `r`, byte 1 from the emperor): the new
    /// configuration is checked first; if it has errors, or changes what only a restart can
    /// apply, the running workers keep serving. Otherwise the workers finish their requests
    /// and the master re-executes itself (same pid), handing its listeners over: nothing
    /// closes them, so connections arriving meanwhile wait in the listen queue and none is
    /// refused.
    ///
    /// Under an emperor that hands the config over, the new configuration is asked for with
    /// byte 2 and read, without blocking the loop, from the config channel
    /// ([`Master::read_pending_config`]); otherwise the command line and its files are
    /// read again.
    /// Takes the last active worker out of the pool (SIGTTOU, `cheaper`): it finishes its
    /// request and goes, killed after `worker-reload-mercy`. `what` starts the log line.
    fn retire_last(&mut self, what: &str) {
        self.active -= 1;
        let kill_at = Instant::now() + self.settings.reload_mercy;
        self.slots[self.active].retire(SIGHUP, kill_at);
        log::line(&format!(
            "{what} worker {} ({} of {} running)",
            self.active + 1,
            self.active,
            self.slots.len()
        ));
    }

    fn reload(&mut self) {
        if self.paused {
            self.pause_resume();
        }
        if self.pending_config.is_some() {
            log::line("a reload is already waiting for the emperor's configuration");
            return;
        }
        if let Some(link) = &self.link
            && link.has_config_channel()
        {
            link.drain_config();
            log::line("asking the emperor for the configuration...");
            self.pending_config =
                Some(ConfigReader::new(Instant::now() + crate::link::CONFIG_WAIT));
            self.tell(&FromVassal::ConfigRequest);
            return;
        }
        let args = self.options.args.clone();
        let ctx = emperor_options::Context::current();
        let checked = emperor_options::from_command_line(&ctx, &args, emperor_options::Mode::Start);
        self.apply_reload(&checked, None);
    }

    /// Reads the config the emperor is sending for a reload; applies it once complete.
    fn read_pending_config(&mut self) {
        let (Some(link), Some(reader)) = (&self.link, &mut self.pending_config) else {
            return;
        };
        let Some(fd) = link.config_fd() else { return };
        let result = reader.read_from(fd);
        match result {
            Ok(None) => {}
            Ok(Some(bytes)) => {
                self.pending_config = None;
                self.on_reload_config(&bytes);
            }
            Err(e) => {
                self.pending_config = None;
                self.refuse_reload(&format!("no config from the emperor: {e}"), None);
            }
        }
    }

    /// A reload's config arrived from the emperor: validated like the file it is.
    fn on_reload_config(&mut self, bytes: &[u8]) {
        if self.phase != Phase::Running {
            return;
        }
        let Some(path) = self.link.as_ref().and_then(|l| l.config_path()) else {
            self.refuse_reload(
                &format!(
                    "`{}` is not set: cannot tell the config's format",
                    emperor_proto::link::CONFIG_PATH_VAR
                ),
                None,
            );
            return;
        };
        let path = path.to_path_buf();
        let mut ctx = emperor_options::Context::current();
        if let Some(cwd) = &self.options.cwd {
            ctx.cwd.clone_from(cwd);
        }
        ctx.reloading = true;
        let checked = emperor_options::from_emperor(
            &ctx,
            &path,
            bytes,
            &self.options.args,
            emperor_options::Mode::Start,
        );
        self.apply_reload(&checked, Some(bytes));
    }

    /// Logs why a reload is refused and tells the emperor (`reload-failed`).
    fn refuse_reload(&mut self, message: &str, origin: Option<String>) {
        log::line(&format!(
            "*** reload refused: {message}; the running workers keep serving ***"
        ));
        self.tell_report(Event::ReloadFailed, message, origin);
    }

    /// Reloads with a checked configuration, unless it has errors or needs a restart.
    /// `bytes`: the config the emperor sent, handed to the re-executed master.
    fn apply_reload(&mut self, checked: &emperor_options::Checked, bytes: Option<&[u8]>) {
        if checked.has_errors() {
            for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
                log::line(&d.to_string());
            }
            let first = checked.diagnostics.iter().find(|d| d.is_error());
            let origin = first.and_then(|d| match &d.origin {
                emperor_options::Origin::File { .. } => Some(d.origin.to_string()),
                _ => None,
            });
            let message = first.map_or_else(String::new, |d| d.message.clone());
            log::line(
                "*** reload refused: the new configuration has errors; the running workers keep serving ***",
            );
            self.tell_report(Event::ReloadFailed, &message, origin);
            return;
        }
        let verdict = match &checked.typed {
            Some(emperor_options::Typed::Vassal(new)) => {
                crate::reload_check::judge(&self.cfg, new, &checked.effective, &self.listeners)
            }
            _ => crate::reload_check::Verdict::Refuse {
                message: "the new configuration is an emperor's: it cannot run as a vassal"
                    .to_owned(),
                origin: None,
            },
        };
        let restart = match verdict {
            crate::reload_check::Verdict::Reload => None,
            crate::reload_check::Verdict::Restart(what) => Some(what),
            crate::reload_check::Verdict::Refuse { message, origin } => {
                self.refuse_reload(&message, origin);
                return;
            }
        };
        if let Some(what) = restart {
            let message = format!(
                "the new configuration changes {what}; a reload keeps the listeners and the user, so only a restart applies it"
            );
            log::line(&format!(
                "*** {message}: restart the vassal; the running workers keep serving the current configuration ***"
            ));
            self.tell_report(Event::NeedsRestart, &message, None);
            return;
        }
        if let Some(bytes) = bytes {
            match crate::link::reload_config_fd(bytes) {
                Ok(fd) => self.reload_config = Some(fd),
                Err(e) => {
                    self.refuse_reload(
                        &format!(
                            "cannot keep the new configuration for the re-executed master: {e}"
                        ),
                        None,
                    );
                    return;
                }
            }
        }
        log::line(
            "...gracefully reloading: workers finish their requests, then the master re-executes itself...",
        );
        // The emperor's reload deadline starts once this drain is over.
        let drain = self
            .settings
            .reload_mercy
            .max(self.options.reload_mercy.unwrap_or_default());
        self.tell_report(Event::Draining, &drain.as_secs().to_string(), None);
        let kill_at = Instant::now() + self.settings.reload_mercy;
        self.phase = Phase::Reloading { kill_at };
        for daemon in self.daemons.iter().filter(|d| !d.survives_reload()) {
            daemon.signal(SIGTERM);
        }
        self.daemons_kill_at = Some(
            Instant::now()
                + self
                    .options
                    .reload_mercy
                    .unwrap_or(self.settings.reload_mercy),
        );
        for slot in &mut self.slots {
            slot.retire(SIGHUP, kill_at);
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
        let mut env = vec![
            (emperor_sys::net::RELOAD_FDS_VAR, fds),
            ("UWSGI_RELOADS", reloads.to_string()),
        ];
        if let Some(config) = &self.reload_config
            && emperor_sys::net::set_cloexec(config.as_raw_fd(), false).is_ok()
        {
            env.push((
                crate::link::RELOAD_CONFIG_FD_VAR,
                config.as_raw_fd().to_string(),
            ));
        }
        if let Some(link) = &self.link {
            link.set_inheritable(true);
        }
        log::line(&format!("binary reloading emperor (reload {reloads})..."));
        let error = process::exec(&program, args, &env);
        log::line(&format!(
            "*** reload failed: cannot re-execute `{}`: {error}; respawning the workers ***",
            program.display()
        ));
        for l in &self.listeners {
            let _ = emperor_sys::net::set_cloexec(l.raw(), true);
        }
        if let Some(link) = &self.link {
            link.set_inheritable(false);
        }
        self.reload_config = None;
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
                b'p' => self.pause_resume(),
                b'0'..=b'9' => self.select_fifo(usize::from(byte - b'0')),
                b'l' => {
                    log::line("master FIFO: reopening the log");
                    log::reopen();
                }
                b'L' => {
                    log::line("master FIFO: rotating the log");
                    log::rotate();
                }
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

    /// FIFO `p`: pause the workers (SIGSTOP: connections wait in the listen queue) or resume
    /// them (SIGCONT).
    fn pause_resume(&mut self) {
        if self.phase != Phase::Running {
            return;
        }
        self.paused = !self.paused;
        let signal = if self.paused {
            emperor_sys::signals::numbers::SIGSTOP
        } else {
            emperor_sys::signals::numbers::SIGCONT
        };
        for slot in &self.slots {
            if let Some(pid) = slot.pid {
                let _ = process::kill(pid, signal);
            }
        }
        log::line(if self.paused {
            "master FIFO: paused (the workers are stopped; `p` again resumes)"
        } else {
            "master FIFO: resumed"
        });
    }

    /// FIFO digits: make the Nth `master-fifo` the active one (uWSGI's slots).
    fn select_fifo(&mut self, slot: usize) {
        let Some(path) = self.options.master_fifos.get(slot).cloned() else {
            log::line(&format!("master FIFO: there is no FIFO number {slot}"));
            return;
        };
        if self.options.master_fifo.as_ref() == Some(&path) {
            return;
        }
        match process::open_fifo(&path) {
            Ok(fds) => {
                if let Some(old) = self.options.master_fifo.replace(path.clone()) {
                    let _ = std::fs::remove_file(old);
                }
                self.fifo = Some(fds);
                log::line(&format!("active master fifo is now {}", path.display()));
            }
            Err(e) => log::line(&format!(
                "master FIFO: cannot create `{}`: {e}",
                path.display()
            )),
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
        let kill_at = Instant::now() + self.settings.reload_mercy;
        self.slots[index].replace(SIGHUP, kill_at);
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
        let kill_at = Instant::now() + self.settings.reload_mercy;
        for slot in &mut self.slots {
            slot.replace(signal, kill_at);
        }
    }

    fn stop(&mut self, brutal: bool) {
        self.stop_because(brutal, None);
    }

    /// Stops (a second stop escalates to brutal); `why` is logged instead of the signal's
    /// usual line.
    fn stop_because(&mut self, brutal: bool, why: Option<&str>) {
        if self.paused {
            // Stopped workers would not see SIGTERM until resumed.
            self.pause_resume();
        }
        let escalate = matches!(self.phase, Phase::Stopping { .. });
        if let Phase::Reloading { .. } = self.phase {
            log::line("stop requested during a reload: stopping instead");
        }
        let brutal = brutal || escalate;
        if let Phase::Stopping { brutal: true, .. } = self.phase {
            return;
        }
        self.pending_config = None;
        self.reload_config = None;
        let now = Instant::now();
        let (signal, mercy) = if brutal {
            (SIGINT, BRUTAL_MERCY)
        } else {
            (SIGTERM, self.settings.reload_mercy)
        };
        log::line(why.unwrap_or(if brutal {
            "SIGINT/SIGQUIT received...killing workers..."
        } else {
            "SIGTERM received...gracefully stopping workers..."
        }));
        self.phase = Phase::Stopping {
            brutal,
            kill_at: now + mercy,
        };
        for slot in &mut self.slots {
            slot.retire(signal, now + mercy);
        }
        for daemon in &self.daemons {
            daemon.signal(SIGTERM);
        }
        if self.daemons_kill_at.is_none() {
            self.daemons_kill_at = Some(
                Instant::now()
                    + self
                        .options
                        .reload_mercy
                        .unwrap_or(self.settings.reload_mercy),
            );
        }
    }

    /// Tells the emperor this master is up: its stats address (our emperor only), then byte 1
    /// ("spawned": config valid, app loaded, the workers about to fork). Sent on every start,
    /// a reload's `exec` included (uWSGI sends it only on the first).
    fn announce_start(&mut self) {
        if self.link.is_none() {
            return;
        }
        if let Some(addr) = self.cfg.stats.clone() {
            self.tell_report(Event::Stats, &addr, None);
        }
        self.tell(&FromVassal::Spawned);
    }

    /// Sends a message to the emperor, if any; a failed write loses the link.
    fn tell(&mut self, message: &FromVassal) {
        let Some(link) = &self.link else { return };
        if let Err(e) = link.send(message) {
            self.lost_emperor(&format!("error writing to the link: {e}"));
        }
    }

    /// A structured report (sent only to our emperor, `EMPEROR_LINK_EXT=1`).
    fn tell_report(&mut self, event: Event, message: &str, origin: Option<String>) {
        self.tell(&FromVassal::Report(emperor_proto::link::Report {
            event,
            message: message.to_owned(),
            origin,
        }));
    }

    /// The emperor is gone (EOF or an error on the link): stop gracefully, bounded by
    /// `worker-reload-mercy`, and exit. A vassal never outlives its emperor.
    fn lost_emperor(&mut self, why: &str) {
        crate::lifeline::on_lost_link();
        self.link = None;
        self.pending_config = None;
        self.reload_config = None;
        let message = format!("lost connection with the emperor ({why}): gracefully stopping...");
        if matches!(self.phase, Phase::Stopping { .. }) {
            log::line(&message);
        } else {
            self.stop_because(false, Some(&message));
        }
    }

    /// Reads and runs the emperor's commands.
    fn read_link(&mut self) {
        let Some(link) = &self.link else { return };
        match link.read() {
            Incoming::Bytes(bytes) => {
                for byte in bytes {
                    self.on_emperor_byte(byte);
                }
            }
            Incoming::Nothing => {}
            Incoming::Lost(why) => self.lost_emperor(&why),
        }
    }

    fn on_emperor_byte(&mut self, byte: u8) {
        log::line(&format!("received message {byte} from emperor"));
        match ToVassal::from_byte(byte) {
            Some(ToVassal::Stop) => {
                self.stop_because(true, Some("the emperor asks to stop...killing workers..."));
            }
            Some(ToVassal::GracefulStop) => self.stop_because(
                false,
                Some("the emperor asks to stop gracefully...gracefully stopping workers..."),
            ),
            Some(ToVassal::Reload) if self.phase == Phase::Running => {
                log::line("the emperor asks for a graceful reload");
                self.reload();
            }
            Some(ToVassal::ChainReload) => self.chain_reload(),
            Some(ToVassal::Reload) => {}
            None => log::line(&format!("unknown message {byte} from emperor: ignored")),
        }
    }

    /// Once per master: byte 5 when a worker first reaches its accept loop, byte 17 when the
    /// scoreboard first counts a served request; byte 26 every `heartbeat` seconds while a
    /// worker lives. A reload whose config the emperor did not send in time is refused.
    fn tell_progress(&mut self) {
        if self.link.is_none() {
            return;
        }
        if self
            .pending_config
            .as_ref()
            .is_some_and(|r| r.deadline <= Instant::now())
        {
            let message = self
                .pending_config
                .take()
                .map(|r| r.timeout_message())
                .unwrap_or_default();
            self.refuse_reload(&format!("no config from the emperor: {message}"), None);
        }
        let live = |i: usize| self.slots[i].pid.is_some();
        if !self.told.accepting
            && (0..self.slots.len())
                .any(|i| live(i) && self.scoreboard.get(i, Field::Accepting) == 1)
        {
            self.told.accepting = true;
            self.tell(&FromVassal::Accepting);
        }
        if !self.told.loyal
            && (0..self.slots.len()).any(|i| self.scoreboard.get(i, Field::Requests) > 0)
        {
            self.told.loyal = true;
            self.tell(&FromVassal::Loyal);
        }
        if let Some(every) = self.options.heartbeat
            && self.slots.iter().any(|s| s.pid.is_some())
            && self.told.heartbeat_at.elapsed() >= every
        {
            self.told.heartbeat_at = Instant::now();
            self.tell(&FromVassal::Heartbeat);
        }
    }

    fn reap(&mut self) {
        for (pid, exit) in process::reap() {
            if let Some(daemon) = self.daemons.iter_mut().find(|d| d.owns(pid)) {
                daemon.died(pid, exit, self.phase == Phase::Running);
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
            if self.idle.cheap {
                log::line(&format!(
                    "worker {id} (pid: {pid}) stopped ({exit}): cheap mode"
                ));
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
            slot.respawn_at =
                (index < self.active && !self.idle.cheap).then(|| Instant::now() + slot.backoff);
        }
    }

    /// `idle`: no request and no busy worker for that long → cheap mode (workers stopped,
    /// the master waits for a connection on its listeners) or, with `die-on-idle`, a stop.
    fn check_idle(&mut self) {
        let Some(idle) = self.options.idle else {
            return;
        };
        if self.phase != Phase::Running || self.idle.cheap || self.idle.announced {
            return;
        }
        let now = Instant::now();
        let total: u64 = (0..self.slots.len())
            .map(|i| self.scoreboard.get(i, Field::Requests))
            .sum();
        let busy = (0..self.slots.len()).any(|i| self.scoreboard.get(i, Field::Busy) != 0);
        if total != self.idle.last_requests || busy {
            self.idle.last_requests = total;
            self.idle.last_activity = now;
            return;
        }
        if now.duration_since(self.idle.last_activity) < idle {
            return;
        }
        if self.options.die_on_idle {
            log::line(&format!(
                "idle for {} seconds: stopping (`die-on-idle`)",
                idle.as_secs()
            ));
            if self.link.is_some() {
                // The emperor answers with a stop (and listens again for an on-demand vassal).
                self.idle.announced = true;
                self.tell(&FromVassal::VoluntaryShutdown);
            } else {
                self.stop(false);
            }
            return;
        }
        log::line("cheap mode enabled: waiting for socket connection...");
        self.idle.cheap = true;
        let kill_at = now + self.settings.reload_mercy;
        for slot in &mut self.slots {
            slot.retire(SIGHUP, kill_at);
        }
    }

    /// `cheaper` (spare): every second, if all running workers have been busy for
    /// `cheaper-overload` seconds, add `cheaper-step` workers (up to `processes`); if more
    /// than one has been idle (or none busy) that long, cheap the last one (down to `cheaper`).
    fn check_cheaper(&mut self) {
        let Some(mut c) = self.cheaper.take() else {
            return;
        };
        let now = Instant::now();
        if self.phase == Phase::Running
            && !self.idle.cheap
            && now.duration_since(c.last_check) >= Duration::from_secs(1)
        {
            c.last_check = now;
            let live: Vec<usize> = (0..self.active)
                .filter(|i| self.slots[*i].pid.is_some() && self.slots[*i].kill_at.is_none())
                .collect();
            let busy = live
                .iter()
                .filter(|i| self.scoreboard.get(**i, Field::Busy) != 0)
                .count();
            let idle = live.len() - busy;
            if !live.is_empty() && idle == 0 {
                c.idle_ticks = 0;
                c.busy_ticks += 1;
                if c.busy_ticks >= c.settings.overload && self.active < self.slots.len() {
                    c.busy_ticks = 0;
                    let add = c.settings.step.max(1).min(self.slots.len() - self.active);
                    for _ in 0..add {
                        self.slots[self.active].respawn_at = Some(now);
                        self.active += 1;
                    }
                    log::line(&format!(
                        "cheaper: all {busy} worker(s) busy, spawning {add} more ({} of {})",
                        self.active,
                        self.slots.len()
                    ));
                }
            } else if (idle > 1 || busy == 0) && self.active > c.settings.min.max(1) {
                c.busy_ticks = 0;
                c.idle_ticks += 1;
                if c.idle_ticks >= c.settings.overload {
                    c.idle_ticks = 0;
                    self.retire_last("cheaper: cheaping");
                }
            } else {
                c.busy_ticks = 0;
                c.idle_ticks = 0;
            }
        }
        self.cheaper = Some(c);
    }

    /// `py-autoreload`: a module file the master imported changed → graceful reload (the
    /// master re-executes and imports the new code; the workers follow).
    fn check_autoreload(&mut self) {
        let Some(every) = self.options.py_autoreload else {
            return;
        };
        if self.phase != Phase::Running {
            return;
        }
        let now = Instant::now();
        if self
            .autoreload
            .as_ref()
            .is_some_and(|(at, _)| now.duration_since(*at) < every)
        {
            return;
        }
        let mut current = std::collections::HashMap::new();
        for file in self.runtime.module_files() {
            if let Some(mtime) = modified(&file) {
                current.insert(file, mtime);
            }
        }
        let changed = self.autoreload.as_ref().and_then(|(_, before)| {
            before
                .iter()
                .find(|(file, mtime)| current.get(*file).is_some_and(|now| now != *mtime))
                .map(|(file, _)| file.clone())
        });
        self.autoreload = Some((now, current));
        if let Some(file) = changed {
            log::line(&format!(
                "[emperor-python-reloader] module/file {} has been modified",
                file.display()
            ));
            self.reload();
        }
    }

    /// A connection arrived in cheap mode: the workers come back.
    fn leave_cheap_mode(&mut self) {
        log::line("cheap mode disabled: a connection arrived, spawning the workers");
        self.idle.cheap = false;
        self.idle.last_activity = Instant::now();
        let now = Instant::now();
        for slot in self.slots.iter_mut().take(self.active) {
            if slot.pid.is_none() {
                slot.respawn_at = Some(now);
            }
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
        let forked = self.runtime.fork(&mut process::fork_master);
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
        log::set_worker(id);
        // The emperor link and config belong to the master: a worker holding them would hide
        // the master's death from the emperor (no EOF).
        self.link = None;
        self.pending_config = None;
        self.reload_config = None;
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
                    slot.replace(SIGHUP, now + self.settings.reload_mercy);
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
                    if let Some((signal, grace)) = self.options.harakiri_graceful {
                        // `harakiri-graceful-timeout`: a signal first, SIGKILL after the grace.
                        let _ = process::kill(pid, signal);
                        slot.kill_at = Some(now + grace);
                    } else {
                        let _ = process::kill(pid, SIGKILL);
                    }
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
        }
        // `reload-mercy`: attached daemons get this long (else the workers' mercy).
        if self.daemons_kill_at.is_some_and(|at| at <= now) {
            self.daemons_kill_at = None;
            let reloading = matches!(self.phase, Phase::Reloading { .. });
            for daemon in &self.daemons {
                if !(reloading && daemon.survives_reload()) && daemon.pid.is_some() {
                    log::line(&format!(
                        "daemon `{}` did not stop within `reload-mercy`: SIGKILL",
                        daemon.cmd
                    ));
                    daemon.signal(SIGKILL);
                }
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
            daemons: self
                .daemons
                .iter()
                .map(|d| {
                    (
                        d.cmd.clone(),
                        d.pid.and_then(|p| u64::try_from(p).ok()).unwrap_or(0),
                        d.respawns,
                    )
                })
                .collect(),
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
    if lived < r.min_worker_lifetime {
        return None;
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
