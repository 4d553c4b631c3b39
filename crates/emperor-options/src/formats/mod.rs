//! The file formats: INI, XML and JSON, each turned into an ordered list of raw entries.
//!
//! A format parser sees text that magic variables (`%d`, `%n`…) have already been substituted
//! into, line for line, so the line numbers it reports are the file's own. It knows nothing of
//! options: it only says which `key = value` pairs the file holds, in order, and where. The
//! loader (`load.rs`) decides what the keys mean.

use std::path::Path;
use std::sync::Arc;

use crate::diag::Diagnostic;

pub mod ini;
pub mod json;
pub mod xml;

/// One `key = value` pair as a file wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    pub key: String,
    /// `None` for a bare INI key (`master`), which uWSGI reads as the empty string and which a
    /// flag reads as true.
    pub value: Option<String>,
    /// 1-based line of the file where the entry starts.
    pub line: u32,
}

impl RawEntry {
    pub fn new(key: impl Into<String>, value: impl Into<String>, line: u32) -> RawEntry {
        RawEntry {
            key: key.into(),
            value: Some(value.into()),
            line,
        }
    }
}

/// What a format parser found: the entries of the asked section, and warnings about the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<RawEntry>,
    pub diagnostics: Vec<Diagnostic>,
}

/// How deep XML elements or JSON values may nest before the file is refused. Real configs
/// nest two or three levels; the bound keeps hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// The file a parser reads, for its diagnostics.
pub type FilePath = Arc<Path>;
