//! First run and packaging: the README's demo command, and the Debian package installed,
//! verified by `systemd-analyze`, run exactly as its unit's `ExecStart`, and removed.
//!
//! Both use fixed places (ports 8001-8003 and 9100-9101 for the demo; /usr/bin, /etc and
//! /run/uwsgi for the package), so they run in the serial group. The package test needs root
//! and dpkg (CI has both); it is skipped with a note otherwise.

mod support;

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{root, wait_for};

/// `scripts/demo` (the README's first command) with the test binary: `emperor check`, one
/// vassal served alone, then the Emperor on etc/demo: all three apps and the stats answer.
#[test]
fn the_readme_demo_runs() {
    let out = Command::new("bash")
        .arg(root().join("scripts/demo"))
        .env("EMPEROR_BIN", env!("CARGO_BIN_EXE_emperor"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    // Each app's answer, then the stats table with every demo vassal running.
    assert!(stdout.contains("Hello from emperor!"), "{stdout}");
    assert!(stdout.contains("\"app\": \"clock\""), "{stdout}");
    assert!(stdout.contains("echo this back"), "{stdout}");
    for vassal in ["hello", "clock", "echo"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(vassal) && l.contains("running")),
            "{vassal} not running in the stats table:\n{stdout}"
        );
    }
}

fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(cmd).args(args).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_debian_package_installs_runs_and_removes() {
    if !nix::unistd::Uid::effective().is_root()
        || Command::new("dpkg").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs root and dpkg");
        return;
    }
    let Some(alice) = nix::unistd::User::from_name("emperor-test").ok().flatten() else {
        eprintln!("skipped: run scripts/test once to create the test users");
        return;
    };
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let out = tempfile::tempdir().unwrap();
    let build = Command::new(root().join("packaging/build-deb"))
        .arg(env!("CARGO_BIN_EXE_emperor"))
        .env("DEB_OUT", out.path())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let deb = String::from_utf8_lossy(&build.stdout).trim().to_owned();
    let (ok, log) = run("dpkg", &["-i", &deb]);
    assert!(ok, "dpkg -i: {log}");
    let installed = Path::new("/usr/bin/emperor");
    assert!(installed.exists());
    assert!(Path::new("/etc/uwsgi.d").is_dir());

    // The unit: not a single complaint (an unknown key would be one).
    let (ok, complaints) = run(
        "systemd-analyze",
        &["verify", "/lib/systemd/system/emperor.service"],
    );
    assert!(
        ok && complaints.trim().is_empty(),
        "systemd-analyze verify:\n{complaints}"
    );
    let unit = std::fs::read_to_string("/lib/systemd/system/emperor.service").unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap()
        .to_owned();
    assert_eq!(exec, "/usr/bin/emperor /etc/emperor.ini");

    // Started exactly as the unit's ExecStart, with what systemd would provide: the runtime
    // directory and a notification socket.
    std::fs::create_dir_all("/run/uwsgi").unwrap();
    let notify_dir = tempfile::tempdir().unwrap();
    let notify_path = notify_dir.path().join("notify");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let words: Vec<&str> = exec.split_whitespace().collect();
    let log_path = out.path().join("emperor.log");
    let mut emperor = Command::new(words[0])
        .args(&words[1..])
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("NOTIFY_SOCKET", &notify_path)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log_path).unwrap())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut notes = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !notes.contains("READY=1") && Instant::now() < deadline {
        let mut buf = [0u8; 512];
        if let Ok(n) = notify.recv(&mut buf) {
            notes.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(notes.contains("READY=1"), "no READY=1: {notes}\n{}", log());

    // A vassal dropped into /etc/uwsgi.d, owned by a user: served, as that user.
    let port = support::free_port();
    let vassal = Path::new("/etc/uwsgi.d/package-test.ini");
    std::fs::write(
        vassal,
        format!(
            "[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {}\nprocesses = 1\n",
            support::apps().join("whoami.py").display()
        ),
    )
    .unwrap();
    std::os::unix::fs::chown(vassal, Some(alice.uid.as_raw()), Some(alice.gid.as_raw())).unwrap();
    let body = wait_for(Duration::from_secs(20), || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        std::io::Write::write_all(&mut s, b"GET / HTTP/1.0\r\n\r\n").ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        text.contains("uid=").then_some(text)
    });
    let _ = std::fs::remove_file(vassal);
    let body = body.unwrap_or_else(|| panic!("the vassal never answered:\n{}", log()));
    assert!(
        body.contains(&format!("uid={}", alice.uid.as_raw())),
        "{body}"
    );
    let (ok, table) = run("/usr/bin/emperor", &["stats", "/run/uwsgi/stats.sock"]);
    assert!(ok && table.contains("package-test"), "{table}");

    // systemctl stop: SIGTERM, exit 0, nothing left.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(emperor.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_for(Duration::from_secs(30), || {
        emperor.try_wait().ok().flatten()
    });
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", log());

    let (ok, log) = run("dpkg", &["-r", "emperor"]);
    assert!(ok, "dpkg -r: {log}");
    assert!(!installed.exists(), "/usr/bin/emperor left after dpkg -r");
    assert!(!Path::new("/lib/systemd/system/emperor.service").exists());
    let (ok, log) = run("dpkg", &["--purge", "emperor"]);
    assert!(ok, "dpkg --purge: {log}");
    assert!(!Path::new("/etc/emperor.ini").exists());
}
