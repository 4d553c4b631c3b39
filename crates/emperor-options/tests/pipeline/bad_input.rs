//! Hostile and broken files through `emperor check`: none may panic or hang, each gets a clear
//! message.

use std::time::{Duration, Instant};

use crate::util::{Sandbox, render, render_without_status, row, snapshot, values};

/// Checks `spec` and fails the test if that takes more than 15 s: a generous bound (these take
/// well under a second alone) that still catches a hang or an exponential blow-up on a loaded
/// CI machine.
fn timed_check(sb: &Sandbox, spec: &str) -> emperor_options::Checked {
    let started = Instant::now();
    let checked = sb.check(spec);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{spec} took {:?}",
        started.elapsed()
    );
    checked
}

fn garbage(len: usize) -> Vec<u8> {
    // A fixed xorshift sequence: the same bytes on every run.
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn broken_files_are_clear_errors() {
    let sb = Sandbox::new();
    let big_line = format!("; {}\n", "x".repeat(1000));
    let mut oversized = String::from("[uwsgi]\n");
    while oversized.len() <= 1024 * 1024 {
        oversized.push_str(&big_line);
    }
    sb.write("big.ini", &oversized);
    sb.write("exactly-1mib.ini", {
        let mut text = String::from("[uwsgi]\nprocesses = 2\n");
        text.push_str(&";".repeat(1024 * 1024 - text.len()));
        text
    });
    sb.write("garbage.ini", garbage(4096));
    sb.write("garbage.json", garbage(4096));
    sb.write("garbage.xml", garbage(4096));
    sb.write(
        "latin1.ini",
        b"[uwsgi]\nprocesses = 2\nchdir = /srv/caf\xe9\n".as_slice(),
    );
    sb.write("nul.ini", b"[uwsgi]\nprocesses = 2\x00\n".as_slice());
    sb.write("empty.ini", "");
    sb.write("empty.json", "");
    sb.write("empty.xml", "");
    sb.mkdir("dir.ini");
    let rows: &[(&str, &str)] = &[
        ("over 1 MiB", "big.ini"),
        ("binary garbage, ini", "garbage.ini"),
        ("binary garbage, json", "garbage.json"),
        ("binary garbage, xml", "garbage.xml"),
        ("invalid UTF-8 names its line", "latin1.ini"),
        ("NUL byte", "nul.ini"),
        ("empty ini", "empty.ini"),
        ("empty json", "empty.json"),
        ("empty xml", "empty.xml"),
        ("a directory", "dir.ini"),
    ];
    let mut table = String::new();
    for (name, spec) in rows {
        let checked = timed_check(&sb, spec);
        row(&mut table, name, spec, "", &render(&checked.diagnostics));
    }
    snapshot!("broken_files", table);

    let checked = timed_check(&sb, "exactly-1mib.ini");
    assert!(!checked.has_errors(), "{}", render(&checked.diagnostics));
    assert_eq!(values(&checked, "processes"), ["2"]);
}

/// A byte order mark and CRLF line ends read like a plain file.
#[test]
fn bom_and_crlf() {
    let sb = Sandbox::new();
    sb.write("bom.ini", "\u{feff}[uwsgi]\nprocesses = 2\n");
    sb.write(
        "crlf.ini",
        "[uwsgi]\r\nprocesses = 2\r\nsocket = :8000\r\nvacuum\r\n",
    );
    sb.write(
        "bom-crlf.json",
        "\u{feff}{\r\n\"uwsgi\": {\r\n\"processes\": 2\r\n}\r\n}\r\n",
    );
    sb.write(
        "bom.xml",
        "\u{feff}<uwsgi>\r\n<processes>2</processes>\r\n</uwsgi>\r\n",
    );
    let mut table = String::new();
    for spec in ["bom.ini", "crlf.ini", "bom-crlf.json", "bom.xml"] {
        let checked = timed_check(&sb, spec);
        assert!(
            !checked.has_errors(),
            "{spec}: {}",
            render(&checked.diagnostics)
        );
        assert_eq!(values(&checked, "processes"), ["2"], "{spec}");
        row(
            &mut table,
            spec,
            "",
            "",
            &render_without_status(&checked.diagnostics),
        );
    }
    let checked = sb.check("crlf.ini");
    assert_eq!(values(&checked, "socket"), [":8000"]);
    assert_eq!(values(&checked, "vacuum"), ["true"]);
    snapshot!("bom_and_crlf", table);
}

/// Deep nesting and entity expansion are refused quickly, without exhausting the stack.
#[test]
fn deep_nesting_and_entity_expansion() {
    let sb = Sandbox::new();
    let depth = 10_000;
    sb.write(
        "deep.json",
        format!(
            "{{\"uwsgi\": {{\"socket\": {}{}}}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    );
    sb.write(
        "deep-objects.json",
        format!("{}{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
    );
    sb.write(
        "deep.xml",
        format!(
            "<uwsgi>{}{}</uwsgi>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        ),
    );
    sb.write(
        "deep-unclosed.xml",
        format!("<uwsgi>{}", "<a>".repeat(depth)),
    );
    sb.write(
        "laughs.xml",
        r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<uwsgi><socket>&lol3;</socket></uwsgi>
"#,
    );
    sb.write("external.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE u [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<uwsgi><chdir>&x;</chdir></uwsgi>\n");
    sb.write(
        "undeclared.xml",
        "<uwsgi>\n<chdir>&lol;</chdir>\n</uwsgi>\n",
    );
    sb.write(
        "charref.xml",
        "<uwsgi>\n<chdir>/srv/&#99;af&#xe9;</chdir>\n</uwsgi>\n",
    );
    let rows: &[(&str, &str)] = &[
        ("10k-deep JSON arrays", "deep.json"),
        ("10k-deep JSON objects", "deep-objects.json"),
        ("10k-deep XML", "deep.xml"),
        ("10k-deep unclosed XML", "deep-unclosed.xml"),
        ("billion laughs", "laughs.xml"),
        ("external entity", "external.xml"),
        ("undeclared entity", "undeclared.xml"),
    ];
    let mut table = String::new();
    for (name, spec) in rows {
        let checked = timed_check(&sb, spec);
        assert!(checked.has_errors(), "{name}");
        row(&mut table, name, spec, "", &render(&checked.diagnostics));
    }
    snapshot!("deep_nesting_and_entities", table);

    // Character references are decoded, as libxml2 does.
    let checked = timed_check(&sb, "charref.xml");
    assert_eq!(values(&checked, "chdir"), ["/srv/café"]);
}

/// Deeply nested logic blocks and long include chains end with a clear error.
#[test]
fn deep_blocks_and_include_chains() {
    let sb = Sandbox::new();
    let depth = 10_000;
    sb.write(
        "blocks.ini",
        format!(
            "[uwsgi]\n{}processes = 2\n{}",
            "if-env = HOME\n".repeat(depth),
            "endif\n".repeat(depth)
        ),
    );
    let checked = timed_check(&sb, "blocks.ini");
    assert!(checked.has_errors());
    let mut messages = render(&checked.diagnostics);

    // Ten nested `for-times = 10`: ten billion lines, stopped early.
    sb.write(
        "loops.ini",
        format!(
            "[uwsgi]\n{}socket = :%(_)\n{}",
            "for-times = 10\n".repeat(10),
            "endfor\n".repeat(10)
        ),
    );
    let checked = timed_check(&sb, "loops.ini");
    assert!(checked.has_errors());
    messages.push_str(&render(&checked.diagnostics));
    snapshot!("deep_and_exploding_blocks", messages);

    for i in 0..100 {
        sb.write(
            &format!("chain{i}.ini"),
            format!("[uwsgi]\nini = chain{}.ini\n", i + 1),
        );
    }
    let checked = timed_check(&sb, "chain0.ini");
    assert!(checked.has_errors());
    snapshot!("include_chain_too_deep", render(&checked.diagnostics));
}
