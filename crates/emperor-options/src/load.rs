//! The loader: every source reduced to one ordered list of `(key, value, origin)` entries.
//!
//! This is uWSGI's `add_exported_option` pipeline (core/config.c, ParsingOrder.rst), rebuilt:
//!
//! 1. Sources are read in order (environment, command line, files). Each file's text gets its
//!    magic variables first (`magic.rs`), then its format parser turns it into raw entries.
//! 2. Every entry goes through [`Loader::add`]. Directives of the config language act at once
//!    ("immediate" in uWSGI): `ini`/`include`/`xml`/`json` insert the named file's entries in
//!    place, `set` adds an entry, `declare-option` defines a macro option, `for`/`if-*` open
//!    blocks whose lines are repeated, kept or dropped. Anything else is appended to the list.
//! 3. [`Loader::finish`] runs uWSGI's three passes over the values, in its order: `$(ENV)`,
//!    then `@(file)`, then `%(placeholder)` (first occurrence of a key wins; `+ - * /` math).
//!    Then `inherit` files are appended at the end, with magic variables but no passes, as
//!    uWSGI does.
//!
//! What the keys mean (option, placeholder, typo) is decided afterwards, in `effective.rs`, on
//! the finished list: a key may become a placeholder by being referenced later in the file.
//!
//! Differences from uWSGI, on purpose (each in docs/compat.md): logic blocks nest (uWSGI
//! refuses `recursive logic`), and inside a `for` every `%(_)` of its body, nested blocks
//! included, is the `for` item; a block must be closed in the file that opened it; an `endif`
//! closing a `for` (or `endfor` an `if-*`) is warned about, a second `else` is an error;
//! parentheses group in placeholder math; immediate options such as `listen` get the `$ @ %`
//! passes like any other; the uppercase magic variables are set by the first file however it
//! was named; a missing file, an include or `inherit` cycle, a file over 1 MiB, a NUL byte or
//! YAML are clear errors.
//!
//! Hostile input is bounded: blocks nest at most 64 deep, a configuration has at most 100 000
//! lines once its `for` blocks are repeated, and an expanded value goes through at most 1000
//! substitutions and stays under 1 MiB, so that nested loops and self-referencing placeholders
//! end with an error instead of a hang.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use emperor_sys::host::HostFacts;

use crate::diag::{Diagnostic, Origin};
use crate::formats::{self, FilePath, RawEntry};
use crate::magic::{self, FileVars, GlobalVars};
use crate::table::{self, Kind};

/// The largest config file read (uWSGI has no limit; a vassal file under the emperor is
/// further limited to 64 KiB by the emperor link).
pub const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// How deep includes may nest.
const MAX_INCLUDE_DEPTH: usize = 32;

/// How many substitutions one value may go through before expansion is declared a loop.
const MAX_SUBSTITUTIONS: usize = 1000;

/// How large a value may grow by expansion.
const MAX_VALUE_SIZE: usize = 1024 * 1024;

/// How many lines a configuration may have, the repetitions of `for` blocks included: nested
/// loops multiply.
const MAX_LINES: usize = 100_000;

/// How deep logic blocks may nest (each level of a `for` is a level of recursion when it
/// repeats its lines).
const MAX_BLOCK_DEPTH: usize = 64;

/// What the loader needs to know about the world. Tests build one by hand.
#[derive(Debug, Clone)]
pub struct Context {
    /// The working directory: relative config names and `@(file)` resolve against it (uWSGI
    /// resolves includes against the process cwd, not the including file).
    pub cwd: PathBuf,
    /// The environment seen by `$(VAR)` and `if-env`.
    pub env: BTreeMap<String, String>,
    pub host: HostFacts,
    /// The emperor binary, for `%b`.
    pub binary: PathBuf,
    /// Start time, for `%t` and `%T`.
    pub start: SystemTime,
    /// Whether this process is a re-exec after a reload (`if-reload`).
    pub reloading: bool,
}

impl Context {
    /// The context of the running process.
    pub fn current() -> Context {
        Context {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            host: HostFacts::current(),
            binary: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("emperor")),
            start: SystemTime::now(),
            reloading: std::env::var_os("UWSGI_RELOADS").is_some_and(|v| v != "0"),
        }
    }
}

/// One entry of the ordered option list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// `None` for a bare key or a command-line flag without a value.
    pub value: Option<String>,
    pub origin: Origin,
    /// Whether the `$ @ %` passes apply (not to `set-placeholder` values nor inherited files).
    pub(crate) expand: bool,
}

/// The finished list, with what the loader learned about keys.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub entries: Vec<Entry>,
    pub diagnostics: Vec<Diagnostic>,
    /// Keys referenced as placeholders (`%(key)`, `if-opt = key`).
    pub referenced: HashSet<String>,
    /// Keys declared as placeholders with `set-placeholder`.
    pub declared: HashSet<String>,
}

/// A config file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ini,
    Xml,
    Json,
    Yaml,
}

impl Format {
    /// The format a file name's extension announces, as uWSGI's `uwsgi_opt_load` decides it.
    pub fn from_path(path: &str) -> Option<Format> {
        let ext = Path::new(path).extension()?.to_str()?;
        match ext {
            "ini" => Some(Format::Ini),
            "xml" => Some(Format::Xml),
            "json" | "js" => Some(Format::Json),
            "yml" | "yaml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Splits `file[:section]` at the last `:` after the last `/`.
pub fn split_section(spec: &str) -> (&str, Option<&str>) {
    let after_slash = spec.rfind('/').map_or(0, |i| i + 1);
    match spec[after_slash..].rfind(':') {
        Some(i) => (&spec[..after_slash + i], Some(&spec[after_slash + i + 1..])),
        None => (spec, None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ForKind {
    Words,
    Glob,
    Times,
    Readline,
}

type Line = (String, Option<String>, Origin);

#[derive(Debug)]
enum Frame {
    /// A `for*` block: its lines are collected until the matching end, then replayed once per
    /// item.
    For {
        kind: ForKind,
        arg: String,
        opener: String,
        origin: Origin,
        depth: usize,
        lines: Vec<Line>,
    },
    /// An `if*` block: lines pass (with `%(_)` replaced) while `active`, are dropped otherwise.
    If {
        active: bool,
        context: Option<String>,
        opener: String,
        origin: Origin,
        nested: usize,
        seen_else: bool,
    },
}

impl Frame {
    fn opener(&self) -> (&str, &Origin) {
        match self {
            Frame::For { opener, origin, .. } | Frame::If { opener, origin, .. } => {
                (opener, origin)
            }
        }
    }
}

/// Whether `key` opens a logic block: an `if*` or `for*` directive of the table (not merely a
/// key that starts like one, such as `force-cwd` or `forkbomb-delay`).
fn is_block_opener(key: &str) -> bool {
    table::lookup(key).is_some_and(|d| {
        d.kind == Kind::Directive && (d.name.starts_with("if") || d.name.starts_with("for"))
    })
}

fn is_block_end(key: &str) -> bool {
    matches!(key, "endif" | "end-if" | "endfor" | "end-for" | "end")
}

/// One file being read: for include-cycle detection and error messages.
#[derive(Debug, Clone)]
struct OpenFile {
    canonical: PathBuf,
    section: String,
    shown: String,
}

/// Builds the ordered option list. See the module documentation.
#[derive(Debug)]
pub struct Loader<'c> {
    ctx: &'c Context,
    globals: GlobalVars,
    entries: Vec<Entry>,
    diags: Vec<Diagnostic>,
    frames: Vec<Frame>,
    open: Vec<OpenFile>,
    first: Option<FileVars>,
    /// The last INI file read, for `ini = :section`: (name as given, resolved path).
    last_ini: Option<(String, PathBuf)>,
    custom: HashMap<String, String>,
    /// `inherit` files to append at the end, each with the files that led to it (for cycles).
    pending_inherit: Vec<(String, Origin, Vec<OpenFile>)>,
    no_expand: bool,
    /// `frames` below this index belong to the files that include the one being read.
    floor: usize,
    /// Lines added so far, repeated block lines included, and whether [`MAX_LINES`] was hit.
    added: usize,
    overflow: bool,
    referenced: HashSet<String>,
    declared: HashSet<String>,
}

impl<'c> Loader<'c> {
    pub fn new(ctx: &'c Context) -> Loader<'c> {
        Loader {
            ctx,
            globals: GlobalVars::new(&ctx.host, &ctx.cwd, &ctx.binary, ctx.start),
            entries: Vec::new(),
            diags: Vec::new(),
            frames: Vec::new(),
            open: Vec::new(),
            first: None,
            last_ini: None,
            custom: HashMap::new(),
            pending_inherit: Vec::new(),
            no_expand: false,
            floor: 0,
            added: 0,
            overflow: false,
            referenced: HashSet::new(),
            declared: HashSet::new(),
        }
    }

    /// The context this loader reads in.
    pub fn context(&self) -> &'c Context {
        self.ctx
    }

    /// Records a diagnostic found by a caller (e.g. the command-line parser).
    pub fn diagnose(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// Adds one entry, as uWSGI's `add_exported_option`: logic blocks and directives act now.
    pub fn add(&mut self, key: &str, value: Option<&str>, origin: Origin) {
        if self.overflow {
            return;
        }
        self.added += 1;
        if self.added > MAX_LINES {
            self.overflow = true;
            self.diags.push(
                Diagnostic::error(origin, format!("the configuration is longer than {MAX_LINES} lines, repeated blocks included"))
                    .with_hint("a `for` block repeats its lines once per item: check nested or large loops"),
            );
            return;
        }
        // Blocks opened by an including file are out of reach (`floor`): a block belongs to
        // the file that opens it.
        let frames = self.frames.len();
        let Some(frame) = self.frames.last_mut().filter(|_| frames > self.floor) else {
            self.dispatch(key, value, origin);
            return;
        };
        match frame {
            Frame::For {
                depth,
                lines,
                opener,
                ..
            } => {
                if is_block_end(key) {
                    if *depth == 0 {
                        let opener = opener.clone();
                        self.mismatched_end(key, &opener, &origin);
                        self.close_for();
                        return;
                    }
                    *depth -= 1;
                } else if is_block_opener(key) {
                    *depth += 1;
                }
                lines.push((key.to_owned(), value.map(str::to_owned), origin));
            }
            Frame::If {
                active,
                context,
                nested,
                seen_else,
                opener,
                ..
            } => {
                if !*active || *nested > 0 {
                    if is_block_end(key) {
                        if *nested == 0 {
                            let opener = opener.clone();
                            self.frames.pop();
                            self.mismatched_end(key, &opener, &origin);
                        } else {
                            *nested -= 1;
                        }
                    } else if is_block_opener(key) {
                        *nested += 1;
                    } else if key == "else" && *nested == 0 {
                        if *seen_else {
                            self.second_else(origin);
                        } else {
                            *seen_else = true;
                            *active = true;
                        }
                    }
                } else if is_block_end(key) {
                    let opener = opener.clone();
                    self.frames.pop();
                    self.mismatched_end(key, &opener, &origin);
                } else if key == "else" {
                    let twice = *seen_else;
                    *seen_else = true;
                    *active = false;
                    if twice {
                        self.second_else(origin);
                    }
                } else if let Some(ctx_value) = context.clone() {
                    let key = key.replace("%(_)", &ctx_value);
                    let value = value.map(|v| v.replace("%(_)", &ctx_value));
                    self.dispatch(&key, value.as_deref(), origin);
                } else {
                    self.dispatch(key, value, origin);
                }
            }
        }
    }

    /// uWSGI closes any block with any end keyword; an `endif` closing a `for` is kept but
    /// warned about.
    fn mismatched_end(&mut self, key: &str, opener: &str, origin: &Origin) {
        let closing_for = opener.starts_with("for");
        let wrong = if closing_for {
            matches!(key, "endif" | "end-if")
        } else {
            matches!(key, "endfor" | "end-for")
        };
        if wrong {
            let (end, article) = if closing_for {
                ("endfor", "a")
            } else {
                ("endif", "an")
            };
            self.diags.push(
                Diagnostic::warning(
                    origin.clone(),
                    format!("`{key}` closes {article} `{opener}` block"),
                )
                .with_hint(format!("write `{end}`")),
            );
        }
    }

    fn second_else(&mut self, origin: Origin) {
        self.diags.push(
            Diagnostic::error(origin, "a second `else` in the same block").with_hint(
                "an `if-*` block has at most one `else`; nest another `if-*` block inside it",
            ),
        );
    }

    fn dispatch(&mut self, key: &str, value: Option<&str>, origin: Origin) {
        if let Some(template) = self.custom.get(key).cloned() {
            self.apply_custom(&template, value.unwrap_or(""), &origin);
            return;
        }
        let def = table::lookup(key);
        if is_block_end(key) || key == "else" {
            self.diags.push(
                Diagnostic::error(origin, format!("`{key}` without an open block")).with_hint(
                    "every `endif`/`endfor`/`else` needs an `if-*` or `for*` line before it",
                ),
            );
            return;
        }
        if let Some(def) = def.filter(|d| d.kind == Kind::Directive) {
            self.directive(def.name, key, value, origin);
            return;
        }
        self.entries.push(Entry {
            key: key.to_owned(),
            value: value.map(str::to_owned),
            origin,
            expand: !self.no_expand,
        });
    }

    fn need_value<'v>(
        &mut self,
        key: &str,
        value: Option<&'v str>,
        origin: &Origin,
        what: &str,
    ) -> Option<&'v str> {
        match value {
            Some(v) if !v.is_empty() => Some(v),
            _ => {
                self.diags.push(Diagnostic::error(
                    origin.clone(),
                    format!("`{key}` needs {what}"),
                ));
                None
            }
        }
    }

    fn directive(&mut self, name: &str, key: &str, value: Option<&str>, origin: Origin) {
        match name {
            "ini" | "xml" | "json" | "yaml" | "include" => {
                let Some(spec) = self.need_value(key, value, &origin, "a file name") else {
                    return;
                };
                let format = match name {
                    "ini" => Some(Format::Ini),
                    "xml" => Some(Format::Xml),
                    "json" => Some(Format::Json),
                    "yaml" => Some(Format::Yaml),
                    _ => None,
                };
                self.load_path(spec, format, &origin);
            }
            "inherit" => {
                let Some(spec) = self.need_value(key, value, &origin, "a file name") else {
                    return;
                };
                self.pending_inherit
                    .push((spec.to_owned(), origin, self.open.clone()));
            }
            "set" => {
                let Some(kv) = self.need_value(key, value, &origin, "a `name=value` pair") else {
                    return;
                };
                match kv.split_once('=') {
                    Some((k, v)) => self.add(k, Some(v), origin),
                    None => self.diags.push(
                        Diagnostic::error(
                            origin,
                            format!("`{key} = {kv}` is not a `name=value` pair"),
                        )
                        .with_hint(format!("write `{key} = {kv}=VALUE`")),
                    ),
                }
            }
            "set-placeholder" => {
                let Some(kv) = self.need_value(key, value, &origin, "a `name=value` pair") else {
                    return;
                };
                let Some((k, v)) = kv.split_once('=') else {
                    self.diags.push(Diagnostic::error(
                        origin,
                        format!("`{key} = {kv}` is not a `name=value` pair"),
                    ));
                    return;
                };
                if table::lookup(k).is_some() {
                    self.diags.push(
                        Diagnostic::error(
                            origin,
                            format!("`{k}` is an option and cannot be a placeholder"),
                        )
                        .with_hint(format!("write `{k} = {v}`, or `set = {k}={v}`")),
                    );
                    return;
                }
                self.declared.insert(k.to_owned());
                self.entries.push(Entry {
                    key: k.to_owned(),
                    value: Some(v.to_owned()),
                    origin,
                    expand: false,
                });
            }
            "declare-option" | "declare-option2" => {
                let Some(decl) = self.need_value(key, value, &origin, "`name=option=value;…`")
                else {
                    return;
                };
                match decl.split_once('=') {
                    Some((n, template)) if !n.is_empty() => {
                        if table::lookup(n).is_some() {
                            self.diags.push(Diagnostic::error(
                                origin,
                                format!("`{n}` is already an option and cannot be declared again"),
                            ));
                        } else {
                            self.custom.insert(n.to_owned(), template.to_owned());
                        }
                    }
                    _ => self.diags.push(
                        Diagnostic::error(
                            origin,
                            format!("`{key} = {decl}` is not `name=option=value;…`"),
                        )
                        .with_hint("e.g. `declare-option = app=chdir=$1;module=$2`"),
                    ),
                }
            }
            // `print` is not immediate in uWSGI: it prints once the `$ @ %` passes ran, so it
            // stays in the list until `finish`. `iprint` prints at once.
            "print" => self.entries.push(Entry {
                key: "print".to_owned(),
                value: Some(value.unwrap_or("").to_owned()),
                origin,
                expand: !self.no_expand,
            }),
            "iprint" => {
                self.diags.push(Diagnostic::note(
                    origin,
                    format!("print: {}", value.unwrap_or("")),
                ));
            }
            "config" => self.diags.push(
                Diagnostic::error(
                    origin,
                    format!("`{key}` (pluggable config formats) is not supported"),
                )
                .with_hint("use an .ini, .xml or .json file"),
            ),
            _ if is_block_opener(name) => self.open_block(name, key, value.unwrap_or(""), origin),
            _ => {
                // A directive of uWSGI's config language that emperor does not implement.
                let def = table::lookup(name).expect("directives come from the table");
                let reason = def
                    .unsupported_reason()
                    .unwrap_or_else(|| "not implemented yet".to_owned());
                self.diags.push(Diagnostic::warning(
                    origin,
                    format!("option `{key}` is not supported: {reason}"),
                ));
            }
        }
    }

    fn open_block(&mut self, name: &str, key: &str, arg: &str, origin: Origin) {
        if self.frames.len() >= MAX_BLOCK_DEPTH {
            // The block is skipped whole: its own openers nest inside it and are not counted
            // again, so this is reported once.
            self.diags.push(
                Diagnostic::error(
                    origin.clone(),
                    format!(
                        "logic blocks nest deeper than {MAX_BLOCK_DEPTH} levels: `{key}` is skipped"
                    ),
                )
                .with_hint("close some blocks first"),
            );
            self.frames.push(Frame::If {
                active: false,
                context: None,
                opener: key.to_owned(),
                origin,
                nested: 0,
                seen_else: true,
            });
            return;
        }
        let for_kind = match name {
            "for" => Some(ForKind::Words),
            "for-glob" => Some(ForKind::Glob),
            "for-times" => Some(ForKind::Times),
            "for-readline" => Some(ForKind::Readline),
            _ => None,
        };
        if let Some(kind) = for_kind {
            self.frames.push(Frame::For {
                kind,
                arg: arg.to_owned(),
                opener: key.to_owned(),
                origin,
                depth: 0,
                lines: Vec::new(),
            });
            return;
        }
        let (active, context) = self.condition(name, key, arg, &origin);
        self.frames.push(Frame::If {
            active,
            context,
            opener: key.to_owned(),
            origin,
            nested: 0,
            seen_else: false,
        });
    }

    /// Evaluates an `if*` condition: (is the block active, the value of `%(_)` in it).
    fn condition(
        &mut self,
        name: &str,
        key: &str,
        arg: &str,
        origin: &Origin,
    ) -> (bool, Option<String>) {
        let (subject, expected) = match arg.split_once('=') {
            Some((s, e)) => (s, Some(e)),
            None => (arg, None),
        };
        let path_of = |p: &str| -> PathBuf { self.ctx.cwd.join(p) };
        let arg_owned = Some(arg.to_owned());
        match name {
            "if-env" | "if-not-env" => {
                let found = self.ctx.env.get(subject).cloned();
                let matches = found
                    .as_ref()
                    .is_some_and(|v| expected.is_none_or(|e| e == v));
                if name == "if-env" {
                    (matches, found)
                } else {
                    (!matches, found)
                }
            }
            "if-opt" | "if-not-opt" => {
                self.referenced.insert(subject.to_owned());
                let found = self
                    .entries
                    .iter()
                    .find(|e| e.key == subject)
                    .map(|e| e.value.clone().unwrap_or_default());
                let matches = found
                    .as_ref()
                    .is_some_and(|v| expected.is_none_or(|e| e == v));
                if name == "if-opt" {
                    (matches, found)
                } else {
                    (!matches, found)
                }
            }
            "if-exists" => (path_of(arg).exists(), arg_owned),
            "if-not-exists" => (!path_of(arg).exists(), arg_owned),
            "if-file" => (path_of(arg).is_file(), arg_owned),
            "if-not-file" => (!path_of(arg).is_file(), arg_owned),
            "if-dir" => (path_of(arg).is_dir(), arg_owned),
            "if-not-dir" => (!path_of(arg).is_dir(), arg_owned),
            "if-reload" => (self.ctx.reloading, None),
            "if-not-reload" => (!self.ctx.reloading, None),
            "if-plugin" | "if-not-plugin" => {
                let builtin = crate::typed::is_python_plugin(arg);
                (builtin == (name == "if-plugin"), arg_owned)
            }
            "if-hostname" => (self.ctx.host.hostname == arg, arg_owned),
            "if-not-hostname" => (self.ctx.host.hostname != arg, arg_owned),
            _ => {
                self.diags.push(
                    Diagnostic::warning(
                        origin.clone(),
                        format!("`{key}` is not supported: its block is skipped"),
                    )
                    .with_hint("use `if-hostname` / `if-not-hostname` with an exact name"),
                );
                (false, None)
            }
        }
    }

    fn close_for(&mut self) {
        let Some(Frame::For {
            kind,
            arg,
            opener,
            origin,
            lines,
            ..
        }) = self.frames.pop()
        else {
            unreachable!("close_for is called with a `for` frame on top");
        };
        let items: Vec<String> = match kind {
            ForKind::Words => arg
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect(),
            ForKind::Glob => self.glob_items(&arg, &origin),
            ForKind::Times => match arg.trim().parse::<u32>() {
                Ok(n) => (1..=n).map(|i| i.to_string()).collect(),
                Err(_) => {
                    self.diags.push(Diagnostic::error(
                        origin,
                        format!("`{opener} = {arg}` needs a number of times"),
                    ));
                    return;
                }
            },
            ForKind::Readline => match read_limited(&self.ctx.cwd.join(&arg), &arg) {
                Ok(text) => text.lines().map(str::to_owned).collect(),
                Err(message) => {
                    self.diags
                        .push(Diagnostic::error(origin, format!("`{opener}`: {message}")));
                    return;
                }
            },
        };
        for item in &items {
            if self.overflow {
                break;
            }
            for (key, value, line_origin) in &lines {
                let key = key.replace("%(_)", item);
                let value = value.as_ref().map(|v| v.replace("%(_)", item));
                self.add(&key, value.as_deref(), line_origin.clone());
            }
        }
    }

    fn glob_items(&mut self, pattern: &str, origin: &Origin) -> Vec<String> {
        let absolute = if Path::new(pattern).is_absolute() {
            pattern.to_owned()
        } else {
            format!("{}/{pattern}", self.ctx.cwd.display())
        };
        match glob::glob(&absolute) {
            Ok(paths) => {
                let mut items: Vec<String> = paths
                    .filter_map(Result::ok)
                    .map(|p| {
                        let shown = p
                            .strip_prefix(&self.ctx.cwd)
                            .ok()
                            .filter(|_| !Path::new(pattern).is_absolute())
                            .unwrap_or(&p)
                            .to_string_lossy()
                            .into_owned();
                        if p.is_dir() {
                            format!("{shown}/")
                        } else {
                            shown
                        }
                    })
                    .collect();
                if items.is_empty() {
                    // GLOB_NOCHECK: no match gives the pattern itself.
                    items.push(pattern.to_owned());
                }
                items
            }
            Err(e) => {
                self.diags.push(Diagnostic::error(
                    origin.clone(),
                    format!("invalid glob `{pattern}`: {e}"),
                ));
                Vec::new()
            }
        }
    }

    fn apply_custom(&mut self, template: &str, value: &str, origin: &Origin) {
        let args: Vec<&str> = value.split(' ').filter(|a| !a.is_empty()).collect();
        let substitute = |text: &str| {
            let mut text = text.to_owned();
            // $10 before $1, so that `$1` does not eat the start of `$10`.
            for (i, arg) in args.iter().enumerate().rev() {
                text = text.replace(&format!("${}", i + 1), arg);
            }
            text
        };
        for part in template.split(';').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) => self.add(&substitute(k), Some(&substitute(v)), origin.clone()),
                None => {
                    self.diags.push(Diagnostic::error(
                        origin.clone(),
                        format!("declared option part `{part}` is not `option=value`"),
                    ));
                    return;
                }
            }
        }
    }

    /// Loads a config named `spec` (`file[:section]`), in place. `format` forces a format
    /// (`ini = x`), else the extension decides. `origin` is where it was asked for.
    pub fn load_path(&mut self, spec: &str, format: Option<Format>, origin: &Origin) {
        let (name, section) = split_section(spec);
        // `ini = :section`: another section of the last INI file read.
        let (name, resolved): (String, PathBuf) = if name.is_empty() && section.is_some() {
            match &self.last_ini {
                Some((shown, path)) => (shown.clone(), path.clone()),
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            origin.clone(),
                            format!("`{spec}` names a section, but no INI file was read before"),
                        )
                        .with_hint("name the file too: `FILE.ini:section`"),
                    );
                    return;
                }
            }
        } else {
            (name.to_owned(), self.ctx.cwd.join(name))
        };
        if let Some(scheme) = name.split_once("://").map(|(s, _)| s) {
            self.diags.push(
                Diagnostic::error(
                    origin.clone(),
                    format!("loading configs from `{scheme}://` is not supported"),
                )
                .with_hint("name a file on disk"),
            );
            return;
        }
        let Some(format) = format.or_else(|| Format::from_path(&name)) else {
            self.diags.push(
                Diagnostic::error(
                    origin.clone(),
                    format!("cannot tell the format of `{name}`"),
                )
                .with_hint("config files end in `.ini`, `.xml`, `.json` or `.js`"),
            );
            return;
        };
        if format == Format::Yaml {
            self.diags.push(
                Diagnostic::error(origin.clone(), format!("YAML configs are not supported: `{name}`"))
                    .with_hint("write the same options as an .ini file: `key: value` lines become `key = value` under `[uwsgi]`"),
            );
            return;
        }
        let text = match read_limited(&resolved, &name) {
            Ok(text) => text,
            Err(message) => {
                let mut d = Diagnostic::error(origin.clone(), message);
                let beside_includer = match origin {
                    Origin::File { path, .. } => path
                        .parent()
                        .filter(|dir| !dir.as_os_str().is_empty())
                        .is_some_and(|dir| self.ctx.cwd.join(dir).join(&name).is_file()),
                    _ => false,
                };
                if beside_includer {
                    d = d.with_hint(format!(
                        "names are relative to the working directory, not to the including file (as in uWSGI); write `%d{name}`"
                    ));
                } else if name.contains("$(") || name.contains("%(") || name.contains("@(") {
                    d = d.with_hint(
                        "file names of `ini`/`include`/`xml`/`json` are read before `$(…)`, `@(…)` and `%(…)` \
                         are expanded (as in uWSGI); use a magic variable such as `%d` instead",
                    );
                }
                self.diags.push(d);
                return;
            }
        };
        self.load_text(spec, &name, &resolved, section, format, &text, origin);
    }

    /// Loads config text that was read already (the emperor hands a vassal its file's bytes).
    /// `shown` names the file in messages; `path` is where it lives, for magic variables.
    #[allow(clippy::too_many_arguments)]
    pub fn load_text(
        &mut self,
        spec: &str,
        shown: &str,
        path: &Path,
        section: Option<&str>,
        format: Format,
        text: &str,
        origin: &Origin,
    ) {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let section_key = section.unwrap_or_default().to_owned();
        if let Some(pos) = self
            .open
            .iter()
            .position(|f| f.canonical == canonical && f.section == section_key)
        {
            let mut chain: Vec<String> = self.open[pos..]
                .iter()
                .map(|f| format!("`{}`", f.shown))
                .collect();
            chain.push(format!("`{spec}`"));
            self.diags.push(
                Diagnostic::error(
                    origin.clone(),
                    format!("include cycle: {}", chain.join(" -> ")),
                )
                .with_hint("remove one of the includes"),
            );
            return;
        }
        if self.open.len() >= MAX_INCLUDE_DEPTH {
            self.diags.push(Diagnostic::error(
                origin.clone(),
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
            ));
            return;
        }
        let file_path: FilePath = Arc::from(Path::new(shown));
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        if bom {
            self.diags.push(Diagnostic::note(
                Origin::file(&file_path, 1),
                "byte order mark ignored",
            ));
        }
        let vars = FileVars::describe(spec, path, section.unwrap_or(""), &self.ctx.cwd);
        let first = self.first.get_or_insert_with(|| vars.clone()).clone();
        let text = magic::substitute(
            text,
            &file_path,
            &vars,
            &first,
            &self.globals,
            &mut self.diags,
        );
        let parsed = match format {
            Format::Ini => {
                let wanted = section.filter(|s| !s.is_empty()).unwrap_or("uwsgi");
                let (parsed, found) = formats::ini::parse(&text, &file_path, wanted);
                if !found {
                    self.diags.push(
                        Diagnostic::warning(
                            Origin::file(&file_path, 1),
                            format!("section `[{wanted}]` not found in `{shown}`"),
                        )
                        .with_hint("uWSGI reads options only from the section it is asked for; `[uwsgi]` unless `FILE.ini:section`"),
                    );
                }
                self.last_ini = Some((shown.to_owned(), path.to_path_buf()));
                Ok(parsed)
            }
            Format::Xml => formats::xml::parse(&text, &file_path, section),
            Format::Json => formats::json::parse(
                &text,
                &file_path,
                section.filter(|s| !s.is_empty()).unwrap_or("uwsgi"),
            ),
            Format::Yaml => unreachable!("YAML is refused before reading"),
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(diagnostic) => {
                self.diags.push(diagnostic);
                return;
            }
        };
        self.diags.extend(parsed.diagnostics);
        self.open.push(OpenFile {
            canonical,
            section: section_key,
            shown: shown.to_owned(),
        });
        let frames_before = self.frames.len();
        let floor = std::mem::replace(&mut self.floor, frames_before);
        for RawEntry { key, value, line } in parsed.entries {
            self.add(&key, value.as_deref(), Origin::file(&file_path, line));
        }
        self.close_frames_above(frames_before, &format!("the end of `{shown}`"));
        self.floor = floor;
        self.open.pop();
    }

    fn close_frames_above(&mut self, depth: usize, place: &str) {
        while self.frames.len() > depth {
            let frame = self.frames.pop().expect("length checked");
            let (opener, origin) = frame.opener();
            let end = if matches!(frame, Frame::For { .. }) {
                "endfor"
            } else {
                "endif"
            };
            self.diags.push(
                Diagnostic::error(
                    origin.clone(),
                    format!("`{opener}` block is not closed before {place}"),
                )
                .with_hint(format!("add an `{end}` line")),
            );
        }
    }

    /// Closes the list: checks blocks, runs the `$ @ %` passes, appends `inherit` files.
    pub fn finish(mut self) -> Loaded {
        self.close_frames_above(0, "the end of the configuration");
        self.pass_env();
        self.pass_files();
        self.pass_placeholders();
        for entry in self.entries.iter().filter(|e| e.key == "print") {
            let text = entry.value.as_deref().unwrap_or("");
            self.diags.push(Diagnostic::note(
                entry.origin.clone(),
                format!("print: {text}"),
            ));
        }
        let mut next = 0;
        while next < self.pending_inherit.len() {
            let (spec, origin, chain) = self.pending_inherit[next].clone();
            next += 1;
            // The inheriting files count as open, so that a file inheriting itself, directly
            // or through others, is a cycle rather than an endless list.
            self.open = chain;
            self.no_expand = true;
            self.load_path(&spec, None, &origin);
            self.no_expand = false;
            self.open.clear();
            self.close_frames_above(0, "the end of the configuration");
        }
        Loaded {
            entries: self.entries,
            diagnostics: self.diags,
            referenced: self.referenced,
            declared: self.declared,
        }
    }

    fn pass_env(&mut self) {
        for i in 0..self.entries.len() {
            let entry = &self.entries[i];
            let Some(value) = entry
                .value
                .as_deref()
                .filter(|v| entry.expand && v.contains("$("))
            else {
                continue;
            };
            let origin = entry.origin.clone();
            let env = &self.ctx.env;
            let mut missing = Vec::new();
            let result = substitute_refs(value, '$', |name| {
                let (var, default) = match name.split_once(":-") {
                    Some((v, d)) => (v, Some((d, true))),
                    None => match name.split_once('-') {
                        Some((v, d)) => (v, Some((d, false))),
                        None => (name, None),
                    },
                };
                match (env.get(var), default) {
                    (Some(v), Some((d, true))) if v.is_empty() => Some(d.to_owned()),
                    (Some(v), _) => Some(v.clone()),
                    (None, Some((d, _))) => Some(d.to_owned()),
                    (None, None) => {
                        missing.push(var.to_owned());
                        None
                    }
                }
            });
            for var in missing {
                self.diags.push(
                    Diagnostic::warning(
                        origin.clone(),
                        format!(
                            "environment variable `{var}` is not set: `$({var})` is kept as is"
                        ),
                    )
                    .with_hint(format!("set it, or give a default: `$({var}:-VALUE)`")),
                );
            }
            self.store(i, result);
        }
    }

    fn pass_files(&mut self) {
        for i in 0..self.entries.len() {
            let entry = &self.entries[i];
            let Some(value) = entry
                .value
                .as_deref()
                .filter(|v| entry.expand && v.contains("@("))
            else {
                continue;
            };
            let origin = entry.origin.clone();
            let cwd = &self.ctx.cwd;
            let mut errors = Vec::new();
            let result = substitute_refs(value, '@', |name| {
                if let Some((scheme, _)) = name.split_once("://") {
                    errors.push(
                        Diagnostic::error(
                            origin.clone(),
                            format!("`@({name})`: `{scheme}://` is not supported"),
                        )
                        .with_hint("compute the value beforehand and pass it as `$(VAR)`"),
                    );
                    return None;
                }
                match read_limited(&cwd.join(name), name) {
                    Ok(mut text) => {
                        if text.ends_with('\n') || text.ends_with('\r') {
                            text.pop();
                        }
                        Some(text)
                    }
                    Err(message) => {
                        let mut d =
                            Diagnostic::error(origin.clone(), format!("`@({name})`: {message}"));
                        if name.contains("%(") {
                            d = d.with_hint("`@(…)` is expanded before `%(…)` placeholders (as in uWSGI); name the file with `$(VAR)` or literally");
                        }
                        errors.push(d);
                        None
                    }
                }
            });
            self.diags.extend(errors);
            self.store(i, result);
        }
    }

    fn pass_placeholders(&mut self) {
        for i in 0..self.entries.len() {
            let entry = &self.entries[i];
            let Some(value) = entry
                .value
                .clone()
                .filter(|v| entry.expand && v.contains("%("))
            else {
                continue;
            };
            let origin = entry.origin.clone();
            let quiet = table::lookup(&entry.key)
                .is_some_and(|d| d.name.starts_with("log") || d.name.contains("route"));
            let mut names = Vec::new();
            let entries = &self.entries;
            let result = substitute_refs(&value, '%', |name| evaluate(name, entries, &mut names));
            let mut warned = HashSet::new();
            for (name, found, math) in names {
                if !found && !quiet && name != "_" && warned.insert(name.clone()) {
                    let message = match math {
                        Some(expr) => format!(
                            "placeholder `{name}` in `%({expr})` is not defined: it counts as empty"
                        ),
                        None => format!("placeholder `%({name})` is not defined: it is kept as is"),
                    };
                    self.diags.push(
                        Diagnostic::warning(origin.clone(), message)
                            .with_hint(format!("define it, e.g. `{name} = VALUE`")),
                    );
                }
                self.referenced.insert(name);
            }
            self.store(i, result);
        }
    }

    fn store(&mut self, i: usize, result: Result<Option<String>, String>) {
        match result {
            Ok(Some(new)) => self.entries[i].value = Some(new),
            Ok(None) => {}
            Err(message) => {
                let origin = self.entries[i].origin.clone();
                self.diags.push(Diagnostic::error(origin, message));
            }
        }
    }
}

/// The keys a placeholder looked up, with whether each was found.
type Found = Vec<(String, bool)>;

/// Evaluates a placeholder: a plain key (its first value) or uWSGI's math pipeline when the
/// name has spaces. Records every key looked up in `names`: whether it was found, and the
/// math expression it was part of.
fn evaluate(
    expr: &str,
    entries: &[Entry],
    names: &mut Vec<(String, bool, Option<String>)>,
) -> Option<String> {
    let lookup = |key: &str, found_names: &mut Found| {
        let found = entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.clone().unwrap_or_default());
        found_names.push((key.to_owned(), found.is_some()));
        found
    };
    let mut found_names = Vec::new();
    let (result, math) = if expr.contains(' ') {
        (
            Some(pipeline(expr, &mut |k, n| lookup(k, n), &mut found_names)),
            Some(expr.to_owned()),
        )
    } else {
        (lookup(expr, &mut found_names), None)
    };
    names.extend(found_names.into_iter().map(|(k, f)| (k, f, math.clone())));
    result
}

/// uWSGI's left-to-right placeholder math: numbers, option values (missing = empty), `+ - * /`
/// apply to the next value, adjacent values concatenate, `++`/`--` step the current value.
/// Parenthesized groups are evaluated first (uWSGI has no grouping: it reads `(2` as a key).
fn pipeline(
    expr: &str,
    lookup: &mut dyn FnMut(&str, &mut Found) -> Option<String>,
    names: &mut Found,
) -> String {
    #[derive(Clone, Copy)]
    enum Op {
        Concat,
        Add,
        Sub,
        Mul,
        Div,
    }
    let mut op = Op::Concat;
    let mut current: Option<String> = None;
    for token in tokens(expr) {
        let value = match token.as_str() {
            "+" => {
                op = Op::Add;
                continue;
            }
            "-" => {
                op = Op::Sub;
                continue;
            }
            "*" => {
                op = Op::Mul;
                continue;
            }
            "/" => {
                op = Op::Div;
                continue;
            }
            "++" | "--" => {
                if let Some(c) = current.take() {
                    let n = leading_int(&c);
                    current = Some(
                        if token == "++" {
                            n.wrapping_add(1)
                        } else {
                            n.wrapping_sub(1)
                        }
                        .to_string(),
                    );
                }
                op = Op::Concat;
                continue;
            }
            t if t.starts_with('(') && t.ends_with(')') && t.len() >= 2 => {
                pipeline(&t[1..t.len() - 1], lookup, names)
            }
            t if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => t.to_owned(),
            t => lookup(t, names).unwrap_or_default(),
        };
        let a = current.as_deref().map_or(0, leading_int);
        let b = leading_int(&value);
        current = Some(match op {
            Op::Concat => format!("{}{value}", current.as_deref().unwrap_or("")),
            Op::Add => a.wrapping_add(b).to_string(),
            Op::Sub => a.wrapping_sub(b).to_string(),
            Op::Mul => a.wrapping_mul(b).to_string(),
            Op::Div => if b == 0 { 0 } else { a.wrapping_div(b) }.to_string(),
        });
        op = Op::Concat;
    }
    current.unwrap_or_default()
}

/// Splits on spaces, keeping a parenthesized group (which may hold spaces) as one token.
fn tokens(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in expr.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ' ' if depth == 0 => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `strtoll(s, NULL, 10)`: the leading optional sign and digits, 0 if none.
fn leading_int(s: &str) -> i64 {
    let s = s.trim_start();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| sign * n)
}

/// Replaces every `SYM(name)` (balanced parentheses) in `value` through `resolve`; an
/// unresolved reference stays as written. After a substitution the scan resumes at the start
/// of the replacement, so a placeholder whose value holds another is expanded too (uWSGI
/// restarts the scan). Returns `Ok(None)` when nothing changed.
pub(crate) fn substitute_refs(
    value: &str,
    sym: char,
    mut resolve: impl FnMut(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    let mut text = value.to_owned();
    let mut pos = 0;
    let mut count = 0;
    let opener = format!("{sym}(");
    let mut changed = false;
    while let Some(found) = text[pos..].find(&opener) {
        let start = pos + found;
        let inner_start = start + 2;
        let mut depth = 0usize;
        let mut end = None;
        for (i, c) in text[inner_start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = Some(inner_start + i);
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let Some(end) = end else { break };
        let name = &text[inner_start..end];
        if name.is_empty() {
            pos = end + 1;
            continue;
        }
        match resolve(name) {
            Some(replacement) => {
                count += 1;
                if count > MAX_SUBSTITUTIONS {
                    return Err(format!(
                        "expanding `{}` takes more than {MAX_SUBSTITUTIONS} substitutions: does a `{sym}(…)` reference refer to itself?",
                        shorten(value)
                    ));
                }
                if text.len() - (end + 1 - start) + replacement.len() > MAX_VALUE_SIZE {
                    return Err(format!(
                        "expanding `{}` makes a value larger than 1 MiB",
                        shorten(value)
                    ));
                }
                text.replace_range(start..=end, &replacement);
                changed = true;
                pos = start;
            }
            None => pos = end + 1,
        }
    }
    Ok(changed.then_some(text))
}

/// The start of a long value, for messages.
fn shorten(value: &str) -> String {
    const SHOWN: usize = 60;
    match value.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_owned(),
    }
}

/// Reads a config file: a regular file of at most [`MAX_FILE_SIZE`], valid UTF-8.
/// `shown` names the file in messages, as the user wrote it.
pub fn read_limited(path: &Path, shown: &str) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("failed to read `{shown}`: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("failed to read `{shown}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!("`{shown}` is not a regular file"));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!(
            "`{shown}` is {} bytes, more than the 1 MiB a config may have",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("failed to read `{shown}`: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(format!(
            "`{shown}` is more than the 1 MiB a config may have"
        ));
    }
    decode_text(bytes, shown)
}

/// A config's bytes as text: refused when they hold a NUL byte or are not UTF-8 (the same
/// checks whether the bytes come from a file or from the emperor).
pub fn decode_text(bytes: Vec<u8>, shown: &str) -> Result<String, String> {
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        let line = bytes[..nul].split(|&b| b == b'\n').count();
        return Err(format!(
            "`{shown}` holds a NUL byte (line {line}): it is not a text file"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid].split(|&b| b == b'\n').count();
        format!("`{shown}` is not valid UTF-8 (line {line})")
    })
}
