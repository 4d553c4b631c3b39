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

/// Escapes text for roff: backslashes, and a leading `.` or `'` that would read as a request.
fn roff(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// The man page `emperor(8)`, generated from the option table (implemented options only;
/// the rest are listed in `docs/options.md`).
pub fn man_page(version: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        ".TH EMPEROR 8 \"\" \"emperor {version}\" \"System Administration\""
    );
    let _ = writeln!(
        out,
        ".SH NAME\nemperor \\- uWSGI's Emperor and vassal runtime for Python WSGI apps"
    );
    let _ = writeln!(
        out,
        ".SH SYNOPSIS\n.B emperor\n.I FILE.ini\n.br\n.B emperor\n\\-\\-emperor\n.I DIR\n[\\fIOPTIONS\\fR]\n.br\n.B emperor\n[\\fIOPTIONS\\fR]\n.br\n.B emperor check\n.IR FILE ...\n.br\n.B emperor stats\n.I ADDR\n[\\-\\-format json]\n.br\n.B emperor top\n.I ADDR"
    );
    let _ = writeln!(
        out,
        ".SH DESCRIPTION\n\
         One program plays every role of uWSGI's process tree. With \\fBemperor\\fR among its \
         options it is the Emperor: every \\fB.ini\\fR, \\fB.xml\\fR or \\fB.json\\fR file in the \
         watched directories becomes a vassal, started, reloaded when the file changes and \
         stopped when it is removed; with \\fBemperor\\-tyrant\\fR each vassal runs as the owner \
         of its file. Otherwise it is a vassal: a master process and a pool of workers serving \
         a Python WSGI app over the uwsgi protocol (nginx \\fBuwsgi_pass\\fR) or HTTP.\n\
         .PP\n\
         The command line is uWSGI's: \\fB\\-\\-key value\\fR, \\fB\\-\\-key=value\\fR, flags, \
         short aliases, and config files (\\fB.ini\\fR, \\fB.xml\\fR, \\fB.json\\fR, optionally \
         \\fIFILE:section\\fR). Existing uWSGI files work unchanged; unknown keys get a warning \
         with a suggestion, and \\fBstrict = true\\fR turns warnings into errors."
    );
    let _ = writeln!(
        out,
        ".SH COMMANDS\n\
         .TP\n\\fBcheck\\fR \\fIFILE\\fR...\nValidate config files like \\fBnginx \\-t\\fR: the effective options on stdout, every warning and error with its file and line on stderr; exit 1 on any error.\n\
         .TP\n\\fBstats\\fR \\fIADDR\\fR\nShow a stats socket (a vassal's or the Emperor's) as a table; \\fB\\-\\-format json\\fR prints the document.\n\
         .TP\n\\fBtop\\fR \\fIADDR\\fR\nA live view of a stats socket, like uwsgitop."
    );
    let _ = writeln!(
        out,
        ".SH SIGNALS\n\
         .TP\n\\fBSIGHUP\\fR\nEmperor: reload every vassal. Vassal: graceful reload (the new config is checked first).\n\
         .TP\n\\fBSIGTERM\\fR\nGraceful stop (requests finish), then exit 0; a second signal escalates.\n\
         .TP\n\\fBSIGINT\\fR, \\fBSIGQUIT\\fR\nBrutal stop.\n\
         .TP\n\\fBSIGUSR1\\fR\nLog each vassal's state (Emperor) or the workers' counters (vassal).\n\
         .TP\n\\fBSIGWINCH\\fR, \\fBSIGURG\\fR\nEmperor: rescan now; clear every backoff.\n\
         .TP\n\\fBSIGTTIN\\fR, \\fBSIGTTOU\\fR\nVassal: add or remove a worker."
    );
    for (title, wanted) in [
        ("EMPEROR OPTIONS", Scope::Emperor),
        ("VASSAL OPTIONS", Scope::Vassal),
        ("OPTIONS OF BOTH ROLES", Scope::Both),
    ] {
        let _ = writeln!(out, ".SH {title}");
        for def in OPTIONS
            .iter()
            .filter(|d| d.scope == wanted && matches!(d.status, Status::Implemented))
        {
            let mut names = format!("\\fB\\-\\-{}\\fR", roff(def.name));
            for alias in def.aliases {
                let _ = write!(names, ", \\fB\\-\\-{}\\fR", roff(alias));
            }
            if let Some(c) = def.short {
                let _ = write!(names, ", \\fB\\-{c}\\fR");
            }
            if def.kind != Kind::Flag {
                let _ = write!(names, " \\fI{}\\fR", kind(def.kind));
            }
            let mut doc = roff(def.doc);
            if let Some(d) = def.default {
                let _ = write!(doc, " (default: {})", roff(d));
            }
            let _ = writeln!(out, ".TP\n{names}\n{doc}");
        }
    }
    let _ = writeln!(
        out,
        ".SH FILES\n\
         .TP\n\\fI/etc/emperor.ini\\fR\nThe Emperor of the host (tyrant mode on \\fI/etc/uwsgi.d\\fR).\n\
         .TP\n\\fI/etc/uwsgi.d/\\fR\nVassal files, each owned by the user its app runs as.\n\
         .TP\n\\fI/run/uwsgi/stats.sock\\fR\nThe Emperor's stats socket: \\fBemperor stats /run/uwsgi/stats.sock\\fR.\n\
         .SH SEE ALSO\n\\fBuwsgi\\fR(1), \\fBsystemd.service\\fR(5); every option with its status: \
         /usr/share/doc/emperor/options.md"
    );
    out
}
