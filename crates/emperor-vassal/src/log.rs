//! Logging: one `write(2)` per line, so lines from the master and every worker sharing the
//! same stderr (a terminal, a pipe to the emperor, or a `logto` file opened `O_APPEND`) never
//! interleave mid-line.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes one line to stderr in a single write.
pub fn line(message: &str) {
    let mut buf = Vec::with_capacity(message.len() + 1);
    buf.extend_from_slice(message.as_bytes());
    buf.push(b'\n');
    let _ = io::stderr().lock().write_all(&buf);
}

/// `log!("…", args)`: format and write one line.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => { $crate::log::line(&format!($($arg)*)) };
}

/// Sends stdout and stderr to `path` (`logto`), appending.
pub fn to_file(path: &Path) -> io::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)?;
    let fd = file.as_raw_fd();
    nix_dup2(fd, 1)?;
    nix_dup2(fd, 2)?;
    Ok(())
}

fn nix_dup2(from: i32, to: i32) -> io::Result<()> {
    emperor_sys::process::redirect_fd(from, to)
}
