//! INI exactly as uWSGI reads it (core/ini.c).
//!
//! - lines are trimmed of spaces, tabs and `\r`; empty lines are skipped;
//! - `[name]` opens a section: the name is the rest of the line without its last character
//!   (uWSGI does not check that it is `]`); the same section may appear many times;
//! - only whole-line comments, starting with `;` or `#`;
//! - `key = value` splits at the first `=`; more `=` stay in the value; no quote processing;
//! - a line without `=` is a bare key (value `None`, which flags read as true);
//! - lines before the first section belong to no section and are ignored.
//!
//! Differences from uWSGI, on purpose: a section line that does not end in `]` and a value
//! that carries what looks like an inline comment (`:8000 ; web`) are kept as uWSGI keeps them
//! but warned about, because both are almost always mistakes.

use super::{FilePath, Parsed, RawEntry};
use crate::diag::{Diagnostic, Origin};

/// Parses the entries of `section` (`uwsgi` by default) from `text`.
///
/// Returns whether the section was found at all, beside the entries: a missing section is a
/// warning, decided by the caller, which knows how the file was asked for.
pub fn parse(text: &str, path: &FilePath, section: &str) -> (Parsed, bool) {
    let mut parsed = Parsed::default();
    let mut current: Option<&str> = None;
    let mut found = false;
    for (index, raw_line) in text.split('\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw_line.trim_matches([' ', '\t', '\r']);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            // uWSGI drops the last character whatever it is.
            let name = rest.char_indices().last().map_or("", |(i, _)| &rest[..i]);
            if !rest.ends_with(']') {
                parsed.diagnostics.push(
                    Diagnostic::warning(
                        Origin::file(path, line_no),
                        format!("section line `{line}` does not end with `]`"),
                    )
                    .with_hint(format!(
                        "uWSGI drops the last character and reads the section name `{name}`"
                    )),
                );
            }
            current = Some(name);
            if name == section {
                found = true;
            }
            continue;
        }
        if line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if current != Some(section) {
            continue;
        }
        let entry = match line.split_once('=') {
            Some((key, value)) => RawEntry {
                key: key.trim_end_matches([' ', '\t', '\r']).to_owned(),
                value: Some(value.trim_matches([' ', '\t', '\r']).to_owned()),
                line: line_no,
            },
            None => RawEntry {
                key: line.to_owned(),
                value: None,
                line: line_no,
            },
        };
        parsed.entries.push(entry);
    }
    (parsed, found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::Arc;

    fn entries(text: &str, section: &str) -> Vec<(String, Option<String>, u32)> {
        let path: FilePath = Arc::from(Path::new("t.ini"));
        parse(text, &path, section)
            .0
            .entries
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    fn kv(k: &str, v: Option<&str>, line: u32) -> (String, Option<String>, u32) {
        (k.to_owned(), v.map(str::to_owned), line)
    }

    #[test]
    fn splits_at_first_equals_and_keeps_quotes_and_inline_comments() {
        let text = "[uwsgi]\nenv = A=B=C\nmodule = \"app\"\nsocket = :8000 ; web\n";
        assert_eq!(
            entries(text, "uwsgi"),
            vec![
                kv("env", Some("A=B=C"), 2),
                kv("module", Some("\"app\""), 3),
                kv("socket", Some(":8000 ; web"), 4),
            ]
        );
    }

    #[test]
    fn bare_key_and_empty_value_differ() {
        let text = "[uwsgi]\nmaster\nvacuum =\n";
        assert_eq!(
            entries(text, "uwsgi"),
            vec![kv("master", None, 2), kv("vacuum", Some(""), 3)]
        );
    }

    #[test]
    fn whole_line_comments_only_and_crlf() {
        let text = "[uwsgi]\r\n; a comment\r\n  # another\r\nprocesses = 4\r\n";
        assert_eq!(entries(text, "uwsgi"), vec![kv("processes", Some("4"), 4)]);
    }

    #[test]
    fn sections_repeat_and_lines_before_any_section_are_ignored() {
        let text = "stray = 1\n[uwsgi]\na = 1\n[other]\nb = 2\n[uwsgi]\nc = 3\n";
        assert_eq!(
            entries(text, "uwsgi"),
            vec![kv("a", Some("1"), 3), kv("c", Some("3"), 7)]
        );
        assert_eq!(entries(text, "other"), vec![kv("b", Some("2"), 5)]);
    }

    #[test]
    fn missing_section_is_reported_as_not_found() {
        let path: FilePath = Arc::from(Path::new("t.ini"));
        let (parsed, found) = parse("[prod]\na = 1\n", &path, "uwsgi");
        assert!(!found);
        assert!(parsed.entries.is_empty());
    }

    #[test]
    fn section_name_drops_last_character_like_uwsgi() {
        let path: FilePath = Arc::from(Path::new("t.ini"));
        let (parsed, found) = parse("[uwsgi] \n", &path, "uwsgi");
        // Trailing space is trimmed first, so this is a normal section.
        assert!(found);
        assert!(parsed.diagnostics.is_empty());
        let (parsed, found) = parse("[uwsgi]x\na = 1\n", &path, "uwsgi]");
        assert!(found);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.entries.len(), 1);
    }
}
