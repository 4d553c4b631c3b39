//! The sandbox every case runs in: a temp dir as the working directory and a [`Context`] with
//! fixed host facts, environment and start time, so that results do not depend on the machine.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use emperor_options::effective::Value;
use emperor_options::load::Loaded;
use emperor_options::{Checked, Context, Diagnostic, Loader, Mode, Origin, Severity};
use emperor_sys::host::HostFacts;

/// Prefix of every sandbox directory; the snapshot filter replaces such paths by `[TMP]`.
pub const TMP_PREFIX: &str = "emperor-test-";

/// Snapshots `$value`, with temp dir paths replaced by `[TMP]`.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            filters => vec![(r"(/[^\s`:]*)?/emperor-test-[A-Za-z0-9_]+", "[TMP]")],
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}
pub(crate) use snapshot;

/// A temp dir that is the working directory of a hand-built [`Context`].
#[derive(Debug)]
pub struct Sandbox {
    _dir: tempfile::TempDir,
    /// The canonical path of the temp dir (`%d` and friends are canonical paths).
    pub root: PathBuf,
    pub ctx: Context,
}

impl Sandbox {
    /// host `web1`, user `alice` (1000), group `staff` (1000), 4 CPUs, started at
    /// 1700000000.123456, binary `/usr/bin/emperor`; environment `HOME=/home/alice`, `APP=demo`,
    /// `EMPTY=` and nothing else.
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir()
            .expect("create temp dir");
        let root = dir.path().canonicalize().expect("canonicalize temp dir");
        let ctx = Context {
            cwd: root.clone(),
            env: BTreeMap::from([
                ("HOME".to_owned(), "/home/alice".to_owned()),
                ("APP".to_owned(), "demo".to_owned()),
                ("EMPTY".to_owned(), String::new()),
            ]),
            host: HostFacts {
                hostname: "web1".to_owned(),
                uid: 1000,
                user: "alice".to_owned(),
                gid: 1000,
                group: "staff".to_owned(),
                cpus: 4,
            },
            binary: PathBuf::from("/usr/bin/emperor"),
            start: UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_000),
            reloading: false,
        };
        Sandbox {
            _dir: dir,
            root,
            ctx,
        }
    }

    /// Sets an environment variable of the context.
    pub fn env(mut self, key: &str, value: &str) -> Sandbox {
        self.ctx.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Writes `contents` to `name` (relative to the sandbox), creating directories.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    pub fn mkdir(&self, name: &str) -> PathBuf {
        let path = self.root.join(name);
        std::fs::create_dir_all(&path).expect("create dir");
        path
    }

    /// Loads `spec` (`FILE[:section]`) into the raw, expanded entry list.
    pub fn load(&self, spec: &str) -> Loaded {
        let mut loader = Loader::new(&self.ctx);
        loader.load_path(spec, None, &Origin::Builtin);
        loader.finish()
    }

    /// Writes `t.ini` with `[uwsgi]` and `lines`, then loads it.
    pub fn load_ini(&self, lines: &str) -> Loaded {
        self.write("t.ini", format!("[uwsgi]\n{lines}\n"));
        self.load("t.ini")
    }

    /// `emperor check FILE[:section]`.
    pub fn check(&self, spec: &str) -> Checked {
        emperor_options::check_file(&self.ctx, spec)
    }

    /// Writes `t.ini` with `[uwsgi]` and `lines`, then checks it.
    pub fn check_ini(&self, lines: &str) -> Checked {
        self.write("t.ini", format!("[uwsgi]\n{lines}\n"));
        self.check("t.ini")
    }

    /// A command line, after the `UWSGI_*` variables of the context.
    pub fn argv(&self, args: &[&str]) -> Checked {
        let args: Vec<String> = std::iter::once("emperor")
            .chain(args.iter().copied())
            .map(str::to_owned)
            .collect();
        emperor_options::from_command_line(&self.ctx, &args, Mode::Check)
    }

    /// A path inside the sandbox, as text.
    pub fn path(&self, name: &str) -> String {
        self.root.join(name).to_string_lossy().into_owned()
    }
}

/// The entries as `key` or `key = value` lines.
pub fn entry_lines(loaded: &Loaded) -> Vec<String> {
    loaded
        .entries
        .iter()
        .map(|e| match &e.value {
            Some(v) => format!("{} = {v}", e.key),
            None => e.key.clone(),
        })
        .collect()
}

/// The value of the first entry named `key` (`None` if absent or a bare key).
pub fn first_value(loaded: &Loaded, key: &str) -> Option<String> {
    loaded
        .entries
        .iter()
        .find(|e| e.key == key)
        .and_then(|e| e.value.clone())
}

/// Every diagnostic as the user sees it, one after the other.
pub fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let _ = writeln!(out, "{d}");
    }
    out
}

/// Diagnostics other than the option-status ones (`not implemented yet`, `has no effect`),
/// which change as issues land; value tables pin only what the value rules say.
pub fn render_without_status(diags: &[Diagnostic]) -> String {
    let kept: Vec<Diagnostic> = diags
        .iter()
        .filter(|d| {
            !(d.message.ends_with("is not implemented yet")
                || d.message.contains("` has no effect: "))
        })
        .cloned()
        .collect();
    render(&kept)
}

pub fn errors(diags: &[Diagnostic]) -> usize {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// The values of an effective option, rendered as `emperor check` prints them.
pub fn values(checked: &Checked, name: &str) -> Vec<String> {
    checked
        .effective
        .items(name)
        .iter()
        .map(|i| i.value.render())
        .collect()
}

/// The typed value of an effective option's last item.
pub fn last(checked: &Checked, name: &str) -> Option<Value> {
    checked.effective.last(name).map(|i| i.value.clone())
}

/// The origin of an effective option's last item, as `file:line`.
pub fn origin_of(checked: &Checked, name: &str) -> String {
    checked
        .effective
        .last(name)
        .map(|i| i.origin.to_string())
        .unwrap_or_default()
}

/// Adds a row to a table snapshot: its name, the input and what came out.
pub fn row(out: &mut String, name: &str, input: &str, result: &str, diags: &str) {
    let _ = writeln!(out, "--- {name}");
    for line in input.lines() {
        let _ = writeln!(out, "  | {line}");
    }
    if !result.is_empty() {
        let _ = writeln!(out, "  => {result}");
    }
    out.push_str(diags);
}
