//! One interpreter per test binary (`CPython` initializes once per process), a venv, the test
//! apps, and a recording [`Responder`].

use std::fs::File;
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use emperor_options::Origin;
use emperor_options::typed::{AppSource, AppSpec};
use emperor_proto::app::{App, Body, Outcome, Request, Responder, ResponseInfo, Vars};
use emperor_python::{Apps, Interpreter, Setup, WsgiApp, WsgiSettings};

pub struct Fixture {
    pub interp: Interpreter,
    pub dir: PathBuf,
    pub venv: PathBuf,
    pub apps_dir: PathBuf,
    pub setup: Setup,
    pub apps: Apps,
    /// Stands in for the master: `uwsgi.reload()` sends it SIGHUP.
    pub fake_master: Mutex<Option<Child>>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

/// Serializes tests: they share one interpreter and module-level state of the test apps.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(make_fixture)
}

fn make_fixture() -> Fixture {
    let dir = tempfile::Builder::new()
        .prefix("emperor-python-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
        .keep();

    // A venv made by the embedded interpreter, with a package only it has.
    let venv = dir.join("venv");
    let status = Command::new("/usr/bin/python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("run /usr/bin/python3 -m venv");
    assert!(status.success(), "venv creation failed");
    let site = venv.join("lib/python3.11/site-packages/venvonly_pkg");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("__init__.py"), "MARKER = 'from-the-venv'\n").unwrap();

    let apps_dir = dir.join("apps");
    std::fs::create_dir_all(&apps_dir).unwrap();
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/apps");
    for entry in std::fs::read_dir(&sources).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), apps_dir.join(entry.file_name())).unwrap();
    }
    // Two directories matched by a glob `pythonpath` entry.
    std::fs::create_dir_all(dir.join("glob_a")).unwrap();
    std::fs::create_dir_all(dir.join("glob_b")).unwrap();

    // `cat` on a pipe: it exits by itself when this test process ends (EOF), so nothing is
    // left behind even when the reload test is filtered out.
    let fake_master = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn cat");
    let setup = Setup {
        home: Some(venv.clone()),
        pythonpath: vec![
            apps_dir.display().to_string(),
            format!("{}/glob_*", dir.display()),
        ],
        program: PathBuf::from("/usr/bin/emperor-test"),
        pyargv: vec!["--flag".to_owned(), "value".to_owned()],
        options: vec![
            ("socket".to_owned(), ":3031".to_owned()),
            ("env".to_owned(), "A=1".to_owned()),
            ("env".to_owned(), "B=2".to_owned()),
            ("master".to_owned(), "true".to_owned()),
        ],
        processes: 4,
        threads: 1,
        master_pid: fake_master.id(),
    };
    let interp = emperor_python::initialize(&setup).expect("initialize python");
    let specs = [
        module("", "hello", None, false),
        module("/factory", "factory_app", Some("create_app"), true),
        AppSpec {
            mountpoint: "/file".to_owned(),
            source: AppSource::File(apps_dir.join("wsgi_file.wsgi")),
            origin: Origin::Builtin,
        },
        module("/mounted", "mounted", Some("app"), false),
        module("/mounted/deeper/", "mounted", Some("app"), false),
        module("/raise", "raising", None, false),
        module("/stream", "streaming", None, false),
        module("/echo", "echo", None, false),
        module("/input", "inputs", None, false),
        module("/filewrap", "filewrap", None, false),
        module("/headers", "headers", None, false),
        module("/writer", "writer", None, false),
        module("/swallow", "writer", Some("swallowing"), false),
        module("/late-error", "writer", Some("late_error"), false),
        module("/early-error", "writer", Some("early_error"), false),
        module("/no-start", "writer", Some("no_start"), false),
        module("/empty", "writer", Some("empty"), false),
        module("/twice", "writer", Some("twice"), false),
        module("/postfork", "postfork_app", None, false),
        module("/venv", "venvapp", None, false),
        module("/multi", "multi", None, false),
    ];
    let apps = interp
        .load_apps(&specs, "application")
        .expect("load the test apps");
    Fixture {
        interp,
        dir,
        venv,
        apps_dir,
        setup,
        apps,
        fake_master: Mutex::new(Some(fake_master)),
    }
}

pub fn module(mountpoint: &str, module: &str, callable: Option<&str>, factory: bool) -> AppSpec {
    AppSpec {
        mountpoint: mountpoint.to_owned(),
        source: AppSource::Module {
            module: module.to_owned(),
            callable: callable.map(str::to_owned),
            factory,
        },
        origin: Origin::Builtin,
    }
}

pub fn settings(manage_script_name: bool) -> WsgiSettings {
    WsgiSettings {
        manage_script_name,
        multiprocess: true,
        multithread: false,
        node: b"testnode".to_vec(),
    }
}

/// The shared apps, routed by `PATH_INFO` (`manage-script-name`).
pub fn worker() -> WsgiApp {
    let f = fixture();
    f.interp.worker(f.apps.clone(), &settings(true))
}

/// A request as nginx's `uwsgi_params` would send it, plus `extra` variables.
pub fn request(
    method: &str,
    path: &str,
    query: &str,
    extra: &[(&str, &[u8])],
    body: Body,
) -> Request {
    let mut vars = Vars::new();
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let length = if body.is_empty() {
        String::new()
    } else {
        body.len().to_string()
    };
    for (k, v) in [
        ("QUERY_STRING", query),
        ("REQUEST_METHOD", method),
        ("CONTENT_TYPE", ""),
        ("CONTENT_LENGTH", length.as_str()),
        ("REQUEST_URI", uri.as_str()),
        ("PATH_INFO", path),
        ("DOCUMENT_ROOT", "/srv"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REQUEST_SCHEME", "http"),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("REMOTE_PORT", "40000"),
        ("SERVER_PORT", "80"),
        ("SERVER_NAME", "localhost"),
    ] {
        vars.push(k.as_bytes(), v.as_bytes());
    }
    for (k, v) in extra {
        vars.push(k.as_bytes(), v);
    }
    Request { vars, body }
}

pub fn get(path: &str, query: &str) -> Request {
    request("GET", path, query, &[], Body::Empty)
}

/// What a worker's responder would have sent.
#[derive(Debug, Default)]
pub struct Recorder {
    pub status: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Each `write` separately.
    pub writes: Vec<Vec<u8>>,
    /// `(offset, bytes)` of each `sendfile`.
    pub sendfiles: Vec<(u64, Vec<u8>)>,
    /// Make every `write` fail, as when the client went away.
    pub fail_writes: bool,
    /// Whether any responder method ran with the GIL held (it must not).
    pub gil_held_during_io: bool,
    /// The app aborted the response after its head.
    pub aborted: bool,
    started: bool,
}

impl Recorder {
    pub fn failing() -> Recorder {
        Recorder {
            fail_writes: true,
            ..Recorder::default()
        }
    }

    pub fn body(&self) -> Vec<u8> {
        let mut body = self.writes.concat();
        for (_, bytes) in &self.sendfiles {
            body.extend_from_slice(bytes);
        }
        body
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body()).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn note_gil(&mut self) {
        if gil_held() {
            self.gil_held_during_io = true;
        }
    }
}

/// Whether this thread holds the GIL.
pub fn gil_held() -> bool {
    // SAFETY: PyGILState_Check only compares the GIL holder with this thread's state; the
    // interpreter is initialized (the fixture exists whenever a responder runs).
    #[allow(unsafe_code)]
    unsafe {
        pyo3::ffi::PyGILState_Check() == 1
    }
}

impl Responder for Recorder {
    fn start(&mut self, status: &[u8], headers: &[(&[u8], &[u8])]) -> io::Result<()> {
        self.note_gil();
        assert!(!self.started, "start() called twice");
        self.started = true;
        self.status = Some(String::from_utf8_lossy(status).into_owned());
        self.headers = headers
            .iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).into_owned(),
                    v.iter().map(|&b| char::from(b)).collect(),
                )
            })
            .collect();
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.note_gil();
        assert!(self.started, "body before start()");
        if self.fail_writes {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        self.writes.push(chunk.to_vec());
        Ok(())
    }

    fn sendfile(&mut self, fd: BorrowedFd<'_>, offset: u64, len: Option<u64>) -> io::Result<u64> {
        self.note_gil();
        assert!(self.started, "body before start()");
        assert_eq!(len, None);
        let file = File::from(fd.try_clone_to_owned()?);
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        let mut at = offset;
        loop {
            let n = file.read_at(&mut buf, at)?;
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
            at += n as u64;
        }
        let n = bytes.len() as u64;
        self.sendfiles.push((offset, bytes));
        Ok(n)
    }

    fn started(&self) -> bool {
        self.started
    }

    fn abort(&mut self) {
        self.note_gil();
        assert!(self.started, "abort before start()");
        assert!(!self.aborted, "abort() called twice");
        self.aborted = true;
    }
}

/// Calls `app` with `request` and a fresh recorder.
pub fn call(app: &mut WsgiApp, mut request: Request) -> (Outcome, ResponseInfo, Recorder) {
    let mut out = Recorder::default();
    let (outcome, info) = app.call(&mut request, &mut out);
    assert!(
        !out.gil_held_during_io,
        "a responder method ran with the GIL held"
    );
    (outcome, info, out)
}

/// Evaluates a Python expression and returns its `repr()`.
pub fn py_repr(expr: &str) -> String {
    use pyo3::prelude::*;
    let code = std::ffi::CString::new(expr).unwrap();
    Python::attach(|py| {
        py.eval(&code, None, None)
            .and_then(|v| v.repr().map(|r| r.to_string()))
            .unwrap_or_else(|e| panic!("evaluating {expr}: {e}"))
    })
}
