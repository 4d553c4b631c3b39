//! What can go wrong while setting up Python or loading apps.

use std::fmt;
use std::path::PathBuf;

/// An error from [`crate::initialize`] or [`crate::Interpreter::load_apps`].
///
/// Messages follow the project style (lowercase, values in backticks); Python tracebacks are
/// kept verbatim after the first line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// [`crate::initialize`] was called again with a different [`crate::Setup`]: `CPython` can
    /// be initialized once per process.
    AlreadyInitialized,
    /// Something other than this crate initialized `CPython` in this process.
    InitializedElsewhere,
    /// `home` / `virtualenv` does not name a directory.
    HomeNotADirectory { home: PathBuf },
    /// The virtualenv was made by another Python version than the one embedded.
    VenvVersion {
        home: PathBuf,
        venv: String,
        embedded: String,
    },
    /// A path or argument contains a NUL byte and cannot be handed to Python.
    Nul { what: &'static str, value: String },
    /// `Py_InitializeFromConfig` (or a `PyConfig` setter) failed.
    Init { message: String },
    /// Python failed after initialization while setting up this crate's modules or `sys.path`.
    Setup { traceback: String },
    /// An app could not be imported or its callable could not be found.
    App {
        app: String,
        mountpoint: String,
        traceback: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AlreadyInitialized => f.write_str(
                "python is already initialized with another setup (it can be initialized once per process)",
            ),
            Error::InitializedElsewhere => {
                f.write_str("python was initialized by something else in this process")
            }
            Error::HomeNotADirectory { home } => {
                write!(f, "python home `{}` is not a directory", home.display())
            }
            Error::VenvVersion { home, venv, embedded } => write!(
                f,
                "the virtualenv `{}` was made by python {venv}, but emperor embeds python {embedded}\n\
                 hint: recreate it with `/usr/bin/python3 -m venv {}`",
                home.display(),
                home.display()
            ),
            Error::Nul { what, value } => write!(f, "{what} `{value}` contains a NUL byte"),
            Error::Init { message } => write!(f, "failed to initialize python: {message}"),
            Error::Setup { traceback } => {
                write!(f, "failed to set up the python environment:\n{traceback}")
            }
            Error::App { app, mountpoint, traceback } => {
                write!(f, "unable to load app `{app}` (mountpoint=`{mountpoint}`):\n{traceback}")
            }
        }
    }
}

impl std::error::Error for Error {}
