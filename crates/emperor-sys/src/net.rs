//! Listening sockets: TCP, UNIX and abstract UNIX, bound once by the master and inherited by
//! the workers across `fork` (DESIGN, "Listeners"), and sockets inherited from systemd.
//!
//! Sockets are close-on-exec: workers get them by `fork`, not `exec`, and a subprocess an app
//! starts must not hold the vassal's listeners open.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::Path;

use nix::sys::socket::{Backlog, listen};

fn set_backlog(fd: &OwnedFd, backlog: u32) -> io::Result<()> {
    let backlog =
        Backlog::new(i32::try_from(backlog).unwrap_or(i32::MAX).max(1)).map_err(io::Error::from)?;
    listen(fd, backlog).map_err(io::Error::from)
}

/// Resolves `host` (empty = every IPv4 interface, as uWSGI's `:port`) and `port`.
pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("`{host}` has no address")))
}

/// Binds and listens on a TCP address with the given backlog (`listen` option).
pub fn bind_tcp(addr: SocketAddr, backlog: u32) -> io::Result<OwnedFd> {
    let listener = std::net::TcpListener::bind(addr)?;
    let fd = OwnedFd::from(listener);
    set_backlog(&fd, backlog)?;
    Ok(fd)
}

/// Binds and listens on a TCP address with `SO_REUSEPORT` (and `SO_REUSEADDR`) set before
/// the bind, so that other sockets of the same user may join its group (`reuse-port`).
pub fn bind_tcp_reuseport(addr: SocketAddr, backlog: u32) -> io::Result<OwnedFd> {
    use nix::sys::socket::{
        AddressFamily, SockFlag, SockType, SockaddrIn, SockaddrIn6, bind, setsockopt, socket,
        sockopt,
    };
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    setsockopt(&fd, sockopt::ReusePort, &true)?;
    match addr {
        SocketAddr::V4(v4) => bind(fd.as_raw_fd(), &SockaddrIn::from(v4))?,
        SocketAddr::V6(v6) => bind(fd.as_raw_fd(), &SockaddrIn6::from(v6))?,
    }
    set_backlog(&fd, backlog)?;
    Ok(fd)
}

/// The TCP address a socket is bound to; `None` for other sockets.
pub fn tcp_local_addr(fd: RawFd) -> Option<SocketAddr> {
    let a = nix::sys::socket::getsockname::<nix::sys::socket::SockaddrStorage>(fd).ok()?;
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4(std::net::SocketAddrV4::from(*v4)));
    }
    a.as_sockaddr_in6()
        .map(|v6| SocketAddr::V6(std::net::SocketAddrV6::from(*v6)))
}

/// Binds and listens on a UNIX socket path; `mode` is applied right after binding.
///
/// What is already at `path` decides (uWSGI unlinks whatever is there):
/// - a socket something listens on (a connect is accepted or queued) is never replaced:
///   `AddrInUse` (a second instance, or another user's live app);
/// - a stale socket is removed, unless this process is not root and the socket belongs to
///   another uid: in a shared, world-writable directory that would let one tenant take
///   over another's address (`PermissionDenied`, nothing removed);
/// - anything else (a regular file) is an error and is never deleted.
pub fn bind_unix(path: &Path, backlog: u32, mode: Option<u32>) -> io::Result<OwnedFd> {
    use std::os::unix::fs::MetadataExt as _;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            if unix_socket_live(path) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "another process listens on this socket; it was left alone",
                ));
            }
            let me = nix::unistd::geteuid().as_raw();
            if me != 0 && meta.uid() != me {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "a socket owned by uid {} is in the way; it was left alone (only its owner or root may replace it)",
                        meta.uid()
                    ),
                ));
            }
            std::fs::remove_file(path)?;
        } else {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a file that is not a socket is in the way",
            ));
        }
    }
    let listener = UnixListener::bind(path)?;
    if let Some(mode) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    let fd = OwnedFd::from(listener);
    set_backlog(&fd, backlog)?;
    Ok(fd)
}

/// Binds and listens on a Linux abstract UNIX socket (`@name`).
pub fn bind_abstract(name: &str, backlog: u32) -> io::Result<OwnedFd> {
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    let listener = UnixListener::bind_addr(&addr)?;
    let fd = OwnedFd::from(listener);
    set_backlog(&fd, backlog)?;
    Ok(fd)
}

/// A non-blocking connect to a UNIX stream socket: `@name` is abstract, anything else a path.
/// A UNIX connect either completes at once or fails; a full backlog (the listener is not
/// accepting: stopped, stuck) is `WouldBlock`, never a wait. The stream is non-blocking and
/// close-on-exec.
pub fn connect_unix_nonblocking(address: &str) -> io::Result<OwnedFd> {
    use nix::sys::socket::UnixAddr;
    let addr = match address.strip_prefix('@') {
        Some(name) => UnixAddr::new_abstract(name.as_bytes())?,
        None => UnixAddr::new(address)?,
    };
    connect_nonblocking(&addr)
}

fn connect_nonblocking(addr: &nix::sys::socket::UnixAddr) -> io::Result<OwnedFd> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, connect, socket};
    let fd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    connect(fd.as_raw_fd(), addr)?;
    Ok(fd)
}

/// Whether something listens on the UNIX socket at `path`: a connect that is
/// accepted, or refused only because the backlog is full, means a live listener. Never
/// blocks.
pub fn unix_socket_live(path: &Path) -> bool {
    let Ok(addr) = nix::sys::socket::UnixAddr::new(path) else {
        return false;
    };
    match connect_nonblocking(&addr) {
        Ok(_) => true,
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
    }
}

/// The lowest port an unprivileged process may bind (`net.ipv4.ip_unprivileged_port_start`,
/// 1024 when unreadable).
pub fn unprivileged_port_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1024)
}

/// Changes the owner of a socket path (`chown-socket`).
pub fn chown(path: &Path, uid: Option<u32>, gid: Option<u32>) -> io::Result<()> {
    std::os::unix::fs::chown(path, uid, gid)
}

/// Sockets passed by systemd socket activation (`LISTEN_FDS` for this pid), starting at fd 3.
/// The variables are removed so that children do not see them.
pub fn systemd_listeners() -> Vec<OwnedFd> {
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<i32>().ok())
        == Some(crate::process::pid());
    let count = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse::<i32>().ok())
        .unwrap_or(0);
    // SAFETY: called at startup, before any thread exists.
    unsafe {
        std::env::remove_var("LISTEN_PID");
        std::env::remove_var("LISTEN_FDS");
        std::env::remove_var("LISTEN_FDNAMES");
    }
    if !for_us {
        return Vec::new();
    }
    (3..3 + count)
        .filter(|&fd| is_listening_socket(fd))
        // SAFETY: systemd passed these descriptors to this pid; nothing else owns them.
        .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .inspect(|fd| {
            let _ = set_cloexec(fd.as_raw_fd(), true);
        })
        .collect()
}

/// Whether `fd` is a listening stream socket (fd 0 under an on-demand emperor, systemd fds).
pub fn is_listening_socket(fd: RawFd) -> bool {
    // SAFETY: the descriptor is only borrowed for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    nix::sys::socket::getsockopt(&borrowed, nix::sys::socket::sockopt::AcceptConn).unwrap_or(false)
}

/// The address a socket is bound to, as text (`127.0.0.1:3031`, `/run/app.sock`, `@name`).
pub fn local_name(fd: &impl AsFd) -> String {
    let raw = fd.as_fd().as_raw_fd();
    if let Ok(addr) = nix::sys::socket::getsockname::<nix::sys::socket::SockaddrStorage>(raw) {
        if let Some(v4) = addr.as_sockaddr_in() {
            return std::net::SocketAddrV4::from(*v4).to_string();
        }
        if let Some(v6) = addr.as_sockaddr_in6() {
            return std::net::SocketAddrV6::from(*v6).to_string();
        }
        if let Some(unix) = addr.as_unix_addr() {
            if let Some(p) = unix.path() {
                return p.display().to_string();
            }
            if let Some(a) = unix.as_abstract() {
                return format!("@{}", String::from_utf8_lossy(a));
            }
        }
    }
    String::new()
}

/// Sets or clears `FD_CLOEXEC`.
pub fn set_cloexec(fd: RawFd, on: bool) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    // SAFETY: the descriptor is only borrowed for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let flags = FdFlag::from_bits_truncate(fcntl(borrowed, FcntlArg::F_GETFD)?);
    let flags = if on {
        flags | FdFlag::FD_CLOEXEC
    } else {
        flags - FdFlag::FD_CLOEXEC
    };
    fcntl(borrowed, FcntlArg::F_SETFD(flags))?;
    Ok(())
}

/// Sets `O_NONBLOCK`.
pub fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    // SAFETY: the descriptor is only borrowed for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let flags = OFlag::from_bits_truncate(fcntl(borrowed, FcntlArg::F_GETFL)?);
    let flags = if on {
        flags | OFlag::O_NONBLOCK
    } else {
        flags - OFlag::O_NONBLOCK
    };
    fcntl(borrowed, FcntlArg::F_SETFL(flags))?;
    Ok(())
}

/// The peer of an accepted connection, as `REMOTE_ADDR` / `REMOTE_PORT` text, held inline
/// (no allocation per connection). Empty for UNIX sockets.
#[derive(Clone, Copy)]
pub struct Peer {
    ip: [u8; 46],
    ip_len: u8,
    port: [u8; 5],
    port_len: u8,
}

impl Peer {
    /// No address (UNIX sockets).
    pub const NONE: Peer = Peer {
        ip: [0; 46],
        ip_len: 0,
        port: [0; 5],
        port_len: 0,
    };

    fn new(ip: std::net::IpAddr, port: u16) -> Peer {
        use std::io::Write as _;
        let mut peer = Peer::NONE;
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
            v4 @ std::net::IpAddr::V4(_) => v4,
        };
        match ip {
            // The common case by hand: `core::fmt` costs more than the rest of this.
            std::net::IpAddr::V4(v4) => {
                let mut n = 0;
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        peer.ip[n] = b'.';
                        n += 1;
                    }
                    n += decimal(u16::from(octet), &mut peer.ip[n..]);
                }
                peer.ip_len = u8::try_from(n).unwrap_or(0);
            }
            std::net::IpAddr::V6(_) => {
                let mut out = &mut peer.ip[..];
                if write!(out, "{ip}").is_ok() {
                    peer.ip_len = u8::try_from(46 - out.len()).unwrap_or(0);
                }
            }
        }
        peer.port_len = u8::try_from(decimal(port, &mut peer.port)).unwrap_or(0);
        peer
    }

    /// The address as text (`127.0.0.1`, `::1`; IPv4-mapped IPv6 shown as IPv4).
    pub fn ip(&self) -> &[u8] {
        &self.ip[..usize::from(self.ip_len)]
    }

    /// The port as text; empty for UNIX sockets.
    pub fn port(&self) -> &[u8] {
        &self.port[..usize::from(self.port_len)]
    }

    /// The address as `&str` (for log lines).
    pub fn ip_str(&self) -> &str {
        std::str::from_utf8(self.ip()).unwrap_or("")
    }
}

/// Writes `n` in decimal at the start of `out` (room for 5 digits); returns the length.
fn decimal(n: u16, out: &mut [u8]) -> usize {
    let mut digits = [0u8; 5];
    let mut len = 0;
    let mut n = n;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (i, d) in digits[..len].iter().rev().enumerate() {
        out[i] = *d;
    }
    len
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}",
            self.ip_str(),
            String::from_utf8_lossy(self.port())
        )
    }
}

/// Accepts one connection, non-blocking and close-on-exec, with its peer address in the same
/// call (`accept4`, no `getpeername`). `Ok(None)` when none is pending.
pub fn accept(listener: RawFd) -> io::Result<Option<(OwnedFd, Peer)>> {
    // SAFETY: `storage` is plain data the kernel fills up to `len`; the new descriptor is
    // owned by nothing else.
    let (raw, storage) = unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len =
            libc::socklen_t::try_from(std::mem::size_of::<libc::sockaddr_storage>()).unwrap_or(0);
        let raw = libc::accept4(
            listener,
            (&raw mut storage).cast(),
            &raw mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        );
        (raw, storage)
    };
    if raw < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EAGAIN | libc::ECONNABORTED | libc::EINTR) => Ok(None),
            _ => Err(e),
        };
    }
    // SAFETY: accept4 returned a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let peer = match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a `sockaddr_in`.
            let a: libc::sockaddr_in = unsafe { std::ptr::read((&raw const storage).cast()) };
            Peer::new(
                std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).into(),
                u16::from_be(a.sin_port),
            )
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a `sockaddr_in6`.
            let a: libc::sockaddr_in6 = unsafe { std::ptr::read((&raw const storage).cast()) };
            Peer::new(
                std::net::Ipv6Addr::from(a.sin6_addr.s6_addr).into(),
                u16::from_be(a.sin6_port),
            )
        }
        _ => Peer::NONE,
    };
    Ok(Some((fd, peer)))
}

/// Tunes a TCP listener once, for every connection it will accept (Linux copies these to
/// accepted sockets): `TCP_NODELAY` (a response in several writes is not held back by Nagle
/// and the client's delayed ACK) and, when `defer_secs > 0`, `TCP_DEFER_ACCEPT` (a connection
/// is only handed over once its first bytes arrived, as uWSGI does by default), so the first
/// read after `accept` finds the request. Other sockets are left alone.
pub fn tune_listener(fd: RawFd, defer_secs: u32) {
    // SAFETY: the descriptor is only borrowed for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let Ok(addr) = nix::sys::socket::getsockname::<nix::sys::socket::SockaddrStorage>(fd) else {
        return;
    };
    if addr.as_sockaddr_in().is_none() && addr.as_sockaddr_in6().is_none() {
        return;
    }
    let _ = nix::sys::socket::setsockopt(&borrowed, nix::sys::socket::sockopt::TcpNoDelay, &true);
    if defer_secs > 0 {
        let secs = libc::c_int::try_from(defer_secs).unwrap_or(libc::c_int::MAX);
        // SAFETY: `secs` outlives the call; its size is passed.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_DEFER_ACCEPT,
                (&raw const secs).cast(),
                libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).unwrap_or(4),
            );
        }
    }
}

/// Whether `TCP_NODELAY` is set on a socket (tests: accepted sockets inherit it).
pub fn nodelay(fd: RawFd) -> bool {
    // SAFETY: the descriptor is only borrowed for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    nix::sys::socket::getsockopt(&borrowed, nix::sys::socket::sockopt::TcpNoDelay).unwrap_or(false)
}

/// Waits until a non-blocking socket is readable (`write == false`) or writable, at most
/// `timeout`. `Ok(false)`: the time ran out. Errors and hang-ups count as ready: the next
/// read or write reports them.
pub fn wait(fd: RawFd, write: bool, timeout: std::time::Duration) -> io::Result<bool> {
    let events = if write { libc::POLLOUT } else { libc::POLLIN };
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    loop {
        // SAFETY: one valid pollfd, its count passed.
        let r = unsafe { libc::poll(&raw mut pfd, 1, ms) };
        if r >= 0 {
            return Ok(r > 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `send(2)` with `MSG_MORE`: the kernel may hold the bytes for what comes next, here the
/// FIN of a `close` that follows at once, so response and FIN leave in one packet.
pub fn send_more(fd: RawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: `data` is a live slice of the given length; send only reads it.
    let r = unsafe {
        libc::send(
            fd,
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_MORE | libc::MSG_NOSIGNAL,
        )
    };
    usize::try_from(r).map_err(|_| io::Error::last_os_error())
}

/// `writev(2)` of up to two buffers (a response head and a body chunk) in one syscall.
pub fn writev2(fd: RawFd, a: &[u8], b: &[u8]) -> io::Result<usize> {
    let iov = [
        libc::iovec {
            iov_base: a.as_ptr().cast_mut().cast(),
            iov_len: a.len(),
        },
        libc::iovec {
            iov_base: b.as_ptr().cast_mut().cast(),
            iov_len: b.len(),
        },
    ];
    // SAFETY: both iovecs point into live slices of the given lengths; writev only reads.
    let r = unsafe { libc::writev(fd, iov.as_ptr(), 2) };
    usize::try_from(r).map_err(|_| io::Error::last_os_error())
}

/// `sendfile(2)` from `file` at `offset` to `socket`, at most `count` bytes.
pub fn sendfile(socket: RawFd, file: RawFd, offset: &mut i64, count: usize) -> io::Result<usize> {
    // SAFETY: both descriptors are only borrowed for the duration of the call.
    let (s, f) = unsafe {
        (
            std::os::fd::BorrowedFd::borrow_raw(socket),
            std::os::fd::BorrowedFd::borrow_raw(file),
        )
    };
    nix::sys::sendfile::sendfile(s, f, Some(offset), count).map_err(io::Error::from)
}

/// `shutdown(SHUT_WR)`: the peer reads the end of what was sent (a FIN) while this side may
/// still read what it sends (a lingering close after an error response).
pub fn shutdown_write(fd: RawFd) -> io::Result<()> {
    nix::sys::socket::shutdown(fd, nix::sys::socket::Shutdown::Write).map_err(io::Error::from)
}

/// `SO_LINGER` on with a zero timeout: closing the socket then sends a reset (RST) instead of
/// a FIN, which is how a peer learns that a close-delimited response was cut short.
pub fn set_linger_zero(fd: RawFd) -> io::Result<()> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `linger` is a live, correctly sized `struct linger` for the duration of the call.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            libc::socklen_t::try_from(std::mem::size_of::<libc::linger>()).unwrap_or(8),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Duplicates a descriptor (close-on-exec).
pub fn duplicate(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: the descriptor is only borrowed for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    borrowed.try_clone_to_owned()
}

/// Adds `fd` to the epoll instance `epfd` for readability with `EPOLLEXCLUSIVE`, so that one
/// connection wakes one of the workers sharing a listener instead of all of them (level
/// triggered: a listener still readable is reported again). `token` comes back in the
/// event's data.
pub fn epoll_add_exclusive(epfd: RawFd, fd: RawFd, token: u64) -> io::Result<()> {
    epoll_add_events(epfd, fd, libc::EPOLLIN | libc::EPOLLEXCLUSIVE, token)
}

/// Adds `fd` to the epoll instance `epfd` for readability, level-triggered (a worker's own
/// `reuse-port` socket: no other process waits on it).
pub fn epoll_add(epfd: RawFd, fd: RawFd, token: u64) -> io::Result<()> {
    epoll_add_events(epfd, fd, libc::EPOLLIN, token)
}

fn epoll_add_events(epfd: RawFd, fd: RawFd, events: libc::c_int, token: u64) -> io::Result<()> {
    let mut event = libc::epoll_event {
        events: events.cast_unsigned(),
        u64: token,
    };
    // SAFETY: `event` is a valid epoll_event for the duration of the call; the kernel checks
    // both descriptors.
    let r = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &raw mut event) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Removes `fd` from the epoll instance `epfd`.
pub fn epoll_remove(epfd: RawFd, fd: RawFd) -> io::Result<()> {
    // SAFETY: EPOLL_CTL_DEL ignores the event pointer on current kernels; a null is allowed.
    let r = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The accept queue of a listening TCP socket: (connections waiting, backlog size), from
/// `TCP_INFO` (`tcpi_unacked`, `tcpi_sacked` on a listener). `None` for other sockets.
pub fn listen_queue(fd: RawFd) -> Option<(u64, u64)> {
    // SAFETY: `info` is plain data the kernel fills; `len` tells it the buffer size.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::tcp_info>()).ok()?;
        let r = libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &raw mut len,
        );
        (r == 0).then(|| (u64::from(info.tcpi_unacked), u64::from(info.tcpi_sacked)))
    }
}

/// Writes without blocking; returns the bytes written (0 when the socket is full).
pub fn write_nonblocking(fd: RawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: the descriptor is only borrowed for the duration of the call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    match nix::sys::socket::send(
        borrowed.as_raw_fd(),
        data,
        nix::sys::socket::MsgFlags::MSG_DONTWAIT | nix::sys::socket::MsgFlags::MSG_NOSIGNAL,
    ) {
        Ok(n) => Ok(n),
        Err(nix::errno::Errno::EAGAIN) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// Reads without blocking; `Ok(None)` when nothing is there yet, `Ok(Some(0))` at EOF.
pub fn read_nonblocking(fd: RawFd, buf: &mut [u8]) -> io::Result<Option<usize>> {
    match nix::sys::socket::recv(fd, buf, nix::sys::socket::MsgFlags::MSG_DONTWAIT) {
        Ok(n) => Ok(Some(n)),
        Err(nix::errno::Errno::EAGAIN) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The environment variable a reloading master passes its listeners in: one `FD:NAME` per
/// line, `NAME` being the socket as configured.
pub const RELOAD_FDS_VAR: &str = "EMPEROR_RELOAD_FDS";

/// Listeners handed over by the previous master of a reload (`EMPEROR_RELOAD_FDS`), by name.
/// The variable is removed; descriptors that are not listening sockets are ignored.
pub fn reload_listeners() -> Vec<(String, OwnedFd)> {
    let Ok(value) = std::env::var(RELOAD_FDS_VAR) else {
        return Vec::new();
    };
    // SAFETY: called at startup, before any thread exists.
    unsafe { std::env::remove_var(RELOAD_FDS_VAR) };
    value
        .lines()
        .filter_map(|line| {
            let (fd, name) = line.split_once(':')?;
            let fd: RawFd = fd.parse().ok()?;
            if fd < 3 || !is_listening_socket(fd) {
                return None;
            }
            // SAFETY: the previous master passed this descriptor to us across exec and
            // nothing else in this process owns it.
            let owned = unsafe { OwnedFd::from_raw_fd(fd) };
            let _ = set_cloexec(fd, true);
            Some((name.to_owned(), owned))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_text_matches_the_standard_formatting() {
        for (ip, port) in [
            ("127.0.0.1", 80u16),
            ("0.0.0.0", 0),
            ("255.255.255.255", 65535),
            ("10.20.3.4", 8001),
            ("::1", 443),
            ("2001:db8::17", 12345),
        ] {
            let addr: std::net::IpAddr = ip.parse().unwrap();
            let peer = Peer::new(addr, port);
            assert_eq!(peer.ip_str(), ip);
            assert_eq!(peer.port(), port.to_string().as_bytes());
        }
        // IPv4-mapped IPv6 peers (a dual-stack listener) show as IPv4, as in uWSGI.
        let mapped: std::net::IpAddr = "::ffff:192.168.1.9".parse().unwrap();
        assert_eq!(Peer::new(mapped, 1).ip_str(), "192.168.1.9");
    }

    #[test]
    fn accepted_sockets_inherit_nodelay_from_the_tuned_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        tune_listener(listener.as_raw_fd(), 1);
        let addr = listener.local_addr().unwrap();
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        std::io::Write::write_all(&mut client, b"x").unwrap();
        set_nonblocking(listener.as_raw_fd(), true).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let (fd, peer) = loop {
            if let Some(got) = accept(listener.as_raw_fd()).unwrap() {
                break got;
            }
            assert!(std::time::Instant::now() < deadline, "nothing to accept");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(nodelay(fd.as_raw_fd()));
        assert_eq!(peer.ip_str(), "127.0.0.1");
        assert_eq!(
            peer.port(),
            client.local_addr().unwrap().port().to_string().as_bytes()
        );
    }

    #[test]
    fn a_live_unix_socket_is_never_replaced_and_a_full_backlog_never_blocks() {
        let dir = std::env::temp_dir().join(format!("emperor-net-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("app.sock");
        let first = bind_unix(&path, 1, None).unwrap();
        let e = bind_unix(&path, 1, None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse, "{e}");
        // Nobody accepts: fill the backlog; the check and connects still return at once.
        let started = std::time::Instant::now();
        let mut held = Vec::new();
        for _ in 0..8 {
            if let Ok(fd) = connect_unix_nonblocking(&path.to_string_lossy()) {
                held.push(fd);
            }
        }
        assert!(unix_socket_live(&path));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        drop((held, first));
        // Stale now: replaced.
        assert!(!unix_socket_live(&path));
        bind_unix(&path, 1, None).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
