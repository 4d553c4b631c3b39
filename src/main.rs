//! The `emperor` binary: one program for every role.
//!
//! If the first argument is exactly `check`, `stats` or `top`, it is a subcommand with its own
//! parser. `--vassal-of-emperor NAME` first is how an emperor starts a vassal: the config comes
//! over the emperor link (`emperor_vassal::link`). Otherwise the whole command line is uWSGI's
//! flat option grammar and the role follows from the options: `emperor` present means the
//! Emperor, anything else a vassal (DESIGN, "Command line").

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use emperor_options::{Checked, Context, Diagnostic, Mode, Origin, Severity, Typed};
use emperor_proto::link::{EXIT_DO_NOT_RESPAWN, Event};
use emperor_vassal::link::EmperorLink;

mod ops;
mod stats_cli;
mod vassal;

const USAGE: &str = "\
emperor: uWSGI's Emperor and vassal runtime for Python WSGI apps

Roles (one program, chosen by the options, as in uWSGI):
  emperor FILE.ini|.xml|.json [OPTIONS]      a vassal: a master and workers serving one app
  emperor --emperor DIR [OPTIONS]            the Emperor: one vassal per file in DIR
  emperor /etc/emperor.ini                   either, from a file (`emperor = DIR` makes it the Emperor)

Commands:
  emperor check [--verbose] FILE[:section]...   validate config files, print the effective options
  emperor stats ADDR [--format json]            show a stats socket (vassal or Emperor) as a table
  emperor top ADDR [--interval SECS]            live view of a stats socket, like uwsgitop
  emperor --reload PIDFILE                      gracefully reload the instance whose pid is in PIDFILE
  emperor --stop PIDFILE                        gracefully stop it (SIGTERM: requests finish)
  emperor --version                             print the version

Most used vassal options (uWSGI's names and grammar):
  --socket ADDR           uwsgi protocol for nginx `uwsgi_pass` (HOST:PORT, /path.sock, @abstract)
  --http-socket ADDR      HTTP/1.1 served by the workers
  --module MOD[:APP]      the WSGI app (or --wsgi-file FILE, --callable NAME)
  --processes N, -p N     workers;  --threads N  Python threads per worker
  --home VENV             the app's virtualenv;  --chdir DIR  --pythonpath DIR
  --uid USER --gid GROUP  drop privileges;  --harakiri SECS  --max-requests N
  --stats ADDR            uWSGI's stats JSON (uwsgitop, `emperor stats`); --stats-http for /metrics
  --touch-reload FILE     reload when FILE changes;  --master-fifo PATH  uWSGI's FIFO letters

Most used Emperor options:
  --emperor DIR|GLOB      watch it (repeatable)
  --emperor-tyrant        run each vassal as its file's owner
  --emperor-stats ADDR    the Emperor's stats socket (every vassal, its state and workers)
  --vassal-set KEY=VALUE  a default for every vassal;  --vassals-include FILE  forced options

Every option and its status: docs/options.md, or `man emperor`.
";

fn main() -> ExitCode {
    // `std::env::args()` panics on an argument that is not UTF-8; say which one instead.
    let mut args = Vec::new();
    for (i, arg) in std::env::args_os().enumerate() {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!(
                    "emperor: error: argument {i} is not valid UTF-8: `{}`",
                    arg.to_string_lossy()
                );
                return ExitCode::from(2);
            }
        }
    }
    run(&args)
}

fn run(args: &[String]) -> ExitCode {
    match args.get(1).map(String::as_str) {
        Some("check") => check(&args[2..]),
        Some("stats") => stats_cli::stats(&args[2..]),
        Some("top") => stats_cli::top(&args[2..]),
        Some("--vassal-of-emperor") => vassal_of_emperor(args),
        Some("--help" | "-h" | "help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("--version" | "version") => {
            println!("emperor {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        None => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        Some(_) => serve(args),
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{d}");
    }
}

/// `emperor check FILE...`: like `nginx -t`. Effective options on stdout, diagnostics on
/// stderr, exit 1 on any error.
fn check(args: &[String]) -> ExitCode {
    let verbose = args.iter().any(|a| a == "--verbose" || a == "-v");
    let files: Vec<&String> = args
        .iter()
        .filter(|a| *a != "--verbose" && *a != "-v")
        .collect();
    if files.is_empty() {
        eprintln!(
            "emperor check: error: no config file given\n  hint: emperor check FILE[:section]..."
        );
        return ExitCode::from(2);
    }
    let ctx = Context::current();
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for (i, spec) in files.iter().enumerate() {
        let checked = emperor_options::check_file(&ctx, spec);
        print_diagnostics(&checked.diagnostics);
        let count = |s: Severity| {
            checked
                .diagnostics
                .iter()
                .filter(|d| d.severity == s)
                .count()
        };
        let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
        if errors > 0 {
            failed = true;
            eprintln!("{spec}: {errors} error(s), {warnings} warning(s)");
            continue;
        }
        eprintln!("{spec}: ok ({}, {warnings} warning(s))", role(&checked));
        if i > 0 {
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "; {spec}");
        let _ = write!(out, "{}", checked.effective.to_ini(verbose));
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn role(checked: &Checked) -> &'static str {
    match checked.typed {
        Some(Typed::Emperor(_)) => "emperor",
        _ => "vassal",
    }
}

/// The flat grammar: a vassal or the Emperor.
fn serve(args: &[String]) -> ExitCode {
    let ctx = Context::current();
    let checked = emperor_options::from_command_line(&ctx, args, Mode::Start);
    // `--reload PIDFILE`, `--stop PIDFILE`: client commands, run instead of serving.
    if let Some(code) = ops::run(&checked.effective) {
        return code;
    }
    print_diagnostics(&checked.diagnostics);
    if checked.has_errors() {
        return ExitCode::FAILURE;
    }
    match checked.typed {
        Some(Typed::Vassal(cfg)) => {
            // Started by a uWSGI emperor with a file of its own: the link only (its reloads
            // re-read the command line's files).
            let link = match EmperorLink::from_env(false) {
                Ok(link) => link,
                Err(e) => {
                    eprintln!("emperor: error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            exit_code(vassal::run(
                *cfg,
                &checked.effective,
                args,
                &ctx,
                None,
                link,
            ))
        }
        Some(Typed::Emperor(cfg)) => exit_code(emperor_supervisor::run(emperor_settings(
            &cfg,
            &checked.effective,
            &ctx,
        ))),
        None => ExitCode::FAILURE,
    }
}

/// `emperor --vassal-of-emperor NAME [OPTIONS…]`: a vassal started by an emperor. The config
/// comes over the config channel (or, after a reload's `exec`, from the previous master) and
/// is read as the file `UWSGI_VASSAL_CONFIG_PATH` names; options after NAME are loaded after
/// it. A config with errors exits 26 (do not respawn until the file changes) after a
/// `bad-config` report.
fn vassal_of_emperor(args: &[String]) -> ExitCode {
    let Some(name) = args.get(2).filter(|n| !n.is_empty() && !n.starts_with('-')) else {
        eprintln!(
            "emperor: error: `--vassal-of-emperor` needs the vassal's name\n  hint: this is how an emperor starts its vassals: `emperor --vassal-of-emperor NAME`"
        );
        return ExitCode::from(2);
    };
    // Who a fresh start of this vassal runs as: a reload checks a new `uid` against it.
    emperor_vassal::reload_check::record_start_ids();
    let link = match EmperorLink::from_env(true) {
        Ok(Some(link)) => link,
        Ok(None) => {
            eprintln!(
                "emperor: error: `--vassal-of-emperor` without an emperor (`{}` is not set)\n  hint: to run a vassal by hand, write `emperor {name}.ini`",
                emperor_proto::link::FD_VAR
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("emperor: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(path) = link.config_path().map(std::path::Path::to_path_buf) else {
        eprintln!(
            "emperor: error: `{}` is not set: the vassal cannot tell its config's format",
            emperor_proto::link::CONFIG_PATH_VAR
        );
        return ExitCode::FAILURE;
    };
    let bytes = match emperor_vassal::link::startup_config(&link) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("emperor: error: {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = Context::current();
    let checked = emperor_options::from_emperor(&ctx, &path, &bytes, args, Mode::Start);
    print_diagnostics(&checked.diagnostics);
    let refuse = |message: &str, origin: Option<String>| {
        let _ = link.report(Event::BadConfig, message, origin);
        exit_code(EXIT_DO_NOT_RESPAWN)
    };
    if let Some(first) = checked.diagnostics.iter().find(|d| d.is_error()) {
        let origin = match &first.origin {
            Origin::File { .. } => Some(first.origin.to_string()),
            _ => None,
        };
        return refuse(&first.message, origin);
    }
    if let Some(Typed::Vassal(cfg)) = &checked.typed
        && let Some((message, origin)) = emperor_vassal::reload_check::foreign_identity(
            cfg,
            &checked.effective,
            emperor_vassal::reload_check::start_ids(),
        )
    {
        eprintln!(
            "{}: error: {message}",
            origin.as_deref().unwrap_or("vassal")
        );
        let _ = link.report(Event::Refused, &message, origin);
        return exit_code(EXIT_DO_NOT_RESPAWN);
    }
    match checked.typed {
        Some(Typed::Vassal(cfg)) => exit_code(vassal::run(
            *cfg,
            &checked.effective,
            args,
            &ctx,
            Some(name),
            Some(link),
        )),
        _ => {
            let message = "an emperor's configuration cannot run as a vassal (sub-emperors are not implemented)";
            eprintln!("{}: error: {message}", path.display());
            refuse(message, Some(path.display().to_string()))
        }
    }
}

/// The vassal command-line words for the emperor's layering options, in uWSGI's order.
fn layer(eff: &emperor_options::Effective, options: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (option, flag) in options {
        for item in eff.items(option) {
            out.push((*flag).to_owned());
            out.push(item.value.render());
        }
    }
    out
}

/// The Emperor's settings from its typed config and the options the type does not carry.
fn emperor_settings(
    cfg: &emperor_options::EmperorConfig,
    eff: &emperor_options::Effective,
    ctx: &Context,
) -> emperor_supervisor::Settings {
    let secs = |name: &str, default: u64| Duration::from_secs(eff.number(name).unwrap_or(default));
    let millis =
        |name: &str, default: u64| Duration::from_millis(eff.number(name).unwrap_or(default));
    emperor_supervisor::Settings {
        monitors: cfg.dirs.clone(),
        tyrant: cfg.tyrant,
        tyrant_nofollow: eff.flag("emperor-tyrant-nofollow"),
        tyrant_initgroups: eff.flag("emperor-tyrant-initgroups"),
        stats: cfg.stats.clone(),
        stats_http: eff.flag("stats-http"),
        stats_minified: eff.flag("stats-minified"),
        chmod_socket: eff
            .text("chmod-socket")
            .and_then(|m| u32::from_str_radix(m.trim(), 8).ok()),
        pidfile: cfg.pidfile.clone(),
        uid: cfg.uid.clone(),
        gid: cfg.gid.clone(),
        caps: eff
            .text("cap")
            .map(|list| {
                list.split(',')
                    .filter_map(emperor_sys::privileges::capability)
                    .collect()
            })
            .unwrap_or_default(),
        freq: Duration::from_secs(u64::from(cfg.freq.max(1))),
        throttle: millis("emperor-throttle", 1000),
        max_throttle: millis("emperor-max-throttle", 180_000),
        min_uptime: secs("emperor-min-uptime", 10),
        required_heartbeat: Some(secs("emperor-required-heartbeat", 30)).filter(|d| !d.is_zero()),
        mercy: eff
            .number("reload-mercy")
            .map_or_else(|| secs("emperor-curse-tolerance", 30), Duration::from_secs),
        no_blacklist: eff.flag("emperor-no-blacklist"),
        extra_extensions: eff
            .items("emperor-extra-extension")
            .iter()
            .map(|i| i.value.render())
            .collect(),
        on_demand: emperor_supervisor::scan::OnDemand {
            dir: eff
                .text("emperor-on-demand-directory")
                .map(|d| ctx.cwd.join(d)),
            ext: eff.text("emperor-on-demand-extension"),
        },
        binary: ctx.binary.clone(),
        max_concurrent: (ctx.host.cpus * 2).max(2),
        vassal_env: Vec::new(),
        vassal_defaults: layer(
            eff,
            &[
                ("vassals-inherit-before", "--inherit"),
                ("vassals-include-before", "--include"),
                ("vassals-set", "--set"),
            ],
        ),
        vassal_overrides: layer(
            eff,
            &[
                ("vassals-inherit", "--inherit"),
                ("vassals-include", "--include"),
            ],
        ),
        cwd: ctx.cwd.clone(),
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
