//! JSON and XML files through `emperor check`: arrays, key order, `true`/`false`/`null`,
//! `<uwsgi id=…>` blocks.

use crate::util::{Sandbox, render, render_without_status, row, snapshot, values};

#[test]
fn json_arrays_order_and_literals() {
    let sb = Sandbox::new();
    sb.write(
        "app.json",
        r#"{
  "other": {"processes": 99},
  "uwsgi": {
    "socket": ["127.0.0.1:1", "127.0.0.1:2"],
    "processes": 4,
    "vacuum": true,
    "master": false,
    "harakiri": null,
    "chdir": "/",
    "env": ["A=1", "B=2"],
    "lazy-apps": false
  }
}"#,
    );
    let checked = sb.check("app.json");
    assert_eq!(render_without_status(&checked.diagnostics), "");
    let order: Vec<&str> = checked
        .effective
        .settings
        .iter()
        .map(|s| s.def.name)
        .collect();
    assert_eq!(
        order,
        [
            "socket",
            "processes",
            "vacuum",
            "master",
            "harakiri",
            "chdir",
            "env",
            "lazy-apps"
        ]
    );
    assert_eq!(values(&checked, "socket"), ["127.0.0.1:1", "127.0.0.1:2"]);
    assert_eq!(values(&checked, "processes"), ["4"]);
    assert_eq!(values(&checked, "vacuum"), ["true"]);
    assert_eq!(values(&checked, "master"), ["false"]);
    assert_eq!(values(&checked, "harakiri"), ["0"]);
    assert_eq!(values(&checked, "env"), ["A=1", "B=2"]);
    assert_eq!(crate::util::origin_of(&checked, "chdir"), "app.json:9");
}

#[test]
fn json_named_object_and_errors() {
    let sb = Sandbox::new();
    sb.write(
        "app.json",
        r#"{"uwsgi": {"processes": 2}, "prod": {"processes": 8}}"#,
    );
    assert_eq!(values(&sb.check("app.json:prod"), "processes"), ["8"]);
    assert_eq!(values(&sb.check("app.json"), "processes"), ["2"]);

    // (case, file text, spec suffix)
    let rows: &[(&str, &str, &str)] = &[
        ("missing object", r#"{"prod": {}}"#, ""),
        ("missing named object", r#"{"uwsgi": {}}"#, ":prod"),
        ("float", "{\"uwsgi\": {\n  \"reload-on-rss\": 1.5\n}}", ""),
        (
            "nested object",
            "{\"uwsgi\": {\n  \"socket\": {\"a\": 1}\n}}",
            "",
        ),
        (
            "nested array",
            "{\"uwsgi\": {\n  \"socket\": [[\":1\"]]\n}}",
            "",
        ),
        (
            "trailing comma",
            "{\"uwsgi\": {\n  \"socket\": \":1\",\n}}",
            "",
        ),
        (
            "duplicate key",
            "{\"uwsgi\": {\n  \"socket\": \":1\",\n  \"socket\": \":2\"\n}}",
            "",
        ),
        ("not an object", "[1, 2]", ""),
        (
            "`100%` eats the quote",
            "{\"uwsgi\": {\n  \"log-format\": \"100%\"\n}}",
            "",
        ),
        (
            "`100%%` is fine",
            "{\"uwsgi\": {\n  \"log-format\": \"100%%\"\n}}",
            "",
        ),
    ];
    let mut table = String::new();
    for (name, text, suffix) in rows {
        sb.write("t.json", text);
        let checked = sb.check(&format!("t.json{suffix}"));
        row(
            &mut table,
            name,
            &format!("t.json{suffix}: {text}"),
            "",
            &render_without_status(&checked.diagnostics),
        );
    }
    snapshot!("json_errors", table);
}

#[test]
fn xml_ids_and_elements() {
    let sb = Sandbox::new();
    sb.write(
        "app.xml",
        r#"<?xml version="1.0"?>
<all>
  <uwsgi id="dev">
    <socket>:8000</socket>
    <processes>1</processes>
  </uwsgi>
  <uwsgi id="prod">
    <socket>127.0.0.1:9000</socket>
    <socket>127.0.0.1:9001</socket>
    <processes>8</processes>
    <vacuum/>
    <procname>a&amp;b &lt;1&gt;</procname>
  </uwsgi>
</all>
"#,
    );
    let checked = sb.check("app.xml:prod");
    assert_eq!(render_without_status(&checked.diagnostics), "");
    assert_eq!(
        values(&checked, "socket"),
        ["127.0.0.1:9000", "127.0.0.1:9001"]
    );
    assert_eq!(values(&checked, "processes"), ["8"]);
    assert_eq!(values(&checked, "vacuum"), ["true"]);
    assert_eq!(values(&checked, "procname"), ["a&b <1>"]);
    assert_eq!(crate::util::origin_of(&checked, "processes"), "app.xml:10");
    // Without an id, the first `<uwsgi>` block.
    assert_eq!(values(&sb.check("app.xml"), "socket"), [":8000"]);

    sb.write("root.xml", "<uwsgi>\n  <socket>:7000</socket>\n  <app mountpoint=\"/api\">api.wsgi:app</app>\n</uwsgi>\n");
    let checked = sb.check("root.xml");
    assert_eq!(values(&checked, "socket"), [":7000"]);
    assert_eq!(values(&checked, "mount"), ["/api=api.wsgi:app"]);

    let rows: &[(&str, &str)] = &[
        ("unknown id", "app.xml:staging"),
        ("empty id", "app.xml:"),
        ("not XML", "bad.xml"),
    ];
    sb.write("bad.xml", "<uwsgi><socket>:1</uwsgi>");
    let mut table = String::new();
    for (name, spec) in rows {
        let checked = sb.check(spec);
        assert!(checked.has_errors(), "{name}");
        row(&mut table, name, spec, "", &render(&checked.diagnostics));
    }
    snapshot!("xml_errors", table);
}

#[test]
fn yaml_and_unknown_formats_are_clear_errors() {
    let sb = Sandbox::new();
    sb.write("app.yaml", "uwsgi:\n  socket: :8000\n");
    sb.write("app.conf", "[uwsgi]\n");
    let mut table = String::new();
    for spec in ["app.yaml", "app.yml", "app.conf", "missing.ini"] {
        let checked = sb.check(spec);
        assert!(checked.has_errors(), "{spec}");
        row(&mut table, spec, "", "", &render(&checked.diagnostics));
    }
    snapshot!("yaml_and_unknown_formats", table);
}
