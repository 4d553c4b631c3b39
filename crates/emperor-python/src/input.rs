//! `wsgi.input`: the request body, read completely before the app was called.
//!
//! Reads are bounded by the body length (`CONTENT_LENGTH`), return `b""` at the end, and
//! never block on the client: the worker buffered the body in memory or in a temporary file.
//! Because the whole body is there, `seek`/`tell` work (uWSGI allows them only with
//! `post-buffering`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};

use emperor_proto::app::Body;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

enum Source {
    Memory(Vec<u8>),
    File(BufReader<File>),
}

/// The `wsgi.input` object (`uwsgi._Input`, as uWSGI names it).
#[pyclass(module = "uwsgi", name = "_Input")]
pub(crate) struct Input {
    source: Source,
    pos: u64,
    len: u64,
}

impl Input {
    pub(crate) fn new(body: Body) -> Input {
        match body {
            Body::Empty => Input {
                source: Source::Memory(Vec::new()),
                pos: 0,
                len: 0,
            },
            Body::Memory(v) => {
                let len = v.len() as u64;
                Input {
                    source: Source::Memory(v),
                    pos: 0,
                    len,
                }
            }
            Body::File { file, len } => Input {
                source: Source::File(BufReader::with_capacity(64 * 1024, file)),
                pos: 0,
                len,
            },
        }
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// How many bytes a read of `size` (negative or `None`: all) returns.
    fn bounded(&self, size: Option<i64>) -> usize {
        let remaining = self.remaining();
        let n = match size {
            Some(n) if n >= 0 => remaining.min(n.unsigned_abs()),
            _ => remaining,
        };
        usize::try_from(n).unwrap_or(usize::MAX)
    }

    fn read_error(e: &io::Error, n: usize) -> PyErr {
        PyOSError::new_err(format!("error during read({n}) on wsgi.input: {e}"))
    }

    fn read_bytes<'py>(
        &mut self,
        py: Python<'py>,
        size: Option<i64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let n = self.bounded(size);
        let pos = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let bytes = match &mut self.source {
            Source::Memory(v) => PyBytes::new(py, &v[pos..pos + n]),
            Source::File(reader) => PyBytes::new_with(py, n, |buf| {
                reader.read_exact(buf).map_err(|e| Input::read_error(&e, n))
            })?,
        };
        self.pos += n as u64;
        Ok(bytes)
    }

    fn read_line<'py>(
        &mut self,
        py: Python<'py>,
        size: Option<i64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let max = self.bounded(size);
        let pos = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let line = match &mut self.source {
            Source::Memory(v) => {
                let window = &v[pos..pos + max];
                let end = window
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(max, |i| i + 1);
                PyBytes::new(py, &window[..end])
            }
            Source::File(reader) => {
                let mut line = Vec::new();
                while line.len() < max {
                    let buf = reader.fill_buf().map_err(|e| Input::read_error(&e, max))?;
                    if buf.is_empty() {
                        return Err(Input::read_error(&io::ErrorKind::UnexpectedEof.into(), max));
                    }
                    let want = (max - line.len()).min(buf.len());
                    let (take, done) = match buf[..want].iter().position(|&b| b == b'\n') {
                        Some(i) => (i + 1, true),
                        None => (want, false),
                    };
                    line.extend_from_slice(&buf[..take]);
                    reader.consume(take);
                    if done {
                        break;
                    }
                }
                PyBytes::new(py, &line)
            }
        };
        self.pos += line.as_bytes().len() as u64;
        Ok(line)
    }
}

// Python's file protocol: some of these are methods even though they need no state.
#[allow(clippy::unused_self)]
#[pymethods]
impl Input {
    /// `read([size])`: up to `size` bytes (all that is left when omitted or negative).
    #[pyo3(signature = (size = None))]
    fn read<'py>(&mut self, py: Python<'py>, size: Option<i64>) -> PyResult<Bound<'py, PyBytes>> {
        self.read_bytes(py, size)
    }

    /// `readline([size])`: up to and including the next `\n`, at most `size` bytes.
    #[pyo3(signature = (size = None))]
    fn readline<'py>(
        &mut self,
        py: Python<'py>,
        size: Option<i64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.read_line(py, size)
    }

    /// `readlines([hint])`: the remaining lines, stopping once `hint` bytes were read.
    #[pyo3(signature = (hint = None))]
    fn readlines<'py>(
        &mut self,
        py: Python<'py>,
        hint: Option<i64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let lines = PyList::empty(py);
        let mut total = 0u64;
        loop {
            let line = self.read_line(py, None)?;
            if line.as_bytes().is_empty() {
                break;
            }
            total += line.as_bytes().len() as u64;
            lines.append(line)?;
            if hint.is_some_and(|h| h > 0 && total >= h.unsigned_abs()) {
                break;
            }
        }
        Ok(lines)
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let line = self.read_line(py, None)?;
        Ok((!line.as_bytes().is_empty()).then_some(line))
    }

    /// `tell()`: bytes read so far.
    fn tell(&self) -> u64 {
        self.pos
    }

    /// `seek(offset, whence=0)`, within the body.
    #[pyo3(signature = (offset, whence = 0))]
    fn seek(&mut self, offset: i64, whence: i32) -> PyResult<u64> {
        let base = match whence {
            0 => 0,
            1 => self.pos,
            2 => self.len,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "invalid whence ({whence}, should be 0, 1 or 2)"
                )));
            }
        };
        let target = base
            .checked_add_signed(offset)
            .ok_or_else(|| PyValueError::new_err(format!("negative seek position {offset}")))?
            .min(self.len);
        if let Source::File(reader) = &mut self.source {
            reader.seek(SeekFrom::Start(target)).map_err(|e| {
                PyOSError::new_err(format!("error during seek({target}) on wsgi.input: {e}"))
            })?;
        }
        self.pos = target;
        Ok(target)
    }

    fn readable(&self) -> bool {
        true
    }

    fn seekable(&self) -> bool {
        true
    }

    /// `close()`: nothing to do, the worker owns the body.
    fn close(&self) {}
}
