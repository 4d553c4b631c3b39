//! The `uwsgi` and `uwsgidecorators` modules apps import.
//!
//! Types follow uWSGI under Python 3, so code written for it keeps working: `uwsgi.opt` has
//! `str` keys and `bytes` values (a list of them for a repeated option), `uwsgi.version` and
//! `uwsgi.hostname` are `bytes`. `uwsgi.post_fork_hook`, when set, runs in each worker after
//! the fork; `uwsgidecorators.postfork` chains onto it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyModule};

use crate::init::Setup;

static WORKER_ID: AtomicU32 = AtomicU32::new(0);
static MASTER_PID: AtomicU32 = AtomicU32::new(0);

/// `uwsgidecorators`, as emperor provides it: the decorators whose uWSGI features exist here.
const DECORATORS: &std::ffi::CStr = cr#""""uWSGI's decorators, as emperor provides them.

Only `postfork` and `thread` are here: the other uWSGI decorators (spooler, mules, signals,
timers, cron, locks) belong to features emperor does not implement.
"""
import sys

import uwsgi

postfork_chain = []


def postfork_chain_hook():
    """Call every @postfork function; one failing does not stop the others."""
    for f in list(postfork_chain):
        try:
            f()
        except Exception:
            import traceback
            name = getattr(f, "__qualname__", repr(f))
            sys.stderr.write("postfork function %s raised an exception:\n" % name)
            traceback.print_exc()


uwsgi.post_fork_hook = postfork_chain_hook


def postfork(f):
    """@postfork: call f() in every worker right after the fork (reconnect databases...).
    @postfork(N): only in worker N. Returns the function unchanged."""
    if callable(f):
        postfork_chain.append(f)
        return f
    wid = f

    def register(g):
        def in_worker():
            if uwsgi.worker_id() == wid:
                return g()

        in_worker.__qualname__ = getattr(g, "__qualname__", "postfork")
        postfork_chain.append(in_worker)
        return g

    return register


def thread(f):
    """@thread: each call runs f in a new daemon thread (returned)."""
    import functools

    @functools.wraps(f)
    def run(*args, **kwargs):
        import threading

        t = threading.Thread(target=f, args=args, kwargs=kwargs, daemon=True)
        t.start()
        return t

    return run
"#;

pub(crate) fn set_worker_id(id: u32) {
    WORKER_ID.store(id, Ordering::Relaxed);
}

/// `uwsgi.worker_id()`: 1… in a worker, 0 in the master.
#[pyfunction]
fn worker_id() -> u32 {
    WORKER_ID.load(Ordering::Relaxed)
}

/// `uwsgi.masterpid()`.
#[pyfunction]
fn masterpid() -> u32 {
    MASTER_PID.load(Ordering::Relaxed)
}

/// `uwsgi.mule_id()`: emperor has no mules.
#[pyfunction]
fn mule_id() -> u32 {
    0
}

/// `uwsgi.reload()`: asks the master for a graceful reload (SIGHUP).
#[pyfunction]
fn reload() -> bool {
    let Ok(pid) = libc::pid_t::try_from(MASTER_PID.load(Ordering::Relaxed)) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with a positive pid and a valid signal number has no memory effects.
    unsafe { libc::kill(pid, libc::SIGHUP) == 0 }
}

/// `uwsgi.log(message)`: one line to the vassal log.
#[pyfunction]
fn log(py: Python<'_>, message: &str) -> bool {
    let line = format!("{message}\n");
    py.detach(|| {
        use std::io::Write;
        std::io::stderr().lock().write_all(line.as_bytes()).is_ok()
    })
}

/// Creates `uwsgi` and `uwsgidecorators` in `sys.modules`.
pub(crate) fn register(py: Python<'_>, setup: &Setup) -> PyResult<()> {
    MASTER_PID.store(setup.master_pid, Ordering::Relaxed);
    let m = PyModule::new(py, "uwsgi")?;
    m.add_function(wrap_pyfunction!(worker_id, &m)?)?;
    m.add_function(wrap_pyfunction!(masterpid, &m)?)?;
    m.add_function(wrap_pyfunction!(mule_id, &m)?)?;
    m.add_function(wrap_pyfunction!(reload, &m)?)?;
    m.add_function(wrap_pyfunction!(log, &m)?)?;
    m.add("version", PyBytes::new(py, crate::VERSION.as_bytes()))?;
    m.add("version_info", version_info(py))?;
    let hostname = emperor_sys::host::HostFacts::current().hostname;
    m.add("hostname", PyBytes::new(py, hostname.as_bytes()))?;
    m.add("numproc", setup.processes)?;
    m.add("cores", setup.threads.max(1))?;
    m.add("loop", py.None())?;
    let started_on = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    m.add("started_on", started_on)?;
    m.add("opt", options(py, &setup.options)?)?;
    m.add("magic_table", PyDict::new(py))?;
    let sys_modules = py.import("sys")?.getattr("modules")?;
    sys_modules.set_item("uwsgi", &m)?;
    PyModule::from_code(py, DECORATORS, c"uwsgidecorators.py", c"uwsgidecorators")?;
    Ok(())
}

/// `uwsgi.version_info`: `(major, minor, patch, 0, b'')`.
fn version_info(py: Python<'_>) -> (u32, u32, u32, u32, Bound<'_, PyBytes>) {
    let mut parts = crate::VERSION
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next(), 0, PyBytes::new(py, b""))
}

/// `uwsgi.opt`: `str` keys, `bytes` values; a repeated key becomes a list in order.
fn options<'py>(py: Python<'py>, options: &[(String, String)]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in options {
        let value = PyBytes::new(py, value.as_bytes());
        match dict.get_item(key)? {
            None => dict.set_item(key, value)?,
            Some(existing) => {
                if let Ok(list) = existing.cast::<PyList>() {
                    list.append(value)?;
                } else {
                    dict.set_item(key, PyList::new(py, [existing, value.into_any()])?)?;
                }
            }
        }
    }
    Ok(dict)
}

/// Calls `uwsgi.post_fork_hook` (the `@postfork` chain) if set, logging what it raises.
pub(crate) fn run_postfork(py: Python<'_>) {
    let hook = py
        .import("uwsgi")
        .and_then(|m| m.getattr("post_fork_hook"))
        .ok()
        .filter(PyAnyMethods::is_callable);
    if let Some(hook) = hook
        && let Err(e) = hook.call0()
    {
        crate::say!("uwsgi.post_fork_hook raised an exception:");
        e.display(py);
    }
}
