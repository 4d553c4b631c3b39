//! JSON as uWSGI reads it with jansson (core/json.c), parsed by hand to keep lines and order.
//!
//! - the top level is an object; its key `uwsgi` (or the `name` of `file.json:name`) must hold
//!   an object, whose keys are the options, in the order written; other top-level keys are
//!   ignored;
//! - a string is the value as is; `true` is `"1"`; `false` and `null` are `"0"` (so
//!   `"master": false` turns a flag off); an integer is its decimal text;
//! - an array is one entry per element, each converted by the same rules: that is how an
//!   option is repeated.
//!
//! The parser is strict RFC 8259, like jansson: no comments, no trailing commas, no single
//! quotes, only the standard escapes, no unpaired surrogates; `\u0000` is refused, as jansson
//! does by default. Nesting is bounded by [`MAX_DEPTH`], checked before recursing.
//!
//! # Differences from uWSGI, on purpose
//!
//! - numbers with a fraction or an exponent, objects, and arrays inside arrays are silently
//!   ignored by uWSGI; here they are errors, because an option that quietly vanishes is worse
//!   than a vassal that does not start;
//! - a key given twice is kept twice, in order (jansson keeps only the last one), with a
//!   warning suggesting an array; a top-level object name given twice reads the last one,
//!   like jansson, with a warning;
//! - uWSGI converts integers through a C `int`; an integer outside its range is kept as
//!   written, with a warning that uWSGI would read something else.

use std::collections::HashSet;

use super::{FilePath, MAX_DEPTH, Parsed, RawEntry};
use crate::diag::{Diagnostic, Origin};

/// Parses the entries of the object `name` (`uwsgi` by default) from `text`.
///
/// An empty `name` (`file.json:`) reads `uwsgi`, as uWSGI does.
pub fn parse(text: &str, path: &FilePath, name: &str) -> Result<Parsed, Diagnostic> {
    let name = if name.is_empty() { "uwsgi" } else { name };
    let mut parser = Parser {
        text,
        pos: 0,
        line: 1,
        path,
    };
    if text.starts_with('\u{feff}') {
        parser.pos = '\u{feff}'.len_utf8();
    }
    let top = parser.document()?;
    let Value::Object(members) = top.value else {
        return Err(parser
            .error(
                top.line,
                format!(
                    "the top level of the JSON file is {}, not an object",
                    top.value.kind()
                ),
            )
            .with_hint(format!(
                "write `{{ \"{name}\": {{ \"option\": \"value\" }} }}`"
            )));
    };
    let mut parsed = Parsed::default();
    let mut named = members.iter().filter(|m| m.key == name);
    let first = named.next();
    let Some(chosen) = named.next_back().or(first) else {
        return Err(parser
            .error(
                top.line,
                format!("no object named `{name}` at the top level of the JSON file"),
            )
            .with_hint(format!(
                "write `{{ \"{name}\": {{ \"option\": \"value\" }} }}`"
            )));
    };
    if first.is_some_and(|first| !std::ptr::eq(first, chosen)) {
        parsed.diagnostics.push(
            parser
                .warning(
                    chosen.line,
                    format!("`{name}` is given more than once at the top level"),
                )
                .with_hint("uWSGI reads only the last one, and so does emperor"),
        );
    }
    let Value::Object(options) = &chosen.value.value else {
        return Err(parser
            .error(
                chosen.line,
                format!("no object named `{name}` at the top level of the JSON file"),
            )
            .with_hint(format!(
                "`{name}` is {} here; write `\"{name}\": {{ \"option\": \"value\" }}`",
                chosen.value.value.kind()
            )));
    };
    let mut seen = HashSet::new();
    for member in options {
        if !seen.insert(member.key.as_str()) {
            parsed.diagnostics.push(
                parser
                    .warning(
                        member.line,
                        format!(
                            "`{}` is given more than once; uWSGI's JSON parser keeps only the \
                             last one",
                            member.key
                        ),
                    )
                    .with_hint(format!(
                        "repeat an option with an array: `\"{}\": [\"a\", \"b\"]`",
                        member.key
                    )),
            );
        }
        match &member.value.value {
            Value::Array(items) => {
                for item in items {
                    if matches!(item.value, Value::Array(_) | Value::Object(_)) {
                        return Err(parser
                            .error(
                                item.line,
                                format!(
                                    "`{}` holds {} inside an array",
                                    member.key,
                                    item.value.kind()
                                ),
                            )
                            .with_hint(
                                "uWSGI silently ignores it; an array holds one plain value per \
                                 repeated option",
                            ));
                    }
                    parsed.entries.push(entry(
                        &parser,
                        &member.key,
                        item,
                        &mut parsed.diagnostics,
                    )?);
                }
            }
            _ => parsed.entries.push(entry(
                &parser,
                &member.key,
                &member.value,
                &mut parsed.diagnostics,
            )?),
        }
    }
    Ok(parsed)
}

/// One option entry from a plain value.
fn entry(
    parser: &Parser<'_>,
    key: &str,
    value: &Spanned,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<RawEntry, Diagnostic> {
    let text = match &value.value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "1".to_owned(),
        Value::Bool(false) | Value::Null => "0".to_owned(),
        Value::Integer(digits) => {
            if digits.parse::<i32>().is_err() {
                let message = format!("`{key}` is `{digits}`, beyond a 32-bit integer");
                diagnostics.push(parser.warning(value.line, message).with_hint(
                    "uWSGI truncates JSON integers to a C `int`; write the number as a string",
                ));
            }
            digits.clone()
        }
        Value::Float(digits) => {
            let message = format!("`{key}` is `{digits}`, a number with a fraction or an exponent");
            return Err(parser.error(value.line, message).with_hint(
                "uWSGI silently ignores such numbers; write the number as a string or an integer",
            ));
        }
        Value::Object(_) => {
            return Err(parser
                .error(value.line, format!("`{key}` is an object"))
                .with_hint(
                    "option values are strings, integers, booleans, null or arrays of them; \
                 uWSGI silently ignores objects",
                ));
        }
        Value::Array(_) => unreachable!("arrays are spread by the caller"),
    };
    Ok(RawEntry::new(key, text, value.line))
}

/// A JSON value and the line where it starts.
#[derive(Debug)]
struct Spanned {
    value: Value,
    line: u32,
}

#[derive(Debug)]
enum Value {
    Null,
    Bool(bool),
    /// The number as written: `-?(0|[1-9][0-9]*)`.
    Integer(String),
    /// A number with a fraction or an exponent, as written.
    Float(String),
    String(String),
    Array(Vec<Spanned>),
    /// Members in the order written, duplicates kept.
    Object(Vec<Member>),
}

impl Value {
    /// What the value is, for messages: "an object", "a string"…
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "`null`",
            Value::Bool(true) => "`true`",
            Value::Bool(false) => "`false`",
            Value::Integer(_) | Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

#[derive(Debug)]
struct Member {
    key: String,
    /// Line of the key.
    line: u32,
    value: Spanned,
}

/// A recursive-descent RFC 8259 parser. Raw line breaks occur only in whitespace (strings
/// cannot hold them), so `skip_whitespace` alone keeps `line` up to date.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
    path: &'a FilePath,
}

impl Parser<'_> {
    fn error(&self, line: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(Origin::file(self.path, line), message)
    }

    fn warning(&self, line: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(Origin::file(self.path, line), message)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// An error about the character at `pos`, saying what was expected there.
    fn unexpected(&self, expected: &str) -> Diagnostic {
        let rest = &self.text[self.pos..];
        let Some(c) = rest.chars().next() else {
            return self.error(
                self.line,
                format!("expected {expected}, found the end of the file"),
            );
        };
        let word: String = if c.is_ascii_alphanumeric() {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(20)
                .collect()
        } else if c.is_control() {
            c.escape_debug().collect()
        } else {
            c.to_string()
        };
        let error = self.error(self.line, format!("expected {expected}, found `{word}`"));
        match word.as_str() {
            "'" => error.with_hint("JSON strings use double quotes"),
            "True" | "False" | "None" | "TRUE" | "FALSE" | "NULL" | "Null" => {
                error.with_hint("JSON literals are `true`, `false` and `null`, in lowercase")
            }
            "NaN" | "Infinity" => error.with_hint("JSON has no `NaN` or `Infinity`"),
            _ => error,
        }
    }

    fn skip_whitespace(&mut self) -> Result<(), Diagnostic> {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => self.line = self.line.saturating_add(1),
                b' ' | b'\t' | b'\r' => {}
                b'/' if matches!(self.text.as_bytes().get(self.pos + 1), Some(b'/' | b'*')) => {
                    return Err(self
                        .error(self.line, "comments are not allowed in JSON")
                        .with_hint("uWSGI's JSON parser refuses them too; remove the comment"));
                }
                _ => return Ok(()),
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// The whole text: one value and nothing after it.
    fn document(&mut self) -> Result<Spanned, Diagnostic> {
        let value = self.value(0)?;
        self.skip_whitespace()?;
        if self.pos < self.text.len() {
            return Err(self.unexpected("the end of the file after the JSON value"));
        }
        Ok(value)
    }

    /// A value inside `depth` open arrays and objects.
    fn value(&mut self, depth: usize) -> Result<Spanned, Diagnostic> {
        self.skip_whitespace()?;
        let line = self.line;
        let value = match self.peek() {
            Some(b'{' | b'[') if depth >= MAX_DEPTH => {
                return Err(self.error(line, format!("JSON nests deeper than {MAX_DEPTH} levels")));
            }
            Some(b'{') => self.object(depth + 1)?,
            Some(b'[') => self.array(depth + 1)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't') if self.text[self.pos..].starts_with("true") => {
                self.pos += 4;
                Value::Bool(true)
            }
            Some(b'f') if self.text[self.pos..].starts_with("false") => {
                self.pos += 5;
                Value::Bool(false)
            }
            Some(b'n') if self.text[self.pos..].starts_with("null") => {
                self.pos += 4;
                Value::Null
            }
            _ => return Err(self.unexpected("a value")),
        };
        Ok(Spanned { value, line })
    }

    /// `{ "key": value, … }`, at `pos` on the `{`; `depth` counts this object.
    fn object(&mut self, depth: usize) -> Result<Value, Diagnostic> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_whitespace()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace()?;
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a string key"));
            }
            let line = self.line;
            let key = self.string()?;
            self.skip_whitespace()?;
            if self.peek() != Some(b':') {
                return Err(self.unexpected("`:` after an object key"));
            }
            self.pos += 1;
            let value = self.value(depth)?;
            members.push(Member { key, line, value });
            self.skip_whitespace()?;
            match self.peek() {
                Some(b',') => self.comma(b'}')?,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.unexpected("`,` or `}` after an object member")),
            }
        }
    }

    /// `[ value, … ]`, at `pos` on the `[`; `depth` counts this array.
    fn array(&mut self, depth: usize) -> Result<Value, Diagnostic> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_whitespace()?;
            match self.peek() {
                Some(b',') => self.comma(b']')?,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("`,` or `]` after an array element")),
            }
        }
    }

    /// Steps over a `,`, refusing a trailing one before `close`.
    fn comma(&mut self, close: u8) -> Result<(), Diagnostic> {
        let line = self.line;
        self.pos += 1;
        self.skip_whitespace()?;
        if self.peek() == Some(close) {
            return Err(self
                .error(
                    line,
                    format!("trailing comma before `{}`", char::from(close)),
                )
                .with_hint("JSON allows no comma after the last element; remove it"));
        }
        Ok(())
    }

    /// A number, kept as written.
    fn number(&mut self) -> Result<Value, Diagnostic> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return Err(
                        self.error(self.line, "leading zeros are not allowed in JSON numbers")
                    );
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.unexpected("a digit after `.`"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(self.unexpected("a digit in the exponent"));
            }
            self.digits();
        }
        let text = self.text[start..self.pos].to_owned();
        Ok(if integer {
            Value::Integer(text)
        } else {
            Value::Float(text)
        })
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// A string, at `pos` on its opening quote.
    fn string(&mut self) -> Result<String, Diagnostic> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(end) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') else {
                return Err(self.error(self.line, "unterminated string"));
            };
            out.push_str(&rest[..end]);
            self.pos += end;
            match rest.as_bytes()[end] {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                b'\n' => {
                    return Err(self
                        .error(self.line, "unterminated string: a raw line break inside it")
                        .with_hint("write a line break inside a string as `\\n`"));
                }
                control => {
                    return Err(self
                        .error(
                            self.line,
                            format!("raw control character `U+{control:04X}` in a string"),
                        )
                        .with_hint("escape it, as in `\\t` or `\\u0001`"));
                }
            }
        }
    }

    /// The character of an escape, at `pos` just after the backslash.
    fn escape(&mut self) -> Result<char, Diagnostic> {
        let Some(c) = self.text[self.pos..].chars().next() else {
            return Err(self.error(self.line, "unterminated string"));
        };
        self.pos += c.len_utf8();
        Ok(match c {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => return self.unicode_escape(),
            other => {
                return Err(self
                    .error(
                        self.line,
                        format!("invalid escape `\\{}`", other.escape_debug()),
                    )
                    .with_hint(
                        "JSON escapes are `\\\"` `\\\\` `\\/` `\\b` `\\f` `\\n` `\\r` `\\t` \
                         and `\\uXXXX`",
                    ));
            }
        })
    }

    /// `\uXXXX`, at `pos` just after the `u`; a surrogate pair takes two escapes.
    fn unicode_escape(&mut self) -> Result<char, Diagnostic> {
        let high = self.hex4()?;
        let code = match high {
            0xD800..=0xDBFF => {
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err(self.unpaired(high));
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.unpaired(high));
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.unpaired(high)),
            0 => {
                return Err(self
                    .error(self.line, "`\\u0000` is not allowed in a string")
                    .with_hint("uWSGI's JSON parser refuses NUL characters too"));
            }
            code => code,
        };
        char::from_u32(code).ok_or_else(|| self.unpaired(high))
    }

    fn unpaired(&self, code: u32) -> Diagnostic {
        self.error(
            self.line,
            format!("unpaired surrogate `\\u{code:04X}` in a string"),
        )
        .with_hint("characters beyond U+FFFF are written as a pair, as in `\\uD83D\\uDE00`")
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, Diagnostic> {
        let digits = self.text.as_bytes().get(self.pos..self.pos + 4);
        match digits {
            Some(digits) if digits.iter().all(u8::is_ascii_hexdigit) => {
                let code = digits.iter().fold(0, |code, &d| {
                    code * 16 + char::from(d).to_digit(16).unwrap_or_default()
                });
                self.pos += 4;
                Ok(code)
            }
            _ => Err(self.error(self.line, "invalid `\\u` escape: expected four hex digits")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;
    use proptest::prelude::*;
    use std::path::Path;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn path() -> FilePath {
        Arc::from(Path::new("t.json"))
    }

    fn entries(text: &str, name: &str) -> Vec<(String, String, u32)> {
        let parsed = parse(text, &path(), name).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        parsed
            .entries
            .into_iter()
            .map(|e| (e.key, e.value.unwrap_or_default(), e.line))
            .collect()
    }

    fn kv(k: &str, v: &str, line: u32) -> (String, String, u32) {
        (k.to_owned(), v.to_owned(), line)
    }

    /// Expected entries: key, value, line.
    type Want = &'static [(&'static str, &'static str, u32)];

    fn owned(want: Want) -> Vec<(String, String, u32)> {
        want.iter().map(|&(k, v, l)| kv(k, v, l)).collect()
    }

    fn warnings(text: &str) -> Vec<String> {
        let parsed = parse(text, &path(), "uwsgi").unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(
            parsed
                .diagnostics
                .iter()
                .all(|d| d.severity == Severity::Warning)
        );
        parsed.diagnostics.into_iter().map(|d| d.message).collect()
    }

    fn error_of(text: &str) -> Diagnostic {
        let error = parse(text, &path(), "uwsgi").expect_err(text);
        assert_eq!(error.severity, Severity::Error);
        error
    }

    fn line_of(d: &Diagnostic) -> u32 {
        match d.origin {
            Origin::File { line, .. } => line,
            _ => panic!("not a file origin: {d}"),
        }
    }

    #[test]
    fn converts_values_like_uwsgi() {
        let cases: &[(&str, Want)] = &[
            (
                "{\"uwsgi\": {\n\"socket\": \":8000\",\n\"master\": true,\n\"vacuum\": false,\n\
                 \"harakiri\": null,\n\"processes\": 4,\n\"uid\": -1\n}}",
                &[
                    ("socket", ":8000", 2),
                    ("master", "1", 3),
                    ("vacuum", "0", 4),
                    ("harakiri", "0", 5),
                    ("processes", "4", 6),
                    ("uid", "-1", 7),
                ],
            ),
            // Arrays repeat the key, one entry per element on its own line; keys keep their order.
            (
                "{\"uwsgi\": {\"z\": 1, \"env\": [\n\"A=1\",\n\"B=2\", true, 0], \
                 \"empty\": [], \"a\": \"\"}}",
                &[
                    ("z", "1", 1),
                    ("env", "A=1", 2),
                    ("env", "B=2", 3),
                    ("env", "1", 3),
                    ("env", "0", 3),
                    ("a", "", 3),
                ],
            ),
            // Escapes, surrogate pairs, BOM and CRLF.
            (
                "\u{feff}{\r\n\"uwsgi\": {\r\n\
                 \"env\": \"Q=\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"\r\n}\r\n}\r\n",
                &[("env", "Q=\"\\/\u{8}\u{c}\n\r\té\u{1F600}", 3)],
            ),
            // Other top-level keys are ignored, whatever they hold.
            (
                "{\"other\": {\"x\": 1.5, \"y\": {\"z\": [[1]]}}, \
                 \"uwsgi\": {\"a\": \"b\"}, \"n\": 1e9}",
                &[("a", "b", 1)],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(entries(text, "uwsgi"), owned(want), "{text:?}");
            assert!(warnings(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn reads_the_named_object() {
        let text = "{\"uwsgi\": {\"a\": \"1\"}, \"prod\": {\"a\": \"2\"}}";
        assert_eq!(entries(text, "prod"), vec![kv("a", "2", 1)]);
        assert_eq!(entries(text, "uwsgi"), vec![kv("a", "1", 1)]);
        // `file.json:` reads `uwsgi`, as uWSGI does.
        assert_eq!(entries(text, ""), vec![kv("a", "1", 1)]);
    }

    #[test]
    fn duplicate_keys_are_kept_in_order_with_a_warning() {
        let text = "{\"uwsgi\": {\n\"socket\": \":1\",\n\"master\": true,\n\"socket\": \":2\"\n}}";
        assert_eq!(
            entries(text, "uwsgi"),
            vec![
                kv("socket", ":1", 2),
                kv("master", "1", 3),
                kv("socket", ":2", 4)
            ]
        );
        let parsed = parse(text, &path(), "uwsgi").unwrap();
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(line_of(&parsed.diagnostics[0]), 4);
        assert!(
            parsed.diagnostics[0]
                .message
                .contains("keeps only the last one")
        );
        assert!(
            parsed.diagnostics[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("array")
        );
        // A repeated top-level object: the last one is read, as jansson does.
        let text = "{\"uwsgi\": {\"a\": \"1\"},\n\"uwsgi\": {\"a\": \"2\"}}";
        assert_eq!(entries(text, "uwsgi"), vec![kv("a", "2", 2)]);
        assert_eq!(warnings(text).len(), 1);
    }

    #[test]
    fn integers_beyond_a_c_int_are_kept_with_a_warning() {
        let text = "{\"uwsgi\": {\"limit-as\": 4294967296, \"x\": -2147483648}}";
        assert_eq!(
            entries(text, "uwsgi"),
            vec![kv("limit-as", "4294967296", 1), kv("x", "-2147483648", 1)]
        );
        assert_eq!(warnings(text).len(), 1);
    }

    #[test]
    fn values_uwsgi_ignores_are_errors_naming_key_and_line() {
        let cases: &[(&str, u32, &str)] = &[
            (
                "{\"uwsgi\": {\n\"harakiri\": 1.5}}",
                2,
                "`harakiri` is `1.5`, a number with a fraction",
            ),
            (
                "{\"uwsgi\": {\n\"harakiri\": 1e3}}",
                2,
                "`harakiri` is `1e3`",
            ),
            ("{\"uwsgi\": {\"env\": [\"a\",\n2.0]}}", 2, "`env` is `2.0`"),
            (
                "{\"uwsgi\": {\n\"cache\": {\"size\": 1}}}",
                2,
                "`cache` is an object",
            ),
            (
                "{\"uwsgi\": {\"env\": [\n[\"a\"]]}}",
                2,
                "`env` holds an array inside an array",
            ),
            (
                "{\"uwsgi\": {\"env\": [\n{}]}}",
                2,
                "`env` holds an object inside an array",
            ),
        ];
        for (text, line, message) in cases {
            let error = error_of(text);
            assert!(error.message.starts_with(message), "{text:?}: {error}");
            assert_eq!(line_of(&error), *line, "{text:?}: {error}");
            assert!(error.hint.is_some(), "{text:?}");
        }
        let error = error_of("{\"uwsgi\": {\"harakiri\": 1.5}}");
        assert!(
            error
                .hint
                .unwrap()
                .contains("write the number as a string or an integer")
        );
    }

    #[test]
    fn the_named_object_must_exist() {
        let cases: &[(&str, u32, &str)] = &[
            (
                "{\"other\": {}}",
                1,
                "no object named `uwsgi` at the top level of the JSON file",
            ),
            (
                "{\n\"uwsgi\": \"socket=:1\"}",
                2,
                "no object named `uwsgi` at the top level of the JSON file",
            ),
            ("{\"uwsgi\": [{}]}", 1, "no object named `uwsgi`"),
            (
                "[{\"uwsgi\": {}}]",
                1,
                "the top level of the JSON file is an array, not an object",
            ),
            (
                "\n\"uwsgi\"",
                2,
                "the top level of the JSON file is a string",
            ),
            ("4", 1, "the top level of the JSON file is a number"),
        ];
        for (text, line, message) in cases {
            let error = error_of(text);
            assert!(error.message.starts_with(message), "{text:?}: {error}");
            assert_eq!(line_of(&error), *line, "{text:?}: {error}");
        }
    }

    #[test]
    fn strict_json_errors_carry_their_line() {
        let cases: &[(&str, u32, &str)] = &[
            (
                "{\"uwsgi\": {\n  \"a\": 1,\n  \"b\": 2,\n}\n}",
                3,
                "trailing comma before `}`",
            ),
            (
                "{\"uwsgi\": {\"a\": [1,\n2,\n]}}",
                2,
                "trailing comma before `]`",
            ),
            (
                "{\"uwsgi\": {\n// hi\n\"a\": 1}}",
                2,
                "comments are not allowed in JSON",
            ),
            (
                "{\"uwsgi\": {\n\"a\": 1 /* x */}}",
                2,
                "comments are not allowed in JSON",
            ),
            (
                "{\"uwsgi\": {\n\"a\": \"\\x41\"}}",
                2,
                "invalid escape `\\x`",
            ),
            (
                "{\"uwsgi\": {\n\"a\": \"\\u12\"}}",
                2,
                "invalid `\\u` escape",
            ),
            (
                "{\"uwsgi\": {\n\"a\": \"\\uD800\"}}",
                2,
                "unpaired surrogate `\\uD800`",
            ),
            (
                "{\"uwsgi\": {\n\"a\": \"\\uD800\\u0041\"}}",
                2,
                "unpaired surrogate `\\uD800`",
            ),
            (
                "{\"uwsgi\": {\n\"a\": \"\\uDC00\"}}",
                2,
                "unpaired surrogate `\\uDC00`",
            ),
            (
                "{\"uwsgi\": {\n\"a\": \"\\u0000\"}}",
                2,
                "`\\u0000` is not allowed",
            ),
            ("{\"uwsgi\": {\n\"a\": \"x\ny\"}}", 2, "unterminated string"),
            (
                "{\"uwsgi\": {\n\"a\": \"x\ty\"}}",
                2,
                "raw control character `U+0009`",
            ),
            ("{\"uwsgi\": {\n\"a\": \"x", 2, "unterminated string"),
            (
                "{\"uwsgi\": {\n\"a\": 01}}",
                2,
                "leading zeros are not allowed",
            ),
            (
                "{\"uwsgi\": {\n\"a\": -}}",
                2,
                "expected a digit, found `}`",
            ),
            (
                "{\"uwsgi\": {\n\"a\": 1.}}",
                2,
                "expected a digit after `.`",
            ),
            (
                "{\"uwsgi\": {\n\"a\": 1e+}}",
                2,
                "expected a digit in the exponent",
            ),
            (
                "{\"uwsgi\": {\n\"a\": +1}}",
                2,
                "expected a value, found `+`",
            ),
            (
                "{\"uwsgi\": {\n\"a\": True}}",
                2,
                "expected a value, found `True`",
            ),
            (
                "{\"uwsgi\": {\n'a': 1}}",
                2,
                "expected a string key, found `'`",
            ),
            (
                "{\"uwsgi\": {\n\"a\" 1}}",
                2,
                "expected `:` after an object key",
            ),
            (
                "{\"uwsgi\": {\n\"a\": 1 \"b\": 2}}",
                2,
                "expected `,` or `}`",
            ),
            ("{\"uwsgi\": {\"a\": [1\n2]}}", 2, "expected `,` or `]`"),
            ("{\"uwsgi\": {}}\n{}", 2, "expected the end of the file"),
            (
                "{\"uwsgi\": {}",
                1,
                "expected `,` or `}` after an object member, found the end of the file",
            ),
            ("", 1, "expected a value, found the end of the file"),
            ("\u{feff}", 1, "expected a value"),
            (
                "{\"uwsgi\": {\"a\": nul}}",
                1,
                "expected a value, found `nul`",
            ),
        ];
        for (text, line, message) in cases {
            let error = error_of(text);
            assert!(error.message.starts_with(message), "{text:?}: {error}");
            assert_eq!(line_of(&error), *line, "{text:?}: {error}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let depth = 10_000;
        let cases = [
            "[".repeat(depth),
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("{{\"uwsgi\": {}", "{\"a\": ".repeat(depth)),
        ];
        for text in &cases {
            let started = Instant::now();
            let error = error_of(text);
            assert!(error.message.contains("nests deeper than 64"), "{error}");
            assert!(started.elapsed() < Duration::from_secs(2));
        }
        // MAX_DEPTH itself is fine (the top object and `uwsgi` are two levels).
        let depth = MAX_DEPTH - 2;
        let text = format!(
            "{{\"uwsgi\": {{}}, \"x\": {}{}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(entries(&text, "uwsgi").is_empty());
    }

    #[test]
    fn binary_garbage_is_an_error() {
        let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        error_of(&String::from_utf8_lossy(&garbage));
        error_of("{\"uwsgi\": {\"\u{fffd}\": \"\u{fffd}\\\u{fffd}\"}}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = parse(&text, &path(), "uwsgi");
        }

        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&String::from_utf8_lossy(&bytes), &path(), "uwsgi");
        }

        #[test]
        fn never_panics_on_json_like_text(
            text in "(\\{|\\}|\\[|\\]|:|,|\"uwsgi\"|\"a\"|true|false|null|-?[0-9]{1,12}(\\.[0-9])?|\
                      \"\\\\u[dD][89a-fA-F]00\"|\"\\\\u00e9\\\\\"|/\\*|//| |\n|\u{e9})*"
        ) {
            let _ = parse(&text, &path(), "uwsgi");
        }
    }
}
