//! Property tests over the loaders' entry points: the "fuzz" runs of CI (stable Rust has no
//! sanitizers here, so `cargo fuzz` is replaced by proptest over the same entry points).
//! `PROPTEST_CASES` sets how many cases run; `scripts/test` bounds it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use emperor_options::load::Format;
use emperor_options::{Context, Effective, Loader, Origin};
use emperor_sys::host::HostFacts;
use proptest::prelude::*;

fn context() -> Context {
    Context {
        cwd: std::env::temp_dir(),
        env: BTreeMap::from([("HOME".to_owned(), "/home/app".to_owned())]),
        host: HostFacts {
            hostname: "node1".into(),
            uid: 1000,
            user: "app".into(),
            gid: 1000,
            group: "app".into(),
            cpus: 2,
        },
        binary: "/usr/bin/emperor".into(),
        start: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        reloading: false,
    }
}

fn load(
    text: &str,
    format: Format,
    section: Option<&str>,
) -> (Effective, Vec<emperor_options::Diagnostic>) {
    let ctx = context();
    let mut loader = Loader::new(&ctx);
    let path = Path::new("/nonexistent/fuzz.cfg");
    loader.load_text(
        "fuzz.cfg",
        "fuzz.cfg",
        path,
        section,
        format,
        text,
        &Origin::Builtin,
    );
    Effective::resolve(loader.finish())
}

/// Text made of the characters the config languages care about, so that the generator hits
/// sections, directives, references and markup far more often than uniform random text would.
fn config_like() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "[uwsgi]\n",
        "[other]\n",
        "\n",
        "\r\n",
        " = ",
        "=",
        ";",
        "#",
        "%",
        "%d",
        "%(",
        "%(a)",
        "$(",
        "$(HOME)",
        "@(",
        ")",
        "(",
        "socket",
        "processes",
        "if-env = HOME\n",
        "for = a b\n",
        "endif\n",
        "endfor\n",
        "else\n",
        "ini = :other\n",
        "set = a=1\n",
        "a = %(a)\n",
        "%(a + 1 * 2)",
        "master",
        "true",
        "4",
        "x",
        "<uwsgi>",
        "</uwsgi>",
        "<socket>",
        "</socket>",
        "<master/>",
        "&amp;",
        "&lt;",
        "&#65;",
        "<!DOCTYPE",
        "{",
        "}",
        "[",
        "]",
        "\"uwsgi\"",
        "\"socket\"",
        ":",
        ",",
        "true",
        "null",
        "1.5",
        "\"",
        "\\u00e9",
    ]);
    prop::collection::vec(atoms, 0..64).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), which in 0..3usize) {
        let format = [Format::Ini, Format::Xml, Format::Json][which];
        let _ = load(&text, format, None);
    }

    #[test]
    fn config_like_text_never_panics(text in config_like(), which in 0..3usize) {
        let format = [Format::Ini, Format::Xml, Format::Json][which];
        let _ = load(&text, format, Some("uwsgi"));
    }

    /// What `emperor check` prints reads back to the same effective configuration.
    #[test]
    fn effective_ini_round_trips(
        entries in prop::collection::vec(
            (prop::sample::select(vec!["socket", "processes", "master", "env", "chdir", "harakiri", "module", "log-date", "vacuum"]),
             "[a-zA-Z0-9 %:/=._-]{0,12}"),
            0..12,
        )
    ) {
        let text: String = std::iter::once("[uwsgi]\n".to_owned())
            .chain(entries.iter().map(|(k, v)| format!("{k} = {v}\n")))
            .collect();
        let (first, _) = load(&text, Format::Ini, None);
        let printed = first.to_ini(false);
        let (second, diags) = load(&printed, Format::Ini, None);
        prop_assert!(diags.iter().all(|d| !d.is_error()), "{printed}\n{diags:?}");
        prop_assert_eq!(second.to_ini(false), printed);
    }
}
