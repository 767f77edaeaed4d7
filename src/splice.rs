//! One field of a JSON or YAML text changed in place: where each node of
//! the text is (its byte span), and the edit that replaces one node's text,
//! or adds a member or item after the last one, leaving every other byte as
//! it was — spacing, order, comments and the spelling of numbers.
//!
//! The spans come from a scan of JSON text (already accepted by serde_json)
//! and from libyaml's events for YAML (the parser serde_yaml itself runs,
//! so both agree on what the text means). The caller checks the result
//! means what it should; an edit that cannot be made in place is an error
//! here, never a guess.

use std::ops::Range;

/// Which parser reads the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Yaml,
}

/// A node of the text and where it is.
#[derive(Debug)]
pub enum Node {
    Scalar {
        span: Range<usize>,
    },
    /// A YAML alias (`*name`): the node it names is elsewhere.
    Alias {
        span: Range<usize>,
    },
    Map {
        span: Range<usize>,
        flow: bool,
        entries: Vec<(Scalar, Node)>,
    },
    Seq {
        span: Range<usize>,
        flow: bool,
        items: Vec<Node>,
    },
}

/// A mapping key: its text as the parser reads it, and where it is written.
#[derive(Debug)]
pub struct Scalar {
    pub text: String,
    pub span: Range<usize>,
}

impl Node {
    pub fn span(&self) -> Range<usize> {
        match self {
            Node::Scalar { span } | Node::Alias { span } | Node::Map { span, .. } | Node::Seq { span, .. } => {
                span.clone()
            }
        }
    }
}

/// Replace `range` of the text with `text`.
#[derive(Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    pub fn apply(&self, original: &str) -> String {
        let mut out = String::with_capacity(original.len() + self.text.len());
        out.push_str(&original[..self.range.start]);
        out.push_str(&self.text);
        out.push_str(&original[self.range.end..]);
        out
    }
}

/// The tree of `text`, which `syntax`'s parser has already accepted.
pub fn parse(text: &str, syntax: Syntax) -> Result<Node, String> {
    match syntax {
        Syntax::Json => {
            let mut scan = JsonScan { b: text.as_bytes(), i: 0 };
            scan.value()
        }
        Syntax::Yaml => {
            let events = yaml_events(text)?;
            let first = events.iter().position(|e| matches!(e.kind, Ev::DocumentStart)).ok_or("no YAML document")?;
            Events { events: &events, at: first + 1 }.node()
        }
    }
}

/// The edit that sets the field at `tokens` (JSON Pointer reference tokens;
/// `-` appends to a list) to `new`, text already in `syntax` (a single line
/// for YAML; a JSON one may span lines, and is indented as the field is).
pub fn set(text: &str, root: &Node, syntax: Syntax, tokens: &[String], new: &str) -> Result<Edit, String> {
    let Some((last, path)) = tokens.split_last() else {
        return Ok(Edit { range: 0..text.len(), text: new.to_string() });
    };
    let mut at = root;
    for token in path {
        at = child(at, token)?;
    }
    match at {
        Node::Map { entries, .. } => match entries.iter().rev().find(|(k, _)| k.text == *last) {
            Some((key, value)) => replace(text, value, Some(key), new),
            None => add_entry(text, at, syntax, last, new),
        },
        Node::Seq { items, .. } if last == "-" => add_item(text, at, items, new),
        Node::Seq { .. } => replace(text, child(at, last)?, None, new),
        Node::Alias { .. } => Err("the field is inside a YAML alias".into()),
        Node::Scalar { .. } => Err("its parent is not a mapping or a list".into()),
    }
}

/// The node at `tokens`, if there is one.
pub fn find<'a>(root: &'a Node, tokens: &[String]) -> Option<&'a Node> {
    tokens.iter().try_fold(root, |at, token| child(at, token).ok())
}

fn child<'a>(node: &'a Node, token: &str) -> Result<&'a Node, String> {
    let found = match node {
        Node::Map { entries, .. } => entries.iter().rev().find(|(k, _)| k.text == token).map(|(_, v)| v),
        Node::Seq { items, .. } => token.parse::<usize>().ok().and_then(|i| items.get(i)),
        Node::Alias { .. } => return Err("the field is inside a YAML alias".into()),
        Node::Scalar { .. } => None,
    };
    found.ok_or_else(|| format!("no {token:?} in the text"))
}

/// The new text in place of `node`'s.
fn replace(text: &str, node: &Node, key: Option<&Scalar>, new: &str) -> Result<Edit, String> {
    let span = node.span();
    if span.is_empty() {
        // YAML's implicit null (`key:` and nothing): libyaml marks it where
        // the next token starts, so write it right after the key's colon.
        let key = key.ok_or("the list item is empty")?;
        let colon = text[key.span.end..].find(':').ok_or("no colon after the key")? + key.span.end + 1;
        return Ok(Edit { range: colon..colon, text: format!(" {new}") });
    }
    let block = matches!(node, Node::Map { flow: false, .. } | Node::Seq { flow: false, .. });
    if let (true, Some(key)) = (block, key) {
        // A block mapping or list below its key (`a:` then `- x` on the next
        // lines, maybe no deeper than the key): the new value goes after the
        // colon, and a comment ending the key's line stays on it.
        let colon = text[key.span.end..].find(':').ok_or("no colon after the key")? + key.span.end + 1;
        let line_end = text[colon..].find('\n').map_or(text.len(), |i| colon + i);
        if line_end < span.start {
            let comment = &text[colon..line_end];
            return Ok(Edit { range: colon..span.end, text: format!(" {new}{comment}") });
        }
    }
    Ok(Edit { range: span.clone(), text: indented(new, line_indent(text, span.start)) })
}

/// A member after the last one of a mapping, written as that one is.
fn add_entry(text: &str, map: &Node, syntax: Syntax, key: &str, new: &str) -> Result<Edit, String> {
    let Node::Map { span, flow, entries } = map else { unreachable!("called with a mapping") };
    let key_text = match syntax {
        Syntax::Json => serde_json::to_string(key).expect("a string serialises"),
        Syntax::Yaml => yaml_scalar(key),
    };
    let Some((last_key, last_value)) = entries.last() else {
        // Only a flow mapping can be empty: `{}`.
        let sep = if syntax == Syntax::Json { ":" } else { ": " };
        return Ok(Edit { range: span.start + 1..span.start + 1, text: format!("{key_text}{sep}{new}") });
    };
    let end = last_value.span().end;
    if *flow {
        let before = match entries.len() {
            1 => span.start + 1,
            n => entries[n - 2].1.span().end,
        };
        let gap = between_items(&text[before..last_key.span.start]);
        let colon = &text[last_key.span.end..last_value.span().start];
        let new = indented(new, line_indent(text, last_key.span.start));
        return Ok(Edit { range: end..end, text: format!("{gap}{key_text}{colon}{new}") });
    }
    let indent = " ".repeat(column(text, last_key.span.start));
    Ok(after_line(text, end, &format!("{indent}{key_text}: {new}")))
}

/// An item after the last one of a list, written as that one is.
fn add_item(text: &str, seq: &Node, items: &[Node], new: &str) -> Result<Edit, String> {
    let Node::Seq { span, flow, .. } = seq else { unreachable!("called with a list") };
    let Some(last) = items.last() else {
        // Only a flow list can be empty: `[]`.
        return Ok(Edit { range: span.start + 1..span.start + 1, text: new.to_string() });
    };
    let last_span = last.span();
    if *flow {
        let before = match items.len() {
            1 => span.start + 1,
            n => items[n - 2].span().end,
        };
        let gap = between_items(&text[before..last_span.start]);
        let new = indented(new, line_indent(text, last_span.start));
        return Ok(Edit { range: last_span.end..last_span.end, text: format!("{gap}{new}") });
    }
    // A block list: the `-` of the last item, and its column.
    let dash = text[..last_span.start].trim_end_matches([' ', '\t']);
    if !dash.ends_with('-') {
        return Err("the last list item is not where it was expected".into());
    }
    let indent = " ".repeat(column(text, dash.len() - 1));
    Ok(after_line(text, last_span.end, &format!("{indent}- {new}")))
}

/// What separates an item from the one before it: the comma with the
/// spacing around it (only the spacing after `[` or `{` for the first).
fn between_items(gap: &str) -> String {
    match gap.rsplit_once(',') {
        Some((before, after)) => format!("{before},{after}"),
        None => format!(",{gap}"),
    }
}

/// A new line holding `line`, after the line on which `end` is (so a
/// comment ending that line stays on it).
fn after_line(text: &str, end: usize, line: &str) -> Edit {
    if end > 0 && text.as_bytes()[end - 1] == b'\n' {
        return Edit { range: end..end, text: format!("{line}\n") };
    }
    match text[end..].find('\n') {
        Some(i) => Edit { range: end + i + 1..end + i + 1, text: format!("{line}\n") },
        None => Edit { range: text.len()..text.len(), text: format!("\n{line}") },
    }
}

/// The column of byte `at` on its line.
fn column(text: &str, at: usize) -> usize {
    at - text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The spaces and tabs that start the line `at` is on.
fn line_indent(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..at];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Lines after the first indented as the line the field starts on (JSON
/// strings hold no raw newline, so only the layout changes).
fn indented(new: &str, indent: &str) -> String {
    if indent.is_empty() || !new.contains('\n') {
        return new.to_string();
    }
    new.replace('\n', &format!("\n{indent}"))
}

/// `text` as a YAML scalar on one line: plain when serde_yaml writes it
/// plain and no YAML 1.1 reader (PyYAML) would take it for a boolean, a
/// null or a number either; else double-quoted, as JSON writes it.
pub fn yaml_scalar(text: &str) -> String {
    let written = serde_yaml::to_string(text).unwrap_or_default();
    let written = written.strip_suffix('\n').unwrap_or(&written);
    let yaml_1_1 = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"];
    let plain = written == text
        && !text.is_empty()
        && !yaml_1_1.contains(&text.to_ascii_lowercase().as_str())
        && !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    match plain {
        true => text.to_string(),
        false => serde_json::to_string(text).expect("a string serialises"),
    }
}

/// A walk over JSON text that serde_json has accepted, noting spans.
struct JsonScan<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonScan<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Result<u8, String> {
        self.b.get(self.i).copied().ok_or_else(|| "the JSON text ends early".to_string())
    }

    fn value(&mut self) -> Result<Node, String> {
        self.ws();
        let start = self.i;
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                loop {
                    self.ws();
                    match self.peek()? {
                        b'}' => break,
                        b',' => self.i += 1,
                        _ => {
                            let key = self.string()?;
                            self.ws();
                            self.i += 1; // the colon
                            entries.push((key, self.value()?));
                        }
                    }
                }
                self.i += 1;
                Ok(Node::Map { span: start..self.i, flow: true, entries })
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    match self.peek()? {
                        b']' => break,
                        b',' => self.i += 1,
                        _ => items.push(self.value()?),
                    }
                }
                self.i += 1;
                Ok(Node::Seq { span: start..self.i, flow: true, items })
            }
            b'"' => Ok(Node::Scalar { span: self.string()?.span }),
            _ => {
                while self.i < self.b.len()
                    && !matches!(self.b[self.i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                {
                    self.i += 1;
                }
                Ok(Node::Scalar { span: start..self.i })
            }
        }
    }

    fn string(&mut self) -> Result<Scalar, String> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => break,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        let raw = std::str::from_utf8(&self.b[start..self.i]).map_err(|e| e.to_string())?;
        let text = serde_json::from_str(raw).map_err(|e| e.to_string())?;
        Ok(Scalar { text, span: start..self.i })
    }
}

/// A libyaml event, copied out of the parser.
struct Event {
    kind: Ev,
    span: Range<usize>,
}

enum Ev {
    DocumentStart,
    Scalar(String),
    Alias,
    SeqStart { flow: bool },
    MapStart { flow: bool },
    End,
    Other,
}

/// libyaml's events, read one node at a time.
struct Events<'a> {
    events: &'a [Event],
    at: usize,
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Result<&'a Event, String> {
        let event = self.events.get(self.at).ok_or("the YAML text ends early")?;
        self.at += 1;
        Ok(event)
    }

    /// The end event of the collection being read, if it is next.
    fn end(&mut self) -> Option<&'a Event> {
        let event = self.events.get(self.at).filter(|e| matches!(e.kind, Ev::End))?;
        self.at += 1;
        Some(event)
    }

    /// The node whose first event is next; a block collection ends where
    /// its last child does (libyaml's end mark is where the next token starts).
    fn node(&mut self) -> Result<Node, String> {
        let event = self.next()?;
        let start = event.span.start;
        let ends = |flow: bool, end: &Event, last: Option<usize>| match flow {
            true => start..end.span.end,
            false => start..last.unwrap_or(end.span.start),
        };
        match &event.kind {
            Ev::Scalar(_) => Ok(Node::Scalar { span: event.span.clone() }),
            Ev::Alias => Ok(Node::Alias { span: event.span.clone() }),
            Ev::SeqStart { flow } => {
                let mut items = Vec::new();
                loop {
                    if let Some(end) = self.end() {
                        let span = ends(*flow, end, items.last().map(|n: &Node| n.span().end));
                        return Ok(Node::Seq { span, flow: *flow, items });
                    }
                    items.push(self.node()?);
                }
            }
            Ev::MapStart { flow } => {
                let mut entries: Vec<(Scalar, Node)> = Vec::new();
                loop {
                    if let Some(end) = self.end() {
                        let span = ends(*flow, end, entries.last().map(|(_, v)| v.span().end));
                        return Ok(Node::Map { span, flow: *flow, entries });
                    }
                    let key = self.next()?;
                    let Ev::Scalar(text) = &key.kind else {
                        return Err("a mapping key is not a plain value".into());
                    };
                    let key = Scalar { text: text.clone(), span: key.span.clone() };
                    entries.push((key, self.node()?));
                }
            }
            Ev::DocumentStart | Ev::End | Ev::Other => Err("unexpected YAML event".into()),
        }
    }
}

/// Every event libyaml reports for `text`, with byte spans.
fn yaml_events(text: &str) -> Result<Vec<Event>, String> {
    use std::mem::MaybeUninit;
    use unsafe_libyaml as unsafe_yaml;

    // SAFETY: as serde_yaml drives libyaml: the parser lives in one heap
    // allocation that never moves, reads `text` (which outlives it), and is
    // deleted once; each event is copied out, then deleted.
    unsafe {
        let mut parser: Box<MaybeUninit<unsafe_yaml::yaml_parser_t>> = Box::new(MaybeUninit::uninit());
        let p = parser.as_mut_ptr();
        if unsafe_yaml::yaml_parser_initialize(p).fail {
            return Err("cannot start the YAML parser".into());
        }
        unsafe_yaml::yaml_parser_set_encoding(p, unsafe_yaml::YAML_UTF8_ENCODING);
        unsafe_yaml::yaml_parser_set_input_string(p, text.as_ptr(), text.len() as u64);
        let mut out = Vec::new();
        let result = loop {
            let mut event = MaybeUninit::<unsafe_yaml::yaml_event_t>::uninit();
            let e = event.as_mut_ptr();
            if unsafe_yaml::yaml_parser_parse(p, e).fail {
                break Err("the YAML text does not parse".to_string());
            }
            let span = (*e).start_mark.index as usize..(*e).end_mark.index as usize;
            if !(text.is_char_boundary(span.start) && text.is_char_boundary(span.end)) {
                unsafe_yaml::yaml_event_delete(e);
                break Err("the YAML parser's positions do not fall on the text's characters".to_string());
            }
            let kind = match (*e).type_ {
                unsafe_yaml::YAML_DOCUMENT_START_EVENT => Ev::DocumentStart,
                unsafe_yaml::YAML_SCALAR_EVENT => {
                    let s = (*e).data.scalar;
                    let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                    Ev::Scalar(String::from_utf8_lossy(bytes).into_owned())
                }
                unsafe_yaml::YAML_ALIAS_EVENT => Ev::Alias,
                unsafe_yaml::YAML_SEQUENCE_START_EVENT => {
                    Ev::SeqStart { flow: (*e).data.sequence_start.style == unsafe_yaml::YAML_FLOW_SEQUENCE_STYLE }
                }
                unsafe_yaml::YAML_MAPPING_START_EVENT => {
                    Ev::MapStart { flow: (*e).data.mapping_start.style == unsafe_yaml::YAML_FLOW_MAPPING_STYLE }
                }
                unsafe_yaml::YAML_SEQUENCE_END_EVENT | unsafe_yaml::YAML_MAPPING_END_EVENT => Ev::End,
                _ => Ev::Other,
            };
            let stream_end = (*e).type_ == unsafe_yaml::YAML_STREAM_END_EVENT;
            unsafe_yaml::yaml_event_delete(e);
            out.push(Event { kind, span });
            if stream_end {
                break Ok(out);
            }
        };
        unsafe_yaml::yaml_parser_delete(p);
        result
    }
}
