//! `emperor-vassal` is the vassal: the master process and its workers (DESIGN, "Process
//! model").
//!
//! ```text
//! master (single-threaded poll loop: signalfd, timers)
//!   ├─ worker 1 … N (mio loop over the inherited listeners; the app called inline)
//! ```
//!
//! The master binds the listeners, drops privileges, loads the app (preload), maps the
//! scoreboard, forks the workers and then only supervises: it reaps and respawns workers,
//! enforces harakiri, and turns signals into stops and reloads. It never starts a thread
//! (DESIGN, "Threads rule"): it forks again and again.
//!
//! The app runtime (Python) is reached through the [`Runtime`] trait, so master and worker
//! logic run with plain Rust apps in tests; the binary wires in `emperor-python`.

use std::io;

use emperor_proto::app::App;
use emperor_sys::process::Forked;

pub mod daemons;
pub mod lifeline;
pub mod link;
pub mod listeners;
pub mod log;
pub mod master;
pub mod reload_check;
pub mod reqlog;
pub mod scoreboard;
pub mod static_files;
pub mod stats;
pub mod stats_server;
pub mod worker;

/// The app runtime a vassal hosts.
pub trait Runtime {
    type App: App;

    /// In the master, after the privilege drop and `chdir`, before any fork: start the
    /// runtime (Python: initialize the interpreter). An error stops the vassal.
    fn start(&mut self) -> Result<(), String>;

    /// In the master, before any fork: load the apps now (preload). Not called with
    /// `lazy-apps`. An error is the app's import error, with its traceback.
    fn preload(&mut self) -> Result<(), String>;

    /// Forks around the runtime's fork hooks (Python: `PyOS_BeforeFork`/`AfterFork_*`).
    fn fork(&mut self, fork: &mut dyn FnMut() -> io::Result<Forked>) -> io::Result<Forked>;

    /// In a freshly forked worker: the worker's app (loading it now with `lazy-apps`), after
    /// running post-fork hooks. `Err` when the app cannot be loaded.
    fn worker_app(&mut self, worker_id: u32) -> Result<Self::App, String>;

    /// With `threads > 1`: a factory making an app for each extra thread of a worker (called
    /// in that thread, after `worker_app`). `None`: the runtime has no threads; the worker
    /// runs one.
    fn thread_apps(&mut self) -> Option<worker::ThreadApps> {
        None
    }

    /// How many threads the preloaded app started (the master warns: they do not survive
    /// `fork`).
    fn threads(&self) -> usize {
        1
    }

    /// The source files of what the master has loaded (`py-autoreload` watches them).
    fn module_files(&mut self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
}

/// Why a vassal could not start. A permanent error (no socket, a port below 1024 for a vassal
/// that is not root, `chown-socket` that cannot be applied) will fail the same way at every
/// attempt: under our emperor the vassal reports it as `bad-config` and exits 26, so it is not
/// respawned until its file changes. Anything else (an address in use, a missing directory)
/// may pass later, and is retried with backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError {
    pub message: String,
    pub permanent: bool,
}

impl StartError {
    pub fn permanent(message: impl Into<String>) -> StartError {
        StartError {
            message: message.into(),
            permanent: true,
        }
    }
}

impl From<String> for StartError {
    fn from(message: String) -> StartError {
        StartError {
            message,
            permanent: false,
        }
    }
}

/// Exit code of a vassal whose app could not be loaded with `need-app` (uWSGI's 22).
pub const EXIT_NO_APP: i32 = 22;
