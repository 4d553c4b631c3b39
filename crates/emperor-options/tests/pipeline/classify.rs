//! What a key is: an option (implemented, planned, no-op, unsupported), a placeholder, or an
//! unknown key with a did-you-mean; `strict = true`; warnings about likely mistakes.

use emperor_options::table::{self, Kind, Status};

use crate::util::{Sandbox, errors, render, row, snapshot};

/// A planned flag of the current table, so that this test does not change as options land.
fn planned_flag() -> &'static str {
    table::OPTIONS
        .iter()
        .find(|d| d.status == Status::Planned && d.kind == Kind::Flag)
        .map(|d| d.name)
        .expect("the table has a planned flag")
}

/// (case, lines of `[uwsgi]`); `{planned}` stands for a planned flag.
const ROWS: &[(&str, &str)] = &[
    ("typo with a suggestion", "harakari = 30"),
    ("another typo", "proceses = 4"),
    ("underscores for dashes", "max_requests = 100"),
    ("keys are case-sensitive", "Processes = 4"),
    ("unknown key, no suggestion", "zzqqxx = 1"),
    (
        "unsupported, by name, with what will not happen",
        "cgi = /cgi-bin=/srv/cgi",
    ),
    ("planned", "{planned} = true"),
    ("no-op, with its reason", "master = true"),
    (
        "placeholder used as %(key)",
        "base = /srv\nchdir = %(base)/app",
    ),
    ("placeholder used in math", "n = 2\nprocesses = %(n * 2)"),
    (
        "placeholder used by if-opt",
        "flavor = prod\nif-opt = flavor=prod\nharakiri = 8\nendif",
    ),
    (
        "placeholder referenced before it is defined",
        "chdir = %(base)/app\nbase = /srv",
    ),
    ("set-placeholder, never used", "set-placeholder = spare=1"),
    ("undefined placeholder", "chdir = %(nowhere)/app"),
    (
        "log-format variables are not placeholders",
        "log-format = %(addr) %(status) %(msecs)ms",
    ),
    (
        "space where = belongs, with a value",
        "static-map /static=/srv/static",
    ),
    ("space where = belongs, no value", "socket :8000"),
    ("empty key", "= 1"),
    ("inline comment", "socket = :8000 ; web"),
    ("daemonize = true", "daemonize = true"),
    ("a path option given a boolean", "logto = 1"),
    ("option of the other role", "emperor-tyrant = true"),
    (
        "unsupported directive",
        "resolve = ip=example.com\nafter = %(ip)",
    ),
    (
        "iprint prints at once, unexpanded",
        "iprint = hello %(x)\nx = world",
    ),
    ("config = is refused", "config = lua://app.lua"),
    (
        "print prints once expanded",
        "print = hello %(x)\nx = world",
    ),
];

#[test]
fn key_classification() {
    let sb = Sandbox::new();
    let planned = planned_flag();
    let mut table = String::new();
    for (name, lines) in ROWS {
        let lines = lines.replace("{planned}", planned);
        let checked = sb.check_ini(&lines);
        let shown =
            render(&checked.diagnostics).replace(&format!("`{planned}`"), "`[planned flag]`");
        row(
            &mut table,
            name,
            &lines.replace(planned, "[planned flag]"),
            "",
            &shown,
        );
    }
    snapshot!("key_classification", table);
}

/// Placeholders are not warned about and are listed apart from the options.
#[test]
fn placeholders_are_not_options() {
    let sb = Sandbox::new();
    let checked = sb.check_ini("base = /srv\nflavor = prod\nset-placeholder = spare=1\nif-opt = flavor\nendif\nchdir = %(base)");
    let keys: Vec<&str> = checked
        .effective
        .placeholders
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    assert_eq!(keys, ["base", "flavor", "spare"]);
    assert!(
        checked
            .diagnostics
            .iter()
            .all(|d| !d.message.contains("unknown")),
        "{}",
        render(&checked.diagnostics)
    );
    assert!(!checked.effective.to_ini(false).contains("base"));
}

/// `strict = true` turns every warning into an error, wherever it is set; notes stay notes.
#[test]
fn strict_mode() {
    let rows: &[(&str, &str, usize)] = &[
        (
            "without strict: warnings only",
            "harakari = 30\ncgi = /x=/y\nmaster",
            0,
        ),
        (
            "strict first",
            "strict = true\nharakari = 30\ncgi = /x=/y\nmaster",
            2,
        ),
        ("strict last still applies", "harakari = 30\nstrict", 1),
        ("strict = false", "strict = false\nharakari = 30", 0),
        (
            "strict and a planned option",
            "strict\nmax-worker-lifetime-delta = 2",
            1,
        ),
    ];
    let sb = Sandbox::new();
    let mut table = String::new();
    for (name, lines, expected_errors) in rows {
        let checked = sb.check_ini(lines);
        let shown = render(&checked.diagnostics)
            .replace(&format!("`{}`", planned_flag()), "`[planned flag]`");
        assert_eq!(
            errors(&checked.diagnostics),
            *expected_errors,
            "{name}\n{shown}"
        );
        assert_eq!(checked.typed.is_some(), *expected_errors == 0, "{name}");
        row(&mut table, name, lines, "", &shown);
    }
    snapshot!("strict_mode", table);

    // On the command line too.
    let checked = sb.argv(&["--strict", "--socket", ":8000", "t.ini"]);
    assert!(checked.has_errors(), "{}", render(&checked.diagnostics));
}
