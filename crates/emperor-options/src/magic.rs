//! uWSGI's magic variables: `%d`, `%n`, `%p`… substituted over the raw text of every config
//! file before it is parsed (core/utils.c `magic_sub`, core/uwsgi.c `config_magic_table_fill`).
//!
//! Every `%` followed by any character is replaced by that character's entry in a 256-slot
//! table, which is empty for characters without a meaning; `%%` is `%` and `%(` stays `%(` so
//! placeholders survive to the later `%(name)` pass. Per-file variables describe the file being
//! read; the uppercase ones are frozen at the first file of the configuration (vassal templates
//! use them: `%N` is the vassal's name in a file it includes).
//!
//! Differences from uWSGI, on purpose, both warned about:
//! - a `%` at the end of a line: uWSGI swallows the line break and glues the next line onto the
//!   value; we drop only the `%`;
//! - an unknown `%X` becomes empty, as in uWSGI, but with a warning naming it, because it is
//!   usually a `%` meant literally (`100%`, a `date` format in a `cron` line).

use std::path::{Component, Path, PathBuf};

use emperor_sys::host::HostFacts;

use crate::diag::{Diagnostic, Origin};
use crate::formats::FilePath;

/// The variables that describe one config file (`%o %p %s %d %e %n %c %x %i %j %0..%9`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileVars {
    /// `%o`: the file argument exactly as given, section included.
    pub original: String,
    /// `%p`: absolute path of the file.
    pub path: String,
    /// `%s`: file name.
    pub name: String,
    /// `%d`: directory of the file, with a trailing slash.
    pub dir: String,
    /// `%e`: extension after the last dot, empty if none.
    pub ext: String,
    /// `%n`: file name without its last extension.
    pub stem: String,
    /// `%c`: name of the directory holding the file.
    pub dir_name: String,
    /// `%x`: the section asked for after `:`, empty if none.
    pub section: String,
    /// `%i`: inode number.
    pub inode: String,
    /// `%j`: hex djb33x hash of `%p`.
    pub hash: String,
    /// `%0`..`%9`: components of `%d`.
    pub components: Vec<String>,
}

impl FileVars {
    /// Describes `spec` (as written, possibly with `:section`) found at `path`, relative names
    /// being resolved against `cwd`. A symlink keeps its own name (uWSGI does not resolve it).
    pub fn describe(spec: &str, path: &Path, section: &str, cwd: &Path) -> FileVars {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            cwd.join(path)
        };
        let is_link = std::fs::symlink_metadata(&joined).is_ok_and(|m| m.file_type().is_symlink());
        let absolute = if is_link {
            normalize(&joined)
        } else {
            std::fs::canonicalize(&joined).unwrap_or_else(|_| normalize(&joined))
        };
        let name = absolute
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = absolute.parent().unwrap_or(Path::new("/"));
        let mut dir = parent.to_string_lossy().into_owned();
        if !dir.ends_with('/') {
            dir.push('/');
        }
        let (stem, ext) = match name.rfind('.') {
            Some(i) => (name[..i].to_owned(), name[i + 1..].to_owned()),
            None => (name.clone(), String::new()),
        };
        let dir_name = parent
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let components = dir
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let inode = {
            use std::os::unix::fs::MetadataExt;
            std::fs::symlink_metadata(&joined)
                .map(|m| m.ino().to_string())
                .unwrap_or_default()
        };
        let path_str = absolute.to_string_lossy().into_owned();
        let hash = format!("{:08x}", djb33x(path_str.as_bytes()));
        FileVars {
            original: spec.to_owned(),
            path: path_str,
            name,
            dir,
            ext,
            stem,
            dir_name,
            section: section.to_owned(),
            inode,
            hash,
            components,
        }
    }
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn djb33x(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 5381;
    for &b in bytes {
        hash = hash.wrapping_mul(33) ^ u32::from(b);
    }
    hash
}

/// The variables that do not depend on the file (`%v %h %V %k %t %T %u %U %g %G %b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalVars {
    pub cwd: String,
    pub hostname: String,
    pub version: String,
    pub cpus: String,
    pub time_s: String,
    pub time_us: String,
    pub uid: String,
    pub user: String,
    pub gid: String,
    pub group: String,
    pub binary: String,
}

impl GlobalVars {
    pub fn new(host: &HostFacts, cwd: &Path, binary: &Path, start: std::time::SystemTime) -> Self {
        let since = start
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        GlobalVars {
            cwd: cwd.to_string_lossy().into_owned(),
            hostname: host.hostname.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            cpus: host.cpus.to_string(),
            time_s: since.as_secs().to_string(),
            time_us: since.as_micros().to_string(),
            uid: host.uid.to_string(),
            user: host.user.clone(),
            gid: host.gid.to_string(),
            group: host.group.clone(),
            binary: binary.to_string_lossy().into_owned(),
        }
    }
}

/// Substitutes magic variables in `text`, line by line so line numbers stay the file's own.
///
/// `first` holds the variables of the first file of the configuration, for the uppercase
/// forms. Warnings (unknown `%X`, a `%` ending a line) are pushed to `diags`.
pub fn substitute(
    text: &str,
    path: &FilePath,
    file: &FileVars,
    first: &FileVars,
    global: &GlobalVars,
    diags: &mut Vec<Diagnostic>,
) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                None | Some('\n' | '\r') => {
                    diags.push(
                        Diagnostic::warning(
                            Origin::file(path, line_no),
                            "`%` at the end of a line is dropped",
                        )
                        .with_hint("uWSGI would join the next line to this one; write `%%` for a literal `%`"),
                    );
                    if line.ends_with('\n') {
                        if line.ends_with("\r\n") {
                            out.push('\r');
                        }
                        out.push('\n');
                    }
                    break;
                }
                Some(v) => match lookup(v, file, first, global) {
                    Some(value) => out.push_str(value),
                    None => diags.push(
                        Diagnostic::warning(
                            Origin::file(path, line_no),
                            format!("unknown magic variable `%{v}` is replaced by nothing"),
                        )
                        .with_hint("write `%%` for a literal `%`"),
                    ),
                },
            }
        }
    }
    out
}

fn lookup<'a>(
    v: char,
    file: &'a FileVars,
    first: &'a FileVars,
    g: &'a GlobalVars,
) -> Option<&'a str> {
    Some(match v {
        '%' => "%",
        '(' => "%(",
        '[' => "\u{1b}",
        'o' => &file.original,
        'O' => &first.original,
        'p' => &file.path,
        'P' => &first.path,
        's' => &file.name,
        'S' => &first.name,
        'd' => &file.dir,
        'D' => &first.dir,
        'e' => &file.ext,
        'E' => &first.ext,
        'n' => &file.stem,
        'N' => &first.stem,
        'c' => &file.dir_name,
        'C' => &first.dir_name,
        'x' => &file.section,
        'X' => &first.section,
        'i' => &file.inode,
        'I' => &first.inode,
        'j' => &file.hash,
        'J' => &first.hash,
        '0'..='9' => {
            let n = v as usize - '0' as usize;
            file.components.get(n).map_or("", String::as_str)
        }
        'v' => &g.cwd,
        'h' => &g.hostname,
        'V' => &g.version,
        'k' => &g.cpus,
        't' => &g.time_s,
        'T' => &g.time_us,
        'u' => &g.uid,
        'U' => &g.user,
        'g' => &g.gid,
        'G' => &g.group,
        'b' => &g.binary,
        _ => return None,
    })
}
