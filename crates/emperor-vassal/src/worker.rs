//! A worker: one thread running a mio loop over the inherited listeners and its
//! connections, calling the app inline (DESIGN, "A worker").
//!
//! # Theory of operation
//! Listeners are registered with `EPOLLEXCLUSIVE` (level-triggered), so a new connection wakes
//! one worker, which accepts until `EAGAIN`. A new connection is read at once (nginx sends the
//! whole uwsgi packet with the connection), and only registered with the poller when its
//! request is not complete yet. When a request head is complete the connection switches to
//! blocking mode with `socket-timeout` deadlines: the whole body is read (in memory up to the
//! post-buffering threshold, then into an unlinked temp file), the app is called, and the
//! response is written. One thread never interleaves two requests. An HTTP connection that
//! may be kept alive then goes back to non-blocking and waits in the loop, never holding
//! Python: the poll wait runs with the app "unlocked" (the GIL released).
//!
//! Static files (`static-map`, `check-static`…) are looked up after the body is read and
//! before the app: a `GET` or `HEAD` whose `PATH_INFO` names a file under a static rule is
//! answered from the worker with `sendfile`, the app unlocked, through the same responder
//! (framing, keep-alive) and request log line as an app response (see [`crate::static_files`]).
//! Without static rules this costs one branch per request.
//!
//! Signals (blocked, read from a signalfd in the loop): SIGHUP and SIGTERM stop accepting,
//! finish the current request and exit; SIGINT and SIGQUIT exit at once.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

use emperor_options::typed::Protocol;
use emperor_proto::app::{App, Body, Outcome, Request, Responder, ResponseInfo, Vars};
use emperor_proto::{http, uwsgi};
use emperor_sys::signals::SignalFd;
use emperor_sys::signals::numbers::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::listeners::Listener;
use crate::log;
use crate::scoreboard::{Field, Scoreboard};
use crate::static_files::{Lookup, StaticFiles};

/// Worker settings derived from the vassal's config.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// `buffer-size`: the largest request head (uwsgi vars block or HTTP head).
    pub buffer_size: usize,
    /// Bodies up to this size are read into memory, larger ones into a temp file.
    pub memory_body_limit: u64,
    /// `socket-timeout`: deadline for each read or write once a request has started.
    pub socket_timeout: Duration,
    /// How long an idle keep-alive connection is kept.
    pub keepalive_timeout: Duration,
    /// `harakiri` seconds (0 = off).
    pub harakiri: u64,
    /// `max-requests` (0 = unlimited).
    pub max_requests: u64,
    /// `worker-reload-mercy`.
    pub reload_mercy: Duration,
    pub disable_logging: bool,
    /// `SERVER_NAME` for HTTP requests (the host name, as uWSGI).
    pub hostname: Vec<u8>,
    /// Static file rules; `None` when the vassal has none.
    pub static_files: Option<StaticFiles>,
}

const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
const FIRST_CONN: usize = 1 << 20;
/// Connections accepted per wake-up before looking at the others again.
const ACCEPT_BATCH: usize = 64;

struct Conn {
    file: File,
    listener: usize,
    buf: Vec<u8>,
    filled: usize,
    remote_addr: String,
    remote_port: String,
    deadline: Instant,
    blocking: bool,
    registered: bool,
}

enum Next {
    /// Wait for more bytes in the loop.
    Wait,
    Close,
}

struct Worker<'a, A: App> {
    index: usize,
    listeners: &'a [Listener],
    app: A,
    sb: &'a Scoreboard,
    s: &'a WorkerSettings,
    poll: Poll,
    conns: HashMap<usize, Conn>,
    next_token: usize,
    stopping: bool,
    vars: Vars,
    pid: u32,
}

/// Runs the worker loop; returns the process exit code.
pub fn run<A: App>(
    index: usize,
    listeners: &[Listener],
    app: A,
    sb: &Scoreboard,
    s: &WorkerSettings,
) -> i32 {
    match Worker::new(index, listeners, app, sb, s) {
        Ok(mut w) => w.run(),
        Err(e) => {
            log::line(&format!("worker {}: failed to start: {e}", index + 1));
            1
        }
    }
}

impl<'a, A: App> Worker<'a, A> {
    fn new(
        index: usize,
        listeners: &'a [Listener],
        app: A,
        sb: &'a Scoreboard,
        s: &'a WorkerSettings,
    ) -> io::Result<Self> {
        let poll = Poll::new()?;
        for (i, l) in listeners.iter().enumerate() {
            emperor_sys::net::set_nonblocking(l.raw(), true)?;
            emperor_sys::net::epoll_add_exclusive(poll.as_raw_fd(), l.raw(), i as u64)?;
        }
        Ok(Worker {
            index,
            listeners,
            app,
            sb,
            s,
            poll,
            conns: HashMap::new(),
            next_token: FIRST_CONN,
            stopping: false,
            vars: Vars::with_capacity(4096, 64),
            pid: std::process::id(),
        })
    }

    fn run(&mut self) -> i32 {
        let mut signals = match SignalFd::new(&[SIGHUP, SIGTERM, SIGINT, SIGQUIT]) {
            Ok(s) => s,
            Err(e) => {
                log::line(&format!(
                    "worker {}: failed to set up signals: {e}",
                    self.index + 1
                ));
                return 1;
            }
        };
        let sigfd = signals.as_raw_fd();
        if let Err(e) =
            self.poll
                .registry()
                .register(&mut SourceFd(&sigfd), SIGNAL_TOKEN, Interest::READABLE)
        {
            log::line(&format!(
                "worker {}: failed to watch signals: {e}",
                self.index + 1
            ));
            return 1;
        }
        self.sb.set(self.index, Field::Accepting, 1);
        let mut events = Events::with_capacity(256);
        loop {
            if self.stopping && self.conns.is_empty() {
                return 0;
            }
            let timeout = Some(Duration::from_secs(1));
            let poll = &mut self.poll;
            let mut result = Ok(());
            self.app
                .unlocked(&mut || result = poll.poll(&mut events, timeout));
            if let Err(e) = result
                && e.kind() != io::ErrorKind::Interrupted
            {
                log::line(&format!("worker {}: poll failed: {e}", self.index + 1));
                return 1;
            }
            for event in &events {
                let token = event.token();
                if token == SIGNAL_TOKEN {
                    while let Ok(Some((signal, _))) = signals.read() {
                        match signal {
                            SIGINT | SIGQUIT => return 0,
                            _ => self.stop_accepting(),
                        }
                    }
                } else if token.0 < self.listeners.len() {
                    if !self.stopping {
                        self.accept(token.0);
                    }
                } else {
                    self.ready(token.0);
                }
                if self.recycle_due() {
                    log::line(&format!(
                        "...The work of process {} is done (max requests reached). Seeya!",
                        self.pid
                    ));
                    return 0;
                }
            }
            self.sweep();
        }
    }

    fn stop_accepting(&mut self) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.sb.set(self.index, Field::Accepting, 0);
        for l in self.listeners {
            let _ = emperor_sys::net::epoll_remove(self.poll.as_raw_fd(), l.raw());
        }
        // Idle keep-alive connections are closed; a request in progress has already finished
        // (this thread handles one request at a time).
        self.conns.clear();
    }

    fn recycle_due(&self) -> bool {
        self.s.max_requests > 0
            && self.sb.get(self.index, Field::DeltaRequests) >= self.s.max_requests
    }

    fn accept(&mut self, listener: usize) {
        for _ in 0..ACCEPT_BATCH {
            match emperor_sys::net::accept(self.listeners[listener].raw()) {
                Ok(Some((fd, addr, port))) => {
                    let conn = Conn {
                        file: File::from(fd),
                        listener,
                        buf: Vec::new(),
                        filled: 0,
                        remote_addr: addr,
                        remote_port: if port == 0 {
                            String::new()
                        } else {
                            port.to_string()
                        },
                        deadline: Instant::now() + self.s.socket_timeout,
                        blocking: false,
                        registered: false,
                    };
                    let token = self.next_token;
                    self.next_token = self.next_token.wrapping_add(1).max(FIRST_CONN);
                    self.conns.insert(token, conn);
                    // Read right away: the request usually arrived with the connection.
                    self.ready(token);
                    if self.recycle_due() || self.stopping {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    log::line(&format!("worker {}: accept failed: {e}", self.index + 1));
                    return;
                }
            }
        }
    }

    /// Drives a connection that is readable (or new).
    fn ready(&mut self, token: usize) {
        let Some(mut conn) = self.conns.remove(&token) else {
            return;
        };
        match self.drive(&mut conn) {
            Next::Wait => {
                if !conn.registered {
                    let fd = conn.file.as_raw_fd();
                    if self
                        .poll
                        .registry()
                        .register(&mut SourceFd(&fd), Token(token), Interest::READABLE)
                        .is_err()
                    {
                        return;
                    }
                    conn.registered = true;
                }
                self.conns.insert(token, conn);
            }
            Next::Close => {
                if conn.registered {
                    let fd = conn.file.as_raw_fd();
                    let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
                }
            }
        }
    }

    fn sweep(&mut self) {
        let now = Instant::now();
        let expired: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.deadline <= now)
            .map(|(t, _)| *t)
            .collect();
        for token in expired {
            if let Some(conn) = self.conns.remove(&token)
                && conn.registered
            {
                let fd = conn.file.as_raw_fd();
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
        }
    }

    fn drive(&mut self, conn: &mut Conn) -> Next {
        let protocol = self.listeners[conn.listener].protocol;
        let capacity = self.s.buffer_size + 4;
        if conn.buf.len() < capacity {
            conn.buf.resize(capacity, 0);
        }
        loop {
            // Parse what we have.
            if conn.filled > 0 {
                let parsed = match protocol {
                    Protocol::Uwsgi => self.parse_uwsgi(conn),
                    Protocol::Http => self.parse_http(conn),
                };
                match parsed {
                    Parsed::Incomplete => {}
                    Parsed::Handled {
                        keep_alive,
                        consumed,
                    } => {
                        if !keep_alive || self.stopping || self.recycle_due() {
                            return Next::Close;
                        }
                        conn.buf.copy_within(consumed..conn.filled, 0);
                        conn.filled -= consumed;
                        conn.deadline = Instant::now() + self.s.keepalive_timeout;
                        if conn.blocking {
                            if emperor_sys::net::set_nonblocking(conn.file.as_raw_fd(), true)
                                .is_err()
                            {
                                return Next::Close;
                            }
                            conn.blocking = false;
                        }
                        continue;
                    }
                    Parsed::Close => return Next::Close,
                }
                if conn.filled == conn.buf.len() {
                    // A head larger than buffer-size.
                    if protocol == Protocol::Http {
                        let mut out = Vec::new();
                        http::write_error_response(&mut out, 431);
                        let _ = conn.file.write_all(&out);
                    }
                    log::line(&format!(
                        "invalid request head size (max {})...skip",
                        self.s.buffer_size
                    ));
                    return Next::Close;
                }
            }
            match conn.file.read(&mut conn.buf[conn.filled..]) {
                Ok(0) => return Next::Close,
                Ok(n) => {
                    conn.filled += n;
                    if conn.filled == n {
                        conn.deadline = Instant::now() + self.s.socket_timeout;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
    }

    fn parse_uwsgi(&mut self, conn: &mut Conn) -> Parsed {
        let limits = uwsgi::Limits {
            buffer_size: self.s.buffer_size,
            max_vars: 128,
        };
        match uwsgi::parse(&conn.buf[..conn.filled], &limits, &mut self.vars) {
            Ok(uwsgi::Status::Incomplete) => Parsed::Incomplete,
            Ok(uwsgi::Status::Complete(head)) => {
                let head_len = head.head_len;
                let length = head.content_length;
                let server_protocol = self
                    .vars
                    .get(b"SERVER_PROTOCOL")
                    .filter(|p| !p.is_empty())
                    .unwrap_or(b"HTTP/1.0")
                    .to_vec();
                let framing = Framing::Uwsgi { server_protocol };
                let consumed = self.serve(conn, head_len, &BodySpec::Length(length), framing);
                match consumed {
                    Some(_) => Parsed::Handled {
                        keep_alive: false,
                        consumed: conn.filled,
                    },
                    None => Parsed::Close,
                }
            }
            Err(e) => {
                log::line(&format!("{e} (from {})", conn.remote_addr));
                if let Some(status) = e.response_status() {
                    let mut out = Vec::new();
                    uwsgi::write_response_head(
                        &mut out,
                        b"HTTP/1.0",
                        format!("{status} {}", http::reason(status)).as_bytes(),
                        &[],
                    );
                    let _ = conn.file.write_all(&out);
                }
                Parsed::Close
            }
        }
    }

    fn parse_http(&mut self, conn: &mut Conn) -> Parsed {
        let limits = http::Limits {
            max_head: self.s.buffer_size,
        };
        let listener = &self.listeners[conn.listener];
        let info = http::ConnInfo {
            server_name: &self.s.hostname,
            server_port: listener.server_port.as_bytes(),
            remote_addr: conn.remote_addr.as_bytes(),
            remote_port: conn.remote_port.as_bytes(),
            https: false,
        };
        match http::parse(&conn.buf[..conn.filled], &limits, &info, &mut self.vars) {
            Ok(http::Status::Incomplete) => Parsed::Incomplete,
            Ok(http::Status::Complete(head)) => {
                let body = match head.body {
                    http::BodyKind::None => BodySpec::Length(0),
                    http::BodyKind::Length(n) => BodySpec::Length(n),
                    http::BodyKind::Chunked => BodySpec::Chunked,
                };
                let head_len = head.head_len;
                let keep = head.keep_alive;
                if head.expect_continue && !matches!(body, BodySpec::Length(0)) {
                    let _ = conn.file.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                match self.serve(conn, head_len, &body, Framing::Http(head)) {
                    Some((consumed, keep_alive)) => Parsed::Handled {
                        keep_alive: keep && keep_alive,
                        consumed,
                    },
                    None => Parsed::Close,
                }
            }
            Err(e) => {
                let mut out = Vec::new();
                http::write_error_response(&mut out, e.status());
                let _ = conn.file.write_all(&out);
                log::line(&format!(
                    "invalid HTTP request from {}: {e}",
                    conn.remote_addr
                ));
                Parsed::Close
            }
        }
    }

    /// Reads the body, calls the app, writes the response. Returns the bytes of the buffer
    /// consumed by this request and whether the connection may be kept, or `None` to close.
    fn serve(
        &mut self,
        conn: &mut Conn,
        head_len: usize,
        body: &BodySpec,
        framing: Framing,
    ) -> Option<(usize, bool)> {
        let started = Instant::now();
        let start_unix = emperor_sys::time::unix_now();
        if !conn.blocking {
            let fd = conn.file.as_raw_fd();
            if emperor_sys::net::set_nonblocking(fd, false).is_err()
                || emperor_sys::net::set_timeouts(fd, self.s.socket_timeout).is_err()
            {
                return None;
            }
            conn.blocking = true;
        }
        self.sb.set(self.index, Field::Busy, 1);
        self.sb.set(self.index, Field::RequestStart, start_unix);
        if self.s.harakiri > 0 {
            self.sb.set(
                self.index,
                Field::HarakiriDeadline,
                start_unix + self.s.harakiri,
            );
        }
        let body_spec_chunked = matches!(body, BodySpec::Chunked);
        let mut result = Err(io::Error::other("unset"));
        let limit = self.s.memory_body_limit;
        {
            let (head_part, _) = conn.buf.split_at_mut(conn.filled);
            let file = &mut conn.file;
            let mut reader = || result = read_body(file, &head_part[head_len..], body, limit);
            self.app.unlocked(&mut reader);
        }
        let (body, consumed_from_buf) = match result {
            Ok(v) => v,
            Err(e) => {
                log::line(&format!(
                    "error reading the request body from {}: {e}",
                    conn.remote_addr
                ));
                self.finish_request(started, Outcome::ClientGone, true, 0);
                return None;
            }
        };
        let consumed = head_len + consumed_from_buf;
        if body_spec_chunked {
            let len = body.len().to_string();
            self.vars.push(b"CONTENT_LENGTH", len.as_bytes());
        }
        let vars = std::mem::take(&mut self.vars);
        let vars_count = vars.len();
        let (method, uri, proto, addr) = request_summary(&vars);
        let mut responder = ConnResponder::new(&mut conn.file, framing);
        if self.stopping {
            responder.close_after = true;
        }
        let settings = self.s;
        let served = match &settings.static_files {
            Some(files) => self.serve_static(files, &vars, &mut responder, start_unix),
            None => None,
        };
        let static_request = served.is_some();
        let (outcome, info) = match served {
            Some(done) => done,
            None => self.app.call(Request { vars, body }, &mut responder),
        };
        let finished = responder.finish();
        let keep_alive = finished.is_ok() && outcome == Outcome::Done && responder.keep_alive();
        let tx = responder.sent;
        let headers = responder.header_count;
        drop(responder);
        self.vars = Vars::with_capacity(4096, 64);
        let outcome = if finished.is_err() {
            Outcome::ClientGone
        } else {
            outcome
        };
        self.finish_request(started, outcome, !static_request, tx);
        if !self.s.disable_logging {
            let total: u64 = (0..self.sb.slots())
                .map(|i| self.sb.get(i, Field::Requests))
                .sum();
            log::line(&format!(
                "[pid: {}|app: 0|req: {}/{}] {} () {{{} vars in {} bytes}} [{}] {} {} => generated {} bytes in {} msecs ({} {}) {} headers in {} bytes (1 switches on core 0)",
                self.pid,
                self.sb.get(self.index, Field::Requests),
                total,
                addr,
                vars_count,
                head_len,
                emperor_sys::time::ctime(start_unix),
                method,
                uri,
                info.body_bytes,
                started.elapsed().as_millis(),
                proto,
                info.status,
                headers,
                tx.saturating_sub(info.body_bytes),
            ));
        }
        keep_alive
            .then_some((consumed, true))
            .or(if outcome == Outcome::ClientGone {
                None
            } else {
                Some((consumed, false))
            })
    }

    /// Answers a `GET` or `HEAD` from a static rule, the app unlocked. `None`: the app
    /// gets the request (no rule yields a file, or the path was refused and logged).
    fn serve_static(
        &mut self,
        files: &StaticFiles,
        vars: &Vars,
        responder: &mut ConnResponder<'_>,
        start_unix: u64,
    ) -> Option<(Outcome, ResponseInfo)> {
        let method = vars.get(b"REQUEST_METHOD").unwrap_or(b"GET");
        let head_only = match method {
            b"GET" => false,
            b"HEAD" => true,
            _ => return None,
        };
        let path = vars.get(b"PATH_INFO").unwrap_or(b"");
        let ims = vars.get(b"HTTP_IF_MODIFIED_SINCE");
        let now = i64::try_from(start_unix).unwrap_or(i64::MAX);
        let mut result = None;
        self.app.unlocked(&mut || {
            result = match files.find(path) {
                Lookup::Serve(found) => Some(
                    match files.respond(&found, head_only, ims, now, &mut *responder) {
                        Ok(info) => (Outcome::Done, info),
                        Err(e) => {
                            log::line(&format!(
                                "error sending static file `{}`: {e}",
                                found.path.display()
                            ));
                            let info = ResponseInfo {
                                status: 200,
                                body_bytes: responder.body_sent,
                            };
                            (Outcome::ClientGone, info)
                        }
                    },
                ),
                Lookup::Refused(why) => {
                    log::line(&format!(
                        "{why} (from {})",
                        String::from_utf8_lossy(vars.get(b"REMOTE_ADDR").unwrap_or(b"-"))
                    ));
                    None
                }
                Lookup::Pass => None,
            };
        });
        result
    }

    /// Updates the worker's counters after a request. Static files do not move the
    /// average response time (as in uWSGI).
    fn finish_request(&self, started: Instant, outcome: Outcome, account_rt: bool, tx: u64) {
        let rt = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let i = self.index;
        self.sb.set(i, Field::HarakiriDeadline, 0);
        self.sb.set(i, Field::Busy, 0);
        self.sb.set(i, Field::RequestStart, 0);
        self.sb.add(i, Field::Requests, 1);
        self.sb.add(i, Field::DeltaRequests, 1);
        self.sb.add(i, Field::Tx, tx);
        self.sb.add(i, Field::RunningTime, rt);
        if account_rt {
            let avg = self.sb.get(i, Field::AvgRt);
            self.sb.set(
                i,
                Field::AvgRt,
                if avg == 0 { rt } else { avg.midpoint(rt) },
            );
        }
        if outcome == Outcome::Exception {
            self.sb.add(i, Field::Exceptions, 1);
        }
    }
}

enum Parsed {
    Incomplete,
    Handled { keep_alive: bool, consumed: usize },
    Close,
}

enum BodySpec {
    Length(u64),
    Chunked,
}

fn text(v: Option<&[u8]>) -> String {
    v.map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

fn request_summary(vars: &Vars) -> (String, String, String, String) {
    let uri = vars.get(b"REQUEST_URI").or_else(|| vars.get(b"PATH_INFO"));
    (
        text(vars.get(b"REQUEST_METHOD")),
        text(uri),
        text(vars.get(b"SERVER_PROTOCOL")),
        text(vars.get(b"REMOTE_ADDR")),
    )
}

/// Reads the whole body: `already` holds the bytes that arrived with the head. Returns the
/// body and how many bytes of `already` belonged to it.
fn read_body(
    file: &mut File,
    already: &[u8],
    spec: &BodySpec,
    memory_limit: u64,
) -> io::Result<(Body, usize)> {
    match spec {
        BodySpec::Length(0) => Ok((Body::Empty, 0)),
        BodySpec::Length(len) => {
            let len = *len;
            let from_buf = usize::try_from(len)
                .unwrap_or(usize::MAX)
                .min(already.len());
            let mut sink = BodySink::new(len, memory_limit)?;
            sink.write(&already[..from_buf])?;
            let mut remaining = len - from_buf as u64;
            let mut chunk = vec![0u8; 64 * 1024];
            while remaining > 0 {
                let want = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(chunk.len());
                let n = file.read(&mut chunk[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("client closed with {remaining} body bytes missing"),
                    ));
                }
                sink.write(&chunk[..n])?;
                remaining -= n as u64;
            }
            Ok((sink.finish()?, from_buf))
        }
        BodySpec::Chunked => {
            let mut decoder = http::ChunkedDecoder::new();
            let mut decoded = Vec::new();
            let mut sink = BodySink::new(0, memory_limit)?;
            let (used, mut done) = decoder
                .feed(already, &mut decoded)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            sink.write(&decoded)?;
            let mut chunk = vec![0u8; 64 * 1024];
            while !done {
                let n = file.read(&mut chunk)?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "client closed inside a chunked body",
                    ));
                }
                decoded.clear();
                let mut offset = 0;
                while offset < n && !done {
                    let (c, d) = decoder
                        .feed(&chunk[offset..n], &mut decoded)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                    offset += c;
                    done = d;
                    if c == 0 && !d {
                        break;
                    }
                }
                sink.write(&decoded)?;
            }
            Ok((sink.finish()?, used))
        }
    }
}

/// Collects a body in memory, moving to an unlinked temp file past the limit.
enum BodySink {
    Memory(Vec<u8>, u64),
    File(File, u64),
}

impl BodySink {
    fn new(expected: u64, limit: u64) -> io::Result<BodySink> {
        if expected > limit {
            Ok(BodySink::File(temp_file()?, 0))
        } else {
            Ok(BodySink::Memory(
                Vec::with_capacity(usize::try_from(expected).unwrap_or(0)),
                limit,
            ))
        }
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            BodySink::Memory(v, limit) => {
                if v.len() as u64 + data.len() as u64 > *limit {
                    let mut file = temp_file()?;
                    file.write_all(v)?;
                    file.write_all(data)?;
                    let len = v.len() as u64 + data.len() as u64;
                    *self = BodySink::File(file, len);
                } else {
                    v.extend_from_slice(data);
                }
                Ok(())
            }
            BodySink::File(f, len) => {
                f.write_all(data)?;
                *len += data.len() as u64;
                Ok(())
            }
        }
    }

    fn finish(self) -> io::Result<Body> {
        match self {
            BodySink::Memory(v, _) if v.is_empty() => Ok(Body::Empty),
            BodySink::Memory(v, _) => Ok(Body::Memory(v)),
            BodySink::File(mut file, len) => {
                use std::io::Seek;
                file.seek(io::SeekFrom::Start(0))?;
                Ok(Body::File { file, len })
            }
        }
    }
}

fn temp_file() -> io::Result<File> {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "emperor-body-{}-{}",
        std::process::id(),
        emperor_sys::time::unix_now_us()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

enum Framing {
    Uwsgi { server_protocol: Vec<u8> },
    Http(http::Head),
}

/// The [`Responder`] of one connection.
struct ConnResponder<'c> {
    file: &'c mut File,
    framing: Framing,
    plan: Option<http::ResponsePlan>,
    /// The Content-Length the app announced, when framing by length.
    length: Option<u64>,
    body_sent: u64,
    /// The app's response was refused (answered 500 instead).
    refused: bool,
    /// Close after this response (the worker is stopping).
    close_after: bool,
    pending: Vec<u8>,
    started: bool,
    sent: u64,
    header_count: usize,
}

impl<'c> ConnResponder<'c> {
    fn new(file: &'c mut File, framing: Framing) -> Self {
        ConnResponder {
            file,
            framing,
            plan: None,
            length: None,
            body_sent: 0,
            refused: false,
            close_after: false,
            pending: Vec::with_capacity(512),
            started: false,
            sent: 0,
            header_count: 0,
        }
    }

    fn chunked(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| p.framing() == http::Framing::Chunked)
    }

    fn no_body(&self) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| p.framing() == http::Framing::NoBody)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.file.write_all(&self.pending)?;
            self.sent += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.started {
            return Ok(());
        }
        if self.chunked() {
            self.pending.extend_from_slice(http::LAST_CHUNK);
        }
        self.flush()
    }

    /// Whether the connection may serve another request: the plan allows it and the body
    /// the app announced was sent in full.
    fn keep_alive(&self) -> bool {
        !self.refused
            && self
                .plan
                .as_ref()
                .is_some_and(http::ResponsePlan::keep_alive)
            && self.length.is_none_or(|n| n == self.body_sent)
    }
}

impl Responder for ConnResponder<'_> {
    fn start(&mut self, status: &[u8], headers: &[(&[u8], &[u8])]) -> io::Result<()> {
        self.started = true;
        self.header_count = headers.len();
        match &self.framing {
            Framing::Uwsgi { server_protocol } => {
                uwsgi::write_response_head(&mut self.pending, server_protocol, status, headers);
            }
            Framing::Http(head) => match http::plan_response(head, status, headers) {
                Ok(mut plan) => {
                    if self.close_after {
                        plan.close_after();
                    }
                    plan.write_head(&mut self.pending, status, headers);
                    if let http::Framing::Length(n) = plan.framing() {
                        self.length = Some(n);
                    }
                    self.plan = Some(plan);
                }
                Err(e) => {
                    log::line(&format!("refusing the app's response: {e}"));
                    http::write_error_response(&mut self.pending, 500);
                    self.refused = true;
                    self.flush()?;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
                }
            },
        }
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        if chunk.is_empty() || self.no_body() || self.refused {
            return Ok(());
        }
        // Never send more than the Content-Length the app announced.
        let chunk = match self.length {
            Some(n) => {
                let room = usize::try_from(n.saturating_sub(self.body_sent)).unwrap_or(usize::MAX);
                &chunk[..chunk.len().min(room)]
            }
            None => chunk,
        };
        self.body_sent += chunk.len() as u64;
        if self.chunked() {
            http::write_chunk(&mut self.pending, chunk);
            return self.flush();
        }
        if chunk.len() <= 16 * 1024 {
            self.pending.extend_from_slice(chunk);
            return self.flush();
        }
        self.flush()?;
        self.file.write_all(chunk)?;
        self.sent += chunk.len() as u64;
        Ok(())
    }

    fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: Option<u64>) -> io::Result<u64> {
        if self.no_body() {
            return Ok(0);
        }
        let total = match len {
            Some(l) => l,
            None => {
                let size = File::from(file.try_clone_to_owned()?).metadata()?.len();
                size.saturating_sub(offset)
            }
        };
        // Never send more than the Content-Length the app announced.
        let total = match self.length {
            Some(n) => total.min(n.saturating_sub(self.body_sent)),
            None => total,
        };
        if total == 0 {
            return self.flush().map(|()| 0);
        }
        if self.chunked() {
            let mut prefix = format!("{total:x}\r\n").into_bytes();
            self.pending.append(&mut prefix);
        }
        self.flush()?;
        let mut off = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut left = total;
        while left > 0 {
            let n = emperor_sys::net::sendfile(
                self.file.as_raw_fd(),
                file.as_raw_fd(),
                &mut off,
                usize::try_from(left).unwrap_or(usize::MAX).min(1 << 30),
            )?;
            if n == 0 {
                break;
            }
            left -= n as u64;
            self.sent += n as u64;
            self.body_sent += n as u64;
        }
        if self.chunked() {
            self.pending.extend_from_slice(b"\r\n");
        }
        Ok(total - left)
    }

    fn started(&self) -> bool {
        self.started
    }
}
