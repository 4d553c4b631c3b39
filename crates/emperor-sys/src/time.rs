//! Wall-clock helpers for log lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Microseconds since the epoch.
pub fn unix_now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// `ctime(3)`-style local time without the newline, e.g. `Sat Nov 21 23:51:24 2026` (the
/// format of uWSGI's request log).
pub fn ctime(secs: u64) -> String {
    let t = libc::time_t::try_from(secs).unwrap_or(0);
    // SAFETY: `tm` is plain data filled by localtime_r; the buffer is large enough for the
    // fixed-size format and strftime never writes past the given length.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&raw const t, &raw mut tm).is_null() {
            return secs.to_string();
        }
        let mut buf = [0u8; 64];
        let n = libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%a %b %e %H:%M:%S %Y".as_ptr(),
            &raw const tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// Apache-style local time, e.g. `21/Nov/2026:23:51:24 +0000` (`%(ltime)` in `log-format`).
pub fn apache_time(secs: u64) -> String {
    let t = libc::time_t::try_from(secs).unwrap_or(0);
    // SAFETY: as in `ctime`: plain data, bounded buffer.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&raw const t, &raw mut tm).is_null() {
            return secs.to_string();
        }
        let mut buf = [0u8; 64];
        let n = libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%d/%b/%Y:%H:%M:%S %z".as_ptr(),
            &raw const tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// `strftime(3)` of `secs` in local time with a user's format (`log-date = FORMAT`). A format
/// with a NUL byte, or one whose output exceeds 512 bytes, gives an empty string (as uWSGI's
/// bounded buffer would truncate to nothing).
pub fn strftime(format: &str, secs: u64) -> String {
    let Ok(format) = std::ffi::CString::new(format) else {
        return String::new();
    };
    let t = libc::time_t::try_from(secs).unwrap_or(0);
    // SAFETY: as in `ctime`: plain data, a NUL-terminated format, a bounded buffer.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&raw const t, &raw mut tm).is_null() {
            return secs.to_string();
        }
        let mut buf = [0u8; 512];
        let n = libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            format.as_ptr(),
            &raw const tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}
