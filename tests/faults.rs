//! Faults under the Emperor: invalid edits, tenants that stop answering, permanent start
//! errors, a second Emperor, hung reloads, shared socket directories and a killed Emperor.
//! Each test is what an administrator does to a running Emperor (edit a file, `kill -STOP`,
//! start a second one) and checks what they would look at: the app's answers, `emperor
//! stats` and the log.
//!
//! As in `tests/emperor.rs`, the test process is a child subreaper, so anything an Emperor
//! leaves behind ends up as the test's child, where [`assert_no_strays`] finds it.

mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Proc, alive, free_port, wait_for};

/// A running emperor over a fresh vassal directory.
struct Emperor {
    proc: Proc,
    vassals: PathBuf,
    stats: PathBuf,
}

impl Emperor {
    /// Starts `emperor emperor.ini` with short timings (mercy 2 s, rescans every second).
    fn start(extra: &str) -> Emperor {
        nix::sys::prctl::set_child_subreaper(true).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let vassals = dir.path().join("vassals");
        std::fs::create_dir(&vassals).unwrap();
        let stats = dir.path().join("emperor-stats.sock");
        for d in [dir.path(), vassals.as_path()] {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let ini = format!(
            "[uwsgi]\nemperor = {}\nemperor-stats = {}\nemperor-freq = 1\nreload-mercy = 2\n\
             emperor-throttle = 500\nemperor-max-throttle = 4000\nemperor-min-uptime = 1\n{extra}\n",
            vassals.display(),
            stats.display()
        );
        std::fs::write(dir.path().join("emperor.ini"), ini).unwrap();
        let mut proc = Proc::start_in(dir, &["emperor.ini"], &[]);
        proc.wait_unix(&stats);
        Emperor {
            proc,
            vassals,
            stats,
        }
    }

    /// The emperor stats document, and how long it took to get it.
    fn timed_stats(&self) -> (Value, Duration) {
        let started = Instant::now();
        let mut s = std::os::unix::net::UnixStream::connect(&self.stats).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let doc =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"));
        (doc, started.elapsed())
    }

    fn stats(&self) -> Value {
        self.timed_stats().0
    }

    fn vassal(&self, name: &str) -> Option<Value> {
        self.stats()["vassals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
    }

    fn wait_state(&self, name: &str, state: &str, limit: Duration) -> Value {
        wait_for(limit, || self.vassal(name).filter(|v| v["state"] == state)).unwrap_or_else(|| {
            panic!(
                "vassal {name} never reached {state}: {:?}\n{}",
                self.vassal(name),
                self.proc.log()
            )
        })
    }

    /// Waits until `name`'s `last_error` contains `needle`; returns the entry.
    fn wait_error(&self, name: &str, needle: &str, limit: Duration) -> Value {
        wait_for(limit, || {
            self.vassal(name)
                .filter(|v| v["last_error"].as_str().is_some_and(|e| e.contains(needle)))
        })
        .unwrap_or_else(|| {
            panic!(
                "vassal {name} never reported {needle:?}: {:?}\n{}",
                self.vassal(name),
                self.proc.log()
            )
        })
    }

    fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.vassals.join(file);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Stops the emperor (SIGTERM), checks it exits 0 and leaves nothing behind.
    fn stop(mut self) -> String {
        let code = self.proc.stop(Duration::from_secs(30));
        assert_eq!(code, Some(0), "{}", self.proc.log());
        assert_no_strays();
        self.proc.log()
    }
}

fn pid_of(v: &Value) -> i32 {
    i32::try_from(v["pid"].as_i64().unwrap()).unwrap()
}

/// A vassal file serving `app` over HTTP on `port` with extra lines.
fn vassal_ini(port: u16, app: &str, extra: &str) -> String {
    format!(
        "[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nprocesses = 1\n\
         worker-reload-mercy = 2\n{extra}\n",
        support::apps().join(app).display()
    )
}

fn get(port: u16) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    std::io::Write::write_all(
        &mut s,
        b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (_, body) = out.split_once("\r\n\r\n")?;
    out.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

fn wait_body(port: u16, needle: &str, limit: Duration) -> String {
    wait_for(limit, || get(port).filter(|b| b.contains(needle))).unwrap_or_else(|| {
        panic!(
            "port {port} never answered {needle:?} (last: {:?})",
            get(port)
        )
    })
}

fn live_children() -> Vec<(i32, String)> {
    let me = i32::try_from(std::process::id()).unwrap();
    support::child_pids(me)
        .into_iter()
        .filter(|pid| alive(*pid))
        .map(|pid| {
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .unwrap_or_default()
                .replace('\0', " ");
            (pid, cmd)
        })
        .collect()
}

fn assert_no_strays() {
    let left = wait_for(Duration::from_secs(10), || {
        live_children().is_empty().then_some(())
    });
    if left.is_none() {
        let strays = live_children();
        for (pid, _) in &strays {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        panic!("processes left behind: {strays:?}");
    }
}

/// A message as users read it: no runs of padding spaces (a hint line starts with two).
fn assert_tidy(message: &str) {
    for line in message.lines() {
        let line = line.strip_prefix("  hint: ").unwrap_or(line);
        assert!(
            !line.contains("  "),
            "a run of spaces in the message: {message:?}"
        );
    }
}

// --- an invalid edit never takes a running app down -------------------------------------

/// Each invalid edit the issue found taking the app down, applied to a running vassal: the
/// running version keeps serving (same master), `emperor stats` shows the reason and the log
/// says the edit was refused; a valid edit after each one is served. uWSGI 2.0.31's emperor
/// loses the app on all of them ("The -s/--socket option is missing", respawned forever).
#[test]
fn invalid_edits_keep_the_running_version() {
    let emperor = Emperor::start("");
    let port = free_port();
    let good = |version: usize| vassal_ini(port, "version.py", &format!("env = VERSION={version}"));
    let path = emperor.write("app.ini", &good(1));
    wait_body(port, "version=1", Duration::from_secs(20));
    let master = pid_of(&emperor.wait_state("app", "running", Duration::from_secs(10)));
    // A port someone else listens on: the restart a socket change needs could not bind it.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let edits: Vec<(&str, String, String)> = vec![
        ("a 0-byte file", String::new(), "empty".to_owned()),
        (
            "an unclosed `[uwsgi` header",
            good(0).replacen("[uwsgi]", "[uwsgi", 1),
            "no socket".to_owned(),
        ),
        (
            "a renamed section",
            good(0).replacen("[uwsgi]", "[uwsgi2]", 1),
            "no socket".to_owned(),
        ),
        (
            "the `http-socket` line deleted",
            good(0)
                .lines()
                .filter(|l| !l.starts_with("http-socket"))
                .collect::<Vec<_>>()
                .join("\n"),
            "no socket".to_owned(),
        ),
        (
            "XML content in an .ini",
            format!(
                "<uwsgi>\n  <http-socket>127.0.0.1:{port}</http-socket>\n  <wsgi-file>{}</wsgi-file>\n</uwsgi>\n",
                support::apps().join("version.py").display()
            ),
            "no socket".to_owned(),
        ),
        (
            "a socket moved to a port in use",
            vassal_ini(busy_port, "version.py", "env = VERSION=0"),
            format!("127.0.0.1:{busy_port}"),
        ),
    ];
    let mut serving = 1;
    for (what, text, reason) in edits {
        std::fs::write(&path, text).unwrap();
        let v = emperor.wait_error("app", &reason, Duration::from_secs(20));
        assert_eq!(v["state"], "running", "{what}: {v}");
        assert_eq!(pid_of(&v), master, "{what}: the running master was kept");
        let error = v["last_error"].as_str().unwrap();
        assert_tidy(error);
        let body = get(port).unwrap_or_else(|| panic!("{what}: the app is down"));
        assert!(
            body.contains(&format!("version={serving}")),
            "{what}: {body}"
        );
        // The file fixed: served again, by the same master.
        serving += 1;
        std::fs::write(&path, good(serving)).unwrap();
        let body = wait_body(port, &format!("version={serving}"), Duration::from_secs(20));
        assert!(body.contains(&format!("master={master}")), "{what}: {body}");
        // Settled (the emperor heard byte 5 again, which clears the error) before the next.
        wait_for(Duration::from_secs(20), || {
            emperor
                .vassal("app")
                .filter(|v| v["state"] == "running" && v["last_error"].is_null())
        })
        .unwrap_or_else(|| panic!("{what}: never settled\n{}", emperor.proc.log()));
    }
    drop(busy);
    let log = emperor.stop();
    assert!(
        log.contains("refused its new config and keeps running the old one"),
        "{log}"
    );
}

/// A user's uid and primary gid.
fn user(name: &str) -> Option<(u32, u32)> {
    let u = nix::unistd::User::from_name(name).ok().flatten()?;
    Some((u.uid.as_raw(), u.gid.as_raw()))
}

/// The test users of tyrant tests (`scripts/test` creates them); `None` when not root.
fn tyrant_users() -> Option<((u32, u32), (u32, u32))> {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: tyrant tests need root (CI runs them as root)");
        return None;
    }
    let users = user("emperor-test").zip(user("emperor-test2"));
    assert!(
        users.is_some(),
        "the test users emperor-test and emperor-test2 are missing: run scripts/test once"
    );
    users
}

fn chown(path: &Path, (uid, gid): (u32, u32)) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
}

/// Tyrant mode: edits that a reload cannot apply and a restart would refuse (another `uid`,
/// root, a port below 1024 for a vassal that never runs as root) keep the running version,
/// with the reason in the stats; a socket change a restart can apply is applied, as the
/// owner. uWSGI 2.0.31's tyrant emperor restarts the vassal into "cannot `setgid()` as
/// non-root user" and respawns it forever.
#[test]
fn tyrant_edits_a_restart_could_not_apply_keep_the_running_version() {
    let Some((alice, _)) = tyrant_users() else {
        return;
    };
    let emperor = Emperor::start("emperor-tyrant = true");
    let port = free_port();
    let path = emperor.write("alice.ini", &vassal_ini(port, "whoami.py", ""));
    chown(&path, alice);
    let uid = format!("uid={}", alice.0);
    wait_body(port, &uid, Duration::from_secs(20));
    let master = pid_of(&emperor.wait_state("alice", "running", Duration::from_secs(10)));
    let privileged = 81;
    let edits = [
        (
            "`uid` of another user",
            vassal_ini(port, "whoami.py", "uid = emperor-test2"),
            "`uid` asks for uid",
        ),
        (
            "`uid = 0`",
            vassal_ini(port, "whoami.py", "uid = 0"),
            "`uid` asks for uid 0",
        ),
        (
            "a port below 1024",
            vassal_ini(privileged, "whoami.py", ""),
            "port 81 needs root",
        ),
    ];
    for (i, (what, text, reason)) in edits.into_iter().enumerate() {
        std::fs::write(&path, text).unwrap();
        let v = emperor.wait_error("alice", reason, Duration::from_secs(20));
        assert_eq!(v["state"], "running", "{what}: {v}");
        assert_eq!(pid_of(&v), master, "{what}: the running master was kept");
        assert_tidy(v["last_error"].as_str().unwrap());
        let body = get(port).unwrap_or_else(|| panic!("{what}: the app is down"));
        assert!(body.contains(&uid), "{what}: {body}");
        // Fixed: reloaded (byte 5 again clears the error), same master.
        std::fs::write(
            &path,
            vassal_ini(port, "whoami.py", &format!("env = FIX={i}")),
        )
        .unwrap();
        wait_for(Duration::from_secs(20), || {
            emperor
                .vassal("alice")
                .filter(|v| v["state"] == "running" && v["last_error"].is_null())
        })
        .unwrap_or_else(|| panic!("{what}: never settled\n{}", emperor.proc.log()));
        assert_eq!(pid_of(&emperor.vassal("alice").unwrap()), master);
    }
    // The file made group-writable: refused by the rules, so not applied; alice's running
    // version keeps serving. Fixed (`chmod go-w`), it reloads.
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::write(&path, vassal_ini(port, "whoami.py", "env = FIX=mode")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        let v = emperor.wait_error("alice", "chmod go-w", Duration::from_secs(20));
        assert_eq!(
            (v["state"].as_str(), pid_of(&v)),
            (Some("running"), master),
            "{v}"
        );
        assert_tidy(v["last_error"].as_str().unwrap());
        assert!(get(port).is_some_and(|b| b.contains(&uid)));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        wait_for(Duration::from_secs(20), || {
            emperor
                .vassal("alice")
                .filter(|v| v["state"] == "running" && v["last_error"].is_null())
        })
        .unwrap_or_else(|| panic!("chmod go-w: never settled\n{}", emperor.proc.log()));
    }
    // A socket change a restart can apply: restarted, as alice, on the new port.
    let moved = free_port();
    std::fs::write(&path, vassal_ini(moved, "whoami.py", "")).unwrap();
    let body = wait_body(moved, &uid, Duration::from_secs(30));
    assert!(!body.contains(&format!("ppid={master}")), "{body}");
    let log = emperor.stop();
    assert!(
        log.contains("needs a restart to apply its new config"),
        "{log}"
    );
}

// --- the Emperor is never blocked by a tenant --------------------------------------------

/// The emperor stats document with a deadline: how long it took, `None` past `limit`.
fn stats_within(emperor: &Emperor, limit: Duration) -> Option<(Value, Duration)> {
    let started = Instant::now();
    let mut s = std::os::unix::net::UnixStream::connect(&emperor.stats).ok()?;
    s.set_read_timeout(Some(limit)).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some((serde_json::from_str(&text).ok()?, started.elapsed()))
}

/// A tenant whose master is stopped (`kill -STOP`), with an abstract stats socket whose
/// small backlog fills up: the Emperor still answers its own stats at once, every time, and
/// starts a newly dropped file as fast as ever. Before, the connect to `@name` was a blocking
/// call on the Emperor's only thread: once the backlog was full, the Emperor froze.
/// uWSGI 2.0.31's emperor does not read its vassals' stats, so it is not affected.
#[test]
fn a_stopped_tenant_never_blocks_the_emperor() {
    let emperor = Emperor::start("");
    let port = free_port();
    let name = format!("emperor-test-stats-{}-{port}", std::process::id());
    emperor.write(
        "stuck.ini",
        &vassal_ini(port, "version.py", &format!("stats = @{name}\nlisten = 2")),
    );
    wait_body(port, "version=", Duration::from_secs(20));
    let v = wait_for(Duration::from_secs(20), || {
        emperor
            .vassal("stuck")
            .filter(|v| v["state"] == "running" && !v["workers"].is_null())
    })
    .unwrap_or_else(|| panic!("no worker summary:\n{}", emperor.proc.log()));
    let master = nix::unistd::Pid::from_raw(pid_of(&v));
    nix::sys::signal::kill(master, nix::sys::signal::Signal::SIGSTOP).unwrap();
    // More queries than the stopped master's backlog holds.
    let mut slowest = Duration::ZERO;
    for i in 0..8 {
        let (doc, took) = stats_within(&emperor, Duration::from_secs(5)).unwrap_or_else(|| {
            let _ = nix::sys::signal::kill(master, nix::sys::signal::Signal::SIGCONT);
            panic!("emperor stats #{i} did not answer within 5 s")
        });
        slowest = slowest.max(took);
        let stuck = doc["vassals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "stuck")
            .cloned()
            .unwrap();
        assert!(stuck["workers"].is_null(), "{stuck}");
    }
    // A new file is served as fast as usual meanwhile.
    let port2 = free_port();
    let dropped = Instant::now();
    emperor.write(
        "fresh.ini",
        &vassal_ini(port2, "version.py", "env = VERSION=fresh"),
    );
    let fresh = wait_for(Duration::from_secs(10), || {
        get(port2).filter(|b| b.contains("version=fresh"))
    });
    let took = dropped.elapsed();
    nix::sys::signal::kill(master, nix::sys::signal::Signal::SIGCONT).unwrap();
    assert!(fresh.is_some(), "the new vassal was not served within 10 s");
    eprintln!("slowest stats answer {slowest:?}; new file served after {took:?}");
    assert!(
        slowest < Duration::from_secs(2),
        "slowest stats answer {slowest:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "new file served after {took:?}"
    );
    emperor.stop();
}

// --- one Emperor per stats socket and pidfile --------------------------------------------

/// Starts an emperor from an ini naming `stats` and `pidfile` (and an empty vassal dir).
fn start_raw(stats: &Path, pidfile: &Path) -> Proc {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("vassals")).unwrap();
    std::fs::write(
        dir.path().join("emperor.ini"),
        format!(
            "[uwsgi]\nemperor = vassals\nemperor-stats = {}\npidfile = {}\n",
            stats.display(),
            pidfile.display()
        ),
    )
    .unwrap();
    Proc::start_in(dir, &["emperor.ini"], &[])
}

/// Waits for `proc` to exit; its exit code.
fn exit_code(proc: &mut Proc, limit: Duration) -> Option<i32> {
    wait_for(limit, || proc.child.try_wait().ok().flatten())
        .unwrap_or_else(|| panic!("still running after {limit:?}:\n{}", proc.log()))
        .code()
}

/// A second Emperor over a live one's stats socket or pidfile refuses to start (it used to
/// unlink the live socket and take over); after the first one is killed (SIGKILL), the stale socket
/// and pidfile are taken over. uWSGI 2.0.31's emperor unlinks a UNIX stats socket in the way
/// and overwrites the pidfile.
#[test]
fn one_emperor_per_stats_socket_and_pidfile() {
    let emperor = Emperor::start("");
    let shared = tempfile::tempdir().unwrap();
    let pidfile = shared.path().join("emperor.pid");
    // The first emperor's pidfile: written by a second instance in the same place below.
    let mut first = start_raw(&shared.path().join("first.sock"), &pidfile);
    first.wait_unix(&shared.path().join("first.sock"));
    let first_pid = first.pid();
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap().trim(),
        first_pid.to_string()
    );

    // Same stats socket as the running `emperor`: refused, the live socket kept.
    let mut second = start_raw(&emperor.stats, &shared.path().join("second.pid"));
    assert_eq!(exit_code(&mut second, Duration::from_secs(10)), Some(1));
    let log = second.log();
    assert!(
        log.contains(&format!(
            "cannot bind the emperor stats socket `{}`",
            emperor.stats.display()
        )) && log.contains("another process listens"),
        "{log}"
    );
    assert_tidy(&log);
    assert!(
        emperor.stats()["vassals"].is_array(),
        "the first one still answers"
    );
    assert!(!shared.path().join("second.pid").exists());

    // Same pidfile as `first`: refused, the pidfile untouched.
    let mut third = start_raw(&shared.path().join("third.sock"), &pidfile);
    assert_eq!(exit_code(&mut third, Duration::from_secs(10)), Some(1));
    assert!(
        third.log().contains(&format!(
            "another emperor (pid {first_pid}) runs with the pidfile"
        )),
        "{}",
        third.log()
    );
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap().trim(),
        first_pid.to_string()
    );
    assert!(!shared.path().join("third.sock").exists());

    // SIGKILLed: its socket file and pidfile stay behind, stale; a new one takes them over.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(first_pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = first.child.wait();
    assert!(shared.path().join("first.sock").exists());
    let mut fourth = start_raw(&shared.path().join("first.sock"), &pidfile);
    fourth.wait_unix(&shared.path().join("first.sock"));
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap().trim(),
        fourth.pid().to_string()
    );
    assert_eq!(fourth.stop(Duration::from_secs(20)), Some(0));
    emperor.stop();
}

// --- reloads have a deadline -------------------------------------------------------------

/// A reload whose new master hangs while importing the app (new code waiting on something
/// that does not answer) is killed `reload-mercy` (2 s here) after the workers' drain
/// (`worker-reload-mercy`, 2 s here, at most) with a log line, and started again; the app is served once the import can finish. Before, the vassal stayed
/// `reloading` forever. uWSGI 2.0.31's emperor waits forever too.
#[test]
fn a_hung_reload_is_killed_after_reload_mercy_and_respawned() {
    let emperor = Emperor::start("");
    let port = free_port();
    let hang = emperor.vassals.parent().unwrap().join("hang");
    let ini = |version: u32| {
        vassal_ini(
            port,
            "hang_on_import.py",
            &format!(
                "env = VERSION={version}\nenv = HANG_FILE={}",
                hang.display()
            ),
        )
    };
    let path = emperor.write("app.ini", &ini(1));
    wait_body(port, "version=1", Duration::from_secs(20));
    let master = pid_of(&emperor.wait_state("app", "running", Duration::from_secs(10)));
    std::fs::write(&hang, "").unwrap();
    let edited = Instant::now();
    std::fs::write(&path, ini(2)).unwrap();
    emperor.wait_state("app", "reloading", Duration::from_secs(10));
    let v = emperor.wait_error("app", "did not finish in time", Duration::from_secs(20));
    let took = edited.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "killed after {took:?}: {v}"
    );
    assert!(
        emperor
            .proc
            .log()
            .contains("its reload did not finish in time (`reload-mercy`: 2 s"),
        "{}",
        emperor.proc.log()
    );
    let gone = wait_for(Duration::from_secs(5), || (!alive(master)).then_some(()));
    assert!(gone.is_some(), "the hung master {master} is still alive");
    // Started again: served as soon as its import can finish.
    std::fs::remove_file(&hang).unwrap();
    let body = wait_body(port, "version=2", Duration::from_secs(20));
    assert!(!body.contains(&format!("master={master}")), "{body}");
    emperor.wait_state("app", "running", Duration::from_secs(10));
    emperor.stop();
}

// --- permanent start errors are not retried forever --------------------------------------

/// Waits until `name` is `bad-config` with `needle` in its error; checks it stays so (not
/// respawned) for a while.
fn assert_parked(emperor: &Emperor, name: &str, needle: &str) {
    let v = emperor.wait_state(name, "bad-config", Duration::from_secs(20));
    let error = v["last_error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains(needle), "{name}: {error}");
    assert_tidy(&error);
    std::thread::sleep(Duration::from_secs(3));
    let later = emperor.vassal(name).unwrap();
    assert_eq!(later["state"], "bad-config", "{name}: {later}");
    assert_eq!(
        later["respawns"], v["respawns"],
        "{name} was respawned: {later}"
    );
}

/// A vassal that cannot start for a reason that does not go away by retrying (no socket, a
/// port below 1024 once it is not root) is parked as `bad-config` with the message until its
/// file changes; one whose port is taken (transient) keeps its backoff and starts once the
/// port is free. uWSGI 2.0.31's emperor respawns all of them forever with its throttle.
#[test]
fn permanent_start_errors_are_parked_transient_ones_retried() {
    let Some((alice, _)) = tyrant_users() else {
        return;
    };
    let emperor = Emperor::start("");
    emperor.write(
        "nosocket.ini",
        &format!(
            "[uwsgi]\nwsgi-file = {}\n",
            support::apps().join("version.py").display()
        ),
    );
    assert_parked(&emperor, "nosocket", "no socket to serve on");
    // Dropped to a user before binding, as uWSGI does: port 81 cannot be bound.
    emperor.write(
        "lowport.ini",
        &vassal_ini(81, "version.py", "uid = emperor-test\ngid = emperor-test"),
    );
    assert_parked(&emperor, "lowport", "ports below 1024 need root");
    // Fixed: the file changes, it starts.
    let port = free_port();
    emperor.write(
        "lowport.ini",
        &vassal_ini(port, "whoami.py", "uid = emperor-test\ngid = emperor-test"),
    );
    wait_body(port, &format!("uid={}", alice.0), Duration::from_secs(20));

    // Transient: the port is taken; retried with backoff, started once it is free.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    emperor.write(
        "busy.ini",
        &vassal_ini(busy_port, "version.py", "env = VERSION=busy"),
    );
    let v = wait_for(Duration::from_secs(20), || {
        emperor
            .vassal("busy")
            .filter(|v| v["attempts"].as_u64().unwrap_or(0) >= 2)
    })
    .unwrap_or_else(|| panic!("not retried:\n{}", emperor.proc.log()));
    assert!(
        v["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("in use")),
        "{v}"
    );
    drop(busy);
    wait_body(busy_port, "version=busy", Duration::from_secs(20));
    emperor.stop();
}

/// Tyrant mode: a vassal never runs as root, so a port below 1024 and a `chown-socket` to
/// another user fail at every start: parked as `bad-config` with the message.
#[test]
fn tyrant_permanent_start_errors_are_parked() {
    let Some((alice, _)) = tyrant_users() else {
        return;
    };
    let emperor = Emperor::start("emperor-tyrant = true");
    let path = emperor.write("low.ini", &vassal_ini(81, "whoami.py", ""));
    chown(&path, alice);
    assert_parked(&emperor, "low", "ports below 1024 need root");
    let sockets = emperor.vassals.parent().unwrap().join("alice-sockets");
    std::fs::create_dir(&sockets).unwrap();
    chown(&sockets, alice);
    let path = emperor.write(
        "chowned.ini",
        &format!(
            "[uwsgi]\nsocket = {}/app.sock\nchown-socket = emperor-test2\nwsgi-file = {}\n",
            sockets.display(),
            support::apps().join("whoami.py").display()
        ),
    );
    chown(&path, alice);
    assert_parked(&emperor, "chowned", "`chown-socket`");
    emperor.stop();
}

// --- shared socket directories -----------------------------------------------------------

/// `curl --unix-socket PATH http://x/`: the body, or `None`.
fn get_unix(path: &Path) -> Option<String> {
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "5", "--unix-socket"])
        .arg(path)
        .arg("http://localhost/")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Tyrant mode, a world-writable directory without the sticky bit: alice's vassal naming the
/// socket bob's vassal serves never unlinks it (it used to replace bob's live socket with its
/// own, as uWSGI 2.0.31 does); once bob's vassal is gone and its socket stale, alice still
/// cannot replace a socket owned by bob. Each refusal is in the stats.
#[test]
fn tyrant_never_replaces_another_users_socket() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let Some((alice, bob)) = tyrant_users() else {
        return;
    };
    let emperor = Emperor::start("emperor-tyrant = true");
    let shared = emperor.vassals.parent().unwrap().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let socket = shared.join("app.sock");
    let ini = format!(
        "[uwsgi]\nhttp-socket = {}\nwsgi-file = {}\nprocesses = 1\nworker-reload-mercy = 2\n",
        socket.display(),
        support::apps().join("whoami.py").display()
    );
    let bob_file = emperor.write("bob.ini", &ini);
    chown(&bob_file, bob);
    let bobs = format!("uid={}", bob.0);
    wait_for(Duration::from_secs(20), || {
        get_unix(&socket).filter(|b| b.contains(&bobs))
    })
    .unwrap_or_else(|| panic!("bob's vassal never served:\n{}", emperor.proc.log()));
    let inode = std::fs::metadata(&socket).unwrap().ino();

    let alice_file = emperor.write("alice.ini", &ini);
    chown(&alice_file, alice);
    // Alice cannot even connect to bob's socket (its mode), so whether it is live cannot be
    // told: it is bob's, and that is enough.
    let owned = format!("a socket owned by uid {} is in the way", bob.0);
    let v = emperor.wait_error("alice", &owned, Duration::from_secs(20));
    assert_tidy(v["last_error"].as_str().unwrap());
    assert_eq!(
        std::fs::metadata(&socket).unwrap().ino(),
        inode,
        "bob's socket was replaced"
    );
    assert!(get_unix(&socket).is_some_and(|b| b.contains(&bobs)));

    // Bob's vassal goes; its socket stays behind (no `vacuum`), stale and bob's.
    std::fs::remove_file(&bob_file).unwrap();
    wait_for(Duration::from_secs(20), || {
        emperor.vassal("bob").is_none().then_some(())
    })
    .unwrap_or_else(|| panic!("bob's vassal never stopped:\n{}", emperor.proc.log()));
    let attempts = emperor.vassal("alice").unwrap()["attempts"]
        .as_u64()
        .unwrap();
    let v = wait_for(Duration::from_secs(30), || {
        emperor
            .vassal("alice")
            .filter(|v| v["attempts"].as_u64().unwrap() > attempts)
    })
    .unwrap_or_else(|| panic!("alice's vassal not retried:\n{}", emperor.proc.log()));
    let error = v["last_error"].as_str().unwrap();
    assert!(error.contains(&owned), "{error}");
    let meta = std::fs::metadata(&socket).unwrap();
    assert_eq!(
        (meta.ino(), meta.uid()),
        (inode, bob.0),
        "bob's socket was replaced"
    );
    emperor.stop();
}

// --- a killed Emperor leaves nothing -----------------------------------------------------

/// What `pid` runs (`/proc/PID/cmdline`, spaces between words).
fn cmdline(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .replace('\0', " ")
}

/// `kill -9` of the Emperor: every master, worker and what the app left behind (a daemon in
/// its own session started at import, a double-forked one from a request) is gone within
/// 3 s. Before, the masters and workers went, but the daemons survived under pid 1. uWSGI
/// 2.0.31's emperor leaves them too (and its vassals, without `emperor-use-clone`, linger
/// until they notice the lost link).
#[test]
fn a_killed_emperor_leaves_nothing_not_even_daemonized_grandchildren() {
    let mut emperor = Emperor::start("");
    let port = free_port();
    emperor.write(
        "app.ini",
        &vassal_ini(port, "grandchildren.py", "processes = 2"),
    );
    wait_body(port, "daemonized", Duration::from_secs(20));
    let all = wait_for(Duration::from_secs(20), || {
        let all = support::descendants(emperor.proc.pid());
        let sleeps = all
            .iter()
            .filter(|p| cmdline(**p).starts_with("sleep "))
            .count();
        // The master, 2 workers, the import-time daemon and the request's.
        (sleeps >= 2 && all.len() >= 5).then_some(all)
    })
    .unwrap_or_else(|| {
        panic!(
            "not everything started: {:?}",
            support::descendants(emperor.proc.pid())
                .iter()
                .map(|p| cmdline(*p))
                .collect::<Vec<_>>()
        )
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(emperor.proc.pid()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = emperor.proc.child.wait();
    let gone = wait_for(Duration::from_secs(3), || {
        all.iter().all(|p| !alive(*p)).then_some(())
    });
    assert!(
        gone.is_some(),
        "left 3 s after the emperor was killed: {:?}",
        all.iter()
            .filter(|p| alive(**p))
            .map(|p| (p, cmdline(*p)))
            .collect::<Vec<_>>()
    );
    assert_no_strays();
}
