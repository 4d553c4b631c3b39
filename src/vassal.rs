//! The vassal role: wires the Python runtime (`emperor-python`) into the master and workers
//! (`emperor-vassal`), which know apps only through the `Runtime` trait.

use std::io;
use std::time::Duration;

use emperor_options::typed::{AppSpec, VassalConfig};
use emperor_options::{Context, Effective};
use std::sync::Arc;

use emperor_proto::app::{App, Outcome, Request, Responder, ResponseInfo};
use emperor_python::{Apps, Interpreter, Setup, ThreadAttachment, WsgiApp, WsgiSettings};
use emperor_sys::process::{self, Forked};
use emperor_vassal::link::EmperorLink;
use emperor_vassal::master::MasterOptions;
use emperor_vassal::reqlog::RequestLog;
use emperor_vassal::static_files::StaticFiles;
use emperor_vassal::stats_server::StatsConfig;
use emperor_vassal::worker::{ThreadApps, WorkerSettings};
use emperor_vassal::{Runtime, log};

/// How long an idle HTTP keep-alive connection is kept open.
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(30);

/// Bodies up to this size are kept in memory when `post-buffering` is not set.
const DEFAULT_MEMORY_BODY: u64 = 1024 * 1024;

/// The app of one extra thread of a worker (`threads > 1`): the thread's Python thread state
/// lives as long as the app. Fields drop in order: the app first, then the thread state.
struct ThreadApp {
    app: WsgiApp,
    _attached: ThreadAttachment,
}

impl App for ThreadApp {
    fn call(&mut self, request: &mut Request, out: &mut dyn Responder) -> (Outcome, ResponseInfo) {
        self.app.call(request, out)
    }

    fn unlocked(&mut self, f: &mut dyn FnMut()) {
        self.app.unlocked(f);
    }
}

struct PythonRuntime {
    setup: Setup,
    interpreter: Option<Interpreter>,
    specs: Vec<AppSpec>,
    callable: String,
    apps: Option<Apps>,
    lazy: bool,
    wsgi: WsgiSettings,
}

impl PythonRuntime {
    fn interpreter(&self) -> Result<Interpreter, String> {
        self.interpreter
            .ok_or_else(|| "the Python interpreter is not initialized".to_owned())
    }
}

impl Runtime for PythonRuntime {
    type App = WsgiApp;

    fn start(&mut self) -> Result<(), String> {
        let interpreter = emperor_python::initialize(&self.setup).map_err(|e| e.to_string())?;
        self.interpreter = Some(interpreter);
        Ok(())
    }

    fn preload(&mut self) -> Result<(), String> {
        let interpreter = self.interpreter()?;
        self.apps = Some(
            interpreter
                .load_apps(&self.specs, &self.callable)
                .map_err(|e| e.to_string())?,
        );
        Ok(())
    }

    fn fork(&mut self, fork: &mut dyn FnMut() -> io::Result<Forked>) -> io::Result<Forked> {
        let interpreter = self.interpreter().map_err(io::Error::other)?;
        let pid = interpreter.fork(|| {
            fork().map(|f| match f {
                Forked::Child => 0,
                Forked::Parent { child } => child,
            })
        })?;
        Ok(if pid == 0 {
            Forked::Child
        } else {
            Forked::Parent { child: pid }
        })
    }

    fn worker_app(&mut self, worker_id: u32) -> Result<WsgiApp, String> {
        let interpreter = self.interpreter()?;
        interpreter.set_worker_id(worker_id);
        if self.lazy {
            self.apps = Some(
                interpreter
                    .load_apps(&self.specs, &self.callable)
                    .map_err(|e| e.to_string())?,
            );
        }
        interpreter.run_postfork();
        let apps = self.apps.clone().unwrap_or_else(Apps::empty);
        Ok(interpreter.worker(apps, &self.wsgi))
    }

    fn thread_apps(&mut self) -> Option<ThreadApps> {
        let interpreter = self.interpreter?;
        let apps = self.apps.clone().unwrap_or_else(Apps::empty);
        let settings = self.wsgi.clone();
        Some(Arc::new(move || {
            // This thread gets its own Python thread state for life, and the GIL with it.
            let attached = interpreter.attach_thread();
            let app = interpreter.worker(apps.clone(), &settings);
            Ok(Box::new(ThreadApp {
                app,
                _attached: attached,
            }) as Box<dyn App>)
        }))
    }

    fn threads(&self) -> usize {
        self.interpreter.map_or(1, |i| i.python_threads())
    }

    fn module_files(&mut self) -> Vec<std::path::PathBuf> {
        self.interpreter
            .map(|i| i.module_files())
            .unwrap_or_default()
    }
}

/// Runs a vassal to its end; returns the exit code. `name`: the vassal's name given by its
/// emperor (else it comes from the command line); `link`: that emperor's link.
pub fn run(
    cfg: VassalConfig,
    effective: &Effective,
    args: &[String],
    ctx: &Context,
    name: Option<&str>,
    link: Option<EmperorLink>,
) -> i32 {
    let log_name = name.map_or_else(|| vassal_name(args, &cfg), str::to_owned);
    let (log_settings, log_warnings) = match log_settings(&cfg, effective, ctx) {
        Ok(settings) => settings,
        Err(e) => {
            log::line(&format!("emperor: error: {e}"));
            return 1;
        }
    };
    if let Err(e) = log::configure(log_settings, &log_name) {
        log::line(&format!("emperor: error: {e}"));
        return 1;
    }
    emperor_python::set_log_sink(log::line);
    for warning in log_warnings {
        log::line(&warning);
    }
    if cfg.logto.is_none() && cfg.daemonize.is_some() {
        // Under an emperor, or re-executed by a reload, `daemonize` only logs (uWSGI turns
        // it into `logto`).
        let under_emperor = ctx.env.contains_key("UWSGI_EMPEROR_FD") || ctx.reloading;
        if !under_emperor && let Err(e) = process::daemonize_single_threaded() {
            log::line(&format!("emperor: error: failed to daemonize: {e}"));
            return 1;
        }
    }
    for (key, value) in &cfg.env {
        if let Err(e) = process::set_env(key, value) {
            log::line(&format!("emperor: error: `env = {key}=…`: {e}"));
            return 1;
        }
    }
    let options: Vec<(String, String)> = effective
        .settings
        .iter()
        .flat_map(|s| {
            s.items
                .iter()
                .map(move |i| (s.def.name.to_owned(), i.value.render()))
        })
        .collect();
    let pyargv = effective
        .text("pyargv")
        .map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let setup = Setup {
        home: cfg.home.clone(),
        pythonpath: cfg.pythonpath.clone(),
        program: args.first().map(Into::into).unwrap_or_default(),
        pyargv,
        options,
        processes: cfg.processes,
        threads: cfg.threads,
        master_pid: u32::try_from(process::pid()).unwrap_or(0),
    };
    let wsgi = WsgiSettings {
        manage_script_name: cfg.manage_script_name,
        multiprocess: cfg.processes > 1,
        multithread: cfg.threads > 1,
        node: ctx.host.hostname.clone().into_bytes(),
    };
    let static_files = (!cfg.static_files.is_empty()).then(|| {
        let mut files = StaticFiles::new(&cfg.static_files);
        for line in files.describe() {
            log::line(&line);
        }
        for line in files.load_mime_files(&cfg.static_files.mime_files) {
            log::line(&line);
        }
        files
    });
    let mut request_log = RequestLog::new(effective.text("log-format").as_deref());
    request_log.disabled = cfg.disable_logging;
    request_log.log_4xx = effective.flag("log-4xx");
    request_log.log_5xx = effective.flag("log-5xx");
    request_log.x_forwarded_for = effective.flag("log-x-forwarded-for");
    request_log.slow_ms = effective.number("log-slow").filter(|ms| *ms > 0);
    request_log.big = effective.number("log-big").filter(|b| *b > 0);
    request_log.zero = effective.flag("log-zero");
    let settings = WorkerSettings {
        buffer_size: usize::try_from(cfg.buffer_size).unwrap_or(4096).max(512),
        memory_body_limit: if cfg.post_buffering > 0 {
            cfg.post_buffering
        } else {
            DEFAULT_MEMORY_BODY
        },
        socket_timeout: Duration::from_secs(u64::from(cfg.socket_timeout.max(1))),
        keepalive_timeout: KEEPALIVE_TIMEOUT,
        harakiri: u64::from(cfg.harakiri),
        max_requests: cfg.max_requests,
        max_requests_delta: effective.number("max-requests-delta").unwrap_or(0),
        min_worker_lifetime: Duration::from_secs(
            effective.number("min-worker-lifetime").unwrap_or(10),
        ),
        reload_on_exception: effective.flag("reload-on-exception"),
        cpu_affinity: u32::try_from(effective.number("cpu-affinity").unwrap_or(0)).unwrap_or(0),
        reload_mercy: Duration::from_secs(effective.number("worker-reload-mercy").unwrap_or(60)),
        request_log,
        hostname: ctx.host.hostname.clone().into_bytes(),
        static_files,
        reuse_port: cfg.reuse_port,
        limit_post: effective.number("limit-post").unwrap_or(0),
        body_timeout: Duration::from_secs(effective.number("body-timeout").unwrap_or(20)),
        body_min_rate: effective.number("body-min-rate").unwrap_or(500),
        panic_path: std::env::var_os("EMPEROR_TEST_PANIC_PATH")
            .map(|p| std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()).to_vec()),
    };
    let runtime = PythonRuntime {
        setup,
        interpreter: None,
        specs: cfg.apps.clone(),
        callable: cfg.callable.clone(),
        apps: None,
        lazy: cfg.lazy_apps,
        wsgi,
    };
    let name = name.map_or_else(|| vassal_name(args, &cfg), str::to_owned);
    let procname_prefix = match (
        effective.text("procname-prefix-spaced"),
        effective.text("procname-prefix"),
    ) {
        (Some(spaced), _) => format!("{spaced} "),
        (None, Some(prefix)) => prefix,
        (None, None) => String::new(),
    };
    let stats = cfg.stats.clone().map(|addr| StatsConfig {
        addr,
        http: effective.flag("stats-http"),
        minified: effective.flag("stats-minified"),
        no_cores: effective.flag("stats-no-cores"),
        chmod: cfg.chmod_socket,
        timeout: Duration::from_secs(u64::from(cfg.socket_timeout.max(1))),
        memory_report: effective.flag("memory-report"),
    });
    let options = MasterOptions {
        name,
        procname_prefix,
        cwd: Some(ctx.cwd.clone()),
        args: args.to_vec(),
        touch_reload: effective
            .items("touch-reload")
            .iter()
            .map(|i| ctx.cwd.join(i.value.render()))
            .collect(),
        recycle: recycle(effective),
        master_fifo: effective
            .items("master-fifo")
            .first()
            .map(|i| ctx.cwd.join(i.value.render())),
        master_fifos: effective
            .items("master-fifo")
            .iter()
            .map(|i| ctx.cwd.join(i.value.render()))
            .collect(),
        touch_chain_reload: effective
            .items("touch-chain-reload")
            .iter()
            .map(|i| ctx.cwd.join(i.value.render()))
            .collect(),
        touch_workers_reload: effective
            .items("touch-workers-reload")
            .iter()
            .map(|i| ctx.cwd.join(i.value.render()))
            .collect(),
        harakiri_verbose: effective.flag("harakiri-verbose"),
        daemons: effective
            .items("attach-daemon")
            .iter()
            .map(|i| i.value.render())
            .collect(),
        more_daemons: effective
            .items("smart-attach-daemon")
            .iter()
            .chain(effective.items("smart-attach-daemon2"))
            .map(|i| emperor_vassal::master::SpecDaemon::Smart(i.value.render()))
            .chain(
                effective
                    .items("attach-daemon2")
                    .iter()
                    .map(|i| emperor_vassal::master::SpecDaemon::Keys(i.value.render())),
            )
            .collect(),
        heartbeat: effective
            .number("heartbeat")
            .filter(|s| *s > 0)
            .map(Duration::from_secs),
        idle: effective
            .number("idle")
            .filter(|s| *s > 0)
            .map(Duration::from_secs),
        die_on_idle: effective.flag("die-on-idle"),
        reload_mercy: effective.number("reload-mercy").map(Duration::from_secs),
        py_autoreload: effective
            .number("py-autoreload")
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .inspect(|_| {
                if cfg.lazy_apps {
                    log::line(
                        "*** WARNING: `py-autoreload` watches the modules the master imported: with `lazy-apps` the master imports no app module, so only touch-reload will see code changes ***",
                    );
                }
            }),
        cheaper: (cfg.cheaper > 0).then(|| {
            let min = cfg.cheaper as usize;
            emperor_vassal::master::Cheaper {
                min,
                initial: effective
                    .number("cheaper-initial")
                    .map_or(min, |n| usize::try_from(n).unwrap_or(min))
                    .max(min),
                step: effective
                    .number("cheaper-step")
                    .map_or(1, |n| usize::try_from(n).unwrap_or(1)),
                overload: effective
                    .number("cheaper-overload")
                    .map_or(3, |n| u32::try_from(n).unwrap_or(3))
                    .max(1),
            }
        }),
        harakiri_graceful: effective
            .number("harakiri-graceful-timeout")
            .filter(|t| *t > 0)
            .map(|t| {
                let signal = effective
                    .number("harakiri-graceful-signal")
                    .and_then(|s| i32::try_from(s).ok())
                    .unwrap_or(15);
                (signal, Duration::from_secs(t))
            }),
    };
    emperor_vassal::master::run(cfg, runtime, settings, options, stats, link)
}

/// The vassal's name for process titles: its config file's stem (`app` for `app.ini`, as
/// uWSGI's `%n`), or its first socket.
fn vassal_name(args: &[String], cfg: &VassalConfig) -> String {
    let config = args.iter().skip(1).find(|a| {
        let name = emperor_options::load::split_section(a).0;
        !a.starts_with('-') && emperor_options::load::Format::from_path(name).is_some()
    });
    let config = config.or_else(|| {
        args.windows(2)
            .find(|w| matches!(w[0].as_str(), "--ini" | "--xml" | "--json" | "--include"))
            .map(|w| &w[1])
    });
    match config {
        Some(c) => std::path::Path::new(emperor_options::load::split_section(c).0)
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        None => cfg
            .sockets
            .first()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
    }
}

/// The logging options (`logto`, `daemonize`, `logger`, `req-logger`, `log-date`,
/// `log-maxsize`, `log-backupname`, `touch-logreopen`), and warnings to log once the log is
/// set up. The log file is `logger = file:PATH`, else `logto`, else `daemonize`.
fn log_settings(
    cfg: &VassalConfig,
    effective: &Effective,
    ctx: &Context,
) -> Result<(log::Settings, Vec<String>), String> {
    let mut warnings = Vec::new();
    let mut file = None;
    let mut syslog = None;
    for item in effective.items("logger") {
        let value = item.value.render();
        if value.trim().contains(' ') {
            warnings.push(format!(
                "{}: named logger `{value}` ignored: only `log-route` (not supported) sends lines to a named logger",
                item.origin
            ));
            continue;
        }
        match log::Target::parse(&value).map_err(|e| format!("{}: `logger`: {e}", item.origin))? {
            log::Target::Stdio => {}
            log::Target::File(path) if file.is_none() => file = Some(ctx.cwd.join(path)),
            log::Target::Syslog { ident, facility } if syslog.is_none() => {
                syslog = Some((ident.unwrap_or_default(), facility));
            }
            _ => warnings.push(format!(
                "{}: `logger = {value}` ignored: one file and one syslog logger are supported",
                item.origin
            )),
        }
    }
    if syslog.is_none()
        && let Some(item) = effective.items("log-syslog").first()
    {
        let ident = item.value.render();
        let ident = if ident.is_empty() || ident == "true" {
            String::new()
        } else {
            ident
        };
        if let log::Target::Syslog { ident, facility } =
            log::Target::parse(&format!("syslog:{ident}"))
                .map_err(|e| format!("{}: `log-syslog`: {e}", item.origin))?
        {
            syslog = Some((ident.unwrap_or_default(), facility));
        }
    }
    if file.is_some() && syslog.is_some() {
        warnings.push(
            "`logger`: with both a file and syslog, this program's lines go to syslog and what the app prints to the file".to_owned(),
        );
    }
    let requests = match effective.items("req-logger") {
        [] => None,
        [item, rest @ ..] => {
            if !rest.is_empty() {
                warnings.push(format!(
                    "{}: only the first `req-logger` is used",
                    rest[0].origin
                ));
            }
            let value = item.value.render();
            Some(
                match log::Target::parse(&value)
                    .map_err(|e| format!("{}: `req-logger`: {e}", item.origin))?
                {
                    log::Target::File(path) => log::Target::File(ctx.cwd.join(path)),
                    other => other,
                },
            )
        }
    };
    let encoder = |name: &str| -> Result<Option<log::Encoder>, String> {
        effective
            .items(name)
            .first()
            .map(|i| {
                log::Encoder::parse(&i.value.render())
                    .map_err(|e| format!("{}: `{name}`: {e}", i.origin))
            })
            .transpose()
    };
    let paths = |name: &str| -> Vec<std::path::PathBuf> {
        effective
            .items(name)
            .iter()
            .map(|i| ctx.cwd.join(i.value.render()))
            .collect()
    };
    let settings = log::Settings {
        file: file
            .or_else(|| cfg.logto.clone())
            .or_else(|| cfg.daemonize.clone()),
        date: effective
            .last("log-date")
            .and_then(|i| log::Date::from_value(&i.value.render())),
        maxsize: effective.number("log-maxsize").filter(|n| *n > 0),
        backupname: effective.text("log-backupname").map(|p| ctx.cwd.join(p)),
        touch_reopen: paths("touch-logreopen"),
        touch_rotate: paths("touch-logrotate"),
        syslog,
        requests,
        encoder: encoder("log-encoder")?,
        req_encoder: encoder("log-req-encoder")?,
    };
    if settings.file.is_none()
        && (settings.maxsize.is_some()
            || !settings.touch_reopen.is_empty()
            || !settings.touch_rotate.is_empty())
    {
        warnings.push(
            "`log-maxsize`, `touch-logreopen` and `touch-logrotate` need a log file (`logto`): ignored".to_owned(),
        );
    }
    Ok((settings, warnings))
}

/// The recycling options, in bytes and durations.
fn recycle(effective: &Effective) -> emperor_vassal::master::Recycle {
    let megabytes = |name: &str| match effective.last(name).map(|i| &i.value) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(emperor_options::effective::Value::Megabytes(m)) if *m > 0.0 => {
            Some((m * 1024.0 * 1024.0) as u64)
        }
        _ => None,
    };
    emperor_vassal::master::Recycle {
        max_worker_lifetime: effective
            .number("max-worker-lifetime")
            .filter(|s| *s > 0)
            .map(Duration::from_secs),
        reload_on_rss: megabytes("reload-on-rss"),
        reload_on_as: megabytes("reload-on-as"),
        evil_reload_on_rss: megabytes("evil-reload-on-rss"),
        evil_reload_on_as: megabytes("evil-reload-on-as"),
        limit_as: megabytes("limit-as"),
        min_worker_lifetime: std::time::Duration::from_secs(
            effective.number("min-worker-lifetime").unwrap_or(10),
        ),
    }
}
