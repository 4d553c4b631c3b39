//! A vassal's config as its emperor hands it over (`from_emperor`): bytes plus the file's
//! path, read exactly as the file itself would be.

use emperor_options::{Mode, Origin, Severity};

use crate::util::Sandbox;

fn argv(extra: &[&str]) -> Vec<String> {
    ["emperor", "--vassal-of-emperor", "app"]
        .iter()
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect()
}

#[test]
fn bytes_are_read_as_the_file_with_its_magic_variables_and_origins() {
    let sb = Sandbox::new();
    let path = sb.root.join("vassals/app.ini");
    let bytes = b"[uwsgi]\nsocket = /run/%n.sock\nchdir = %d\nprocesses = lots\n";
    let checked = emperor_options::from_emperor(&sb.ctx, &path, bytes, &argv(&[]), Mode::Check);
    assert_eq!(
        checked.effective.text("socket").as_deref(),
        Some("/run/app.sock")
    );
    let dir = format!("{}/", sb.root.join("vassals").display());
    assert_eq!(
        checked.effective.text("chdir").as_deref(),
        Some(dir.as_str())
    );
    let error = checked
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("`processes = lots` is an error");
    assert_eq!(
        error.origin,
        Origin::File {
            path: std::sync::Arc::from(path.as_path()),
            line: 4
        }
    );
    assert!(checked.typed.is_none());
}

#[test]
fn extra_words_are_options_loaded_after_the_file() {
    let sb = Sandbox::new();
    let path = sb.root.join("app.ini");
    let bytes = b"[uwsgi]\nsocket = :3031\nprocesses = 2\n";
    let checked = emperor_options::from_emperor(
        &sb.ctx,
        &path,
        bytes,
        &argv(&["--processes", "4", "--bogus"]),
        Mode::Check,
    );
    assert_eq!(checked.effective.text("processes").as_deref(), Some("4"));
    let unknown = checked
        .diagnostics
        .iter()
        .find(|d| d.message.contains("--bogus"))
        .expect("an unknown extra option is reported");
    assert_eq!(unknown.origin, Origin::Argv { index: 5 });
}

#[test]
fn bytes_that_are_not_text_or_of_no_known_format_are_errors() {
    let sb = Sandbox::new();
    let not_utf8 = emperor_options::from_emperor(
        &sb.ctx,
        &sb.root.join("app.ini"),
        b"[uwsgi]\nsocket = \xff\n",
        &argv(&[]),
        Mode::Check,
    );
    assert!(
        not_utf8
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.message.contains("not valid UTF-8 (line 2)")),
        "{:?}",
        not_utf8.diagnostics
    );
    let unknown = emperor_options::from_emperor(
        &sb.ctx,
        &sb.root.join("app.conf"),
        b"[uwsgi]\n",
        &argv(&[]),
        Mode::Check,
    );
    assert!(unknown.has_errors());
}
