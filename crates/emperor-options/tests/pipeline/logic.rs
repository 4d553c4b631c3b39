//! Logic blocks: `if-*` … `else` … `endif`, `for*` … `endfor`, `%(_)`.

use crate::util::{Sandbox, entry_lines, render, row, snapshot};

/// (case, lines of `[uwsgi]`, the entries that come out).
const ROWS: &[(&str, &str, &[&str])] = &[
    // if-env / if-not-env
    (
        "if-env, set",
        "if-env = HOME\nout = %(_)\nendif",
        &["out = /home/alice"],
    ),
    ("if-env, unset", "if-env = NOPE\nout = %(_)\nendif", &[]),
    (
        "if-env, set but empty",
        "if-env = EMPTY\nout = [%(_)]\nendif",
        &["out = []"],
    ),
    (
        "if-env = value, equal",
        "if-env = APP=demo\nout = %(_)\nendif",
        &["out = demo"],
    ),
    (
        "if-env = value, different",
        "if-env = APP=other\nout = %(_)\nendif",
        &[],
    ),
    ("ifenv alias", "ifenv = APP\nout = 1\nendif", &["out = 1"]),
    (
        "if-not-env, unset: `%(_)` stays",
        "if-not-env = NOPE\nout = %(_)\nendif",
        &["out = %(_)"],
    ),
    ("if-not-env, set", "if-not-env = HOME\nout = 1\nendif", &[]),
    (
        "if-not-env = value, different",
        "if-not-env = APP=other\nout = %(_)\nendif",
        &["out = demo"],
    ),
    (
        "if-not-env = value, equal",
        "if-not-env = APP=demo\nout = 1\nendif",
        &[],
    ),
    // paths, relative to the working directory
    (
        "if-exists, file",
        "if-exists = exists.txt\nout = %(_)\nendif",
        &["out = exists.txt"],
    ),
    (
        "if-exists, dir",
        "if-exists = somedir\nout = %(_)\nendif",
        &["out = somedir"],
    ),
    (
        "if-exists, missing",
        "if-exists = missing.txt\nout = 1\nendif",
        &[],
    ),
    (
        "ifexists alias",
        "ifexists = exists.txt\nout = 1\nendif",
        &["out = 1"],
    ),
    (
        "if-not-exists, missing",
        "if-not-exists = missing.txt\nout = %(_)\nendif",
        &["out = missing.txt"],
    ),
    (
        "if-not-exists, present",
        "if-not-exists = exists.txt\nout = 1\nendif",
        &[],
    ),
    (
        "if-file, file",
        "if-file = exists.txt\nout = %(_)\nendif",
        &["out = exists.txt"],
    ),
    ("if-file, dir", "if-file = somedir\nout = 1\nendif", &[]),
    (
        "if-dir, dir",
        "if-dir = somedir\nout = %(_)\nendif",
        &["out = somedir"],
    ),
    ("if-dir, file", "if-dir = exists.txt\nout = 1\nendif", &[]),
    (
        "if-not-dir, file",
        "if-not-dir = exists.txt\nout = 1\nendif",
        &["out = 1"],
    ),
    (
        "if-not-file, dir",
        "if-not-file = somedir\nout = 1\nendif",
        &["out = 1"],
    ),
    // if-opt looks at what was read so far
    (
        "if-opt, set before",
        "socket = :1\nif-opt = socket\nout = %(_)\nendif",
        &["socket = :1", "out = :1"],
    ),
    (
        "if-opt = value, equal",
        "socket = :1\nif-opt = socket=:1\nout = yes\nendif",
        &["socket = :1", "out = yes"],
    ),
    (
        "if-opt = value, different",
        "socket = :1\nif-opt = socket=:2\nout = yes\nendif",
        &["socket = :1"],
    ),
    (
        "if-opt, first value counts",
        "socket = :1\nsocket = :2\nif-opt = socket=:2\nout = yes\nendif",
        &["socket = :1", "socket = :2"],
    ),
    (
        "if-opt, set only after the block",
        "if-opt = socket\nout = yes\nendif\nsocket = :1",
        &["socket = :1"],
    ),
    (
        "if-opt on a placeholder",
        "base = /srv\nif-opt = base\nout = %(_)/app\nendif",
        &["base = /srv", "out = /srv/app"],
    ),
    (
        "if-not-opt, unset",
        "if-not-opt = socket\nout = yes\nendif",
        &["out = yes"],
    ),
    (
        "if-not-opt, set",
        "socket = :1\nif-not-opt = socket\nout = yes\nendif",
        &["socket = :1"],
    ),
    // host and reload
    (
        "if-hostname, this host",
        "if-hostname = web1\nout = %(_)\nendif",
        &["out = web1"],
    ),
    (
        "if-not-hostname, this host",
        "if-not-hostname = web1\nout = 1\nendif",
        &[],
    ),
    (
        "if-not-reload on a first start",
        "if-not-reload\nout = 1\nendif",
        &["out = 1"],
    ),
    (
        "if-reload on a first start",
        "if-reload\nout = 1\nendif",
        &[],
    ),
    (
        "if-hostname-match is not supported: block skipped",
        "if-hostname-match = web.*\nout = 1\nendif\nafter = 1",
        &["after = 1"],
    ),
    // else
    (
        "else after a true condition",
        "if-env = HOME\nout = then\nelse\nout = else\nendif",
        &["out = then"],
    ),
    (
        "else after a false condition",
        "if-env = NOPE\nout = then\nelse\nout = else\nendif",
        &["out = else"],
    ),
    (
        "else = value (2.1 syntax)",
        "if-env = NOPE\nout = then\nelse = \nout = else\nendif",
        &["out = else"],
    ),
    // end keywords
    (
        "end-if",
        "if-env = HOME\nout = 1\nend-if\nafter = 1",
        &["out = 1", "after = 1"],
    ),
    (
        "endif with a value",
        "if-env = HOME\nout = 1\nendif = whatever\nafter = 1",
        &["out = 1", "after = 1"],
    ),
    (
        "end closes any block",
        "if-env = HOME\nout = 1\nend\nafter = 1",
        &["out = 1", "after = 1"],
    ),
    (
        "end-for",
        "for = a\nout = %(_)\nend-for\nafter = 1",
        &["out = a", "after = 1"],
    ),
    // for
    (
        "for over words",
        "for = a b c\nout = %(_)\nendfor",
        &["out = a", "out = b", "out = c"],
    ),
    (
        "for, repeated spaces",
        "for = a   b\nout = %(_)\nendfor",
        &["out = a", "out = b"],
    ),
    (
        "for, %(_) in the key",
        "for = a b\n%(_)-key = 1\nendfor",
        &["a-key = 1", "b-key = 1"],
    ),
    (
        "for, several lines per item",
        "for = a b\nx = %(_)\ny = %(_)\nendfor",
        &["x = a", "y = a", "x = b", "y = b"],
    ),
    (
        "for, empty list",
        "for =\nout = 1\nendfor\nafter = 1",
        &["after = 1"],
    ),
    (
        "for-times",
        "for-times = 3\nout = %(_)\nendfor",
        &["out = 1", "out = 2", "out = 3"],
    ),
    (
        "for-times = 0",
        "for-times = 0\nout = %(_)\nendfor\nafter = 1",
        &["after = 1"],
    ),
    (
        "for-times, not a number",
        "for-times = x\nout = %(_)\nendfor\nafter = 1",
        &["after = 1"],
    ),
    (
        "for-glob, sorted, dirs marked with /",
        "for-glob = g/*\nout = %(_)\nendfor",
        &["out = g/1.conf", "out = g/2.conf", "out = g/sub/"],
    ),
    (
        "for-glob, no match gives the pattern",
        "for-glob = nothing/*.conf\nout = %(_)\nendfor",
        &["out = nothing/*.conf"],
    ),
    (
        "for-readline",
        "for-readline = lines.txt\nout = %(_)\nendfor",
        &["out = one", "out = two words", "out = ", "out = three"],
    ),
    (
        "for-readline, missing file",
        "for-readline = missing.txt\nout = %(_)\nendfor\nafter = 1",
        &["after = 1"],
    ),
    // directives inside blocks act when the block does
    (
        "set inside for",
        "for = a b\nset = k-%(_)=%(_)\nendfor",
        &["k-a = a", "k-b = b"],
    ),
    (
        "include inside a true if",
        "if-env = HOME\nini = part.ini\nendif",
        &["from-part = 1"],
    ),
    (
        "include inside a false if is not read",
        "if-env = NOPE\nini = part.ini\nendif\nafter = 1",
        &["after = 1"],
    ),
    // nesting (an emperor extension: uWSGI refuses `recursive logic`)
    (
        "if inside if, inner false",
        "if-env = HOME\nif-env = NOPE\nout = no\nendif\nout = yes\nendif",
        &["out = yes"],
    ),
    (
        "if inside a false if",
        "if-env = NOPE\nif-env = HOME\nout = no\nendif\nout = no\nendif\nafter = 1",
        &["after = 1"],
    ),
    (
        "if inside for: %(_) is the for item",
        "for = a b\nif-env = HOME\nout = %(_)\nendif\nendfor",
        &["out = a", "out = b"],
    ),
    (
        "for inside for: %(_) is the outer item",
        "for = a b\nfor = 1 2\nout = %(_)\nendfor\nendfor",
        &["out = a", "out = a", "out = b", "out = b"],
    ),
    (
        "for inside a false if",
        "if-env = NOPE\nfor = a b\nout = %(_)\nendfor\nendif\nafter = 1",
        &["after = 1"],
    ),
    (
        "for-times inside for, using the item",
        "for = x y\nfor-times = 2\nout = %(_)\nendfor\nendfor",
        &["out = x", "out = x", "out = y", "out = y"],
    ),
    // keys that merely start like a block keyword
    (
        "for- and if-like option names inside for",
        "for = a\nforce-cwd = /x\nforkbomb-delay = 1\nendfor\nafter = 1",
        &["force-cwd = /x", "forkbomb-delay = 1", "after = 1"],
    ),
    (
        "for-like option name inside a false if",
        "if-env = NOPE\nforce-cwd = /x\nendif\nout = 1",
        &["out = 1"],
    ),
    // errors
    ("unclosed if", "if-env = HOME\nout = 1", &["out = 1"]),
    (
        "unclosed for: its lines are dropped",
        "for = a b\nout = %(_)",
        &[],
    ),
    (
        "stray endif",
        "out = 1\nendif\nafter = 1",
        &["out = 1", "after = 1"],
    ),
    ("stray endfor", "endfor\nafter = 1", &["after = 1"]),
    ("stray else", "else\nafter = 1", &["after = 1"]),
    (
        "endfor closing an if: closed, with a warning",
        "if-env = HOME\nout = 1\nendfor\nafter = 1",
        &["out = 1", "after = 1"],
    ),
    (
        "endif closing a for: closed, with a warning",
        "for = a\nout = %(_)\nendif\nafter = 1",
        &["out = a", "after = 1"],
    ),
    (
        "endfor closing a false if",
        "if-env = NOPE\nout = 1\nend-for\nafter = 1",
        &["after = 1"],
    ),
    (
        "second else",
        "if-env = NOPE\na = 1\nelse\nb = 1\nelse\nc = 1\nendif",
        &["b = 1"],
    ),
];

#[test]
fn logic_blocks() {
    let sb = Sandbox::new();
    sb.write("exists.txt", "x");
    sb.mkdir("somedir");
    sb.write("g/1.conf", "");
    sb.write("g/2.conf", "");
    sb.mkdir("g/sub");
    sb.write("lines.txt", "one\ntwo words\n\nthree\n");
    sb.write("part.ini", "[uwsgi]\nfrom-part = 1\n");
    let mut table = String::new();
    for (name, lines, expected) in ROWS {
        let loaded = sb.load_ini(lines);
        assert_eq!(
            entry_lines(&loaded),
            *expected,
            "{name}\n{}",
            render(&loaded.diagnostics)
        );
        row(
            &mut table,
            name,
            lines,
            &expected.join(" | "),
            &render(&loaded.diagnostics),
        );
    }
    snapshot!("logic_blocks", table);
}

/// A block belongs to the file that opens it (a documented difference from uWSGI): an `endif`
/// in an included file does not close the includer's block.
#[test]
fn a_block_must_be_closed_in_its_own_file() {
    let sb = Sandbox::new();
    sb.write("a.ini", "[uwsgi]\nif-env = HOME\nini = b.ini\nafter = 1\n");
    sb.write("b.ini", "[uwsgi]\nin-b = 1\nendif\n");
    let loaded = sb.load("a.ini");
    assert_eq!(entry_lines(&loaded), ["in-b = 1", "after = 1"]);
    let mut table = String::new();
    row(
        &mut table,
        "a.ini",
        "if-env = HOME\nini = b.ini\nafter = 1",
        "",
        "",
    );
    row(
        &mut table,
        "b.ini",
        "in-b = 1\nendif",
        "",
        &render(&loaded.diagnostics),
    );
    snapshot!("block_closed_in_another_file", table);

    // A block opened in an included file and left open there is reported at that file's end.
    sb.write("c.ini", "[uwsgi]\nini = d.ini\nafter = 1\n");
    sb.write("d.ini", "[uwsgi]\nfor = a b\nout = %(_)\n");
    let loaded = sb.load("c.ini");
    assert_eq!(entry_lines(&loaded), ["after = 1"]);
    snapshot!("block_left_open_in_an_include", render(&loaded.diagnostics));
}

/// Blocks on the command line: `--for`/`--endfor` work there too, and must be closed.
#[test]
fn blocks_on_the_command_line() {
    let sb = Sandbox::new();
    let checked = sb.argv(&["--for", "a b", "--socket", "/run/%(_).sock", "--endfor"]);
    assert_eq!(
        crate::util::values(&checked, "socket"),
        ["/run/a.sock", "/run/b.sock"]
    );
    let checked = sb.argv(&["--if-env", "HOME", "--socket", ":1"]);
    assert!(checked.has_errors());
    snapshot!(
        "unclosed_block_on_the_command_line",
        crate::util::render(&checked.diagnostics)
    );
}
