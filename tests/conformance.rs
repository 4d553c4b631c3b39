//! The conformance suite: the raw requests in `tests/conformance/http/*.case` (RFC 9110 and
//! 9112 classes: valid requests with the environ the app must see, invalid ones with the
//! status the server must answer, request-smuggling classes, pipelining) replayed against
//! a real `http-socket`, and the packets in `tests/conformance/uwsgi/*.case` against a uwsgi
//! `socket`. Each one goes whole in one write, one byte per write, and split in two at every
//! byte boundary (every boundary near both ends and every 16th in the middle for the two
//! 5 KB heads); the answers must be the same each time. Where the `h11` package (a strict
//! HTTP/1.1 state machine) has an opinion, the same test checks that emperor accepts and
//! refuses what h11 does, or that the difference the case file documents still holds.
//! `tests/conformance/README.md` describes the case files.
//!
//! These tests start processes, so nextest runs them one at a time (`.config/nextest.toml`).

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Proc, apps, free_port, root, venv};

/// One expected response.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Response {
        status: u16,
        has: Vec<(String, Vec<u8>)>,
        lacks: Vec<String>,
    },
    /// Closed without a response.
    Silent,
}

/// What the case file says about h11.
#[derive(Debug)]
enum H11 {
    Unsaid,
    Same,
    Differs(String),
}

#[derive(Debug)]
struct Case {
    name: String,
    bytes: Vec<u8>,
    expects: Vec<Expect>,
    close: Option<bool>,
    h11: H11,
    /// `replay: whole`: only sent in one write (the case file says why).
    whole_only: bool,
}

/// The escapes of the case files: `\r` `\n` `\t` `\\` `\xHH`.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn parse_expect(text: &str) -> Expect {
    if text == "silent" {
        return Expect::Silent;
    }
    let mut words = text.split(' ');
    let status = words.next().unwrap().parse().unwrap();
    let (mut has, mut lacks) = (Vec::new(), Vec::new());
    for w in words {
        if let Some(key) = w.strip_prefix('!') {
            lacks.push(key.to_owned());
        } else {
            let (k, v) = w.split_once('=').unwrap_or_else(|| panic!("bad `{w}`"));
            has.push((k.to_owned(), unescape(v)));
        }
    }
    Expect::Response { status, has, lacks }
}

/// A uwsgi packet from `var:`, `body:`, `modifier1:` and `datasize:` lines.
fn packet(
    vars: &[(Vec<u8>, Vec<u8>)],
    body: &[u8],
    modifier1: u8,
    datasize: Option<u16>,
) -> Vec<u8> {
    let mut block = Vec::new();
    for (k, v) in vars {
        block.extend_from_slice(&u16::try_from(k.len()).unwrap().to_le_bytes());
        block.extend_from_slice(k);
        block.extend_from_slice(&u16::try_from(v.len()).unwrap().to_le_bytes());
        block.extend_from_slice(v);
    }
    let size = datasize.unwrap_or_else(|| u16::try_from(block.len()).unwrap());
    let mut out = vec![modifier1];
    out.extend_from_slice(&size.to_le_bytes());
    out.push(0);
    out.extend_from_slice(&block);
    out.extend_from_slice(body);
    out
}

fn load(dir: &str) -> Vec<Case> {
    let path = root().join("tests/conformance").join(dir);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    names.sort();
    assert!(names.len() > 10, "cases missing in {}", path.display());
    names.iter().map(|p| load_case(p)).collect()
}

fn load_case(path: &Path) -> Case {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let (mut bytes, mut raw, mut body) = (Vec::new(), None, Vec::new());
    let (mut vars, mut modifier1, mut datasize) = (Vec::new(), 0u8, None);
    let (mut expects, mut close, mut h11, mut whole_only) = (Vec::new(), None, H11::Unsaid, false);
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{name}: bad line `{line}`"));
        match key {
            "request" => bytes.extend(unescape(value)),
            "raw" => raw = Some(unescape(value)),
            "var" => {
                let (k, v) = value.split_once('=').unwrap();
                vars.push((unescape(k), unescape(v)));
            }
            "body" => body = unescape(value),
            "modifier1" => modifier1 = value.parse().unwrap(),
            "datasize" => datasize = Some(value.parse().unwrap()),
            "expect" => expects.push(parse_expect(value)),
            "close" => close = Some(value == "yes"),
            "replay" => whole_only = value == "whole",
            "h11" => {
                h11 = match value.strip_prefix("differs ") {
                    Some(why) => H11::Differs(why.to_owned()),
                    None if value == "same" => H11::Same,
                    None => panic!("{name}: h11 is `same` or `differs REASON`"),
                };
            }
            other => panic!("{name}: unknown directive `{other}`"),
        }
    }
    if bytes.is_empty() {
        bytes = raw.unwrap_or_else(|| packet(&vars, &body, modifier1, datasize));
    }
    assert!(!expects.is_empty(), "{name}: no `expect:`");
    Case {
        name,
        bytes,
        expects,
        close,
        h11,
        whole_only,
    }
}

/// A response as the client read it: status, body (1xx interim responses are dropped).
#[derive(Debug, Clone, PartialEq)]
struct Got {
    status: u16,
    body: Vec<u8>,
}

/// Takes one response off the front of `buf`, if complete; `eof`: nothing more will come.
fn take_response(buf: &mut Vec<u8>, eof: bool) -> Option<Got> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status: u16 = head.split(' ').nth(1)?.trim().parse().ok()?;
    let length = head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().unwrap())
    });
    let total = match length {
        Some(n) => end + 4 + n,
        None if (100..200).contains(&status) => end + 4,
        None if eof => buf.len(),
        None => return None,
    };
    if buf.len() < total {
        return None;
    }
    let body = buf[end + 4..total].to_vec();
    buf.drain(..total);
    Some(Got { status, body })
}

/// Sends `pieces` (each its own write) and reads `responses` answers; then, when `check_close`,
/// whether the server closed the connection (else `None`).
fn replay(
    port: u16,
    pieces: &[&[u8]],
    responses: usize,
    check_close: bool,
) -> (Vec<Got>, Option<bool>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    // A reset instead of a FIN when this side closes: thousands of replays leave no
    // TIME_WAIT sockets behind.
    nix::sys::socket::setsockopt(
        &s.as_fd(),
        nix::sys::socket::sockopt::Linger,
        &nix::libc::linger {
            l_onoff: 1,
            l_linger: 0,
        },
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for piece in pieces {
        if s.write_all(piece).is_err() {
            break;
        }
    }
    let (mut buf, mut got, mut eof) = (Vec::new(), Vec::new(), false);
    let mut chunk = [0u8; 16384];
    while got.len() < responses {
        if let Some(r) = take_response(&mut buf, eof) {
            if !(100..200).contains(&r.status) {
                got.push(r);
            }
            continue;
        }
        if eof {
            break;
        }
        match s.read(&mut chunk) {
            Ok(0) => eof = true,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => eof = true,
            Err(e) => panic!("reading: {e} after {:?}", String::from_utf8_lossy(&buf)),
        }
    }
    if !check_close {
        return (got, None);
    }
    if eof {
        return (got, Some(true));
    }
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let closed = match s.read(&mut chunk) {
        Ok(0) => true,
        Ok(n) => panic!(
            "bytes after the last response: {:?}",
            String::from_utf8_lossy(&chunk[..n])
        ),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(_) => true,
    };
    (got, Some(closed))
}

/// The `KEY=VALUE` lines of the conformance app's answer.
fn environ(body: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let (vars, body_value) = match body.windows(6).rposition(|w| w == b"\nbody=") {
        Some(at) => (&body[..at], &body[at + 6..]),
        None => (&b""[..], body.strip_prefix(b"body=").unwrap_or(body)),
    };
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = vars
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let eq = l.iter().position(|&b| b == b'=').unwrap();
            (l[..eq].to_vec(), l[eq + 1..].to_vec())
        })
        .collect();
    out.push((b"body".to_vec(), body_value.to_vec()));
    out
}

fn check(case: &Case, got: &[Got]) {
    let name = &case.name;
    let wanted: Vec<&Expect> = case
        .expects
        .iter()
        .filter(|e| !matches!(e, Expect::Silent))
        .collect();
    assert_eq!(
        got.len(),
        wanted.len(),
        "{name}: answers {got:?}, expected {:?}",
        case.expects
    );
    for (g, e) in got.iter().zip(wanted) {
        let Expect::Response { status, has, lacks } = e else {
            unreachable!()
        };
        let shown = String::from_utf8_lossy(&g.body);
        assert_eq!(g.status, *status, "{name}: {shown}");
        if *status != 200 {
            continue;
        }
        let env = environ(&g.body);
        for (k, v) in has {
            let found = env
                .iter()
                .find(|(ek, _)| ek == k.as_bytes())
                .map(|(_, ev)| ev);
            assert_eq!(
                found.map(|v| String::from_utf8_lossy(v).into_owned()),
                Some(String::from_utf8_lossy(v).into_owned()),
                "{name}: {k} in\n{shown}"
            );
        }
        for k in lacks {
            assert!(
                !env.iter().any(|(ek, _)| ek == k.as_bytes()),
                "{name}: {k} must not reach the app:\n{shown}"
            );
        }
    }
}

/// Every way a case is sent: whole, one byte per write, and in two at each boundary.
fn replay_every_way(port: u16, case: &Case) {
    let b = &case.bytes;
    let n = case
        .expects
        .iter()
        .filter(|e| !matches!(e, Expect::Silent))
        .count();
    let (whole, closed) = replay(port, &[b], n, true);
    check(case, &whole);
    if let Some(close) = case.close {
        assert_eq!(closed, Some(close), "{}: connection closed?", case.name);
    }
    if case.expects == [Expect::Silent] {
        assert_eq!(closed, Some(true), "{}: a silent close", case.name);
    }
    if case.whole_only {
        return;
    }
    let bytes: Vec<&[u8]> = b.chunks(1).collect();
    let (one_by_one, _) = replay(port, &bytes, n, false);
    assert_eq!(one_by_one, whole, "{}: one byte per write", case.name);
    for k in 1..b.len() {
        if b.len() > 1000 && k > 300 && k < b.len() - 300 && k % 16 != 0 {
            continue;
        }
        let (split, _) = replay(port, &[&b[..k], &b[k..]], n, false);
        assert_eq!(split, whole, "{}: split at byte {k}", case.name);
    }
}

fn stop(mut p: Proc) {
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

fn vassal() -> (Proc, u16, u16) {
    let (http, uwsgi) = (free_port(), free_port());
    let app = apps().join("conformance.py").display().to_string();
    let (h, u) = (format!("127.0.0.1:{http}"), format!("127.0.0.1:{uwsgi}"));
    let mut p = Proc::start(&[
        "--http-socket",
        &h,
        "--socket",
        &u,
        "--wsgi-file",
        &app,
        "--processes",
        "2",
        "--disable-logging",
    ]);
    p.wait_port(http);
    p.wait_port(uwsgi);
    (p, http, uwsgi)
}

/// What h11 makes of each byte stream (`tests/conformance/h11_verdicts.py`).
fn h11_verdicts(streams: &[&[u8]]) -> Vec<Vec<String>> {
    let venv = venv().expect("the test venv (scripts/test makes it; it holds h11)");
    let input = serde_json::to_string(
        &streams
            .iter()
            .map(|s| {
                s.iter().fold(String::new(), |mut hex, b| {
                    use std::fmt::Write as _;
                    let _ = write!(hex, "{b:02x}");
                    hex
                })
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut child = Command::new(venv.join("bin/python"))
        .arg(root().join("tests/conformance/h11_verdicts.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "h11 (pip install -r tests/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Emperor's verdicts, as h11 words them: an app answer is "accept", an error "reject".
fn our_verdicts(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    for e in &case.expects {
        match e {
            Expect::Response { status: 200, .. } => out.push("accept".to_owned()),
            _ => {
                out.push("reject".to_owned());
                break;
            }
        }
    }
    out
}

#[test]
fn http_requests_conform_whole_byte_by_byte_and_split_and_agree_with_h11() {
    let cases = load("http");
    let (p, port, _) = vassal();
    for case in &cases {
        replay_every_way(port, case);
    }
    let streams: Vec<&[u8]> = cases.iter().map(|c| c.bytes.as_slice()).collect();
    let theirs = h11_verdicts(&streams);
    let mut wrong = Vec::new();
    for (case, h11) in cases.iter().zip(theirs) {
        let ours = our_verdicts(case);
        match &case.h11 {
            H11::Same if ours != h11 => {
                wrong.push(format!("{}: emperor says {ours:?}, h11 {h11:?}", case.name));
            }
            H11::Differs(why) if ours == h11 => wrong.push(format!(
                "{}: documented as differing from h11 ({why}), but both say {ours:?}",
                case.name
            )),
            H11::Unsaid => wrong.push(format!(
                "{}: say `h11: same` or `h11: differs REASON`",
                case.name
            )),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(!p.log().contains("panic"), "{}", p.log());
    stop(p);
}

#[test]
fn uwsgi_packets_conform_whole_byte_by_byte_and_split() {
    let cases = load("uwsgi");
    let (p, _, port) = vassal();
    for case in &cases {
        replay_every_way(port, case);
    }
    assert!(!p.log().contains("panic"), "{}", p.log());
    stop(p);
}
