//! The vassal side of the emperor link, end to end: each test is a fake emperor that starts
//! the real binary as `emperor --vassal-of-emperor app` with a socketpair link and a config
//! channel, and checks what an emperor would see (DESIGN, "The emperor link").

mod support;

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use emperor_proto::link::{self, Decoder, Event, FromVassal, Report};
use support::{Proc, free_port, http_get};

const APP: &str = "\
import os
import time


def application(environ, start_response):
    if environ['PATH_INFO'] == '/slow':
        time.sleep(60)
    body = ('version=%s\\n' % os.environ.get('VERSION', 'none')).encode()
    start_response('200 OK', [('Content-Length', str(len(body)))])
    return [body]
";

/// Generous: CI has two loaded cores and every start imports Python.
const START: Duration = Duration::from_secs(30);

/// The vassal file: an HTTP socket on `port`, the app, `VERSION` in its environment, a short
/// mercy, and `extra` lines.
fn ini(port: u16, version: &str, extra: &str) -> String {
    format!(
        "[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = app.py\nenv = VERSION={version}\nworker-reload-mercy = 2\n{extra}"
    )
}

/// A fake emperor and the one vassal it started.
struct Emperor {
    vassal: Proc,
    link: Option<UnixStream>,
    config: Option<UnixStream>,
    decoder: Decoder,
    /// Every message received, in order; `seen` of them were consumed by `expect`.
    received: Vec<FromVassal>,
    seen: usize,
    eof: bool,
    /// The vassal file (`UWSGI_VASSAL_CONFIG_PATH`).
    path: PathBuf,
    /// What the vassal's ends of the link and the config channel are (`socket:[inode]`).
    vassal_ends: [String; 2],
}

/// What `/proc/self/fd/N` points at.
fn fd_target(fd: i32) -> String {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .unwrap()
        .display()
        .to_string()
}

/// What a process's descriptors point at.
fn fd_targets(pid: i32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .map(|p| p.display().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn children(pid: i32) -> Vec<i32> {
    support::child_pids(pid)
}

impl Emperor {
    /// Starts `emperor --vassal-of-emperor app` in a fresh directory holding `app.py` and
    /// `app.ini` (`ini`), as our emperor does (`EMPEROR_LINK_EXT=1`), the config written on
    /// the config channel first.
    fn start(ini: &str) -> Emperor {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), APP).unwrap();
        let path = dir.path().join("app.ini");
        std::fs::write(&path, ini).unwrap();
        let (link, vassal_link) = UnixStream::pair().unwrap();
        let (mut config, vassal_config) = UnixStream::pair().unwrap();
        config
            .write_all(&link::frame_config(ini.as_bytes()).unwrap())
            .unwrap();
        let (fd, config_fd) = (vassal_link.as_raw_fd(), vassal_config.as_raw_fd());
        let vassal_ends = [fd_target(fd), fd_target(config_fd)];
        let (fd_text, config_fd_text) = (fd.to_string(), config_fd.to_string());
        let path_text = path.display().to_string();
        let vassal = Proc::start_with(
            dir,
            &["--vassal-of-emperor", "app"],
            &[
                (link::FD_VAR, &fd_text),
                (link::CONFIG_FD_VAR, &config_fd_text),
                (link::CONFIG_PATH_VAR, &path_text),
                (link::EXT_VAR, "1"),
            ],
            |cmd| {
                use std::os::unix::process::CommandExt;
                // The socketpair ends are close-on-exec (std's default): the vassal's two are
                // made inheritable in the child only, as the emperor's spawner does.
                #[allow(unsafe_code)]
                // SAFETY: between fork and exec the closure only makes two fcntl calls on
                // descriptors the child owns.
                unsafe {
                    cmd.pre_exec(move || {
                        emperor_sys::net::set_cloexec(fd, false)?;
                        emperor_sys::net::set_cloexec(config_fd, false)
                    });
                }
            },
        );
        // The emperor keeps only its own ends.
        drop((vassal_link, vassal_config));
        link.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        Emperor {
            vassal,
            link: Some(link),
            config: Some(config),
            decoder: Decoder::new(),
            received: Vec::new(),
            seen: 0,
            eof: false,
            path,
            vassal_ends,
        }
    }

    fn log(&self) -> String {
        self.vassal.log()
    }

    /// Reads what the link has (waiting up to its 200 ms timeout).
    fn pump(&mut self) {
        let Some(link) = &mut self.link else { return };
        let mut buf = [0u8; 4096];
        match link.read(&mut buf) {
            Ok(0) => self.eof = true,
            Ok(n) => {
                let messages = self.decoder.feed(&buf[..n]).expect("well-formed messages");
                self.received.extend(messages);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("reading the link: {e}"),
        }
    }

    /// Waits for the next message that `want` accepts, skipping others (heartbeats…).
    fn expect(
        &mut self,
        what: &str,
        limit: Duration,
        want: impl Fn(&FromVassal) -> bool,
    ) -> FromVassal {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(pos) = self.received[self.seen..].iter().position(&want) {
                self.seen += pos + 1;
                return self.received[self.seen - 1].clone();
            }
            assert!(
                !self.eof && Instant::now() < deadline,
                "no {what} from the vassal (eof: {}); received {:?}\n{}",
                self.eof,
                self.received,
                self.log()
            );
            self.pump();
        }
    }

    fn expect_byte(&mut self, message: &FromVassal, limit: Duration) {
        let what = format!("{message:?}");
        self.expect(&what, limit, |m| m == message);
    }

    fn expect_report(&mut self, event: Event, limit: Duration) -> Report {
        match self.expect(
            event.as_str(),
            limit,
            |m| matches!(m, FromVassal::Report(r) if r.event == event),
        ) {
            FromVassal::Report(r) => r,
            _ => unreachable!(),
        }
    }

    fn send(&mut self, byte: u8) {
        self.link.as_mut().unwrap().write_all(&[byte]).unwrap();
    }

    /// Answers a config request (byte 2) with `text`.
    fn push_config(&mut self, text: &str) {
        self.expect_byte(&FromVassal::ConfigRequest, Duration::from_secs(10));
        self.config
            .as_mut()
            .unwrap()
            .write_all(&link::frame_config(text.as_bytes()).unwrap())
            .unwrap();
    }

    /// Waits until the vassal exits; returns its exit code and how long that took.
    fn wait_exit(&mut self, limit: Duration) -> (Option<i32>, Duration) {
        let started = Instant::now();
        let status = support::wait_for(limit, || self.vassal.child.try_wait().ok().flatten());
        let status = status.unwrap_or_else(|| panic!("the vassal did not exit:\n{}", self.log()));
        (status.code(), started.elapsed())
    }

    fn wait_served(&mut self, port: u16, body: &str) {
        let served = support::wait_for(START, || {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .ok()
                .map(|_| http_get(port, "/").text())
                .filter(|b| b == body)
        });
        assert!(served.is_some(), "`{body}` never served:\n{}", self.log());
    }
}

#[test]
fn spawned_accepting_loyal_heartbeats_and_a_graceful_stop() {
    let port = free_port();
    let stats = free_port();
    let mut e = Emperor::start(&ini(
        port,
        "1",
        &format!("processes = 2\nheartbeat = 1\nstats = 127.0.0.1:{stats}\n"),
    ));
    let report = e.expect_report(Event::Stats, START);
    assert_eq!(report.message, format!("127.0.0.1:{stats}"));
    e.expect_byte(&FromVassal::Spawned, START);
    e.expect_byte(&FromVassal::Accepting, START);
    let first = |m: &FromVassal| e.received.iter().position(|r| r == m);
    assert!(
        first(&FromVassal::Spawned) < first(&FromVassal::Accepting),
        "1 comes before 5: {:?}",
        e.received
    );
    assert!(!e.received.contains(&FromVassal::Loyal), "no request yet");

    e.wait_served(port, "version=1\n");
    e.expect_byte(&FromVassal::Loyal, Duration::from_secs(10));
    e.expect_byte(&FromVassal::Heartbeat, Duration::from_secs(10));
    e.expect_byte(&FromVassal::Heartbeat, Duration::from_secs(10));
    let title = std::process::Command::new("ps")
        .args(["-o", "args=", "-p", &e.vassal.pid().to_string()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&title.stdout).trim(),
        "emperor master app",
        "the vassal is named as its emperor says"
    );

    // The master holds the link and the config channel; its workers hold neither.
    let master = e.vassal.pid();
    let held = fd_targets(master);
    for end in &e.vassal_ends {
        assert!(held.contains(end), "the master holds {end}: {held:?}");
    }
    let workers = children(master);
    assert_eq!(workers.len(), 2, "{}", e.log());
    for worker in workers {
        let held = fd_targets(worker);
        for end in &e.vassal_ends {
            assert!(
                !held.contains(end),
                "worker {worker} keeps the emperor's {end} open: {held:?}"
            );
        }
    }

    e.send(2);
    let (code, _) = e.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{}", e.log());
    e.vassal.assert_nothing_left();
    e.pump();
    e.pump();
    assert!(e.eof, "the emperor sees EOF once the master is gone");
}

#[test]
fn a_reload_runs_the_config_the_emperor_sends_and_refuses_bad_ones() {
    let port = free_port();
    let first = ini(port, "1", "");
    let mut e = Emperor::start(&first);
    e.expect_byte(&FromVassal::Spawned, START);
    e.expect_byte(&FromVassal::Accepting, START);
    e.wait_served(port, "version=1\n");

    // Byte 1: the vassal asks for its config; the emperor sends an edit (the file on disk is
    // left as it was: the vassal must run the bytes it was sent).
    e.send(1);
    e.push_config(&ini(port, "2", ""));
    e.expect_byte(&FromVassal::Spawned, START);
    e.expect_byte(&FromVassal::Accepting, START);
    e.wait_served(port, "version=2\n");
    assert!(
        e.vassal.child.try_wait().unwrap().is_none(),
        "the master re-executed in place"
    );
    assert!(
        e.log().contains("binary reloading emperor (reload 1)"),
        "{}",
        e.log()
    );
    assert_eq!(
        children(e.vassal.pid()).len(),
        1,
        "the new workers are the same master's\n{}",
        e.log()
    );

    // An invalid edit (a SIGHUP asks the emperor for the config too): refused, reported with
    // its place, version 2 keeps serving.
    let bad = ini(port, "3", "processes = lots\n");
    let line = bad.lines().position(|l| l == "processes = lots").unwrap() + 1;
    e.vassal.signal("HUP");
    e.push_config(&bad);
    let report = e.expect_report(Event::ReloadFailed, Duration::from_secs(10));
    assert_eq!(
        report.origin.as_deref(),
        Some(format!("{}:{line}", e.path.display()).as_str()),
        "{report:?}"
    );
    assert!(report.message.contains("lots"), "{report:?}");
    assert_eq!(http_get(port, "/").text(), "version=2\n");

    // Another socket cannot be applied by a reload: a restart is needed, the old one serves.
    let other = free_port();
    e.send(1);
    e.push_config(&ini(other, "4", ""));
    let report = e.expect_report(Event::NeedsRestart, Duration::from_secs(10));
    assert!(
        report.message.contains("sockets") && report.message.contains(&other.to_string()),
        "{report:?}"
    );
    assert_eq!(http_get(port, "/").text(), "version=2\n");
    assert!(std::net::TcpStream::connect(("127.0.0.1", other)).is_err());

    // An emperor that never answers: the reload gives up after 5 s, the old version serves.
    e.send(1);
    e.expect_byte(&FromVassal::ConfigRequest, Duration::from_secs(10));
    let report = e.expect_report(Event::ReloadFailed, Duration::from_secs(20));
    assert!(report.message.contains("timed out"), "{report:?}");
    assert_eq!(http_get(port, "/").text(), "version=2\n");

    // Still a working link after all that: a graceful stop.
    e.send(2);
    let (code, _) = e.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{}", e.log());
    e.vassal.assert_nothing_left();
}

#[test]
fn losing_the_emperor_stops_the_vassal_within_mercy() {
    let port = free_port();
    let mut e = Emperor::start(&ini(port, "1", ""));
    e.expect_byte(&FromVassal::Accepting, START);
    e.wait_served(port, "version=1\n");
    // A request that would outlive the mercy by far.
    let slow = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
        support::raw_exchange(&mut s, b"GET /slow HTTP/1.0\r\n\r\n")
    });
    assert!(
        support::wait_for(Duration::from_secs(10), || {
            e.vassal.signal("USR2");
            e.log().contains("is managing a request").then_some(())
        })
        .is_some(),
        "{}",
        e.log()
    );

    // The emperor dies: both of its ends close.
    e.link = None;
    e.config = None;
    let (code, took) = e.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{}", e.log());
    assert!(
        took < Duration::from_secs(15),
        "stopped within `worker-reload-mercy = 2` (plus slack), took {took:?}\n{}",
        e.log()
    );
    assert!(
        e.log().contains("lost connection with the emperor"),
        "{}",
        e.log()
    );
    e.vassal.assert_nothing_left();
    let _ = slow.join();
}

#[test]
fn a_bad_config_at_start_exits_26_with_a_report() {
    let port = free_port();
    let bad = ini(port, "1", "processes = lots\n");
    let line = bad.lines().position(|l| l == "processes = lots").unwrap() + 1;
    let mut e = Emperor::start(&bad);
    let report = e.expect_report(Event::BadConfig, START);
    assert_eq!(
        report.origin.as_deref(),
        Some(format!("{}:{line}", e.path.display()).as_str()),
        "{report:?}"
    );
    let (code, _) = e.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(link::EXIT_DO_NOT_RESPAWN), "{}", e.log());
    assert!(
        e.log().contains(&format!(
            "app.ini:{line}: error: `processes = lots` is not a number"
        )),
        "the same diagnostic as for the file:\n{}",
        e.log()
    );
    assert!(
        !e.received.contains(&FromVassal::Spawned),
        "{:?}",
        e.received
    );
    e.vassal.assert_nothing_left();
}

#[test]
fn a_brutal_stop_and_a_chain_reload_by_byte() {
    let port = free_port();
    let mut e = Emperor::start(&ini(port, "1", "processes = 2\nlazy-apps = true\n"));
    e.expect_byte(&FromVassal::Accepting, START);
    e.wait_served(port, "version=1\n");
    let before = children(e.vassal.pid());
    e.send(3);
    assert!(
        e.vassal
            .wait_log("chain reloading complete", Duration::from_secs(45)),
        "{}",
        e.log()
    );
    let after = children(e.vassal.pid());
    assert!(
        after.iter().all(|p| !before.contains(p)),
        "every worker replaced: {before:?} -> {after:?}"
    );
    e.send(0);
    let (code, took) = e.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(0), "{}", e.log());
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(e.log().contains("the emperor asks to stop"), "{}", e.log());
    e.vassal.assert_nothing_left();
}
