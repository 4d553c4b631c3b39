//! XML as uWSGI reads it with libxml2 (core/xmlconf.c), without what makes XML dangerous.
//!
//! - the root element is used if it is `<uwsgi>`; otherwise the first `<uwsgi>` directly inside
//!   the root whose `id` equals the asked id (`file.xml:id`) is; a `<uwsgi>` without `id`
//!   matches any id, and with no id asked the first `<uwsgi>` wins;
//! - each element inside the chosen `<uwsgi>` is one entry: `<name>text</name>` gives `name`
//!   = the text, not trimmed, entities decoded; an element with nothing inside (`<master/>`,
//!   `<master></master>`) gives `"1"`; repeated elements are repeated entries;
//! - a child with an `id` attribute is skipped when an id was asked and differs;
//! - a CDATA section directly inside `<uwsgi>` is an `eval` entry (Python code);
//! - `<app mountpoint="/m">module:callable</app>` is `mount = /m=module:callable`, and with
//!   `domain="d"` instead `mount = d|=module:callable`; the legacy form
//!   `<app mountpoint="/"><script>module</script></app>` reads the inner element's text;
//! - text and comments between elements and all other attributes are ignored.
//!
//! # Safety
//!
//! uWSGI hands the file to libxml2 with default options, which parses internal DTDs and
//! expands the entities they declare. A vassal file may come from a less trusted owner than
//! the emperor, so here no DTD is processed at all: a `<!DOCTYPE>` with an internal subset or
//! `<!ENTITY>` declarations is refused, and so is any entity other than the five predefined
//! ones (`&lt;` `&gt;` `&amp;` `&quot;` `&apos;`); character references (`&#65;`, `&#x41;`) are
//! decoded. quick-xml reads events without recursion and nesting is bounded by [`MAX_DEPTH`],
//! so hostile input cannot exhaust the stack.
//!
//! # Differences from uWSGI, on purpose
//!
//! - uWSGI reads only the *first node* inside an option element, so `<x>a<!-- c -->b</x>` is
//!   `a` there and `<x><y/></x>` crashes it. Here the value is all the text directly inside
//!   the element (comments and nested elements left out), with a warning whenever uWSGI would
//!   have read something else.
//! - `mode="…"` attributes (honoured by uWSGI when its `mode` option matches) are not
//!   supported: such elements are skipped with a warning.
//! - `<app>` without `mountpoint` or `domain`, or without a module, is skipped with a warning
//!   (uWSGI turns it into a deprecated no-op `app` option, or a `mount` it then rejects).
//!   The legacy form accepts the inner element after any amount of whitespace.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::{FilePath, MAX_DEPTH, Parsed, RawEntry};
use crate::diag::{Diagnostic, Origin};

/// Parses the `<uwsgi>` block asked for by `id` (the `file.xml:id` part) from `text`.
///
/// `id` is `None` when the file was named without `:id`.
pub fn parse(text: &str, path: &FilePath, id: Option<&str>) -> Result<Parsed, Diagnostic> {
    if id == Some("") {
        return Err(error(path, 1, "empty XML id after `:`").with_hint(
            "name the `<uwsgi id=\"…\">` block to read, as in `app.xml:prod`, \
             or drop the `:`",
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = read_tree(text, path)?;
    let mut parsed = Parsed::default();
    let uwsgi = select_uwsgi(&root, id, path, &mut parsed)?;
    collect(uwsgi, id, path, &mut parsed);
    Ok(parsed)
}

/// One node of the document, as libxml2 would build it (adjacent text and references merge).
#[derive(Debug)]
enum Node {
    Element(Element),
    /// Text and decoded references; `line` is where the text starts.
    Text {
        text: String,
        line: u32,
    },
    CData {
        text: String,
        line: u32,
    },
    /// A comment or a processing instruction, with the text libxml2 gives as its content.
    Other(String),
}

#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
    /// Line of the start tag.
    line: u32,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Everything uWSGI could read from the element: its children but comments.
    fn has_content(&self) -> bool {
        self.children
            .iter()
            .any(|node| !matches!(node, Node::Other(_)))
    }

    /// The text directly inside the element: text and CDATA, comments and elements left out.
    fn direct_text(&self) -> String {
        let mut text = String::new();
        for node in &self.children {
            match node {
                Node::Text { text: t, .. } | Node::CData { text: t, .. } => text.push_str(t),
                Node::Element(_) | Node::Other(_) => {}
            }
        }
        text
    }

    fn has_child_elements(&self) -> bool {
        self.children
            .iter()
            .any(|node| matches!(node, Node::Element(_)))
    }

    /// What uWSGI reads as the element's value: the content of its first child node, `None`
    /// if that is an element (where uWSGI crashes).
    fn first_node_content(&self) -> Option<&str> {
        match self.children.first()? {
            Node::Text { text: t, .. } | Node::CData { text: t, .. } | Node::Other(t) => Some(t),
            Node::Element(_) => None,
        }
    }
}

fn error(path: &FilePath, line: u32, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Origin::file(path, line), message)
}

fn warning(path: &FilePath, line: u32, message: impl Into<String>) -> Diagnostic {
    Diagnostic::warning(Origin::file(path, line), message)
}

/// Turns byte offsets into 1-based line numbers, counting forward from the last offset asked.
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: u64) -> u32 {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = self.text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n');
        let newlines = u32::try_from(newlines.count()).unwrap_or(u32::MAX);
        self.line = self.line.saturating_add(newlines);
        self.offset = offset;
        self.line
    }
}

/// The characters XML 1.0 allows in a document (the `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn is_xml_space(text: &str) -> bool {
    first_non_space(text).is_none()
}

/// Where the first character that is not XML whitespace is.
fn first_non_space(text: &str) -> Option<usize> {
    text.find(|c| !matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// Reads the whole document into a tree, checking it is well-formed and safe.
fn read_tree(text: &str, path: &FilePath) -> Result<Element, Diagnostic> {
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        let line = Lines::new(text).at(offset as u64);
        return Err(error(
            path,
            line,
            format!("character `U+{:04X}` is not allowed in XML", u32::from(c)),
        ));
    }
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_comments = true;
    let mut lines = Lines::new(text);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let line = lines.at(reader.error_position());
                return Err(error(path, line, format!("malformed XML: {e}")));
            }
        };
        let line = lines.at(start);
        let outside = open.is_empty();
        match event {
            Event::Decl(_) => {
                if start != 0 {
                    return Err(error(path, line, "the XML declaration must start the file"));
                }
            }
            Event::DocType(doctype) => {
                if doctype.contains('[') || doctype.contains("ENTITY") {
                    return Err(error(
                        path,
                        line,
                        "DTDs and entity declarations are not allowed in vassal files",
                    )
                    .with_hint("remove the `<!DOCTYPE …>` declaration and write values out"));
                }
                if !outside || root.is_some() {
                    return Err(error(
                        path,
                        line,
                        "`<!DOCTYPE>` must come before the root element",
                    ));
                }
            }
            Event::Start(tag) | Event::Empty(tag) if open.len() >= MAX_DEPTH => {
                let name = tag.name().as_ref().to_owned();
                return Err(error(
                    path,
                    line,
                    format!("elements nest deeper than {MAX_DEPTH} levels at `<{name}>`"),
                ));
            }
            Event::Start(tag) => {
                if outside && root.is_some() {
                    return Err(extra_root(path, line));
                }
                open.push(element(&tag, line, path)?);
            }
            Event::Empty(tag) => {
                if outside && root.is_some() {
                    return Err(extra_root(path, line));
                }
                attach(element(&tag, line, path)?, &mut open, &mut root);
            }
            Event::End(tag) => {
                let Some(closed) = open.pop() else {
                    let name = tag.name().as_ref().to_owned();
                    return Err(error(
                        path,
                        line,
                        format!("`</{name}>` closes no open element"),
                    ));
                };
                attach(closed, &mut open, &mut root);
            }
            Event::Text(text) => {
                let text = text.xml10_content();
                match open.last_mut() {
                    Some(parent) => push_text(parent, &text, line),
                    None => {
                        if let Some(skip) = first_non_space(&text) {
                            let line = lines.at(start + skip as u64);
                            return Err(outside_root(path, line, "text"));
                        }
                    }
                }
            }
            Event::GeneralRef(reference) => {
                let c = resolve_reference(&reference, path, line)?;
                match open.last_mut() {
                    Some(parent) => push_text(parent, c.encode_utf8(&mut [0; 4]), line),
                    None => return Err(outside_root(path, line, "an entity reference")),
                }
            }
            Event::CData(cdata) => {
                let text = cdata.xml10_content().into_owned();
                match open.last_mut() {
                    Some(parent) => parent.children.push(Node::CData { text, line }),
                    None => return Err(outside_root(path, line, "a CDATA section")),
                }
            }
            Event::Comment(comment) => {
                if let Some(parent) = open.last_mut() {
                    parent
                        .children
                        .push(Node::Other(comment.xml10_content().into_owned()));
                }
            }
            Event::PI(pi) => {
                if let Some(parent) = open.last_mut() {
                    parent
                        .children
                        .push(Node::Other(pi.content().trim_start().to_owned()));
                }
            }
            Event::Eof => {
                if let Some(unclosed) = open.last() {
                    return Err(error(
                        path,
                        unclosed.line,
                        format!("`<{}>` is never closed", unclosed.name),
                    ));
                }
                return root.ok_or_else(|| {
                    error(path, line, "the XML file has no root element")
                        .with_hint("a vassal file holds `<uwsgi>…</uwsgi>`")
                });
            }
        }
    }
}

fn extra_root(path: &FilePath, line: u32) -> Diagnostic {
    error(path, line, "a second root element after the first one")
        .with_hint("an XML file has a single root element; put the `<uwsgi>` blocks inside it")
}

fn outside_root(path: &FilePath, line: u32, what: &str) -> Diagnostic {
    error(path, line, format!("{what} outside the root element"))
}

/// Attaches a finished element to its parent, or makes it the root.
fn attach(element: Element, open: &mut [Element], root: &mut Option<Element>) {
    match open.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

/// Appends text to `parent`, merging with a text node just before it, as libxml2 does.
fn push_text(parent: &mut Element, text: &str, line: u32) {
    if let Some(Node::Text { text: last, .. }) = parent.children.last_mut() {
        last.push_str(text);
    } else {
        parent.children.push(Node::Text {
            text: text.to_owned(),
            line,
        });
    }
}

/// The value of one of the five predefined entities, without the leading `&`.
fn predefined_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

/// Resolves `&name;` or `&#n;` in text: predefined entities and character references only.
fn resolve_reference(
    reference: &BytesRef<'_>,
    path: &FilePath,
    line: u32,
) -> Result<char, Diagnostic> {
    let name: &str = reference;
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c),
            Ok(_) | Err(_) => Err(error(
                path,
                line,
                format!("invalid character reference `&{name};`"),
            )),
        };
    }
    match predefined_entity(name) {
        Some(value) => Ok(value.chars().next().unwrap_or_default()),
        None => Err(undefined_entity(path, line, name)),
    }
}

fn undefined_entity(path: &FilePath, line: u32, name: &str) -> Diagnostic {
    error(path, line, format!("undefined entity `&{name};`")).with_hint(
        "only `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and character references like `&#65;` \
         are decoded; write `&amp;` for a literal `&`",
    )
}

/// Builds an element (without children) from its start tag.
fn element(tag: &BytesStart<'_>, line: u32, path: &FilePath) -> Result<Element, Diagnostic> {
    let name = tag.name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in tag.attributes() {
        let attribute = attribute.map_err(|e| {
            error(
                path,
                line,
                format!("malformed attribute in `<{name}>`: {e}"),
            )
        })?;
        attributes.push(attribute_value(&attribute, &name, line, path)?);
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
        line,
    })
}

fn attribute_value(
    attribute: &Attribute<'_>,
    element: &str,
    line: u32,
    path: &FilePath,
) -> Result<(String, String), Diagnostic> {
    let key = attribute.key.as_ref().to_owned();
    let mut undefined = None;
    let value = attribute.normalized_value_with(XmlVersion::Implicit1_0, 1, |name| {
        let value = predefined_entity(name);
        if value.is_none() && undefined.is_none() {
            undefined = Some(name.to_owned());
        }
        value
    });
    match (value, undefined) {
        (_, Some(name)) => Err(undefined_entity(path, line, &name)),
        (Ok(value), None) => Ok((key, value.into_owned())),
        (Err(e), None) => Err(error(
            path,
            line,
            format!("malformed value of attribute `{key}` in `<{element}>`: {e}"),
        )),
    }
}

/// Picks the `<uwsgi>` element to read, as uWSGI does.
fn select_uwsgi<'a>(
    root: &'a Element,
    id: Option<&str>,
    path: &FilePath,
    parsed: &mut Parsed,
) -> Result<&'a Element, Diagnostic> {
    if root.name == "uwsgi" {
        if let (Some(asked), Some(own)) = (id, root.attribute("id"))
            && asked != own
        {
            parsed.diagnostics.push(
                warning(
                    path,
                    root.line,
                    format!("the root `<uwsgi>` has id `{own}`, not `{asked}`"),
                )
                .with_hint("a root `<uwsgi>` is read whatever its id, as uWSGI does"),
            );
        }
        return Ok(root);
    }
    let found = root.children.iter().find_map(|node| match node {
        Node::Element(child)
            if child.name == "uwsgi"
                && match (id, child.attribute("id")) {
                    (Some(asked), Some(own)) => asked == own,
                    _ => true,
                } =>
        {
            Some(child)
        }
        _ => None,
    });
    found.ok_or_else(|| {
        let hint = "uWSGI reads the root element if it is `<uwsgi>`, else the first `<uwsgi>` \
                    directly inside it (one without `id` matches any id)";
        let message = match id {
            Some(id) => format!("no <uwsgi> element with id `{id}`"),
            None => format!(
                "no <uwsgi> element: the root is `<{}>` and holds none",
                root.name
            ),
        };
        error(path, root.line, message).with_hint(hint)
    })
}

/// Turns the children of the chosen `<uwsgi>` into entries.
fn collect(uwsgi: &Element, id: Option<&str>, path: &FilePath, parsed: &mut Parsed) {
    for node in &uwsgi.children {
        match node {
            Node::CData { text, line } => parsed.entries.push(RawEntry::new("eval", text, *line)),
            Node::Element(child) => {
                if let (Some(asked), Some(own)) = (id, child.attribute("id"))
                    && asked != own
                {
                    continue;
                }
                if let Some(mode) = child.attribute("mode") {
                    parsed.diagnostics.push(
                        warning(
                            path,
                            child.line,
                            format!(
                                "`mode` attributes are not supported: \
                                 `<{} mode=\"{mode}\">` is skipped",
                                child.name
                            ),
                        )
                        .with_hint(
                            "put each variant in its own `<uwsgi id=\"…\">` block and name it \
                             with `file.xml:id`",
                        ),
                    );
                    continue;
                }
                if child.name == "app" {
                    app(child, path, parsed);
                } else {
                    let value = option_value(child, path, parsed);
                    parsed
                        .entries
                        .push(RawEntry::new(child.name.as_str(), value, child.line));
                }
            }
            Node::Text { text, line } => {
                if let Some(skip) = first_non_space(text) {
                    let newlines = text[..skip].matches('\n').count();
                    let line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
                    let shown: String = text[skip..].trim_end().chars().take(40).collect();
                    parsed.diagnostics.push(
                        warning(
                            path,
                            line,
                            format!("text `{shown}` inside `<uwsgi>` is ignored"),
                        )
                        .with_hint("write each option as an element: `<socket>:8000</socket>`"),
                    );
                }
            }
            Node::Other(_) => {}
        }
    }
}

/// The value of an option element, warning where uWSGI would read something else.
fn option_value(element: &Element, path: &FilePath, parsed: &mut Parsed) -> String {
    let value = if element.has_content() {
        element.direct_text()
    } else {
        "1".to_owned()
    };
    let name = &element.name;
    if element.has_child_elements() {
        parsed.diagnostics.push(
            warning(
                path,
                element.line,
                format!("nested elements inside `<{name}>` are ignored"),
            )
            .with_hint(format!(
                "write the value as plain text: `<{name}>value</{name}>`"
            )),
        );
    } else if let Some(first) = element.first_node_content()
        && first != value
    {
        parsed.diagnostics.push(
            warning(
                path,
                element.line,
                format!("uWSGI reads `{first}` from `<{name}>`, not `{value}`"),
            )
            .with_hint(
                "uWSGI reads only the first node inside an option element; \
                 move comments and CDATA sections out of it",
            ),
        );
    }
    value
}

/// `<app mountpoint="/m">module</app>` (or `domain="d"`): a `mount` entry.
fn app(element: &Element, path: &FilePath, parsed: &mut Parsed) {
    let hint = "write `<app mountpoint=\"/\">module:callable</app>`";
    let mountpoint = element.attribute("mountpoint");
    let domain = element.attribute("domain");
    let prefix = match (mountpoint, domain) {
        (Some(mountpoint), domain) => {
            if domain.is_some() {
                parsed.diagnostics.push(warning(
                    path,
                    element.line,
                    "`<app>` has both `mountpoint` and `domain`; `domain` is ignored",
                ));
            }
            format!("{mountpoint}=")
        }
        (None, Some(domain)) => format!("{domain}|="),
        (None, None) => {
            parsed.diagnostics.push(
                warning(
                    path,
                    element.line,
                    "`<app>` without `mountpoint` or `domain` is skipped",
                )
                .with_hint(hint),
            );
            return;
        }
    };
    // The legacy form: `<app mountpoint="/"><script>module</script></app>`.
    let first = element.children.iter().find(|node| match node {
        Node::Text { text, .. } => !is_xml_space(text),
        Node::Other(_) => false,
        Node::Element(_) | Node::CData { .. } => true,
    });
    let module = match first {
        Some(Node::Element(inner)) if inner.has_content() => {
            Some(option_value(inner, path, parsed))
        }
        Some(Node::Element(_)) | None => None,
        Some(_) => Some(option_value(element, path, parsed)),
    };
    match module {
        Some(module) => {
            parsed.entries.push(RawEntry::new(
                "mount",
                format!("{prefix}{module}"),
                element.line,
            ));
        }
        None => parsed.diagnostics.push(
            warning(
                path,
                element.line,
                "`<app>` names no module to mount and is skipped",
            )
            .with_hint(hint),
        ),
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
        Arc::from(Path::new("t.xml"))
    }

    fn entries(text: &str, id: Option<&str>) -> Vec<(String, String, u32)> {
        let parsed = parse(text, &path(), id).unwrap_or_else(|e| panic!("{text:?}: {e}"));
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

    fn warnings(text: &str, id: Option<&str>) -> Vec<String> {
        let parsed = parse(text, &path(), id).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert!(
            parsed
                .diagnostics
                .iter()
                .all(|d| d.severity == Severity::Warning)
        );
        parsed.diagnostics.into_iter().map(|d| d.message).collect()
    }

    fn error_of(text: &str, id: Option<&str>) -> Diagnostic {
        let error = parse(text, &path(), id).expect_err(text);
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
    fn reads_options_in_document_order() {
        let cases: &[(&str, Option<&str>, Want)] = &[
            (
                "<uwsgi>\n  <socket>:8000</socket>\n  <master/>\n  <vacuum></vacuum>\n</uwsgi>",
                None,
                &[
                    ("socket", ":8000", 2),
                    ("master", "1", 3),
                    ("vacuum", "1", 4),
                ],
            ),
            // Text is not trimmed, repeated elements repeat the option.
            (
                "<uwsgi><env> A=1 </env><env>B=2</env></uwsgi>",
                None,
                &[("env", " A=1 ", 1), ("env", "B=2", 1)],
            ),
            // Comments and whitespace between elements are ignored, other attributes too.
            (
                "<?xml version=\"1.0\"?>\n<!-- vassal -->\n<uwsgi a=\"b\">\n<!-- x -->\n\
                 <module note=\"n\">app:app</module>\n</uwsgi>\n<!-- end -->\n",
                None,
                &[("module", "app:app", 5)],
            ),
            // CRLF line ends: lines count right, text is normalized like libxml2 does.
            (
                "<uwsgi>\r\n<socket>:8000</socket>\r\n<env>A=1\r\nB</env>\r\n</uwsgi>\r\n",
                None,
                &[("socket", ":8000", 2), ("env", "A=1\nB", 3)],
            ),
            // A leading BOM is tolerated.
            (
                "\u{feff}<uwsgi><master/></uwsgi>",
                None,
                &[("master", "1", 1)],
            ),
            // A CDATA section directly inside `<uwsgi>` is `eval`, inside an option its text.
            (
                "<uwsgi>\n<![CDATA[print('<hi>')]]>\n<shell><![CDATA[a<b]]></shell></uwsgi>",
                None,
                &[("eval", "print('<hi>')", 2), ("shell", "a<b", 3)],
            ),
        ];
        for (text, id, want) in cases {
            assert_eq!(entries(text, *id), owned(want), "{text:?}");
        }
    }

    #[test]
    fn decodes_predefined_entities_and_character_references() {
        let text = "<uwsgi><route>&lt;a&gt; &amp; &quot;q&quot; &apos;s&apos;</route>\
                    <env>X=&#65;&#x42;&#x1F600;</env>\
                    <app mountpoint=\"/&amp;&#65;\">m</app></uwsgi>";
        assert_eq!(
            entries(text, None),
            vec![
                kv("route", "<a> & \"q\" 's'", 1),
                kv("env", "X=AB\u{1F600}", 1),
                kv("mount", "/&A=m", 1)
            ]
        );
    }

    #[test]
    fn selects_the_uwsgi_block_by_id() {
        let text = "<config>\n\
                    <uwsgi id=\"dev\"><socket>:1</socket></uwsgi>\n\
                    <uwsgi id=\"prod\"><socket>:2</socket></uwsgi>\n\
                    <uwsgi><socket>:3</socket></uwsgi>\n\
                    <uwsgi id=\"prod\"><socket>:4</socket></uwsgi>\n\
                    </config>";
        let cases: &[(Option<&str>, &str)] = &[
            (None, ":1"),
            (Some("dev"), ":1"),
            // The first match wins.
            (Some("prod"), ":2"),
            // A `<uwsgi>` without id matches any id.
            (Some("other"), ":3"),
        ];
        for (id, socket) in cases {
            assert_eq!(entries(text, *id)[0].1, *socket, "{id:?}");
        }
        // A root `<uwsgi>` is used whatever its id, with a warning when it differs.
        let text = "<uwsgi id=\"dev\"><master/></uwsgi>";
        assert_eq!(entries(text, Some("prod")), vec![kv("master", "1", 1)]);
        assert_eq!(warnings(text, Some("prod")).len(), 1);
        assert!(warnings(text, Some("dev")).is_empty());
    }

    #[test]
    fn child_ids_filter_options() {
        let text = "<uwsgi>\n<socket id=\"dev\">:1</socket>\n<socket id=\"prod\">:2</socket>\n\
                    <master/>\n</uwsgi>";
        let cases: &[(Option<&str>, Want)] = &[
            (
                None,
                &[("socket", ":1", 2), ("socket", ":2", 3), ("master", "1", 4)],
            ),
            (Some("prod"), &[("socket", ":2", 3), ("master", "1", 4)]),
        ];
        for (id, want) in cases {
            assert_eq!(entries(text, *id), owned(want), "{id:?}");
        }
    }

    #[test]
    fn missing_uwsgi_block_is_an_error_naming_it() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                "<config><uwsgi id=\"dev\"/></config>",
                Some("prod"),
                "no <uwsgi> element with id `prod`",
            ),
            (
                "<config>\n<other/></config>",
                None,
                "no <uwsgi> element: the root is `<config>`",
            ),
            // Only direct children of the root count.
            ("<a><b><uwsgi/></b></a>", None, "no <uwsgi> element"),
        ];
        for (text, id, message) in cases {
            let error = error_of(text, *id);
            assert!(error.message.starts_with(message), "{text:?}: {error}");
            assert!(error.hint.is_some());
        }
    }

    #[test]
    fn empty_id_is_an_error() {
        let error = error_of("<uwsgi/>", Some(""));
        assert_eq!(error.message, "empty XML id after `:`");
    }

    #[test]
    fn app_elements_become_mounts() {
        let cases: &[(&str, Want, usize)] = &[
            (
                "<uwsgi><app mountpoint=\"/m\">pkg.mod:app</app></uwsgi>",
                &[("mount", "/m=pkg.mod:app", 1)],
                0,
            ),
            (
                "<uwsgi><app domain=\"example.com\">mod</app></uwsgi>",
                &[("mount", "example.com|=mod", 1)],
                0,
            ),
            (
                "<uwsgi>\n<app mountpoint=\"/\">\n  <script>legacy:app</script>\n</app>\n</uwsgi>",
                &[("mount", "/=legacy:app", 2)],
                0,
            ),
            (
                "<uwsgi><app mountpoint=\"/\"><script>mod</script></app></uwsgi>",
                &[("mount", "/=mod", 1)],
                0,
            ),
            (
                "<uwsgi><app mountpoint=\"/a\" domain=\"d\">m</app></uwsgi>",
                &[("mount", "/a=m", 1)],
                1,
            ),
            ("<uwsgi><app/><master/></uwsgi>", &[("master", "1", 1)], 1),
            ("<uwsgi><app>mod</app></uwsgi>", &[], 1),
            ("<uwsgi><app mountpoint=\"/\"></app></uwsgi>", &[], 1),
            (
                "<uwsgi><app mountpoint=\"/\"><script/></app></uwsgi>",
                &[],
                1,
            ),
        ];
        for (text, want, warned) in cases {
            assert_eq!(entries(text, None), owned(want), "{text:?}");
            assert_eq!(warnings(text, None).len(), *warned, "{text:?}");
        }
    }

    #[test]
    fn warns_where_uwsgi_reads_something_else() {
        let cases: &[(&str, (&str, &str), &str)] = &[
            (
                "<uwsgi><env>A=<b>x</b>1</env></uwsgi>",
                ("env", "A=1"),
                "nested elements inside `<env>` are ignored",
            ),
            (
                "<uwsgi><env>A<!-- c -->B</env></uwsgi>",
                ("env", "AB"),
                "uWSGI reads `A` from `<env>`, not `AB`",
            ),
            (
                "<uwsgi><master><!-- on --></master></uwsgi>",
                ("master", "1"),
                "uWSGI reads ` on ` from `<master>`, not `1`",
            ),
            (
                "<uwsgi><socket mode=\"dev\">:1</socket></uwsgi>",
                ("", ""),
                "`mode` attributes are not supported",
            ),
            (
                "<uwsgi>socket = :1<master/></uwsgi>",
                ("master", "1"),
                "text `socket = :1` inside `<uwsgi>` is ignored",
            ),
        ];
        for (text, (key, value), message) in cases {
            let got = entries(text, None);
            if key.is_empty() {
                assert!(got.is_empty(), "{text:?}");
            } else {
                assert_eq!(got, vec![kv(key, value, 1)], "{text:?}");
            }
            let warned = warnings(text, None);
            assert_eq!(warned.len(), 1, "{text:?}: {warned:?}");
            assert!(warned[0].starts_with(message), "{text:?}: {warned:?}");
        }
    }

    #[test]
    fn stray_text_is_warned_about_at_its_own_line() {
        let parsed = parse("<uwsgi>\n\n  stray words\n<master/></uwsgi>", &path(), None).unwrap();
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(line_of(&parsed.diagnostics[0]), 3);
        assert_eq!(
            parsed.diagnostics[0].message,
            "text `stray words` inside `<uwsgi>` is ignored"
        );
    }

    #[test]
    fn refuses_dtds_and_undefined_entities() {
        let billion_laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n\
            <!ENTITY lol \"lol\">\n\
            <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
            <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n\
            ]>\n<uwsgi><env>&lol3;</env></uwsgi>";
        let external = "<!DOCTYPE uwsgi [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n\
                        <uwsgi><env>&x;</env></uwsgi>";
        let cases: &[(&str, u32, &str)] = &[
            (
                billion_laughs,
                2,
                "DTDs and entity declarations are not allowed in vassal files",
            ),
            (
                external,
                1,
                "DTDs and entity declarations are not allowed in vassal files",
            ),
            (
                "<uwsgi>\n<env>&foo;</env></uwsgi>",
                2,
                "undefined entity `&foo;`",
            ),
            (
                "<uwsgi>\n<app mountpoint=\"&x;\">m</app></uwsgi>",
                2,
                "undefined entity `&x;`",
            ),
            (
                "<uwsgi><env>&#0;</env></uwsgi>",
                1,
                "invalid character reference `&#0;`",
            ),
            (
                "<uwsgi><env>&#1;</env></uwsgi>",
                1,
                "invalid character reference `&#1;`",
            ),
            (
                "<uwsgi><env>&#xD800;</env></uwsgi>",
                1,
                "invalid character reference `&#xD800;`",
            ),
            ("<uwsgi><env>a & b</env></uwsgi>", 1, "malformed XML"),
        ];
        for (text, line, message) in cases {
            let error = error_of(text, None);
            assert!(error.message.starts_with(message), "{text:?}: {error}");
            assert_eq!(line_of(&error), *line, "{text:?}: {error}");
        }
    }

    #[test]
    fn malformed_documents_are_errors_with_their_line() {
        let cases: &[(&str, u32)] = &[
            ("", 1),
            ("<!-- nothing -->\n", 2),
            ("<uwsgi>\n<a>\n</b>\n</uwsgi>", 3),
            ("<uwsgi>\n<a>", 2),
            ("<uwsgi/>\n<uwsgi/>", 2),
            ("junk\n<uwsgi/>", 1),
            ("<uwsgi/>\ntrailing", 2),
            ("<uwsgi>\n<a b=\"1\" b=\"2\"/></uwsgi>", 2),
            ("<uwsgi>\n<!-- a -- b --></uwsgi>", 2),
            ("<uwsgi>\n<a>\u{1}</a></uwsgi>", 2),
            ("<uwsgi/>\n<?xml version=\"1.0\"?>", 2),
            ("<uwsgi>\n<!DOCTYPE uwsgi></uwsgi>", 2),
            ("<uwsgi>\n\n<a attr=\"x></uwsgi>", 3),
        ];
        for (text, line) in cases {
            let error = error_of(text, None);
            assert_eq!(line_of(&error), *line, "{text:?}: {error}");
        }
        // A DOCTYPE without an internal subset is harmless: nothing is loaded.
        assert_eq!(
            entries("<!DOCTYPE uwsgi>\n<uwsgi><master/></uwsgi>", None).len(),
            1
        );
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let depth = 10_000;
        let cases = [
            format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth)),
            "<a>".repeat(depth),
            format!("<uwsgi>{}</uwsgi>", "<a>".repeat(depth)),
        ];
        for text in &cases {
            let started = Instant::now();
            let error = error_of(text, None);
            assert!(error.message.contains("nest deeper than 64"), "{error}");
            assert!(started.elapsed() < Duration::from_secs(2));
        }
        // MAX_DEPTH itself is fine.
        let text = format!(
            "<uwsgi><a>{}{}</a></uwsgi>",
            "<b>".repeat(MAX_DEPTH - 2),
            "</b>".repeat(MAX_DEPTH - 2)
        );
        assert_eq!(entries(&text, None).len(), 1);
    }

    #[test]
    fn binary_garbage_is_an_error() {
        let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let text = String::from_utf8_lossy(&garbage);
        error_of(&text, None);
        error_of("<uwsgi>\u{fffd}\u{fffd}<\u{fffd}", None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = parse(&text, &path(), None);
        }

        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&String::from_utf8_lossy(&bytes), &path(), Some("x"));
        }

        #[test]
        fn never_panics_on_xml_like_text(
            text in "(<uwsgi>|</uwsgi>|<uwsgi id=\"x\">|<a>|</a>|<a/>|<app mountpoint=\"/\">|\
                      </app>|&amp;|&#65;|&#x0;|&x;|<!\\[CDATA\\[|\\]\\]>|<!DOCTYPE a \\[|\\]>|\
                      <!--|-->|<\\?xml version=\"1.0\"\\?>|[a-z =\"'<>/&;#\r\n])*"
        ) {
            let _ = parse(&text, &path(), Some("x"));
        }
    }
}
