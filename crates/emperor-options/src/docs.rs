//! `docs/options.md`, generated from the option table.
//!
//! Regenerate with `scripts/gen-docs`; a test fails when the checked-in file is stale.

use std::fmt::Write as _;

use crate::table::{Kind, OPTIONS, OptionDef, Scope, Status};

/// Picks the options of one section of the page by status.
type Pick = fn(&Status) -> bool;

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Flag => "flag",
        Kind::Int => "int",
        Kind::Size => "size",
        Kind::Megabytes => "megabytes",
        Kind::Str => "string",
        Kind::List => "list",
        Kind::Directive => "directive",
    }
}

fn scope(s: Scope) -> &'static str {
    match s {
        Scope::Vassal => "vassal",
        Scope::Emperor => "emperor",
        Scope::Both => "both",
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn row(out: &mut String, def: &OptionDef, note: &str) {
    let mut names = format!("`{}`", def.name);
    for alias in def.aliases {
        let _ = write!(names, ", `{alias}`");
    }
    if let Some(c) = def.short {
        let _ = write!(names, ", `-{c}`");
    }
    let default = def.default.map(|d| format!("`{d}`")).unwrap_or_default();
    let doc = if note.is_empty() {
        cell(def.doc)
    } else if def.doc.is_empty() {
        cell(note)
    } else {
        format!("{} — {}", cell(def.doc), cell(note))
    };
    let _ = writeln!(
        out,
        "| {names} | {} | {} | {default} | {doc} |",
        kind(def.kind),
        scope(def.scope)
    );
}

/// The whole of `docs/options.md`.
pub fn options_markdown() -> String {
    let mut out = String::new();
    let count = |f: fn(&Status) -> bool| OPTIONS.iter().filter(|d| f(&d.status)).count();
    let implemented = count(|s| matches!(s, Status::Implemented));
    let planned = count(|s| matches!(s, Status::Planned));
    let noop = count(|s| matches!(s, Status::NoOp(_)));
    let unsupported = count(|s| matches!(s, Status::Unsupported(_)));
    let names: usize = OPTIONS.iter().map(|d| 1 + d.aliases.len()).sum();
    let _ = writeln!(out, "# Options\n");
    let _ = writeln!(
        out,
        "Generated from the option table (`crates/emperor-options/src/defs.rs`) by `scripts/gen-docs`; do not edit by hand.\n"
    );
    let _ = writeln!(
        out,
        "The table knows every option of uWSGI 2.0 and 2.1 ({} options, {names} names with aliases): \
         {implemented} implemented, {planned} planned (parsed and type-checked, warn \"not implemented yet\"), \
         {noop} accepted as no-ops, {unsupported} unsupported (warn what will not happen). \
         An unknown key gets a warning with a did-you-mean; `strict = true` turns every warning into an error.\n",
        OPTIONS.len()
    );
    let _ = writeln!(
        out,
        "Kinds: `flag` is true unless `false`, `off`, `no` or `0`; `int` and `size` are plain numbers (sizes in bytes, no suffix); `megabytes` accepts decimals; a `list` option appends every value; other options keep their last value.\n"
    );
    let sections: [(&str, Pick); 4] = [
        ("Implemented", |s| matches!(s, Status::Implemented)),
        ("Planned", |s| matches!(s, Status::Planned)),
        ("No-op", |s| matches!(s, Status::NoOp(_))),
        ("Unsupported", |s| matches!(s, Status::Unsupported(_))),
    ];
    for (title, pick) in sections {
        let mut defs: Vec<&OptionDef> = OPTIONS.iter().filter(|d| pick(&d.status)).collect();
        defs.sort_by_key(|d| (d.group != "core", d.group, d.name));
        let _ = writeln!(out, "## {title}\n");
        let _ = writeln!(out, "| option | kind | scope | default | description |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for def in defs {
            let note = match def.status {
                Status::NoOp(reason) => format!("no effect: {reason}"),
                Status::Unsupported(_) => format!(
                    "not supported: {}",
                    def.unsupported_reason().unwrap_or_default()
                ),
                _ if def.group != "core" => format!("uWSGI `{}` plugin", def.group),
                _ => String::new(),
            };
            row(&mut out, def, &note);
        }
        out.push('\n');
    }
    out
}
