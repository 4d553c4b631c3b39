//! `emperor-sys` owns every call into libc and `nix`.
//!
//! The rest of the workspace stays free of `unsafe` and of raw syscalls: it asks this crate for
//! host facts, process creation and reaping, signals, listening sockets, privilege drops and
//! the shared scoreboard mapping. Keeping the operating system behind one small crate is what
//! lets the option loader, the supervisor's state machines and the master's logic be tested
//! without a real host, and keeps every `unsafe` block in one place to review.

// Syscalls need `unsafe`; this crate is where it is allowed (STYLE 9), each block with `SAFETY`.
#![allow(unsafe_code)]

pub mod fs;
pub mod host;
pub mod net;
pub mod notify;
pub mod poll;
pub mod privileges;
pub mod process;
pub mod shm;
pub mod signals;
pub mod spawn;
pub mod syslog;
pub mod time;
