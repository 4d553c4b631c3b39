//! The listening sockets: bound once by the master, inherited by every worker (DESIGN,
//! "Listeners"). Because the master owns them, a worker's death or a reload never closes a
//! listener and no queued connection is lost.
//!
//! Order of binding (uWSGI's): `shared-socket`s first (while still root, so a privileged port
//! can be shared and referenced as `=N`), then the other sockets. Sockets inherited from
//! systemd (`LISTEN_FDS`) or on fd 0 (an on-demand emperor) are used instead of binding when
//! their address matches a configured one, or as the only sockets when none is configured.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use emperor_options::typed::{Protocol, SocketAddr, SocketSpec, VassalConfig};
use emperor_sys::net;

use crate::StartError;

/// One listening socket.
#[derive(Debug)]
pub struct Listener {
    pub fd: OwnedFd,
    /// As configured (`127.0.0.1:3031`, `/run/app.sock`), for logs and stats.
    pub name: String,
    pub protocol: Protocol,
    /// `SERVER_PORT` for HTTP requests: the text after the last `:`, `80` for UNIX sockets.
    pub server_port: String,
    /// A UNIX socket file to remove on exit when `vacuum` is set.
    pub unix_path: Option<PathBuf>,
    /// Whether this is a `shared-socket`.
    pub shared: bool,
    /// Whether it was inherited (systemd `LISTEN_FDS`, fd 0) rather than bound here.
    pub inherited: bool,
}

impl Listener {
    pub fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn server_port(name: &str, addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::Tcp { port, .. } => port.to_string(),
        _ => name
            .rsplit_once(':')
            .map_or_else(|| "80".to_owned(), |(_, p)| p.to_owned()),
    }
}

fn bind_error(spec: &SocketSpec, e: &std::io::Error) -> StartError {
    let mut message = format!(
        "{}: failed to bind `{}` ({}): {e}",
        spec.origin, spec.name, spec.option
    );
    let mut permanent = false;
    match e.kind() {
        std::io::ErrorKind::PermissionDenied if matches!(spec.addr, SocketAddr::Tcp { port, .. } if port < net::unprivileged_port_start()) =>
        {
            // Fails the same way at every attempt: not retried until the file changes.
            permanent = !emperor_sys::privileges::is_root();
            message.push_str("\n  hint: ports below 1024 need root; use a higher port behind nginx, or a `shared-socket` bound before dropping privileges");
        }
        std::io::ErrorKind::AddrInUse => {
            message.push_str(
                "\n  hint: another process listens there; stop it or pick another address",
            );
        }
        std::io::ErrorKind::NotFound => {
            message.push_str("\n  hint: the socket's directory must exist");
        }
        _ => {}
    }
    StartError { message, permanent }
}

fn bind_one(
    spec: &SocketSpec,
    cfg: &VassalConfig,
    inherited: &mut Vec<(String, OwnedFd)>,
) -> Result<(OwnedFd, Option<PathBuf>), StartError> {
    if let Some(pos) = inherited
        .iter()
        .position(|(name, _)| *name == spec.name || name.ends_with(&spec.name))
    {
        return Ok((inherited.remove(pos).1, None));
    }
    let backlog = cfg.listen.max(1);
    match &spec.addr {
        SocketAddr::Tcp { host, port } => {
            let addr = net::resolve(host, *port).map_err(|e| bind_error(spec, &e))?;
            let bound = if cfg.reuse_port {
                net::bind_tcp_reuseport(addr, backlog)
            } else {
                net::bind_tcp(addr, backlog)
            };
            bound.map(|fd| (fd, None)).map_err(|e| bind_error(spec, &e))
        }
        SocketAddr::Unix(path) => {
            let fd = net::bind_unix(path, backlog, cfg.chmod_socket)
                .map_err(|e| bind_error(spec, &e))?;
            Ok((fd, Some(path.clone())))
        }
        SocketAddr::Abstract(name) => net::bind_abstract(name, backlog)
            .map(|fd| (fd, None))
            .map_err(|e| bind_error(spec, &e)),
        SocketAddr::Shared(_) => unreachable!("shared references are resolved by the caller"),
    }
}

/// Sockets this process inherited, by name: from the previous master of a reload
/// (`EMPEROR_RELOAD_FDS`), from systemd (`LISTEN_FDS`), or on fd 0 (an on-demand emperor,
/// only when no socket is configured). Call once, at startup.
pub fn inherited(cfg: &VassalConfig) -> Result<Vec<(String, OwnedFd)>, String> {
    let mut inherited = net::reload_listeners();
    inherited.extend(
        net::systemd_listeners()
            .into_iter()
            .map(|fd| (net::local_name(&fd), fd)),
    );
    if cfg.sockets.is_empty() && inherited.is_empty() && net::is_listening_socket(0) {
        let fd = nix_dup(0)?;
        inherited.push((net::local_name(&fd), fd));
    }
    Ok(inherited)
}

/// Binds the `shared-socket`s (or takes them from `inherited`). Call before dropping
/// privileges.
pub fn bind_shared(
    cfg: &VassalConfig,
    inherited: &mut Vec<(String, OwnedFd)>,
) -> Result<Vec<Listener>, StartError> {
    cfg.shared_sockets
        .iter()
        .map(|spec| {
            let before = inherited.len();
            let (fd, unix_path) = bind_one(spec, cfg, inherited)?;
            let was_inherited = inherited.len() < before;
            Ok(Listener {
                fd,
                name: spec.name.clone(),
                protocol: spec.protocol,
                server_port: server_port(&spec.name, &spec.addr),
                unix_path,
                shared: true,
                inherited: was_inherited,
            })
        })
        .collect()
}

/// Binds the other sockets (after `shared` were bound), reusing inherited ones.
pub fn bind_all(
    cfg: &VassalConfig,
    shared: &[Listener],
    mut inherited: Vec<(String, OwnedFd)>,
) -> Result<Vec<Listener>, StartError> {
    let mut out = Vec::new();
    for spec in &cfg.sockets {
        let before = inherited.len();
        let (fd, unix_path) = match spec.addr {
            SocketAddr::Shared(i) => (nix_dup(shared[i].raw())?, None),
            _ => bind_one(spec, cfg, &mut inherited)?,
        };
        if let (Some(path), Some((user, group))) = (&unix_path, &cfg.chown_socket) {
            // Neither an unknown user nor a chown refused to a non-root master gets better
            // by retrying.
            let ids =
                emperor_sys::privileges::resolve(Some(user), group.as_deref()).map_err(|e| {
                    StartError::permanent(format!("{}: `chown-socket`: {e}", spec.origin))
                })?;
            net::chown(path, ids.uid, ids.gid).map_err(|e| {
                StartError::permanent(format!(
                    "{}: `chown-socket` on `{}`: {e}",
                    spec.origin,
                    path.display()
                ))
            })?;
        }
        out.push(Listener {
            fd,
            name: spec.name.clone(),
            protocol: spec.protocol,
            server_port: server_port(&spec.name, &spec.addr),
            unix_path,
            shared: false,
            inherited: inherited.len() < before,
        });
    }
    if cfg.sockets.is_empty() {
        for (name, fd) in inherited {
            let port = name
                .rsplit_once(':')
                .map_or_else(|| "80".to_owned(), |(_, p)| p.to_owned());
            out.push(Listener {
                fd,
                name,
                protocol: cfg.protocol,
                server_port: port,
                unix_path: None,
                shared: false,
                inherited: true,
            });
        }
    }
    if out.is_empty() {
        return Err(StartError::permanent(NO_SOCKET));
    }
    Ok(out)
}

/// A config with no socket (and nothing inherited): it cannot serve.
pub const NO_SOCKET: &str = "no socket to serve on\n  hint: add `socket = 127.0.0.1:3031` (uwsgi protocol, for nginx `uwsgi_pass`) or `http-socket = :8000`";

fn nix_dup(fd: RawFd) -> Result<OwnedFd, String> {
    // `try_clone_to_owned` dups with close-on-exec.
    // SAFETY-free: borrowing fd only for the duplication.
    emperor_sys::net::duplicate(fd)
        .map_err(|e| format!("failed to duplicate socket descriptor {fd}: {e}"))
}
