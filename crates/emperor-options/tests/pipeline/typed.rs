//! Typed configs: sockets, apps, `cheaper`, `chmod-socket`, and a config that would be both
//! the emperor and a vassal.

use emperor_options::typed::{AppSource, SocketAddr};
use emperor_options::{Checked, Typed, VassalConfig};

use crate::util::{Sandbox, render, render_without_status, row, snapshot};

fn vassal(checked: &Checked) -> &VassalConfig {
    match &checked.typed {
        Some(Typed::Vassal(v)) => v,
        other => panic!("not a vassal: {other:?}\n{}", render(&checked.diagnostics)),
    }
}

fn tcp(host: &str, port: u16) -> SocketAddr {
    SocketAddr::Tcp {
        host: host.to_owned(),
        port,
    }
}

/// (case, lines of `[uwsgi]`, the address of the last socket; `None` when refused).
#[test]
fn socket_addresses() {
    let rows: &[(&str, &str, Option<SocketAddr>)] = &[
        (
            "host:port",
            "socket = 127.0.0.1:3031",
            Some(tcp("127.0.0.1", 3031)),
        ),
        (
            "name:port",
            "socket = localhost:3031",
            Some(tcp("localhost", 3031)),
        ),
        (
            ":port, all interfaces",
            "socket = :8000",
            Some(tcp("", 8000)),
        ),
        ("[::1]:port", "socket = [::1]:8000", Some(tcp("::1", 8000))),
        (
            "unix path",
            "socket = /run/app.sock",
            Some(SocketAddr::Unix("/run/app.sock".into())),
        ),
        (
            "relative unix path",
            "socket = app.sock",
            Some(SocketAddr::Unix("app.sock".into())),
        ),
        (
            "unix path with a colon",
            "socket = /run/a:b.sock",
            Some(SocketAddr::Unix("/run/a:b.sock".into())),
        ),
        (
            "@abstract",
            "socket = @app",
            Some(SocketAddr::Abstract("app".into())),
        ),
        (
            "=0 shared socket",
            "shared-socket = :8000\nsocket = =0",
            Some(SocketAddr::Shared(0)),
        ),
        (
            "=1 of two shared sockets",
            "shared-socket = :8000\nshared-socket = :8001\nhttp-socket = =1",
            Some(SocketAddr::Shared(1)),
        ),
        (
            "=3 out of range",
            "shared-socket = :8000\nsocket = =3",
            None,
        ),
        ("=x", "shared-socket = :8000\nsocket = =x", None),
        ("port out of range", "socket = :70000", None),
        ("port not a number", "socket = localhost:http", None),
        ("empty port", "socket = 127.0.0.1:", None),
        ("bad host", "socket = ex ample:80", None),
        ("empty", "socket =", None),
    ];
    let sb = Sandbox::new();
    let mut table = String::new();
    for (name, lines, expected) in rows {
        let checked = sb.check_ini(lines);
        match expected {
            Some(addr) => {
                let v = vassal(&checked);
                assert_eq!(v.sockets.last().map(|s| &s.addr), Some(addr), "{name}");
            }
            None => assert!(
                checked.typed.is_none() && checked.has_errors(),
                "{name}: {}",
                render(&checked.diagnostics)
            ),
        }
        row(
            &mut table,
            name,
            lines,
            "",
            &render_without_status(&checked.diagnostics),
        );
    }
    snapshot!("socket_addresses", table);
}

#[test]
fn socket_protocols() {
    use emperor_options::typed::Protocol;
    let sb = Sandbox::new();
    let checked = sb.check_ini("socket = :1\nhttp-socket = :2\nuwsgi-socket = :3");
    let protocols: Vec<(String, Protocol, &str)> = vassal(&checked)
        .sockets
        .iter()
        .map(|s| (s.name.clone(), s.protocol, s.option))
        .collect();
    assert_eq!(
        protocols,
        [
            (":1".into(), Protocol::Uwsgi, "socket"),
            (":3".into(), Protocol::Uwsgi, "uwsgi-socket"),
            (":2".into(), Protocol::Http, "http-socket")
        ]
    );
    let checked = sb.check_ini("protocol = http\nsocket = :1");
    assert_eq!(vassal(&checked).sockets[0].protocol, Protocol::Http);
    let checked = sb.check_ini("protocol = fastcgi\nsocket = :1");
    assert!(checked.has_errors());
    snapshot!(
        "unsupported_protocol",
        render_without_status(&checked.diagnostics)
    );
}

fn module(m: &str, callable: Option<&str>, factory: bool) -> AppSource {
    AppSource::Module {
        module: m.to_owned(),
        callable: callable.map(str::to_owned),
        factory,
    }
}

/// (case, lines of `[uwsgi]`, the first app's mountpoint and source; `None` when refused).
type AppRow = (
    &'static str,
    &'static str,
    Option<(&'static str, AppSource)>,
);

#[test]
fn app_forms() {
    let rows: &[AppRow] = &[
        (
            "pkg.mod",
            "module = pkg.mod",
            Some(("", module("pkg.mod", None, false))),
        ),
        (
            "pkg.mod:app",
            "module = pkg.mod:app",
            Some(("", module("pkg.mod", Some("app"), false))),
        ),
        (
            "pkg.mod:create_app()",
            "module = pkg.mod:create_app()",
            Some(("", module("pkg.mod", Some("create_app"), true))),
        ),
        (
            "wsgi alias",
            "wsgi = site.wsgi:application",
            Some(("", module("site.wsgi", Some("application"), false))),
        ),
        ("app.py in module", "module = app.py", None),
        ("path in module", "module = /srv/app/wsgi", None),
        ("bad callable", "module = pkg:1app", None),
        (
            "wsgi-file, relative to chdir",
            "chdir = {root}\nwsgi-file = app.py",
            Some(("", AppSource::File("app.py".into()))),
        ),
        (
            "wsgi-file missing: a host check, a warning in `check`",
            "chdir = {root}\nwsgi-file = missing.py",
            Some(("", AppSource::File("missing.py".into()))),
        ),
        (
            "mount mp=module",
            "mount = /api=api.wsgi:app",
            Some(("/api", module("api.wsgi", Some("app"), false))),
        ),
        (
            "mount mp=file",
            "chdir = {root}\nmount = /blog=blog.py",
            Some(("/blog", AppSource::File("blog.py".into()))),
        ),
        ("mount without =", "mount = /api", None),
        ("mount of neither", "mount = /api=not a module", None),
        (
            "module and wsgi-file: module wins",
            "chdir = {root}\nmodule = pkg.mod\nwsgi-file = app.py",
            Some(("", module("pkg.mod", None, false))),
        ),
    ];
    let sb = Sandbox::new();
    sb.write("app.py", "application = None\n");
    sb.write("blog.py", "application = None\n");
    let mut table = String::new();
    for (name, lines, expected) in rows {
        let lines = lines.replace("{root}", &sb.root.to_string_lossy());
        let checked = sb.check_ini(&lines);
        match expected {
            Some((mountpoint, source)) => {
                let app = vassal(&checked)
                    .apps
                    .first()
                    .unwrap_or_else(|| panic!("{name}: no app"));
                assert_eq!(
                    (app.mountpoint.as_str(), &app.source),
                    (*mountpoint, source),
                    "{name}"
                );
            }
            None => assert!(
                checked.has_errors(),
                "{name}: {}",
                render(&checked.diagnostics)
            ),
        }
        row(
            &mut table,
            name,
            &lines,
            "",
            &render_without_status(&checked.diagnostics),
        );
    }
    snapshot!("app_forms", table);
}

#[test]
fn processes_cheaper_and_chmod() {
    let rows: &[(&str, &str, bool)] = &[
        (
            "cheaper below processes",
            "processes = 4\ncheaper = 2",
            true,
        ),
        (
            "cheaper equal to processes",
            "processes = 4\ncheaper = 4",
            false,
        ),
        ("cheaper above the default 1 process", "cheaper = 2", false),
        ("processes = 0 is 1", "processes = 0", true),
        ("chmod-socket = 660", "chmod-socket = 660", true),
        ("chmod-socket bare", "chmod-socket", true),
        ("chmod-socket = 1", "chmod-socket = 1", true),
        ("chmod-socket = 0660", "chmod-socket = 0660", true),
        ("chmod-socket = rw", "chmod-socket = rw", false),
        ("chmod-socket = 999", "chmod-socket = 999", false),
        ("env K=V", "env = LANG=C.UTF-8", true),
        ("env without =", "env = LANG", false),
    ];
    let sb = Sandbox::new();
    let mut table = String::new();
    for (name, lines, ok) in rows {
        let checked = sb.check_ini(lines);
        assert_eq!(
            checked.typed.is_some(),
            *ok,
            "{name}: {}",
            render(&checked.diagnostics)
        );
        row(
            &mut table,
            name,
            lines,
            "",
            &render_without_status(&checked.diagnostics),
        );
    }
    snapshot!("processes_cheaper_and_chmod", table);

    let v = |lines: &str| -> VassalConfig { vassal(&sb.check_ini(lines)).clone() };
    assert_eq!(v("chmod-socket = 660").chmod_socket, Some(0o660));
    assert_eq!(v("chmod-socket").chmod_socket, Some(0o666));
    assert_eq!(v("processes = 0").processes, 1);
    assert_eq!(v("processes = 4\ncheaper = 2").cheaper, 2);
    assert_eq!(
        v("env = LANG=C.UTF-8").env,
        [("LANG".to_owned(), "C.UTF-8".to_owned())]
    );
}

/// One file cannot be both the emperor and a vassal.
#[test]
fn emperor_and_vassal_in_one_file() {
    let sb = Sandbox::new();
    sb.mkdir("vassals");
    let checked = sb.check_ini("emperor = vassals\nsocket = :8000");
    assert!(checked.typed.is_none() && checked.has_errors());
    snapshot!(
        "emperor_and_vassal_in_one_file",
        render_without_status(&checked.diagnostics)
    );

    let checked = sb.check_ini(&format!("emperor = {}", sb.path("vassals")));
    match &checked.typed {
        Some(Typed::Emperor(e)) => assert_eq!(e.dirs, [sb.path("vassals")]),
        other => panic!(
            "not an emperor: {other:?}\n{}",
            render(&checked.diagnostics)
        ),
    }
    // A vassal option in the emperor's file is ignored, with a warning and a hint.
    let checked = sb.check_ini(&format!("emperor = {}\nprocesses = 4", sb.path("vassals")));
    assert!(checked.typed.is_some());
    snapshot!(
        "vassal_option_in_emperor_file",
        render_without_status(&checked.diagnostics)
    );
}
