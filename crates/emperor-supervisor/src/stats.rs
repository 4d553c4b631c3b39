//! The emperor's stats: uWSGI's emperor JSON (always valid JSON), each vassal extended with
//! its state, last error, backoff and a summary of its workers, and the Prometheus text for
//! `GET /metrics` with `stats-http`.
//!
//! The worker summaries come from each vassal's own stats socket (the address it reported
//! over the link), read at request time with a short deadline and a size cap: a slow or
//! hostile vassal only loses its own summary.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::vassal::{Phase, Status};

/// How long a vassal's stats socket gets to answer.
const VASSAL_STATS_TIMEOUT: Duration = Duration::from_millis(500);
/// The most read from a vassal's stats socket.
const VASSAL_STATS_MAX: u64 = 4 * 1024 * 1024;

/// A vassal's workers, summarized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workers {
    pub count: u64,
    pub busy: u64,
    pub idle: u64,
    pub requests: u64,
    pub exceptions: u64,
}

impl Workers {
    /// Sums a vassal stats document (uWSGI's `workers[]`); `cheap` slots are not counted.
    pub fn from_stats(doc: &Value) -> Option<Workers> {
        let workers = doc.get("workers")?.as_array()?;
        let mut out = Workers::default();
        for w in workers {
            let status = w.get("status").and_then(Value::as_str).unwrap_or("");
            if status == "cheap" {
                continue;
            }
            out.count += 1;
            match status {
                "busy" => out.busy += 1,
                "idle" => out.idle += 1,
                _ => {}
            }
            out.requests += w.get("requests").and_then(Value::as_u64).unwrap_or(0);
            out.exceptions += w.get("exceptions").and_then(Value::as_u64).unwrap_or(0);
        }
        Some(out)
    }
}

/// Reads a vassal's stats socket (`host:port`, `/path` or `@abstract`). Nothing here can
/// block the emperor's thread: a UNIX connect is non-blocking (a stopped master's full
/// backlog is an error at once, not a wait), and the whole exchange has a deadline.
pub async fn query_vassal(address: &str) -> Option<Workers> {
    let read = async {
        let mut buf = Vec::new();
        if address.starts_with('@') || !address.contains(':') || address.starts_with('/') {
            let fd = emperor_sys::net::connect_unix_nonblocking(address).ok()?;
            let std = std::os::unix::net::UnixStream::from(fd);
            let mut s = tokio::net::UnixStream::from_std(std).ok()?;
            (&mut s)
                .take(VASSAL_STATS_MAX)
                .read_to_end(&mut buf)
                .await
                .ok()?;
        } else {
            let target = if address.starts_with(':') {
                format!("127.0.0.1{address}")
            } else {
                address.to_owned()
            };
            let mut s = tokio::net::TcpStream::connect(target).await.ok()?;
            (&mut s)
                .take(VASSAL_STATS_MAX)
                .read_to_end(&mut buf)
                .await
                .ok()?;
        }
        let doc: Value = serde_json::from_slice(&buf).ok()?;
        Workers::from_stats(&doc)
    };
    tokio::time::timeout(VASSAL_STATS_TIMEOUT, read)
        .await
        .ok()
        .flatten()
}

/// What the document is built from.
#[derive(Debug)]
pub struct Snapshot {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
    pub cwd: String,
    pub monitors: Vec<String>,
    pub tyrant: bool,
    pub vassals: Vec<(Status, Option<Workers>)>,
}

fn flag(b: bool) -> Value {
    Value::from(u8::from(b))
}

/// The emperor JSON: uWSGI's keys in uWSGI's order, then ours.
pub fn to_json(s: &Snapshot, minified: bool) -> String {
    let mut root = Map::new();
    root.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    root.insert("pid".into(), s.pid.into());
    root.insert("uid".into(), s.uid.into());
    root.insert("gid".into(), s.gid.into());
    root.insert("cwd".into(), s.cwd.clone().into());
    root.insert("emperor".into(), s.monitors.clone().into());
    root.insert("emperor_tyrant".into(), flag(s.tyrant));
    root.insert("throttle_level".into(), 0.into());
    let mut vassals = Vec::new();
    let mut blacklist = Vec::new();
    for (v, workers) in &s.vassals {
        let id = v
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut o = Map::new();
        o.insert("id".into(), id.clone().into());
        o.insert("pid".into(), v.pid.unwrap_or(-1).into());
        o.insert("born".into(), v.born.into());
        o.insert("last_mod".into(), v.last_mod.into());
        o.insert("last_heartbeat".into(), v.last_heartbeat.into());
        o.insert("loyal".into(), flag(v.loyal));
        o.insert("ready".into(), flag(v.ready));
        o.insert("accepting".into(), flag(v.accepting));
        o.insert("last_loyal".into(), v.last_loyal.into());
        o.insert("last_ready".into(), v.last_ready.into());
        o.insert("last_accepting".into(), v.last_accepting.into());
        o.insert("first_run".into(), v.first_run.into());
        o.insert("last_run".into(), v.last_run.into());
        o.insert("cursed".into(), v.cursed.into());
        o.insert("zerg".into(), 0.into());
        o.insert(
            "on_demand".into(),
            v.on_demand.clone().unwrap_or_default().into(),
        );
        o.insert("uid".into(), v.uid.into());
        o.insert("gid".into(), v.gid.into());
        o.insert("monitor".into(), v.monitor.clone().into());
        o.insert("respawns".into(), v.respawns.into());
        // Ours.
        o.insert("name".into(), v.name.clone().into());
        o.insert("path".into(), v.path.to_string_lossy().into_owned().into());
        o.insert("state".into(), v.phase.as_str().into());
        o.insert(
            "last_error".into(),
            v.last_error.clone().map_or(Value::Null, Value::from),
        );
        o.insert("backoff".into(), json!(v.backoff.as_secs_f64()));
        o.insert("next_attempt".into(), v.next_attempt.into());
        o.insert("attempts".into(), v.attempts.into());
        o.insert(
            "stats".into(),
            v.stats.clone().map_or(Value::Null, Value::from),
        );
        o.insert(
            "workers".into(),
            workers.as_ref().map_or(Value::Null, |w| {
                json!({
                    "count": w.count,
                    "busy": w.busy,
                    "idle": w.idle,
                    "requests": w.requests,
                    "exceptions": w.exceptions,
                })
            }),
        );
        vassals.push(Value::Object(o));
        if v.phase == Phase::Backoff {
            let mut b = Map::new();
            b.insert("id".into(), id.into());
            b.insert(
                "throttle_level".into(),
                u64::try_from(v.backoff.as_millis())
                    .unwrap_or(u64::MAX)
                    .into(),
            );
            b.insert("attempt".into(), v.attempts.into());
            b.insert("first_attempt".into(), v.first_run.into());
            b.insert("last_attempt".into(), v.last_run.into());
            blacklist.push(Value::Object(b));
        }
    }
    root.insert("vassals".into(), vassals.into());
    root.insert("blacklist".into(), blacklist.into());
    let root = Value::Object(root);
    let mut text = if minified {
        root.to_string()
    } else {
        serde_json::to_string_pretty(&root).unwrap_or_default()
    };
    text.push('\n');
    text
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The Prometheus text exposition: per-vassal gauges labelled `vassal="name"`.
pub fn to_prometheus(s: &Snapshot) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, u64)>| {
        let _ = writeln!(out, "# HELP emperor_{name} {help}");
        let _ = writeln!(out, "# TYPE emperor_{name} {kind}");
        for (labels, value) in rows {
            let _ = writeln!(out, "emperor_{name}{{{labels}}} {value}");
        }
    };
    let rows = |f: &dyn Fn(&Status, Option<&Workers>) -> u64| -> Vec<(String, u64)> {
        s.vassals
            .iter()
            .map(|(v, w)| (format!("vassal=\"{}\"", label(&v.name)), f(v, w.as_ref())))
            .collect()
    };
    family(
        "vassals",
        "gauge",
        "Vassal files the emperor governs.",
        vec![(String::new(), s.vassals.len() as u64)],
    );
    family(
        "vassal_up",
        "gauge",
        "1 when the vassal is running and accepting.",
        rows(&|v, _| u64::from(v.phase == Phase::Running && v.accepting)),
    );
    let states = [
        Phase::Pending,
        Phase::Starting,
        Phase::Running,
        Phase::Reloading,
        Phase::Stopping,
        Phase::Backoff,
        Phase::BadConfig,
        Phase::Refused,
        Phase::OnDemand,
    ];
    family(
        "vassal_state",
        "gauge",
        "The vassal's state (1 for the current one).",
        s.vassals
            .iter()
            .flat_map(|(v, _)| {
                states.iter().map(move |p| {
                    (
                        format!("vassal=\"{}\",state=\"{}\"", label(&v.name), p.as_str()),
                        u64::from(v.phase == *p),
                    )
                })
            })
            .collect(),
    );
    family(
        "vassal_respawns_total",
        "counter",
        "Times the vassal was started again or reloaded.",
        rows(&|v, _| v.respawns),
    );
    family(
        "vassal_backoff_seconds",
        "gauge",
        "The vassal's current backoff delay.",
        rows(&|v, _| v.backoff.as_secs()),
    );
    family(
        "vassal_workers",
        "gauge",
        "Workers of the vassal (from its stats socket).",
        rows(&|_, w| w.map_or(0, |w| w.count)),
    );
    family(
        "vassal_workers_busy",
        "gauge",
        "Busy workers of the vassal.",
        rows(&|_, w| w.map_or(0, |w| w.busy)),
    );
    family(
        "vassal_requests_total",
        "counter",
        "Requests served by the vassal's workers.",
        rows(&|_, w| w.map_or(0, |w| w.requests)),
    );
    out
}

/// Serves one stats connection: raw JSON (uWSGI, uwsgitop), or with `http` an HTTP/1.0
/// answer after reading the request (`GET /metrics` gets Prometheus text).
pub async fn serve<S>(
    mut stream: S,
    http: bool,
    minified: bool,
    snapshot: impl std::future::Future<Output = Snapshot>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let work = async {
        if http {
            let mut buf = vec![0u8; 2048];
            let n = stream.read(&mut buf).await.ok()?;
            let metrics = buf[..n].starts_with(b"GET /metrics");
            let snap = snapshot.await;
            let (kind, body) = if metrics {
                ("text/plain; version=0.0.4", to_prometheus(&snap))
            } else {
                ("application/json", to_json(&snap, minified))
            };
            let head = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await.ok()?;
            stream.write_all(body.as_bytes()).await.ok()?;
        } else {
            let body = to_json(&snapshot.await, minified);
            stream.write_all(body.as_bytes()).await.ok()?;
        }
        stream.shutdown().await.ok()
    };
    let _ = tokio::time::timeout(Duration::from_secs(4), work).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_summary_skips_cheap_slots() {
        let doc: Value = serde_json::from_str(
            r#"{"workers": [
                {"id": 1, "status": "idle", "requests": 5, "exceptions": 1},
                {"id": 2, "status": "busy", "requests": 7, "exceptions": 0},
                {"id": 3, "status": "cheap", "requests": 100}
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            Workers::from_stats(&doc),
            Some(Workers {
                count: 2,
                busy: 1,
                idle: 1,
                requests: 12,
                exceptions: 1
            })
        );
        assert_eq!(Workers::from_stats(&json!({"pid": 1})), None);
    }
}
