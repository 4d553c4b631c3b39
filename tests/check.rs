//! `emperor check` end to end: the real binary on the seed tutorials' files.
//!
//! Output is snapshot-tested (STYLE: "pin what users see"). Host checks (users, groups and
//! directories that must exist) depend on the machine, so their lines are filtered out of the
//! snapshots and asserted separately where they matter.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn emperor() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_emperor"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env_clear().env("PATH", "/usr/bin:/bin");
    cmd
}

fn check(args: &[&str]) -> Output {
    emperor()
        .arg("check")
        .args(args)
        .output()
        .expect("run emperor check")
}

fn seed(name: &str) -> String {
    format!("tests/fixtures/seeds/{name}")
}

/// stdout, stderr and the exit code as one text, host-check lines filtered.
fn transcript(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    format!(
        "exit: {}\n--- stderr\n{stderr}--- stdout\n{stdout}",
        out.status.code().unwrap_or(-1)
    )
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![
            // Host checks depend on the machine (a `uwsgi` user, /etc/uwsgi.d): dropped.
            (r"(?m)^.*(does not exist|was made with Python).*\n(  hint: .*\n)?", ""),
            (r"\d+ warning\(s\)", "[N] warning(s)"),
            (r"/tmp/\.tmp\w+", "[TMP]"),
        ]}, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

#[test]
fn seed_emperor_ini_is_an_emperor_config() {
    let out = check(&[&seed("000-emperor.ini")]);
    assert!(out.status.success(), "{}", transcript(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("emperor = /etc/uwsgi.d\n"));
    assert!(stdout.contains("emperor-tyrant = true\n"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ok (emperor"));
    snapshot!("seed_000_emperor", transcript(&out));
}

#[test]
fn seed_web2py_xml_vassal() {
    let out = check(&[&seed("000-web2py.xml")]);
    assert!(out.status.success(), "{}", transcript(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in [
        "socket = 127.0.0.1:9001\n",
        "module = wsgihandler\n",
        "processes = 3\n",
        "no-orphans = true\n",
        "limit-as = 512\n",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    snapshot!("seed_000_web2py", transcript(&out));
}

#[test]
fn seed_ini_files_parse() {
    for name in [
        "001-django.ini",
        "001-mount.ini",
        "001-autoreload.ini",
        "001-web2py-shared.ini",
        "002-wsgi.ini",
        "003-flaskr.ini",
        "004-myapp.ini",
    ] {
        let out = check(&[&seed(name)]);
        assert!(out.status.success(), "{name}: {}", transcript(&out));
        snapshot!(format!("seed_{name}"), transcript(&out));
    }
}

#[test]
fn seed_cgi_example_keeps_placeholders_and_names_unsupported_options() {
    let out = check(&[&seed("001-cgi.ini")]);
    assert!(out.status.success(), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `workdir` and `ipaddress` are placeholders: no unknown-option warning for them.
    assert!(!stderr.contains("`workdir`"), "{stderr}");
    assert!(!stderr.contains("`ipaddress`"), "{stderr}");
    for option in ["cgi", "cgi-helper", "cgi-allowed-ext", "cgi-index"] {
        assert!(
            stderr.contains(&format!("option `{option}` is not supported")),
            "{option} not named in\n{stderr}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("http = 0.0.0.0:8080\n"), "{stdout}");
    assert!(stdout.contains("check-static = /var/www\n"), "{stdout}");
    snapshot!("seed_001_cgi", transcript(&out));
}

fn temp_copy(name: &str, extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(seed(name)))
        .expect("seed");
    let path = dir.path().join(name);
    std::fs::write(&path, format!("{text}{extra}")).expect("write");
    (dir, path)
}

#[test]
fn typos_warn_with_a_suggestion_and_strict_turns_them_into_errors() {
    let (_dir, path) = temp_copy("003-flaskr.ini", "harakari = 30\nproceses = 4\n");
    let out = check(&[path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: unknown option `harakari`\n  hint: did you mean `harakiri`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: unknown option `proceses`\n  hint: did you mean `processes`?"),
        "{stderr}"
    );

    let (_dir, path) = temp_copy("003-flaskr.ini", "harakari = 30\nstrict = true\n");
    let out = check(&[path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: unknown option `harakari` (strict mode)"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "no effective config is printed for a failed file"
    );
}

#[test]
fn verbose_names_the_origin_of_each_value() {
    let out = check(&["--verbose", &seed("001-django.ini")]);
    assert!(out.status.success(), "{}", transcript(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("; from tests/fixtures/seeds/001-django.ini:2\nsocket = 127.0.0.1:3031\n"),
        "{stdout}"
    );
}

#[test]
fn several_files_get_one_section_each() {
    let out = check(&[&seed("001-django.ini"), &seed("003-flaskr.ini")]);
    assert!(out.status.success(), "{}", transcript(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("[uwsgi]\n").count(), 2, "{stdout}");
    assert!(
        stdout.starts_with("; tests/fixtures/seeds/001-django.ini\n[uwsgi]\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n; tests/fixtures/seeds/003-flaskr.ini\n[uwsgi]\n"),
        "{stdout}"
    );
}

#[test]
fn check_output_reads_back_to_the_same_configuration() {
    let out = check(&[&seed("000-web2py.xml")]);
    let first = String::from_utf8(out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("again.ini");
    std::fs::write(&path, &first).unwrap();
    let again = check(&[path.to_str().unwrap()]);
    assert!(again.status.success(), "{}", transcript(&again));
    let second = String::from_utf8(again.stdout).unwrap();
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&first), body(&second));
}

#[test]
fn broken_files_fail_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("bad.ini");
    std::fs::write(&ini, "[uwsgi]\nsocket = :3031\nprocesses = 4x\n").unwrap();
    let json = dir.path().join("bad.json");
    std::fs::write(&json, "{\"uwsgi\": {\"socket\": \":3031\",}}\n").unwrap();
    let yaml = dir.path().join("app.yaml");
    std::fs::write(&yaml, "uwsgi:\n  socket: :3031\n").unwrap();
    let out = emperor()
        .current_dir(dir.path())
        .args(["check", "bad.ini", "bad.json", "app.yaml", "missing.ini"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.ini:3: error: `processes = 4x` is not a number"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.json:1: error:"), "{stderr}");
    assert!(
        stderr.contains("YAML configs are not supported"),
        "{stderr}"
    );
    assert!(stderr.contains("missing.ini"), "{stderr}");
    snapshot!("broken_files", transcript(&out));
}

#[test]
fn unknown_options_are_refused_with_a_suggestion() {
    let out = emperor().args(["--proceses", "4"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: unknown option `--proceses`\n  hint: did you mean `--processes`?"),
        "{stderr}"
    );
}

/// A 0-byte (or blank) vassal file is an error: it would run nothing (it was "ok").
#[test]
fn an_empty_vassal_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("empty.ini", ""),
        ("blank.json", " \n\n"),
        ("empty.xml", ""),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = check(&[path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{}: error: `{}` is empty",
                path.display(),
                path.display()
            )),
            "{name}: {stderr}"
        );
    }
}
