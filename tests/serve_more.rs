//! More of the vassal end to end: the seed tutorials' command lines and vassal files, harakiri,
//! virtualenvs, protocol robustness, privileges, pidfile, logging and daemonizing.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use support::{
    Nginx, Proc, Response, apps, curl, free_port, http_get, http_vassal, raw_exchange, uid_of,
    uwsgi_packet, venv,
};

fn app(name: &str) -> String {
    apps().join(name).display().to_string()
}

fn stop(mut p: Proc) {
    assert_eq!(p.stop(Duration::from_secs(30)), Some(0), "{}", p.log());
    p.assert_nothing_left();
}

#[test]
fn harakiri_kills_a_stuck_worker_and_replaces_it() {
    let (p, port) = http_vassal(&[
        "--wsgi-file",
        &app("slow.py"),
        "--harakiri",
        "1",
        "--harakiri-verbose",
    ]);
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let out = raw_exchange(&mut s, b"GET /?20 HTTP/1.0\r\n\r\n");
    assert!(out.is_empty(), "a killed request gets no response");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "harakiri fired after {:?}",
        started.elapsed()
    );
    assert!(
        p.wait_log("HARAKIRI: -- wchan>", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    assert!(
        p.wait_log("HARAKIRI ON WORKER 1", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    assert_eq!(http_get(port, "/?0").status, 200, "a fresh worker serves");
    stop(p);
}

#[test]
fn home_points_at_a_second_venv() {
    let dir = tempfile::tempdir().unwrap();
    let venv =
        support::venv_with_module(dir.path(), "onlyhere", "VALUE = 'from the second venv'\n");
    std::fs::write(
        dir.path().join("usesit.py"),
        "import sys\nimport onlyhere\n\ndef application(e, sr):\n    b = ('%s|%s|%s' % (onlyhere.VALUE, sys.executable, sys.version)).encode()\n    sr('200 OK', [('Content-Length', str(len(b)))])\n    return [b]\n",
    )
    .unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let home = venv.display().to_string();
    let file = dir.path().join("usesit.py").display().to_string();
    let mut p = Proc::start(&[
        "--http-socket",
        &addr,
        "--home",
        &home,
        "--wsgi-file",
        &file,
    ]);
    p.wait_port(port);
    let r = http_get(port, "/");
    let text = r.text();
    let parts: Vec<&str> = text.split('|').collect();
    assert_eq!(parts[0], "from the second venv", "{text}\n{}", p.log());
    assert_eq!(
        Path::new(parts[1]),
        venv.join("bin/python"),
        "sys.executable is the venv's"
    );
    assert!(
        parts[2].starts_with("3.11"),
        "the embedded Python is Debian's 3.11: {text}"
    );
    stop(p);
}

#[test]
fn a_venv_of_another_python_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("py312");
    std::fs::create_dir_all(venv.join("bin")).unwrap();
    std::fs::write(
        venv.join("pyvenv.cfg"),
        "home = /usr/bin\nversion = 3.12.1\n",
    )
    .unwrap();
    let home = venv.display().to_string();
    let mut p = Proc::start(&[
        "--http-socket",
        "127.0.0.1:0",
        "--home",
        &home,
        "--wsgi-file",
        &app("hello.py"),
    ]);
    let status = support::wait_for(Duration::from_secs(15), || {
        p.child.try_wait().ok().flatten()
    })
    .expect("exits");
    assert_eq!(status.code(), Some(1), "{}", p.log());
    assert!(
        p.log()
            .contains("was made with Python 3.12.1, but emperor embeds Python 3.11"),
        "{}",
        p.log()
    );
}

#[test]
fn seed_001_command_lines() {
    // uwsgi --http :9090 --wsgi-file foobar.py --master --processes 4 --threads 2 --stats 127.0.0.1:9191
    let port = free_port();
    let http = format!(":{port}");
    let stats = format!("127.0.0.1:{}", free_port());
    let mut p = Proc::start(&[
        "--http",
        &http,
        "--wsgi-file",
        &app("hello.py"),
        "--master",
        "--processes",
        "4",
        "--threads",
        "2",
        "--stats",
        &stats,
    ]);
    p.wait_port(port);
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{port}/")]);
    assert!(ok && out == "Hello World\n", "{out}\n{}", p.log());
    stop(p);

    // uwsgi --socket 127.0.0.1:3031 --chdir /home/foobar/myproject/ --wsgi-file myproject/wsgi.py
    //       --master --processes 4 --threads 2 --stats 127.0.0.1:9191, behind nginx
    let home = venv()
        .expect("the test venv: run scripts/test")
        .display()
        .to_string();
    let port = free_port();
    let socket = format!("127.0.0.1:{port}");
    let chdir = app("djangoproj/");
    let mut p = Proc::start(&[
        "--socket",
        &socket,
        "--chdir",
        &chdir,
        "--wsgi-file",
        "djangoproj/wsgi.py",
        "--master",
        "--processes",
        "4",
        "--home",
        &home,
    ]);
    p.wait_port(port);
    let nginx = Nginx::start(&format!("uwsgi_pass {socket};"));
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{}/", nginx.port)]);
    assert!(
        ok && out.starts_with("Hello from Django"),
        "{out}\n{}",
        p.log()
    );
    stop(p);
}

#[test]
fn seed_002_socket_with_protocol_http_and_the_ini() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wsgi.py"), "def application(env, start_response):\n    start_response('200 OK', [('Content-Type', 'text/html')])\n    return [b'Hello!']\n").unwrap();
    // uwsgi --socket 127.0.0.1:9090 --protocol=http -w wsgi
    let port = free_port();
    let socket = format!("127.0.0.1:{port}");
    let chdir = dir.path().display().to_string();
    let mut p = Proc::start(&[
        "--socket",
        &socket,
        "--protocol=http",
        "-w",
        "wsgi",
        "--chdir",
        &chdir,
    ]);
    p.wait_port(port);
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{port}/")]);
    assert!(ok && out == "Hello!", "{out}\n{}", p.log());
    stop(p);

    // The seed's wsgi.ini (daemonize and pidfile under the test dir), run as `--ini`.
    let port = free_port();
    let ini = format!(
        "[uwsgi]\n# socket = addr:port\nsocket = 127.0.0.1:{port}\nchdir  = {chdir}\nmaster = true\nprocesses = 1\nwsgi-file = wsgi.py\npidfile = {chdir}/uwsgi_pid.pid\n"
    );
    std::fs::write(dir.path().join("wsgi.ini"), ini).unwrap();
    let ini = dir.path().join("wsgi.ini").display().to_string();
    let mut p = Proc::start(&["--ini", &ini]);
    p.wait_port(port);
    let packet = uwsgi_packet(
        &[
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
        ],
        b"",
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let r = Response::parse(&raw_exchange(&mut s, &packet));
    assert_eq!(r.text(), "Hello!");
    let pid: i32 = std::fs::read_to_string(dir.path().join("uwsgi_pid.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pid, p.pid(), "the pidfile names the master");
    stop(p);
}

#[test]
fn seed_003_and_004_unix_socket_behind_nginx_as_another_user() {
    let Some(uid) = uid_of("emperor-test") else {
        panic!("user emperor-test missing: run scripts/test")
    };
    let home = venv()
        .expect("the test venv: run scripts/test")
        .display()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::process::Command::new("chmod")
        .args(["755", &dir.path().display().to_string()])
        .status()
        .unwrap();
    std::process::Command::new("chown")
        .args(["emperor-test", &run.display().to_string()])
        .status()
        .unwrap();
    std::fs::write(
        dir.path().join("wsgi.py"),
        "import sys\nsys.path.insert(0, %r)\nfrom flask_app import application\n"
            .replace("%r", &format!("{:?}", apps().display().to_string())),
    )
    .unwrap();
    // Seed 004's myapp.ini, with the test user and paths.
    let sock = run.join("myapp.sock");
    let ini = format!(
        "[uwsgi]\nmodule = wsgi:application\n\nmaster = true\nprocesses = 5\n\nuid = emperor-test\nsocket = {}\nchown-socket = emperor-test:www-data\nchmod-socket = 660\nvacuum = true\n\ndie-on-term = true\nchdir = {}\nhome = {home}\n",
        sock.display(),
        dir.path().display()
    );
    std::fs::write(dir.path().join("myapp.ini"), ini).unwrap();
    let ini = dir.path().join("myapp.ini").display().to_string();
    let mut p = Proc::start(&["--ini", &ini]);
    p.wait_unix(&sock);
    let meta = std::fs::metadata(&sock).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660, "chmod-socket");
    assert_eq!(meta.uid(), uid, "chown-socket");
    let nginx = Nginx::start(&format!("uwsgi_pass unix:{};", sock.display()));
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{}/", nginx.port)]);
    assert!(
        ok && out.contains("Hello There!"),
        "{out}\n{}\n{}",
        nginx.error_log(),
        p.log()
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", p.pid())).unwrap();
    assert!(status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some(&uid.to_string())), "the master dropped to emperor-test:\n{status}");
    stop(p);
    assert!(!sock.exists(), "vacuum");
}

#[test]
fn seed_000_web2py_xml_vassal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wsgihandler.py"), "def application(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'web2py says hi']\n").unwrap();
    let port = free_port();
    let xml = format!(
        "<uwsgi>\n    <uid>emperor-test</uid>\n    <gid>emperor-test</gid>\n    <plugin>python</plugin>\n    <socket>127.0.0.1:{port}</socket>\n    <pythonpath>{}</pythonpath>\n    <module>wsgihandler</module>\n    <processes>3</processes>\n    <harakiri>60</harakiri>\n    <reload-mercy>8</reload-mercy>\n    <cpu-affinity>1</cpu-affinity>\n    <max-requests>2000</max-requests>\n    <reload-on-rss>192</reload-on-rss>\n    <no-orphans/>\n</uwsgi>\n",
        dir.path().display()
    );
    std::fs::write(dir.path().join("web2py.xml"), xml).unwrap();
    std::process::Command::new("chmod")
        .args(["755", &dir.path().display().to_string()])
        .status()
        .unwrap();
    let file = dir.path().join("web2py.xml").display().to_string();
    let mut p = Proc::start(&[&file]);
    p.wait_port(port);
    let nginx = Nginx::start(&format!(
        "uwsgi_pass 127.0.0.1:{port};\n      uwsgi_param UWSGI_SCHEME $scheme;"
    ));
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{}/", nginx.port)]);
    assert!(ok && out == "web2py says hi", "{out}\n{}", p.log());
    stop(p);
}

#[test]
fn uwsgi_protocol_abuse_never_starves_workers() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut p = Proc::start(&[
        "--socket",
        &addr,
        "--wsgi-file",
        &app("hello.py"),
        "--processes",
        "2",
        "--socket-timeout",
        "1",
    ]);
    p.wait_port(port);
    // A vars block larger than buffer-size: closed without a response.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let out = raw_exchange(&mut s, &[0, 0xff, 0xff, 0]);
    assert!(out.is_empty());
    assert!(
        p.wait_log(
            "invalid request block size: 65535 (max 4096)",
            Duration::from_secs(5)
        ),
        "{}",
        p.log()
    );
    // processes + 1 truncated packets left idle: each is dropped at its read deadline and a
    // good request still gets through.
    let mut idle = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(&[0, 100, 0, 0, 5, 0]).unwrap();
        idle.push(s);
    }
    let packet = uwsgi_packet(
        &[
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
        ],
        b"",
    );
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let r = Response::parse(&raw_exchange(&mut s, &packet));
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a good request waited {:?}",
        started.elapsed()
    );
    // The idle ones were closed by the server.
    for mut s in idle {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 16];
        assert!(matches!(s.read(&mut buf), Ok(0) | Err(_)));
    }
    // Duplicate CONTENT_LENGTH is refused.
    let packet = uwsgi_packet(
        &[
            ("REQUEST_METHOD", "POST"),
            ("CONTENT_LENGTH", "1"),
            ("CONTENT_LENGTH", "2"),
            ("PATH_INFO", "/"),
        ],
        b"ab",
    );
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let out = raw_exchange(&mut s, &packet);
    assert!(!String::from_utf8_lossy(&out).contains("200 OK"));
    stop(p);
}

#[test]
fn http_abuse_gets_4xx_and_chunked_bodies_are_dechunked() {
    let (p, port) = http_vassal(&["--wsgi-file", &app("echo.py")]);
    let send = |req: &[u8]| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Response::parse(&raw_exchange(&mut s, req))
    };
    assert_eq!(
        send(b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n").status,
        400
    );
    assert_eq!(send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").status, 400);
    assert_eq!(
        send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
            .status,
        400
    );
    assert_eq!(
        send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n").status,
        400
    );
    let big = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(8000)
    );
    assert_eq!(send(big.as_bytes()).status, 431);
    let r = send(b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    assert_eq!(r.status, 200, "{}", p.log());
    assert!(
        r.text().contains("\"body\": \"hello world\""),
        "{}",
        r.text()
    );
    assert!(
        r.text().contains("\"CONTENT_LENGTH\": \"11\""),
        "{}",
        r.text()
    );
    stop(p);
}

#[test]
fn daemonize_detaches_logs_to_the_file_and_writes_the_pidfile() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vassal.log");
    let pidfile = dir.path().join("vassal.pid");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut p = Proc::start(&[
        "--http-socket",
        &addr,
        "--wsgi-file",
        &app("hello.py"),
        "--daemonize",
        &log.display().to_string(),
        "--pidfile",
        &pidfile.display().to_string(),
    ]);
    let status = support::wait_for(Duration::from_secs(15), || {
        p.child.try_wait().ok().flatten()
    })
    .expect("the launcher returns");
    assert!(status.success(), "{}", p.log());
    let ok = support::wait_for(Duration::from_secs(15), || {
        TcpStream::connect(("127.0.0.1", port)).ok()
    });
    assert!(
        ok.is_some(),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert_eq!(http_get(port, "/").status, 200);
    let pid: i32 = support::wait_for(Duration::from_secs(5), || {
        std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok()
    })
    .expect("pidfile");
    assert!(
        support::wait_for(Duration::from_secs(5), || std::fs::read_to_string(&log)
            .ok()
            .filter(|l| l.contains("GET / =>")))
        .is_some(),
        "request logged to the file"
    );
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let gone = support::wait_for(Duration::from_secs(20), || {
        (!support::session_alive(pid)).then_some(())
    });
    assert!(gone.is_some(), "the daemon and its workers stop");
}

#[test]
fn workers_run_as_the_configured_user() {
    let Some(uid) = uid_of("emperor-test") else {
        panic!("user emperor-test missing: run scripts/test")
    };
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let chdir = apps().display().to_string();
    let mut p = Proc::start(&[
        "--http-socket",
        &addr,
        "--chdir",
        &chdir,
        "--wsgi-file",
        "whoami.py",
        "--uid",
        "emperor-test",
        "--gid",
        "emperor-test",
    ]);
    p.wait_port(port);
    let text = http_get(port, "/").text();
    assert!(
        text.starts_with(&format!("uid={uid} ")),
        "{text}\n{}",
        p.log()
    );
    assert!(
        !p.log().contains("running emperor as root"),
        "no root warning after a drop"
    );
    stop(p);
}

#[test]
fn abstract_and_shared_sockets() {
    let name = format!("emperor-test-{}", std::process::id());
    let abs = format!("@{name}");
    let port = free_port();
    let shared = format!("127.0.0.1:{port}");
    let mut p = Proc::start(&[
        "--shared-socket",
        &shared,
        "--http-socket",
        "=0",
        "--socket",
        &abs,
        "--wsgi-file",
        &app("hello.py"),
    ]);
    p.wait_port(port);
    assert_eq!(
        http_get(port, "/").text(),
        "Hello World\n",
        "HTTP on the shared socket"
    );
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let mut s = std::os::unix::net::UnixStream::connect_addr(&addr).unwrap();
    let packet = uwsgi_packet(
        &[
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/"),
            ("SERVER_PROTOCOL", "HTTP/1.0"),
        ],
        b"",
    );
    let r = Response::parse(&raw_exchange(&mut s, &packet));
    assert_eq!(r.text(), "Hello World\n", "uwsgi on the abstract socket");
    stop(p);
}

#[test]
fn log_format_and_log_5xx_with_disable_logging() {
    let (p, port) = http_vassal(&[
        "--wsgi-file",
        &app("boom.py"),
        "--log-format",
        "REQ %(method) %(uri) -> %(status) %(size)b by %(uagent)",
    ]);
    let (ok, _) = curl(&["-A", "tester/1", &format!("http://127.0.0.1:{port}/ok")]);
    assert!(ok);
    assert!(
        p.wait_log("REQ GET /ok -> 200 5b by tester/1", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    stop(p);

    let (p, port) = http_vassal(&[
        "--wsgi-file",
        &app("boom.py"),
        "--disable-logging",
        "--log-5xx",
    ]);
    assert_eq!(http_get(port, "/ok").status, 200);
    assert_eq!(http_get(port, "/fail").status, 500);
    assert!(
        p.wait_log("GET /fail => generated", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    assert!(
        !p.log().contains("GET /ok =>"),
        "only 5xx are logged:\n{}",
        p.log()
    );
    stop(p);
}

#[test]
fn sockets_inherited_from_systemd_and_on_fd0() {
    // systemd socket activation: LISTEN_FDS / LISTEN_PID, matched to the configured address.
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut p = {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("emperor.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new("systemd-socket-activate")
            .args([
                "-l",
                &addr,
                env!("CARGO_BIN_EXE_emperor"),
                "--http-socket",
                &addr,
                "--wsgi-file",
                &app("hello.py"),
            ])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap();
        Proc { child, dir, log }
    };
    // systemd-socket-activate binds first and execs emperor on the first connection.
    p.wait_port(port);
    assert_eq!(http_get(port, "/").text(), "Hello World\n", "{}", p.log());
    assert!(
        !p.log().contains("socket bound"),
        "the inherited socket is used, none is bound: {}",
        p.log()
    );
    stop(p);

    // On-demand: a listening socket on fd 0 and no socket configured.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("emperor.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = {
        use std::os::unix::process::CommandExt;
        std::process::Command::new(env!("CARGO_BIN_EXE_emperor"))
            .args(["--wsgi-file", &app("hello.py")])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(
                listener,
            )))
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let p = Proc { child, dir, log };
    let packet = uwsgi_packet(
        &[
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/"),
            ("SERVER_PROTOCOL", "HTTP/1.0"),
        ],
        b"",
    );
    let ok = support::wait_for(Duration::from_secs(15), || {
        TcpStream::connect(("127.0.0.1", port))
            .ok()
            .map(|mut s| raw_exchange(&mut s, &packet))
            .filter(|r| !r.is_empty())
    });
    let r = Response::parse(&ok.expect("fd 0 socket serves"));
    assert_eq!(r.text(), "Hello World\n");
    stop(p);
}

#[test]
fn need_app_exits_22_when_the_app_does_not_import() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.py"),
        "import does_not_exist_anywhere\n",
    )
    .unwrap();
    let file = dir.path().join("broken.py").display().to_string();
    let mut p = Proc::start(&[
        "--http-socket",
        "127.0.0.1:0",
        "--wsgi-file",
        &file,
        "--need-app",
    ]);
    let status = support::wait_for(Duration::from_secs(15), || {
        p.child.try_wait().ok().flatten()
    })
    .expect("exits");
    assert_eq!(status.code(), Some(22), "{}", p.log());
    let log = p.log();
    assert!(
        log.contains("ModuleNotFoundError: No module named 'does_not_exist_anywhere'"),
        "{log}"
    );
    assert!(log.contains("*** no app loaded. GAME OVER ***"), "{log}");
    p.assert_nothing_left();
}

#[test]
fn seed_001_mount_points_with_manage_script_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["app1", "app2"] {
        std::fs::write(
            dir.path().join(format!("{name}.py")),
            format!("def application(e, sr):\n    b = ('{name} SCRIPT_NAME=%s PATH_INFO=%s' % (e['SCRIPT_NAME'], e['PATH_INFO'])).encode()\n    sr('200 OK', [('Content-Length', str(len(b)))])\n    return [b]\n"),
        )
        .unwrap();
    }
    let port = free_port();
    let ini = format!(
        "[uwsgi]\nsocket = 127.0.0.1:{port}\n; mount apps\nmount = /app1=app1.py\nmount = /app2=app2.py\n; rewrite SCRIPT_NAME and PATH_INFO accordingly\nmanage-script-name = true\n"
    );
    std::fs::write(dir.path().join("mount.ini"), ini).unwrap();
    let mut p = Proc::start_in(dir, &["mount.ini"], &[]);
    p.wait_port(port);
    let nginx = Nginx::start(&format!("uwsgi_pass 127.0.0.1:{port};"));
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{}/app2/some/page", nginx.port)]);
    assert!(
        ok && out == "app2 SCRIPT_NAME=/app2 PATH_INFO=/some/page",
        "{out}\n{}",
        p.log()
    );
    let (ok, out) = curl(&[&format!("http://127.0.0.1:{}/app1", nginx.port)]);
    assert!(
        ok && out == "app1 SCRIPT_NAME=/app1 PATH_INFO=",
        "{out}\n{}",
        p.log()
    );
    stop(p);
}

/// Sends one keep-alive GET on `s` and returns the body (the response is framed by
/// Content-Length).
fn keepalive_get(s: &mut TcpStream) -> String {
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&data));
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .expect("Content-Length")
                .trim()
                .parse()
                .unwrap();
            if body.len() >= len {
                return body[..len].to_owned();
            }
        }
    }
}

/// The worker pid in a `whoami.py` answer.
fn whoami_pid(body: &str) -> String {
    body.split_whitespace()
        .find_map(|w| w.strip_prefix("pid="))
        .expect("pid")
        .to_owned()
}

#[test]
fn kept_alive_clients_spread_over_the_workers() {
    // Clients that connect one after another while the workers are idle would all wake the
    // same worker; a worker far ahead of an idle sibling stops accepting for a moment.
    let (p, port) = http_vassal(&["--wsgi-file", &app("whoami.py"), "--processes", "2"]);
    let mut held = Vec::new();
    let mut per_pid = std::collections::HashMap::<String, usize>::new();
    for _ in 0..16 {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        *per_pid
            .entry(whoami_pid(&keepalive_get(&mut s)))
            .or_default() += 1;
        held.push(s);
    }
    assert_eq!(
        per_pid.len(),
        2,
        "one worker took every client: {per_pid:?}"
    );
    assert!(
        per_pid.values().all(|&n| n >= 3),
        "clients per worker: {per_pid:?}"
    );
    // Every kept connection still answers, on the worker that accepted it.
    for s in &mut held {
        assert!(keepalive_get(s).contains("pid="));
    }
    drop(held);
    stop(p);
}

#[test]
fn a_body_that_stops_arriving_is_cut_at_socket_timeout() {
    let (p, port) = http_vassal(&["--wsgi-file", &app("hello.py"), "--socket-timeout", "1"]);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly ten b")
        .unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let waited = started.elapsed();
    // Answered 408 (it was a silent close), then closed.
    assert!(
        out.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
        "got {:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(15),
        "closed after {waited:?}"
    );
    assert!(
        p.wait_log("error reading the request body", Duration::from_secs(5)),
        "{}",
        p.log()
    );
    // The worker serves the next client.
    assert_eq!(http_get(port, "/").status, 200);
    stop(p);
}

#[test]
fn a_preloaded_app_that_starts_threads_gets_a_warning() {
    let (p, port) = http_vassal(&["--wsgi-file", &app("starts_thread.py")]);
    assert_eq!(http_get(port, "/").text(), "ok\n");
    assert!(
        p.wait_log(
            "the app started 1 thread(s) while loading",
            Duration::from_secs(5)
        ),
        "{}",
        p.log()
    );
    stop(p);
    // An app that starts none gets no warning (and `threading` is not imported for it).
    let (p, port) = http_vassal(&["--wsgi-file", &app("hello.py")]);
    assert_eq!(http_get(port, "/").status, 200);
    assert!(!p.log().contains("thread(s) while loading"), "{}", p.log());
    stop(p);
}

#[test]
fn slow_client_large_body_both_ways() {
    // A 3 MB upload sent in pieces (the worker waits for each) and a 3 MB answer read only
    // after a pause (the worker's writes find the socket full and wait): sockets stay
    // non-blocking, so both waits go through poll, bounded by socket-timeout.
    let (p, port) = http_vassal(&["--wsgi-file", &app("echo.py"), "--socket-timeout", "10"]);
    let body = vec![b'x'; 3 * 1024 * 1024];
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(
        format!(
            "POST /up HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    for piece in body.chunks(512 * 1024) {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let r = Response::parse(&out);
    assert_eq!(r.status, 200, "{}", p.log());
    let text = r.text();
    let start = text.find("\"body\": \"").expect("body key") + 9;
    let echoed = &text[start..start + body.len()];
    assert!(echoed.bytes().all(|b| b == b'x'), "body changed");
    assert_eq!(text.as_bytes()[start + body.len()], b'"', "body length");
    stop(p);
}

/// Listening TCP sockets on `port` (`/proc/net/tcp`, state LISTEN).
fn listening_sockets(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[1].ends_with(&local) && f[3] == "0A"
        })
        .count()
}

#[test]
fn reuse_port_gives_each_worker_its_own_listener() {
    let (p, port) = http_vassal(&[
        "--wsgi-file",
        &app("whoami.py"),
        "--processes",
        "2",
        "--reuse-port",
    ]);
    let mut pids = std::collections::HashSet::new();
    for _ in 0..100 {
        let r = http_get(port, "/");
        assert_eq!(r.status, 200, "{}", p.log());
        pids.insert(whoami_pid(&r.text()));
    }
    assert_eq!(pids.len(), 2, "answered by {pids:?}");
    // The master's listener and one socket per worker, all on the port.
    assert_eq!(listening_sockets(port), 3, "{}", p.log());
    let migrate = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_migrate_req")
        .is_ok_and(|v| v.trim() == "1");
    assert_eq!(p.log().contains("tcp_migrate_req"), !migrate, "{}", p.log());
    stop(p);
    // Without the option: only the master's listener.
    let (p, port) = http_vassal(&["--wsgi-file", &app("whoami.py"), "--processes", "2"]);
    assert_eq!(http_get(port, "/").status, 200);
    assert_eq!(listening_sockets(port), 1);
    stop(p);
}
