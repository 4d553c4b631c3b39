//! The stats server end to end, read by the clients people use: Python's `json`, the real
//! `uwsgitop` (in tmux), `prometheus_client`'s parser, and `emperor stats` / `emperor top`.
//! Counters are driven by real requests, exceptions, harakiri and respawns; the master's loop
//! must stay responsive with hundreds of silent stats clients; hostile paths must keep the
//! document valid JSON.
//!
//! These tests start processes, so nextest runs them one at a time (`.config/nextest.toml`).
//! They need the test venv (`uwsgitop`, `prometheus_client`) and tmux: `scripts/test` installs
//! both.

mod support;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Proc, apps, free_port, http_get, venv, wait_for};

fn app(name: &str) -> String {
    apps().join(name).display().to_string()
}

fn stop(mut p: Proc) {
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

/// A vassal serving `app` over HTTP with a TCP stats socket; `(proc, http port, stats port)`.
fn vassal(app_file: &str, extra: &[&str]) -> (Proc, u16, u16) {
    let (port, stats) = (free_port(), free_port());
    let (addr, stats_addr) = (format!("127.0.0.1:{port}"), format!("127.0.0.1:{stats}"));
    let mut args = vec![
        "--http-socket",
        &addr,
        "--wsgi-file",
        app_file,
        "--stats",
        &stats_addr,
    ];
    args.extend_from_slice(extra);
    let mut p = Proc::start(&args);
    p.wait_port(port);
    p.wait_port(stats);
    (p, port, stats)
}

/// Reads a stats socket the way uwsgitop does: connect, read until the server closes.
fn read_stats(port: u16) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

fn stats_doc(port: u16) -> Value {
    let raw = read_stats(port);
    serde_json::from_slice(&raw)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&raw)))
}

/// Polls the stats socket until `pred` holds; panics with the last document.
fn wait_stats(port: u16, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    let found = wait_for(Duration::from_secs(20), || {
        last = stats_doc(port);
        pred(&last).then(|| last.clone())
    });
    found.unwrap_or_else(|| panic!("stats never showed {what}:\n{last:#}"))
}

fn all_accepting(doc: &Value) -> bool {
    doc["listen_queue"] == 0
        && doc["workers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["accepting"] == 1 && w["status"] == "idle")
}

/// Runs the venv's Python with `script`, `input` on stdin; its stdout.
fn python(script: &str, input: &[u8]) -> String {
    let venv = venv().expect("the test venv (uwsgitop, prometheus_client): run scripts/test");
    let mut child = Command::new(venv.join("bin/python"))
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}\ninput: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(input)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `emperor ARGS…` (a client subcommand) with a scrubbed environment.
fn emperor(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emperor"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn get(n: usize, port: u16, path: &str) {
    for _ in 0..n {
        let r = http_get(port, path);
        assert!(r.status == 200 || r.status == 500, "{r:?}");
    }
}

// --- the document ----------------------------------------------------------------------------

#[test]
fn json_shape_is_uwsgis_and_parses_in_python() {
    let (p, _, stats) = vassal(&app("hello.py"), &["--processes", "2"]);
    wait_stats(stats, "both workers accepting", all_accepting);
    let raw = text(&read_stats(stats));
    insta::with_settings!({filters => vec![
        (r#""pid":\d+"#, r#""pid":[PID]"#),
        (r#""(uid|gid)":\d+"#, r#""$1":[ID]"#),
        (r#""last_spawn":\d+"#, r#""last_spawn":[TIME]"#),
        (r#""version":"[^"]*""#, r#""version":"[VERSION]""#),
        (r#""cwd":"[^"]*""#, r#""cwd":"[TMP]""#),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    ]}, {
        insta::assert_snapshot!("json_shape", raw);
    });
    // Python's json reads it, in uWSGI's key order.
    let keys = python(
        "import json, sys\n\
         d = json.load(sys.stdin)\n\
         w = d['workers'][0]\n\
         for o in (d, d['sockets'][0], w, w['apps'][0], w['cores'][0]):\n    print(','.join(o))\n\
         print(d['cwd'], len(d['workers']))",
        raw.as_bytes(),
    );
    let lines: Vec<&str> = keys.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "version,listen_queue,listen_queue_errors,signal_queue,load,pid,uid,gid,cwd,locks,sockets,workers",
            "name,proto,queue,max_queue,shared,can_offload",
            "id,pid,accepting,requests,delta_requests,exceptions,harakiri_count,signals,signal_queue,status,rss,vsz,running_time,last_spawn,respawn_count,tx,avg_rt,apps,cores",
            "id,modifier1,mountpoint,startup_time,requests,exceptions,chdir",
            "id,requests,static_requests,routed_requests,offloaded_requests,write_errors,read_errors,in_request,vars,req_info",
        ],
        "{keys}"
    );
    assert_eq!(lines[5], format!("{} 2", p.dir.path().display()));
    stop(p);
}

#[test]
fn minified_no_cores_and_memory_report_variants() {
    let (p, port, stats) = vassal(
        &app("hello.py"),
        &["--stats-minified", "--stats-no-cores", "--memory-report"],
    );
    get(1, port, "/");
    let raw = text(&read_stats(stats));
    assert!(raw.starts_with("{\"version\":"), "{raw}");
    assert!(!raw.contains(['\n', '\t', ' ']), "{raw}");
    assert!(!raw.contains("\"cores\""), "{raw}");
    let doc: Value = serde_json::from_str(&raw).unwrap();
    let w = &doc["workers"][0];
    assert!(w["rss"].as_u64().unwrap() > 1 << 20, "{w}");
    assert!(
        w["vsz"].as_u64().unwrap() >= w["rss"].as_u64().unwrap(),
        "{w}"
    );
    stop(p);
}

// --- counters --------------------------------------------------------------------------------

#[test]
fn counters_move_with_requests_and_an_exception() {
    let (p, port, stats) = vassal(&app("boom.py"), &[]);
    let before = wait_stats(stats, "the worker accepting", all_accepting);
    let w = &before["workers"][0];
    assert_eq!(
        (w["requests"].as_u64(), w["tx"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(w["respawn_count"], 1);

    get(3, port, "/ok");
    assert_eq!(http_get(port, "/").status, 500);
    let doc = wait_stats(stats, "4 requests", |d| d["workers"][0]["requests"] == 4);
    let w = &doc["workers"][0];
    assert_eq!(w["delta_requests"], 4, "{w:#}");
    assert_eq!(w["exceptions"], 1, "{w:#}");
    assert_eq!(w["harakiri_count"], 0, "{w:#}");
    assert_eq!(w["respawn_count"], 1, "{w:#}");
    assert_eq!(w["status"], "idle", "{w:#}");
    assert_eq!(w["pid"], before["workers"][0]["pid"]);
    assert!(
        w["tx"].as_u64().unwrap() > 4 * 60,
        "headers and bodies: {w:#}"
    );
    assert!(w["running_time"].as_u64().unwrap() > 0, "{w:#}");
    assert!(w["avg_rt"].as_u64().unwrap() > 0, "{w:#}");
    assert_eq!(
        (&w["apps"][0]["requests"], &w["apps"][0]["exceptions"]),
        (&Value::from(4), &Value::from(1))
    );
    assert_eq!(w["cores"][0]["requests"], 4);
    stop(p);
}

#[test]
fn harakiri_and_respawns_show_in_the_counters() {
    let (p, port, stats) = vassal(&app("slow.py"), &["--harakiri", "1"]);
    let first = wait_stats(stats, "the worker accepting", all_accepting);
    let pid1 = first["workers"][0]["pid"].as_u64().unwrap();
    get(1, port, "/?0");

    // A request stuck for 5 s: busy, in_request, then killed after 1 s.
    let stuck = std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(b"GET /?5 HTTP/1.0\r\n\r\n").unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    });
    let busy = wait_stats(stats, "the worker busy", |d| {
        d["workers"][0]["status"] == "busy"
    });
    let core = &busy["workers"][0]["cores"][0];
    assert_eq!(core["in_request"], 1, "{core:#}");
    assert!(
        core["req_info"]["request_start"].as_u64().unwrap() > 0,
        "{core:#}"
    );
    assert_eq!(
        core["vars"],
        serde_json::json!([]),
        "request vars are never dumped"
    );

    let doc = wait_stats(stats, "a harakiri and a respawn", |d| {
        let w = &d["workers"][0];
        w["harakiri_count"] == 1 && w["respawn_count"] == 2 && w["accepting"] == 1
    });
    assert!(
        stuck.join().unwrap().is_empty(),
        "the killed request gets no answer"
    );
    let w = &doc["workers"][0];
    let pid2 = w["pid"].as_u64().unwrap();
    assert_ne!(pid1, pid2, "{w:#}");
    assert_eq!(
        w["requests"], 1,
        "the slot's total survives the respawn: {w:#}"
    );
    assert_eq!(w["delta_requests"], 0, "{w:#}");
    assert_eq!(w["status"], "idle", "{w:#}");
    assert_eq!(w["cores"][0]["in_request"], 0, "{w:#}");
    assert!(p.log().contains("HARAKIRI ON WORKER 1"), "{}", p.log());

    // A worker killed from outside is respawned too; harakiri_count stays.
    let ok = Command::new("kill")
        .args(["-KILL", &pid2.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let doc = wait_stats(stats, "a second respawn", |d| {
        d["workers"][0]["respawn_count"] == 3 && d["workers"][0]["accepting"] == 1
    });
    let w = &doc["workers"][0];
    assert!(![pid1, pid2].contains(&w["pid"].as_u64().unwrap()), "{w:#}");
    assert_eq!(w["harakiri_count"], 1, "{w:#}");
    get(1, port, "/?0");
    let doc = wait_stats(stats, "2 requests", |d| d["workers"][0]["requests"] == 2);
    assert_eq!(doc["workers"][0]["delta_requests"], 1);
    stop(p);
}

// --- uwsgitop --------------------------------------------------------------------------------

/// A private tmux server (its own socket in a temp dir, no config), killed on drop.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env("TERM", "xterm")
            .output()
            .expect("tmux (scripts/test installs it)")
    }

    fn screen(&self) -> String {
        text(&self.run(&["capture-pane", "-p", "-t", "top"]).stdout)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn uwsgitop_shows_every_worker_with_its_request_count() {
    let venv = venv().expect("the test venv (uwsgitop): run scripts/test");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut p = Proc::start(&[
        "--http-socket",
        &addr,
        "--wsgi-file",
        &app("hello.py"),
        "--processes",
        "2",
        "--stats",
        "stats.sock",
    ]);
    p.wait_port(port);
    let sock = p.dir.path().join("stats.sock");
    p.wait_unix(&sock);
    get(7, port, "/");

    let tmux = Tmux {
        socket: p.dir.path().join("tmux.sock"),
    };
    let command = format!(
        "{} {}; echo uwsgitop exited $?; sleep 60",
        venv.join("bin/uwsgitop").display(),
        sock.display()
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "top",
        "-x",
        "180",
        "-y",
        "30",
        &command,
    ]);
    assert!(out.status.success(), "tmux: {}", text(&out.stderr));

    let doc = stats_doc_unix(&sock);
    let expected: Vec<[String; 3]> = doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| ["id", "pid", "requests"].map(|k| w[k].to_string()))
        .collect();
    assert_eq!(expected.len(), 2);
    let total: u64 = doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 7, "{doc:#}");
    let mut screen = String::new();
    let shown = wait_for(Duration::from_secs(15), || {
        screen = tmux.screen();
        // Rows: WID % PID REQ RPS EXC SIG STATUS …
        let rows: Vec<Vec<&str>> = screen
            .lines()
            .skip_while(|l| !l.contains("WID"))
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .collect();
        let all = expected.iter().all(|[id, pid, requests]| {
            rows.iter()
                .any(|r| r.len() > 7 && r[0] == id && r[2] == pid && r[3] == requests)
        });
        (all && screen.contains("req: 7")).then_some(())
    });
    assert!(
        shown.is_some(),
        "uwsgitop never showed {expected:?}:\n{screen}"
    );
    tmux.run(&["send-keys", "-t", "top", "q"]);
    let quit = wait_for(Duration::from_secs(10), || {
        tmux.screen().contains("uwsgitop exited 0").then_some(())
    });
    assert!(
        quit.is_some(),
        "uwsgitop did not quit on q:\n{}",
        tmux.screen()
    );
    drop(tmux);
    stop(p);
}

fn stats_doc_unix(path: &Path) -> Value {
    let mut s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{e}: {}", text(&raw)))
}

// --- silent clients --------------------------------------------------------------------------

/// Opens `n` connections that never read (nor write).
fn silent_clients(port: u16, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect()
}

/// Descriptors the process `pid` has open.
fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

#[test]
fn three_hundred_silent_clients_do_not_block_the_stats_socket() {
    let (p, port, stats) = vassal(&app("hello.py"), &["--processes", "2"]);
    let base = open_fds(p.pid());
    let silent = silent_clients(stats, 300);
    // Plain stats writes the document on accept and closes: the kernel takes it all (even a
    // 100 KB one on loopback), so the master holds nothing for a client that never reads.
    let settled = wait_for(Duration::from_secs(5), || {
        (open_fds(p.pid()) <= base).then_some(())
    });
    assert!(
        settled.is_some(),
        "{} fds, {base} before",
        open_fds(p.pid())
    );
    let started = Instant::now();
    assert_eq!(http_get(port, "/").status, 200, "the app keeps serving");
    let doc = stats_doc(stats);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a request and a stats answer took {:?}",
        started.elapsed()
    );
    assert_eq!(doc["workers"].as_array().unwrap().len(), 2);
    drop(silent);
    get(1, port, "/");
    stop(p);
}

#[test]
fn three_hundred_silent_clients_do_not_block_stats_http() {
    let (p, port, stats) = vassal(&app("hello.py"), &["--processes", "2", "--stats-http"]);
    let base = open_fds(p.pid());
    // These hold a slot each until their deadline or eviction: they never send a request.
    let silent = silent_clients(stats, 300);
    // The master accepts a newcomer before it evicts the oldest: one over the cap for an
    // instant is expected, not more, and not for long.
    let held = || open_fds(p.pid()).saturating_sub(base);
    let settled = wait_for(Duration::from_secs(2), || {
        (held() <= emperor_vassal::stats_server::MAX_CLIENTS).then_some(())
    });
    assert!(
        settled.is_some(),
        "the master holds {} stats clients",
        held()
    );
    let started = Instant::now();
    assert_eq!(http_get(port, "/").status, 200, "the app keeps serving");
    let r = http_get(stats, "/");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a request and a stats answer took {:?}",
        started.elapsed()
    );
    assert_eq!(r.status, 200, "{r:?}");
    let doc: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc["workers"].as_array().unwrap().len(), 2);
    drop(silent);
    stop(p);
}

// --- Prometheus ------------------------------------------------------------------------------

const PARSE_METRICS: &str = "\
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    out[f.name] = {'type': f.type, 'samples': [[s.name, s.labels, s.value] for s in f.samples]}
print(json.dumps(out))
";

#[test]
fn prometheus_metrics_parse_with_prometheus_client() {
    let (p, port, stats) = vassal(&app("hello.py"), &["--processes", "2", "--stats-http"]);
    get(5, port, "/");

    let r = http_get(stats, "/");
    assert!(r.head.starts_with("HTTP/1.0 200 OK"), "{}", r.head);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("access-control-allow-origin"), None);
    let doc: Value = serde_json::from_slice(&r.body).unwrap();

    let r = http_get(stats, "/metrics");
    assert!(r.head.starts_with("HTTP/1.0 200 OK"), "{}", r.head);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4"));
    let families: Value = serde_json::from_str(&python(PARSE_METRICS, &r.body)).unwrap();
    let requests = &families["emperor_worker_requests"];
    assert_eq!(requests["type"], "counter", "{families:#}");
    let vassal = format!("127.0.0.1:{port}");
    for w in doc["workers"].as_array().unwrap() {
        let labels = serde_json::json!({"vassal": vassal, "worker": w["id"].to_string()});
        let value = requests["samples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s[0] == "emperor_worker_requests_total" && s[1] == labels)
            .unwrap_or_else(|| panic!("no sample {labels} in {requests:#}"))[2]
            .as_f64();
        assert_eq!(value, w["requests"].as_f64(), "{requests:#}");
    }
    let total: f64 = requests["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[2].as_f64().unwrap())
        .sum();
    assert!((total - 5.0).abs() < f64::EPSILON, "{requests:#}");
    for (family, kind) in [
        ("emperor_worker_exceptions", "counter"),
        ("emperor_worker_busy", "gauge"),
        ("emperor_app_requests", "counter"),
        ("emperor_socket_queue", "gauge"),
    ] {
        assert_eq!(families[family]["type"], kind, "{family}: {families:#}");
    }
    assert_eq!(
        families["emperor_socket_queue"]["samples"][0][1]["socket"],
        vassal
    );
    stop(p);
}

// --- hostile names ---------------------------------------------------------------------------

/// A name with a quote, a backslash, a newline, a tab and non-ASCII characters.
const HOSTILE: &str = "q\"b\\n\nt\té日";

/// A temp dir whose own name is hostile and not even UTF-8 (`\xff`), with a hostile `chdir`
/// target inside.
fn hostile_dir() -> (tempfile::TempDir, String) {
    let mut prefix = b"cwd \"\\\n\xff ".to_vec();
    prefix.extend_from_slice("é".as_bytes());
    let dir = tempfile::Builder::new()
        .prefix(OsStr::from_bytes(&prefix))
        .tempdir()
        .unwrap();
    let chdir = format!("sub {HOSTILE}");
    std::fs::create_dir(dir.path().join(&chdir)).unwrap();
    (dir, chdir)
}

fn lossy(p: &Path) -> String {
    String::from_utf8_lossy(p.as_os_str().as_bytes()).into_owned()
}

/// What Python's json makes of the hostile fields, re-encoded as ASCII-only JSON.
const HOSTILE_FIELDS: &str = "\
import json, sys
d = json.loads(sys.stdin.buffer.read().decode('utf-8'))
a = d['workers'][0]['apps'][0]
print(json.dumps({'cwd': d['cwd'], 'socket': d['sockets'][0]['name'], 'chdir': a['chdir'], 'mountpoint': a['mountpoint']}))
";

#[test]
fn hostile_names_and_paths_keep_the_json_valid() {
    let (dir, chdir) = hostile_dir();
    let base = dir.path().to_path_buf();
    // Relative to the (non-UTF-8) cwd: sockets are bound before `chdir`.
    let socket = format!("u{HOSTILE}.sock");
    let stats = format!("s{HOSTILE}.sock");
    let mountpoint = format!("/m{HOSTILE}");
    let mount = format!("{mountpoint}={}", app("hello.py"));
    let mut p = Proc::start_in(
        dir,
        &[
            "--socket", &socket, "--stats", &stats, "--chdir", &chdir, "--mount", &mount,
        ],
        &[],
    );
    p.wait_unix(&base.join(&stats));
    let mut s = UnixStream::connect(base.join(&stats)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let as_text = std::str::from_utf8(&raw).expect("the document is UTF-8");
    assert!(
        !as_text.contains(|c: char| c.is_control() && c != '\n' && c != '\t'),
        "{as_text}"
    );
    let fields: Value = serde_json::from_str(&python(HOSTILE_FIELDS, &raw)).unwrap();
    assert_eq!(
        fields,
        serde_json::json!({
            // Not UTF-8 on disk: the invalid byte becomes U+FFFD, the rest round-trips.
            "cwd": lossy(&base.join(&chdir)),
            "socket": socket,
            "chdir": chdir,
            "mountpoint": mountpoint,
        })
    );
    assert!(fields["cwd"].as_str().unwrap().contains('\u{fffd}'));

    // `emperor stats` reads it too, and escapes what would drive the terminal.
    let out = emperor(&["stats", &stats], &base);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("q\"b\\n\\nt\\té日"), "{table}");
    assert_eq!(
        table.lines().count(),
        5,
        "two header lines, a blank, a table:\n{table}"
    );
    stop(p);
}

#[test]
fn hostile_names_keep_the_prometheus_text_valid() {
    let (dir, chdir) = hostile_dir();
    let base = dir.path().to_path_buf();
    let socket = format!("u{HOSTILE}.sock");
    let mountpoint = format!("/m{HOSTILE}");
    let mount = format!("{mountpoint}={}", app("hello.py"));
    let mut p = Proc::start_in(
        dir,
        &[
            "--socket",
            &socket,
            "--stats",
            "stats.sock",
            "--stats-http",
            "--chdir",
            &chdir,
            "--mount",
            &mount,
        ],
        &[],
    );
    p.wait_unix(&base.join("stats.sock"));
    let mut s = UnixStream::connect(base.join("stats.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let r = support::Response::parse(&raw);
    assert_eq!(r.status, 200);
    let families: Value = serde_json::from_str(&python(PARSE_METRICS, &r.body)).unwrap();
    let app_sample = &families["emperor_app_requests"]["samples"][0][1];
    assert_eq!(app_sample["app"], mountpoint, "{families:#}");
    assert_eq!(app_sample["vassal"], socket, "{families:#}");
    assert_eq!(
        families["emperor_socket_queue"]["samples"][0][1]["socket"],
        socket
    );
    stop(p);
}

// --- emperor stats / emperor top -------------------------------------------------------------

#[test]
fn emperor_stats_prints_a_table_and_json() {
    let (p, port, stats) = vassal(&app("hello.py"), &["--processes", "2"]);
    get(3, port, "/");
    let doc = wait_stats(stats, "3 requests, all idle", |d| {
        all_accepting(d)
            && d["workers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["requests"].as_u64().unwrap())
                .sum::<u64>()
                == 3
    });
    let cwd = p.dir.path().to_path_buf();

    for addr in [format!("127.0.0.1:{stats}"), format!(":{stats}")] {
        let out = emperor(&["stats", &addr], &cwd);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let table = text(&out.stdout);
        let mut lines = table.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "master pid {}, version {}, listen queue 0, uid {}, gid {}, cwd {}",
                p.pid(),
                doc["version"].as_str().unwrap(),
                doc["uid"],
                doc["gid"],
                cwd.display()
            )
        );
        assert_eq!(
            lines.next().unwrap(),
            format!("sockets: 127.0.0.1:{port} (http, queue 0/100)")
        );
        assert_eq!(lines.next(), Some(""));
        let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        assert_eq!(
            header,
            [
                "WORKER",
                "PID",
                "STATUS",
                "REQUESTS",
                "EXCEPTIONS",
                "AVG",
                "RT",
                "(ms)",
                "RSS",
                "RESPAWNS"
            ]
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
        for w in doc["workers"].as_array().unwrap() {
            let row = [
                w["id"].to_string(),
                w["pid"].to_string(),
                "idle".to_owned(),
                w["requests"].to_string(),
                "0".to_owned(),
            ];
            assert!(
                rows.iter().any(|r| r[..5] == row),
                "no row {row:?} in\n{table}"
            );
            assert_eq!(rows.len(), 2, "{table}");
        }
    }

    let out = emperor(
        &["stats", &format!("127.0.0.1:{stats}"), "--format", "json"],
        &cwd,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let keys = python(
        "import json, sys; print(','.join(json.load(sys.stdin)))",
        &out.stdout,
    );
    assert!(
        keys.starts_with("version,listen_queue,listen_queue_errors,"),
        "uWSGI's key order is kept: {keys}"
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["workers"].as_array().unwrap().len(), 2);
    assert_eq!(json["pid"], p.pid());
    stop(p);
}

#[test]
fn emperor_stats_reads_stats_http() {
    let (p, port, stats) = vassal(&app("hello.py"), &["--stats-http"]);
    get(2, port, "/");
    let cwd = p.dir.path().to_path_buf();
    let out = emperor(&["stats", &format!("http://127.0.0.1:{stats}")], &cwd);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 4 && f[0] == "1" && f[2] == "idle" && f[3] == "2"
        }),
        "{}",
        text(&out.stdout)
    );
    // Without `http://` the server waits for a request that never comes.
    let out = emperor(&["stats", &format!("127.0.0.1:{stats}")], &cwd);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "emperor stats: error: stats socket `127.0.0.1:{stats}` closed the connection without sending anything\n  hint: a server with `stats-http` waits for a request: use `http://127.0.0.1:{stats}`\n"
        )
    );
    stop(p);
}

#[test]
fn emperor_stats_on_a_dead_address_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cases = [
        (format!("127.0.0.1:{port}"), "Connection refused"),
        (format!("http://127.0.0.1:{port}"), "Connection refused"),
        (
            dir.path().join("none.sock").display().to_string(),
            "No such file or directory",
        ),
        (
            format!("@emperor-test-none-{}", std::process::id()),
            "Connection refused",
        ),
    ];
    for (addr, reason) in cases {
        for command in ["stats", "top"] {
            let out = emperor(&[command, &addr], dir.path());
            assert_eq!(out.status.code(), Some(1), "{addr}");
            assert_eq!(
                text(&out.stderr),
                format!(
                    "emperor {command}: error: failed to connect to stats socket `{addr}`: {reason}\n"
                )
            );
            assert!(out.stdout.is_empty());
        }
    }
    // A path that is not UTF-8 cannot be an argument: said, not a panic.
    let out = Command::new(env!("CARGO_BIN_EXE_emperor"))
        .arg("stats")
        .arg(OsStr::from_bytes(b"/tmp/\xff.sock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "emperor: error: argument 2 is not valid UTF-8: `/tmp/\u{fffd}.sock`\n"
    );
    let out = emperor(&["stats", "127.0.0.1:9191", "--format", "yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("emperor stats: error: unknown format `yaml`\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn emperor_top_redraws_with_rates_and_notices_the_vassal_going_away() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let name = format!("@emperor-test-top-{}-{port}", std::process::id());
    let mut p = Proc::start(&[
        "--http-socket",
        &addr,
        "--wsgi-file",
        &app("hello.py"),
        "--processes",
        "2",
        "--stats",
        &name,
    ]);
    p.wait_port(port);
    get(4, port, "/");

    // stdin at EOF: one screen, then exit 0.
    let out = emperor(&["top", &name], p.dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let screen = text(&out.stdout);
    assert!(
        screen.starts_with(&format!("\x1b[H\x1b[2Jemperor top - {name} - 4 requests")),
        "{screen}"
    );

    // Refreshing: a REQ/S column from the second screen on; `q` + Enter quits.
    let spawn_top = || {
        Command::new(env!("CARGO_BIN_EXE_emperor"))
            .args(["top", &name, "--interval", "0.2"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut top = spawn_top();
    // Kept open until top exits: `wait_with_output` would close it, and EOF quits too.
    let mut stdin = top.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    stdin.write_all(b"q\n").unwrap();
    let out = top.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let screens = text(&out.stdout);
    assert!(screens.matches("\x1b[H\x1b[2J").count() >= 2, "{screens}");
    assert!(screens.contains("REQUESTS  REQ/S  EXCEPTIONS"), "{screens}");

    // The vassal stops: a few failed refreshes, then top gives up with exit 1.
    let mut top = spawn_top();
    let stdin = top.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    stop(p);
    let started = Instant::now();
    let out = top.wait_with_output().unwrap();
    drop(stdin);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "emperor top: error: the stats socket went away (3 refreshes failed in a row): failed to connect to stats socket `{name}`: Connection refused\n"
        )
    );
    assert!(text(&out.stdout).contains("refresh failed (2/3)"));
}

/// `attach-daemon` processes appear in `daemons[]` (after `cwd`, as uWSGI), with their pid and
/// respawn count.
#[test]
fn attached_daemons_are_in_the_stats() {
    let (p, _port, stats) = vassal(&app("hello.py"), &["--attach-daemon", "sleep 1000"]);
    let doc = wait_for(Duration::from_secs(10), || {
        let doc = stats_doc(stats);
        (doc["daemons"][0]["pid"].as_u64() > Some(0)).then_some(doc)
    })
    .unwrap_or_else(|| panic!("no daemon in the stats:\n{}", p.log()));
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let cwd = keys.iter().position(|k| *k == "cwd").unwrap();
    assert_eq!(keys[cwd + 1], "daemons");
    assert_eq!(doc["daemons"][0]["cmd"], "sleep 1000");
    // uWSGI counts the first start as a respawn.
    assert_eq!(doc["daemons"][0]["respawns"], 1);
    stop(p);
}
