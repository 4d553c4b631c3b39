//! Ops commands and logging end to end: `--reload`/`--stop PIDFILE`, log reopening and
//! rotation for logrotate, `log-date`, the request-log filters, `logger`/`req-logger`.

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use support::{Proc, apps, free_port, http_get, wait_for};

/// Answers `/slow…` after 0.4 s, `/big…` with 10000 bytes, `/empty…` with none, else `ok\n`.
const APP: &str = "import time\n\ndef application(e, sr):\n    p = e['PATH_INFO']\n    if p.startswith('/slow'):\n        time.sleep(0.4)\n    body = b'x' * 10000 if p.startswith('/big') else b'' if p.startswith('/empty') else b'ok\\n'\n    sr('200 OK', [('Content-Length', str(len(body)))])\n    return [body]\n";

/// A vassal serving [`APP`] from `app.py` in its temp dir, with `extra` options.
fn start(extra: &[&str]) -> (Proc, u16) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), APP).unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec!["--http-socket", addr.as_str(), "--wsgi-file", "app.py"];
    args.extend_from_slice(extra);
    let mut p = Proc::start_in(dir, &args, &[]);
    p.wait_port(port);
    (p, port)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits until `path` contains `needle`.
fn wait_file(path: &Path, needle: &str) -> bool {
    wait_for(Duration::from_secs(20), || {
        read(path).contains(needle).then_some(())
    })
    .is_some()
}

fn get(port: u16, path: &str) {
    assert_eq!(http_get(port, path).status, 200, "GET {path}");
}

fn fifo_write(path: &Path, letters: &[u8]) {
    let mut fifo = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    fifo.write_all(letters).unwrap();
}

/// `emperor ARGS…` as a client command, run to its end in `dir`.
fn client(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emperor"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run emperor")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A vassal serving `hello.py` over HTTP from its temp dir, with `extra` options.
fn vassal(extra: &[&str]) -> (Proc, u16) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let app = apps().join("hello.py");
    let mut args = vec![
        "--http-socket",
        addr.as_str(),
        "--wsgi-file",
        app.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut p = Proc::start(&args);
    p.wait_port(port);
    (p, port)
}

#[test]
fn reload_and_stop_by_pidfile() {
    let (mut p, port) = vassal(&["--pidfile", "vassal.pid", "--worker-reload-mercy", "5"]);
    let dir = p.dir.path().to_path_buf();
    let pidfile = dir.join("vassal.pid");
    assert!(wait_for(Duration::from_secs(10), || pidfile.exists().then_some(())).is_some());

    // --reload: SIGHUP, the master re-executes in place and serves again.
    let out = client(&dir, &["--reload", "vassal.pid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("to pid {}", p.pid())),
        "{}",
        stderr(&out)
    );
    assert!(
        p.wait_log("binary reloading emperor", Duration::from_secs(20)),
        "{}",
        p.log()
    );
    p.wait_port(port);
    assert_eq!(http_get(port, "/").status, 200);

    // Errors: a missing pidfile, a garbage one, a pid of 0, a stale one.
    let out = client(&dir, &["--reload", "missing.pid"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read the pidfile"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.join("garbage.pid"), "hello\n").unwrap();
    let out = client(&dir, &["--stop", "garbage.pid"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not hold a pid (it holds `hello`)"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.join("zero.pid"), "0\n").unwrap();
    let out = client(&dir, &["--stop", "zero.pid"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut gone = Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(dir.join("stale.pid"), format!("{gone_pid}\n")).unwrap();
    let out = client(&dir, &["--stop", "stale.pid"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("stale"), "{}", stderr(&out));
    assert!(
        p.child.try_wait().unwrap().is_none(),
        "the vassal still runs"
    );

    // --stop: SIGTERM, a graceful stop; the vassal exits 0 and leaves nothing behind.
    let out = client(&dir, &["--stop", pidfile.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = wait_for(Duration::from_secs(30), || {
        p.child.try_wait().ok().flatten()
    });
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

/// logrotate's two ways: rename the file and ask for a reopen (`touch-logreopen`, FIFO `l`),
/// or let us rotate (FIFO `L`). Every worker moves to the new file.
#[test]
fn log_reopen_and_rotate_for_logrotate() {
    let (mut p, port) = start(&[
        "--logto",
        "app.log",
        "--processes",
        "2",
        "--touch-logreopen",
        "reopen.trigger",
        "--master-fifo",
        "master.fifo",
    ]);
    let dir = p.dir.path().to_path_buf();
    let log = dir.join("app.log");
    for i in 0..6 {
        get(port, &format!("/before-{i}"));
    }
    assert!(wait_file(&log, "GET /before-5"), "{}", read(&log));

    // logrotate `create` style: rename, then touch the trigger.
    std::fs::rename(&log, dir.join("app.log.1")).unwrap();
    std::fs::write(dir.join("reopen.trigger"), "now").unwrap();
    assert!(wait_file(&log, "app.log reopened."), "{}", p.log());
    for i in 0..10 {
        get(port, &format!("/after-touch-{i}"));
    }
    let new = read(&log);
    for i in 0..10 {
        assert!(new.contains(&format!("GET /after-touch-{i} ")), "{new}");
    }
    assert!(!read(&dir.join("app.log.1")).contains("/after-touch-"));

    // The master FIFO's `l`.
    std::fs::rename(&log, dir.join("app.log.2")).unwrap();
    fifo_write(&dir.join("master.fifo"), b"l");
    assert!(wait_file(&log, "app.log reopened."));
    for i in 0..10 {
        get(port, &format!("/after-l-{i}"));
    }
    let new = read(&log);
    assert!(
        (0..10).all(|i| new.contains(&format!("GET /after-l-{i} "))),
        "{new}"
    );

    // `L`: our own rotation to `app.log.UNIXTIME`.
    fifo_write(&dir.join("master.fifo"), b"L");
    let rotated = wait_for(Duration::from_secs(20), || {
        std::fs::read_dir(&dir).unwrap().flatten().find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stamp = name.strip_prefix("app.log.")?;
            (stamp.len() >= 10 && stamp.bytes().all(|b| b.is_ascii_digit())).then(|| e.path())
        })
    })
    .expect("a rotated app.log.UNIXTIME");
    assert!(
        read(&rotated).contains("triggering rotation to"),
        "{}",
        read(&rotated)
    );
    for i in 0..10 {
        get(port, &format!("/after-rotate-{i}"));
    }
    let new = read(&log);
    assert!(
        (0..10).all(|i| new.contains(&format!("GET /after-rotate-{i} "))),
        "{new}"
    );
    assert!(!read(&rotated).contains("/after-rotate-"));

    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}

/// SIGHUP (a graceful reload) reopens the log file by path: `postrotate kill -HUP` works.
#[test]
fn a_reload_reopens_the_log_file() {
    let (mut p, port) = start(&["--logto", "app.log", "--worker-reload-mercy", "5"]);
    let dir = p.dir.path().to_path_buf();
    let log = dir.join("app.log");
    get(port, "/before");
    std::fs::rename(&log, dir.join("app.log.1")).unwrap();
    p.signal("HUP");
    assert!(
        wait_file(&log, "master process started"),
        "{}",
        read(&dir.join("app.log.1"))
    );
    p.wait_port(port);
    get(port, "/after");
    assert!(wait_file(&log, "GET /after "));
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}

/// `log-maxsize` rotates the file to `log-backupname` once it grows past the size.
#[test]
fn log_maxsize_rotates_to_the_backupname() {
    let (mut p, port) = start(&[
        "--logto",
        "app.log",
        "--log-maxsize",
        "3000",
        "--log-backupname",
        "app.log.old",
    ]);
    let dir = p.dir.path().to_path_buf();
    let old = dir.join("app.log.old");
    let mut i = 0;
    let rotated = wait_for(Duration::from_secs(30), || {
        i += 1;
        get(port, &format!("/fill-{i}"));
        old.exists().then_some(())
    });
    assert!(rotated.is_some(), "{}", read(&dir.join("app.log")));
    assert!(wait_file(&old, "triggering rotation to"), "{}", read(&old));
    for j in 0..5 {
        get(port, &format!("/new-{j}"));
    }
    let new = read(&dir.join("app.log"));
    assert!(
        (0..5).all(|j| new.contains(&format!("GET /new-{j} "))),
        "{new}"
    );
    assert!(!read(&old).contains("GET /new-"));
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}

/// `log-date` bare (uWSGI's ctime prefix) and with a strftime format; request lines keep
/// their own time.
#[test]
fn log_date_prefixes_our_lines() {
    let (mut p, port) = start(&["--log-date"]);
    get(port, "/dated");
    assert!(p.wait_log("GET /dated ", Duration::from_secs(20)));
    let log = p.log();
    let started = log
        .lines()
        .find(|l| l.contains("master process started"))
        .unwrap();
    let days = ["Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun "];
    assert!(days.iter().any(|d| started.starts_with(d)), "{started}");
    assert_eq!(&started[24..27], " - ", "{started}");
    let request = log.lines().find(|l| l.contains("GET /dated ")).unwrap();
    assert!(request.starts_with("[pid: "), "{request}");
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();

    let (mut p, port) = start(&["--log-date=%Y@%H:"]);
    get(port, "/x");
    let year = emperor_year();
    let started = wait_for(Duration::from_secs(20), || {
        p.log()
            .lines()
            .find(|l| l.contains("master process started"))
            .map(str::to_owned)
    })
    .unwrap();
    assert!(started.starts_with(&format!("{year}@")), "{started}");
    assert!(started.contains(": - master process started"), "{started}");
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}

fn emperor_year() -> String {
    let out = Command::new("date").arg("+%Y").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// With `disable-logging`, exactly the requests matching `log-slow`, `log-big`, `log-zero`
/// or `log-4xx` are logged.
#[test]
fn log_slow_big_and_zero_select_requests() {
    let (mut p, port) = start(&[
        "--disable-logging",
        "--log-slow",
        "300",
        "--log-big",
        "5000",
        "--log-zero",
    ]);
    for path in ["/plain", "/slow", "/big", "/empty", "/plain2"] {
        get(port, path);
    }
    assert!(
        p.wait_log("GET /empty ", Duration::from_secs(20)),
        "{}",
        p.log()
    );
    let log = p.log();
    assert!(log.contains("GET /slow "), "{log}");
    assert!(log.contains("GET /big => generated 10000 bytes"), "{log}");
    assert!(!log.contains("GET /plain"), "{log}");
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}

/// `logger = file:PATH` is the log file; `req-logger = file:PATH` takes the request lines.
#[test]
fn logger_and_req_logger_files() {
    let (mut p, port) = start(&[
        "--logger",
        "file:main.log",
        "--req-logger",
        "file:requests.log",
        "--touch-logreopen",
        "reopen.trigger",
    ]);
    let dir = p.dir.path().to_path_buf();
    get(port, "/one");
    let requests = dir.join("requests.log");
    assert!(wait_file(&requests, "GET /one "), "{}", read(&requests));
    let main = read(&dir.join("main.log"));
    assert!(main.contains("master process started"), "{main}");
    assert!(!main.contains("GET /one"), "{main}");
    assert!(!read(&requests).contains("master process started"));
    // The request log is reopened with the main log.
    std::fs::rename(&requests, dir.join("requests.log.1")).unwrap();
    std::fs::write(dir.join("reopen.trigger"), "now").unwrap();
    assert!(wait_file(&dir.join("main.log"), "reopened."));
    get(port, "/two");
    assert!(wait_file(&requests, "GET /two "), "{}", read(&requests));
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}

/// Removes the fake `/dev/log` at the end of the syslog test, even when it fails.
struct Remove;

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = std::fs::remove_file("/dev/log");
    }
}

/// `log-syslog IDENT` (as `logger = syslog:IDENT`): this program's lines and the request lines
/// go to syslog. Needs `/dev/log` free to bind a fake syslog there (skipped otherwise).
#[test]
fn syslog_receives_our_lines() {
    use std::os::unix::net::UnixDatagram;
    let path = Path::new("/dev/log");
    if path.exists() {
        eprintln!("skipped: /dev/log exists (a real syslog)");
        return;
    }
    let Ok(sock) = UnixDatagram::bind(path) else {
        eprintln!("skipped: cannot bind /dev/log");
        return;
    };
    let _remove = Remove;
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let (mut p, port) = start(&["--log-syslog=myvassal"]);
    get(port, "/sys");
    let mut got = String::new();
    let found = wait_for(Duration::from_secs(20), || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = sock.recv(&mut buf) {
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
            got.push('\n');
        }
        (got.contains("GET /sys ") && got.contains("master process started")).then_some(())
    });
    assert!(found.is_some(), "syslog got:\n{got}\nstderr:\n{}", p.log());
    assert!(got.contains("myvassal["), "{got}");
    assert!(!p.log().contains("master process started"), "{}", p.log());
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}

/// `log-encoder = json` and `log-req-encoder = json`: every line of the log file is a JSON
/// object naming the vassal and the worker (journald, Loki); request lines come from workers.
#[test]
fn json_log_mode_names_the_vassal_and_worker() {
    let (p, port) = start(&[
        "--logto",
        "app.log",
        "--log-encoder",
        "json",
        "--log-req-encoder",
        "json",
    ]);
    let log = p.dir.path().join("app.log");
    get(port, "/hello");
    assert!(wait_file(&log, "GET /hello"), "{}", read(&log));
    let text = read(&log);
    let mut requests = 0;
    // Every line emperor writes (Python's own output, here none, is written as Python prints it).
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{text}"));
        assert!(v["unix"].as_u64().unwrap() > 1_700_000_000, "{line}");
        assert!(v["pid"].as_u64().unwrap() > 0, "{line}");
        assert!(v["vassal"].is_string(), "{line}");
        if v["msg"].as_str().unwrap().contains("GET /hello") {
            assert!(
                v["worker"].as_u64().unwrap() >= 1,
                "a worker's line: {line}"
            );
            requests += 1;
        }
    }
    assert_eq!(requests, 1, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("\"worker\":0") && l.contains("master process started")),
        "the master's lines are worker 0:\n{text}"
    );
    let mut p = p;
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0));
    p.assert_nothing_left();
}
