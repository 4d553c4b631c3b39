//! HTTP/1.1 for `http-socket` (and `socket` + `protocol = http`): request heads, chunked
//! request bodies, and the framing of responses.
//!
//! # Theory of operation
//!
//! A worker reads bytes into a buffer and calls [`parse`] after each read. [`parse`] answers
//! [`Status::Incomplete`] (read more), [`Status::Complete`] with a [`Head`] (the head is
//! `head_len` bytes; the CGI variables are in `vars`), or an [`Error`] whose
//! [`Error::status`] the worker sends with [`write_error_response`] before closing. The body
//! and any pipelined request stay in the caller's buffer after `head_len`: the worker reads
//! the body (`Head::body`: a length, or chunked through a [`ChunkedDecoder`]), calls the app,
//! and parses the next request from the bytes after the body. Body bytes are never parsed as
//! a request: the caller always consumes the whole body (or closes) first.
//!
//! The app's answer goes through [`plan_response`], which decides the framing from the
//! request and the app's own headers ([`Framing`]): the app's `Content-Length`, else chunked
//! for HTTP/1.1, else close-delimited. The connection is kept for the next request only when
//! the request allows it and the framing is self-delimiting.
//!
//! `httparse` tokenizes the head; everything that it tolerates and an origin server must not
//! (RFC 9112, and the request-smuggling cases of reliability.md §4.8) is checked here, and an
//! `httparse` error is re-diagnosed into a message that says which rule was broken.
//!
//! # What is refused (400 and close, unless noted)
//!
//! - a head larger than `max_head` (`buffer-size`): 431, or 414 when the request line alone
//!   does not fit; more than [`MAX_HEADERS`] header fields: 431. Never truncated.
//! - bare LF line endings (`httparse` accepts them; uWSGI also requires CRLF), a bare CR,
//!   a NUL, obs-fold (a line starting with SP or HTAB), a header line without a colon,
//!   whitespace before the colon, two spaces in the request line;
//! - an HTTP version other than 1.x (`HTTP/2.0`, `HTTP/0.9`, a request line without a
//!   version): 505. `HTTP/1.2`…`HTTP/1.9` are served as HTTP/1.1 (RFC 9112 §2.3);
//! - two `Content-Type` fields (they would be joined into one value the app and a proxy read
//!   differently);
//! - `Content-Length` that is not pure ASCII digits fitting `u64`; two `Content-Length`
//!   fields with different values (identical ones count once); any list (`5, 5` too: RFC 9110 allows identical
//!   members, refusing them all is simpler and nothing legitimate sends them);
//! - `Transfer-Encoding` together with `Content-Length`; `Transfer-Encoding` in an HTTP/1.0
//!   request; `chunked` applied twice (`chunked, chunked`, or two fields); any other coding
//!   (`gzip`, `xchunked`, `identity`): 501;
//! - HTTP/1.1 without `Host`, more than one `Host`, a `Host` with characters outside an
//!   authority (RFC 9112 §3.2);
//! - a request target that is not origin-form (`/p?q`), absolute-form (`http://h/p`), or `*`
//!   with `OPTIONS`.
//!
//! # Differences from uWSGI's `http-socket` (each deliberate)
//!
//! - Keep-alive and pipelining when the response allows it (uWSGI's `http-socket` always
//!   closes; `http11-socket` keeps alive but never adds framing). Responses without a length
//!   are chunked on HTTP/1.1, so keep-alive survives streaming apps.
//! - Chunked request bodies are de-chunked ([`ChunkedDecoder`]): the app reads a plain body.
//!   uWSGI passes `HTTP_TRANSFER_ENCODING` and leaves `wsgi.input` empty. Here
//!   `Transfer-Encoding` never becomes a variable, and the worker appends `CONTENT_LENGTH`
//!   once it has the decoded length.
//! - Header names containing `_` are dropped (as nginx, Apache and gunicorn do): `X_Auth`
//!   and `X-Auth` would otherwise both become `HTTP_X_AUTH`, and a proxy that strips one
//!   spelling lets a client spoof the other. uWSGI passes them.
//! - Absolute-form targets (`GET http://host/p?q HTTP/1.1`) are accepted as RFC 9112 §3.2.2
//!   requires: `PATH_INFO`/`QUERY_STRING` come from the target, `REQUEST_URI` is its
//!   origin-form (`/p?q`, what apps expect), and `HTTP_HOST` is the target's authority
//!   (any `Host` field is ignored). Userinfo (`http://u@h/`) is refused.
//! - A fragment (`/a#f`, which clients never send) is cut from `PATH_INFO`, `QUERY_STRING`
//!   and `REQUEST_URI`; uWSGI cuts it from `PATH_INFO` only.
//! - `PATH_INFO` is percent-decoded like uWSGI (bytes, `%2F` included), but an invalid escape
//!   (`%zz`, a trailing `%4`) is kept verbatim where uWSGI decodes garbage.
//! - The response status line is always `HTTP/1.1` (RFC 9110 §6.2: the highest version we
//!   speak), not an echo of the request's version. A 1.0 client never gets chunked framing.
//! - Errors get a minimal response (`400 Bad Request` …) before the close; uWSGI closes
//!   silently.
//! - `Connection: close` from the client is honoured (`http11-socket` ignores it).
//!
//! # What the worker does that the parser does not
//!
//! - Reads within a deadline (`socket-timeout`): a head or a body that stops arriving is
//!   `Incomplete` forever. Bounds the body (`limit-post`) against `BodyKind::Length` before
//!   reading and against [`ChunkedDecoder::decoded`] while decoding.
//! - Sends [`CONTINUE`] before reading the body when [`Head::expect_continue`] is set.
//! - After de-chunking, appends `CONTENT_LENGTH` = the decoded length to the variables.
//! - Keeps the connection only if [`ResponsePlan::keep_alive`] and the request body was read
//!   to its end; closes after every [`Error`] (having sent [`write_error_response`]).
//! - Honours the [`Framing`]: `Length(n)` = exactly `n` bytes (fewer: close; more: drop the
//!   excess); `Chunked` = [`write_chunk`] per write (a `sendfile` range needs its own chunk
//!   header and CRLF around it) then [`LAST_CHUNK`]; `Close` = close after the body;
//!   `NoBody` = discard what the app writes.
//! - Validates the app's status and headers ([`plan_response`] does it again and refuses
//!   with a [`ResponseError`]: answer 500 instead).
//!
//! The generated variables, in uWSGI's order: `REQUEST_METHOD`, `PATH_INFO`, `REQUEST_URI`,
//! `QUERY_STRING`, `SERVER_PROTOCOL`, `SCRIPT_NAME` (empty), `SERVER_NAME`, `SERVER_PORT`,
//! `REMOTE_ADDR`, `REMOTE_PORT`, `HTTPS=on` (TLS only), then one variable per header name in
//! first-occurrence order: `CONTENT_LENGTH`, `CONTENT_TYPE`, or `HTTP_` + the name
//! upper-cased with `-` → `_`; repeated fields joined with `, ` (`Cookie` with `; `).

use std::fmt;
use std::io::Write as _;

use crate::app::Vars;

/// Most header fields in one request head; more is answered with 431. uWSGI's own limit is
/// `max-vars` (128 variables), which a request with this many headers already exceeds.
pub const MAX_HEADERS: usize = 128;

/// Bounds of the request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line + headers + the empty line), uWSGI's
    /// `buffer-size` (default 4096).
    pub max_head: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_head: 4096 }
    }
}

/// What the worker knows about the connection, for the generated variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo<'a> {
    /// `SERVER_NAME`: the machine's hostname, as uWSGI (not the `Host` header).
    pub server_name: &'a [u8],
    /// `SERVER_PORT`: the text after the last `:` of the socket name, `80` for UNIX sockets.
    pub server_port: &'a [u8],
    pub remote_addr: &'a [u8],
    pub remote_port: &'a [u8],
    /// TLS connection: adds `HTTPS=on`.
    pub https: bool,
}

/// The outcome of [`parse`] on the bytes received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The head is not complete yet: read more and parse again from the start.
    Incomplete,
    Complete(Head),
}

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No `Content-Length` and no `Transfer-Encoding`: no body.
    None,
    /// `Content-Length: n` (may be 0).
    Length(u64),
    /// `Transfer-Encoding: chunked`: decode with a [`ChunkedDecoder`].
    Chunked,
}

/// A parsed request head. The variables went into the `vars` given to [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Bytes of the head in the buffer; the body (then any pipelined request) follows.
    pub head_len: usize,
    pub body: BodyKind,
    /// The request allows the connection to be kept: HTTP/1.1 without `Connection: close`,
    /// or HTTP/1.0 with `Connection: keep-alive`.
    pub keep_alive: bool,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version_minor: u8,
    /// A `HEAD` request: the response has no body whatever the app writes.
    pub method_head: bool,
    /// HTTP/1.1 `Expect: 100-continue` with a body to come: send [`CONTINUE`] before reading
    /// the body (unless it is already buffered).
    pub expect_continue: bool,
}

/// A request the worker answers with [`Error::status`] and closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The head does not fit in `max_head` bytes (431).
    HeadTooLarge { limit: usize },
    /// The request line alone does not fit in `max_head` bytes (414).
    UriTooLong { limit: usize },
    /// More than [`MAX_HEADERS`] header fields (431).
    TooManyHeaders,
    /// Not HTTP/1.0 or HTTP/1.1 (505).
    UnsupportedVersion,
    /// A transfer coding other than `chunked` (501).
    UnknownTransferCoding,
    /// The head breaks a rule; the text says which (400).
    Malformed(&'static str),
    /// The chunked body breaks a rule (400).
    BadChunk(&'static str),
}

impl Error {
    /// The status code to answer with before closing.
    pub fn status(&self) -> u16 {
        match self {
            Error::HeadTooLarge { .. } | Error::TooManyHeaders => 431,
            Error::UriTooLong { .. } => 414,
            Error::UnsupportedVersion => 505,
            Error::UnknownTransferCoding => 501,
            Error::Malformed(_) | Error::BadChunk(_) => 400,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::HeadTooLarge { limit } => write!(
                f,
                "invalid HTTP request: head larger than `buffer-size` ({limit} bytes)\n\
                 hint: raise `buffer-size` if clients send large cookies or headers"
            ),
            Error::UriTooLong { limit } => write!(
                f,
                "invalid HTTP request: request line longer than `buffer-size` ({limit} bytes)\n\
                 hint: raise `buffer-size` if clients send long URLs"
            ),
            Error::TooManyHeaders => {
                write!(
                    f,
                    "invalid HTTP request: more than {MAX_HEADERS} header fields"
                )
            }
            Error::UnsupportedVersion => {
                write!(
                    f,
                    "invalid HTTP request: only HTTP/1.0 and HTTP/1.1 are served"
                )
            }
            Error::UnknownTransferCoding => write!(
                f,
                "invalid HTTP request: unsupported transfer coding (only `chunked` is accepted)"
            ),
            Error::Malformed(what) => write!(f, "invalid HTTP request: {what}"),
            Error::BadChunk(what) => write!(f, "invalid chunked request body: {what}"),
        }
    }
}

impl std::error::Error for Error {}

/// Parses a request head from the start of `buf`.
///
/// `vars` is cleared and filled on [`Status::Complete`]; its content is unspecified
/// otherwise. Only the first `limits.max_head` bytes are examined, so the work per call is
/// bounded whatever the client sends. Call again with the grown buffer after
/// [`Status::Incomplete`].
pub fn parse(
    buf: &[u8],
    limits: &Limits,
    conn: &ConnInfo<'_>,
    vars: &mut Vars,
) -> Result<Status, Error> {
    let window = &buf[..buf.len().min(limits.max_head)];
    match parse_window(window, buf.len(), *limits, conn, vars) {
        // RFC 9112 §2.3: a higher minor version of HTTP/1 is served as HTTP/1.1. httparse
        // knows only 1.0 and 1.1, so the head is parsed again from a copy that says 1.1
        // (rare: no copy for ordinary requests).
        Err(e) => match higher_minor_version(window) {
            Some(at) => {
                let mut copy = window.to_vec();
                copy[at] = b'1';
                parse_window(&copy, buf.len(), *limits, conn, vars)
            }
            None => Err(e),
        },
        ok => ok,
    }
}

/// Where the minor digit of `HTTP/1.2` … `HTTP/1.9` ends the request line of `window`.
fn higher_minor_version(window: &[u8]) -> Option<usize> {
    let mut start = 0;
    while window[start..].starts_with(b"\r\n") {
        start += 2;
    }
    // The request line may not be complete yet: httparse refuses the version as soon as
    // it sees its minor digit.
    let end = start
        + window[start..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(window.len() - start);
    let line_end = if end > start && window[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    let line = &window[start..line_end];
    let version = line.get(line.len().checked_sub(9)?..)?;
    (version.starts_with(b" HTTP/1.") && (b'2'..=b'9').contains(&version[8]))
        .then_some(line_end - 1)
}

/// [`parse`] on the examined bytes (`window`) of a buffer holding `buffered` bytes.
fn parse_window(
    window: &[u8],
    buffered: usize,
    limits: Limits,
    conn: &ConnInfo<'_>,
    vars: &mut Vars,
) -> Result<Status, Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(window) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            // Everything seen so far is head: reject bare LF now rather than at the end.
            check_line_endings(window)?;
            if buffered >= limits.max_head {
                return Err(if window.contains(&b'\n') {
                    Error::HeadTooLarge {
                        limit: limits.max_head,
                    }
                } else {
                    Error::UriTooLong {
                        limit: limits.max_head,
                    }
                });
            }
            return Ok(Status::Incomplete);
        }
        Err(e) => return Err(diagnose(window, e)),
    };
    check_line_endings(&window[..head_len])?;
    let (Some(method), Some(target), Some(version_minor)) = (req.method, req.path, req.version)
    else {
        unreachable!("httparse fills the request line of a complete head")
    };
    let method = method.as_bytes();
    let target = split_target(method, target.as_bytes())?;
    let headers: &[httparse::Header<'_>] = req.headers;
    let facts = HeaderFacts::collect(headers, version_minor)?;
    if version_minor == 1 && facts.hosts == 0 && target.authority.is_none() {
        return Err(Error::Malformed("HTTP/1.1 request without `Host`"));
    }
    let body = match (facts.content_length, facts.chunked) {
        (Some(_), true) => {
            return Err(Error::Malformed(
                "both `Content-Length` and `Transfer-Encoding` (request smuggling guard)",
            ));
        }
        (Some(n), false) => BodyKind::Length(n),
        (None, true) => BodyKind::Chunked,
        (None, false) => BodyKind::None,
    };
    let keep_alive = if version_minor == 1 {
        !facts.connection_close
    } else {
        facts.connection_keep_alive && !facts.connection_close
    };
    let has_body =
        matches!(body, BodyKind::Chunked) || matches!(body, BodyKind::Length(n) if n > 0);

    vars.clear();
    let mut scratch = Vec::new();
    vars.push(b"REQUEST_METHOD", method);
    if target.path.contains(&b'%') {
        percent_decode(target.path, &mut scratch);
        vars.push(b"PATH_INFO", &scratch);
    } else {
        vars.push(b"PATH_INFO", target.path);
    }
    match target.authority {
        // Absolute-form: the origin-form of the target, which is what apps expect here.
        Some(_) => {
            scratch.clear();
            scratch.extend_from_slice(target.path);
            if target.has_query {
                scratch.push(b'?');
                scratch.extend_from_slice(target.query);
            }
            vars.push(b"REQUEST_URI", &scratch);
        }
        None => vars.push(b"REQUEST_URI", target.raw),
    }
    vars.push(b"QUERY_STRING", target.query);
    vars.push(
        b"SERVER_PROTOCOL",
        if version_minor == 1 {
            b"HTTP/1.1"
        } else {
            b"HTTP/1.0"
        },
    );
    vars.push(b"SCRIPT_NAME", b"");
    vars.push(b"SERVER_NAME", conn.server_name);
    vars.push(b"SERVER_PORT", conn.server_port);
    vars.push(b"REMOTE_ADDR", conn.remote_addr);
    vars.push(b"REMOTE_PORT", conn.remote_port);
    if conn.https {
        vars.push(b"HTTPS", b"on");
    }
    if let Some(authority) = target.authority {
        vars.push(b"HTTP_HOST", authority);
    }
    push_header_vars(headers, target.authority.is_some(), vars, &mut scratch);

    Ok(Status::Complete(Head {
        head_len,
        body,
        keep_alive,
        version_minor,
        method_head: method == b"HEAD",
        expect_continue: version_minor == 1 && facts.expect_continue && has_body,
    }))
}

/// One variable per header name, in first-occurrence order, repeated fields joined.
fn push_header_vars(
    headers: &[httparse::Header<'_>],
    absolute_form: bool,
    vars: &mut Vars,
    scratch: &mut Vec<u8>,
) {
    for (i, h) in headers.iter().enumerate() {
        let name = h.name.as_bytes();
        let skip = name.contains(&b'_')
            || name.eq_ignore_ascii_case(b"transfer-encoding")
            || (absolute_form && name.eq_ignore_ascii_case(b"host"))
            || headers[..i]
                .iter()
                .any(|p| p.name.as_bytes().eq_ignore_ascii_case(name));
        if skip {
            continue;
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            // Duplicates were checked to be equal: one value.
            vars.push(b"CONTENT_LENGTH", h.value);
            continue;
        }
        scratch.clear();
        if name.eq_ignore_ascii_case(b"content-type") {
            scratch.extend_from_slice(b"CONTENT_TYPE");
        } else {
            scratch.extend_from_slice(b"HTTP_");
            scratch.extend(name.iter().map(|&b| {
                if b == b'-' {
                    b'_'
                } else {
                    b.to_ascii_uppercase()
                }
            }));
        }
        let key_len = scratch.len();
        let later = &headers[i + 1..];
        let repeated = later
            .iter()
            .any(|l| l.name.as_bytes().eq_ignore_ascii_case(name));
        if !repeated {
            vars.push(&scratch[..key_len], h.value);
            continue;
        }
        let sep: &[u8] = if name.eq_ignore_ascii_case(b"cookie") {
            b"; "
        } else {
            b", "
        };
        scratch.extend_from_slice(h.value);
        for l in later
            .iter()
            .filter(|l| l.name.as_bytes().eq_ignore_ascii_case(name))
        {
            scratch.extend_from_slice(sep);
            scratch.extend_from_slice(l.value);
        }
        let (key, value) = scratch.split_at(key_len);
        vars.push(key, value);
    }
}

/// What the framing and routing headers say, validated.
#[derive(Debug, Default)]
struct HeaderFacts {
    content_length: Option<u64>,
    chunked: bool,
    hosts: usize,
    connection_close: bool,
    connection_keep_alive: bool,
    expect_continue: bool,
}

impl HeaderFacts {
    fn collect(headers: &[httparse::Header<'_>], version_minor: u8) -> Result<HeaderFacts, Error> {
        let mut facts = HeaderFacts::default();
        let mut codings = 0usize;
        let mut content_types = 0usize;
        for h in headers {
            let name = h.name.as_bytes();
            if name.eq_ignore_ascii_case(b"content-length") {
                let n = parse_content_length(h.value)?;
                if facts.content_length.is_some_and(|prev| prev != n) {
                    return Err(Error::Malformed("conflicting `Content-Length` fields"));
                }
                facts.content_length = Some(n);
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                if version_minor == 0 {
                    return Err(Error::Malformed(
                        "`Transfer-Encoding` in an HTTP/1.0 request",
                    ));
                }
                for coding in h.value.split(|&b| b == b',').map(trim_ows) {
                    if coding.is_empty() {
                        return Err(Error::Malformed("empty member in `Transfer-Encoding`"));
                    }
                    if !coding.eq_ignore_ascii_case(b"chunked") {
                        return Err(Error::UnknownTransferCoding);
                    }
                    codings += 1;
                }
            } else if name.eq_ignore_ascii_case(b"host") {
                facts.hosts += 1;
                if facts.hosts > 1 {
                    return Err(Error::Malformed("more than one `Host` field"));
                }
                if !valid_authority(h.value) {
                    return Err(Error::Malformed("invalid `Host`"));
                }
            } else if name.eq_ignore_ascii_case(b"connection") {
                for token in h.value.split(|&b| b == b',').map(trim_ows) {
                    facts.connection_close |= token.eq_ignore_ascii_case(b"close");
                    facts.connection_keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            } else if name.eq_ignore_ascii_case(b"content-type") {
                content_types += 1;
                if content_types > 1 {
                    // A list makes no sense for it (RFC 9110 §8.3); joining two would let
                    // the app and a proxy in front disagree on the body's type.
                    return Err(Error::Malformed("more than one `Content-Type` field"));
                }
            } else if name.eq_ignore_ascii_case(b"expect") {
                facts.expect_continue |= trim_ows(h.value).eq_ignore_ascii_case(b"100-continue");
            }
        }
        if codings > 1 {
            return Err(Error::Malformed("`chunked` applied more than once"));
        }
        facts.chunked = codings == 1;
        Ok(facts)
    }
}

fn parse_content_length(value: &[u8]) -> Result<u64, Error> {
    if value.contains(&b',') {
        return Err(Error::Malformed(
            "`Content-Length` list (only a single number is accepted)",
        ));
    }
    parse_decimal(value).ok_or(Error::Malformed(
        "`Content-Length` is not a decimal number that fits in 64 bits",
    ))
}

/// Pure ASCII decimal digits that fit in `u64`; `None` for anything else (empty, signs,
/// spaces, hex, overflow).
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// `host[:port]`, an IP literal, or empty: the characters of an RFC 3986 authority without
/// userinfo. Refuses whitespace, `,` (a merged list), `/`, `@` and the like.
fn valid_authority(value: &[u8]) -> bool {
    value.iter().all(|&b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b';'
                    | b'='
                    | b':'
                    | b'['
                    | b']'
                    | b'%'
            )
    })
}

/// The request target, split.
#[derive(Debug)]
struct Target<'a> {
    raw: &'a [u8],
    /// The authority of an absolute-form target.
    authority: Option<&'a [u8]>,
    /// Undecoded path (`/` for an absolute-form target without one).
    path: &'a [u8],
    query: &'a [u8],
    has_query: bool,
}

fn split_target<'a>(method: &[u8], raw: &'a [u8]) -> Result<Target<'a>, Error> {
    if raw == b"*" {
        if method != b"OPTIONS" {
            return Err(Error::Malformed(
                "`*` target with a method other than OPTIONS",
            ));
        }
        return Ok(Target {
            raw,
            authority: None,
            path: raw,
            query: b"",
            has_query: false,
        });
    }
    let (authority, rest) = if raw.first() == Some(&b'/') {
        (None, raw)
    } else {
        let after_scheme = strip_prefix_ignore_case(raw, b"http://")
            .or_else(|| strip_prefix_ignore_case(raw, b"https://"))
            .ok_or(Error::Malformed(
                "unsupported request target (expected `/path` or `http://host/path`)",
            ))?;
        let end = after_scheme
            .iter()
            .position(|&b| b == b'/' || b == b'?' || b == b'#')
            .unwrap_or(after_scheme.len());
        let authority = &after_scheme[..end];
        if authority.is_empty() {
            return Err(Error::Malformed("absolute-form target without a host"));
        }
        if authority.contains(&b'@') {
            return Err(Error::Malformed("userinfo in the request target"));
        }
        if !valid_authority(authority) {
            return Err(Error::Malformed("invalid host in the request target"));
        }
        (Some(authority), &after_scheme[end..])
    };
    // A fragment is never part of the request (RFC 9110 §7.1): `/a#f` is `/a`.
    let rest = match rest.iter().position(|&b| b == b'#') {
        Some(f) => &rest[..f],
        None => rest,
    };
    let raw = match raw.iter().position(|&b| b == b'#') {
        Some(f) => &raw[..f],
        None => raw,
    };
    let (path, query, has_query) = match rest.iter().position(|&b| b == b'?') {
        Some(q) => (&rest[..q], &rest[q + 1..], true),
        None => (rest, &b""[..], false),
    };
    let path: &[u8] = if path.is_empty() { b"/" } else { path };
    Ok(Target {
        raw,
        authority,
        path,
        query,
        has_query,
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Appends `src` percent-decoded to `dst` (after clearing it). `%2F` is decoded like any
/// other escape (as uWSGI does); an invalid escape is kept verbatim.
fn percent_decode(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                src.get(i + 1).and_then(|&b| hex_value(b)),
                src.get(i + 2).and_then(|&b| hex_value(b)),
            )
        {
            dst.push((hi << 4) | lo);
            i += 3;
        } else {
            dst.push(src[i]);
            i += 1;
        }
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Every LF of the head must end a CRLF.
fn check_line_endings(head: &[u8]) -> Result<(), Error> {
    let bare_lf = head
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'));
    if bare_lf {
        Err(Error::Malformed("bare LF line ending (CRLF required)"))
    } else {
        Ok(())
    }
}

/// Turns an `httparse` error into an error naming the rule that was broken, by looking at
/// the lines of the head again (this runs only for bad requests).
fn diagnose(window: &[u8], err: httparse::Error) -> Error {
    if err == httparse::Error::TooManyHeaders {
        return Error::TooManyHeaders;
    }
    if let Err(e) = check_line_endings(window) {
        return e;
    }
    // Leading empty lines are skipped, as httparse does; lines lose their CRLF; the last
    // one may be incomplete.
    let mut rest = window;
    while let Some(after) = rest.strip_prefix(b"\r\n") {
        rest = after;
    }
    let (request_line, complete, rest) = match rest.iter().position(|&b| b == b'\n') {
        Some(end) => (strip_cr(&rest[..end]), true, &rest[end + 1..]),
        None => (rest, false, &b""[..]),
    };
    let lines = rest.split(|&b| b == b'\n').map(strip_cr);
    if let Some(e) = diagnose_request_line(request_line, complete, err) {
        return e;
    }
    for line in lines {
        if line.is_empty() {
            break;
        }
        if let Some(e) = diagnose_header_line(line) {
            return e;
        }
    }
    Error::Malformed(match err {
        httparse::Error::HeaderName => "invalid header name",
        httparse::Error::HeaderValue => "invalid header value",
        httparse::Error::NewLine => "invalid line ending",
        _ => "malformed request",
    })
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn diagnose_request_line(line: &[u8], complete: bool, err: httparse::Error) -> Option<Error> {
    // An incomplete line may end with the CR of its CRLF: not a bare CR (yet). The answer
    // must not depend on where the bytes were split.
    let cr_pending = !complete && line.ends_with(b"\r");
    let line = if cr_pending {
        &line[..line.len() - 1]
    } else {
        line
    };
    if line.contains(&0) {
        return Some(Error::Malformed("NUL byte in the request line"));
    }
    if line.contains(&b'\r') {
        return Some(Error::Malformed("bare CR in the request line"));
    }
    if line.windows(2).any(|w| w == b"  ") || line.contains(&b'\t') {
        return Some(Error::Malformed(
            "request line parts not separated by exactly one space",
        ));
    }
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    match parts.as_slice() {
        // `GET /`: an HTTP/0.9 request.
        [_, _] if complete || cr_pending => Some(Error::UnsupportedVersion),
        [_, _, b"HTTP/1.0" | b"HTTP/1.1"] => match err {
            httparse::Error::Token => Some(Error::Malformed("malformed request line")),
            // The request line is fine: the error is in a header.
            _ => None,
        },
        [_, _, version] if looks_like_http_version(version) => Some(Error::UnsupportedVersion),
        // `HTTP/2.` before its minor digit arrived.
        [_, _, version]
            if !complete
                && version
                    .strip_suffix(b".")
                    .is_some_and(looks_like_http_version) =>
        {
            Some(Error::UnsupportedVersion)
        }
        [_, _, _] => Some(Error::Malformed("malformed HTTP version")),
        _ => Some(Error::Malformed("malformed request line")),
    }
}

/// `HTTP/<digits>[.<digits>]`.
fn looks_like_http_version(v: &[u8]) -> bool {
    let Some(rest) = v.strip_prefix(b"HTTP/") else {
        return false;
    };
    let mut parts = rest.split(|&b| b == b'.');
    let all_digits = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(major), None, None) => all_digits(major),
        (Some(major), Some(minor), None) => all_digits(major) && all_digits(minor),
        _ => false,
    }
}

fn diagnose_header_line(line: &[u8]) -> Option<Error> {
    if line.contains(&0) {
        return Some(Error::Malformed("NUL byte in a header field"));
    }
    if line.contains(&b'\r') {
        return Some(Error::Malformed("bare CR in a header field"));
    }
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return Some(Error::Malformed(
            "obsolete line folding (a header line starting with whitespace)",
        ));
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Some(Error::Malformed("header line without a colon"));
    };
    let name = &line[..colon];
    if name.is_empty() {
        return Some(Error::Malformed("empty header name"));
    }
    if matches!(name.last(), Some(b' ' | b'\t')) {
        return Some(Error::Malformed(
            "whitespace between a header name and its colon",
        ));
    }
    if !name.iter().all(|&b| is_tchar(b)) {
        return Some(Error::Malformed("invalid character in a header name"));
    }
    if line[colon + 1..]
        .iter()
        .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Some(Error::Malformed("control character in a header value"));
    }
    None
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

// ---------------------------------------------------------------------------------------
// Chunked request bodies
// ---------------------------------------------------------------------------------------

/// Most hex digits of a chunk size (16 = every `u64`; leading zeros count too).
pub const MAX_CHUNK_SIZE_DIGITS: u32 = 16;
/// Most bytes of chunk extensions over a whole body. Nothing uses extensions; the bound
/// stops a client from making the server parse an endless size line.
pub const MAX_CHUNK_EXTENSIONS: usize = 4096;
/// Most bytes of the trailer section.
pub const MAX_TRAILERS: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading the hex digits of a chunk size.
    Size {
        value: u64,
        digits: u32,
    },
    /// Whitespace after the size (only before a `;`).
    SizeSpace {
        value: u64,
    },
    /// In a chunk extension, up to CR.
    Extension {
        value: u64,
    },
    /// After the CR of a size line.
    SizeLf {
        value: u64,
    },
    /// Copying chunk data.
    Data {
        remaining: u64,
    },
    /// Expecting the CR, then the LF, after chunk data.
    DataCr,
    DataLf,
    /// At the start of a trailer line or of the final empty line.
    TrailerStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    /// After the CR of the final empty line.
    FinalLf,
    Done,
}

/// Decodes a `Transfer-Encoding: chunked` body incrementally (RFC 9112 §7.1): feed it the
/// bytes after the head as they arrive; it appends the data to `out` and says how much
/// input it used, so bytes after the body (a pipelined request) stay with the caller.
/// Trailer fields are checked for shape and discarded (a `Content-Length` trailer is
/// ignored: the decoded length is what counts).
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: ChunkState,
    extension_bytes: usize,
    trailer_bytes: usize,
    decoded: u64,
}

impl Default for ChunkedDecoder {
    fn default() -> ChunkedDecoder {
        ChunkedDecoder::new()
    }
}

impl ChunkedDecoder {
    pub fn new() -> ChunkedDecoder {
        ChunkedDecoder {
            state: ChunkState::Size {
                value: 0,
                digits: 0,
            },
            extension_bytes: 0,
            trailer_bytes: 0,
            decoded: 0,
        }
    }

    /// Data bytes decoded so far (check it against the body limit as it grows).
    pub fn decoded(&self) -> u64 {
        self.decoded
    }

    /// Whether the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Decodes from `input`, appending data to `out`. Returns the bytes of `input` consumed
    /// and whether the body is complete; when complete, `input[consumed..]` is not body.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), Error> {
        let mut i = 0;
        while i < input.len() {
            if let ChunkState::Data { remaining } = self.state {
                let available = input.len() - i;
                let take = usize::try_from(remaining).map_or(available, |r| r.min(available));
                out.extend_from_slice(&input[i..i + take]);
                i += take;
                self.decoded += take as u64;
                let remaining = remaining - take as u64;
                self.state = if remaining == 0 {
                    ChunkState::DataCr
                } else {
                    ChunkState::Data { remaining }
                };
                continue;
            }
            if self.state == ChunkState::Done {
                break;
            }
            self.step(input[i])?;
            i += 1;
        }
        Ok((i, self.state == ChunkState::Done))
    }

    /// One byte outside chunk data.
    fn step(&mut self, b: u8) -> Result<(), Error> {
        use ChunkState as S;
        self.state = match self.state {
            S::Size { value, digits } => match (hex_value(b), b) {
                (Some(d), _) => {
                    if digits >= MAX_CHUNK_SIZE_DIGITS {
                        return Err(Error::BadChunk("chunk size has more than 16 hex digits"));
                    }
                    S::Size {
                        value: (value << 4) | u64::from(d),
                        digits: digits + 1,
                    }
                }
                _ if digits == 0 => {
                    return Err(Error::BadChunk("chunk size is not a hexadecimal number"));
                }
                (None, b';') => S::Extension { value },
                (None, b' ' | b'\t') => S::SizeSpace { value },
                (None, b'\r') => S::SizeLf { value },
                (None, _) => return Err(Error::BadChunk("invalid character after the chunk size")),
            },
            S::SizeSpace { value } => match b {
                b' ' | b'\t' => S::SizeSpace { value },
                b';' => S::Extension { value },
                _ => return Err(Error::BadChunk("whitespace after the chunk size")),
            },
            S::Extension { value } => {
                self.extension_bytes += 1;
                if self.extension_bytes > MAX_CHUNK_EXTENSIONS {
                    return Err(Error::BadChunk("chunk extensions too long"));
                }
                match b {
                    b'\r' => S::SizeLf { value },
                    b'\n' => return Err(Error::BadChunk("bare LF in a chunk size line")),
                    b'\t' => S::Extension { value },
                    _ if b < 0x20 || b == 0x7f => {
                        return Err(Error::BadChunk("control character in a chunk extension"));
                    }
                    _ => S::Extension { value },
                }
            }
            S::SizeLf { value } => match b {
                b'\n' if value == 0 => S::TrailerStart,
                b'\n' => S::Data { remaining: value },
                _ => return Err(Error::BadChunk("bare CR in a chunk size line")),
            },
            S::Data { .. } | S::Done => unreachable!("handled by feed"),
            S::DataCr => match b {
                b'\r' => S::DataLf,
                _ => return Err(Error::BadChunk("chunk data not followed by CRLF")),
            },
            S::DataLf => match b {
                b'\n' => S::Size {
                    value: 0,
                    digits: 0,
                },
                _ => return Err(Error::BadChunk("chunk data not followed by CRLF")),
            },
            S::TrailerStart => {
                self.count_trailer_byte()?;
                match b {
                    b'\r' => S::FinalLf,
                    b' ' | b'\t' => {
                        return Err(Error::BadChunk("obsolete line folding in the trailers"));
                    }
                    _ if is_tchar(b) => S::TrailerName,
                    _ => return Err(Error::BadChunk("invalid trailer field")),
                }
            }
            S::TrailerName => {
                self.count_trailer_byte()?;
                match b {
                    b':' => S::TrailerValue,
                    _ if is_tchar(b) => S::TrailerName,
                    _ => return Err(Error::BadChunk("invalid trailer field")),
                }
            }
            S::TrailerValue => {
                self.count_trailer_byte()?;
                match b {
                    b'\r' => S::TrailerLf,
                    b'\t' => S::TrailerValue,
                    _ if b < 0x20 || b == 0x7f => {
                        return Err(Error::BadChunk("control character in a trailer field"));
                    }
                    _ => S::TrailerValue,
                }
            }
            S::TrailerLf => match b {
                b'\n' => S::TrailerStart,
                _ => return Err(Error::BadChunk("bare CR in the trailers")),
            },
            S::FinalLf => match b {
                b'\n' => S::Done,
                _ => return Err(Error::BadChunk("bare CR at the end of the body")),
            },
        };
        Ok(())
    }

    fn count_trailer_byte(&mut self) -> Result<(), Error> {
        self.trailer_bytes += 1;
        if self.trailer_bytes > MAX_TRAILERS {
            return Err(Error::BadChunk("trailers too long"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

/// `100 Continue`, sent before reading the body of a request with
/// [`Head::expect_continue`].
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The end of a chunked body (no trailers).
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// How the response body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The app's `Content-Length`: write exactly `n` body bytes. An app that writes fewer
    /// leaves the connection unusable (close it); bytes beyond `n` must not be sent.
    Length(u64),
    /// Chunked by us: each write through [`write_chunk`], then [`LAST_CHUNK`].
    Chunked,
    /// The body ends when the connection closes.
    Close,
    /// No body (`HEAD`, 1xx, 204, 304): whatever the app writes is discarded.
    NoBody,
}

/// The framing of one response, decided by [`plan_response`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponsePlan {
    framing: Framing,
    keep_alive: bool,
    add_chunked_header: bool,
    version_minor: u8,
    dechunk: bool,
}

/// A response the worker must not send: answer 500 instead (nothing was written yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseError {
    /// Not `NNN` or `NNN reason`, or a CR, LF or NUL in it.
    BadStatus,
    /// The header at this index has an invalid name or a CR, LF or NUL in its value.
    BadHeader(usize),
    /// The app's `Content-Length` is not a decimal number, or two differ.
    BadContentLength,
    /// The app sent both `Content-Length` and `Transfer-Encoding`.
    LengthWithTransferEncoding,
    /// The app's `Transfer-Encoding` is not just `chunked`, and the client speaks HTTP/1.0,
    /// which has no transfer codings.
    TransferCodingForHttp10,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::BadStatus => write!(f, "invalid response status line"),
            ResponseError::BadHeader(i) => write!(f, "invalid response header (number {})", i + 1),
            ResponseError::BadContentLength => {
                write!(f, "invalid or conflicting `Content-Length` in the response")
            }
            ResponseError::LengthWithTransferEncoding => {
                write!(
                    f,
                    "response has both `Content-Length` and `Transfer-Encoding`"
                )
            }
            ResponseError::TransferCodingForHttp10 => write!(
                f,
                "response has a `Transfer-Encoding` other than `chunked` for an HTTP/1.0 client"
            ),
        }
    }
}

impl std::error::Error for ResponseError {}

/// Decides how the response to `req` is framed, from the app's status and headers.
///
/// - `HEAD`, 1xx, 204, 304: no body; the app's headers (a `Content-Length` too) pass as given.
/// - The app's `Transfer-Encoding` (it chunks the body itself, as uWSGI `http11-socket`
///   apps must): passed through to an HTTP/1.1 client, body close-delimited. An HTTP/1.0
///   client cannot decode it (RFC 9112 §6.1: never send it one): the header is dropped and
///   the worker de-chunks the body ([`ResponsePlan::dechunk`]); another coding is refused.
/// - The app's `Content-Length`: used; keep-alive if the request allows it.
/// - No length, HTTP/1.1: we add `Transfer-Encoding: chunked` and chunk the body.
/// - No length, HTTP/1.0: close-delimited.
///
/// The server owns `Connection`: the app's `Connection` header is read (`close` is obeyed)
/// and never written; [`ResponsePlan::write_head`] writes `Connection: close` when the
/// connection will close and `Connection: keep-alive` to an HTTP/1.0 client it keeps.
pub fn plan_response(
    req: &Head,
    status: &[u8],
    headers: &[(&[u8], &[u8])],
) -> Result<ResponsePlan, ResponseError> {
    let code = status_code(status).ok_or(ResponseError::BadStatus)?;
    let mut length = None;
    let mut app_chunks = false;
    let mut app_chunked_only = true;
    let mut app_close = false;
    for (i, &(name, value)) in headers.iter().enumerate() {
        if !validate_header(name, value) {
            return Err(ResponseError::BadHeader(i));
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = parse_decimal(trim_ows(value)).ok_or(ResponseError::BadContentLength)?;
            if length.is_some_and(|prev| prev != n) {
                return Err(ResponseError::BadContentLength);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            app_chunked_only &= !app_chunks && trim_ows(value).eq_ignore_ascii_case(b"chunked");
            app_chunks = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            app_close |= value
                .split(|&b| b == b',')
                .any(|t| trim_ows(t).eq_ignore_ascii_case(b"close"));
        }
    }
    if length.is_some() && app_chunks {
        return Err(ResponseError::LengthWithTransferEncoding);
    }
    let dechunk = app_chunks && req.version_minor == 0;
    if dechunk && !app_chunked_only {
        return Err(ResponseError::TransferCodingForHttp10);
    }
    let no_body = req.method_head || (100..200).contains(&code) || code == 204 || code == 304;
    let mut keep_alive = req.keep_alive && !app_close;
    let mut add_chunked_header = false;
    let framing = if no_body {
        Framing::NoBody
    } else if app_chunks {
        keep_alive = false;
        Framing::Close
    } else if let Some(n) = length {
        Framing::Length(n)
    } else if req.version_minor == 1 {
        add_chunked_header = true;
        Framing::Chunked
    } else {
        keep_alive = false;
        Framing::Close
    };
    Ok(ResponsePlan {
        framing,
        keep_alive,
        add_chunked_header,
        version_minor: req.version_minor,
        dechunk: dechunk && framing == Framing::Close,
    })
}

impl ResponsePlan {
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The app chunked the body itself for an HTTP/1.0 client: its `Transfer-Encoding` is
    /// not written, and the worker decodes the body ([`ChunkedDecoder`]) before sending it,
    /// close-delimited.
    pub fn dechunk(&self) -> bool {
        self.dechunk
    }

    /// Whether the connection may carry the next request after this response (the worker
    /// also requires the whole body to have been written and the request body read).
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Closes the connection after this response (the worker is stopping, the app wrote
    /// less than its `Content-Length`…). Call before [`ResponsePlan::write_head`] for the
    /// head to say so.
    pub fn close_after(&mut self) {
        self.keep_alive = false;
    }

    /// Writes the status line and headers: `HTTP/1.1 <status>`, the app's headers except
    /// `Connection`, then the headers this plan adds, then the empty line. `status` and
    /// `headers` must be those given to [`plan_response`].
    pub fn write_head(&self, out: &mut Vec<u8>, status: &[u8], headers: &[(&[u8], &[u8])]) {
        out.extend_from_slice(b"HTTP/1.1 ");
        push_status(out, status);
        out.extend_from_slice(b"\r\n");
        for &(name, value) in headers {
            let dropped = name.eq_ignore_ascii_case(b"connection")
                || (self.dechunk && name.eq_ignore_ascii_case(b"transfer-encoding"));
            if !dropped {
                push_header(out, name, value);
            }
        }
        if self.add_chunked_header {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        if !self.keep_alive {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if self.version_minor == 0 {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends one chunk holding `data`. Empty data writes nothing (an empty chunk would end
/// the body): end it with [`LAST_CHUNK`].
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    write!(out, "{:x}\r\n", data.len()).expect("writing to a Vec cannot fail");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// A response header the server may emit: a token name, and a value without CR, LF or NUL
/// (the response-splitting class of CVE-2023-27522 / CVE-2024-24795).
pub fn validate_header(name: &[u8], value: &[u8]) -> bool {
    !name.is_empty()
        && name.iter().all(|&b| is_tchar(b))
        && !value.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0))
}

/// A WSGI status the server may emit: three digits, optionally a space and a reason
/// without CR, LF or NUL (`200 OK`, `404`).
pub fn validate_status(status: &[u8]) -> bool {
    status_code(status).is_some()
}

fn status_code(status: &[u8]) -> Option<u16> {
    let (digits, rest) = status.split_at_checked(3)?;
    if !digits.iter().all(u8::is_ascii_digit) || digits[0] == b'0' {
        return None;
    }
    match rest {
        [] => {}
        [b' ', reason @ ..] if !reason.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) => {}
        _ => return None,
    }
    digits
        .iter()
        .try_fold(0u16, |n, &d| Some(n * 10 + u16::from(d - b'0')))
}

/// Appends a status as uWSGI writes it: `NNN` alone (or `NNN `) gets its reason phrase.
pub(crate) fn push_status(out: &mut Vec<u8>, status: &[u8]) {
    match status {
        [a, b, c] | [a, b, c, b' '] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            let code = [a, b, c]
                .iter()
                .fold(0u16, |n, &&d| n * 10 + u16::from(d - b'0'));
            out.extend_from_slice(&[*a, *b, *c, b' ']);
            out.extend_from_slice(reason(code).as_bytes());
        }
        _ => out.extend_from_slice(status),
    }
}

pub(crate) fn push_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Writes a complete error response that ends the connection:
/// `HTTP/1.1 400 Bad Request`, `Connection: close`, a `Content-Length`, and the reason
/// phrase as the body.
pub fn write_error_response(out: &mut Vec<u8>, status: u16) {
    let reason = reason(status);
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", reason.len()).as_bytes());
    out.extend_from_slice(reason.as_bytes());
}

/// The reason phrase of a status code: uWSGI's table (its wording: `413 Request Entity Too
/// Large`, `509 Bandwidth Limit Exceeded`), plus the registered codes uWSGI lacks (`308
/// Permanent Redirect`…), `Unknown` for the rest, as uWSGI.
pub fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        509 => "Bandwidth Limit Exceeded",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CONN: ConnInfo<'static> = ConnInfo {
        server_name: b"node1",
        server_port: b"9090",
        remote_addr: b"10.0.0.7",
        remote_port: b"40000",
        https: false,
    };
    const LIMITS: Limits = Limits { max_head: 4096 };

    fn try_parse(req: &[u8]) -> Result<Status, Error> {
        parse(req, &LIMITS, &CONN, &mut Vars::new())
    }

    #[track_caller]
    fn parse_ok(req: &[u8]) -> (Head, Vars) {
        let mut vars = Vars::new();
        match parse(req, &LIMITS, &CONN, &mut vars) {
            Ok(Status::Complete(head)) => (head, vars),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(req)),
        }
    }

    #[track_caller]
    fn parse_err(req: &[u8]) -> Error {
        match try_parse(req) {
            Err(e) => e,
            other => panic!("{:?} was accepted: {other:?}", String::from_utf8_lossy(req)),
        }
    }

    fn get<'v>(vars: &'v Vars, key: &str) -> Option<&'v [u8]> {
        vars.get(key.as_bytes())
    }

    fn keys(vars: &Vars) -> Vec<String> {
        vars.iter()
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect()
    }

    /// `GET / HTTP/1.1` with a Host and the given extra header lines.
    fn get_with(headers: &str) -> Vec<u8> {
        format!("GET / HTTP/1.1\r\nHost: example.com\r\n{headers}\r\n").into_bytes()
    }

    /// `POST / HTTP/1.1` with a Host and the given extra header lines (no body bytes).
    fn post_with(headers: &str) -> Vec<u8> {
        format!("POST /upload HTTP/1.1\r\nHost: example.com\r\n{headers}\r\n").into_bytes()
    }

    // --- the environ -------------------------------------------------------------------

    #[test]
    fn simple_get_generates_uwsgi_vars_in_order() {
        let req = b"GET /hello/w%C3%B6rld?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\n\
                    User-Agent: curl/8.5\r\nAccept: */*\r\n\r\n";
        let (head, vars) = parse_ok(req);
        let expected: Vec<(&[u8], &[u8])> = vec![
            (b"REQUEST_METHOD", b"GET"),
            (b"PATH_INFO", "/hello/wörld".as_bytes()),
            (b"REQUEST_URI", b"/hello/w%C3%B6rld?x=1&y=%20"),
            (b"QUERY_STRING", b"x=1&y=%20"),
            (b"SERVER_PROTOCOL", b"HTTP/1.1"),
            (b"SCRIPT_NAME", b""),
            (b"SERVER_NAME", b"node1"),
            (b"SERVER_PORT", b"9090"),
            (b"REMOTE_ADDR", b"10.0.0.7"),
            (b"REMOTE_PORT", b"40000"),
            (b"HTTP_HOST", b"example.com:8080"),
            (b"HTTP_USER_AGENT", b"curl/8.5"),
            (b"HTTP_ACCEPT", b"*/*"),
        ];
        assert_eq!(vars.iter().collect::<Vec<_>>(), expected);
        assert_eq!(
            head,
            Head {
                head_len: req.len(),
                body: BodyKind::None,
                keep_alive: true,
                version_minor: 1,
                method_head: false,
                expect_continue: false,
            }
        );
    }

    #[test]
    fn https_connection_adds_https_on_before_the_headers() {
        let conn = ConnInfo {
            https: true,
            ..CONN
        };
        let mut vars = Vars::new();
        parse(&get_with(""), &LIMITS, &conn, &mut vars).unwrap();
        assert_eq!(get(&vars, "HTTPS"), Some(&b"on"[..]));
        let k = keys(&vars);
        assert_eq!(k[10..], ["HTTPS", "HTTP_HOST"]);
        let (_, plain) = parse_ok(&get_with(""));
        assert_eq!(get(&plain, "HTTPS"), None);
    }

    #[test]
    fn path_info_is_percent_decoded_and_request_uri_is_raw() {
        let cases: &[(&str, &[u8], &[u8])] = &[
            // target, PATH_INFO, QUERY_STRING
            ("/a%20b", b"/a b", b""),
            ("/a%2Fb", b"/a/b", b""),
            ("/a%2fb", b"/a/b", b""),
            ("/%zz/%4", b"/%zz/%4", b""),
            ("/%", b"/%", b""),
            ("/%4g", b"/%4g", b""),
            ("/nul%00byte", b"/nul\0byte", b""),
            ("/latin%E9", b"/latin\xe9", b""),
            ("/../etc/passwd", b"/../etc/passwd", b""),
            ("/a+b", b"/a+b", b""),
            ("/p?", b"/p", b""),
            ("/p?a=1?b=%20", b"/p", b"a=1?b=%20"),
            ("//double", b"//double", b""),
        ];
        for &(target, path, query) in cases {
            let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
            let (_, vars) = parse_ok(req.as_bytes());
            assert_eq!(get(&vars, "PATH_INFO"), Some(path), "{target}");
            assert_eq!(get(&vars, "QUERY_STRING"), Some(query), "{target}");
            assert_eq!(
                get(&vars, "REQUEST_URI"),
                Some(target.as_bytes()),
                "{target}"
            );
        }
    }

    #[test]
    fn header_names_become_cgi_names() {
        let (_, vars) = parse_ok(&post_with(
            "Content-Type: text/plain\r\nContent-Length: 0\r\nX-Forwarded-For: 1.2.3.4\r\n\
             accept-LANGUAGE: fr\r\n",
        ));
        assert_eq!(get(&vars, "CONTENT_TYPE"), Some(&b"text/plain"[..]));
        assert_eq!(get(&vars, "CONTENT_LENGTH"), Some(&b"0"[..]));
        assert_eq!(get(&vars, "HTTP_X_FORWARDED_FOR"), Some(&b"1.2.3.4"[..]));
        assert_eq!(get(&vars, "HTTP_ACCEPT_LANGUAGE"), Some(&b"fr"[..]));
        // PEP 3333: no HTTP_ duplicates of the two CGI names.
        assert_eq!(get(&vars, "HTTP_CONTENT_TYPE"), None);
        assert_eq!(get(&vars, "HTTP_CONTENT_LENGTH"), None);
    }

    #[test]
    fn header_names_with_underscores_are_dropped_so_they_cannot_spoof_dashed_ones() {
        let (_, vars) = parse_ok(&get_with("X_Forwarded_For: 6.6.6.6\r\nX-Real: 1\r\n"));
        assert_eq!(get(&vars, "HTTP_X_FORWARDED_FOR"), None);
        assert_eq!(get(&vars, "HTTP_X_REAL"), Some(&b"1"[..]));
    }

    #[test]
    fn repeated_headers_are_merged_in_first_occurrence_order() {
        let (_, vars) = parse_ok(&get_with(
            "Accept: a\r\nCookie: c=1\r\nX-One: 1\r\naccept: b\r\nCOOKIE: d=2\r\nAccept: c\r\n",
        ));
        let k = keys(&vars);
        assert_eq!(
            k[10..],
            ["HTTP_HOST", "HTTP_ACCEPT", "HTTP_COOKIE", "HTTP_X_ONE"]
        );
        assert_eq!(get(&vars, "HTTP_ACCEPT"), Some(&b"a, b, c"[..]));
        assert_eq!(get(&vars, "HTTP_COOKIE"), Some(&b"c=1; d=2"[..]));
    }

    #[test]
    fn transfer_encoding_never_becomes_a_variable() {
        let (head, vars) = parse_ok(&post_with("Transfer-Encoding: chunked\r\n"));
        assert_eq!(head.body, BodyKind::Chunked);
        assert_eq!(get(&vars, "HTTP_TRANSFER_ENCODING"), None);
        assert_eq!(get(&vars, "CONTENT_LENGTH"), None);
    }

    #[test]
    fn header_values_keep_inner_whitespace_and_obs_text_but_lose_ows() {
        let (_, vars) = parse_ok(
            b"GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a  b\t \r\nX-B: caf\xe9\r\nX-Empty:\r\n\r\n",
        );
        assert_eq!(get(&vars, "HTTP_X_A"), Some(&b"a  b"[..]));
        assert_eq!(get(&vars, "HTTP_X_B"), Some(&b"caf\xe9"[..]));
        assert_eq!(get(&vars, "HTTP_X_EMPTY"), Some(&b""[..]));
    }

    #[test]
    fn http_1_0_request_without_host_is_fine() {
        let (head, vars) = parse_ok(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(head.version_minor, 0);
        assert!(!head.keep_alive);
        assert_eq!(get(&vars, "SERVER_PROTOCOL"), Some(&b"HTTP/1.0"[..]));
    }

    #[test]
    fn leading_empty_lines_are_skipped() {
        let req = b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
        let (head, vars) = parse_ok(req);
        assert_eq!(head.head_len, req.len());
        assert_eq!(get(&vars, "REQUEST_METHOD"), Some(&b"GET"[..]));
    }

    #[test]
    fn absolute_form_takes_path_and_host_from_the_target() {
        let req = b"GET http://api.example.com:81/v1/x%20y?q=1 HTTP/1.1\r\nHost: evil.example\r\n\
                    Accept: */*\r\n\r\n";
        let (_, vars) = parse_ok(req);
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/v1/x y"[..]));
        assert_eq!(get(&vars, "REQUEST_URI"), Some(&b"/v1/x%20y?q=1"[..]));
        assert_eq!(get(&vars, "QUERY_STRING"), Some(&b"q=1"[..]));
        assert_eq!(get(&vars, "HTTP_HOST"), Some(&b"api.example.com:81"[..]));
        assert_eq!(vars.iter().filter(|(k, _)| *k == b"HTTP_HOST").count(), 1);

        // No Host needed with an absolute target; an empty path is `/`.
        let (_, vars) = parse_ok(b"GET HTTPS://h?a HTTP/1.1\r\n\r\n");
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/"[..]));
        assert_eq!(get(&vars, "REQUEST_URI"), Some(&b"/?a"[..]));
        assert_eq!(get(&vars, "HTTP_HOST"), Some(&b"h"[..]));
    }

    #[test]
    fn bad_request_targets_are_rejected() {
        for target in [
            "http://user:pw@h/",
            "http:///path",
            "ftp://h/",
            "h:443",
            "index.html",
            "http://h h/",
        ] {
            let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
            assert_eq!(parse_err(req.as_bytes()).status(), 400, "{target}");
        }
        assert_eq!(
            parse_err(b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n").status(),
            400
        );
        assert_eq!(
            parse_err(b"GET * HTTP/1.1\r\nHost: h\r\n\r\n").status(),
            400
        );
        let (_, vars) = parse_ok(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"*"[..]));
    }

    // --- connection, method, expect ------------------------------------------------------

    #[test]
    fn keep_alive_follows_version_and_connection() {
        let cases: &[(&str, &str, bool)] = &[
            ("1.1", "", true),
            ("1.1", "Connection: close\r\n", false),
            ("1.1", "Connection: Keep-Alive, CLOSE\r\n", false),
            ("1.1", "Connection: upgrade\r\nConnection: close\r\n", false),
            ("1.1", "Connection: keep-alive\r\n", true),
            ("1.0", "", false),
            ("1.0", "Connection: keep-alive\r\n", true),
            ("1.0", "Connection: Keep-Alive\r\n", true),
            ("1.0", "Connection: keep-alive, close\r\n", false),
        ];
        for &(version, headers, keep_alive) in cases {
            let req = format!("GET / HTTP/{version}\r\nHost: h\r\n{headers}\r\n");
            assert_eq!(
                parse_ok(req.as_bytes()).0.keep_alive,
                keep_alive,
                "{version} {headers:?}"
            );
        }
    }

    #[test]
    fn head_requests_are_flagged() {
        assert!(
            parse_ok(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
                .0
                .method_head
        );
        assert!(!parse_ok(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").0.method_head);
    }

    #[test]
    fn expect_continue_only_for_http_1_1_with_a_body() {
        let cases: &[(&str, &str, bool)] = &[
            ("1.1", "Expect: 100-continue\r\nContent-Length: 5\r\n", true),
            (
                "1.1",
                "Expect: 100-Continue\r\nTransfer-Encoding: chunked\r\n",
                true,
            ),
            (
                "1.1",
                "Expect: 100-continue\r\nContent-Length: 0\r\n",
                false,
            ),
            ("1.1", "Expect: 100-continue\r\n", false),
            (
                "1.0",
                "Expect: 100-continue\r\nContent-Length: 5\r\n",
                false,
            ),
            ("1.1", "Content-Length: 5\r\n", false),
        ];
        for &(version, headers, expect) in cases {
            let req = format!("POST / HTTP/{version}\r\nHost: h\r\n{headers}\r\n");
            assert_eq!(
                parse_ok(req.as_bytes()).0.expect_continue,
                expect,
                "{version} {headers:?}"
            );
        }
    }

    // --- body framing (reliability.md §4.8) ----------------------------------------------

    #[test]
    fn content_length_is_the_body_length() {
        let (head, _) = parse_ok(&post_with("Content-Length: 42\r\n"));
        assert_eq!(head.body, BodyKind::Length(42));
        let (head, _) = parse_ok(&post_with("Content-Length: 007\r\n"));
        assert_eq!(head.body, BodyKind::Length(7));
        let (head, _) = parse_ok(&post_with("Content-Length: 18446744073709551615\r\n"));
        assert_eq!(head.body, BodyKind::Length(u64::MAX));
    }

    #[test]
    fn content_length_must_be_pure_digits() {
        for value in [
            "-1",
            "+5",
            "0x10",
            "5,5",
            "5, 5",
            "",
            "1 2",
            "99999999999999999999",
            "five",
        ] {
            let e = parse_err(&post_with(&format!("Content-Length: {value}\r\n")));
            assert_eq!(e.status(), 400, "{value:?}");
        }
    }

    #[test]
    fn differing_duplicate_content_length_is_rejected_issue_2775() {
        let e = parse_err(&post_with("Content-Length: 5\r\nContent-Length: 6\r\n"));
        assert_eq!(e, Error::Malformed("conflicting `Content-Length` fields"));
    }

    #[test]
    fn content_length_list_5_5_is_rejected() {
        let e = parse_err(&post_with("Content-Length: 5, 5\r\n"));
        assert_eq!(
            e,
            Error::Malformed("`Content-Length` list (only a single number is accepted)")
        );
    }

    #[test]
    fn identical_duplicate_content_length_fields_count_once() {
        let (head, vars) = parse_ok(&post_with("Content-Length: 5\r\ncontent-length: 5\r\n"));
        assert_eq!(head.body, BodyKind::Length(5));
        assert_eq!(
            vars.iter().filter(|(k, _)| *k == b"CONTENT_LENGTH").count(),
            1
        );
        assert_eq!(get(&vars, "CONTENT_LENGTH"), Some(&b"5"[..]));
    }

    #[test]
    fn transfer_encoding_with_content_length_is_rejected_issue_2560() {
        for headers in [
            "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        ] {
            assert_eq!(parse_err(&post_with(headers)).status(), 400, "{headers:?}");
        }
    }

    #[test]
    fn transfer_encoding_variants() {
        let ok = Ok(BodyKind::Chunked);
        let cases: &[(&str, Result<BodyKind, u16>)] = &[
            ("Transfer-Encoding: chunked\r\n", ok),
            ("Transfer-Encoding: CHUNKED\r\n", ok),
            // A tab is optional whitespace (RFC 9110 §5.6.3), so this one is valid.
            ("Transfer-Encoding:\tchunked\r\n", ok),
            ("Transfer-Encoding: chunked \r\n", ok),
            ("Transfer-Encoding: chunked, chunked\r\n", Err(400)),
            (
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                Err(400),
            ),
            ("Transfer-Encoding: ,chunked\r\n", Err(400)),
            ("Transfer-Encoding: \r\n", Err(400)),
            ("Transfer-Encoding : chunked\r\n", Err(400)),
            ("Transfer-Encoding: xchunked\r\n", Err(501)),
            ("Transfer-Encoding: gzip, chunked\r\n", Err(501)),
            ("Transfer-Encoding: identity\r\n", Err(501)),
            ("Transfer-Encoding: chunked;q=1\r\n", Err(501)),
        ];
        for (headers, expected) in cases {
            let got = try_parse(&post_with(headers)).map(|s| match s {
                Status::Complete(h) => h.body,
                Status::Incomplete => panic!("incomplete"),
            });
            assert_eq!(got.map_err(|e| e.status()), *expected, "{headers:?}");
        }
    }

    #[test]
    fn transfer_encoding_in_http_1_0_is_rejected() {
        let e = parse_err(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(
            e,
            Error::Malformed("`Transfer-Encoding` in an HTTP/1.0 request")
        );
    }

    // --- malformed heads (reliability.md §4.8) --------------------------------------------

    #[test]
    fn malformed_heads_get_400_with_a_reason() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n 5\r\n\r\n",
                "obsolete line folding",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\r\n\tc\r\n\r\n",
                "obsolete line folding",
            ),
            (b"GET / HTTP/1.1\nHost: h\n\n", "bare LF"),
            (b"GET / HTTP/1.1\r\nHost: h\n\r\n", "bare LF"),
            (b"GET / HTTP/1.1\r\nHost: h\r\n\n", "bare LF"),
            (b"GET / HTTP/1.1\r\nHost: h\rX-A: b\r\n\r\n", "bare CR"),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\rc\r\n\r\n", "bare CR"),
            (b"GET / HTTP/1.1\rHost: h\r\n\r\n", "bare CR"),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-\0A: b\r\n\r\n", "NUL"),
            (b"GET / HTTP/1.1\r\nHost: h\r\nX-A: b\0c\r\n\r\n", "NUL"),
            (b"GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", "NUL"),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n",
                "without a colon",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
                "without a colon",
            ),
            (b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", "whitespace between"),
            (b"GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", "whitespace between"),
            (b"GET / HTTP/1.1\r\n: h\r\n\r\n", "empty header name"),
            (
                b"GET / HTTP/1.1\r\nX(A): h\r\n\r\n",
                "invalid character in a header name",
            ),
            (
                b"GET / HTTP/1.1\r\nX-A: a\x01b\r\n\r\n",
                "control character",
            ),
            (b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "exactly one space"),
            (b"GET /  HTTP/1.1\r\nHost: h\r\n\r\n", "exactly one space"),
            (b"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", "exactly one space"),
            (
                b" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                "malformed request line",
            ),
            (
                b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
                "malformed request line",
            ),
            (
                b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
                "malformed request line",
            ),
            (
                b"GET / HTTX/1.1\r\nHost: h\r\n\r\n",
                "malformed HTTP version",
            ),
            (
                b"GET / HTTP/1.1x\r\nHost: h\r\n\r\n",
                "malformed HTTP version",
            ),
            (b"GET / HTTP/1.1\r\n\r\n", "without `Host`"),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "more than one `Host`",
            ),
            (b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", "invalid `Host`"),
            (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "invalid `Host`"),
            (b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", "invalid `Host`"),
        ];
        for &(req, reason) in cases {
            let e = parse_err(req);
            assert_eq!(e.status(), 400, "{:?}: {e}", String::from_utf8_lossy(req));
            assert!(
                e.to_string().contains(reason),
                "{:?}: {e}",
                String::from_utf8_lossy(req)
            );
        }
    }

    #[test]
    fn bare_lf_is_rejected_before_the_head_is_complete() {
        assert_eq!(
            parse_err(b"GET / HTTP/1.1\n"),
            Error::Malformed("bare LF line ending (CRLF required)")
        );
    }

    #[test]
    fn unsupported_versions_get_505() {
        for req in [
            &b"GET / HTTP/2.0\r\nHost: h\r\n\r\n"[..],
            b"GET / HTTP/2\r\n\r\n",
            b"GET / HTTP/1.10\r\nHost: h\r\n\r\n",
            b"GET / HTTP/0.9\r\n\r\n",
            b"GET / HTTP/3.0\r\n",
            // HTTP/0.9: no version at all.
            b"GET /\r\n",
            b"GET /index.html\r\n\r\n",
        ] {
            assert_eq!(
                parse_err(req),
                Error::UnsupportedVersion,
                "{:?}",
                String::from_utf8_lossy(req)
            );
        }
    }

    #[test]
    fn a_higher_http_1_minor_version_is_served_as_1_1() {
        for minor in b'2'..=b'9' {
            let req = format!(
                "\r\nPOST /v HTTP/1.{}\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi",
                minor as char
            );
            let (head, vars) = parse_ok(req.as_bytes());
            assert_eq!(head.version_minor, 1);
            assert!(head.keep_alive);
            assert_eq!(head.head_len, req.len() - 2);
            assert_eq!(head.body, BodyKind::Length(2));
            assert_eq!(get(&vars, "SERVER_PROTOCOL"), Some(&b"HTTP/1.1"[..]));
        }
        // Still incomplete until its end, and still checked like any 1.1 request.
        for partial in [
            &b"GET / HTTP/1.2"[..],
            b"GET / HTTP/1.2\r",
            b"GET / HTTP/1.2\r\nHost: h\r\n",
        ] {
            assert_eq!(try_parse(partial), Ok(Status::Incomplete), "{partial:?}");
        }
        assert_eq!(
            parse_err(b"GET / HTTP/1.2\r\n\r\n"),
            Error::Malformed("HTTP/1.1 request without `Host`")
        );
    }

    #[test]
    fn the_answer_does_not_depend_on_where_the_bytes_were_split() {
        // Every prefix of a request is either incomplete or answered as the whole is.
        for req in [
            &b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"[..],
            b"GET / HTTP/1.10\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.2\r\nHost: x\r\n\r\n",
            b"GET /\r\n\r\n",
            b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\nHost: x\n\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n X: folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        ] {
            // (The same status: the reason logged may name an earlier symptom.)
            let answer = |r: Result<Status, Error>| {
                r.map(|s| matches!(s, Status::Complete(_)))
                    .map_err(|e| e.status())
            };
            let whole = answer(try_parse(req));
            for k in 1..req.len() {
                let part = try_parse(&req[..k]);
                assert!(
                    part == Ok(Status::Incomplete) || answer(part) == whole,
                    "{:?} gives {part:?}, the whole {whole:?}",
                    String::from_utf8_lossy(&req[..k])
                );
            }
        }
    }

    #[test]
    fn a_fragment_never_reaches_the_app() {
        let (_, vars) = parse_ok(b"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/a"[..]));
        assert_eq!(get(&vars, "REQUEST_URI"), Some(&b"/a"[..]));
        assert_eq!(get(&vars, "QUERY_STRING"), Some(&b""[..]));
        let (_, vars) = parse_ok(b"GET /a?q=1#frag?x HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/a"[..]));
        assert_eq!(get(&vars, "QUERY_STRING"), Some(&b"q=1"[..]));
        assert_eq!(get(&vars, "REQUEST_URI"), Some(&b"/a?q=1"[..]));
        let (_, vars) = parse_ok(b"GET http://h#f HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/"[..]));
        assert_eq!(get(&vars, "HTTP_HOST"), Some(&b"h"[..]));
    }

    #[test]
    fn two_content_type_fields_are_refused() {
        let e = parse_err(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Type: a/b\r\nContent-type: c/d\r\n\r\n",
        );
        assert_eq!(e, Error::Malformed("more than one `Content-Type` field"));
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn empty_host_is_accepted() {
        let (_, vars) = parse_ok(b"GET / HTTP/1.1\r\nHost:\r\n\r\n");
        assert_eq!(get(&vars, "HTTP_HOST"), Some(&b""[..]));
        parse_ok(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    }

    // --- sizes ----------------------------------------------------------------------------

    #[test]
    fn head_exactly_at_the_limit_is_accepted_one_byte_more_is_431() {
        let limits = Limits { max_head: 200 };
        let build = |n: usize| {
            let base = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \r\n\r\n".len();
            format!(
                "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: {}\r\n\r\n",
                "a".repeat(n - base)
            )
        };
        let mut vars = Vars::new();
        let at_limit = build(200);
        assert!(matches!(
            parse(at_limit.as_bytes(), &limits, &CONN, &mut vars),
            Ok(Status::Complete(_))
        ));
        let over = build(201);
        assert_eq!(
            parse(over.as_bytes(), &limits, &CONN, &mut vars),
            Err(Error::HeadTooLarge { limit: 200 })
        );
        // Still below the limit and incomplete: wait.
        assert_eq!(
            parse(&over.as_bytes()[..199], &limits, &CONN, &mut vars),
            Ok(Status::Incomplete)
        );
    }

    #[test]
    fn a_head_of_100_kb_is_refused_with_431_as_soon_as_the_limit_is_reached_s6() {
        let mut req = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        while req.len() < 100 * 1024 {
            req.extend_from_slice(format!("X-Filler: {}\r\n", "a".repeat(1000)).as_bytes());
        }
        for max_head in [4096, 65536] {
            let limits = Limits { max_head };
            let e = parse(&req[..max_head], &limits, &CONN, &mut Vars::new()).unwrap_err();
            assert_eq!(e, Error::HeadTooLarge { limit: max_head });
            assert_eq!(e.status(), 431);
            let e = parse(&req, &limits, &CONN, &mut Vars::new()).unwrap_err();
            assert_eq!(e.status(), 431);
        }
    }

    #[test]
    fn a_1_mb_uri_gets_414() {
        let mut req = b"GET /".to_vec();
        req.resize(1024 * 1024, b'a');
        req.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
        let e = parse_err(&req);
        assert_eq!(e, Error::UriTooLong { limit: 4096 });
        assert_eq!(e.status(), 414);
        assert!(e.to_string().contains("hint: raise `buffer-size`"));
    }

    fn numbered_headers(n: usize) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for i in 0..n {
            writeln!(out, "X-{i}: v\r").unwrap();
        }
        out
    }

    #[test]
    fn too_many_header_fields_get_431() {
        let headers = numbered_headers(MAX_HEADERS + 1);
        let limits = Limits { max_head: 65536 };
        let e = parse(&get_with(&headers), &limits, &CONN, &mut Vars::new()).unwrap_err();
        assert_eq!(e, Error::TooManyHeaders);
        assert_eq!(e.status(), 431);
        let headers = numbered_headers(MAX_HEADERS - 1);
        assert!(parse(&get_with(&headers), &limits, &CONN, &mut Vars::new()).is_ok());
    }

    // --- incremental parsing and pipelining ----------------------------------------------

    #[test]
    fn a_request_fed_byte_by_byte_is_incomplete_until_its_last_byte() {
        let req = b"POST /p?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nCookie: a=1\r\n\
                    Cookie: b=2\r\n\r\nabc";
        let head_len = req.len() - 3;
        let (full_head, full_vars) = parse_ok(req);
        for end in 0..head_len {
            assert_eq!(
                try_parse(&req[..end]),
                Ok(Status::Incomplete),
                "prefix of {end} bytes"
            );
        }
        for end in head_len..=req.len() {
            let (head, vars) = parse_ok(&req[..end]);
            assert_eq!((head, &vars), (full_head, &full_vars));
        }
        assert_eq!(full_head.head_len, head_len);
    }

    #[test]
    fn pipelined_request_after_an_unread_body_is_found_after_the_body() {
        // The body of the first request looks like a request: it must never be parsed as one.
        let smuggled = b"GET /admin HTTP/1.1\r\nHost: h\r\n\r\n";
        let mut stream = format!(
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n",
            smuggled.len()
        )
        .into_bytes();
        stream.extend_from_slice(smuggled);
        stream.extend_from_slice(b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n");

        let (first, vars) = parse_ok(&stream);
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/a"[..]));
        let BodyKind::Length(n) = first.body else {
            panic!("{first:?}")
        };
        let next = first.head_len + usize::try_from(n).unwrap();
        assert_eq!(&stream[first.head_len..next], smuggled);
        let (second, vars) = parse_ok(&stream[next..]);
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/b"[..]));
        assert_eq!(next + second.head_len, stream.len());
    }

    #[test]
    fn pipelined_request_after_a_chunked_body() {
        let stream = b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
                       3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
        let (head, _) = parse_ok(stream);
        let mut decoder = ChunkedDecoder::new();
        let mut body = Vec::new();
        let (used, done) = decoder.feed(&stream[head.head_len..], &mut body).unwrap();
        assert!(done);
        assert_eq!(body, b"abc");
        let (_, vars) = parse_ok(&stream[head.head_len + used..]);
        assert_eq!(get(&vars, "PATH_INFO"), Some(&b"/b"[..]));
    }

    // --- chunked bodies ---------------------------------------------------------------------

    fn decode(input: &[u8]) -> Result<(Vec<u8>, usize, bool), Error> {
        let mut out = Vec::new();
        let (used, done) = ChunkedDecoder::new().feed(input, &mut out)?;
        Ok((out, used, done))
    }

    #[test]
    fn chunked_body_is_decoded_and_trailing_bytes_stay() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let mut input = body.to_vec();
        input.extend_from_slice(b"NEXT");
        assert_eq!(
            decode(&input),
            Ok((b"hello world".to_vec(), body.len(), true))
        );
    }

    #[test]
    fn chunked_accepts_what_rfc_9112_allows() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
            (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
            (b"0000000000000003\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"3;name=value\r\nabc\r\n0;last\r\n\r\n", b"abc"),
            (b"3 ;name\r\nabc\r\n0\t;x=\"q\"\r\n\r\n", b"abc"),
            (b"0\r\n\r\n", b""),
            // Trailers are checked for shape and discarded; a Content-Length there is ignored.
            (
                b"3\r\nabc\r\n0\r\nContent-Length: 999\r\nX-Sum: 1\r\n\r\n",
                b"abc",
            ),
        ];
        for &(input, expected) in cases {
            let (out, used, done) = decode(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(
                (&out[..], used, done),
                (expected, input.len(), true),
                "{input:?}"
            );
        }
    }

    #[test]
    fn bad_chunked_bodies_are_rejected() {
        let mut long_extension = b"3;x=".to_vec();
        long_extension.resize(100 * 1024, b'a');
        long_extension.extend_from_slice(b"\r\nabc\r\n0\r\n\r\n");
        let mut long_trailers = b"0\r\n".to_vec();
        for i in 0..1000 {
            long_trailers.extend_from_slice(format!("X-{i}: aaaaaaaaaaaaaaaa\r\n").as_bytes());
        }
        let cases: &[(&[u8], &str)] = &[
            (b"FFFFFFFFFFFFFFFF1\r\n", "more than 16 hex digits"),
            (
                b"00000000000000003\r\nabc\r\n0\r\n\r\n",
                "more than 16 hex digits",
            ),
            (b"-1\r\n", "not a hexadecimal number"),
            (b"\r\n", "not a hexadecimal number"),
            (
                b"0x5\r\nhello\r\n0\r\n\r\n",
                "invalid character after the chunk size",
            ),
            (
                b"5 \r\nhello\r\n0\r\n\r\n",
                "whitespace after the chunk size",
            ),
            (&long_extension, "chunk extensions too long"),
            (
                b"3;a\x01\r\nabc\r\n0\r\n\r\n",
                "control character in a chunk extension",
            ),
            (
                b"5\nhello\r\n0\r\n\r\n",
                "invalid character after the chunk size",
            ),
            (b"5;x\nhello\r\n0\r\n\r\n", "bare LF"),
            (b"5\rhello\r\n0\r\n\r\n", "bare CR"),
            (b"5\r\nhelloX0\r\n\r\n", "not followed by CRLF"),
            (b"5\r\nhello\rX0\r\n\r\n", "not followed by CRLF"),
            (b"5\r\nhello\n0\r\n\r\n", "not followed by CRLF"),
            (b"0\r\n\rX", "bare CR at the end"),
            (b"0\r\nX-A: b\r\n x\r\n\r\n", "obsolete line folding"),
            (b"0\r\nno-colon\r\n\r\n", "invalid trailer field"),
            (b"0\r\n: v\r\n\r\n", "invalid trailer field"),
            (b"0\r\nX-A: b\0\r\n\r\n", "control character in a trailer"),
            (b"0\r\nX-A: b\rc\r\n\r\n", "bare CR in the trailers"),
            (&long_trailers, "trailers too long"),
        ];
        for &(input, reason) in cases {
            let e = decode(input).map(|(out, ..)| out).unwrap_err();
            assert_eq!(e.status(), 400);
            assert!(
                e.to_string().contains(reason),
                "{:?}: {e}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn chunked_body_without_its_final_crlf_is_incomplete() {
        // A missing final CRLF at the end of the stream: the worker's read deadline or EOF
        // decides; the decoder just has not finished.
        for input in [
            &b"5\r\nhello\r\n0\r\n"[..],
            b"5\r\nhello\r\n0\r\n\r",
            b"5\r\nhello",
        ] {
            let (_, used, done) = decode(input).unwrap();
            assert_eq!((used, done), (input.len(), false));
        }
    }

    #[test]
    fn chunk_size_of_u64_max_is_accepted_and_bounded_by_the_caller() {
        let mut decoder = ChunkedDecoder::new();
        let mut out = Vec::new();
        let (used, done) = decoder.feed(b"FFFFFFFFFFFFFFFF\r\nabc", &mut out).unwrap();
        assert_eq!(
            (used, done, decoder.decoded(), &out[..]),
            (21, false, 3, &b"abc"[..])
        );
    }

    #[test]
    fn chunked_fed_byte_by_byte_decodes_the_same() {
        let input =
            b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: v\r\n\r\nrest";
        let mut decoder = ChunkedDecoder::new();
        let mut out = Vec::new();
        let mut used_total = 0;
        for (i, byte) in input.iter().enumerate() {
            let (used, done) = decoder.feed(std::slice::from_ref(byte), &mut out).unwrap();
            used_total += used;
            if done {
                assert_eq!(i + 1, input.len() - 4, "done right after the final CRLF");
                break;
            }
            assert_eq!(used, 1);
        }
        assert!(decoder.is_done());
        assert_eq!(out, b"Wikipedia in\r\n\r\nchunks.");
        assert_eq!(used_total, input.len() - 4);
        // A finished decoder consumes nothing more.
        assert_eq!(decoder.feed(b"more", &mut out), Ok((0, true)));
    }

    // --- responses --------------------------------------------------------------------------

    fn request(version_minor: u8, keep_alive: bool, method_head: bool) -> Head {
        Head {
            head_len: 0,
            body: BodyKind::None,
            keep_alive,
            version_minor,
            method_head,
            expect_continue: false,
        }
    }

    fn head_text(req: &Head, status: &str, headers: &[(&str, &str)]) -> (Framing, bool, String) {
        let headers: Vec<(&[u8], &[u8])> = headers
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        let plan = plan_response(req, status.as_bytes(), &headers).unwrap();
        let mut out = Vec::new();
        plan.write_head(&mut out, status.as_bytes(), &headers);
        (
            plan.framing(),
            plan.keep_alive(),
            String::from_utf8(out).unwrap(),
        )
    }

    #[test]
    fn response_framing_decisions() {
        type Case<'a> = (
            &'a Head,
            &'a str,
            &'a [(&'a str, &'a str)],
            Framing,
            bool,
            &'a str,
        );
        let http11 = request(1, true, false);
        let http11_close = request(1, false, false);
        let http10 = request(0, false, false);
        let http10_ka = request(0, true, false);
        let head11 = request(1, true, true);
        let cl: &[(&str, &str)] = &[("Content-Length", "5")];
        let ct: &[(&str, &str)] = &[("Content-Type", "text/plain")];
        let cases: &[Case<'_>] = &[
            (
                &http11,
                "200 OK",
                cl,
                Framing::Length(5),
                true,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            ),
            (
                &http11,
                "200 OK",
                ct,
                Framing::Chunked,
                true,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
            ),
            (
                &http11_close,
                "200 OK",
                cl,
                Framing::Length(5),
                false,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
            ),
            (
                &http11_close,
                "200 OK",
                ct,
                Framing::Chunked,
                false,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            ),
            (
                &http10,
                "200 OK",
                ct,
                Framing::Close,
                false,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
            ),
            (
                &http10,
                "200 OK",
                cl,
                Framing::Length(5),
                false,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
            ),
            (
                &http10_ka,
                "200 OK",
                cl,
                Framing::Length(5),
                true,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n",
            ),
            (
                &http10_ka,
                "200 OK",
                ct,
                Framing::Close,
                false,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
            ),
            (
                &head11,
                "200 OK",
                cl,
                Framing::NoBody,
                true,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            ),
            (
                &head11,
                "200 OK",
                ct,
                Framing::NoBody,
                true,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
            ),
            (
                &http11,
                "204 No Content",
                &[],
                Framing::NoBody,
                true,
                "HTTP/1.1 204 No Content\r\n\r\n",
            ),
            (
                &http11,
                "304",
                &[],
                Framing::NoBody,
                true,
                "HTTP/1.1 304 Not Modified\r\n\r\n",
            ),
            (
                &http11,
                "101 Switching Protocols",
                &[],
                Framing::NoBody,
                true,
                "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            ),
            (
                &http10,
                "204 No Content",
                &[],
                Framing::NoBody,
                false,
                "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
            ),
            // The server owns Connection: the app's is read, never written twice.
            (
                &http11,
                "200 OK",
                &[("Content-Length", "5"), ("Connection", "close")],
                Framing::Length(5),
                false,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
            ),
            (
                &http11,
                "200 OK",
                &[("Connection", "Keep-Alive"), ("Content-Length", "5")],
                Framing::Length(5),
                true,
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            ),
            // An app that chunks itself (uWSGI http11-socket style): passed through, then close.
            (
                &http11,
                "200 OK",
                &[("Transfer-Encoding", "chunked")],
                Framing::Close,
                false,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            ),
            (
                &http11,
                "200 OK",
                &[("content-length", "5"), ("Content-Length", "5")],
                Framing::Length(5),
                true,
                "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nContent-Length: 5\r\n\r\n",
            ),
            (
                &http11,
                "404",
                cl,
                Framing::Length(5),
                true,
                "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\n",
            ),
            (
                &http11,
                "599 ",
                cl,
                Framing::Length(5),
                true,
                "HTTP/1.1 599 Unknown\r\nContent-Length: 5\r\n\r\n",
            ),
        ];
        for &(req, status, headers, framing, keep_alive, text) in cases {
            let got = head_text(req, status, headers);
            assert_eq!(
                got,
                (framing, keep_alive, text.to_owned()),
                "{req:?} {status} {headers:?}"
            );
        }
    }

    #[test]
    fn an_apps_own_chunking_is_undone_for_an_http_1_0_client() {
        let http10 = request(0, false, false);
        let te = [(&b"Transfer-Encoding"[..], &b"chunked"[..])];
        let plan = plan_response(&http10, b"200 OK", &te).unwrap();
        assert!(plan.dechunk());
        assert_eq!(plan.framing(), Framing::Close);
        let mut out = Vec::new();
        plan.write_head(&mut out, b"200 OK", &te);
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        // HTTP/1.1 clients get it as the app wrote it.
        let plan = plan_response(&request(1, true, false), b"200 OK", &te).unwrap();
        assert!(!plan.dechunk());
        // HEAD: no body to decode.
        assert!(
            !plan_response(&request(0, false, true), b"200 OK", &te)
                .unwrap()
                .dechunk()
        );
        // Another coding cannot be undone.
        for value in [&b"gzip, chunked"[..], b"gzip"] {
            assert_eq!(
                plan_response(&http10, b"200 OK", &[(b"Transfer-Encoding", value)]),
                Err(ResponseError::TransferCodingForHttp10)
            );
        }
    }

    #[test]
    fn close_after_turns_a_keep_alive_plan_into_a_closing_one() {
        let mut plan = plan_response(&request(1, true, false), b"200 OK", &[]).unwrap();
        plan.close_after();
        let mut out = Vec::new();
        plan.write_head(&mut out, b"200 OK", &[]);
        assert!(!plan.keep_alive());
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn responses_that_would_split_or_smuggle_are_refused() {
        type Case<'a> = (&'a [u8], &'a [(&'a [u8], &'a [u8])], ResponseError);
        let req = request(1, true, false);
        let cases: &[Case<'_>] = &[
            (
                b"200 OK",
                &[(b"Set-Cookie", b"a\r\nSet-Cookie: x")],
                ResponseError::BadHeader(0),
            ),
            (
                b"200 OK",
                &[(b"X-A", b"1"), (b"X-B", b"a\0b")],
                ResponseError::BadHeader(1),
            ),
            (b"200 OK", &[(b"X-A", b"a\nb")], ResponseError::BadHeader(0)),
            (
                b"200 OK",
                &[(b"Bad Name", b"v")],
                ResponseError::BadHeader(0),
            ),
            (b"200 OK", &[(b"", b"v")], ResponseError::BadHeader(0)),
            (b"200 OK\r\nX: y", &[], ResponseError::BadStatus),
            (b"200 OK\0", &[], ResponseError::BadStatus),
            (b"200OK", &[], ResponseError::BadStatus),
            (b"20", &[], ResponseError::BadStatus),
            (b"abc", &[], ResponseError::BadStatus),
            (b"099 Low", &[], ResponseError::BadStatus),
            (b"", &[], ResponseError::BadStatus),
            (
                b"200 OK",
                &[(b"Content-Length", b"-1")],
                ResponseError::BadContentLength,
            ),
            (
                b"200 OK",
                &[(b"Content-Length", b"5, 5")],
                ResponseError::BadContentLength,
            ),
            (
                b"200 OK",
                &[(b"Content-Length", b"5"), (b"Content-Length", b"6")],
                ResponseError::BadContentLength,
            ),
            (
                b"200 OK",
                &[
                    (b"Content-Length", b"5"),
                    (b"Transfer-Encoding", b"chunked"),
                ],
                ResponseError::LengthWithTransferEncoding,
            ),
        ];
        for &(status, headers, expected) in cases {
            assert_eq!(
                plan_response(&req, status, headers),
                Err(expected),
                "{status:?} {headers:?}"
            );
        }
    }

    #[test]
    fn validate_header_and_status() {
        assert!(validate_header(b"X-Custom_1", b"any \t value \x80\xff"));
        assert!(validate_header(b"Set-Cookie", b""));
        for (name, value) in [
            (&b"X"[..], &b"a\rb"[..]),
            (b"X", b"a\nb"),
            (b"X", b"a\0b"),
            (b"X Y", b"v"),
            (b"X:", b"v"),
            (b"", b"v"),
            (b"X\n", b"v"),
        ] {
            assert!(!validate_header(name, value), "{name:?} {value:?}");
        }
        assert!(validate_status(b"200 OK"));
        assert!(validate_status(b"404"));
        assert!(validate_status(b"418 I'm a teapot"));
        assert!(!validate_status(b"200 OK\r\nX: y"));
    }

    #[test]
    fn chunk_writer() {
        let mut out = Vec::new();
        write_chunk(&mut out, b"hello");
        write_chunk(&mut out, b"");
        write_chunk(&mut out, &[b'x'; 255]);
        out.extend_from_slice(LAST_CHUNK);
        let mut expected = b"5\r\nhello\r\nff\r\n".to_vec();
        expected.extend_from_slice(&[b'x'; 255]);
        expected.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(out, expected);
        let mut decoded = Vec::new();
        assert_eq!(
            ChunkedDecoder::new().feed(&out, &mut decoded),
            Ok((out.len(), true))
        );
    }

    #[test]
    fn error_responses_are_complete_and_close() {
        let mut out = Vec::new();
        write_error_response(&mut out, 400);
        assert_eq!(out, b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 11\r\n\r\nBad Request");
        out.clear();
        write_error_response(&mut out, 431);
        assert_eq!(
            out,
            &b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\
               Content-Length: 31\r\n\r\nRequest Header Fields Too Large"[..]
        );
    }

    #[test]
    fn error_statuses() {
        let cases = [
            (Error::HeadTooLarge { limit: 1 }, 431),
            (Error::TooManyHeaders, 431),
            (Error::UriTooLong { limit: 1 }, 414),
            (Error::UnsupportedVersion, 505),
            (Error::UnknownTransferCoding, 501),
            (Error::Malformed("x"), 400),
            (Error::BadChunk("x"), 400),
        ];
        for (e, status) in cases {
            assert_eq!(e.status(), status, "{e}");
            assert!(e.to_string().starts_with("invalid "), "{e}");
        }
    }

    #[test]
    fn reason_phrases() {
        let cases = [
            (200, "OK"),
            (201, "Created"),
            (204, "No Content"),
            (301, "Moved Permanently"),
            (302, "Found"),
            (304, "Not Modified"),
            (308, "Permanent Redirect"),
            (400, "Bad Request"),
            (404, "Not Found"),
            (413, "Request Entity Too Large"),
            (414, "Request-URI Too Long"),
            (418, "I'm a teapot"),
            (422, "Unprocessable Entity"),
            (431, "Request Header Fields Too Large"),
            (500, "Internal Server Error"),
            (502, "Bad Gateway"),
            (505, "HTTP Version Not Supported"),
            (509, "Bandwidth Limit Exceeded"),
            (299, "Unknown"),
            (999, "Unknown"),
            (0, "Unknown"),
        ];
        for (code, text) in cases {
            assert_eq!(reason(code), text, "{code}");
        }
        for code in 100..1000 {
            let r = reason(code);
            assert!(
                !r.is_empty() && r.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
                "{code}"
            );
        }
    }

    #[test]
    fn status_reason_is_appended_only_to_bare_codes() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"200", b"200 OK"),
            (b"404 ", b"404 Not Found"),
            (b"404 Nope", b"404 Nope"),
            (b"200 OK", b"200 OK"),
            (b"777", b"777 Unknown"),
        ];
        for &(status, line) in cases {
            let mut out = Vec::new();
            push_status(&mut out, status);
            assert_eq!(out, line);
        }
    }

    // --- properties ------------------------------------------------------------------------

    fn unreserved(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
    }

    /// A header field a valid request may carry (none of the framing/routing ones).
    fn header_field() -> impl Strategy<Value = (String, Vec<u8>)> {
        let name = prop_oneof![
            Just("Accept".to_owned()),
            Just("accept".to_owned()),
            Just("Cookie".to_owned()),
            Just("Accept-Language".to_owned()),
            Just("X-Trace".to_owned()),
            "[A-Za-z][A-Za-z0-9!#$%&'*+.^`|~-]{0,12}".prop_filter("reserved name", |n| {
                ![
                    "host",
                    "content-length",
                    "content-type",
                    "transfer-encoding",
                ]
                .contains(&n.to_ascii_lowercase().as_str())
            }),
        ];
        let value_byte = prop_oneof![0x21u8..=0x7e, 0x80u8..=0xff, Just(b' '), Just(b'\t')];
        let value =
            proptest::collection::vec(value_byte, 0..24).prop_map(|v| trim_ows(&v).to_vec());
        (name, value)
    }

    #[derive(Debug, Clone)]
    struct GeneratedRequest {
        method: String,
        segments: Vec<Vec<u8>>,
        query: Option<String>,
        minor: u8,
        host: String,
        host_at: usize,
        headers: Vec<(String, Vec<u8>)>,
        content_length: Option<u64>,
    }

    fn generated_request() -> impl Strategy<Value = GeneratedRequest> {
        (
            "[A-Z]{1,8}",
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..6), 0..4),
            proptest::option::of("[A-Za-z0-9=&%+./?-]{0,16}"),
            0u8..=1,
            "[a-z0-9.-]{1,12}(:[0-9]{1,5})?",
            any::<usize>(),
            proptest::collection::vec(header_field(), 0..8),
            proptest::option::of(any::<u64>()),
        )
            .prop_map(
                |(method, segments, query, minor, host, host_at, headers, content_length)| {
                    GeneratedRequest {
                        method,
                        segments,
                        query,
                        minor,
                        host,
                        host_at,
                        headers,
                        content_length,
                    }
                },
            )
    }

    impl GeneratedRequest {
        fn encode(&self) -> Vec<u8> {
            let mut target = Vec::new();
            for seg in &self.segments {
                target.push(b'/');
                for &b in seg {
                    if unreserved(b) {
                        target.push(b);
                    } else {
                        target.extend_from_slice(format!("%{b:02X}").as_bytes());
                    }
                }
            }
            if target.is_empty() {
                target.push(b'/');
            }
            if let Some(q) = &self.query {
                target.push(b'?');
                target.extend_from_slice(q.as_bytes());
            }
            let mut out = format!("{} ", self.method).into_bytes();
            out.extend_from_slice(&target);
            out.extend_from_slice(format!(" HTTP/1.{}\r\n", self.minor).as_bytes());
            for (name, value) in self.all_headers() {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(&value);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out
        }

        fn all_headers(&self) -> Vec<(String, Vec<u8>)> {
            let mut all = self.headers.clone();
            all.insert(
                self.host_at % (all.len() + 1),
                ("Host".to_owned(), self.host.clone().into_bytes()),
            );
            if let Some(n) = self.content_length {
                all.push(("Content-Length".to_owned(), n.to_string().into_bytes()));
            }
            all
        }

        /// What the environ must be, computed independently of the parser.
        fn expected_vars(&self, target: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
            let mut path = Vec::new();
            for seg in &self.segments {
                path.push(b'/');
                path.extend_from_slice(seg);
            }
            if path.is_empty() {
                path.push(b'/');
            }
            let version = format!("HTTP/1.{}", self.minor);
            let mut vars: Vec<(Vec<u8>, Vec<u8>)> = vec![
                (b"REQUEST_METHOD".to_vec(), self.method.clone().into_bytes()),
                (b"PATH_INFO".to_vec(), path),
                (b"REQUEST_URI".to_vec(), target.to_vec()),
                (
                    b"QUERY_STRING".to_vec(),
                    self.query.clone().unwrap_or_default().into_bytes(),
                ),
                (b"SERVER_PROTOCOL".to_vec(), version.into_bytes()),
                (b"SCRIPT_NAME".to_vec(), b"".to_vec()),
                (b"SERVER_NAME".to_vec(), b"node1".to_vec()),
                (b"SERVER_PORT".to_vec(), b"9090".to_vec()),
                (b"REMOTE_ADDR".to_vec(), b"10.0.0.7".to_vec()),
                (b"REMOTE_PORT".to_vec(), b"40000".to_vec()),
            ];
            let mut seen: Vec<(String, usize)> = Vec::new();
            for (name, value) in self.all_headers() {
                let lower = name.to_ascii_lowercase();
                if let Some(&(_, at)) = seen.iter().find(|(n, _)| *n == lower) {
                    let sep: &[u8] = if lower == "cookie" { b"; " } else { b", " };
                    vars[at].1.extend_from_slice(sep);
                    vars[at].1.extend_from_slice(&value);
                    continue;
                }
                let key = match lower.as_str() {
                    "content-length" => "CONTENT_LENGTH".to_owned(),
                    "content-type" => "CONTENT_TYPE".to_owned(),
                    _ => format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_")),
                };
                seen.push((lower, vars.len()));
                vars.push((key.into_bytes(), value));
            }
            vars
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(
            prefix in prop_oneof![Just(&b""[..]), Just(&b"GET / HTTP/1.1\r\n"[..]), Just(&b"POST /x HTTP/1.0\r\nHost: h\r\n"[..])],
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            max_head in prop_oneof![Just(64usize), Just(4096)],
        ) {
            let mut req = prefix.to_vec();
            req.extend_from_slice(&bytes);
            let limits = Limits { max_head };
            let mut vars = Vars::new();
            if let Ok(Status::Complete(head)) = parse(&req, &limits, &CONN, &mut vars) {
                prop_assert!(head.head_len <= req.len().min(max_head));
                if head.body == BodyKind::Chunked {
                    let _ = ChunkedDecoder::new().feed(&req[head.head_len..], &mut Vec::new());
                }
            }
        }

        #[test]
        fn valid_requests_round_trip(req in generated_request(), split in any::<usize>()) {
            let bytes = req.encode();
            let target_start = req.method.len() + 1;
            let target_end = bytes[target_start..].iter().position(|&b| b == b' ').unwrap() + target_start;
            let expected = req.expected_vars(&bytes[target_start..target_end]);
            let limits = Limits { max_head: 65536 };
            let mut vars = Vars::new();
            let Ok(Status::Complete(head)) = parse(&bytes, &limits, &CONN, &mut vars) else {
                return Err(TestCaseError::fail(format!("{:?}", String::from_utf8_lossy(&bytes))));
            };
            let got: Vec<(Vec<u8>, Vec<u8>)> = vars.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
            prop_assert_eq!(got, expected);
            prop_assert_eq!(head.head_len, bytes.len());
            prop_assert_eq!(head.version_minor, req.minor);
            prop_assert_eq!(head.body, req.content_length.map_or(BodyKind::None, BodyKind::Length));
            // Any strict prefix is incomplete.
            let cut = split % bytes.len();
            prop_assert_eq!(parse(&bytes[..cut], &limits, &CONN, &mut vars), Ok(Status::Incomplete));
        }

        #[test]
        fn chunked_round_trips_whatever_the_chunking_and_the_reads(
            body in proptest::collection::vec(any::<u8>(), 0..3000),
            chunk_sizes in proptest::collection::vec(1usize..700, 1..20),
            extensions in any::<bool>(),
            read_sizes in proptest::collection::vec(1usize..300, 1..20),
        ) {
            let mut encoded = Vec::new();
            let mut rest = &body[..];
            let mut sizes = chunk_sizes.iter().cycle();
            while !rest.is_empty() {
                let n = (*sizes.next().unwrap()).min(rest.len());
                if extensions {
                    encoded.extend_from_slice(format!("{n:X};i={n}\r\n").as_bytes());
                    encoded.extend_from_slice(&rest[..n]);
                    encoded.extend_from_slice(b"\r\n");
                } else {
                    write_chunk(&mut encoded, &rest[..n]);
                }
                rest = &rest[n..];
            }
            encoded.extend_from_slice(if extensions { b"0\r\nX-Checksum: 1\r\n\r\n" } else { LAST_CHUNK });
            let body_len = encoded.len();
            encoded.extend_from_slice(b"GET / HTTP/1.1\r\n");

            let mut decoder = ChunkedDecoder::new();
            let mut out = Vec::new();
            let mut pos = 0;
            let mut reads = read_sizes.iter().cycle();
            loop {
                let end = (pos + reads.next().unwrap()).min(encoded.len());
                let (used, done) = decoder.feed(&encoded[pos..end], &mut out).unwrap();
                pos += used;
                if done {
                    break;
                }
                prop_assert_eq!(pos, end);
                prop_assert!(pos < encoded.len());
            }
            prop_assert_eq!(pos, body_len);
            prop_assert_eq!(decoder.decoded(), body.len() as u64);
            prop_assert_eq!(out, body);
        }

        #[test]
        fn chunked_decoder_never_panics(
            bytes in proptest::collection::vec(prop_oneof![any::<u8>(), Just(b'\r'), Just(b'\n'), Just(b'0'), Just(b';')], 0..400),
            split in any::<usize>(),
        ) {
            let mut decoder = ChunkedDecoder::new();
            let mut out = Vec::new();
            let cut = split % (bytes.len() + 1);
            if let Ok((used, false)) = decoder.feed(&bytes[..cut], &mut out) {
                prop_assert_eq!(used, cut);
                let _ = decoder.feed(&bytes[cut..], &mut out);
            }
            prop_assert!(out.len() <= bytes.len());
        }
    }
}
