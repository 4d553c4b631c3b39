//! Static files end to end: `static-map`, `static-map2`, `check-static`, `static-index`,
//! `static-skip-ext`, `static-expires-type`, served by the real binary's workers over HTTP
//! and behind real nginx `uwsgi_pass`, without calling the Python app; what they do not
//! serve (missing files, refused traversals, other methods) reaches the app
//! (`tests/apps/hello.py`). Every test checks that no process is left behind.
//!
//! These tests start processes, so nextest runs them one at a time (`.config/nextest.toml`).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use support::{Nginx, Proc, Response, apps, curl, free_port, raw_exchange, uwsgi_packet};

const CSS: &str = "body { color: red }\n";
const HELLO: &str = "Hello World\n";

fn hello() -> String {
    apps().join("hello.py").display().to_string()
}

/// A sandbox holding `public/` (`app.css`, `docs/index.html`, `img/logo.png`, `app.py`,
/// `escape -> ../secret.txt`), `secret.txt` next to it, and `root/robots.txt`.
fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, body: &[u8]| {
        let p = d.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    write("public/app.css", CSS.as_bytes());
    write("public/docs/index.html", b"<h1>docs</h1>\n");
    write("public/img/logo.png", b"\x89PNG fake");
    write("public/app.py", b"print('source')\n");
    write("secret.txt", b"top secret\n");
    write("root/robots.txt", b"User-agent: *\n");
    std::os::unix::fs::symlink("../secret.txt", d.join("public/escape")).unwrap();
    dir
}

/// Starts a vassal on an `http-socket` in `dir` (its cwd) serving `hello.py` plus `extra`.
fn http_vassal(dir: tempfile::TempDir, extra: &[&str]) -> (Proc, u16) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = hello();
    let mut args = vec!["--http-socket", &addr, "--wsgi-file", &app];
    args.extend_from_slice(extra);
    let mut p = Proc::start_in(dir, &args, &[]);
    p.wait_port(port);
    (p, port)
}

/// One raw HTTP exchange; `head` is the request head without the final empty line.
fn raw_http(port: u16, head: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    Response::parse(&raw_exchange(&mut s, format!("{head}\r\n\r\n").as_bytes()))
}

fn get(port: u16, path: &str) -> Response {
    raw_http(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close"),
    )
}

fn stop(mut p: Proc) {
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

fn abs(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn static_map_serves_a_file_with_type_length_and_last_modified() {
    let dir = sandbox();
    let map = format!("/static={}", abs(dir.path(), "public"));
    let (p, port) = http_vassal(dir, &["--static-map", &map]);
    let (ok, out) = curl(&["-i", &format!("http://127.0.0.1:{port}/static/app.css")]);
    assert!(ok, "{out}\n{}", p.log());
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("\r\nContent-Type: text/css\r\n"), "{out}");
    assert!(
        out.contains(&format!("\r\nContent-Length: {}\r\n", CSS.len())),
        "{out}"
    );
    assert!(out.contains("\r\nLast-Modified: "), "{out}");
    assert!(out.ends_with(&format!("\r\n\r\n{CSS}")), "{out}");
    // Logged like an app request.
    assert!(
        p.wait_log(
            &format!("GET /static/app.css => generated {} bytes", CSS.len()),
            Duration::from_secs(5)
        ),
        "{}",
        p.log()
    );
    // The app still serves everything else.
    let r = get(port, "/hello");
    assert_eq!((r.status, r.text().as_str()), (200, HELLO));
    stop(p);
}

#[test]
fn if_modified_since_answers_304_and_head_sends_no_body() {
    let dir = sandbox();
    let (p, port) = http_vassal(dir, &["--static-map", "/static=public"]);
    let first = get(port, "/static/app.css");
    assert_eq!(first.status, 200, "{}", p.log());
    let last_modified = first.header("last-modified").unwrap().to_owned();

    let r = raw_http(
        port,
        &format!(
            "GET /static/app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\nIf-Modified-Since: {last_modified}"
        ),
    );
    assert_eq!(r.status, 304, "{}", r.head);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), None, "{}", r.head);

    // An older date: the file has changed since, it is sent.
    let r = raw_http(
        port,
        "GET /static/app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
    );
    assert_eq!((r.status, r.text().as_str()), (200, CSS));

    let r = raw_http(
        port,
        "HEAD /static/app.css HTTP/1.1\r\nHost: x\r\nConnection: close",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(CSS.len().to_string().as_str())
    );
    assert!(r.body.is_empty(), "HEAD sent a body: {:?}", r.text());
    stop(p);
}

#[test]
fn traversal_is_refused_and_reaches_the_app() {
    let dir = sandbox();
    let (p, port) = http_vassal(
        dir,
        &["--static-map", "/static=public", "--check-static", "root"],
    );
    for path in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/img/../../secret.txt",
        "/static/escape",
        "/../secret.txt",
    ] {
        let r = get(port, path);
        assert_eq!((r.status, r.text().as_str()), (200, HELLO), "{path}");
    }
    assert!(
        p.wait_log("static file refused", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    assert!(!p.log().contains("top secret"));
    // `..` that stays inside the root is fine.
    let r = get(port, "/static/img/../app.css");
    assert_eq!((r.status, r.text().as_str()), (200, CSS));
    stop(p);
}

#[test]
fn missing_files_other_methods_and_skipped_extensions_reach_the_app() {
    let dir = sandbox();
    let (p, port) = http_vassal(
        dir,
        &["--static-map", "/static=public", "--static-skip-ext", ".py"],
    );
    let r = get(port, "/static/missing.css");
    assert_eq!((r.status, r.text().as_str()), (200, HELLO));
    let r = get(port, "/static/app.py");
    assert_eq!((r.status, r.text().as_str()), (200, HELLO));
    // A directory without `static-index`.
    let r = get(port, "/static/docs/");
    assert_eq!((r.status, r.text().as_str()), (200, HELLO));
    let r = raw_http(
        port,
        "POST /static/app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
    );
    assert_eq!((r.status, r.text().as_str()), (200, HELLO));
    stop(p);
}

#[test]
fn static_index_check_static_map2_and_expires() {
    let dir = sandbox();
    let (p, port) = http_vassal(
        dir,
        &[
            "--static-map",
            "/static=public",
            "--static-map2",
            "/public=.",
            "--check-static",
            "root",
            "--static-index",
            "index.html",
            "--static-expires-type",
            "text/css=3600",
        ],
    );
    for path in ["/static/docs/", "/static/docs"] {
        let r = get(port, path);
        assert_eq!(r.status, 200, "{path}\n{}", p.log());
        assert_eq!(r.text(), "<h1>docs</h1>\n", "{path}");
        assert_eq!(r.header("content-type"), Some("text/html"));
    }
    let r = get(port, "/robots.txt");
    assert_eq!((r.status, r.text().as_str()), (200, "User-agent: *\n"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    // static-map2: `/public/app.css` → `./public/app.css`.
    let r = get(port, "/public/app.css");
    assert_eq!((r.status, r.text().as_str()), (200, CSS));
    assert_eq!(r.header("cache-control"), Some("max-age=3600"));
    assert!(r.header("expires").is_some_and(|e| e.ends_with(" GMT")));
    stop(p);
}

#[test]
fn static_responses_keep_the_connection_alive() {
    let dir = sandbox();
    let (p, port) = http_vassal(dir, &["--static-map", "/static=public"]);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(
        b"GET /static/app.css HTTP/1.1\r\nHost: x\r\n\r\nHEAD /static/app.css HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3, "{text}");
    assert_eq!(text.matches(CSS).count(), 1, "{text}");
    assert!(text.ends_with(HELLO), "{text}");
    stop(p);
}

#[test]
fn uwsgi_packets_are_served_and_refused_like_http() {
    let dir = sandbox();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = hello();
    let mut p = Proc::start_in(
        dir,
        &[
            "--socket",
            &addr,
            "--wsgi-file",
            &app,
            "--static-map",
            "/static=public",
        ],
        &[],
    );
    p.wait_port(port);
    let exchange = |method: &str, path: &str| {
        let packet = uwsgi_packet(
            &[
                ("REQUEST_METHOD", method),
                ("PATH_INFO", path),
                ("REQUEST_URI", path),
                ("SERVER_PROTOCOL", "HTTP/1.1"),
                ("SERVER_NAME", "x"),
                ("SERVER_PORT", "80"),
            ],
            b"",
        );
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Response::parse(&raw_exchange(&mut s, &packet))
    };
    let r = exchange("GET", "/static/app.css");
    assert_eq!((r.status, r.text().as_str()), (200, CSS), "{}", p.log());
    assert_eq!(r.header("content-type"), Some("text/css"));
    let r = exchange("HEAD", "/static/app.css");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    // A raw client (not nginx) may send `..` in PATH_INFO.
    let r = exchange("GET", "/static/../secret.txt");
    assert_eq!((r.status, r.text().as_str()), (200, HELLO));
    let r = exchange("GET", "/static/app.css\0.png");
    assert_eq!((r.status, r.text().as_str()), (200, HELLO));
    stop(p);
}

#[test]
fn static_files_behind_nginx_uwsgi_pass() {
    let dir = sandbox();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = hello();
    let mut p = Proc::start_in(
        dir,
        &[
            "--socket",
            &addr,
            "--wsgi-file",
            &app,
            "--static-map",
            "/static=public",
            "--static-index",
            "index.html",
        ],
        &[],
    );
    p.wait_port(port);
    let nginx = Nginx::start(&format!("uwsgi_pass {addr};"));
    let url = |path: &str| format!("http://127.0.0.1:{}{path}", nginx.port);

    let (ok, out) = curl(&["-i", &url("/static/app.css")]);
    assert!(ok, "{out}\n{}\n{}", nginx.error_log(), p.log());
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("\r\nContent-Type: text/css\r\n"), "{out}");
    assert!(out.ends_with(&format!("\r\n\r\n{CSS}")), "{out}");
    let last_modified = out
        .lines()
        .find_map(|l| l.strip_prefix("Last-Modified: "))
        .unwrap()
        .trim()
        .to_owned();

    let (ok, out) = curl(&["-i", &url("/static/docs/")]);
    assert!(ok, "{out}");
    assert!(out.ends_with("<h1>docs</h1>\n"), "{out}");

    let (ok, out) = curl(&["-I", &url("/static/app.css")]);
    assert!(ok, "{out}");
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(
        out.contains(&format!("Content-Length: {}", CSS.len())),
        "{out}"
    );

    let (ok, out) = curl(&[
        "-i",
        "-H",
        &format!("If-Modified-Since: {last_modified}"),
        &url("/static/app.css"),
    ]);
    assert!(ok, "{out}");
    assert!(out.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{out}");

    // nginx merges `..` itself; an encoded one reaches the vassal decoded and is refused.
    let (ok, out) = curl(&["--path-as-is", &url("/static/%2e%2e/secret.txt")]);
    assert!(ok, "{out}");
    assert!(!out.contains("top secret"), "{out}");
    let (ok, out) = curl(&[&url("/static/missing.css")]);
    assert!(ok, "{out}");
    assert_eq!(out, HELLO);
    drop(nginx);
    stop(p);
}
