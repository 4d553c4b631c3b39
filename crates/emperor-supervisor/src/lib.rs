//! `emperor-supervisor`: the Emperor. It watches the vassal directories, runs one vassal
//! master per file, and keeps the two in agreement.
//!
//! # Theory of operation
//! One tokio runtime on the main thread (DESIGN, "Threads rule": this process never forks
//! except to exec, and does that from the [`spawner`] thread). The loop:
//!
//! - **Watch.** inotify (through `notify`) says *when* to look; a full [`scan`] says *what*
//!   is there. Every event schedules a scan shortly after (debounced); a periodic scan every
//!   `emperor-freq` seconds is the safety net, and also re-arms the watch of a directory that
//!   was removed and recreated. A file still open for writing is left alone until closed.
//! - **Reconcile.** [`reconcile::plan`] compares the scan with what is tracked and yields
//!   add / change / remove, which become [`vassal::Control`]s to the vassal actors.
//! - **Reap.** The emperor is a child subreaper. On SIGCHLD every ended child is reaped; a
//!   vassal master's exit goes to its actor, anything else is an adopted stray. Strays still
//!   running (a vassal's daemonized grandchild, reparented here when its master ended) get
//!   SIGTERM after a grace period and SIGKILL after the mercy: no zombie, no orphan.
//! - **Signals** (DESIGN table): HUP reloads every vassal (at most a few at a time: reloads
//!   take the same concurrency permits as spawns); TERM/INT/QUIT stop all (graceful for TERM,
//!   brutal for INT/QUIT; a second one escalates) and exit 0; USR1 logs each vassal's state;
//!   WINCH rescans; URG clears every backoff.
//! - **systemd.** With `NOTIFY_SOCKET`: READY=1 once every vassal of the first scan has been
//!   started (or parked as bad/refused), STATUS= on every change, RELOADING=1 on SIGHUP,
//!   STOPPING=1, and WATCHDOG=1 from this loop when `WATCHDOG_USEC` is set.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emperor_sys::signals::numbers::{SIGKILL, SIGTERM};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, mpsc};

pub mod reconcile;
pub mod scan;
pub mod spawner;
pub mod stats;
pub mod tyrant;
pub mod vassal;

use scan::{Monitor, Seen};
use vassal::{Control, Handle, Note, Phase};

/// How long after the last filesystem event a scan runs.
const DEBOUNCE: Duration = Duration::from_millis(50);
/// How long a file may stay open for writing before it is read anyway.
const WRITE_GRACE: Duration = Duration::from_secs(2);
/// How long an adopted stray may live before SIGTERM.
const STRAY_GRACE: Duration = Duration::from_secs(1);

/// Everything the emperor runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `emperor` values (directories or globs), as given.
    pub monitors: Vec<String>,
    /// `emperor-tyrant`: each vassal runs as its file's owner ([`tyrant`]).
    pub tyrant: bool,
    /// `emperor-tyrant-nofollow`: accept a symlink whose owner also owns its target.
    pub tyrant_nofollow: bool,
    /// `emperor-tyrant-initgroups`: give tyrant vassals their owner's supplementary groups.
    pub tyrant_initgroups: bool,
    /// The emperor stats socket (`emperor-stats`, or `stats` in the emperor role).
    pub stats: Option<String>,
    pub stats_http: bool,
    pub stats_minified: bool,
    /// `chmod-socket` for a UNIX stats socket.
    pub chmod_socket: Option<u32>,
    pub pidfile: Option<PathBuf>,
    /// The emperor's own `uid`/`gid` (it drops to them after binding its stats socket).
    pub uid: Option<String>,
    pub gid: Option<String>,
    /// `cap`: capabilities the emperor keeps after dropping to `uid` (tyrant mode adds the
    /// ones it needs: `setuid`, `setgid`, `kill`, `dac_read_search`, `chown`).
    pub caps: Vec<u32>,
    /// `emperor-freq`: the safety-net rescan period.
    pub freq: Duration,
    /// `emperor-throttle` / `emperor-max-throttle`: the backoff range.
    pub throttle: Duration,
    pub max_throttle: Duration,
    /// `emperor-min-uptime`: how long a vassal must accept to count as healthy.
    pub min_uptime: Duration,
    /// `emperor-required-heartbeat`: kill a vassal that sent heartbeats and stopped.
    pub required_heartbeat: Option<Duration>,
    /// How long a stopping vassal gets before SIGKILL of its group (`reload-mercy`, else
    /// `emperor-curse-tolerance`).
    pub mercy: Duration,
    pub no_blacklist: bool,
    pub extra_extensions: Vec<String>,
    /// On-demand vassals: the emperor binds their socket and starts them on the first
    /// connection, the socket as their fd 0.
    pub on_demand: scan::OnDemand,
    /// The binary vassals are started from (this one).
    pub binary: PathBuf,
    /// How many spawns/reloads may be in flight at once.
    pub max_concurrent: usize,
    /// Extra variables for every vassal (none by default).
    pub vassal_env: Vec<(String, String)>,
    /// Options every vassal loads before its file (`vassal-set`, `vassals-include-before`,
    /// `vassals-inherit-before`: defaults the file overrides), as command-line words.
    pub vassal_defaults: Vec<String>,
    /// Options every vassal loads after its file (`vassals-include`, `vassals-inherit`:
    /// forced overrides). They cannot lift a tyrant vassal's identity: the vassal refuses a
    /// `uid`/`gid` other than its own, whoever set it.
    pub vassal_overrides: Vec<String>,
    pub cwd: PathBuf,
}

/// Writes one line to the emperor's log (stderr, which the journal collects).
pub fn log(line: &str) {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Runs the Emperor until it is told to stop; returns the exit code.
pub fn run(settings: Settings) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            log(&format!("emperor: error: cannot start the event loop: {e}"));
            return 1;
        }
    };
    runtime.block_on(async move {
        match Emperor::start(settings) {
            Ok(emperor) => emperor.run().await,
            Err(e) => {
                log(&format!("emperor: error: {e}"));
                1
            }
        }
    })
}

enum StatsListener {
    Unix(tokio::net::UnixListener, Option<PathBuf>),
    Tcp(tokio::net::TcpListener),
}

struct Emperor {
    settings: Arc<Settings>,
    monitors: Vec<Monitor>,
    vassals: BTreeMap<PathBuf, (Seen, Handle)>,
    shared: vassal::Shared,
    notes: mpsc::UnboundedReceiver<Note>,
    pids: spawner::Pids,
    watcher: Option<notify::RecommendedWatcher>,
    /// The (device, inode) each directory was watched with, to re-arm a replaced one.
    watched: HashMap<PathBuf, Option<(u64, u64)>>,
    fs_events: mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
    fs_sender: mpsc::UnboundedSender<notify::Result<notify::Event>>,
    /// Files open for writing: path → since when.
    writing: HashMap<PathBuf, Instant>,
    stats: Option<StatsListener>,
    notifier: Option<emperor_sys::notify::Notifier>,
    /// Vassals of the first scan not started yet (READY=1 waits for them).
    first_scan: Option<BTreeSet<PathBuf>>,
    last_status: String,
    /// Adopted strays: pid → when first seen, and whether SIGTERM was sent.
    strays: HashMap<i32, (Instant, bool)>,
    stopping: Option<bool>,
}

impl Emperor {
    fn start(settings: Settings) -> Result<Emperor, String> {
        emperor_sys::process::set_child_subreaper()
            .map_err(|e| format!("cannot become a child subreaper: {e}"))?;
        let monitors: Vec<Monitor> = settings
            .monitors
            .iter()
            .map(|m| Monitor::parse(m, &settings.cwd))
            .collect();
        // One Emperor per pidfile and stats socket: a live owner of either is never taken
        // over (the stats socket is bound first: a live one is refused, a stale one
        // replaced), and the pidfile is written only once both are ours.
        if let Some(path) = &settings.pidfile
            && let Some(pid) = live_pidfile(path)
        {
            return Err(format!(
                "another emperor (pid {pid}) runs with the pidfile `{}`\n  hint: stop it first (`emperor --stop {}`), or give this one its own `pidfile`",
                path.display(),
                path.display()
            ));
        }
        let stats = match &settings.stats {
            Some(addr) => Some(bind_stats(addr, settings.chmod_socket)?),
            None => None,
        };
        if let Some(path) = &settings.pidfile {
            std::fs::write(path, format!("{}\n", std::process::id()))
                .map_err(|e| format!("cannot write the pidfile `{}`: {e}", path.display()))?;
        }
        if settings.uid.is_some() || settings.gid.is_some() {
            let ids =
                emperor_sys::privileges::resolve(settings.uid.as_deref(), settings.gid.as_deref())
                    .map_err(|e| e.to_string())?;
            let mut caps = settings.caps.clone();
            if settings.tyrant {
                // DESIGN, "Privileges": what an unprivileged tyrant emperor needs.
                caps.extend(
                    ["setuid", "setgid", "kill", "dac_read_search", "chown"]
                        .iter()
                        .filter_map(|c| emperor_sys::privileges::capability(c)),
                );
            }
            caps.sort_unstable();
            caps.dedup();
            let dropped = if caps.is_empty() {
                emperor_sys::privileges::drop_to(&ids, true)
            } else {
                emperor_sys::privileges::drop_keeping(&ids, true, &caps)
            };
            dropped.map_err(|e| {
                format!(
                    "cannot drop privileges to uid {:?} gid {:?}: {e}",
                    ids.uid, ids.gid
                )
            })?;
            if !caps.is_empty() {
                log(&format!(
                    "[emperor] keeping capabilities {caps:?} (`cap`, tyrant mode)"
                ));
            }
            log(&format!(
                "[emperor] dropped privileges to uid {} gid {}",
                ids.uid.map_or_else(|| "-".into(), |u| u.to_string()),
                ids.gid.map_or_else(|| "-".into(), |g| g.to_string())
            ));
        }
        let pids: spawner::Pids = Arc::new(Mutex::new(HashMap::new()));
        let spawner = spawner::Spawner::start(pids.clone())
            .map_err(|e| format!("cannot start the spawner thread: {e}"))?;
        let (notes_tx, notes) = mpsc::unbounded_channel();
        let (fs_sender, fs_events) = mpsc::unbounded_channel();
        let notifier =
            emperor_sys::notify::Notifier::from_env().map_err(|e| format!("NOTIFY_SOCKET: {e}"))?;
        let settings = Arc::new(settings);
        let shared = vassal::Shared {
            settings: settings.clone(),
            permits: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
            spawner,
            notes: notes_tx,
        };
        log(&format!(
            "*** starting emperor {} (pid: {}) on {} ***",
            env!("CARGO_PKG_VERSION"),
            std::process::id(),
            monitors
                .iter()
                .map(Monitor::label)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(Emperor {
            settings,
            monitors,
            vassals: BTreeMap::new(),
            shared,
            notes,
            pids,
            watcher: None,
            watched: HashMap::new(),
            fs_events,
            fs_sender,
            writing: HashMap::new(),
            stats,
            notifier,
            first_scan: None,
            last_status: String::new(),
            strays: HashMap::new(),
            stopping: None,
        })
    }

    async fn run(mut self) -> i32 {
        let mut signals = match Signals::new() {
            Ok(s) => s,
            Err(e) => {
                log(&format!("emperor: error: cannot set up signals: {e}"));
                return 1;
            }
        };
        self.arm_watches();
        self.rescan();
        let mut periodic =
            tokio::time::interval(self.settings.freq.max(Duration::from_millis(100)));
        periodic.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut housekeeping = tokio::time::interval(Duration::from_secs(1));
        let watchdog = emperor_sys::notify::watchdog_interval();
        let mut watchdog_tick =
            tokio::time::interval(watchdog.map_or(Duration::from_hours(1), |w| w / 2));
        let mut scan_at: Option<Instant> = None;
        loop {
            if self.stopping.is_some() && self.vassals.is_empty() {
                break;
            }
            let scan_deadline = scan_at;
            tokio::select! {
                event = self.fs_events.recv() => {
                    if let Some(event) = event && self.on_fs_event(event) && scan_at.is_none() {
                        scan_at = Some(Instant::now() + DEBOUNCE);
                    }
                }
                () = async {
                    match scan_deadline {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                } => {
                    scan_at = None;
                    self.rescan();
                }
                _ = periodic.tick() => {
                    self.arm_watches();
                    self.rescan();
                }
                _ = housekeeping.tick() => {
                    self.reap();
                    self.check_strays();
                }
                _ = watchdog_tick.tick(), if watchdog.is_some() => self.notify("WATCHDOG=1"),
                note = self.notes.recv() => {
                    if let Some(note) = note {
                        self.on_note(note);
                    }
                }
                signal = signals.next() => self.on_signal(signal),
                conn = accept_stats(self.stats.as_ref()) => {
                    if let Some(conn) = conn {
                        self.serve_stats(conn);
                    }
                }
            }
        }
        self.reap();
        Emperor::kill_strays_now();
        self.notify("STATUS=The Emperor is buried.");
        log("[emperor] the Emperor is buried.");
        if let Some(StatsListener::Unix(_, Some(path))) = &self.stats {
            let _ = std::fs::remove_file(path);
        }
        0
    }

    fn notify(&self, state: &str) {
        if let Some(n) = &self.notifier {
            let _ = n.send(state);
        }
    }

    /// Watches every monitor's directory; re-arms one whose inode changed (removed and
    /// recreated) or that appeared since.
    fn arm_watches(&mut self) {
        use notify::Watcher as _;
        if self.watcher.is_none() {
            let sender = self.fs_sender.clone();
            match notify::recommended_watcher(move |event| {
                let _ = sender.send(event);
            }) {
                Ok(w) => self.watcher = Some(w),
                Err(e) => {
                    log(&format!(
                        "[emperor] cannot watch directories ({e}): rescanning every {} s instead",
                        self.settings.freq.as_secs()
                    ));
                    return;
                }
            }
        }
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        for monitor in &self.monitors {
            let dir = monitor.watch_dir();
            let identity = std::fs::metadata(&dir).ok().map(|m| {
                use std::os::unix::fs::MetadataExt as _;
                (m.dev(), m.ino())
            });
            let previous = self.watched.get(&dir).copied();
            if previous == Some(identity) && identity.is_some() {
                continue;
            }
            if previous.flatten().is_some() {
                let _ = watcher.unwatch(&dir);
            }
            if identity.is_some() {
                match watcher.watch(&dir, notify::RecursiveMode::NonRecursive) {
                    Ok(()) => {
                        if previous.is_some() {
                            log(&format!("[emperor] watching {} again", dir.display()));
                        }
                    }
                    Err(e) => log(&format!("[emperor] cannot watch {}: {e}", dir.display())),
                }
            } else if previous != Some(None) {
                log(&format!(
                    "[emperor] vassal directory {} does not exist (yet): checking every {} s",
                    dir.display(),
                    self.settings.freq.as_secs()
                ));
            }
            self.watched.insert(dir, identity);
        }
    }

    /// Notes what an event says about writes in progress; returns whether to rescan.
    fn on_fs_event(&mut self, event: notify::Result<notify::Event>) -> bool {
        use notify::EventKind;
        use notify::event::{AccessKind, AccessMode, ModifyKind};
        let Ok(event) = event else {
            return true;
        };
        if event.need_rescan() {
            return true;
        }
        match event.kind {
            // Our own reads (and anybody's) open files: not a change.
            EventKind::Access(
                AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(AccessMode::Read),
            ) => false,
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                for path in &event.paths {
                    self.writing.remove(path);
                }
                true
            }
            EventKind::Modify(ModifyKind::Data(_)) | EventKind::Create(_) => {
                let now = Instant::now();
                for path in &event.paths {
                    self.writing.entry(path.clone()).or_insert(now);
                }
                true
            }
            _ => true,
        }
    }

    fn rescan(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        let found = scan::scan(
            &self.monitors,
            &self.settings.extra_extensions,
            &self.settings.on_demand,
        );
        let now = Instant::now();
        self.writing
            .retain(|path, since| now.duration_since(*since) < WRITE_GRACE && path.exists());
        let writing: BTreeSet<PathBuf> = self.writing.keys().cloned().collect();
        let known: BTreeMap<PathBuf, Seen> = self
            .vassals
            .iter()
            .map(|(p, (seen, _))| (p.clone(), seen.clone()))
            .collect();
        let first = self.first_scan.is_none();
        for action in reconcile::plan(&found.files, &known, &writing) {
            match action {
                reconcile::Action::Add(path) => {
                    let seen = found.files[&path].clone();
                    log(&format!(
                        "[emperor] new vassal file {}",
                        scan::shown(&path.to_string_lossy())
                    ));
                    if let Some(refusal) = &seen.refusal {
                        log(&format!(
                            "[emperor] vassal {} refused: {}",
                            scan::shown(&path.to_string_lossy()),
                            scan::shown(refusal)
                        ));
                    }
                    let handle = vassal::start(path.clone(), seen.clone(), self.shared.clone());
                    self.vassals.insert(path, (seen, handle));
                }
                reconcile::Action::Change(path) => {
                    let seen = found.files[&path].clone();
                    if let Some((old, handle)) = self.vassals.get_mut(&path) {
                        *old = seen.clone();
                        handle.send(Control::Changed(seen));
                    }
                }
                reconcile::Action::Remove(path) => {
                    if let Some((_, handle)) = self.vassals.get(&path) {
                        handle.send(Control::Removed);
                    }
                }
            }
        }
        // A removed file's actor is kept until its process is reaped (Note::Finished); mark
        // it so the next scan does not remove it twice, but lets it come back if recreated.
        if first {
            self.first_scan = Some(self.vassals.keys().cloned().collect());
            self.check_ready();
        }
    }

    fn on_note(&mut self, note: Note) {
        match note {
            Note::Finished(path) => {
                self.vassals.remove(&path);
                // A file deleted and recreated while its old vassal was stopping comes back.
                if self.stopping.is_none() && path.exists() {
                    self.rescan();
                }
            }
            Note::Phase => {}
        }
        self.check_ready();
    }

    /// READY=1 once the first scan's vassals have all left `pending`; STATUS on changes.
    fn check_ready(&mut self) {
        let statuses: Vec<vassal::Status> =
            self.vassals.values().map(|(_, h)| h.status()).collect();
        if let Some(first) = &self.first_scan
            && !first.is_empty()
        {
            let started = statuses
                .iter()
                .filter(|s| first.contains(&s.path) && s.phase != Phase::Pending)
                .count();
            let gone = first
                .iter()
                .filter(|p| !self.vassals.contains_key(*p))
                .count();
            if started + gone >= first.len() {
                self.first_scan = Some(BTreeSet::new());
                self.notify_ready(&statuses);
            }
        } else if let Some(first) = &self.first_scan
            && first.is_empty()
            && self.last_status.is_empty()
        {
            self.notify_ready(&statuses);
        }
        let ready = statuses
            .iter()
            .filter(|s| s.phase == Phase::Running)
            .count();
        let status = format!("governing {} vassals ({ready} ready)", statuses.len());
        if status != self.last_status && !self.last_status.is_empty() {
            self.notify(&format!("STATUS={status}"));
            self.last_status = status;
        }
    }

    fn notify_ready(&mut self, statuses: &[vassal::Status]) {
        let ready = statuses
            .iter()
            .filter(|s| s.phase == Phase::Running)
            .count();
        let status = format!("governing {} vassals ({ready} ready)", statuses.len());
        self.notify(&format!("READY=1\nSTATUS={status}"));
        self.last_status = status;
    }

    fn on_signal(&mut self, signal: Sig) {
        match signal {
            Sig::Hup => {
                if self.stopping.is_some() {
                    return;
                }
                log("[emperor] SIGHUP: reloading every vassal");
                self.notify("RELOADING=1");
                for (_, handle) in self.vassals.values() {
                    handle.send(Control::Reload);
                }
                self.notify("READY=1");
            }
            Sig::Stop { brutal } => {
                let escalate = self.stopping.is_some();
                let brutal = brutal || escalate;
                if escalate {
                    log("[emperor] stop requested again: stopping every vassal brutally");
                } else {
                    log(&format!(
                        "[emperor] stopping every vassal ({})",
                        if brutal { "brutally" } else { "gracefully" }
                    ));
                    self.notify("STOPPING=1");
                }
                self.stopping = Some(brutal);
                for (_, handle) in self.vassals.values() {
                    handle.send(Control::Stop { brutal });
                }
            }
            Sig::Usr1 => {
                for (_, handle) in self.vassals.values() {
                    let s = handle.status();
                    log(&format!(
                        "[emperor] vassal {} pid {} state {} respawns {} loyal {} backoff {:.1} s{}",
                        scan::shown(&s.path.to_string_lossy()),
                        s.pid.unwrap_or(-1),
                        s.phase.as_str(),
                        s.respawns,
                        u8::from(s.loyal),
                        s.backoff.as_secs_f64(),
                        s.last_error
                            .map(|e| format!(" last error: {}", scan::shown(&e)))
                            .unwrap_or_default()
                    ));
                }
            }
            Sig::Winch => self.rescan(),
            Sig::Urg => {
                log("[emperor] SIGURG: clearing every backoff");
                for (_, handle) in self.vassals.values() {
                    handle.send(Control::ClearBackoff);
                }
            }
            Sig::Chld => self.reap(),
        }
    }

    fn reap(&mut self) {
        for (pid, exit) in spawner::reap(&self.pids) {
            self.strays.remove(&pid);
            log(&format!("[emperor] reaped adopted process {pid} ({exit})"));
        }
    }

    /// Adopted strays: children that are not vassal masters. SIGTERM after a grace period,
    /// SIGKILL after the mercy.
    fn check_strays(&mut self) {
        let owned: BTreeSet<i32> = self
            .pids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .copied()
            .collect();
        let children: BTreeSet<i32> = emperor_sys::spawn::children()
            .into_iter()
            .filter(|pid| !owned.contains(pid))
            .collect();
        self.strays.retain(|pid, _| children.contains(pid));
        let now = Instant::now();
        for pid in children {
            let (since, termed) = self.strays.entry(pid).or_insert((now, false));
            let age = now.duration_since(*since);
            if !*termed && age >= STRAY_GRACE {
                log(&format!(
                    "[emperor] adopted stray process {pid}: terminating it"
                ));
                let _ = emperor_sys::process::kill(pid, SIGTERM);
                *termed = true;
            } else if *termed
                && age >= STRAY_GRACE + self.settings.mercy.min(Duration::from_secs(5))
            {
                log(&format!(
                    "[emperor] adopted stray process {pid} ignores SIGTERM: killing it"
                ));
                let _ = emperor_sys::process::kill(pid, SIGKILL);
            }
        }
    }

    fn kill_strays_now() {
        let children = emperor_sys::spawn::children();
        for pid in &children {
            let _ = emperor_sys::process::kill(*pid, SIGKILL);
        }
        if !children.is_empty() {
            // Reap them so nothing is left as a zombie of ours either.
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline && !emperor_sys::spawn::children().is_empty() {
                std::thread::sleep(Duration::from_millis(10));
                let _ = emperor_sys::process::reap();
            }
        }
    }

    fn serve_stats(&self, conn: StatsConn) {
        let statuses: Vec<vassal::Status> =
            self.vassals.values().map(|(_, h)| h.status()).collect();
        let (uid, gid) = emperor_sys::privileges::current_ids();
        let monitors = self.monitors.iter().map(Monitor::label).collect();
        let cwd = self.settings.cwd.to_string_lossy().into_owned();
        let tyrant = self.settings.tyrant;
        let http = self.settings.stats_http;
        let minified = self.settings.stats_minified;
        let snapshot = async move {
            let mut vassals = Vec::with_capacity(statuses.len());
            let mut queries = tokio::task::JoinSet::new();
            for (i, s) in statuses.iter().enumerate() {
                if let Some(addr) = s.stats.clone()
                    && s.pid.is_some()
                {
                    queries.spawn(async move { (i, stats::query_vassal(&addr).await) });
                }
            }
            let mut workers: HashMap<usize, stats::Workers> = HashMap::new();
            while let Some(Ok((i, w))) = queries.join_next().await {
                if let Some(w) = w {
                    workers.insert(i, w);
                }
            }
            for (i, s) in statuses.into_iter().enumerate() {
                vassals.push((s, workers.remove(&i)));
            }
            stats::Snapshot {
                pid: std::process::id(),
                uid,
                gid,
                cwd,
                monitors,
                tyrant,
                vassals,
            }
        };
        tokio::spawn(async move {
            match conn {
                StatsConn::Unix(s) => stats::serve(s, http, minified, snapshot).await,
                StatsConn::Tcp(s) => stats::serve(s, http, minified, snapshot).await,
            }
        });
    }
}

enum StatsConn {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

async fn accept_stats(listener: Option<&StatsListener>) -> Option<StatsConn> {
    match listener {
        Some(StatsListener::Unix(l, _)) => l.accept().await.ok().map(|(s, _)| StatsConn::Unix(s)),
        Some(StatsListener::Tcp(l)) => l.accept().await.ok().map(|(s, _)| StatsConn::Tcp(s)),
        None => std::future::pending().await,
    }
}

/// A listening socket bound from a uWSGI address: `HOST:PORT` (empty host: every
/// interface), `@abstract`, or a UNIX path (a stale socket there is replaced, anything else
/// refused).
pub(crate) enum Bound {
    Tcp(std::os::fd::OwnedFd),
    /// The UNIX socket's path, when it has one (to remove on exit).
    Unix(std::os::fd::OwnedFd, Option<PathBuf>),
}

/// Binds `addr` (see [`Bound`]) with `backlog`; `unix_mode` is applied to a UNIX path.
pub(crate) fn bind_address(
    addr: &str,
    backlog: u32,
    unix_mode: Option<u32>,
) -> std::io::Result<Bound> {
    if let Some(name) = addr.strip_prefix('@') {
        return Ok(Bound::Unix(
            emperor_sys::net::bind_abstract(name, backlog)?,
            None,
        ));
    }
    if !addr.starts_with('/') && addr.contains(':') {
        let (host, port) = addr.rsplit_once(':').unwrap_or(("", addr));
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        let port: u16 = port
            .parse()
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid port"))?;
        let sock = emperor_sys::net::resolve(host.trim_matches(['[', ']']), port)?;
        return Ok(Bound::Tcp(emperor_sys::net::bind_tcp(sock, backlog)?));
    }
    let path = PathBuf::from(addr);
    let fd = emperor_sys::net::bind_unix(&path, backlog, unix_mode)?;
    Ok(Bound::Unix(fd, Some(path)))
}

/// The pid in `path` when it names a live process that looks like an emperor (ours or
/// uWSGI's: a pid reused by an unrelated program since is stale).
fn live_pidfile(path: &std::path::Path) -> Option<i32> {
    let text = std::fs::read_to_string(path).ok()?;
    let pid: i32 = text.trim().parse().ok()?;
    // `/proc`, not `kill(pid, 0)`: another user's live emperor answers EPERM to that.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let zombie = stat
        .rsplit_once(") ")
        .is_none_or(|(_, rest)| rest.starts_with('Z'));
    if pid <= 0 || pid == emperor_sys::process::pid() || zombie {
        return None;
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    (cmdline.contains("emperor") || cmdline.contains("uwsgi")).then_some(pid)
}

fn bind_stats(addr: &str, chmod: Option<u32>) -> Result<StatsListener, String> {
    let fail = |e: std::io::Error| {
        let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
            "\n  hint: another emperor serves its stats there: stop it first, or give this one its own `emperor-stats`"
        } else {
            ""
        };
        format!("cannot bind the emperor stats socket `{addr}`: {e}{hint}")
    };
    let listener = match bind_address(addr, 128, chmod).map_err(fail)? {
        Bound::Tcp(fd) => {
            let std = std::net::TcpListener::from(fd);
            std.set_nonblocking(true).map_err(fail)?;
            StatsListener::Tcp(tokio::net::TcpListener::from_std(std).map_err(fail)?)
        }
        Bound::Unix(fd, path) => {
            let std = std::os::unix::net::UnixListener::from(fd);
            std.set_nonblocking(true).map_err(fail)?;
            StatsListener::Unix(tokio::net::UnixListener::from_std(std).map_err(fail)?, path)
        }
    };
    log(&format!("[emperor] stats server on {addr}"));
    Ok(listener)
}

#[derive(Debug, Clone, Copy)]
enum Sig {
    Hup,
    Stop { brutal: bool },
    Usr1,
    Winch,
    Urg,
    Chld,
}

struct Signals {
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
    usr1: tokio::signal::unix::Signal,
    winch: tokio::signal::unix::Signal,
    urg: tokio::signal::unix::Signal,
    chld: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            usr1: signal(SignalKind::user_defined1())?,
            winch: signal(SignalKind::window_change())?,
            urg: signal(SignalKind::from_raw(libc_sigurg()))?,
            chld: signal(SignalKind::child())?,
        })
    }

    async fn next(&mut self) -> Sig {
        tokio::select! {
            _ = self.hup.recv() => Sig::Hup,
            _ = self.term.recv() => Sig::Stop { brutal: false },
            _ = self.int.recv() => Sig::Stop { brutal: true },
            _ = self.quit.recv() => Sig::Stop { brutal: true },
            _ = self.usr1.recv() => Sig::Usr1,
            _ = self.winch.recv() => Sig::Winch,
            _ = self.urg.recv() => Sig::Urg,
            _ = self.chld.recv() => Sig::Chld,
        }
    }
}

fn libc_sigurg() -> i32 {
    emperor_sys::signals::numbers::SIGURG
}
