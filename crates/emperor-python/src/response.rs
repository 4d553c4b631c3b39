//! `start_response`, `write()` and the state of one response.
//!
//! The [`Responder`] of the request lives on the worker's stack for the duration of
//! [`crate::WsgiApp::call`]. Python callables (`start_response`, `write`) can outlive that
//! call (an app may keep them), and can be called from another Python thread, so they never
//! hold the responder itself: [`StartResponse`] keeps a raw pointer behind a mutex, set when
//! the call starts and cleared (under the same mutex) before the call returns. Every use of
//! the pointer — by the call driver as well as by `write()` — happens with the mutex held, so
//! uses are serialized and none can happen after the call returned.

use std::io;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard, PoisonError};

use emperor_proto::app::{Responder, ResponseInfo, Vars};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

/// The body of the 500 answered when an app fails before sending anything.
pub(crate) const ERROR_500_BODY: &[u8] = b"Internal Server Error";

/// A pointer to the request's responder, valid while it is `Some` (see the module docs).
struct OutPtr(Option<NonNull<dyn Responder>>);

// SAFETY: the pointee is a `dyn Responder`, which is `Send`; the pointer is only dereferenced
// with the owning mutex held, while the `WsgiApp::call` that set it is still running.
unsafe impl Send for OutPtr {}

impl OutPtr {
    fn get(&mut self) -> Option<&mut dyn Responder> {
        // SAFETY: `Some` only between `StartResponse::new` and `finish`, during which the
        // responder outlives this object's use (the driver holds `&mut` to it and does not
        // use it directly); the `&mut self` borrow comes from the mutex guard, so at most
        // one reference exists at a time.
        self.0.map(|mut p| unsafe { p.as_mut() })
    }
}

/// Why a part of the response could not be sent.
#[derive(Debug)]
pub(crate) enum SendError {
    /// Body before `start_response`.
    NoStatus,
    /// The client went away (a write failed); the connection is lost.
    Gone(io::Error),
    /// `write()` called after the request ended.
    Finished,
}

impl SendError {
    pub(crate) fn into_pyerr(self) -> PyErr {
        match self {
            SendError::NoStatus => {
                PyRuntimeError::new_err("write() called before start_response()")
            }
            SendError::Gone(e) => PyOSError::new_err(format!("write error: {e}")),
            SendError::Finished => PyRuntimeError::new_err(
                "write() called after the response was finished (the request is over)",
            ),
        }
    }
}

/// A validated status line (`200 OK`) and its code.
#[derive(Debug, Clone)]
struct Status {
    line: Vec<u8>,
    code: u16,
}

/// What one response has said and sent so far.
pub(crate) struct ResponseState {
    out: OutPtr,
    status: Option<Status>,
    headers: Vars,
    headers_sent: bool,
    /// A write failed: the client is gone.
    pub(crate) client_gone: bool,
    pub(crate) info: ResponseInfo,
}

impl ResponseState {
    pub(crate) fn headers_sent(&self) -> bool {
        self.headers_sent
    }

    pub(crate) fn has_status(&self) -> bool {
        self.status.is_some()
    }

    /// Sends the headers if they have not been, then `chunk` (which may be empty), with the
    /// GIL released.
    pub(crate) fn write(&mut self, py: Python<'_>, chunk: &[u8]) -> Result<(), SendError> {
        self.send(py, |out| out.write(chunk).map(|()| chunk.len() as u64))
    }

    /// [`Self::write`] for the last chunk of the body ([`Responder::write_last`]).
    pub(crate) fn write_last(&mut self, py: Python<'_>, chunk: &[u8]) -> Result<(), SendError> {
        self.send(py, |out| out.write_last(chunk).map(|()| chunk.len() as u64))
    }

    /// Sends the headers if they have not been, then the file from `offset` to its end.
    pub(crate) fn sendfile(
        &mut self,
        py: Python<'_>,
        fd: BorrowedFd<'_>,
        offset: u64,
    ) -> Result<(), SendError> {
        self.send(py, |out| out.sendfile(fd, offset, None))
    }

    /// Sends the headers with an empty body, if they have not been sent.
    pub(crate) fn finish_headers(&mut self, py: Python<'_>) -> Result<(), SendError> {
        if self.headers_sent {
            return Ok(());
        }
        self.send(py, |_| Ok(0))
    }

    /// The response failed after its head was sent: tells the responder, so that it does
    /// not end the body as if it were complete ([`Responder::abort`]).
    pub(crate) fn abort(&mut self, py: Python<'_>) {
        if self.headers_sent
            && let Some(out) = self.out.get()
        {
            py.detach(|| out.abort());
        }
    }

    /// Answers `500 Internal Server Error`, replacing whatever status the app gave, if no
    /// header has been sent yet.
    pub(crate) fn send_500(&mut self, py: Python<'_>) -> Result<(), SendError> {
        if self.headers_sent {
            return Ok(());
        }
        self.status = Some(Status {
            line: b"500 Internal Server Error".to_vec(),
            code: 500,
        });
        self.headers.clear();
        self.headers.push(b"Content-Type", b"text/plain");
        self.headers.push(
            b"Content-Length",
            ERROR_500_BODY.len().to_string().as_bytes(),
        );
        self.write(py, ERROR_500_BODY)
    }

    /// Sends the head if needed, then runs `body` on the responder; the GIL is released for
    /// both, since a slow client can block them.
    fn send(
        &mut self,
        py: Python<'_>,
        body: impl FnOnce(&mut dyn Responder) -> io::Result<u64> + Send,
    ) -> Result<(), SendError> {
        if self.client_gone {
            return Err(SendError::Gone(io::ErrorKind::BrokenPipe.into()));
        }
        let head = if self.headers_sent {
            None
        } else {
            Some(self.status.as_ref().ok_or(SendError::NoStatus)?)
        };
        let headers = &self.headers;
        let out = self.out.get().ok_or(SendError::Finished)?;
        let mut started = false;
        let result = py.detach(|| {
            if let Some(status) = head {
                let list: Vec<(&[u8], &[u8])> = headers.iter().collect();
                out.start(&status.line, &list)?;
                started = true;
            }
            body(out)
        });
        if started {
            self.headers_sent = true;
            self.info.status = head.map_or(0, |s| s.code);
        }
        match result {
            Ok(n) => {
                self.info.body_bytes += n;
                Ok(())
            }
            Err(e) => {
                self.client_gone = true;
                Err(SendError::Gone(e))
            }
        }
    }
}

/// The `start_response` callable of one request; its `write` method is the PEP 3333 `write()`.
#[pyclass(module = "uwsgi", name = "StartResponse", frozen)]
pub(crate) struct StartResponse {
    state: Mutex<ResponseState>,
}

impl StartResponse {
    /// A `start_response` writing to `out` until [`StartResponse::finish`].
    ///
    /// # Safety
    /// `out` must stay valid, and be used by nobody else, until `finish` has been called.
    pub(crate) unsafe fn new(out: &mut dyn Responder) -> StartResponse {
        let ptr: NonNull<dyn Responder + '_> = NonNull::from(out);
        // SAFETY: only the lifetime bound of the trait object changes; the caller guarantees
        // the pointer is not used past `finish`, which clears it.
        let ptr: NonNull<dyn Responder + 'static> = unsafe { std::mem::transmute(ptr) };
        StartResponse {
            state: Mutex::new(ResponseState {
                out: OutPtr(Some(ptr)),
                status: None,
                headers: Vars::new(),
                headers_sent: false,
                client_gone: false,
                info: ResponseInfo::default(),
            }),
        }
    }

    /// Locks the state, releasing the GIL while waiting if another thread holds it.
    pub(crate) fn lock(&self, py: Python<'_>) -> MutexGuard<'_, ResponseState> {
        self.state
            .lock_py_attached(py)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the responder (waiting for a `write()` in progress on another thread) and
    /// returns what was sent.
    pub(crate) fn finish(&self, py: Python<'_>) -> ResponseInfo {
        let mut state = self.lock(py);
        state.out = OutPtr(None);
        state.info
    }
}

#[pymethods]
impl StartResponse {
    /// `start_response(status, response_headers, exc_info=None)` → `write`.
    #[pyo3(signature = (status, headers, exc_info = None))]
    fn __call__<'py>(
        slf: &Bound<'py, Self>,
        status: &Bound<'py, PyAny>,
        headers: &Bound<'py, PyAny>,
        exc_info: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let exc_info = exc_info.filter(|e| !e.is_none());
        if slf.get().lock(py).headers_sent {
            // PEP 3333: with the headers gone, the app's error can only propagate.
            if let Some(exc_info) = exc_info {
                let value = exc_info.get_item(1)?;
                let traceback = exc_info.get_item(2)?;
                let value = if traceback.is_none() {
                    value
                } else {
                    value.call_method1("with_traceback", (traceback,))?
                };
                return Err(PyErr::from_value(value));
            }
            return Err(PyRuntimeError::new_err(
                "start_response() called again after the response headers were sent",
            ));
        }
        if exc_info.is_none() && slf.get().lock(py).status.is_some() {
            // PEP 3333: only an error handler (passing exc_info) may replace the status.
            return Err(PyRuntimeError::new_err(
                "start_response() called a second time without exc_info",
            ));
        }
        let status = parse_status(status)?;
        let mut parsed = Vars::with_capacity(256, 8);
        parse_headers(headers, &mut parsed)?;
        {
            let mut state = slf.get().lock(py);
            // Another thread may have sent the headers meanwhile; the first one won.
            if !state.headers_sent {
                state.status = Some(status);
                state.headers = parsed;
            }
        }
        slf.getattr(pyo3::intern!(py, "write"))
    }

    /// PEP 3333 `write(data)`: sends the headers if needed, then `data`, before returning.
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = data.cast::<PyBytes>().map_err(|_| {
            PyTypeError::new_err(format!(
                "write() argument must be bytes, not {}",
                type_name(data)
            ))
        })?;
        let mut state = self.lock(py);
        state
            .write(py, bytes.as_bytes())
            .map_err(SendError::into_pyerr)
    }
}

/// `type(obj).__name__`, for error messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// Checks a status: a `str`, latin-1, `NNN reason` (or just `NNN`, completed with the
/// standard reason as uWSGI does), no control characters.
fn parse_status(status: &Bound<'_, PyAny>) -> PyResult<Status> {
    let s = status.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("status must be a str, not {}", type_name(status)))
    })?;
    let mut line = latin1_bytes(s, "status")?;
    let invalid = || {
        PyValueError::new_err(format!(
            "invalid status {:?}: expected e.g. '200 OK'",
            s.to_string()
        ))
    };
    let code = match line.get(..3) {
        Some(digits) if digits.iter().all(u8::is_ascii_digit) => digits
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0')),
        _ => return Err(invalid()),
    };
    if !(100..=999).contains(&code) {
        return Err(invalid());
    }
    match line.get(3) {
        None => {
            line.push(b' ');
            line.extend_from_slice(emperor_proto::http::reason(code).as_bytes());
        }
        Some(b' ') => {}
        Some(_) => return Err(invalid()),
    }
    if line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(PyValueError::new_err(
            "status contains a control character (CR, LF, NUL…)",
        ));
    }
    Ok(Status { line, code })
}

/// Checks the headers (a list of `(name, value)` tuples of `str`) into `out`.
fn parse_headers(headers: &Bound<'_, PyAny>, out: &mut Vars) -> PyResult<()> {
    let not_a_list = || {
        PyTypeError::new_err(format!(
            "response headers must be a list of (name, value) tuples, not {}",
            type_name(headers)
        ))
    };
    if let Ok(list) = headers.cast::<PyList>() {
        for item in list.iter() {
            push_header(&item, out)?;
        }
    } else if let Ok(tuple) = headers.cast::<PyTuple>() {
        for item in tuple.iter() {
            push_header(&item, out)?;
        }
    } else {
        return Err(not_a_list());
    }
    Ok(())
}

/// Checks one `(name, value)` header into `out`.
fn push_header(item: &Bound<'_, PyAny>, out: &mut Vars) -> PyResult<()> {
    let (name, value) = header_pair(item)?;
    let name_str = name.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "header names must be str, not {}",
            type_name(&name)
        ))
    })?;
    let name_bytes = latin1_bytes(name_str, "header name")?;
    if name_bytes.is_empty() || !name_bytes.iter().all(|&b| is_tchar(b)) {
        return Err(PyValueError::new_err(format!(
            "invalid header name {:?}: only letters, digits and !#$%&'*+-.^_`|~ are allowed",
            name_str.to_string()
        )));
    }
    let value_str = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "the value of header {:?} must be str, not {}",
            name_str.to_string(),
            type_name(&value)
        ))
    })?;
    let value_bytes = latin1_bytes(value_str, "header value")?;
    if value_bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(PyValueError::new_err(format!(
            "the value of header {:?} contains CR, LF or NUL (header injection refused)",
            name_str.to_string()
        )));
    }
    out.push(&name_bytes, &value_bytes);
    Ok(())
}

fn header_pair<'py>(item: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let pair = if let Ok(t) = item.cast::<PyTuple>() {
        (t.len() == 2).then(|| (t.get_item(0), t.get_item(1)))
    } else if let Ok(l) = item.cast::<PyList>() {
        (l.len() == 2).then(|| (l.get_item(0), l.get_item(1)))
    } else {
        None
    };
    match pair {
        Some((Ok(name), Ok(value))) => Ok((name, value)),
        Some((Err(e), _) | (_, Err(e))) => Err(e),
        None => Err(PyTypeError::new_err(format!(
            "each response header must be a (name, value) tuple, not {}",
            type_name(item)
        ))),
    }
}

/// The latin-1 bytes of a `str` (PEP 3333 "native strings").
fn latin1_bytes(s: &Bound<'_, PyString>, what: &str) -> PyResult<Vec<u8>> {
    let text = s.to_cow()?;
    if text.is_ascii() {
        return Ok(text.as_bytes().to_vec());
    }
    text.chars()
        .map(|c| u8::try_from(u32::from(c)))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| PyValueError::new_err(format!("{what} {text:?} is not latin-1 encodable")))
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tchar_excludes_separators_and_controls() {
        assert!(b"Content-Type".iter().all(|&b| is_tchar(b)));
        for b in [b':', b' ', b'\r', b'\n', 0, b'(', b'"', 0x7f, 0xe9] {
            assert!(!is_tchar(b), "{b:#x}");
        }
    }

    #[test]
    fn reasons_cover_common_codes() {
        assert_eq!(emperor_proto::http::reason(404), "Not Found");
        assert_eq!(emperor_proto::http::reason(299), "Unknown");
    }
}
