//! HTTP and WSGI hardening end to end, each test sending the exact bytes a client (or an
//! attacker) sends: read-ahead after a body stays with its connection (no desync, no
//! smuggled request), a response that fails after its head never looks complete (curl,
//! nginx's cache), one panicking request never costs the worker, `limit-post` and the body
//! deadlines, trickled bodies that cost a buffer and not a worker, anonymous body files, and
//! the small rule fixes (PEP 3333's second `start_response`, an app's own chunking for an
//! HTTP/1.0 client, malformed chunks, a uwsgi var given twice).
//!
//! These tests start processes, so nextest runs them one at a time (`.config/nextest.toml`).

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use support::{Nginx, Proc, Response, apps, curl, free_port, http_get, raw_exchange, uwsgi_packet};

fn app(name: &str) -> String {
    apps().join(name).display().to_string()
}

fn stop(mut p: Proc) {
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

/// Starts `emperor --http-socket … ARGS` in `dir` with `env`, and waits for the port.
fn vassal_in(dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> (Proc, u16) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut all = vec!["--http-socket", addr.as_str()];
    all.extend_from_slice(args);
    let mut p = Proc::start_in(dir, &all, env);
    p.wait_port(port);
    (p, port)
}

/// What a client got back: the bytes, and whether the connection ended with a reset.
struct Transcript {
    bytes: Vec<u8>,
    reset: bool,
}

impl Transcript {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Sends `segments` as separate TCP segments (no Nagle, a pause between them, as a client
/// whose bytes arrive in pieces), then reads until the server closes.
fn send_segments(port: u16, segments: &[&[u8]], pause: Duration) -> Transcript {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(pause);
        }
        if s.write_all(seg).is_err() {
            break;
        }
    }
    read_all(&mut s)
}

fn read_all(s: &mut TcpStream) -> Transcript {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => {
                return Transcript {
                    bytes,
                    reset: false,
                };
            }
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                return Transcript { bytes, reset: true };
            }
            Err(e) => panic!(
                "reading the answer: {e} after {:?}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
}

/// The responses in a transcript, each delimited by its `Content-Length` (a `100 Continue`
/// interim response counts as one).
fn responses(raw: &[u8]) -> Vec<Response> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = Response::parse(&rest[..end + 4]);
        let len: usize = head
            .header("content-length")
            .map_or(0, |v| v.parse().unwrap());
        let total = (end + 4 + len).min(rest.len());
        out.push(Response::parse(&rest[..total]));
        rest = &rest[total..];
    }
    out
}

fn recorded(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn read_ahead_after_a_body_stays_with_the_connection_no_desync_no_smuggle() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    let env = format!("RECORD_LOG={}", log.display());
    let (p, port) = vassal_in(dir, &["--wsgi-file", &app("record.py"), "--env", &env], &[]);
    let pause = Duration::from_millis(300);
    let chunked = b"POST /outer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunked_expect =
        b"POST /outer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n";
    let length = b"POST /outer HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n";
    let length_expect =
        b"POST /outer HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    let cases: [(&[u8], &[u8], bool); 4] = [
        (chunked, b"5\r\nhello\r\n0\r\n\r\n", false),
        (chunked_expect, b"5\r\nhello\r\n0\r\n\r\n", true),
        (length, b"hello", false),
        (length_expect, b"hello", true),
    ];
    for (head, body, expect) in cases {
        std::fs::remove_file(&log).ok();
        // The bytes: the end of the body and the start of the next request arrive
        // together; the rest of that request's head (holding what looks like a request)
        // comes in a third segment.
        let mut second = body.to_vec();
        second.extend_from_slice(b"GET /a HTTP/1.1\r\nHost: x\r\nX-Pad: ");
        let t = send_segments(
            port,
            &[head, &second, b"GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n"],
            pause,
        );
        let case = String::from_utf8_lossy(head).into_owned();
        let got = responses(&t.bytes);
        let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
        // `/a` carries two `Host` fields (its own, and the one after the padding): RFC 9112
        // §3.2 requires a 400 for it. What matters: `/SMUGGLED` is never a request.
        let want: &[u16] = if expect {
            &[100, 200, 400]
        } else {
            &[200, 400]
        };
        assert_eq!(statuses, want, "{case}\n{}\n{}", t.text(), p.log());
        assert_eq!(
            got[want.len() - 2].text(),
            "/outer pad=- body=hello\n",
            "{case}"
        );
        assert_eq!(recorded(&log), ["/outer pad=- body=hello"], "{case}");

        // The same without the second `Host`: `/a` is served, with the padding as its
        // header, and nothing else.
        std::fs::remove_file(&log).ok();
        let t = send_segments(
            port,
            &[
                head,
                &second,
                b"GET /SMUGGLED HTTP/1.1\r\nConnection: close\r\n\r\n",
            ],
            pause,
        );
        let statuses: Vec<u16> = responses(&t.bytes).iter().map(|r| r.status).collect();
        let want: &[u16] = if expect {
            &[100, 200, 200]
        } else {
            &[200, 200]
        };
        assert_eq!(statuses, want, "{case}\n{}\n{}", t.text(), p.log());
        assert_eq!(
            recorded(&log),
            [
                "/outer pad=- body=hello",
                "/a pad=GET /SMUGGLED HTTP/1.1 body="
            ],
            "{case}"
        );
    }
    // Pipelined whole in one segment too: three requests, three answers, in order.
    std::fs::remove_file(&log).ok();
    let all =
        b"POST /1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n0\r\n\r\n\
                POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo\
                GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let t = send_segments(port, &[all], pause);
    assert_eq!(responses(&t.bytes).len(), 3, "{}", t.text());
    assert_eq!(
        recorded(&log),
        ["/1 pad=- body=one", "/2 pad=- body=two", "/3 pad=- body="]
    );
    stop(p);
}

#[test]
fn a_response_that_fails_after_its_head_never_looks_complete() {
    let (p, port) = vassal_in(
        tempfile::tempdir().unwrap(),
        &["--wsgi-file", &app("misbehave.py")],
        &[],
    );
    let url = format!("http://127.0.0.1:{port}");
    // curl (HTTP/1.1, chunked): no last chunk, so it fails instead of exiting 0.
    let (ok, out) = curl(&[&format!("{url}/fail-after-head")]);
    assert!(!ok, "curl took a broken page for a complete one: {out}");
    assert!(out.contains("the first part of a page"), "{out}");
    assert!(out.contains("curl: (18)"), "{out}");
    let t = send_segments(
        port,
        &[b"GET /fail-after-head HTTP/1.1\r\nHost: x\r\n\r\n"],
        Duration::ZERO,
    );
    assert!(
        t.text().contains("the first part of a page"),
        "{}",
        t.text()
    );
    assert!(!t.text().ends_with("0\r\n\r\n"), "{}", t.text());
    // Short of its Content-Length: closed there.
    let (ok, out) = curl(&[&format!("{url}/fail-with-length")]);
    assert!(!ok && out.contains("curl: (18)"), "{out}");
    // HTTP/1.0: only the close ends the body, so the close is a reset.
    let t = send_segments(
        port,
        &[b"GET /fail-after-head HTTP/1.0\r\n\r\n"],
        Duration::ZERO,
    );
    assert!(
        t.reset,
        "an HTTP/1.0 body cut short must end with a reset: {}",
        t.text()
    );
    let (ok, out) = curl(&["-0", &format!("{url}/fail-after-head")]);
    assert!(!ok, "{out}");
    assert!(
        p.wait_log(
            "the response of GET /fail-after-head failed after its head was sent",
            Duration::from_secs(5)
        ),
        "{}",
        p.log()
    );
    // The worker goes on.
    assert_eq!(http_get(port, "/pid").status, 200);
    stop(p);
}

#[test]
fn nginx_does_not_cache_a_page_whose_app_failed_mid_response() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.log");
    let env = format!("CALLS_LOG={}", calls.display());
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut p = Proc::start_in(
        dir,
        &[
            "--socket",
            &addr,
            "--wsgi-file",
            &app("misbehave.py"),
            "--env",
            &env,
        ],
        &[],
    );
    p.wait_port(port);
    let nginx = Nginx::start_with(
        "uwsgi_cache_path PREFIX/cache keys_zone=pages:1m;",
        &format!("uwsgi_pass {addr}; uwsgi_cache pages; uwsgi_cache_valid 200 1m;"),
    );
    let url = format!("http://127.0.0.1:{}/fail-after-head", nginx.port);
    for _ in 0..2 {
        let (ok, out) = curl(&[&url]);
        assert!(
            !ok,
            "nginx passed a broken page as complete: {out}\n{}",
            nginx.error_log()
        );
    }
    // Not cached: the app was asked both times.
    assert_eq!(
        std::fs::read_to_string(&calls).unwrap().lines().count(),
        2,
        "{}",
        nginx.error_log()
    );
    drop(nginx);
    stop(p);
}

/// `pid=N` from misbehave.py's `/pid`.
fn worker_pid(port: u16) -> String {
    let r = http_get(port, "/pid");
    assert_eq!(r.status, 200);
    r.text()
}

#[test]
fn a_panic_costs_only_its_request_in_every_worker_mode() {
    for mode in [&[][..], &["--threads", "2"]] {
        let mut args = vec!["--wsgi-file", app("misbehave.py").leak() as &str];
        args.extend_from_slice(mode);
        let (p, port) = vassal_in(
            tempfile::tempdir().unwrap(),
            &args,
            &[("EMPEROR_TEST_PANIC_PATH", "/panic")],
        );
        let pid = worker_pid(port);
        // More panics than the worker has threads: a thread that died would be missed.
        for _ in 0..3 {
            let r = http_get(port, "/panic");
            assert_eq!(r.status, 500, "{mode:?}\n{}", p.log());
            assert_eq!(worker_pid(port), pid, "{mode:?}: the worker was replaced");
        }
        assert!(
            p.wait_log(
                "panic while serving GET /panic from 127.0.0.1",
                Duration::from_secs(5)
            ),
            "{}",
            p.log()
        );
        // Both threads still serve, side by side.
        let clients: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(move || worker_pid(port)))
            .collect();
        for c in clients {
            assert_eq!(c.join().unwrap(), pid);
        }
        stop(p);
    }
}

#[test]
fn a_multibyte_character_in_if_modified_since_is_ignored_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("static/page.txt"), "static page\n").unwrap();
    let (p, port) = vassal_in(
        dir,
        &[
            "--wsgi-file",
            &app("misbehave.py"),
            "--static-map",
            "/static=static",
        ],
        &[],
    );
    let pid = worker_pid(port);
    let t = send_segments(
        port,
        &["GET /static/page.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Sun, \u{20ac}Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n".as_bytes()],
        Duration::ZERO,
    );
    let r = Response::parse(&t.bytes);
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "static page\n"),
        "{}",
        p.log()
    );
    assert_eq!(worker_pid(port), pid);
    assert!(!p.log().contains("panic"), "{}", p.log());
    stop(p);
}

#[test]
fn limit_post_answers_413_before_reading_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    let env = format!("RECORD_LOG={}", log.display());
    let uwsgi_port = free_port();
    let uwsgi_addr = format!("127.0.0.1:{uwsgi_port}");
    let (p, port) = vassal_in(
        dir,
        &[
            "--socket",
            &uwsgi_addr,
            "--wsgi-file",
            &app("record.py"),
            "--env",
            &env,
            "--limit-post",
            "1000",
        ],
        &[],
    );
    // 10^12 bytes announced: refused at once, nothing read, nothing spooled.
    let started = Instant::now();
    let t = send_segments(
        port,
        &[b"POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n"],
        Duration::ZERO,
    );
    assert_eq!(Response::parse(&t.bytes).status, 413, "{}", p.log());
    assert!(started.elapsed() < Duration::from_secs(3));
    // A client that sends its whole body anyway still reads the 413 (lingering close).
    let mut req = b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'x', 300_000));
    let t = send_segments(port, &[&req], Duration::ZERO);
    assert_eq!(Response::parse(&t.bytes).status, 413, "{}", t.text());
    // Chunked: refused as soon as the limit is passed, before the body ends.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = format!("258\r\n{}\r\n", "y".repeat(600));
    s.write_all(chunk.as_bytes()).unwrap();
    s.write_all(chunk.as_bytes()).unwrap();
    let t = read_all(&mut s);
    assert_eq!(Response::parse(&t.bytes).status, 413, "{}", t.text());
    // At the limit: served.
    let mut req =
        b"POST /fits HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
            .to_vec();
    req.extend(std::iter::repeat_n(b'z', 1000));
    let t = send_segments(port, &[&req], Duration::ZERO);
    assert_eq!(Response::parse(&t.bytes).status, 200, "{}", t.text());
    assert_eq!(recorded(&log).len(), 1, "only /fits reached the app");
    assert!(
        p.log()
            .contains("POST /huge: body larger than `limit-post` (1000 bytes"),
        "{}",
        p.log()
    );
    // Behind nginx `uwsgi_pass`: the user gets the 413 (uWSGI closes: a 502).
    let nginx = Nginx::start(&format!("uwsgi_pass {uwsgi_addr};"));
    let body = "b".repeat(5000);
    let (ok, out) = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-d",
        &body,
        &format!("http://127.0.0.1:{}/via-nginx", nginx.port),
    ]);
    assert!(ok, "{out}\n{}", nginx.error_log());
    assert_eq!(out.trim(), "413", "{}", nginx.error_log());
    drop(nginx);
    stop(p);
}

/// Opens a connection and sends `head` then `len` body bytes one at a time, `every` apart.
fn trickle(
    port: u16,
    head: &[u8],
    len: usize,
    every: Duration,
) -> std::thread::JoinHandle<Transcript> {
    let head = head.to_vec();
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(&head).unwrap();
        for _ in 0..len {
            std::thread::sleep(every);
            if s.write_all(b"x").is_err() {
                break;
            }
        }
        read_all(&mut s)
    })
}

#[test]
fn trickled_bodies_cost_a_buffer_not_a_worker() {
    for mode in [&["--processes", "2"][..], &["--threads", "2"]] {
        let mut args = vec!["--wsgi-file", app("echo.py").leak() as &str];
        args.extend_from_slice(mode);
        let (p, port) = vassal_in(tempfile::tempdir().unwrap(), &args, &[]);
        let head =
            b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 150\r\nConnection: close\r\n\r\n";
        // As many slow uploaders as the vassal has workers (or threads).
        let slow: Vec<_> = (0..2)
            .map(|_| trickle(port, head, 150, Duration::from_millis(20)))
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        for i in 0..10 {
            let started = Instant::now();
            let r = http_get(port, "/quick");
            assert_eq!(r.status, 200);
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{mode:?}: request {i} waited {:?} behind the slow uploads",
                started.elapsed()
            );
        }
        for t in slow {
            let t = t.join().unwrap();
            let r = Response::parse(&t.bytes);
            assert_eq!(r.status, 200, "{}", p.log());
            assert!(
                r.text()
                    .contains(&format!("\"body\": \"{}\"", "x".repeat(150)))
            );
        }
        stop(p);
    }
}

#[test]
fn a_body_trickled_forever_is_cut_by_the_total_deadline() {
    // One byte every 0.5 s never trips a 4 s `socket-timeout`; the total deadline cuts it.
    let (p, port) = vassal_in(
        tempfile::tempdir().unwrap(),
        &[
            "--wsgi-file",
            &app("echo.py"),
            "--socket-timeout",
            "4",
            "--body-timeout",
            "2",
        ],
        &[],
    );
    let started = Instant::now();
    let slow = trickle(
        port,
        b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        100,
        Duration::from_millis(500),
    );
    let t = slow.join().unwrap();
    let waited = started.elapsed();
    assert_eq!(Response::parse(&t.bytes).status, 408, "{}", t.text());
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(10),
        "cut after {waited:?}"
    );
    assert!(
        p.wait_log(
            "(POST /slow): the body came slower than `body-min-rate`",
            Duration::from_secs(5)
        ),
        "{}",
        p.log()
    );
    stop(p);
}

#[test]
fn large_bodies_of_concurrent_threads_get_their_own_anonymous_files() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let tmp_s = tmp.display().to_string();
    let (p, port) = vassal_in(
        dir,
        &[
            "--wsgi-file",
            &app("echo.py"),
            "--threads",
            "4",
            "--post-buffering",
            "4096",
        ],
        &[("TMPDIR", &tmp_s)],
    );
    let uploads: Vec<_> = (0..8u8)
        .map(|i| {
            std::thread::spawn(move || {
                let body = vec![b'a' + i; 100_000];
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                s.write_all(
                    format!(
                        "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                )
                .unwrap();
                s.write_all(&body[..50_000]).unwrap();
                std::thread::sleep(Duration::from_millis(200));
                s.write_all(&body[50_000..]).unwrap();
                (i, read_all(&mut s))
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    // While the bodies are in their files, the files have no names.
    let listed: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(listed.is_empty(), "{listed:?}");
    for u in uploads {
        let (i, t) = u.join().unwrap();
        let r = Response::parse(&t.bytes);
        assert_eq!(r.status, 200, "{}", p.log());
        let want = format!(
            "\"body\": \"{}\"",
            String::from(char::from(b'a' + i)).repeat(100_000)
        );
        assert!(r.text().contains(&want), "upload {i} came back changed");
    }
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert!(!p.log().contains("File exists"), "{}", p.log());
    stop(p);
}

#[test]
fn the_small_rules_pep_3333_chunks_and_http_1_0() {
    let (p, port) = vassal_in(
        tempfile::tempdir().unwrap(),
        &["--wsgi-file", &app("misbehave.py")],
        &[],
    );
    let exchange = |req: &[u8]| send_segments(port, &[req], Duration::ZERO);
    // start_response twice without exc_info: PEP 3333 makes it an error.
    let r = Response::parse(
        &exchange(b"GET /twice HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").bytes,
    );
    assert_eq!(r.status, 500, "{}", p.log());
    assert!(r.header("x-second").is_none());
    assert!(
        p.wait_log(
            "start_response() called a second time without exc_info",
            Duration::from_secs(5)
        ),
        "{}",
        p.log()
    );
    // An app's own chunking: an HTTP/1.1 client gets it as is; an HTTP/1.0 client, which
    // has no chunked coding, gets the body decoded and no Transfer-Encoding.
    let t = exchange(b"GET /own-chunks HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = Response::parse(&t.bytes);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.text(), "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n");
    let t = exchange(b"GET /own-chunks HTTP/1.0\r\n\r\n");
    let r = Response::parse(&t.bytes);
    assert_eq!(r.header("transfer-encoding"), None, "{}", t.text());
    assert_eq!(r.text(), "hello world");
    // Malformed chunk framing: 400, then the close (it was a silent close).
    let t = exchange(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    );
    assert_eq!(Response::parse(&t.bytes).status, 400, "{}", t.text());
    let t = exchange(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    );
    assert_eq!(Response::parse(&t.bytes).status, 400, "{}", t.text());
    stop(p);
}

#[test]
fn a_uwsgi_var_given_twice_means_the_same_to_static_files_the_log_and_the_app() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("static")).unwrap();
    std::fs::write(dir.path().join("static/page.txt"), "static page\n").unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut p = Proc::start_in(
        dir,
        &[
            "--socket",
            &addr,
            "--wsgi-file",
            &app("echo.py"),
            "--static-map",
            "/static=static",
            "--log-format",
            "path=%(var.PATH_INFO) status=%(status)",
        ],
        &[],
    );
    p.wait_port(port);
    let send = |vars: &[(&str, &str)]| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Response::parse(&raw_exchange(&mut s, &uwsgi_packet(vars, b"")))
    };
    let base = [
        ("REQUEST_METHOD", "GET"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("QUERY_STRING", ""),
        ("SERVER_NAME", "localhost"),
        ("SERVER_PORT", "80"),
    ];
    // nginx sends a key twice when a `uwsgi_param` after `include uwsgi_params` overrides
    // it: the later one is meant, by the static files as by the app.
    let mut vars = base.to_vec();
    vars.extend([("PATH_INFO", "/nothing"), ("PATH_INFO", "/static/page.txt")]);
    let r = send(&vars);
    assert_eq!(r.text(), "static page\n", "{}", p.log());
    let mut vars = base.to_vec();
    vars.extend([("PATH_INFO", "/first"), ("PATH_INFO", "/second")]);
    let r = send(&vars);
    assert!(
        r.text().contains("\"PATH_INFO\": \"/second\""),
        "{}",
        r.text()
    );
    assert!(
        p.wait_log("path=/second status=200", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    assert!(!p.log().contains("path=/first"), "{}", p.log());
    stop(p);
}
