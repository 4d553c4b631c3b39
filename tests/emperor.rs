//! The Emperor end to end: the real binary governing real vassals (embedded `CPython`) in a
//! temp directory, observed through its stats socket, its log and `/proc`.
//!
//! Strays are found by ancestry: the test process makes itself a child subreaper, so any
//! process the emperor leaves behind ends up as a child of the test, where
//! [`Emperor::assert_no_strays`] finds it.

mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Proc, alive, descendants, free_port, wait_for};

/// A running emperor over a fresh vassal directory.
struct Emperor {
    proc: Proc,
    vassals: PathBuf,
    stats: PathBuf,
    /// `stats-http`: the stats socket answers HTTP requests.
    http: bool,
}

impl Emperor {
    /// Starts `emperor emperor.ini` with short timings (mercy 2 s, rescans every second).
    fn start(extra: &str) -> Emperor {
        Emperor::start_with_env(extra, &[])
    }

    fn start_with_env(extra: &str, env: &[(&str, &str)]) -> Emperor {
        nix::sys::prctl::set_child_subreaper(true).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let vassals = dir.path().join("vassals");
        std::fs::create_dir(&vassals).unwrap();
        let stats = dir.path().join("emperor-stats.sock");
        // Tyrant vassals (and an unprivileged emperor) must be able to enter these.
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
        let mut env = env.to_vec();
        env.push(("EMPEROR_SECRET", "must-not-reach-vassals"));
        let mut proc = Proc::start_in(dir, &["emperor.ini"], &env);
        proc.wait_unix(&stats);
        Emperor {
            proc,
            vassals,
            stats,
            http: extra.contains("stats-http = true"),
        }
    }

    /// The emperor stats document (panics on invalid JSON).
    fn stats(&self) -> Value {
        let mut s = std::os::unix::net::UnixStream::connect(&self.stats).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        if self.http {
            std::io::Write::write_all(&mut s, b"GET / HTTP/1.0\r\n\r\n").unwrap();
        }
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        if self.http {
            text = text
                .split_once("\r\n\r\n")
                .map(|(_, b)| b.to_owned())
                .unwrap_or_default();
        }
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
    }

    /// The stats entry of the vassal named `name` (file name without extension).
    fn vassal(&self, name: &str) -> Option<Value> {
        self.stats()["vassals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
    }

    /// Waits until `name` is in `state`; returns its entry.
    fn wait_state(&self, name: &str, state: &str, limit: Duration) -> Value {
        wait_for(limit, || self.vassal(name).filter(|v| v["state"] == state)).unwrap_or_else(|| {
            panic!(
                "vassal {name} never reached {state}: {:?}\n{}",
                self.vassal(name),
                self.proc.log()
            )
        })
    }

    /// Drops `app.ini` serving tests/apps/version.py with a stats socket (so the emperor
    /// stats carry its workers) and `extra` lines; waits until it answers; returns its port.
    fn app_with_stats(&self, extra: &str) -> u16 {
        let port = free_port();
        let stats = self.vassals.parent().unwrap().join("app-stats.sock");
        self.write(
            "app.ini",
            &vassal_ini(
                port,
                "version.py",
                &format!("stats = {}\n{extra}", stats.display()),
            ),
        );
        wait_body(port, "version=", Duration::from_secs(20));
        port
    }

    fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.vassals.join(file);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Stops the emperor (SIGTERM), checks it exits 0 and leaves nothing behind.
    fn stop(mut self) -> String {
        let code = self.proc.stop(Duration::from_secs(20));
        assert_eq!(code, Some(0), "{}", self.proc.log());
        assert_no_strays();
        self.proc.log()
    }
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

/// Waits until `port` answers with a body containing `needle`.
fn wait_body(port: u16, needle: &str, limit: Duration) -> String {
    wait_for(limit, || get(port).filter(|b| b.contains(needle))).unwrap_or_else(|| {
        panic!(
            "port {port} never answered {needle:?} (last: {:?})",
            get(port)
        )
    })
}

/// The live (non-zombie) children of the test process: with the test as a subreaper, every
/// process an emperor leaves behind ends up here.
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

fn rss_kb(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

/// F1, F4: a dropped file is served; removing it stops the vassal and its workers.
#[test]
fn file_created_then_deleted() {
    let emperor = Emperor::start("");
    let port = free_port();
    let started = Instant::now();
    let path = emperor.write(
        "app.ini",
        &vassal_ini(port, "version.py", "env = VERSION=1"),
    );
    wait_body(port, "version=1", Duration::from_secs(20));
    eprintln!("file drop to first 200: {:?}", started.elapsed());
    let v = emperor.wait_state("app", "running", Duration::from_secs(10));
    let master = i32::try_from(v["pid"].as_i64().unwrap()).unwrap();
    assert!(v["accepting"] == 1 && v["ready"] == 1, "{v}");
    assert_eq!(v["id"], "app.ini");
    let workers = descendants(master);
    assert!(!workers.is_empty());
    std::fs::remove_file(&path).unwrap();
    let gone = wait_for(Duration::from_secs(10), || {
        emperor.vassal("app").is_none().then_some(())
    });
    assert!(gone.is_some(), "{}", emperor.proc.log());
    assert!(!alive(master));
    for w in workers {
        assert!(!alive(w), "worker {w} survived its vassal");
    }
    assert!(get(port).is_none());
    emperor.stop();
}

/// F2, F3, F5: same-second edits, an atomic rename with an older mtime, delete + recreate.
#[test]
fn edits_renames_and_recreation_are_seen() {
    let emperor = Emperor::start("");
    let port = free_port();
    let path = emperor.write(
        "app.ini",
        &vassal_ini(port, "version.py", "env = VERSION=1"),
    );
    let first = wait_body(port, "version=1", Duration::from_secs(20));
    let master = first.split("master=").nth(1).unwrap().trim().to_owned();
    // F2: an edit within the same second as the first write keeps the mtime second: only
    // the nanoseconds, size or ctime differ.
    std::fs::write(&path, vassal_ini(port, "version.py", "env = VERSION=2")).unwrap();
    let body = wait_body(port, "version=2", Duration::from_secs(20));
    assert!(
        body.contains(&format!("master={master}")),
        "a reload keeps the master: {body}"
    );
    // F3: a file renamed over it with an *older* mtime.
    let tmp = emperor.vassals.join(".app.ini.tmp");
    std::fs::write(&tmp, vassal_ini(port, "version.py", "env = VERSION=3")).unwrap();
    let old = std::fs::File::options().write(true).open(&tmp).unwrap();
    old.set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000))
        .unwrap();
    drop(old);
    std::fs::rename(&tmp, &path).unwrap();
    wait_body(port, "version=3", Duration::from_secs(20));
    // F5: deleted and recreated at once.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, vassal_ini(port, "version.py", "env = VERSION=5")).unwrap();
    wait_body(port, "version=5", Duration::from_secs(30));
    emperor.wait_state("app", "running", Duration::from_secs(10));
    emperor.stop();
}

/// An invalid edit leaves the running version serving and shows the error; a bad file at
/// start is `bad-config`, not retried until it changes.
#[test]
fn bad_configs_never_take_down_the_running_version() {
    let emperor = Emperor::start("");
    let port = free_port();
    let path = emperor.write(
        "app.ini",
        &vassal_ini(port, "version.py", "env = VERSION=1"),
    );
    wait_body(port, "version=1", Duration::from_secs(20));
    std::fs::write(
        &path,
        vassal_ini(port, "version.py", "env = VERSION=2\nprocesses = many"),
    )
    .unwrap();
    let v = wait_for(Duration::from_secs(20), || {
        emperor
            .vassal("app")
            .filter(|v| v["last_error"].as_str().is_some_and(|e| e.contains("many")))
    })
    .unwrap_or_else(|| panic!("no reload error reported:\n{}", emperor.proc.log()));
    assert_eq!(v["state"], "running", "{v}");
    assert!(
        v["last_error"].as_str().unwrap().contains("app.ini:"),
        "the error names the file and line: {v}"
    );
    assert!(get(port).unwrap().contains("version=1"));

    let bad_port = free_port();
    let bad = emperor.write(
        "bad.ini",
        &vassal_ini(bad_port, "version.py", "harakiri = soon"),
    );
    let v = emperor.wait_state("bad", "bad-config", Duration::from_secs(20));
    assert!(
        v["last_error"].as_str().unwrap().contains("bad.ini:"),
        "{v}"
    );
    let respawns = v["respawns"].clone();
    std::thread::sleep(Duration::from_secs(3));
    let v = emperor.vassal("bad").unwrap();
    assert_eq!(v["state"], "bad-config");
    assert_eq!(v["respawns"], respawns, "a bad config is not retried: {v}");
    // Fixed: started.
    std::fs::write(
        &bad,
        vassal_ini(bad_port, "version.py", "env = VERSION=fixed"),
    )
    .unwrap();
    wait_body(bad_port, "version=fixed", Duration::from_secs(20));
    emperor.stop();
}

/// F7 and unsupported formats: the directory removed and recreated is watched again; a
/// `.yml` file is reported, not silently ignored; dotfiles and backups are ignored.
#[test]
fn directory_recreated_and_yaml_reported() {
    let emperor = Emperor::start("");
    emperor.write("old.yml", "uwsgi:\n  socket: :3031\n");
    emperor.write(".hidden.ini", "[uwsgi]\n");
    emperor.write("app.ini~", "[uwsgi]\n");
    let v = emperor.wait_state("old", "refused", Duration::from_secs(10));
    assert!(v["last_error"].as_str().unwrap().contains("YAML"), "{v}");
    assert_eq!(emperor.stats()["vassals"].as_array().unwrap().len(), 1);
    std::fs::remove_dir_all(&emperor.vassals).unwrap();
    std::fs::create_dir(&emperor.vassals).unwrap();
    let port = free_port();
    emperor.write(
        "app.ini",
        &vassal_ini(port, "version.py", "env = VERSION=new"),
    );
    wait_body(port, "version=new", Duration::from_secs(20));
    assert!(emperor.vassal("old").is_none());
    emperor.stop();
}

/// Process faults: a `SIGKILL`ed vassal master takes its workers along and is respawned; a
/// crash-looping vassal backs off while a new healthy one still starts at once.
#[test]
fn killed_master_respawned_and_crash_loop_backs_off() {
    let emperor = Emperor::start("");
    let port = free_port();
    emperor.write(
        "app.ini",
        &vassal_ini(port, "version.py", "env = VERSION=1"),
    );
    wait_body(port, "version=1", Duration::from_secs(20));
    let v = emperor.wait_state("app", "running", Duration::from_secs(10));
    let master = i32::try_from(v["pid"].as_i64().unwrap()).unwrap();
    let workers = descendants(master);
    // Healthy (min-uptime is 1 s here) before the kill, so the respawn is immediate.
    std::thread::sleep(Duration::from_millis(1500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(master),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let gone = wait_for(Duration::from_secs(2), || {
        workers.iter().all(|w| !alive(*w)).then_some(())
    });
    assert!(gone.is_some(), "workers outlived their master by 2 s");
    let v = wait_for(Duration::from_secs(20), || {
        emperor
            .vassal("app")
            .filter(|v| v["state"] == "running" && v["pid"] != master)
    })
    .unwrap_or_else(|| panic!("not respawned:\n{}", emperor.proc.log()));
    assert!(v["respawns"].as_u64().unwrap() >= 1);
    wait_body(port, "version=1", Duration::from_secs(10));

    // A vassal that always dies: backoff grows.
    emperor.write(
        "crash.ini",
        &vassal_ini(free_port(), "crash.py", "need-app = true"),
    );
    let v = wait_for(Duration::from_secs(30), || {
        emperor
            .vassal("crash")
            .filter(|v| v["attempts"].as_u64().unwrap_or(0) >= 3)
    })
    .unwrap_or_else(|| panic!("no backoff:\n{}", emperor.proc.log()));
    assert!(v["backoff"].as_f64().unwrap() >= 1.0, "{v}");
    assert!(
        emperor.stats()["blacklist"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == "crash.ini")
            || v["state"] != "backoff"
    );
    // Meanwhile a new healthy vassal starts within a second or two.
    let port2 = free_port();
    let dropped = Instant::now();
    emperor.write(
        "fresh.ini",
        &vassal_ini(port2, "version.py", "env = VERSION=fresh"),
    );
    wait_body(port2, "version=fresh", Duration::from_secs(10));
    let took = dropped.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "a healthy vassal waited {took:?}"
    );
    emperor.stop();
}

/// P2: SIGKILL of the emperor takes every vassal process with it within 3 s.
#[test]
fn killed_emperor_leaves_nothing() {
    let mut emperor = Emperor::start("");
    let ports: Vec<u16> = (0..2).map(|_| free_port()).collect();
    for (i, port) in ports.iter().enumerate() {
        emperor.write(
            &format!("app{i}.ini"),
            &vassal_ini(*port, "version.py", "processes = 2"),
        );
    }
    for port in &ports {
        wait_body(*port, "version=", Duration::from_secs(20));
    }
    // Two masters with two workers each: the first answer comes from the first worker up,
    // so wait until every worker is forked.
    let all = wait_for(Duration::from_secs(20), || {
        let all = descendants(emperor.proc.pid());
        (all.len() >= 6).then_some(all)
    })
    .unwrap_or_else(|| {
        panic!(
            "not every worker started: {:?}",
            descendants(emperor.proc.pid())
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
        "left after the emperor was killed: {:?}",
        live_children()
    );
    assert_no_strays();
}

/// P4 and P5: a vassal stuck in a request past its mercy is killed with its group; a vassal
/// that daemonized a grandchild in another session leaves nothing behind.
#[test]
fn stuck_and_daemonizing_vassals_leave_nothing() {
    let emperor = Emperor::start("");
    let port = free_port();
    emperor.write(
        "stuck.ini",
        &vassal_ini(port, "slow.py", "worker-reload-mercy = 60"),
    );
    let port2 = free_port();
    emperor.write("daemon.ini", &vassal_ini(port2, "daemonizer.py", ""));
    wait_body(port2, "daemonized", Duration::from_secs(20));
    emperor.wait_state("stuck", "running", Duration::from_secs(20));
    // A request that never ends (slow.py sleeps as long as asked).
    let _hang = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = std::io::Write::write_all(&mut s, b"GET /?3600 HTTP/1.1\r\nHost: t\r\n\r\n");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
    });
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let log = emperor.stop();
    // Mercy is 2 s; the stop must not wait for the 60 s worker mercy.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "stop took {:?}",
        started.elapsed()
    );
    assert!(log.contains("did not stop in time"), "{log}");
}

/// P6: a burst of SIGHUPs coalesces into a few reloads; the vassal keeps serving.
#[test]
fn sighup_burst_coalesces() {
    let emperor = Emperor::start("");
    let port = free_port();
    emperor.write("app.ini", &vassal_ini(port, "version.py", ""));
    wait_body(port, "version=", Duration::from_secs(20));
    emperor.wait_state("app", "running", Duration::from_secs(10));
    for _ in 0..100 {
        emperor.proc.signal("HUP");
    }
    std::thread::sleep(Duration::from_secs(3));
    let v = emperor.wait_state("app", "running", Duration::from_secs(20));
    let respawns = v["respawns"].as_u64().unwrap();
    assert!(
        (1..=5).contains(&respawns),
        "100 SIGHUPs gave {respawns} reloads"
    );
    wait_body(port, "version=", Duration::from_secs(10));
    emperor.stop();
}

/// F6: 200-file churn: the final state equals the directory, nothing stray, flat memory.
#[test]
fn churn_of_200_files() {
    let emperor = Emperor::start("");
    let app = support::apps().join("hello.py");
    let body = |i: usize| {
        format!(
            "[uwsgi]\nsocket = @emperor-churn-{}-{i}\nwsgi-file = {}\nprocesses = 1\n\
             worker-reload-mercy = 2\n",
            std::process::id(),
            app.display()
        )
    };
    let t0 = Instant::now();
    for i in 0..200 {
        emperor.write(&format!("v{i:03}.ini"), &body(i));
    }
    let all_running = |n: usize| {
        wait_for(Duration::from_mins(2), || {
            let stats = emperor.stats();
            let vassals = stats["vassals"].as_array().unwrap();
            (vassals.len() == n && vassals.iter().all(|v| v["state"] == "running")).then_some(())
        })
    };
    assert!(all_running(200).is_some(), "{}", emperor.proc.log());
    eprintln!("200 vassals running after {:?}", t0.elapsed());
    let t0 = Instant::now();
    let rss_before = rss_kb(emperor.proc.pid());
    // Churn: delete half, touch a quarter, add 50.
    for i in (0..200).step_by(2) {
        std::fs::remove_file(emperor.vassals.join(format!("v{i:03}.ini"))).unwrap();
    }
    for i in (1..200).step_by(4) {
        std::fs::write(emperor.vassals.join(format!("v{i:03}.ini")), body(i) + "\n").unwrap();
    }
    for i in 200..250 {
        emperor.write(&format!("v{i:03}.ini"), &body(i));
    }
    assert!(all_running(150).is_some(), "{}", emperor.proc.log());
    eprintln!("churn settled after {:?}", t0.elapsed());
    let names: std::collections::BTreeSet<String> = emperor.stats()["vassals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    let files: std::collections::BTreeSet<String> = std::fs::read_dir(&emperor.vassals)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, files);
    // Masters (one per file) and one worker each: nothing else under the emperor.
    let tree = descendants(emperor.proc.pid());
    assert_eq!(
        tree.len(),
        300,
        "{} processes under the emperor",
        tree.len()
    );
    let rss_after = rss_kb(emperor.proc.pid());
    assert!(
        rss_after < rss_before + 8 * 1024,
        "emperor RSS grew from {rss_before} kB to {rss_after} kB"
    );
    emperor.stop();
}

/// The stats document: uWSGI's emperor keys in order, ours after, valid JSON.
#[test]
fn stats_json_shape() {
    let emperor = Emperor::start("");
    let port = emperor.app_with_stats("");
    let v = wait_for(Duration::from_secs(10), || {
        emperor.vassal("app").filter(|v| v["workers"].is_object())
    })
    .unwrap_or_else(|| panic!("no worker summary: {:?}", emperor.vassal("app")));
    let stats = emperor.stats();
    let keys: Vec<&str> = stats
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "version",
            "pid",
            "uid",
            "gid",
            "cwd",
            "emperor",
            "emperor_tyrant",
            "throttle_level",
            "vassals",
            "blacklist"
        ]
    );
    let vkeys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        &vkeys[..20],
        [
            "id",
            "pid",
            "born",
            "last_mod",
            "last_heartbeat",
            "loyal",
            "ready",
            "accepting",
            "last_loyal",
            "last_ready",
            "last_accepting",
            "first_run",
            "last_run",
            "cursed",
            "zerg",
            "on_demand",
            "uid",
            "gid",
            "monitor",
            "respawns"
        ]
    );
    assert_eq!(v["workers"]["count"], 1);
    get(port).unwrap();
    let requests = wait_for(Duration::from_secs(10), || {
        emperor
            .vassal("app")
            .filter(|v| v["workers"]["requests"].as_u64() >= Some(2))
    });
    assert!(requests.is_some(), "{:?}", emperor.vassal("app"));
    assert_eq!(
        stats["emperor"][0],
        emperor.vassals.to_string_lossy().as_ref()
    );
    emperor.stop();
}

/// systemd: READY=1, STATUS=, RELOADING=1 and STOPPING=1 arrive on `NOTIFY_SOCKET`.
#[test]
fn sd_notify_messages() {
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let emperor = Emperor::start_with_env("", &[("NOTIFY_SOCKET", sock_path.to_str().unwrap())]);
    let mut seen = String::new();
    let recv_until = |needle: &str, seen: &mut String| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !seen.contains(needle) && Instant::now() < deadline {
            let mut buf = [0u8; 4096];
            if let Ok(n) = sock.recv(&mut buf) {
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                seen.push('\n');
            }
        }
        assert!(seen.contains(needle), "no {needle} in {seen:?}");
    };
    recv_until("READY=1", &mut seen);
    assert!(seen.contains("STATUS=governing 0 vassals"), "{seen}");
    let port = free_port();
    emperor.write("app.ini", &vassal_ini(port, "version.py", ""));
    recv_until("STATUS=governing 1 vassals (1 ready)", &mut seen);
    emperor.proc.signal("HUP");
    recv_until("RELOADING=1", &mut seen);
    emperor.proc.signal("TERM");
    recv_until("STOPPING=1", &mut seen);
    emperor.stop();
}

/// `stats-http`: `GET /metrics` on the emperor socket is Prometheus text that
/// `prometheus_client` parses, with per-vassal labels.
#[test]
fn emperor_metrics_and_stats_table() {
    let emperor = Emperor::start("stats-http = true");
    emperor.app_with_stats("");
    emperor.wait_state("app", "running", Duration::from_secs(10));
    let request = |path: &str| {
        let mut s = std::os::unix::net::UnixStream::connect(&emperor.stats).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        std::io::Write::write_all(&mut s, format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
            .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    };
    let metrics = wait_for(Duration::from_secs(10), || {
        let text = request("/metrics");
        text.contains("emperor_vassal_workers{vassal=\"app\"} 1")
            .then_some(text)
    })
    .unwrap_or_else(|| panic!("{}", request("/metrics")));
    assert!(metrics.starts_with("HTTP/1.0 200 OK\r\n"), "{metrics}");
    assert!(
        metrics.contains("emperor_vassal_up{vassal=\"app\"} 1\n"),
        "{metrics}"
    );
    let body = metrics.split_once("\r\n\r\n").unwrap().1;
    if let Some(venv) = support::venv() {
        let out = std::process::Command::new(venv.join("bin/python"))
            .args([
                "-c",
                "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\n\
                 print(sorted(f.name for f in p(sys.stdin.read())))",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                std::io::Write::write_all(&mut c.stdin.take().unwrap(), body.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        let names = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && names.contains("emperor_vassal_up"),
            "{names}"
        );
    }
    // The JSON over HTTP.
    assert!(request("/").contains("\"vassals\""));
    emperor.stop();
}

/// `emperor stats` on the emperor socket: one table of vassals with states and workers.
#[test]
fn emperor_stats_command_shows_every_vassal() {
    let emperor = Emperor::start("");
    emperor.app_with_stats("processes = 2");
    emperor.write("broken.ini", "[uwsgi]\nprocesses = lots\n");
    emperor.wait_state("broken", "bad-config", Duration::from_secs(20));
    let table = wait_for(Duration::from_secs(10), || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_emperor"))
            .args(["stats", &emperor.stats.display().to_string()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .any(|l| l.starts_with("app ") && l.contains("running") && l.contains(" 2 "))
            .then_some(text)
    })
    .unwrap_or_else(|| panic!("no table with the app's 2 workers"));
    let broken = table.lines().find(|l| l.starts_with("broken")).unwrap();
    assert!(
        broken.contains("bad-config") && broken.contains("broken.ini:2"),
        "{table}"
    );
    emperor.stop();
}

// --- tyrant mode (run as root; `scripts/test` creates emperor-test, emperor-test2 and the
// group emperor-test-extra) --------------------------------------------------------------

/// A user's uid and primary gid.
fn user(name: &str) -> Option<(u32, u32)> {
    let u = nix::unistd::User::from_name(name).ok().flatten()?;
    Some((u.uid.as_raw(), u.gid.as_raw()))
}

/// Starts a tyrant emperor whose vassal directory the test users can enter; `None` (and a
/// note) when not root or the users are missing.
/// A user's (uid, primary gid).
type Ids = (u32, u32);

fn tyrant(extra: &str) -> Option<(Emperor, Ids, Ids)> {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: tyrant tests need root");
        return None;
    }
    let (Some(alice), Some(bob)) = (user("emperor-test"), user("emperor-test2")) else {
        eprintln!("skipped: run scripts/test once to create the test users");
        return None;
    };
    let emperor = Emperor::start(&format!("emperor-tyrant = true\n{extra}"));
    Some((emperor, alice, bob))
}

fn chown(path: &Path, (uid, gid): (u32, u32)) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
}

/// `Key:\tvalues` lines of `/proc/PID/status`.
fn proc_status(pid: i32, key: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// T1, T8: the vassal runs as its file's owner, exactly: uid, gid, no supplementary groups,
/// no capability; its environment is the allow-list and it holds no emperor descriptor.
#[test]
fn tyrant_runs_vassals_as_the_file_owner() {
    let Some((emperor, alice, _)) = tyrant("") else {
        return;
    };
    let port = free_port();
    let path = emperor.write("alice.ini", &vassal_ini(port, "whoami.py", ""));
    chown(&path, alice);
    let body = wait_body(port, "uid=", Duration::from_secs(20));
    assert!(
        body.contains(&format!("uid={} gid={}", alice.0, alice.1)),
        "{body}"
    );
    let v = emperor.wait_state("alice", "running", Duration::from_secs(10));
    let master = i32::try_from(v["pid"].as_i64().unwrap()).unwrap();
    let mut pids = vec![master];
    pids.extend(descendants(master));
    for pid in pids {
        let id = alice.0.to_string();
        assert_eq!(proc_status(pid, "Uid"), [id.as_str(); 4].join(" "));
        let gid = alice.1.to_string();
        assert_eq!(proc_status(pid, "Gid"), [gid.as_str(); 4].join(" "));
        assert_eq!(proc_status(pid, "Groups"), "", "no supplementary group");
        for caps in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
            assert_eq!(
                proc_status(pid, caps),
                "0000000000000000",
                "{caps} of {pid}"
            );
        }
        assert_eq!(proc_status(pid, "NoNewPrivs"), "0");
    }
    let environ = std::fs::read(format!("/proc/{master}/environ")).unwrap();
    let environ = String::from_utf8_lossy(&environ).replace('\0', "\n");
    assert!(environ.contains("\nUSER=emperor-test\n"), "{environ}");
    for leak in [
        "NOTIFY_SOCKET",
        "LISTEN_FDS",
        "LD_PRELOAD",
        "EMPEROR_SECRET",
    ] {
        assert!(!environ.contains(leak), "{leak} leaked: {environ}");
    }
    for fd in std::fs::read_dir(format!("/proc/{master}/fd"))
        .unwrap()
        .flatten()
    {
        let target = std::fs::read_link(fd.path()).unwrap_or_default();
        let target = target.to_string_lossy();
        assert!(
            !target.contains("emperor-stats") && !target.contains("inotify"),
            "the vassal holds an emperor descriptor: {target}"
        );
    }
    emperor.stop();
}

/// T2, T9: root-owned, group-writable and hard-linked files are refused with the fix in the
/// message, and not retried until they change; fixed, they run.
#[test]
fn tyrant_refuses_unsafe_files() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some((emperor, alice, _)) = tyrant("") else {
        return;
    };
    let port = free_port();
    emperor.write("rooted.ini", &vassal_ini(port, "whoami.py", ""));
    let v = emperor.wait_state("rooted", "refused", Duration::from_secs(10));
    let error = v["last_error"].as_str().unwrap();
    assert!(
        error.contains("uid 0") && error.contains("chown"),
        "{error}"
    );
    assert_eq!(v["pid"], -1);

    let writable = emperor.write("writable.ini", &vassal_ini(free_port(), "whoami.py", ""));
    chown(&writable, alice);
    std::fs::set_permissions(&writable, std::fs::Permissions::from_mode(0o664)).unwrap();
    let v = emperor.wait_state("writable", "refused", Duration::from_secs(10));
    assert!(
        v["last_error"].as_str().unwrap().contains("chmod go-w"),
        "{v}"
    );

    let outside = emperor.vassals.parent().unwrap().join("elsewhere.ini");
    std::fs::write(&outside, vassal_ini(free_port(), "whoami.py", "")).unwrap();
    chown(&outside, alice);
    std::fs::hard_link(&outside, emperor.vassals.join("linked.ini")).unwrap();
    let v = emperor.wait_state("linked", "refused", Duration::from_secs(10));
    assert!(
        v["last_error"].as_str().unwrap().contains("hard link"),
        "{v}"
    );

    // The fix: chown the root-owned one to alice; it starts, as alice.
    chown(&emperor.vassals.join("rooted.ini"), alice);
    let body = wait_body(port, "uid=", Duration::from_secs(20));
    assert!(body.contains(&format!("uid={}", alice.0)), "{body}");
    emperor.stop();
}

/// T3, T6: a tyrant vassal asking for another user (or root) is refused by the vassal itself
/// (exit 26, not a respawn loop); including a file its owner cannot read fails with EACCES.
#[test]
fn tyrant_vassals_cannot_become_someone_else() {
    use std::os::unix::fs::PermissionsExt as _;
    let Some((emperor, alice, _)) = tyrant("") else {
        return;
    };
    for (name, line) in [
        ("asks-bob", "uid = emperor-test2"),
        ("asks-root", "uid = 0"),
    ] {
        let path = emperor.write(
            &format!("{name}.ini"),
            &vassal_ini(free_port(), "whoami.py", line),
        );
        chown(&path, alice);
        let v = emperor.wait_state(name, "bad-config", Duration::from_secs(20));
        let error = v["last_error"].as_str().unwrap();
        assert!(
            error.contains("uid") && error.contains(&format!("{name}.ini:")),
            "{error}"
        );
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(emperor.vassal(name).unwrap()["respawns"], 0, "not retried");
    }
    let secret = emperor.vassals.parent().unwrap().join("root-only.ini");
    std::fs::write(&secret, "[uwsgi]\nprocesses = 1\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = emperor.write(
        "nosy.ini",
        &vassal_ini(
            free_port(),
            "whoami.py",
            &format!("ini = {}", secret.display()),
        ),
    );
    chown(&path, alice);
    let v = emperor.wait_state("nosy", "bad-config", Duration::from_secs(20));
    let error = v["last_error"].as_str().unwrap();
    assert!(
        error.to_lowercase().contains("permission denied"),
        "{error}"
    );
    emperor.stop();
}

/// T4: a symlink to another user's file is refused; with `emperor-tyrant-nofollow`, only
/// when the link's owner owns the target, and then the vassal runs as that owner.
#[test]
fn tyrant_symlinks() {
    let Some((emperor, alice, bob)) = tyrant("emperor-tyrant-nofollow = true") else {
        return;
    };
    let bobs = emperor.vassals.parent().unwrap().join("bobs.ini");
    let port = free_port();
    std::fs::write(&bobs, vassal_ini(port, "whoami.py", "")).unwrap();
    chown(&bobs, bob);
    let link = emperor.vassals.join("alice.ini");
    std::os::unix::fs::symlink(&bobs, &link).unwrap();
    chown(&link, alice);
    let v = emperor.wait_state("alice", "refused", Duration::from_secs(10));
    assert!(
        v["last_error"]
            .as_str()
            .unwrap()
            .contains("link's owner must own the target"),
        "{v}"
    );
    // The link given to bob: now it runs, as bob.
    chown(&link, bob);
    std::fs::write(&bobs, vassal_ini(port, "whoami.py", "env = X=1")).unwrap();
    let body = wait_body(port, "uid=", Duration::from_secs(20));
    assert!(body.contains(&format!("uid={}", bob.0)), "{body}");
    emperor.stop();

    // Without the opt-in, any symlink is refused.
    let Some((emperor, alice, _)) = tyrant("") else {
        return;
    };
    let mine = emperor.vassals.parent().unwrap().join("mine.ini");
    std::fs::write(&mine, vassal_ini(free_port(), "whoami.py", "")).unwrap();
    chown(&mine, alice);
    let link = emperor.vassals.join("mine.ini");
    std::os::unix::fs::symlink(&mine, &link).unwrap();
    chown(&link, alice);
    let v = emperor.wait_state("mine", "refused", Duration::from_secs(10));
    assert!(
        v["last_error"].as_str().unwrap().contains("symbolic link"),
        "{v}"
    );
    emperor.stop();
}

/// T7: a chown of a running vassal's file restarts it as the new owner.
#[test]
fn tyrant_chown_while_running() {
    let Some((emperor, alice, bob)) = tyrant("") else {
        return;
    };
    let port = free_port();
    let path = emperor.write("app.ini", &vassal_ini(port, "whoami.py", ""));
    chown(&path, alice);
    wait_body(port, &format!("uid={}", alice.0), Duration::from_secs(20));
    chown(&path, bob);
    wait_body(port, &format!("uid={}", bob.0), Duration::from_secs(30));
    emperor.stop();
}

/// T10: supplementary groups: none by default, the owner's with `emperor-tyrant-initgroups`.
#[test]
fn tyrant_initgroups() {
    let Some((emperor, alice, _)) = tyrant("emperor-tyrant-initgroups = true") else {
        return;
    };
    let extra = nix::unistd::Group::from_name("emperor-test-extra")
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw());
    let port = free_port();
    let path = emperor.write("alice.ini", &vassal_ini(port, "whoami.py", ""));
    chown(&path, alice);
    wait_body(port, "uid=", Duration::from_secs(20));
    let v = emperor.wait_state("alice", "running", Duration::from_secs(10));
    let master = i32::try_from(v["pid"].as_i64().unwrap()).unwrap();
    let groups = proc_status(master, "Groups");
    assert!(
        groups.split(' ').any(|g| g == alice.1.to_string()),
        "{groups}"
    );
    if let Some(extra) = extra {
        assert!(
            groups.split(' ').any(|g| g == extra.to_string()),
            "{groups}"
        );
    }
    emperor.stop();
}

/// The unprivileged emperor (the seed's Fedora setup: `uid`/`gid` of a service user and
/// `cap = setgid,setuid`): it runs as that user with only the capabilities it needs, and the
/// vassals it starts run as their owners with none.
#[test]
fn tyrant_unprivileged_emperor() {
    let Some(service) = user("emperor-test2") else {
        return;
    };
    let Some((emperor, alice, _)) =
        tyrant("uid = emperor-test2\ngid = emperor-test2\ncap = setgid,setuid")
    else {
        return;
    };
    let pid = emperor.proc.pid();
    assert_eq!(
        proc_status(pid, "Uid"),
        [service.0.to_string().as_str(); 4].join(" "),
        "{}",
        emperor.proc.log()
    );
    let effective = u64::from_str_radix(&proc_status(pid, "CapEff"), 16).unwrap();
    assert_ne!(effective & (1 << 7), 0, "CAP_SETUID kept");
    assert_eq!(effective & (1 << 21), 0, "CAP_SYS_ADMIN dropped");
    let port = free_port();
    let path = emperor.write("alice.ini", &vassal_ini(port, "whoami.py", ""));
    chown(&path, alice);
    let body = wait_body(port, "uid=", Duration::from_secs(20));
    assert!(
        body.contains(&format!("uid={} gid={}", alice.0, alice.1)),
        "{body}"
    );
    let v = emperor.wait_state("alice", "running", Duration::from_secs(10));
    let master = i32::try_from(v["pid"].as_i64().unwrap()).unwrap();
    for caps in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(proc_status(master, caps), "0000000000000000", "{caps}");
    }
    emperor.stop();
}

/// T5: swapping a vassal file between two owners' versions at a high rate never runs one
/// owner's bytes as the other: every answer's uid matches the owner its config names.
#[test]
fn tyrant_swap_race_never_mixes_owners() {
    let Some((emperor, alice, bob)) = tyrant("") else {
        return;
    };
    let port = free_port();
    let staging = emperor.vassals.parent().unwrap();
    let version = |who: &str, ids: Ids, n: usize| {
        let path = staging.join(format!("{who}-{n}.ini"));
        std::fs::write(
            &path,
            vassal_ini(port, "owner.py", &format!("env = OWNER={}", ids.0)),
        )
        .unwrap();
        chown(&path, ids);
        path
    };
    let target = emperor.vassals.join("app.ini");
    std::fs::rename(version("alice", alice, 0), &target).unwrap();
    wait_body(port, "owner=", Duration::from_secs(20));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let staging = staging.to_path_buf();
        let target = target.clone();
        std::thread::spawn(move || {
            let mut n = 1;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (who, ids) = if n % 2 == 0 {
                    ("alice", alice)
                } else {
                    ("bob", bob)
                };
                let path = staging.join(format!("{who}-{n}.ini"));
                std::fs::write(
                    &path,
                    vassal_ini(port, "owner.py", &format!("env = OWNER={}", ids.0)),
                )
                .unwrap();
                std::os::unix::fs::lchown(&path, Some(ids.0), Some(ids.1)).unwrap();
                std::fs::rename(&path, &target).unwrap();
                n += 1;
                std::thread::sleep(Duration::from_millis(15));
            }
            n
        })
    };
    let deadline = Instant::now() + Duration::from_secs(6);
    let mut answers = 0;
    while Instant::now() < deadline {
        if let Some(body) = get(port) {
            let uid = body
                .split("uid=")
                .nth(1)
                .and_then(|r| r.split_whitespace().next());
            let owner = body.split("owner=").nth(1).map(str::trim);
            assert_eq!(uid, owner, "one owner's bytes ran as another: {body}");
            answers += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    eprintln!("{swaps} swaps, {answers} answers checked");
    assert!(
        swaps > 100 && answers > 0,
        "{swaps} swaps, {answers} answers"
    );
    // Settled: the last version runs as its owner.
    std::thread::sleep(Duration::from_secs(2));
    let body = wait_body(port, "owner=", Duration::from_secs(30));
    let uid = body
        .split("uid=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next());
    assert_eq!(uid, body.split("owner=").nth(1).map(str::trim), "{body}");
    emperor.stop();
}

/// Layering: emperor defaults (`vassal-set`) < the vassal file < forced overrides
/// (`vassals-include`); an override can never lift a tyrant vassal's identity.
#[test]
fn layering_defaults_file_overrides() {
    let emperor = Emperor::start("vassal-set = env=VERSION=default");
    let (a, b) = (free_port(), free_port());
    emperor.write("a.ini", &vassal_ini(a, "version.py", "env = VERSION=file"));
    emperor.write("b.ini", &vassal_ini(b, "version.py", ""));
    wait_body(a, "version=file", Duration::from_secs(20));
    wait_body(b, "version=default", Duration::from_secs(20));
    emperor.stop();

    let defaults = tempfile::tempdir().unwrap();
    let forced = defaults.path().join("forced.ini");
    std::fs::write(&forced, "[uwsgi]\nenv = VERSION=forced\n").unwrap();
    let emperor = Emperor::start(&format!("vassals-include = {}", forced.display()));
    let a = free_port();
    emperor.write("a.ini", &vassal_ini(a, "version.py", "env = VERSION=file"));
    wait_body(a, "version=forced", Duration::from_secs(20));
    emperor.stop();

    // Tyrant: a forced `uid = 0` is refused by the vassal itself.
    let dir = tempfile::tempdir().unwrap();
    let forced = dir.path().join("forced.ini");
    std::fs::write(&forced, "[uwsgi]\nuid = 0\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let Some((emperor, alice, _)) = tyrant(&format!("vassals-include = {}", forced.display()))
    else {
        return;
    };
    let path = emperor.write("alice.ini", &vassal_ini(free_port(), "whoami.py", ""));
    chown(&path, alice);
    let v = emperor.wait_state("alice", "bad-config", Duration::from_secs(20));
    assert!(v["last_error"].as_str().unwrap().contains("uid"), "{v}");
    emperor.stop();
}

/// On demand: the emperor binds the vassal's socket and starts it on the first connection
/// (the socket is its fd 0); `idle` + `die-on-idle` hand it back, and the next connection
/// starts it again.
#[test]
fn on_demand_vassal_starts_on_connection_and_goes_back_when_idle() {
    let sockets = tempfile::tempdir().unwrap();
    let emperor = Emperor::start(&format!(
        "emperor-on-demand-directory = {}",
        sockets.path().display()
    ));
    emperor.write(
        "od.ini",
        &format!(
            "[uwsgi]\nprotocol = http\nwsgi-file = {}\nprocesses = 1\nworker-reload-mercy = 2\n\
             idle = 2\ndie-on-idle = true\n",
            support::apps().join("version.py").display()
        ),
    );
    let socket = sockets.path().join("od.socket");
    let v = emperor.wait_state("od", "on-demand", Duration::from_secs(10));
    assert_eq!(v["pid"], -1, "not started before a connection: {v}");
    assert_eq!(v["on_demand"], socket.to_string_lossy().as_ref());
    let ask = || {
        let mut s = std::os::unix::net::UnixStream::connect(&socket).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
        std::io::Write::write_all(&mut s, b"GET / HTTP/1.0\r\nHost: t\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        text.contains("version=").then_some(text)
    };
    let first = ask().unwrap_or_else(|| panic!("no answer:\n{}", emperor.proc.log()));
    assert!(
        first.starts_with("HTTP/1.0 200") || first.starts_with("HTTP/1.1 200"),
        "{first}"
    );
    let v = emperor.wait_state("od", "running", Duration::from_secs(10));
    let master = i32::try_from(v["pid"].as_i64().unwrap()).unwrap();
    // Idle for 2 s: it dies, and the emperor listens again.
    let v = emperor.wait_state("od", "on-demand", Duration::from_secs(20));
    assert_eq!(v["pid"], -1);
    assert!(wait_for(Duration::from_secs(5), || (!alive(master)).then_some(())).is_some());
    assert!(emperor.proc.log().contains("die-on-idle"));
    let again = ask().unwrap_or_else(|| panic!("no second answer:\n{}", emperor.proc.log()));
    assert!(again.contains("version="), "{again}");
    emperor.stop();
    assert!(!socket.exists(), "the socket is removed with its vassal");
}

/// The emperor started unprivileged, the way systemd's `User=` + `AmbientCapabilities=` (or
/// `setpriv`) starts it: it governs tyrant vassals with only the capabilities DESIGN lists,
/// and the vassals keep none.
#[test]
fn tyrant_emperor_started_unprivileged_by_setpriv() {
    use std::os::unix::fs::PermissionsExt as _;
    if !nix::unistd::Uid::effective().is_root()
        || Command::new("setpriv").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs root and setpriv");
        return;
    }
    let (Some(alice), Some(service)) = (user("emperor-test"), user("emperor-test2")) else {
        eprintln!("skipped: run scripts/test once to create the test users");
        return;
    };
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    chown(&run, service);
    let vassals = dir.path().join("vassals");
    std::fs::create_dir(&vassals).unwrap();
    std::fs::set_permissions(&vassals, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stats = run.join("stats.sock");
    let ini = dir.path().join("emperor.ini");
    std::fs::write(
        &ini,
        format!(
            "[uwsgi]\nemperor = {}\nemperor-tyrant = true\nemperor-stats = {}\nemperor-freq = 1\n\
             reload-mercy = 2\n",
            vassals.display(),
            stats.display()
        ),
    )
    .unwrap();
    let caps = "+setuid,+setgid,+kill,+dac_read_search,+chown";
    let log = dir.path().join("emperor.log");
    let mut emperor = Command::new("setpriv")
        .args([
            &format!("--reuid={}", service.0),
            &format!("--regid={}", service.1),
            "--clear-groups",
            &format!("--inh-caps={caps}"),
            &format!("--ambient-caps={caps}"),
            env!("CARGO_BIN_EXE_emperor"),
            ini.to_str().unwrap(),
        ])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let pid = i32::try_from(emperor.id()).unwrap();
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let up = wait_for(Duration::from_secs(20), || {
        std::os::unix::net::UnixStream::connect(&stats).ok()
    });
    assert!(up.is_some(), "{}", log_text());
    assert_eq!(
        proc_status(pid, "Uid"),
        [service.0.to_string().as_str(); 4].join(" ")
    );
    let port = free_port();
    let path = vassals.join("alice.ini");
    std::fs::write(&path, vassal_ini(port, "whoami.py", "")).unwrap();
    chown(&path, alice);
    let body = wait_body(port, "uid=", Duration::from_secs(20));
    assert!(
        body.contains(&format!("uid={} gid={}", alice.0, alice.1)),
        "{body}\n{}",
        log_text()
    );
    let master = descendants(pid)
        .into_iter()
        .find(|p| proc_status(*p, "Uid").starts_with(&alice.0.to_string()))
        .unwrap();
    for caps in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(proc_status(master, caps), "0000000000000000", "{caps}");
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_for(Duration::from_secs(20), || {
        emperor.try_wait().ok().flatten()
    });
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", log_text());
    assert_no_strays();
}

/// `emperor-required-heartbeat`: a vassal that sent heartbeats and then stops (here: its
/// master is frozen with SIGSTOP) is killed with its group and respawned.
#[test]
fn missing_heartbeats_get_a_vassal_killed_and_respawned() {
    let emperor = Emperor::start("emperor-required-heartbeat = 2");
    let port = free_port();
    emperor.write("app.ini", &vassal_ini(port, "version.py", "heartbeat = 1"));
    wait_body(port, "version=", Duration::from_secs(20));
    let v = wait_for(Duration::from_secs(10), || {
        emperor
            .vassal("app")
            .filter(|v| v["last_heartbeat"].as_u64() > Some(0))
    })
    .unwrap_or_else(|| panic!("no heartbeat seen: {:?}", emperor.vassal("app")));
    let master = i32::try_from(v["pid"].as_i64().unwrap()).unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(master),
        nix::sys::signal::Signal::SIGSTOP,
    )
    .unwrap();
    let v = wait_for(Duration::from_secs(20), || {
        emperor
            .vassal("app")
            .filter(|v| v["state"] == "running" && v["pid"] != master)
    })
    .unwrap_or_else(|| panic!("not respawned:\n{}", emperor.proc.log()));
    assert!(v["respawns"].as_u64().unwrap() >= 1);
    assert!(!alive(master));
    assert!(emperor.proc.log().contains("sent no heartbeat"));
    wait_body(port, "version=", Duration::from_secs(10));
    emperor.stop();
}
