//! The emperor link: the bytes between the Emperor and each vassal master (DESIGN, "The
//! emperor link").
//!
//! One `socketpair(AF_UNIX, SOCK_STREAM)` per vassal; the vassal's end is named by
//! `UWSGI_EMPEROR_FD`. uWSGI's one-byte messages are kept unchanged, so a real uWSGI vassal
//! works under this emperor and ours under uWSGI's:
//!
//! | byte | direction | meaning |
//! |---|---|---|
//! | 0 | emperor → vassal | stop (brutal) |
//! | 1 | emperor → vassal | graceful reload (the vassal asks for its config with byte 2) |
//! | 2 | emperor → vassal | graceful stop |
//! | 3 | emperor → vassal | chain reload (ours only: sent only to vassals that set `EMPEROR_LINK_EXT`... see [`ToVassal::ChainReload`]) |
//! | 1 | vassal → emperor | spawned: config valid, app loaded, about to fork workers |
//! | 2 | vassal → emperor | "send me my config" (answered on the config descriptor) |
//! | 5 | vassal → emperor | accepting: a worker is in its accept loop |
//! | 17 | vassal → emperor | loyal: a request was served |
//! | 22 | vassal → emperor | voluntary shutdown (`die-on-idle`) |
//! | 26 | vassal → emperor | heartbeat |
//! | 0x80 | vassal → emperor | a structured report (below), only when `EMPEROR_LINK_EXT=1` |
//!
//! A structured report is byte `0x80`, a u32 little-endian length, then a UTF-8 JSON object
//! `{"event": …, "message": …, "origin": "file:line"}` (see [`Report`]). Unknown bytes are
//! ignored, as uWSGI does.
//!
//! The vassal's configuration travels on a second descriptor, `UWSGI_EMPEROR_FD_CONFIG`, in
//! uWSGI's framing: a 4-byte uwsgi header (modifier1 115, u16 little-endian length,
//! modifier2 0) and the file's bytes. The u16 caps a vassal file at 65535 bytes.

use std::fmt;

/// Names the vassal's end of the link (a descriptor number).
pub const FD_VAR: &str = "UWSGI_EMPEROR_FD";
/// Names the descriptor the config bytes arrive on.
pub const CONFIG_FD_VAR: &str = "UWSGI_EMPEROR_FD_CONFIG";
/// The vassal file's original path, for magic variables (`%d %n %p`…) and diagnostics.
pub const CONFIG_PATH_VAR: &str = "UWSGI_VASSAL_CONFIG_PATH";
/// Set to `1` by our emperor: the vassal may send structured reports and receive byte 3.
pub const EXT_VAR: &str = "EMPEROR_LINK_EXT";
/// The exit code that means "do not respawn until the file changes" (bad config, refused).
pub const EXIT_DO_NOT_RESPAWN: i32 = 26;
/// The largest vassal file the config framing can carry.
pub const MAX_CONFIG: usize = u16::MAX as usize;
/// The uwsgi modifier1 of a config blob.
pub const CONFIG_MODIFIER: u8 = 115;
/// The largest structured report accepted (a message is a few lines; this is a sanity cap).
pub const MAX_REPORT: usize = 64 * 1024;

/// A message from the emperor to a vassal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToVassal {
    /// Byte 0: stop now (workers get SIGINT).
    Stop,
    /// Byte 1: graceful reload; the vassal re-reads its config (byte 2) first.
    Reload,
    /// Byte 2: graceful stop (workers finish their requests).
    GracefulStop,
    /// Byte 3: chain reload (one worker at a time; the config is not re-read). Only sent to
    /// vassals started with `EMPEROR_LINK_EXT=1`; uWSGI ignores unknown bytes anyway.
    ChainReload,
}

impl ToVassal {
    pub fn byte(self) -> u8 {
        match self {
            ToVassal::Stop => 0,
            ToVassal::Reload => 1,
            ToVassal::GracefulStop => 2,
            ToVassal::ChainReload => 3,
        }
    }

    /// The message a byte carries; `None` for a byte this side does not know (ignored).
    pub fn from_byte(byte: u8) -> Option<ToVassal> {
        match byte {
            0 => Some(ToVassal::Stop),
            1 => Some(ToVassal::Reload),
            2 => Some(ToVassal::GracefulStop),
            3 => Some(ToVassal::ChainReload),
            _ => None,
        }
    }
}

/// What a structured report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The config has errors: the vassal exits 26 right after.
    BadConfig,
    /// A reload was refused (the new config has errors); the running version keeps serving.
    ReloadFailed,
    /// The new config changes something only a fresh start applies (the socket set, uid…);
    /// the vassal keeps running the old one until the emperor restarts it.
    NeedsRestart,
    /// The vassal refuses to run (tyrant mode rules); it exits 26 right after.
    Refused,
    /// The vassal could not start for a reason that may pass (an address in use); it exits
    /// right after and is retried with backoff.
    StartFailed,
    /// A reload was accepted and the workers are finishing their requests: `message` is how
    /// many seconds that may take at most (`worker-reload-mercy`) before the master
    /// re-executes, so the emperor's reload deadline starts after it.
    Draining,
    /// Where the vassal's stats socket is (`message`), so the emperor can summarize its
    /// workers.
    Stats,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::BadConfig => "bad-config",
            Event::ReloadFailed => "reload-failed",
            Event::NeedsRestart => "needs-restart",
            Event::Refused => "refused",
            Event::StartFailed => "start-failed",
            Event::Draining => "draining",
            Event::Stats => "stats",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        [
            Event::BadConfig,
            Event::ReloadFailed,
            Event::NeedsRestart,
            Event::Refused,
            Event::StartFailed,
            Event::Draining,
            Event::Stats,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

/// A structured report: `{"event": …, "message": …, "origin": "file:line"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub event: Event,
    pub message: String,
    /// Where the problem is (`file:line`), when known.
    pub origin: Option<String>,
}

impl Report {
    /// The report on the wire: `0x80`, the u32 LE length, the JSON object.
    pub fn encode(&self) -> Vec<u8> {
        let mut object = serde_json::Map::new();
        object.insert("event".into(), self.event.as_str().into());
        object.insert("message".into(), self.message.clone().into());
        if let Some(origin) = &self.origin {
            object.insert("origin".into(), origin.clone().into());
        }
        let json = serde_json::Value::Object(object).to_string();
        let mut out = Vec::with_capacity(5 + json.len());
        out.push(REPORT);
        out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(json.as_bytes());
        out
    }

    fn decode(json: &[u8]) -> Result<Report, LinkError> {
        let bad = |why: &str| LinkError::BadReport(why.to_owned());
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| bad(&e.to_string()))?;
        let object = value.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let text = |key: &str| object.get(key).and_then(serde_json::Value::as_str);
        let event = text("event").ok_or_else(|| bad("no `event`"))?;
        let event = Event::parse(event).ok_or_else(|| bad(&format!("unknown event `{event}`")))?;
        Ok(Report {
            event,
            message: text("message").unwrap_or_default().to_owned(),
            origin: text("origin").map(str::to_owned),
        })
    }
}

/// The byte that starts a structured report.
pub const REPORT: u8 = 0x80;

/// A message from a vassal to the emperor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromVassal {
    /// Byte 1.
    Spawned,
    /// Byte 2: send the config again.
    ConfigRequest,
    /// Byte 5.
    Accepting,
    /// Byte 17.
    Loyal,
    /// Byte 22.
    VoluntaryShutdown,
    /// Byte 26.
    Heartbeat,
    /// `0x80` + length + JSON.
    Report(Report),
}

impl FromVassal {
    /// The one-byte messages' bytes (`None` for a report: use [`Report::encode`]).
    pub fn byte(&self) -> Option<u8> {
        Some(match self {
            FromVassal::Spawned => 1,
            FromVassal::ConfigRequest => 2,
            FromVassal::Accepting => 5,
            FromVassal::Loyal => 17,
            FromVassal::VoluntaryShutdown => 22,
            FromVassal::Heartbeat => 26,
            FromVassal::Report(_) => return None,
        })
    }

    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            FromVassal::Report(r) => r.encode(),
            other => vec![other.byte().unwrap_or(0)],
        }
    }
}

/// A broken link: the peer sent something that cannot be framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// A report longer than [`MAX_REPORT`].
    ReportTooLong(usize),
    /// A report that is not the JSON object described above.
    BadReport(String),
    /// A config blob whose header is not uwsgi's config framing.
    BadConfigHeader([u8; 4]),
    /// A config larger than the framing can carry.
    ConfigTooLarge(usize),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::ReportTooLong(n) => {
                write!(f, "report of {n} bytes exceeds the {MAX_REPORT}-byte limit")
            }
            LinkError::BadReport(why) => write!(f, "malformed report: {why}"),
            LinkError::BadConfigHeader(h) => write!(
                f,
                "invalid config header {h:?} (expected modifier1 {CONFIG_MODIFIER})"
            ),
            LinkError::ConfigTooLarge(n) => write!(
                f,
                "the file is {n} bytes; a vassal file is at most {MAX_CONFIG} bytes"
            ),
        }
    }
}

impl std::error::Error for LinkError {}

/// Splits the vassal → emperor byte stream into messages, across partial reads.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Adds bytes read from the link and returns the complete messages they finish. A
    /// malformed report is an error: the caller logs it and may drop the link. Unknown bytes
    /// are skipped.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<FromVassal>, LinkError> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(&byte) = self.buf.get(at) {
            let message = match byte {
                1 => FromVassal::Spawned,
                2 => FromVassal::ConfigRequest,
                5 => FromVassal::Accepting,
                17 => FromVassal::Loyal,
                22 => FromVassal::VoluntaryShutdown,
                26 => FromVassal::Heartbeat,
                REPORT => {
                    let Some(len) = self.buf.get(at + 1..at + 5) else {
                        break;
                    };
                    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                    if len > MAX_REPORT {
                        self.buf.clear();
                        return Err(LinkError::ReportTooLong(len));
                    }
                    let Some(json) = self.buf.get(at + 5..at + 5 + len) else {
                        break;
                    };
                    let report = Report::decode(json);
                    at += 5 + len;
                    match report {
                        Ok(r) => out.push(FromVassal::Report(r)),
                        Err(e) => {
                            self.buf.drain(..at);
                            return Err(e);
                        }
                    }
                    continue;
                }
                _ => {
                    at += 1;
                    continue;
                }
            };
            out.push(message);
            at += 1;
        }
        self.buf.drain(..at);
        Ok(out)
    }
}

/// Frames a vassal file's bytes for the config descriptor.
pub fn frame_config(bytes: &[u8]) -> Result<Vec<u8>, LinkError> {
    let len = u16::try_from(bytes.len()).map_err(|_| LinkError::ConfigTooLarge(bytes.len()))?;
    let mut out = Vec::with_capacity(4 + bytes.len());
    out.push(CONFIG_MODIFIER);
    out.extend_from_slice(&len.to_le_bytes());
    out.push(0);
    out.extend_from_slice(bytes);
    Ok(out)
}

/// The length announced by a config header.
pub fn config_length(header: [u8; 4]) -> Result<usize, LinkError> {
    if header[0] != CONFIG_MODIFIER {
        return Err(LinkError::BadConfigHeader(header));
    }
    Ok(usize::from(u16::from_le_bytes([header[1], header[2]])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_messages_and_unknown_bytes() {
        let mut d = Decoder::new();
        assert_eq!(
            d.feed(&[1, 99, 5, 17, 26, 22, 2]).unwrap(),
            vec![
                FromVassal::Spawned,
                FromVassal::Accepting,
                FromVassal::Loyal,
                FromVassal::Heartbeat,
                FromVassal::VoluntaryShutdown,
                FromVassal::ConfigRequest,
            ]
        );
    }

    #[test]
    fn reports_across_partial_reads() {
        let report = Report {
            event: Event::ReloadFailed,
            message: "app.ini:3: unknown \"socket\" form".into(),
            origin: Some("app.ini:3".into()),
        };
        let mut wire = vec![1];
        wire.extend(report.encode());
        wire.push(5);
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for b in &wire {
            got.extend(d.feed(std::slice::from_ref(b)).unwrap());
        }
        assert_eq!(
            got,
            vec![
                FromVassal::Spawned,
                FromVassal::Report(report),
                FromVassal::Accepting
            ]
        );
    }

    #[test]
    fn malformed_reports_are_errors() {
        let mut d = Decoder::new();
        let mut wire = vec![REPORT];
        wire.extend_from_slice(&(u32::MAX).to_le_bytes());
        assert_eq!(
            d.feed(&wire),
            Err(LinkError::ReportTooLong(u32::MAX as usize))
        );
        let json = br#"{"event":"party"}"#;
        let mut wire = vec![REPORT];
        wire.extend_from_slice(&u32::try_from(json.len()).unwrap().to_le_bytes());
        wire.extend_from_slice(json);
        wire.push(5);
        assert!(matches!(d.feed(&wire), Err(LinkError::BadReport(_))));
        // The stream goes on after the bad report.
        assert_eq!(d.feed(&[]).unwrap(), vec![FromVassal::Accepting]);
    }

    #[test]
    fn config_framing_round_trip_and_limits() {
        let framed = frame_config(b"[uwsgi]\nsocket = :3031\n").unwrap();
        assert_eq!(framed[0], 115);
        let header: [u8; 4] = framed[..4].try_into().unwrap();
        assert_eq!(config_length(header).unwrap(), framed.len() - 4);
        assert_eq!(
            frame_config(&vec![b'x'; MAX_CONFIG + 1]),
            Err(LinkError::ConfigTooLarge(MAX_CONFIG + 1))
        );
        assert!(frame_config(&vec![b'x'; MAX_CONFIG]).is_ok());
        assert!(config_length([0, 1, 0, 0]).is_err());
    }

    #[test]
    fn to_vassal_bytes() {
        for m in [
            ToVassal::Stop,
            ToVassal::Reload,
            ToVassal::GracefulStop,
            ToVassal::ChainReload,
        ] {
            assert_eq!(ToVassal::from_byte(m.byte()), Some(m));
        }
        assert_eq!(ToVassal::from_byte(9), None);
    }
}
