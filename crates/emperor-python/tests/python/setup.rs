//! `initialize`: the venv, `sys.path`, `sys.argv`, the idempotence guard, threads.

use emperor_python::{Error, Setup};

use crate::support::{fixture, py_repr, serial};

#[test]
fn embedded_python_is_debian_3_11_and_the_venv_is_active() {
    let f = fixture();
    let _serial = serial();
    assert!(
        f.interp.version().starts_with("3.11."),
        "{}",
        f.interp.version()
    );
    let venv_python = f.venv.join("bin/python");
    assert_eq!(
        py_repr("__import__('sys').executable"),
        format!("'{}'", venv_python.display())
    );
    assert_eq!(
        py_repr("__import__('sys').prefix"),
        format!("'{}'", f.venv.display())
    );
    assert_eq!(py_repr("__import__('sys').base_prefix"), "'/usr'");
    // A package installed only in the venv imports.
    assert_eq!(
        py_repr("__import__('venvonly_pkg').MARKER"),
        "'from-the-venv'"
    );
}

#[test]
fn argv_and_pythonpath_follow_uwsgi() {
    let f = fixture();
    let _serial = serial();
    assert_eq!(
        py_repr("__import__('sys').argv"),
        "['/usr/bin/emperor-test', '--flag', 'value']"
    );
    // "." first, then each entry (glob-expanded, sorted) inserted at 0: the last ends up first.
    let expected = format!(
        "['{d}/glob_b', '{d}/glob_a', '{a}', '.']",
        d = f.dir.display(),
        a = f.apps_dir.display()
    );
    assert_eq!(py_repr("__import__('sys').path[:4]"), expected);
}

#[test]
fn initialize_is_idempotent_for_the_same_setup_only() {
    let f = fixture();
    let _serial = serial();
    assert!(emperor_python::initialize(&f.setup).is_ok());
    let other = Setup {
        processes: 9,
        ..f.setup.clone()
    };
    assert_eq!(
        emperor_python::initialize(&other).unwrap_err(),
        Error::AlreadyInitialized
    );
}

#[test]
fn python_threads_counts_threads_the_app_started() {
    let f = fixture();
    let _serial = serial();
    // Test-harness threads that touched `threading` count as (dummy) threads: measure from here.
    py_repr("__import__('threading').current_thread() and None");
    let base = f.interp.python_threads();
    py_repr(
        "exec(\"import threading\\nEV = threading.Event()\\nT = threading.Thread(target=EV.wait)\\nT.start()\", globals())",
    );
    assert_eq!(f.interp.python_threads(), base + 1);
    py_repr("exec('EV.set(); T.join()', globals())");
    assert_eq!(f.interp.python_threads(), base);
}

#[test]
fn app_threads_run_while_the_worker_waits_unlocked() {
    let f = fixture();
    let _serial = serial();
    let attachment = f.interp.attach_thread();
    assert!(crate::support::gil_held());
    py_repr(
        "exec(\"import threading\\nTICKS = []\\nSTOP = threading.Event()\\ndef tick():\\n    while not STOP.is_set():\\n        TICKS.append(1)\\n        STOP.wait(0.001)\\nTT = threading.Thread(target=tick)\\nTT.start()\", globals())",
    );
    f.interp.unlocked(|| {
        assert!(!crate::support::gil_held());
        std::thread::sleep(std::time::Duration::from_millis(50));
    });
    assert!(crate::support::gil_held());
    py_repr("exec('STOP.set(); TT.join()', globals())");
    let ticks: usize = py_repr("len(TICKS)").parse().unwrap();
    assert!(
        ticks > 0,
        "the app thread never ran while the worker was unlocked"
    );
    drop(attachment);
    assert!(!crate::support::gil_held());
}
