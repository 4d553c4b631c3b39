// TEMPORARY STUB — helper-1 replaces this whole file with the generated table.
use crate::table::{opt, Arg, Kind, OptionDef, Scope};
pub const OPTIONS: &[OptionDef] = &[
    opt("ini", Kind::Directive).scope(Scope::Both).implemented(),
    opt("include", Kind::Directive).scope(Scope::Both).implemented(),
    opt("inherit", Kind::Directive).scope(Scope::Both).implemented(),
    opt("set", Kind::Directive).scope(Scope::Both).short('S').implemented(),
    opt("set-placeholder", Kind::Directive).aliases(&["set-ph"]).scope(Scope::Both).implemented(),
    opt("if-env", Kind::Directive).aliases(&["ifenv"]).scope(Scope::Both).implemented(),
    opt("for", Kind::Directive).scope(Scope::Both).implemented(),
    opt("endif", Kind::Directive).arg(Arg::Optional).aliases(&["end-if"]).implemented(),
    opt("endfor", Kind::Directive).arg(Arg::Optional).aliases(&["end-for"]).implemented(),
    opt("strict", Kind::Flag).scope(Scope::Both).implemented(),
    opt("socket", Kind::List).short('s').planned(),
    opt("processes", Kind::Int).aliases(&["workers"]).short('p').default("1").planned(),
    opt("master", Kind::Flag).short('M').noop("always a master"),
    opt("harakiri", Kind::Int).short('t').planned(),
    opt("emperor", Kind::List).scope(Scope::Emperor).planned(),
    opt("cgi", Kind::List).group("cgi"),
];
pub(crate) const GROUP_REASONS: &[(&str, &str)] = &[("cgi", "CGI scripts will not be run")];
