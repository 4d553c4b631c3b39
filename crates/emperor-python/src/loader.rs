//! Loading apps: `module`, `module:callable`, `module:factory()`, `wsgi-file`, `mount`.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use emperor_options::typed::{AppSource, AppSpec};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyModule, PyString};

use crate::error::Error;

/// One loaded app.
#[derive(Debug)]
pub(crate) struct LoadedApp {
    pub(crate) mountpoint: String,
    pub(crate) callable: Py<PyAny>,
}

/// The apps of a vassal, in load order, with the default one (uWSGI: the first whose
/// mountpoint is empty or starts with `/`). Cloning is cheap and needs no GIL.
#[derive(Debug, Clone, Default)]
pub struct Apps {
    apps: Arc<[LoadedApp]>,
    default: Option<usize>,
}

impl Apps {
    /// No app at all: every request is answered `500 Internal Server Error` and logs
    /// `--- no python application found, check your startup logs for errors ---`.
    pub fn empty() -> Apps {
        Apps::default()
    }

    pub fn len(&self) -> usize {
        self.apps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.apps.is_empty()
    }

    /// The mountpoints, in load order.
    pub fn mountpoints(&self) -> impl Iterator<Item = &str> + '_ {
        self.apps.iter().map(|a| a.mountpoint.as_str())
    }

    /// The index of the default app.
    pub fn default_app(&self) -> Option<usize> {
        self.default
    }

    pub(crate) fn get(&self, index: usize) -> &LoadedApp {
        &self.apps[index]
    }

    /// uWSGI's app selection: the app whose mountpoint equals `SCRIPT_NAME`, else the default.
    pub(crate) fn by_script_name(&self, script_name: &[u8]) -> Option<usize> {
        self.apps
            .iter()
            .position(|a| a.mountpoint.as_bytes() == script_name)
            .or(self.default)
    }

    /// `manage-script-name`: the app whose mountpoint (trailing `/` ignored, never empty) is
    /// the longest prefix of `path` ending at a `/` boundary, with that prefix's length.
    pub(crate) fn by_path_prefix(&self, path: &[u8]) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        for (i, app) in self.apps.iter().enumerate() {
            let mountpoint = app.mountpoint.as_bytes();
            let mountpoint = mountpoint.strip_suffix(b"/").unwrap_or(mountpoint);
            if mountpoint.is_empty() || best.is_some_and(|(_, len)| len >= mountpoint.len()) {
                continue;
            }
            let at_boundary =
                path.len() == mountpoint.len() || path.get(mountpoint.len()) == Some(&b'/');
            if path.starts_with(mountpoint) && at_boundary {
                best = Some((i, mountpoint.len()));
            }
        }
        best
    }
}

/// `(mountpoint, callable)` pairs.
type MountedApps<'py> = Vec<(String, Bound<'py, PyAny>)>;

enum Found<'py> {
    One(Bound<'py, PyAny>),
    /// A module-level `applications` dict: `{mountpoint: callable}`.
    Many(MountedApps<'py>),
}

pub(crate) fn load_apps(py: Python<'_>, specs: &[AppSpec], callable: &str) -> Result<Apps, Error> {
    let mut loaded: Vec<LoadedApp> = Vec::with_capacity(specs.len());
    let mut default = None;
    // SAFETY: PyInterpreterState_Get needs the GIL, which the caller's attach scope holds.
    let interpreter = unsafe { ffi::PyInterpreterState_Get() };
    for spec in specs {
        let started = Instant::now();
        let what = describe(&spec.source);
        if !spec.mountpoint.is_empty() {
            crate::say!("mounting {what} on {}", spec.mountpoint);
        }
        let found = load_one(py, &spec.source, callable).map_err(|traceback| Error::App {
            app: what.clone(),
            mountpoint: spec.mountpoint.clone(),
            traceback,
        })?;
        let entries = match found {
            Found::One(app) => vec![(spec.mountpoint.clone(), app)],
            Found::Many(apps) => {
                crate::say!("found a multiapp module...");
                apps
            }
        };
        for (mountpoint, app) in entries {
            let id = loaded.len();
            let is_default =
                default.is_none() && (mountpoint.is_empty() || mountpoint.starts_with('/'));
            if is_default {
                default = Some(id);
            }
            crate::say!(
                "WSGI app {id} (mountpoint='{mountpoint}') ready in {} seconds on interpreter {interpreter:p} pid: {}{}",
                started.elapsed().as_secs(),
                std::process::id(),
                if is_default { " (default app)" } else { "" },
            );
            loaded.push(LoadedApp {
                mountpoint,
                callable: app.unbind(),
            });
        }
    }
    Ok(Apps {
        apps: loaded.into(),
        default,
    })
}

/// `pkg.mod:callable` / `pkg.mod:factory()` / the file path, for messages.
fn describe(source: &AppSource) -> String {
    match source {
        AppSource::Module {
            module,
            callable: Some(c),
            factory: true,
        } => format!("{module}:{c}()"),
        AppSource::Module {
            module,
            callable: Some(c),
            factory: false,
        } => format!("{module}:{c}"),
        AppSource::Module {
            module,
            callable: None,
            ..
        } => module.clone(),
        AppSource::File(path) => path.display().to_string(),
    }
}

/// Loads one app; the error is the text to show (a Python traceback or a uWSGI-like message).
fn load_one<'py>(
    py: Python<'py>,
    source: &AppSource,
    default_callable: &str,
) -> Result<Found<'py>, String> {
    match source {
        AppSource::Module {
            module,
            callable,
            factory,
        } => {
            let m = py
                .import(module.as_str())
                .map_err(|e| format_exception(py, &e))?;
            if callable.is_none()
                && let Some(apps) = applications(&m)?
            {
                return Ok(Found::Many(apps));
            }
            let name = callable.as_deref().unwrap_or(default_callable);
            let place = format!("module {module}");
            let app = m
                .getattr(name)
                .map_err(|_| format!("unable to find \"{name}\" callable in {place}"))?;
            let app = if *factory {
                app.call0().map_err(|e| format_exception(py, &e))?
            } else {
                app
            };
            check_callable(app, name, &place).map(Found::One)
        }
        AppSource::File(path) => {
            let module = exec_file(py, path)?;
            let place = format!("file {}", path.display());
            let app = module.getattr(default_callable).map_err(|_| {
                format!("unable to find \"{default_callable}\" callable in {place}")
            })?;
            check_callable(app, default_callable, &place).map(Found::One)
        }
    }
}

fn check_callable<'py>(
    app: Bound<'py, PyAny>,
    name: &str,
    place: &str,
) -> Result<Bound<'py, PyAny>, String> {
    if app.is_callable() {
        Ok(app)
    } else {
        Err(format!("\"{name}\" must be a callable object in {place}"))
    }
}

/// A module's `applications` dict (uWSGI multi-app modules), when it has one.
fn applications<'py>(module: &Bound<'py, PyModule>) -> Result<Option<MountedApps<'py>>, String> {
    let Ok(dict) = module.getattr("applications") else {
        return Ok(None);
    };
    let Ok(dict) = dict.cast_into::<PyDict>() else {
        return Ok(None);
    };
    if dict.is_empty() {
        return Err(
            "you have to define at least one app in the applications dictionary".to_owned(),
        );
    }
    let mut apps = Vec::with_capacity(dict.len());
    for (key, value) in dict.iter() {
        let mountpoint = if let Ok(s) = key.cast::<PyString>() {
            s.to_string_lossy().into_owned()
        } else if let Ok(b) = key.cast::<PyBytes>() {
            String::from_utf8_lossy(b.as_bytes()).into_owned()
        } else {
            crate::say!("applications dictionary key must be a string, skipping.");
            continue;
        };
        // A string value names a callable of the module.
        let app = match value.cast::<PyString>() {
            Ok(name) => match module.getattr(name) {
                Ok(app) => app,
                Err(_) => {
                    crate::say!("skipping broken app {mountpoint}");
                    continue;
                }
            },
            Err(_) => value,
        };
        if !app.is_callable() {
            crate::say!("skipping broken app {mountpoint}");
            continue;
        }
        apps.push((mountpoint, app));
    }
    Ok(Some(apps))
}

/// Executes a `.py`/`.wsgi` file as module `uwsgi_file_<path with . and / as _>`, as uWSGI
/// names it.
fn exec_file<'py>(py: Python<'py>, path: &Path) -> Result<Bound<'py, PyAny>, String> {
    let name = format!("uwsgi_file_{}", pythonize(path));
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    if !absolute.is_file() {
        return Err(format!("failed to open python file {}", path.display()));
    }
    // Compiled from the source each time, never through a `__pycache__` file: a file edited
    // within the same second at the same size must not run stale bytecode after a reload
    // (uWSGI compiles the file too).
    let source = std::fs::read(&absolute)
        .map_err(|e| format!("failed to read python file {}: {e}", path.display()))?;
    let run = || -> PyResult<Bound<'py, PyAny>> {
        let builtins = py.import("builtins")?;
        let filename = absolute.to_string_lossy().into_owned();
        let code = builtins.getattr("compile")?.call1((
            PyBytes::new(py, &source),
            filename.as_str(),
            "exec",
            0,
            true,
        ))?;
        let module = py
            .import("types")?
            .getattr("ModuleType")?
            .call1((name.as_str(),))?;
        module.setattr("__file__", filename.as_str())?;
        let modules = py.import("sys")?.getattr("modules")?;
        modules.set_item(name.as_str(), &module)?;
        if let Err(e) = builtins
            .getattr("exec")?
            .call1((&code, module.getattr("__dict__")?))
        {
            let _ = modules.del_item(name.as_str());
            return Err(e);
        }
        Ok(module)
    };
    run().map_err(|e| format_exception(py, &e))
}

/// uWSGI's `uwsgi_pythonize`: `.` and `/` become `_`, a trailing `.py` is dropped.
fn pythonize(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_suffix(".py").unwrap_or(&text);
    text.replace(['.', '/'], "_")
}

/// The full traceback of `err`, as Python prints it (without a trailing newline).
pub(crate) fn format_exception(py: Python<'_>, err: &PyErr) -> String {
    py.import("traceback")
        .and_then(|tb| {
            tb.call_method1(
                "format_exception",
                (err.get_type(py), err.value(py), err.traceback(py)),
            )
        })
        .and_then(|lines| lines.extract::<Vec<String>>())
        .map_or_else(
            |_| err.to_string(),
            |lines| lines.concat().trim_end().to_owned(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pythonize_like_uwsgi() {
        assert_eq!(pythonize(Path::new("/srv/app/wsgi.py")), "_srv_app_wsgi");
        assert_eq!(pythonize(Path::new("app.wsgi")), "app_wsgi");
    }
}
