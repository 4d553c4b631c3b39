//! The command line (uWSGI's getopt grammar) and `UWSGI_*` environment variables.

use crate::util::{Sandbox, render, render_without_status, row, snapshot, values};

/// (case, arguments after the program name, option, its effective values).
const ROWS: &[(&str, &[&str], &str, &[&str])] = &[
    ("--key value", &["--socket", ":8000"], "socket", &[":8000"]),
    ("--key=value", &["--socket=:8000"], "socket", &[":8000"]),
    (
        "--key=value with = in the value",
        &["--env=A=B"],
        "env",
        &["A=B"],
    ),
    (
        "repeated list option",
        &["--socket", ":1", "--socket=:2"],
        "socket",
        &[":1", ":2"],
    ),
    ("bare flag", &["--vacuum"], "vacuum", &["true"]),
    ("flag=false", &["--vacuum=false"], "vacuum", &["false"]),
    (
        "flag does not take the next word",
        &["--vacuum", "--processes", "2"],
        "processes",
        &["2"],
    ),
    (
        "optional argument stays attached",
        &["--chmod-socket", "--socket", "/run/a.sock"],
        "chmod-socket",
        &[""],
    ),
    (
        "optional argument given",
        &["--chmod-socket=660"],
        "chmod-socket",
        &["660"],
    ),
    ("alias", &["--workers", "3"], "processes", &["3"]),
    ("-s ADDR", &["-s", ":9000"], "socket", &[":9000"]),
    ("-sADDR", &["-s:9000"], "socket", &[":9000"]),
    ("-p4", &["-p4"], "processes", &["4"]),
    ("-M", &["-M"], "master", &["true"]),
    ("-Mp 4", &["-Mp", "4"], "processes", &["4"]),
    ("-Mp 4 sets master too", &["-Mp", "4"], "master", &["true"]),
    ("-t 30", &["-t", "30"], "harakiri", &["30"]),
    (
        "scalar: last one wins",
        &["-p", "2", "--processes", "6"],
        "processes",
        &["6"],
    ),
    (
        "a config file's scalar overrides the command line",
        &["app.ini", "--processes", "6"],
        "processes",
        &["2"],
    ),
    ("positional app.ini", &["app.ini"], "socket", &[":7000"]),
    (
        "positional app.ini:section",
        &["app.ini:prod"],
        "socket",
        &[":7443"],
    ),
    ("positional json", &["app.json"], "socket", &[":7001"]),
    (
        "after --, everything is a file",
        &["--", "app.ini"],
        "socket",
        &[":7000"],
    ),
    ("--ini FILE", &["--ini", "app.ini"], "socket", &[":7000"]),
    (
        "--ini FILE:section",
        &["--ini", "app.ini:prod"],
        "socket",
        &[":7443"],
    ),
    (
        "--include FILE",
        &["--include", "app.json"],
        "socket",
        &[":7001"],
    ),
    (
        "--set k=v sets an option",
        &["--set", "processes=5"],
        "processes",
        &["5"],
    ),
    ("-S k=v", &["-S", "processes=5"], "processes", &["5"]),
    (
        "--set-placeholder then use",
        &["--set-placeholder", "port=8123", "--socket", ":%(port)"],
        "socket",
        &[":8123"],
    ),
    (
        "magic variables are not expanded on the command line",
        &["--chdir", "%d"],
        "chdir",
        &["%d"],
    ),
    (
        "$(ENV) is expanded on the command line",
        &["--chdir", "$(HOME)"],
        "chdir",
        &["/home/alice"],
    ),
];

#[test]
fn command_line_grammar() {
    let sb = Sandbox::new();
    sb.write(
        "app.ini",
        "[uwsgi]\nsocket = :7000\nprocesses = 2\n[prod]\nsocket = :7443\n",
    );
    sb.write("app.json", r#"{"uwsgi": {"socket": ":7001"}}"#);
    let mut table = String::new();
    for (name, args, option, expected) in ROWS {
        let checked = sb.argv(args);
        assert_eq!(
            values(&checked, option),
            *expected,
            "{name}\n{}",
            render(&checked.diagnostics)
        );
        row(
            &mut table,
            name,
            &args.join(" "),
            &format!("{option} = {}", expected.join(", ")),
            &render_without_status(&checked.diagnostics),
        );
    }
    snapshot!("command_line_grammar", table);
}

/// Command lines that are refused, with their messages.
#[test]
fn command_line_errors() {
    let rows: &[(&str, &[&str])] = &[
        ("unknown option with a suggestion", &["--proceses", "4"]),
        ("unknown option, no suggestion", &["--zzqqxx"]),
        ("unknown short option", &["-Z"]),
        (
            "unknown option with its value, then a file",
            &["--harakari", "30", "app.ini"],
        ),
        ("missing value at the end", &["--socket"]),
        ("missing value of a short option", &["-s"]),
        ("a Python file as a bare word", &["app.py"]),
        ("a module as a bare word", &["myapp.wsgi_module"]),
        ("a module:callable as a bare word", &["pkg.mod:app"]),
        ("a bare word without extension", &["app"]),
        ("a missing config file", &["nowhere.ini"]),
        ("a YAML file", &["app.yml"]),
        ("--set without =", &["--set", "processes"]),
        (
            "--set-placeholder naming an option",
            &["--set-placeholder", "socket=:1"],
        ),
    ];
    let sb = Sandbox::new();
    let mut table = String::new();
    for (name, args) in rows {
        let checked = sb.argv(args);
        assert!(
            checked.has_errors(),
            "{name}: {}",
            render(&checked.diagnostics)
        );
        row(
            &mut table,
            name,
            &args.join(" "),
            "",
            &render(&checked.diagnostics),
        );
    }
    snapshot!("command_line_errors", table);
}

/// `UWSGI_FOO_BAR=v` is `foo-bar = v`, read before the command line; reserved names are not
/// options.
#[test]
fn uwsgi_environment_variables() {
    let sb = Sandbox::new()
        .env("UWSGI_PROCESSES", "4")
        .env("UWSGI_SOCKET", ":8000")
        .env("UWSGI_MAX_REQUESTS", "100")
        .env("UWSGI_RELOADS", "3")
        .env("UWSGI_VASSALS_DIR", "/etc/uwsgi.d")
        .env("UWSGI_EMPEROR_FD", "3")
        .env("UWSGI_HARAKARI", "30")
        .env("NOT_UWSGI_SOCKET", ":1");
    let checked = sb.argv(&[]);
    assert_eq!(values(&checked, "processes"), ["4"]);
    assert_eq!(values(&checked, "socket"), [":8000"]);
    assert_eq!(values(&checked, "max-requests"), ["100"]);
    assert!(checked.effective.get("reloads").is_none());
    snapshot!(
        "uwsgi_environment_variables",
        render_without_status(&checked.diagnostics)
    );

    // The command line comes after the environment: its scalars win, its lists append.
    let checked = sb.argv(&["--processes", "2", "--socket", ":9000"]);
    assert_eq!(values(&checked, "processes"), ["2"]);
    assert_eq!(values(&checked, "socket"), [":8000", ":9000"]);
    assert_eq!(
        crate::util::origin_of(&checked, "processes"),
        "command line (argument 1)"
    );

    // `emperor check FILE` reads no `UWSGI_*` variables.
    sb.write("app.ini", "[uwsgi]\nsocket = :7000\n");
    let checked = sb.check("app.ini");
    assert!(checked.effective.get("processes").is_none());
}
