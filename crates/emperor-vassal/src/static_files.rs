//! Static files served by a worker without calling the app: `check-static`, `static-map`,
//! `static-map2`, with `static-index`, `static-skip-ext`, `static-safe`,
//! `static-expires-type[-mtime]` and `mimefile` (uWSGI's `core/static.c`).
//!
//! # Theory of operation
//!
//! Before a `GET` or `HEAD` request reaches the app, the worker asks [`StaticFiles::find`]
//! for its `PATH_INFO` (as nginx sends it, already percent-decoded; for HTTP as the parser
//! decoded it). The rules are tried in uWSGI's order: a `PATH_INFO` ending with a
//! `static-skip-ext` suffix skips them all; then every `check-static` directory (`/x` →
//! `DIR/x`), every `static-map` whose mountpoint prefixes the path (the mountpoint replaced
//! by the directory), every `static-map2` (the whole path appended to the directory). The
//! first rule that yields a regular file serves it; when none does, the app gets the request.
//!
//! Resolving one candidate (`ROOT/REST`):
//!
//! 1. The rule's directory is canonicalized (`realpath`) once per worker, at the first
//!    request that needs it, after `chdir`: relative directories are relative to the app's
//!    directory, as in uWSGI, and a directory created after start is picked up. A directory
//!    that does not exist yet makes the rule pass its requests to the app.
//! 2. The candidate is canonicalized: `..`, `.`, repeated `/` and every symlink are resolved
//!    by the kernel. A candidate that does not exist passes to the app (a Django app
//!    answers its own 404).
//! 3. **Containment**: the canonical file must be inside the canonical root, compared by
//!    path components (`/srv/static` does not contain `/srv/static2`, which uWSGI's string
//!    prefix allows), or inside a canonical `static-safe` directory. A file outside is
//!    *refused*: nothing is read, a line is logged, and the request goes to the app, as
//!    uWSGI does (`security error`); the app then answers as it answers any unknown path,
//!    so a probe learns nothing it could not learn from the app. A `PATH_INFO` holding a
//!    NUL byte is refused the same way (uWSGI would silently cut the path at the NUL).
//! 4. A directory is tried with each `static-index` name, each result canonicalized and
//!    checked for containment again (an `index.html` symlink may point anywhere). A
//!    directory without an index, a FIFO, a socket or a device passes to the app.
//! 5. The file is opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO swapped in never blocks the
//!    worker), `fstat`ed on the descriptor (regular file, size, mtime), and the descriptor's
//!    own path (`/proc/self/fd/N`) must still be the checked path: a symlink swapped into
//!    the tree between the check and the open is refused instead of followed.
//! 6. A resolved name ending with a `static-skip-ext` suffix passes to the app (uWSGI checks
//!    both the request path and the file name).
//!
//! The response: `200 OK` with `Content-Type` (from the extension: the `mimefile` files,
//! `/etc/mime.types` by default as uWSGI, then a small built-in table of web types; no
//! header for an unknown extension, as uWSGI), `Content-Length`, `Last-Modified`, and, when
//! a `static-expires-type[-mtime]` rule names the content type, `Expires` plus
//! `Cache-Control: max-age` (uWSGI sends only `Expires`). The body goes out with
//! `sendfile(2)`; `HEAD` sends the head only. `If-Modified-Since` (IMF-fixdate, what browsers
//! echo from `Last-Modified`; other date forms are ignored, so the file is sent) at or after
//! the file's mtime answers `304 Not Modified`. Ranges are not supported (`honour-range`):
//! the whole file is sent.
//!
//! The worker runs all of this with the app unlocked (the GIL released): stat, open and
//! sendfile to a slow client never stop the app's own threads.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use emperor_options::typed::{ExpiresRule, StaticConfig, StaticKind};
use emperor_proto::app::{Responder, ResponseInfo};

/// The default `mimefile`, read when it exists (uWSGI's default on Linux).
pub const DEFAULT_MIME_FILE: &str = "/etc/mime.types";

/// Content types of common web files, used for extensions no `mimefile` names.
const BUILTIN_MIME: &[(&str, &str)] = &[
    ("html", "text/html"),
    ("htm", "text/html"),
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("mjs", "text/javascript"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("webmanifest", "application/manifest+json"),
    ("xml", "application/xml"),
    ("xhtml", "application/xhtml+xml"),
    ("rss", "application/rss+xml"),
    ("atom", "application/atom+xml"),
    ("txt", "text/plain"),
    ("csv", "text/csv"),
    ("md", "text/markdown"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("ico", "image/vnd.microsoft.icon"),
    ("bmp", "image/bmp"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("eot", "application/vnd.ms-fontobject"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("wasm", "application/wasm"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
];

/// Extension (lower case) → content type.
#[derive(Debug, Clone, Default)]
pub struct MimeTypes {
    by_ext: HashMap<String, String>,
}

impl MimeTypes {
    /// The built-in table only.
    pub fn builtin() -> MimeTypes {
        let mut m = MimeTypes::default();
        m.add_builtin();
        m
    }

    fn add_builtin(&mut self) {
        for (ext, ty) in BUILTIN_MIME {
            self.by_ext
                .entry((*ext).to_owned())
                .or_insert_with(|| (*ty).to_owned());
        }
    }

    /// Adds the entries of a `mime.types` text (`type ext ext…` lines; lines not starting
    /// with a letter or digit are comments). An extension keeps its first type. Returns the
    /// number of entries added.
    pub fn add_mime_types(&mut self, text: &str) -> usize {
        let mut added = 0;
        for line in text.lines() {
            if !line.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                continue;
            }
            let mut words = line.split_ascii_whitespace();
            let Some(ty) = words.next() else { continue };
            for ext in words {
                let ext = ext.to_ascii_lowercase();
                if let Entry::Vacant(slot) = self.by_ext.entry(ext) {
                    slot.insert(ty.to_owned());
                    added += 1;
                }
            }
        }
        added
    }

    /// The content type of a file name: by the text after its last `.` (any case).
    pub fn lookup(&self, name: &[u8]) -> Option<&str> {
        let base = name.rsplit(|&b| b == b'/').next().unwrap_or(name);
        let dot = base.iter().rposition(|&b| b == b'.')?;
        let ext = std::str::from_utf8(&base[dot + 1..]).ok()?;
        if ext.is_empty() {
            return None;
        }
        self.by_ext
            .get(&ext.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// A directory (or file) as configured, canonicalized at its first use.
#[derive(Debug, Clone)]
struct Root {
    configured: PathBuf,
    resolved: OnceLock<(PathBuf, bool)>,
}

impl Root {
    fn new(configured: PathBuf) -> Root {
        Root {
            configured,
            resolved: OnceLock::new(),
        }
    }

    /// The canonical path and whether it is a file; `None` while it does not exist (tried
    /// again at the next request).
    fn get(&self) -> Option<(&Path, bool)> {
        if let Some((p, f)) = self.resolved.get() {
            return Some((p, *f));
        }
        let real = std::fs::canonicalize(&self.configured).ok()?;
        let is_file = std::fs::metadata(&real).is_ok_and(|m| m.is_file());
        let (p, f) = self.resolved.get_or_init(|| (real, is_file));
        Some((p, *f))
    }
}

#[derive(Debug, Clone)]
struct Rule {
    kind: StaticKind,
    mountpoint: Vec<u8>,
    root: Root,
}

/// The static file rules of one vassal, shared by its workers.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    rules: Vec<Rule>,
    index: Vec<OsString>,
    skip_ext: Vec<Vec<u8>>,
    safe: Vec<Root>,
    expires: Vec<ExpiresRule>,
    mime: MimeTypes,
}

/// A file found for a request, open and checked.
#[derive(Debug)]
pub struct Found<'a> {
    pub file: File,
    /// Its canonical path.
    pub path: PathBuf,
    pub len: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    pub content_type: Option<&'a str>,
}

/// What [`StaticFiles::find`] decided.
#[derive(Debug)]
pub enum Lookup<'a> {
    /// Serve this file.
    Serve(Found<'a>),
    /// No rule yields a file: the app gets the request.
    Pass,
    /// The path leads out of every allowed directory (or holds a NUL byte): nothing was
    /// read; the worker logs the reason and the app gets the request.
    Refused(String),
}

/// One candidate's outcome.
enum Step {
    Found(File, PathBuf, Metadata),
    Pass,
    Refused(String),
}

impl StaticFiles {
    /// The rules of `cfg` with the built-in content types only (add `mime.types` files with
    /// [`StaticFiles::load_mime_files`]).
    pub fn new(cfg: &StaticConfig) -> StaticFiles {
        StaticFiles {
            rules: cfg
                .rules
                .iter()
                .map(|r| Rule {
                    kind: r.kind,
                    mountpoint: r.mountpoint.as_bytes().to_vec(),
                    root: Root::new(r.dir.clone()),
                })
                .collect(),
            index: cfg.index.iter().map(OsString::from).collect(),
            skip_ext: cfg.skip_ext.iter().map(|s| s.as_bytes().to_vec()).collect(),
            safe: cfg.safe.iter().cloned().map(Root::new).collect(),
            expires: cfg.expires.clone(),
            mime: MimeTypes::default(),
        }
    }

    /// Reads the `mimefile`s (`/etc/mime.types` when none is configured, skipped silently
    /// when absent), then adds the built-in table for what they do not name. Returns lines
    /// for the log.
    pub fn load_mime_files(&mut self, configured: &[PathBuf]) -> Vec<String> {
        let mut notes = Vec::new();
        let default = [PathBuf::from(DEFAULT_MIME_FILE)];
        let files = if configured.is_empty() {
            &default[..]
        } else {
            configured
        };
        for path in files {
            match std::fs::read(path) {
                Ok(bytes) => {
                    let n = self.mime.add_mime_types(&String::from_utf8_lossy(&bytes));
                    notes.push(format!(
                        "content types for static files: {n} entries from `{}`",
                        path.display()
                    ));
                }
                Err(e) if configured.is_empty() && e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => notes.push(format!(
                    "warning: failed to read mime types file `{}`: {e}",
                    path.display()
                )),
            }
        }
        self.mime.add_builtin();
        notes
    }

    /// Log lines describing the rules (uWSGI logs each mapping at start).
    pub fn describe(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|r| {
                let dir = r.root.configured.display();
                let mount = String::from_utf8_lossy(&r.mountpoint);
                match r.kind {
                    StaticKind::Check => format!("static files: check `{dir}` for every request"),
                    StaticKind::Map => format!("static files: `{mount}` => `{dir}`"),
                    StaticKind::Map2 => {
                        format!("static files: `{mount}` => `{dir}` (whole path appended)")
                    }
                }
            })
            .collect()
    }

    /// The file to serve for `path_info`, if any (see the module docs). The caller has
    /// checked the method (`GET` or `HEAD`).
    pub fn find(&self, path_info: &[u8]) -> Lookup<'_> {
        if self.skipped(path_info) {
            return Lookup::Pass;
        }
        let mut refused = None;
        for rule in &self.rules {
            let rest = match rule.kind {
                StaticKind::Check => path_info,
                StaticKind::Map => match path_info.strip_prefix(rule.mountpoint.as_slice()) {
                    Some(rest) => rest,
                    None => continue,
                },
                StaticKind::Map2 => {
                    if !path_info.starts_with(&rule.mountpoint) {
                        continue;
                    }
                    path_info
                }
            };
            if rest.contains(&0) {
                return Lookup::Refused(format!(
                    "static file refused: the request path `{}` holds a NUL byte",
                    String::from_utf8_lossy(path_info).escape_debug()
                ));
            }
            let Some((root, root_is_file)) = rule.root.get() else {
                continue;
            };
            // A file root names itself for every path under the mountpoint (`static-map =
            // /favicon.ico=/srv/icon.ico`); `check-static` always appends the path.
            let candidate = if root_is_file && rule.kind != StaticKind::Check {
                root.to_path_buf()
            } else {
                let mut bytes = root.as_os_str().as_bytes().to_vec();
                bytes.push(b'/');
                bytes.extend_from_slice(rest);
                PathBuf::from(OsString::from_vec(bytes))
            };
            match self.open_under(&candidate, root) {
                Step::Found(file, path, meta) => {
                    let content_type = self.mime.lookup(path.as_os_str().as_bytes());
                    return Lookup::Serve(Found {
                        file,
                        len: meta.len(),
                        mtime: meta.mtime(),
                        path,
                        content_type,
                    });
                }
                Step::Pass => {}
                Step::Refused(why) => {
                    refused.get_or_insert(why);
                }
            }
        }
        refused.map_or(Lookup::Pass, Lookup::Refused)
    }

    fn skipped(&self, name: &[u8]) -> bool {
        self.skip_ext.iter().any(|s| name.ends_with(s))
    }

    fn allowed(&self, real: &Path, root: &Path) -> bool {
        real.starts_with(root)
            || self
                .safe
                .iter()
                .filter_map(Root::get)
                .any(|(safe, _)| real.starts_with(safe))
    }

    fn refusal(real: &Path, root: &Path) -> Step {
        Step::Refused(format!(
            "static file refused: `{}` is outside `{}` and every `static-safe` directory",
            real.display(),
            root.display()
        ))
    }

    /// Resolves one candidate under `root` (steps 2–6 of the module docs).
    fn open_under(&self, candidate: &Path, root: &Path) -> Step {
        let Ok(real) = std::fs::canonicalize(candidate) else {
            return Step::Pass;
        };
        if !self.allowed(&real, root) {
            return Self::refusal(&real, root);
        }
        let Ok(meta) = std::fs::metadata(&real) else {
            return Step::Pass;
        };
        if meta.is_file() {
            return self.open_checked(real, root);
        }
        if !meta.is_dir() {
            return Step::Pass;
        }
        for name in &self.index {
            let Ok(index) = std::fs::canonicalize(real.join(name)) else {
                continue;
            };
            if !self.allowed(&index, root) {
                return Self::refusal(&index, root);
            }
            if std::fs::metadata(&index).is_ok_and(|m| m.is_file()) {
                return self.open_checked(index, root);
            }
        }
        Step::Pass
    }

    /// Opens a canonical, allowed path without following a symlink swapped in since the
    /// check, and checks what was opened.
    fn open_checked(&self, real: PathBuf, root: &Path) -> Step {
        if self.skipped(real.as_os_str().as_bytes()) {
            return Step::Pass;
        }
        let file = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&real)
        {
            Ok(f) => f,
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Self::refusal(&real, root);
            }
            Err(_) => return Step::Pass,
        };
        let Ok(meta) = file.metadata() else {
            return Step::Pass;
        };
        if !meta.is_file() {
            return Step::Pass;
        }
        // The descriptor's own path: an intermediate directory swapped for a symlink
        // between canonicalize and open shows here.
        let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
        if let Ok(opened) = std::fs::read_link(fd_path)
            && opened != real
        {
            return Self::refusal(&opened, root);
        }
        Step::Found(file, real, meta)
    }

    /// Sends `found` as the response: `304` when `if_modified_since` is at or after its
    /// mtime, else `200` with the file (the head only for `HEAD`). `now` is the request's
    /// start, seconds since the epoch.
    pub fn respond(
        &self,
        found: &Found<'_>,
        head_only: bool,
        if_modified_since: Option<&[u8]>,
        now: i64,
        out: &mut dyn Responder,
    ) -> io::Result<ResponseInfo> {
        let last_modified = http_date(found.mtime);
        let mut expires = None;
        if let Some(ty) = found.content_type
            && let Some(rule) = self.expires.iter().find(|r| r.content_type == ty)
        {
            let seconds = i64::try_from(rule.seconds).unwrap_or(i64::MAX / 2);
            let base = if rule.from_mtime { found.mtime } else { now };
            let at = base.saturating_add(seconds);
            let max_age = (at - now).max(0);
            expires = Some((http_date(at), format!("max-age={max_age}")));
        }
        let mut headers: Vec<(&[u8], &[u8])> = Vec::with_capacity(5);
        let not_modified = if_modified_since
            .and_then(parse_http_date)
            .is_some_and(|ims| found.mtime <= ims);
        let length = found.len.to_string();
        if !not_modified {
            if let Some(ty) = found.content_type {
                headers.push((b"Content-Type", ty.as_bytes()));
            }
            headers.push((b"Content-Length", length.as_bytes()));
        }
        headers.push((b"Last-Modified", last_modified.as_bytes()));
        if let Some((at, max_age)) = &expires {
            headers.push((b"Expires", at.as_bytes()));
            headers.push((b"Cache-Control", max_age.as_bytes()));
        }
        if not_modified {
            out.start(b"304 Not Modified", &headers)?;
            return Ok(ResponseInfo {
                status: 304,
                body_bytes: 0,
            });
        }
        out.start(b"200 OK", &headers)?;
        let mut info = ResponseInfo {
            status: 200,
            body_bytes: 0,
        };
        if !head_only && found.len > 0 {
            info.body_bytes = out.sendfile(found.file.as_fd(), 0, Some(found.len))?;
            if info.body_bytes < found.len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "`{}` shrank while being sent ({} of {} bytes)",
                        found.path.display(),
                        info.body_bytes,
                        found.len
                    ),
                ));
            }
        }
        Ok(info)
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 → (year, month 1–12, day 1–31), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// An IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0);
    let month_name = usize::try_from(month - 1).map_or("Jan", |m| MONTHS[m]);
    format!(
        "{}, {day:02} {month_name} {year:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[weekday],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses an HTTP date (RFC 9110 §5.6.7: the IMF-fixdate and, as recipients must, the
/// obsolete RFC 850 and asctime forms) with the `httpdate` crate; `None` for anything else,
/// and the caller then ignores the header and sends the file. Any bytes are safe here.
pub fn parse_http_date(value: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?;
    let at = httpdate::parse_http_date(text).ok()?;
    let secs = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use emperor_options::Origin;
    use emperor_options::typed::StaticRule;
    use std::os::unix::fs::symlink;

    /// A docroot tree in a temp dir:
    /// `root/static/{app.css, img/logo.png, docs/index.html, empty/, page.php, link-in ->
    /// app.css, link-out -> ../../outside/secret.txt, link-safe -> ../../safe/ok.txt,
    /// dir-link-out -> ../../outside, empty/index.html -> outside/secret.txt}`, `root/app.py`,
    /// `outside/secret.txt`, `safe/ok.txt`.
    struct Tree {
        base: PathBuf,
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.base);
        }
    }

    fn tree() -> Tree {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("emperor-static-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.canonicalize().unwrap();
        let w = |name: &str, body: &str| {
            let p = base.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        w("root/static/app.css", "body{}");
        w("root/static/img/logo.png", "PNG");
        w("root/static/docs/index.html", "<h1>docs</h1>");
        w("root/static/page.php", "<?php");
        w("root/app.py", "secret source");
        w("outside/secret.txt", "secret");
        w("safe/ok.txt", "ok");
        std::fs::create_dir_all(base.join("root/static/empty")).unwrap();
        let s = base.join("root/static");
        symlink("app.css", s.join("link-in")).unwrap();
        symlink("../../outside/secret.txt", s.join("link-out")).unwrap();
        symlink("../../safe/ok.txt", s.join("link-safe")).unwrap();
        symlink("../../outside", s.join("dir-link-out")).unwrap();
        symlink("../../../outside/secret.txt", s.join("empty/index.html")).unwrap();
        Tree { base }
    }

    fn rule(kind: StaticKind, mountpoint: &str, dir: &Path) -> StaticRule {
        StaticRule {
            kind,
            mountpoint: mountpoint.to_owned(),
            dir: dir.to_path_buf(),
            origin: Origin::Builtin,
        }
    }

    /// What a lookup came to, for table rows: `served:<path relative to the tree>`, `pass`
    /// or `refused`.
    fn outcome(files: &StaticFiles, base: &Path, path: &[u8]) -> String {
        match files.find(path) {
            Lookup::Serve(f) => format!(
                "served:{}",
                f.path.strip_prefix(base).unwrap_or(&f.path).display()
            ),
            Lookup::Pass => "pass".to_owned(),
            Lookup::Refused(_) => "refused".to_owned(),
        }
    }

    #[test]
    fn static_map_resolution_table() {
        let t = tree();
        let mut cfg = StaticConfig {
            rules: vec![rule(
                StaticKind::Map,
                "/static",
                &t.base.join("root/static"),
            )],
            index: vec!["index.html".to_owned()],
            skip_ext: vec![".php".to_owned()],
            ..StaticConfig::default()
        };
        let files = StaticFiles::new(&cfg);
        let rows: &[(&str, &[u8], &str)] = &[
            ("a file", b"/static/app.css", "served:root/static/app.css"),
            (
                "a nested file",
                b"/static/img/logo.png",
                "served:root/static/img/logo.png",
            ),
            (
                "dot segments inside the root",
                b"/static/img/../app.css",
                "served:root/static/app.css",
            ),
            (
                "repeated slashes",
                b"/static//img///logo.png",
                "served:root/static/img/logo.png",
            ),
            ("traversal with ..", b"/static/../app.py", "refused"),
            (
                "deep traversal",
                b"/static/../../../../../../etc/passwd",
                "refused",
            ),
            (
                "encoded traversal as it arrives decoded (%2e%2e%2f)",
                b"/static/img/../../app.py",
                "refused",
            ),
            (
                "traversal through a missing directory",
                b"/static/nope/../../app.py",
                "pass",
            ),
            ("NUL byte", b"/static/app.css\0.png", "refused"),
            (
                "symlink inside the root",
                b"/static/link-in",
                "served:root/static/app.css",
            ),
            ("symlink escaping the root", b"/static/link-out", "refused"),
            (
                "directory symlink escaping the root",
                b"/static/dir-link-out/secret.txt",
                "refused",
            ),
            (
                "symlink to static-safe, without static-safe",
                b"/static/link-safe",
                "refused",
            ),
            (
                "directory with an index",
                b"/static/docs",
                "served:root/static/docs/index.html",
            ),
            (
                "directory with an index, trailing slash",
                b"/static/docs/",
                "served:root/static/docs/index.html",
            ),
            (
                "index symlink escaping the root",
                b"/static/empty/",
                "refused",
            ),
            ("directory without an index", b"/static/img/", "pass"),
            ("the root itself, no index", b"/static", "pass"),
            ("missing file", b"/static/missing.css", "pass"),
            ("skip-ext on the path", b"/static/page.php", "pass"),
            ("other prefix", b"/media/app.css", "pass"),
            (
                "plain prefix match, as uWSGI: `/static` + `app.css`",
                b"/staticapp.css",
                "served:root/static/app.css",
            ),
        ];
        for (case, path, want) in rows {
            assert_eq!(outcome(&files, &t.base, path), *want, "{case}");
        }
        // static-safe allows the outside symlink target, and only that directory.
        cfg.safe = vec![t.base.join("safe")];
        let files = StaticFiles::new(&cfg);
        assert_eq!(
            outcome(&files, &t.base, b"/static/link-safe"),
            "served:safe/ok.txt"
        );
        assert_eq!(outcome(&files, &t.base, b"/static/link-out"), "refused");
    }

    #[test]
    fn check_static_map2_and_file_roots() {
        let t = tree();
        let cfg = StaticConfig {
            rules: vec![
                rule(StaticKind::Check, "", &t.base.join("root/static")),
                rule(StaticKind::Map2, "/static", &t.base.join("root")),
                rule(
                    StaticKind::Map,
                    "/favicon.ico",
                    &t.base.join("root/static/img/logo.png"),
                ),
                rule(StaticKind::Map, "/gone", &t.base.join("not-yet")),
                rule(StaticKind::Check, "", &t.base.join("safe/ok.txt")),
            ],
            ..StaticConfig::default()
        };
        let files = StaticFiles::new(&cfg);
        let rows: &[(&str, &[u8], &str)] = &[
            ("check-static", b"/app.css", "served:root/static/app.css"),
            (
                "check-static nested",
                b"/img/logo.png",
                "served:root/static/img/logo.png",
            ),
            ("check-static traversal", b"/../app.py", "refused"),
            (
                "static-map2 appends the whole path",
                b"/static/img/logo.png",
                "served:root/static/img/logo.png",
            ),
            (
                "a file root serves itself",
                b"/favicon.ico",
                "served:root/static/img/logo.png",
            ),
            ("a missing root passes", b"/gone/x", "pass"),
            ("check-static on a file never serves it", b"/ok.txt", "pass"),
            ("the app's path", b"/hello", "pass"),
        ];
        for (case, path, want) in rows {
            assert_eq!(outcome(&files, &t.base, path), *want, "{case}");
        }
        // The missing root is picked up once it exists.
        std::fs::create_dir_all(t.base.join("not-yet")).unwrap();
        std::fs::write(t.base.join("not-yet/x"), "late").unwrap();
        assert_eq!(outcome(&files, &t.base, b"/gone/x"), "served:not-yet/x");
    }

    #[test]
    fn a_later_rule_serves_what_an_earlier_one_refused() {
        let t = tree();
        let cfg = StaticConfig {
            rules: vec![
                rule(StaticKind::Map, "/s", &t.base.join("root/static")),
                rule(StaticKind::Map, "/s", &t.base.join("outside")),
            ],
            ..StaticConfig::default()
        };
        let files = StaticFiles::new(&cfg);
        // `/s/link-out` escapes the first root (refused) and is not in the second: the app
        // gets it, and the refusal is what the worker logs.
        assert_eq!(outcome(&files, &t.base, b"/s/link-out"), "refused");
        // Once the second root has a file of that name, it is served from there.
        std::fs::write(t.base.join("outside/link-out"), "plain").unwrap();
        assert_eq!(
            outcome(&files, &t.base, b"/s/link-out"),
            "served:outside/link-out"
        );
        assert_eq!(
            outcome(&files, &t.base, b"/s/secret.txt"),
            "served:outside/secret.txt"
        );
    }

    #[test]
    fn root_prefix_is_compared_by_components() {
        let t = tree();
        std::fs::create_dir_all(t.base.join("root/static2")).unwrap();
        std::fs::write(t.base.join("root/static2/x.css"), "x").unwrap();
        let cfg = StaticConfig {
            rules: vec![rule(StaticKind::Map, "/s", &t.base.join("root/static"))],
            ..StaticConfig::default()
        };
        let files = StaticFiles::new(&cfg);
        // uWSGI's string prefix would allow `ROOT2/x.css` under `ROOT`.
        assert_eq!(outcome(&files, &t.base, b"/s/../static2/x.css"), "refused");
    }

    #[test]
    fn non_regular_files_pass() {
        let t = tree();
        let fifo = t.base.join("root/static/pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let cfg = StaticConfig {
            rules: vec![rule(StaticKind::Map, "/s", &t.base.join("root/static"))],
            ..StaticConfig::default()
        };
        let files = StaticFiles::new(&cfg);
        assert_eq!(outcome(&files, &t.base, b"/s/pipe"), "pass");
    }

    #[test]
    fn content_types() {
        let mut m = MimeTypes::default();
        let n = m.add_mime_types(
            "# comment\ntext/x-custom\tcss foo\n\napplication/x-weird WEIRD\n  indented nope\n",
        );
        assert_eq!(n, 3);
        m.add_builtin();
        let rows: &[(&[u8], Option<&str>)] = &[
            (b"/a/app.css", Some("text/x-custom")), // the file wins over the built-in table
            (b"/a/x.foo", Some("text/x-custom")),
            (b"/a/x.Weird", Some("application/x-weird")),
            (b"/a/logo.PNG", Some("image/png")),
            (b"/a/index.html", Some("text/html")),
            (b"/a/noext", None),
            (b"/a.dir/noext", None),
            (b"/a/trailing.", None),
            (b"/a/x.unknownext", None),
        ];
        for (name, want) in rows {
            assert_eq!(m.lookup(name), *want, "{}", String::from_utf8_lossy(name));
        }
    }

    #[test]
    fn http_dates_round_trip() {
        let rows: &[(i64, &str)] = &[
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        ];
        for (secs, text) in rows {
            assert_eq!(http_date(*secs), *text);
            assert_eq!(parse_http_date(text.as_bytes()), Some(*secs), "{text}");
        }
        // The obsolete forms a recipient must accept (RFC 9110 §5.6.7).
        for old in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(parse_http_date(old.as_bytes()), Some(784_111_777), "{old}");
        }
        for bad in [
            // A multi-byte character where a digit belongs: this panicked a worker before.
            "Sun, \u{20ac}Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:3\u{20ac} GMT",
            "\u{20ac}\u{20ac}\u{20ac}\u{20ac}\u{20ac}\u{20ac}\u{20ac}\u{20ac}\u{20ac}\u{20ac}",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(bad.as_bytes()), None, "{bad}");
        }
    }

    /// A responder that records what it is given.
    #[derive(Default)]
    struct Recorder {
        status: Vec<u8>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Responder for Recorder {
        fn start(&mut self, status: &[u8], headers: &[(&[u8], &[u8])]) -> io::Result<()> {
            self.status = status.to_vec();
            self.headers = headers
                .iter()
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(k).into_owned(),
                        String::from_utf8_lossy(v).into_owned(),
                    )
                })
                .collect();
            Ok(())
        }
        fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
            self.body.extend_from_slice(chunk);
            Ok(())
        }
        fn sendfile(
            &mut self,
            file: std::os::fd::BorrowedFd<'_>,
            offset: u64,
            len: Option<u64>,
        ) -> io::Result<u64> {
            use std::io::{Read, Seek};
            let mut f = File::from(file.try_clone_to_owned()?);
            f.seek(io::SeekFrom::Start(offset))?;
            let mut buf = Vec::new();
            f.take(len.unwrap_or(u64::MAX)).read_to_end(&mut buf)?;
            self.body.extend_from_slice(&buf);
            Ok(buf.len() as u64)
        }
        fn started(&self) -> bool {
            !self.status.is_empty()
        }
    }

    impl Recorder {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
    }

    #[test]
    fn responses_200_head_304_and_expires() {
        let t = tree();
        let cfg = StaticConfig {
            rules: vec![rule(StaticKind::Map, "/s", &t.base.join("root/static"))],
            expires: vec![
                ExpiresRule {
                    content_type: "text/css".to_owned(),
                    seconds: 3600,
                    from_mtime: false,
                    origin: Origin::Builtin,
                },
                ExpiresRule {
                    content_type: "image/png".to_owned(),
                    seconds: 60,
                    from_mtime: true,
                    origin: Origin::Builtin,
                },
            ],
            ..StaticConfig::default()
        };
        let mut files = StaticFiles::new(&cfg);
        files.mime = MimeTypes::builtin();
        let Lookup::Serve(found) = files.find(b"/s/app.css") else {
            panic!("not found")
        };
        let now = found.mtime + 10;

        let mut r = Recorder::default();
        let info = files.respond(&found, false, None, now, &mut r).unwrap();
        assert_eq!(
            (r.status.as_slice(), info.status, info.body_bytes),
            (&b"200 OK"[..], 200, 6)
        );
        assert_eq!(r.body, b"body{}");
        assert_eq!(r.header("Content-Type"), Some("text/css"));
        assert_eq!(r.header("Content-Length"), Some("6"));
        assert_eq!(
            r.header("Last-Modified"),
            Some(http_date(found.mtime).as_str())
        );
        assert_eq!(r.header("Expires"), Some(http_date(now + 3600).as_str()));
        assert_eq!(r.header("Cache-Control"), Some("max-age=3600"));

        let mut r = Recorder::default();
        let info = files.respond(&found, true, None, now, &mut r).unwrap();
        assert_eq!((info.status, info.body_bytes), (200, 0));
        assert!(r.body.is_empty());
        assert_eq!(r.header("Content-Length"), Some("6"));

        for (ims, want) in [
            (http_date(found.mtime), 304),
            (http_date(found.mtime + 100), 304),
            (http_date(found.mtime - 1), 200),
            ("garbage".to_owned(), 200),
        ] {
            let mut r = Recorder::default();
            let info = files
                .respond(&found, false, Some(ims.as_bytes()), now, &mut r)
                .unwrap();
            assert_eq!(info.status, want, "{ims}");
            if want == 304 {
                assert!(r.body.is_empty());
                assert_eq!(r.header("Content-Length"), None);
                assert_eq!(
                    r.header("Last-Modified"),
                    Some(http_date(found.mtime).as_str())
                );
            }
        }

        // -mtime: counted from the file's mtime.
        let Lookup::Serve(png) = files.find(b"/s/img/logo.png") else {
            panic!("not found")
        };
        let mut r = Recorder::default();
        files
            .respond(&png, false, None, png.mtime + 10, &mut r)
            .unwrap();
        assert_eq!(r.header("Content-Type"), Some("image/png"));
        assert_eq!(
            r.header("Expires"),
            Some(http_date(png.mtime + 60).as_str())
        );
        assert_eq!(r.header("Cache-Control"), Some("max-age=50"));
    }
}
