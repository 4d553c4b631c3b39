//! The vassal's lifecycle end to end: graceful reloads that drop nothing and pick up new code,
//! an invalid edit that leaves the running version serving.

mod support;

use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use support::{Proc, Response, free_port, raw_exchange};

const V1: &str =
    "def application(e, sr):\n    sr('200 OK', [('Content-Length', '3')])\n    return [b'v1\\n']\n";

/// One short-lived request; `Err` describes a failure (refused, reset, bad status).
fn request(port: u16) -> Result<String, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let raw = raw_exchange(&mut s, b"GET / HTTP/1.0\r\n\r\n");
    if raw.is_empty() {
        return Err("empty response".into());
    }
    let r = Response::parse(&raw);
    if r.status == 200 {
        Ok(r.text())
    } else {
        Err(format!("status {}", r.status))
    }
}

/// Starts a vassal serving `app.py` (V1) from an `app.ini` holding an HTTP socket, the app,
/// and `extra` lines. Returns the vassal, its port and the ini text.
fn start_ini(extra: &str) -> (Proc, u16, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), V1).unwrap();
    let port = free_port();
    let ini = format!("[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = app.py\n{extra}");
    std::fs::write(dir.path().join("app.ini"), &ini).unwrap();
    let mut p = Proc::start_in(dir, &["app.ini"], &[]);
    p.wait_port(port);
    (p, port, ini)
}

/// Starts a vassal serving `app.py` (V1) from the command line, with `files` written beside it
/// first and `args` after the socket and the app.
fn start_args(files: &[(&str, &str)], args: &[&str]) -> (Proc, u16) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.py"), V1).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut all = vec!["--http-socket", addr.as_str(), "--wsgi-file", "app.py"];
    all.extend_from_slice(args);
    let mut p = Proc::start_in(dir, &all, &[]);
    p.wait_port(port);
    (p, port)
}

/// Stops the vassal gracefully (exit 0) and checks nothing is left of it.
fn finish(mut p: Proc) {
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

#[test]
fn sighup_reload_picks_up_new_code_and_drops_no_request() {
    let (mut p, port, _ini) = start_ini("processes = 2\n");
    assert_eq!(request(port).unwrap(), "v1\n");

    // Clients hammer the vassal while it reloads.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (stop, ok) = (Arc::clone(&stop), Arc::clone(&ok));
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    match request(port) {
                        Ok(_) => {
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => failures.push(e),
                    }
                }
                failures
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(p.dir.path().join("app.py"), V1.replace("v1", "v2")).unwrap();
    p.signal("HUP");
    assert!(
        p.wait_log("binary reloading emperor", Duration::from_secs(20)),
        "{}",
        p.log()
    );
    let upgraded = support::wait_for(Duration::from_secs(20), || {
        request(port).ok().filter(|b| b == "v2\n")
    });
    assert!(
        upgraded.is_some(),
        "the new code serves after the reload:\n{}",
        p.log()
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let failures: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "requests failed during the reload: {failures:?}\n{}",
        p.log()
    );
    assert!(
        ok.load(Ordering::SeqCst) > 50,
        "the clients kept being served"
    );
    assert!(
        p.child.try_wait().unwrap().is_none(),
        "the master kept its pid (it re-executed in place)"
    );
    assert!(
        p.log().contains("http socket inherited at"),
        "the listener was handed over: {}",
        p.log()
    );
    finish(p);
}

#[test]
fn an_invalid_edit_is_refused_and_the_running_version_keeps_serving() {
    let (p, port, ini) = start_ini("");
    std::fs::write(
        p.dir.path().join("app.ini"),
        format!("{ini}processes = lots\n"),
    )
    .unwrap();
    p.signal("HUP");
    assert!(
        p.wait_log("reload refused", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    assert!(
        p.log()
            .contains("app.ini:4: error: `processes = lots` is not a number"),
        "{}",
        p.log()
    );
    assert_eq!(
        request(port).unwrap(),
        "v1\n",
        "the running workers still serve"
    );
    assert!(!p.log().contains("binary reloading"));
    finish(p);
}

#[test]
fn touch_reload_on_the_config_file_reloads() {
    let (p, port, ini) = start_ini("touch-reload = %p\n");
    assert!(
        p.wait_log("spawned emperor worker 1", Duration::from_secs(20)),
        "{}",
        p.log()
    );
    std::fs::write(p.dir.path().join("app.py"), V1.replace("v1", "v3")).unwrap();
    // A new modification time: rewrite the config a moment later.
    std::thread::sleep(Duration::from_millis(50));
    std::fs::write(p.dir.path().join("app.ini"), format!("{ini}; touched\n")).unwrap();
    assert!(
        p.wait_log(
            "has been touched... grace them all",
            Duration::from_secs(10)
        ),
        "{}",
        p.log()
    );
    let upgraded = support::wait_for(Duration::from_secs(20), || {
        request(port).ok().filter(|b| b == "v3\n")
    });
    assert!(upgraded.is_some(), "{}", p.log());
    finish(p);
}

fn worker_pids(master: i32) -> Vec<i32> {
    support::child_pids(master)
}

#[test]
fn max_worker_lifetime_recycles_workers() {
    let (p, port) = start_args(&[], &["--max-worker-lifetime", "1"]);
    assert!(
        p.wait_log(
            "is recycled: lifetime reached (1 s)",
            Duration::from_secs(20)
        ),
        "{}",
        p.log()
    );
    assert!(
        p.wait_log("Respawned emperor worker 1", Duration::from_secs(20)),
        "{}",
        p.log()
    );
    assert_eq!(request(port).unwrap(), "v1\n");
    finish(p);
}

#[test]
fn sigttou_and_sigttin_remove_and_add_workers() {
    let (p, port) = start_args(&[], &["--processes", "3"]);
    let master = p.pid();
    assert!(
        support::wait_for(Duration::from_secs(20), || (worker_pids(master).len() == 3)
            .then_some(()))
        .is_some(),
        "{}",
        p.log()
    );
    p.signal("TTOU");
    assert!(
        support::wait_for(Duration::from_secs(20), || (worker_pids(master).len() == 2)
            .then_some(()))
        .is_some(),
        "{}",
        p.log()
    );
    assert!(
        p.log()
            .contains("SIGTTOU: removing worker 3 (2 of 3 running)"),
        "{}",
        p.log()
    );
    p.signal("TTIN");
    assert!(
        support::wait_for(Duration::from_secs(20), || (worker_pids(master).len() == 3)
            .then_some(()))
        .is_some(),
        "{}",
        p.log()
    );
    p.signal("TTIN");
    assert!(
        p.wait_log(
            "already running the maximum of 3 workers",
            Duration::from_secs(10)
        ),
        "{}",
        p.log()
    );
    assert_eq!(request(port).unwrap(), "v1\n");
    finish(p);
}

#[test]
fn master_fifo_commands() {
    let (mut p, port) = start_args(&[], &["--processes", "2", "--master-fifo", "master.fifo"]);
    let fifo = p.dir.path().join("master.fifo");
    assert!(
        support::wait_for(Duration::from_secs(20), || fifo.exists().then_some(())).is_some(),
        "{}",
        p.log()
    );
    let master = p.pid();
    assert!(
        support::wait_for(Duration::from_secs(20), || (worker_pids(master).len() == 2)
            .then_some(()))
        .is_some()
    );
    let before = worker_pids(master);
    let send = |cmd: &str| std::fs::write(&fifo, cmd).unwrap();
    send("s");
    assert!(
        p.wait_log("total requests:", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    send("w");
    assert!(
        p.wait_log("reloading the workers gracefully", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    let replaced = support::wait_for(Duration::from_secs(20), || {
        let now = worker_pids(master);
        (now.len() == 2 && now.iter().all(|pid| !before.contains(pid))).then_some(())
    });
    assert!(replaced.is_some(), "both workers replaced:\n{}", p.log());
    assert_eq!(request(port).unwrap(), "v1\n");
    send("q");
    let status = support::wait_for(Duration::from_secs(30), || {
        p.child.try_wait().ok().flatten()
    })
    .expect("q stops the vassal");
    assert_eq!(status.code(), Some(0), "{}", p.log());
    assert!(!fifo.exists(), "the FIFO is removed on exit");
    p.assert_nothing_left();
}

#[test]
fn chain_reload_replaces_lazy_workers_one_at_a_time() {
    let (p, port, _ini) =
        start_ini("processes = 2\nlazy-apps = true\ntouch-chain-reload = chain.touch\n");
    assert!(
        p.wait_log("spawned emperor worker 2", Duration::from_secs(20)),
        "{}",
        p.log()
    );
    assert_eq!(request(port).unwrap(), "v1\n");
    std::fs::write(p.dir.path().join("app.py"), V1.replace("v1", "v4")).unwrap();
    std::fs::write(p.dir.path().join("chain.touch"), "now").unwrap();
    assert!(
        p.wait_log("chain reloading complete", Duration::from_secs(30)),
        "{}",
        p.log()
    );
    let log = p.log();
    let first = log
        .find("chain next victim is worker 1")
        .expect("worker 1 first");
    let second = log
        .find("chain next victim is worker 2")
        .expect("then worker 2");
    assert!(first < second, "{log}");
    assert_eq!(
        request(port).unwrap(),
        "v4\n",
        "lazy workers load the new code"
    );
    finish(p);
}

#[test]
fn touch_workers_reload_replaces_lazy_workers_and_keeps_the_master() {
    let (p, port, _ini) = start_ini("lazy-apps = true\ntouch-workers-reload = workers.touch\n");
    assert!(
        p.wait_log("spawned emperor worker 1", Duration::from_secs(20)),
        "{}",
        p.log()
    );
    std::fs::write(p.dir.path().join("app.py"), V1.replace("v1", "v5")).unwrap();
    std::fs::write(p.dir.path().join("workers.touch"), "now").unwrap();
    assert!(
        p.wait_log("workers reload !!!", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    let upgraded = support::wait_for(Duration::from_secs(20), || {
        request(port).ok().filter(|b| b == "v5\n")
    });
    assert!(upgraded.is_some(), "{}", p.log());
    assert!(
        !p.log().contains("binary reloading"),
        "the master did not re-execute"
    );
    finish(p);
}

#[test]
fn attach_daemon_is_respawned_and_stopped_with_its_children() {
    // The daemon writes its pid, starts a grandchild, then waits.
    let script = "echo $$ >> pids\nsleep 1000 &\necho $! >> kids\nwait\n";
    let (mut p, port) = start_args(
        &[("daemon.sh", script)],
        &["--attach-daemon", "sh daemon.sh"],
    );
    let workdir = p.dir.path().to_path_buf();
    let pids = |name: &str| -> Vec<i32> {
        std::fs::read_to_string(workdir.join(name))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect()
    };
    let alive = support::alive;
    assert!(
        support::wait_for(Duration::from_secs(20), || (pids("pids").len() == 1)
            .then_some(()))
        .is_some(),
        "{}",
        p.log()
    );
    let first = pids("pids")[0];
    std::process::Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .unwrap();
    assert!(
        support::wait_for(Duration::from_secs(20), || (pids("pids").len() == 2)
            .then_some(()))
        .is_some(),
        "respawned:\n{}",
        p.log()
    );
    assert_eq!(request(port).unwrap(), "v1\n");
    let second = pids("pids")[1];
    // Not `finish`: the temp dir (with the pid files) must outlive the stop.
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0), "{}", p.log());
    p.assert_nothing_left();
    let gone = support::wait_for(Duration::from_secs(10), || {
        (!alive(second) && pids("kids").iter().skip(1).all(|k| !alive(*k))).then_some(())
    });
    assert!(
        gone.is_some(),
        "the daemon and its child are stopped with the vassal"
    );
    // The first daemon's orphaned child is the leftover of a SIGKILL; clean it up.
    for kid in pids("kids") {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &kid.to_string()])
            .status();
    }
}

/// `idle`: after that long without a request the workers stop (cheap mode) and the master
/// waits on the listener; the next request brings them back and is answered.
#[test]
fn idle_goes_cheap_and_the_next_request_wakes_the_workers() {
    let (p, port) = start_args(&[], &["--processes", "2", "--idle", "1"]);
    assert_eq!(request(port).unwrap(), "v1\n");
    assert!(
        p.wait_log("cheap mode enabled", Duration::from_secs(15)),
        "{}",
        p.log()
    );
    assert!(
        p.wait_log("stopped", Duration::from_secs(10)),
        "the workers stop in cheap mode:\n{}",
        p.log()
    );
    assert_eq!(request(port).unwrap(), "v1\n", "{}", p.log());
    assert!(p.log().contains("cheap mode disabled"));
    finish(p);
}

fn app_path(name: &str) -> String {
    support::apps().join(name).display().to_string()
}

/// The pid answering on `port` (tests/apps/whoami.py).
fn worker_pid(port: u16) -> String {
    let body = support::http_get(port, "/").text();
    body.split("pid=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

/// `max-requests` is held back by `min-worker-lifetime` (uWSGI's 10 s guard); with the guard
/// at 0 the worker is replaced right after its limit.
#[test]
fn max_requests_respects_min_worker_lifetime() {
    let whoami = app_path("whoami.py");
    let (p, port) = support::http_vassal(&["--wsgi-file", &whoami, "--max-requests", "2"]);
    let first = worker_pid(port);
    for _ in 0..4 {
        assert_eq!(
            worker_pid(port),
            first,
            "recycled before min-worker-lifetime"
        );
    }
    finish(p);
    let (p, port) = support::http_vassal(&[
        "--wsgi-file",
        &whoami,
        "--max-requests",
        "2",
        "--min-worker-lifetime",
        "0",
    ]);
    let first = worker_pid(port);
    let _ = worker_pid(port);
    let third = support::wait_for(Duration::from_secs(10), || {
        let pid = worker_pid(port);
        (!pid.is_empty()).then_some(pid)
    })
    .unwrap();
    assert_ne!(third, first, "{}", p.log());
    assert!(p.log().contains("max requests reached"), "{}", p.log());
    finish(p);
}

/// `reload-on-exception`: the worker whose app raised is replaced after that response.
#[test]
fn reload_on_exception_replaces_the_worker() {
    let (p, port) = support::http_vassal(&[
        "--wsgi-file",
        &app_path("boom.py"),
        "--reload-on-exception",
        "--min-worker-lifetime",
        "0",
    ]);
    assert_eq!(support::http_get(port, "/ok").status, 200);
    assert_eq!(support::http_get(port, "/").status, 500);
    assert!(
        p.wait_log("reload-on-exception", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    let ok = support::wait_for(Duration::from_secs(10), || {
        (support::http_get(port, "/ok").status == 200).then_some(())
    });
    assert!(ok.is_some());
    finish(p);
}

/// `harakiri-graceful-timeout`: the stuck worker gets SIGTERM first, SIGKILL after the grace.
#[test]
fn harakiri_graceful_timeout_signals_then_kills() {
    let (p, port) = support::http_vassal(&[
        "--wsgi-file",
        &app_path("slow.py"),
        "--harakiri",
        "1",
        "--harakiri-graceful-timeout",
        "2",
    ]);
    let stuck = std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _ = raw_exchange(&mut s, b"GET /?30 HTTP/1.0\r\n\r\n");
    });
    assert!(
        p.wait_log("HARAKIRI ON WORKER", Duration::from_secs(15)),
        "{}",
        p.log()
    );
    assert!(
        p.wait_log("taking too much time to die", Duration::from_secs(15)),
        "no SIGKILL after the grace:\n{}",
        p.log()
    );
    let _ = stuck.join();
    assert_eq!(support::http_get(port, "/?0").status, 200);
    finish(p);
}

/// `cpu-affinity 1`: worker W runs on CPU (W-1) mod ncpu, visible in `/proc/PID/status`.
#[test]
fn cpu_affinity_pins_each_worker() {
    let (p, _port) = support::http_vassal(&[
        "--wsgi-file",
        &app_path("whoami.py"),
        "--processes",
        "2",
        "--cpu-affinity",
        "1",
    ]);
    assert!(
        p.wait_log("mapping worker 2 to CPUs", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    let ncpu = std::fs::read_to_string("/sys/devices/system/cpu/online").unwrap();
    let ncpu: usize = ncpu
        .trim()
        .rsplit(['-', ','])
        .next()
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(1, |n| n + 1);
    let log = p.log();
    let workers: Vec<(usize, String)> = log
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("spawned emperor worker ")?;
            let (id, pid) = rest.split_once(" (pid: ")?;
            Some((
                id.parse::<usize>().ok()?,
                pid.trim_end_matches(')').to_owned(),
            ))
        })
        .collect();
    assert_eq!(workers.len(), 2, "{log}");
    for (worker, line) in workers {
        let status = std::fs::read_to_string(format!("/proc/{line}/status")).unwrap();
        let allowed = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim()
            .to_owned();
        assert_eq!(
            allowed,
            ((worker - 1) % ncpu).to_string(),
            "worker {worker}"
        );
    }
    finish(p);
}

/// `cheaper` (spare): one worker at rest; all busy → more (up to `processes`); idle again →
/// back down to `cheaper`. Requests keep being answered throughout.
#[test]
fn cheaper_scales_up_under_load_and_back() {
    let (p, port) = support::http_vassal(&[
        "--wsgi-file",
        &app_path("slow.py"),
        "--processes",
        "4",
        "--cheaper",
        "1",
        "--cheaper-overload",
        "1",
    ]);
    let live_workers = |p: &Proc| worker_pids(p.pid()).len();
    assert_eq!(support::http_get(port, "/?0").status, 200);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(live_workers(&p), 1, "one worker at rest:\n{}", p.log());
    let load: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let raw = raw_exchange(&mut s, b"GET /?6 HTTP/1.0\r\n\r\n");
                Response::parse(&raw).status
            })
        })
        .collect();
    assert!(
        p.wait_log("spawning 1 more", Duration::from_secs(15)),
        "{}",
        p.log()
    );
    let grew = support::wait_for(Duration::from_secs(15), || {
        (live_workers(&p) >= 3).then_some(())
    });
    assert!(grew.is_some(), "{} workers:\n{}", live_workers(&p), p.log());
    for handle in load {
        assert_eq!(handle.join().unwrap(), 200);
    }
    let shrank = support::wait_for(Duration::from_secs(30), || {
        (live_workers(&p) == 1).then_some(())
    });
    assert!(
        shrank.is_some(),
        "{} workers:\n{}",
        live_workers(&p),
        p.log()
    );
    assert!(p.log().contains("cheaper: cheaping worker"));
    assert_eq!(support::http_get(port, "/?0").status, 200);
    finish(p);
}

/// The app source answering `v{n}`.
fn app_version(n: usize) -> String {
    let body = format!("v{n}\\n");
    format!(
        "def application(e, sr):\n    sr('200 OK', [('Content-Length', '{}')])\n    return [b'{body}']\n",
        body.len() - 1
    )
}

/// One keep-alive client's request on a reused connection, as real clients (nginx,
/// browsers) do: a reused connection the server closed before answering is retried once on
/// a fresh one; anything else is a failure.
fn keepalive_request(conn: &mut Option<TcpStream>, port: u16) -> Result<String, String> {
    use std::io::{Read, Write};
    for attempt in 0..2 {
        let reused = conn.is_some();
        if conn.is_none() {
            let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            *conn = Some(s);
        }
        let s = conn.as_mut().unwrap();
        let sent = s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        let mut failed = sent.is_err();
        while !failed && !head.ends_with(b"\r\n\r\n") {
            match s.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => failed = true,
            }
        }
        if failed {
            *conn = None;
            if reused && head.is_empty() && attempt == 0 {
                continue;
            }
            return Err(format!(
                "keep-alive request failed after {} bytes",
                head.len()
            ));
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).map_err(|e| format!("body: {e}"))?;
        if head.to_ascii_lowercase().contains("connection: close") {
            *conn = None;
        }
        if !head.starts_with("HTTP/1.1 200") {
            return Err(head.lines().next().unwrap_or_default().to_owned());
        }
        return Ok(String::from_utf8_lossy(&body).into_owned());
    }
    Err("retry failed".into())
}

/// 20 reloads of one kind under load from 4 clients (2 with `Connection: close`, 2 keep-alive):
/// no request fails, and each reload's new code is served.
fn reloads_under_load(kind: &str) {
    let (p, port, _ini) = start_ini(
        "processes = 2\nlazy-apps = true\nworker-reload-mercy = 5\n\
         touch-reload = reload.touch\ntouch-chain-reload = chain.touch\n",
    );
    assert!(p.wait_log("spawned emperor worker 2", Duration::from_secs(20)));
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (stop, ok) = (Arc::clone(&stop), Arc::clone(&ok));
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let mut conn = None;
                while !stop.load(Ordering::SeqCst) {
                    let r = if i < 2 {
                        request(port)
                    } else {
                        keepalive_request(&mut conn, port)
                    };
                    match r {
                        Ok(_) => {
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => failures.push(e),
                    }
                }
                failures
            })
        })
        .collect();
    for n in 2..22 {
        std::fs::write(p.dir.path().join("app.py"), app_version(n)).unwrap();
        match kind {
            "sighup" => p.signal("HUP"),
            "touch" => std::fs::write(p.dir.path().join("reload.touch"), n.to_string()).unwrap(),
            _ => std::fs::write(p.dir.path().join("chain.touch"), n.to_string()).unwrap(),
        }
        let want = format!("v{n}\n");
        let served = support::wait_for(Duration::from_secs(30), || {
            request(port).ok().filter(|b| *b == want)
        });
        assert!(
            served.is_some(),
            "{kind} reload {n}: v{n} never served:\n{}",
            p.log()
        );
        if kind == "chain" {
            // Both workers carry the new code before the next round.
            let done = support::wait_for(Duration::from_secs(30), || {
                (p.log().matches("chain reloading complete").count() >= n - 1).then_some(())
            });
            assert!(done.is_some(), "chain {n} never completed:\n{}", p.log());
        }
    }
    stop.store(true, Ordering::SeqCst);
    let failures: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{kind}: failed requests {failures:?}\n{}",
        p.log()
    );
    assert!(ok.load(Ordering::SeqCst) > 100, "the clients were served");
    finish(p);
}

#[test]
fn twenty_sighup_reloads_under_load_drop_nothing() {
    reloads_under_load("sighup");
}

#[test]
fn twenty_touch_reloads_under_load_drop_nothing() {
    reloads_under_load("touch");
}

#[test]
fn twenty_chain_reloads_under_load_drop_nothing() {
    reloads_under_load("chain");
}

/// A 10 s request during a reload completes with `worker-reload-mercy = 20`, and is cut
/// cleanly (the connection closed, the reload done) with 2.
#[test]
fn a_long_request_during_a_reload_and_the_mercy() {
    for (mercy, completes) in [("20", true), ("2", false)] {
        let (p, port) = support::http_vassal(&[
            "--wsgi-file",
            &app_path("slow.py"),
            "--worker-reload-mercy",
            mercy,
        ]);
        let long = std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(40))).unwrap();
            let raw = raw_exchange(&mut s, b"GET /?10 HTTP/1.0\r\n\r\n");
            if raw.is_empty() {
                0
            } else {
                Response::parse(&raw).status
            }
        });
        std::thread::sleep(Duration::from_millis(500));
        let started = std::time::Instant::now();
        p.signal("HUP");
        let status = long.join().unwrap();
        if completes {
            assert_eq!(
                status,
                200,
                "mercy {mercy}: the request completes\n{}",
                p.log()
            );
            assert!(started.elapsed() >= Duration::from_secs(8));
        } else {
            assert_eq!(status, 0, "mercy {mercy}: the request is cut\n{}", p.log());
            assert!(
                started.elapsed() < Duration::from_secs(8),
                "{:?}",
                started.elapsed()
            );
            assert!(p.log().contains("NO MERCY"), "{}", p.log());
        }
        assert!(
            p.wait_log("binary reloading emperor", Duration::from_secs(30)),
            "{}",
            p.log()
        );
        let served = support::wait_for(Duration::from_secs(20), || {
            (support::http_get(port, "/?0").status == 200).then_some(())
        });
        assert!(served.is_some(), "{}", p.log());
        finish(p);
    }
}

/// `limit-as`: the workers' address space limit, as `/proc/PID/limits` shows it.
#[test]
fn limit_as_is_enforced_on_the_workers() {
    let (p, _port) = start_args(&[], &["--limit-as", "512"]);
    assert!(p.wait_log("spawned emperor worker 1", Duration::from_secs(20)));
    let workers = worker_pids(p.pid());
    assert!(!workers.is_empty());
    for pid in workers {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max address space"))
            .unwrap();
        assert!(line.contains(&(512u64 * 1024 * 1024).to_string()), "{line}");
    }
    finish(p);
}

/// The master FIFO's other letters: `+`/`-` (one more / one fewer worker), `r` (graceful
/// reload), `R` (brutal reload), `W` (brutal worker reload), `c` (chain reload), `Q` (brutal
/// stop).
#[test]
fn master_fifo_more_letters() {
    let (mut p, port) = start_args(
        &[],
        &["--processes", "3", "--master-fifo", "m.fifo", "--lazy-apps"],
    );
    let fifo = p.dir.path().join("m.fifo");
    assert!(support::wait_for(Duration::from_secs(20), || fifo.exists().then_some(())).is_some());
    let master = p.pid();
    let count = |n: usize| {
        support::wait_for(Duration::from_secs(20), || {
            (worker_pids(master).len() == n).then_some(())
        })
        .is_some()
    };
    assert!(count(3));
    let send = |cmd: &str| std::fs::write(&fifo, cmd).unwrap();
    send("-");
    assert!(count(2), "`-` removes a worker:\n{}", p.log());
    send("+");
    assert!(count(3), "`+` adds it back:\n{}", p.log());
    for (letter, log) in [
        ("r", "binary reloading emperor"),
        ("W", "brutally"),
        ("c", "chain reloading complete"),
        ("R", "binary reloading emperor (reload 2)"),
    ] {
        send(letter);
        assert!(
            p.wait_log(log, Duration::from_secs(30)),
            "`{letter}`: no `{log}`:\n{}",
            p.log()
        );
        let ok = support::wait_for(Duration::from_secs(20), || request(port).ok());
        assert_eq!(ok.as_deref(), Some("v1\n"), "after `{letter}`");
    }
    send("Q");
    let status = support::wait_for(Duration::from_secs(30), || {
        p.child.try_wait().ok().flatten()
    })
    .expect("Q stops the vassal");
    assert_eq!(status.code(), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

/// `py-autoreload`: editing a module the app imported reloads the vassal gracefully and the
/// new code is served.
#[test]
fn py_autoreload_picks_up_an_edited_module() {
    let app = "import helper\n\ndef application(e, sr):\n    body = helper.VERSION.encode()\n    sr('200 OK', [('Content-Length', str(len(body)))])\n    return [body]\n";
    let (p, port) = start_args(
        &[("helper.py", "VERSION = 'v1\\n'\n")],
        &["--pythonpath", ".", "--py-autoreload", "1"],
    );
    std::fs::write(p.dir.path().join("app.py"), app).unwrap();
    // The app above replaces the default one at the next reload; start from it.
    p.signal("HUP");
    let first = support::wait_for(Duration::from_secs(20), || {
        request(port).ok().filter(|b| b == "v1\n")
    });
    assert!(first.is_some(), "{}", p.log());
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(p.dir.path().join("helper.py"), "VERSION = 'v2\\n'\n").unwrap();
    let second = support::wait_for(Duration::from_secs(20), || {
        request(port).ok().filter(|b| b == "v2\n")
    });
    assert!(second.is_some(), "{}", p.log());
    assert!(p.log().contains("has been modified"), "{}", p.log());
    finish(p);
}

/// `smart-attach-daemon PIDFILE CMD`: a daemonizing command supervised through its pidfile:
/// started when its pid is not alive, left running across a reload, restarted when it dies,
/// stopped with the vassal.
#[test]
fn smart_attach_daemon_survives_reloads_and_is_supervised() {
    let (mut p, _port) = start_args(
        &[],
        &[
            "--smart-attach-daemon",
            "daemon.pid sleep 1000 & echo $! > daemon.pid",
        ],
    );
    let pidfile = p.dir.path().join("daemon.pid");
    let read_pid =
        || -> Option<i32> { std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok() };
    let alive = support::alive;
    let first = support::wait_for(Duration::from_secs(20), || read_pid().filter(|p| alive(*p)))
        .unwrap_or_else(|| panic!("no daemon:\n{}", p.log()));
    p.signal("HUP");
    assert!(p.wait_log("binary reloading emperor", Duration::from_secs(20)));
    assert!(p.wait_log("spawned emperor worker", Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        alive(first),
        "the smart daemon survives the reload:\n{}",
        p.log()
    );
    assert_eq!(read_pid(), Some(first));
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status();
    let second = support::wait_for(Duration::from_secs(20), || {
        read_pid().filter(|p| *p != first && alive(*p))
    })
    .unwrap_or_else(|| panic!("not restarted:\n{}", p.log()));
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0), "{}", p.log());
    let gone = support::wait_for(Duration::from_secs(10), || (!alive(second)).then_some(()));
    assert!(gone.is_some(), "the daemon outlived its vassal");
    p.assert_nothing_left();
}

/// `attach-daemon2` with uWSGI's keys runs `cmd=` like `attach-daemon`.
#[test]
fn attach_daemon2_keys() {
    let (p, _port) = start_args(
        &[],
        &["--attach-daemon2", "cmd=echo started > d2.out; sleep 1000"],
    );
    let out = p.dir.path().join("d2.out");
    let started = support::wait_for(Duration::from_secs(20), || {
        std::fs::read_to_string(&out)
            .ok()
            .filter(|s| s.contains("started"))
    });
    assert!(started.is_some(), "{}", p.log());
    finish(p);
}

/// The FIFO's `p` (pause: requests wait; `p` again: they are answered) and slot digits (`1`
/// makes the second `master-fifo` the active one).
#[test]
fn master_fifo_pause_and_slots() {
    let (mut p, port) = start_args(&[], &["--master-fifo", "a.fifo", "--master-fifo", "b.fifo"]);
    let (a, b) = (p.dir.path().join("a.fifo"), p.dir.path().join("b.fifo"));
    assert!(support::wait_for(Duration::from_secs(20), || a.exists().then_some(())).is_some());
    assert!(!b.exists(), "only the active FIFO exists");
    assert!(p.wait_log("spawned emperor worker 1", Duration::from_secs(20)));
    std::fs::write(&a, "p").unwrap();
    assert!(p.wait_log("paused", Duration::from_secs(10)), "{}", p.log());
    let waiting = std::thread::spawn(move || request(port));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!waiting.is_finished(), "a paused vassal answered");
    std::fs::write(&a, "p").unwrap();
    assert_eq!(waiting.join().unwrap().unwrap(), "v1\n");
    std::fs::write(&a, "1").unwrap();
    assert!(
        p.wait_log("active master fifo is now", Duration::from_secs(10)),
        "{}",
        p.log()
    );
    assert!(b.exists() && !a.exists());
    std::fs::write(&b, "q").unwrap();
    let status = support::wait_for(Duration::from_secs(30), || {
        p.child.try_wait().ok().flatten()
    })
    .expect("q on the second FIFO stops the vassal");
    assert_eq!(status.code(), Some(0));
    p.assert_nothing_left();
}

/// `reload-on-rss` (graceful) and `evil-reload-on-rss` (SIGKILL), seen from outside: a worker
/// over the limit is replaced by a new pid, and the log says why.
#[test]
fn reload_on_rss_and_evil_reload_on_rss_replace_the_worker() {
    for (option, log) in [
        ("--reload-on-rss", "is recycled: RSS"),
        ("--evil-reload-on-rss", "EVIL RELOAD ON WORKER"),
    ] {
        let (p, port) = start_args(&[], &[option, "1", "--min-worker-lifetime", "0"]);
        assert!(p.wait_log("spawned emperor worker 1", Duration::from_secs(20)));
        let first = worker_pids(p.pid());
        assert!(
            p.wait_log(log, Duration::from_secs(15)),
            "{option}:\n{}",
            p.log()
        );
        let replaced = support::wait_for(Duration::from_secs(15), || {
            let now = worker_pids(p.pid());
            (!now.is_empty() && now.iter().all(|pid| !first.contains(pid))).then_some(())
        });
        assert!(replaced.is_some(), "{option}:\n{}", p.log());
        let served = support::wait_for(Duration::from_secs(10), || request(port).ok());
        assert_eq!(served.as_deref(), Some("v1\n"));
        finish(p);
    }
}

/// `reload-mercy`: an attached daemon that ignores SIGTERM is killed after it, not after the
/// workers' (long) mercy.
#[test]
fn reload_mercy_bounds_a_stubborn_daemon() {
    let (mut p, _port) = start_args(
        &[],
        &[
            "--attach-daemon",
            "trap '' TERM; while true; do sleep 1; done",
            "--reload-mercy",
            "1",
            "--worker-reload-mercy",
            "30",
        ],
    );
    assert!(p.wait_log("spawned daemon", Duration::from_secs(20)));
    std::thread::sleep(Duration::from_millis(500));
    let started = std::time::Instant::now();
    assert_eq!(p.stop(Duration::from_secs(20)), Some(0), "{}", p.log());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the stop took {:?}",
        started.elapsed()
    );
    assert!(
        p.log().contains("did not stop within `reload-mercy`"),
        "{}",
        p.log()
    );
    p.assert_nothing_left();
}
