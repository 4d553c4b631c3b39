//! One vassal: an actor (a tokio task) owning its process, its link and its backoff.
//!
//! # Theory of operation
//! The emperor loop sends [`Control`]s; the actor moves between the [`Phase`]s below and
//! publishes a [`Status`] for the stats and `sd_notify`. Nothing here sleeps: backoff, the stop
//! mercy and the heartbeat check are deadlines of this actor alone, so a crash-looping vassal
//! never delays another one (uWSGI sleeps in its only loop, #774).
//!
//! ```text
//!  Pending ──permit──▶ Starting ──byte 5──▶ Running ──change──▶ Reloading ──byte 5──▶ Running
//!     ▲                   │ exit 26 → BadConfig (until the file changes)
//!     │                   │ other exit → Backoff(throttle · 2ⁿ, ≤ max) ──deadline──▶ Pending
//!     └── file changed / restart (bypasses backoff)
//!  any ──removed / emperor stop──▶ Stopping (byte 2, mercy, SIGKILL of the group) ──exit──▶ gone
//! ```
//!
//! A vassal is healthy once it has sent byte 5 (a worker accepts) and stayed up for
//! `emperor-min-uptime`; a healthy vassal that dies is respawned at once and its backoff
//! starts over.
//!
//! A file change never stops a running vassal on the emperor's own judgement: the running
//! master checks the new bytes (as its owner, after its drop) and answers `reload-failed`
//! (it keeps serving) or `needs-restart` (only then is it stopped and started again). In
//! tyrant mode a file that the rules now refuse is not even sent. A reload that does not
//! end with byte 5 within `reload-mercy` is killed and started again; the clock starts when
//! byte 1 is sent, and restarts after the workers' drain when the vassal says how long that
//! may take (its `draining` report: `worker-reload-mercy`, which the vassal enforces itself).

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emperor_proto::link::{self, Event, FromVassal, ToVassal};
use emperor_sys::process::Exit;
use emperor_sys::signals::numbers::{SIGINT, SIGKILL, SIGTERM};
use tokio::io::AsyncReadExt as _;
use tokio::net::UnixStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::Settings;
use crate::log;
use crate::scan::{Seen, shown, vassal_name};
use crate::spawner::{Job, Spawner};

/// How long a spawn or a reload may hold its concurrency permit without reaching byte 5.
const PERMIT_HOLD: Duration = Duration::from_secs(30);
/// The most config bytes kept for a vassal that does not read its config channel (a few
/// frames of at most 64 KiB).
const CONFIG_BACKLOG: usize = 4 * (link::MAX_CONFIG + 4);
/// The mercy of a brutal stop.
const BRUTAL_MERCY: Duration = Duration::from_secs(3);

/// What the emperor loop tells a vassal.
#[derive(Debug)]
pub enum Control {
    /// The file changed (or first appeared with this state).
    Changed(Seen),
    /// The file is gone: stop for good.
    Removed,
    /// SIGHUP to the emperor: graceful reload.
    Reload,
    /// Stop (if running) and start again now, bypassing the backoff.
    Restart,
    /// The emperor is stopping.
    Stop { brutal: bool },
    /// SIGURG: forget the backoff.
    ClearBackoff,
    /// The reaper saw the master end.
    Exited(Exit),
}

/// Where a vassal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Starting,
    Running,
    Reloading,
    Stopping,
    Backoff,
    BadConfig,
    Refused,
    /// On demand: the emperor listens on the vassal's socket and starts it on the first
    /// connection.
    OnDemand,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "pending",
            Phase::Starting => "starting",
            Phase::Running => "running",
            Phase::Reloading => "reloading",
            Phase::Stopping => "stopping",
            Phase::Backoff => "backoff",
            Phase::BadConfig => "bad-config",
            Phase::Refused => "refused",
            Phase::OnDemand => "on-demand",
        }
    }
}

/// What a vassal looks like from outside: uWSGI's emperor stats fields plus ours. Times are
/// Unix seconds, 0 for never.
#[derive(Debug, Clone)]
pub struct Status {
    pub path: PathBuf,
    pub name: String,
    pub monitor: String,
    pub phase: Phase,
    pub pid: Option<i32>,
    pub born: u64,
    pub last_mod: i64,
    pub last_heartbeat: u64,
    pub loyal: bool,
    pub ready: bool,
    pub accepting: bool,
    pub last_loyal: u64,
    pub last_ready: u64,
    pub last_accepting: u64,
    pub first_run: u64,
    pub last_run: u64,
    pub cursed: u64,
    pub uid: u32,
    pub gid: u32,
    pub respawns: u64,
    pub last_error: Option<String>,
    /// The current backoff delay, and when the next attempt is (Unix seconds).
    pub backoff: Duration,
    pub next_attempt: u64,
    /// Consecutive failed starts.
    pub attempts: u64,
    /// The vassal's stats socket, as it reported it.
    pub stats: Option<String>,
    /// On demand: the socket the emperor holds for it.
    pub on_demand: Option<String>,
}

/// The emperor's handle on one actor.
#[derive(Debug)]
pub struct Handle {
    pub tx: mpsc::UnboundedSender<Control>,
    pub status: Arc<Mutex<Status>>,
}

impl Handle {
    pub fn send(&self, control: Control) {
        let _ = self.tx.send(control);
    }

    pub fn status(&self) -> Status {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// What an actor tells the emperor loop.
#[derive(Debug)]
pub enum Note {
    /// The phase changed (`sd_notify`'s `STATUS` is recomputed).
    Phase,
    /// The actor is done (its file is gone, or the emperor stops) and its process reaped.
    Finished(PathBuf),
}

/// What the actors share.
#[derive(Debug, Clone)]
pub struct Shared {
    pub settings: Arc<Settings>,
    pub permits: Arc<Semaphore>,
    pub spawner: Spawner,
    pub notes: mpsc::UnboundedSender<Note>,
}

/// What a file change does to a running vassal: its `[emperor]` section's `on-change`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnChange {
    /// Graceful reload (byte 1): the vassal re-reads its config and re-executes.
    Reload,
    /// Chain reload (byte 3): workers replaced one at a time; the config is not re-read.
    Chain,
    /// Stop, then start fresh.
    Restart,
    /// Nothing: the change is picked up by the next restart.
    None,
}

/// Reads the literal `[emperor]` section of an INI file, or the `"emperor"` object of a JSON
/// one, for `on-change`. Nothing is expanded: the emperor never interprets a vassal file as
/// root beyond this (DESIGN, "The emperor link").
pub fn on_change(path: &Path, bytes: &[u8]) -> Result<OnChange, String> {
    let text = String::from_utf8_lossy(bytes);
    let value = match path.extension().and_then(|e| e.to_str()) {
        Some("json" | "js") => serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("emperor")?
                    .get("on-change")?
                    .as_str()
                    .map(str::to_owned)
            }),
        Some("xml") => None,
        _ => {
            let mut in_section = false;
            let mut found = None;
            for line in text.lines() {
                let line = line.trim();
                if line.starts_with('[') && line.ends_with(']') {
                    in_section = line == "[emperor]";
                } else if in_section
                    && let Some((key, value)) = line.split_once('=')
                    && key.trim() == "on-change"
                {
                    found = Some(value.trim().to_owned());
                }
            }
            found
        }
    };
    match value.as_deref() {
        None | Some("reload" | "graceful") => Ok(OnChange::Reload),
        Some("chain") => Ok(OnChange::Chain),
        Some("restart") => Ok(OnChange::Restart),
        Some("none") => Ok(OnChange::None),
        Some(other) => Err(format!(
            "[emperor] on-change = {other}: expected reload, chain, restart or none"
        )),
    }
}

/// Starts the actor of `path`.
pub fn start(path: PathBuf, seen: Seen, shared: Shared) -> Handle {
    let (tx, rx) = mpsc::unbounded_channel();
    let refused = seen.refusal.is_some();
    let status = Arc::new(Mutex::new(Status {
        name: vassal_name(&path),
        path: path.clone(),
        monitor: seen.monitor.clone(),
        phase: if refused {
            Phase::Refused
        } else {
            Phase::Pending
        },
        pid: None,
        born: 0,
        last_mod: seen.state.mtime_secs(),
        last_heartbeat: 0,
        loyal: false,
        ready: false,
        accepting: false,
        last_loyal: 0,
        last_ready: 0,
        last_accepting: 0,
        first_run: 0,
        last_run: 0,
        cursed: 0,
        uid: seen.state.uid,
        gid: seen.state.gid,
        respawns: 0,
        last_error: seen.refusal.clone(),
        backoff: Duration::ZERO,
        next_attempt: 0,
        attempts: 0,
        stats: None,
        on_demand: seen.on_demand.clone(),
    }));
    let actor = Actor {
        shown: shown(&path.to_string_lossy()),
        name: vassal_name(&path),
        path,
        seen,
        shared,
        tx: tx.clone(),
        rx,
        status: status.clone(),
        phase: if refused {
            Phase::Refused
        } else {
            Phase::Pending
        },
        want: (!refused).then_some(Want::Spawn),
        pid: None,
        link: None,
        config: None,
        config_out: Vec::new(),
        decoder: link::Decoder::new(),
        permit: None,
        permit_until: None,
        backoff: Duration::ZERO,
        backoff_until: None,
        kill_at: None,
        reload_until: None,
        after_stop: AfterStop::Finish,
        accepting_since: None,
        last_heartbeat: None,
        finished: false,
        spawn_reply: None,
        stop_requested: false,
        early_exit: None,
        running_as: None,
        listening: None,
    };
    tokio::spawn(async move {
        let mut actor = actor;
        if actor.seen.on_demand.is_some() && actor.seen.refusal.is_none() {
            actor.want = None;
            actor.spawn_or_park();
        }
        actor.run().await;
    });
    Handle { tx, status }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Spawn,
    Reload,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterStop {
    Finish,
    Respawn,
}

struct Actor {
    path: PathBuf,
    shown: String,
    name: String,
    seen: Seen,
    shared: Shared,
    tx: mpsc::UnboundedSender<Control>,
    rx: mpsc::UnboundedReceiver<Control>,
    status: Arc<Mutex<Status>>,
    phase: Phase,
    /// Waiting for a concurrency permit to do this.
    want: Option<Want>,
    pid: Option<i32>,
    link: Option<UnixStream>,
    /// The emperor's end of the config descriptor (non-blocking), and the framed bytes not
    /// written to it yet: a vassal that does not read never blocks the emperor.
    config: Option<UnixStream>,
    config_out: Vec<u8>,
    decoder: link::Decoder,
    permit: Option<OwnedSemaphorePermit>,
    permit_until: Option<Instant>,
    backoff: Duration,
    backoff_until: Option<Instant>,
    kill_at: Option<Instant>,
    /// A reload in progress must have the vassal accepting again by then (`reload-mercy`),
    /// else it is killed and started again.
    reload_until: Option<Instant>,
    after_stop: AfterStop,
    accepting_since: Option<Instant>,
    last_heartbeat: Option<Instant>,
    finished: bool,
    /// A spawn in flight on the spawner thread.
    spawn_reply: Option<oneshot::Receiver<std::io::Result<i32>>>,
    /// The emperor is stopping or the file is gone: never start again.
    stop_requested: bool,
    /// An exit reaped before the spawn's reply was read.
    early_exit: Option<Exit>,
    /// Tyrant mode: the (uid, gid) the running process was started as.
    running_as: Option<(u32, u32)>,
    /// On demand: the listening socket the emperor holds (and hands over as fd 0).
    listening: Option<Listening>,
}

/// An on-demand socket bound by the emperor.
struct Listening {
    name: String,
    fd: tokio::io::unix::AsyncFd<OwnedFd>,
    /// A UNIX socket's path, removed when the vassal goes away.
    path: Option<PathBuf>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Binds an on-demand socket as uWSGI does: `host:port` (empty host: every interface), a
/// UNIX path (mode 0666, so the web server can connect) or `@abstract`; backlog 100.
fn bind_on_demand(name: &str) -> std::io::Result<(OwnedFd, Option<PathBuf>)> {
    Ok(match crate::bind_address(name, 100, Some(0o666))? {
        crate::Bound::Tcp(fd) => (fd, None),
        crate::Bound::Unix(fd, path) => (fd, path),
    })
}

/// Registers a listening socket with the event loop for readability only (the emperor never
/// accepts on it: the vassal it starts does).
#[allow(unsafe_code)]
fn watch_readable(fd: OwnedFd) -> std::io::Result<tokio::io::unix::AsyncFd<OwnedFd>> {
    // SAFETY: the `AsyncFd` owns the descriptor for as long as it is registered, and nothing
    // else closes it: the registration cannot outlive the descriptor (tokio's I/O-safety
    // requirement for `register`).
    unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
            .map_err(std::io::Error::from)
    }
}

async fn connection_waiting(listening: Option<&Listening>) {
    match listening {
        Some(l) => match l.fd.readable().await {
            Ok(mut guard) => guard.clear_ready(),
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn read_link(link: &mut Option<UnixStream>, buf: &mut [u8]) -> std::io::Result<usize> {
    match link {
        Some(link) => link.read(buf).await,
        None => std::future::pending().await,
    }
}

async fn config_writable(config: Option<&UnixStream>) {
    match config {
        Some(c) => {
            if c.writable().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

async fn spawned(
    reply: &mut Option<oneshot::Receiver<std::io::Result<i32>>>,
) -> std::io::Result<i32> {
    match reply {
        Some(rx) => rx
            .await
            .unwrap_or_else(|_| Err(std::io::Error::other("the spawner thread is gone"))),
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

fn unix_now() -> u64 {
    emperor_sys::time::unix_now()
}

impl Actor {
    async fn run(mut self) {
        let mut buf = [0u8; 4096];
        self.publish();
        while !self.finished {
            let deadline = [
                self.backoff_until,
                self.kill_at,
                self.reload_until,
                self.permit_until,
                self.heartbeat_deadline(),
            ]
            .into_iter()
            .flatten()
            .min();
            let permits = self.shared.permits.clone();
            let wants_permit = self.want.is_some() && self.permit.is_none();
            tokio::select! {
                control = self.rx.recv() => match control {
                    Some(control) => self.on_control(control),
                    None => break,
                },
                read = read_link(&mut self.link, &mut buf) => self.on_link(&read, &buf),
                result = spawned(&mut self.spawn_reply) => {
                    self.spawn_reply = None;
                    self.on_spawned(result);
                }
                permit = permits.acquire_owned(), if wants_permit => {
                    if let Ok(permit) = permit {
                        self.on_permit(permit);
                    }
                }
                () = sleep_until(deadline) => self.on_timer(),
                () = config_writable(self.config.as_ref()), if !self.config_out.is_empty() => {
                    self.flush_config();
                }
                () = connection_waiting(self.listening.as_ref()), if self.phase == Phase::OnDemand => {
                    log(&format!("[emperor] vassal {}: a connection is waiting, starting it", self.shown));
                    self.want = Some(Want::Spawn);
                    self.set_phase(Phase::Pending);
                }
            }
            self.publish();
        }
        let _ = self.shared.notes.send(Note::Finished(self.path.clone()));
    }

    fn set_phase(&mut self, phase: Phase) {
        if self.phase != phase {
            self.phase = phase;
            let _ = self.shared.notes.send(Note::Phase);
        }
    }

    fn publish(&self) {
        let mut s = self
            .status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.phase = self.phase;
        s.pid = self.pid;
        s.backoff = self.backoff;
        s.next_attempt = self.backoff_until.map_or(0, |at| {
            unix_now() + at.saturating_duration_since(Instant::now()).as_secs()
        });
        s.last_mod = self.seen.state.mtime_secs();
        s.uid = self.seen.state.uid;
        s.gid = self.seen.state.gid;
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn heartbeat_deadline(&self) -> Option<Instant> {
        let required = self.shared.settings.required_heartbeat?;
        Some(self.last_heartbeat? + required)
    }

    fn on_control(&mut self, control: Control) {
        match control {
            Control::Changed(seen) => self.on_changed(seen),
            Control::Removed => {
                log(&format!(
                    "[emperor] vassal {} removed: stopping it",
                    self.shown
                ));
                self.stop(false, AfterStop::Finish);
            }
            Control::Stop { brutal } => self.stop(brutal, AfterStop::Finish),
            Control::Reload => {
                if matches!(self.phase, Phase::Running | Phase::Starting) && self.pid.is_some() {
                    self.want = Some(Want::Reload);
                }
            }
            Control::Restart => {
                log(&format!(
                    "[emperor] restarting vassal {} on request",
                    self.shown
                ));
                self.backoff = Duration::ZERO;
                if self.pid.is_some() {
                    self.stop(false, AfterStop::Respawn);
                } else {
                    self.spawn_or_park();
                }
            }
            Control::ClearBackoff => {
                self.backoff = Duration::ZERO;
                self.status().attempts = 0;
                if self.phase == Phase::Backoff {
                    self.spawn_or_park();
                }
            }
            Control::Exited(exit) => self.on_exit(exit),
        }
    }

    fn on_changed(&mut self, seen: Seen) {
        let owner_changed =
            seen.state.uid != self.seen.state.uid || seen.state.gid != self.seen.state.gid;
        self.seen = seen;
        if self.stop_requested {
            return;
        }
        if let Some(refusal) = self.seen.refusal.clone() {
            self.status().last_error = Some(refusal);
            if self.pid.is_some() {
                self.stop(false, AfterStop::Respawn);
            } else {
                self.spawn_or_park();
            }
            return;
        }
        match self.phase {
            Phase::Backoff | Phase::BadConfig | Phase::Refused => {
                log(&format!(
                    "[emperor] vassal {} changed: starting it",
                    self.shown
                ));
                self.backoff = Duration::ZERO;
                self.status().attempts = 0;
                self.spawn_or_park();
            }
            Phase::Starting | Phase::Running | Phase::Reloading => {
                // Tyrant mode: a file that the rules now refuse (made writable by others,
                // given to root, linked) is not applied, and the running version, which
                // runs as the owner it started as, keeps serving.
                if self.shared.settings.tyrant
                    && let Err(refusal) = crate::tyrant::read(&self.path, &self.shared.settings)
                {
                    self.keep_running(&refusal_text(refusal));
                    return;
                }
                let policy =
                    match emperor_sys::spawn::read_config(&self.path, link::MAX_CONFIG as u64) {
                        Ok((bytes, _)) => on_change(&self.path, &bytes),
                        Err(e) => Err(format!("{}: {e}", self.shown)),
                    };
                let policy = match policy {
                    Ok(p) => p,
                    Err(e) => {
                        log(&format!("[emperor] vassal {}: {e}; reloading", self.shown));
                        OnChange::Reload
                    }
                };
                let policy = if owner_changed && self.shared.settings.tyrant {
                    OnChange::Restart
                } else {
                    policy
                };
                match policy {
                    OnChange::Reload => {
                        log(&format!(
                            "[emperor] vassal {} changed: reloading it",
                            self.shown
                        ));
                        self.want = Some(Want::Reload);
                    }
                    OnChange::Chain => {
                        log(&format!(
                            "[emperor] vassal {} changed: chain reloading it",
                            self.shown
                        ));
                        self.send(ToVassal::ChainReload);
                    }
                    OnChange::Restart => {
                        log(&format!(
                            "[emperor] vassal {} changed: restarting it",
                            self.shown
                        ));
                        self.stop(false, AfterStop::Respawn);
                    }
                    OnChange::None => log(&format!(
                        "[emperor] vassal {} changed; `on-change = none`: not reloading it",
                        self.shown
                    )),
                }
            }
            Phase::OnDemand => {
                log(&format!(
                    "[emperor] updated configuration for \"on demand\" instance {}",
                    self.shown
                ));
                self.spawn_or_park();
            }
            Phase::Pending | Phase::Stopping => {}
        }
    }

    /// Starts again, unless the file is refused (then waits for it to change).
    fn spawn_or_park(&mut self) {
        self.backoff_until = None;
        if self.stop_requested {
            return;
        }
        if let Some(refusal) = &self.seen.refusal {
            let refusal = refusal.clone();
            log(&format!(
                "[emperor] vassal {} refused: {refusal}",
                self.shown
            ));
            self.status().last_error = Some(refusal);
            self.want = None;
            self.set_phase(Phase::Refused);
            return;
        }
        if let Some(name) = self.seen.on_demand.clone() {
            if self.listening.as_ref().is_none_or(|l| l.name != name) {
                self.listening = None;
                let bound = bind_on_demand(&name).and_then(|(fd, path)| {
                    Ok(Listening {
                        name: name.clone(),
                        fd: watch_readable(fd)?,
                        path,
                    })
                });
                match bound {
                    Ok(l) => {
                        log(&format!(
                            "[emperor] {} -> \"on demand\" instance detected, waiting for connections on socket \"{name}\" ...",
                            self.shown
                        ));
                        self.listening = Some(l);
                    }
                    Err(e) => {
                        let message = format!("cannot bind its on-demand socket `{name}`: {e}");
                        log(&format!("[emperor] vassal {}: {message}", self.shown));
                        self.status().last_error = Some(message);
                        self.back_off();
                        return;
                    }
                }
            }
            self.status().on_demand = Some(name);
            self.want = None;
            self.set_phase(Phase::OnDemand);
            // A connection may already be queued (edge-triggered readiness would not say).
            if let Some(l) = &self.listening {
                use std::os::fd::AsFd as _;
                if emperor_sys::poll::readable(&[l.fd.get_ref().as_fd()], 0)
                    .is_ok_and(|r| r.first().copied() == Some(true))
                {
                    self.want = Some(Want::Spawn);
                    self.set_phase(Phase::Pending);
                }
            }
            return;
        }
        self.listening = None;
        self.status().on_demand = None;
        self.want = Some(Want::Spawn);
        self.set_phase(Phase::Pending);
    }

    fn on_permit(&mut self, permit: OwnedSemaphorePermit) {
        match self.want.take() {
            Some(Want::Spawn) if self.pid.is_none() && self.spawn_reply.is_none() => {
                self.permit = Some(permit);
                self.permit_until = Some(Instant::now() + PERMIT_HOLD);
                self.spawn();
            }
            Some(Want::Reload) if self.pid.is_some() && self.phase != Phase::Stopping => {
                self.permit = Some(permit);
                self.permit_until = Some(Instant::now() + PERMIT_HOLD);
                self.send(ToVassal::Reload);
                self.reload_until = Some(Instant::now() + self.shared.settings.mercy);
                let mut s = self.status();
                s.ready = false;
                s.accepting = false;
                s.respawns += 1;
                s.last_run = unix_now();
                drop(s);
                self.accepting_since = None;
                self.set_phase(Phase::Reloading);
            }
            _ => {}
        }
    }

    fn release_permit(&mut self) {
        self.permit = None;
        self.permit_until = None;
    }

    fn spawn(&mut self) {
        let settings = self.shared.settings.clone();
        let read = if settings.tyrant {
            crate::tyrant::read(&self.path, &settings).map(|(bytes, who)| (bytes, Some(who)))
        } else {
            emperor_sys::spawn::read_config(&self.path, link::MAX_CONFIG as u64)
                .map(|(bytes, _)| (bytes, None))
                .map_err(crate::tyrant::Refusal::Read)
        };
        let (bytes, credentials) = match read {
            Ok(read) => read,
            Err(crate::tyrant::Refusal::Rule(message)) => {
                let message = format!("{} {message}", self.shown);
                log(&format!("[emperor-tyrant] refusing vassal {message}"));
                self.status().last_error = Some(message);
                self.release_permit();
                self.set_phase(Phase::Refused);
                return;
            }
            Err(crate::tyrant::Refusal::Read(e)) => {
                let message = format!("{} {e}", self.shown);
                log(&format!("[emperor] cannot start vassal: {message}"));
                self.status().last_error = Some(message);
                self.release_permit();
                if matches!(e, emperor_sys::spawn::ReadError::Io(_)) {
                    self.back_off();
                } else {
                    self.set_phase(Phase::Refused);
                }
                return;
            }
        };
        let framed = match link::frame_config(&bytes) {
            Ok(f) => f,
            Err(e) => {
                self.status().last_error = Some(e.to_string());
                self.release_permit();
                self.set_phase(Phase::Refused);
                return;
            }
        };
        let result = (|| -> std::io::Result<(StdUnixStream, StdUnixStream, StdUnixStream, StdUnixStream)> {
            let (link_ours, link_theirs) = StdUnixStream::pair()?;
            let (config_ours, config_theirs) = StdUnixStream::pair()?;
            config_ours.set_nonblocking(true)?;
            link_ours.set_nonblocking(true)?;
            Ok((link_ours, link_theirs, config_ours, config_theirs))
        })();
        let (link_ours, link_theirs, config_ours, config_theirs) = match result {
            Ok(fds) => fds,
            Err(e) => {
                log(&format!(
                    "[emperor] cannot set up the link of vassal {}: {e}",
                    self.shown
                ));
                self.release_permit();
                self.back_off();
                return;
            }
        };
        let dir = self.path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let uid = credentials
            .as_ref()
            .map_or_else(|| emperor_sys::privileges::current_ids().0, |c| c.uid);
        let env = vassal_env(&settings, uid, &self.path);
        self.running_as = credentials.as_ref().map(|c| (c.uid, c.gid));
        if let Some(c) = &credentials {
            log(&format!(
                "[emperor-tyrant] running vassal {} as uid {} gid {}",
                self.shown, c.uid, c.gid
            ));
        }
        let (reply_tx, reply_rx) = oneshot::channel();
        let job = Job {
            program: settings.binary.clone(),
            args: {
                let mut args = vec![
                    "emperor".to_owned(),
                    "--vassal-of-emperor".to_owned(),
                    self.name.clone(),
                ];
                args.extend(settings.vassal_defaults.iter().cloned());
                args.push(emperor_options::VASSAL_FILE_MARKER.to_owned());
                args.extend(settings.vassal_overrides.iter().cloned());
                args
            },
            env,
            cwd: dir,
            fds: {
                let mut fds = vec![
                    (OwnedFd::from(link_theirs), 3),
                    (OwnedFd::from(config_theirs), 4),
                ];
                if let Some(l) = &self.listening
                    && let Ok(fd) = l.fd.get_ref().try_clone()
                {
                    fds.push((fd, 0));
                }
                fds
            },
            owner: self.tx.clone(),
            reply: reply_tx,
            credentials,
        };
        if self.shared.spawner.submit(job).is_err() {
            log("[emperor] the spawner thread is gone");
            self.release_permit();
            self.back_off();
            return;
        }
        match UnixStream::from_std(link_ours) {
            Ok(link) => self.link = Some(link),
            Err(e) => log(&format!("[emperor] vassal {}: link: {e}", self.shown)),
        }
        match UnixStream::from_std(config_ours) {
            Ok(config) => self.config = Some(config),
            Err(e) => log(&format!(
                "[emperor] vassal {}: config channel: {e}",
                self.shown
            )),
        }
        self.config_out = framed;
        self.flush_config();
        self.decoder = link::Decoder::new();
        self.spawn_reply = Some(reply_rx);
        self.set_phase(Phase::Starting);
    }

    fn on_spawned(&mut self, result: std::io::Result<i32>) {
        match result {
            Ok(pid) => {
                self.pid = Some(pid);
                let now = unix_now();
                let mut s = self.status();
                s.born = now;
                if s.first_run == 0 {
                    s.first_run = now;
                } else {
                    s.respawns += 1;
                }
                s.last_run = now;
                s.ready = false;
                s.accepting = false;
                s.loyal = false;
                drop(s);
                self.accepting_since = None;
                self.last_heartbeat = None;
                log(&format!(
                    "[emperor] vassal {} started (pid: {pid})",
                    self.shown
                ));
                if let Some(exit) = self.early_exit.take() {
                    self.on_exit(exit);
                    return;
                }
                if self.stop_requested {
                    // Stopped while the spawn was in flight.
                    self.kill_at = Some(Instant::now() + self.shared.settings.mercy);
                    self.send(ToVassal::GracefulStop);
                }
            }
            Err(e) => {
                log(&format!(
                    "[emperor] cannot start vassal {}: {e}",
                    self.shown
                ));
                self.status().last_error = Some(format!("cannot start: {e}"));
                self.link = None;
                self.config = None;
                self.config_out.clear();
                self.release_permit();
                if self.stop_requested {
                    self.finished = true;
                } else {
                    self.back_off();
                }
            }
        }
    }

    fn send(&mut self, message: ToVassal) {
        let Some(link) = &self.link else { return };
        if let Err(e) = link.try_write(&[message.byte()]) {
            log(&format!(
                "[emperor] vassal {}: cannot write to its link: {e}",
                self.shown
            ));
        }
    }

    fn on_link(&mut self, read: &std::io::Result<usize>, buf: &[u8]) {
        let n = match read {
            Ok(0) | Err(_) => {
                // EOF: the master is gone or going; its exit comes through the reaper.
                self.link = None;
                self.status().cursed = unix_now();
                if self.pid.is_some() && self.kill_at.is_none() {
                    self.kill_at = Some(Instant::now() + self.shared.settings.mercy);
                }
                return;
            }
            Ok(n) => *n,
        };
        let messages = match self.decoder.feed(&buf[..n]) {
            Ok(m) => m,
            Err(e) => {
                log(&format!("[emperor] vassal {}: {e}", self.shown));
                Vec::new()
            }
        };
        for message in messages {
            self.on_message(message);
        }
    }

    /// Reads whatever is buffered on the link without waiting.
    fn drain_link(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            let Some(link) = &self.link else { return };
            match link.try_read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => self.on_link(&Ok(n), &buf),
            }
        }
    }

    fn on_message(&mut self, message: FromVassal) {
        let now = unix_now();
        match message {
            FromVassal::Spawned => {
                let mut s = self.status();
                s.ready = true;
                s.last_ready = now;
                drop(s);
                log(&format!("[emperor] vassal {} has been spawned", self.shown));
            }
            FromVassal::Accepting => {
                let mut s = self.status();
                s.accepting = true;
                s.last_accepting = now;
                s.last_error = None;
                drop(s);
                if self.accepting_since.is_none() {
                    self.accepting_since = Some(Instant::now());
                }
                self.release_permit();
                self.reload_until = None;
                if matches!(self.phase, Phase::Starting | Phase::Reloading) {
                    self.set_phase(Phase::Running);
                }
                log(&format!(
                    "[emperor] vassal {} is ready to accept requests",
                    self.shown
                ));
            }
            FromVassal::Loyal => {
                let mut s = self.status();
                if !s.loyal {
                    s.loyal = true;
                    s.last_loyal = now;
                }
            }
            FromVassal::Heartbeat => {
                self.last_heartbeat = Some(Instant::now());
                self.status().last_heartbeat = now;
            }
            FromVassal::ConfigRequest => {
                // A reload the vassal started itself (SIGHUP, `touch-reload`) has the same
                // deadline as one the emperor asked for.
                if self.phase == Phase::Running {
                    self.reload_until = Some(Instant::now() + self.shared.settings.mercy);
                    self.set_phase(Phase::Reloading);
                }
                self.push_config();
            }
            FromVassal::VoluntaryShutdown => {
                log(&format!("[emperor] vassal {} asked to stop", self.shown));
                self.stop(false, AfterStop::Respawn);
            }
            FromVassal::Report(report) => {
                let text = match &report.origin {
                    Some(origin) => format!("{origin}: {}", report.message),
                    None => report.message.clone(),
                };
                match report.event {
                    Event::Stats => self.status().stats = Some(report.message),
                    Event::Draining => {
                        // The vassal bounds its own drain; the deadline covers what follows.
                        let drain = report.message.trim().parse::<u64>().unwrap_or(0);
                        if self.phase == Phase::Reloading {
                            self.reload_until = Some(
                                Instant::now()
                                    + Duration::from_secs(drain)
                                    + self.shared.settings.mercy,
                            );
                        }
                    }
                    Event::NeedsRestart => {
                        log(&format!(
                            "[emperor] vassal {} needs a restart to apply its new config: {text}",
                            self.shown
                        ));
                        self.status().last_error = Some(text);
                        self.stop(false, AfterStop::Respawn);
                    }
                    Event::ReloadFailed => {
                        log(&format!(
                            "[emperor] vassal {} refused its new config and keeps running the old one: {text}",
                            self.shown
                        ));
                        self.status().last_error = Some(text);
                        self.release_permit();
                        self.reload_until = None;
                        if self.phase == Phase::Reloading {
                            self.set_phase(Phase::Running);
                        }
                    }
                    Event::BadConfig | Event::Refused | Event::StartFailed => {
                        log(&format!("[emperor] vassal {}: {text}", self.shown));
                        self.status().last_error = Some(text);
                    }
                }
            }
        }
    }

    /// Byte 2: the vassal reloads and wants its (new) config.
    /// Byte 2: the vassal reloads and wants its (new) config. In tyrant mode the bytes must
    /// belong to the user the vassal runs as: a file that changed owner meanwhile is not sent
    /// (the reload fails and the vassal is restarted as the new owner instead).
    fn push_config(&mut self) {
        if self.config.is_none() {
            return;
        }
        let settings = self.shared.settings.clone();
        let read = if settings.tyrant {
            match crate::tyrant::read(&self.path, &settings) {
                Ok((bytes, who)) if Some((who.uid, who.gid)) == self.running_as => Ok(bytes),
                Ok((_, who)) => Err(Owner::Changed(who.uid, who.gid)),
                Err(refusal) => Err(Owner::Refused(refusal)),
            }
        } else {
            emperor_sys::spawn::read_config(&self.path, link::MAX_CONFIG as u64)
                .map(|(bytes, _)| bytes)
                .map_err(|e| Owner::Refused(crate::tyrant::Refusal::Read(e)))
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(Owner::Changed(uid, gid)) => {
                log(&format!(
                    "[emperor] vassal {} asked for its config, but the file now belongs to uid {uid} gid {gid}: restarting it as its new owner",
                    self.shown
                ));
                self.stop(false, AfterStop::Respawn);
                return;
            }
            Err(Owner::Refused(refusal)) => {
                // Nothing is sent: the vassal's reload gives up and it keeps serving.
                self.keep_running(&refusal_text(refusal));
                return;
            }
        };
        match link::frame_config(&bytes) {
            Ok(framed) if self.config_out.len() + framed.len() <= CONFIG_BACKLOG => {
                self.config_out.extend_from_slice(&framed);
                self.flush_config();
            }
            Ok(_) => log(&format!(
                "[emperor] vassal {}: it does not read its config channel; this request is not answered",
                self.shown
            )),
            Err(e) => log(&format!("[emperor] vassal {}: {e}", self.shown)),
        }
    }

    /// Writes what the config channel takes now; the rest waits for it to be writable.
    fn flush_config(&mut self) {
        while !self.config_out.is_empty() {
            let Some(config) = &self.config else {
                self.config_out.clear();
                return;
            };
            match config.try_write(&self.config_out) {
                Ok(n) => {
                    self.config_out.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log(&format!(
                        "[emperor] vassal {}: cannot send its config: {e}",
                        self.shown
                    ));
                    self.config_out.clear();
                    return;
                }
            }
        }
    }

    /// A changed file that cannot be run: the running version keeps serving, and the reason
    /// is logged and shown in the stats.
    fn keep_running(&mut self, why: &str) {
        let message = format!("the file {why}; the running version keeps serving");
        log(&format!(
            "[emperor] vassal {} changed, but {message}",
            self.shown
        ));
        self.status().last_error = Some(message);
    }

    fn stop(&mut self, brutal: bool, after: AfterStop) {
        self.want = None;
        self.reload_until = None;
        self.release_permit();
        if after == AfterStop::Finish {
            self.stop_requested = true;
        }
        self.after_stop = after;
        if self.spawn_reply.is_some() {
            // on_spawned sends the stop once the pid is known.
            self.set_phase(Phase::Stopping);
            return;
        }
        let Some(pid) = self.pid else {
            if after == AfterStop::Finish {
                self.listening = None;
                self.finished = true;
            } else {
                self.spawn_or_park();
            }
            return;
        };
        let escalate = self.phase == Phase::Stopping;
        let mercy = if brutal {
            BRUTAL_MERCY
        } else {
            self.shared.settings.mercy
        };
        let kill_at = Instant::now() + mercy;
        self.kill_at = Some(self.kill_at.map_or(kill_at, |k| k.min(kill_at)));
        self.status().cursed = unix_now();
        if self.link.is_some() {
            self.send(if brutal || escalate {
                ToVassal::Stop
            } else {
                ToVassal::GracefulStop
            });
        } else {
            let _ = emperor_sys::process::kill(pid, if brutal { SIGINT } else { SIGTERM });
        }
        self.set_phase(Phase::Stopping);
    }

    fn on_timer(&mut self) {
        let now = Instant::now();
        if self.reload_until.is_some_and(|at| at <= now) {
            self.reload_until = None;
            if self.phase == Phase::Reloading
                && let Some(pid) = self.pid
            {
                let message = format!(
                    "its reload did not finish in time (`reload-mercy`: {} s, after the workers' own drain): killed and started again",
                    self.shared.settings.mercy.as_secs()
                );
                log(&format!(
                    "[emperor] vassal {} (pid: {pid}): {message}",
                    self.shown
                ));
                self.status().last_error = Some(message);
                self.release_permit();
                self.after_stop = AfterStop::Respawn;
                self.set_phase(Phase::Stopping);
                let _ = emperor_sys::process::kill(-pid, SIGKILL);
                let _ = emperor_sys::process::kill(pid, SIGKILL);
            }
        }
        if self.backoff_until.is_some_and(|at| at <= now) {
            self.backoff_until = None;
            self.spawn_or_park();
        }
        if self.kill_at.is_some_and(|at| at <= now) {
            self.kill_at = None;
            if let Some(pid) = self.pid {
                log(&format!(
                    "[emperor] vassal {} (pid: {pid}) did not stop in time: killing its process group",
                    self.shown
                ));
                let _ = emperor_sys::process::kill(-pid, SIGKILL);
                let _ = emperor_sys::process::kill(pid, SIGKILL);
            }
        }
        if self.permit_until.is_some_and(|at| at <= now) {
            self.release_permit();
        }
        if self.heartbeat_deadline().is_some_and(|at| at <= now) {
            self.last_heartbeat = None;
            if let Some(pid) = self.pid {
                log(&format!(
                    "[emperor] vassal {} sent no heartbeat in the last {} seconds: killing it",
                    self.shown,
                    self.shared
                        .settings
                        .required_heartbeat
                        .unwrap_or_default()
                        .as_secs()
                ));
                let _ = emperor_sys::process::kill(-pid, SIGKILL);
                let _ = emperor_sys::process::kill(pid, SIGKILL);
            }
        }
    }

    fn on_exit(&mut self, exit: Exit) {
        if self.pid.is_none() && self.spawn_reply.is_some() {
            // The reaper was faster than the spawner's reply: handled once the pid is known.
            self.early_exit = Some(exit);
            return;
        }
        // What the master said last (a `bad-config` report right before exit 26) may still
        // be unread: the reaper can be faster than the link.
        self.drain_link();
        let Some(pid) = self.pid.take() else { return };
        // Whatever the master left in its process group goes with it.
        let _ = emperor_sys::process::kill(-pid, SIGKILL);
        self.link = None;
        self.config = None;
        self.config_out.clear();
        self.kill_at = None;
        self.reload_until = None;
        self.last_heartbeat = None;
        self.release_permit();
        let healthy = self
            .accepting_since
            .is_some_and(|t| t.elapsed() >= self.shared.settings.min_uptime);
        self.accepting_since = None;
        {
            let mut s = self.status();
            s.ready = false;
            s.accepting = false;
        }
        if self.phase == Phase::Stopping {
            log(&format!("[emperor] vassal {} stopped ({exit})", self.shown));
            match self.after_stop {
                AfterStop::Finish => {
                    self.listening = None;
                    self.finished = true;
                }
                AfterStop::Respawn => {
                    self.after_stop = AfterStop::Finish;
                    self.spawn_or_park();
                }
            }
            return;
        }
        if exit == Exit::Code(link::EXIT_DO_NOT_RESPAWN) {
            let mut s = self.status();
            if s.last_error.is_none() {
                s.last_error = Some(format!(
                    "the vassal exited with code {}: its config is invalid (run `emperor check {}`)",
                    link::EXIT_DO_NOT_RESPAWN,
                    self.path.display()
                ));
            }
            drop(s);
            log(&format!(
                "[emperor] vassal {} has a bad config: not respawning it until the file changes",
                self.shown
            ));
            self.set_phase(Phase::BadConfig);
            return;
        }
        if healthy {
            log(&format!(
                "[emperor] vassal {} died ({exit}): respawning it",
                self.shown
            ));
            self.backoff = Duration::ZERO;
            self.status().attempts = 0;
            self.spawn_or_park();
        } else {
            self.status()
                .last_error
                .get_or_insert_with(|| format!("died before it was healthy ({exit})"));
            log(&format!("[emperor] vassal {} died ({exit})", self.shown));
            self.back_off();
        }
    }

    /// Schedules the next attempt: `emperor-throttle`, doubling up to `emperor-max-throttle`
    /// (fixed at `emperor-throttle` with `emperor-no-blacklist`).
    fn back_off(&mut self) {
        let settings = &self.shared.settings;
        self.backoff = if self.backoff.is_zero() || settings.no_blacklist {
            settings.throttle
        } else {
            (self.backoff * 2).min(settings.max_throttle)
        };
        self.backoff_until = Some(Instant::now() + self.backoff);
        self.status().attempts += 1;
        log(&format!(
            "[emperor] vassal {}: next attempt in {:.1} s",
            self.shown,
            self.backoff.as_secs_f64()
        ));
        self.set_phase(Phase::Backoff);
    }
}

/// Why the bytes of a running tyrant vassal's file are not sent to it.
enum Owner {
    /// The file now belongs to another (acceptable) user: restart as that user.
    Changed(u32, u32),
    /// The file is refused or unreadable now.
    Refused(crate::tyrant::Refusal),
}

fn refusal_text(refusal: crate::tyrant::Refusal) -> String {
    match refusal {
        crate::tyrant::Refusal::Rule(m) => m,
        crate::tyrant::Refusal::Read(e) => e.to_string(),
    }
}

/// The vassal's environment: an allow-list, never the emperor's whole environment (no
/// `NOTIFY_SOCKET`, `LISTEN_*`, `LD_PRELOAD` or stray `UWSGI_*`).
fn vassal_env(settings: &Settings, uid: u32, path: &Path) -> Vec<(String, String)> {
    let mut env = Vec::new();
    env.push((
        "PATH".to_owned(),
        std::env::var("PATH").unwrap_or_else(|_| {
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()
        }),
    ));
    for key in ["LANG", "LC_ALL", "LC_CTYPE", "TZ"] {
        if let Ok(value) = std::env::var(key) {
            env.push((key.to_owned(), value));
        }
    }
    if let Some((user, home)) = emperor_sys::host::user_by_uid(uid) {
        env.push(("HOME".to_owned(), home.to_string_lossy().into_owned()));
        env.push(("USER".to_owned(), user.clone()));
        env.push(("LOGNAME".to_owned(), user));
    }
    env.push((link::FD_VAR.to_owned(), "3".to_owned()));
    env.push((link::CONFIG_FD_VAR.to_owned(), "4".to_owned()));
    env.push((
        link::CONFIG_PATH_VAR.to_owned(),
        path.to_string_lossy().into_owned(),
    ));
    env.push((link::EXT_VAR.to_owned(), "1".to_owned()));
    env.extend(settings.vassal_env.iter().cloned());
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_change_policy_from_literal_sections() {
        let ini = Path::new("/d/app.ini");
        assert_eq!(
            on_change(ini, b"[uwsgi]\nsocket = :1\n"),
            Ok(OnChange::Reload)
        );
        assert_eq!(
            on_change(
                ini,
                b"[uwsgi]\non-change = none\n[emperor]\non-change = chain\n"
            ),
            Ok(OnChange::Chain)
        );
        assert_eq!(
            on_change(ini, b"[emperor]\non-change = restart\n[uwsgi]\n"),
            Ok(OnChange::Restart)
        );
        assert!(on_change(ini, b"[emperor]\non-change = sometimes\n").is_err());
        let json = Path::new("/d/app.json");
        assert_eq!(
            on_change(json, br#"{"uwsgi": {}, "emperor": {"on-change": "none"}}"#),
            Ok(OnChange::None)
        );
        // Never expanded: a placeholder is just an unknown policy.
        assert!(on_change(ini, b"[emperor]\non-change = %(x)\n").is_err());
    }
}
