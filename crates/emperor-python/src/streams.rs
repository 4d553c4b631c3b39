//! `wsgi.errors` and `wsgi.file_wrapper`.

use std::fs::File;
use std::io::Write;
use std::os::fd::{BorrowedFd, OwnedFd};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::response::type_name;

/// `wsgi.errors`: a text stream writing straight to the process's stderr (the vassal log),
/// unbuffered, one `write(2)` per call so lines from several workers do not interleave.
#[pyclass(module = "uwsgi", name = "_Errors", frozen)]
pub(crate) struct ErrorStream;

// Python's file protocol: these are methods even though the stream has no state.
#[allow(clippy::unused_self)]
#[pymethods]
impl ErrorStream {
    fn write(&self, py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<usize> {
        let s = text.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "write() argument must be str, not {}",
                type_name(text)
            ))
        })?;
        let chars = s.len()?;
        let utf8 = s.to_string_lossy();
        // A full pipe to the logger must not stall other Python threads.
        py.detach(|| std::io::stderr().lock().write_all(utf8.as_bytes()))?;
        Ok(chars)
    }

    fn writelines(&self, py: Python<'_>, lines: &Bound<'_, PyAny>) -> PyResult<()> {
        for line in lines.try_iter()? {
            self.write(py, &line?)?;
        }
        Ok(())
    }

    fn flush(&self) {}

    fn writable(&self) -> bool {
        true
    }

    fn isatty(&self) -> bool {
        false
    }

    #[getter]
    fn closed(&self) -> bool {
        false
    }

    #[getter]
    fn encoding(&self) -> &'static str {
        "utf-8"
    }
}

/// `wsgi.file_wrapper(filelike, blksize=8192)`.
///
/// Iterating it reads `blksize` chunks; when the app returns it and the file-like object has a
/// real `fileno()` of a regular file, the call driver sends it with `sendfile(2)` instead.
#[pyclass(module = "uwsgi", name = "FileWrapper", frozen)]
pub(crate) struct FileWrapper {
    filelike: Py<PyAny>,
    blksize: usize,
}

#[pymethods]
impl FileWrapper {
    #[new]
    #[pyo3(signature = (filelike, blksize = 8192))]
    fn new(filelike: Py<PyAny>, blksize: usize) -> FileWrapper {
        FileWrapper {
            filelike,
            blksize: blksize.max(1),
        }
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let chunk = self
            .filelike
            .bind(py)
            .call_method1(pyo3::intern!(py, "read"), (self.blksize,))?;
        Ok(chunk.is_truthy()?.then_some(chunk))
    }

    /// Closes the file-like object if it can be closed (PEP 3333).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let filelike = self.filelike.bind(py);
        match filelike.getattr(pyo3::intern!(py, "close")) {
            Ok(close) => close.call0().map(drop),
            Err(_) => Ok(()),
        }
    }
}

impl FileWrapper {
    /// The regular file behind the file-like object (a duplicate descriptor, so that it stays
    /// valid while the GIL is released) and the position to send from, or `None` to iterate.
    pub(crate) fn regular_file(&self, py: Python<'_>) -> Option<(OwnedFd, u64)> {
        let filelike = self.filelike.bind(py);
        let fd: i32 = filelike
            .call_method0(pyo3::intern!(py, "fileno"))
            .ok()?
            .extract()
            .ok()?;
        if fd < 0 {
            return None;
        }
        // SAFETY: `fileno()` named an open descriptor owned by the file-like object, which this
        // wrapper keeps alive; the GIL is held, so no Python code can close it before the
        // duplicate below is made.
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let file = File::from(borrowed.try_clone_to_owned().ok()?);
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        // A buffered Python file may have read ahead: its own `tell()` is the truth.
        let offset = match filelike.call_method0(pyo3::intern!(py, "tell")) {
            Ok(pos) => pos.extract::<u64>().ok()?,
            Err(_) => {
                use std::io::Seek;
                (&file).stream_position().ok()?
            }
        };
        Some((OwnedFd::from(file), offset))
    }
}
