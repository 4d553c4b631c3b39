//! Magic variables (`%n`, `%d`…): uWSGI's `magic_sub` over the raw text of every file.

use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;

use crate::util::{Sandbox, entry_lines, first_value, render, row, snapshot};

/// Every variable, read in the first file (`srv/site1/conf/app.v1.ini:prod`) and in a file it
/// includes (`other/base.ini`), where the lowercase ones describe the included file and the
/// uppercase ones stay those of the first.
#[test]
fn every_magic_variable_in_a_file_and_in_its_include() {
    let sb = Sandbox::new();
    let root = sb.root.to_string_lossy().into_owned();
    let vars = [
        "n", "N", "d", "D", "p", "P", "s", "S", "e", "E", "x", "X", "c", "C", "o", "O", "0", "1",
        "2", "3", "4", "5", "6", "7", "8", "9", "v", "h", "k", "t", "T", "u", "U", "g", "G", "b",
        "V", "%", "(", "[", "i", "j",
    ];
    let body = |section: &str, extra: &str| -> String {
        let mut text = format!("[{section}]\n");
        for (i, v) in vars.iter().enumerate() {
            let _ = writeln!(text, "v{i} = %{v}");
        }
        text.push_str(extra);
        text
    };
    let first = sb.write(
        "srv/site1/conf/app.v1.ini",
        body("prod", "ini = other/base.ini:base\n"),
    );
    let included = sb.write("other/base.ini", body("base", ""));
    let loaded = sb.load("srv/site1/conf/app.v1.ini:prod");
    assert_eq!(render(&loaded.diagnostics), "");
    assert_eq!(loaded.entries.len(), 2 * vars.len());

    let components = |dir: &str| -> Vec<String> {
        dir.split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let first_dir = format!("{root}/srv/site1/conf/");
    let incl_dir = format!("{root}/other/");
    let inode = |p: &std::path::Path| std::fs::metadata(p).expect("stat").ino().to_string();
    let expected = |v: &str, first_file: bool| -> String {
        let (dir, name, stem, spec, section, path) = if first_file {
            (
                first_dir.clone(),
                "app.v1.ini",
                "app.v1",
                "srv/site1/conf/app.v1.ini:prod",
                "prod",
                &first,
            )
        } else {
            (
                incl_dir.clone(),
                "base.ini",
                "base",
                "other/base.ini:base",
                "base",
                &included,
            )
        };
        let f_dir = first_dir.clone();
        match v {
            "n" => stem.to_owned(),
            "N" => "app.v1".to_owned(),
            "d" => dir,
            "D" => f_dir,
            "p" => path.to_string_lossy().into_owned(),
            "P" => first.to_string_lossy().into_owned(),
            "s" => name.to_owned(),
            "S" => "app.v1.ini".to_owned(),
            "e" | "E" => "ini".to_owned(),
            "x" => section.to_owned(),
            "X" => "prod".to_owned(),
            "c" => if first_file { "conf" } else { "other" }.to_owned(),
            "C" => "conf".to_owned(),
            "o" => spec.to_owned(),
            "O" => "srv/site1/conf/app.v1.ini:prod".to_owned(),
            "v" => root.clone(),
            "h" => "web1".to_owned(),
            "k" => "4".to_owned(),
            "t" => "1700000000".to_owned(),
            "T" => "1700000000123456".to_owned(),
            "u" | "g" => "1000".to_owned(),
            "U" => "alice".to_owned(),
            "G" => "staff".to_owned(),
            "b" => "/usr/bin/emperor".to_owned(),
            "V" => env!("CARGO_PKG_VERSION").to_owned(),
            "%" => "%".to_owned(),
            "(" => "%(".to_owned(),
            "[" => "\u{1b}".to_owned(),
            "i" => inode(path),
            "j" => String::new(), // checked below: 8 hex digits
            digit => {
                let n: usize = digit.parse().expect("a digit");
                components(&dir).get(n).cloned().unwrap_or_default()
            }
        }
    };
    for (half, first_file) in [(0, true), (1, false)] {
        for (i, v) in vars.iter().enumerate() {
            let entry = &loaded.entries[half * vars.len() + i];
            assert_eq!(entry.key, format!("v{i}"));
            let got = entry.value.clone().unwrap_or_default();
            if *v == "j" {
                assert!(
                    got.len() == 8 && got.bytes().all(|b| b.is_ascii_hexdigit()),
                    "%j = {got:?}"
                );
            } else {
                assert_eq!(
                    got,
                    expected(v, first_file),
                    "`%{v}` in the {} file",
                    if first_file { "first" } else { "included" }
                );
            }
        }
    }
    // `%j` hashes `%p`: different files, different hashes.
    assert_ne!(
        loaded.entries[vars.len() - 1].value,
        loaded.entries[2 * vars.len() - 1].value
    );
}

/// Without `:section`, `%x` is empty and `%o` is the name as given.
#[test]
fn section_variables_without_a_section() {
    let sb = Sandbox::new();
    sb.write("app.ini", "[uwsgi]\nx = [%x]\no = %o\nd = %d\n");
    let loaded = sb.load("app.ini");
    assert_eq!(
        entry_lines(&loaded),
        [
            "x = []".to_owned(),
            "o = app.ini".to_owned(),
            format!("d = {}/", sb.root.display())
        ]
    );
}

/// A symlinked config keeps its own name: uWSGI does not resolve it for `%p`/`%n`/`%d`.
#[test]
fn a_symlink_keeps_its_own_name() {
    let sb = Sandbox::new();
    sb.write("real/app.ini", "[uwsgi]\nn = %n\nd = %d\n");
    std::os::unix::fs::symlink(sb.root.join("real/app.ini"), sb.root.join("site.ini"))
        .expect("symlink");
    let loaded = sb.load("site.ini");
    assert_eq!(
        entry_lines(&loaded),
        ["n = site".to_owned(), format!("d = {}/", sb.root.display())]
    );
}

/// Magic variables are textual: they work in keys, section names and include names.
#[test]
fn magic_variables_apply_to_the_raw_text() {
    let sb = Sandbox::new();
    sb.write("conf/uwsgi.ini", "[%n]\n%n-key = 1\nini = %dpart.ini\n");
    sb.write("conf/part.ini", "[uwsgi]\nfrom-part = %s\n");
    let loaded = sb.load("conf/uwsgi.ini");
    assert_eq!(render(&loaded.diagnostics), "");
    assert_eq!(
        entry_lines(&loaded),
        ["uwsgi-key = 1", "from-part = part.ini"]
    );
}

/// Unknown variables and a `%` ending a line, with their messages.
#[test]
fn unknown_variables_and_trailing_percent() {
    let rows: &[(&str, &str, &str)] = &[
        ("unknown `%z` is empty", "out = a%zb", "ab"),
        (
            "strftime fields are unknown variables",
            "out = %Y-%m-%H",
            "--",
        ),
        ("strftime `%d` is the directory", "out = [%d]", "[{dir}]"),
        ("`%%` is a literal `%`", "out = 100%%", "100%"),
        (
            "`%` at the end of a line is dropped",
            "out = 100%\nnext = 1",
            "100",
        ),
        (
            "`%` at the very end of the file is dropped",
            "out = 100%",
            "100",
        ),
        (
            "`%(` survives for placeholders",
            "out = %(nothing",
            "%(nothing",
        ),
        ("`%` before a CRLF line end", "out = 50%\r\nnext = 1", "50"),
    ];
    let mut table = String::new();
    for (name, lines, expected) in rows {
        let sb = Sandbox::new();
        // No trailing newline after `lines`: the last row is about the end of the file.
        sb.write("t.ini", format!("[uwsgi]\n{lines}"));
        let loaded = sb.load("t.ini");
        let expected = expected.replace("{dir}", &format!("{}/", sb.root.display()));
        assert_eq!(
            first_value(&loaded, "out"),
            Some(expected.clone()),
            "{name}"
        );
        if lines.contains("next") {
            assert_eq!(
                first_value(&loaded, "next").as_deref(),
                Some("1"),
                "{name}: the next line stays a line"
            );
        }
        row(
            &mut table,
            name,
            lines,
            &format!("out = {expected}"),
            &render(&loaded.diagnostics),
        );
    }
    snapshot!("magic_unknown_and_trailing_percent", table);
}
