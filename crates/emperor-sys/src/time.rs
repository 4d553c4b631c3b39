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
    local_strftime(c"%a %b %e %H:%M:%S %Y", secs)
}

/// Apache-style local time, e.g. `21/Nov/2026:23:51:24 +0000` (`%(ltime)` in `log-format`).
pub fn apache_time(secs: u64) -> String {
    local_strftime(c"%d/%b/%Y:%H:%M:%S %z", secs)
}

/// `strftime(3)` of `secs` in local time with a user's format (`log-date = FORMAT`). A format
/// with a NUL byte, or one whose output exceeds 512 bytes, gives an empty string (as uWSGI's
/// bounded buffer would truncate to nothing).
pub fn strftime(format: &str, secs: u64) -> String {
    match std::ffi::CString::new(format) {
        Ok(format) => local_strftime(&format, secs),
        Err(_) => String::new(),
    }
}

/// `localtime_r` + `strftime` into a 512-byte buffer; the seconds as a number when the time
/// cannot be converted.
fn local_strftime(format: &std::ffi::CStr, secs: u64) -> String {
    let t = libc::time_t::try_from(secs).unwrap_or(0);
    // SAFETY: `tm` is plain data filled by localtime_r; the format is NUL-terminated and
    // strftime never writes past the given length.
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
