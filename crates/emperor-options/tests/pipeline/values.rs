//! Values typed by the option's kind: booleans as uWSGI reads them, integers and sizes that
//! refuse junk, megabytes with decimals; lists append, scalars keep the last value, aliases
//! are the same option.

use crate::util::{Sandbox, render_without_status, row, snapshot, values};

/// (case, lines of `[uwsgi]`, option, its effective values as `emperor check` prints them;
/// empty when the value is refused).
const ROWS: &[(&str, &str, &str, &[&str])] = &[
    // booleans (`vacuum` is a flag)
    ("bare key", "vacuum", "vacuum", &["true"]),
    ("empty value", "vacuum =", "vacuum", &["true"]),
    ("true", "vacuum = true", "vacuum", &["true"]),
    ("True", "vacuum = True", "vacuum", &["true"]),
    ("yes", "vacuum = yes", "vacuum", &["true"]),
    ("on", "vacuum = on", "vacuum", &["true"]),
    ("1", "vacuum = 1", "vacuum", &["true"]),
    ("false", "vacuum = false", "vacuum", &["false"]),
    ("FALSE", "vacuum = FALSE", "vacuum", &["false"]),
    ("off", "vacuum = off", "vacuum", &["false"]),
    ("No", "vacuum = No", "vacuum", &["false"]),
    ("0", "vacuum = 0", "vacuum", &["false"]),
    (
        "anything else is true, with a warning",
        "vacuum = anything",
        "vacuum",
        &["true"],
    ),
    (
        "2 is true, with a warning",
        "vacuum = 2",
        "vacuum",
        &["true"],
    ),
    (
        "00 is true (only `0` is false)",
        "vacuum = 00",
        "vacuum",
        &["true"],
    ),
    (
        "inline comment after false",
        "vacuum = false ; not now",
        "vacuum",
        &["false"],
    ),
    (
        "last one wins",
        "vacuum = true\nvacuum = false",
        "vacuum",
        &["false"],
    ),
    // integers (`processes`)
    ("integer", "processes = 4", "processes", &["4"]),
    ("plus sign", "processes = +4", "processes", &["4"]),
    ("zero", "harakiri = 0", "harakiri", &["0"]),
    ("suffix is junk", "processes = 32k", "processes", &[]),
    ("negative", "processes = -1", "processes", &[]),
    ("decimal", "processes = 4.5", "processes", &[]),
    ("hex is junk", "processes = 0x10", "processes", &[]),
    ("too large", "processes = 99999999999", "processes", &[]),
    (
        "true is 1, with a note",
        "processes = true",
        "processes",
        &["1"],
    ),
    ("false is 0", "processes = false", "processes", &["0"]),
    (
        "empty is 0, with a warning",
        "processes =",
        "processes",
        &["0"],
    ),
    (
        "bare key is 1, with a note",
        "processes",
        "processes",
        &["1"],
    ),
    (
        "inline comment",
        "processes = 4 ; four workers",
        "processes",
        &["4"],
    ),
    (
        "inline # comment",
        "processes = 4 # four",
        "processes",
        &["4"],
    ),
    // sizes (`post-buffering`)
    (
        "size",
        "post-buffering = 65536",
        "post-buffering",
        &["65536"],
    ),
    (
        "size suffix is junk",
        "post-buffering = 32k",
        "post-buffering",
        &[],
    ),
    (
        "size, negative",
        "post-buffering = -5",
        "post-buffering",
        &[],
    ),
    (
        "size above 32 bits",
        "post-buffering = 8589934592",
        "post-buffering",
        &["8589934592"],
    ),
    // megabytes (`reload-on-rss`)
    (
        "megabytes",
        "reload-on-rss = 512",
        "reload-on-rss",
        &["512"],
    ),
    (
        "megabytes with decimals",
        "reload-on-rss = 1.5",
        "reload-on-rss",
        &["1.5"],
    ),
    (
        "megabytes, negative",
        "reload-on-rss = -1",
        "reload-on-rss",
        &[],
    ),
    (
        "megabytes, junk",
        "reload-on-rss = 1GB",
        "reload-on-rss",
        &[],
    ),
    (
        "megabytes, bare key",
        "reload-on-rss",
        "reload-on-rss",
        &["1"],
    ),
    // strings
    (
        "string kept verbatim, quotes included",
        "chdir = \"/srv/my app\"",
        "chdir",
        &["\"/srv/my app\""],
    ),
    ("split at the first =", "env = A=B=C", "env", &["A=B=C"]),
    (
        "string, last one wins",
        "chdir = /a\nchdir = /b",
        "chdir",
        &["/b"],
    ),
    // lists and aliases
    (
        "list options append",
        "socket = :1\nsocket = :2\nsocket = :1",
        "socket",
        &[":1", ":2", ":1"],
    ),
    (
        "scalar: last one wins",
        "harakiri = 10\nharakiri = 20",
        "harakiri",
        &["20"],
    ),
    (
        "alias then name: one option",
        "workers = 2\nprocesses = 4",
        "processes",
        &["4"],
    ),
    (
        "name then alias: one option",
        "processes = 4\nworkers = 2",
        "processes",
        &["2"],
    ),
    (
        "list alias appends to the same list",
        "pythonpath = /a\npp = /b\npython-path = /c",
        "pythonpath",
        &["/a", "/b", "/c"],
    ),
    (
        "a refused value leaves the previous one",
        "processes = 4\nprocesses = lots",
        "processes",
        &["4"],
    ),
];

#[test]
fn values_by_kind() {
    let sb = Sandbox::new();
    let mut table = String::new();
    for (name, lines, option, expected) in ROWS {
        let checked = sb.check_ini(lines);
        assert_eq!(
            values(&checked, option),
            *expected,
            "{name}\n{}",
            crate::util::render(&checked.diagnostics)
        );
        let shown = if expected.is_empty() {
            "(refused)".to_owned()
        } else {
            format!("{option} = {}", expected.join(", "))
        };
        row(
            &mut table,
            name,
            lines,
            &shown,
            &render_without_status(&checked.diagnostics),
        );
    }
    snapshot!("values_by_kind", table);
}

/// The origin of a scalar is its last occurrence; `emperor check --verbose` prints it.
#[test]
fn scalar_origin_is_the_last_occurrence() {
    let sb = Sandbox::new();
    let checked = sb.check_ini("harakiri = 10\nsocket = :1\nharakiri = 20\nsocket = :2");
    assert_eq!(crate::util::origin_of(&checked, "harakiri"), "t.ini:4");
    let origins: Vec<String> = checked
        .effective
        .items("socket")
        .iter()
        .map(|i| i.origin.to_string())
        .collect();
    assert_eq!(origins, ["t.ini:3", "t.ini:5"]);
    snapshot!("verbose_effective_ini", checked.effective.to_ini(true));
}

/// A flag's `true` and a number's typed value, as the typed layer reads them.
#[test]
fn typed_values() {
    use emperor_options::effective::Value;
    let sb = Sandbox::new();
    let checked = sb.check_ini("vacuum\nprocesses = 4\nreload-on-rss = 2.5\nchdir");
    assert_eq!(
        crate::util::last(&checked, "vacuum"),
        Some(Value::Flag(true))
    );
    assert_eq!(
        crate::util::last(&checked, "processes"),
        Some(Value::Number(4))
    );
    assert_eq!(
        crate::util::last(&checked, "reload-on-rss"),
        Some(Value::Megabytes(2.5))
    );
    assert_eq!(
        crate::util::last(&checked, "chdir"),
        Some(Value::Text(None))
    );
}
