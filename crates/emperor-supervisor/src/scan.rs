//! What the vassal directories hold: a full scan, and which names are vassal files.
//!
//! A scan is cheap (one `readdir` and one `lstat` per entry) and is the ground truth: the
//! watcher only says *when* to scan. A file's identity for change detection is (device,
//! inode, size, mtime ns, ctime ns), so a same-second edit or an atomic rename of a file with
//! an older mtime is a change (uWSGI compares whole-second mtimes and misses both).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use emperor_proto::link::MAX_CONFIG;

/// What identifies one version of a vassal file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub uid: u32,
    pub gid: u32,
}

impl FileState {
    pub fn of(meta: &std::fs::Metadata) -> FileState {
        FileState {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }

    /// Seconds since the epoch of the modification time (uWSGI's `last_mod`).
    pub fn mtime_secs(&self) -> i64 {
        i64::try_from(self.mtime_ns / 1_000_000_000).unwrap_or(0)
    }
}

/// One entry the scan found that the emperor will track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub state: FileState,
    /// Why this file will not be run (unsupported format, duplicate name…); `None` when it
    /// is a vassal to run.
    pub refusal: Option<String>,
    /// The `emperor` value (directory or glob) it was found through.
    pub monitor: String,
    /// On-demand mode: the socket the emperor listens on for this vassal
    /// (`emperor-on-demand-directory` / `emperor-on-demand-extension`).
    pub on_demand: Option<String>,
}

/// Where on-demand sockets come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnDemand {
    /// `emperor-on-demand-directory DIR`: `DIR/<name>.socket` (UNIX).
    pub dir: Option<PathBuf>,
    /// `emperor-on-demand-extension EXT`: the first line of the file `<vassal file>EXT`.
    pub ext: Option<String>,
}

impl OnDemand {
    /// The socket of the vassal file at `path`, if it runs on demand.
    pub fn socket_of(&self, path: &Path) -> Option<String> {
        if let Some(dir) = &self.dir {
            return Some(
                dir.join(format!("{}.socket", vassal_name(path)))
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        let ext = self.ext.as_ref()?;
        let mut side = path.as_os_str().to_owned();
        side.push(ext);
        // Read like a vassal file: no link followed, no FIFO waited on, a few bytes.
        let (bytes, _) = emperor_sys::spawn::read_config(Path::new(&side), 4096).ok()?;
        let name: String = bytes
            .iter()
            .take_while(|b| **b >= 32)
            .map(|b| char::from(*b))
            .collect();
        let name = name.trim().to_owned();
        (!name.is_empty()).then_some(name)
    }
}

/// How a directory entry's name is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Vassal,
    /// A config format we do not run: tracked and reported, never spawned.
    Unsupported(String),
    Ignored,
}

/// Classifies a file name: `.ini .xml .json .js` and the `emperor-extra-extension`s are
/// vassals; `.yml`/`.yaml` are reported as unsupported; dotfiles, editor backups (`~`,
/// `.swp`), package manager leftovers (`.dpkg-*`, `.rpmnew`, `.rpmsave`) and anything else
/// are ignored.
pub fn classify(name: &str, extra: &[String]) -> Name {
    let lower = name.to_ascii_lowercase();
    if name.starts_with('.')
        || name.ends_with('~')
        || [".swp", ".rpmnew", ".rpmsave"]
            .iter()
            .any(|suffix| lower.ends_with(suffix))
        || lower.contains(".dpkg-")
        || name.len() >= 255
    {
        return Name::Ignored;
    }
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext {
        "ini" | "xml" | "json" | "js" => Name::Vassal,
        "yml" | "yaml" => Name::Unsupported(
            "YAML vassal files are not supported: convert it to `.ini` (the same keys under \
             `[uwsgi]`)"
                .into(),
        ),
        _ if extra
            .iter()
            .any(|x| name.ends_with(x.as_str()) && name.len() > x.len()) =>
        {
            Name::Vassal
        }
        _ => Name::Ignored,
    }
}

/// A monitor: a directory, or a glob pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Monitor {
    Dir(PathBuf),
    Glob(String),
}

impl Monitor {
    /// uWSGI's rule: an existing directory is a directory monitor; anything else a glob.
    /// Relative values resolve against `cwd`. `dir://` and `glob://` prefixes are accepted.
    pub fn parse(value: &str, cwd: &Path) -> Monitor {
        if let Some(dir) = value.strip_prefix("dir://") {
            return Monitor::Dir(cwd.join(dir));
        }
        if let Some(glob) = value.strip_prefix("glob://") {
            return Monitor::Glob(cwd.join(glob).to_string_lossy().into_owned());
        }
        let path = cwd.join(value);
        let wild = value.contains(['*', '?', '[']);
        if wild {
            Monitor::Glob(path.to_string_lossy().into_owned())
        } else {
            // A directory that does not exist yet is still a directory monitor: it is
            // watched for once it appears (uWSGI silently turns it into a glob matching
            // nothing).
            Monitor::Dir(path)
        }
    }

    /// The directory the watcher should watch.
    pub fn watch_dir(&self) -> PathBuf {
        match self {
            Monitor::Dir(dir) => dir.clone(),
            Monitor::Glob(pattern) => {
                let fixed = pattern.split(['*', '?', '[']).next().unwrap_or("/");
                let fixed = Path::new(fixed);
                if pattern.ends_with('/') || fixed.to_string_lossy().ends_with('/') {
                    fixed.to_path_buf()
                } else {
                    fixed.parent().unwrap_or(Path::new("/")).to_path_buf()
                }
            }
        }
    }

    pub fn label(&self) -> String {
        match self {
            Monitor::Dir(dir) => dir.to_string_lossy().into_owned(),
            Monitor::Glob(pattern) => pattern.clone(),
        }
    }
}

/// The result of scanning every monitor.
#[derive(Debug, Default)]
pub struct Scan {
    pub files: BTreeMap<PathBuf, Seen>,
    /// Monitors whose directory could not be read (missing, permission), with why.
    pub unreadable: Vec<(String, String)>,
}

/// Scans every monitor. Entries are `lstat`ed: a symlink is not followed here (the spawn
/// path opens with `O_NOFOLLOW` and refuses it with a clear message).
pub fn scan(monitors: &[Monitor], extra: &[String], on_demand: &OnDemand) -> Scan {
    let mut out = Scan::default();
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for monitor in monitors {
        let label = monitor.label();
        let candidates: Vec<PathBuf> = match monitor {
            Monitor::Dir(dir) => match std::fs::read_dir(dir) {
                Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
                Err(e) => {
                    out.unreadable.push((label, e.to_string()));
                    continue;
                }
            },
            Monitor::Glob(pattern) => glob_paths(pattern),
        };
        let mut candidates = candidates;
        candidates.sort();
        for path in candidates {
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let class = classify(file_name, extra);
            if class == Name::Ignored {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                continue;
            }
            let mut refusal = match class {
                Name::Unsupported(why) => Some(why),
                _ => None,
            };
            if refusal.is_none() && meta.len() > MAX_CONFIG as u64 {
                refusal = Some(format!(
                    "the file is {} bytes; a vassal file is at most {MAX_CONFIG} bytes (move \
                     the bulk into an included file)",
                    meta.len()
                ));
            }
            let name = vassal_name(&path);
            if refusal.is_none() {
                if let Some(first) = names.get(&name) {
                    refusal = Some(format!(
                        "another vassal is already named `{name}`: `{}`; vassal names must be \
                         unique across the emperor's directories (rename one of them)",
                        first.display()
                    ));
                } else {
                    names.insert(name, path.clone());
                }
            }
            let socket = on_demand.socket_of(&path);
            out.files.insert(
                path,
                Seen {
                    state: FileState::of(&meta),
                    on_demand: socket,
                    refusal,
                    monitor: label.clone(),
                },
            );
        }
    }
    out
}

fn glob_paths(pattern: &str) -> Vec<PathBuf> {
    // A small glob: `*`, `?` and `[...]` within each path component.
    let mut current = vec![PathBuf::from("/")];
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    for (i, component) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        let mut next = Vec::new();
        for base in &current {
            if component.contains(['*', '?', '[']) {
                let Ok(entries) = std::fs::read_dir(base) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let Some(name) = name.to_str() else { continue };
                    if name.starts_with('.') && !component.starts_with('.') {
                        continue;
                    }
                    if wildcard(component.as_bytes(), name.as_bytes()) {
                        let path = base.join(name);
                        if last || path.is_dir() {
                            next.push(path);
                        }
                    }
                }
            } else {
                let path = base.join(component);
                if last || path.is_dir() {
                    next.push(path);
                }
            }
        }
        current = next;
    }
    current.retain(|p| p.symlink_metadata().is_ok());
    current
}

/// `fnmatch` for one component: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard(&pattern[1..], name) || (!name.is_empty() && wildcard(pattern, &name[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard(&pattern[1..], &name[1..]),
        (Some(b'['), Some(&c)) => {
            let Some(end) = pattern.iter().skip(2).position(|&b| b == b']') else {
                return pattern.first() == name.first() && wildcard(&pattern[1..], &name[1..]);
            };
            let class = &pattern[1..end + 2];
            let (negate, class) = match class.first() {
                Some(b'!' | b'^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut matched = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    matched |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    matched |= class[i] == c;
                    i += 1;
                }
            }
            matched != negate && wildcard(&pattern[end + 3..], &name[1..])
        }
        (Some(p), Some(n)) if p == n => wildcard(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// A vassal's name: its file name without the extension (`app.ini` → `app`), as uWSGI's `%n`.
pub fn vassal_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A name or path made safe for a log line: control characters and non-ASCII escaped.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let extra = vec![".skel".to_owned()];
        assert_eq!(classify("app.ini", &extra), Name::Vassal);
        assert_eq!(classify("app.xml", &extra), Name::Vassal);
        assert_eq!(classify("app.json", &extra), Name::Vassal);
        assert_eq!(classify("app.js", &extra), Name::Vassal);
        assert_eq!(classify("base.skel", &extra), Name::Vassal);
        assert!(matches!(classify("app.yml", &extra), Name::Unsupported(_)));
        assert!(matches!(classify("app.yaml", &extra), Name::Unsupported(_)));
        for ignored in [
            ".app.ini",
            "app.ini~",
            ".app.ini.swp",
            "app.ini.swp",
            "app.ini.dpkg-dist",
            "app.ini.dpkg-old",
            "app.ini.rpmnew",
            "app.ini.rpmsave",
            "README",
            "app.txt",
            ".skel",
        ] {
            assert_eq!(classify(ignored, &extra), Name::Ignored, "{ignored}");
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"app*.ini", b"app1.ini"));
        assert!(wildcard(b"*.ini", b".ini"));
        assert!(!wildcard(b"app*.ini", b"app1.xml"));
        assert!(wildcard(b"a?c", b"abc"));
        assert!(wildcard(b"[ab]x", b"bx"));
        assert!(!wildcard(b"[!ab]x", b"bx"));
        assert!(wildcard(b"[a-c]x", b"cx"));
    }

    #[test]
    fn scan_keys_by_path_and_refuses_duplicate_names() {
        let a = tempfile_dir("a");
        let b = tempfile_dir("b");
        std::fs::write(a.join("app.ini"), "[uwsgi]\n").unwrap();
        std::fs::write(b.join("app.xml"), "<uwsgi/>").unwrap();
        std::fs::write(b.join("other.yml"), "uwsgi:\n").unwrap();
        std::fs::write(b.join("notes.txt"), "").unwrap();
        let monitors = vec![Monitor::Dir(a.clone()), Monitor::Dir(b.clone())];
        let found = scan(&monitors, &[], &OnDemand::default());
        assert_eq!(found.files.len(), 3);
        assert_eq!(found.files[&a.join("app.ini")].refusal, None);
        let dup = found.files[&b.join("app.xml")].refusal.as_deref().unwrap();
        assert!(dup.contains("already named `app`"), "{dup}");
        assert!(found.files[&b.join("other.yml")].refusal.is_some());
        let glob = Monitor::parse(&format!("{}/*.ini", a.display()), Path::new("/"));
        assert!(matches!(glob, Monitor::Glob(_)));
        assert_eq!(glob.watch_dir(), a);
        assert_eq!(scan(&[glob], &[], &OnDemand::default()).files.len(), 1);
        std::fs::remove_dir_all(a).unwrap();
        std::fs::remove_dir_all(b).unwrap();
    }

    fn tempfile_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "emperor-scan-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
