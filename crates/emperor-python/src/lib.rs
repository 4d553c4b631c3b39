//! `emperor-python` embeds `CPython` and runs WSGI apps; it is the only crate that uses pyo3.
//!
//! It owns four things:
//!
//! - **interpreter setup** ([`initialize`]): `PyConfig` with `executable` pointing into the
//!   virtualenv (never `PyConfig.home` for a venv: that fails inside getpath), no Python signal
//!   handlers (the master and the workers own their signals), `sys.argv`, the `pythonpath`
//!   entries, and the `uwsgi` and `uwsgidecorators` modules apps import;
//! - **app loading** ([`Interpreter::load_apps`]): `module`, `module:callable`,
//!   `module:factory()`, `wsgi-file` and `mount`, logged like uWSGI
//!   (`WSGI app 0 (mountpoint='') ready in 0 seconds on interpreter 0x… pid: 42 (default app)`);
//! - **the WSGI call path** ([`WsgiApp`], an [`emperor_proto::app::App`]): PEP 3333 environ,
//!   `start_response`, `write()`, `wsgi.input`, `wsgi.errors`, `wsgi.file_wrapper` with
//!   `sendfile`, response iterables always closed, exceptions turned into logged 500s;
//! - **the process hooks** the master and workers need around the interpreter:
//!   [`Interpreter::fork`], [`Interpreter::run_postfork`], [`Interpreter::set_worker_id`].
//!
//! # Theory of operation: the GIL and fork
//!
//! `CPython` allows one thread at a time to run Python code: the thread holding the GIL,
//! through its *thread state*. Creating a thread state costs ~10 µs (this is what a bare
//! `Python::attach` pays on a thread that has none); handing the GIL over with an existing
//! thread state costs ~0.2 µs. The rules below keep every request on the cheap path.
//!
//! **The master** (single-threaded, DESIGN "Threads rule") calls [`initialize`], which
//! initializes the interpreter on the calling thread — that thread's state becomes the main
//! thread state — and then releases the GIL (`PyEval_SaveThread`), so the master's poll loop
//! runs without it. Every [`Interpreter`] method the master calls (`load_apps`,
//! `python_threads`, `version`…) re-acquires the GIL with that same thread state and releases
//! it on return; threads a preloaded app started keep running in between.
//!
//! **Forking** goes through [`Interpreter::fork`], always from the thread that called
//! [`initialize`]. It takes the GIL, runs `PyOS_BeforeFork` (takes the import lock, runs
//! `os.register_at_fork(before=…)`), calls the caller's `fork`, then:
//!
//! - in the parent, `PyOS_AfterFork_Parent` and the GIL is released again;
//! - in the child, `PyOS_AfterFork_Child` (resets the GIL and the import lock, forgets the
//!   threads that did not survive the fork, runs `after_in_child` hooks such as `random`'s
//!   reseed) and the child **keeps the GIL**: the worker thread stays attached for life.
//!
//! Forking with the GIL released while another Python thread runs would copy a GIL owned by a
//! thread that does not exist in the child, which then hangs forever: this is why the fork
//! happens inside the hooks, GIL held.
//!
//! **A worker thread** (the forked thread, or any thread that called
//! [`Interpreter::attach_thread`]) holds the GIL between requests. `WsgiApp::call` therefore
//! costs no thread-state work at all: it re-enters the thread's existing state (a counter
//! increment). The GIL is released exactly where the thread may block:
//!
//! - around every write to the client (`Responder::start`, `write`, `sendfile`), since a slow
//!   client can stall a write for seconds;
//! - around every wait of the worker's event loop, which the worker wraps in
//!   [`emperor_proto::app::App::unlocked`] (or [`Interpreter::unlocked`]).
//!
//! So threads the app started (schedulers, metrics pushers) run whenever the worker is idle or
//! writing, and one thread never interleaves two requests' Python code: the request body is
//! read completely before the app is called.
//!
//! **Several Python threads in a worker** (`threads > 1`): each one calls
//! [`Interpreter::attach_thread`] once when it starts (a thread state for the thread's life,
//! GIL held) and wraps its waits in `unlocked`; the forked thread, if it only does I/O, runs
//! its loop inside [`Interpreter::unlocked`] so the others can take the GIL.
//!
//! # Call order
//!
//! ```text
//! master:  initialize(setup) → [load_apps (preload)] → python_threads() warning check
//!          → for each worker: fork(|| fork())
//! worker:  set_worker_id(n) → [load_apps (lazy-apps)] → run_postfork() → worker(apps, &settings)
//!          → loop { unlocked(wait); call(request, responder) } → run_atexit() → exit
//! ```
//!
//! The interpreter is never finalized (`Py_Finalize` can hang on threads an app started);
//! processes exit after [`Interpreter::run_atexit`].

// Embedding CPython is FFI by nature: PyConfig, the fork hooks, the GIL hand-offs and the
// responder pointer shared with Python callables all need `unsafe`. Each block says why it is
// sound in a `// SAFETY:` comment.
#![allow(unsafe_code)]

mod error;
mod gil;
mod init;
mod input;
mod loader;
mod response;
mod streams;
mod uwsgi_module;
mod wsgi;

pub use error::Error;
pub use gil::ThreadAttachment;
pub use init::{Interpreter, Setup, initialize};
pub use loader::Apps;
pub use wsgi::{WsgiApp, WsgiSettings};

/// The version apps see as `uwsgi.version` (bytes, as in uWSGI under Python 3) and in the
/// environ's `uwsgi.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where this crate's own log lines go ([`set_log_sink`]); standard error by default.
static LOG_SINK: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Sends this crate's log lines ("Python version…", "WSGI app 0 … ready", errors about apps)
/// through the vassal's logger, so `log-date`, `log-encoder` and syslog apply to them too.
/// Python's own output (tracebacks, `print`) is written by Python to standard error as is.
pub fn set_log_sink(sink: fn(&str)) {
    let _ = LOG_SINK.set(sink);
}

/// Writes one log line through the sink.
pub(crate) fn log_line(line: &str) {
    match LOG_SINK.get() {
        Some(sink) => sink(line),
        None => eprintln!("{line}"),
    }
}

/// `eprintln!`, through the log sink.
macro_rules! say {
    ($($arg:tt)*) => { $crate::log_line(&format!($($arg)*)) };
}
pub(crate) use say;
