//! From the ordered entry list to the effective configuration.
//!
//! Each key is classified once the whole list is known: an option of the table (by name or
//! alias), a placeholder (referenced as `%(key)` or by `if-opt`, or declared with
//! `set-placeholder`), or an unknown key, which gets a warning with a did-you-mean. Option
//! values are typed by the option's [`Kind`]: booleans exactly as uWSGI reads them, integers
//! and sizes refusing junk. Scalars keep their last value, lists every value in order.
//!
//! Warnings never stop a vassal, unless the configuration sets `strict = true`, uWSGI's own
//! option, which turns every warning into an error.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::diag::{Diagnostic, Origin, Severity};
use crate::load::Loaded;
use crate::table::{self, Kind, OptionDef, Status};

/// A typed option value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Flag(bool),
    /// `Int` and `Size` options.
    Number(u64),
    /// `Megabytes` options, which accept decimals.
    Megabytes(f64),
    /// `Str` and `List` options; `None` for a bare key.
    Text(Option<String>),
}

impl Value {
    /// The value as it is written back in an INI file (before `%` escaping).
    pub fn render(&self) -> String {
        match self {
            Value::Flag(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Megabytes(m) => m.to_string(),
            Value::Text(t) => t.clone().unwrap_or_default(),
        }
    }
}

/// One value of an option, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub value: Value,
    pub origin: Origin,
}

/// An option that was set: its last value (scalars) or all its values (lists).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub def: &'static OptionDef,
    pub items: Vec<Item>,
}

/// A placeholder key and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub key: String,
    pub value: String,
    pub origin: Origin,
}

/// The effective configuration: what was set, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effective {
    pub settings: Vec<Setting>,
    pub placeholders: Vec<Placeholder>,
}

/// Options whose value names a file or directory: a boolean there is almost always a mistake
/// (`daemonize = true` logs to a file named `true`).
const PATH_OPTIONS: &[&str] = &[
    "daemonize",
    "daemonize2",
    "logto",
    "logto2",
    "pidfile",
    "pidfile2",
    "safe-pidfile",
    "safe-pidfile2",
    "touch-reload",
    "touch-chain-reload",
    "touch-workers-reload",
    "chdir",
    "chdir2",
    "emperor",
    "wsgi-file",
    "home",
    "master-fifo",
];

fn is_boolean_word(v: &str) -> bool {
    ["true", "false", "yes", "no", "on", "off"]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w))
}

/// Where an inline comment starts in a value (` ;` or ` #`), if it seems to hold one.
fn inline_comment(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    (1..bytes.len())
        .find(|&i| (bytes[i] == b';' || bytes[i] == b'#') && bytes[i - 1].is_ascii_whitespace())
}

impl Effective {
    /// Classifies and types `loaded`. Returns the configuration and every diagnostic (the
    /// loader's included), with warnings turned into errors under `strict = true`.
    pub fn resolve(loaded: Loaded) -> (Effective, Vec<Diagnostic>) {
        let mut diags = loaded.diagnostics;
        let mut effective = Effective::default();
        let mut index: HashMap<&'static str, usize> = HashMap::new();
        for entry in loaded.entries {
            let Some(def) = table::lookup(&entry.key) else {
                if loaded.referenced.contains(&entry.key) || loaded.declared.contains(&entry.key) {
                    effective.placeholders.push(Placeholder {
                        key: entry.key,
                        value: entry.value.unwrap_or_default(),
                        origin: entry.origin,
                    });
                } else {
                    diags.push(unknown_key(
                        &entry.key,
                        entry.value.as_deref(),
                        entry.origin,
                    ));
                }
                continue;
            };
            if def.kind == Kind::Directive {
                continue;
            }
            let raw = entry.value.as_deref();
            if let Some(v) = raw
                && inline_comment(v).is_some()
            {
                diags.push(
                    Diagnostic::warning(
                        entry.origin.clone(),
                        format!("`{v}`: uWSGI has no inline comments, the text after `;`/`#` is part of the value"),
                    )
                    .with_hint("move the comment to a line of its own"),
                );
            }
            let Some(value) = type_value(def, &entry.key, raw, &entry.origin, &mut diags) else {
                continue;
            };
            let item = Item {
                value,
                origin: entry.origin,
            };
            match index.get(def.name) {
                Some(&i) if def.is_list() => effective.settings[i].items.push(item),
                Some(&i) => effective.settings[i].items = vec![item],
                None => {
                    index.insert(def.name, effective.settings.len());
                    effective.settings.push(Setting {
                        def,
                        items: vec![item],
                    });
                }
            }
        }
        for setting in &effective.settings {
            if let Some(d) = status_diagnostic(setting) {
                diags.push(d);
            }
        }
        if effective.flag("strict") {
            for d in &mut diags {
                if d.severity == Severity::Warning {
                    d.severity = Severity::Error;
                    d.message.push_str(" (strict mode)");
                }
            }
        }
        (effective, diags)
    }

    pub fn get(&self, name: &str) -> Option<&Setting> {
        let def = table::lookup(name)?;
        self.settings
            .iter()
            .find(|s| std::ptr::eq(s.def, def) || s.def.name == def.name)
    }

    /// The last item of an option, if set.
    pub fn last(&self, name: &str) -> Option<&Item> {
        self.get(name).and_then(|s| s.items.last())
    }

    /// A flag's value: set, else its default, else false.
    pub fn flag(&self, name: &str) -> bool {
        match self.last(name).map(|i| &i.value) {
            Some(Value::Flag(b)) => *b,
            Some(Value::Number(n)) => *n != 0,
            _ => table::lookup(name)
                .and_then(|d| d.default)
                .is_some_and(|d| d == "true" || d == "1"),
        }
    }

    /// A number's value: set, else its default.
    pub fn number(&self, name: &str) -> Option<u64> {
        match self.last(name).map(|i| &i.value) {
            Some(Value::Number(n)) => Some(*n),
            Some(Value::Flag(b)) => Some(u64::from(*b)),
            _ => table::lookup(name)
                .and_then(|d| d.default)
                .and_then(|d| d.parse().ok()),
        }
    }

    /// A string's value (`Some("")` for a bare key): set, else its default.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.last(name).map(|i| &i.value) {
            Some(v) => Some(v.render()),
            None => table::lookup(name)
                .and_then(|d| d.default)
                .map(str::to_owned),
        }
    }

    /// Every value of a list option, in order.
    pub fn items(&self, name: &str) -> &[Item] {
        self.get(name).map_or(&[], |s| s.items.as_slice())
    }

    /// The configuration as an INI `[uwsgi]` section: canonical names, each scalar once,
    /// each list value on its own line, with `; from FILE:LINE` comments when `verbose`.
    /// `%` is written `%%` so that reading the output back gives the same values.
    pub fn to_ini(&self, verbose: bool) -> String {
        let mut out = String::from("[uwsgi]\n");
        for setting in &self.settings {
            for item in &setting.items {
                if verbose {
                    let _ = writeln!(out, "; from {}", item.origin);
                }
                let value = item.value.render().replace('%', "%%");
                let _ = writeln!(out, "{} = {value}", setting.def.name);
            }
        }
        out
    }
}

fn unknown_key(key: &str, value: Option<&str>, origin: Origin) -> Diagnostic {
    if key.is_empty() {
        return Diagnostic::warning(origin, "line with an empty key is ignored")
            .with_hint("a leftover merge-conflict marker (`=======`)?");
    }
    if let Some((first, rest)) = key.split_once([' ', '\t'])
        && table::lookup(first).is_some()
    {
        let fixed = match value {
            Some(value) => format!("{first} = {}={value}", rest.trim()),
            None => format!("{first} = {}", rest.trim()),
        };
        return Diagnostic::warning(
            origin,
            format!("unknown option `{key}`: a space where `=` belongs?"),
        )
        .with_hint(format!(
            "uWSGI splits at the first `=`, so this line sets nothing; write `{fixed}`"
        ));
    }
    let d = Diagnostic::warning(origin, format!("unknown option `{key}`"));
    match table::suggest(key) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(format!(
            "if `{key}` is a placeholder, use it as `%({key})` or declare it with `set-placeholder`"
        )),
    }
}

fn status_diagnostic(setting: &Setting) -> Option<Diagnostic> {
    let def = setting.def;
    let origin = setting.items.first()?.origin.clone();
    match def.status {
        Status::Implemented => None,
        Status::Planned => Some(Diagnostic::warning(
            origin,
            format!("option `{}` is not implemented yet", def.name),
        )),
        Status::NoOp(reason) => Some(Diagnostic::note(
            origin,
            format!("option `{}` has no effect: {reason}", def.name),
        )),
        Status::Unsupported(_) => Some(Diagnostic::warning(
            origin,
            format!(
                "option `{}` is not supported: {}",
                def.name,
                def.unsupported_reason().unwrap_or_default()
            ),
        )),
    }
}

/// Types one raw value; `None` (with an error pushed) when it cannot be read.
fn type_value(
    def: &OptionDef,
    key: &str,
    raw: Option<&str>,
    origin: &Origin,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let name = def.name;
    // The part before an inline comment: what uWSGI's strtol and the boolean test read.
    let bare = raw.map(|v| inline_comment(v).map_or(v, |i| v[..i].trim_end()));
    match def.kind {
        Kind::Flag => {
            Some(Value::Flag(match bare {
                None | Some("") => true,
                Some(v)
                    if ["false", "off", "no"]
                        .iter()
                        .any(|w| v.eq_ignore_ascii_case(w))
                        || v == "0" =>
                {
                    false
                }
                Some(v) => {
                    if !is_boolean_word(v) && v != "1" {
                        diags.push(
                        Diagnostic::warning(origin.clone(), format!("`{key} = {v}` is read as true"))
                            .with_hint("only `false`, `off`, `no` and `0` are false; write `true` or `false`"),
                    );
                    }
                    true
                }
            }))
        }
        Kind::Int | Kind::Size => {
            let Some(v) = bare else {
                diags.push(Diagnostic::note(
                    origin.clone(),
                    format!("bare `{key}` is read as `{key} = 1` (uWSGI reads 0 from a bare key in a file)"),
                ));
                return Some(Value::Number(1));
            };
            if v.is_empty() {
                diags.push(Diagnostic::warning(
                    origin.clone(),
                    format!("`{key}` has an empty value, read as 0"),
                ));
                return Some(Value::Number(0));
            }
            if ["true", "yes", "on"]
                .iter()
                .any(|w| v.eq_ignore_ascii_case(w))
            {
                diags.push(Diagnostic::note(
                    origin.clone(),
                    format!("`{key} = {v}` is read as 1 (uWSGI reads 0, which turns `{name}` off)"),
                ));
                return Some(Value::Number(1));
            }
            if ["false", "no", "off"]
                .iter()
                .any(|w| v.eq_ignore_ascii_case(w))
            {
                return Some(Value::Number(0));
            }
            match v.parse::<u64>() {
                Ok(n) => {
                    if def.kind == Kind::Int && n > u64::from(u32::MAX) {
                        diags.push(Diagnostic::error(
                            origin.clone(),
                            format!("`{key} = {v}` is too large"),
                        ));
                        return None;
                    }
                    Some(Value::Number(n))
                }
                Err(_)
                    if v.starts_with('-')
                        && v[1..].bytes().all(|b| b.is_ascii_digit())
                        && v.len() > 1 =>
                {
                    diags.push(Diagnostic::error(
                        origin.clone(),
                        format!("`{key} = {v}` must not be negative"),
                    ));
                    None
                }
                Err(_) => {
                    let hint = if def.kind == Kind::Size {
                        "sizes are plain byte counts without suffix, e.g. `32768` (uWSGI would read `32k` as 32)"
                    } else {
                        "write a whole number, e.g. `4`"
                    };
                    diags.push(
                        Diagnostic::error(origin.clone(), format!("`{key} = {v}` is not a number"))
                            .with_hint(hint),
                    );
                    None
                }
            }
        }
        Kind::Megabytes => {
            let v = bare.unwrap_or("1");
            match v.parse::<f64>() {
                Ok(m) if m >= 0.0 && m.is_finite() => Some(Value::Megabytes(m)),
                _ => {
                    diags.push(
                        Diagnostic::error(
                            origin.clone(),
                            format!("`{key} = {v}` is not a number of megabytes"),
                        )
                        .with_hint("write a number such as `512` or `1.5`"),
                    );
                    None
                }
            }
        }
        Kind::Str | Kind::List => {
            if let Some(v) = raw
                && PATH_OPTIONS.contains(&name)
                && (is_boolean_word(v) || v == "1")
            {
                let message = if name.starts_with("daemonize") {
                    format!("`{key} = {v}` detaches and logs to a file named `{v}`")
                } else {
                    format!("`{key} = {v}` names a file or directory called `{v}`")
                };
                diags.push(
                    Diagnostic::warning(origin.clone(), message)
                        .with_hint(format!("`{name}` takes a path")),
                );
            }
            Some(Value::Text(raw.map(str::to_owned)))
        }
        Kind::Directive => None,
    }
}
