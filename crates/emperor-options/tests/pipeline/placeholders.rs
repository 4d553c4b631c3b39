//! `$(ENV)`, `@(file)` and `%(placeholder)`, their order, and the directives that define keys
//! (`set`, `set-placeholder`, `declare-option`).

use std::fmt::Write as _;

use crate::util::{Sandbox, entry_lines, first_value, render, row, snapshot};

/// (case, lines of `[uwsgi]`, value of `out` afterwards).
const ROWS: &[(&str, &str, &str)] = &[
    // $(ENV)
    ("env var", "out = $(HOME)", "/home/alice"),
    ("two env vars", "out = $(HOME)/$(APP)", "/home/alice/demo"),
    ("unset env var is kept verbatim", "out = $(NOPE)", "$(NOPE)"),
    (
        ":- default when unset",
        "out = $(NOPE:-fallback)",
        "fallback",
    ),
    (
        ":- default when empty",
        "out = $(EMPTY:-fallback)",
        "fallback",
    ),
    (
        ":- default unused when set",
        "out = $(HOME:-fallback)",
        "/home/alice",
    ),
    ("- default when unset", "out = $(NOPE-fallback)", "fallback"),
    ("- default unused when empty", "out = $(EMPTY-fallback)", ""),
    (
        "`$()` in a key is not expanded",
        "$(APP) = 1\nout = %($(APP))",
        "%(demo)",
    ),
    // @(file)
    (
        "file content, one trailing newline removed",
        "out = @(data.txt)",
        "s3cret",
    ),
    (
        "only one trailing newline is removed",
        "out = <@(two-newlines.txt)>",
        "<line\n>",
    ),
    (
        "file relative to the working directory",
        "out = @(sub/inner.txt)",
        "inner",
    ),
    (
        "exec:// is refused",
        "out = @(exec://hostname)",
        "@(exec://hostname)",
    ),
    (
        "missing file is an error naming it",
        "out = @(missing.txt)",
        "@(missing.txt)",
    ),
    ("$ runs before @", "out = @($(DATAFILE))", "s3cret"),
    (
        "@ runs before %: `@(%(f))` reads a file named `%(f)`",
        "f = data.txt\nout = @(%(f))",
        "@(data.txt)",
    ),
    ("@() with a NUL byte", "out = @(nul.bin)", "@(nul.bin)"),
    // %(placeholder)
    ("placeholder", "foo = bar\nout = %(foo)", "bar"),
    (
        "first occurrence wins",
        "foo = 1\nfoo = 2\nout = %(foo)",
        "1",
    ),
    ("forward reference", "out = %(foo)\nfoo = later", "later"),
    (
        "a real option as placeholder",
        "socket = :8000\nout = %(socket)",
        ":8000",
    ),
    ("bare key is empty", "flag\nout = [%(flag)]", "[]"),
    (
        "undefined placeholder is kept verbatim",
        "out = %(nope)",
        "%(nope)",
    ),
    (
        "$ then %: placeholder of an env value",
        "foo = $(HOME)\nout = %(foo)/x",
        "/home/alice/x",
    ),
    (
        "$ then %: forward reference to an env value",
        "out = %(foo)/x\nfoo = $(HOME)",
        "/home/alice/x",
    ),
    (
        "@ then %: placeholder of a file value",
        "foo = @(data.txt)\nout = %(foo)!",
        "s3cret!",
    ),
    (
        "placeholder whose value holds another",
        "a = %(b)\nb = deep\nout = [%(a)]",
        "[deep]",
    ),
    (
        "placeholder inside parentheses",
        "foo = x\nout = (%(foo))",
        "(x)",
    ),
    ("self reference is an error", "out = %(out)", "%(out)"),
    (
        "mutual reference is an error",
        "a = %(b)\nb = %(a)\nout = %(a)",
        "%(a)",
    ),
    // math
    ("sum", "a = 3\nb = 4\nout = %(a + b)", "7"),
    ("product of numbers", "out = %(2 * 3)", "6"),
    ("difference below zero", "a = 3\nout = %(a - 5)", "-2"),
    ("integer division", "out = %(10 / 3)", "3"),
    ("division by zero is 0", "a = 3\nout = %(a / 0)", "0"),
    (
        "left to right, no precedence",
        "a = 3\nb = 4\nout = %(a + b * 2)",
        "14",
    ),
    (
        "parentheses group (an emperor extension)",
        "a = 3\nb = 4\nout = %(2 * (a + b))",
        "14",
    ),
    (
        "without parentheses",
        "a = 3\nb = 4\nout = %(2 * a + b)",
        "10",
    ),
    (
        "adjacent values concatenate",
        "a = 3\nb = 4\nout = %(a b 5)",
        "345",
    ),
    ("++ increments", "a = 3\nout = %(a ++)", "4"),
    ("-- decrements", "a = 3\nout = %(a --)", "2"),
    ("++ twice", "a = 3\nout = %(a ++ ++)", "5"),
    ("missing key in math is empty", "out = %(missing + 1)", "1"),
    (
        "the same missing placeholder twice, one warning",
        "out = %(nope)%(nope)",
        "%(nope)%(nope)",
    ),
    (
        "non-numeric value counts as 0",
        "a = abc\nout = %(a + 1)",
        "1",
    ),
    ("numeric prefix is read", "a = 12px\nout = %(a * 2)", "24"),
    // set, set-placeholder, declare-option
    ("set adds an entry", "set = foo=bar\nout = %(foo)", "bar"),
    (
        "set splits at the first =",
        "set = foo=a=b\nout = %(foo)",
        "a=b",
    ),
    ("set without = is an error", "set = foo\nout = x", "x"),
    (
        "set-placeholder",
        "set-placeholder = ph=value\nout = %(ph)",
        "value",
    ),
    ("set-ph alias", "set-ph = ph=value\nout = %(ph)", "value"),
    (
        "set-placeholder values are not expanded",
        "set-placeholder = ph=$(HOME)\nout = %(ph)",
        "$(HOME)",
    ),
    (
        "set-placeholder naming an option is an error",
        "set-placeholder = processes=4\nout = [%(processes)]",
        "[%(processes)]",
    ),
    (
        "declare-option",
        "declare-option = twice=out=$1$1\ntwice = ab",
        "abab",
    ),
    (
        "declare-option arguments split on spaces",
        "declare-option = pair=out=$2-$1\npair = a b",
        "b-a",
    ),
];

#[test]
fn expansion_rules() {
    let sb = Sandbox::new().env("DATAFILE", "data.txt");
    sb.write("data.txt", "s3cret\n");
    sb.write("two-newlines.txt", "line\n\n");
    sb.write("sub/inner.txt", "inner");
    sb.write("nul.bin", b"a\x00b".as_slice());
    let mut table = String::new();
    for (name, lines, expected) in ROWS {
        let loaded = sb.load_ini(lines);
        let got = first_value(&loaded, "out");
        assert_eq!(
            got.as_deref(),
            Some(*expected),
            "{name}\n{}",
            render(&loaded.diagnostics)
        );
        row(
            &mut table,
            name,
            lines,
            &format!("out = {expected}"),
            &render(&loaded.diagnostics),
        );
    }
    snapshot!("expansion_rules", table);
}

/// Expansion of a self-referencing value ends quickly, even when each step grows the value.
#[test]
fn growing_self_reference_ends_quickly() {
    let sb = Sandbox::new();
    let big = "x".repeat(50_000);
    let started = std::time::Instant::now();
    let loaded = sb.load_ini(&format!("a = {big}%(a)\nb = %(a)%(a)%(a)%(a)\n"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(emperor_options::Diagnostic::is_error)
    );
    snapshot!("growing_self_reference", render(&loaded.diagnostics));
}

/// Placeholders nested ten deep, each used ten times: a "billion laughs" through `%(…)`.
#[test]
fn placeholder_billion_laughs_is_refused() {
    let sb = Sandbox::new();
    let mut lines = String::new();
    // Highest level first, so that nothing is expanded before it is used.
    for level in (1..10).rev() {
        let refs = format!("%(l{})", level - 1).repeat(10);
        let _ = writeln!(lines, "l{level} = {refs}");
    }
    lines.push_str("l0 = lol\n");
    let started = std::time::Instant::now();
    let loaded = sb.load_ini(&lines);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(emperor_options::Diagnostic::is_error),
        "{}",
        render(&loaded.diagnostics)
    );
    let longest = loaded
        .entries
        .iter()
        .filter_map(|e| e.value.as_ref())
        .map(String::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest <= 2 * 1024 * 1024,
        "a value grew to {longest} bytes"
    );
}

/// A declared option expands into several entries, in place.
#[test]
fn declare_option_expands_in_place() {
    let sb = Sandbox::new();
    let loaded = sb.load_ini("declare-option = app=chdir=/srv/$1;module=$2\nfirst = 1\napp = site1 wsgi:application\nlast = 1");
    assert_eq!(render(&loaded.diagnostics), "");
    assert_eq!(
        entry_lines(&loaded),
        [
            "first = 1",
            "chdir = /srv/site1",
            "module = wsgi:application",
            "last = 1"
        ]
    );
}

/// `declare-option` cannot redefine an option, and needs `name=template`.
#[test]
fn declare_option_errors() {
    let sb = Sandbox::new();
    let mut table = String::new();
    let rows = [
        (
            "redefining an option",
            "declare-option = processes=harakiri=$1",
        ),
        ("no template", "declare-option = noequals"),
        (
            "a template part without =",
            "declare-option = bad=novalue\nbad = 1",
        ),
    ];
    for (name, lines) in rows {
        let loaded = sb.load_ini(lines);
        assert!(
            loaded
                .diagnostics
                .iter()
                .any(emperor_options::Diagnostic::is_error),
            "{name}"
        );
        row(&mut table, name, lines, "", &render(&loaded.diagnostics));
    }
    snapshot!("declare_option_errors", table);
}
