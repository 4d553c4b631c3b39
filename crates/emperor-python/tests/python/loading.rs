//! `load_apps`: modules, factories, files, mounts, multi-app modules, and load errors.

use emperor_options::Origin;
use emperor_options::typed::{AppSource, AppSpec};
use emperor_proto::app::Outcome;
use emperor_python::Error;

use crate::support::{call, fixture, get, module, serial, worker};

#[test]
fn default_app_is_the_first_with_an_empty_mountpoint() {
    let f = fixture();
    let _serial = serial();
    assert_eq!(f.apps.default_app(), Some(0));
    let mountpoints: Vec<&str> = f.apps.mountpoints().collect();
    assert_eq!(&mountpoints[..3], ["", "/factory", "/file"]);
    // The multi-app module's `applications` dict mounted each entry.
    assert!(mountpoints.contains(&"/multi-one") && mountpoints.contains(&"/multi-two"));
}

#[test]
fn factory_file_venv_and_multi_apps_answer() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (_, _, out) = call(&mut app, get("/factory/x", ""));
    assert_eq!(
        (out.header("X-App"), out.body_text().as_str()),
        (Some("factory"), "factory")
    );
    let (_, _, out) = call(&mut app, get("/file", ""));
    assert_eq!(out.body_text(), "from-file");
    assert!(
        out.header("X-Module-Name")
            .unwrap()
            .starts_with("uwsgi_file_"),
        "{:?}",
        out.headers
    );
    assert!(
        out.header("X-Module-Name")
            .unwrap()
            .ends_with("_apps_wsgi_file_wsgi")
    );
    let (_, _, out) = call(&mut app, get("/venv", ""));
    assert_eq!(out.body_text(), "from-the-venv");
    let (_, _, out) = call(&mut app, get("/multi-two/", ""));
    assert_eq!(out.body_text(), "two");
}

fn load_error(spec: AppSpec) -> String {
    let f = fixture();
    let _serial = serial();
    match f.interp.load_apps(&[spec], "application") {
        Err(Error::App { traceback, .. }) => traceback,
        other => panic!("expected a load error, got {other:?}"),
    }
}

#[test]
fn import_error_carries_the_traceback() {
    let tb = load_error(module("", "no_such_module_here", None, false));
    assert!(
        tb.contains("ModuleNotFoundError: No module named 'no_such_module_here'"),
        "{tb}"
    );
}

#[test]
fn syntax_error_carries_the_traceback() {
    let tb = load_error(module("", "broken_syntax", None, false));
    assert!(tb.contains("SyntaxError"), "{tb}");
    assert!(tb.contains("broken_syntax.py"), "{tb}");
}

#[test]
fn missing_and_uncallable_callables_are_named() {
    assert_eq!(
        load_error(module("", "hello", Some("nope"), false)),
        "unable to find \"nope\" callable in module hello"
    );
    assert_eq!(
        load_error(module("", "hello", Some("NOT_CALLABLE"), false)),
        "\"NOT_CALLABLE\" must be a callable object in module hello"
    );
    let missing = AppSpec {
        mountpoint: String::new(),
        source: AppSource::File("/nonexistent/app.py".into()),
        origin: Origin::Builtin,
    };
    assert_eq!(
        load_error(missing),
        "failed to open python file /nonexistent/app.py"
    );
}

#[test]
fn no_app_at_all_answers_500() {
    let f = fixture();
    let _serial = serial();
    let mut app = f.interp.worker(
        emperor_python::Apps::empty(),
        &crate::support::settings(false),
    );
    let (outcome, info, out) = call(&mut app, get("/", ""));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(info.status, 500);
    assert_eq!(out.status.as_deref(), Some("500 Internal Server Error"));
    assert_eq!(out.body_text(), "Internal Server Error");
}
