//! The WSGI call path: environ, routing, `start_response`, `write()`, iterables, `close()`,
//! exceptions, `wsgi.input`, `wsgi.file_wrapper`.

use std::io::Write;

use emperor_proto::app::{App, Body, Outcome};

use crate::support::{
    Recorder, call, fixture, get, gil_held, py_repr, request, serial, settings, worker,
};

#[test]
fn list_response_is_joined_into_one_write() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (outcome, info, out) = call(&mut app, get("/", ""));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(out.status.as_deref(), Some("200 OK"));
    assert_eq!(out.header("Content-Type"), Some("text/plain"));
    assert_eq!(out.writes, vec![b"Hello World".to_vec()]);
    assert_eq!((info.status, info.body_bytes), (200, 11));
}

#[test]
fn environ_passes_wsgiref_validator() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let body = Body::Memory(b"a=1&b=2".to_vec());
    let req = request(
        "POST",
        "/echo/sub",
        "x=1",
        &[
            // nginx sends both of these next to CONTENT_TYPE/CONTENT_LENGTH: never in environ.
            ("HTTP_CONTENT_TYPE", b"application/x-www-form-urlencoded"),
            ("HTTP_CONTENT_LENGTH", b"7"),
            ("HTTP_X_LATIN", b"caf\xe9"),
            ("HTTP_X_FORWARDED_PROTO", b"https"),
        ],
        body,
    );
    let (outcome, _, out) = call(&mut app, req);
    assert_eq!(outcome, Outcome::Done, "{}", out.body_text());
    let text = out.body_text();
    // The validator would have turned any PEP 3333 violation into an AssertionError → 500.
    assert_eq!(out.status.as_deref(), Some("200 OK"), "{text}");
    let parsed = py_repr(&format!("__import__('json').loads({text:?})"));
    for expected in [
        "'body': 'a=1&b=2'",
        "'SCRIPT_NAME': '/echo'",
        "'PATH_INFO': '/sub'",
        "'QUERY_STRING': 'x=1'",
        "'HTTP_X_LATIN': 'café'",
        "'wsgi.url_scheme': 'https'",
        "'version': [1, 0]",
        "'multithread': False",
        "'multiprocess': True",
        "'run_once': False",
        "'uwsgi.node': 'testnode'",
    ] {
        assert!(parsed.contains(expected), "{expected} not in {parsed}");
    }
    assert!(
        !parsed.contains("HTTP_CONTENT_TYPE") && !parsed.contains("HTTP_CONTENT_LENGTH"),
        "{parsed}"
    );
    for key in [
        "wsgi.input",
        "wsgi.errors",
        "wsgi.file_wrapper",
        "uwsgi.version",
    ] {
        assert!(
            parsed.contains(&format!("'{key}'")),
            "{key} missing from {parsed}"
        );
    }
}

fn scheme_of(extra: &[(&str, &[u8])]) -> String {
    let mut app = worker();
    let (_, _, out) = call(&mut app, request("GET", "/echo", "", extra, Body::Empty));
    let text = out.body_text();
    py_repr(&format!(
        "__import__('json').loads({text:?})['environ']['wsgi.url_scheme']"
    ))
}

#[test]
fn url_scheme_follows_uwsgi() {
    fixture();
    let _serial = serial();
    assert_eq!(scheme_of(&[]), "'http'");
    assert_eq!(scheme_of(&[("HTTPS", b"on")]), "'https'");
    assert_eq!(scheme_of(&[("HTTPS", b"off")]), "'http'");
    assert_eq!(scheme_of(&[("HTTP_X_FORWARDED_SSL", b"1")]), "'https'");
    // UWSGI_SCHEME and X-Forwarded-Proto: whichever came last.
    assert_eq!(
        scheme_of(&[
            ("HTTP_X_FORWARDED_PROTO", b"https"),
            ("UWSGI_SCHEME", b"http")
        ]),
        "'http'"
    );
    assert_eq!(
        scheme_of(&[
            ("UWSGI_SCHEME", b"http"),
            ("HTTP_X_FORWARDED_PROTO", b"https")
        ]),
        "'https'"
    );
}

#[test]
fn manage_script_name_picks_the_longest_mountpoint_at_a_slash() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let cases = [
        ("/mounted/deeper/x", Some(("/mounted/deeper", "/x"))),
        ("/mounted/deeper", Some(("/mounted/deeper", ""))),
        ("/mounted/x", Some(("/mounted", "/x"))),
        ("/mountedx", None),
    ];
    for (path, expected) in cases {
        let (_, _, out) = call(&mut app, get(path, ""));
        match expected {
            Some((script_name, path_info)) => {
                assert_eq!(out.body_text(), "mounted", "{path}");
                assert_eq!(out.header("X-Script-Name"), Some(script_name), "{path}");
                assert_eq!(out.header("X-Path-Info"), Some(path_info), "{path}");
            }
            // No prefix matches: SCRIPT_NAME (absent) selects the default app.
            None => assert_eq!(out.body_text(), "Hello World", "{path}"),
        }
    }
}

#[test]
fn without_manage_script_name_script_name_selects_the_app() {
    let f = fixture();
    let _serial = serial();
    let mut app = f.interp.worker(f.apps.clone(), &settings(false));
    let req = request(
        "GET",
        "/mounted/x",
        "",
        &[("SCRIPT_NAME", b"/mounted")],
        Body::Empty,
    );
    let (_, _, out) = call(&mut app, req);
    assert_eq!(out.header("X-Script-Name"), Some("/mounted"));
    assert_eq!(out.header("X-Path-Info"), Some("/mounted/x"));
    // Unknown SCRIPT_NAME: the default app.
    let req = request(
        "GET",
        "/x",
        "",
        &[("SCRIPT_NAME", b"/nowhere")],
        Body::Empty,
    );
    assert_eq!(call(&mut app, req).2.body_text(), "Hello World");
}

#[test]
fn streamed_chunks_are_written_as_they_come_and_close_is_called() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (outcome, info, out) = call(&mut app, get("/stream", "plain"));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(
        out.writes,
        vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
    assert_eq!(info.body_bytes, 11);
    let (outcome, _, out) = call(&mut app, get("/stream", "empty"));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(
        out.status.as_deref(),
        Some("200 OK"),
        "headers are sent at the end of an empty body"
    );
    assert!(out.writes.is_empty());
    assert!(py_repr("__import__('streaming').CLOSED").contains("'plain', 'empty'"));
}

#[test]
fn failures_in_the_iterable_answer_500_only_if_nothing_was_sent_and_always_close() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    for (tag, status, body, aborted) in [
        (
            "fail-first",
            "500 Internal Server Error",
            "Internal Server Error",
            false,
        ),
        (
            "str-first",
            "500 Internal Server Error",
            "Internal Server Error",
            false,
        ),
        // Too late for a 500: the response is aborted, so that it does not look complete.
        ("fail-later", "200 OK", "a", true),
        ("str-later", "200 OK", "ok", true),
    ] {
        let (outcome, _, out) = call(&mut app, get("/stream", tag));
        assert_eq!(outcome, Outcome::Exception, "{tag}");
        assert_eq!(out.status.as_deref(), Some(status), "{tag}");
        assert_eq!(out.body_text(), body, "{tag}");
        assert_eq!(out.aborted, aborted, "{tag}");
        assert!(
            py_repr("__import__('streaming').CLOSED").contains(&format!("'{tag}'")),
            "{tag} not closed"
        );
    }
}

#[test]
fn client_gone_is_reported_and_close_is_still_called() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let mut out = Recorder::failing();
    let (outcome, _) = app.call(&mut get("/stream", "gone"), &mut out);
    assert_eq!(outcome, Outcome::ClientGone);
    assert!(py_repr("__import__('streaming').CLOSED").contains("'gone'"));
    // Through write(): the app sees OSError; swallowing it does not hide the lost client.
    for path in ["/writer", "/swallow"] {
        let mut out = Recorder::failing();
        let (outcome, _) = app.call(&mut get(path, ""), &mut out);
        assert_eq!(outcome, Outcome::ClientGone, "{path}");
    }
}

#[test]
fn app_exception_is_a_logged_500() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (outcome, info, out) = call(&mut app, get("/raise", ""));
    assert_eq!(outcome, Outcome::Exception);
    assert_eq!(info.status, 500);
    assert_eq!(out.status.as_deref(), Some("500 Internal Server Error"));
    assert_eq!(out.header("Content-Length"), Some("21"));
    assert_eq!(out.body_text(), "Internal Server Error");
    // The worker goes on serving.
    assert_eq!(call(&mut app, get("/", "")).2.body_text(), "Hello World");
}

#[test]
fn header_injection_and_invalid_headers_are_refused_with_a_500() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let cases = py_repr("sorted(__import__('headers').CASES)");
    let cases: Vec<String> = cases
        .trim_matches(['[', ']'])
        .split(", ")
        .map(|c| c.trim_matches('\'').to_owned())
        .collect();
    assert!(cases.len() >= 10, "{cases:?}");
    for case in cases {
        let (outcome, _, out) = call(&mut app, get("/headers", &case));
        assert_eq!(outcome, Outcome::Exception, "{case}");
        assert_eq!(
            out.status.as_deref(),
            Some("500 Internal Server Error"),
            "{case}"
        );
        assert!(
            out.header("X-Evil").is_none() && out.header("Set-Cookie").is_none(),
            "{case}: {:?}",
            out.headers
        );
        assert!(!out.body_text().contains("never"), "{case}");
    }
}

#[test]
fn valid_edge_cases_of_start_response() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (_, _, out) = call(&mut app, get("/headers", "short-status"));
    assert_eq!(out.status.as_deref(), Some("404 Not Found"));
    let (_, _, out) = call(&mut app, get("/headers", "latin1"));
    assert_eq!(out.header("X-Latin"), Some("café"));
    // The app caught the ValueError raised into it and answered properly.
    let (outcome, _, out) = call(&mut app, get("/headers", "caught"));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(out.header("X-Caught"), Some("yes"));
}

#[test]
fn write_callable_and_exc_info() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (outcome, info, out) = call(&mut app, get("/writer", ""));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(out.writes, vec![b"written-".to_vec(), b"returned".to_vec()]);
    assert_eq!(info.body_bytes, 16);

    // Headers already sent: start_response(…, exc_info) re-raises; the response is aborted.
    let (outcome, _, out) = call(&mut app, get("/late-error", ""));
    assert_eq!(outcome, Outcome::Exception);
    assert_eq!(out.status.as_deref(), Some("200 OK"));
    assert_eq!(out.body_text(), "partial");
    assert!(out.aborted);

    // Not sent yet: exc_info replaces status and headers.
    let (outcome, _, out) = call(&mut app, get("/early-error", ""));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(out.status.as_deref(), Some("503 Service Unavailable"));
    assert_eq!(
        (out.header("X-First"), out.header("X-Second")),
        (None, Some("1"))
    );
    assert_eq!(out.body_text(), "replaced");
}

#[test]
fn start_response_twice_without_exc_info_is_an_error() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    // PEP 3333: the second call raises in the app, which does not catch it: a logged 500.
    let (outcome, _, out) = call(&mut app, get("/twice", ""));
    assert_eq!(outcome, Outcome::Exception);
    assert_eq!(out.status.as_deref(), Some("500 Internal Server Error"));
    assert!(out.header("X-First").is_none() && out.header("X-Second").is_none());
    assert!(!out.body_text().contains("second status"));
}

#[test]
fn missing_start_response_is_a_500_and_empty_bodies_still_send_headers() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (outcome, _, out) = call(&mut app, get("/no-start", ""));
    assert_eq!(outcome, Outcome::Exception);
    assert_eq!(out.status.as_deref(), Some("500 Internal Server Error"));
    let (outcome, info, out) = call(&mut app, get("/empty", ""));
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(out.status.as_deref(), Some("204 No Content"));
    assert_eq!((info.status, info.body_bytes), (204, 0));
}

const INPUT_BODY: &[u8] = b"line one\nline two\nthree\nlast";
const INPUT_EXPECTED: &str = "(b'line one\\n', b'lin', [b'e two\\n', b'three\\n', b'last'], b'', b'line', 4, \
                              [b' one\\n', b'line two\\n', b'three\\n', b'last'], [b'line one\\n'])";

#[test]
fn wsgi_input_from_memory() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let (_, _, out) = call(
        &mut app,
        request("POST", "/input", "", &[], Body::Memory(INPUT_BODY.to_vec())),
    );
    assert_eq!(out.body_text(), INPUT_EXPECTED);
}

#[test]
fn wsgi_input_from_a_spooled_file_is_bounded_by_its_length() {
    fixture();
    let _serial = serial();
    let mut app = worker();
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(INPUT_BODY).unwrap();
    file.write_all(b"\nBEYOND THE BODY").unwrap();
    std::io::Seek::rewind(&mut file).unwrap();
    let body = Body::File {
        file,
        len: INPUT_BODY.len() as u64,
    };
    let (_, _, out) = call(&mut app, request("POST", "/input", "", &[], body));
    assert_eq!(out.body_text(), INPUT_EXPECTED);
}

#[test]
fn file_wrapper_uses_sendfile_for_real_files_from_the_current_position() {
    let f = fixture();
    let _serial = serial();
    let path = f.dir.join("payload.bin");
    let payload: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &payload).unwrap();
    let mut app = worker();
    let path_var = path.display().to_string();
    let req = request(
        "GET",
        "/filewrap",
        "",
        &[("FILE_PATH", path_var.as_bytes())],
        Body::Empty,
    );
    let (outcome, info, out) = call(&mut app, req);
    assert_eq!(outcome, Outcome::Done);
    assert!(out.writes.is_empty());
    assert_eq!(out.sendfiles.len(), 1);
    assert_eq!(out.sendfiles[0].0, 5);
    assert_eq!(out.sendfiles[0].1, payload[5..]);
    assert_eq!(info.body_bytes, payload.len() as u64 - 5);
    // close() reached the file through the wrapper.
    assert_eq!(py_repr("__import__('filewrap').OPENED[-1].closed"), "True");

    // No real file descriptor: iterated in blksize chunks.
    let (_, _, out) = call(&mut app, get("/filewrap", "bytesio"));
    let sizes: Vec<usize> = out.writes.iter().map(Vec::len).collect();
    assert_eq!(sizes, [4096, 4096, 1808]);
}

#[test]
fn a_worker_thread_stays_attached_and_unlocked_releases_the_gil() {
    let f = fixture();
    let _serial = serial();
    // As a worker thread with threads > 1 would: a thread state for life, GIL held.
    let attachment = f.interp.attach_thread();
    let mut app = worker();
    assert!(gil_held());
    let (_, _, out) = call(&mut app, get("/", ""));
    assert_eq!(out.body_text(), "Hello World");
    assert!(gil_held(), "the worker keeps the GIL between requests");
    let mut released = false;
    app.unlocked(&mut || released = !gil_held());
    assert!(released, "unlocked must release the GIL");
    assert!(gil_held());
    drop(attachment);
}
