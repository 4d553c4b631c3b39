//! The interface between a worker and the app it serves.
//!
//! A worker parses a request (uwsgi packet or HTTP), reads its whole body, and hands the app a
//! [`Request`]: the CGI variables (what becomes the WSGI `environ`) and the [`Body`]. The app
//! answers through a [`Responder`], which the worker implements for the connection's protocol
//! (status line from `SERVER_PROTOCOL`, keep-alive, chunked encoding). The Python crate
//! implements [`App`]; tests implement it with plain Rust apps.

use std::fs::File;
use std::io;
use std::os::fd::BorrowedFd;

/// The CGI variables of one request, in arrival order, in one buffer (no allocation per
/// variable). Keys and values are raw bytes: the app decodes them (WSGI: latin-1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    buf: Vec<u8>,
    /// (key start, key end, value end) into `buf`; the value starts at the key's end.
    spans: Vec<(u32, u32, u32)>,
}

impl Vars {
    pub fn new() -> Vars {
        Vars::default()
    }

    pub fn with_capacity(bytes: usize, vars: usize) -> Vars {
        Vars {
            buf: Vec::with_capacity(bytes),
            spans: Vec::with_capacity(vars),
        }
    }

    /// Empties the list, keeping its allocations for the next request.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }

    /// Appends one variable.
    ///
    /// # Panics
    /// If the buffer would exceed 4 GiB (parsers bound requests far below that).
    pub fn push(&mut self, key: &[u8], value: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(key);
        let key_end = self.buf.len();
        self.buf.extend_from_slice(value);
        let end = self.buf.len();
        let n = |x: usize| u32::try_from(x).expect("request variables exceed 4 GiB");
        self.spans.push((n(start), n(key_end), n(end)));
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The variables in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], &[u8])> + ExactSizeIterator + '_ {
        self.spans.iter().map(|&(s, k, e)| {
            (
                &self.buf[s as usize..k as usize],
                &self.buf[k as usize..e as usize],
            )
        })
    }

    /// The value of `key`: the last one when it was given more than once (a uwsgi packet
    /// may repeat a key), as in the environ the app gets, where each variable is set in order.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.spans.iter().rev().find_map(|&(s, k, e)| {
            (&self.buf[s as usize..k as usize] == key).then(|| &self.buf[k as usize..e as usize])
        })
    }
}

/// A request body, read completely before the app is called (DESIGN: "the request body is
/// read before the app is called"): in memory up to `post-buffering`, else in a temp file.
#[derive(Debug, Default)]
pub enum Body {
    #[default]
    Empty,
    Memory(Vec<u8>),
    /// An unlinked temporary file holding `len` bytes, positioned at 0.
    File {
        file: File,
        len: u64,
    },
}

impl Body {
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Memory(v) => v.len() as u64,
            Body::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One request, ready for an app.
#[derive(Debug, Default)]
pub struct Request {
    pub vars: Vars,
    pub body: Body,
}

/// How the app's response reaches the client. Implemented by the worker per protocol.
///
/// Header names and values have been validated by the caller (no CR, LF or NUL); the
/// responder writes them as given. `Send` so that the app may release the GIL around writes.
pub trait Responder: Send {
    /// Sends the status line and headers. `status` is e.g. `b"200 OK"`. Called once, before
    /// any body byte; an app that sends no body still calls it.
    fn start(&mut self, status: &[u8], headers: &[(&[u8], &[u8])]) -> io::Result<()>;

    /// Sends part of the body.
    fn write(&mut self, chunk: &[u8]) -> io::Result<()>;

    /// Sends the last part of the body: the app has nothing more to send (a list or `bytes`
    /// response), so a connection that closes after this response may send it together with
    /// its FIN, in one packet. The bytes are handed over by the time the worker closes.
    fn write_last(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.write(chunk)
    }

    /// Sends `len` bytes (to the end when `None`) of an open file from `offset`, with
    /// `sendfile(2)` where the protocol allows (`wsgi.file_wrapper`). Returns bytes sent.
    fn sendfile(&mut self, file: BorrowedFd<'_>, offset: u64, len: Option<u64>) -> io::Result<u64>;

    /// Whether `start` has been called.
    fn started(&self) -> bool;

    /// The response failed after `start` (the app raised, its iterator broke): it must not
    /// look complete to the client. The worker then ends the connection without what would
    /// end the body normally (no last chunk; short of the `Content-Length`; a reset when
    /// only the close delimits the body). Called at most once, before the call returns.
    fn abort(&mut self) {}
}

/// What became of one request, for the worker's counters and log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The app answered (any status).
    Done,
    /// The app raised; it was logged with its traceback and answered with a 500 if no header
    /// had been sent yet (uWSGI only closes the connection), else the response was aborted
    /// ([`Responder::abort`]).
    Exception,
    /// Writing to the client failed (it went away); the connection must be closed.
    ClientGone,
}

/// What the worker learns about the response, for the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseInfo {
    /// The numeric status the app sent (0 if none).
    pub status: u16,
    /// Body bytes sent.
    pub body_bytes: u64,
}

/// An app a worker can run.
pub trait App {
    /// Handles one request completely. Never panics on app errors: they become
    /// [`Outcome::Exception`]. The app may take the body; the caller keeps the variables'
    /// buffer for the next request.
    fn call(&mut self, request: &mut Request, out: &mut dyn Responder) -> (Outcome, ResponseInfo);

    /// Runs `f` while the app's runtime lets other threads run (Python: the GIL released).
    /// The worker wraps every blocking wait (poll, reads of slow bodies) in it.
    fn unlocked(&mut self, f: &mut dyn FnMut());
}
