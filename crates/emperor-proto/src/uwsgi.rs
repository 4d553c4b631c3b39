//! The uwsgi request packet: what nginx `uwsgi_pass` (and uWSGI's own `http` router) sends.
//!
//! # The format
//!
//! ```text
//! byte 0      modifier1   u8     0 = WSGI; 30 = WSGI with SCRIPT_NAME stripped from PATH_INFO
//! bytes 1-2   datasize    u16le  size of the vars block only
//! byte 3      modifier2   u8     0 (ignored)
//! vars block  { keylen u16le, key, vallen u16le, value }*  filling exactly datasize bytes
//! body        CONTENT_LENGTH bytes
//! ```
//!
//! There is no response header: the worker answers with a raw HTTP response whose status
//! line uses the request's `SERVER_PROTOCOL` ([`write_response_head`]) and closes the
//! connection, which ends the body (nginx reads until close; uWSGI adds no framing either).
//! A connection therefore carries exactly one request: bytes after the body are never
//! parsed (reliability.md §4.7 case 7, unbit/uwsgi#2336: an excess holding a second packet
//! with `UWSGI_FILE=exec://…` stays inert).
//!
//! # Theory of operation
//!
//! The worker reads into a buffer and calls [`parse`] after each read: [`Status::Incomplete`]
//! until the 4-byte header and the whole vars block are there, then [`Status::Complete`]
//! with a [`Head`]; the body is the next `content_length` bytes after `head_len`. Every
//! length is checked against the bytes actually present before it is used: a lying
//! `keylen`/`vallen` (the CVE-2021-36160 class), a trailing partial var or a block that does
//! not end on a var boundary (nginx's 64 KiB wrap, uwsgi-docs#376) is an [`Error`], never an
//! out-of-bounds read. A peer that sends fewer bytes than `datasize` and idles gets
//! `Incomplete` forever: the worker's read deadline (`socket-timeout`) frees it.
//!
//! # What the worker does that the parser does not
//!
//! - Reads within a deadline (`socket-timeout`, 4 s in uWSGI) and closes on expiry.
//! - Checks `content_length` against `limit-post` before reading the body; reads exactly
//!   that many bytes and ignores anything after them.
//! - On an [`Error`], logs its text and ends the connection as
//!   [`Error::response_status`] says.
//! - Answers through [`write_response_head`] and closes after the body (no keep-alive on
//!   uwsgi connections).
//!
//! # Differences from uWSGI (each deliberate)
//!
//! - `CONTENT_LENGTH` must be pure ASCII digits fitting `u64` (empty or absent = 0); uWSGI
//!   reads the leading digits (`5,5` → 5, `-1` → 0). Given twice, it is refused; uWSGI takes
//!   the last one. Both would let two parsers disagree on where the body ends.
//! - Other duplicate keys are all kept in order, and the last one wins everywhere, as in
//!   uWSGI (where the last also wins, for the app and for its own use): [`Vars::get`], hence
//!   static files and the request log, and the environ the app gets (set in order). nginx
//!   sends a key twice when a `uwsgi_param` after `include uwsgi_params` overrides it, and
//!   the later line is what the writer meant.
//! - `HTTP_CONTENT_LENGTH` and `HTTP_CONTENT_TYPE` (nginx forwards the client's headers
//!   under these names besides `CONTENT_LENGTH`/`CONTENT_TYPE`) are dropped: PEP 3333 says
//!   they must not appear and `wsgiref.validate` rejects them.
//! - Magic vars (`UWSGI_FILE`, `UWSGI_SCRIPT`, `UWSGI_SETENV`, `UWSGI_CHDIR`…) are ordinary
//!   variables: kept, never acted on (no dynamic apps, no code loaded on a client's say-so).
//! - modifier1 other than 0 and 30 is refused ([`Error::UnsupportedModifier`]); uWSGI logs
//!   `-- unavailable modifier requested --`. With 30, `PATH_INFO` loses its `SCRIPT_NAME`
//!   prefix only when it really starts with it; uWSGI cuts `len(SCRIPT_NAME)` bytes blindly.
//! - The status line falls back to `HTTP/1.0` when `SERVER_PROTOCOL` is absent, empty or
//!   not a printable token (uWSGI echoes whatever it got).

use std::fmt;

use crate::app::Vars;
use crate::http::{parse_decimal, push_header, push_status};

/// Bounds of a request packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest vars block, uWSGI's `buffer-size` (default 4096; the wire format caps it at
    /// 65535).
    pub buffer_size: usize,
    /// Most variables (key/value pairs) in one packet; uWSGI's default allows 128.
    pub max_vars: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            buffer_size: 4096,
            max_vars: 128,
        }
    }
}

/// The outcome of [`parse`] on the bytes received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The header or the vars block is not complete yet: read more and parse again.
    Incomplete,
    Complete(Head),
}

/// A parsed packet header. The variables went into the `vars` given to [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// 0 or 30.
    pub modifier1: u8,
    pub modifier2: u8,
    /// `4 + datasize`: where the body starts in the buffer.
    pub head_len: usize,
    /// `CONTENT_LENGTH` (0 when absent or empty): the body is this many bytes after
    /// `head_len`.
    pub content_length: u64,
}

/// A packet the worker must not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `datasize` exceeds `buffer-size`. `looks_like_http` when the first bytes read like an
    /// HTTP request line (a client speaking HTTP to a uwsgi socket, the usual cause).
    BlockTooLarge {
        size: usize,
        max: usize,
        looks_like_http: bool,
    },
    /// `datasize` is 0.
    Empty,
    /// A modifier1 that is not WSGI (0 or 30).
    UnsupportedModifier {
        modifier1: u8,
        looks_like_http: bool,
    },
    /// A var with `keylen` 0, at this offset in the packet.
    NullKey { offset: usize },
    /// A key or value at this offset runs past the end of the vars block.
    Overrun { offset: usize, datasize: usize },
    /// The block ends inside a var's length field, at this offset.
    TruncatedVar { offset: usize },
    /// More than `max` variables.
    TooManyVars { max: usize },
    /// `CONTENT_LENGTH` given twice.
    DuplicateContentLength,
    /// `CONTENT_LENGTH` that is not pure decimal digits fitting `u64` (shown lossily).
    BadContentLength { value: String },
}

impl Error {
    /// How to end the connection: `None` = close without a response (uWSGI's behaviour for
    /// every malformed packet; nginx then answers 502); `Some(code)` = send
    /// [`crate::http::write_error_response`] with that code, then close (the packet was
    /// well formed but its body length is unusable).
    pub fn response_status(&self) -> Option<u16> {
        match self {
            Error::DuplicateContentLength | Error::BadContentLength { .. } => Some(400),
            Error::BlockTooLarge { .. }
            | Error::Empty
            | Error::UnsupportedModifier { .. }
            | Error::NullKey { .. }
            | Error::Overrun { .. }
            | Error::TruncatedVar { .. }
            | Error::TooManyVars { .. } => None,
        }
    }
}

const HTTP_HINT: &str = "\nhint: this looks like HTTP sent to a uwsgi socket; serve HTTP \
                         clients with `http-socket`, or put nginx `uwsgi_pass` in front";

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BlockTooLarge {
                size,
                max,
                looks_like_http,
            } => {
                write!(f, "invalid request block size: {size} (max {max})")?;
                if *looks_like_http {
                    f.write_str(HTTP_HINT)
                } else {
                    f.write_str("\nhint: raise `buffer-size` if nginx sends large headers")
                }
            }
            Error::Empty => write!(f, "empty request (datasize 0)"),
            Error::UnsupportedModifier {
                modifier1,
                looks_like_http,
            } => {
                write!(
                    f,
                    "unsupported modifier1 {modifier1}: this server runs WSGI apps \
                     (modifier1 0 or 30)"
                )?;
                if *looks_like_http {
                    f.write_str(HTTP_HINT)
                } else {
                    Ok(())
                }
            }
            Error::NullKey { offset } => {
                write!(f, "invalid uwsgi request: empty key at offset {offset}")
            }
            Error::Overrun { offset, datasize } => write!(
                f,
                "invalid uwsgi request: var at offset {offset} runs past the end of the \
                 {datasize}-byte vars block"
            ),
            Error::TruncatedVar { offset } => {
                write!(
                    f,
                    "invalid uwsgi request: truncated var header at offset {offset}"
                )
            }
            Error::TooManyVars { max } => {
                write!(f, "invalid uwsgi request: more than {max} vars")
            }
            Error::DuplicateContentLength => {
                write!(f, "invalid uwsgi request: CONTENT_LENGTH given twice")
            }
            Error::BadContentLength { value } => write!(
                f,
                "invalid uwsgi request: CONTENT_LENGTH `{value}` is not a decimal number \
                 that fits in 64 bits"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Parses a request packet from the start of `buf`.
///
/// `vars` is cleared and filled on [`Status::Complete`]; its content is unspecified
/// otherwise. The header is checked as soon as its 4 bytes are there (an oversize block or
/// a foreign modifier1 fails before the block arrives).
pub fn parse(buf: &[u8], limits: &Limits, vars: &mut Vars) -> Result<Status, Error> {
    let Some(&[modifier1, size_lo, size_hi, modifier2]) = buf.first_chunk::<4>() else {
        return Ok(Status::Incomplete);
    };
    let datasize = usize::from(u16::from_le_bytes([size_lo, size_hi]));
    if datasize > limits.buffer_size {
        return Err(Error::BlockTooLarge {
            size: datasize,
            max: limits.buffer_size,
            looks_like_http: looks_like_http(buf),
        });
    }
    if modifier1 != 0 && modifier1 != 30 {
        return Err(Error::UnsupportedModifier {
            modifier1,
            looks_like_http: looks_like_http(buf),
        });
    }
    if datasize == 0 {
        return Err(Error::Empty);
    }
    let head_len = 4 + datasize;
    let Some(block) = buf.get(4..head_len) else {
        return Ok(Status::Incomplete);
    };

    vars.clear();
    let mut content_length = None;
    let mut count = 0;
    let mut pos = 0;
    while pos < block.len() {
        let (key, value, next) = next_var(block, pos)?;
        count += 1;
        if count > limits.max_vars {
            return Err(Error::TooManyVars {
                max: limits.max_vars,
            });
        }
        match key {
            b"CONTENT_LENGTH" => {
                if content_length.is_some() {
                    return Err(Error::DuplicateContentLength);
                }
                let n = if value.is_empty() {
                    Some(0)
                } else {
                    parse_decimal(value)
                };
                let n = n.ok_or_else(|| Error::BadContentLength {
                    value: shown(value),
                })?;
                content_length = Some(n);
                vars.push(key, value);
            }
            b"HTTP_CONTENT_LENGTH" | b"HTTP_CONTENT_TYPE" => {}
            _ => vars.push(key, value),
        }
        pos = next;
    }
    if modifier1 == 30 {
        strip_script_name(vars);
    }
    Ok(Status::Complete(Head {
        modifier1,
        modifier2,
        head_len,
        content_length: content_length.unwrap_or(0),
    }))
}

/// The var starting at `pos` of the block, and where the next one starts.
fn next_var(block: &[u8], pos: usize) -> Result<(&[u8], &[u8], usize), Error> {
    let datasize = block.len();
    let offset = 4 + pos;
    let read_len = |at: usize| {
        block
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or(Error::TruncatedVar { offset: 4 + at })
    };
    let key_len = read_len(pos)?;
    if key_len == 0 {
        return Err(Error::NullKey { offset });
    }
    let key_end = pos + 2 + key_len;
    let key = block
        .get(pos + 2..key_end)
        .ok_or(Error::Overrun { offset, datasize })?;
    let value_len = read_len(key_end)?;
    let value_end = key_end + 2 + value_len;
    let value = block
        .get(key_end + 2..value_end)
        .ok_or(Error::Overrun { offset, datasize })?;
    Ok((key, value, value_end))
}

/// modifier1 30: `PATH_INFO` without its `SCRIPT_NAME` prefix (the values that count: the
/// last of each).
fn strip_script_name(vars: &mut Vars) {
    let (Some(script_name), Some(path_info)) = (vars.get(b"SCRIPT_NAME"), vars.get(b"PATH_INFO"))
    else {
        return;
    };
    if script_name.is_empty() || !path_info.starts_with(script_name) {
        return;
    }
    let cut = script_name.len();
    let old = std::mem::take(vars);
    let last_path = old.iter().rposition(|(key, _)| key == b"PATH_INFO");
    for (i, (key, value)) in old.iter().enumerate() {
        if Some(i) == last_path {
            vars.push(key, &value[cut..]);
        } else {
            vars.push(key, value);
        }
    }
}

/// The first bytes read like `GET /…`: upper-case letters then a space.
fn looks_like_http(buf: &[u8]) -> bool {
    let letters = buf.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let method_then_space = (3..=7).contains(&letters) && buf.get(letters) == Some(&b' ');
    let only_letters_so_far = letters >= 4 && letters == buf.len();
    method_then_space || only_letters_so_far
}

/// A value for an error message: lossy UTF-8, at most 40 characters.
fn shown(value: &[u8]) -> String {
    let s = String::from_utf8_lossy(value);
    if s.chars().count() > 40 {
        s.chars().take(40).chain("…".chars()).collect()
    } else {
        s.into_owned()
    }
}

/// Writes the head of the raw HTTP response uWSGI sends on a uwsgi connection:
/// `<SERVER_PROTOCOL> <status>\r\n`, `Name: Value\r\n` per header, `\r\n`. A status of three
/// digits alone gets its reason phrase (`404` → `404 Not Found`). The status and headers
/// must have been validated ([`crate::http::validate_status`],
/// [`crate::http::validate_header`]). The body follows, ended by closing the connection.
pub fn write_response_head(
    out: &mut Vec<u8>,
    server_protocol: &[u8],
    status: &[u8],
    headers: &[(&[u8], &[u8])],
) {
    let printable_token = !server_protocol.is_empty()
        && server_protocol.len() <= 16
        && server_protocol.iter().all(u8::is_ascii_graphic);
    out.extend_from_slice(if printable_token {
        server_protocol
    } else {
        b"HTTP/1.0"
    });
    out.push(b' ');
    push_status(out, status);
    out.extend_from_slice(b"\r\n");
    for &(name, value) in headers {
        push_header(out, name, value);
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMITS: Limits = Limits {
        buffer_size: 4096,
        max_vars: 128,
    };

    /// The vars block of `vars`, uwsgi-encoded.
    fn block(vars: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, v) in vars {
            out.extend_from_slice(&u16::try_from(k.len()).unwrap().to_le_bytes());
            out.extend_from_slice(k);
            out.extend_from_slice(&u16::try_from(v.len()).unwrap().to_le_bytes());
            out.extend_from_slice(v);
        }
        out
    }

    /// A packet: header with `datasize = block.len()`, then the block and the body.
    fn packet_with_block(modifier1: u8, block: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = vec![modifier1];
        out.extend_from_slice(&u16::try_from(block.len()).unwrap().to_le_bytes());
        out.push(0);
        out.extend_from_slice(block);
        out.extend_from_slice(body);
        out
    }

    fn packet(vars: &[(&[u8], &[u8])], body: &[u8]) -> Vec<u8> {
        packet_with_block(0, &block(vars), body)
    }

    fn try_parse(buf: &[u8]) -> Result<Status, Error> {
        parse(buf, &LIMITS, &mut Vars::new())
    }

    #[track_caller]
    fn parse_ok(buf: &[u8]) -> (Head, Vars) {
        let mut vars = Vars::new();
        match parse(buf, &LIMITS, &mut vars) {
            Ok(Status::Complete(head)) => (head, vars),
            other => panic!("{other:?}"),
        }
    }

    #[track_caller]
    fn parse_err(buf: &[u8]) -> Error {
        match try_parse(buf) {
            Err(e) => e,
            other => panic!("accepted: {other:?}"),
        }
    }

    fn list(vars: &Vars) -> Vec<(&[u8], &[u8])> {
        vars.iter().collect()
    }

    /// Builds the packet as `ngx_http_uwsgi_module` does with `include uwsgi_params`
    /// (uwsgi-formats.md §8.4): the params in config order (`HTTPS` skipped when empty,
    /// others sent even when empty), then every client header as `HTTP_*` with repeated
    /// ones joined, then the body.
    fn nginx_packet(
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (Vec<u8>, OwnedVars) {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let header = |name: &str| {
            let values: Vec<&str> = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
                .collect();
            values.join(if name.eq_ignore_ascii_case("cookie") {
                "; "
            } else {
                ", "
            })
        };
        let content_length = if body.is_empty() {
            String::new()
        } else {
            body.len().to_string()
        };
        let mut vars: Vec<(String, String)> = vec![
            ("QUERY_STRING".into(), query.into()),
            ("REQUEST_METHOD".into(), method.into()),
            ("CONTENT_TYPE".into(), header("content-type")),
            ("CONTENT_LENGTH".into(), content_length),
            ("REQUEST_URI".into(), uri.into()),
            ("PATH_INFO".into(), path.into()),
            ("DOCUMENT_ROOT".into(), "/usr/share/nginx/html".into()),
            ("SERVER_PROTOCOL".into(), "HTTP/1.1".into()),
            ("REQUEST_SCHEME".into(), "http".into()),
            // HTTPS: `if_not_empty`, and $https is empty over plain HTTP: not sent.
            ("REMOTE_ADDR".into(), "192.0.2.1".into()),
            ("REMOTE_PORT".into(), "51234".into()),
            ("SERVER_PORT".into(), "80".into()),
            ("SERVER_NAME".into(), "example.com".into()),
        ];
        let mut seen: Vec<String> = Vec::new();
        for (name, _) in headers {
            let key = format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_"));
            if !seen.contains(&key) {
                vars.push((key.clone(), header(name)));
                seen.push(key);
            }
        }
        let pairs: Vec<(&[u8], &[u8])> = vars
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect();
        let buf = packet(&pairs, body);
        let expected = vars
            .into_iter()
            .filter(|(k, _)| k != "HTTP_CONTENT_LENGTH" && k != "HTTP_CONTENT_TYPE")
            .map(|(k, v)| (k.into_bytes(), v.into_bytes()))
            .collect();
        (buf, expected)
    }

    type OwnedVars = Vec<(Vec<u8>, Vec<u8>)>;

    fn owned(vars: &Vars) -> OwnedVars {
        vars.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
    }

    // --- nginx ------------------------------------------------------------------------------

    #[test]
    fn nginx_get_packet_gives_its_vars_and_an_empty_body() {
        let (buf, expected) = nginx_packet(
            "GET",
            "/app/items?page=2",
            &[
                ("Host", "example.com"),
                ("User-Agent", "curl/8.5"),
                ("Accept", "*/*"),
            ],
            b"",
        );
        let (head, vars) = parse_ok(&buf);
        assert_eq!(owned(&vars), expected);
        assert_eq!(vars.get(b"CONTENT_LENGTH"), Some(&b""[..]));
        assert_eq!(
            head,
            Head {
                modifier1: 0,
                modifier2: 0,
                head_len: buf.len(),
                content_length: 0
            }
        );
    }

    #[test]
    fn nginx_post_packet_body_starts_at_head_len() {
        let body = br#"{"name": "x"}"#;
        let (buf, expected) = nginx_packet(
            "POST",
            "/api",
            &[
                ("Host", "example.com"),
                ("Content-Type", "application/json"),
                ("Content-Length", "13"),
                ("Cookie", "a=1"),
                ("Cookie", "b=2"),
                ("X-Forwarded-For", "1.1.1.1"),
                ("X-Forwarded-For", "2.2.2.2"),
            ],
            body,
        );
        let (head, vars) = parse_ok(&buf);
        assert_eq!(owned(&vars), expected);
        assert_eq!(vars.get(b"HTTP_COOKIE"), Some(&b"a=1; b=2"[..]));
        assert_eq!(
            vars.get(b"HTTP_X_FORWARDED_FOR"),
            Some(&b"1.1.1.1, 2.2.2.2"[..])
        );
        assert_eq!(vars.get(b"CONTENT_TYPE"), Some(&b"application/json"[..]));
        // PEP 3333 / wsgiref.validate: the HTTP_ copies nginx sends are dropped.
        assert_eq!(vars.get(b"HTTP_CONTENT_TYPE"), None);
        assert_eq!(vars.get(b"HTTP_CONTENT_LENGTH"), None);
        assert_eq!(head.content_length, 13);
        let start = head.head_len;
        assert_eq!(&buf[start..start + 13], body);
        assert_eq!(start + 13, buf.len());
    }

    // --- reliability.md §4.7 ---------------------------------------------------------------

    #[test]
    fn datasize_over_buffer_size_is_rejected_without_a_response_4_7_1() {
        let mut buf = vec![0, 0, 0, 0];
        buf[1..3].copy_from_slice(&5000u16.to_le_bytes());
        let e = parse_err(&buf);
        assert_eq!(
            e,
            Error::BlockTooLarge {
                size: 5000,
                max: 4096,
                looks_like_http: false
            }
        );
        assert_eq!(e.response_status(), None);
        assert_eq!(
            e.to_string(),
            "invalid request block size: 5000 (max 4096)\n\
             hint: raise `buffer-size` if nginx sends large headers"
        );
        // The largest the wire allows is fine with buffer-size 65535 (then: wait for it).
        buf[1..3].copy_from_slice(&65535u16.to_le_bytes());
        let big = Limits {
            buffer_size: 65535,
            ..LIMITS
        };
        assert_eq!(parse(&buf, &big, &mut Vars::new()), Ok(Status::Incomplete));
    }

    #[test]
    fn http_sent_to_a_uwsgi_socket_gets_a_hint() {
        let e = parse_err(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        // 'G' = 71, "ET" = 0x5445 = 21573: uWSGI's classic log line.
        assert_eq!(
            e,
            Error::BlockTooLarge {
                size: 21573,
                max: 4096,
                looks_like_http: true
            }
        );
        assert!(e.to_string().starts_with(
            "invalid request block size: 21573 (max 4096)\nhint: this looks like HTTP"
        ));
        let big = Limits {
            buffer_size: 65535,
            ..LIMITS
        };
        let e = parse(b"POST /x HTTP/1.1\r\n", &big, &mut Vars::new()).unwrap_err();
        assert_eq!(
            e,
            Error::UnsupportedModifier {
                modifier1: b'P',
                looks_like_http: true
            }
        );
        assert!(e.to_string().contains("hint: this looks like HTTP"));
    }

    #[test]
    fn truncated_packet_stays_incomplete_until_the_block_is_there_4_7_2() {
        let buf = packet(&[(b"PATH_INFO", b"/"), (b"CONTENT_LENGTH", b"3")], b"abc");
        let head_len = buf.len() - 3;
        for end in 0..head_len {
            assert_eq!(
                try_parse(&buf[..end]),
                Ok(Status::Incomplete),
                "prefix of {end} bytes"
            );
        }
        let (full, full_vars) = parse_ok(&buf);
        for end in head_len..=buf.len() {
            let (head, vars) = parse_ok(&buf[..end]);
            assert_eq!((head, &vars), (full, &full_vars));
        }
        assert_eq!(full.head_len, head_len);
    }

    #[test]
    fn lying_lengths_are_rejected_never_read_out_of_bounds_4_7_3() {
        let mut key_past_end = 40u16.to_le_bytes().to_vec();
        key_past_end.extend_from_slice(b"PATH_INFO");
        let mut value_past_end = block(&[(b"A", b"1")]);
        value_past_end.extend_from_slice(&[4, 0, b'P', b'A', b'T', b'H', 0xff, 0xff, b'/']);
        let mut null_key = block(&[(b"A", b"1")]);
        null_key.extend_from_slice(&[0, 0, 1, 0, b'x']);
        let cases: &[(&[u8], Error)] = &[
            (
                &key_past_end,
                Error::Overrun {
                    offset: 4,
                    datasize: 11,
                },
            ),
            (
                &value_past_end,
                Error::Overrun {
                    offset: 10,
                    datasize: 15,
                },
            ),
            (&null_key, Error::NullKey { offset: 10 }),
            (&[0, 0], Error::NullKey { offset: 4 }),
        ];
        for (blk, expected) in cases {
            let e = parse_err(&packet_with_block(0, blk, b""));
            assert_eq!(&e, expected);
            assert_eq!(e.response_status(), None);
        }
    }

    #[test]
    fn odd_trailing_byte_is_rejected_4_7_4() {
        let cases: &[(&[u8], Error)] = &[
            (
                &[1, 0, b'A', 1, 0, b'1', 7],
                Error::TruncatedVar { offset: 10 },
            ),
            (&[1, 0, b'A'], Error::TruncatedVar { offset: 7 }),
            (&[1, 0, b'A', 1], Error::TruncatedVar { offset: 7 }),
            (&[5], Error::TruncatedVar { offset: 4 }),
        ];
        for (blk, expected) in cases {
            assert_eq!(
                &parse_err(&packet_with_block(0, blk, b"")),
                expected,
                "{blk:?}"
            );
        }
    }

    #[test]
    fn duplicate_keys_are_kept_in_order_and_the_last_wins_4_7_5() {
        let buf = packet(
            &[
                (b"PATH_INFO", b"/first"),
                (b"X", b"1"),
                (b"PATH_INFO", b"/second"),
            ],
            b"",
        );
        let (_, vars) = parse_ok(&buf);
        assert_eq!(
            list(&vars),
            [
                (&b"PATH_INFO"[..], &b"/first"[..]),
                (b"X", b"1"),
                (b"PATH_INFO", b"/second")
            ]
        );
        assert_eq!(vars.get(b"PATH_INFO"), Some(&b"/second"[..]));
    }

    #[test]
    fn duplicate_content_length_is_rejected_4_7_5() {
        for second in [&b"6"[..], b"5"] {
            let buf = packet(
                &[(b"CONTENT_LENGTH", b"5"), (b"CONTENT_LENGTH", second)],
                b"hello!",
            );
            let e = parse_err(&buf);
            assert_eq!(e, Error::DuplicateContentLength);
            assert_eq!(e.response_status(), Some(400));
        }
    }

    #[test]
    fn content_length_must_be_pure_digits_4_7_6() {
        let cases: &[(&[u8], Option<u64>)] = &[
            (b"", Some(0)),
            (b"0", Some(0)),
            (b"5", Some(5)),
            (b"007", Some(7)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"-1", None),
            (b"+5", None),
            (b"0x10", None),
            (b"5 ", None),
            (b" 5", None),
            (b"99999999999999999999", None),
            (b"18446744073709551616", None),
            (b"5,5", None),
            (b"\xff", None),
        ];
        for &(value, expected) in cases {
            let got = try_parse(&packet(&[(b"CONTENT_LENGTH", value)], b""));
            match (got, expected) {
                (Ok(Status::Complete(head)), Some(n)) => assert_eq!(head.content_length, n),
                (Err(e @ Error::BadContentLength { .. }), None) => {
                    assert_eq!(e.response_status(), Some(400));
                    assert!(
                        e.to_string()
                            .starts_with("invalid uwsgi request: CONTENT_LENGTH `"),
                        "{e}"
                    );
                }
                (got, _) => panic!("{value:?}: {got:?}"),
            }
        }
        assert_eq!(
            parse_ok(&packet(&[(b"PATH_INFO", b"/")], b""))
                .0
                .content_length,
            0
        );
    }

    #[test]
    fn bytes_after_the_body_are_not_a_request_and_magic_vars_are_plain_vars_4_7_7() {
        // #2336: the excess after CONTENT_LENGTH holds a second packet that would load code.
        let evil = packet(
            &[
                (b"UWSGI_FILE", b"exec://touch /tmp/pwned"),
                (b"SCRIPT_NAME", b""),
            ],
            b"",
        );
        let mut buf = packet(
            &[
                (b"CONTENT_LENGTH", b"5"),
                (b"UWSGI_SCRIPT", b"os:system"),
                (b"UWSGI_SETENV", b"A=1"),
            ],
            b"hello",
        );
        let first_len = buf.len();
        buf.extend_from_slice(&evil);
        let (head, vars) = parse_ok(&buf);
        assert_eq!(
            head.head_len + 5,
            first_len,
            "the body ends where the excess begins"
        );
        assert_eq!(
            list(&vars),
            [
                (&b"CONTENT_LENGTH"[..], &b"5"[..]),
                (b"UWSGI_SCRIPT", b"os:system"),
                (b"UWSGI_SETENV", b"A=1"),
            ]
        );
        assert_eq!(vars.get(b"UWSGI_FILE"), None);
    }

    #[test]
    fn a_vars_block_over_64_kib_wrapped_by_nginx_is_rejected_4_7_8() {
        // nginx writes `len & 0xffff`: 65636 bytes of vars announce themselves as 100.
        let big = vec![b'a'; 65000];
        let vars = block(&[
            (b"QUERY_STRING", &big),
            (b"REQUEST_METHOD", b"GET"),
            (b"X", &[b'b'; 500]),
        ]);
        assert!(vars.len() > 65535);
        let mut buf = vec![0];
        buf.extend_from_slice(&u16::try_from(vars.len() & 0xffff).unwrap().to_le_bytes());
        buf.push(0);
        buf.extend_from_slice(&vars);
        let limits = Limits {
            buffer_size: 65535,
            ..LIMITS
        };
        let e = parse(&buf, &limits, &mut Vars::new()).unwrap_err();
        let datasize = vars.len() & 0xffff;
        assert_eq!(
            e,
            Error::Overrun {
                offset: 4,
                datasize
            }
        );
    }

    #[test]
    fn only_wsgi_modifiers_are_served_4_7_9() {
        for modifier1 in [5u8, 255, 1, 10, 17, 22, 72, 100, 111, 173] {
            let buf = packet_with_block(modifier1, &block(&[(b"A", b"1")]), b"");
            let e = parse_err(&buf);
            assert_eq!(
                e,
                Error::UnsupportedModifier {
                    modifier1,
                    looks_like_http: false
                }
            );
            assert_eq!(e.response_status(), None);
            assert_eq!(
                e.to_string(),
                format!(
                    "unsupported modifier1 {modifier1}: this server runs WSGI apps (modifier1 0 or 30)"
                )
            );
        }
        for modifier1 in [0u8, 30] {
            let buf = packet_with_block(modifier1, &block(&[(b"A", b"1")]), b"");
            assert_eq!(parse_ok(&buf).0.modifier1, modifier1);
        }
    }

    #[test]
    fn odd_bytes_pass_through_untouched_4_7_10() {
        let pairs: &[(&[u8], &[u8])] = &[
            (b"KEY\xff\xfe", b"\xe9t\xe9"),
            (b"NUL_INSIDE", b"a\0b"),
            (b"PATH_INFO", b"/../../etc/passwd%00.png"),
            (b"\0", b"\0"),
            (b"EMPTY", b""),
        ];
        let (_, vars) = parse_ok(&packet(pairs, b""));
        assert_eq!(list(&vars), pairs);
    }

    // --- other rules --------------------------------------------------------------------------

    #[test]
    fn empty_packet_is_rejected() {
        let e = parse_err(&[0, 0, 0, 0]);
        assert_eq!(e, Error::Empty);
        assert_eq!(e.response_status(), None);
    }

    #[test]
    fn too_many_vars_is_rejected() {
        let names: Vec<String> = (0..129).map(|i| format!("V{i}")).collect();
        let pairs: Vec<(&[u8], &[u8])> = names.iter().map(|n| (n.as_bytes(), &b""[..])).collect();
        assert_eq!(
            parse_err(&packet(&pairs, b"")),
            Error::TooManyVars { max: 128 }
        );
        assert_eq!(parse_ok(&packet(&pairs[..128], b"")).1.len(), 128);
        let e = parse(
            &packet(&pairs[..3], b""),
            &Limits {
                max_vars: 2,
                ..LIMITS
            },
            &mut Vars::new(),
        );
        assert_eq!(e, Err(Error::TooManyVars { max: 2 }));
    }

    #[test]
    fn modifier2_is_reported_and_ignored() {
        let mut buf = packet(&[(b"A", b"1")], b"");
        buf[3] = 7;
        assert_eq!(parse_ok(&buf).0.modifier2, 7);
    }

    #[test]
    fn modifier_30_strips_script_name_from_path_info() {
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            // SCRIPT_NAME, PATH_INFO, PATH_INFO after
            (b"/app", b"/app/items", b"/items"),
            (b"/app", b"/app", b""),
            (b"/app", b"/other", b"/other"),
            (b"", b"/app/items", b"/app/items"),
        ];
        for &(script_name, path_info, after) in cases {
            // PATH_INFO before SCRIPT_NAME, as uwsgi_params orders them.
            let pairs = [
                (&b"PATH_INFO"[..], path_info),
                (b"X", b"1"),
                (b"SCRIPT_NAME", script_name),
            ];
            let (_, vars) = parse_ok(&packet_with_block(30, &block(&pairs), b""));
            assert_eq!(
                list(&vars),
                [
                    (&b"PATH_INFO"[..], after),
                    (b"X", b"1"),
                    (b"SCRIPT_NAME", script_name)
                ]
            );
            let (_, vars) = parse_ok(&packet_with_block(0, &block(&pairs), b""));
            assert_eq!(
                vars.get(b"PATH_INFO"),
                Some(path_info),
                "modifier1 0 leaves it alone"
            );
        }
    }

    #[test]
    fn response_head_uses_server_protocol() {
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"HTTP/1.1", b"200 OK", b"HTTP/1.1 200 OK\r\n"),
            (b"HTTP/2.0", b"200 OK", b"HTTP/2.0 200 OK\r\n"),
            (b"", b"200 OK", b"HTTP/1.0 200 OK\r\n"),
            (b"HTTP/1.1\r\nX: y", b"200 OK", b"HTTP/1.0 200 OK\r\n"),
            (b"HTTP 1.1", b"200 OK", b"HTTP/1.0 200 OK\r\n"),
            (b"HTTP/1.1", b"404", b"HTTP/1.1 404 Not Found\r\n"),
            (b"HTTP/1.1", b"299", b"HTTP/1.1 299 Unknown\r\n"),
        ];
        for &(proto, status, line) in cases {
            let mut out = Vec::new();
            write_response_head(&mut out, proto, status, &[]);
            let mut expected = line.to_vec();
            expected.extend_from_slice(b"\r\n");
            assert_eq!(out, expected, "{proto:?}");
        }
        let mut out = Vec::new();
        let headers: &[(&[u8], &[u8])] =
            &[(b"Content-Type", b"text/html"), (b"Set-Cookie", b"a=1")];
        write_response_head(&mut out, b"HTTP/1.1", b"302 Found", headers);
        assert_eq!(
            out,
            b"HTTP/1.1 302 Found\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\n\r\n"
        );
    }

    #[test]
    fn error_messages() {
        let cases = [
            (Error::Empty, "empty request (datasize 0)"),
            (
                Error::NullKey { offset: 10 },
                "invalid uwsgi request: empty key at offset 10",
            ),
            (
                Error::Overrun {
                    offset: 4,
                    datasize: 11,
                },
                "invalid uwsgi request: var at offset 4 runs past the end of the 11-byte vars block",
            ),
            (
                Error::TruncatedVar { offset: 7 },
                "invalid uwsgi request: truncated var header at offset 7",
            ),
            (
                Error::TooManyVars { max: 128 },
                "invalid uwsgi request: more than 128 vars",
            ),
            (
                Error::DuplicateContentLength,
                "invalid uwsgi request: CONTENT_LENGTH given twice",
            ),
            (
                Error::BadContentLength { value: "-1".into() },
                "invalid uwsgi request: CONTENT_LENGTH `-1` is not a decimal number that fits in 64 bits",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
        let long = shown(&[b'9'; 100]);
        assert_eq!(long.chars().count(), 41);
    }

    // --- properties ------------------------------------------------------------------------

    fn var_pair() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
        let key = prop_oneof![
            Just(b"PATH_INFO".to_vec()),
            Just(b"QUERY_STRING".to_vec()),
            proptest::collection::vec(any::<u8>(), 1..16),
        ]
        .prop_filter("framing keys are generated apart", |k| {
            ![
                &b"CONTENT_LENGTH"[..],
                b"HTTP_CONTENT_LENGTH",
                b"HTTP_CONTENT_TYPE",
            ]
            .contains(&k.as_slice())
        });
        (key, proptest::collection::vec(any::<u8>(), 0..48))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            buffer_size in prop_oneof![Just(16usize), Just(4096), Just(65535)],
            max_vars in 0usize..8,
        ) {
            let limits = Limits { buffer_size, max_vars };
            let _ = parse(&bytes, &limits, &mut Vars::new());
        }

        #[test]
        fn arbitrary_var_blocks_never_panic(
            modifier1 in prop_oneof![Just(0u8), Just(30)],
            block in proptest::collection::vec(prop_oneof![any::<u8>(), 0u8..4], 0..300),
            declared in any::<Option<u16>>(),
        ) {
            let mut buf = vec![modifier1];
            let size = declared.map_or(block.len(), usize::from).min(block.len());
            buf.extend_from_slice(&u16::try_from(size).unwrap().to_le_bytes());
            buf.push(0);
            buf.extend_from_slice(&block);
            let limits = Limits { buffer_size: 65535, max_vars: 128 };
            let mut vars = Vars::new();
            if let Ok(Status::Complete(head)) = parse(&buf, &limits, &mut vars) {
                prop_assert_eq!(head.head_len, 4 + size);
            }
        }

        #[test]
        fn valid_packets_round_trip(
            mut pairs in proptest::collection::vec(var_pair(), 1..40),
            content_length in proptest::option::of((any::<u64>(), any::<usize>())),
            body in proptest::collection::vec(any::<u8>(), 0..20),
            split in any::<usize>(),
        ) {
            if let Some((n, at)) = content_length {
                pairs.insert(at % (pairs.len() + 1), (b"CONTENT_LENGTH".to_vec(), n.to_string().into_bytes()));
            }
            let refs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
            let buf = packet(&refs, &body);
            let limits = Limits { buffer_size: 65535, max_vars: 128 };
            let mut vars = Vars::new();
            let Ok(Status::Complete(head)) = parse(&buf, &limits, &mut vars) else {
                return Err(TestCaseError::fail("valid packet refused"));
            };
            prop_assert_eq!(owned(&vars), pairs);
            prop_assert_eq!(head.head_len, buf.len() - body.len());
            prop_assert_eq!(head.content_length, content_length.map_or(0, |(n, _)| n));
            let cut = split % head.head_len;
            prop_assert_eq!(parse(&buf[..cut], &limits, &mut vars), Ok(Status::Incomplete));
        }
    }
}
