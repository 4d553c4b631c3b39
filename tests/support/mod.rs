//! Test support for end-to-end tests: the real `emperor` binary in a sandbox, real nginx,
//! raw protocol clients, and a check that nothing is left running (STYLE 11).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test apps.
pub fn apps() -> PathBuf {
    root().join("tests/apps")
}

/// The venv `scripts/test` made (Flask, Django), or `None` when absent.
pub fn venv() -> Option<PathBuf> {
    let path =
        std::env::var_os("EMPEROR_TEST_VENV").map_or_else(|| root().join(".venv"), PathBuf::from);
    path.join("bin/python").exists().then_some(path)
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `f` until it returns `Some` or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether any process of process group `pgid` is alive.
pub fn group_alive(pgid: i32) -> bool {
    // SAFETY-free: `kill -0` through the command avoids libc here.
    Command::new("kill")
        .args(["-0", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A running `emperor` (vassal or emperor) in its own process group, with its log in a file.
pub struct Proc {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub log: PathBuf,
}

impl Proc {
    /// Starts `emperor ARGS…` with a scrubbed environment, cwd in a fresh temp dir.
    pub fn start(args: &[&str]) -> Proc {
        Proc::start_in(tempfile::tempdir().unwrap(), args, &[])
    }

    pub fn start_in(dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Proc {
        Proc::start_with(dir, args, env, |_| {})
    }

    /// As [`Proc::start_in`], with a last say on the command (`pre_exec`, descriptors).
    pub fn start_with(
        dir: tempfile::TempDir,
        args: &[&str],
        env: &[(&str, &str)],
        customize: impl FnOnce(&mut Command),
    ) -> Proc {
        use std::os::unix::process::CommandExt;
        let log = dir.path().join("emperor.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_emperor"));
        cmd.args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", dir.path())
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        customize(&mut cmd);
        let child = cmd.spawn().expect("start emperor");
        Proc { child, dir, log }
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle`.
    pub fn wait_log(&self, needle: &str, limit: Duration) -> bool {
        wait_for(limit, || self.log().contains(needle).then_some(())).is_some()
    }

    /// Waits until a TCP port accepts connections.
    pub fn wait_port(&mut self, port: u16) {
        let ok = wait_for(Duration::from_secs(20), || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("emperor exited early ({status}):\n{}", self.log());
            }
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        assert!(ok.is_some(), "port {port} never opened:\n{}", self.log());
    }

    /// Waits until a UNIX socket accepts connections.
    pub fn wait_unix(&mut self, path: &Path) {
        let ok = wait_for(Duration::from_secs(20), || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("emperor exited early ({status}):\n{}", self.log());
            }
            std::os::unix::net::UnixStream::connect(path).ok()
        });
        assert!(
            ok.is_some(),
            "socket {} never opened:\n{}",
            path.display(),
            self.log()
        );
    }

    /// Sends a signal to the master.
    pub fn signal(&self, sig: &str) {
        Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .unwrap();
    }

    /// Stops gracefully (SIGTERM) and waits; returns the exit code. Panics (after killing
    /// the group) when it takes more than `limit`.
    pub fn stop(&mut self, limit: Duration) -> Option<i32> {
        self.signal("TERM");
        let status = wait_for(limit, || self.child.try_wait().ok().flatten());
        match status {
            Some(s) => s.code(),
            None => {
                self.kill_group();
                panic!("emperor did not stop within {limit:?}:\n{}", self.log());
            }
        }
    }

    fn kill_group(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.pid())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }

    /// Asserts that no process of this emperor's group is left (workers included).
    pub fn assert_nothing_left(&self) {
        let gone = wait_for(Duration::from_secs(10), || {
            (!group_alive(self.pid())).then_some(())
        });
        assert!(
            gone.is_some(),
            "processes left behind in group {}:\n{}",
            self.pid(),
            ps_group(self.pid())
        );
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.signal("TERM");
            if wait_for(Duration::from_secs(10), || {
                self.child.try_wait().ok().flatten()
            })
            .is_none()
            {
                self.kill_group();
            }
        }
        // Stray workers (a bug) are killed too, so that one failing test does not leak.
        if group_alive(self.pid()) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.pid())])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn ps_group(pgid: i32) -> String {
    let out = Command::new("ps")
        .args(["-eo", "pid,pgid,stat,args"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(&pgid.to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A response read from a raw socket: status code, headers (lowercase names), body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Parses a complete response that ended with the connection.
    pub fn parse(raw: &[u8]) -> Response {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Response {
            status,
            head,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }
}

/// Sends raw bytes and reads until the server closes.
pub fn raw_exchange(stream: &mut (impl Read + Write), request: &[u8]) -> Vec<u8> {
    stream.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

/// One HTTP/1.0 request over TCP (the server closes after it).
pub fn http_get(port: u16, path: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    Response::parse(&raw_exchange(
        &mut s,
        format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes(),
    ))
}

/// Builds a uwsgi request packet (as nginx `uwsgi_pass` does).
pub fn uwsgi_packet(vars: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut block = Vec::new();
    for (k, v) in vars {
        block.extend_from_slice(&u16::try_from(k.len()).unwrap().to_le_bytes());
        block.extend_from_slice(k.as_bytes());
        block.extend_from_slice(&u16::try_from(v.len()).unwrap().to_le_bytes());
        block.extend_from_slice(v.as_bytes());
    }
    let mut packet = vec![0u8];
    packet.extend_from_slice(&u16::try_from(block.len()).unwrap().to_le_bytes());
    packet.push(0);
    packet.extend_from_slice(&block);
    packet.extend_from_slice(body);
    packet
}

/// `curl` with arguments; returns (exit ok, stdout).
pub fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30"])
        .args(args)
        .output()
        .expect("curl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A real nginx in front of a vassal, in the foreground, with its own prefix.
pub struct Nginx {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx on a free port with `location` as the body of `location / { … }`.
    pub fn start(location: &str) -> Nginx {
        Nginx::start_with("", location)
    }

    /// As [`Nginx::start`], with `http` added to the `http { … }` block (`PREFIX` in it is
    /// replaced by nginx's own temp directory).
    pub fn start_with(http: &str, location: &str) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let p = dir.path().display();
        let http = http.replace("PREFIX", &p.to_string());
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log {p}/error.log;\npid {p}/nginx.pid;\nevents {{ worker_connections 256; }}\nhttp {{\n  access_log off;\n  {http}\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      include /etc/nginx/uwsgi_params;\n      {location}\n    }}\n  }}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .args(["-p", &dir.path().display().to_string(), "-c", "nginx.conf"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let ok = wait_for(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        assert!(
            ok.is_some(),
            "nginx did not start: {}",
            std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
        );
        Nginx { child, port, dir }
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether any process of session `sid` is alive (a daemonized vassal makes its own session).
pub fn session_alive(sid: i32) -> bool {
    let out = Command::new("ps").args(["-eo", "sid="]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == sid.to_string())
}

/// The uid of the user `name`.
pub fn uid_of(name: &str) -> Option<u32> {
    let out = Command::new("id").args(["-u", name]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Makes a venv with Debian's Python holding a module that exists only there.
pub fn venv_with_module(dir: &Path, module: &str, source: &str) -> PathBuf {
    let venv = dir.join("venv2");
    let ok = Command::new("/usr/bin/python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(ok.success());
    let site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    std::fs::write(site.join(format!("{module}.py")), source).unwrap();
    venv
}

/// Starts `emperor --http-socket 127.0.0.1:PORT EXTRA…` on a free port and waits for it.
pub fn http_vassal(extra: &[&str]) -> (Proc, u16) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec!["--http-socket", addr.as_str()];
    args.extend_from_slice(extra);
    let mut p = Proc::start(&args);
    p.wait_port(port);
    (p, port)
}

/// The direct children of `pid` (every thread's `/proc/PID/task/*/children`).
pub fn child_pids(pid: i32) -> Vec<i32> {
    emperor_sys::spawn::children_of(pid)
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, r)| !r.starts_with('Z'))
    })
}

/// Every live descendant of `pid`.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for c in child_pids(p).into_iter().filter(|c| alive(*c)) {
            out.push(c);
            todo.push(c);
        }
    }
    out
}
