//! `emperor stats ADDR` and `emperor top ADDR`: clients of a stats server, ours or uWSGI's.
//!
//! # Theory of operation
//!
//! A stats server (`stats = ADDR`) writes its whole JSON document on accept and closes the
//! connection; there is no request and no length. So a client connects, reads until EOF and
//! parses what it got. With `stats-http` the server first waits for an HTTP request and answers
//! HTTP/1.0, again closing after the body. The address grammar is uwsgitop's, so the same
//! string works with both tools:
//!
//! | ADDR | transport |
//! |---|---|
//! | `http://HOST:PORT[/PATH]` | HTTP/1.0 `GET` (the server needs `stats-http`) |
//! | `@NAME` | abstract UNIX socket |
//! | `HOST:PORT`, `[::1]:PORT` | TCP; `:PORT` means `127.0.0.1:PORT` |
//! | anything else, or anything with a `/` | UNIX socket path |
//!
//! `stats` prints one table; `top` redraws it every `--interval` seconds (ANSI "home + clear",
//! no alternate screen and no raw mode, so Ctrl-C leaves the terminal as it was) with the
//! requests per second of each worker computed from the difference between two documents. `top`
//! stops on Ctrl-C (the default SIGINT action), on `q` + Enter, on EOF of stdin (so
//! `emperor top ADDR </dev/null` prints one screen), when its output is closed
//! (`emperor top ADDR | head`), and after [`MAX_FAILURES`] refreshes in a row fail: the vassal
//! is gone.
//!
//! The document is read leniently: uWSGI 1.x wrote a subset of today's fields and the Emperor's
//! stats (`emperor-stats`) have `vassals` instead of `workers`; a missing field shows as `-`.
//! RSS shows `-` when the server did not measure it (`rss` is 0 without `memory-report`).
//! Strings from the document are printed with control characters escaped, so a hostile path
//! cannot move the cursor or rewrite the screen.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::{self, BufRead as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::net::{SocketAddr, UnixStream};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a connection and the whole answer may take. A `stats-http` server gives a client
/// 4 s (`socket-timeout`) to send its request; this is longer so that its silence is noticed as
/// an empty answer, not as our timeout.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Refreshes in a row that may fail before `top` gives up.
const MAX_FAILURES: u32 = 3;

const STATS_USAGE: &str = "\
usage: emperor stats ADDR [--format table|json]

Prints a vassal's stats socket (`stats = ADDR`) as a table, or the document itself
(`--format json`, pretty-printed). ADDR: HOST:PORT, :PORT, a UNIX socket path, @ABSTRACT, or
http://HOST:PORT for a server with `stats-http`.
";

const TOP_USAGE: &str = "\
usage: emperor top ADDR [--interval SECS]

A live view of a vassal's stats socket, redrawn every SECS seconds (default 1) with requests
per second per worker. Quit with Ctrl-C or q + Enter. ADDR as for `emperor stats`.
";

/// `emperor stats ADDR [--format json]`.
pub fn stats(args: &[String]) -> ExitCode {
    let opts = match Opts::parse(args, Command::Stats) {
        Ok(Parsed::Run(opts)) => opts,
        Ok(Parsed::Help) => {
            print!("{STATS_USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage_error("stats", &e, STATS_USAGE),
    };
    let doc = match fetch(&opts.target) {
        Ok(doc) => doc,
        Err(e) => return fail("stats", &e),
    };
    let out = match opts.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&doc).expect("a Value always serializes");
            s.push('\n');
            s
        }
        Format::Table => match render(&doc, None) {
            Ok(s) => s,
            Err(e) => return fail("stats", &e.at(&opts.target)),
        },
    };
    let mut stdout = io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    let _ = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush());
    ExitCode::SUCCESS
}

/// `emperor top ADDR [--interval SECS]`.
pub fn top(args: &[String]) -> ExitCode {
    let opts = match Opts::parse(args, Command::Top) {
        Ok(Parsed::Run(opts)) => opts,
        Ok(Parsed::Help) => {
            print!("{TOP_USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage_error("top", &e, TOP_USAGE),
    };
    let quit = watch_stdin();
    let mut previous: Option<Sample> = None;
    let mut last_frame = String::new();
    let mut failures = 0;
    loop {
        match fetch(&opts.target) {
            Ok(doc) => {
                failures = 0;
                let now = Instant::now();
                let rates = previous.as_ref().map(|p| p.rates(&doc, now));
                let body = match render(&doc, rates.as_ref()) {
                    Ok(body) => body,
                    Err(e) => return fail("top", &e.at(&opts.target)),
                };
                let total: f64 = rates.iter().flat_map(HashMap::values).sum();
                last_frame = format!(
                    "emperor top - {} - {} requests, {} - every {}s, q + Enter or Ctrl-C quits\n\n{body}",
                    opts.target.text,
                    total_requests(&doc),
                    rates
                        .as_ref()
                        .map_or_else(|| "- req/s".to_owned(), |_| format!("{total:.1} req/s")),
                    opts.interval.as_secs_f64(),
                );
                if draw(&last_frame).is_err() {
                    return ExitCode::SUCCESS;
                }
                previous = Some(Sample::new(&doc, now));
            }
            Err(e) if previous.is_none() => return fail("top", &e),
            Err(e) => {
                failures += 1;
                if failures >= MAX_FAILURES {
                    eprintln!(
                        "emperor top: error: the stats socket went away ({failures} refreshes failed in a row): {e}"
                    );
                    return ExitCode::FAILURE;
                }
                let frame =
                    format!("{last_frame}\nrefresh failed ({failures}/{MAX_FAILURES}): {e}\n");
                if draw(&frame).is_err() {
                    return ExitCode::SUCCESS;
                }
            }
        }
        match quit.recv_timeout(opts.interval) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return ExitCode::SUCCESS,
        }
    }
}

/// Clears the terminal (cursor home, erase display) and writes `frame` in one go. An error
/// means nobody reads any more (`emperor top | head`, a closed terminal).
fn draw(frame: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    write!(stdout, "\x1b[H\x1b[2J{frame}")?;
    stdout.flush()
}

/// A thread that reads stdin lines and sends once on `q` or EOF (the only thread of this
/// process; `top` never forks).
fn watch_stdin() -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            match line {
                Ok(l) if l.trim() == "q" => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(());
    });
    rx
}

fn usage_error(command: &str, message: &str, usage: &str) -> ExitCode {
    eprint!("emperor {command}: error: {message}\n\n{usage}");
    ExitCode::from(2)
}

fn fail(command: &str, e: &FetchError) -> ExitCode {
    eprintln!("emperor {command}: error: {e}");
    ExitCode::FAILURE
}

// --- arguments -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Stats,
    Top,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
}

#[derive(Debug)]
struct Opts {
    target: Target,
    format: Format,
    interval: Duration,
}

#[derive(Debug)]
enum Parsed {
    Run(Opts),
    Help,
}

impl Opts {
    fn parse(args: &[String], command: Command) -> Result<Parsed, String> {
        let mut addr: Option<&str> = None;
        let mut format = Format::Table;
        let mut interval = Duration::from_secs(1);
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v)),
                _ => (arg.as_str(), None),
            };
            let mut value = |flag: &str| -> Result<&str, String> {
                inline
                    .or_else(|| it.next().map(String::as_str))
                    .ok_or_else(|| format!("`{flag}` needs a value"))
            };
            match (command, name) {
                (_, "-h" | "--help") => return Ok(Parsed::Help),
                (Command::Stats, "--format") => {
                    format = match value(name)? {
                        "json" => Format::Json,
                        "table" => Format::Table,
                        other => {
                            return Err(format!(
                                "unknown format `{other}`\n  hint: `--format table` or `--format json`"
                            ));
                        }
                    };
                }
                (Command::Top, "--interval" | "--frequency") => {
                    let v = value(name)?;
                    interval = v
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                        .map(Duration::from_secs_f64)
                        .ok_or_else(|| {
                            format!("invalid interval `{v}`: expected seconds, e.g. `1` or `0.5`")
                        })?;
                }
                (_, flag) if flag.starts_with('-') && flag.len() > 1 => {
                    return Err(format!("unknown option `{flag}`"));
                }
                (_, a) if addr.is_none() => addr = Some(a),
                (_, a) => return Err(format!("unexpected argument `{a}`: one address only")),
            }
        }
        let addr = addr.ok_or("no stats address given")?;
        Ok(Parsed::Run(Opts {
            target: Target::parse(addr)?,
            format,
            interval,
        }))
    }
}

// --- addresses and fetching ------------------------------------------------------------------

/// Where the stats server listens, and the address as the user wrote it (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    text: String,
    addr: Addr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Addr {
    Tcp {
        host: String,
        port: u16,
    },
    Http {
        host: String,
        port: u16,
        path: String,
    },
    Unix(String),
    Abstract(String),
}

impl Target {
    fn parse(text: &str) -> Result<Target, String> {
        let addr = if let Some(rest) = text.strip_prefix("http://") {
            let (authority, path) = rest
                .find('/')
                .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
            let (host, port) = host_port(text, authority, Some(80))?;
            Addr::Http {
                host,
                port,
                path: path.to_owned(),
            }
        } else if text.starts_with("https://") {
            return Err(format!(
                "invalid stats address `{text}`: stats servers speak plain HTTP only"
            ));
        } else if let Some(name) = text.strip_prefix('@') {
            Addr::Abstract(name.to_owned())
        } else if text.contains(':') && !text.contains('/') {
            let (host, port) = host_port(text, text, None)?;
            Addr::Tcp { host, port }
        } else if text.is_empty() {
            return Err("empty stats address".to_owned());
        } else {
            Addr::Unix(text.to_owned())
        };
        Ok(Target {
            text: text.to_owned(),
            addr,
        })
    }
}

/// `HOST:PORT`, `[V6]:PORT`, `:PORT` (127.0.0.1), or `HOST` when there is a default port.
fn host_port(text: &str, s: &str, default_port: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("invalid stats address `{text}`: no `]`"))?;
        (host, after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        }
    };
    let port = match (port, default_port) {
        (Some(p), _) => p
            .parse()
            .map_err(|_| format!("invalid port in stats address `{text}`"))?,
        (None, Some(p)) => p,
        (None, None) => {
            return Err(format!(
                "invalid stats address `{text}`: expected HOST:PORT"
            ));
        }
    };
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    Ok((host.to_owned(), port))
}

/// Why a document could not be had.
#[derive(Debug)]
struct FetchError {
    addr: String,
    kind: FetchErrorKind,
}

#[derive(Debug)]
enum FetchErrorKind {
    Connect(io::Error),
    Read(io::Error),
    Empty { http: bool },
    Http(String),
    NotHttp,
    Json(serde_json::Error),
    Shape,
}

impl FetchErrorKind {
    fn at(self, target: &Target) -> FetchError {
        FetchError {
            addr: target.text.clone(),
            kind: self,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = &self.addr;
        match &self.kind {
            FetchErrorKind::Connect(e) => {
                write!(
                    f,
                    "failed to connect to stats socket `{addr}`: {}",
                    os_error(e)
                )
            }
            FetchErrorKind::Read(e) if is_timeout(e) => write!(
                f,
                "failed to read from stats socket `{addr}`: no complete answer within {}s",
                TIMEOUT.as_secs()
            ),
            FetchErrorKind::Read(e) => {
                write!(
                    f,
                    "failed to read from stats socket `{addr}`: {}",
                    os_error(e)
                )
            }
            FetchErrorKind::Empty { http: false } => write!(
                f,
                "stats socket `{addr}` closed the connection without sending anything\n  hint: a server with `stats-http` waits for a request: use `http://{addr}`"
            ),
            FetchErrorKind::Empty { http: true } => {
                write!(
                    f,
                    "stats server `{addr}` closed the connection without answering"
                )
            }
            FetchErrorKind::Http(status) => {
                write!(f, "stats server `{addr}` answered `{}`", escape(status))
            }
            FetchErrorKind::NotHttp => write!(
                f,
                "stats socket `{addr}` did not answer in HTTP\n  hint: without `stats-http` the server sends its document at once: drop `http://`"
            ),
            FetchErrorKind::Json(e) => {
                write!(
                    f,
                    "stats socket `{addr}` sent a document that is not JSON: {e}"
                )
            }
            FetchErrorKind::Shape => write!(
                f,
                "stats socket `{addr}` sent JSON with neither `workers` nor `vassals`"
            ),
        }
    }
}

/// An OS error without Rust's ` (os error N)` suffix: `Connection refused`.
fn os_error(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&text)
            .to_owned(),
        None => text,
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Connects, reads the whole answer and parses it.
fn fetch(target: &Target) -> Result<Value, FetchError> {
    let err = |kind: FetchErrorKind| kind.at(target);
    let mut raw = Vec::new();
    match &target.addr {
        Addr::Tcp { host, port } => {
            let mut s = connect_tcp(host, *port).map_err(|e| err(FetchErrorKind::Connect(e)))?;
            read_all(&mut s, &mut raw).map_err(|e| err(FetchErrorKind::Read(e)))?;
        }
        Addr::Unix(path) => {
            let mut s = UnixStream::connect(path).map_err(|e| err(FetchErrorKind::Connect(e)))?;
            read_all(&mut s, &mut raw).map_err(|e| err(FetchErrorKind::Read(e)))?;
        }
        Addr::Abstract(name) => {
            let mut s = SocketAddr::from_abstract_name(name.as_bytes())
                .and_then(|a| UnixStream::connect_addr(&a))
                .map_err(|e| err(FetchErrorKind::Connect(e)))?;
            read_all(&mut s, &mut raw).map_err(|e| err(FetchErrorKind::Read(e)))?;
        }
        Addr::Http { host, port, path } => {
            let mut s = connect_tcp(host, *port).map_err(|e| err(FetchErrorKind::Connect(e)))?;
            let request = format!("GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n");
            s.write_all(request.as_bytes())
                .map_err(|e| err(FetchErrorKind::Read(e)))?;
            read_all(&mut s, &mut raw).map_err(|e| err(FetchErrorKind::Read(e)))?;
            if raw.is_empty() {
                return Err(err(FetchErrorKind::Empty { http: true }));
            }
            if !raw.starts_with(b"HTTP/") {
                return Err(err(FetchErrorKind::NotHttp));
            }
            raw = http_body(&raw).map_err(|status| err(FetchErrorKind::Http(status)))?;
        }
    }
    if raw.is_empty() {
        return Err(err(FetchErrorKind::Empty { http: false }));
    }
    // uwsgitop decodes with errors ignored: uWSGI writes paths raw, in whatever bytes they have.
    serde_json::from_str(&String::from_utf8_lossy(&raw)).map_err(|e| err(FetchErrorKind::Json(e)))
}

fn connect_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other(format!("`{host}` has no address"))))
}

/// Reads until EOF with [`TIMEOUT`] as the budget for the whole answer.
fn read_all(s: &mut (impl io::Read + Timeout), out: &mut Vec<u8>) -> io::Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        s.set_timeout(left)?;
        match s.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A plain stats server closes without reading what an `http://` client sent, which
            // resets the connection after its document: keep what came.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset && !out.is_empty() => {
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// A stream whose reads can time out.
trait Timeout {
    fn set_timeout(&self, t: Duration) -> io::Result<()>;
}

impl Timeout for TcpStream {
    fn set_timeout(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))
    }
}

impl Timeout for UnixStream {
    fn set_timeout(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))
    }
}

/// The body of an HTTP answer with status 200, or the status line.
fn http_body(raw: &[u8]) -> Result<Vec<u8>, String> {
    let (head, body) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None => (raw, &raw[raw.len()..]),
    };
    let head = String::from_utf8_lossy(head);
    let status = head.lines().next().unwrap_or_default();
    if status.split(' ').nth(1) == Some("200") && head.len() < raw.len() {
        Ok(body.to_vec())
    } else {
        Err(status.chars().take(200).collect())
    }
}

// --- rendering -------------------------------------------------------------------------------

/// Requests per worker at one moment, for `top`'s per-second rates.
#[derive(Debug)]
struct Sample {
    at: Instant,
    requests: HashMap<String, u64>,
}

impl Sample {
    fn new(doc: &Value, at: Instant) -> Sample {
        Sample {
            at,
            requests: workers(doc)
                .map(|w| (cell(w.get("id")), uint(w.get("requests"))))
                .collect(),
        }
    }

    /// Requests per second of each worker since this sample (by worker id; a worker that was
    /// not there before counts from zero).
    fn rates(&self, doc: &Value, now: Instant) -> HashMap<String, f64> {
        let secs = now.duration_since(self.at).as_secs_f64().max(1e-3);
        workers(doc)
            .map(|w| {
                let id = cell(w.get("id"));
                let before = self.requests.get(&id).copied().unwrap_or(0);
                #[allow(clippy::cast_precision_loss)] // request counts stay far below 2^52
                let rate = uint(w.get("requests")).saturating_sub(before) as f64 / secs;
                (id, rate)
            })
            .collect()
    }
}

fn workers(doc: &Value) -> impl Iterator<Item = &Value> {
    doc.get("workers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn total_requests(doc: &Value) -> u64 {
    workers(doc).map(|w| uint(w.get("requests"))).sum()
}

fn uint(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}

/// A value as a table cell: numbers and strings as they are, anything else `-`.
fn cell(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => escape(s),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => "-".to_owned(),
    }
}

/// `s` with control characters escaped (a path with a newline or an escape sequence must not
/// reach the terminal as such).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Bytes as uwsgitop shows them: `12.3M`.
#[allow(clippy::cast_precision_loss)] // one decimal is all that is shown
fn human_size(n: u64) -> String {
    const K: u64 = 1024;
    let f = n as f64;
    if n >= K * K * K {
        format!("{:.1}G", f / (K * K * K) as f64)
    } else if n >= K * K {
        format!("{:.1}M", f / (K * K) as f64)
    } else if n >= K {
        format!("{:.1}K", f / K as f64)
    } else {
        n.to_string()
    }
}

/// A text table: columns padded to their widest cell, numbers right-aligned.
#[derive(Debug)]
struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(columns: &[(&str, bool)]) -> Table {
        Table {
            headers: columns.iter().map(|(h, _)| (*h).to_owned()).collect(),
            right: columns.iter().map(|(_, r)| *r).collect(),
            rows: Vec::new(),
        }
    }

    fn render(&self, out: &mut String) {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(self.headers[i].chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.headers.len()).map(width).collect();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, c) in row.iter().enumerate() {
                let w = widths[i];
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right[i] {
                    let _ = write!(line, "{c:>w$}");
                } else {
                    let _ = write!(line, "{c:<w$}");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

/// The screen for a document: a vassal's (`workers`) or an Emperor's (`vassals`). `rates`
/// adds `top`'s requests-per-second column.
fn render(doc: &Value, rates: Option<&HashMap<String, f64>>) -> Result<String, FetchErrorKind> {
    if doc.get("vassals").is_some() {
        Ok(render_emperor(doc))
    } else if doc.get("workers").is_some() {
        Ok(render_vassal(doc, rates))
    } else {
        Err(FetchErrorKind::Shape)
    }
}

fn render_vassal(doc: &Value, rates: Option<&HashMap<String, f64>>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "master pid {}, version {}, listen queue {}, uid {}, gid {}, cwd {}",
        cell(doc.get("pid")),
        cell(doc.get("version")),
        cell(doc.get("listen_queue")),
        cell(doc.get("uid")),
        cell(doc.get("gid")),
        cell(doc.get("cwd")),
    );
    let sockets: Vec<String> = doc
        .get("sockets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{} ({}, queue {}/{})",
                cell(s.get("name")),
                cell(s.get("proto")),
                cell(s.get("queue")),
                cell(s.get("max_queue")),
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "sockets: {}\n",
        if sockets.is_empty() {
            "-".to_owned()
        } else {
            sockets.join(", ")
        }
    );
    let mut columns = vec![
        ("WORKER", true),
        ("PID", true),
        ("STATUS", false),
        ("REQUESTS", true),
    ];
    if rates.is_some() {
        columns.push(("REQ/S", true));
    }
    columns.extend([
        ("EXCEPTIONS", true),
        ("AVG RT (ms)", true),
        ("RSS", true),
        ("RESPAWNS", true),
    ]);
    let mut table = Table::new(&columns);
    for w in workers(doc) {
        let id = cell(w.get("id"));
        let mut row = vec![
            id.clone(),
            cell(w.get("pid")),
            cell(w.get("status")),
            cell(w.get("requests")),
        ];
        if let Some(rates) = rates {
            row.push(
                rates
                    .get(&id)
                    .map_or_else(|| "-".into(), |r| format!("{r:.1}")),
            );
        }
        #[allow(clippy::cast_precision_loss)] // microseconds shown to a tenth of a millisecond
        let avg_rt = w
            .get("avg_rt")
            .and_then(Value::as_u64)
            .map_or_else(|| "-".into(), |us| format!("{:.1}", us as f64 / 1000.0));
        // 0 means "not measured" (no `memory-report`), not an empty process.
        let rss = match w.get("rss").and_then(Value::as_u64) {
            Some(0) | None => "-".to_owned(),
            Some(n) => human_size(n),
        };
        row.extend([
            cell(w.get("exceptions")),
            avg_rt,
            rss,
            cell(w.get("respawn_count")),
        ]);
        table.rows.push(row);
    }
    table.render(&mut out);
    out
}

/// The vassal fields shown for an Emperor, when the document has them.
const VASSAL_FIELDS: &[&str] = &[
    "respawns",
    "loyal",
    "ready",
    "accepting",
    "cursed",
    "zerg",
    "on_demand",
    "uid",
    "gid",
];

fn render_emperor(doc: &Value) -> String {
    let mut out = String::new();
    let emperor = match doc.get("emperor") {
        Some(Value::Array(dirs)) => dirs
            .iter()
            .map(|d| cell(Some(d)))
            .collect::<Vec<_>>()
            .join(" "),
        other => cell(other),
    };
    let _ = writeln!(
        out,
        "emperor pid {}, version {}, emperor {emperor}, tyrant {}\n",
        cell(doc.get("pid")),
        cell(doc.get("version")),
        cell(doc.get("emperor_tyrant")),
    );
    let vassals: Vec<&Value> = doc
        .get("vassals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if vassals.iter().any(|v| v.get("state").is_some()) {
        render_governed(&vassals, &mut out);
        return out;
    }
    let fields: Vec<&str> = VASSAL_FIELDS
        .iter()
        .copied()
        .filter(|f| vassals.iter().any(|v| v.get(*f).is_some()))
        .collect();
    let headers: Vec<String> = fields.iter().map(|f| f.to_uppercase()).collect();
    let mut columns = vec![("VASSAL", false), ("PID", true)];
    columns.extend(headers.iter().map(|h| (h.as_str(), h != "ON_DEMAND")));
    let mut table = Table::new(&columns);
    for v in &vassals {
        let mut row = vec![cell(v.get("id")), cell(v.get("pid"))];
        row.extend(fields.iter().map(|f| cell(v.get(*f))));
        table.rows.push(row);
    }
    table.render(&mut out);
    let blacklist: Vec<String> = doc
        .get("blacklist")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|b| format!("{} (attempt {})", cell(b.get("id")), cell(b.get("attempt"))))
        .collect();
    if !blacklist.is_empty() {
        let _ = writeln!(out, "\nblacklisted: {}", blacklist.join(", "));
    }
    out
}

/// Our emperor's document: every vassal with its state and its workers in one screen
/// (uwsgitop only lists names and pids there).
fn render_governed(vassals: &[&Value], out: &mut String) {
    let mut table = Table::new(&[
        ("VASSAL", false),
        ("PID", true),
        ("STATE", false),
        ("WORKERS", true),
        ("BUSY", true),
        ("REQUESTS", true),
        ("RESPAWNS", true),
        ("BACKOFF", true),
        ("LAST ERROR", false),
    ]);
    for v in vassals {
        let workers = v.get("workers").filter(|w| w.is_object());
        let backoff = v.get("backoff").and_then(Value::as_f64).unwrap_or(0.0);
        let state = v.get("state").and_then(Value::as_str).unwrap_or("-");
        table.rows.push(vec![
            cell(v.get("name").or_else(|| v.get("id"))),
            match v.get("pid").and_then(Value::as_i64) {
                Some(pid) if pid > 0 => pid.to_string(),
                _ => "-".to_owned(),
            },
            escape(state),
            workers.map_or_else(|| "-".to_owned(), |w| cell(w.get("count"))),
            workers.map_or_else(|| "-".to_owned(), |w| cell(w.get("busy"))),
            workers.map_or_else(|| "-".to_owned(), |w| cell(w.get("requests"))),
            cell(v.get("respawns")),
            if state == "backoff" {
                format!("{backoff:.1}s")
            } else {
                "-".to_owned()
            },
            v.get("last_error")
                .and_then(Value::as_str)
                .map_or_else(|| "-".to_owned(), escape),
        ]);
    }
    table.render(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// uWSGI 2.0.30's document (the reference's minified example), one request served.
    const UWSGI: &str = r#"{"version":"2.0.30","listen_queue":0,"listen_queue_errors":0,"signal_queue":0,"load":0,"pid":1000,"uid":1000,"gid":1000,"cwd":"/srv/app","locks":[{"user 0":0}],"sockets":[{"name":"127.0.0.1:3031","proto":"uwsgi","queue":0,"max_queue":100,"shared":0,"can_offload":0}],"workers":[{"id":1,"pid":1001,"accepting":1,"requests":12,"delta_requests":12,"exceptions":1,"harakiri_count":0,"signals":0,"signal_queue":0,"status":"idle","rss":10485760,"vsz":0,"running_time":0,"last_spawn":1700000000,"respawn_count":1,"tx":0,"avg_rt":2500,"apps":[],"cores":[]},{"id":2,"pid":1002,"requests":3,"status":"busy","rss":0}]}"#;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    fn target(s: &str) -> Addr {
        Target::parse(s).unwrap().addr
    }

    #[test]
    fn addresses_follow_uwsgitops_grammar() {
        let tcp = |h: &str, p| Addr::Tcp {
            host: h.into(),
            port: p,
        };
        assert_eq!(target("127.0.0.1:9191"), tcp("127.0.0.1", 9191));
        assert_eq!(target(":9191"), tcp("127.0.0.1", 9191));
        assert_eq!(target("localhost:1"), tcp("localhost", 1));
        assert_eq!(target("[::1]:9191"), tcp("::1", 9191));
        assert_eq!(target("@stats"), Addr::Abstract("stats".into()));
        assert_eq!(target("/run/a:b.sock"), Addr::Unix("/run/a:b.sock".into()));
        assert_eq!(target("stats.sock"), Addr::Unix("stats.sock".into()));
        assert_eq!(
            target("http://127.0.0.1:9191"),
            Addr::Http {
                host: "127.0.0.1".into(),
                port: 9191,
                path: "/".into()
            }
        );
        assert_eq!(
            target("http://:9191/metrics"),
            Addr::Http {
                host: "127.0.0.1".into(),
                port: 9191,
                path: "/metrics".into()
            }
        );
        assert_eq!(
            Target::parse("127.0.0.1:http").unwrap_err(),
            "invalid port in stats address `127.0.0.1:http`"
        );
        assert!(Target::parse("https://x:1").is_err());
    }

    #[test]
    fn options_parse_and_reject_the_unknown() {
        let Parsed::Run(o) =
            Opts::parse(&args(&["--format", "json", ":1"]), Command::Stats).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.format, Format::Json);
        let Parsed::Run(o) = Opts::parse(&args(&[":1", "--interval=0.5"]), Command::Top).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.interval, Duration::from_millis(500));
        for bad in [
            &["--format", "yaml", ":1"][..],
            &["--interval", "1", ":1"],
            &[],
            &[":1", ":2"],
            &["--format"],
        ] {
            assert!(Opts::parse(&args(bad), Command::Stats).is_err(), "{bad:?}");
        }
        assert!(Opts::parse(&args(&[":1", "--interval", "0"]), Command::Top).is_err());
        assert!(matches!(
            Opts::parse(&args(&["-h"]), Command::Top),
            Ok(Parsed::Help)
        ));
    }

    #[test]
    fn the_table_shows_uwsgis_document() {
        let doc: Value = serde_json::from_str(UWSGI).unwrap();
        assert_eq!(
            render(&doc, None).unwrap(),
            "\
master pid 1000, version 2.0.30, listen queue 0, uid 1000, gid 1000, cwd /srv/app
sockets: 127.0.0.1:3031 (uwsgi, queue 0/100)

WORKER   PID  STATUS  REQUESTS  EXCEPTIONS  AVG RT (ms)    RSS  RESPAWNS
     1  1001  idle          12           1          2.5  10.0M         1
     2  1002  busy           3           -            -      -         -
"
        );
    }

    #[test]
    fn top_rates_come_from_request_deltas() {
        let doc: Value = serde_json::from_str(UWSGI).unwrap();
        let t0 = Instant::now();
        let before = Sample::new(&doc, t0);
        let mut later = doc.clone();
        later["workers"][0]["requests"] = 32.into();
        let rates = before.rates(&later, t0 + Duration::from_secs(2));
        assert!((rates["1"] - 10.0).abs() < 1e-9, "{rates:?}");
        assert!(rates["2"].abs() < 1e-9, "{rates:?}");
        let screen = render(&later, Some(&rates)).unwrap();
        assert!(screen.contains("REQUESTS  REQ/S  EXCEPTIONS"), "{screen}");
        assert!(screen.contains("  32   10.0  "), "{screen}");
    }

    #[test]
    fn the_emperor_document_lists_vassals() {
        let doc: Value = serde_json::from_str(
            r#"{"version":"2.0.30","pid":7,"uid":0,"gid":0,"cwd":"/","emperor":["/etc/uwsgi/vassals"],"emperor_tyrant":0,"throttle_level":0,"vassals":[{"id":"app.ini","pid":8,"born":1,"loyal":1,"ready":1,"accepting":1,"cursed":0,"respawns":2}],"blacklist":[{"id":"bad.ini","attempt":3}]}"#,
        )
        .unwrap();
        assert_eq!(
            render(&doc, None).unwrap(),
            "\
emperor pid 7, version 2.0.30, emperor /etc/uwsgi/vassals, tyrant 0

VASSAL   PID  RESPAWNS  LOYAL  READY  ACCEPTING  CURSED
app.ini    8         2      1      1          1       0

blacklisted: bad.ini (attempt 3)
"
        );
    }

    #[test]
    fn our_emperor_document_shows_states_and_workers() {
        let doc: Value = serde_json::from_str(
            r#"{"version":"0.1.0","pid":7,"uid":0,"gid":0,"cwd":"/","emperor":["/etc/uwsgi.d"],"emperor_tyrant":0,"throttle_level":0,"vassals":[
            {"id":"app.ini","pid":8,"respawns":1,"name":"app","state":"running","last_error":null,"backoff":0.0,"workers":{"count":4,"busy":1,"idle":3,"requests":120,"exceptions":0}},
            {"id":"bad.ini","pid":-1,"respawns":0,"name":"bad","state":"backoff","last_error":"died before it was healthy (exit code 1)","backoff":4.0,"workers":null}],"blacklist":[]}"#,
        )
        .unwrap();
        assert_eq!(
            render(&doc, None).unwrap(),
            "\
emperor pid 7, version 0.1.0, emperor /etc/uwsgi.d, tyrant 0

VASSAL  PID  STATE    WORKERS  BUSY  REQUESTS  RESPAWNS  BACKOFF  LAST ERROR
app       8  running        4     1       120         1        -  -
bad       -  backoff        -     -         -         0     4.0s  died before it was healthy (exit code 1)
"
        );
    }

    #[test]
    fn hostile_strings_cannot_drive_the_terminal() {
        let doc = serde_json::json!({"cwd": "/a\nb\u{1b}[2J", "workers": []});
        let screen = render(&doc, None).unwrap();
        assert!(screen.contains("cwd /a\\nb\\u{1b}[2J\n"), "{screen}");
        assert!(matches!(
            render(&serde_json::json!({}), None),
            Err(FetchErrorKind::Shape)
        ));
    }

    #[test]
    fn http_answers_are_checked() {
        assert_eq!(
            http_body(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\n{}").unwrap(),
            b"{}"
        );
        assert_eq!(
            http_body(b"HTTP/1.0 404 Not Found\r\n\r\n").unwrap_err(),
            "HTTP/1.0 404 Not Found"
        );
        assert!(http_body(b"{\"workers\":[]}").is_err());
    }

    #[test]
    fn sizes_and_errors_read_like_uwsgitop_and_the_style() {
        assert_eq!(human_size(512), "512");
        assert_eq!(human_size(1536), "1.5K");
        assert_eq!(human_size(3 << 30), "3.0G");
        let e = FetchErrorKind::Connect(io::Error::from_raw_os_error(111 /* ECONNREFUSED */))
            .at(&Target::parse("127.0.0.1:9191").unwrap());
        assert_eq!(
            e.to_string(),
            "failed to connect to stats socket `127.0.0.1:9191`: Connection refused"
        );
    }
}
