//! `emperor-options` turns uWSGI configuration into typed, validated configs.
//!
//! It owns the option table (every option uWSGI defines, each defined once, with its status in
//! emperor), the loaders of every source (INI, XML and JSON files, the command line, `UWSGI_*`
//! environment variables), uWSGI's expansion language (magic variables, `$(ENV)`, `@(file)`,
//! `%(placeholder)`, includes, logic blocks) and the typed [`VassalConfig`] and
//! [`EmperorConfig`]. It is what `emperor check` runs and what a vassal parses its file with,
//! after its privilege drop.
//!
//! The layers, from raw to typed (STYLE: "options in two layers"):
//! 1. [`load`]: sources → one ordered list of `(key, value, origin)` entries, expanded.
//! 2. [`effective`]: keys classified (option, placeholder, unknown), values typed by kind,
//!    scalars resolved (last wins), lists kept in order; `strict` applied.
//! 3. [`typed`]: the role's config struct, validated, with host checks.
//!
//! Nothing here starts a thread or touches global state: the vassal master links this crate
//! and forks afterwards.

mod defs;
pub mod diag;
pub mod docs;
pub mod effective;
pub mod formats;
pub mod load;
pub mod magic;
pub mod sources;
pub mod table;
pub mod typed;

pub use diag::{Diagnostic, Origin, Severity};
pub use effective::Effective;
pub use load::{Context, Loader};
pub use typed::{EmperorConfig, Mode, Typed, VassalConfig};

/// A configuration read and checked: the effective options, the typed config when there
/// was no error, and every diagnostic in the order found.
#[derive(Debug, Clone)]
pub struct Checked {
    pub effective: Effective,
    pub typed: Option<Typed>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    fn from_loader(loader: Loader<'_>, mode: Mode) -> Checked {
        let cwd = loader.context().cwd.clone();
        let (effective, mut diagnostics) = Effective::resolve(loader.finish());
        let typed = if diagnostics.iter().any(Diagnostic::is_error) {
            None
        } else {
            let (typed, more) = typed::build(&effective, mode, &cwd);
            let strict = effective.flag("strict");
            diagnostics.extend(more.into_iter().map(|mut d| {
                if strict && d.severity == Severity::Warning {
                    d.severity = Severity::Error;
                    d.message.push_str(" (strict mode)");
                }
                d
            }));
            typed.filter(|_| !diagnostics.iter().any(Diagnostic::is_error))
        };
        sort_by_place(&mut diagnostics);
        Checked {
            effective,
            typed,
            diagnostics,
        }
    }
}

/// Orders diagnostics by file (in order of first appearance) and line, keeping the order of
/// those found at the same place; command-line and environment ones come first.
fn sort_by_place(diagnostics: &mut [Diagnostic]) {
    let mut files: Vec<std::sync::Arc<std::path::Path>> = Vec::new();
    for d in diagnostics.iter() {
        if let Origin::File { path, .. } = &d.origin
            && !files.contains(path)
        {
            files.push(path.clone());
        }
    }
    diagnostics.sort_by_key(|d| match &d.origin {
        Origin::File { path, line } => (
            1 + files.iter().position(|p| p == path).unwrap_or(0),
            *line as usize,
        ),
        Origin::Argv { index } => (0, *index),
        Origin::Env { .. } | Origin::Builtin => (0, 0),
    });
}

/// Reads one config file (`FILE[:section]`), as `emperor check` does: no `UWSGI_*`
/// environment options (a vassal under the emperor gets none), host checks as warnings.
pub fn check_file(ctx: &Context, spec: &str) -> Checked {
    let mut loader = Loader::new(ctx);
    let (name, _) = load::split_section(spec);
    let format = load::Format::from_path(name);
    let origin = Origin::File {
        path: std::sync::Arc::from(std::path::Path::new(name)),
        line: 0,
    };
    let blank = std::fs::read(ctx.cwd.join(name)).is_ok_and(|bytes| is_blank(&bytes));
    if blank && format.is_some() {
        loader.diagnose(empty_file(origin, name));
    } else if format.is_none() {
        loader.diagnose(
            Diagnostic::error(origin, format!("cannot tell the format of `{spec}`"))
                .with_hint("config files end in `.ini`, `.xml`, `.json` or `.js`"),
        );
    } else {
        loader.load_path(spec, format, &origin);
    }
    Checked::from_loader(loader, Mode::Check)
}

/// Whether a config file holds nothing but whitespace.
fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// A top-level config file that is empty (a truncated file, an editor that saved nothing): an
/// error, never "ok" (it would run nothing, or replace a running vassal with nothing).
fn empty_file(origin: Origin, shown: &str) -> Diagnostic {
    Diagnostic::error(origin, format!("`{shown}` is empty"))
        .with_hint("a vassal file needs at least a socket and an app, e.g. `[uwsgi]`, `http-socket = :8000`, `wsgi-file = app.py`")
}

/// Reads a whole command line (`args[0]` is the program), after the `UWSGI_*` variables of
/// `ctx.env`, as a vassal or the emperor starting for real.
pub fn from_command_line(ctx: &Context, args: &[String], mode: Mode) -> Checked {
    let mut loader = Loader::new(ctx);
    sources::load_env(&mut loader, &ctx.env);
    sources::load_argv(&mut loader, args);
    Checked::from_loader(loader, mode)
}

/// Separates the emperor's defaults from its overrides in a vassal's command line.
pub const VASSAL_FILE_MARKER: &str = "--vassal-file-here";

/// Reads a vassal's config as its emperor handed it over: `bytes` are the file's contents,
/// `path` is where the file lives (its extension gives the format; magic variables such as
/// `%d %n %p` and diagnostics use it, as for a file read from disk). `args` is the whole
/// command line, `[program, "--vassal-of-emperor", NAME, extra…]`: the extra words are
/// options loaded after the file, except those before a [`VASSAL_FILE_MARKER`] word, which
/// are loaded before it (the emperor's defaults: `vassal-set`, `vassals-include-before`,
/// `vassals-inherit-before`; after it come its forced overrides, `vassals-include` and
/// `vassals-inherit`). `UWSGI_*` variables of `ctx.env` come first, as for
/// [`from_command_line`].
pub fn from_emperor(
    ctx: &Context,
    path: &std::path::Path,
    bytes: &[u8],
    args: &[String],
    mode: Mode,
) -> Checked {
    let mut loader = Loader::new(ctx);
    sources::load_env(&mut loader, &ctx.env);
    let marker = args
        .iter()
        .skip(3)
        .position(|a| a == VASSAL_FILE_MARKER)
        .map(|i| i + 3);
    if let Some(marker) = marker {
        sources::load_argv_from(&mut loader, &args[..marker], 3);
    }
    let shown = path.display().to_string();
    let origin = Origin::File {
        path: std::sync::Arc::from(path),
        line: 0,
    };
    match load::Format::from_path(&shown) {
        None => loader.diagnose(
            Diagnostic::error(origin, format!("cannot tell the format of `{shown}`"))
                .with_hint("config files end in `.ini`, `.xml`, `.json` or `.js`"),
        ),
        Some(load::Format::Yaml) => loader.diagnose(
            Diagnostic::error(origin, format!("YAML configs are not supported: `{shown}`"))
                .with_hint("write the same options as an .ini file: `key: value` lines become `key = value` under `[uwsgi]`"),
        ),
        Some(_) if is_blank(bytes) => loader.diagnose(empty_file(origin, &shown)),
        Some(format) => match load::decode_text(bytes.to_vec(), &shown) {
            Ok(text) => loader.load_text(&shown, &shown, path, None, format, &text, &origin),
            Err(message) => loader.diagnose(Diagnostic::error(origin, message)),
        },
    }
    sources::load_argv_from(&mut loader, args, marker.map_or(3, |m| m + 1));
    Checked::from_loader(loader, mode)
}
