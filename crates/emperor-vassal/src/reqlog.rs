//! The request log: uWSGI's default line, or a `log-format` template.
//!
//! `log-format` uses uWSGI's `%(name)` request variables: `addr`, `user`, `method`, `uri`,
//! `proto`, `status`, `size` (body bytes), `rsize` (all bytes), `hsize`, `headers`, `msecs`,
//! `micros`, `time` (unix), `ctime`, `ltime` (Apache style), `referer`, `uagent`, `host`,
//! `pid`, `wid`, `core`, `vars`, `pktsize`, and `var.NAME` for any request variable. An
//! unknown name is written as it stands. `log-x-forwarded-for` shows the first
//! `X-Forwarded-For` address as `addr`.
//!
//! Conditional logging is uWSGI's (`log_request` in `core/logging.c`): a request matching any
//! of `log-4xx`, `log-5xx`, `log-slow N` (took N ms or more), `log-big N` (a body of N bytes or
//! more) or `log-zero` (an empty body) is always logged; any other request is logged unless
//! `disable-logging` is set. The filters therefore only matter with `disable-logging`: with
//! it, exactly the matching requests are logged.

use emperor_proto::app::Vars;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Addr,
    User,
    Method,
    Uri,
    Proto,
    Status,
    Size,
    Rsize,
    Hsize,
    Headers,
    Msecs,
    Micros,
    Time,
    Ctime,
    Ltime,
    Referer,
    Uagent,
    Host,
    Pid,
    Wid,
    Core,
    Vars,
    Pktsize,
    Var(String),
}

/// How requests are logged.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    template: Option<Vec<Item>>,
    /// `disable-logging`.
    pub disabled: bool,
    /// `log-4xx`: log 4xx responses even when disabled.
    pub log_4xx: bool,
    /// `log-5xx`: log 5xx responses even when disabled.
    pub log_5xx: bool,
    /// `log-x-forwarded-for`.
    pub x_forwarded_for: bool,
    /// `log-slow`: log requests that took this many milliseconds or more.
    pub slow_ms: Option<u64>,
    /// `log-big`: log responses whose body has this many bytes or more.
    pub big: Option<u64>,
    /// `log-zero`: log responses without a body.
    pub zero: bool,
}

/// What is kept of a request for its log line (taken before the app consumes the request).
#[derive(Debug, Clone, Default)]
pub struct Captured {
    addr: String,
    user: String,
    method: String,
    uri: String,
    proto: String,
    referer: String,
    uagent: String,
    host: String,
    vars: Vec<(String, String)>,
    nvars: usize,
    pktsize: usize,
}

/// What is known once the response is sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Done {
    pub status: u16,
    pub body_bytes: u64,
    pub sent: u64,
    pub headers: usize,
    pub micros: u64,
    pub start_unix: u64,
    pub pid: u32,
    pub worker: usize,
    pub core: usize,
    pub worker_requests: u64,
    pub total_requests: u64,
}

fn text(v: Option<&[u8]>) -> String {
    v.map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

impl RequestLog {
    /// uWSGI's default line, or `format` (`log-format`).
    pub fn new(format: Option<&str>) -> RequestLog {
        RequestLog {
            template: format.map(parse_template),
            ..RequestLog::default()
        }
    }

    /// Whether any request can be logged at all.
    pub fn enabled(&self) -> bool {
        !self.disabled
            || self.log_4xx
            || self.log_5xx
            || self.slow_ms.is_some()
            || self.big.is_some()
            || self.zero
    }

    /// Takes what the line needs from the request.
    pub fn capture(&self, vars: &Vars, pktsize: usize) -> Captured {
        let mut addr = text(vars.get(b"REMOTE_ADDR"));
        if self.x_forwarded_for
            && let Some(xff) = vars.get(b"HTTP_X_FORWARDED_FOR")
        {
            let first = String::from_utf8_lossy(xff)
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            if !first.is_empty() {
                addr = first;
            }
        }
        let wanted: Vec<(String, String)> = self
            .template
            .iter()
            .flatten()
            .filter_map(|i| match i {
                Item::Var(name) => Some((name.clone(), text(vars.get(name.as_bytes())))),
                _ => None,
            })
            .collect();
        Captured {
            addr,
            user: text(vars.get(b"REMOTE_USER")),
            method: text(vars.get(b"REQUEST_METHOD")),
            uri: text(vars.get(b"REQUEST_URI").or_else(|| vars.get(b"PATH_INFO"))),
            proto: text(vars.get(b"SERVER_PROTOCOL")),
            referer: text(vars.get(b"HTTP_REFERER")),
            uagent: text(vars.get(b"HTTP_USER_AGENT")),
            host: text(vars.get(b"HTTP_HOST")),
            vars: wanted,
            nvars: vars.len(),
            pktsize,
        }
    }

    /// The line for a finished request, or `None` when it is not to be logged.
    pub fn line(&self, c: &Captured, d: &Done) -> Option<String> {
        let flagged = (self.zero && d.body_bytes == 0)
            || self.slow_ms.is_some_and(|ms| d.micros / 1000 >= ms)
            || (self.log_4xx && (400..500).contains(&d.status))
            || (self.log_5xx && (500..600).contains(&d.status))
            || self.big.is_some_and(|b| d.body_bytes >= b);
        if self.disabled && !flagged {
            return None;
        }
        let hsize = d.sent.saturating_sub(d.body_bytes);
        let msecs = d.micros / 1000;
        let Some(template) = &self.template else {
            return Some(format!(
                "[pid: {}|app: 0|req: {}/{}] {} ({}) {{{} vars in {} bytes}} [{}] {} {} => generated {} bytes in {} msecs ({} {}) {} headers in {} bytes (1 switches on core {})",
                d.pid,
                d.worker_requests,
                d.total_requests,
                c.addr,
                c.user,
                c.nvars,
                c.pktsize,
                emperor_sys::time::ctime(d.start_unix),
                c.method,
                c.uri,
                d.body_bytes,
                msecs,
                c.proto,
                d.status,
                d.headers,
                hsize,
                d.core,
            ));
        };
        let mut out = String::with_capacity(128);
        for item in template {
            match item {
                Item::Literal(s) => out.push_str(s),
                Item::Addr => out.push_str(&c.addr),
                Item::User => out.push_str(if c.user.is_empty() { "-" } else { &c.user }),
                Item::Method => out.push_str(&c.method),
                Item::Uri => out.push_str(&c.uri),
                Item::Proto => out.push_str(&c.proto),
                Item::Status => out.push_str(&d.status.to_string()),
                Item::Size => out.push_str(&d.body_bytes.to_string()),
                Item::Rsize => out.push_str(&d.sent.to_string()),
                Item::Hsize => out.push_str(&hsize.to_string()),
                Item::Headers => out.push_str(&d.headers.to_string()),
                Item::Msecs => out.push_str(&msecs.to_string()),
                Item::Micros => out.push_str(&d.micros.to_string()),
                Item::Time => out.push_str(&d.start_unix.to_string()),
                Item::Ctime => out.push_str(&emperor_sys::time::ctime(d.start_unix)),
                Item::Ltime => out.push_str(&emperor_sys::time::apache_time(d.start_unix)),
                Item::Referer => out.push_str(if c.referer.is_empty() {
                    "-"
                } else {
                    &c.referer
                }),
                Item::Uagent => out.push_str(if c.uagent.is_empty() { "-" } else { &c.uagent }),
                Item::Host => out.push_str(&c.host),
                Item::Pid => out.push_str(&d.pid.to_string()),
                Item::Wid => out.push_str(&(d.worker + 1).to_string()),
                Item::Core => out.push_str(&d.core.to_string()),
                Item::Vars => out.push_str(&c.nvars.to_string()),
                Item::Pktsize => out.push_str(&c.pktsize.to_string()),
                Item::Var(name) => {
                    if let Some((_, v)) = c.vars.iter().find(|(k, _)| k == name) {
                        out.push_str(v);
                    }
                }
            }
        }
        Some(out)
    }
}

fn parse_template(format: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut literal = String::new();
    let mut rest = format;
    while let Some(start) = rest.find("%(") {
        let Some(len) = rest[start + 2..].find(')') else {
            break;
        };
        literal.push_str(&rest[..start]);
        let name = &rest[start + 2..start + 2 + len];
        let item = match name {
            "addr" => Item::Addr,
            "user" => Item::User,
            "method" => Item::Method,
            "uri" => Item::Uri,
            "proto" => Item::Proto,
            "status" => Item::Status,
            "size" => Item::Size,
            "rsize" => Item::Rsize,
            "hsize" => Item::Hsize,
            "headers" => Item::Headers,
            "msecs" => Item::Msecs,
            "micros" => Item::Micros,
            "time" => Item::Time,
            "ctime" => Item::Ctime,
            "ltime" => Item::Ltime,
            "referer" => Item::Referer,
            "uagent" => Item::Uagent,
            "host" => Item::Host,
            "pid" => Item::Pid,
            "wid" => Item::Wid,
            "core" => Item::Core,
            "vars" => Item::Vars,
            "pktsize" => Item::Pktsize,
            other => match other.strip_prefix("var.") {
                Some(var) => Item::Var(var.to_owned()),
                None => {
                    literal.push_str(&rest[start..start + 3 + len]);
                    rest = &rest[start + 3 + len..];
                    continue;
                }
            },
        };
        if !literal.is_empty() {
            items.push(Item::Literal(std::mem::take(&mut literal)));
        }
        items.push(item);
        rest = &rest[start + 3 + len..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        items.push(Item::Literal(literal));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::new();
        for (k, val) in [
            ("REQUEST_METHOD", "GET"),
            ("REQUEST_URI", "/a?b=1"),
            ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("REMOTE_ADDR", "10.0.0.1"),
            ("HTTP_USER_AGENT", "curl/8"),
            ("HTTP_X_FORWARDED_FOR", "203.0.113.9, 10.0.0.1"),
            ("HTTP_X_REQUEST_ID", "abc"),
        ] {
            v.push(k.as_bytes(), val.as_bytes());
        }
        v
    }

    fn done(status: u16) -> Done {
        Done {
            status,
            body_bytes: 12,
            sent: 80,
            headers: 2,
            micros: 1500,
            start_unix: 0,
            pid: 7,
            worker: 0,
            core: 0,
            worker_requests: 1,
            total_requests: 3,
        }
    }

    #[test]
    fn template_variables_are_filled() {
        let log = RequestLog::new(Some(
            "%(addr) %(user) \"%(method) %(uri) %(proto)\" %(status) %(size) %(msecs)ms %(uagent) id=%(var.HTTP_X_REQUEST_ID) %(nope) %(wid)",
        ));
        let line = log.line(&log.capture(&vars(), 100), &done(200)).unwrap();
        assert_eq!(
            line,
            "10.0.0.1 - \"GET /a?b=1 HTTP/1.1\" 200 12 1ms curl/8 id=abc %(nope) 1"
        );
    }

    #[test]
    fn default_line_is_uwsgis() {
        let log = RequestLog::new(None);
        let line = log.line(&log.capture(&vars(), 100), &done(200)).unwrap();
        assert!(
            line.starts_with("[pid: 7|app: 0|req: 1/3] 10.0.0.1 () {7 vars in 100 bytes} ["),
            "{line}"
        );
        assert!(line.ends_with("] GET /a?b=1 => generated 12 bytes in 1 msecs (HTTP/1.1 200) 2 headers in 68 bytes (1 switches on core 0)"), "{line}");
    }

    #[test]
    fn disable_logging_keeps_errors_when_asked() {
        let log = RequestLog {
            disabled: true,
            log_5xx: true,
            ..RequestLog::new(None)
        };
        let c = log.capture(&vars(), 1);
        assert!(log.line(&c, &done(200)).is_none());
        assert!(log.line(&c, &done(404)).is_none());
        assert!(log.line(&c, &done(502)).is_some());
        assert!(
            RequestLog {
                disabled: true,
                ..RequestLog::new(None)
            }
            .line(&c, &done(500))
            .is_none()
        );
    }

    #[test]
    fn slow_big_and_zero_pick_requests_when_disabled() {
        let log = RequestLog {
            disabled: true,
            slow_ms: Some(100),
            big: Some(1000),
            ..RequestLog::new(None)
        };
        assert!(log.enabled());
        let c = log.capture(&vars(), 1);
        let mut d = done(200);
        assert!(log.line(&c, &d).is_none(), "fast and small");
        d.micros = 100_000;
        assert!(log.line(&c, &d).is_some(), "100 ms");
        d.micros = 99_999;
        d.body_bytes = 1000;
        assert!(log.line(&c, &d).is_some(), "1000 bytes");
        d.body_bytes = 0;
        assert!(log.line(&c, &d).is_none(), "empty body without log-zero");
        let zero = RequestLog {
            disabled: true,
            zero: true,
            ..RequestLog::new(None)
        };
        assert!(zero.line(&c, &d).is_some(), "empty body with log-zero");
        // Without disable-logging every request is logged, filters or not.
        let all = RequestLog {
            slow_ms: Some(100),
            ..RequestLog::new(None)
        };
        assert!(all.line(&c, &done(200)).is_some());
    }

    #[test]
    fn x_forwarded_for_replaces_addr() {
        let log = RequestLog {
            x_forwarded_for: true,
            ..RequestLog::new(Some("%(addr)"))
        };
        assert_eq!(
            log.line(&log.capture(&vars(), 1), &done(200)).unwrap(),
            "203.0.113.9"
        );
    }
}
