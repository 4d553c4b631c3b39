//! `Interpreter::fork` for real, in its own test binary (its own interpreter): while a Python
//! thread of the "master" spins, a forked worker keeps the GIL for life and serves, and the
//! parent gets the GIL back released.

#![allow(unsafe_code)] // fork(2), waitpid(2), _exit(2) and PyGILState_Check in a test.

use std::io;
use std::os::fd::BorrowedFd;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use emperor_options::Origin;
use emperor_options::typed::{AppSource, AppSpec};
use emperor_proto::app::{App, Body, Outcome, Request, Responder, Vars};
use emperor_python::{Apps, Interpreter, Setup, WsgiSettings};

const APP: &str = r#"
import os, threading
import uwsgi
from uwsgidecorators import postfork

STATE = {"pid": None, "worker": None}
STOP = threading.Event()

def spin():
    n = 0
    while not STOP.is_set():
        n += 1

SPINNER = threading.Thread(target=spin, daemon=True)
SPINNER.start()

@postfork
def after_fork():
    STATE["pid"] = os.getpid()
    STATE["worker"] = uwsgi.worker_id()

def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    ok = STATE["pid"] == os.getpid() and STATE["worker"] == 1
    return [b"postfork ran in this worker" if ok else repr(STATE).encode()]
"#;

fn gil_held() -> bool {
    // SAFETY: the interpreter is initialized before every call; PyGILState_Check only reads.
    unsafe { pyo3::ffi::PyGILState_Check() == 1 }
}

#[derive(Default)]
struct Collect {
    status: Vec<u8>,
    body: Vec<u8>,
    started: bool,
    gil_during_io: bool,
}

impl Responder for Collect {
    fn start(&mut self, status: &[u8], _headers: &[(&[u8], &[u8])]) -> io::Result<()> {
        self.gil_during_io |= gil_held();
        self.status = status.to_vec();
        self.started = true;
        Ok(())
    }
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.gil_during_io |= gil_held();
        self.body.extend_from_slice(chunk);
        Ok(())
    }
    fn sendfile(&mut self, _: BorrowedFd<'_>, _: u64, _: Option<u64>) -> io::Result<u64> {
        Err(io::ErrorKind::Unsupported.into())
    }
    fn started(&self) -> bool {
        self.started
    }
}

/// The worker side; returns the exit code (0 = all good).
fn worker(interp: Interpreter, apps: Apps) -> i32 {
    if !gil_held() {
        return 2; // the forked thread must keep the GIL
    }
    if interp.python_threads() != 1 {
        return 3; // the spinner did not survive the fork
    }
    interp.set_worker_id(1);
    interp.run_postfork();
    let settings = WsgiSettings {
        multiprocess: true,
        node: b"n".to_vec(),
        ..WsgiSettings::default()
    };
    let mut app = interp.worker(apps, &settings);
    for _ in 0..3 {
        let mut vars = Vars::new();
        for (k, v) in [
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/"),
            ("SERVER_NAME", "x"),
            ("SERVER_PORT", "80"),
        ] {
            vars.push(k.as_bytes(), v.as_bytes());
        }
        let mut out = Collect::default();
        let (outcome, _) = app.call(
            &mut Request {
                vars,
                body: Body::Empty,
            },
            &mut out,
        );
        if outcome != Outcome::Done || out.status != b"200 OK" {
            return 4;
        }
        if out.body != b"postfork ran in this worker" {
            eprintln!("unexpected body: {}", String::from_utf8_lossy(&out.body));
            return 5;
        }
        if out.gil_during_io {
            return 6;
        }
        if !gil_held() {
            return 7; // attached for life: still holding the GIL between requests
        }
        let mut released = false;
        app.unlocked(&mut || released = !gil_held());
        if !released || !gil_held() {
            return 8;
        }
    }
    0
}

#[test]
fn forked_worker_keeps_the_gil_while_a_master_thread_spins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("forkapp.py"), APP).unwrap();
    let setup = Setup {
        pythonpath: vec![dir.path().display().to_string()],
        program: PathBuf::from("emperor"),
        processes: 2,
        threads: 1,
        master_pid: std::process::id(),
        ..Setup::default()
    };
    let interp = emperor_python::initialize(&setup).unwrap();
    assert!(!gil_held(), "initialize leaves the GIL released");
    let spec = AppSpec {
        mountpoint: String::new(),
        source: AppSource::Module {
            module: "forkapp".to_owned(),
            callable: None,
            factory: false,
        },
        origin: Origin::Builtin,
    };
    let apps = interp.load_apps(&[spec], "application").unwrap();
    assert_eq!(
        interp.python_threads(),
        2,
        "the preloaded app's spinner runs"
    );

    let pid = interp
        .fork(|| {
            // SAFETY: fork(2); the child only runs `worker` then `_exit`s.
            let pid = unsafe { libc::fork() };
            if pid < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(pid)
            }
        })
        .unwrap();
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker(interp, apps)))
            .unwrap_or(101);
        // SAFETY: leave the forked copy of the test process without running its exit hooks.
        unsafe { libc::_exit(code) };
    }
    assert!(!gil_held(), "the parent releases the GIL after the fork");

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut status = 0;
    loop {
        // SAFETY: waitpid on our own child with a valid status pointer.
        let r = unsafe { libc::waitpid(pid, &raw mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        if Instant::now() > deadline {
            // SAFETY: kill and reap our own hung child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &raw mut status, 0);
            }
            panic!("the forked worker hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(libc::WIFEXITED(status), "worker died: status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "worker check failed");

    // The master goes on: its spinner still runs, Python is usable.
    assert_eq!(interp.python_threads(), 2);
    drop(apps);
}
