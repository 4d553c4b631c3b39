//! The vassal end to end: the real binary serving real Python apps over HTTP and the uwsgi
//! protocol, behind real nginx. Every test checks that no process is left behind.
//!
//! These tests start processes, so nextest runs them one at a time (`.config/nextest.toml`).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::{
    Nginx, Proc, Response, apps, curl, free_port, http_get, http_vassal, raw_exchange,
    uwsgi_packet, venv,
};

fn app(name: &str) -> String {
    apps().join(name).display().to_string()
}

#[test]
fn hello_over_http_with_curl() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("hello.py"), "--processes", "2"]);
    let (ok, out) = curl(&["-i", &format!("http://127.0.0.1:{port}/")]);
    assert!(ok, "{out}\n{}", p.log());
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\nHello World\n"), "{out}");
    // The request log line, uWSGI's default format.
    assert!(
        p.wait_log("GET / => generated 12 bytes", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

#[test]
fn http_keep_alive_and_pipelining() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("hello.py")]);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert_eq!(text.matches("Hello World").count(), 2, "{text}");
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn environ_passes_wsgiref_validate_over_uwsgi_and_http() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("echo.py")]);
    let (ok, out) = curl(&[
        "-d",
        "hello body",
        &format!("http://127.0.0.1:{port}/some/path?x=1"),
    ]);
    assert!(ok, "{out}\n{}", p.log());
    let v: serde_like::Json = serde_like::parse(&out);
    assert_eq!(v.get("PATH_INFO"), Some("/some/path"), "{out}");
    assert_eq!(v.get("QUERY_STRING"), Some("x=1"));
    assert_eq!(v.get("REQUEST_METHOD"), Some("POST"));
    assert_eq!(v.get("body"), Some("hello body"));
    assert_eq!(v.get("wsgi.url_scheme"), Some("http"));
    assert!(
        v.get("sys.version").is_some_and(|s| s.starts_with("3.11")),
        "{out}"
    );
    assert!(!out.contains("HTTP_CONTENT_LENGTH"), "{out}");
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn app_exception_is_a_500_and_the_worker_keeps_serving() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("boom.py")]);
    let r = http_get(port, "/");
    assert_eq!(r.status, 500, "{}", p.log());
    assert!(
        p.wait_log("RuntimeError: boom from the app", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    assert!(p.log().contains("Traceback"), "{}", p.log());
    let r = http_get(port, "/ok");
    assert_eq!((r.status, r.text().as_str()), (200, "fine\n"));
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn streaming_response_is_chunked_on_http11() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("stream.py")]);
    let (ok, out) = curl(&["-i", &format!("http://127.0.0.1:{port}/")]);
    assert!(ok, "{out}");
    assert!(out.contains("Transfer-Encoding: chunked"), "{out}");
    assert!(
        out.ends_with("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n"),
        "{out}"
    );
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn uwsgi_protocol_direct() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut p = Proc::start(&["--socket", &addr, "--wsgi-file", &app("hello.py")]);
    p.wait_port(port);
    let packet = uwsgi_packet(
        &[
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("SERVER_NAME", "x"),
            ("SERVER_PORT", "80"),
        ],
        b"",
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let r = Response::parse(&raw_exchange(&mut s, &packet));
    assert_eq!(r.status, 200);
    assert!(r.head.starts_with("HTTP/1.1 200 OK"), "{}", r.head);
    assert_eq!(r.text(), "Hello World\n");
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn nginx_uwsgi_pass_tcp_and_unix() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    let tcp = format!("127.0.0.1:{port}");
    let sock_s = sock.display().to_string();
    let mut p = Proc::start(&[
        "--socket",
        &tcp,
        "--socket",
        &sock_s,
        "--chmod-socket=666",
        "--wsgi-file",
        &app("echo.py"),
        "--processes",
        "2",
        "--vacuum",
    ]);
    p.wait_port(port);
    p.wait_unix(&sock);
    for upstream in [tcp.clone(), format!("unix:{sock_s}")] {
        let nginx = Nginx::start(&format!("uwsgi_pass {upstream};"));
        let (ok, out) = curl(&[
            "-d",
            "posted",
            &format!("http://127.0.0.1:{}/via/nginx?q=2", nginx.port),
        ]);
        assert!(ok, "{out}\n{}\n{}", nginx.error_log(), p.log());
        let v = serde_like::parse(&out);
        assert_eq!(v.get("PATH_INFO"), Some("/via/nginx"), "{out}");
        assert_eq!(v.get("QUERY_STRING"), Some("q=2"));
        assert_eq!(v.get("body"), Some("posted"));
        assert_eq!(v.get("CONTENT_LENGTH"), Some("6"));
    }
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
    assert!(!sock.exists(), "vacuum removes the UNIX socket");
}

#[test]
fn worker_killed_mid_request_is_replaced_and_the_client_gets_an_error() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("slow.py"), "--processes", "1"]);
    let first = http_get(port, "/?0");
    let pid_before = first.text().split_whitespace().last().unwrap().to_owned();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"GET /?30 HTTP/1.0\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    std::process::Command::new("kill")
        .args(["-KILL", &pid_before])
        .status()
        .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(
        out.is_empty(),
        "the client sees the connection closed: {:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        p.wait_log("killed by signal 9", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    let after = http_get(port, "/?0");
    let pid_after = after.text().split_whitespace().last().unwrap().to_owned();
    assert_ne!(pid_before, pid_after, "a new worker serves");
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn preloaded_app_runs_postfork_hooks_in_each_worker() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("postfork_app.py"), "--processes", "2"]);
    let r = http_get(port, "/");
    let text = r.text();
    let field = |name: &str| {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    assert_ne!(
        field("loaded_in"),
        field("worker_pid"),
        "the app is preloaded in the master: {text}"
    );
    assert_eq!(
        field("postfork_in"),
        field("worker_pid"),
        "postfork ran in the worker: {text}"
    );
    assert_eq!(field("numproc"), "2");
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn flask_and_django_apps_from_the_venv() {
    let Some(venv) = venv() else {
        panic!("the test venv is missing: run scripts/test");
    };
    let home = venv.display().to_string();
    let (mut p, port) = http_vassal(&[
        "--home",
        &home,
        "--chdir",
        &apps().display().to_string(),
        "--module",
        "flask_app:application",
    ]);
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{port}/")]);
    assert!(ok && out.contains("Hello There!"), "{out}\n{}", p.log());
    let (ok, out) = curl(&["-d", "round trip", &format!("http://127.0.0.1:{port}/echo")]);
    assert!(ok && out == "round trip", "{out}");
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();

    let django = apps().join("djangoproj").display().to_string();
    let (mut p, port) = http_vassal(&[
        "--home",
        &home,
        "--chdir",
        &django,
        "--module",
        "djangoproj.wsgi",
        "--processes",
        "2",
    ]);
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{port}/sub/")]);
    assert!(
        ok && out.contains("Hello from Django, path=/sub/"),
        "{out}\n{}",
        p.log()
    );
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0));
    p.assert_nothing_left();
}

#[test]
fn ctrl_c_stops_master_and_workers() {
    let (mut p, port) = http_vassal(&["--wsgi-file", &app("hello.py"), "--processes", "3"]);
    assert_eq!(http_get(port, "/").status, 200);
    p.signal("INT");
    let status = support::wait_for(Duration::from_secs(15), || {
        p.child.try_wait().ok().flatten()
    });
    assert!(status.is_some(), "{}", p.log());
    p.assert_nothing_left();
}

#[test]
fn bad_config_fails_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.ini"),
        "[uwsgi]\nhttp-socket = :notaport\nmodule = app\n",
    )
    .unwrap();
    let mut p = Proc::start_in(dir, &["app.ini"], &[]);
    let status = support::wait_for(Duration::from_secs(10), || {
        p.child.try_wait().ok().flatten()
    })
    .unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        p.log()
            .contains("app.ini:2: error: `http-socket = :notaport` is not a valid address"),
        "{}",
        p.log()
    );
}

/// A tiny JSON reader for the echo app's flat object of strings (keeps the tests free of a
/// JSON dependency).
mod serde_like {
    pub struct Json(Vec<(String, String)>);

    impl Json {
        pub fn get(&self, key: &str) -> Option<&str> {
            self.0
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        }
    }

    pub fn parse(text: &str) -> Json {
        let mut out = Vec::new();
        let mut chars = text
            .trim()
            .trim_start_matches('{')
            .trim_end_matches('}')
            .chars()
            .peekable();
        let read_string = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<String> {
            while chars.peek().is_some_and(|c| *c != '"') {
                chars.next();
            }
            chars.next()?;
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => return Some(s),
                    '\\' => match chars.next()? {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'u' => {
                            let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                            s.push(
                                char::from_u32(u32::from_str_radix(&hex, 16).ok()?).unwrap_or('?'),
                            );
                        }
                        other => s.push(other),
                    },
                    c => s.push(c),
                }
            }
            None
        };
        while let Some(key) = read_string(&mut chars) {
            while chars.peek().is_some_and(|c| *c == ' ' || *c == ':') {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                if let Some(v) = read_string(&mut chars) {
                    out.push((key, v));
                }
            } else {
                let v: String = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
                out.push((key, v.trim().to_owned()));
            }
            while chars.peek().is_some_and(|c| *c == ',' || *c == ' ') {
                chars.next();
            }
        }
        Json(out)
    }
}

#[test]
fn threads_serve_requests_concurrently_in_one_worker() {
    let (mut p, port) = http_vassal(&[
        "--wsgi-file",
        &app("threads_app.py"),
        "--processes",
        "1",
        "--threads",
        "4",
    ]);
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(move || http_get(port, "/?sleep=1").text()))
        .collect();
    let bodies: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(3500),
        "4 requests of 1 s took {elapsed:?}: not concurrent\n{}",
        p.log()
    );
    let pids: std::collections::BTreeSet<&str> = bodies
        .iter()
        .map(|b| b.split_whitespace().next().unwrap())
        .collect();
    let threads: std::collections::BTreeSet<&str> = bodies
        .iter()
        .map(|b| b.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(pids.len(), 1, "one worker process: {bodies:?}");
    assert_eq!(threads.len(), 4, "four Python threads: {bodies:?}");
    assert!(bodies.iter().all(|b| b.contains("multithread=True")));
    // A graceful stop lets a request in progress finish.
    let slow = std::thread::spawn(move || http_get(port, "/?sleep=2").status);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0), "{}", p.log());
    assert_eq!(slow.join().unwrap(), 200, "the in-flight request completed");
    p.assert_nothing_left();
}
