//! The non-file sources: `UWSGI_*` environment variables and the command line.
//!
//! Command line (uWSGI's getopt grammar, core/init.c): `--key value`, `--key=value`, bare
//! flags, short aliases (`-s ADDR`, `-p4`, `-Mp 4`), `--` ends options. Words that are not
//! options are config files, loaded by extension after all options, as uWSGI does (so a file's
//! scalars override the command line's). Unlike uWSGI, `app.ini:section` works as a bare word.
//!
//! Environment (core/utils.c `parse_sys_envs`): `UWSGI_FOO_BAR=v` is option `foo-bar = v`,
//! read before the command line, except the variables uWSGI and the emperor link reserve.

use crate::diag::{Diagnostic, Origin};
use crate::load::{Format, Loader, split_section};
use crate::table::{self, Arg};

/// `UWSGI_*` variables that are not options.
const RESERVED_ENV: &[&str] = &[
    "UWSGI_RELOADS",
    "UWSGI_VASSALS_DIR",
    "UWSGI_EMPEROR_FD",
    "UWSGI_BROODLORD_NUM",
    "UWSGI_EMPEROR_FD_CONFIG",
    "UWSGI_EMPEROR_PROXY",
    "UWSGI_JAIL_PID",
    "UWSGI_ORIGINAL_PROC_NAME",
    "UWSGI_VASSAL_CONFIG_PATH",
];

/// Adds the options of `UWSGI_*` environment variables, in name order.
pub fn load_env<'a>(
    loader: &mut Loader<'_>,
    env: impl IntoIterator<Item = (&'a String, &'a String)>,
) {
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("UWSGI_") else {
            continue;
        };
        if rest.is_empty() || RESERVED_ENV.contains(&name.as_str()) {
            continue;
        }
        let key = rest.to_ascii_lowercase().replace('_', "-");
        loader.add(&key, Some(value), Origin::Env { var: name.clone() });
    }
}

/// Adds the options and config files of a command line. `args[0]` is the program name.
pub fn load_argv(loader: &mut Loader<'_>, args: &[String]) {
    load_argv_from(loader, args, 1);
}

/// As [`load_argv`], from word `first` on (the words before it are not options: a vassal's
/// `--vassal-of-emperor NAME`); origins keep their place in `args`.
pub fn load_argv_from(loader: &mut Loader<'_>, args: &[String], first: usize) {
    let mut files: Vec<(usize, &str)> = Vec::new();
    // Words after an option whose value is optional (`--chmod-socket 666`): getopt takes the
    // value only as `--chmod-socket=666`, so the word is a (failing) config file name.
    let mut optional_values: Vec<(usize, String)> = Vec::new();
    let mut i = first.max(1);
    let mut only_files = false;
    while i < args.len() {
        let word = args[i].as_str();
        let origin = Origin::Argv { index: i };
        if only_files || word == "-" || !word.starts_with('-') {
            files.push((i, word));
        } else if word == "--" {
            only_files = true;
        } else if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let Some(def) = table::lookup(name) else {
                unknown(loader, &format!("--{name}"), name, origin);
                // Its value, if the next word looks like one, goes with it: `--proceses 4`
                // is one mistake, not also a config file named `4`.
                let next = args.get(i + 1).map(String::as_str);
                if inline.is_none()
                    && next.is_some_and(|w| {
                        !w.starts_with('-') && Format::from_path(split_section(w).0).is_none()
                    })
                {
                    i += 1;
                }
                i += 1;
                continue;
            };
            let value = match (def.arg, inline) {
                (_, Some(v)) => Some(v.to_owned()),
                (Arg::Required, None) => {
                    i += 1;
                    if let Some(v) = args.get(i) {
                        Some(v.clone())
                    } else {
                        loader.diagnose(Diagnostic::error(
                            origin,
                            format!("`--{name}` needs a value"),
                        ));
                        break;
                    }
                }
                (Arg::None | Arg::Optional, None) => {
                    if def.arg == Arg::Optional
                        && let Some(next) = args.get(i + 1)
                        && !next.starts_with('-')
                        && Format::from_path(split_section(next).0).is_none()
                    {
                        optional_values.push((i + 1, name.to_owned()));
                    }
                    None
                }
            };
            loader.add(name, value.as_deref(), origin);
        } else {
            // A cluster of short options: `-M`, `-p4`, `-Mp 4`.
            let cluster: Vec<char> = word[1..].chars().collect();
            let mut j = 0;
            while j < cluster.len() {
                let c = cluster[j];
                let Some(def) = table::lookup_short(c) else {
                    unknown(loader, &format!("-{c}"), "", origin.clone());
                    break;
                };
                if def.arg == Arg::Required {
                    let rest: String = cluster[j + 1..].iter().collect();
                    let value = if rest.is_empty() {
                        i += 1;
                        args.get(i).cloned()
                    } else {
                        Some(rest)
                    };
                    match value {
                        Some(v) => loader.add(def.name, Some(&v), origin.clone()),
                        None => loader.diagnose(Diagnostic::error(
                            origin.clone(),
                            format!("`-{c}` (`--{}`) needs a value", def.name),
                        )),
                    }
                    break;
                }
                loader.add(def.name, None, origin.clone());
                j += 1;
            }
        }
        i += 1;
    }
    for (index, spec) in files {
        let origin = Origin::Argv { index };
        let (name, _) = split_section(spec);
        match Format::from_path(name) {
            Some(format) => loader.load_path(spec, Some(format), &origin),
            None => {
                let ext = std::path::Path::new(name)
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("");
                let hint = if ext.eq_ignore_ascii_case("py") || ext.eq_ignore_ascii_case("wsgi") {
                    format!(
                        "to serve a Python file write `--wsgi-file {name}`; a bare word must be a config file"
                    )
                } else if name.contains(':') || !name.contains('.') || name.contains('/') {
                    "config files end in `.ini`, `.xml`, `.json` or `.js`".to_owned()
                } else {
                    format!(
                        "to serve a module write `--module {name}`; a bare word must be a config file"
                    )
                };
                let hint = match optional_values.iter().find(|(at, _)| *at == index) {
                    Some((_, option)) => {
                        format!("`--{option}` takes its value only as `--{option}={spec}`")
                    }
                    None => hint,
                };
                loader.diagnose(
                    Diagnostic::error(
                        origin,
                        format!("unable to load configuration from `{spec}`"),
                    )
                    .with_hint(hint),
                );
            }
        }
    }
}

fn unknown(loader: &mut Loader<'_>, shown: &str, name: &str, origin: Origin) {
    let d = Diagnostic::error(origin, format!("unknown option `{shown}`"));
    let d = match table::suggest(name).filter(|_| !name.is_empty()) {
        Some(s) => d.with_hint(format!("did you mean `--{s}`?")),
        None => d.with_hint(
            "to set a placeholder from the command line, write `--set-placeholder NAME=VALUE`",
        ),
    };
    loader.diagnose(d);
}
