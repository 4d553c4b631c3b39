//! uWSGI's ops commands by pidfile: `emperor --reload PIDFILE` and `emperor --stop PIDFILE`
//! signal the instance (a vassal master or the Emperor) whose pid the file holds, then exit.
//! They are client commands: when one is given, nothing is served.
//!
//! uWSGI 2.0 defines exactly these pidfile commands (`core/uwsgi.c`): `--reload` sends
//! SIGHUP, `--stop` SIGINT, `--pause`/`--suspend`/`--resume` SIGTSTP (not supported here).
//! We send our own signals (DESIGN, "Signals and stops"):
//!
//! | command | signal | vassal master | Emperor |
//! |---|---|---|---|
//! | `--reload` | SIGHUP | graceful reload | reload every vassal |
//! | `--stop` | SIGTERM | graceful stop (requests finish, `worker-reload-mercy`) | graceful stop of all |
//!
//! `--stop` is graceful where uWSGI's SIGINT cuts the requests in flight; send SIGINT
//! yourself (`kill -INT $(cat PIDFILE)`) for a brutal stop. Unlike uWSGI, a missing or
//! garbage pidfile, a pid of 0 or less (which `kill(2)` would take as a process group) and a
//! process that is gone are errors with a message and exit status 1.

use std::process::ExitCode;

use emperor_options::Effective;
use emperor_sys::signals::numbers::{SIGHUP, SIGTERM};

/// The ops command the options ask for, if any: runs it and returns its exit status.
pub fn run(effective: &Effective) -> Option<ExitCode> {
    let commands: Vec<(&str, i32, &str, String)> = [
        ("reload", SIGHUP, "SIGHUP (graceful reload)"),
        ("stop", SIGTERM, "SIGTERM (graceful stop)"),
    ]
    .into_iter()
    .filter_map(|(name, signal, what)| {
        effective
            .text(name)
            .map(|pidfile| (name, signal, what, pidfile))
    })
    .collect();
    match commands.as_slice() {
        [] => None,
        [(name, signal, what, pidfile)] => Some(match signal_pidfile(pidfile, *signal) {
            Ok(pid) => {
                eprintln!("emperor: sent {what} to pid {pid} (from `{pidfile}`)");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("emperor: error: --{name} {pidfile}: {e}");
                ExitCode::FAILURE
            }
        }),
        _ => {
            eprintln!(
                "emperor: error: give either `--reload PIDFILE` or `--stop PIDFILE`, not both"
            );
            Some(ExitCode::from(2))
        }
    }
}

/// Reads the pid from `path` and sends it `signal`; returns the pid.
fn signal_pidfile(path: &str, signal: i32) -> Result<i32, String> {
    if path.is_empty() {
        return Err("no pidfile given".to_owned());
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the pidfile: {e}"))?;
    let pid = parse_pid(&text).ok_or_else(|| {
        let shown: String = text.trim().chars().take(40).collect();
        format!(
            "the pidfile does not hold a pid (it holds `{}`)",
            shown.escape_default()
        )
    })?;
    emperor_sys::signals::send(pid, signal).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("no process has pid {pid}: the pidfile is stale (is the instance running?)")
        }
        std::io::ErrorKind::PermissionDenied => format!(
            "not allowed to signal pid {pid} (another user's process: run as that user or root)"
        ),
        _ => format!("cannot signal pid {pid}: {e}"),
    })?;
    Ok(pid)
}

/// A positive pid, alone on the file's first line (surrounding whitespace allowed).
fn parse_pid(text: &str) -> Option<i32> {
    text.trim().parse::<i32>().ok().filter(|pid| *pid > 0)
}

#[cfg(test)]
mod tests {
    use super::parse_pid;

    #[test]
    fn pids_are_positive_numbers_alone() {
        assert_eq!(parse_pid("1234\n"), Some(1234));
        assert_eq!(parse_pid("  42  "), Some(42));
        assert_eq!(parse_pid(""), None);
        assert_eq!(parse_pid("0\n"), None);
        assert_eq!(parse_pid("-1"), None);
        assert_eq!(parse_pid("12abc"), None);
        assert_eq!(parse_pid("hello"), None);
    }
}
