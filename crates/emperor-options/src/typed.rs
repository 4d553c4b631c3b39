//! Typed, validated configurations: [`VassalConfig`] and [`EmperorConfig`].
//!
//! Built from an [`Effective`] configuration; every error names the option's origin. Checks
//! of the host (users, groups, paths that must exist) depend on [`Mode`]: warnings for
//! `emperor check`, which may run on another machine than the one serving, errors when a
//! vassal or the emperor starts.

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Origin, Severity};
use crate::effective::{Effective, Item, Value};
use crate::table::{self, Scope};

/// The `CPython` this build embeds; a venv or `plugin` naming another version is refused.
pub const EMBEDDED_PYTHON: (u32, u32) = (3, 11);

/// Whether host checks warn (`emperor check`) or fail (starting for real).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Start,
}

/// What a listening socket is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketAddr {
    /// `host:port`, `:port` (all interfaces, host empty), `[::1]:port`.
    Tcp { host: String, port: u16 },
    /// A filesystem UNIX socket.
    Unix(PathBuf),
    /// `@name`: a Linux abstract UNIX socket.
    Abstract(String),
    /// `=N`: the Nth `shared-socket` (0-based).
    Shared(usize),
}

/// The protocol a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Uwsgi,
    Http,
}

/// One socket to listen on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSpec {
    /// As configured, e.g. `127.0.0.1:3031` (the stats document shows this).
    pub name: String,
    pub addr: SocketAddr,
    pub protocol: Protocol,
    /// The option that declared it (`socket`, `http-socket`…).
    pub option: &'static str,
    pub origin: Origin,
}

/// Where a WSGI app comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    /// `pkg.mod`, `pkg.mod:callable`, `pkg.mod:factory()`.
    Module {
        module: String,
        callable: Option<String>,
        factory: bool,
    },
    /// A `.py`/`.wsgi` file executed as a module.
    File(PathBuf),
}

/// One app to load, at a mountpoint (`""` for `module`/`wsgi-file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    pub mountpoint: String,
    pub source: AppSource,
    pub origin: Origin,
}

/// A vassal's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct VassalConfig {
    pub sockets: Vec<SocketSpec>,
    /// `protocol`: what inherited sockets speak (fd 0 from an on-demand emperor, systemd's).
    pub protocol: Protocol,
    pub shared_sockets: Vec<SocketSpec>,
    pub processes: u32,
    pub threads: u32,
    pub apps: Vec<AppSpec>,
    pub callable: String,
    pub chdir: Option<PathBuf>,
    pub pythonpath: Vec<String>,
    pub home: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    pub no_initgroups: bool,
    /// `chmod-socket`: the mode for UNIX sockets.
    pub chmod_socket: Option<u32>,
    /// `chown-socket`: `user[:group]`.
    pub chown_socket: Option<(String, Option<String>)>,
    pub listen: u32,
    pub buffer_size: u64,
    pub harakiri: u32,
    pub max_requests: u64,
    pub post_buffering: u64,
    pub socket_timeout: u32,
    pub lazy_apps: bool,
    pub need_app: bool,
    pub vacuum: bool,
    /// `no-defer-accept`: TCP listeners accept connections before their first bytes arrive.
    pub no_defer_accept: bool,
    /// `reuse-port`: each worker also accepts on its own `SO_REUSEPORT` socket.
    pub reuse_port: bool,
    pub manage_script_name: bool,
    pub stats: Option<String>,
    pub pidfile: Option<PathBuf>,
    pub logto: Option<PathBuf>,
    pub daemonize: Option<PathBuf>,
    pub disable_logging: bool,
    pub cheaper: u32,
    /// Static files served by the workers before the app (`static-map`, `check-static`…).
    pub static_files: StaticConfig,
}

/// How a static rule turns the request path into a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticKind {
    /// `check-static = DIR`: tried for every request, `/x` → `DIR/x`.
    Check,
    /// `static-map = /mount=DIR`: the mountpoint is replaced, `/mount/x` → `DIR/x`. `DIR`
    /// may be a file: then every path under the mountpoint names it.
    Map,
    /// `static-map2 = /mount=DIR`: the whole path is appended, `/mount/x` → `DIR/mount/x`.
    Map2,
}

/// One static rule: requests whose `PATH_INFO` starts with `mountpoint` are looked up under
/// `dir`. The match is a plain prefix, as in uWSGI (`/static` also matches `/staticx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticRule {
    pub kind: StaticKind,
    /// Empty for `check-static`.
    pub mountpoint: String,
    /// As configured: a relative path resolves against the worker's working directory
    /// (after `chdir`), when the first request needs it.
    pub dir: PathBuf,
    pub origin: Origin,
}

/// `static-expires-type[-mtime] = TYPE=SECONDS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiresRule {
    /// The content type, compared exactly (`text/css`).
    pub content_type: String,
    pub seconds: u64,
    /// `static-expires-type-mtime`: counted from the file's modification time, not from now.
    pub from_mtime: bool,
    pub origin: Origin,
}

/// What the workers serve from disk without calling the app.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StaticConfig {
    /// In uWSGI's order of checks: every `check-static`, then `static-map`, then
    /// `static-map2`, each in the order written.
    pub rules: Vec<StaticRule>,
    /// `static-index`: file names tried, in order, when a rule names a directory.
    pub index: Vec<String>,
    /// `static-skip-ext`: path suffixes never served statically (uWSGI compares the end of
    /// the path, so `.php` and `php` both work).
    pub skip_ext: Vec<String>,
    /// `static-safe`: directories a resolved file may also be in (symlinks leading out of a
    /// rule's directory).
    pub safe: Vec<PathBuf>,
    /// `static-expires-type`, then `static-expires-type-mtime`: the first rule naming the
    /// file's content type wins.
    pub expires: Vec<ExpiresRule>,
    /// `mimefile`: mime.types files read for content types. Empty: `/etc/mime.types` if it
    /// exists (uWSGI's default).
    pub mime_files: Vec<PathBuf>,
}

impl StaticConfig {
    /// Whether no static rule is configured (the workers then never look at the disk).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The Emperor's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct EmperorConfig {
    /// Vassal directories or globs (`emperor`, repeatable).
    pub dirs: Vec<String>,
    pub tyrant: bool,
    /// The emperor stats socket (`emperor-stats`, or `stats` in the emperor role).
    pub stats: Option<String>,
    pub pidfile: Option<PathBuf>,
    pub uid: Option<String>,
    pub gid: Option<String>,
    /// `emperor-freq`: seconds between full rescans.
    pub freq: u32,
}

/// A typed configuration: the role follows from the options.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Vassal(Box<VassalConfig>),
    Emperor(EmperorConfig),
}

/// Options that declare listening sockets.
const SOCKET_OPTIONS: &[&str] = &[
    "socket",
    "uwsgi-socket",
    "http-socket",
    "http11-socket",
    "http",
    "shared-socket",
    "https",
    "https-socket",
];

/// Whether a `plugins` value names the built-in Python (any version; versions are checked
/// separately).
pub fn is_python_plugin(name: &str) -> bool {
    let name = name.trim();
    let name = name.strip_suffix("_plugin.so").unwrap_or(name);
    name.strip_prefix("python")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

struct Builder<'e> {
    eff: &'e Effective,
    mode: Mode,
    /// Relative paths in host checks resolve against this directory (the vassal's cwd).
    cwd: &'e Path,
    diags: Vec<Diagnostic>,
}

impl Builder<'_> {
    fn error_hint(&mut self, origin: &Origin, message: String, hint: String) {
        self.diags
            .push(Diagnostic::error(origin.clone(), message).with_hint(hint));
    }

    fn host(&mut self, origin: &Origin, message: String, hint: Option<String>) {
        let severity = if self.mode == Mode::Check {
            Severity::Warning
        } else {
            Severity::Error
        };
        self.diags.push(Diagnostic {
            severity,
            origin: origin.clone(),
            message,
            hint,
        });
    }

    fn text_item(&self, name: &str) -> Option<(String, Origin)> {
        let item = self.eff.last(name)?;
        Some((item.value.render(), item.origin.clone()))
    }

    fn number(&self, name: &str) -> u64 {
        self.eff.number(name).unwrap_or(0)
    }

    fn small(&mut self, name: &str) -> u32 {
        u32::try_from(self.number(name)).unwrap_or(u32::MAX)
    }
}

/// Builds and validates the typed configuration.
pub fn build(eff: &Effective, mode: Mode, cwd: &Path) -> (Option<Typed>, Vec<Diagnostic>) {
    let mut b = Builder {
        eff,
        mode,
        cwd,
        diags: Vec::new(),
    };
    let emperor = eff.get("emperor");
    let socket = SOCKET_OPTIONS.iter().find_map(|o| eff.get(o));
    if let (Some(e), Some(s)) = (emperor, socket) {
        let e_origin = &e.items[0].origin;
        let s_origin = s.items[0].origin.clone();
        b.error_hint(
            &s_origin,
            format!("this configuration sets both `emperor` ({e_origin}) and `{}`: it cannot be both the Emperor and a vassal", s.def.name), "run the emperor and each app from separate files: put the app's options in a vassal file inside the emperor's directory".to_owned());
        return (None, b.diags);
    }
    let role = if emperor.is_some() {
        Scope::Emperor
    } else {
        Scope::Vassal
    };
    for setting in &eff.settings {
        let scope = setting.def.scope;
        if scope != Scope::Both && scope != role {
            let origin = setting.items[0].origin.clone();
            let (whose, ignores) = if role == Scope::Emperor {
                ("vassals", "the emperor")
            } else {
                ("the emperor", "a vassal")
            };
            let mut d = Diagnostic::warning(
                origin,
                format!(
                    "option `{}` is for {whose}; {ignores} ignores it",
                    setting.def.name
                ),
            );
            if role == Scope::Emperor {
                d = d.with_hint(format!(
                    "to set it for every vassal: `vassals-set = {}=VALUE`",
                    setting.def.name
                ));
            }
            b.diags.push(d);
        }
    }
    check_plugins(&mut b);
    let typed = if role == Scope::Emperor {
        Typed::Emperor(build_emperor(&mut b))
    } else {
        Typed::Vassal(Box::new(build_vassal(&mut b)))
    };
    let failed = b.diags.iter().any(Diagnostic::is_error);
    (if failed { None } else { Some(typed) }, b.diags)
}

fn check_plugins(b: &mut Builder<'_>) {
    let items: Vec<Item> = b.eff.items("plugins").to_vec();
    for item in items {
        let value = item.value.render();
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if is_python_plugin(name) {
                let version = name.trim_start_matches("python").replace('.', "");
                let (major, minor) = EMBEDDED_PYTHON;
                let embedded = format!("{major}{minor}");
                if !(version.is_empty() || version == "3" || version == embedded) {
                    b.error_hint(&item.origin, format!("plugin `{name}` asks for another Python than the embedded Python {major}.{minor}"), format!("emperor embeds Python {major}.{minor}: write `plugins = python3` and use a {major}.{minor} virtualenv"));
                }
            } else if name != "http" {
                b.diags.push(
                    Diagnostic::warning(
                        item.origin.clone(),
                        format!(
                            "plugin `{name}` is not available: emperor serves Python WSGI apps only"
                        ),
                    )
                    .with_hint("Python is built in; remove the other plugin names"),
                );
            }
        }
    }
}

fn build_emperor(b: &mut Builder<'_>) -> EmperorConfig {
    let dirs: Vec<(String, Origin)> = b
        .eff
        .items("emperor")
        .iter()
        .map(|i| (i.value.render(), i.origin.clone()))
        .collect();
    for (dir, origin) in &dirs {
        // A glob is checked through the directory before its first wildcard.
        let fixed: String = dir.split(['*', '?', '[']).next().unwrap_or("").to_owned();
        let base = if fixed.ends_with('/') || fixed == *dir {
            PathBuf::from(&fixed)
        } else {
            PathBuf::from(&fixed)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        };
        if !base.as_os_str().is_empty() && !b.cwd.join(&base).exists() {
            b.host(
                origin,
                format!("vassal directory `{}` does not exist", base.display()),
                Some(format!("create it: `mkdir -p {}`", base.display())),
            );
        }
    }
    check_user_group(b);
    EmperorConfig {
        dirs: dirs.into_iter().map(|(d, _)| d).collect(),
        tyrant: b.eff.flag("emperor-tyrant"),
        stats: b.eff.text("emperor-stats").or_else(|| b.eff.text("stats")),
        pidfile: b
            .eff
            .text("emperor-pidfile")
            .or_else(|| b.eff.text("pidfile"))
            .map(PathBuf::from),
        uid: b.eff.text("uid"),
        gid: b.eff.text("gid"),
        freq: b.small("emperor-freq"),
    }
}

fn check_user_group(b: &mut Builder<'_>) {
    if let Some((uid, origin)) = b.text_item("uid")
        && !emperor_sys::host::user_exists(&uid)
    {
        b.host(
            &origin,
            format!("user `{uid}` does not exist"),
            Some(format!(
                "create it (`useradd --system {uid}`) or name an existing user"
            )),
        );
    }
    if let Some((gid, origin)) = b.text_item("gid")
        && !emperor_sys::host::group_exists(&gid)
    {
        b.host(
            &origin,
            format!("group `{gid}` does not exist"),
            Some(format!(
                "create it (`groupadd --system {gid}`) or name an existing group"
            )),
        );
    }
}

/// A uwsgi-protocol socket on every interface: the protocol trusts its peer (it hands over
/// `REMOTE_ADDR`, `HTTPS`, `SCRIPT_NAME`… as it likes), so anyone who can reach the port
/// can pose as nginx. Warned, not refused (real configs are full of `socket = :3031`).
fn warn_open_uwsgi(b: &mut Builder<'_>, spec: &SocketSpec) {
    if spec.protocol != Protocol::Uwsgi {
        return;
    }
    if let SocketAddr::Tcp { host, .. } = &spec.addr
        && matches!(host.as_str(), "" | "0.0.0.0" | "::" | "[::]" | "*")
    {
        b.diags.push(
            Diagnostic::warning(
                spec.origin.clone(),
                format!(
                    "`{} = {}` speaks the uwsgi protocol on every interface: whoever reaches \
                     the port can pose as the web server (the protocol trusts its peer)",
                    spec.option, spec.name
                ),
            )
            .with_hint("bind it to 127.0.0.1 or a UNIX socket that only nginx can reach"),
        );
    }
}

fn build_vassal(b: &mut Builder<'_>) -> VassalConfig {
    let protocol_default = match b.eff.text("protocol").as_deref() {
        Some("http" | "http11") => Protocol::Http,
        Some("uwsgi") | None => Protocol::Uwsgi,
        Some(other) => {
            let origin = b
                .eff
                .last("protocol")
                .map_or(Origin::Builtin, |i| i.origin.clone());
            b.error_hint(
                &origin,
                format!("protocol `{other}` is not supported"),
                "emperor speaks `uwsgi` (nginx `uwsgi_pass`) and `http`".to_owned(),
            );
            Protocol::Uwsgi
        }
    };
    let mut shared_sockets = Vec::new();
    for item in b.eff.items("shared-socket").to_vec() {
        if let Some(spec) = parse_socket(b, "shared-socket", &item, Protocol::Uwsgi, 0) {
            shared_sockets.push(spec);
        }
    }
    let mut sockets = Vec::new();
    for (option, protocol) in [
        ("socket", protocol_default),
        ("uwsgi-socket", Protocol::Uwsgi),
        ("http-socket", Protocol::Http),
        ("http11-socket", Protocol::Http),
        ("http", Protocol::Http),
    ] {
        for item in b.eff.items(option).to_vec() {
            if let Some(spec) = parse_socket(b, option, &item, protocol, shared_sockets.len()) {
                warn_open_uwsgi(b, &spec);
                sockets.push(spec);
            }
        }
    }
    if let Some(item) = b.eff.last("cap") {
        b.diags.push(
            Diagnostic::warning(
                item.origin.clone(),
                "`cap` is not applied to a vassal: its processes keep no capability",
            )
            .with_hint("`cap` applies to the emperor (its own capabilities after `uid`)"),
        );
    }
    let processes = match b.small("processes") {
        0 => {
            if let Some(item) = b.eff.last("processes") {
                b.diags.push(Diagnostic::warning(
                    item.origin.clone(),
                    "`processes = 0` is read as 1",
                ));
            }
            1
        }
        n => n,
    };
    let threads = b.small("threads").max(1);
    let cheaper = b.small("cheaper");
    if cheaper > 0
        && cheaper >= processes
        && let Some(item) = b.eff.last("cheaper")
    {
        let origin = item.origin.clone();
        b.error_hint(
            &origin,
            format!("`cheaper = {cheaper}` must be less than `processes = {processes}`"),
            "cheaper is the number of workers kept when idle; raise `processes` or lower `cheaper`"
                .to_owned(),
        );
    }
    let chdir = b.text_item("chdir");
    if let Some((dir, origin)) = &chdir
        && !b.cwd.join(dir).is_dir()
    {
        b.host(
            origin,
            format!("`chdir` directory `{dir}` does not exist"),
            None,
        );
    }
    let apps = build_apps(b, chdir.as_ref().map(|(d, _)| Path::new(d.as_str())));
    let home = b.text_item("home");
    if let Some((home, origin)) = &home {
        let path = b.cwd.join(home);
        check_venv(b, &path, origin);
    }
    let mut env = Vec::new();
    for item in b.eff.items("env").to_vec() {
        let value = item.value.render();
        match value.split_once('=') {
            Some((k, v)) if !k.is_empty() => env.push((k.to_owned(), v.to_owned())),
            _ => b.error_hint(
                &item.origin,
                format!("`env = {value}` is not `NAME=VALUE`"),
                format!("write `env = {value}=...`"),
            ),
        }
    }
    let chmod_socket = b
        .eff
        .last("chmod-socket")
        .cloned()
        .and_then(|item| parse_chmod(b, &item));
    let chown_socket = b.text_item("chown-socket").map(|(v, origin)| {
        let (user, group) = match v.split_once(':') {
            Some((u, g)) => (u.to_owned(), Some(g.to_owned())),
            None => (v.clone(), None),
        };
        if !emperor_sys::host::user_exists(&user) {
            b.host(
                &origin,
                format!("`chown-socket` user `{user}` does not exist"),
                None,
            );
        }
        if let Some(g) = &group
            && !emperor_sys::host::group_exists(g)
        {
            b.host(
                &origin,
                format!("`chown-socket` group `{g}` does not exist"),
                None,
            );
        }
        (user, group)
    });
    check_user_group(b);
    let static_files = build_static(b, chdir.as_ref().map(|(d, _)| Path::new(d.as_str())));
    VassalConfig {
        protocol: protocol_default,
        sockets,
        shared_sockets,
        processes,
        threads,
        apps,
        callable: b
            .eff
            .text("callable")
            .unwrap_or_else(|| "application".to_owned()),
        chdir: chdir.map(|(d, _)| PathBuf::from(d)),
        pythonpath: b
            .eff
            .items("pythonpath")
            .iter()
            .map(|i| i.value.render())
            .collect(),
        home: home.map(|(h, _)| PathBuf::from(h)),
        env,
        uid: b.eff.text("uid"),
        gid: b.eff.text("gid"),
        no_initgroups: b.eff.flag("no-initgroups"),
        chmod_socket,
        chown_socket,
        listen: b.small("listen"),
        buffer_size: b.number("buffer-size"),
        harakiri: b.small("harakiri"),
        max_requests: b.number("max-requests"),
        post_buffering: b.number("post-buffering"),
        socket_timeout: b.small("socket-timeout"),
        lazy_apps: b.eff.flag("lazy-apps") || b.eff.flag("lazy"),
        need_app: b.eff.flag("need-app"),
        vacuum: b.eff.flag("vacuum"),
        no_defer_accept: b.eff.flag("no-defer-accept"),
        reuse_port: b.eff.flag("reuse-port"),
        manage_script_name: b.eff.flag("manage-script-name"),
        stats: b.eff.text("stats"),
        pidfile: b.eff.text("pidfile").map(PathBuf::from),
        logto: b.eff.text("logto").map(PathBuf::from),
        daemonize: b.eff.text("daemonize").map(PathBuf::from),
        disable_logging: b.eff.flag("disable-logging"),
        cheaper,
        static_files,
    }
}

/// Builds the static file rules. A directory that does not exist is only a warning, even
/// when starting: uWSGI resolves it at the first request, and deploys often create it after
/// the app starts (`collectstatic`); until then its requests go to the app.
fn build_static(b: &mut Builder<'_>, chdir: Option<&Path>) -> StaticConfig {
    let mut cfg = StaticConfig::default();
    let base = match chdir {
        Some(dir) => b.cwd.join(dir),
        None => b.cwd.to_path_buf(),
    };
    for item in b.eff.items("check-static").to_vec() {
        let dir = item.value.render();
        if dir.is_empty() {
            b.error_hint(
                &item.origin,
                "`check-static` needs a directory".to_owned(),
                "write `check-static = /srv/app/public`: `/x` is then served from `/srv/app/public/x`".to_owned(),
            );
            continue;
        }
        check_static_dir(b, &base, &dir, "check-static", &item.origin);
        cfg.rules.push(StaticRule {
            kind: StaticKind::Check,
            mountpoint: String::new(),
            dir: PathBuf::from(dir),
            origin: item.origin.clone(),
        });
    }
    for (option, kind) in [
        ("static-map", StaticKind::Map),
        ("static-map2", StaticKind::Map2),
    ] {
        for item in b.eff.items(option).to_vec() {
            let value = item.value.render();
            let Some((mountpoint, dir)) = value.split_once('=') else {
                b.error_hint(
                    &item.origin,
                    format!("`{option} = {value}` is not `MOUNTPOINT=DIR`"),
                    format!("write e.g. `{option} = /static=/srv/app/static`"),
                );
                continue;
            };
            if dir.is_empty() {
                b.error_hint(
                    &item.origin,
                    format!("`{option} = {value}` has no directory after `=`"),
                    format!("write e.g. `{option} = {mountpoint}=/srv/app{mountpoint}`"),
                );
                continue;
            }
            if !mountpoint.is_empty() && !mountpoint.starts_with('/') {
                b.diags.push(
                    Diagnostic::warning(
                        item.origin.clone(),
                        format!("`{option}` mountpoint `{mountpoint}` does not start with `/`: no request path matches it"),
                    )
                    .with_hint(format!("write `{option} = /{mountpoint}={dir}`")),
                );
            }
            check_static_dir(b, &base, dir, option, &item.origin);
            cfg.rules.push(StaticRule {
                kind,
                mountpoint: mountpoint.to_owned(),
                dir: PathBuf::from(dir),
                origin: item.origin.clone(),
            });
        }
    }
    cfg.index = nonempty(b, "static-index");
    cfg.skip_ext = nonempty(b, "static-skip-ext");
    cfg.safe = nonempty(b, "static-safe")
        .into_iter()
        .map(PathBuf::from)
        .collect();
    cfg.mime_files = nonempty(b, "mimefile")
        .into_iter()
        .map(PathBuf::from)
        .collect();
    for (option, from_mtime) in [
        ("static-expires-type", false),
        ("static-expires-type-mtime", true),
    ] {
        for item in b.eff.items(option).to_vec() {
            let value = item.value.render();
            let parsed = value
                .split_once('=')
                .filter(|(t, _)| !t.is_empty())
                .map(|(t, s)| (t, s.trim().parse::<u64>()));
            match parsed {
                Some((content_type, Ok(seconds))) => cfg.expires.push(ExpiresRule {
                    content_type: content_type.to_owned(),
                    seconds,
                    from_mtime,
                    origin: item.origin.clone(),
                }),
                Some((content_type, Err(_))) => b.error_hint(
                    &item.origin,
                    format!("`{option} = {value}`: the time after `=` is not a number of seconds"),
                    format!("write e.g. `{option} = {content_type}=86400`"),
                ),
                None => b.error_hint(
                    &item.origin,
                    format!("`{option} = {value}` is not `CONTENT-TYPE=SECONDS`"),
                    format!("write e.g. `{option} = text/css=86400`"),
                ),
            }
        }
    }
    if cfg.rules.is_empty() {
        for option in [
            "static-index",
            "static-skip-ext",
            "static-safe",
            "static-expires-type",
            "static-expires-type-mtime",
        ] {
            if let Some(item) = b.eff.items(option).first() {
                b.diags.push(
                    Diagnostic::warning(
                        item.origin.clone(),
                        format!("`{option}` has no effect without `static-map`, `static-map2` or `check-static`"),
                    ),
                );
            }
        }
    }
    cfg
}

/// The non-empty values of a list option; an empty one is warned about and dropped (an
/// empty `static-skip-ext` would otherwise match every path, as it does in uWSGI).
fn nonempty(b: &mut Builder<'_>, option: &str) -> Vec<String> {
    let mut out = Vec::new();
    for item in b.eff.items(option).to_vec() {
        let value = item.value.render();
        if value.is_empty() {
            b.diags.push(Diagnostic::warning(
                item.origin.clone(),
                format!("an empty `{option}` is ignored"),
            ));
        } else {
            out.push(value);
        }
    }
    out
}

fn check_static_dir(b: &mut Builder<'_>, base: &Path, dir: &str, option: &str, origin: &Origin) {
    let path = base.join(dir);
    if !path.exists() {
        b.diags.push(
            Diagnostic::warning(
                origin.clone(),
                format!("`{option}` path `{}` does not exist (yet): its requests go to the app until it does", path.display()),
            ),
        );
    }
}

fn parse_chmod(b: &mut Builder<'_>, item: &Item) -> Option<u32> {
    let raw = match &item.value {
        Value::Text(None) => return Some(0o666),
        v => v.render(),
    };
    if raw.is_empty() || raw == "1" || raw.eq_ignore_ascii_case("true") {
        return Some(0o666);
    }
    if (3..=4).contains(&raw.len()) && raw.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
        return u32::from_str_radix(&raw, 8).ok();
    }
    b.error_hint(
        &item.origin,
        format!("`chmod-socket = {raw}` is not a mode"),
        "write three octal digits, e.g. `660`".to_owned(),
    );
    None
}

/// Parses one socket value.
fn parse_socket(
    b: &mut Builder<'_>,
    option: &'static str,
    item: &Item,
    protocol: Protocol,
    shared: usize,
) -> Option<SocketSpec> {
    let name = item.value.render();
    let spec = |addr| SocketSpec {
        name: name.clone(),
        addr,
        protocol,
        option,
        origin: item.origin.clone(),
    };
    if name.is_empty() {
        b.error_hint(
            &item.origin,
            format!("`{option}` needs an address"),
            "e.g. `127.0.0.1:3031`, `:8000`, `/run/uwsgi/app.sock` or `@abstract`".to_owned(),
        );
        return None;
    }
    if let Some(n) = name.strip_prefix('=') {
        return match n.parse::<usize>() {
            Ok(i) if i < shared => Some(spec(SocketAddr::Shared(i))),
            Ok(_) => {
                let declared = match shared {
                    0 => "no `shared-socket` is declared".to_owned(),
                    1 => "only 1 `shared-socket` is declared".to_owned(),
                    count => format!("only {count} `shared-socket` lines are declared"),
                };
                b.error_hint(
                    &item.origin,
                    format!("`{option} = {name}` refers to shared socket {n}, but {declared}"),
                    "`=N` counts `shared-socket` lines from 0".to_owned(),
                );
                None
            }
            Err(_) => {
                b.error_hint(
                    &item.origin,
                    format!("`{option} = {name}` is not a shared socket reference"),
                    "write `=N`, N counting `shared-socket` lines from 0".to_owned(),
                );
                None
            }
        };
    }
    if let Some(abs) = name.strip_prefix('@') {
        return Some(spec(SocketAddr::Abstract(abs.to_owned())));
    }
    if option == "https" || option == "https-socket" {
        return None;
    }
    let Some(colon) = name.rfind(':') else {
        return Some(spec(SocketAddr::Unix(PathBuf::from(&name))));
    };
    if name.starts_with('/') || name.starts_with('.') {
        return Some(spec(SocketAddr::Unix(PathBuf::from(&name))));
    }
    let (host, port) = (&name[..colon], &name[colon + 1..]);
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let valid_host = host.is_empty()
        || host.parse::<std::net::IpAddr>().is_ok()
        || host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.');
    match port.parse::<u16>() {
        Ok(port) if valid_host => Some(spec(SocketAddr::Tcp {
            host: host.to_owned(),
            port,
        })),
        _ => {
            b.error_hint(
                &item.origin,
                format!("`{option} = {name}` is not a valid address"),
                "write `HOST:PORT`, `:PORT`, `[::1]:PORT`, a UNIX socket path or `@abstract`"
                    .to_owned(),
            );
            None
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Parses `pkg.mod[:callable[()]]`.
fn parse_module(value: &str) -> Option<AppSource> {
    let (module, callable) = match value.split_once(':') {
        Some((m, c)) => (m, Some(c)),
        None => (value, None),
    };
    if module.is_empty() || !module.split('.').all(is_identifier) {
        return None;
    }
    let (callable, factory) = match callable {
        Some(c) => match c.strip_suffix("()") {
            Some(f) => (Some(f), true),
            None => (Some(c), false),
        },
        None => (None, false),
    };
    if callable.is_some_and(|c| !is_identifier(c)) {
        return None;
    }
    Some(AppSource::Module {
        module: module.to_owned(),
        callable: callable.map(str::to_owned),
        factory,
    })
}

/// `app.py` (any case): a file, never a module named `py`.
fn is_py_file(value: &str) -> bool {
    Path::new(value)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("py"))
}

fn is_app_file(value: &str) -> bool {
    Path::new(value)
        .extension()
        .is_some_and(|e| e == "py" || e == "wsgi")
}

fn build_apps(b: &mut Builder<'_>, chdir: Option<&Path>) -> Vec<AppSpec> {
    let mut apps = Vec::new();
    let module = b.eff.last("module").cloned();
    let file = b.eff.last("wsgi-file").cloned();
    if let Some(item) = &module {
        let value = item.value.render();
        // `app.py` would parse as module `py` of package `app`; it is always a file meant.
        // `app.py` parses as module `py` of package `app`, but means the file; `proj.wsgi` is
        // the usual Django module and stays a module.
        match parse_module(&value).filter(|_| !is_py_file(&value)) {
            Some(source) => apps.push(AppSpec {
                mountpoint: String::new(),
                source,
                origin: item.origin.clone(),
            }),
            None => {
                let hint = if is_py_file(&value) {
                    format!("`{value}` is a file: write `wsgi-file = {value}`")
                } else {
                    "write `package.module`, `package.module:callable` or `package.module:factory()`".to_owned()
                };
                b.error_hint(
                    &item.origin,
                    format!("`module = {value}` is not a Python module name"),
                    hint,
                );
            }
        }
    }
    if let Some(item) = &file {
        let value = item.value.render();
        if module.is_some() {
            b.diags.push(
                Diagnostic::warning(item.origin.clone(), format!("both `module` and `wsgi-file` are set: the `module` app is loaded, `wsgi-file = {value}` is skipped"))
                    .with_hint("uWSGI does the same (`mountpoint already configured`); keep one of them"),
            );
        } else {
            check_app_file(b, &value, chdir, &item.origin);
            apps.push(AppSpec {
                mountpoint: String::new(),
                source: AppSource::File(PathBuf::from(&value)),
                origin: item.origin.clone(),
            });
        }
    }
    for item in b.eff.items("mount").to_vec() {
        let value = item.value.render();
        let Some((mountpoint, app)) = value.split_once('=') else {
            b.error_hint(
                &item.origin,
                format!("invalid mount `{value}`"),
                "write `MOUNTPOINT=APP`, e.g. `/app1=app1.py` or `/api=api.wsgi:app`".to_owned(),
            );
            continue;
        };
        let source = if is_app_file(app) {
            check_app_file(b, app, chdir, &item.origin);
            Some(AppSource::File(PathBuf::from(app)))
        } else {
            parse_module(app)
        };
        match source {
            Some(source) => apps.push(AppSpec {
                mountpoint: mountpoint.to_owned(),
                source,
                origin: item.origin.clone(),
            }),
            None => b.error_hint(
                &item.origin,
                format!(
                    "invalid mount `{value}`: `{app}` is neither a .py/.wsgi file nor a module"
                ),
                "write `MOUNTPOINT=package.module:callable` or `MOUNTPOINT=file.py`".to_owned(),
            ),
        }
    }
    apps
}

fn check_app_file(b: &mut Builder<'_>, value: &str, chdir: Option<&Path>, origin: &Origin) {
    let path = match chdir {
        Some(dir) => b.cwd.join(dir).join(value),
        None => b.cwd.join(value),
    };
    if !path.is_file() {
        b.host(
            origin,
            format!("WSGI file `{}` does not exist", path.display()),
            None,
        );
    }
}

/// Checks a virtualenv: it exists, and its `pyvenv.cfg` names the embedded Python version.
fn check_venv(b: &mut Builder<'_>, home: &Path, origin: &Origin) {
    if !home.is_dir() {
        b.host(
            origin,
            format!("virtualenv `{}` does not exist", home.display()),
            Some("create it with `/usr/bin/python3 -m venv DIR`".to_owned()),
        );
        return;
    }
    let Ok(cfg) = std::fs::read_to_string(home.join("pyvenv.cfg")) else {
        return;
    };
    let version = cfg.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        matches!(k.trim(), "version" | "version_info").then(|| v.trim().to_owned())
    });
    if let Some(version) = version {
        let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
        let (major, minor) = (parts.next().flatten(), parts.next().flatten());
        let (em, en) = EMBEDDED_PYTHON;
        if (major, minor) != (Some(em), Some(en)) {
            b.host(
                origin,
                format!("virtualenv `{}` was made with Python {version}, but emperor embeds Python {em}.{en}", home.display()),
                Some(format!("recreate it with `/usr/bin/python3 -m venv {}`", home.display())),
            );
        }
    }
}

/// Whether `name` is an option that declares a socket.
pub fn is_socket_option(name: &str) -> bool {
    table::lookup(name).is_some_and(|d| SOCKET_OPTIONS.contains(&d.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Checked, Context};

    /// `emperor ARGS…` checked in `mode`, cwd a fresh temp dir holding `static/` and `app/`.
    fn argv(mode: Mode, args: &[&str]) -> (Checked, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("static")).unwrap();
        std::fs::create_dir_all(dir.path().join("app/media")).unwrap();
        let mut ctx = Context::current();
        ctx.cwd = dir.path().to_path_buf();
        ctx.env.clear();
        let args: Vec<String> = ["emperor", "--http-socket", ":0"]
            .iter()
            .chain(args)
            .map(|s| (*s).to_owned())
            .collect();
        (crate::from_command_line(&ctx, &args, mode), dir)
    }

    fn statics(checked: &Checked) -> &StaticConfig {
        match &checked.typed {
            Some(Typed::Vassal(v)) => &v.static_files,
            other => panic!("not a vassal: {other:?}\n{:?}", checked.diagnostics),
        }
    }

    fn messages(checked: &Checked) -> Vec<String> {
        checked
            .diagnostics
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn static_rules_in_uwsgi_order() {
        let (c, _d) = argv(
            Mode::Start,
            &[
                "--static-map2",
                "/m2=static",
                "--static-map",
                "/static=static",
                "--check-static",
                "static",
                "--static-map",
                "/favicon.ico=static/favicon.ico",
                "--static-index",
                "index.html",
                "--static-skip-ext",
                ".php",
                "--static-safe",
                "/usr/share",
                "--static-expires-type",
                "text/css=3600",
                "--static-expires-type-mtime",
                "image/png=60",
                "--mimefile",
                "/etc/mime.types",
            ],
        );
        let s = statics(&c);
        let rules: Vec<(StaticKind, &str, &Path)> = s
            .rules
            .iter()
            .map(|r| (r.kind, r.mountpoint.as_str(), r.dir.as_path()))
            .collect();
        assert_eq!(
            rules,
            [
                (StaticKind::Check, "", Path::new("static")),
                (StaticKind::Map, "/static", Path::new("static")),
                (
                    StaticKind::Map,
                    "/favicon.ico",
                    Path::new("static/favicon.ico")
                ),
                (StaticKind::Map2, "/m2", Path::new("static")),
            ]
        );
        assert_eq!(s.index, ["index.html"]);
        assert_eq!(s.skip_ext, [".php"]);
        assert_eq!(s.safe, [PathBuf::from("/usr/share")]);
        assert_eq!(s.mime_files, [PathBuf::from("/etc/mime.types")]);
        let expires: Vec<(&str, u64, bool)> = s
            .expires
            .iter()
            .map(|e| (e.content_type.as_str(), e.seconds, e.from_mtime))
            .collect();
        assert_eq!(
            expires,
            [("text/css", 3600, false), ("image/png", 60, true)]
        );
        // `static/favicon.ico` does not exist: a warning, never an error.
        let m = messages(&c);
        assert!(
            m.iter().any(|m| m.contains("does not exist (yet)")),
            "{m:#?}"
        );
        assert!(!c.has_errors(), "{m:#?}");
    }

    /// (case, arguments, an error or warning the diagnostics must contain, is it an error).
    #[test]
    fn static_option_diagnostics() {
        let rows: &[(&str, &[&str], &str, bool)] = &[
            (
                "static-map without =",
                &["--static-map", "/static"],
                "`static-map = /static` is not `MOUNTPOINT=DIR`",
                true,
            ),
            (
                "static-map2 without =",
                &["--static-map2", "static"],
                "`static-map2 = static` is not `MOUNTPOINT=DIR`",
                true,
            ),
            (
                "static-map without a directory",
                &["--static-map", "/static="],
                "has no directory after `=`",
                true,
            ),
            (
                "check-static empty",
                &["--check-static", ""],
                "`check-static` needs a directory",
                true,
            ),
            (
                "mountpoint without a slash",
                &["--static-map", "static=static"],
                "mountpoint `static` does not start with `/`",
                false,
            ),
            (
                "missing directory",
                &["--static-map", "/media=nowhere"],
                "does not exist (yet)",
                false,
            ),
            (
                "expires without =",
                &[
                    "--static-map",
                    "/s=static",
                    "--static-expires-type",
                    "text/css",
                ],
                "is not `CONTENT-TYPE=SECONDS`",
                true,
            ),
            (
                "expires not a number",
                &[
                    "--static-map",
                    "/s=static",
                    "--static-expires-type",
                    "text/css=1h",
                ],
                "is not a number of seconds",
                true,
            ),
            (
                "empty skip-ext",
                &["--static-map", "/s=static", "--static-skip-ext", ""],
                "an empty `static-skip-ext` is ignored",
                false,
            ),
            (
                "index without any rule",
                &["--static-index", "index.html"],
                "`static-index` has no effect without `static-map`",
                false,
            ),
        ];
        for (case, args, needle, is_error) in rows {
            let (c, _d) = argv(Mode::Start, args);
            let found = c
                .diagnostics
                .iter()
                .find(|d| d.message.contains(needle) || d.to_string().contains(needle));
            let Some(d) = found else {
                panic!("{case}: no `{needle}` in {:#?}", messages(&c));
            };
            assert_eq!(d.is_error(), *is_error, "{case}: {d}");
            assert!(
                !matches!(d.origin, Origin::Builtin),
                "{case}: the diagnostic names where the option was set"
            );
        }
    }

    #[test]
    fn static_map_with_a_space_is_an_unknown_key() {
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("app.ini");
        std::fs::write(
            &ini,
            "[uwsgi]\nhttp-socket = :0\nstatic-map /static=./static\n",
        )
        .unwrap();
        let mut ctx = Context::current();
        ctx.cwd = dir.path().to_path_buf();
        let c = crate::check_file(&ctx, &ini.display().to_string());
        let m = messages(&c);
        assert!(
            m.iter().any(|m| m.contains("a space where `=` belongs")),
            "{m:#?}"
        );
        assert!(statics(&c).is_empty());
    }
}
