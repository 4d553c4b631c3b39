//! Whether a reload's new configuration can be applied, and how: the verdict a running
//! master gives before it stops anything.
//!
//! # Theory of operation
//! A reload re-executes the master in place: it keeps its listeners and the user it dropped
//! to, so a new configuration that changes the sockets or `uid`/`gid` can only be applied by a
//! fresh start (the emperor stops this vassal and starts it again). A fresh start that then
//! fails would leave the app down, so the running master first checks that the fresh start
//! would serve, and refuses the edit otherwise (`reload-failed`): the running version keeps
//! serving and the reason goes to the log and the emperor's stats.
//!
//! The checks mirror the start sequence (`master::start`):
//! - at least one socket (or a listening fd 0 from an on-demand emperor): an empty file, a
//!   renamed or unclosed `[uwsgi]` section, XML in an `.ini` all read as "no socket";
//! - identity: a fresh start runs as the identity this vassal was *first* started with
//!   ([`START_IDS_VAR`], recorded before any drop): when that is not root (tyrant mode, an
//!   unprivileged emperor), a `uid`/`gid` naming someone else is refused, as at start;
//! - each socket the fresh start would bind that this master does not hold: a port below
//!   `ip_unprivileged_port_start` bound by a non-root identity, a TCP or abstract address
//!   someone else listens on (tried with a bind that is closed at once), a UNIX socket whose
//!   directory is missing or that another process serves, `chown-socket` without root.
//!
//! The validation runs in the vassal, after its privilege drop, with the same parser as
//! `emperor check`: the emperor never expands a vassal file as root.

use emperor_options::Effective;
use emperor_options::typed::{SocketAddr, SocketSpec, VassalConfig};
use emperor_sys::net;

use crate::listeners::Listener;

/// Records (uid:gid) of the first start of a vassal; kept across a reload's `exec`.
pub const START_IDS_VAR: &str = "EMPEROR_VASSAL_START_IDS";

/// What a reload does with a new configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A re-exec applies it.
    Reload,
    /// Only a fresh start applies it (what changes); the fresh start would serve.
    Restart(String),
    /// It cannot be applied: the running version keeps serving.
    Refuse {
        message: String,
        origin: Option<String>,
    },
}

fn refuse(message: impl Into<String>, origin: Option<String>) -> Verdict {
    Verdict::Refuse {
        message: message.into(),
        origin,
    }
}

/// Call once at a vassal's start, before any privilege drop: remembers who a fresh start of
/// this vassal runs as (a re-executed master keeps the first value).
pub fn record_start_ids() {
    if std::env::var_os(START_IDS_VAR).is_none() {
        let (uid, gid) = emperor_sys::privileges::current_ids();
        let _ = emperor_sys::process::set_env(START_IDS_VAR, &format!("{uid}:{gid}"));
    }
}

/// Who a fresh start of this vassal runs as (before its own `uid`/`gid`).
pub fn start_ids() -> (u32, u32) {
    std::env::var(START_IDS_VAR)
        .ok()
        .and_then(|v| {
            let (u, g) = v.split_once(':')?;
            Some((u.parse().ok()?, g.parse().ok()?))
        })
        .unwrap_or_else(emperor_sys::privileges::current_ids)
}

/// A vassal that starts as `start` (not root: tyrant mode, an unprivileged emperor) and whose
/// config asks for another user or group: it cannot switch and must not try (uWSGI loops on
/// "cannot `setgid()` as non-root user", #1776). The message and the option's origin.
pub fn foreign_identity(
    cfg: &VassalConfig,
    eff: &Effective,
    start: (u32, u32),
) -> Option<(String, Option<String>)> {
    let (uid, gid) = start;
    if uid == 0 {
        return None;
    }
    let origin = |name: &str| eff.last(name).map(|i| i.origin.to_string());
    let ids = match emperor_sys::privileges::resolve(cfg.uid.as_deref(), cfg.gid.as_deref()) {
        Ok(ids) => ids,
        Err(e) => return Some((e.to_string(), origin("uid").or_else(|| origin("gid")))),
    };
    if let Some(want) = ids.uid.filter(|u| *u != uid) {
        return Some((
            format!(
                "`uid` asks for uid {want}, but this vassal runs as uid {uid} (in tyrant mode \
                 a vassal runs as its file's owner): remove `uid`, or `chown` the file to that \
                 user"
            ),
            origin("uid"),
        ));
    }
    if let Some(want) = ids.gid.filter(|g| *g != gid && cfg.gid.is_some()) {
        return Some((
            format!(
                "`gid` asks for gid {want}, but this vassal runs as gid {gid} (in tyrant mode \
                 a vassal runs as its file's group): remove `gid`, or `chgrp` the file"
            ),
            origin("gid"),
        ));
    }
    None
}

/// The sockets of a config, as compared across a reload.
fn socket_set(c: &VassalConfig) -> std::collections::BTreeSet<String> {
    c.sockets
        .iter()
        .chain(&c.shared_sockets)
        .map(|s| format!("{} = {}", s.option, s.name))
        .collect()
}

/// The verdict on `new`, replacing `old`, for a master holding `listeners`.
pub fn judge(
    old: &VassalConfig,
    new: &VassalConfig,
    eff: &Effective,
    listeners: &[Listener],
) -> Verdict {
    if new.sockets.is_empty() && new.shared_sockets.is_empty() && !net::is_listening_socket(0) {
        return refuse(crate::listeners::NO_SOCKET, None);
    }
    let start = start_ids();
    if let Some((message, origin)) = foreign_identity(new, eff, start) {
        return refuse(message, origin);
    }
    let (before, after) = (socket_set(old), socket_set(new));
    if before != after {
        if let Some(verdict) = check_new_sockets(new, listeners, start) {
            return verdict;
        }
        let list = |set: &std::collections::BTreeSet<String>| {
            set.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Verdict::Restart(format!(
            "the sockets (from {} to {})",
            list(&before),
            list(&after)
        ));
    }
    if old.uid != new.uid || old.gid != new.gid {
        return Verdict::Restart("the user or group (`uid`, `gid`)".to_owned());
    }
    Verdict::Reload
}

/// Whether a fresh start could bind every socket of `new` this master does not hold.
fn check_new_sockets(
    new: &VassalConfig,
    listeners: &[Listener],
    start: (u32, u32),
) -> Option<Verdict> {
    // Who binds the non-shared sockets: the start identity, or the configured user when the
    // master drops before binding (everything but `chown-socket`), as `master::start` does.
    let dropped_uid = match emperor_sys::privileges::resolve(new.uid.as_deref(), new.gid.as_deref())
    {
        Ok(ids) => ids.uid,
        Err(e) => return Some(refuse(e.to_string(), None)),
    };
    let late_binder = if new.chown_socket.is_none() && start.0 == 0 {
        dropped_uid.unwrap_or(start.0)
    } else {
        start.0
    };
    if let Some((user, group)) = &new.chown_socket
        && start.0 != 0
    {
        let target = emperor_sys::privileges::resolve(Some(user), group.as_deref());
        if target.is_ok_and(|t| t.uid != Some(start.0)) {
            return Some(refuse(
                format!(
                    "`chown-socket = {user}` needs root, and this vassal starts as uid {}",
                    start.0
                ),
                None,
            ));
        }
    }
    let held_ports: Vec<u16> = listeners
        .iter()
        .filter_map(|l| net::tcp_local_addr(l.raw()).map(|a| a.port()))
        .collect();
    let held_names: Vec<&str> = listeners.iter().map(|l| l.name.as_str()).collect();
    let specs = new
        .shared_sockets
        .iter()
        .map(|s| (s, start.0))
        .chain(new.sockets.iter().map(|s| (s, late_binder)));
    for (spec, binder) in specs {
        if held_names.contains(&spec.name.as_str()) {
            continue;
        }
        if let Some(why) = bind_problem(spec, binder, &held_ports, listeners) {
            return Some(refuse(
                format!(
                    "the new configuration moves to `{} = {}`, which a restart could not bind: {why}",
                    spec.option, spec.name
                ),
                Some(spec.origin.to_string()),
            ));
        }
    }
    None
}

/// Why `spec` could not be bound by `binder` (a uid) now; `None` when it could.
fn bind_problem(
    spec: &SocketSpec,
    binder: u32,
    held_ports: &[u16],
    listeners: &[Listener],
) -> Option<String> {
    match &spec.addr {
        SocketAddr::Tcp { host, port } => {
            if binder != 0 && *port < net::unprivileged_port_start() {
                return Some(format!(
                    "port {port} needs root and the vassal binds it as uid {binder}\n  hint: use a port from {} up behind nginx, or an on-demand socket bound by the Emperor",
                    net::unprivileged_port_start()
                ));
            }
            if held_ports.contains(port) {
                // Ours under another name (`:8000` for `0.0.0.0:8000`): free once we stop.
                return None;
            }
            let addr = match net::resolve(host, *port) {
                Ok(a) => a,
                Err(e) => return Some(format!("`{host}` does not resolve: {e}")),
            };
            net::bind_tcp(addr, 1).err().map(|e| {
                if e.kind() == std::io::ErrorKind::AddrInUse {
                    "another process listens there".to_owned()
                } else {
                    e.to_string()
                }
            })
        }
        SocketAddr::Unix(path) => {
            let ours = listeners
                .iter()
                .any(|l| l.unix_path.as_deref() == Some(path.as_path()));
            if ours {
                return None;
            }
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            if !dir.is_dir() {
                return Some(format!("the directory `{}` does not exist", dir.display()));
            }
            net::unix_socket_live(path).then(|| "another process listens on it".to_owned())
        }
        SocketAddr::Abstract(name) => net::bind_abstract(name, 1).err().map(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                "another process listens there".to_owned()
            } else {
                e.to_string()
            }
        }),
        SocketAddr::Shared(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vassal config from command-line words (`--http-socket X …`), checked like a start.
    fn config(words: &[&str]) -> (VassalConfig, Effective) {
        let mut args = vec!["emperor".to_owned()];
        args.extend(words.iter().map(|w| (*w).to_owned()));
        let mut ctx = emperor_options::Context::current();
        ctx.env.clear();
        let checked = emperor_options::from_command_line(&ctx, &args, emperor_options::Mode::Check);
        match checked.typed {
            Some(emperor_options::Typed::Vassal(cfg)) => (*cfg, checked.effective),
            other => panic!("not a vassal config: {other:?} {:?}", checked.diagnostics),
        }
    }

    fn judge_words(old: &[&str], new: &[&str]) -> Verdict {
        let (old, _) = config(old);
        let (new, eff) = config(new);
        judge(&old, &new, &eff, &[])
    }

    #[test]
    fn verdicts() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let free_port = free.local_addr().unwrap().port();
        drop(free);
        let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let busy_port = busy.local_addr().unwrap().port();
        let a = format!("127.0.0.1:{free_port}");
        let old = ["--http-socket", a.as_str(), "--processes", "2"];
        // The same sockets: a reload applies it.
        assert_eq!(
            judge_words(&old, &["--http-socket", &a, "--processes", "3"]),
            Verdict::Reload
        );
        // No socket: refused, never a restart into "no socket to serve on".
        if !net::is_listening_socket(0) {
            assert!(matches!(
                judge_words(&old, &["--processes", "3"]),
                Verdict::Refuse { message, .. } if message.starts_with("no socket to serve on")
            ));
        }
        // Moved to a free port: a restart, which could bind it.
        let free_again = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let b = free_again.local_addr().unwrap().to_string();
        drop(free_again);
        assert!(matches!(
            judge_words(&old, &["--http-socket", &b]),
            Verdict::Restart(what) if what.contains(&b)
        ));
        // Moved to a port someone listens on: refused, with where it was asked for.
        let c = format!("127.0.0.1:{busy_port}");
        assert!(matches!(
            judge_words(&old, &["--http-socket", &c]),
            Verdict::Refuse { message, .. } if message.contains(&c) && message.contains("another process listens there")
        ));
        // A UNIX socket in a directory that does not exist.
        assert!(matches!(
            judge_words(&old, &["--socket", "/nonexistent-emperor-dir/app.sock"]),
            Verdict::Refuse { message, .. } if message.contains("`/nonexistent-emperor-dir` does not exist")
        ));
        drop(busy);
    }

    #[test]
    fn a_non_root_start_refuses_another_identity_and_low_ports() {
        let (cfg, eff) = config(&["--http-socket", ":8000", "--uid", "0"]);
        let (message, _) = foreign_identity(&cfg, &eff, (1000, 1000)).unwrap();
        assert!(message.contains("`uid` asks for uid 0"), "{message}");
        assert!(!message.contains("  "), "padding spaces: {message:?}");
        assert_eq!(foreign_identity(&cfg, &eff, (0, 0)), None);
        let (cfg, eff) = config(&["--http-socket", ":8000", "--uid", "1000"]);
        assert_eq!(foreign_identity(&cfg, &eff, (1000, 1000)), None);
        let spec = config(&["--http-socket", "127.0.0.1:80"]).0.sockets[0].clone();
        let why = bind_problem(&spec, 1000, &[], &[]).unwrap();
        assert!(why.contains("port 80 needs root"), "{why}");
    }
}
