//! Ops commands and logging end to end: `--reload`/`--stop PIDFILE`, log reopening and
//! rotation for logrotate, `log-date`, the request-log filters, `logger`/`req-logger`.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use support::{Proc, apps, free_port, http_get, wait_for};

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
    assert!(p.child.try_wait().unwrap().is_none(), "the vassal still runs");

    // --stop: SIGTERM, a graceful stop; the vassal exits 0 and leaves nothing behind.
    let out = client(&dir, &["--stop", pidfile.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = wait_for(Duration::from_secs(30), || p.child.try_wait().ok().flatten());
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", p.log());
    p.assert_nothing_left();
}
