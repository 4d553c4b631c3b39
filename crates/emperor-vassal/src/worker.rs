//! A worker: one thread running a mio loop over the inherited listeners and its
//! connections, calling the app inline (DESIGN, "A worker").
//!
//! # Theory of operation
//! Listeners are registered with `EPOLLEXCLUSIVE` (level-triggered), so a new connection wakes
//! one worker, which accepts one connection per wake-up. A new connection is read at once
//! (nginx sends the whole uwsgi packet with the connection; TCP listeners defer the accept
//! until the first bytes are there), and only registered with the poller when its request is
//! not complete yet: a one-shot connection (nginx `uwsgi_pass`, `Connection: close`) costs
//! `accept4`, `read`, `sendto` and `close`, nothing else. Kept-alive clients are spread over
//! the workers by `Worker::balance`; with `reuse-port` each worker also accepts on a
//! `SO_REUSEPORT` socket of its own.
//!
//! A connection is in one of three stages ([`Stage`]): reading a request head, reading a
//! request body, or draining after an error response. Heads and bodies are both read in
//! the loop, with non-blocking reads: a body that is not all there when its head is parsed
//! waits in the loop like a slow head (in memory up to the post-buffering threshold, then in
//! an anonymous file), so a slow uploader costs a buffer, never the worker or one of its
//! threads. The app is called only once the body is complete (DESIGN, "A worker"), and the
//! bytes read past the end of a body (a pipelined request) stay in the connection's buffer
//! for the next head: nothing read is ever dropped or read twice. A body has two deadlines:
//! `socket-timeout` without progress, and a total one (`body-timeout` plus a second per
//! `body-min-rate` bytes received, Apache's `mod_reqtimeout` rule) so that a body trickled
//! byte by byte cannot hold a connection forever; `limit-post` refuses a body (413) before
//! it is read, or a chunked one as soon as it passes the limit.
//!
//! The response is written with the socket still non-blocking: a write that would block
//! waits in `poll` for at most `socket-timeout` (`Timed`). One thread never interleaves two
//! requests. An HTTP connection that may be kept alive then waits in the loop, never holding
//! Python: the poll wait runs with the app "unlocked" (the GIL released).
//!
//! Error responses (400, 413, 431…) are followed by a lingering close: the write side is shut
//! down and what the client still sends is read and dropped for a moment, so that the
//! response is not lost to the reset a close with unread bytes would send. A response that
//! fails after its head was sent ([`Responder::abort`]) never looks complete: no last chunk,
//! a close short of the `Content-Length`, or a reset where only the close ends the body.
//!
//! A panic while a request is served (a bug in emperor) costs that request only: it is
//! caught around the app call, logged with the request, answered 500 when nothing was sent
//! (else aborted), and the worker, or the worker's thread, goes on. A panic elsewhere in the
//! loop costs the one connection it happened on.
//!
//! Buffers are reused: a connection's read buffer comes from a free list, the request's
//! variables and the response head are written into per-worker buffers, so serving a
//! request allocates only what the app itself needs.
//!
//! Static files (`static-map`, `check-static`…) are looked up after the body is read and
//! before the app: a `GET` or `HEAD` whose `PATH_INFO` names a file under a static rule is
//! answered from the worker with `sendfile`, the app unlocked, through the same responder
//! (framing, keep-alive) and request log line as an app response (see [`crate::static_files`]).
//! Without static rules this costs one branch per request.
//!
//! Signals (blocked, read from a signalfd in the loop): SIGHUP and SIGTERM stop accepting,
//! finish the current request and exit; SIGINT and SIGQUIT exit at once.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use emperor_options::typed::Protocol;
use emperor_proto::app::{App, Body, Outcome, Request, Responder, ResponseInfo, Vars};
use emperor_proto::{http, uwsgi};
use emperor_sys::net::Peer;
use emperor_sys::signals::SignalFd;
use emperor_sys::signals::numbers::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::listeners::Listener;
use crate::log;
use crate::reqlog::{self, RequestLog};
use crate::scoreboard::{CoreField, Field, Scoreboard};
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
    /// `max-requests-delta`: worker N recycles after `max-requests + (N-1) * delta`, so the
    /// workers do not all restart at once (uWSGI #2033).
    pub max_requests_delta: u64,
    /// `min-worker-lifetime`: no `max-requests` / `reload-on-exception` recycling before
    /// a worker has lived this long (uWSGI's guard, 10 s by default).
    pub min_worker_lifetime: Duration,
    /// `reload-on-exception`: a worker whose app raised is replaced after that response.
    pub reload_on_exception: bool,
    /// `cpu-affinity N`: worker W is pinned to N CPUs starting at `(W-1)*N mod ncpu`.
    pub cpu_affinity: u32,
    /// `worker-reload-mercy`.
    pub reload_mercy: Duration,
    /// The request log (`disable-logging`, `log-format`, `log-4xx`…).
    pub request_log: RequestLog,
    /// `SERVER_NAME` for HTTP requests (the host name, as uWSGI).
    pub hostname: Vec<u8>,
    /// Static file rules; `None` when the vassal has none.
    pub static_files: Option<StaticFiles>,
    /// `reuse-port`: each worker also binds its own `SO_REUSEPORT` socket on every TCP
    /// listener, and accepts from both.
    pub reuse_port: bool,
    /// `limit-post`: the largest request body in bytes (0 = no limit).
    pub limit_post: u64,
    /// `body-timeout`: how long a request body may take, before `body_min_rate` extends it
    /// (zero: no total deadline, only `socket-timeout` between reads).
    pub body_timeout: Duration,
    /// `body-min-rate`: each this many bytes of body received add a second to its deadline.
    pub body_min_rate: u64,
    /// A request whose `PATH_INFO` is exactly this makes the worker panic: a test hook for
    /// the panic guard (`EMPEROR_TEST_PANIC_PATH` in the environment; never set otherwise).
    pub panic_path: Option<Vec<u8>>,
}

const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
const FIRST_CONN: usize = 1 << 20;
/// Poller tokens of a worker's own `reuse-port` sockets: `OWN_SOCKETS + listener index`.
const OWN_SOCKETS: usize = 1 << 16;
/// The initial capacity of a handler's response buffer.
const OUT_BUF: usize = 1024;
/// Read buffers kept for reuse by a worker (each `buffer-size` bytes).
const SPARE_BUFFERS: usize = 64;
/// A worker holding this many more open connections than an idle sibling stops accepting
/// for a moment, so kept-alive clients spread evenly over the workers (see [`Worker::balance`]).
const BALANCE_SLACK: usize = 4;
/// How long a worker may stop accepting in one go; then it accepts for at least
/// [`BALANCE_REST`] (a sibling that looks idle but does not accept cannot stall the queue).
const BALANCE_PAUSE: Duration = Duration::from_millis(50);
const BALANCE_REST: Duration = Duration::from_millis(200);

/// How long a lingering close after an error response reads (and drops) what the client
/// still sends, and how much of it at most.
const DRAIN_TIME: Duration = Duration::from_secs(2);
const DRAIN_BYTES: usize = 1 << 20;
/// The buffer bodies larger than `post-buffering` are read through (one per worker).
const FILE_CHUNK: usize = 64 * 1024;
/// Spare variable buffers kept for requests that wait for their body.
const SPARE_VARS: usize = 16;

struct Conn {
    file: File,
    listener: usize,
    /// Bytes read and not used yet: a request head, or the start of one (read past a body).
    buf: Vec<u8>,
    filled: usize,
    peer: Peer,
    /// When a connection waiting in the loop is dropped: set when it starts waiting
    /// (`socket-timeout` for a request under way, the keep-alive timeout between requests),
    /// so a connection served at once never reads the clock for it.
    deadline: Option<Instant>,
    registered: bool,
    /// Requests served on this connection (0: a request may be on its way).
    served: u32,
    stage: Stage,
}

/// What a connection is reading.
enum Stage {
    /// A request head (or nothing yet, between requests).
    Head,
    /// The body of a parsed request.
    Body(Box<InBody>),
    /// An error response was sent and the write side shut down: what the client still sends
    /// is dropped until it closes, `left` more bytes or the deadline, whichever comes first.
    Drain { until: Instant, left: usize },
}

/// A request whose body is on its way.
struct InBody {
    job: Job,
    /// The request's variables (the worker's own buffer serves the next head meanwhile).
    vars: Vars,
    reader: BodyReader,
    /// When the body started: its total deadline counts from here.
    started: Instant,
}

#[derive(Clone, Copy)]
enum Next {
    /// Wait for more bytes in the loop.
    Wait,
    Close,
    /// A complete request went to a Python thread (`threads > 1`).
    Dispatched,
}

/// A parsed request head, ready to be served once its body is there.
struct Job {
    head_len: usize,
    body: BodySpec,
    framing: Framing,
    /// Whether the request allows keep-alive (HTTP/1.1, no `Connection: close`).
    keep: bool,
    /// HTTP/1.1 `Expect: 100-continue`: send `100 Continue` before waiting for the body.
    expect_continue: bool,
}

enum Parsed {
    Incomplete,
    Ready(Job),
    Close,
    /// An error response was sent: close after a lingering drain.
    Refused,
}

/// Makes an app for one more thread of a worker, called in that thread (`threads > 1`).
pub type ThreadApps = std::sync::Arc<dyn Fn() -> Result<Box<dyn App>, String> + Send + Sync>;

/// Serves requests on one thread: its app and its core slot of the scoreboard.
struct Handler<'a> {
    app: Box<dyn App + 'a>,
    sb: &'a Scoreboard,
    s: &'a WorkerSettings,
    index: usize,
    core: usize,
    pid: u32,
    /// The response head (and small body chunks) being assembled, reused across requests.
    out: Vec<u8>,
    /// A connection this handler does not keep is closed as soon as its response is done
    /// (the inline handler; a Python thread hands it back to the I/O thread instead).
    closes_at_once: bool,
}

/// A connection back from a Python thread: its token, and what `Handler::serve` returned.
type Returned = (usize, Conn, Option<bool>);

/// The request queue between the I/O thread and the Python threads of a worker.
struct Pool {
    queue: Mutex<VecDeque<Work>>,
    ready: Condvar,
    done: Mutex<Vec<Returned>>,
    waker: Waker,
    in_flight: AtomicUsize,
    shutdown: AtomicBool,
    stopping: AtomicBool,
}

struct Work {
    token: usize,
    conn: Conn,
    job: Job,
    body: Body,
    vars: Vars,
}

impl Pool {
    fn submit(&self, work: Work) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(work);
        self.ready.notify_one();
    }

    /// The next request, waiting with the app unlocked; `None` at shutdown.
    fn take(&self, app: &mut dyn App) -> Option<Work> {
        let mut out = None;
        app.unlocked(&mut || {
            let mut queue = self
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            loop {
                if let Some(work) = queue.pop_front() {
                    out = Some(work);
                    return;
                }
                if self.shutdown.load(Ordering::SeqCst) {
                    return;
                }
                queue = self
                    .ready
                    .wait(queue)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        });
        out
    }

    fn finish(&self, token: usize, conn: Conn, result: Option<bool>) {
        self.done
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((token, conn, result));
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let _ = self.waker.wake();
    }

    fn close(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        self.ready.notify_all();
    }
}

struct Worker<'a> {
    index: usize,
    listeners: &'a [Listener],
    sb: &'a Scoreboard,
    s: &'a WorkerSettings,
    poll: Poll,
    conns: HashMap<usize, Conn>,
    next_token: usize,
    stopping: bool,
    vars: Vars,
    /// Read buffers of closed connections, for the next ones.
    spare: Vec<Vec<u8>>,
    /// This worker's own `reuse-port` sockets: (listener index, socket).
    own: Vec<(usize, std::os::fd::OwnedFd)>,
    /// Open connections as last published in the scoreboard.
    published: usize,
    /// Since when the listeners are out of the poller to let a sibling catch up.
    paused: Option<Instant>,
    /// No pause before this instant (after a pause ran out).
    rest_until: Option<Instant>,
    /// A complete request about to be dispatched to a Python thread.
    pending: Option<(Job, Body)>,
    /// Variable buffers for requests that wait for their body.
    spare_vars: Vec<Vars>,
    /// The buffer large bodies are read through on their way to their file.
    scratch: Vec<u8>,
    pid: u32,
    /// When the worker started (`min-worker-lifetime`).
    started: std::time::Instant,
    /// The slot's exception count when the worker started (`reload-on-exception`).
    exceptions_at_start: u64,
}

/// Runs the worker loop; returns the process exit code. With `threads > 1` and a
/// `thread_apps` factory, requests run on that many Python threads fed by one I/O thread.
pub fn run<A: App>(
    index: usize,
    listeners: &[Listener],
    app: A,
    thread_apps: Option<(usize, ThreadApps)>,
    sb: &Scoreboard,
    s: &WorkerSettings,
) -> i32 {
    let mut worker = match Worker::new(index, listeners, sb, s) {
        Ok(w) => w,
        Err(e) => {
            log::line(&format!("worker {}: failed to start: {e}", index + 1));
            return 1;
        }
    };
    // Block the worker's signals before any thread starts: threads inherit the mask, so a
    // signal can only be read from the signalfd, never delivered to a Python thread.
    let signals = match SignalFd::new(&[SIGHUP, SIGTERM, SIGINT, SIGQUIT]) {
        Ok(s) => s,
        Err(e) => {
            log::line(&format!(
                "worker {}: failed to set up signals: {e}",
                index + 1
            ));
            return 1;
        }
    };
    let pid = std::process::id();
    if s.cpu_affinity > 0 {
        // uWSGI's mapping: worker W gets N consecutive CPUs from (W-1)*N, wrapping.
        let ncpu = emperor_sys::process::online_cpus().max(1);
        let n = s.cpu_affinity as usize;
        let cpus: Vec<usize> = (0..n).map(|k| (index * n + k) % ncpu).collect();
        match emperor_sys::process::set_cpu_affinity(&cpus) {
            Ok(()) => log::line(&format!(
                "mapping worker {} to CPUs: {}",
                index + 1,
                cpus.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            Err(e) => log::line(&format!(
                "worker {}: cannot set `cpu-affinity`: {e}",
                index + 1
            )),
        }
    }
    match thread_apps {
        Some((threads, factory)) if threads > 1 => {
            let mut main_app = app;
            let mut code = 1;
            // The I/O thread never holds Python: the whole loop runs unlocked, and the Python
            // threads take the GIL in turn.
            let mut signals = Some(signals);
            main_app.unlocked(&mut || {
                if let Some(signals) = signals.take() {
                    code = worker.run_threaded(threads, &factory, pid, signals);
                }
            });
            code
        }
        _ => {
            let mut handler = Handler {
                app: Box::new(app),
                sb,
                s,
                index,
                core: 0,
                pid,
                out: Vec::with_capacity(OUT_BUF),
                closes_at_once: true,
            };
            worker.run(Some(&mut handler), None, signals)
        }
    }
}

const WAKE_TOKEN: Token = Token(usize::MAX - 2);

impl<'a> Worker<'a> {
    fn new(
        index: usize,
        listeners: &'a [Listener],
        sb: &'a Scoreboard,
        s: &'a WorkerSettings,
    ) -> io::Result<Self> {
        let poll = Poll::new()?;
        let mut own = Vec::new();
        for (i, l) in served(listeners) {
            emperor_sys::net::set_nonblocking(l.raw(), true)?;
            emperor_sys::net::epoll_add_exclusive(poll.as_raw_fd(), l.raw(), i as u64)?;
            if s.reuse_port
                && let Some(fd) = own_socket(index, l, s)
            {
                emperor_sys::net::epoll_add(
                    poll.as_raw_fd(),
                    fd.as_raw_fd(),
                    (OWN_SOCKETS + i) as u64,
                )?;
                own.push((i, fd));
            }
        }
        Ok(Worker {
            index,
            listeners,
            sb,
            s,
            poll,
            conns: HashMap::new(),
            next_token: FIRST_CONN,
            stopping: false,
            vars: Vars::with_capacity(4096, 64),
            spare: Vec::new(),
            own,
            published: 0,
            paused: None,
            rest_until: None,
            pending: None,
            spare_vars: Vec::new(),
            scratch: Vec::new(),
            pid: std::process::id(),
            started: std::time::Instant::now(),
            exceptions_at_start: sb.get(index, Field::Exceptions),
        })
    }

    fn run_threaded(
        &mut self,
        threads: usize,
        factory: &ThreadApps,
        pid: u32,
        signals: SignalFd,
    ) -> i32 {
        let waker = match Waker::new(self.poll.registry(), WAKE_TOKEN) {
            Ok(w) => w,
            Err(e) => {
                log::line(&format!(
                    "worker {}: failed to set up threads: {e}",
                    self.index + 1
                ));
                return 1;
            }
        };
        let pool = Pool {
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            done: Mutex::new(Vec::new()),
            waker,
            in_flight: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
        };
        let (sb, s, index) = (self.sb, self.s, self.index);
        std::thread::scope(|scope| {
            for core in 0..threads {
                let pool = &pool;
                let spawned = std::thread::Builder::new()
                    .name(format!("core {core}"))
                    .spawn_scoped(scope, move || {
                        let app = match factory() {
                            Ok(app) => app,
                            Err(e) => {
                                log::line(&format!("worker {} core {core}: {e}", index + 1));
                                return;
                            }
                        };
                        let mut handler = Handler {
                            app,
                            sb,
                            s,
                            index,
                            core,
                            pid,
                            out: Vec::with_capacity(OUT_BUF),
                            closes_at_once: false,
                        };
                        while let Some(work) = pool.take(handler.app.as_mut()) {
                            let stopping = pool.stopping.load(Ordering::SeqCst);
                            let Work {
                                token,
                                mut conn,
                                job,
                                body,
                                mut vars,
                            } = work;
                            // `serve` catches panics around the request; this one catches
                            // the rest, so the thread lives on and the I/O thread gets the
                            // connection back (else the worker would wait for it forever).
                            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                handler.serve(&mut conn, job, body, &mut vars, stopping)
                            }))
                            .unwrap_or_else(|panic| {
                                log::line(&format!(
                                    "worker {} core {core}: panic while serving a request from {}: {} (the connection is closed)",
                                    index + 1,
                                    conn.peer.ip_str(),
                                    panic_message(&*panic)
                                ));
                                None
                            });
                            pool.finish(token, conn, result);
                        }
                    });
                if let Err(e) = spawned {
                    log::line(&format!(
                        "worker {}: failed to start thread {core}: {e}",
                        index + 1
                    ));
                }
            }
            let code = self.run(None, Some(&pool), signals);
            pool.close();
            code
        })
    }

    /// The I/O loop. `inline`: serve requests on this thread; `pool`: hand them to threads.
    fn run(
        &mut self,
        mut inline: Option<&mut Handler<'_>>,
        pool: Option<&Pool>,
        mut signals: SignalFd,
    ) -> i32 {
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
            let busy = pool.is_some_and(|p| p.in_flight.load(Ordering::SeqCst) > 0);
            if self.stopping && self.conns.is_empty() && !busy {
                return 0;
            }
            let open = self.conns.len() + pool.map_or(0, |p| p.in_flight.load(Ordering::SeqCst));
            self.balance(open);
            let timeout = Some(if self.paused.is_some() {
                Duration::from_millis(5)
            } else {
                Duration::from_secs(1)
            });
            let poll = &mut self.poll;
            let mut result = Ok(());
            match inline.as_deref_mut() {
                Some(handler) => handler
                    .app
                    .unlocked(&mut || result = poll.poll(&mut events, timeout)),
                None => result = poll.poll(&mut events, timeout),
            }
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
                            // Brutal: do not wait for threads stuck in the app.
                            SIGINT | SIGQUIT if pool.is_some() => emperor_sys::process::exit_now(0),
                            SIGINT | SIGQUIT => return 0,
                            _ => self.stop_accepting(pool),
                        }
                    }
                } else if token == WAKE_TOKEN {
                    if let Some(pool) = pool {
                        self.returned(pool);
                    }
                } else if token.0 < self.listeners.len() {
                    if !self.stopping {
                        let fd = self.listeners[token.0].raw();
                        self.guarded(|w| w.accept(token.0, fd, &mut inline, pool));
                    }
                } else if let Some(&(i, ref fd)) = token
                    .0
                    .checked_sub(OWN_SOCKETS)
                    .and_then(|i| self.own.iter().find(|(l, _)| *l == i))
                {
                    if !self.stopping {
                        let fd = fd.as_raw_fd();
                        self.guarded(|w| w.accept(i, fd, &mut inline, pool));
                    }
                } else {
                    self.guarded(|w| w.ready(token.0, &mut inline, pool));
                }
                if let Some(why) = self.recycle_reason() {
                    if pool.is_none() {
                        log::line(&format!(
                            "...The work of process {} is done ({why}). Seeya!",
                            self.pid
                        ));
                        return 0;
                    }
                    if !self.stopping {
                        log::line(&format!(
                            "...The work of process {} is done ({why}). Seeya!",
                            self.pid
                        ));
                        self.stop_accepting(pool);
                    }
                }
            }
            self.sweep();
        }
    }

    /// Runs `f` (which drives one connection), so that a panic in it costs only that
    /// connection (dropped, hence closed, while unwinding) and never the worker.
    fn guarded(&mut self, f: impl FnOnce(&mut Self)) {
        if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
            log::line(&format!(
                "worker {}: panic while handling a connection: {} (the connection is closed)",
                self.index + 1,
                panic_message(&*panic)
            ));
        }
    }

    /// Connections coming back from the Python threads.
    fn returned(&mut self, pool: &Pool) {
        let done: Vec<_> = std::mem::take(
            &mut *pool
                .done
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for (token, mut conn, result) in done {
            match result {
                Some(true) if !self.stopping && !self.recycle_due() => {}
                // Answered, not kept, and the client sent more: a lingering close.
                Some(_) if conn.filled > 0 => {
                    let next = self.linger(&mut conn);
                    self.settle(token, conn, next, Some(pool));
                    continue;
                }
                _ => continue,
            }
            reuse(&mut conn);
            self.conns.insert(token, conn);
            self.ready(token, &mut None, Some(pool));
        }
    }

    /// Keeps kept-alive clients spread over the workers: a worker with [`BALANCE_SLACK`] more
    /// open connections than a sibling that is accepting and idle (no request under way)
    /// takes its listeners out of its poller, so new connections wake that sibling instead,
    /// and puts them back once the gap closed or after [`BALANCE_PAUSE`]. One-shot
    /// connections never count (they are closed before the loop comes back here), so this
    /// costs a few atomic loads per wake-up and no syscall unless the workers drift apart.
    fn balance(&mut self, open: usize) {
        if open != self.published {
            self.sb.set(self.index, Field::Connections, open as u64);
            self.published = open;
        }
        if self.stopping {
            return;
        }
        let crowded = open > BALANCE_SLACK
            && (0..self.sb.slots()).any(|w| {
                w != self.index
                    && self.sb.get(w, Field::Accepting) == 1
                    && self.sb.get(w, Field::Busy) == 0
                    && usize::try_from(self.sb.get(w, Field::Connections)).unwrap_or(usize::MAX)
                        + BALANCE_SLACK
                        < open
            });
        match self.paused {
            None if crowded && self.rest_until.is_none_or(|t| Instant::now() >= t) => {
                self.poll_listeners(false);
                self.paused = Some(Instant::now());
            }
            Some(since) if !crowded || since.elapsed() >= BALANCE_PAUSE => {
                if crowded {
                    self.rest_until = Some(Instant::now() + BALANCE_REST);
                }
                self.paused = None;
                self.poll_listeners(true);
            }
            _ => {}
        }
    }

    /// Puts the shared listeners in the poller (`EPOLLEXCLUSIVE`, token = index) or takes
    /// them out (a pause of [`Self::balance`], a stop).
    fn poll_listeners(&self, on: bool) {
        let epfd = self.poll.as_raw_fd();
        for (i, l) in served(self.listeners) {
            let _ = if on {
                emperor_sys::net::epoll_add_exclusive(epfd, l.raw(), i as u64)
            } else {
                emperor_sys::net::epoll_remove(epfd, l.raw())
            };
        }
    }

    fn stop_accepting(&mut self, pool: Option<&Pool>) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        if let Some(pool) = pool {
            pool.stopping.store(true, Ordering::SeqCst);
        }
        self.sb.set(self.index, Field::Accepting, 0);
        self.poll_listeners(false);
        // Closing its own sockets takes this worker out of the reuseport groups: no new
        // connection is routed to it (the ones already queued there move to another socket
        // of the group with `net.ipv4.tcp_migrate_req = 1`, else they are reset).
        self.own.clear();
        // Idle keep-alive connections are closed. A connection accepted but whose request has
        // not fully arrived is kept and served (then closed): closing it would drop a request
        // the client already sent. Its read deadline bounds the wait.
        self.conns
            .retain(|_, c| c.served == 0 || c.filled > 0 || !matches!(c.stage, Stage::Head));
    }

    /// Why this worker should be replaced after the current response, if it should.
    fn recycle_reason(&self) -> Option<&'static str> {
        // Checked after every request: the common case (no recycling option) costs nothing.
        if (self.s.max_requests == 0 && !self.s.reload_on_exception)
            || self.started.elapsed() < self.s.min_worker_lifetime
        {
            return None;
        }
        let limit = self.s.max_requests + self.index as u64 * self.s.max_requests_delta;
        if self.s.max_requests > 0 && self.sb.get(self.index, Field::DeltaRequests) >= limit {
            return Some("max requests reached");
        }
        if self.s.reload_on_exception
            && self.sb.get(self.index, Field::Exceptions) > self.exceptions_at_start
        {
            return Some("reload-on-exception");
        }
        None
    }

    fn recycle_due(&self) -> bool {
        self.recycle_reason().is_some()
    }

    /// Accepts one connection from `socket` (listener `listener` itself or this worker's own
    /// socket for it) and serves it. One per wake-up: the worker goes back to its loop after
    /// each accept, so a burst of new connections spreads over the idle workers
    /// (EPOLLEXCLUSIVE wakes one waiting worker per connection) instead of all landing on the
    /// first one woken; a listener still readable is reported again at once.
    fn accept(
        &mut self,
        listener: usize,
        socket: RawFd,
        inline: &mut Option<&mut Handler<'_>>,
        pool: Option<&Pool>,
    ) {
        match emperor_sys::net::accept(socket) {
            Ok(Some((fd, peer))) => {
                let conn = Conn {
                    file: File::from(fd),
                    listener,
                    buf: self.spare.pop().unwrap_or_default(),
                    filled: 0,
                    peer,
                    deadline: None,
                    registered: false,
                    served: 0,
                    stage: Stage::Head,
                };
                let token = self.next_token;
                self.next_token = self.next_token.wrapping_add(1).max(FIRST_CONN);
                // Read right away: the request usually arrived with the connection.
                self.handle(token, conn, inline, pool);
            }
            Ok(None) => {}
            Err(e) => log::line(&format!("worker {}: accept failed: {e}", self.index + 1)),
        }
    }

    /// Drives a connection that is readable (or back from a Python thread).
    fn ready(&mut self, token: usize, inline: &mut Option<&mut Handler<'_>>, pool: Option<&Pool>) {
        if let Some(conn) = self.conns.remove(&token) {
            self.handle(token, conn, inline, pool);
        }
    }

    /// Reads, parses and serves what `conn` has; keeps it (registered with the poller) when
    /// it must wait for more bytes.
    fn handle(
        &mut self,
        token: usize,
        mut conn: Conn,
        inline: &mut Option<&mut Handler<'_>>,
        pool: Option<&Pool>,
    ) {
        let next = self.drive(&mut conn, inline.as_deref_mut());
        self.settle(token, conn, next, pool);
    }

    /// Does what `next` says with a connection: keep it in the poller, close it, or hand
    /// its request to a Python thread.
    fn settle(&mut self, token: usize, mut conn: Conn, next: Next, pool: Option<&Pool>) {
        match next {
            Next::Wait => {
                match &conn.stage {
                    Stage::Drain { until, .. } => conn.deadline = Some(*until),
                    Stage::Body(body) if conn.deadline.is_none() => {
                        let idle = Instant::now() + self.s.socket_timeout;
                        conn.deadline = Some(match body_deadline(body, self.s) {
                            Some(total) => idle.min(total),
                            None => idle,
                        });
                    }
                    _ if conn.deadline.is_none() => {
                        let wait = if conn.filled == 0 && conn.served > 0 {
                            self.s.keepalive_timeout
                        } else {
                            self.s.socket_timeout
                        };
                        conn.deadline = Some(Instant::now() + wait);
                    }
                    _ => {}
                }
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
            // Closing the descriptor removes it from the poller: no deregistration needed.
            Next::Close => self.recycle_buffer(conn.buf),
            Next::Dispatched => {
                let Some(pool) = pool else { return };
                let Some((job, body)) = self.pending.take() else {
                    return;
                };
                let spare = self.spare_vars.pop().unwrap_or_else(new_vars);
                let vars = std::mem::replace(&mut self.vars, spare);
                pool.submit(Work {
                    token,
                    conn,
                    job,
                    body,
                    vars,
                });
            }
        }
    }

    fn recycle_buffer(&mut self, buf: Vec<u8>) {
        if self.spare.len() < SPARE_BUFFERS && buf.capacity() > 0 {
            self.spare.push(buf);
        }
    }

    fn sweep(&mut self) {
        if self.conns.is_empty() {
            return;
        }
        let now = Instant::now();
        let expired: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| c.deadline.is_some_and(|d| d <= now))
            .map(|(t, _)| *t)
            .collect();
        for token in expired {
            if let Some(conn) = self.conns.remove(&token) {
                if let Stage::Body(body) = &conn.stage {
                    self.body_timed_out(&conn, body, now);
                }
                self.recycle_buffer(conn.buf);
            }
        }
    }

    /// A body missed its deadline: logged, and answered 408 over HTTP (best effort: the
    /// socket is not waited for), then the connection is closed.
    fn body_timed_out(&self, conn: &Conn, body: &InBody, now: Instant) {
        let why = if body_deadline(body, self.s).is_some_and(|d| d <= now) {
            format!(
                "the body came slower than `body-min-rate` ({} bytes/s) allows after `body-timeout` ({}s): {} of {} bytes in {:.1}s",
                self.s.body_min_rate,
                self.s.body_timeout.as_secs(),
                body.reader.received(),
                body.job.body.describe(),
                now.duration_since(body.started).as_secs_f64()
            )
        } else {
            format!(
                "no progress within socket-timeout ({}s)",
                self.s.socket_timeout.as_secs()
            )
        };
        log::line(&format!(
            "error reading the request body from {} ({}): {why}",
            conn.peer.ip_str(),
            request_label(&body.vars)
        ));
        if self.listeners[conn.listener].protocol == Protocol::Http {
            let mut out = Vec::new();
            http::write_error_response(&mut out, 408);
            let _ = emperor_sys::net::write_nonblocking(conn.file.as_raw_fd(), &out);
        }
    }

    /// Sends an error response already written into `out`, then drains (see [`Stage::Drain`]).
    fn refuse(&mut self, conn: &mut Conn, out: &[u8]) -> Next {
        let _ = emperor_sys::net::write_nonblocking(conn.file.as_raw_fd(), out);
        self.linger(conn)
    }

    /// Shuts the write side down and drops what the client still sends for a moment, so
    /// that the response just sent reaches it instead of being lost to a reset.
    fn linger(&mut self, conn: &mut Conn) -> Next {
        if emperor_sys::net::shutdown_write(conn.file.as_raw_fd()).is_err() {
            return Next::Close;
        }
        conn.filled = 0;
        conn.deadline = None;
        conn.stage = Stage::Drain {
            until: Instant::now() + DRAIN_TIME.min(self.s.socket_timeout),
            left: DRAIN_BYTES,
        };
        drain(conn)
    }

    /// Reads and parses until a request (head and body) is complete. Inline, it is served
    /// here and the loop goes on with pipelined bytes; without a handler, it is left for
    /// dispatch.
    fn drive(&mut self, conn: &mut Conn, mut inline: Option<&mut Handler<'_>>) -> Next {
        let protocol = self.listeners[conn.listener].protocol;
        let capacity = self.s.buffer_size + 4;
        if conn.buf.len() < capacity {
            conn.buf.resize(capacity, 0);
        }
        loop {
            match std::mem::replace(&mut conn.stage, Stage::Head) {
                Stage::Head => {}
                drain_stage @ Stage::Drain { .. } => {
                    conn.stage = drain_stage;
                    return drain(conn);
                }
                Stage::Body(mut body) => match self.pump(conn, &mut body) {
                    Ok(false) => {
                        conn.stage = Stage::Body(body);
                        return Next::Wait;
                    }
                    Ok(true) => {
                        let InBody {
                            job,
                            mut vars,
                            reader,
                            ..
                        } = *body;
                        // The request's variables become the worker's again; the buffer
                        // they replace goes back to the spares.
                        std::mem::swap(&mut self.vars, &mut vars);
                        if self.spare_vars.len() < SPARE_VARS {
                            self.spare_vars.push(vars);
                        }
                        match self.complete(conn, job, reader, &mut inline) {
                            Ok(Some(next)) => return next,
                            Ok(None) => continue,
                            Err(e) => return self.body_failed(conn, protocol, &e),
                        }
                    }
                    Err(e) => {
                        if self.spare_vars.len() < SPARE_VARS {
                            self.spare_vars.push(std::mem::take(&mut body.vars));
                        }
                        return self.body_failed(conn, protocol, &e);
                    }
                },
            }
            if conn.filled > 0 {
                match parse(conn, &self.listeners[conn.listener], self.s, &mut self.vars) {
                    Parsed::Incomplete => {}
                    Parsed::Close => return Next::Close,
                    Parsed::Refused => return self.linger(conn),
                    Parsed::Ready(job) => match self.start_body(conn, job, &mut inline) {
                        Ok(Some(next)) => return next,
                        Ok(None) => continue,
                        Err(e) => return self.body_failed(conn, protocol, &e),
                    },
                }
                if conn.filled == conn.buf.len() {
                    // A head larger than buffer-size.
                    log::line(&format!(
                        "invalid request head size (max {})...skip",
                        self.s.buffer_size
                    ));
                    if protocol == Protocol::Http {
                        let mut out = Vec::new();
                        http::write_error_response(&mut out, 431);
                        return self.refuse(conn, &out);
                    }
                    return Next::Close;
                }
            }
            match conn.file.read(&mut conn.buf[conn.filled..]) {
                Ok(0) => return Next::Close,
                Ok(n) => {
                    conn.filled += n;
                    if conn.filled == n {
                        // The first bytes of a request: it gets `socket-timeout` from now.
                        conn.deadline = None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
    }

    /// A parsed head: refuses a body over `limit-post`, takes the body bytes that came with
    /// the head (what follows them stays buffered: the next request), and reads on while
    /// the socket has more. `Ok(None)`: served and kept, go on with the next request;
    /// `Ok(Some(next))`: what to do with the connection (wait for the body, close…).
    fn start_body(
        &mut self,
        conn: &mut Conn,
        job: Job,
        inline: &mut Option<&mut Handler<'_>>,
    ) -> Result<Option<Next>, BodyError> {
        let limit = self.s.limit_post;
        if let BodySpec::Length(n) = job.body
            && limit > 0
            && n > limit
        {
            return Err(BodyError::TooLarge {
                limit,
                what: format!("{n} bytes announced"),
                label: request_label(&self.vars),
            });
        }
        let mut reader = BodyReader::new(&job.body, self.s.memory_body_limit)?;
        let used = reader.take(&conn.buf[job.head_len..conn.filled], limit)?;
        consume(conn, job.head_len + used);
        if !reader.is_done() {
            if job.expect_continue {
                let _ = emperor_sys::net::write_nonblocking(conn.file.as_raw_fd(), http::CONTINUE);
            }
            // Usually the rest of the body is in the socket already.
            let done = pump_body(conn, &mut reader, &mut self.scratch, limit)
                .map_err(|e| e.labelled(|| request_label(&self.vars)))?;
            if !done {
                // The rest of the body waits in the loop, with the request's variables.
                let spare = self.spare_vars.pop().unwrap_or_else(new_vars);
                let vars = std::mem::replace(&mut self.vars, spare);
                conn.deadline = None;
                conn.stage = Stage::Body(Box::new(InBody {
                    job,
                    vars,
                    reader,
                    started: Instant::now(),
                }));
                return Ok(Some(Next::Wait));
            }
        }
        self.complete(conn, job, reader, inline)
    }

    /// Reads more of a waiting body; `Ok(true)` once it is complete.
    fn pump(&mut self, conn: &mut Conn, body: &mut InBody) -> Result<bool, BodyError> {
        let vars = &body.vars;
        pump_body(conn, &mut body.reader, &mut self.scratch, self.s.limit_post)
            .map_err(|e| e.labelled(|| request_label(vars)))
    }

    /// The body is complete: the request (its variables in `self.vars`) is served inline or
    /// left for a Python thread.
    fn complete(
        &mut self,
        conn: &mut Conn,
        job: Job,
        reader: BodyReader,
        inline: &mut Option<&mut Handler<'_>>,
    ) -> Result<Option<Next>, BodyError> {
        let body = reader.finish()?;
        let Some(handler) = inline.as_deref_mut() else {
            self.pending = Some((job, body));
            return Ok(Some(Next::Dispatched));
        };
        match handler.serve(conn, job, body, &mut self.vars, self.stopping) {
            Some(true) if !self.stopping && !self.recycle_due() => {
                reuse(conn);
                Ok(None)
            }
            // Answered and not kept, but the client sent more than the request (nginx's
            // heuristic): closing now would reset the connection and could lose the answer.
            Some(_) if conn.filled > 0 => Ok(Some(self.linger(conn))),
            _ => Ok(Some(Next::Close)),
        }
    }

    /// A body that cannot be served: logged; a client error is answered (413, 400) before a
    /// lingering close, a lost client or a local failure closes.
    fn body_failed(&mut self, conn: &mut Conn, protocol: Protocol, e: &BodyError) -> Next {
        log::line(&format!(
            "error reading the request body from {}: {e}",
            conn.peer.ip_str()
        ));
        let Some(status) = e.status() else {
            return Next::Close;
        };
        let mut out = Vec::new();
        match protocol {
            Protocol::Http => http::write_error_response(&mut out, status),
            Protocol::Uwsgi => uwsgi::write_response_head(
                &mut out,
                b"HTTP/1.0",
                format!("{status} {}", http::reason(status)).as_bytes(),
                &[],
            ),
        }
        self.refuse(conn, &out)
    }
}

/// Reads and drops what a refused client still sends (see [`Stage::Drain`]).
fn drain(conn: &mut Conn) -> Next {
    let Stage::Drain { left, .. } = &mut conn.stage else {
        return Next::Close;
    };
    loop {
        let want = conn.buf.len().min(*left);
        match conn.file.read(&mut conn.buf[..want]) {
            Ok(0) => return Next::Close,
            Ok(n) => {
                *left -= n;
                if *left == 0 {
                    return Next::Close;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Wait,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Next::Close,
        }
    }
}

/// The total deadline of a body: `body-timeout` after it started, plus a second for every
/// `body-min-rate` bytes received (`None`: no total deadline).
fn body_deadline(body: &InBody, s: &WorkerSettings) -> Option<Instant> {
    if s.body_timeout.is_zero() {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let earned = if s.body_min_rate == 0 {
        return None;
    } else {
        Duration::from_secs_f64(body.reader.received() as f64 / s.body_min_rate as f64)
    };
    Some(body.started + s.body_timeout + earned)
}

/// Reads what the socket has for `reader` without blocking; `Ok(true)` once the body is
/// complete, `Ok(false)` when the socket has nothing more for now. Bytes read past the end
/// of a chunked body stay in the connection's buffer.
fn pump_body(
    conn: &mut Conn,
    reader: &mut BodyReader,
    scratch: &mut Vec<u8>,
    limit: u64,
) -> Result<bool, BodyError> {
    while !reader.is_done() {
        let read = match reader {
            BodyReader::Memory { buf, filled } => {
                let n = conn.file.read(&mut buf[*filled..]);
                if let Ok(n) = n {
                    *filled += n;
                }
                n
            }
            BodyReader::File {
                file, remaining, ..
            } => {
                if scratch.len() < FILE_CHUNK {
                    scratch.resize(FILE_CHUNK, 0);
                }
                let want = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(scratch.len());
                let n = conn.file.read(&mut scratch[..want]);
                if let Ok(n) = n {
                    file.write_all(&scratch[..n]).map_err(BodyError::Spool)?;
                    *remaining -= n as u64;
                }
                n
            }
            BodyReader::Chunked { .. } => {
                let n = conn.file.read(&mut conn.buf[conn.filled..]);
                if let Ok(n) = n {
                    conn.filled += n;
                    let used = reader.take(&conn.buf[..conn.filled], limit)?;
                    consume(conn, used);
                }
                n
            }
        };
        match read {
            Ok(0) => {
                return Err(BodyError::Closed(match reader {
                    BodyReader::Chunked { .. } => "client closed inside a chunked body".to_owned(),
                    _ => format!("client closed with {} body bytes missing", reader.missing()),
                }));
            }
            // Progress: `socket-timeout` counts again from the next wait.
            Ok(_) => conn.deadline = None,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BodyError::Read(e)),
        }
    }
    Ok(true)
}

/// `GET /path`, for log lines.
fn request_label(vars: &Vars) -> String {
    let method = vars.get(b"REQUEST_METHOD").unwrap_or(b"-");
    let uri = vars
        .get(b"REQUEST_URI")
        .or_else(|| vars.get(b"PATH_INFO"))
        .unwrap_or(b"-");
    format!(
        "{} {}",
        String::from_utf8_lossy(method),
        String::from_utf8_lossy(uri)
    )
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

fn new_vars() -> Vars {
    Vars::with_capacity(4096, 64)
}

/// Binds this worker's own `SO_REUSEPORT` socket on a TCP listener's address (`reuse-port`);
/// `None` (logged) for other sockets or when the bind fails: the worker then accepts on the
/// shared listener only.
fn own_socket(index: usize, l: &Listener, s: &WorkerSettings) -> Option<std::os::fd::OwnedFd> {
    let addr = emperor_sys::net::tcp_local_addr(l.raw())?;
    let bound = emperor_sys::net::bind_tcp_reuseport(addr, 1024).and_then(|fd| {
        emperor_sys::net::set_nonblocking(fd.as_raw_fd(), true)?;
        Ok(fd)
    });
    match bound {
        Ok(fd) => {
            let defer = u32::try_from(s.socket_timeout.as_secs()).unwrap_or(u32::MAX);
            emperor_sys::net::tune_listener(fd.as_raw_fd(), defer.max(1));
            Some(fd)
        }
        Err(e) => {
            log::line(&format!(
                "worker {}: `reuse-port`: cannot bind its own socket on {addr}: {e} (the listener must be bound with `reuse-port` by the same user); accepting on the shared socket only",
                index + 1
            ));
            None
        }
    }
}

/// The listeners a worker accepts on, with their index (the poller token). A `shared-socket`
/// itself is only held (for reloads): the sockets that name it (`=N`) are served, each with
/// its own protocol.
fn served(listeners: &[Listener]) -> impl Iterator<Item = (usize, &Listener)> {
    listeners.iter().enumerate().filter(|(_, l)| !l.shared)
}

/// Prepares a kept-alive connection for its next request (whose first bytes may be in its
/// buffer already).
fn reuse(conn: &mut Conn) {
    conn.served += 1;
    conn.deadline = None;
}

/// Drops the first `n` buffered bytes (a head, body bytes): what follows moves to the front.
fn consume(conn: &mut Conn, n: usize) {
    conn.buf.copy_within(n..conn.filled, 0);
    conn.filled -= n;
}

/// Parses the buffered bytes of `conn` as its listener's protocol. Malformed input is
/// answered (when the protocol allows) and logged here.
fn parse(conn: &mut Conn, listener: &Listener, s: &WorkerSettings, vars: &mut Vars) -> Parsed {
    match listener.protocol {
        Protocol::Uwsgi => {
            let limits = uwsgi::Limits {
                buffer_size: s.buffer_size,
                max_vars: 128,
            };
            match uwsgi::parse(&conn.buf[..conn.filled], &limits, vars) {
                Ok(uwsgi::Status::Incomplete) => Parsed::Incomplete,
                Ok(uwsgi::Status::Complete(head)) => {
                    let server_protocol = match vars.get(b"SERVER_PROTOCOL") {
                        Some(b"HTTP/1.1") => Cow::Borrowed(&b"HTTP/1.1"[..]),
                        None | Some(b"" | b"HTTP/1.0") => Cow::Borrowed(&b"HTTP/1.0"[..]),
                        Some(other) => Cow::Owned(other.to_vec()),
                    };
                    Parsed::Ready(Job {
                        head_len: head.head_len,
                        body: BodySpec::Length(head.content_length),
                        framing: Framing::Uwsgi { server_protocol },
                        keep: false,
                        expect_continue: false,
                    })
                }
                Err(e) => {
                    log::line(&format!("{e} (from {})", conn.peer.ip_str()));
                    if let Some(status) = e.response_status() {
                        let mut out = Vec::new();
                        uwsgi::write_response_head(
                            &mut out,
                            b"HTTP/1.0",
                            format!("{status} {}", http::reason(status)).as_bytes(),
                            &[],
                        );
                        let _ = emperor_sys::net::write_nonblocking(conn.file.as_raw_fd(), &out);
                        return Parsed::Refused;
                    }
                    Parsed::Close
                }
            }
        }
        Protocol::Http => {
            let limits = http::Limits {
                max_head: s.buffer_size,
            };
            let info = http::ConnInfo {
                server_name: &s.hostname,
                server_port: listener.server_port.as_bytes(),
                remote_addr: conn.peer.ip(),
                remote_port: conn.peer.port(),
                https: false,
            };
            match http::parse(&conn.buf[..conn.filled], &limits, &info, vars) {
                Ok(http::Status::Incomplete) => Parsed::Incomplete,
                Ok(http::Status::Complete(head)) => {
                    let body = match head.body {
                        http::BodyKind::None => BodySpec::Length(0),
                        http::BodyKind::Length(n) => BodySpec::Length(n),
                        http::BodyKind::Chunked => BodySpec::Chunked,
                    };
                    Parsed::Ready(Job {
                        head_len: head.head_len,
                        body,
                        keep: head.keep_alive,
                        expect_continue: head.expect_continue,
                        framing: Framing::Http(head),
                    })
                }
                Err(e) => {
                    let mut out = Vec::new();
                    http::write_error_response(&mut out, e.status());
                    let _ = emperor_sys::net::write_nonblocking(conn.file.as_raw_fd(), &out);
                    log::line(&format!(
                        "invalid HTTP request from {}: {e}",
                        conn.peer.ip_str()
                    ));
                    Parsed::Refused
                }
            }
        }
    }
}

impl Handler<'_> {
    /// Calls the app (or a static rule) with a complete request and writes the response.
    /// Returns whether the connection may be kept, or `None` to close it.
    fn serve(
        &mut self,
        conn: &mut Conn,
        job: Job,
        request_body: Body,
        vars: &mut Vars,
        stopping: bool,
    ) -> Option<bool> {
        let Job {
            head_len,
            body,
            framing,
            keep,
            ..
        } = job;
        let started = Instant::now();
        let start_unix = emperor_sys::time::unix_now();
        let (i, c) = (self.index, self.core);
        self.sb.add(i, Field::Busy, 1);
        self.sb.core_set(i, c, CoreField::InRequest, 1);
        self.sb.core_set(i, c, CoreField::RequestStart, start_unix);
        if self.s.harakiri > 0 {
            self.sb.core_set(
                i,
                c,
                CoreField::HarakiriDeadline,
                start_unix + self.s.harakiri,
            );
        }
        let timeout = self.s.socket_timeout;
        if matches!(body, BodySpec::Chunked) {
            let len = request_body.len().to_string();
            vars.push(b"CONTENT_LENGTH", len.as_bytes());
        }
        let captured = self
            .s
            .request_log
            .enabled()
            .then(|| self.s.request_log.capture(vars, head_len));
        self.out.clear();
        let mut responder = ConnResponder::new(
            Timed::new(&conn.file, timeout),
            framing,
            &mut self.out,
            self.closes_at_once,
        );
        if stopping {
            responder.close_after = true;
        }
        let settings = self.s;
        let app = self.app.as_mut();
        let mut request = Request {
            vars: std::mem::take(vars),
            body: request_body,
        };
        // A panic below is a bug in emperor: it costs this request, never the worker.
        let answered = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if let Some(path) = &settings.panic_path
                && request.vars.get(b"PATH_INFO") == Some(path.as_slice())
            {
                panic!("`EMPEROR_TEST_PANIC_PATH` reached");
            }
            if let Some(files) = &settings.static_files
                && let Some(done) =
                    Self::serve_static(app, files, &request.vars, &mut responder, start_unix)
            {
                return (done, true);
            }
            (app.call(&mut request, &mut responder), false)
        }));
        *vars = std::mem::take(&mut request.vars);
        drop(request);
        let ((outcome, info), static_request) = match answered {
            Ok(done) => done,
            Err(panic) => {
                let sent = responder.started;
                log::line(&format!(
                    "worker {} core {c}: panic while serving {} from {}: {} ({})",
                    i + 1,
                    request_label(vars),
                    conn.peer.ip_str(),
                    panic_message(&*panic),
                    if sent {
                        "the response is aborted"
                    } else {
                        "answered 500"
                    }
                ));
                (responder.panicked(), false)
            }
        };
        let finished = responder.finish();
        let keep_alive =
            keep && finished.is_ok() && outcome == Outcome::Done && responder.keep_alive();
        let tx = responder.sent;
        let headers = responder.header_count;
        if responder.aborted && responder.reset_on_abort() {
            // Only the close ends this body: a reset, not a FIN, tells the client that it
            // is incomplete (the close follows).
            let _ = emperor_sys::net::set_linger_zero(conn.file.as_raw_fd());
        }
        let aborted = responder.aborted;
        drop(responder);
        let outcome = if finished.is_err() {
            Outcome::ClientGone
        } else {
            outcome
        };
        self.finish_request(started, outcome, !static_request, tx);
        if let Some(captured) = &captured {
            let done = reqlog::Done {
                status: info.status,
                body_bytes: info.body_bytes,
                sent: tx,
                headers,
                micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                start_unix,
                pid: self.pid,
                worker: i,
                core: c,
                worker_requests: self.sb.get(i, Field::Requests),
                total_requests: (0..self.sb.slots())
                    .map(|w| self.sb.get(w, Field::Requests))
                    .sum(),
            };
            if let Some(line) = self.s.request_log.line(captured, &done) {
                log::request(&line);
            }
        }
        match outcome {
            Outcome::ClientGone => None,
            _ if aborted => None,
            _ => Some(keep_alive),
        }
    }

    /// Answers a `GET` or `HEAD` from a static rule, the app unlocked. `None`: the app
    /// gets the request (no rule yields a file, or the path was refused and logged).
    fn serve_static(
        app: &mut dyn App,
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
        app.unlocked(&mut || {
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
        let (i, c) = (self.index, self.core);
        self.sb.core_set(i, c, CoreField::HarakiriDeadline, 0);
        self.sb.core_set(i, c, CoreField::InRequest, 0);
        self.sb.core_set(i, c, CoreField::RequestStart, 0);
        self.sb.core_add(i, c, CoreField::Requests, 1);
        self.sb.sub(i, Field::Busy, 1);
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

enum BodySpec {
    Length(u64),
    Chunked,
}

impl BodySpec {
    /// The size the client announced, for log lines.
    fn describe(&self) -> String {
        match self {
            BodySpec::Length(n) => n.to_string(),
            BodySpec::Chunked => "a chunked number of".to_owned(),
        }
    }
}

/// Why a request body cannot be served.
#[derive(Debug)]
enum BodyError {
    /// Reading the socket failed.
    Read(io::Error),
    /// The client closed before the end of the body.
    Closed(String),
    /// Writing the body to its temporary file failed (a full disk…).
    Spool(io::Error),
    /// The chunked framing is malformed (400).
    BadChunk(http::Error),
    /// Larger than `limit-post` (413).
    TooLarge {
        limit: u64,
        what: String,
        label: String,
    },
}

impl BodyError {
    /// The status to answer with before closing, when the client is to blame and listens.
    fn status(&self) -> Option<u16> {
        match self {
            BodyError::BadChunk(_) => Some(400),
            BodyError::TooLarge { .. } => Some(413),
            BodyError::Spool(_) => Some(500),
            BodyError::Read(_) | BodyError::Closed(_) => None,
        }
    }

    /// Names the request in a `TooLarge` found while reading.
    fn labelled(self, label: impl FnOnce() -> String) -> BodyError {
        match self {
            BodyError::TooLarge {
                limit,
                what,
                label: l,
            } if l.is_empty() => BodyError::TooLarge {
                limit,
                what,
                label: label(),
            },
            e => e,
        }
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Read(e) => write!(f, "{e}"),
            BodyError::Closed(what) => f.write_str(what),
            BodyError::Spool(e) => write!(f, "cannot write it to a temporary file: {e}"),
            BodyError::BadChunk(e) => write!(f, "{e}"),
            BodyError::TooLarge { limit, what, label } => write!(
                f,
                "{label}: body larger than `limit-post` ({limit} bytes; {what}), answered 413"
            ),
        }
    }
}

/// A request body on its way: in memory up to the post-buffering threshold, else in an
/// anonymous file.
enum BodyReader {
    /// A `Content-Length` body read straight into its own buffer: `filled` of its bytes.
    Memory { buf: Vec<u8>, filled: usize },
    /// A `Content-Length` body larger than the threshold.
    File {
        file: File,
        len: u64,
        remaining: u64,
    },
    /// A chunked body, decoded as it arrives.
    Chunked {
        decoder: http::ChunkedDecoder,
        sink: BodySink,
    },
}

impl BodyReader {
    fn new(spec: &BodySpec, memory_limit: u64) -> Result<BodyReader, BodyError> {
        Ok(match *spec {
            BodySpec::Length(len) if len <= memory_limit => BodyReader::Memory {
                buf: vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)],
                filled: 0,
            },
            BodySpec::Length(len) => BodyReader::File {
                file: temp_file().map_err(BodyError::Spool)?,
                len,
                remaining: len,
            },
            BodySpec::Chunked => BodyReader::Chunked {
                decoder: http::ChunkedDecoder::new(),
                sink: BodySink::Memory(Vec::new(), memory_limit),
            },
        })
    }

    /// Takes body bytes from the start of `input` (bytes buffered with the head, or read
    /// for a chunked body); returns how many belonged to the body. `limit`: `limit-post`.
    fn take(&mut self, input: &[u8], limit: u64) -> Result<usize, BodyError> {
        match self {
            BodyReader::Memory { buf, filled } => {
                let n = (buf.len() - *filled).min(input.len());
                buf[*filled..*filled + n].copy_from_slice(&input[..n]);
                *filled += n;
                Ok(n)
            }
            BodyReader::File {
                file, remaining, ..
            } => {
                let n = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                file.write_all(&input[..n]).map_err(BodyError::Spool)?;
                *remaining -= n as u64;
                Ok(n)
            }
            BodyReader::Chunked { decoder, sink } => {
                let used = sink.decode(decoder, input)?;
                if limit > 0 && decoder.decoded() > limit {
                    return Err(BodyError::TooLarge {
                        limit,
                        what: format!("over {limit} bytes of chunks received"),
                        label: String::new(),
                    });
                }
                Ok(used)
            }
        }
    }

    fn is_done(&self) -> bool {
        match self {
            BodyReader::Memory { buf, filled } => *filled == buf.len(),
            BodyReader::File { remaining, .. } => *remaining == 0,
            BodyReader::Chunked { decoder, .. } => decoder.is_done(),
        }
    }

    /// Body bytes received so far (decoded bytes of a chunked body).
    fn received(&self) -> u64 {
        match self {
            BodyReader::Memory { filled, .. } => *filled as u64,
            BodyReader::File { len, remaining, .. } => len - remaining,
            BodyReader::Chunked { decoder, .. } => decoder.decoded(),
        }
    }

    /// Bytes of a `Content-Length` body still to come.
    fn missing(&self) -> u64 {
        match self {
            BodyReader::Memory { buf, filled } => (buf.len() - filled) as u64,
            BodyReader::File { remaining, .. } => *remaining,
            BodyReader::Chunked { .. } => 0,
        }
    }

    fn finish(self) -> Result<Body, BodyError> {
        match self {
            BodyReader::Memory { buf, .. } if buf.is_empty() => Ok(Body::Empty),
            BodyReader::Memory { buf, .. } => Ok(Body::Memory(buf)),
            BodyReader::File { mut file, len, .. } => {
                use std::io::Seek;
                file.seek(io::SeekFrom::Start(0))
                    .map_err(BodyError::Spool)?;
                Ok(Body::File { file, len })
            }
            BodyReader::Chunked { sink, .. } => sink.finish().map_err(BodyError::Spool),
        }
    }
}

/// Collects a decoded chunked body in memory, moving to an anonymous file past the limit.
enum BodySink {
    Memory(Vec<u8>, u64),
    File(File, u64, Vec<u8>),
}

impl BodySink {
    /// Decodes what it can of `input` into the body; returns the bytes of `input` used.
    fn decode(
        &mut self,
        decoder: &mut http::ChunkedDecoder,
        input: &[u8],
    ) -> Result<usize, BodyError> {
        match self {
            BodySink::Memory(v, limit) => {
                let (used, _) = decoder.feed(input, v).map_err(BodyError::BadChunk)?;
                if v.len() as u64 > *limit {
                    let mut file = temp_file().map_err(BodyError::Spool)?;
                    file.write_all(v).map_err(BodyError::Spool)?;
                    let len = v.len() as u64;
                    let mut scratch = std::mem::take(v);
                    scratch.clear();
                    *self = BodySink::File(file, len, scratch);
                }
                Ok(used)
            }
            BodySink::File(file, len, scratch) => {
                scratch.clear();
                let (used, _) = decoder.feed(input, scratch).map_err(BodyError::BadChunk)?;
                file.write_all(scratch).map_err(BodyError::Spool)?;
                *len += scratch.len() as u64;
                Ok(used)
            }
        }
    }

    fn finish(self) -> io::Result<Body> {
        match self {
            BodySink::Memory(v, _) if v.is_empty() => Ok(Body::Empty),
            BodySink::Memory(v, _) => Ok(Body::Memory(v)),
            BodySink::File(mut file, len, _) => {
                use std::io::Seek;
                file.seek(io::SeekFrom::Start(0))?;
                Ok(Body::File { file, len })
            }
        }
    }
}

/// An anonymous file for a large body: no name, so nothing is left behind by a crash and
/// no two requests (of any thread or worker) can share one.
fn temp_file() -> io::Result<File> {
    emperor_sys::fs::anonymous_file(&std::env::temp_dir())
}

enum Framing {
    Uwsgi { server_protocol: Cow<'static, [u8]> },
    Http(http::Head),
}

/// A connection's non-blocking socket while a request is served: a read or write that would
/// block waits in `poll(2)` for at most `socket-timeout` (what `SO_RCVTIMEO`/`SO_SNDTIMEO`
/// did, without switching the socket to blocking mode and back on every request).
struct Timed<'c> {
    file: &'c File,
    timeout: Duration,
}

impl<'c> Timed<'c> {
    fn new(file: &'c File, timeout: Duration) -> Self {
        Timed { file, timeout }
    }

    /// Waits for the socket; an error once `socket-timeout` passed without it being ready.
    fn wait(&self, write: bool) -> io::Result<()> {
        if emperor_sys::net::wait(self.file.as_raw_fd(), write, self.timeout)? {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no progress within socket-timeout ({}s)",
                    self.timeout.as_secs()
                ),
            ))
        }
    }

    /// Runs a non-blocking socket operation until it does not report `EAGAIN` (waiting for
    /// the socket to be readable, or writable when `write`) or `EINTR`.
    fn ready<T>(&self, write: bool, mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
        loop {
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait(write)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return r,
            }
        }
    }

    /// Writes `a` then `b` completely, in one `writev` when the socket takes them.
    fn write2(&mut self, mut a: &[u8], mut b: &[u8]) -> io::Result<()> {
        let fd = self.file.as_raw_fd();
        while !a.is_empty() {
            match self.ready(true, || emperor_sys::net::writev2(fd, a, b))? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n if n < a.len() => a = &a[n..],
                n => {
                    b = &b[n - a.len()..];
                    a = &[];
                }
            }
        }
        self.write_all(b)
    }

    /// Writes all of `data` with `MSG_MORE` (see [`emperor_sys::net::send_more`]).
    fn write_all_more(&mut self, mut data: &[u8]) -> io::Result<()> {
        let fd = self.file.as_raw_fd();
        while !data.is_empty() {
            match self.ready(true, || emperor_sys::net::send_more(fd, data))? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => data = &data[n..],
            }
        }
        Ok(())
    }

    fn sendfile(&mut self, file: RawFd, offset: &mut i64, count: usize) -> io::Result<usize> {
        let fd = self.file.as_raw_fd();
        self.ready(true, || emperor_sys::net::sendfile(fd, file, offset, count))
    }
}

impl Write for Timed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self.file;
        self.ready(true, || (&mut &*file).write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The [`Responder`] of one connection.
struct ConnResponder<'c> {
    file: Timed<'c>,
    framing: Framing,
    plan: Option<http::ResponsePlan>,
    /// The Content-Length the app announced, when framing by length.
    length: Option<u64>,
    body_sent: u64,
    /// The app's response was refused (answered 500 instead).
    refused: bool,
    /// Close after this response (the worker is stopping).
    close_after: bool,
    /// Bytes not sent yet (the head, small chunks): the handler's reused buffer.
    pending: &'c mut Vec<u8>,
    /// The worker closes the connection as soon as this response is done, when it does not
    /// keep it (inline handler), so the last bytes may wait for the FIN.
    closes_at_once: bool,
    /// The app sent its last bytes into `pending`; `finish` sends them with `MSG_MORE`.
    last_held: bool,
    started: bool,
    sent: u64,
    header_count: usize,
    /// The response failed after its head ([`Responder::abort`]): it must not end cleanly.
    aborted: bool,
    /// Decodes the app's own chunked body for an HTTP/1.0 client (see
    /// [`http::ResponsePlan::dechunk`]), and the decoded bytes.
    dechunk: Option<(http::ChunkedDecoder, Vec<u8>)>,
}

impl<'c> ConnResponder<'c> {
    fn new(
        file: Timed<'c>,
        framing: Framing,
        pending: &'c mut Vec<u8>,
        closes_at_once: bool,
    ) -> Self {
        ConnResponder {
            file,
            framing,
            plan: None,
            length: None,
            body_sent: 0,
            refused: false,
            close_after: false,
            pending,
            closes_at_once,
            last_held: false,
            started: false,
            sent: 0,
            header_count: 0,
            aborted: false,
            dechunk: None,
        }
    }

    /// Whether an aborted response needs a reset to look incomplete: its body is delimited
    /// by the close alone (the uwsgi protocol, HTTP/1.0 without a length, the app's own
    /// `Transfer-Encoding`). A chunked body without its last chunk, or a body short of its
    /// `Content-Length`, is seen as incomplete after a plain close.
    fn reset_on_abort(&self) -> bool {
        match self.plan.as_ref().map(http::ResponsePlan::framing) {
            Some(http::Framing::Chunked | http::Framing::NoBody) => false,
            Some(http::Framing::Length(n)) => self.body_sent == n,
            Some(http::Framing::Close) | None => true,
        }
    }

    /// The request panicked: answers 500 when nothing was sent yet, else aborts.
    fn panicked(&mut self) -> (Outcome, ResponseInfo) {
        let info = ResponseInfo {
            status: 500,
            body_bytes: 0,
        };
        if self.started {
            self.aborted = true;
            return (Outcome::Exception, info);
        }
        let body = http::reason(500).as_bytes();
        let length = body.len().to_string();
        let sent = self
            .start(
                b"500 Internal Server Error",
                &[
                    (b"Content-Type", b"text/plain"),
                    (b"Content-Length", length.as_bytes()),
                ],
            )
            .and_then(|()| self.body(body, true));
        match sent {
            Ok(()) => (
                Outcome::Exception,
                ResponseInfo {
                    status: 500,
                    body_bytes: body.len() as u64,
                },
            ),
            Err(_) => (Outcome::ClientGone, info),
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
            self.file.write_all(self.pending)?;
            self.sent += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.started {
            return Ok(());
        }
        if self.aborted {
            // What was produced goes out, but never the end of the body.
            return self.flush();
        }
        if self.chunked() {
            self.pending.extend_from_slice(http::LAST_CHUNK);
        }
        if self.last_held && !self.keep_alive() && !self.pending.is_empty() {
            // The connection is closed right after: response and FIN in one packet.
            self.file.write_all_more(self.pending)?;
            self.sent += self.pending.len() as u64;
            self.pending.clear();
            return Ok(());
        }
        self.flush()
    }

    /// Sends part of the body; `last`: the app has nothing more, so on a connection closed
    /// at once a small last part waits in `pending` for [`Self::finish`] and the FIN.
    fn body(&mut self, chunk: &[u8], last: bool) -> io::Result<()> {
        if chunk.is_empty() || self.no_body() || self.refused {
            return Ok(());
        }
        if let Some((decoder, mut decoded)) = self.dechunk.take() {
            let mut decoder = decoder;
            decoded.clear();
            let fed = if decoder.is_done() {
                Ok((0, true))
            } else {
                decoder.feed(chunk, &mut decoded)
            };
            let result = match fed {
                Ok(_) => self.body_plain(&decoded, last),
                Err(e) => {
                    log::line(&format!(
                        "the app's own chunked body is malformed ({e}): the response is cut"
                    ));
                    Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
                }
            };
            self.dechunk = Some((decoder, decoded));
            return result;
        }
        self.body_plain(chunk, last)
    }

    fn body_plain(&mut self, chunk: &[u8], last: bool) -> io::Result<()> {
        if chunk.is_empty() {
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
        let hold = last && self.closes_at_once && !self.keep_alive();
        if self.chunked() {
            http::write_chunk(self.pending, chunk);
        } else if chunk.len() <= 4 * 1024 {
            self.pending.extend_from_slice(chunk);
        } else {
            // The head (if not sent yet) and the chunk in one writev.
            self.file.write2(self.pending, chunk)?;
            self.sent += (self.pending.len() + chunk.len()) as u64;
            self.pending.clear();
            return Ok(());
        }
        if hold && self.pending.len() <= 16 * 1024 {
            self.last_held = true;
            return Ok(());
        }
        self.flush()
    }

    /// Whether the connection may serve another request: the plan allows it and the body
    /// the app announced was sent in full.
    fn keep_alive(&self) -> bool {
        !self.refused
            && !self.aborted
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
                uwsgi::write_response_head(self.pending, server_protocol, status, headers);
            }
            Framing::Http(head) => match http::plan_response(head, status, headers) {
                Ok(mut plan) => {
                    if self.close_after {
                        plan.close_after();
                    }
                    plan.write_head(self.pending, status, headers);
                    if let http::Framing::Length(n) = plan.framing() {
                        self.length = Some(n);
                    }
                    if plan.dechunk() {
                        self.dechunk = Some((http::ChunkedDecoder::new(), Vec::new()));
                    }
                    self.plan = Some(plan);
                }
                Err(e) => {
                    log::line(&format!("refusing the app's response: {e}"));
                    http::write_error_response(self.pending, 500);
                    self.refused = true;
                    self.flush()?;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
                }
            },
        }
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.body(chunk, false)
    }

    fn write_last(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.body(chunk, true)
    }

    fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: Option<u64>) -> io::Result<u64> {
        if self.no_body() {
            return Ok(0);
        }
        if self.dechunk.is_some() {
            // The app's own chunks in a file, for an HTTP/1.0 client: read and decoded.
            use std::os::unix::fs::FileExt;
            let file = File::from(file.try_clone_to_owned()?);
            let mut buf = vec![0u8; FILE_CHUNK];
            let (mut at, mut left) = (offset, len.unwrap_or(u64::MAX));
            let mut sent = 0;
            while left > 0 {
                let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let n = file.read_at(&mut buf[..want], at)?;
                if n == 0 {
                    break;
                }
                self.body(&buf[..n], false)?;
                at += n as u64;
                left -= n as u64;
                sent += n as u64;
            }
            return Ok(sent);
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
            let n = self.file.sendfile(
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

    fn abort(&mut self) {
        self.aborted = true;
    }
}
