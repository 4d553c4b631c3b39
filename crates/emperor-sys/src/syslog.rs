//! `syslog(3)` for the `syslog[:ident[,facility]]` log targets (`logger`, `req-logger`).
//!
//! `openlog` keeps a pointer to the identity string: it is leaked once per process so that it
//! lives as long as the process. The connection to `/dev/log` is made lazily by libc and
//! re-made after a fork, so a worker inherits a working logger.

use std::ffi::CString;

/// A syslog facility by its name (`user`, `daemon`, `local0`…`local7`…).
pub fn facility(name: &str) -> Option<i32> {
    Some(match name {
        "kern" => libc::LOG_KERN,
        "user" => libc::LOG_USER,
        "mail" => libc::LOG_MAIL,
        "daemon" => libc::LOG_DAEMON,
        "auth" => libc::LOG_AUTH,
        "syslog" => libc::LOG_SYSLOG,
        "lpr" => libc::LOG_LPR,
        "news" => libc::LOG_NEWS,
        "uucp" => libc::LOG_UUCP,
        "cron" => libc::LOG_CRON,
        "authpriv" => libc::LOG_AUTHPRIV,
        "ftp" => libc::LOG_FTP,
        "local0" => libc::LOG_LOCAL0,
        "local1" => libc::LOG_LOCAL1,
        "local2" => libc::LOG_LOCAL2,
        "local3" => libc::LOG_LOCAL3,
        "local4" => libc::LOG_LOCAL4,
        "local5" => libc::LOG_LOCAL5,
        "local6" => libc::LOG_LOCAL6,
        "local7" => libc::LOG_LOCAL7,
        _ => return None,
    })
}

/// `openlog(ident, LOG_PID, facility)`: the pid in each line tells master and workers apart.
pub fn open(ident: &str, facility: i32) {
    let ident = CString::new(ident.replace('\0', "")).unwrap_or_default();
    let ident: &'static std::ffi::CStr = Box::leak(ident.into_boxed_c_str());
    // SAFETY: `ident` is NUL-terminated and lives for the rest of the process.
    unsafe { libc::openlog(ident.as_ptr(), libc::LOG_PID, facility) };
}

/// Sends one message at priority `info` (uWSGI's syslog logger does the same).
pub fn info(message: &str) {
    let Ok(message) = CString::new(message.replace('\0', "")) else {
        return;
    };
    // SAFETY: a constant "%s" format with one NUL-terminated string argument.
    unsafe { libc::syslog(libc::LOG_INFO, c"%s".as_ptr(), message.as_ptr()) };
}
