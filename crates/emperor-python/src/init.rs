//! Initializing the interpreter, and the [`Interpreter`] handle the master and workers use.

use std::ffi::{CStr, CString, c_char};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use emperor_options::typed::AppSpec;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::error::Error;
use crate::gil::{self, ThreadAttachment};
use crate::loader::{self, Apps};
use crate::uwsgi_module;
use crate::wsgi::{WsgiApp, WsgiSettings};

/// The interpreter this crate was built against and embeds (`PYO3_PYTHON`, pinned in
/// `.cargo/config.toml`); `sys.executable` when no virtualenv is configured.
const BUILD_PYTHON: Option<&str> = option_env!("PYO3_PYTHON");

/// Everything [`initialize`] needs, taken from the vassal's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Setup {
    /// `home` / `virtualenv` / `venv`: a venv (has `pyvenv.cfg`) is used through
    /// `PyConfig.executable = <home>/bin/python`; any other directory becomes `PyConfig.home`.
    pub home: Option<PathBuf>,
    /// `pythonpath` entries, as configured: each is glob-expanded and inserted at
    /// `sys.path[0]` (so the last one ends up first), after `"."`, as uWSGI does.
    pub pythonpath: Vec<String>,
    /// `sys.argv[0]`.
    pub program: PathBuf,
    /// `pyargv`, already split: `sys.argv[1:]`.
    pub pyargv: Vec<String>,
    /// The vassal's options in order, for `uwsgi.opt`.
    pub options: Vec<(String, String)>,
    /// `uwsgi.numproc`.
    pub processes: u32,
    /// Threads per worker (`uwsgi.cores`).
    pub threads: u32,
    /// `uwsgi.masterpid()`, the target of `uwsgi.reload()`.
    pub master_pid: u32,
}

enum State {
    Uninitialized,
    Ready(Setup),
    /// Initialization failed half-way: `CPython` cannot be initialized again.
    Failed,
}

static STATE: Mutex<State> = Mutex::new(State::Uninitialized);

/// A handle on the initialized interpreter (see [`initialize`]); cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Interpreter {
    _initialized: (),
}

/// Initializes `CPython` on the calling thread, which then holds no GIL (see the crate docs).
///
/// Once per process: a second call with the same setup returns the same interpreter, with
/// another setup [`Error::AlreadyInitialized`].
pub fn initialize(setup: &Setup) -> Result<Interpreter, Error> {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    match &*state {
        State::Ready(first) if first == setup => return Ok(Interpreter { _initialized: () }),
        State::Ready(_) | State::Failed => return Err(Error::AlreadyInitialized),
        State::Uninitialized => {}
    }
    // SAFETY: Py_IsInitialized only reads a global flag; callable at any time.
    if unsafe { ffi::Py_IsInitialized() } != 0 {
        return Err(Error::InitializedElsewhere);
    }
    let inputs = ConfigInputs::new(setup)?;
    *state = State::Failed;
    init_from_config(&inputs)?;
    // The GIL is held by this thread (Py_InitializeFromConfig leaves it so).
    let finished = Python::attach(|py| finish_setup(py, setup));
    // SAFETY: this thread holds the GIL since Py_InitializeFromConfig and pyo3's attach scope
    // above has ended; PyEval_SaveThread releases the GIL and keeps this thread's state, which
    // later `PyGILState_Ensure` calls on this thread re-use.
    unsafe { ffi::PyEval_SaveThread() };
    finished?;
    *state = State::Ready(setup.clone());
    Ok(Interpreter { _initialized: () })
}

impl Interpreter {
    /// `sys.version`.
    pub fn version(&self) -> String {
        Python::version_str().to_owned()
    }

    /// Imports (or executes) every app now, in order; logs each like uWSGI
    /// (`WSGI app 0 (mountpoint='') ready in 0 seconds on interpreter 0x… pid: 42 (default app)`).
    ///
    /// `callable` is the `callable` option (`application` by default). The first failure is
    /// returned with its Python traceback; [`Apps::empty`] serves every request with a 500, as
    /// uWSGI's "full dynamic mode" does when no app loaded and `need-app` is off.
    pub fn load_apps(&self, apps: &[AppSpec], callable: &str) -> Result<Apps, Error> {
        Python::attach(|py| loader::load_apps(py, apps, callable))
    }

    /// Python threads alive in this process (`threading.active_count()`), so the master can
    /// warn when a preloaded app started threads, which a fork does not carry over.
    ///
    /// (`_thread._count()` would also see threads started without `threading`, but `CPython`
    /// does not reset it in a forked child.)
    pub fn python_threads(&self) -> usize {
        Python::attach(|py| {
            // Only when the app imported `threading`: importing it here would cost startup
            // time (~5 ms) to learn nothing.
            let loaded = py
                .import("sys")
                .and_then(|sys| sys.getattr("modules"))
                .and_then(|modules| modules.get_item("threading"))
                .ok();
            loaded
                .and_then(|t| t.call_method0("active_count").ok())
                .and_then(|n| n.extract::<usize>().ok())
                .unwrap_or(1)
        })
    }

    /// Forks inside `CPython`'s fork hooks, with the GIL held (see the crate docs).
    ///
    /// `fork` does the actual `fork(2)` and returns 0 in the child, the child's pid in the
    /// parent. In the parent the GIL is released again before returning; in the child the
    /// calling thread keeps the GIL and its thread state for life.
    pub fn fork(&self, fork: impl FnOnce() -> io::Result<i32>) -> io::Result<i32> {
        // SAFETY: the interpreter is initialized (an `Interpreter` exists). PyGILState_Ensure
        // re-uses this thread's state (or makes one) and takes the GIL.
        let gil = unsafe { ffi::PyGILState_Ensure() };
        // SAFETY: the GIL is held. PyOS_BeforeFork takes the import lock and runs the
        // `os.register_at_fork(before=…)` hooks; one of the AfterFork calls below follows.
        unsafe { ffi::PyOS_BeforeFork() };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(fork));
        if let Ok(Ok(0)) = result {
            // SAFETY: in the child, on the thread that forked, GIL held: this is where CPython
            // requires PyOS_AfterFork_Child. The GIL is deliberately kept (no release of
            // `gil`): the worker thread stays attached for its whole life.
            unsafe { ffi::PyOS_AfterFork_Child() };
        } else {
            // SAFETY: in the parent (or the fork failed), GIL held since the Ensure above;
            // AfterFork_Parent undoes BeforeFork, then the GIL goes back.
            unsafe {
                ffi::PyOS_AfterFork_Parent();
                ffi::PyGILState_Release(gil);
            }
        }
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Runs the post-fork hooks in a worker (after the fork, and after loading apps with
    /// `lazy-apps`): `uwsgi.post_fork_hook`, which `@uwsgidecorators.postfork` functions
    /// chain onto. Exceptions are logged with their traceback.
    pub fn run_postfork(&self) {
        Python::attach(uwsgi_module::run_postfork);
    }

    /// Runs the functions apps registered with `atexit`, as uWSGI does when a worker or the
    /// master ends (the interpreter itself is never finalized: `Py_Finalize` can hang on app
    /// threads). Exceptions are logged. Call it once, right before the process exits.
    pub fn run_atexit(&self) {
        Python::attach(|py| {
            let run = py
                .import("atexit")
                .and_then(|m| m.call_method0("_run_exitfuncs"));
            if let Err(e) = run {
                crate::say!("atexit functions raised an exception:");
                e.display(py);
            }
        });
    }

    /// The source files of the modules imported so far (`__file__` of every module in
    /// `sys.modules`), for `py-autoreload`.
    pub fn module_files(&self) -> Vec<std::path::PathBuf> {
        Python::attach(|py| {
            let mut out = Vec::new();
            let Ok(modules) = py.import("sys").and_then(|sys| sys.getattr("modules")) else {
                return out;
            };
            let Ok(values) = modules.call_method0("values") else {
                return out;
            };
            let Ok(iter) = values.try_iter() else {
                return out;
            };
            for module in iter.flatten() {
                if let Ok(file) = module.getattr("__file__")
                    && let Ok(file) = file.extract::<String>()
                {
                    out.push(std::path::PathBuf::from(file));
                }
            }
            out
        })
    }

    /// Sets `uwsgi.worker_id()` (1-based in workers; 0, the default, in the master).
    pub fn set_worker_id(&self, id: u32) {
        uwsgi_module::set_worker_id(id);
    }

    /// The [`emperor_proto::app::App`] a worker thread calls for each request.
    ///
    /// Make one per Python thread; `apps` is shared (cloning it is cheap).
    pub fn worker(&self, apps: Apps, settings: &WsgiSettings) -> WsgiApp {
        Python::attach(|py| WsgiApp::new(py, apps, settings))
    }

    /// Gives the calling thread a Python thread state for its life and takes the GIL: for the
    /// extra Python threads of a worker with `threads > 1` (see the crate docs).
    pub fn attach_thread(&self) -> ThreadAttachment {
        ThreadAttachment::new()
    }

    /// Runs `f` with the GIL released if the calling thread holds it (a worker waiting for
    /// I/O). Call it between requests, never from inside a request.
    pub fn unlocked<R>(&self, f: impl FnOnce() -> R) -> R {
        gil::without_gil(f)
    }
}

/// The C strings `PyConfig` is filled from.
struct ConfigInputs {
    executable: CString,
    /// `PyConfig.home`, only for a `home` that is not a virtualenv.
    home: Option<CString>,
    argv: Vec<CString>,
}

impl ConfigInputs {
    fn new(setup: &Setup) -> Result<ConfigInputs, Error> {
        let (executable, home) = match &setup.home {
            None => {
                let python = BUILD_PYTHON
                    .filter(|p| p.starts_with('/'))
                    .unwrap_or("/usr/bin/python3");
                (PathBuf::from(python), None)
            }
            Some(home) => {
                let home = std::path::absolute(home).unwrap_or_else(|_| home.clone());
                if !home.is_dir() {
                    return Err(Error::HomeNotADirectory { home });
                }
                let bin = home.join("bin");
                let executable = ["python", "python3"]
                    .iter()
                    .map(|n| bin.join(n))
                    .find(|p| p.exists())
                    .unwrap_or_else(|| bin.join("python"));
                let pyvenv = home.join("pyvenv.cfg");
                if pyvenv.is_file() {
                    check_venv_version(&home, &pyvenv)?;
                    (executable, None)
                } else {
                    (executable, Some(home))
                }
            }
        };
        if let Some(home) = &setup.home {
            crate::say!("Set PythonHome to {}", home.display());
        }
        let argv = std::iter::once(setup.program.as_os_str().as_bytes())
            .chain(setup.pyargv.iter().map(String::as_bytes))
            .map(|a| c_string(a, "python argument"))
            .collect::<Result<_, _>>()?;
        Ok(ConfigInputs {
            executable: c_string(executable.as_os_str().as_bytes(), "python executable")?,
            home: home
                .map(|h| c_string(h.as_os_str().as_bytes(), "python home"))
                .transpose()?,
            argv,
        })
    }
}

fn c_string(bytes: &[u8], what: &'static str) -> Result<CString, Error> {
    CString::new(bytes).map_err(|_| Error::Nul {
        what,
        value: String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// Refuses a venv made by another Python than the embedded one (its site-packages would hold
/// extension modules built for another ABI).
fn check_venv_version(home: &Path, pyvenv: &Path) -> Result<(), Error> {
    let Ok(text) = std::fs::read_to_string(pyvenv) else {
        return Ok(());
    };
    let version = text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        matches!(key.trim(), "version" | "version_info").then(|| value.trim().to_owned())
    });
    let Some(version) = version else {
        return Ok(());
    };
    let embedded = embedded_version();
    if major_minor(&version) != major_minor(&embedded) {
        return Err(Error::VenvVersion {
            home: home.to_owned(),
            venv: major_minor(&version).to_owned(),
            embedded: major_minor(&embedded).to_owned(),
        });
    }
    Ok(())
}

/// `3.11.2` of `3.11.2 (main, …)`.
fn embedded_version() -> String {
    // SAFETY: Py_GetVersion returns a pointer to a static NUL-terminated string; it may be
    // called before initialization.
    let full = unsafe { CStr::from_ptr(ffi::Py_GetVersion()) };
    full.to_string_lossy()
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// `3.11` of `3.11.2` or `3.11.2.final.0`.
fn major_minor(version: &str) -> &str {
    let mut dots = version.match_indices('.').map(|(i, _)| i);
    match (dots.next(), dots.next()) {
        (Some(_), Some(second)) => &version[..second],
        _ => version,
    }
}

fn init_from_config(inputs: &ConfigInputs) -> Result<(), Error> {
    let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::uninit();
    let cfg = config.as_mut_ptr();
    // SAFETY: PyConfig_InitPythonConfig initializes every field of the struct behind `cfg`.
    unsafe { ffi::PyConfig_InitPythonConfig(cfg) };
    // SAFETY: `cfg` is initialized; `configure_and_initialize` only writes its fields through
    // CPython's setters and plain ints.
    let result = unsafe { configure_and_initialize(cfg, inputs) };
    // SAFETY: `cfg` is initialized; PyConfig_Clear frees what the setters allocated (the
    // interpreter keeps its own copy).
    unsafe { ffi::PyConfig_Clear(cfg) };
    result
}

/// Fills `cfg` and runs `Py_InitializeFromConfig`.
///
/// # Safety
/// `cfg` must point to a `PyConfig` initialized by `PyConfig_InitPythonConfig`.
unsafe fn configure_and_initialize(
    cfg: *mut ffi::PyConfig,
    inputs: &ConfigInputs,
) -> Result<(), Error> {
    // SAFETY: per the function's contract `cfg` is valid; the setters copy the C strings,
    // which outlive the calls; `argv` holds pointers into `inputs.argv`, alive meanwhile.
    unsafe {
        // The master and workers own their signals (DESIGN "Signals and stops").
        (*cfg).install_signal_handlers = 0;
        // sys.argv is the app's, not options for the interpreter.
        (*cfg).parse_argv = 0;
        // Unbuffered sys.stdout/stderr: prints reach the log at once, in order with ours,
        // and nothing buffered in the master is written again by every forked worker.
        (*cfg).buffered_stdio = 0;
        status(
            ffi::PyConfig_SetBytesString(
                cfg,
                &raw mut (*cfg).executable,
                inputs.executable.as_ptr(),
            ),
            "setting PyConfig.executable",
        )?;
        status(
            ffi::PyConfig_SetBytesString(
                cfg,
                &raw mut (*cfg).program_name,
                inputs.executable.as_ptr(),
            ),
            "setting PyConfig.program_name",
        )?;
        if let Some(home) = &inputs.home {
            status(
                ffi::PyConfig_SetBytesString(cfg, &raw mut (*cfg).home, home.as_ptr()),
                "setting PyConfig.home",
            )?;
        }
        let mut argv: Vec<*const c_char> = inputs.argv.iter().map(|a| a.as_ptr()).collect();
        let argc = ffi::Py_ssize_t::try_from(argv.len()).unwrap_or(ffi::Py_ssize_t::MAX);
        status(
            ffi::PyConfig_SetBytesArgv(cfg, argc, argv.as_mut_ptr()),
            "setting sys.argv",
        )?;
        status(ffi::Py_InitializeFromConfig(cfg), "Py_InitializeFromConfig")
    }
}

fn status(status: ffi::PyStatus, doing: &str) -> Result<(), Error> {
    // SAFETY: PyStatus_* only inspect the struct passed by value.
    if unsafe { ffi::PyStatus_Exception(status) } == 0 {
        return Ok(());
    }
    // SAFETY: as above.
    if unsafe { ffi::PyStatus_IsExit(status) } != 0 {
        return Err(Error::Init {
            message: format!(
                "{doing}: python asked to exit with status {}",
                status.exitcode
            ),
        });
    }
    let text = |p: *const c_char| {
        // SAFETY: CPython's status messages and function names are static C strings.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let message = match (text(status.func), text(status.err_msg)) {
        (Some(func), Some(msg)) => format!("{doing}: {func}: {msg}"),
        (None, Some(msg)) => format!("{doing}: {msg}"),
        _ => format!("{doing}: unknown error"),
    };
    Err(Error::Init { message })
}

/// After `Py_InitializeFromConfig`: `sys.path` and the `uwsgi` modules.
fn finish_setup(py: Python<'_>, setup: &Setup) -> Result<(), Error> {
    crate::say!("Python version: {}", Python::version_str());
    // SAFETY: PyInterpreterState_Get needs the GIL, which this attach scope holds.
    crate::say!("Python main interpreter initialized at {:p}", unsafe {
        ffi::PyInterpreterState_Get()
    });
    let result = (|| -> PyResult<()> {
        let path = py.import("sys")?.getattr("path")?.cast_into::<PyList>()?;
        path.insert(0, ".")?;
        for entry in &setup.pythonpath {
            // `glob` (with `re`, `enum`… ~10 ms of imports) only for a pattern.
            let mut matches: Vec<String> = if entry.contains(['*', '?', '[']) {
                py.import("glob")?
                    .call_method1("glob", (entry,))?
                    .extract()?
            } else {
                Vec::new()
            };
            matches.sort();
            if matches.is_empty() {
                matches.push(entry.clone());
            }
            for p in matches {
                path.insert(0, &p)?;
                crate::say!("added {p} to pythonpath.");
            }
        }
        uwsgi_module::register(py, setup)
    })();
    result.map_err(|e| Error::Setup {
        traceback: loader::format_exception(py, &e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_minor_of_venv_versions() {
        assert_eq!(major_minor("3.11.2"), "3.11");
        assert_eq!(major_minor("3.12.0.final.0"), "3.12");
        assert_eq!(major_minor("3"), "3");
    }

    #[test]
    fn a_venv_of_another_python_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("pyvenv.cfg");
        let embedded = major_minor(&embedded_version()).to_owned();
        std::fs::write(&cfg, format!("home = /usr/bin\nversion = {embedded}.99\n")).unwrap();
        assert!(check_venv_version(dir.path(), &cfg).is_ok());
        std::fs::write(&cfg, "home = /opt/py/bin\nversion_info = 3.99.1.final.0\n").unwrap();
        let err = check_venv_version(dir.path(), &cfg).unwrap_err();
        assert!(
            matches!(&err, Error::VenvVersion { venv, .. } if venv == "3.99"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("hint: recreate it with `/usr/bin/python3 -m venv"),
            "{err}"
        );
    }

    #[test]
    fn a_home_that_is_not_a_directory_is_refused() {
        let setup = Setup {
            home: Some("/nonexistent/venv".into()),
            ..Setup::default()
        };
        assert!(matches!(
            ConfigInputs::new(&setup),
            Err(Error::HomeNotADirectory { .. })
        ));
    }
}
