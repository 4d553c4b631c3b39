//! The option table: every option uWSGI defines, each defined once.
//!
//! One [`OptionDef`] per option carries its canonical name, aliases, short flag, value kind,
//! scope, default, a one-line doc and its status in emperor. The table drives the argv
//! grammar, the loaders' classification of keys, typed values, `emperor check` and the
//! generated `docs/options.md`. The entries live in `defs.rs`; this module is the API.
//!
//! The table knows every option name of uWSGI 2.0 (core and plugins) and the 2.1 additions, so
//! a real uWSGI option is never called unknown: what we do not implement says so by name
//! ([`Status::Unsupported`]), with what will not happen.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::defs::GROUP_REASONS;
pub use crate::defs::OPTIONS;

/// The kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A boolean, uWSGI's `uwsgi_opt_true`: only `false`, `off`, `no` (any case) and `0` are
    /// false; a bare key or a command-line flag is true.
    Flag,
    /// A non-negative integer (`uwsgi_opt_set_int`).
    Int,
    /// A byte count (`uwsgi_opt_set_64bit`), no suffixes.
    Size,
    /// A number of megabytes (`uwsgi_opt_set_megabytes`), decimals allowed.
    Megabytes,
    /// A string; the last occurrence wins.
    Str,
    /// A string that may be given many times; every occurrence appends.
    List,
    /// A directive of the config language (`ini`, `set`, `if-env`, `endif`…), consumed by the
    /// loader and never part of the effective configuration.
    Directive,
}

/// How the command line takes the option's value (getopt's `has_arg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arg {
    /// `--master`; `--master=false` is also accepted.
    None,
    /// `--socket ADDR` or `--socket=ADDR`.
    Required,
    /// `--chmod-socket` or `--chmod-socket=660`, never a separate word.
    Optional,
}

/// Which role reads the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read by a vassal (an app server).
    Vassal,
    /// Read by the Emperor.
    Emperor,
    /// Read by both (e.g. `uid`, `pidfile`, `logto`).
    Both,
}

/// What emperor does with the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// It works.
    Implemented,
    /// Parsed and type-checked; warns "not implemented yet" until an issue lands it.
    Planned,
    /// Accepted and deliberately ignored; the reason says why that is fine.
    NoOp(&'static str),
    /// A real uWSGI option we do not implement: a warning says what will not happen. An empty
    /// reason means the reason of the option's group (its uWSGI plugin).
    Unsupported(&'static str),
}

/// One option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub short: Option<char>,
    pub kind: Kind,
    pub arg: Arg,
    pub scope: Scope,
    /// The default as it would be written in an ini file; `None` when unset by default.
    pub default: Option<&'static str>,
    pub doc: &'static str,
    pub status: Status,
    /// uWSGI's plugin defining the option, or `core`.
    pub group: &'static str,
    /// Setting the option turns `master` on (uWSGI's `UWSGI_OPT_MASTER`).
    pub implies_master: bool,
    /// Setting the option turns `enable-threads` on (uWSGI's `UWSGI_OPT_THREADS`).
    pub implies_threads: bool,
}

/// Starts the definition of `name`, taking values of `kind`. Unless told otherwise the option
/// is a vassal option of uWSGI's core, unsupported, with no default and no short flag.
pub const fn opt(name: &'static str, kind: Kind) -> OptionDef {
    OptionDef {
        name,
        aliases: &[],
        short: None,
        kind,
        arg: match kind {
            Kind::Flag => Arg::None,
            _ => Arg::Required,
        },
        scope: Scope::Vassal,
        default: None,
        doc: "",
        status: Status::Unsupported(""),
        group: "core",
        implies_master: false,
        implies_threads: false,
    }
}

impl OptionDef {
    #[must_use]
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
    #[must_use]
    pub const fn short(mut self, c: char) -> Self {
        self.short = Some(c);
        self
    }
    #[must_use]
    pub const fn arg(mut self, arg: Arg) -> Self {
        self.arg = arg;
        self
    }
    #[must_use]
    pub const fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }
    #[must_use]
    pub const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }
    #[must_use]
    pub const fn doc(mut self, doc: &'static str) -> Self {
        self.doc = doc;
        self
    }
    #[must_use]
    pub const fn group(mut self, group: &'static str) -> Self {
        self.group = group;
        self
    }
    #[must_use]
    pub const fn implemented(mut self) -> Self {
        self.status = Status::Implemented;
        self
    }
    #[must_use]
    pub const fn planned(mut self) -> Self {
        self.status = Status::Planned;
        self
    }
    #[must_use]
    pub const fn noop(mut self, reason: &'static str) -> Self {
        self.status = Status::NoOp(reason);
        self
    }
    #[must_use]
    pub const fn unsupported(mut self, what_will_not_happen: &'static str) -> Self {
        self.status = Status::Unsupported(what_will_not_happen);
        self
    }
    #[must_use]
    pub const fn master(mut self) -> Self {
        self.implies_master = true;
        self
    }
    #[must_use]
    pub const fn threads(mut self) -> Self {
        self.implies_threads = true;
        self
    }

    /// Whether values of this option append (list) rather than replace (scalar).
    pub fn is_list(&self) -> bool {
        self.kind == Kind::List
    }

    /// For an unsupported option: what will not happen, in a few words.
    pub fn unsupported_reason(&self) -> Option<String> {
        match self.status {
            Status::Unsupported("") => Some(group_reason(self.group)),
            Status::Unsupported(reason) => Some(reason.to_owned()),
            _ => None,
        }
    }
}

fn group_reason(group: &str) -> String {
    GROUP_REASONS.iter().find(|(g, _)| *g == group).map_or_else(
        || format!("uWSGI's `{group}` plugin is not part of emperor"),
        |(_, r)| (*r).to_owned(),
    )
}

struct Index {
    by_name: HashMap<&'static str, usize>,
    by_short: HashMap<char, usize>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut by_name = HashMap::new();
    let mut by_short = HashMap::new();
    for (i, def) in OPTIONS.iter().enumerate() {
        let previous = by_name.insert(def.name, i);
        debug_assert!(previous.is_none(), "option `{}` defined twice", def.name);
        for alias in def.aliases {
            let previous = by_name.insert(*alias, i);
            debug_assert!(previous.is_none(), "alias `{alias}` defined twice");
        }
        if let Some(c) = def.short {
            by_short.entry(c).or_insert(i);
        }
    }
    Index { by_name, by_short }
});

/// Finds an option by canonical name or alias.
pub fn lookup(name: &str) -> Option<&'static OptionDef> {
    INDEX.by_name.get(name).map(|&i| &OPTIONS[i])
}

/// Finds an option by its short command-line flag (`-s`, `-p`, `-M`…).
pub fn lookup_short(c: char) -> Option<&'static OptionDef> {
    INDEX.by_short.get(&c).map(|&i| &OPTIONS[i])
}

/// The closest option name to an unknown key, if one is close enough to be a likely typo.
///
/// Short keys only match at one edit (`gid` must not suggest `pid`-like words two edits
/// away), and two- or three-letter aliases (`pp`, `st`, `js`) are never suggested.
pub fn suggest(unknown: &str) -> Option<&'static str> {
    let unknown_lc = unknown.to_ascii_lowercase().replace('_', "-");
    if let Some(def) = lookup(&unknown_lc) {
        return Some(def.name);
    }
    let max_distance = if unknown_lc.len() <= 5 { 1 } else { 2 };
    let mut best: Option<(usize, u64, &'static str)> = None;
    for name in INDEX.by_name.keys().filter(|n| n.len() > 3) {
        let reordered = same_words(&unknown_lc, name);
        let distance = if reordered {
            0
        } else {
            strsim::damerau_levenshtein(&unknown_lc, name)
        };
        // Similarity as an integer, so candidates compare without float equality.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let similarity = (strsim::jaro_winkler(&unknown_lc, name) * 1e6) as u64;
        let close = distance <= max_distance
            || (similarity > 940_000 && unknown_lc.len() > 6)
            || (unknown_lc.len() > 6 && name.contains(&unknown_lc))
            || (name.len() >= 5 && unknown_lc.starts_with(&format!("{name}-")))
            || reordered;
        let better = best.is_none_or(|(d, s, n)| {
            (distance, u64::MAX - similarity, *name) < (d, u64::MAX - s, n)
        });
        if close && better {
            best = Some((distance, similarity, *name));
        }
    }
    best.map(|(_, _, name)| lookup(name).map_or(name, |def| def.name))
}

/// Whether two dashed names have the same words in another order (`master-log` and
/// `log-master`).
fn same_words(a: &str, b: &str) -> bool {
    let mut a: Vec<&str> = a.split('-').collect();
    let mut b: Vec<&str> = b.split('-').collect();
    a.sort_unstable();
    b.sort_unstable();
    a.len() > 1 && a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_uwsgi_option_name_is_known() {
        let names = include_str!("../tests/data/uwsgi-option-names.txt");
        let missing: Vec<&str> = names
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter(|n| lookup(n).is_none())
            .collect();
        assert!(missing.is_empty(), "unknown uWSGI options: {missing:?}");
    }

    #[test]
    fn names_aliases_and_short_flags_are_unique() {
        let mut names = HashSet::new();
        let mut shorts = HashSet::new();
        for def in OPTIONS {
            for name in std::iter::once(&def.name).chain(def.aliases) {
                assert!(names.insert(*name), "`{name}` defined twice");
            }
            if let Some(c) = def.short {
                assert!(shorts.insert(c), "short flag `-{c}` on two options");
            }
        }
    }

    #[test]
    fn every_unsupported_option_says_what_will_not_happen() {
        for def in OPTIONS {
            if let Status::Unsupported("") = def.status {
                assert_ne!(
                    def.group, "core",
                    "core option `{}` needs its own reason",
                    def.name
                );
                assert!(
                    GROUP_REASONS.iter().any(|(g, _)| *g == def.group),
                    "group `{}` has no reason",
                    def.group
                );
            }
            if matches!(
                def.status,
                Status::Implemented | Status::Planned | Status::NoOp(_)
            ) {
                assert!(!def.doc.is_empty(), "`{}` needs a doc line", def.name);
            }
        }
    }

    #[test]
    fn aliases_resolve_to_canonical_names() {
        for (alias, canonical) in [
            ("workers", "processes"),
            ("venv", "home"),
            ("virtualenv", "home"),
            ("stats-server", "stats"),
            ("wsgi", "module"),
            ("file", "wsgi-file"),
            ("plugin", "plugins"),
            ("set-ph", "set-placeholder"),
            ("ifenv", "if-env"),
            ("vassal-set", "vassals-set"),
            ("logdate", "log-date"),
        ] {
            assert_eq!(lookup(alias).map(|d| d.name), Some(canonical), "{alias}");
        }
        for (c, name) in [
            ('s', "socket"),
            ('p', "processes"),
            ('M', "master"),
            ('w', "module"),
            ('H', "home"),
            ('t', "harakiri"),
        ] {
            assert_eq!(lookup_short(c).map(|d| d.name), Some(name), "-{c}");
        }
    }

    #[test]
    fn suggestions_catch_real_typos_and_leave_placeholders_alone() {
        for (typo, fix) in [
            ("harakari", Some("harakiri")),
            ("proceses", Some("processes")),
            ("process", Some("processes")),
            ("thread", Some("threads")),
            ("vaccum", Some("vacuum")),
            ("deamonize", Some("daemonize")),
            ("socker", Some("socket")),
            ("chmod-sock", Some("chmod-socket")),
            ("master-log", Some("log-master")),
            ("strict-mode", Some("strict")),
            ("py-callos-afterfork", Some("py-call-osafterfork")),
            ("HARAKIRI", Some("harakiri")),
            ("chmod_socket", Some("chmod-socket")),
            ("base", None),
            ("app", None),
            ("project", None),
            ("port", None),
        ] {
            assert_eq!(suggest(typo), fix, "{typo}");
        }
    }
}
