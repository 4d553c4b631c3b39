//! Holding and releasing the GIL without creating thread states (see the crate docs).

use std::marker::PhantomData;

use pyo3::ffi;

/// A Python thread state kept for the life of the thread that made it
/// ([`crate::Interpreter::attach_thread`]).
///
/// While it lives, the thread holds the GIL except inside `unlocked`, and every
/// `WsgiApp::call` on this thread re-enters the same thread state instead of
/// creating one. Drop it on the same thread, outside `unlocked`, when the thread ends.
#[derive(Debug)]
pub struct ThreadAttachment {
    state: ffi::PyGILState_STATE,
    /// Thread states belong to one OS thread: the guard must not move to another.
    _not_send: PhantomData<*const ()>,
}

impl ThreadAttachment {
    pub(crate) fn new() -> ThreadAttachment {
        // SAFETY: only reachable through an `Interpreter`, so the interpreter is initialized.
        // PyGILState_Ensure makes (or re-enters) this thread's state and takes the GIL; the
        // matching release is in Drop, on the same thread (the guard is !Send).
        let state = unsafe { ffi::PyGILState_Ensure() };
        ThreadAttachment {
            state,
            _not_send: PhantomData,
        }
    }
}

impl Drop for ThreadAttachment {
    fn drop(&mut self) {
        // SAFETY: PyGILState_Check only reads this thread's state. Release needs the GIL held
        // by this thread's state, which is the case unless the guard is dropped inside
        // `unlocked`; then the thread state is leaked rather than released without the GIL.
        unsafe {
            if ffi::PyGILState_Check() == 1 {
                ffi::PyGILState_Release(self.state);
            }
        }
    }
}

/// Runs `f` with the GIL released if this thread holds it, else just runs `f`.
///
/// Must not be called while pyo3 considers the thread attached (inside `Python::attach`):
/// the crate only calls it from `App::unlocked` and `Interpreter::unlocked`, which the worker
/// calls between requests.
pub(crate) fn without_gil<R>(f: impl FnOnce() -> R) -> R {
    struct Reacquire(*mut ffi::PyThreadState);
    impl Drop for Reacquire {
        fn drop(&mut self) {
            // SAFETY: the pointer came from PyEval_SaveThread on this thread just below;
            // restoring it re-takes the GIL, also when `f` unwinds.
            unsafe { ffi::PyEval_RestoreThread(self.0) };
        }
    }

    // SAFETY: PyGILState_Check only compares the GIL holder with this thread's state; it is
    // callable whether or not the GIL is held, once the interpreter is initialized (callers
    // hold an `Interpreter` or a `WsgiApp`).
    if unsafe { ffi::PyGILState_Check() } == 0 {
        return f();
    }
    // SAFETY: this thread holds the GIL (checked above); PyEval_SaveThread releases it and
    // returns this thread's state, which `Reacquire` restores.
    let _reacquire = Reacquire(unsafe { ffi::PyEval_SaveThread() });
    f()
}
