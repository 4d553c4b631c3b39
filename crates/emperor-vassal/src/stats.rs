//! The stats document: uWSGI 2.0's JSON, field for field and in its key order, so that
//! `uwsgitop` and monitoring scripts written for uWSGI read it unchanged; and the same numbers
//! in Prometheus' text exposition format for an HTTP client asking `/metrics`.
//!
//! Differences from uWSGI, on purpose: strings are JSON-escaped (uWSGI writes `cwd`, socket
//! names and mountpoints raw, so a quote in a path breaks its JSON); `locks` is an empty list
//! (emperor has none of uWSGI's locks); the request variables of in-flight requests are never
//! dumped (they carry cookies and credentials), so `cores[].vars` is always empty; per-app
//! counters are the worker's (a worker serves its apps from one set of counters).

use std::fmt::Write as _;

/// Everything the document shows, read from the scoreboard by the master.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub version: String,
    /// The vassal's name (Prometheus `vassal` label).
    pub vassal: String,
    pub listen_queue: u64,
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
    pub cwd: String,
    /// `attach-daemon` processes: (command, pid or 0, respawns). Shown only when configured,
    /// as uWSGI does.
    pub daemons: Vec<(String, u64, u64)>,
    pub sockets: Vec<SocketStats>,
    pub workers: Vec<WorkerStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketStats {
    pub name: String,
    pub proto: String,
    pub queue: u64,
    pub max_queue: u64,
    pub shared: bool,
    pub can_offload: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerStats {
    pub id: u64,
    pub pid: u64,
    pub accepting: u64,
    pub requests: u64,
    pub delta_requests: u64,
    pub exceptions: u64,
    pub harakiri_count: u64,
    /// `idle`, `busy`, `cheap` or `pause`.
    pub status: &'static str,
    pub rss: u64,
    pub vsz: u64,
    /// Microseconds.
    pub running_time: u64,
    pub last_spawn: u64,
    pub respawn_count: u64,
    pub tx: u64,
    /// Microseconds.
    pub avg_rt: u64,
    pub apps: Vec<AppStats>,
    pub cores: Vec<CoreStats>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppStats {
    pub id: u64,
    pub mountpoint: String,
    pub startup_time: u64,
    pub requests: u64,
    pub exceptions: u64,
    pub chdir: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoreStats {
    pub id: u64,
    pub requests: u64,
    pub in_request: u64,
    /// Unix time the current request started, while `in_request`.
    pub request_start: u64,
}

/// Appends `s` as a JSON string.
fn string(out: &mut String, s: &str) {
    out.push('"');
    escape_json_into(out, s);
    out.push('"');
}

/// Appends `s` escaped for the inside of a JSON string (also `log-encoder = json`).
pub(crate) fn escape_json_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A JSON writer producing uWSGI's layout: a tab per nesting level, one member per line (or
/// nothing at all when minified).
struct Json {
    out: String,
    minified: bool,
    depth: usize,
    /// Whether the current container already has a member (a comma is due).
    first: Vec<bool>,
}

enum V<'a> {
    N(u64),
    S(&'a str),
}

impl Json {
    fn new(minified: bool) -> Json {
        Json {
            out: String::with_capacity(4096),
            minified,
            depth: 0,
            first: vec![true],
        }
    }

    fn newline(&mut self) {
        if !self.minified {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push('\t');
            }
        }
    }

    fn separator(&mut self) {
        let first = self.first.last_mut().expect("inside a container");
        if !*first {
            self.out.push(',');
        }
        *first = false;
        self.newline();
    }

    fn key(&mut self, key: &str) {
        self.separator();
        string(&mut self.out, key);
        self.out.push(':');
    }

    fn field(&mut self, key: &str, value: &V<'_>) {
        self.key(key);
        match value {
            V::N(n) => {
                let _ = write!(self.out, "{n}");
            }
            V::S(s) => string(&mut self.out, s),
        }
    }

    fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.depth += 1;
        self.first.push(true);
    }

    fn close(&mut self, bracket: char) {
        self.depth -= 1;
        self.first.pop();
        self.newline();
        self.out.push(bracket);
    }

    fn open_field(&mut self, key: &str, bracket: char) {
        self.key(key);
        self.open(bracket);
    }

    fn open_item(&mut self) {
        self.separator();
        self.open('{');
    }
}

impl Snapshot {
    /// uWSGI's stats JSON (`stats-minified`: no whitespace; `stats-no-cores`: no `cores`).
    pub fn to_json(&self, minified: bool, with_cores: bool) -> String {
        let mut j = Json::new(minified);
        j.open('{');
        j.field("version", &V::S(&self.version));
        j.field("listen_queue", &V::N(self.listen_queue));
        j.field("listen_queue_errors", &V::N(0));
        j.field("signal_queue", &V::N(0));
        j.field("load", &V::N(self.listen_queue));
        j.field("pid", &V::N(u64::from(self.pid)));
        j.field("uid", &V::N(u64::from(self.uid)));
        j.field("gid", &V::N(u64::from(self.gid)));
        j.field("cwd", &V::S(&self.cwd));
        if !self.daemons.is_empty() {
            j.open_field("daemons", '[');
            for (cmd, pid, respawns) in &self.daemons {
                j.open_item();
                j.field("cmd", &V::S(cmd));
                j.field("pid", &V::N(*pid));
                j.field("respawns", &V::N(*respawns));
                j.close('}');
            }
            j.close(']');
        }
        j.open_field("locks", '[');
        j.close(']');
        j.open_field("sockets", '[');
        for s in &self.sockets {
            j.open_item();
            j.field("name", &V::S(&s.name));
            j.field("proto", &V::S(&s.proto));
            j.field("queue", &V::N(s.queue));
            j.field("max_queue", &V::N(s.max_queue));
            j.field("shared", &V::N(u64::from(s.shared)));
            j.field("can_offload", &V::N(u64::from(s.can_offload)));
            j.close('}');
        }
        j.close(']');
        j.open_field("workers", '[');
        for w in &self.workers {
            j.open_item();
            j.field("id", &V::N(w.id));
            j.field("pid", &V::N(w.pid));
            j.field("accepting", &V::N(w.accepting));
            j.field("requests", &V::N(w.requests));
            j.field("delta_requests", &V::N(w.delta_requests));
            j.field("exceptions", &V::N(w.exceptions));
            j.field("harakiri_count", &V::N(w.harakiri_count));
            j.field("signals", &V::N(0));
            j.field("signal_queue", &V::N(0));
            j.field("status", &V::S(w.status));
            j.field("rss", &V::N(w.rss));
            j.field("vsz", &V::N(w.vsz));
            j.field("running_time", &V::N(w.running_time));
            j.field("last_spawn", &V::N(w.last_spawn));
            j.field("respawn_count", &V::N(w.respawn_count));
            j.field("tx", &V::N(w.tx));
            j.field("avg_rt", &V::N(w.avg_rt));
            j.open_field("apps", '[');
            for a in &w.apps {
                j.open_item();
                j.field("id", &V::N(a.id));
                j.field("modifier1", &V::N(0));
                j.field("mountpoint", &V::S(&a.mountpoint));
                j.field("startup_time", &V::N(a.startup_time));
                j.field("requests", &V::N(a.requests));
                j.field("exceptions", &V::N(a.exceptions));
                j.field("chdir", &V::S(&a.chdir));
                j.close('}');
            }
            j.close(']');
            if with_cores {
                j.open_field("cores", '[');
                for c in &w.cores {
                    j.open_item();
                    j.field("id", &V::N(c.id));
                    j.field("requests", &V::N(c.requests));
                    j.field("static_requests", &V::N(0));
                    j.field("routed_requests", &V::N(0));
                    j.field("offloaded_requests", &V::N(0));
                    j.field("write_errors", &V::N(0));
                    j.field("read_errors", &V::N(0));
                    j.field("in_request", &V::N(c.in_request));
                    j.open_field("vars", '[');
                    j.close(']');
                    j.open_field("req_info", '{');
                    if c.in_request == 1 && c.request_start > 0 {
                        j.field("request_start", &V::N(c.request_start));
                    }
                    j.close('}');
                    j.close('}');
                }
                j.close(']');
            }
            j.close('}');
        }
        j.close(']');
        j.close('}');
        j.out
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn to_prometheus(&self) -> String {
        let mut out = String::with_capacity(4096);
        let vassal = label(&self.vassal);
        let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, u64)>| {
            let _ = writeln!(out, "# HELP emperor_{name} {help}");
            let _ = writeln!(out, "# TYPE emperor_{name} {kind}");
            for (labels, value) in rows {
                let _ = writeln!(out, "emperor_{name}{{{labels}}} {value}");
            }
        };
        let per_worker = |f: &dyn Fn(&WorkerStats) -> u64| -> Vec<(String, u64)> {
            self.workers
                .iter()
                .map(|w| (format!("vassal=\"{vassal}\",worker=\"{}\"", w.id), f(w)))
                .collect()
        };
        family(
            "worker_requests_total",
            "counter",
            "Requests handled by the worker slot.",
            per_worker(&|w| w.requests),
        );
        family(
            "worker_exceptions_total",
            "counter",
            "App exceptions in the worker slot.",
            per_worker(&|w| w.exceptions),
        );
        family(
            "worker_harakiri_total",
            "counter",
            "Harakiri kills of the worker slot.",
            per_worker(&|w| w.harakiri_count),
        );
        family(
            "worker_respawns_total",
            "counter",
            "Spawns of the worker slot.",
            per_worker(&|w| w.respawn_count),
        );
        family(
            "worker_transmitted_bytes_total",
            "counter",
            "Bytes sent by the worker slot.",
            per_worker(&|w| w.tx),
        );
        family(
            "worker_running_time_microseconds_total",
            "counter",
            "Time spent in requests.",
            per_worker(&|w| w.running_time),
        );
        family(
            "worker_busy",
            "gauge",
            "Whether the worker is handling a request.",
            per_worker(&|w| u64::from(w.status == "busy")),
        );
        family(
            "worker_average_response_microseconds",
            "gauge",
            "Running average response time.",
            per_worker(&|w| w.avg_rt),
        );
        family(
            "worker_rss_bytes",
            "gauge",
            "Resident memory (with memory-report).",
            per_worker(&|w| w.rss),
        );
        let apps: Vec<(String, u64)> = self
            .workers
            .iter()
            .flat_map(|w| w.apps.iter().map(move |a| (w.id, a)))
            .map(|(id, a)| {
                (
                    format!(
                        "vassal=\"{vassal}\",worker=\"{id}\",app=\"{}\"",
                        label(&a.mountpoint)
                    ),
                    a.requests,
                )
            })
            .collect();
        family(
            "app_requests_total",
            "counter",
            "Requests per app and worker.",
            apps,
        );
        let sockets: Vec<(String, u64)> = self
            .sockets
            .iter()
            .map(|s| {
                (
                    format!("vassal=\"{vassal}\",socket=\"{}\"", label(&s.name)),
                    s.queue,
                )
            })
            .collect();
        family(
            "socket_queue",
            "gauge",
            "Connections waiting in the listen queue.",
            sockets,
        );
        out
    }
}

/// Escapes a Prometheus label value.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot {
            version: "0.1.0".into(),
            vassal: "app".into(),
            listen_queue: 0,
            pid: 1000,
            uid: 1000,
            gid: 1000,
            cwd: "/srv/\"odd\"\npath".into(),
            daemons: Vec::new(),
            sockets: vec![SocketStats {
                name: "127.0.0.1:3031".into(),
                proto: "uwsgi".into(),
                queue: 0,
                max_queue: 100,
                shared: false,
                can_offload: false,
            }],
            workers: vec![WorkerStats {
                id: 1,
                pid: 1001,
                accepting: 1,
                status: "idle",
                last_spawn: 1_700_000_000,
                respawn_count: 1,
                apps: vec![AppStats {
                    mountpoint: String::new(),
                    ..AppStats::default()
                }],
                cores: vec![CoreStats::default()],
                ..WorkerStats::default()
            }],
        }
    }

    #[test]
    fn minified_json_matches_uwsgis_key_order() {
        let json = snapshot().to_json(true, true);
        assert_eq!(
            json,
            "{\"version\":\"0.1.0\",\"listen_queue\":0,\"listen_queue_errors\":0,\"signal_queue\":0,\"load\":0,\"pid\":1000,\"uid\":1000,\"gid\":1000,\"cwd\":\"/srv/\\\"odd\\\"\\npath\",\"locks\":[],\"sockets\":[{\"name\":\"127.0.0.1:3031\",\"proto\":\"uwsgi\",\"queue\":0,\"max_queue\":100,\"shared\":0,\"can_offload\":0}],\"workers\":[{\"id\":1,\"pid\":1001,\"accepting\":1,\"requests\":0,\"delta_requests\":0,\"exceptions\":0,\"harakiri_count\":0,\"signals\":0,\"signal_queue\":0,\"status\":\"idle\",\"rss\":0,\"vsz\":0,\"running_time\":0,\"last_spawn\":1700000000,\"respawn_count\":1,\"tx\":0,\"avg_rt\":0,\"apps\":[{\"id\":0,\"modifier1\":0,\"mountpoint\":\"\",\"startup_time\":0,\"requests\":0,\"exceptions\":0,\"chdir\":\"\"}],\"cores\":[{\"id\":0,\"requests\":0,\"static_requests\":0,\"routed_requests\":0,\"offloaded_requests\":0,\"write_errors\":0,\"read_errors\":0,\"in_request\":0,\"vars\":[],\"req_info\":{}}]}]}"
        );
    }

    #[test]
    fn pretty_json_uses_tabs_and_no_cores_drops_cores() {
        let json = snapshot().to_json(false, false);
        assert!(
            json.starts_with("{\n\t\"version\":\"0.1.0\",\n\t\"listen_queue\":0,"),
            "{json}"
        );
        assert!(json.contains("\n\t\"locks\":[\n\t],\n"), "{json}");
        assert!(!json.contains("cores"));
        assert!(json.ends_with("\n\t]\n}"), "{json}");
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut s = snapshot();
        s.cwd = "a\u{1}b\u{7f}".into();
        assert!(
            s.to_json(true, true)
                .contains("\"cwd\":\"a\\u0001b\\u007f\"")
        );
    }

    #[test]
    fn prometheus_has_labels_and_types() {
        let text = snapshot().to_prometheus();
        assert!(text.contains("# TYPE emperor_worker_requests_total counter\nemperor_worker_requests_total{vassal=\"app\",worker=\"1\"} 0\n"), "{text}");
        assert!(
            text.contains("emperor_socket_queue{vassal=\"app\",socket=\"127.0.0.1:3031\"} 0"),
            "{text}"
        );
    }
}
