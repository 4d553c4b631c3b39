//! The `uwsgi` and `uwsgidecorators` modules.

use std::os::unix::process::ExitStatusExt;

use emperor_proto::app::Outcome;

use crate::support::{call, fixture, get, py_repr, serial, worker};

#[test]
fn uwsgi_opt_has_str_keys_and_bytes_values_like_uwsgi() {
    fixture();
    let _serial = serial();
    assert_eq!(
        py_repr("__import__('uwsgi').opt"),
        "{'socket': b':3031', 'env': [b'A=1', b'B=2'], 'master': b'true'}"
    );
}

#[test]
fn uwsgi_module_facts() {
    let f = fixture();
    let _serial = serial();
    assert_eq!(py_repr("__import__('uwsgi').numproc"), "4");
    assert_eq!(
        py_repr("__import__('uwsgi').masterpid()"),
        f.setup.master_pid.to_string()
    );
    assert_eq!(py_repr("__import__('uwsgi').worker_id()"), "0");
    f.interp.set_worker_id(3);
    assert_eq!(py_repr("__import__('uwsgi').worker_id()"), "3");
    f.interp.set_worker_id(0);
    assert_eq!(
        py_repr("__import__('uwsgi').version"),
        format!("b'{}'", emperor_python::VERSION)
    );
    assert_eq!(
        py_repr("type(__import__('uwsgi').hostname).__name__"),
        "'bytes'"
    );
    let started: u64 = py_repr("__import__('uwsgi').started_on").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(started <= now && now - started < 600);
    assert_eq!(py_repr("__import__('uwsgi').mule_id()"), "0");
    assert_eq!(
        py_repr("__import__('uwsgi').log('a line from uwsgi.log')"),
        "True"
    );
    assert_eq!(
        py_repr("callable(__import__('uwsgidecorators').postfork)"),
        "True"
    );
}

#[test]
fn uwsgi_reload_sends_sighup_to_the_master() {
    let f = fixture();
    let _serial = serial();
    let mut child = f
        .fake_master
        .lock()
        .unwrap()
        .take()
        .expect("the fake master is used once");
    assert_eq!(py_repr("__import__('uwsgi').reload()"), "True");
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGHUP));
}

#[test]
fn postfork_hooks_run_in_order_and_survive_a_failing_one() {
    let f = fixture();
    let _serial = serial();
    f.interp.set_worker_id(2);
    f.interp.run_postfork();
    f.interp.set_worker_id(0);
    let mut app = worker();
    let (outcome, _, out) = call(&mut app, get("/postfork", ""));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(out.body_text(), "[('all', 2), ('two', 2), ('after', 2)]");
}

#[test]
fn run_atexit_calls_what_apps_registered() {
    let f = fixture();
    let _serial = serial();
    py_repr(
        "exec(\"import atexit\\nEXITED = []\\natexit.register(EXITED.append, 'bye')\", globals())",
    );
    f.interp.run_atexit();
    assert_eq!(py_repr("EXITED"), "['bye']");
}
