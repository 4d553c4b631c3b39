//! Sections, includes (`ini`, `include`, `json`, `xml` in place; `inherit` at the end) and
//! include cycles.

use crate::util::{Sandbox, entry_lines, render, row, snapshot};

/// (case, file to load, the entries that come out). Files are written by [`files`].
const ROWS: &[(&str, &str, &[&str])] = &[
    // sections
    (
        "default section is [uwsgi]",
        "sections.ini",
        &["in-uwsgi = 1", "in-uwsgi-again = 1"],
    ),
    ("FILE.ini:section", "sections.ini:prod", &["in-prod = 1"]),
    ("sections are case-sensitive", "sections.ini:Prod", &[]),
    ("missing section is a warning", "sections.ini:nope", &[]),
    (
        "ini = :section reads the last INI file",
        "colon.ini",
        &["before = 1", "in-extra = 1", "after = 1"],
    ),
    ("ini = :section before any file", "colon-first.json", &[]),
    // includes in place
    (
        "ini = is read in place",
        "inplace.ini",
        &["x = 1", "from-part = 1", "y = 3"],
    ),
    (
        "include = by extension (json)",
        "include-json.ini",
        &["x = 1", "from-json = a", "from-json = b", "y = 3"],
    ),
    (
        "json = in place",
        "json-directive.ini",
        &["x = 1", "from-json = a", "from-json = b", "y = 3"],
    ),
    (
        "xml = in place",
        "xml-directive.ini",
        &["x = 1", "from-xml = 1", "y = 3"],
    ),
    (
        "include = with a section",
        "include-section.ini",
        &["from-part-extra = 1"],
    ),
    (
        "includes resolve against the working directory, not the file",
        "conf/relative.ini",
        &["from-part = 1"],
    ),
    (
        "a name relative to the including file is not found",
        "conf/wrong-relative.ini",
        &["after = 1"],
    ),
    (
        "%d makes an include relative to the file",
        "conf/magic-relative.ini",
        &["from-conf-part = 1"],
    ),
    (
        "missing include file",
        "missing-include.ini",
        &["after = 1"],
    ),
    (
        "include of an unknown format",
        "include-txt.ini",
        &["after = 1"],
    ),
    ("include of a YAML file", "include-yaml.ini", &["after = 1"]),
    (
        "$() in an include name is not expanded",
        "include-env.ini",
        &["after = 1"],
    ),
    ("include of a URL", "include-url.ini", &["after = 1"]),
    (
        "the same file twice is not a cycle",
        "twice.ini",
        &["from-part = 1", "from-part = 1"],
    ),
    (
        "another section of the same file is not a cycle",
        "self-section.ini",
        &["a = 1", "b = 1"],
    ),
    // inherit: appended at the end, with magic variables but without the $ @ % passes
    (
        "inherit is appended at the end",
        "inherit.ini",
        &[
            "x = 1",
            "y = 3",
            "home = $(HOME)",
            "dir = [TMP]/",
            "ph = %(x)",
        ],
    ),
    (
        "inherit inside inherit",
        "inherit-chain.ini",
        &["top = 1", "middle = 1", "base = 1"],
    ),
    (
        "an inherited scalar comes last, so it wins",
        "inherit-override.ini",
        &["processes = 4", "processes = 2"],
    ),
    // cycles
    ("self include", "self.ini", &["a = 1"]),
    ("A -> B -> A", "cycle-a.ini", &["in-a = 1", "in-b = 1"]),
    ("A -> B -> C -> B", "chain-a.ini", &["in-b = 1", "in-c = 1"]),
    ("inherit cycle", "inherit-self.ini", &["a = 1"]),
    (
        "inherit cycle through another file",
        "inherit-loop-a.ini",
        &["in-a = 1", "in-b = 1"],
    ),
];

fn files(sb: &Sandbox) {
    sb.write(
        "sections.ini",
        "stray = 1\n[uwsgi]\nin-uwsgi = 1\n[prod]\nin-prod = 1\n[uwsgi]\nin-uwsgi-again = 1\n",
    );
    sb.write(
        "colon.ini",
        "[uwsgi]\nbefore = 1\nini = :extra\nafter = 1\n[extra]\nin-extra = 1\n",
    );
    sb.write("colon-first.json", r#"{"uwsgi": {"ini": ":extra"}}"#);
    sb.write(
        "part.ini",
        "[uwsgi]\nfrom-part = 1\n[extra]\nfrom-part-extra = 1\n",
    );
    sb.write("part.json", r#"{"uwsgi": {"from-json": ["a", "b"]}}"#);
    sb.write("part.xml", "<uwsgi><from-xml/></uwsgi>");
    sb.write("inplace.ini", "[uwsgi]\nx = 1\nini = part.ini\ny = 3\n");
    sb.write(
        "include-json.ini",
        "[uwsgi]\nx = 1\ninclude = part.json\ny = 3\n",
    );
    sb.write(
        "json-directive.ini",
        "[uwsgi]\nx = 1\njson = part.json\ny = 3\n",
    );
    sb.write(
        "xml-directive.ini",
        "[uwsgi]\nx = 1\nxml = part.xml\ny = 3\n",
    );
    sb.write("include-section.ini", "[uwsgi]\ninclude = part.ini:extra\n");
    sb.write("conf/relative.ini", "[uwsgi]\nini = part.ini\n");
    sb.write(
        "conf/wrong-relative.ini",
        "[uwsgi]\nini = conf-part.ini\nafter = 1\n",
    );
    sb.write(
        "conf/magic-relative.ini",
        "[uwsgi]\nini = %dconf-part.ini\n",
    );
    sb.write("conf/conf-part.ini", "[uwsgi]\nfrom-conf-part = 1\n");
    sb.write(
        "missing-include.ini",
        "[uwsgi]\nini = nowhere.ini\nafter = 1\n",
    );
    sb.write("notes.txt", "x");
    sb.write(
        "include-txt.ini",
        "[uwsgi]\ninclude = notes.txt\nafter = 1\n",
    );
    sb.write("app.yaml", "uwsgi:\n  socket: :8000\n");
    sb.write(
        "include-yaml.ini",
        "[uwsgi]\ninclude = app.yaml\nafter = 1\n",
    );
    sb.write(
        "include-env.ini",
        "[uwsgi]\nini = $(HOME)/part.ini\nafter = 1\n",
    );
    sb.write(
        "include-url.ini",
        "[uwsgi]\nini = http://example.com/app.ini\nafter = 1\n",
    );
    sb.write("twice.ini", "[uwsgi]\nini = part.ini\nini = part.ini\n");
    sb.write(
        "self-section.ini",
        "[uwsgi]\na = 1\nini = :other\n[other]\nb = 1\n",
    );
    sb.write("base.ini", "[uwsgi]\nhome = $(HOME)\ndir = %d\nph = %(x)\n");
    sb.write("inherit.ini", "[uwsgi]\nx = 1\ninherit = base.ini\ny = 3\n");
    sb.write(
        "inherit-chain.ini",
        "[uwsgi]\ninherit = middle.ini\ntop = 1\n",
    );
    sb.write("middle.ini", "[uwsgi]\ninherit = bottom.ini\nmiddle = 1\n");
    sb.write("bottom.ini", "[uwsgi]\nbase = 1\n");
    sb.write("defaults.ini", "[uwsgi]\nprocesses = 2\n");
    sb.write(
        "inherit-override.ini",
        "[uwsgi]\ninherit = defaults.ini\nprocesses = 4\n",
    );
    sb.write("self.ini", "[uwsgi]\na = 1\nini = self.ini\n");
    sb.write("cycle-a.ini", "[uwsgi]\nin-a = 1\nini = cycle-b.ini\n");
    sb.write("cycle-b.ini", "[uwsgi]\nin-b = 1\ninclude = cycle-a.ini\n");
    sb.write("chain-a.ini", "[uwsgi]\nini = chain-b.ini\n");
    sb.write("chain-b.ini", "[uwsgi]\nin-b = 1\nini = chain-c.ini\n");
    sb.write("chain-c.ini", "[uwsgi]\nin-c = 1\nini = chain-b.ini\n");
    sb.write(
        "inherit-self.ini",
        "[uwsgi]\na = 1\ninherit = inherit-self.ini\n",
    );
    sb.write(
        "inherit-loop-a.ini",
        "[uwsgi]\nin-a = 1\ninherit = inherit-loop-b.ini\n",
    );
    sb.write(
        "inherit-loop-b.ini",
        "[uwsgi]\nin-b = 1\ninherit = inherit-loop-a.ini\n",
    );
}

#[test]
fn sections_and_includes() {
    let sb = Sandbox::new();
    files(&sb);
    let root = sb.root.to_string_lossy().into_owned();
    let mut table = String::new();
    for (name, spec, expected) in ROWS {
        let loaded = sb.load(spec);
        let got: Vec<String> = entry_lines(&loaded)
            .iter()
            .map(|l| l.replace(&root, "[TMP]"))
            .collect();
        assert_eq!(got, *expected, "{name}\n{}", render(&loaded.diagnostics));
        row(
            &mut table,
            name,
            spec,
            &expected.join(" | "),
            &render(&loaded.diagnostics),
        );
    }
    snapshot!("sections_and_includes", table);
}

/// An inherited scalar is applied last, so it wins over the file's own value: uWSGI's order.
/// `emperor check` shows where the value came from.
#[test]
fn inherited_scalar_wins_as_in_uwsgi() {
    let sb = Sandbox::new();
    files(&sb);
    let checked = sb.check("inherit-override.ini");
    assert_eq!(crate::util::values(&checked, "processes"), ["2"]);
    assert_eq!(
        crate::util::origin_of(&checked, "processes"),
        "defaults.ini:2"
    );
}
