//! Logging: one `write(2)` per line, so lines from the master and every worker sharing the
//! same stderr (a terminal, a pipe to the emperor, or a `logto` file opened `O_APPEND`) never
//! interleave mid-line.
//!
//! # The log file, and reopening it (logrotate)
//! `logto` (or `daemonize`, or `logger = file:PATH`) opens the file once in the master, before
//! anything else, and `dup2`s it onto descriptors 1 and 2; the workers inherit them at the
//! fork, so the master's lines, the workers' lines and whatever the Python app prints all go
//! to one open file description in append mode. There is no log pipe and no relay through the
//! master (`log-master` is therefore a no-op): every process writes its own lines.
//!
//! Reopening (`touch-logreopen`, the master FIFO's `l`) and rotating (`log-maxsize`, the FIFO's
//! `L`) happen in the master: it opens the file again *by path* and `dup2`s the new
//! description onto its own 1 and 2. That cannot change the workers' descriptors, so the
//! master then bumps a generation counter kept in a shared anonymous mapping made before the
//! first fork. Every process compares that counter with the generation its own descriptors
//! point at before it writes a line, and on a change opens the path itself and `dup2`s it (one
//! thread wins a compare-and-swap and reopens; the others keep writing to the old file
//! meanwhile, which is still a valid file). A worker therefore moves to the new file with its
//! next log line (at the latest its next request's line when request logging is on); until
//! then what its app prints still lands in the old file, which logrotate's `delaycompress`
//! tolerates. A new worker inherits the master's current descriptors. A graceful reload
//! re-executes the master, which opens the file by path again: SIGHUP is always a reopen
//! (uWSGI needs `log-reopen` for that).
//!
//! The file is reopened with the privileges the process has then (the master and workers run
//! as `uid` after the drop): logrotate must `create` the new file for that user, as for uWSGI.
//!
//! # Other settings
//! `log-date` prefixes the lines this program writes (not the request lines, which carry their
//! own time, and not what the app prints), as uWSGI does. `req-logger` sends request lines to
//! their own target; `logger = syslog[:ident[,facility]]` sends this program's lines to syslog.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use emperor_sys::shm::SharedCounters;

/// `log-date`: the prefix of every line this program writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Date {
    /// uWSGI's default: `ctime(3)` without the newline, then ` - `.
    Ctime,
    /// A `strftime(3)` format, then ` - `.
    Strftime(String),
}

impl Date {
    /// `log-date`'s value: bare, `true`, `1`, `on`, `yes` → uWSGI's date; `false`, `0`, `off`,
    /// `no` → no date (uWSGI would print the word); anything else is a strftime format.
    pub fn from_value(value: &str) -> Option<Date> {
        let is = |words: &[&str]| words.iter().any(|w| value.eq_ignore_ascii_case(w));
        if value.is_empty() || is(&["true", "1", "on", "yes"]) {
            Some(Date::Ctime)
        } else if is(&["false", "0", "off", "no"]) {
            None
        } else {
            Some(Date::Strftime(value.to_owned()))
        }
    }

    fn prefix(&self, now: u64) -> String {
        match self {
            Date::Ctime => format!("{} - ", emperor_sys::time::ctime(now)),
            Date::Strftime(format) => format!("{} - ", emperor_sys::time::strftime(format, now)),
        }
    }
}

/// Where lines go (`logger`, `req-logger`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `stdio`: standard error, as without a logger.
    Stdio,
    /// `file:PATH`, appended to.
    File(PathBuf),
    /// `syslog[:ident[,facility]]`: ident defaults to the vassal's name, facility to `user`.
    Syslog {
        ident: Option<String>,
        facility: i32,
    },
}

impl Target {
    /// Parses uWSGI's `PLUGIN[:ARGS]` logger syntax. Named loggers (`NAME PLUGIN:ARGS`) only
    /// receive lines routed by `log-route`, which is not supported: they are refused.
    pub fn parse(value: &str) -> Result<Target, String> {
        let value = value.trim();
        if value.contains(' ') {
            return Err(format!(
                "named loggers (`{value}`) only receive lines routed by `log-route`, which is not supported: write `stdio`, `file:PATH` or `syslog[:ident[,facility]]`"
            ));
        }
        let (plugin, args) = value.split_once(':').unwrap_or((value, ""));
        match plugin {
            "stdio" => Ok(Target::Stdio),
            "file" if !args.is_empty() => Ok(Target::File(PathBuf::from(args))),
            "file" => Err("`file:` needs a path: `file:/var/log/app.log`".to_owned()),
            "syslog" => {
                let (ident, facility) = args.split_once(',').unwrap_or((args, ""));
                let facility = if facility.is_empty() {
                    emperor_sys::syslog::facility("user").unwrap_or(8)
                } else {
                    emperor_sys::syslog::facility(facility)
                        .ok_or_else(|| format!("unknown syslog facility `{facility}`"))?
                };
                Ok(Target::Syslog {
                    ident: (!ident.is_empty()).then(|| ident.to_owned()),
                    facility,
                })
            }
            other => Err(format!(
                "logger `{other}` is not supported: write `stdio`, `file:PATH` or `syslog[:ident[,facility]]`"
            )),
        }
    }
}

/// How a vassal logs, set once per process by [`configure`] (a reload's `exec` starts over).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The log file (`logto`, `daemonize`, `logger = file:PATH`): on descriptors 1 and 2.
    pub file: Option<PathBuf>,
    /// `log-date`.
    pub date: Option<Date>,
    /// `log-maxsize`: rotate the file when it grows past this many bytes.
    pub maxsize: Option<u64>,
    /// `log-backupname`: the rotated file's name (default: `FILE.UNIXTIME`).
    pub backupname: Option<PathBuf>,
    /// `touch-logreopen`: reopen the file when one of these is touched.
    pub touch_reopen: Vec<PathBuf>,
    /// `touch-logrotate`: rotate the file when one of these is touched.
    pub touch_rotate: Vec<PathBuf>,
    /// `logger = syslog…`: this program's lines go to syslog instead of standard error.
    pub syslog: Option<(String, i32)>,
    /// `req-logger`: where request lines go (default: with the other lines).
    pub requests: Option<Target>,
    /// `log-encoder`: how this program's lines are written (`json`, `format`).
    pub encoder: Option<Encoder>,
    /// `log-req-encoder`: how request lines are written.
    pub req_encoder: Option<Encoder>,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();
/// The reopen generation, shared by the master and its workers.
static GENERATION: OnceLock<SharedCounters> = OnceLock::new();
/// The generation this process's descriptors point at.
static SEEN: AtomicU64 = AtomicU64::new(0);
/// The `req-logger = file:` file of this process.
static REQUESTS: Mutex<Option<File>> = Mutex::new(None);
/// `touch-logreopen`: what each file looked like at the last check (master only).
static TOUCHED: Mutex<Vec<Option<SystemTime>>> = Mutex::new(Vec::new());

/// Sets logging up, in the master, before privileges are dropped and before any fork: opens
/// the log file onto descriptors 1 and 2, the request log file, syslog, and the shared reopen
/// generation. `name` is the syslog identity when none is given.
pub fn configure(mut settings: Settings, name: &str) -> Result<(), String> {
    let _ = VASSAL.set(name.to_owned());
    if let Some(path) = &settings.file {
        open_onto_stdio(path)
            .map_err(|e| format!("failed to open log file `{}`: {e}", path.display()))?;
    }
    if let Some(Target::File(path)) = &settings.requests {
        let file = open_append(path)
            .map_err(|e| format!("failed to open request log file `{}`: {e}", path.display()))?;
        *REQUESTS.lock().unwrap_or_else(PoisonError::into_inner) = Some(file);
    }
    if let Some(Target::Syslog { ident, facility }) = &mut settings.requests {
        let ident = ident.get_or_insert_with(|| name.to_owned());
        if settings.syslog.is_none() {
            emperor_sys::syslog::open(ident, *facility);
        }
    }
    if let Some((ident, facility)) = &settings.syslog {
        emperor_sys::syslog::open(if ident.is_empty() { name } else { ident }, *facility);
    }
    if settings.file.is_some() || matches!(settings.requests, Some(Target::File(_))) {
        let counters = SharedCounters::new(1)
            .map_err(|e| format!("failed to map the log generation counter: {e}"))?;
        let _ = GENERATION.set(counters);
    }
    *TOUCHED.lock().unwrap_or_else(PoisonError::into_inner) = settings
        .touch_reopen
        .iter()
        .chain(&settings.touch_rotate)
        .map(|p| modified(p))
        .collect();
    let _ = SETTINGS.set(settings);
    Ok(())
}

/// Writes one line (with the `log-date` prefix) to standard error, or to syslog with
/// `logger = syslog`, in a single write.
pub fn line(message: &str) {
    let settings = SETTINGS.get();
    let encoded;
    let message = match settings.and_then(|s| s.encoder.as_ref()) {
        Some(encoder) => {
            encoded = encoder.encode(message);
            encoded.as_str()
        }
        None => message,
    };
    if let Some((_, _)) = settings.and_then(|s| s.syslog.as_ref()) {
        emperor_sys::syslog::info(message);
        return;
    }
    refresh();
    let mut buf = Vec::with_capacity(message.len() + 32);
    if let Some(date) = settings
        .filter(|s| s.encoder.is_none())
        .and_then(|s| s.date.as_ref())
    {
        buf.extend_from_slice(date.prefix(emperor_sys::time::unix_now()).as_bytes());
    }
    buf.extend_from_slice(message.as_bytes());
    buf.push(b'\n');
    let _ = io::stderr().lock().write_all(&buf);
}

/// Writes one request line: to the `req-logger` target, else where other lines go (without
/// the `log-date` prefix: a request line carries its own time, as in uWSGI).
pub fn request(message: &str) {
    let settings = SETTINGS.get();
    let encoded;
    let message = match settings.and_then(|s| s.req_encoder.as_ref()) {
        Some(encoder) => {
            encoded = encoder.encode(message);
            encoded.as_str()
        }
        None => message,
    };
    let target = settings.and_then(|s| s.requests.as_ref());
    let syslog = matches!(target, Some(Target::Syslog { .. }))
        || (target.is_none() && settings.is_some_and(|s| s.syslog.is_some()));
    if syslog {
        emperor_sys::syslog::info(message);
        return;
    }
    refresh();
    let mut buf = Vec::with_capacity(message.len() + 1);
    buf.extend_from_slice(message.as_bytes());
    buf.push(b'\n');
    if matches!(target, Some(Target::File(_))) {
        let mut file = REQUESTS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(file) = file.as_mut() {
            let _ = file.write_all(&buf);
            return;
        }
    }
    let _ = io::stderr().lock().write_all(&buf);
}

/// `log!("…", args)`: format and write one line.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => { $crate::log::line(&format!($($arg)*)) };
}

/// Sends stdout and stderr to `path`, appending (and remembers nothing: [`configure`] is how
/// a vassal sets its log file up).
pub fn to_file(path: &Path) -> io::Result<()> {
    open_onto_stdio(path)
}

/// In the master, every tick: rotates the file past `log-maxsize` or when a `touch-logrotate`
/// file was touched, reopens it when a `touch-logreopen` file was (rotation wins, as in
/// uWSGI).
pub fn check() {
    let Some(settings) = SETTINGS.get() else {
        return;
    };
    let mut touched = TOUCHED.lock().unwrap_or_else(PoisonError::into_inner);
    let (mut reopen_now, mut rotate_now) = (false, false);
    let paths = settings.touch_reopen.iter().chain(&settings.touch_rotate);
    for (i, (path, seen)) in paths.zip(touched.iter_mut()).enumerate() {
        let now = modified(path);
        if now != *seen {
            *seen = now;
            if i < settings.touch_reopen.len() {
                reopen_now = true;
            } else {
                rotate_now = true;
            }
        }
    }
    drop(touched);
    if let (Some(path), Some(max)) = (&settings.file, settings.maxsize)
        && std::fs::metadata(path).is_ok_and(|m| m.len() > max)
    {
        rotate_now = true;
    }
    if rotate_now {
        rotate();
    } else if reopen_now {
        reopen();
    }
}

/// Reopens the log files by path (master: `touch-logreopen`, FIFO `l`); the workers follow
/// with their next line.
pub fn reopen() {
    let settings = SETTINGS.get();
    let Some(path) = settings.and_then(|s| s.file.as_ref()) else {
        if settings.is_some_and(|s| matches!(s.requests, Some(Target::File(_)))) {
            reopen_here();
            bump();
        } else {
            line("log reopen requested, but there is no log file (`logto`) to reopen");
        }
        return;
    };
    raw(&format!(
        "[{}] logsize: {}, triggering log-reopen...",
        emperor_sys::time::unix_now(),
        size(path)
    ));
    reopen_here();
    bump();
    raw(&format!(
        "[{}] {} reopened.",
        emperor_sys::time::unix_now(),
        path.display()
    ));
}

/// Renames the log file to `log-backupname` (else `FILE.UNIXTIME`) and reopens it (master:
/// `log-maxsize`, FIFO `L`).
pub fn rotate() {
    let Some(settings) = SETTINGS.get() else {
        return;
    };
    let Some(path) = &settings.file else {
        line("log rotation requested, but there is no log file (`logto`) to rotate");
        return;
    };
    let backup = settings.backupname.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}.{}",
            path.display(),
            emperor_sys::time::unix_now()
        ))
    });
    raw(&format!(
        "logsize: {}, triggering rotation to {}...",
        size(path),
        backup.display()
    ));
    if let Err(e) = std::fs::rename(path, &backup) {
        line(&format!(
            "unable to rotate the log: rename `{}` to `{}`: {e}",
            path.display(),
            backup.display()
        ));
        return;
    }
    reopen_here();
    bump();
}

/// A new generation: the master's descriptors already point at the new file.
fn bump() {
    if let Some(generation) = GENERATION.get() {
        let new = generation.counters()[0].fetch_add(1, Ordering::AcqRel) + 1;
        SEEN.store(new, Ordering::Release);
    }
}

/// Follows the master's last reopen, if this process has not yet.
fn refresh() {
    let Some(generation) = GENERATION.get() else {
        return;
    };
    let current = generation.counters()[0].load(Ordering::Acquire);
    let seen = SEEN.load(Ordering::Acquire);
    if current == seen
        || SEEN
            .compare_exchange(seen, current, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
    {
        return;
    }
    reopen_here();
}

/// Opens this process's log files again by path; on failure the old ones stay in use.
fn reopen_here() {
    let Some(settings) = SETTINGS.get() else {
        return;
    };
    if let Some(path) = &settings.file
        && let Err(e) = open_onto_stdio(path)
    {
        raw(&format!(
            "failed to reopen log file `{}`: {e} (still writing to the old one)",
            path.display()
        ));
    }
    if let Some(Target::File(path)) = &settings.requests {
        match open_append(path) {
            Ok(file) => *REQUESTS.lock().unwrap_or_else(PoisonError::into_inner) = Some(file),
            Err(e) => raw(&format!(
                "failed to reopen request log file `{}`: {e} (still writing to the old one)",
                path.display()
            )),
        }
    }
}

/// A line straight to standard error: no date, no reopen check.
fn raw(message: &str) {
    let mut buf = Vec::with_capacity(message.len() + 1);
    buf.extend_from_slice(message.as_bytes());
    buf.push(b'\n');
    let _ = io::stderr().lock().write_all(&buf);
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
}

fn open_onto_stdio(path: &Path) -> io::Result<()> {
    let file = open_append(path)?;
    let fd = file.as_raw_fd();
    emperor_sys::process::redirect_fd(fd, 1)?;
    emperor_sys::process::redirect_fd(fd, 2)?;
    Ok(())
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_date_values() {
        assert_eq!(Date::from_value(""), Some(Date::Ctime));
        assert_eq!(Date::from_value("True"), Some(Date::Ctime));
        assert_eq!(Date::from_value("off"), None);
        assert_eq!(
            Date::from_value("%Y-%m-%d"),
            Some(Date::Strftime("%Y-%m-%d".into()))
        );
        let prefix = Date::Strftime("%Y".into()).prefix(0);
        assert!(prefix == "1970 - " || prefix == "1969 - ", "{prefix}");
        assert_eq!(Date::Ctime.prefix(0).len(), 24 + 3);
    }

    #[test]
    fn logger_targets() {
        assert_eq!(Target::parse("stdio"), Ok(Target::Stdio));
        assert_eq!(
            Target::parse("file:/var/log/a.log"),
            Ok(Target::File("/var/log/a.log".into()))
        );
        assert!(Target::parse("file:").is_err());
        assert_eq!(
            Target::parse("syslog"),
            Ok(Target::Syslog {
                ident: None,
                facility: emperor_sys::syslog::facility("user").unwrap()
            })
        );
        assert_eq!(
            Target::parse("syslog:app,local3"),
            Ok(Target::Syslog {
                ident: Some("app".into()),
                facility: emperor_sys::syslog::facility("local3").unwrap()
            })
        );
        assert!(Target::parse("syslog:app,nope").is_err());
        assert!(Target::parse("applogger stdio").is_err());
        assert!(Target::parse("rsyslog:host:514").is_err());
    }
}

/// `log-encoder` / `log-req-encoder`: how a line is written. uWSGI's `format` and `json`
/// encoders with their template variables (`${msg}`, `${msgnl}`, `${unix}`, `${millis}`,
/// `${micros}`, `${strftime:FMT}`), plus ours: `${vassal}`, `${worker}` (0 in the master) and
/// `${pid}`. With `json`, `${msg}` is escaped for a JSON string; `json` alone is a JSON object
/// naming the vassal and the worker in every line (for journald, Loki…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoder {
    json: bool,
    template: String,
}

/// The template of a bare `json` encoder.
const DEFAULT_JSON: &str =
    r#"{"unix":${unix},"vassal":"${vassal}","worker":${worker},"pid":${pid},"msg":"${msg}"}"#;

impl Encoder {
    /// Parses `json [TEMPLATE]` or `format TEMPLATE` (an encoder name with `:logger` is
    /// accepted; the logger name is ignored, as there are no named loggers).
    pub fn parse(value: &str) -> Result<Encoder, String> {
        let value = value.trim();
        let (name, template) = value.split_once(' ').unwrap_or((value, ""));
        let name = name.split(':').next().unwrap_or(name);
        match name {
            "json" => Ok(Encoder {
                json: true,
                template: if template.trim().is_empty() {
                    DEFAULT_JSON.to_owned()
                } else {
                    template.to_owned()
                },
            }),
            "format" if !template.trim().is_empty() => Ok(Encoder {
                json: false,
                template: template.to_owned(),
            }),
            "format" => {
                Err("`format` needs a template, e.g. `format [${strftime:%H:%M}] ${msg}`".into())
            }
            other => Err(format!(
                "encoder `{other}` is not supported: `json [TEMPLATE]` and `format TEMPLATE` are"
            )),
        }
    }

    /// The encoded line (without its newline).
    pub fn encode(&self, message: &str) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let msg = if self.json {
            json_escape(message)
        } else {
            message.to_owned()
        };
        let mut out = String::with_capacity(self.template.len() + message.len());
        let mut rest = self.template.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let var = &rest[start + 2..start + end];
            match var {
                "msg" => out.push_str(&msg),
                "msgnl" => {
                    out.push_str(&msg);
                    out.push_str(if self.json { "\\n" } else { "\n" });
                }
                "unix" => out.push_str(&now.as_secs().to_string()),
                "millis" => out.push_str(&now.as_millis().to_string()),
                "micros" => out.push_str(&now.as_micros().to_string()),
                "pid" => out.push_str(&std::process::id().to_string()),
                "worker" => out.push_str(&WORKER.load(Ordering::Relaxed).to_string()),
                "vassal" => {
                    let name = VASSAL.get().map_or("", String::as_str);
                    out.push_str(&if self.json {
                        json_escape(name)
                    } else {
                        name.to_owned()
                    });
                }
                _ => match var.strip_prefix("strftime:") {
                    Some(format) => {
                        out.push_str(&emperor_sys::time::strftime(format, now.as_secs()));
                    }
                    None => {
                        out.push_str("${");
                        out.push_str(var);
                        out.push('}');
                    }
                },
            }
            rest = &rest[start + end + 1..];
        }
        out.push_str(rest);
        out
    }
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::stats::escape_json_into(&mut out, s);
    out
}

/// This process's worker id for `${worker}` (0: the master).
static WORKER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
/// The vassal's name for `${vassal}`.
static VASSAL: OnceLock<String> = OnceLock::new();

/// Called by a worker right after the fork: `${worker}` names it from now on.
pub fn set_worker(id: u32) {
    WORKER.store(id, Ordering::Relaxed);
}

#[cfg(test)]
mod encoder_tests {
    use super::*;

    #[test]
    fn json_and_format_encoders() {
        let e = Encoder::parse("json").unwrap();
        let line = e.encode("a \"quoted\"\tline");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["msg"], "a \"quoted\"\tline");
        assert!(v["unix"].as_u64().unwrap() > 1_700_000_000);
        assert!(v["worker"].is_u64() && v["pid"].is_u64());
        let e = Encoder::parse(r#"json {"m": "${msg}", "x": 1}"#).unwrap();
        assert_eq!(e.encode("hi\n"), r#"{"m": "hi\n", "x": 1}"#);
        let e = Encoder::parse("format [${unknown}] ${msg}").unwrap();
        assert_eq!(e.encode("x"), "[${unknown}] x");
        assert!(Encoder::parse("gzip").is_err());
        assert!(Encoder::parse("format").is_err());
    }
}
