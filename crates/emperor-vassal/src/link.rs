//! The vassal's end of the emperor link (DESIGN, "The emperor link"; the wire format is
//! `emperor_proto::link`).
//!
//! # Theory of operation
//! An emperor starts a vassal as `emperor --vassal-of-emperor NAME [OPTIONS…]` with two
//! descriptors left open across `exec`:
//! - `UWSGI_EMPEROR_FD`: the link, a stream socket. The master polls it: bytes from the
//!   emperor are commands (0 stop, 1 reload, 2 graceful stop, 3 chain reload); the master
//!   writes its one-byte messages (1 spawned, 2 "send my config", 5 accepting, 17 loyal,
//!   26 heartbeat) and, when `EMPEROR_LINK_EXT=1`, structured reports.
//! - `UWSGI_EMPEROR_FD_CONFIG`: the config channel. The emperor writes the framed file there
//!   at spawn, and again each time the vassal asks with byte 2.
//!
//! Both are close-on-exec while the master runs (a daemon or an app's subprocess never holds
//! them) and are closed by every worker right after its fork, so the emperor sees EOF as soon
//! as the master is gone. A reload's `exec` keeps them: the master clears close-on-exec just
//! before it. The config the master validated for that reload travels in a memfd named by
//! [`RELOAD_CONFIG_FD_VAR`], so the re-executed master runs exactly those bytes.
//!
//! Writes never block: a message that cannot be written whole means the emperor is gone or
//! stuck, and is treated as EOF of the link.

use std::io::{self, Read as _, Seek as _};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use emperor_proto::link::{self as proto, Event, FromVassal, Report};
use emperor_sys::net;

/// Names the memfd holding the config a reloading master validated, for its re-executed self.
pub const RELOAD_CONFIG_FD_VAR: &str = "EMPEROR_RELOAD_CONFIG_FD";

/// How long the vassal waits for its config on the config channel (at start and on reload),
/// as uWSGI does.
pub const CONFIG_WAIT: Duration = Duration::from_secs(5);

/// The link to the emperor, as inherited.
#[derive(Debug)]
pub struct EmperorLink {
    link: OwnedFd,
    config: Option<OwnedFd>,
    ext: bool,
    config_path: Option<PathBuf>,
}

/// What reading the link gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// Bytes from the emperor (commands; unknown ones are ignored by the caller).
    Bytes(Vec<u8>),
    /// Nothing there (a spurious wakeup).
    Nothing,
    /// EOF or an error: the emperor is gone.
    Lost(String),
}

impl EmperorLink {
    /// The link this process was started with, from `UWSGI_EMPEROR_FD`; `None` when that is
    /// not set. With `with_config`, the config channel (`UWSGI_EMPEROR_FD_CONFIG`) too; a
    /// vassal started with a config file of its own (under a uWSGI emperor) only keeps the
    /// link. Call once, at startup, before any thread exists.
    pub fn from_env(with_config: bool) -> Result<Option<EmperorLink>, String> {
        let link = emperor_sys::process::inherited_fd(proto::FD_VAR, false)
            .map_err(|e| format!("the emperor link: {e}"))?;
        let Some(link) = link else {
            return Ok(None);
        };
        let config = if with_config {
            emperor_sys::process::inherited_fd(proto::CONFIG_FD_VAR, false)
                .map_err(|e| format!("the emperor's config channel: {e}"))?
        } else {
            None
        };
        let ext = std::env::var(proto::EXT_VAR).is_ok_and(|v| v == "1");
        let config_path = std::env::var_os(proto::CONFIG_PATH_VAR).map(PathBuf::from);
        Ok(Some(EmperorLink {
            link,
            config,
            ext,
            config_path,
        }))
    }

    /// A second handle on the same link and config channel (close-on-exec).
    pub fn try_clone(&self) -> io::Result<EmperorLink> {
        Ok(EmperorLink {
            link: self.link.try_clone()?,
            config: self.config.as_ref().map(OwnedFd::try_clone).transpose()?,
            ext: self.ext,
            config_path: self.config_path.clone(),
        })
    }

    /// Whether the emperor is ours (`EMPEROR_LINK_EXT=1`): reports and byte 3 are allowed.
    pub fn ext(&self) -> bool {
        self.ext
    }

    /// The vassal file's path (`UWSGI_VASSAL_CONFIG_PATH`).
    pub fn config_path(&self) -> Option<&Path> {
        self.config_path.as_deref()
    }

    /// Whether the config comes from the emperor (a reload asks for it with byte 2).
    pub fn has_config_channel(&self) -> bool {
        self.config.is_some()
    }

    pub fn link_fd(&self) -> BorrowedFd<'_> {
        self.link.as_fd()
    }

    pub fn config_fd(&self) -> Option<BorrowedFd<'_>> {
        self.config.as_ref().map(AsFd::as_fd)
    }

    /// Sends a message without blocking. A report is sent only to our emperor (`Ok` and
    /// nothing written otherwise). An error means the link is lost.
    pub fn send(&self, message: &FromVassal) -> io::Result<()> {
        if matches!(message, FromVassal::Report(_)) && !self.ext {
            return Ok(());
        }
        let bytes = message.encode();
        let written = net::write_nonblocking(self.link.as_raw_fd(), &bytes)?;
        if written < bytes.len() {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "the emperor does not read its link ({written} of {} bytes written)",
                    bytes.len()
                ),
            ));
        }
        Ok(())
    }

    /// A structured report (our emperor only).
    pub fn report(&self, event: Event, message: &str, origin: Option<String>) -> io::Result<()> {
        self.send(&FromVassal::Report(Report {
            event,
            message: message.to_owned(),
            origin,
        }))
    }

    /// Reads what the emperor sent on the link.
    pub fn read(&self) -> Incoming {
        let mut buf = [0u8; 64];
        match net::read_nonblocking(self.link.as_raw_fd(), &mut buf) {
            Ok(Some(0)) => Incoming::Lost("the emperor closed the link".into()),
            Ok(Some(n)) => Incoming::Bytes(buf[..n].to_vec()),
            Ok(None) => Incoming::Nothing,
            Err(e) => Incoming::Lost(format!("error reading the link: {e}")),
        }
    }

    /// Discards whatever sits on the config channel (a config pushed unasked, as uWSGI 2.0's
    /// emperor does), so that the next read is the answer to the next request.
    pub fn drain_config(&self) {
        let Some(config) = &self.config else { return };
        let mut buf = [0u8; 4096];
        while let Ok(Some(n)) = net::read_nonblocking(config.as_raw_fd(), &mut buf) {
            if n == 0 {
                break;
            }
        }
    }

    /// Waits (at most `wait`) for one framed config on the config channel: the file's bytes.
    pub fn read_config_blocking(&self, wait: Duration) -> Result<Vec<u8>, String> {
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| format!("no config channel (`{}` is not set)", proto::CONFIG_FD_VAR))?;
        let mut reader = ConfigReader::new(Instant::now() + wait);
        loop {
            let left = reader.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(reader.timeout_message());
            }
            let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX).max(1);
            let ready = emperor_sys::poll::readable(&[config.as_fd()], ms)
                .map_err(|e| format!("error waiting for the config: {e}"))?;
            if ready.first().copied().unwrap_or(false)
                && let Some(bytes) = reader.read_from(config.as_fd())?
            {
                return Ok(bytes);
            }
        }
    }

    /// Makes the link and the config channel survive (`true`) or not survive an `exec`.
    pub fn set_inheritable(&self, on: bool) {
        let _ = net::set_cloexec(self.link.as_raw_fd(), !on);
        if let Some(config) = &self.config {
            let _ = net::set_cloexec(config.as_raw_fd(), !on);
        }
    }
}

/// The config a starting vassal runs: the bytes its previous self validated before a reload's
/// `exec` (the memfd of [`RELOAD_CONFIG_FD_VAR`]), else the framed config the emperor wrote
/// on the config channel (waiting at most [`CONFIG_WAIT`]). Call once, at startup, before any
/// thread exists.
pub fn startup_config(link: &EmperorLink) -> Result<Vec<u8>, String> {
    let reload = emperor_sys::process::inherited_fd(RELOAD_CONFIG_FD_VAR, true)
        .map_err(|e| format!("the reload's config: {e}"))?;
    if let Some(fd) = reload {
        let mut file = std::fs::File::from(fd);
        let mut bytes = Vec::new();
        file.rewind()
            .and_then(|()| file.read_to_end(&mut bytes))
            .map_err(|e| format!("failed to read the reload's config: {e}"))?;
        return Ok(bytes);
    }
    link.read_config_blocking(CONFIG_WAIT)
        .map_err(|e| format!("no config from the emperor: {e}"))
}

/// The memfd a reloading master passes to its re-executed self (see [`startup_config`]):
/// close-on-exec until the reload clears it.
pub fn reload_config_fd(bytes: &[u8]) -> io::Result<OwnedFd> {
    emperor_sys::process::memfd_with("emperor-vassal-config", bytes)
}

/// One framed config being read from the config channel, across partial reads.
#[derive(Debug)]
pub struct ConfigReader {
    buf: Vec<u8>,
    /// When the emperor is late.
    pub deadline: Instant,
}

impl ConfigReader {
    pub fn new(deadline: Instant) -> ConfigReader {
        ConfigReader {
            buf: Vec::new(),
            deadline,
        }
    }

    /// How many bytes the frame has, as far as known (the header first).
    fn wanted(&self) -> Result<usize, String> {
        match self.buf.get(..4) {
            Some(header) => {
                let header = [header[0], header[1], header[2], header[3]];
                proto::config_length(header)
                    .map(|len| 4 + len)
                    .map_err(|e| e.to_string())
            }
            None => Ok(4),
        }
    }

    /// Reads what is there, never past the frame. `Ok(Some(bytes))` once the frame is
    /// complete; an error for a bad header or EOF.
    pub fn read_from(&mut self, fd: BorrowedFd<'_>) -> Result<Option<Vec<u8>>, String> {
        loop {
            let wanted = self.wanted()?;
            if self.buf.len() >= wanted {
                return Ok(Some(self.buf.split_off(4)));
            }
            let mut chunk = vec![0u8; wanted - self.buf.len()];
            match net::read_nonblocking(fd.as_raw_fd(), &mut chunk) {
                Ok(Some(0)) => {
                    return Err(format!(
                        "the emperor closed the config channel ({} of {wanted} bytes read)",
                        self.buf.len()
                    ));
                }
                Ok(Some(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(None) => return Ok(None),
                Err(e) => return Err(format!("error reading the config: {e}")),
            }
        }
    }

    pub fn timeout_message(&self) -> String {
        format!(
            "timed out after {} s waiting for the config ({} bytes read)",
            CONFIG_WAIT.as_secs(),
            self.buf.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::os::unix::net::UnixStream;

    #[test]
    fn a_frame_read_in_pieces_and_nothing_past_it() {
        let (mut emperor, vassal) = UnixStream::pair().unwrap();
        vassal.set_nonblocking(true).unwrap();
        let framed = proto::frame_config(b"[uwsgi]\nsocket = :3031\n").unwrap();
        let mut reader = ConfigReader::new(Instant::now() + CONFIG_WAIT);
        assert_eq!(reader.read_from(vassal.as_fd()).unwrap(), None);
        emperor.write_all(&framed[..2]).unwrap();
        assert_eq!(reader.read_from(vassal.as_fd()).unwrap(), None);
        // The rest, and the start of a second frame that must stay unread.
        emperor.write_all(&framed[2..]).unwrap();
        emperor.write_all(&framed[..3]).unwrap();
        assert_eq!(
            reader.read_from(vassal.as_fd()).unwrap().as_deref(),
            Some(&b"[uwsgi]\nsocket = :3031\n"[..])
        );
        let mut rest = [0u8; 8];
        assert_eq!(
            net::read_nonblocking(vassal.as_raw_fd(), &mut rest).unwrap(),
            Some(3)
        );
    }

    #[test]
    fn reports_only_to_our_emperor_and_a_closed_link_is_lost() {
        let (mut emperor, vassal) = UnixStream::pair().unwrap();
        let mut link = EmperorLink {
            link: vassal.into(),
            config: None,
            ext: false,
            config_path: None,
        };
        link.report(Event::BadConfig, "no", None).unwrap();
        link.send(&FromVassal::Spawned).unwrap();
        link.ext = true;
        link.report(Event::ReloadFailed, "bad", Some("app.ini:3".into()))
            .unwrap();
        emperor.write_all(&[2, 9]).unwrap();
        assert_eq!(link.read(), Incoming::Bytes(vec![2, 9]));
        assert_eq!(link.read(), Incoming::Nothing);

        emperor
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut got = vec![0u8; 256];
        let n = emperor.read(&mut got).unwrap();
        let mut decoder = proto::Decoder::new();
        assert_eq!(
            decoder.feed(&got[..n]).unwrap(),
            vec![
                FromVassal::Spawned,
                FromVassal::Report(Report {
                    event: Event::ReloadFailed,
                    message: "bad".into(),
                    origin: Some("app.ini:3".into()),
                }),
            ]
        );
        drop(emperor);
        assert!(matches!(link.read(), Incoming::Lost(_)));
        assert!(link.send(&FromVassal::Heartbeat).is_err());
    }

    #[test]
    fn a_bad_header_and_eof_are_errors() {
        let (mut emperor, vassal) = UnixStream::pair().unwrap();
        vassal.set_nonblocking(true).unwrap();
        emperor.write_all(&[0, 1, 0, 0]).unwrap();
        let mut reader = ConfigReader::new(Instant::now() + CONFIG_WAIT);
        let e = reader.read_from(vassal.as_fd()).unwrap_err();
        assert!(e.contains("invalid config header"), "{e}");

        let (mut emperor, vassal) = UnixStream::pair().unwrap();
        vassal.set_nonblocking(true).unwrap();
        emperor.write_all(&[115, 10, 0, 0, b'x']).unwrap();
        drop(emperor);
        let mut reader = ConfigReader::new(Instant::now() + CONFIG_WAIT);
        let e = reader.read_from(vassal.as_fd()).unwrap_err();
        assert!(e.contains("closed the config channel (5 of 14"), "{e}");
    }
}
