//! The WSGI call path (PEP 3333): environ, the app call, the response, `close()`.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::os::fd::AsFd;

use emperor_proto::app::{App, Body, Outcome, Request, Responder, ResponseInfo, Vars};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{ffi, intern};

use crate::gil;
use crate::input::Input;
use crate::loader::Apps;
use crate::response::{ERROR_500_BODY, SendError, StartResponse, type_name};
use crate::streams::{ErrorStream, FileWrapper};

/// Per-worker WSGI settings from the vassal's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WsgiSettings {
    /// `manage-script-name`: route by the longest mountpoint prefix of `PATH_INFO` and move
    /// it to `SCRIPT_NAME`.
    pub manage_script_name: bool,
    /// `wsgi.multiprocess` (uWSGI: `processes > 1`).
    pub multiprocess: bool,
    /// `wsgi.multithread` (uWSGI: `threads > 1`).
    pub multithread: bool,
    /// `uwsgi.node` in the environ: the hostname, as bytes.
    pub node: Vec<u8>,
}

/// A WSGI app runner for one worker thread: an [`App`] (see the crate docs for the GIL).
pub struct WsgiApp {
    apps: Apps,
    manage_script_name: bool,
    keys: Keys,
    values: Values,
    /// Interned environ keys of the variables seen so far (bounded: names come from clients).
    var_keys: HashMap<Box<[u8]>, Py<PyString>, BuildHasherDefault<Fnv>>,
}

/// The most distinct variable names whose interned keys are kept.
const VAR_KEY_CACHE: usize = 256;

/// Interned constant environ keys.
struct Keys {
    version: Py<PyString>,
    input: Py<PyString>,
    errors: Py<PyString>,
    url_scheme: Py<PyString>,
    multithread: Py<PyString>,
    multiprocess: Py<PyString>,
    run_once: Py<PyString>,
    file_wrapper: Py<PyString>,
    uwsgi_version: Py<PyString>,
    uwsgi_node: Py<PyString>,
    script_name: Py<PyString>,
    path_info: Py<PyString>,
}

/// Constant environ values, made once.
struct Values {
    version: Py<PyAny>,
    http: Py<PyAny>,
    https: Py<PyAny>,
    errors: Py<PyAny>,
    file_wrapper: Py<PyAny>,
    uwsgi_version: Py<PyAny>,
    node: Py<PyAny>,
    multithread: Py<PyAny>,
    multiprocess: Py<PyAny>,
    run_once: Py<PyAny>,
    empty: Py<PyAny>,
}

impl fmt::Debug for WsgiApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsgiApp")
            .field("apps", &self.apps)
            .field("manage_script_name", &self.manage_script_name)
            .field("cached_keys", &self.var_keys.len())
            .finish_non_exhaustive()
    }
}

/// Why a request did not end normally.
enum Failure {
    /// The app raised, or broke the protocol (the error says how).
    Python(PyErr),
    /// The app returned without calling `start_response`.
    NoStartResponse,
    /// A write to the client failed.
    Gone(std::io::Error),
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Failure {
        Failure::Python(e)
    }
}

impl From<SendError> for Failure {
    fn from(e: SendError) -> Failure {
        match e {
            SendError::NoStatus => Failure::NoStartResponse,
            SendError::Gone(e) => Failure::Gone(e),
            SendError::Finished => Failure::Python(e.into_pyerr()),
        }
    }
}

impl WsgiApp {
    pub(crate) fn new(py: Python<'_>, apps: Apps, settings: &WsgiSettings) -> WsgiApp {
        let key = |s: &str| PyString::intern(py, s).unbind();
        let any = |b: Bound<'_, PyAny>| b.unbind();
        let keys = Keys {
            version: key("wsgi.version"),
            input: key("wsgi.input"),
            errors: key("wsgi.errors"),
            url_scheme: key("wsgi.url_scheme"),
            multithread: key("wsgi.multithread"),
            multiprocess: key("wsgi.multiprocess"),
            run_once: key("wsgi.run_once"),
            file_wrapper: key("wsgi.file_wrapper"),
            uwsgi_version: key("uwsgi.version"),
            uwsgi_node: key("uwsgi.node"),
            script_name: key("SCRIPT_NAME"),
            path_info: key("PATH_INFO"),
        };
        let values = Values {
            version: any(PyTuple::new(py, [1, 0])
                .expect("a 2-tuple of ints")
                .into_any()),
            http: any(PyString::intern(py, "http").into_any()),
            https: any(PyString::intern(py, "https").into_any()),
            errors: any(Bound::new(py, ErrorStream)
                .expect("allocating wsgi.errors")
                .into_any()),
            file_wrapper: any(py.get_type::<FileWrapper>().into_any()),
            uwsgi_version: any(PyBytes::new(py, crate::VERSION.as_bytes()).into_any()),
            node: any(PyBytes::new(py, &settings.node).into_any()),
            multithread: any(PyBool::new(py, settings.multithread).to_owned().into_any()),
            multiprocess: any(PyBool::new(py, settings.multiprocess).to_owned().into_any()),
            run_once: any(PyBool::new(py, false).to_owned().into_any()),
            empty: any(PyString::intern(py, "").into_any()),
        };
        WsgiApp {
            apps,
            manage_script_name: settings.manage_script_name,
            keys,
            values,
            var_keys: HashMap::default(),
        }
    }

    fn handle(
        &mut self,
        py: Python<'_>,
        request: &mut Request,
        out: &mut dyn Responder,
    ) -> (Outcome, ResponseInfo) {
        let body = std::mem::take(&mut request.body);
        let vars = &request.vars;
        let (environ, app) = match self.environ(py, vars, body) {
            Ok(built) => built,
            Err(e) => {
                crate::say!("failed to build the WSGI environ of {}:", label(vars));
                e.display(py);
                return answer_500(py, out, Outcome::Exception);
            }
        };
        let Some(app) = app else {
            crate::say!("--- no python application found, check your startup logs for errors ---");
            return answer_500(py, out, Outcome::Done);
        };
        // SAFETY: `out` stays valid until this function returns, and is not used directly
        // again: `FinishOnDrop` calls `finish`, which forgets the pointer, before then (also
        // when unwinding).
        let start_response = match Bound::new(py, unsafe { StartResponse::new(out) }) {
            Ok(sr) => sr,
            Err(e) => {
                e.display(py);
                return answer_500(py, out, Outcome::Exception);
            }
        };
        let outcome = {
            let _finish = FinishOnDrop(&start_response);
            let callable = self.apps.get(app).callable.bind(py);
            run(py, callable, &environ, &start_response, vars)
        };
        let info = start_response.get().lock(py).info;
        (outcome, info)
    }

    /// Builds the environ and picks the app (`None`: no app for this request).
    fn environ<'py>(
        &mut self,
        py: Python<'py>,
        vars: &Vars,
        body: Body,
    ) -> PyResult<(Bound<'py, PyDict>, Option<usize>)> {
        let environ = PyDict::new(py);
        let mut scheme: Option<&[u8]> = None;
        let mut https = false;
        let mut script_name: &[u8] = b"";
        let mut path_info: Option<&[u8]> = None;
        for (key, value) in vars.iter() {
            match key {
                // nginx sends them next to CONTENT_TYPE/CONTENT_LENGTH; PEP 3333 (and
                // wsgiref.validate) forbid them.
                b"HTTP_CONTENT_TYPE" | b"HTTP_CONTENT_LENGTH" => continue,
                b"UWSGI_SCHEME" | b"HTTP_X_FORWARDED_PROTO" if !value.is_empty() => {
                    scheme = Some(value);
                }
                b"HTTPS" | b"HTTP_X_FORWARDED_SSL" => https |= is_on(value),
                b"SCRIPT_NAME" => script_name = value,
                b"PATH_INFO" => path_info = Some(value),
                _ => {}
            }
            let key = self.key(py, key)?;
            environ.set_item(key, latin1(py, value)?)?;
        }
        let (k, v) = (&self.keys, &self.values);
        // CGI requires both; nginx's uwsgi_params sends no SCRIPT_NAME, and wsgiref.validate
        // (like many frameworks) expects the keys to exist.
        if !environ.contains(k.script_name.bind(py))? {
            environ.set_item(k.script_name.bind(py), v.empty.bind(py))?;
        }
        if path_info.is_none() {
            environ.set_item(k.path_info.bind(py), v.empty.bind(py))?;
        }
        environ.set_item(k.version.bind(py), v.version.bind(py))?;
        let scheme = match scheme {
            Some(s) => latin1(py, s)?.into_any(),
            None if https => v.https.bind(py).clone(),
            None => v.http.bind(py).clone(),
        };
        environ.set_item(k.url_scheme.bind(py), scheme)?;
        environ.set_item(k.input.bind(py), Bound::new(py, Input::new(body))?)?;
        environ.set_item(k.errors.bind(py), v.errors.bind(py))?;
        environ.set_item(k.multithread.bind(py), v.multithread.bind(py))?;
        environ.set_item(k.multiprocess.bind(py), v.multiprocess.bind(py))?;
        environ.set_item(k.run_once.bind(py), v.run_once.bind(py))?;
        environ.set_item(k.file_wrapper.bind(py), v.file_wrapper.bind(py))?;
        environ.set_item(k.uwsgi_version.bind(py), v.uwsgi_version.bind(py))?;
        environ.set_item(k.uwsgi_node.bind(py), v.node.bind(py))?;

        let routed = if self.manage_script_name
            && let Some(path) = path_info
            && path.len() > 1
        {
            self.apps
                .by_path_prefix(path)
                .map(|(app, n)| (app, path, n))
        } else {
            None
        };
        let app = match routed {
            Some((app, path, n)) => {
                environ.set_item(k.script_name.bind(py), latin1(py, &path[..n])?)?;
                environ.set_item(k.path_info.bind(py), latin1(py, &path[n..])?)?;
                Some(app)
            }
            None => self.apps.by_script_name(script_name),
        };
        Ok((environ, app))
    }

    /// The interned `str` key for a variable name.
    fn key<'py>(&mut self, py: Python<'py>, name: &[u8]) -> PyResult<Bound<'py, PyString>> {
        if let Some(key) = self.var_keys.get(name) {
            return Ok(key.bind(py).clone());
        }
        let mut ptr = latin1(py, name)?.into_ptr();
        // SAFETY: `ptr` is an owned reference to an exact `str`; PyUnicode_InternInPlace may
        // replace it with the canonical interned string, transferring the reference.
        let key = unsafe {
            ffi::PyUnicode_InternInPlace(&raw mut ptr);
            Bound::from_owned_ptr(py, ptr).cast_into_unchecked::<PyString>()
        };
        if self.var_keys.len() < VAR_KEY_CACHE {
            self.var_keys.insert(name.into(), key.clone().unbind());
        }
        Ok(key)
    }
}

impl App for WsgiApp {
    fn call(&mut self, request: &mut Request, out: &mut dyn Responder) -> (Outcome, ResponseInfo) {
        // On a worker thread this re-enters the thread state it holds for life: no thread
        // state is created, the GIL is already ours.
        Python::attach(|py| self.handle(py, request, out))
    }

    fn unlocked(&mut self, f: &mut dyn FnMut()) {
        gil::without_gil(f);
    }
}

/// Forgets the responder when the request ends, however it ends.
struct FinishOnDrop<'a, 'py>(&'a Bound<'py, StartResponse>);

impl Drop for FinishOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.get().finish(self.0.py());
    }
}

/// Calls the app, sends its response, always calls `close()`, and turns failures into
/// logged 500s.
fn run(
    py: Python<'_>,
    app: &Bound<'_, PyAny>,
    environ: &Bound<'_, PyDict>,
    start_response: &Bound<'_, StartResponse>,
    vars: &Vars,
) -> Outcome {
    let result = match app.call1((environ, start_response)) {
        Ok(result) => result,
        Err(e) => return failed(py, start_response, Failure::Python(e), vars),
    };
    let consumed = consume(py, &result, start_response);
    let closed = close(py, &result);
    match (consumed, closed) {
        (Ok(()), Ok(())) => finished(py, start_response, vars),
        (Ok(()), Err(e)) => failed(py, start_response, Failure::Python(e), vars),
        (Err(failure), Ok(())) => failed(py, start_response, failure, vars),
        (Err(failure), Err(close_error)) => {
            let outcome = failed(py, start_response, failure, vars);
            crate::say!("close() of the response of {} raised too:", label(vars));
            close_error.display(py);
            outcome
        }
    }
}

/// Sends the response body (the app's iterable).
fn consume(
    py: Python<'_>,
    result: &Bound<'_, PyAny>,
    start_response: &Bound<'_, StartResponse>,
) -> Result<(), Failure> {
    if let Ok(wrapper) = result.cast::<FileWrapper>()
        && let Some((fd, offset)) = wrapper.get().regular_file(py)
    {
        return Ok(start_response
            .get()
            .lock(py)
            .sendfile(py, fd.as_fd(), offset)?);
    }
    if let Ok(bytes) = result.cast::<PyBytes>() {
        // uWSGI's shortcut (without `wsgi-strict`): a bytes result is the whole body.
        return write_last(py, start_response, bytes.as_bytes());
    }
    if let Ok(list) = result.cast_exact::<PyList>() {
        return write_sequence(py, start_response, list.len(), list.iter());
    }
    if let Ok(tuple) = result.cast_exact::<PyTuple>() {
        return write_sequence(py, start_response, tuple.len(), tuple.iter());
    }
    for item in result.try_iter()? {
        write_chunk(py, start_response, &as_chunk(&item?)?)?;
    }
    Ok(())
}

/// A list or tuple body: validated whole, then sent in one write.
fn write_sequence<'py>(
    py: Python<'py>,
    start_response: &Bound<'py, StartResponse>,
    len: usize,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
) -> Result<(), Failure> {
    let chunks = items
        .map(|item| as_chunk(&item))
        .collect::<PyResult<Vec<_>>>()?;
    let mut filled = chunks.iter().filter(|c| !c.as_bytes().is_empty());
    let first = filled.next();
    if len <= 1 || filled.next().is_none() {
        return match first {
            Some(chunk) => write_last(py, start_response, chunk.as_bytes()),
            None => Ok(()),
        };
    }
    let total = chunks.iter().map(|c| c.as_bytes().len()).sum();
    let mut joined = Vec::with_capacity(total);
    for chunk in &chunks {
        joined.extend_from_slice(chunk.as_bytes());
    }
    write_last(py, start_response, &joined)
}

/// Sends the whole rest of the body (a list, tuple or `bytes` result), if not empty.
fn write_last(
    py: Python<'_>,
    start_response: &Bound<'_, StartResponse>,
    bytes: &[u8],
) -> Result<(), Failure> {
    if bytes.is_empty() {
        return Ok(());
    }
    Ok(start_response.get().lock(py).write_last(py, bytes)?)
}

/// Sends one non-empty chunk (the first one sends the headers).
fn write_chunk(
    py: Python<'_>,
    start_response: &Bound<'_, StartResponse>,
    chunk: &Bound<'_, PyBytes>,
) -> Result<(), Failure> {
    let bytes = chunk.as_bytes();
    if bytes.is_empty() {
        return Ok(());
    }
    Ok(start_response.get().lock(py).write(py, bytes)?)
}

/// A body chunk must be `bytes` (PEP 3333); anything else is the app's error.
fn as_chunk<'py>(item: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    item.cast::<PyBytes>().cloned().map_err(|_| {
        let repr = item
            .repr()
            .map_or_else(|_| "?".to_owned(), |r| r.to_string());
        let repr: String = repr.chars().take(80).collect();
        PyTypeError::new_err(format!(
            "the response iterable must yield bytes, not {} ({repr})",
            type_name(item)
        ))
    })
}

/// Calls the result's `close()`, if it has one (PEP 3333: always, even after an error).
fn close(py: Python<'_>, result: &Bound<'_, PyAny>) -> PyResult<()> {
    if result.is_exact_instance_of::<PyList>()
        || result.is_exact_instance_of::<PyTuple>()
        || result.is_exact_instance_of::<PyBytes>()
    {
        return Ok(());
    }
    match result.getattr(intern!(py, "close")) {
        Ok(close) => close.call0().map(drop),
        Err(_) => Ok(()),
    }
}

/// The body is done: send the headers if the body was empty.
fn finished(py: Python<'_>, start_response: &Bound<'_, StartResponse>, vars: &Vars) -> Outcome {
    let result = {
        let mut state = start_response.get().lock(py);
        if state.headers_sent() {
            return Outcome::Done;
        }
        if state.has_status() {
            state.finish_headers(py).map_err(Failure::from)
        } else {
            Err(Failure::NoStartResponse)
        }
    };
    match result {
        Ok(()) => Outcome::Done,
        Err(failure) => failed(py, start_response, failure, vars),
    }
}

/// Logs a failure and answers 500 if nothing was sent yet.
fn failed(
    py: Python<'_>,
    start_response: &Bound<'_, StartResponse>,
    failure: Failure,
    vars: &Vars,
) -> Outcome {
    let client_gone = start_response.get().lock(py).client_gone;
    match failure {
        // The app let our own `write()` error propagate: the client is gone, not the app.
        Failure::Python(e) if client_gone => {
            crate::say!(
                "{} during {} (the client went away)",
                e.value(py),
                label(vars)
            );
            return Outcome::ClientGone;
        }
        Failure::Gone(e) => {
            crate::say!(
                "write error during {}: {e} (the client went away)",
                label(vars)
            );
            return Outcome::ClientGone;
        }
        Failure::Python(e) => e.display(py),
        Failure::NoStartResponse => {
            let e = PyRuntimeError::new_err(format!(
                "the app returned without calling start_response() during {}",
                label(vars)
            ));
            e.display(py);
        }
    }
    let mut state = start_response.get().lock(py);
    if state.headers_sent() {
        // Too late for a 500: the response must not look complete (no last chunk, short of
        // its length, or a reset), so that curl fails and nginx does not cache it.
        crate::say!(
            "the response of {} failed after its head was sent: the connection is aborted",
            label(vars)
        );
        state.abort(py);
    } else {
        // Nothing sent: the client gets a clean 500 (uWSGI only closes the connection).
        let _ = state.send_500(py);
    }
    Outcome::Exception
}

/// Answers 500 straight to the responder (no app to call).
fn answer_500(
    py: Python<'_>,
    out: &mut dyn Responder,
    outcome: Outcome,
) -> (Outcome, ResponseInfo) {
    let length = ERROR_500_BODY.len().to_string();
    let sent = py.detach(|| {
        out.start(
            b"500 Internal Server Error",
            &[
                (b"Content-Type", b"text/plain"),
                (b"Content-Length", length.as_bytes()),
            ],
        )?;
        out.write(ERROR_500_BODY)
    });
    match sent {
        Ok(()) => (
            outcome,
            ResponseInfo {
                status: 500,
                body_bytes: ERROR_500_BODY.len() as u64,
            },
        ),
        Err(_) => (
            Outcome::ClientGone,
            ResponseInfo {
                status: 500,
                body_bytes: 0,
            },
        ),
    }
}

/// `GET /path`, for log lines.
fn label(vars: &Vars) -> String {
    let method = vars.get(b"REQUEST_METHOD").unwrap_or(b"?");
    let uri = vars
        .get(b"REQUEST_URI")
        .or_else(|| vars.get(b"PATH_INFO"))
        .unwrap_or(b"");
    format!(
        "{} {}",
        String::from_utf8_lossy(method),
        String::from_utf8_lossy(uri)
    )
}

/// uWSGI's test for `HTTPS` / `X-Forwarded-Ssl`: starts with `on` (any case) or `1`.
fn is_on(value: &[u8]) -> bool {
    value
        .get(..2)
        .is_some_and(|v| v.eq_ignore_ascii_case(b"on"))
        || value.first() == Some(&b'1')
}

/// A `str` from latin-1 bytes (PEP 3333 "native strings").
fn latin1<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    // SAFETY: PyUnicode_DecodeLatin1 reads exactly `len` bytes from the pointer and returns a
    // new reference to a `str`, or NULL with an exception set (memory error).
    unsafe {
        let ptr = ffi::PyUnicode_DecodeLatin1(
            bytes.as_ptr().cast(),
            bytes.len().cast_signed(),
            std::ptr::null(),
        );
        Bound::from_owned_ptr_or_err(py, ptr).map(|s| s.cast_into_unchecked())
    }
}

/// FNV-1a: variable names are short and not attacker-chosen in bulk (the cache is bounded).
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_flag_like_uwsgi() {
        assert!(is_on(b"on"));
        assert!(is_on(b"ON"));
        assert!(is_on(b"1"));
        assert!(!is_on(b"off"));
        assert!(!is_on(b""));
        assert!(!is_on(b"o"));
    }
}
