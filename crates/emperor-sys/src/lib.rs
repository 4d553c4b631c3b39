//! `emperor-sys` owns every call into libc and `nix`.
//!
//! The rest of the workspace stays free of `unsafe` and of raw syscalls: it asks this crate for
//! host facts (hostname, the current user and group, user and group lookups) and, as the vassal
//! and the emperor land, for process spawning, privilege drops, signals and inherited sockets.
//! Keeping the operating system behind one small crate is what lets the option loader, the
//! supervisor's state machines and the master's logic be tested without a real host.

pub mod host;
