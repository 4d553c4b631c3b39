//! Where a value came from, and what we have to say about it.
//!
//! Every entry of the option list carries an [`Origin`]; every problem found while loading,
//! expanding or typing a configuration is a [`Diagnostic`] that points at one. Messages follow
//! the project style: lowercase, no trailing period, values in backticks, an optional `hint:`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where one option entry (or one problem) comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A line of a config file. `path` is the file as it was named (relative names stay
    /// relative, as the user wrote them). Line 0 means the file as a whole.
    File { path: Arc<Path>, line: u32 },
    /// The `n`th word of the command line (1-based, the program name is 0).
    Argv { index: usize },
    /// A `UWSGI_*` environment variable.
    Env { var: String },
    /// Made by the loader itself (e.g. an option implied by another).
    Builtin,
}

impl Origin {
    pub fn file(path: &Arc<Path>, line: u32) -> Origin {
        Origin::File {
            path: Arc::clone(path),
            line,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line: 0 } => write!(f, "{}", path.display()),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Argv { index } => write!(f, "command line (argument {index})"),
            Origin::Env { var } => write!(f, "environment variable `{var}`"),
            Origin::Builtin => f.write_str("built-in"),
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing, never a problem (e.g. a `no-op` option, a value read the friendly way).
    Note,
    /// Something is probably wrong but the vassal still runs; `strict = true` makes it an error.
    Warning,
    /// The configuration cannot be used.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One message about a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub origin: Origin,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(origin: Origin, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            origin,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(origin: Origin, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            origin,
            message: message.into(),
            hint: None,
        }
    }

    pub fn note(origin: Origin, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            origin,
            message: message.into(),
            hint: None,
        }
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// ``app.ini:3: warning: unknown option `harakari` `` then ``  hint: …`` on its own line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.origin, self.severity, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// A list of diagnostics that contains at least one error: what a failed load returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
