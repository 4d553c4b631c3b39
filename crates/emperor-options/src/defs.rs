//! The option table's entries: every option of uWSGI 2.0 and 2.1, core and plugins, once.
//!
//! Aliases are folded into the entry of their canonical name: uWSGI names that share a handler
//! and a target variable (and so behave identically) are one option here. The docs are ours,
//! one line each; unsupported entries of a uWSGI plugin with an empty reason take the reason of
//! their group from `GROUP_REASONS`.
//!
//! Generated once from uWSGI's option tables, then curated by hand: edit it as code.

use crate::table::{Arg, Kind, OptionDef, Scope, opt};

/// Every option, grouped by what it is for.
pub const OPTIONS: &[OptionDef] = &[
    // --- config language ---
    opt("ini", Kind::Directive)
        .scope(Scope::Both)
        .doc("read options from an INI file (`file.ini`, `file.ini:section` or `:section`)")
        .implemented(),
    opt("xml", Kind::Directive)
        .aliases(&["xmlconfig"])
        .short('x')
        .scope(Scope::Both)
        .doc("read options from an XML file (the `<uwsgi>` element, or `file.xml:id`)")
        .implemented(),
    opt("json", Kind::Directive)
        .aliases(&["js"])
        .short('j')
        .scope(Scope::Both)
        .doc("read options from a JSON file (the `uwsgi` object, or `file.json:key`)")
        .implemented(),
    opt("yaml", Kind::Directive)
        .aliases(&["yml"])
        .short('y')
        .scope(Scope::Both)
        .doc("a YAML config file, which emperor refuses with an error asking for INI, XML or JSON")
        .implemented(),
    opt("include", Kind::Directive)
        .scope(Scope::Both)
        .doc("read another config file at this point, whatever its format")
        .implemented(),
    opt("inherit", Kind::Directive)
        .scope(Scope::Both)
        .doc("read another config file as a template, after the options read so far")
        .implemented(),
    opt("config", Kind::Directive)
        .scope(Scope::Both)
        .doc("read a config through a loader named by a scheme (`loader://path`)")
        .unsupported("the file will not be read (only .ini, .xml and .json configs load)"),
    opt("strict", Kind::Flag)
        .scope(Scope::Both)
        .doc("turn every configuration warning (unknown keys, unsupported options) into an error")
        .implemented(),
    opt("set", Kind::Directive)
        .short('S')
        .scope(Scope::Both)
        .doc("set an option and a placeholder of the same name: `set = key=value`")
        .implemented(),
    opt("set-placeholder", Kind::Directive)
        .aliases(&["set-ph"])
        .scope(Scope::Both)
        .doc("define a `%(name)` placeholder without setting an option: `name=value`")
        .implemented(),
    opt("declare-option", Kind::Directive)
        .scope(Scope::Both)
        .doc("declare a custom option that expands into other options")
        .implemented(),
    opt("declare-option2", Kind::Directive)
        .scope(Scope::Both)
        .doc("declare a custom option expanded when options are applied rather than when read")
        .implemented(),
    opt("for", Kind::Directive)
        .scope(Scope::Both)
        .doc("repeat the lines up to `endfor` for each space-separated value, available as `%(_)`")
        .implemented(),
    opt("for-glob", Kind::Directive)
        .scope(Scope::Both)
        .doc("repeat the lines up to `endfor` for each path matching a glob")
        .implemented(),
    opt("for-times", Kind::Directive)
        .scope(Scope::Both)
        .doc("repeat the lines up to `endfor` N times, `%(_)` counting from 1")
        .implemented(),
    opt("for-readline", Kind::Directive)
        .scope(Scope::Both)
        .doc("repeat the lines up to `endfor` for each line of a file")
        .implemented(),
    opt("endfor", Kind::Directive)
        .aliases(&["end-for"])
        .arg(Arg::Optional)
        .scope(Scope::Both)
        .doc("close a `for` block")
        .implemented(),
    opt("if-opt", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if an option is set (or has a value: `key=value`)")
        .implemented(),
    opt("if-not-opt", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if an option is unset (or has another value)")
        .implemented(),
    opt("if-env", Kind::Directive)
        .aliases(&["ifenv"])
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if an environment variable is set (or has a value)")
        .implemented(),
    opt("if-not-env", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if an environment variable is unset (or differs)")
        .implemented(),
    opt("if-reload", Kind::Directive)
        .arg(Arg::None)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only when the instance is reloading")
        .implemented(),
    opt("if-not-reload", Kind::Directive)
        .arg(Arg::None)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only on a first start")
        .implemented(),
    opt("if-hostname", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only on the named host")
        .implemented(),
    opt("if-not-hostname", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only on other hosts")
        .implemented(),
    opt("if-hostname-match", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if the hostname matches a regex")
        .unsupported("no regular expressions in config logic: the block will not be applied"),
    opt("if-not-hostname-match", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if the hostname does not match a regex")
        .unsupported("no regular expressions in config logic: the block will not be applied"),
    opt("if-exists", Kind::Directive)
        .aliases(&["ifexists"])
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a path exists")
        .implemented(),
    opt("if-not-exists", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a path does not exist")
        .implemented(),
    opt("if-file", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a path is a regular file")
        .implemented(),
    opt("if-not-file", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a path is not a regular file")
        .implemented(),
    opt("if-dir", Kind::Directive)
        .aliases(&["ifdir", "if-directory"])
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a path is a directory")
        .implemented(),
    opt("if-not-dir", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a path is not a directory")
        .implemented(),
    opt("if-plugin", Kind::Directive)
        .aliases(&["ifplugin"])
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a plugin is available (only `python` is)")
        .implemented(),
    opt("if-not-plugin", Kind::Directive)
        .scope(Scope::Both)
        .doc("read the lines up to `endif` only if a plugin is not available")
        .implemented(),
    opt("else", Kind::Directive)
        .scope(Scope::Both)
        .doc("switch an `if-*` block to the lines read when its condition is false")
        .implemented(),
    opt("endif", Kind::Directive)
        .aliases(&["end-if"])
        .arg(Arg::Optional)
        .scope(Scope::Both)
        .doc("close an `if-*` block")
        .implemented(),
    opt("print", Kind::Directive)
        .scope(Scope::Both)
        .doc("print a message (placeholders expanded) when the configuration is read")
        .implemented(),
    opt("iprint", Kind::Directive)
        .scope(Scope::Both)
        .doc("print a message at the moment its line is read")
        .implemented(),
    opt("fallback-config", Kind::Str)
        .doc("re-exec with this config file when the instance exits with status 1")
        .planned(),
    opt("get", Kind::List)
        .scope(Scope::Both)
        .doc("print the value of an option and exit")
        .planned(),
    opt("help", Kind::Flag)
        .aliases(&["usage"])
        .short('h')
        .scope(Scope::Both)
        .doc("print the roles and the most used options, then exit")
        .planned(),
    opt("version", Kind::Flag)
        .scope(Scope::Both)
        .doc("print the version and exit")
        .planned(),
    // --- sockets ---
    opt("socket", Kind::List)
        .short('s')
        .doc("listen on `host:port`, `:port`, a UNIX path or `@abstract`, speaking `protocol`")
        .implemented(),
    opt("uwsgi-socket", Kind::List)
        .doc("listen on an address speaking the uwsgi protocol, whatever `protocol` says")
        .implemented(),
    opt("http-socket", Kind::List)
        .doc("listen on an address speaking HTTP/1.1, answered by the workers")
        .implemented(),
    opt("http11-socket", Kind::List)
        .doc("listen on an address speaking HTTP/1.1 with keep-alive (as `http-socket` does)")
        .implemented(),
    opt("http", Kind::List)
        .aliases(&["httprouter"])
        .group("http")
        .doc("serve HTTP on an address; the workers answer it directly, there is no router process")
        .implemented(),
    opt("shared-socket", Kind::List)
        .doc("bind a socket before dropping privileges, for `=N` references in socket options")
        .implemented(),
    opt("protocol", Kind::Str)
        .aliases(&["socket-protocol"])
        .default("uwsgi")
        .doc("protocol of plain `socket` listeners: `uwsgi` or `http`")
        .implemented(),
    opt("chmod-socket", Kind::Str)
        .aliases(&["chmod"])
        .short('C')
        .arg(Arg::Optional)
        .doc("permissions of UNIX sockets (e.g. `660`; bare means `666`)")
        .implemented(),
    opt("chown-socket", Kind::Str)
        .doc("owner of UNIX sockets, `user` or `user:group`")
        .implemented(),
    opt("abstract-socket", Kind::Flag)
        .short('a')
        .doc("create UNIX sockets in the abstract namespace")
        .planned(),
    opt("listen", Kind::Int)
        .short('l')
        .default("100")
        .doc("listen backlog of every socket")
        .implemented(),
    opt("vacuum", Kind::Flag)
        .scope(Scope::Both)
        .doc("remove UNIX sockets and pidfiles on exit")
        .implemented(),
    opt("reuse-port", Kind::Flag)
        .doc("give each worker its own SO_REUSEPORT socket next to the shared listener (opt-in; see docs/migration.md)")
        .implemented(),
    opt("socket-timeout", Kind::Int)
        .short('z')
        .default("4")
        .doc("seconds a connection may stay silent while a request is read or a response written")
        .implemented(),
    opt("buffer-size", Kind::Int)
        .short('b')
        .default("4096")
        .doc("largest request head in bytes (uwsgi vars or HTTP request line and headers)")
        .implemented(),
    opt("post-buffering", Kind::Size)
        .doc("request bodies up to this many bytes stay in memory, larger ones go to a temp file")
        .implemented(),
    opt("body-timeout", Kind::Int)
        .default("20")
        .doc("seconds a request body may take to arrive, plus one per `body-min-rate` bytes received (0: no total limit); ours")
        .implemented(),
    opt("body-min-rate", Kind::Size)
        .default("500")
        .doc("each this many bytes of request body received extend `body-timeout` by a second; ours")
        .implemented(),
    opt("add-header", Kind::List)
        .doc("add a header (`Name: value`) to every response")
        .planned(),
    // --- processes ---
    opt("master", Kind::Flag)
        .short('M')
        .scope(Scope::Both)
        .doc("run a master process that supervises the workers")
        .noop("emperor always runs a master process"),
    opt("processes", Kind::Int)
        .aliases(&["workers"])
        .short('p')
        .default("1")
        .doc("number of worker processes")
        .implemented(),
    opt("threads", Kind::Int)
        .default("1")
        .doc("number of Python threads per worker")
        .implemented()
        .threads(),
    opt("enable-threads", Kind::Flag)
        .short('T')
        .doc("let threads started by the app run")
        .noop("app threads always run: workers release the GIL around every wait"),
    opt("single-interpreter", Kind::Flag)
        .short('i')
        .doc("use one Python interpreter only")
        .noop("emperor always runs one interpreter per process"),
    opt("thunder-lock", Kind::Flag)
        .doc("serialize accept() across workers with a lock")
        .noop("workers accept with EPOLLEXCLUSIVE; no accept lock is needed"),
    opt("thunder-lock-watchdog", Kind::Flag)
        .doc("watch the accept lock and repair it")
        .noop("workers accept with EPOLLEXCLUSIVE; no accept lock is needed"),
    opt("lazy-apps", Kind::Flag)
        .doc("import the app in each worker after the fork instead of once in the master")
        .implemented(),
    opt("lazy", Kind::Flag)
        .doc("import the app in each worker after the fork; reloads restart only the workers")
        .planned(),
    opt("need-app", Kind::Flag)
        .arg(Arg::Optional)
        .doc("exit with an error when the app cannot be loaded")
        .implemented(),
    opt("harakiri", Kind::Int)
        .short('t')
        .doc("kill and replace a worker whose request runs longer than this many seconds")
        .implemented(),
    opt("harakiri-verbose", Kind::Flag)
        .doc("log what a worker was doing when harakiri kills it")
        .implemented(),
    opt("harakiri-graceful-timeout", Kind::Int)
        .doc("on harakiri, send `harakiri-graceful-signal`, then kill after this many seconds")
        .implemented(),
    opt("harakiri-graceful-signal", Kind::Int)
        .default("15")
        .doc("signal sent first when `harakiri-graceful-timeout` is set")
        .implemented(),
    opt("max-requests", Kind::Size)
        .short('R')
        .doc("recycle a worker after this many requests")
        .implemented(),
    opt("max-requests-delta", Kind::Size)
        .doc("add worker number times this to `max-requests`, so workers do not recycle together")
        .implemented(),
    opt("min-worker-lifetime", Kind::Size)
        .default("10")
        .doc("seconds a worker lives at least before recycling may replace it")
        .implemented(),
    opt("max-worker-lifetime", Kind::Size)
        .doc("recycle a worker after this many seconds")
        .implemented(),
    opt("max-worker-lifetime-delta", Kind::Int)
        .doc("add worker number times this to `max-worker-lifetime`, spreading recycling")
        .planned(),
    opt("reload-on-rss", Kind::Megabytes)
        .doc("recycle a worker when a request leaves its resident memory above this many megabytes")
        .implemented(),
    opt("reload-on-as", Kind::Megabytes)
        .doc("recycle a worker when a request leaves its address space above this many megabytes")
        .implemented(),
    opt("evil-reload-on-rss", Kind::Megabytes)
        .doc("kill a worker whose resident memory passes this many megabytes, even mid-request")
        .implemented()
        .master(),
    opt("evil-reload-on-as", Kind::Megabytes)
        .doc("kill a worker whose address space passes this many megabytes, even mid-request")
        .implemented()
        .master(),
    opt("limit-as", Kind::Megabytes)
        .doc("limit the address space of each process to this many megabytes (setrlimit)")
        .implemented(),
    opt("reload-on-exception", Kind::Flag)
        .doc("recycle a worker after a request raised an unhandled exception")
        .implemented(),
    opt("cpu-affinity", Kind::Int)
        .doc("pin each worker to this many CPUs, assigned round-robin")
        .implemented(),
    opt("no-orphans", Kind::Flag)
        .doc("make workers exit when their master dies")
        .noop("workers always die with their master (PR_SET_PDEATHSIG)"),
    opt("reload-mercy", Kind::Int)
        .scope(Scope::Both)
        .doc("seconds attached daemons (vassal) or vassals (emperor) get to stop before they are killed")
        .implemented(),
    opt("worker-reload-mercy", Kind::Int)
        .default("60")
        .doc("seconds a worker gets to finish its request on a reload or stop")
        .implemented(),
    opt("touch-reload", Kind::List)
        .doc("reload gracefully when this file's modification time changes")
        .implemented()
        .master(),
    opt("touch-chain-reload", Kind::List)
        .doc("reload one worker at a time when this file's modification time changes")
        .implemented()
        .master(),
    opt("touch-workers-reload", Kind::List)
        .doc("reload only the workers when this file's modification time changes")
        .implemented()
        .master(),
    opt("master-fifo", Kind::List)
        .doc("path of a FIFO the master reads one-letter commands from (`r` reload, `q` stop...)")
        .implemented()
        .master(),
    opt("heartbeat", Kind::Int)
        .doc("send a heartbeat to the emperor every N seconds")
        .implemented()
        .master(),
    opt("cheaper", Kind::Int)
        .doc("fewest workers kept running when idle (adaptive process spawning)")
        .implemented()
        .master(),
    opt("cheaper-initial", Kind::Int)
        .doc("workers started at boot in cheaper mode")
        .implemented()
        .master(),
    opt("cheaper-step", Kind::Int)
        .doc("workers spawned at once when more are needed")
        .implemented()
        .master(),
    opt("cheaper-algo", Kind::Str)
        .default("spare")
        .doc("algorithm deciding how many workers run in cheaper mode (`spare`)")
        .planned()
        .master(),
    opt("cheaper-overload", Kind::Size)
        .default("3")
        .doc("seconds every worker must be busy before more are spawned")
        .implemented()
        .master(),
    opt("idle", Kind::Int)
        .doc("go cheap (stop the workers) after this many seconds without a request")
        .implemented()
        .master(),
    opt("die-on-idle", Kind::Flag)
        .doc("stop the instance instead of going cheap when `idle` expires")
        .implemented(),
    opt("die-on-term", Kind::Flag)
        .scope(Scope::Both)
        .doc("make SIGTERM stop the instance instead of reloading it")
        .noop("SIGTERM always stops gracefully; SIGHUP reloads"),
    opt("reaper", Kind::Flag)
        .short('r')
        .doc("reap dead children on every master cycle")
        .noop("the master always reaps its children"),
    opt("check-interval", Kind::Int)
        .doc("seconds between the master's periodic checks")
        .noop("the master runs its checks on its own timers")
        .master(),
    opt("forkbomb-delay", Kind::Int)
        .doc("seconds the master sleeps when workers respawn too fast")
        .noop("respawn storms are rate-limited without sleeping in the master")
        .master(),
    opt("binary-path", Kind::Str)
        .scope(Scope::Both)
        .doc("binary to re-exec on reload")
        .noop("vassals re-exec the emperor binary itself"),
    opt("auto-procname", Kind::Flag)
        .doc("give the processes readable titles")
        .planned(),
    opt("procname-prefix", Kind::Str)
        .doc("prefix every process title with this string")
        .implemented(),
    opt("procname-prefix-spaced", Kind::Str)
        .doc("prefix every process title with this string and a space")
        .implemented(),
    opt("procname-append", Kind::Str)
        .doc("append this string to every process title")
        .planned(),
    opt("procname", Kind::Str)
        .doc("title of the worker processes")
        .planned(),
    opt("procname-master", Kind::Str)
        .doc("title of the master process")
        .planned(),
    opt("uid", Kind::Str)
        .scope(Scope::Both)
        .doc("user to run as (name or number), taken after the sockets are bound")
        .implemented(),
    opt("gid", Kind::Str)
        .scope(Scope::Both)
        .doc("group to run as (name or number)")
        .implemented(),
    opt("no-initgroups", Kind::Flag)
        .scope(Scope::Both)
        .doc("do not take the supplementary groups of `uid`")
        .implemented(),
    opt("master-as-root", Kind::Flag)
        .doc("keep the master running as root while the workers drop privileges")
        .planned(),
    opt("cap", Kind::Str)
        .scope(Scope::Both)
        .doc("the emperor's capabilities kept after dropping to `uid` (e.g. `setgid,setuid`); vassals keep none")
        .implemented(),
    opt("pidfile", Kind::Str)
        .scope(Scope::Both)
        .doc("write the master's pid to this file, before dropping privileges")
        .implemented(),
    opt("pidfile2", Kind::Str)
        .scope(Scope::Both)
        .doc("write the master's pid to this file, after dropping privileges")
        .planned(),
    opt("safe-pidfile", Kind::Str)
        .scope(Scope::Both)
        .doc("like `pidfile`, written atomically")
        .planned(),
    opt("safe-pidfile2", Kind::Str)
        .scope(Scope::Both)
        .doc("like `pidfile2`, written atomically")
        .planned(),
    opt("stop", Kind::Str)
        .scope(Scope::Both)
        .doc("gracefully stop the instance whose pid is in this file (SIGTERM; uWSGI sends SIGINT), then exit")
        .implemented(),
    opt("reload", Kind::Str)
        .scope(Scope::Both)
        .doc("gracefully reload the instance whose pid is in this file (SIGHUP), then exit")
        .implemented(),
    opt("daemonize", Kind::Str)
        .short('d')
        .scope(Scope::Both)
        .doc("detach into the background and log to this file (under the emperor: only log there)")
        .implemented(),
    opt("daemonize2", Kind::Str)
        .scope(Scope::Both)
        .doc("like `daemonize`, detaching after the app is loaded")
        .planned(),
    opt("chdir", Kind::Str)
        .scope(Scope::Both)
        .doc("change to this directory before the app is loaded")
        .implemented(),
    opt("chdir2", Kind::Str)
        .doc("change to this directory after the app is loaded")
        .planned(),
    opt("env", Kind::List)
        .scope(Scope::Both)
        .doc("set an environment variable: `KEY=VALUE`")
        .implemented(),
    opt("attach-daemon", Kind::List)
        .doc("run a command beside the workers, restart it when it dies, stop it with the instance")
        .implemented()
        .master(),
    opt("attach-control-daemon", Kind::List)
        .doc("like `attach-daemon`, and stop the instance when the command dies")
        .planned()
        .master(),
    opt("smart-attach-daemon", Kind::List)
        .doc("supervise a daemonizing command through its pidfile: `PIDFILE COMMAND`")
        .implemented()
        .master(),
    opt("smart-attach-daemon2", Kind::List)
        .doc("like `smart-attach-daemon`, for a command that does not daemonize itself")
        .implemented()
        .master(),
    opt("attach-daemon2", Kind::List)
        .doc("run a command described by keys: `cmd=...,freq=...,pidfile=...`")
        .implemented()
        .master(),
    opt("plugins", Kind::List)
        .aliases(&["plugin"])
        .scope(Scope::Both)
        .doc("load uWSGI plugins")
        .noop("python is built in"),
    opt("need-plugin", Kind::List)
        .aliases(&["need-plugins"])
        .scope(Scope::Both)
        .doc("load uWSGI plugins, failing when one is missing")
        .noop("python is built in"),
    opt("plugins-dir", Kind::List)
        .aliases(&["plugin-dir"])
        .scope(Scope::Both)
        .doc("directory searched for plugins")
        .noop("python is built in; no plugin is ever looked up"),
    opt("autoload", Kind::Flag)
        .scope(Scope::Both)
        .doc("load plugins automatically for unknown options")
        .noop("python is built in"),
    opt("ignore-sigpipe", Kind::Flag)
        .doc("do not die on SIGPIPE")
        .noop("SIGPIPE is always ignored; a closed connection is a write error"),
    opt("close-on-exec", Kind::Flag)
        .doc("set close-on-exec on request sockets")
        .noop("emperor opens every socket close-on-exec"),
    opt("close-on-exec2", Kind::Flag)
        .doc("set close-on-exec on listening sockets")
        .noop("emperor opens every socket close-on-exec"),
    // --- python ---
    opt("module", Kind::Str)
        .aliases(&["wsgi"])
        .short('w')
        .group("python")
        .doc("import the app from a module: `pkg.mod`, `pkg.mod:callable` or `pkg.mod:factory()`")
        .implemented(),
    opt("wsgi-file", Kind::Str)
        .aliases(&["file"])
        .group("python")
        .doc("load the app from a Python file")
        .implemented(),
    opt("callable", Kind::Str)
        .default("application")
        .group("python")
        .doc("name of the WSGI callable in `module` or `wsgi-file`")
        .implemented(),
    opt("pythonpath", Kind::List)
        .aliases(&["python-path", "pp"])
        .group("python")
        .doc("add a directory to `sys.path` (globs allowed; repeatable)")
        .implemented(),
    opt("home", Kind::Str)
        .aliases(&["virtualenv", "venv", "pyhome"])
        .short('H')
        .group("python")
        .doc("virtualenv the app runs in (made by the same Python as emperor's)")
        .implemented(),
    opt("mount", Kind::List)
        .aliases(&["worker-mount"])
        .doc("mount an app at a URL prefix: `/prefix=pkg.mod:app` or `/prefix=file.py`")
        .implemented(),
    opt("manage-script-name", Kind::Flag)
        .doc("move the matched mountpoint from PATH_INFO to SCRIPT_NAME")
        .implemented(),
    opt("ignore-script-name", Kind::Flag)
        .doc("ignore SCRIPT_NAME when choosing the app for a request")
        .planned(),
    opt("no-default-app", Kind::Flag)
        .doc("answer 404 to requests matching no mountpoint instead of using the default app")
        .planned(),
    opt("pyargv", Kind::Str)
        .group("python")
        .doc("set `sys.argv` for the app (split on spaces)")
        .implemented(),
    opt("import", Kind::List)
        .aliases(&["pyimport", "py-import", "python-import"])
        .group("python")
        .doc("import a Python module when the app is loaded (repeatable)")
        .planned(),
    opt("shared-import", Kind::List)
        .aliases(&[
            "shared-pyimport",
            "shared-py-import",
            "shared-python-import",
        ])
        .group("python")
        .doc("import a Python module in every interpreter (emperor runs one)")
        .planned(),
    opt("py-autoreload", Kind::Int)
        .aliases(&["py-auto-reload", "python-auto-reload", "python-autoreload"])
        .group("python")
        .doc("every N seconds, reload gracefully if a loaded module's file changed")
        .implemented()
        .master()
        .threads(),
    opt("py-auto-reload-ignore", Kind::List)
        .group("python")
        .doc("module skipped by `py-autoreload`")
        .planned()
        .master()
        .threads(),
    opt("wsgi-disable-file-wrapper", Kind::Flag)
        .group("python")
        .doc("leave `wsgi.file_wrapper` out of the environ")
        .planned(),
    opt("py-call-osafterfork", Kind::Flag)
        .group("python")
        .doc("run `PyOS_AfterFork` in the workers after the fork")
        .noop("the fork hooks always run"),
    opt("py-call-uwsgi-fork-hooks", Kind::Flag)
        .group("python")
        .doc("run CPython's before and after fork hooks around every fork")
        .noop("the fork hooks always run"),
    // --- logging ---
    opt("logto", Kind::Str)
        .scope(Scope::Both)
        .doc("write the log to this file")
        .implemented(),
    opt("logto2", Kind::Str)
        .scope(Scope::Both)
        .doc("like `logto`, opened after dropping privileges")
        .planned(),
    opt("log-date", Kind::Str)
        .aliases(&["logdate", "log-prefix"])
        .arg(Arg::Optional)
        .scope(Scope::Both)
        .doc("prefix log lines with the date, or with a strftime format given as the value")
        .implemented(),
    opt("disable-logging", Kind::Flag)
        .short('L')
        .doc("do not log requests (errors are still logged)")
        .implemented(),
    opt("log-format", Kind::Str)
        .aliases(&["logformat"])
        .doc("format of the request log line, with uWSGI's `%(var)` variables")
        .implemented(),
    opt("logformat-strftime", Kind::Flag)
        .aliases(&["log-format-strftime"])
        .doc("expand strftime directives in `log-format`")
        .planned(),
    opt("log-4xx", Kind::Flag)
        .doc("log requests answered 4xx even when `disable-logging` is set")
        .implemented(),
    opt("log-5xx", Kind::Flag)
        .doc("log requests answered 5xx even when `disable-logging` is set")
        .implemented(),
    opt("log-slow", Kind::Int)
        .doc("log requests slower than this many milliseconds even when `disable-logging` is set")
        .implemented(),
    opt("log-big", Kind::Size)
        .doc("log responses bigger than this many bytes even when `disable-logging` is set")
        .implemented(),
    opt("log-x-forwarded-for", Kind::Flag)
        .doc("log the client address from X-Forwarded-For instead of the peer's")
        .implemented(),
    opt("log-master", Kind::Flag)
        .doc("have the master write every log line, the workers passing theirs to it")
        .noop("workers write their own lines to the shared log with one write each: lines never interleave, no relay is needed")
        .master(),
    opt("log-reopen", Kind::Flag)
        .doc("reopen the log file on reload (for logrotate)")
        .noop("a reload always reopens the log file by path"),
    opt("touch-logreopen", Kind::List)
        .doc("reopen the log file when this file's modification time changes")
        .implemented()
        .master(),
    opt("log-maxsize", Kind::Size)
        .doc("rotate the log file when it grows past this many bytes")
        .implemented()
        .master(),
    opt("log-backupname", Kind::Str)
        .doc("name the rotated log file gets (default: the log file name and a timestamp)")
        .implemented(),
    opt("logger", Kind::List)
        .scope(Scope::Both)
        .doc("log target: `file:PATH`, `syslog[:ident[,facility]]` or `stdio` (named loggers are ignored: no `log-route`)")
        .implemented()
        .master(),
    opt("req-logger", Kind::List)
        .aliases(&["logger-req"])
        .doc("log target for request lines only (`file:PATH`, `syslog[:ident]`, `stdio`)")
        .implemented()
        .master(),
    opt("log-syslog", Kind::List)
        .arg(Arg::Optional)
        .doc("log to syslog, with an optional ident (as `logger = syslog:IDENT`)")
        .implemented()
        .master(),
    // --- static files ---
    opt("check-static", Kind::List)
        .aliases(&["static-check"])
        .doc("serve a file from this directory when the request path names one (`/x` → `DIR/x`), before the app")
        .implemented(),
    opt("static-map", Kind::List)
        .doc("serve files under a URL prefix from a directory: `/static=/srv/app/static`")
        .implemented(),
    opt("static-map2", Kind::List)
        .doc("like `static-map`, appending the whole request path to the directory: `/static=/srv` serves `/static/x` from `/srv/static/x`")
        .implemented(),
    opt("static-index", Kind::List)
        .doc("file served when a static request names a directory (e.g. `index.html`)")
        .implemented(),
    opt("static-skip-ext", Kind::List)
        .doc("never serve static files whose path ends with this (`.php`): the app gets them")
        .implemented(),
    opt("static-safe", Kind::List)
        .doc("also allow static files under this directory when a symlink leads there")
        .implemented(),
    opt("static-expires-type", Kind::List)
        .doc("send `Expires` and `Cache-Control: max-age` for static files of a content type: `text/css=3600`")
        .implemented(),
    opt("static-expires-type-mtime", Kind::List)
        .doc("like `static-expires-type`, counting from the file's modification time")
        .implemented(),
    opt("mimefile", Kind::List)
        .aliases(&["mime-file"])
        .default("/etc/mime.types")
        .doc("mime.types file that gives static files their content type")
        .implemented(),
    opt("offload-threads", Kind::Int)
        .aliases(&["offload-thread"])
        .doc("threads that send static files and other offloaded responses")
        .noop("static files are sent with sendfile from the worker loop"),
    // --- stats ---
    opt("stats", Kind::Str)
        .aliases(&["stats-server"])
        .scope(Scope::Both)
        .doc("serve the stats JSON on this TCP or UNIX address (the emperor's, in that role)")
        .implemented()
        .master(),
    opt("stats-http", Kind::Flag)
        .scope(Scope::Both)
        .doc("answer stats requests over HTTP")
        .implemented()
        .master(),
    opt("stats-minified", Kind::Flag)
        .aliases(&["stats-min"])
        .scope(Scope::Both)
        .doc("send the stats JSON without indentation")
        .implemented()
        .master(),
    opt("stats-no-cores", Kind::Flag)
        .doc("leave per-thread (core) details out of the stats")
        .implemented()
        .master(),
    opt("stats-no-metrics", Kind::Flag)
        .doc("leave metrics out of the stats")
        .noop("the stats never include uWSGI metrics")
        .master(),
    opt("memory-report", Kind::Flag)
        .short('m')
        .doc("measure worker memory for the stats and the request log")
        .implemented(),
    // --- emperor ---
    opt("emperor", Kind::List)
        .scope(Scope::Emperor)
        .doc("watch this directory (or glob) and run one vassal per config file in it")
        .implemented(),
    opt("emperor-tyrant", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("run each vassal as the owner of its file")
        .implemented(),
    opt("emperor-tyrant-nofollow", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("in tyrant mode, accept a symlinked vassal file if the link's owner owns the target")
        .implemented(),
    opt("emperor-tyrant-initgroups", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("in tyrant mode, give each vassal the supplementary groups of its owner")
        .implemented(),
    opt("emperor-pidfile", Kind::Str)
        .scope(Scope::Emperor)
        .doc("write the emperor's pid to this file")
        .implemented(),
    opt("emperor-stats", Kind::Str)
        .aliases(&["emperor-stats-server"])
        .scope(Scope::Emperor)
        .doc("serve the emperor's stats JSON on this address")
        .implemented(),
    opt("emperor-freq", Kind::Int)
        .scope(Scope::Emperor)
        .default("3")
        .doc("seconds between full rescans of the vassal directories")
        .implemented(),
    opt("emperor-throttle", Kind::Int)
        .scope(Scope::Emperor)
        .default("1000")
        .doc("first delay before a failing vassal is respawned, in milliseconds")
        .implemented(),
    opt("emperor-max-throttle", Kind::Int)
        .scope(Scope::Emperor)
        .default("180000")
        .doc("longest delay before a failing vassal is respawned, in milliseconds")
        .implemented(),
    opt("emperor-min-uptime", Kind::Int)
        .scope(Scope::Emperor)
        .default("10")
        .doc("seconds a vassal must accept requests to count as healthy (its backoff starts over); ours")
        .implemented(),
    opt("emperor-required-heartbeat", Kind::Int)
        .scope(Scope::Emperor)
        .default("30")
        .doc("seconds without a heartbeat after which a vassal that sends them is restarted")
        .implemented(),
    opt("emperor-curse-tolerance", Kind::Int)
        .scope(Scope::Emperor)
        .default("30")
        .doc("seconds a stopping vassal gets before it is killed")
        .implemented(),
    opt("emperor-no-blacklist", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("keep respawning a failing vassal with backoff, never giving up on it")
        .implemented(),
    opt("emperor-extra-extension", Kind::List)
        .aliases(&["emperor-extra-ext"])
        .scope(Scope::Emperor)
        .doc("also run files with this extension as vassals")
        .implemented(),
    opt("emperor-on-demand-extension", Kind::Str)
        .aliases(&["emperor-on-demand-ext"])
        .scope(Scope::Emperor)
        .doc("on-demand mode: read a vassal's socket address from its file name plus this suffix")
        .implemented(),
    opt("emperor-on-demand-directory", Kind::Str)
        .aliases(&["emperor-on-demand-dir"])
        .scope(Scope::Emperor)
        .doc("on-demand mode: bind a vassal's socket as `DIR/NAME.socket`, start it on first use")
        .implemented(),
    opt("vassals-set", Kind::List)
        .aliases(&["vassal-set"])
        .scope(Scope::Emperor)
        .doc("set an option in every vassal: `key=value`")
        .implemented(),
    opt("vassals-include", Kind::List)
        .scope(Scope::Emperor)
        .doc("read this config file into every vassal, after the vassal's own file")
        .implemented(),
    opt("vassals-include-before", Kind::List)
        .scope(Scope::Emperor)
        .doc("read this config file into every vassal, before the vassal's own file")
        .implemented(),
    opt("vassals-inherit", Kind::List)
        .scope(Scope::Emperor)
        .doc("give every vassal this config file as a template, read after its own")
        .implemented(),
    opt("vassals-inherit-before", Kind::List)
        .scope(Scope::Emperor)
        .doc("give every vassal this config file as a template, read before its own")
        .implemented(),
    opt("emperor-graceful-shutdown", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("stop vassals gracefully when the emperor stops")
        .noop("the emperor always stops vassals gracefully"),
    opt("emperor-subreaper", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("adopt orphaned vassal processes")
        .noop("the emperor is always a child subreaper"),
    // --- unsupported core: config and commands ---
    opt("resolve", Kind::Directive)
        .scope(Scope::Both)
        .doc("store the address a host name resolves to in a placeholder: `name=host`")
        .unsupported("the name will not be resolved and the placeholder will not be set"),
    opt("blacklist", Kind::Directive)
        .scope(Scope::Both)
        .doc("forbid the listed options in what is read up to `end-blacklist`")
        .unsupported("no option will be forbidden"),
    opt("end-blacklist", Kind::Directive)
        .arg(Arg::None)
        .scope(Scope::Both)
        .doc("close a `blacklist` block")
        .unsupported("no option will be forbidden"),
    opt("whitelist", Kind::Directive)
        .scope(Scope::Both)
        .doc("allow only the listed options in what is read up to `end-whitelist`")
        .unsupported("no option will be forbidden"),
    opt("end-whitelist", Kind::Directive)
        .arg(Arg::None)
        .scope(Scope::Both)
        .doc("close a `whitelist` block")
        .unsupported("no option will be forbidden"),
    opt("inject-before", Kind::Directive)
        .scope(Scope::Both)
        .doc("read this file before every config file loaded afterwards")
        .unsupported("the file will not be injected into the config"),
    opt("inject-after", Kind::Directive)
        .scope(Scope::Both)
        .doc("read this file after every config file loaded afterwards")
        .unsupported("the file will not be injected into the config"),
    opt("skip-zero", Kind::Flag)
        .doc("do not check whether descriptor 0 is an inherited socket")
        .unsupported("descriptor 0 is still checked for an inherited socket"),
    opt("skip-atexit", Kind::Flag)
        .doc("skip the atexit hooks at shutdown")
        .unsupported("atexit hooks are not controlled: they run as Python decides"),
    opt("skip-atexit-teardown", Kind::Flag)
        .doc("run atexit hooks without tearing down the interpreter")
        .unsupported("atexit hooks are not controlled: they run as Python decides"),
    opt("pause", Kind::Str)
        .scope(Scope::Both)
        .doc("pause the instance whose pid is in this file")
        .unsupported("workers cannot be paused: no signal will be sent"),
    opt("suspend", Kind::Str)
        .scope(Scope::Both)
        .doc("suspend the instance whose pid is in this file")
        .unsupported("workers cannot be paused: no signal will be sent"),
    opt("resume", Kind::Str)
        .scope(Scope::Both)
        .doc("resume the instance whose pid is in this file")
        .unsupported("workers cannot be paused: no signal will be sent"),
    opt("connect-and-read", Kind::Str)
        .scope(Scope::Both)
        .doc("connect to an address, print what it sends and exit")
        .unsupported("the address will not be read"),
    opt("extract", Kind::Str)
        .scope(Scope::Both)
        .doc("fetch an address (file, URL, embedded data) and print it, then exit")
        .unsupported("nothing will be fetched"),
    opt("print-sym", Kind::Str)
        .aliases(&["print-symbol"])
        .scope(Scope::Both)
        .doc("print the content of a binary symbol and exit")
        .unsupported("there are no embedded symbols to print"),
    opt("dump-options", Kind::Flag)
        .scope(Scope::Both)
        .doc("print every option and its type, then exit")
        .unsupported("the option list will not be printed (see docs/options.md)"),
    opt("show-config", Kind::Flag)
        .doc("print the effective configuration at startup")
        .unsupported("the configuration will not be printed at startup (use `emperor check`)"),
    opt("exit", Kind::Str)
        .arg(Arg::Optional)
        .scope(Scope::Both)
        .doc("exit immediately (used to test configs)")
        .unsupported("the instance will not exit here"),
    opt("cflags", Kind::Flag)
        .scope(Scope::Both)
        .doc("print the C flags plugins are built with")
        .unsupported("emperor is not built like uWSGI: nothing will be printed"),
    opt("dot-h", Kind::Flag)
        .scope(Scope::Both)
        .doc("print uwsgi.h")
        .unsupported("emperor is not built like uWSGI: nothing will be printed"),
    opt("config-py", Kind::Flag)
        .scope(Scope::Both)
        .doc("print uwsgiconfig.py")
        .unsupported("emperor is not built like uWSGI: nothing will be printed"),
    opt("build-plugin", Kind::Str)
        .scope(Scope::Both)
        .doc("build a uWSGI plugin from sources")
        .unsupported("uWSGI plugins cannot be built or loaded"),
    opt("binary-append-data", Kind::Str)
        .scope(Scope::Both)
        .doc("print a file in a form that can be appended to the uWSGI binary")
        .unsupported("nothing will be appended to the binary"),
    opt("dlopen", Kind::List)
        .doc("load a shared library with dlopen")
        .unsupported("shared libraries will not be loaded"),
    opt("flock", Kind::Str)
        .doc("lock a file before starting, failing if it is already locked")
        .unsupported("the file will not be locked"),
    opt("flock-wait", Kind::Str)
        .doc("lock a file before starting, waiting while it is locked")
        .unsupported("the file will not be locked"),
    opt("flock2", Kind::Str)
        .doc("like `flock`, once the logs are set up")
        .unsupported("the file will not be locked"),
    opt("flock-wait2", Kind::Str)
        .doc("like `flock-wait`, once the logs are set up")
        .unsupported("the file will not be locked"),
    opt("privileged-binary-patch", Kind::Str)
        .doc("exec this binary while still root")
        .unsupported("the binary is never swapped: vassals run emperor's own"),
    opt("unprivileged-binary-patch", Kind::Str)
        .doc("exec this binary after dropping privileges")
        .unsupported("the binary is never swapped: vassals run emperor's own"),
    opt("privileged-binary-patch-arg", Kind::Str)
        .doc("exec this command line while still root")
        .unsupported("the binary is never swapped: vassals run emperor's own"),
    opt("unprivileged-binary-patch-arg", Kind::Str)
        .doc("exec this command line after dropping privileges")
        .unsupported("the binary is never swapped: vassals run emperor's own"),
    opt("plugins-list", Kind::Flag)
        .aliases(&["plugin-list"])
        .scope(Scope::Both)
        .doc("list the loaded plugins")
        .unsupported("there are no plugins to list"),
    opt("command-mode", Kind::Flag)
        .doc("run in command mode (no serving)")
        .unsupported("command mode is not supported: the instance will start normally"),
    opt("no-server", Kind::Flag)
        .doc("start without binding sockets or workers (for mules and spoolers)")
        .unsupported("the instance will still serve requests"),
    opt("mode", Kind::Str)
        .doc("a free value for custom plugins")
        .unsupported("the value is not read by anything"),
    opt("honour-stdin", Kind::Flag)
        .doc("do not remap stdin to /dev/null")
        .unsupported("stdin is not kept: it is replaced by /dev/null"),
    opt("dynamic-apps", Kind::Flag)
        .doc("allow apps to be loaded from request variables (UWSGI_SCRIPT and friends)")
        .unsupported("apps are not loaded dynamically from request variables"),
    // --- unsupported core: sockets and protocols ---
    opt("suwsgi-socket", Kind::List)
        .aliases(&["ssl-socket"])
        .doc("listen on an address speaking uwsgi over TLS (`addr,crt,key`)")
        .unsupported("TLS sockets are not supported yet: nothing will listen on this address"),
    opt("https-socket", Kind::List)
        .doc("listen on an address speaking HTTPS (`addr,crt,key`)")
        .unsupported("TLS sockets are not supported yet: nothing will listen on this address"),
    opt("fastcgi-socket", Kind::List)
        .doc("listen on an address speaking FastCGI")
        .unsupported("only uwsgi and HTTP are spoken: nothing will listen on this address"),
    opt("fastcgi-nph-socket", Kind::List)
        .doc("listen on an address speaking FastCGI in non-parsed-header mode")
        .unsupported("only uwsgi and HTTP are spoken: nothing will listen on this address"),
    opt("scgi-socket", Kind::List)
        .doc("listen on an address speaking SCGI")
        .unsupported("only uwsgi and HTTP are spoken: nothing will listen on this address"),
    opt("scgi-nph-socket", Kind::List)
        .doc("listen on an address speaking SCGI in non-parsed-header mode")
        .unsupported("only uwsgi and HTTP are spoken: nothing will listen on this address"),
    opt("raw-socket", Kind::List)
        .doc("listen on an address passing raw connections to the app")
        .unsupported("only uwsgi and HTTP are spoken: nothing will listen on this address"),
    opt("puwsgi-socket", Kind::List)
        .doc("listen on an address speaking the persistent uwsgi protocol")
        .unsupported("only uwsgi and HTTP are spoken: nothing will listen on this address"),
    opt("http-socket-modifier1", Kind::Size)
        .doc("modifier1 given to requests from HTTP sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("http-socket-modifier2", Kind::Size)
        .doc("modifier2 given to requests from HTTP sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("https-socket-modifier1", Kind::Size)
        .doc("modifier1 given to requests from HTTPS sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("https-socket-modifier2", Kind::Size)
        .doc("modifier2 given to requests from HTTPS sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("fastcgi-modifier1", Kind::Size)
        .doc("modifier1 given to requests from FastCGI sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("fastcgi-modifier2", Kind::Size)
        .doc("modifier2 given to requests from FastCGI sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("scgi-modifier1", Kind::Size)
        .doc("modifier1 given to requests from SCGI sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("scgi-modifier2", Kind::Size)
        .doc("modifier2 given to requests from SCGI sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("raw-modifier1", Kind::Size)
        .doc("modifier1 given to requests from raw sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("raw-modifier2", Kind::Size)
        .doc("modifier2 given to requests from raw sockets")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("allowed-modifiers", Kind::Str)
        .doc("modifiers a request may ask for")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("remap-modifier", Kind::Str)
        .doc("map one modifier to another: `from:to`")
        .unsupported("there are no other uWSGI plugins to route requests to: no effect"),
    opt("undeferred-shared-socket", Kind::List)
        .doc("like `shared-socket`, bound without deferred accept")
        .unsupported("only `shared-socket` is supported: this socket will not be bound"),
    opt("map-socket", Kind::List)
        .doc("give a socket to some workers only: `N:1,2`")
        .unsupported("sockets are not mapped to workers: every worker accepts on every socket"),
    opt("freebind", Kind::Flag)
        .doc("allow binding addresses not yet configured on the host")
        .unsupported("IP_FREEBIND will not be set: binding a missing address fails"),
    opt("no-defer-accept", Kind::Flag)
        .doc("accept TCP connections before data arrives (no TCP_DEFER_ACCEPT)")
        .implemented(),
    opt("tcp-nodelay", Kind::Flag)
        .doc("set TCP_NODELAY on request sockets")
        .unsupported("TCP_NODELAY will not be set on request sockets"),
    opt("so-keepalive", Kind::Flag)
        .doc("enable TCP keepalive probes on request sockets")
        .unsupported("SO_KEEPALIVE will not be set"),
    opt("so-send-timeout", Kind::Int)
        .aliases(&[
            "socket-send-timeout",
            "so-write-timeout",
            "socket-write-timeout",
        ])
        .arg(Arg::None)
        .doc("send timeout of request sockets, in seconds")
        .unsupported("SO_SNDTIMEO will not be set"),
    opt("socket-sndbuf", Kind::Size)
        .doc("send buffer size (SO_SNDBUF) of sockets")
        .unsupported("the send buffer size will not be changed"),
    opt("socket-rcvbuf", Kind::Size)
        .doc("receive buffer size (SO_RCVBUF) of sockets")
        .unsupported("the receive buffer size will not be changed"),
    opt("tcp-fast-open", Kind::Int)
        .aliases(&["tcp-fastopen"])
        .doc("enable TCP fast open on listeners with this queue length")
        .unsupported("TCP fast open will not be enabled"),
    opt("tcp-fast-open-client", Kind::Flag)
        .aliases(&["tcp-fastopen-client"])
        .doc("use TCP fast open for outgoing connections")
        .unsupported("TCP fast open will not be used for outgoing connections"),
    opt("shutdown-sockets", Kind::Flag)
        .doc("shut down request sockets before closing them")
        .unsupported("request sockets are closed without an explicit shutdown"),
    opt("enable-proxy-protocol", Kind::Flag)
        .doc("accept PROXY protocol v1 headers on HTTP sockets")
        .unsupported("PROXY protocol headers will not be read: requests carrying them fail"),
    opt("http-path-info-no-decode-slashes", Kind::Flag)
        .arg(Arg::Required)
        .doc("keep `%2F` encoded in PATH_INFO")
        .unsupported("%2F is always decoded in PATH_INFO"),
    opt("max-vars", Kind::Int)
        .short('v')
        .doc("most variables a uwsgi request may carry")
        .unsupported("the number of request variables is bounded by `buffer-size` only"),
    opt("no-fd-passing", Kind::Flag)
        .doc("refuse descriptor passing on UNIX sockets")
        .unsupported("descriptors are never passed between processes; nothing changes"),
    opt("chunked-input-limit", Kind::Size)
        .doc("largest chunk `uwsgi.chunked_read()` accepts")
        .unsupported("`uwsgi.chunked_read()` is not provided (bodies are always de-chunked)"),
    opt("chunked-input-timeout", Kind::Int)
        .doc("timeout of `uwsgi.chunked_read()`")
        .unsupported("`uwsgi.chunked_read()` is not provided (bodies are always de-chunked)"),
    opt("post-buffering-bufsize", Kind::Size)
        .doc("buffer size used to read request bodies")
        .unsupported("the read buffer size of post-buffering is fixed"),
    opt("body-read-warning", Kind::Size)
        .doc("log a warning when the app reads more than this many megabytes of body")
        .unsupported("no warning about big request bodies will be logged"),
    opt("upload-progress", Kind::Str)
        .doc("write upload progress to JSON files in this directory")
        .unsupported("upload progress files will not be written"),
    opt("limit-post", Kind::Size)
        .doc("refuse request bodies larger than this many bytes with 413, before reading them (0: no limit)")
        .implemented(),
    opt("response-headers-limit", Kind::Int)
        .doc("largest block of response headers, in bytes")
        .unsupported("response headers are not limited in size"),
    opt("websockets-ping-freq", Kind::Int)
        .aliases(&["websocket-ping-freq"])
        .doc("seconds between websocket pings")
        .unsupported("`uwsgi.websocket_handshake()` is not provided: there are no websockets"),
    opt("websockets-pong-tolerance", Kind::Int)
        .aliases(&["websocket-pong-tolerance"])
        .doc("seconds a websocket pong may be late")
        .unsupported("`uwsgi.websocket_handshake()` is not provided: there are no websockets"),
    opt("websockets-max-size", Kind::Size)
        .aliases(&["websocket-max-size"])
        .doc("largest websocket message, in kilobytes")
        .unsupported("`uwsgi.websocket_handshake()` is not provided: there are no websockets"),
    opt("rem-header", Kind::List)
        .aliases(&["del-header"])
        .doc("remove a header from every response")
        .unsupported("response headers will not be removed"),
    opt("collect-header", Kind::List)
        .aliases(&["response-header-collect"])
        .doc("store a response header in a request variable: `Header var`")
        .unsupported("response headers will not be collected into variables"),
    opt("pull-header", Kind::List)
        .doc("like `collect-header`, also removing the header")
        .unsupported("response headers will not be collected into variables"),
    opt("error-page-403", Kind::List)
        .doc("file sent for 403 errors of the internal router")
        .unsupported("the app's own 403 page is sent"),
    opt("error-page-404", Kind::List)
        .doc("file sent for 404 errors of the internal router")
        .unsupported("the app's own 404 page is sent"),
    opt("error-page-500", Kind::List)
        .doc("file sent for 500 errors of the internal router")
        .unsupported("the app's own 500 page is sent"),
    opt("vhost", Kind::Flag)
        .doc("choose apps by SERVER_NAME")
        .unsupported("virtual hosting is not supported: apps are chosen by mountpoint only"),
    opt("vhost-host", Kind::Flag)
        .doc("choose apps by HTTP_HOST")
        .unsupported("virtual hosting is not supported: apps are chosen by mountpoint only"),
    opt("weight", Kind::Size)
        .doc("weight of this instance for subscriptions and clustering")
        .unsupported("load balancer weights are not used"),
    opt("auto-weight", Kind::Flag)
        .arg(Arg::Required)
        .doc("compute the weight automatically")
        .unsupported("load balancer weights are not used"),
    opt("enable-metrics", Kind::Flag)
        .doc("enable uWSGI's metrics subsystem")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("check-cache", Kind::Str)
        .arg(Arg::Optional)
        .doc("answer requests from a cache before calling the app")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("file-serve-mode", Kind::Str)
        .aliases(&["fileserve-mode"])
        .doc("how static files are sent (`x-sendfile`, `x-accel-redirect`)")
        .unsupported("X-Sendfile and X-Accel-Redirect offloading will not be used"),
    opt("disable-sendfile", Kind::Flag)
        .doc("send static files without sendfile")
        .unsupported("static files are always sent with sendfile"),
    opt("honour-range", Kind::Flag)
        .doc("answer Range requests for static files with partial content")
        .unsupported("Range requests get the whole file"),
    opt("check-static-docroot", Kind::Flag)
        .doc("serve static files from the DOCUMENT_ROOT request variable")
        .unsupported("DOCUMENT_ROOT is not used to find static files"),
    opt("static-cache-paths", Kind::Int)
        .doc("cache resolved static paths for this many seconds")
        .unsupported("uWSGI caches are not provided: nothing will be cached")
        .master(),
    opt("static-cache-paths-name", Kind::Str)
        .doc("cache used for `static-cache-paths`")
        .unsupported("uWSGI caches are not provided: nothing will be cached")
        .master(),
    opt("static-expires", Kind::List)
        .doc("send Expires for static files whose path matches a regular expression")
        .unsupported("no regular expressions: the Expires header will not be set"),
    opt("static-expires-mtime", Kind::List)
        .doc("like `static-expires`, counting from the file's modification time")
        .unsupported("no regular expressions: the Expires header will not be set"),
    opt("static-expires-uri", Kind::List)
        .doc("send Expires for static files whose URI matches a regular expression")
        .unsupported("no regular expressions: the Expires header will not be set"),
    opt("static-expires-uri-mtime", Kind::List)
        .doc("like `static-expires-uri`, counting from the file's modification time")
        .unsupported("no regular expressions: the Expires header will not be set"),
    opt("static-expires-path-info", Kind::List)
        .doc("send Expires for static files whose PATH_INFO matches a regular expression")
        .unsupported("no regular expressions: the Expires header will not be set"),
    opt("static-expires-path-info-mtime", Kind::List)
        .doc("like `static-expires-path-info`, counting from the file's modification time")
        .unsupported("no regular expressions: the Expires header will not be set"),
    opt("static-gzip", Kind::List)
        .doc("serve `FILE.gz` instead of FILE when the path matches a regular expression")
        .unsupported("precompressed static files will not be served"),
    opt("static-gzip-all", Kind::Flag)
        .doc("serve `FILE.gz` instead of FILE whenever it exists")
        .unsupported("precompressed static files will not be served"),
    opt("static-gzip-dir", Kind::List)
        .aliases(&["static-gzip-prefix"])
        .doc("serve `FILE.gz` for files under this directory")
        .unsupported("precompressed static files will not be served"),
    opt("static-gzip-ext", Kind::List)
        .aliases(&["static-gzip-suffix"])
        .doc("serve `FILE.gz` for files with this extension")
        .unsupported("precompressed static files will not be served"),
    // --- unsupported core: processes and workers ---
    opt("harakiri-queue-threshold", Kind::Int)
        .doc("only run harakiri while the listen queue is longer than this")
        .unsupported("harakiri does not look at the listen queue"),
    opt("harakiri-no-arh", Kind::Flag)
        .aliases(&["no-harakiri-arh", "no-harakiri-after-req-hook"])
        .doc("do not apply harakiri to after-request hooks")
        .unsupported("after-request hooks are not supported; harakiri covers the request only"),
    opt("backtrace-depth", Kind::Int)
        .doc("depth of the C backtrace logged on a crash")
        .unsupported("no C backtraces are logged"),
    opt("max-apps", Kind::Int)
        .doc("most apps a worker may load")
        .unsupported("the number of apps is not limited"),
    opt("profiler", Kind::Str)
        .doc("enable a profiler (`pycall`, `pyline`)")
        .unsupported("uWSGI's profilers are not provided: nothing will be profiled"),
    opt("cgi-mode", Kind::Flag)
        .short('c')
        .doc("send CGI-style responses (`Status:` instead of a status line)")
        .unsupported("responses are never rewritten for CGI"),
    opt("no-threads-wait", Kind::Flag)
        .doc("do not wait for threads to finish on shutdown")
        .unsupported("workers always wait for their threads to finish"),
    opt("write-errors-tolerance", Kind::Size)
        .doc("write errors tolerated before a request is closed")
        .unsupported("write errors are not counted: the request ends at the first one"),
    opt("write-errors-exception-only", Kind::Flag)
        .doc("only raise an exception on write errors, without logging them")
        .unsupported("write errors are still logged"),
    opt("ignore-write-errors", Kind::Flag)
        .doc("do not log write errors on closed connections")
        .unsupported("write errors on closed connections are still logged"),
    opt("disable-write-exception", Kind::Flag)
        .doc("do not raise an exception in the app when a write fails")
        .unsupported("a failed write is still reported to the app"),
    opt("exit-on-reload", Kind::Flag)
        .doc("exit instead of reloading")
        .unsupported("a reload reloads: the instance will not exit"),
    opt("force-gateway", Kind::Flag)
        .doc("start gateways even without a master")
        .unsupported("there are no gateways to force"),
    opt("mule-reload-mercy", Kind::Int)
        .doc("seconds a mule gets to exit on a reload or stop")
        .unsupported("there are no mules: nothing will run in them"),
    opt("reload-on-uss", Kind::Megabytes)
        .doc("recycle a worker when a request leaves its USS above this many megabytes")
        .unsupported("workers will not be recycled on unique memory"),
    opt("reload-on-pss", Kind::Megabytes)
        .doc("recycle a worker when a request leaves its PSS above this many megabytes")
        .unsupported("workers will not be recycled on proportional memory"),
    opt("limit-nproc", Kind::Int)
        .doc("most processes the user may run")
        .unsupported("RLIMIT_NPROC will not be set"),
    opt("mem-collector-freq", Kind::Int)
        .doc("seconds between memory samples for `evil-reload-on-*`")
        .unsupported("memory is sampled on the master's own schedule"),
    opt("reload-on-fd", Kind::List)
        .doc("reload when a descriptor becomes readable: `fd[:bytes[ message]]`")
        .unsupported("the instance will not reload when a descriptor becomes readable")
        .master(),
    opt("brutal-reload-on-fd", Kind::List)
        .doc("like `reload-on-fd`, with a brutal reload")
        .unsupported("the instance will not reload when a descriptor becomes readable")
        .master(),
    opt("ksm", Kind::Int)
        .arg(Arg::Optional)
        .doc("scan memory for Kernel Samepage Merging every N cycles")
        .unsupported("Kernel Samepage Merging will not be requested"),
    opt("pcre-jit", Kind::Flag)
        .doc("enable the PCRE JIT")
        .unsupported("no regular expressions are used"),
    opt("never-swap", Kind::Flag)
        .doc("lock all memory so it is never swapped")
        .unsupported("memory will not be locked (mlockall)"),
    opt("touch-mules-reload", Kind::List)
        .doc("reload the mules when this file changes")
        .unsupported("there are no mules: nothing will run in them")
        .master(),
    opt("touch-spoolers-reload", Kind::List)
        .doc("reload the spoolers when this file changes")
        .unsupported("there is no spooler: tasks will not run")
        .master(),
    opt("touch-logrotate", Kind::List)
        .doc("rotate the log file (as `log-maxsize` does) when this file's modification time changes")
        .implemented()
        .master(),
    opt("touch-exec", Kind::List)
        .doc("run a command when a file changes: `FILE COMMAND`")
        .unsupported("the command will not run when the file changes")
        .master(),
    opt("touch-signal", Kind::List)
        .doc("raise a uWSGI signal when a file changes")
        .unsupported("uWSGI signals are not provided: no signal will be raised or handled")
        .master(),
    opt("fs-reload", Kind::List)
        .doc("reload when a file or directory changes (inotify)")
        .unsupported("the instance will not reload on filesystem events; use `touch-reload`")
        .master(),
    opt("fs-brutal-reload", Kind::List)
        .doc("brutally reload when a file or directory changes")
        .unsupported("the instance will not reload on filesystem events; use `touch-reload`")
        .master(),
    opt("fs-signal", Kind::List)
        .doc("raise a uWSGI signal when a file or directory changes")
        .unsupported("uWSGI signals are not provided: no signal will be raised or handled")
        .master(),
    opt("check-mountpoint", Kind::List)
        .aliases(&["mountpoint-check", "check-mount", "mount-check"])
        .doc("stop the instance when this mountpoint goes away")
        .unsupported("mountpoints are not watched: the instance will not stop when one disappears")
        .master(),
    opt("propagate-touch", Kind::Flag)
        .doc("on touch reloads, also signal the workers directly")
        .unsupported("touch reloads are not propagated"),
    opt("prio", Kind::Str)
        .doc("nice value of the processes (may be negative)")
        .unsupported("the scheduling priority will not be changed"),
    opt("reload-on-exception-type", Kind::List)
        .doc("recycle a worker after an unhandled exception of this type")
        .unsupported("workers will not be recycled on matching exceptions"),
    opt("reload-on-exception-value", Kind::List)
        .doc("recycle a worker after an unhandled exception with this value")
        .unsupported("workers will not be recycled on matching exceptions"),
    opt("reload-on-exception-repr", Kind::List)
        .doc("recycle a worker after an unhandled exception with this repr")
        .unsupported("workers will not be recycled on matching exceptions"),
    opt("exception-handler", Kind::List)
        .doc("handler given every unhandled exception")
        .unsupported("exception handlers are not supported: nothing will be called")
        .master(),
    opt("catch-exceptions", Kind::Flag)
        .doc("send the traceback of an unhandled exception in the response")
        .unsupported("tracebacks will not be sent to clients; they get a plain 500"),
    opt("cheap", Kind::Flag)
        .doc("start without workers until the first request")
        .unsupported("workers start at boot")
        .master(),
    opt("cheaper-algo-list", Kind::Flag)
        .aliases(&["cheaper-algos-list", "cheaper-list"])
        .doc("list the cheaper algorithms and exit")
        .unsupported("only the `spare` algorithm exists"),
    opt("cheaper-rss-limit-soft", Kind::Size)
        .doc("stop spawning workers when their total RSS passes this many bytes")
        .unsupported("memory does not limit spawning")
        .master(),
    opt("cheaper-rss-limit-hard", Kind::Size)
        .doc("stop workers when their total RSS passes this many bytes")
        .unsupported("memory does not limit spawning")
        .master(),
    opt("cheaper-idle", Kind::Int)
        .doc("seconds the cheaper algorithm waits before stopping an idle worker")
        .unsupported("the spare algorithm decides alone")
        .master(),
    opt("die-on-no-workers", Kind::Flag)
        .doc("stop the instance when no worker is left")
        .unsupported("the instance keeps running while workers respawn"),
    opt("thread-stacksize", Kind::Int)
        .aliases(&[
            "threads-stacksize",
            "thread-stack-size",
            "threads-stack-size",
        ])
        .doc("stack size of worker threads, in kilobytes")
        .unsupported("Python threads keep the default stack size")
        .threads(),
    opt("async", Kind::Int)
        .doc("number of async cores per worker")
        .unsupported("async cores are not supported: requests run one per thread"),
    opt("disable-async-warn-on-queue-full", Kind::Flag)
        .doc("do not warn when the async queue is full")
        .unsupported("async cores are not supported"),
    opt("loop", Kind::Str)
        .doc("event loop engine of the workers")
        .unsupported("only emperor's own worker loop exists"),
    opt("loop-list", Kind::Flag)
        .aliases(&["loops-list"])
        .doc("list the loop engines and exit")
        .unsupported("only emperor's own worker loop exists"),
    opt("clock", Kind::Str)
        .doc("clock source (`monotonic`, `realtime`)")
        .unsupported("the monotonic system clock is always used"),
    opt("clock-list", Kind::Flag)
        .aliases(&["clocks-list"])
        .doc("list the clock sources and exit")
        .unsupported("the monotonic system clock is always used"),
    opt("worker-exec", Kind::Str)
        .doc("exec this command in each worker instead of serving")
        .unsupported("workers run the app; no command will be exec'd"),
    opt("worker-exec2", Kind::Str)
        .doc("exec this command in each worker after the post-fork hooks")
        .unsupported("workers run the app; no command will be exec'd"),
    opt("max-fd", Kind::Int)
        .doc("most open descriptors per process")
        .unsupported("RLIMIT_NOFILE will not be changed"),
    opt("use-abort", Kind::Flag)
        .doc("call abort() on segfaults and fpe")
        .unsupported("crashes are not turned into abort()"),
    opt("locks", Kind::Int)
        .doc("number of user locks for `uwsgi.lock()`")
        .unsupported("uWSGI's user locks are not provided: `uwsgi.lock()` will not exist"),
    opt("lock-engine", Kind::Str)
        .doc("lock implementation")
        .unsupported("uWSGI's user locks are not provided"),
    opt("ftok", Kind::Str)
        .doc("key for SysV IPC semaphores")
        .unsupported("uWSGI's user locks are not provided"),
    opt("persistent-ipcsem", Kind::Flag)
        .doc("keep SysV IPC semaphores after shutdown")
        .unsupported("uWSGI's user locks are not provided"),
    opt("safe-fd", Kind::List)
        .aliases(&["fd-safe"])
        .doc("keep this descriptor open in the instance")
        .unsupported("the descriptor will not be kept open: vassals get stdio and the link only"),
    opt("file-write", Kind::List)
        .doc("write a value to a file at startup: `FILE=VALUE`")
        .unsupported("the file will not be written"),
    opt("envdir", Kind::List)
        .doc("set environment variables from the files in a directory (daemontools style)")
        .unsupported("the environment directory will not be read"),
    opt("early-envdir", Kind::Str)
        .doc("like `envdir`, applied while the config is read")
        .unsupported("the environment directory will not be read"),
    opt("unenv", Kind::List)
        .doc("remove an environment variable")
        .unsupported("the environment variable will not be removed"),
    opt("ienv", Kind::List)
        .doc("set an environment variable while the config is read")
        .unsupported("only `env` sets the environment"),
    opt("daemons-honour-stdin", Kind::Flag)
        .doc("give attached daemons the instance's stdin")
        .unsupported("attached daemons get /dev/null as stdin")
        .master(),
    opt("legion-attach-daemon", Kind::List)
        .doc("like `attach-daemon`, run only on the legion lord")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-smart-attach-daemon", Kind::List)
        .doc("like `smart-attach-daemon`, run only on the legion lord")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-smart-attach-daemon2", Kind::List)
        .doc("like `smart-attach-daemon2`, run only on the legion lord")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    // --- unsupported core: privileges and isolation ---
    opt("add-gid", Kind::List)
        .doc("add a supplementary group")
        .unsupported("no extra group will be added"),
    opt("immediate-uid", Kind::Str)
        .doc("drop to this user while the config is read")
        .unsupported("privileges are dropped in uWSGI's order only; use `uid`"),
    opt("immediate-gid", Kind::Str)
        .doc("drop to this group while the config is read")
        .unsupported("privileges are dropped in uWSGI's order only; use `gid`"),
    opt("drop-after-init", Kind::Flag)
        .doc("drop privileges only after the plugins start")
        .unsupported("privileges are dropped before the app is loaded"),
    opt("drop-after-apps", Kind::Flag)
        .doc("drop privileges only after the app is loaded")
        .unsupported("privileges are dropped before the app is loaded"),
    opt("umask", Kind::Str)
        .doc("umask of the processes")
        .unsupported("the umask will not be changed"),
    opt("force-cwd", Kind::Str)
        .doc("use this as the initial working directory")
        .unsupported("the initial working directory is not overridden"),
    opt("binsh", Kind::List)
        .doc("shell used to run commands")
        .unsupported("commands are run with /bin/sh"),
    opt("chroot", Kind::Str)
        .doc("chroot into this directory")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("pivot-root", Kind::Str)
        .aliases(&["pivot_root"])
        .doc("pivot_root into a directory: `new_root put_old`")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("unshare", Kind::Str)
        .doc("unshare Linux namespaces (`net`, `pid`, `mount`...)")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("unshare2", Kind::Str)
        .doc("like `unshare`, after the rootfs is set up")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("setns-socket", Kind::Str)
        .doc("serve namespace descriptors on this UNIX socket")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated")
        .master(),
    opt("setns-socket-skip", Kind::List)
        .aliases(&["setns-skip"])
        .doc("namespace skipped by `setns-socket`")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("setns", Kind::Str)
        .doc("join the namespaces served on this UNIX socket")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("setns-preopen", Kind::Flag)
        .doc("open the namespace descriptors early")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("jailed", Kind::Flag)
        .doc("tell uWSGI it runs in a jail")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("jail", Kind::Str)
        .doc("name of the FreeBSD jail to run in")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("jail-ip4", Kind::List)
        .doc("an IPv4 address of the FreeBSD jail")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("jail-ip6", Kind::List)
        .doc("an IPv6 address of the FreeBSD jail")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("jidfile", Kind::Str)
        .aliases(&["jid-file"])
        .doc("file the FreeBSD jail id is written to")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("jail2", Kind::List)
        .aliases(&["libjail"])
        .doc("a FreeBSD jail parameter passed to libjail")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("jail-attach", Kind::Str)
        .doc("attach to this FreeBSD jail")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("refork", Kind::Flag)
        .aliases(&["re-fork"])
        .doc("fork again after privileges are dropped")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("refork-as-root", Kind::Flag)
        .aliases(&["re-fork-as-root"])
        .doc("fork again before privileges are dropped")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("refork-post-jail", Kind::Flag)
        .aliases(&["re-fork-post-jail"])
        .doc("fork again after jailing")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("cgroup", Kind::List)
        .doc("put the processes in this cgroup")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("cgroup-opt", Kind::List)
        .doc("set a cgroup value: `name=value`")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("cgroup-dir-mode", Kind::Str)
        .doc("permissions of cgroup directories")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("namespace", Kind::Str)
        .aliases(&["ns"])
        .doc("run in a new Linux namespace rooted at this directory")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("namespace-keep-mount", Kind::List)
        .doc("keep a mountpoint in the namespace")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    opt("namespace-net", Kind::Str)
        .aliases(&["ns-net"])
        .doc("run in a new network namespace")
        .unsupported("jails, namespaces and cgroups are not supported: nothing is isolated"),
    // --- unsupported core: hooks ---
    opt("hook-asap", Kind::List)
        .doc("hook run as soon as possible")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-pre-jail", Kind::List)
        .doc("hook run before jailing")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-post-jail", Kind::List)
        .doc("hook run after jailing")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-in-jail", Kind::List)
        .doc("hook run inside the jail")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-root", Kind::List)
        .doc("hook run while still root")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-user", Kind::List)
        .doc("hook run after privileges are dropped")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-user-atexit", Kind::List)
        .doc("hook run at exit")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-pre-app", Kind::List)
        .doc("hook run before the app is loaded")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-post-app", Kind::List)
        .doc("hook run after the app is loaded")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-post-fork", Kind::List)
        .doc("hook run in each worker after the fork")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-accepting", Kind::List)
        .doc("hook run when a worker starts accepting")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-accepting1", Kind::List)
        .doc("hook run when the first worker starts accepting")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-accepting-once", Kind::List)
        .doc("hook run once per instance when a worker starts accepting")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-accepting1-once", Kind::List)
        .doc("hook run once per instance when the first worker starts accepting")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-master-start", Kind::List)
        .doc("hook run when the master starts")
        .unsupported("hooks are not supported (SIGTERM already stops gracefully)"),
    opt("hook-touch", Kind::List)
        .doc("hook run when a file changes: `FILE action`")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-emperor-start", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run when the emperor starts")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-emperor-stop", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run when the emperor stops a vassal")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-emperor-reload", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run when the emperor reloads a vassal")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-emperor-lost", Kind::List)
        .doc("hook run when the link to the emperor is lost")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run in a vassal before it is exec'd")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-emperor", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run in the emperor after a vassal is spawned")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-mule", Kind::List)
        .doc("hook run in each mule")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-gateway", Kind::List)
        .doc("hook run in each gateway")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-on-demand-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run when an on-demand vassal is spawned")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-on-config-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run when a vassal's config is pushed")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-emperor-before-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run in the emperor before a vassal is spawned")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-vassal-before-drop", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run in a vassal before it drops privileges")
        .unsupported("hooks are not supported: the action will not run"),
    opt("hook-as-emperor-setns", Kind::List)
        .scope(Scope::Emperor)
        .doc("hook run when the emperor joins a vassal's namespace")
        .unsupported("hooks are not supported: the action will not run"),
    opt("after-request-hook", Kind::List)
        .aliases(&["after-request-call"])
        .doc("function called after every request")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("exec-asap", Kind::List)
        .doc("command run as soon as possible")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-pre-jail", Kind::List)
        .doc("command run before jailing")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-post-jail", Kind::List)
        .doc("command run after jailing")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-in-jail", Kind::List)
        .doc("command run inside the jail")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-as-root", Kind::List)
        .doc("command run while still root")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-as-user", Kind::List)
        .doc("command run after privileges are dropped")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-as-user-atexit", Kind::List)
        .doc("command run at exit")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-pre-app", Kind::List)
        .doc("command run before the app is loaded")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-post-app", Kind::List)
        .doc("command run after the app is loaded")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-as-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("command run in a vassal before it is exec'd")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("exec-as-emperor", Kind::List)
        .scope(Scope::Emperor)
        .doc("command run in the emperor after a vassal is spawned")
        .unsupported("hook commands are not supported: the command will not run"),
    opt("mount-asap", Kind::List)
        .doc("filesystem mounted as soon as possible")
        .unsupported("hook mounts are not supported: nothing will be mounted"),
    opt("mount-pre-jail", Kind::List)
        .doc("filesystem mounted before jailing")
        .unsupported("hook mounts are not supported: nothing will be mounted"),
    opt("mount-post-jail", Kind::List)
        .doc("filesystem mounted after jailing")
        .unsupported("hook mounts are not supported: nothing will be mounted"),
    opt("mount-in-jail", Kind::List)
        .doc("filesystem mounted inside the jail")
        .unsupported("hook mounts are not supported: nothing will be mounted"),
    opt("mount-as-root", Kind::List)
        .doc("filesystem mounted while still root")
        .unsupported("hook mounts are not supported: nothing will be mounted"),
    opt("mount-as-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("filesystem mounted in a vassal before it is exec'd")
        .unsupported("hook mounts are not supported: nothing will be mounted"),
    opt("mount-as-emperor", Kind::List)
        .scope(Scope::Emperor)
        .doc("filesystem mounted in the emperor after a vassal is spawned")
        .unsupported("hook mounts are not supported: nothing will be mounted"),
    opt("umount-asap", Kind::List)
        .doc("filesystem unmounted as soon as possible")
        .unsupported("hook mounts are not supported: nothing will be unmounted"),
    opt("umount-pre-jail", Kind::List)
        .doc("filesystem unmounted before jailing")
        .unsupported("hook mounts are not supported: nothing will be unmounted"),
    opt("umount-post-jail", Kind::List)
        .doc("filesystem unmounted after jailing")
        .unsupported("hook mounts are not supported: nothing will be unmounted"),
    opt("umount-in-jail", Kind::List)
        .doc("filesystem unmounted inside the jail")
        .unsupported("hook mounts are not supported: nothing will be unmounted"),
    opt("umount-as-root", Kind::List)
        .doc("filesystem unmounted while still root")
        .unsupported("hook mounts are not supported: nothing will be unmounted"),
    opt("umount-as-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("filesystem unmounted in a vassal before it is exec'd")
        .unsupported("hook mounts are not supported: nothing will be unmounted"),
    opt("umount-as-emperor", Kind::List)
        .scope(Scope::Emperor)
        .doc("filesystem unmounted in the emperor after a vassal is spawned")
        .unsupported("hook mounts are not supported: nothing will be unmounted"),
    opt("call-asap", Kind::List)
        .doc("function called as soon as possible")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-pre-jail", Kind::List)
        .doc("function called before jailing")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-post-jail", Kind::List)
        .doc("function called after jailing")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-in-jail", Kind::List)
        .doc("function called inside the jail")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-root", Kind::List)
        .doc("function called while still root")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-user", Kind::List)
        .doc("function called after privileges are dropped")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-user-atexit", Kind::List)
        .doc("function called at exit")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-pre-app", Kind::List)
        .doc("function called before the app is loaded")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-post-app", Kind::List)
        .doc("function called after the app is loaded")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-vassal", Kind::List)
        .scope(Scope::Emperor)
        .doc("function called in a vassal before it is exec'd")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-vassal1", Kind::List)
        .scope(Scope::Emperor)
        .doc("function called in a vassal before it is exec'd, with one argument")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-vassal3", Kind::List)
        .scope(Scope::Emperor)
        .doc("function called in a vassal before it is exec'd, with three arguments")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-emperor", Kind::List)
        .scope(Scope::Emperor)
        .doc("function called in the emperor after a vassal is spawned")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-emperor1", Kind::List)
        .scope(Scope::Emperor)
        .doc("function called in the emperor after a vassal is spawned, with one argument")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-emperor2", Kind::List)
        .scope(Scope::Emperor)
        .doc("function called in the emperor after a vassal is spawned, with two arguments")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("call-as-emperor4", Kind::List)
        .scope(Scope::Emperor)
        .doc("function called in the emperor after a vassal is spawned, with four arguments")
        .unsupported("hook calls are not supported: the function will not be called"),
    opt("wait-for-interface", Kind::List)
        .aliases(&["wait-interface", "wait-for-iface", "wait-iface"])
        .doc("wait for a network interface to appear before starting")
        .unsupported("startup will not wait for it"),
    opt("wait-for-interface-timeout", Kind::Int)
        .aliases(&[
            "wait-interface-timeout",
            "wait-for-iface-timeout",
            "wait-iface-timeout",
        ])
        .doc("seconds to wait for a network interface")
        .unsupported("startup will not wait for it"),
    opt("wait-for-fs", Kind::List)
        .aliases(&["wait-for-file", "wait-for-dir"])
        .doc("wait for a file or directory to appear before starting")
        .unsupported("startup will not wait for it"),
    opt("wait-for-mountpoint", Kind::List)
        .doc("wait for a mountpoint to appear before starting")
        .unsupported("startup will not wait for it"),
    opt("wait-for-fs-timeout", Kind::Int)
        .doc("seconds to wait for a file, directory or mountpoint")
        .unsupported("startup will not wait for it"),
    opt("wait-for-socket", Kind::List)
        .doc("wait for a socket to accept connections before starting")
        .unsupported("startup will not wait for it"),
    opt("wait-for-socket-timeout", Kind::Int)
        .doc("seconds to wait for a socket")
        .unsupported("startup will not wait for it"),
    // --- unsupported core: caches, queue and shared areas ---
    opt("cache", Kind::Size)
        .doc("create the old-style cache with this many items")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache-blocksize", Kind::Size)
        .doc("block size of the old-style cache")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache-store", Kind::Str)
        .doc("persist the old-style cache to this file")
        .unsupported("uWSGI caches are not provided: nothing will be cached")
        .master(),
    opt("cache-store-sync", Kind::Int)
        .doc("seconds between syncs of the persisted cache")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache-no-expire", Kind::Flag)
        .doc("never expire cache items")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache-expire-freq", Kind::Int)
        .doc("seconds between cache sweeps")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache-report-freed-items", Kind::Flag)
        .doc("log the cache items freed by sweeps")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache-udp-server", Kind::List)
        .doc("receive cache updates on this UDP address")
        .unsupported("uWSGI caches are not provided: nothing will be cached")
        .master(),
    opt("cache-udp-node", Kind::List)
        .doc("send cache updates to this UDP address")
        .unsupported("uWSGI caches are not provided: nothing will be cached")
        .master(),
    opt("cache-sync", Kind::Str)
        .doc("copy the cache from this instance at startup")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache-use-last-modified", Kind::Flag)
        .doc("set Last-Modified on responses served from the cache")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("add-cache-item", Kind::List)
        .doc("put an item in a cache at startup: `[cache@]key=value`")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("load-file-in-cache", Kind::List)
        .doc("put a file in a cache at startup")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("load-file-in-cache-gzip", Kind::List)
        .doc("put a gzipped file in a cache at startup")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("cache2", Kind::List)
        .doc("create a cache: `name=...,items=...`")
        .unsupported("uWSGI caches are not provided: nothing will be cached"),
    opt("queue", Kind::Int)
        .doc("create the shared queue with this many slots")
        .unsupported("uWSGI's shared queue is not provided: nothing will be queued"),
    opt("queue-blocksize", Kind::Int)
        .doc("block size of the shared queue")
        .unsupported("uWSGI's shared queue is not provided: nothing will be queued"),
    opt("queue-store", Kind::Str)
        .doc("persist the shared queue to this file")
        .unsupported("uWSGI's shared queue is not provided: nothing will be queued")
        .master(),
    opt("queue-store-sync", Kind::Int)
        .doc("seconds between syncs of the persisted queue")
        .unsupported("uWSGI's shared queue is not provided: nothing will be queued"),
    opt("sharedarea", Kind::List)
        .short('A')
        .doc("create a shared memory area")
        .unsupported("shared areas are not provided: `uwsgi.sharedarea_*` will not exist"),
    // --- unsupported core: spooler, mules, signals, cron ---
    opt("spooler", Kind::List)
        .short('Q')
        .doc("run a spooler on this directory")
        .unsupported("there is no spooler: tasks will not run")
        .master(),
    opt("spooler-external", Kind::List)
        .doc("use this spooler directory without running a spooler")
        .unsupported("there is no spooler: tasks will not run")
        .master(),
    opt("spooler-ordered", Kind::Flag)
        .doc("run spooler tasks in order")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-chdir", Kind::Str)
        .doc("directory spooler tasks run in")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-processes", Kind::Int)
        .doc("processes per spooler")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-quiet", Kind::Flag)
        .doc("do not log spooler activity")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-max-tasks", Kind::Int)
        .doc("recycle a spooler after this many tasks")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-harakiri", Kind::Int)
        .doc("harakiri for spooler tasks, in seconds")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-frequency", Kind::Int)
        .aliases(&["spooler-freq"])
        .doc("seconds between spooler directory scans")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-signal-as-task", Kind::Flag)
        .doc("treat uWSGI signals as spooler tasks")
        .unsupported("there is no spooler: tasks will not run"),
    opt("spooler-cheap", Kind::Flag)
        .doc("start spoolers only when there is work")
        .unsupported("there is no spooler: tasks will not run"),
    opt("mule-harakiri", Kind::Int)
        .doc("harakiri for mules, in seconds")
        .unsupported("there are no mules: nothing will run in them"),
    opt("mule", Kind::List)
        .arg(Arg::Optional)
        .doc("add a mule, optionally running a script")
        .unsupported("there are no mules: nothing will run in them")
        .master(),
    opt("mules", Kind::Int)
        .doc("add this many mules")
        .unsupported("there are no mules: nothing will run in them")
        .master(),
    opt("farm", Kind::List)
        .doc("group mules into a farm: `name:1,2`")
        .unsupported("there are no mules: nothing will run in them")
        .master(),
    opt("mule-msg-size", Kind::Int)
        .arg(Arg::Optional)
        .doc("buffer size of mule messages")
        .unsupported("there are no mules: nothing will run in them")
        .master(),
    opt("mule-msg-recv-size", Kind::Int)
        .doc("receive buffer size of mule messages")
        .unsupported("there are no mules: nothing will run in them")
        .master(),
    opt("signal", Kind::Str)
        .doc("send a uWSGI signal to the instance listening on a socket: `socket signum`")
        .unsupported("uWSGI signals are not provided: no signal will be raised or handled"),
    opt("signal-bufsize", Kind::Int)
        .aliases(&["signals-bufsize"])
        .doc("buffer size of the signal queue")
        .unsupported("uWSGI signals are not provided: no signal will be raised or handled"),
    opt("signal-timer", Kind::List)
        .aliases(&["timer"])
        .doc("raise a uWSGI signal every N seconds: `signum seconds`")
        .unsupported("uWSGI signals are not provided: no signal will be raised or handled")
        .master(),
    opt("signal-rbtimer", Kind::List)
        .aliases(&["rbtimer"])
        .doc("like `signal-timer`, with a red-black tree timer")
        .unsupported("uWSGI signals are not provided: no signal will be raised or handled")
        .master(),
    opt("rpc-max", Kind::Size)
        .doc("most RPC functions")
        .unsupported("uWSGI RPC is not provided"),
    opt("cron", Kind::List)
        .doc("run a command at times: `min hour day month weekday command`")
        .unsupported("there is no cron: the command will not run")
        .master(),
    opt("cron2", Kind::List)
        .doc("run a command at times given as keys: `minute=...,unique=1 command`")
        .unsupported("there is no cron: the command will not run")
        .master(),
    opt("unique-cron", Kind::List)
        .doc("like `cron`, never running two at once")
        .unsupported("there is no cron: the command will not run")
        .master(),
    opt("cron-harakiri", Kind::Int)
        .doc("kill cron commands running longer than this many seconds")
        .unsupported("there is no cron: the command will not run"),
    opt("legion-cron", Kind::List)
        .aliases(&["cron-legion"])
        .doc("like `cron`, run only on the legion lord")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("unique-legion-cron", Kind::List)
        .aliases(&["unique-cron-legion"])
        .doc("like `unique-cron`, run only on the legion lord")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    // --- unsupported core: internal router ---
    opt("route", Kind::List)
        .doc("route rule matched against PATH_INFO")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-host", Kind::List)
        .doc("route rule matched against HTTP_HOST")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-uri", Kind::List)
        .doc("route rule matched against REQUEST_URI")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-qs", Kind::List)
        .doc("route rule matched against QUERY_STRING")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-remote-addr", Kind::List)
        .doc("route rule matched against REMOTE_ADDR")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-user-agent", Kind::List)
        .doc("route rule matched against HTTP_USER_AGENT")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-remote-user", Kind::List)
        .doc("route rule matched against REMOTE_USER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-referer", Kind::List)
        .doc("route rule matched against HTTP_REFERER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-label", Kind::List)
        .doc("label that `goto` route actions jump to")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-if", Kind::List)
        .doc("route rule applied when a condition holds")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-if-not", Kind::List)
        .doc("route rule applied when a condition does not hold")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("route-run", Kind::List)
        .doc("route action always run")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route", Kind::List)
        .doc("final route rule matched against PATH_INFO")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-status", Kind::List)
        .doc("final route rule matched against the response status")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-host", Kind::List)
        .doc("final route rule matched against HTTP_HOST")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-uri", Kind::List)
        .doc("final route rule matched against REQUEST_URI")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-qs", Kind::List)
        .doc("final route rule matched against QUERY_STRING")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-remote-addr", Kind::List)
        .doc("final route rule matched against REMOTE_ADDR")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-user-agent", Kind::List)
        .doc("final route rule matched against HTTP_USER_AGENT")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-remote-user", Kind::List)
        .doc("final route rule matched against REMOTE_USER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-referer", Kind::List)
        .doc("final route rule matched against HTTP_REFERER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-label", Kind::List)
        .doc("label in the final route chain")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-if", Kind::List)
        .doc("final route rule applied when a condition holds")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-if-not", Kind::List)
        .doc("final route rule applied when a condition does not hold")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("final-route-run", Kind::List)
        .doc("final route action always run")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route", Kind::List)
        .doc("error route rule matched against PATH_INFO")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-status", Kind::List)
        .doc("error route rule matched against the response status")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-host", Kind::List)
        .doc("error route rule matched against HTTP_HOST")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-uri", Kind::List)
        .doc("error route rule matched against REQUEST_URI")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-qs", Kind::List)
        .doc("error route rule matched against QUERY_STRING")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-remote-addr", Kind::List)
        .doc("error route rule matched against REMOTE_ADDR")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-user-agent", Kind::List)
        .doc("error route rule matched against HTTP_USER_AGENT")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-remote-user", Kind::List)
        .doc("error route rule matched against REMOTE_USER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-referer", Kind::List)
        .doc("error route rule matched against HTTP_REFERER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-label", Kind::List)
        .doc("label in the error route chain")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-if", Kind::List)
        .doc("error route rule applied when a condition holds")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-if-not", Kind::List)
        .doc("error route rule applied when a condition does not hold")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("error-route-run", Kind::List)
        .doc("error route action always run")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route", Kind::List)
        .doc("response route rule matched against PATH_INFO")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-status", Kind::List)
        .doc("response route rule matched against the response status")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-host", Kind::List)
        .doc("response route rule matched against HTTP_HOST")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-uri", Kind::List)
        .doc("response route rule matched against REQUEST_URI")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-qs", Kind::List)
        .doc("response route rule matched against QUERY_STRING")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-remote-addr", Kind::List)
        .doc("response route rule matched against REMOTE_ADDR")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-user-agent", Kind::List)
        .doc("response route rule matched against HTTP_USER_AGENT")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-remote-user", Kind::List)
        .doc("response route rule matched against REMOTE_USER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-referer", Kind::List)
        .doc("response route rule matched against HTTP_REFERER")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-label", Kind::List)
        .doc("label in the response route chain")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-if", Kind::List)
        .doc("response route rule applied when a condition holds")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-if-not", Kind::List)
        .doc("response route rule applied when a condition does not hold")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("response-route-run", Kind::List)
        .doc("response route action always run")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    opt("router-list", Kind::Flag)
        .aliases(&["routers-list"])
        .doc("list the route actions and exit")
        .unsupported("the internal router is not supported: the rule will not be applied"),
    // --- unsupported core: subscriptions, legions, zerg ---
    opt("subscription-notify-socket", Kind::Str)
        .doc("socket subscription results are reported to")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscriptions-sign-check", Kind::Str)
        .doc("check subscription signatures: `algo:certs_dir`")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscriptions-sign-check-tolerance", Kind::Int)
        .doc("clock skew tolerated on signed subscriptions, in seconds")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscriptions-sign-skip-uid", Kind::List)
        .doc("accept unsigned subscriptions from this uid")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscriptions-credentials-check", Kind::List)
        .doc("check subscriber credentials against this directory")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscriptions-use-credentials", Kind::Flag)
        .doc("send credentials with subscriptions")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("subscription-algo", Kind::Str)
        .doc("load balancing algorithm for subscribed nodes")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("subscription-dotsplit", Kind::Flag)
        .doc("match subscription keys by domain parts")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("subscribe-to", Kind::List)
        .aliases(&["st", "subscribe"])
        .doc("subscribe to a subscription server: `server:key`")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscribe2", Kind::List)
        .doc("subscribe with keys: `server=...,key=...`")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscribe-freq", Kind::Int)
        .doc("seconds between subscription announcements")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("subscription-tolerance", Kind::Int)
        .doc("seconds a subscribed node may stay silent")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("unsubscribe-on-graceful-reload", Kind::Flag)
        .doc("unsubscribe during graceful reloads")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("start-unsubscribed", Kind::Flag)
        .doc("start without announcing subscriptions")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("subscribe-with-modifier1", Kind::Str)
        .doc("modifier1 announced with subscriptions")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscription-mountpoints", Kind::Int)
        .aliases(&["subscription-mountpoint"])
        .doc("use mountpoints in subscription keys")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscription-vassal-required", Kind::Flag)
        .doc("accept subscriptions only from vassals of an emperor")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced")
        .master(),
    opt("subscription-tolerance-inactive", Kind::Int)
        .doc("seconds an inactive subscribed node is kept")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("subscription-clear-on-shutdown", Kind::Flag)
        .doc("clear subscriptions when shutting down")
        .unsupported("subscriptions are not supported: nothing will be subscribed or announced"),
    opt("legion", Kind::List)
        .doc("join a legion: `name addr valor algo:secret`")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-mcast", Kind::List)
        .doc("join a legion over multicast")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-node", Kind::List)
        .doc("add a node to a legion")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-freq", Kind::Int)
        .doc("seconds between legion announcements")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-tolerance", Kind::Int)
        .doc("seconds a legion node may stay silent")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-death-on-lord-error", Kind::Int)
        .doc("step down as lord after a lord hook fails")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-skew-tolerance", Kind::Int)
        .doc("clock skew tolerated between legion nodes, in seconds")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-lord", Kind::List)
        .doc("action run when this node becomes lord")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-unlord", Kind::List)
        .doc("action run when this node stops being lord")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-setup", Kind::List)
        .doc("action run when the legion is set up")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-death", Kind::List)
        .doc("action run when the legion is left")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-join", Kind::List)
        .doc("action run when the legion is joined")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-node-joined", Kind::List)
        .doc("action run when a node joins")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-node-left", Kind::List)
        .doc("action run when a node leaves")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-quorum", Kind::List)
        .doc("quorum of a legion")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-scroll", Kind::List)
        .doc("scroll of this node")
        .unsupported("legions are not supported: no clustering will happen")
        .master(),
    opt("legion-scroll-max-size", Kind::Int)
        .doc("largest scroll of a node")
        .unsupported("legions are not supported: no clustering will happen"),
    opt("legion-scroll-list-max-size", Kind::Size)
        .doc("largest list of scrolls")
        .unsupported("legions are not supported: no clustering will happen"),
    opt("zerg", Kind::List)
        .doc("attach to a zerg server")
        .unsupported("zerg mode is not supported: sockets will not be shared"),
    opt("zerg-fallback", Kind::Flag)
        .doc("bind own sockets when the zerg server cannot be reached")
        .unsupported("zerg mode is not supported: sockets will not be shared"),
    opt("zerg-server", Kind::Str)
        .doc("serve this instance's sockets to zergs on this UNIX socket")
        .unsupported("zerg mode is not supported: sockets will not be shared")
        .master(),
    opt("fork-socket", Kind::Str)
        .aliases(&["fork-server"])
        .doc("serve forks from this socket")
        .unsupported("there is no fork server: nothing will be forked from it"),
    // --- unsupported core: TLS ---
    opt("ssl-verbose", Kind::Flag)
        .doc("log TLS errors")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("ssl-verify-depth", Kind::Int)
        .arg(Arg::Optional)
        .doc("depth of client certificate verification")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("ssl-sessions-use-cache", Kind::Str)
        .aliases(&["ssl-session-use-cache"])
        .arg(Arg::Optional)
        .doc("keep TLS sessions in a uWSGI cache")
        .unsupported("TLS is not supported yet: the setting has no effect")
        .master(),
    opt("ssl-sessions-timeout", Kind::Int)
        .aliases(&["ssl-session-timeout"])
        .doc("lifetime of TLS sessions, in seconds")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("sni", Kind::List)
        .doc("add an SNI context: `name,crt,key`")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("sni-dir", Kind::Str)
        .doc("find SNI certificates in this directory")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("sni-dir-ciphers", Kind::Str)
        .doc("ciphers of the SNI contexts from `sni-dir`")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("ssl-enable3", Kind::Flag)
        .aliases(&["ssl-enable-sslv3"])
        .doc("enable SSLv3")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("ssl-enable-tlsv1", Kind::Flag)
        .doc("enable TLSv1")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("ssl-option", Kind::List)
        .arg(Arg::None)
        .doc("set a raw OpenSSL option")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("sni-regexp", Kind::List)
        .doc("add an SNI context matched by a regular expression")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("ssl-tmp-dir", Kind::Str)
        .doc("directory for temporary TLS files")
        .unsupported("TLS is not supported yet: the setting has no effect"),
    opt("snmp", Kind::Str)
        .arg(Arg::Optional)
        .doc("answer SNMP on this address")
        .unsupported("SNMP is not supported: nothing will listen"),
    opt("snmp-community", Kind::Str)
        .doc("community string of the SNMP server")
        .unsupported("SNMP is not supported: nothing will listen"),
    // --- unsupported core: logging, alarms, metrics ---
    opt("logfile-chown", Kind::Flag)
        .doc("chown the log file to `uid`/`gid`")
        .unsupported("the log file's owner will not be changed"),
    opt("logfile-chmod", Kind::Str)
        .doc("permissions of the log file")
        .unsupported("the log file's permissions will not be changed"),
    opt("log-socket", Kind::List)
        .doc("send log lines to a socket")
        .unsupported("logging to a socket is not supported: use `logger = syslog`")
        .master(),
    opt("logger-list", Kind::Flag)
        .aliases(&["loggers-list"])
        .doc("list the loggers and exit")
        .unsupported("there is no logger list to print"),
    opt("threaded-logger", Kind::Flag)
        .doc("write logs from a separate thread")
        .unsupported("logs are written by the master loop")
        .master(),
    opt("log-encoder", Kind::List)
        .doc("how log lines are written: `json [TEMPLATE]` (a JSON object naming the vassal and worker) or `format TEMPLATE`")
        .implemented()
        .master(),
    opt("log-req-encoder", Kind::List)
        .doc("how request lines are written: `json [TEMPLATE]` or `format TEMPLATE`")
        .implemented()
        .master(),
    opt("worker-log-encoder", Kind::List)
        .doc("encoder applied to log lines, from the workers")
        .unsupported("log encoders are not supported: lines are written as they are"),
    opt("worker-log-req-encoder", Kind::List)
        .doc("encoder applied to request log lines, from the workers")
        .unsupported("log encoders are not supported: lines are written as they are"),
    opt("log-drain", Kind::List)
        .doc("drop log lines matching a regular expression")
        .unsupported("no regular expressions: matching lines will not be dropped")
        .master(),
    opt("log-filter", Kind::List)
        .doc("keep only log lines matching a regular expression")
        .unsupported("no regular expressions: lines will not be filtered")
        .master(),
    opt("log-route", Kind::List)
        .doc("send log lines matching a regular expression to a named logger")
        .unsupported("no regular expressions: lines will not be routed to named loggers")
        .master(),
    opt("log-req-route", Kind::List)
        .doc("send request log lines matching a regular expression to a named logger")
        .unsupported("no regular expressions: lines will not be routed to named loggers")
        .master(),
    opt("worker-logger", Kind::List)
        .doc("logger used directly by the workers")
        .unsupported("workers log through the master"),
    opt("worker-logger-req", Kind::List)
        .doc("request logger used directly by the workers")
        .unsupported("workers log through the master"),
    opt("log-master-bufsize", Kind::Size)
        .doc("buffer size of the master's log reader")
        .unsupported("the log buffer size is fixed"),
    opt("log-master-stream", Kind::Flag)
        .doc("read worker logs as a stream, not datagrams")
        .unsupported("log lines are read as lines"),
    opt("log-master-req-stream", Kind::Flag)
        .doc("read worker request logs as a stream, not datagrams")
        .unsupported("log lines are read as lines"),
    opt("log-truncate", Kind::Flag)
        .doc("truncate the log file at startup")
        .unsupported("the log file will not be truncated at startup"),
    opt("log-zero", Kind::Flag)
        .doc("log responses without a body even when `disable-logging` is set")
        .implemented(),
    opt("log-sendfile", Kind::Flag)
        .arg(Arg::Required)
        .doc("log responses sent with sendfile even when `disable-logging` is set")
        .unsupported("sendfile responses are not logged specially"),
    opt("log-ioerror", Kind::Flag)
        .arg(Arg::Required)
        .doc("log requests with I/O errors even when `disable-logging` is set")
        .unsupported("requests with I/O errors are not logged specially"),
    opt("log-micros", Kind::Flag)
        .doc("log response times in microseconds")
        .unsupported("response times are logged in milliseconds"),
    opt("alarm", Kind::List)
        .doc("define an alarm: `name plugin:args`")
        .unsupported("alarms are not supported: nothing will be raised")
        .master(),
    opt("alarm-cheap", Kind::Flag)
        .arg(Arg::Required)
        .doc("run curl alarms from the main alarm thread instead of their own")
        .unsupported("alarms are not supported: nothing will be raised"),
    opt("alarm-freq", Kind::Int)
        .doc("seconds between repeats of the same alarm")
        .unsupported("alarms are not supported: nothing will be raised"),
    opt("alarm-fd", Kind::List)
        .doc("raise an alarm when a descriptor becomes readable")
        .unsupported("alarms are not supported: nothing will be raised")
        .master(),
    opt("alarm-segfault", Kind::List)
        .aliases(&["segfault-alarm"])
        .doc("raise an alarm on a segfault")
        .unsupported("alarms are not supported: nothing will be raised")
        .master(),
    opt("alarm-backlog", Kind::List)
        .aliases(&[
            "backlog-alarm",
            "lq-alarm",
            "alarm-lq",
            "alarm-listen-queue",
            "listen-queue-alarm",
        ])
        .doc("raise an alarm when the listen queue is full")
        .unsupported("alarms are not supported: nothing will be raised")
        .master(),
    opt("log-alarm", Kind::List)
        .aliases(&["alarm-log"])
        .doc("raise an alarm when a log line matches a regular expression")
        .unsupported("alarms are not supported: nothing will be raised")
        .master(),
    opt("not-log-alarm", Kind::List)
        .aliases(&["not-alarm-log"])
        .doc("skip alarms for log lines matching a regular expression")
        .unsupported("alarms are not supported: nothing will be raised")
        .master(),
    opt("alarm-list", Kind::Flag)
        .aliases(&["alarms-list"])
        .doc("list the alarm plugins and exit")
        .unsupported("alarms are not supported: nothing will be raised"),
    opt("alarm-msg-size", Kind::Size)
        .doc("largest alarm message")
        .unsupported("alarms are not supported: nothing will be raised"),
    opt("metric", Kind::List)
        .doc("define a metric")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("metric-threshold", Kind::List)
        .aliases(&["metric-alarm", "alarm-metric"])
        .doc("raise an alarm when a metric passes a threshold")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("metrics-dir", Kind::Str)
        .aliases(&["metric-dir"])
        .doc("write metrics as files in this directory")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("metrics-dir-restore", Kind::Flag)
        .aliases(&["metric-dir-restore"])
        .doc("restore metric values from `metrics-dir` at startup")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("metrics-no-cores", Kind::Flag)
        .doc("do not collect per-core metrics")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("stats-push", Kind::List)
        .doc("push stats to a collector: `plugin:args`")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("stats-pusher-default-freq", Kind::Int)
        .aliases(&["stats-pushers-default-freq"])
        .doc("seconds between stats pushes")
        .unsupported("uWSGI's metrics are not provided: nothing will be collected or pushed")
        .master(),
    opt("udp", Kind::Str)
        .doc("receive UDP log lines and SNMP requests on this address")
        .unsupported("UDP logging and SNMP input are not supported: nothing will listen")
        .master(),
    opt("multicast", Kind::Str)
        .doc("join this multicast group")
        .unsupported("multicast is not supported")
        .master(),
    opt("multicast-ttl", Kind::Int)
        .doc("time to live of multicast messages")
        .unsupported("multicast is not supported"),
    opt("multicast-loop", Kind::Int)
        .doc("loop multicast messages back")
        .unsupported("multicast is not supported"),
    opt("notify-socket", Kind::Str)
        .doc("send status messages to this UNIX socket")
        .unsupported("the instance reports to the emperor link and systemd only")
        .master(),
    // --- unsupported core: emperor ---
    opt("emperor-proxy-socket", Kind::Str)
        .scope(Scope::Emperor)
        .doc("act as a proxy for an emperor on this socket")
        .unsupported("there is no emperor proxy: nothing will listen"),
    opt("emperor-wrapper", Kind::Str)
        .scope(Scope::Emperor)
        .doc("binary the emperor runs vassals with")
        .unsupported("vassals are always run by emperor's own binary"),
    opt("emperor-wrapper-override", Kind::List)
        .scope(Scope::Emperor)
        .doc("binary tried first to run vassals")
        .unsupported("vassals are always run by emperor's own binary"),
    opt("emperor-wrapper-fallback", Kind::List)
        .scope(Scope::Emperor)
        .doc("binary tried when the wrapper fails")
        .unsupported("vassals are always run by emperor's own binary"),
    opt("emperor-nofollow", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("use a symlink's own modification time to detect changes")
        .unsupported("changes are detected from the file itself, not a symlink's mtime"),
    opt("emperor-procname", Kind::Str)
        .scope(Scope::Emperor)
        .doc("title of the emperor process")
        .unsupported("the emperor's process title will not be changed"),
    opt("early-emperor", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("start the emperor before the rest of the instance")
        .unsupported("the emperor starts when its configuration is read, as always"),
    opt("emperor-broodlord", Kind::Int)
        .scope(Scope::Emperor)
        .doc("spawn extra zerg vassals under load, up to this many")
        .unsupported("broodlord mode is not supported: no extra vassals will be spawned"),
    opt("emperor-magic-exec", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("run executable vassal files and read their output as config")
        .unsupported("vassal files are never executed"),
    opt("emperor-on-demand-exec", Kind::Str)
        .scope(Scope::Emperor)
        .doc("run a command to get a vassal's on-demand socket")
        .unsupported("on-demand sockets are not found by running a command"),
    opt("emperor-use-clone", Kind::Str)
        .scope(Scope::Emperor)
        .doc("spawn vassals with clone() and these namespaces")
        .unsupported("vassals are not started in new namespaces"),
    opt("emperor-cap", Kind::Str)
        .aliases(&["vassals-cap", "vassal-cap"])
        .scope(Scope::Emperor)
        .doc("capabilities given to vassals")
        .unsupported("vassals never keep capabilities"),
    opt("imperial-monitor-list", Kind::Flag)
        .aliases(&["imperial-monitors-list"])
        .scope(Scope::Emperor)
        .doc("list the imperial monitors and exit")
        .unsupported("only directory and glob monitors exist"),
    opt("vassals-start-hook", Kind::Str)
        .scope(Scope::Emperor)
        .doc("command run when a vassal starts")
        .unsupported("hooks are not supported: the action will not run"),
    opt("vassals-stop-hook", Kind::Str)
        .scope(Scope::Emperor)
        .doc("command run after a vassal stops")
        .unsupported("hooks are not supported: the action will not run"),
    opt("vassal-sos", Kind::Int)
        .scope(Scope::Emperor)
        .doc("ask the emperor for more workers after this many seconds of overload")
        .unsupported("vassals do not ask the emperor for reinforcements"),
    opt("vassal-sos-backlog", Kind::Int)
        .scope(Scope::Emperor)
        .doc("ask the emperor for more workers when the listen queue holds this many")
        .unsupported("vassals do not ask the emperor for reinforcements"),
    opt("emperor-trigger-socket", Kind::Str)
        .scope(Scope::Emperor)
        .doc("socket that triggers vassal actions")
        .unsupported("there is no trigger socket: nothing will listen"),
    opt("emperor-command-socket", Kind::Str)
        .scope(Scope::Emperor)
        .doc("socket that takes emperor commands")
        .unsupported("there is no command socket: nothing will listen"),
    opt("emperor-wait-for-command", Kind::Flag)
        .scope(Scope::Emperor)
        .doc("start vassals only on command")
        .unsupported("vassals start without waiting for a command"),
    opt("emperor-wait-for-command-ignore", Kind::List)
        .scope(Scope::Emperor)
        .doc("vassal started without waiting for a command")
        .unsupported("vassals start without waiting for a command"),
    opt("emperor-use-fork-server", Kind::Str)
        .scope(Scope::Emperor)
        .doc("spawn vassals from a fork server")
        .unsupported("there is no fork server: vassals are spawned by the emperor"),
    opt("vassal-fork-base", Kind::List)
        .scope(Scope::Emperor)
        .doc("make a vassal a fork server for others")
        .unsupported("there is no fork server: vassals are spawned by the emperor"),
    opt("emperor-collect-attribute", Kind::List)
        .aliases(&["emperor-collect-attr"])
        .scope(Scope::Emperor)
        .doc("collect a vassal attribute from imperial monitors")
        .unsupported("vassal attributes are not collected"),
    opt("emperor-fork-server-attr", Kind::Str)
        .scope(Scope::Emperor)
        .doc("attribute naming a vassal's fork server")
        .unsupported("vassal attributes are not collected"),
    opt("emperor-wrapper-attr", Kind::Str)
        .scope(Scope::Emperor)
        .doc("attribute naming a vassal's wrapper")
        .unsupported("vassal attributes are not collected"),
    opt("emperor-chdir-attr", Kind::Str)
        .scope(Scope::Emperor)
        .doc("attribute naming a vassal's directory")
        .unsupported("vassal attributes are not collected"),
    opt("zeus", Kind::Str)
        .scope(Scope::Emperor)
        .doc("run as zeus, the emperor of emperors")
        .unsupported("zeus mode is not supported"),
    // --- python plugin (unsupported) ---
    opt("eval", Kind::Str)
        .group("python")
        .doc("define the app by evaluating this Python code")
        .unsupported("the code will not be evaluated as the app"),
    opt("test", Kind::Str)
        .short('J')
        .group("python")
        .doc("import a module as a test, exit with its result")
        .unsupported("the module will not be run as a test"),
    opt("py-programname", Kind::Str)
        .aliases(&["py-program-name"])
        .group("python")
        .doc("program name given to the interpreter")
        .unsupported("the program name follows `home`"),
    opt("pymodule-alias", Kind::List)
        .group("python")
        .doc("make a module importable under another name: `alias=module`")
        .unsupported("modules will not be aliased"),
    opt("post-pymodule-alias", Kind::List)
        .group("python")
        .doc("like `pymodule-alias`, applied after the app is loaded")
        .unsupported("modules will not be aliased"),
    opt("optimize", Kind::Int)
        .short('O')
        .group("python")
        .doc("optimization level of the interpreter, as `python -O`")
        .unsupported("the interpreter runs without -O"),
    opt("pecan", Kind::Str)
        .group("python")
        .doc("load a Pecan app from its config file")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("paste", Kind::Str)
        .group("python")
        .doc("load an app with paste.deploy: `config:/path/app.ini`")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("paste-logger", Kind::Flag)
        .group("python")
        .doc("set up logging from the paste.deploy config")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("paste-name", Kind::Str)
        .group("python")
        .doc("name of the app in the paste.deploy config")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("web3", Kind::Str)
        .group("python")
        .doc("load a web3 app")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("pump", Kind::Str)
        .group("python")
        .doc("load a Pump app")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("wsgi-lite", Kind::Str)
        .group("python")
        .doc("load a wsgi-lite app")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("ini-paste", Kind::Str)
        .group("python")
        .doc("load a paste.deploy ini file holding both the app and a `[uwsgi]` section")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("ini-paste-logged", Kind::Str)
        .group("python")
        .doc("like `ini-paste`, setting up logging from the file")
        .unsupported("only `module`, `wsgi-file` and `mount` load apps: it will not load"),
    opt("reload-os-env", Kind::Flag)
        .group("python")
        .doc("copy request variables into os.environ on every request")
        .unsupported("os.environ is not refreshed from requests"),
    opt("no-site", Kind::Flag)
        .group("python")
        .doc("start the interpreter without importing site")
        .unsupported("the site module is always imported"),
    opt("pyshell", Kind::Str)
        .arg(Arg::Optional)
        .group("python")
        .doc("run an interactive Python shell inside the instance")
        .unsupported("there is no interactive shell"),
    opt("pyshell-oneshot", Kind::Str)
        .arg(Arg::Optional)
        .group("python")
        .doc("run an interactive Python shell once, then stop")
        .unsupported("there is no interactive shell"),
    opt("pyrun", Kind::Str)
        .aliases(&["python", "py"])
        .group("python")
        .doc("run a Python script in the instance's environment and exit")
        .unsupported("the script will not be run"),
    opt("py-tracebacker", Kind::Str)
        .group("python")
        .doc("serve the tracebacks of every thread on UNIX sockets with this prefix")
        .unsupported("thread tracebacks will not be served")
        .master()
        .threads(),
    opt("wsgi-env-behaviour", Kind::Str)
        .aliases(&["wsgi-env-behavior"])
        .group("python")
        .doc("how the environ dict is reused between requests (`cheat`, `holy`)")
        .unsupported("emperor builds a fresh environ for every request"),
    opt("start_response-nodelay", Kind::Flag)
        .group("python")
        .doc("send the headers as soon as start_response is called")
        .unsupported("headers are sent with the first body bytes"),
    opt("wsgi-strict", Kind::Flag)
        .group("python")
        .doc("disable uWSGI's shortcuts around PEP 3333")
        .unsupported("emperor's WSGI handling is fixed"),
    opt("wsgi-accept-buffer", Kind::Flag)
        .aliases(&["wsgi-accept-buffers"])
        .group("python")
        .doc("accept buffer objects in response bodies")
        .unsupported("buffer objects are not accepted as response bodies"),
    opt("python-version", Kind::Flag)
        .group("python")
        .doc("print the Python version and exit")
        .unsupported("nothing will be printed: see `emperor --version`"),
    opt("python-raw", Kind::Str)
        .group("python")
        .doc("load a Python script that handles raw connections")
        .unsupported("raw mode is not supported: nothing will be loaded"),
    opt("py-sharedarea", Kind::List)
        .group("python")
        .doc("create a shared area from a Python buffer")
        .unsupported("shared areas are not provided"),
    opt("python-worker-override", Kind::Str)
        .group("python")
        .doc("a Python script that replaces the worker loop")
        .unsupported("workers always run emperor's loop"),
    opt("py-executable", Kind::Str)
        .aliases(&["py-sys-executable"])
        .group("python")
        .doc("value of `sys.executable`")
        .unsupported("`sys.executable` follows `home`"),
    opt("early-python", Kind::Flag)
        .group("python")
        .doc("start the interpreter while the config is read")
        .unsupported("the interpreter starts at its usual point"),
    opt("early-pyimport", Kind::List)
        .aliases(&["early-python-import"])
        .group("python")
        .doc("import a module while the config is read")
        .unsupported("modules are imported when the app is loaded"),
    opt("early-pythonpath", Kind::List)
        .aliases(&["early-python-path"])
        .group("python")
        .doc("add a directory to `sys.path` while the config is read")
        .unsupported("use `pythonpath`: the directory will not be added early"),
    opt("wsgi-manage-chunked-input", Kind::Flag)
        .group("python")
        .doc("hand chunked request bodies to the app with `wsgi.input_terminated`")
        .unsupported("chunked request bodies are always de-chunked before the app runs"),
    opt("py-master-check-signals", Kind::Flag)
        .group("python")
        .doc("run Python signal handlers in the master")
        .unsupported("Python signal handlers do not run in the master"),
    // --- http plugin (router settings) ---
    opt("https", Kind::List)
        .group("http")
        .doc("serve HTTPS on an address: `addr,crt,key`")
        .unsupported("TLS sockets are not supported yet: nothing will listen on this address"),
    opt("https2", Kind::List)
        .group("http")
        .doc("serve HTTPS on an address described by keys: `addr=...,cert=...,key=...`")
        .unsupported("TLS sockets are not supported yet: nothing will listen on this address"),
    opt("http-to-https", Kind::List)
        .group("http")
        .doc("listen on an address and redirect every request to HTTPS")
        .unsupported("TLS sockets are not supported yet: nothing will listen on this address"),
    opt("https-export-cert", Kind::Flag)
        .group("http")
        .doc("pass the client certificate to the app")
        .unsupported("TLS sockets are not supported yet: the setting has no effect"),
    opt("https-session-context", Kind::Str)
        .group("http")
        .doc("name of the TLS session context")
        .unsupported("TLS sockets are not supported yet: the setting has no effect"),
    opt("http-processes", Kind::Int)
        .aliases(&["http-workers"])
        .group("http")
        .doc("processes of the HTTP router")
        .unsupported(""),
    opt("http-var", Kind::List)
        .group("http")
        .doc("add a variable to every request the router forwards: `KEY=VALUE`")
        .unsupported(""),
    opt("http-to", Kind::List)
        .group("http")
        .doc("backend address the router forwards to")
        .unsupported(""),
    opt("http-zerg", Kind::List)
        .group("http")
        .doc("attach the router to a zerg server")
        .unsupported(""),
    opt("http-fallback", Kind::List)
        .group("http")
        .doc("backend used when the chosen one fails")
        .unsupported(""),
    opt("http-modifier1", Kind::Int)
        .group("http")
        .doc("modifier1 of requests the router forwards")
        .unsupported(""),
    opt("http-modifier2", Kind::Int)
        .group("http")
        .doc("modifier2 of requests the router forwards")
        .unsupported(""),
    opt("http-use-cache", Kind::Str)
        .arg(Arg::Optional)
        .group("http")
        .doc("pick backends from a cache")
        .unsupported(""),
    opt("http-use-pattern", Kind::Str)
        .group("http")
        .doc("pick backends by a pattern")
        .unsupported(""),
    opt("http-use-base", Kind::Str)
        .group("http")
        .doc("pick backends by a base path")
        .unsupported(""),
    opt("http-events", Kind::Int)
        .group("http")
        .doc("size of the router's event queue")
        .unsupported(""),
    opt("http-subscription-server", Kind::List)
        .group("http")
        .doc("subscription server the router runs")
        .unsupported(""),
    opt("http-subscription-fallback-key", Kind::Str)
        .group("http")
        .doc("key used when no subscription matches")
        .unsupported(""),
    opt("http-timeout", Kind::Int)
        .default("60")
        .group("http")
        .doc("seconds the router waits for a backend")
        .unsupported(""),
    opt("http-manage-expect", Kind::Size)
        .arg(Arg::Optional)
        .group("http")
        .doc("answer `Expect: 100-continue`, optionally up to a body size")
        .unsupported(""),
    opt("http-keepalive", Kind::Int)
        .arg(Arg::Optional)
        .group("http")
        .doc("keep HTTP/1.1 client connections alive at the router")
        .unsupported(""),
    opt("http-auto-chunked", Kind::Flag)
        .group("http")
        .doc("chunk-encode responses without a length in keep-alive mode")
        .unsupported(""),
    opt("http-auto-gzip", Kind::Flag)
        .group("http")
        .doc("gzip responses the app marks for it")
        .unsupported(""),
    opt("http-raw-body", Kind::Flag)
        .group("http")
        .doc("forward request bodies to the backend raw")
        .unsupported(""),
    opt("http-websockets", Kind::Flag)
        .group("http")
        .doc("pass websocket upgrades through the router")
        .unsupported(""),
    opt("http-chunked-input", Kind::Flag)
        .group("http")
        .doc("forward chunked request bodies")
        .unsupported(""),
    opt("http-use-code-string", Kind::Str)
        .group("http")
        .doc("pick backends by running code")
        .unsupported(""),
    opt("http-use-socket", Kind::Str)
        .arg(Arg::Optional)
        .group("http")
        .doc("forward to this instance's own socket")
        .unsupported(""),
    opt("http-gracetime", Kind::Int)
        .group("http")
        .doc("seconds before a failed backend is retried")
        .unsupported(""),
    opt("http-quiet", Kind::Flag)
        .arg(Arg::Required)
        .group("http")
        .doc("do not log backend errors")
        .unsupported(""),
    opt("http-cheap", Kind::Flag)
        .group("http")
        .doc("run the router only while backends exist")
        .unsupported(""),
    opt("http-stats", Kind::Str)
        .aliases(&["http-stats-server", "http-ss"])
        .group("http")
        .doc("stats address of the router")
        .unsupported(""),
    opt("http-harakiri", Kind::Int)
        .group("http")
        .doc("harakiri of requests at the router, in seconds")
        .unsupported(""),
    opt("http-stud-prefix", Kind::List)
        .group("http")
        .doc("expect an address prefix from this stud/haproxy peer")
        .unsupported(""),
    opt("http-uid", Kind::Str)
        .group("http")
        .doc("user the router runs as")
        .unsupported(""),
    opt("http-gid", Kind::Str)
        .group("http")
        .doc("group the router runs as")
        .unsupported(""),
    opt("http-resubscribe", Kind::List)
        .group("http")
        .doc("forward subscriptions to this server")
        .unsupported(""),
    opt("http-buffer-size", Kind::Size)
        .group("http")
        .doc("buffer size of the router")
        .unsupported(""),
    opt("http-server-name-as-http-host", Kind::Flag)
        .arg(Arg::Required)
        .group("http")
        .doc("set SERVER_NAME from the Host header")
        .unsupported(""),
    opt("http-headers-timeout", Kind::Int)
        .group("http")
        .doc("seconds a client may take to send its headers")
        .unsupported(""),
    opt("http-connect-timeout", Kind::Int)
        .group("http")
        .doc("seconds the router waits to connect to a backend")
        .unsupported(""),
    opt("http-manage-source", Kind::Flag)
        .group("http")
        .doc("handle SOURCE (Icecast) requests")
        .unsupported(""),
    opt("http-manage-rtsp", Kind::Flag)
        .group("http")
        .doc("handle RTSP requests")
        .unsupported(""),
    opt("http-enable-proxy-protocol", Kind::Flag)
        .arg(Arg::Optional)
        .group("http")
        .doc("accept PROXY protocol headers at the router")
        .unsupported(""),
    opt("http-backend-http", Kind::Flag)
        .group("http")
        .doc("speak HTTP to backends instead of uwsgi")
        .unsupported(""),
    opt("http-post-buffering", Kind::Size)
        .group("http")
        .doc("buffer request bodies at the router past this many bytes")
        .unsupported(""),
    opt("http-post-buffering-dir", Kind::Str)
        .group("http")
        .doc("directory for request bodies buffered by the router")
        .unsupported(""),
    // --- asyncio plugin ---
    opt("asyncio", Kind::Int)
        .group("asyncio")
        .doc("option of uWSGI's asyncio plugin")
        .unsupported("")
        .threads(),
    // --- carbon plugin ---
    opt("carbon", Kind::List)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported("")
        .master(),
    opt("carbon-timeout", Kind::Int)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-freq", Kind::Int)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-id", Kind::Str)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-no-workers", Kind::Flag)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-max-retry", Kind::Int)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-retry-delay", Kind::Int)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-root", Kind::Str)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-hostname-dots", Kind::Str)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-name-resolve", Kind::Flag)
        .aliases(&["carbon-resolve-names"])
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-idle-avg", Kind::Str)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    opt("carbon-use-metrics", Kind::Flag)
        .group("carbon")
        .doc("option of uWSGI's carbon plugin")
        .unsupported(""),
    // --- cgi plugin ---
    opt("cgi", Kind::List)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-helper", Kind::List)
        .aliases(&["cgi-map-helper"])
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-from-docroot", Kind::Flag)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-buffer-size", Kind::Size)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-timeout", Kind::Int)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-index", Kind::List)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-allowed-ext", Kind::List)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-unset", Kind::List)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-loadlib", Kind::List)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-optimize", Kind::Flag)
        .aliases(&["cgi-optimized"])
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-path-info", Kind::Flag)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-do-not-kill-on-error", Kind::Flag)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-async-max-attempts", Kind::Int)
        .arg(Arg::None)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-close-stdin-on-eof", Kind::Flag)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-safe", Kind::List)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    opt("cgi-dontresolve", Kind::Flag)
        .group("cgi")
        .doc("option of uWSGI's cgi plugin")
        .unsupported(""),
    // --- cheaper_busyness plugin ---
    opt("cheaper-busyness-max", Kind::Size)
        .group("cheaper_busyness")
        .doc("busyness percentage above which workers are spawned")
        .unsupported(""),
    opt("cheaper-busyness-min", Kind::Size)
        .group("cheaper_busyness")
        .doc("busyness percentage below which workers are stopped")
        .unsupported(""),
    opt("cheaper-busyness-multiplier", Kind::Size)
        .group("cheaper_busyness")
        .doc("cycles busyness must stay low before a worker is stopped")
        .unsupported(""),
    opt("cheaper-busyness-penalty", Kind::Size)
        .group("cheaper_busyness")
        .doc("penalty added when a stopped worker was needed again soon")
        .unsupported(""),
    opt("cheaper-busyness-verbose", Kind::Flag)
        .group("cheaper_busyness")
        .doc("log the decisions of the busyness algorithm")
        .unsupported(""),
    opt("cheaper-busyness-backlog-alert", Kind::Int)
        .group("cheaper_busyness")
        .doc("listen queue length that spawns workers at once")
        .unsupported(""),
    opt("cheaper-busyness-backlog-multiplier", Kind::Size)
        .group("cheaper_busyness")
        .doc("cycles the listen queue must stay long before workers are spawned")
        .unsupported(""),
    opt("cheaper-busyness-backlog-step", Kind::Int)
        .group("cheaper_busyness")
        .doc("workers spawned at once on a listen queue alert")
        .unsupported(""),
    opt("cheaper-busyness-backlog-nonzero", Kind::Size)
        .group("cheaper_busyness")
        .doc("seconds a nonempty listen queue is tolerated")
        .unsupported(""),
    // --- coroae plugin ---
    opt("coroae", Kind::Int)
        .group("coroae")
        .doc("option of uWSGI's coroae plugin")
        .unsupported(""),
    // --- curl_cron plugin ---
    opt("curl-cron", Kind::List)
        .aliases(&["cron-curl"])
        .group("curl_cron")
        .doc("option of uWSGI's curl_cron plugin")
        .unsupported("")
        .master(),
    opt("legion-curl-cron", Kind::List)
        .aliases(&["legion-cron-curl", "curl-cron-legion", "cron-curl-legion"])
        .group("curl_cron")
        .doc("option of uWSGI's curl_cron plugin")
        .unsupported("")
        .master(),
    // --- dumbloop plugin ---
    opt("dumbloop-modifier1", Kind::Int)
        .group("dumbloop")
        .doc("option of uWSGI's dumbloop plugin")
        .unsupported(""),
    opt("dumbloop-code", Kind::Str)
        .group("dumbloop")
        .doc("option of uWSGI's dumbloop plugin")
        .unsupported(""),
    opt("dumbloop-function", Kind::Str)
        .group("dumbloop")
        .doc("option of uWSGI's dumbloop plugin")
        .unsupported(""),
    // --- fastrouter plugin ---
    opt("fastrouter", Kind::List)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-processes", Kind::Int)
        .aliases(&["fastrouter-workers"])
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-zerg", Kind::List)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-use-cache", Kind::Str)
        .arg(Arg::Optional)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-use-pattern", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-use-base", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-fallback", Kind::List)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-use-code-string", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-use-socket", Kind::Str)
        .arg(Arg::Optional)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-to", Kind::List)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-gracetime", Kind::Int)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-events", Kind::Int)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-quiet", Kind::Flag)
        .arg(Arg::Required)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-cheap", Kind::Flag)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-subscription-server", Kind::List)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-subscription-slot", Kind::Str)
        .group("fastrouter")
        .doc("number of subscription slots (deprecated in uWSGI)")
        .noop("deprecated by uWSGI itself: it never had an effect"),
    opt("fastrouter-timeout", Kind::Int)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-post-buffering", Kind::Size)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-post-buffering-dir", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-stats", Kind::Str)
        .aliases(&["fastrouter-stats-server", "fastrouter-ss"])
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-harakiri", Kind::Int)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-uid", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-gid", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-resubscribe", Kind::List)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-resubscribe-bind", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-buffer-size", Kind::Size)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-fallback-on-no-key", Kind::Flag)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-subscription-fallback-key", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-force-key", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-emperor-socket", Kind::Str)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-defer-connect-timeout", Kind::Int)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    opt("fastrouter-max-retries", Kind::Int)
        .group("fastrouter")
        .doc("option of uWSGI's fastrouter plugin")
        .unsupported(""),
    // --- fiber plugin ---
    opt("fiber", Kind::Flag)
        .group("fiber")
        .doc("option of uWSGI's fiber plugin")
        .unsupported(""),
    // --- forkptyrouter plugin ---
    opt("forkptyrouter", Kind::List)
        .aliases(&["forkpty-router"])
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyurouter", Kind::List)
        .aliases(&["forkpty-urouter"])
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-command", Kind::Str)
        .aliases(&[
            "forkpty-router-command",
            "forkptyrouter-cmd",
            "forkpty-router-cmd",
        ])
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-rows", Kind::Int)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-cols", Kind::Int)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-processes", Kind::Int)
        .aliases(&["forkptyrouter-workers"])
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-zerg", Kind::List)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-fallback", Kind::List)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-events", Kind::Int)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-cheap", Kind::Flag)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-timeout", Kind::Int)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-stats", Kind::Str)
        .aliases(&["forkptyrouter-stats-server", "forkptyrouter-ss"])
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    opt("forkptyrouter-harakiri", Kind::Int)
        .group("forkptyrouter")
        .doc("option of uWSGI's forkptyrouter plugin")
        .unsupported(""),
    // --- gccgo plugin ---
    opt("go-load", Kind::List)
        .aliases(&["gccgo-load"])
        .group("gccgo")
        .doc("option of uWSGI's gccgo plugin")
        .unsupported(""),
    opt("go-args", Kind::Str)
        .aliases(&["gccgo-args"])
        .group("gccgo")
        .doc("option of uWSGI's gccgo plugin")
        .unsupported(""),
    opt("goroutines", Kind::Int)
        .group("gccgo")
        .doc("option of uWSGI's gccgo plugin")
        .unsupported("")
        .threads(),
    // --- geoip plugin ---
    opt("geoip-country", Kind::Str)
        .group("geoip")
        .doc("option of uWSGI's geoip plugin")
        .unsupported(""),
    opt("geoip-city", Kind::Str)
        .group("geoip")
        .doc("option of uWSGI's geoip plugin")
        .unsupported(""),
    opt("geoip-use-disk", Kind::Flag)
        .group("geoip")
        .doc("option of uWSGI's geoip plugin")
        .unsupported(""),
    // --- gevent plugin ---
    opt("gevent", Kind::Int)
        .group("gevent")
        .doc("run requests on this many gevent greenlets per worker")
        .unsupported("")
        .threads(),
    opt("gevent-monkey-patch", Kind::Flag)
        .group("gevent")
        .doc("monkey-patch the standard library for gevent at startup")
        .unsupported(""),
    opt("gevent-early-monkey-patch", Kind::Flag)
        .group("gevent")
        .doc("monkey-patch the standard library before the app is loaded")
        .unsupported(""),
    opt("gevent-wait-for-hub", Kind::Flag)
        .group("gevent")
        .doc("wait for the gevent hub to finish on shutdown")
        .unsupported(""),
    // --- glusterfs plugin ---
    opt("glusterfs-mount", Kind::List)
        .group("glusterfs")
        .doc("option of uWSGI's glusterfs plugin")
        .unsupported(""),
    opt("glusterfs-timeout", Kind::Int)
        .group("glusterfs")
        .doc("option of uWSGI's glusterfs plugin")
        .unsupported(""),
    // --- greenlet plugin ---
    opt("greenlet", Kind::Flag)
        .group("greenlet")
        .doc("option of uWSGI's greenlet plugin")
        .unsupported(""),
    // --- jvm plugin ---
    opt("jvm-main-class", Kind::List)
        .group("jvm")
        .doc("option of uWSGI's jvm plugin")
        .unsupported(""),
    opt("jvm-opt", Kind::List)
        .group("jvm")
        .doc("option of uWSGI's jvm plugin")
        .unsupported(""),
    opt("jvm-class", Kind::List)
        .group("jvm")
        .doc("option of uWSGI's jvm plugin")
        .unsupported(""),
    opt("jvm-classpath", Kind::List)
        .group("jvm")
        .doc("option of uWSGI's jvm plugin")
        .unsupported(""),
    // --- jwsgi plugin ---
    opt("jwsgi", Kind::Str)
        .group("jwsgi")
        .doc("option of uWSGI's jwsgi plugin")
        .unsupported(""),
    // --- ldap plugin ---
    opt("ldap", Kind::Str)
        .group("ldap")
        .doc("option of uWSGI's ldap plugin")
        .unsupported(""),
    opt("ldap-schema", Kind::Flag)
        .group("ldap")
        .doc("option of uWSGI's ldap plugin")
        .unsupported(""),
    opt("ldap-schema-ldif", Kind::Flag)
        .group("ldap")
        .doc("option of uWSGI's ldap plugin")
        .unsupported(""),
    // --- logzmq plugin ---
    opt("log-zeromq", Kind::List)
        .group("logzmq")
        .doc("option of uWSGI's logzmq plugin")
        .unsupported("")
        .master(),
    // --- lua plugin ---
    opt("lua", Kind::Str)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-load", Kind::List)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-shell", Kind::Flag)
        .aliases(&["luashell"])
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-gc-freq", Kind::Int)
        .arg(Arg::None)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-postload", Kind::List)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-postfork-worker", Kind::List)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-postfork-mule", Kind::List)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-postfork-spooler", Kind::List)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-shell-oneshot", Kind::Flag)
        .aliases(&["luashell-oneshot"])
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    opt("lua-gc-full", Kind::Int)
        .arg(Arg::None)
        .group("lua")
        .doc("option of uWSGI's lua plugin")
        .unsupported(""),
    // --- mongrel2 plugin ---
    opt("zeromq", Kind::List)
        .aliases(&["zmq", "zeromq-socket", "zmq-socket", "mongrel2"])
        .group("mongrel2")
        .doc("option of uWSGI's mongrel2 plugin")
        .unsupported(""),
    // --- mono plugin ---
    opt("mono-app", Kind::List)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    opt("mono-gc-freq", Kind::Size)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    opt("mono-key", Kind::List)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    opt("mono-version", Kind::Str)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    opt("mono-config", Kind::Str)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    opt("mono-assembly", Kind::Str)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    opt("mono-exec", Kind::List)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    opt("mono-index", Kind::List)
        .group("mono")
        .doc("option of uWSGI's mono plugin")
        .unsupported(""),
    // --- nagios plugin ---
    opt("nagios", Kind::Flag)
        .group("nagios")
        .doc("option of uWSGI's nagios plugin")
        .unsupported(""),
    // --- notfound plugin ---
    opt("notfound-log", Kind::Flag)
        .group("notfound")
        .doc("option of uWSGI's notfound plugin")
        .unsupported(""),
    // --- pam plugin ---
    opt("pam", Kind::Str)
        .group("pam")
        .doc("option of uWSGI's pam plugin")
        .unsupported(""),
    opt("pam-user", Kind::Str)
        .group("pam")
        .doc("option of uWSGI's pam plugin")
        .unsupported(""),
    // --- php plugin ---
    opt("php-ini", Kind::Str)
        .aliases(&["php-config"])
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-ini-append", Kind::List)
        .aliases(&["php-config-append"])
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-set", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-index", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-docroot", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-allowed-docroot", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-allowed-ext", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-allowed-script", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-server-software", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-app", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-app-qs", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-fallback", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-fallback2", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-fallback-qs", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-app-bypass", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-var", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-constant", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-dump-config", Kind::Flag)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-exec-before", Kind::List)
        .aliases(&["php-exec-begin"])
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-exec-after", Kind::List)
        .aliases(&["php-exec-end"])
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-sapi-name", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("early-php", Kind::Flag)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("early-php-sapi-name", Kind::Str)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    opt("php-mount", Kind::List)
        .group("php")
        .doc("option of uWSGI's php plugin")
        .unsupported(""),
    // --- ping plugin ---
    opt("ping", Kind::Str)
        .group("ping")
        .doc("option of uWSGI's ping plugin")
        .unsupported(""),
    opt("ping-timeout", Kind::Int)
        .group("ping")
        .doc("option of uWSGI's ping plugin")
        .unsupported(""),
    // --- psgi plugin ---
    opt("psgi", Kind::Str)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("psgi-enable-psgix-io", Kind::Flag)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-no-die-catch", Kind::Flag)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-local-lib", Kind::Str)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-version", Kind::Flag)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-args", Kind::Str)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-arg", Kind::List)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-exec", Kind::List)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-exec-post-fork", Kind::List)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-auto-reload", Kind::Int)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported("")
        .master(),
    opt("perl-auto-reload-ignore", Kind::List)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported("")
        .master(),
    opt("plshell", Kind::Str)
        .arg(Arg::Optional)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("plshell-oneshot", Kind::Flag)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("perl-no-plack", Kind::Flag)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("early-perl", Kind::Str)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("early-psgi", Kind::Str)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    opt("early-perl-exec", Kind::Str)
        .group("psgi")
        .doc("option of uWSGI's psgi plugin")
        .unsupported(""),
    // --- pty plugin ---
    opt("pty-socket", Kind::Str)
        .group("pty")
        .doc("option of uWSGI's pty plugin")
        .unsupported(""),
    opt("pty-log", Kind::Flag)
        .group("pty")
        .doc("option of uWSGI's pty plugin")
        .unsupported(""),
    opt("pty-input", Kind::Flag)
        .group("pty")
        .doc("option of uWSGI's pty plugin")
        .unsupported(""),
    opt("pty-connect", Kind::Str)
        .group("pty")
        .doc("option of uWSGI's pty plugin")
        .unsupported(""),
    opt("pty-uconnect", Kind::Str)
        .group("pty")
        .doc("option of uWSGI's pty plugin")
        .unsupported(""),
    opt("pty-no-isig", Kind::Flag)
        .group("pty")
        .doc("option of uWSGI's pty plugin")
        .unsupported(""),
    opt("pty-exec", Kind::Str)
        .group("pty")
        .doc("option of uWSGI's pty plugin")
        .unsupported(""),
    // --- pypy plugin ---
    opt("pypy-lib", Kind::Str)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-setup", Kind::Str)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-home", Kind::Str)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-wsgi", Kind::Str)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-wsgi-file", Kind::Str)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-ini-paste", Kind::Str)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-paste", Kind::Str)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-eval", Kind::List)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-eval-post-fork", Kind::List)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-exec", Kind::List)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-exec-post-fork", Kind::List)
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    opt("pypy-pp", Kind::List)
        .aliases(&["pypy-python-path", "pypy-pythonpath"])
        .group("pypy")
        .doc("option of uWSGI's pypy plugin")
        .unsupported(""),
    // --- rack plugin ---
    opt("rails", Kind::Str)
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("rack", Kind::Str)
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("ruby-gc-freq", Kind::Int)
        .aliases(&["rb-gc-freq"])
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("rb-lib", Kind::List)
        .aliases(&["ruby-lib"])
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("rb-require", Kind::List)
        .aliases(&["ruby-require", "rbrequire", "rubyrequire", "require"])
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("shared-rb-require", Kind::List)
        .aliases(&[
            "shared-ruby-require",
            "shared-rbrequire",
            "shared-rubyrequire",
            "shared-require",
        ])
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("gemset", Kind::Str)
        .aliases(&["rvm"])
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("rvm-path", Kind::List)
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("rbshell", Kind::Str)
        .arg(Arg::Optional)
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    opt("rbshell-oneshot", Kind::Flag)
        .group("rack")
        .doc("option of uWSGI's rack plugin")
        .unsupported(""),
    // --- rados plugin ---
    opt("rados-mount", Kind::List)
        .group("rados")
        .doc("option of uWSGI's rados plugin")
        .unsupported(""),
    opt("rados-timeout", Kind::Int)
        .group("rados")
        .doc("option of uWSGI's rados plugin")
        .unsupported(""),
    // --- rawrouter plugin ---
    opt("rawrouter", Kind::List)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-processes", Kind::Int)
        .aliases(&["rawrouter-workers"])
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-zerg", Kind::List)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-use-cache", Kind::Str)
        .arg(Arg::Optional)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-use-pattern", Kind::Str)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-use-base", Kind::Str)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-fallback", Kind::List)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-use-code-string", Kind::Str)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-use-socket", Kind::Str)
        .arg(Arg::Optional)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-to", Kind::List)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-gracetime", Kind::Int)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-events", Kind::Int)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-max-retries", Kind::Int)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-quiet", Kind::Flag)
        .arg(Arg::Required)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-cheap", Kind::Flag)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-subscription-server", Kind::List)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-subscription-slot", Kind::Str)
        .group("rawrouter")
        .doc("number of subscription slots (deprecated in uWSGI)")
        .noop("deprecated by uWSGI itself: it never had an effect"),
    opt("rawrouter-timeout", Kind::Int)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-stats", Kind::Str)
        .aliases(&["rawrouter-stats-server", "rawrouter-ss"])
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-harakiri", Kind::Int)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-xclient", Kind::Flag)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    opt("rawrouter-buffer-size", Kind::Size)
        .group("rawrouter")
        .doc("option of uWSGI's rawrouter plugin")
        .unsupported(""),
    // --- rbthreads plugin ---
    opt("rbthreads", Kind::Flag)
        .aliases(&["rb-threads", "rbthread", "rb-thread"])
        .group("rbthreads")
        .doc("option of uWSGI's rbthreads plugin")
        .unsupported(""),
    // --- ring plugin ---
    opt("ring-load", Kind::List)
        .aliases(&["clojure-load"])
        .group("ring")
        .doc("option of uWSGI's ring plugin")
        .unsupported(""),
    opt("ring-app", Kind::Str)
        .group("ring")
        .doc("option of uWSGI's ring plugin")
        .unsupported(""),
    // --- rrdtool plugin ---
    opt("rrdtool", Kind::List)
        .group("rrdtool")
        .doc("option of uWSGI's rrdtool plugin")
        .unsupported("")
        .master(),
    opt("rrdtool-freq", Kind::Int)
        .group("rrdtool")
        .doc("option of uWSGI's rrdtool plugin")
        .unsupported(""),
    opt("rrdtool-lib", Kind::Str)
        .group("rrdtool")
        .doc("option of uWSGI's rrdtool plugin")
        .unsupported(""),
    // --- rsyslog plugin ---
    opt("rsyslog-packet-size", Kind::Int)
        .group("rsyslog")
        .doc("option of uWSGI's rsyslog plugin")
        .unsupported(""),
    opt("rsyslog-split-messages", Kind::Flag)
        .group("rsyslog")
        .doc("option of uWSGI's rsyslog plugin")
        .unsupported(""),
    // --- sqlite3 plugin ---
    opt("sqlite3", Kind::Str)
        .aliases(&["sqlite"])
        .group("sqlite3")
        .doc("option of uWSGI's sqlite3 plugin")
        .unsupported(""),
    // --- sslrouter plugin ---
    opt("sslrouter", Kind::List)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter2", Kind::List)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-session-context", Kind::Str)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-processes", Kind::Int)
        .aliases(&["sslrouter-workers"])
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-zerg", Kind::List)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-use-cache", Kind::Str)
        .arg(Arg::Optional)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-use-pattern", Kind::Str)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-use-base", Kind::Str)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-fallback", Kind::List)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-use-code-string", Kind::Str)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-use-socket", Kind::Str)
        .arg(Arg::Optional)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-to", Kind::List)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-gracetime", Kind::Int)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-events", Kind::Int)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-max-retries", Kind::Int)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-quiet", Kind::Flag)
        .arg(Arg::Required)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-cheap", Kind::Flag)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-subscription-server", Kind::List)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-timeout", Kind::Int)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-stats", Kind::Str)
        .aliases(&["sslrouter-stats-server", "sslrouter-ss"])
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-harakiri", Kind::Int)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-sni", Kind::Flag)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    opt("sslrouter-buffer-size", Kind::Size)
        .group("sslrouter")
        .doc("option of uWSGI's sslrouter plugin")
        .unsupported(""),
    // --- stackless plugin ---
    opt("stackless", Kind::Flag)
        .group("stackless")
        .doc("option of uWSGI's stackless plugin")
        .unsupported(""),
    // --- stats_pusher_statsd plugin ---
    opt("statsd-no-workers", Kind::Flag)
        .group("stats_pusher_statsd")
        .doc("option of uWSGI's stats_pusher_statsd plugin")
        .unsupported(""),
    opt("statsd-all-gauges", Kind::Flag)
        .group("stats_pusher_statsd")
        .doc("option of uWSGI's stats_pusher_statsd plugin")
        .unsupported(""),
    // --- symcall plugin ---
    opt("symcall", Kind::List)
        .group("symcall")
        .doc("option of uWSGI's symcall plugin")
        .unsupported(""),
    opt("symcall-use-next", Kind::Flag)
        .group("symcall")
        .doc("option of uWSGI's symcall plugin")
        .unsupported(""),
    opt("symcall-register-rpc", Kind::List)
        .group("symcall")
        .doc("option of uWSGI's symcall plugin")
        .unsupported(""),
    opt("symcall-post-fork", Kind::List)
        .group("symcall")
        .doc("option of uWSGI's symcall plugin")
        .unsupported(""),
    // --- tornado plugin ---
    opt("tornado", Kind::Int)
        .group("tornado")
        .doc("option of uWSGI's tornado plugin")
        .unsupported("")
        .threads(),
    // --- tuntap plugin ---
    opt("tuntap-router", Kind::List)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    opt("tuntap-device", Kind::List)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    opt("tuntap-use-credentials", Kind::Str)
        .arg(Arg::Optional)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    opt("tuntap-router-firewall-in", Kind::List)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    opt("tuntap-router-firewall-out", Kind::List)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    opt("tuntap-router-route", Kind::List)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    opt("tuntap-router-stats", Kind::Str)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    opt("tuntap-device-rule", Kind::List)
        .group("tuntap")
        .doc("option of uWSGI's tuntap plugin")
        .unsupported(""),
    // --- ugreen plugin ---
    opt("ugreen", Kind::Flag)
        .group("ugreen")
        .doc("option of uWSGI's ugreen plugin")
        .unsupported(""),
    opt("ugreen-stacksize", Kind::Int)
        .group("ugreen")
        .doc("option of uWSGI's ugreen plugin")
        .unsupported(""),
    // --- webdav plugin ---
    opt("webdav-mount", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-css", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-javascript", Kind::List)
        .aliases(&["webdav-js"])
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-class-directory", Kind::Str)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-div", Kind::Str)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-lock-cache", Kind::Str)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-principal-base", Kind::Str)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-option", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-prop", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-collection-prop", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-object-prop", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-prop-href", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-collection-prop-href", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-object-prop-href", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-prop-comp", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-collection-prop-comp", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-object-prop-comp", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-rtype-prop", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-rtype-collection-prop", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-add-rtype-object-prop", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    opt("webdav-skip-prop", Kind::List)
        .group("webdav")
        .doc("option of uWSGI's webdav plugin")
        .unsupported(""),
    // --- xslt plugin ---
    opt("xslt-docroot", Kind::List)
        .group("xslt")
        .doc("option of uWSGI's xslt plugin")
        .unsupported(""),
    opt("xslt-ext", Kind::List)
        .group("xslt")
        .doc("option of uWSGI's xslt plugin")
        .unsupported(""),
    opt("xslt-var", Kind::List)
        .group("xslt")
        .doc("option of uWSGI's xslt plugin")
        .unsupported(""),
    opt("xslt-stylesheet", Kind::List)
        .group("xslt")
        .doc("option of uWSGI's xslt plugin")
        .unsupported(""),
    opt("xslt-content-type", Kind::Str)
        .group("xslt")
        .doc("option of uWSGI's xslt plugin")
        .unsupported(""),
    // --- zabbix plugin ---
    opt("zabbix-template", Kind::Str)
        .arg(Arg::Optional)
        .group("zabbix")
        .doc("option of uWSGI's zabbix plugin")
        .unsupported(""),
    // --- zergpool plugin ---
    opt("zergpool", Kind::List)
        .aliases(&["zerg-pool"])
        .group("zergpool")
        .doc("option of uWSGI's zergpool plugin")
        .unsupported(""),
];

/// What will not happen when an option of a uWSGI plugin we do not implement is used.
pub(crate) const GROUP_REASONS: &[(&str, &str)] = &[
    ("asyncio", "requests will not run on asyncio"),
    ("carbon", "stats will not be pushed to Carbon"),
    ("cgi", "CGI scripts will not be run"),
    (
        "cheaper_busyness",
        "only the `spare` cheaper algorithm exists: busyness settings have no effect",
    ),
    ("coroae", "requests will not run on Coro::AnyEvent"),
    ("curl_cron", "there is no cron: the URL will not be fetched"),
    (
        "dumbloop",
        "the dumb loop engine is not provided: nothing will run in it",
    ),
    (
        "fastrouter",
        "there is no FastRouter: nothing will be routed",
    ),
    ("fiber", "requests will not run on Ruby fibers"),
    (
        "forkptyrouter",
        "there is no forkpty router: no terminals will be served",
    ),
    ("gccgo", "Go apps will not be run"),
    ("geoip", "GeoIP lookups will not be available"),
    ("gevent", "requests will not run on gevent greenlets"),
    ("glusterfs", "GlusterFS volumes will not be served"),
    ("greenlet", "requests will not run on greenlets"),
    (
        "http",
        "there is no HTTP router process: workers serve `http` directly, without this setting",
    ),
    ("jvm", "no JVM will be started"),
    ("jwsgi", "JWSGI apps will not be served"),
    ("ldap", "the configuration will not be read from LDAP"),
    ("logzmq", "logs will not be sent to ZeroMQ"),
    ("lua", "Lua apps will not be served"),
    ("mongrel2", "Mongrel2 requests will not be served"),
    ("mono", "Mono apps will not be served"),
    ("nagios", "no Nagios check will run"),
    (
        "notfound",
        "the notfound handler is not provided: nothing will be logged",
    ),
    ("pam", "PAM authentication will not happen"),
    ("php", "PHP apps will not be served"),
    ("ping", "no ping will be sent"),
    ("psgi", "Perl (PSGI) apps will not be served"),
    ("pty", "no pseudo-terminal will be attached"),
    ("pypy", "emperor embeds CPython: PyPy will not be used"),
    ("rack", "Ruby (Rack) apps will not be served"),
    ("rados", "Ceph RADOS objects will not be served"),
    (
        "rawrouter",
        "there is no raw router: nothing will be routed",
    ),
    ("rbthreads", "Ruby threads will not be used"),
    ("ring", "Clojure (Ring) apps will not be served"),
    ("rrdtool", "metrics will not be stored in RRD files"),
    (
        "rsyslog",
        "the rsyslog logger is not provided: use `logger = syslog`",
    ),
    ("sqlite3", "the configuration will not be read from SQLite"),
    (
        "sslrouter",
        "there is no SSL router: nothing will be routed",
    ),
    ("stackless", "Stackless tasklets will not be used"),
    ("stats_pusher_statsd", "stats will not be pushed to statsd"),
    ("symcall", "C symbols will not be called as apps"),
    ("tornado", "requests will not run on the Tornado loop"),
    ("tuntap", "no tun/tap router will run"),
    ("ugreen", "uGreen green threads will not be used"),
    ("webdav", "WebDAV will not be served"),
    ("xslt", "XSLT transformations will not be applied"),
    ("zabbix", "stats will not be pushed to Zabbix"),
    (
        "zergpool",
        "there is no zerg pool: sockets will not be shared",
    ),
];
