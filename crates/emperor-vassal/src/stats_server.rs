//! The stats server (`stats = ADDR`), served from the master's poll loop without ever blocking
//! it.
//!
//! Plain stats (what `uwsgitop` and `nc` expect): on accept the JSON is written at once and the
//! connection closed; nothing is read, and a client that reads nothing holds no slot beyond a
//! short deadline. `stats-http`: the request is read (once, under a deadline), then an HTTP/1.0
//! answer is written and the connection closed; `GET /metrics` gets the Prometheus text
//! format. Every client socket is non-blocking and polled with the master's signalfd; at most
//! [`MAX_CLIENTS`] are kept, the oldest evicted first.

use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use emperor_sys::net;

use crate::log;
use crate::stats::Snapshot;

/// Clients served at once; a new one evicts the oldest beyond this.
pub const MAX_CLIENTS: usize = 64;

/// The stats options.
#[derive(Debug, Clone)]
pub struct StatsConfig {
    /// `stats`: `HOST:PORT`, `:PORT`, a UNIX path or `@abstract`.
    pub addr: String,
    /// `stats-http`.
    pub http: bool,
    /// `stats-minified`.
    pub minified: bool,
    /// `stats-no-cores`.
    pub no_cores: bool,
    /// `chmod-socket` for a UNIX stats socket.
    pub chmod: Option<u32>,
    /// How long a client may take to send its request and read the answer.
    pub timeout: Duration,
    /// `memory-report`: show each worker's RSS and VSZ.
    pub memory_report: bool,
}

enum State {
    Reading(Vec<u8>),
    Writing(Vec<u8>, usize),
}

struct Client {
    fd: OwnedFd,
    state: State,
    deadline: Instant,
}

/// A bound stats socket and its clients.
pub struct StatsServer {
    listener: OwnedFd,
    cfg: StatsConfig,
    clients: VecDeque<Client>,
    unix_path: Option<PathBuf>,
}

impl std::fmt::Debug for StatsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatsServer")
            .field("addr", &self.cfg.addr)
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

impl StatsServer {
    /// Binds the stats socket.
    pub fn bind(cfg: StatsConfig, backlog: u32) -> Result<StatsServer, String> {
        let addr = cfg.addr.as_str();
        let fail = |e: std::io::Error| format!("failed to bind the stats socket `{addr}`: {e}");
        let (listener, unix_path) = if let Some(name) = addr.strip_prefix('@') {
            (net::bind_abstract(name, backlog).map_err(fail)?, None)
        } else if let Some((host, port)) = addr.rsplit_once(':') {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port: u16 = port
                .parse()
                .map_err(|_| format!("invalid stats address `{addr}`"))?;
            let sockaddr = net::resolve(host, port).map_err(fail)?;
            (net::bind_tcp(sockaddr, backlog).map_err(fail)?, None)
        } else {
            let path = PathBuf::from(addr);
            (
                net::bind_unix(&path, backlog, cfg.chmod).map_err(fail)?,
                Some(path),
            )
        };
        net::set_nonblocking(listener.as_raw_fd(), true).map_err(fail)?;
        log::line(&format!(
            "*** Stats server enabled on {addr} fd: {} ***",
            listener.as_raw_fd()
        ));
        Ok(StatsServer {
            listener,
            cfg,
            clients: VecDeque::new(),
            unix_path,
        })
    }

    /// The descriptors to poll, with whether each waits to write: the listener, then clients.
    pub fn poll_set(&self) -> Vec<(BorrowedFd<'_>, bool)> {
        std::iter::once((self.listener.as_fd(), false))
            .chain(
                self.clients
                    .iter()
                    .map(|c| (c.fd.as_fd(), matches!(c.state, State::Writing(..)))),
            )
            .collect()
    }

    /// Handles what `poll` found ready (`ready` is aligned with [`Self::poll_set`]).
    /// `snapshot` is called at most once per call, only when a client needs it.
    pub fn on_ready(&mut self, ready: &[bool], snapshot: &mut dyn FnMut() -> Snapshot) {
        let mut cache: Option<Snapshot> = None;
        let mut get = |cache: &mut Option<Snapshot>| -> Snapshot {
            cache.get_or_insert_with(&mut *snapshot).clone()
        };
        // Clients first (their indices shift once new ones are accepted).
        let mut keep = VecDeque::with_capacity(self.clients.len());
        for (i, mut client) in std::mem::take(&mut self.clients).into_iter().enumerate() {
            if !ready.get(i + 1).copied().unwrap_or(false) {
                keep.push_back(client);
                continue;
            }
            if self.progress(&mut client, &mut || get(&mut cache)) {
                keep.push_back(client);
            }
        }
        self.clients = keep;
        if ready.first().copied().unwrap_or(false) {
            while let Ok(Some((fd, _))) = net::accept(self.listener.as_raw_fd()) {
                let state = if self.cfg.http {
                    State::Reading(Vec::new())
                } else {
                    State::Writing(self.body(&get(&mut cache), false), 0)
                };
                let mut client = Client {
                    fd,
                    state,
                    deadline: Instant::now() + self.cfg.timeout,
                };
                // Write at once: most answers fit in the socket buffer and the client is gone.
                if matches!(client.state, State::Writing(..))
                    && !self.progress(&mut client, &mut || get(&mut cache))
                {
                    continue;
                }
                if self.clients.len() >= MAX_CLIENTS {
                    self.clients.pop_front();
                }
                self.clients.push_back(client);
            }
        }
    }

    fn body(&self, snapshot: &Snapshot, metrics: bool) -> Vec<u8> {
        if metrics {
            return snapshot.to_prometheus().into_bytes();
        }
        snapshot
            .to_json(self.cfg.minified, !self.cfg.no_cores)
            .into_bytes()
    }

    /// Advances one client; `false` when it is done (and closed).
    fn progress(&self, client: &mut Client, snapshot: &mut dyn FnMut() -> Snapshot) -> bool {
        loop {
            match &mut client.state {
                State::Reading(buf) => {
                    let mut chunk = [0u8; 4096];
                    match net::read_nonblocking(client.fd.as_raw_fd(), &mut chunk) {
                        Ok(None) => return true,
                        Ok(Some(0)) | Err(_) => return false,
                        Ok(Some(n)) => {
                            buf.extend_from_slice(&chunk[..n]);
                            if !buf.windows(4).any(|w| w == b"\r\n\r\n")
                                && !buf.windows(2).any(|w| w == b"\n\n")
                                && buf.len() < 4096
                            {
                                continue;
                            }
                            let metrics = buf.starts_with(b"GET /metrics");
                            let body = self.body(&snapshot(), metrics);
                            let kind = if metrics {
                                "text/plain; version=0.0.4"
                            } else {
                                "application/json"
                            };
                            let mut out = format!("HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
                            out.extend_from_slice(&body);
                            client.state = State::Writing(out, 0);
                        }
                    }
                }
                State::Writing(out, off) => {
                    match net::write_nonblocking(client.fd.as_raw_fd(), &out[*off..]) {
                        Ok(0) => return true,
                        Ok(n) => {
                            *off += n;
                            if *off == out.len() {
                                return false;
                            }
                        }
                        Err(_) => return false,
                    }
                }
            }
        }
    }

    /// Drops clients past their deadline.
    pub fn sweep(&mut self) {
        let now = Instant::now();
        self.clients.retain(|c| c.deadline > now);
    }

    /// Removes a UNIX stats socket (`vacuum`).
    pub fn vacuum(&self) {
        if let Some(path) = &self.unix_path {
            let _ = std::fs::remove_file(path);
        }
    }
}
