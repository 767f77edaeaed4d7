//! YAML read with two guards serde_yaml lacks, for every reader of YAML
//! that comes from users (documents, values the validators parse,
//! `--field`):
//!
//! - nesting: libyaml's scanner does work in proportion to the depth of
//!   flow collections (`[[[...`) for every token, so a value nested 100,000
//!   deep took seconds to minutes before serde_yaml's own limit of 128
//!   levels refused it. Text with more opening brackets than that limit is
//!   first walked event by event, stopping at the first level past it.
//! - `!!binary`: serde_yaml hands the base64 text on as if it were the
//!   value. Where that would store the wrong bytes (a document), it is
//!   refused, naming where it is.

use std::mem::MaybeUninit;

use serde::de::DeserializeOwned;

/// Deeper than this is refused: serde_yaml's (and serde_json's) own limit,
/// so nothing that could be read before is refused now.
pub const MAX_DEPTH: usize = 128;

/// What to do with a `!!binary` scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// Read as text, as serde_yaml does (enough to check a value's shape).
    AsText,
    /// Refuse it.
    Refuse,
}

const BINARY_TAG: &[u8] = b"tag:yaml.org,2002:binary";

/// `serde_yaml::from_str`, guarded.
pub fn from_str<T: DeserializeOwned>(text: &str, binary: Binary) -> Result<T, serde_yaml::Error> {
    from_slice(text.as_bytes(), binary)
}

/// `serde_yaml::from_slice`, guarded.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8], binary: Binary) -> Result<T, serde_yaml::Error> {
    guard(bytes, binary).map_err(<serde_yaml::Error as serde::de::Error>::custom)?;
    serde_yaml::from_slice(bytes)
}

/// The guards, in time linear in the input: Err names the first problem
/// and where it is. Text that does not parse passes (serde_yaml says why).
fn guard(bytes: &[u8], binary: Binary) -> Result<(), String> {
    let openers = bytes.iter().filter(|b| matches!(b, b'[' | b'{')).count();
    let tagged = binary == Binary::Refuse && bytes.windows(6).any(|w| w == b"binary");
    if openers <= MAX_DEPTH && !tagged {
        return Ok(());
    }
    let mut parser = Parser::new(bytes);
    let mut depth = 0usize;
    while let Some(event) = parser.next() {
        let at = || format!("line {} column {}", event.start_mark.line + 1, event.start_mark.column + 1);
        match event.type_ {
            unsafe_libyaml::YAML_SEQUENCE_START_EVENT | unsafe_libyaml::YAML_MAPPING_START_EVENT => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("nested more than {MAX_DEPTH} levels deep at {}", at()));
                }
            }
            unsafe_libyaml::YAML_SEQUENCE_END_EVENT | unsafe_libyaml::YAML_MAPPING_END_EVENT => {
                depth = depth.saturating_sub(1)
            }
            unsafe_libyaml::YAML_SCALAR_EVENT if binary == Binary::Refuse => {
                // SAFETY: a scalar event's tag is null or a NUL-terminated
                // string libyaml owns until the event is deleted.
                let tag = unsafe { event.data.scalar.tag };
                if !tag.is_null() && unsafe { std::ffi::CStr::from_ptr(tag.cast()) }.to_bytes() == BINARY_TAG {
                    return Err(format!("!!binary at {} is not read: write the value as {{base64: ...}}", at()));
                }
            }
            unsafe_libyaml::YAML_STREAM_END_EVENT => break,
            _ => {}
        }
    }
    Ok(())
}

/// libyaml's event parser over borrowed bytes. Events are handed out one
/// at a time and deleted when the next is asked for.
struct Parser<'a> {
    // Boxed: libyaml keeps pointers into the parser, so it must not move.
    sys: Box<MaybeUninit<unsafe_libyaml::yaml_parser_t>>,
    event: MaybeUninit<unsafe_libyaml::yaml_event_t>,
    has_event: bool,
    /// Initialised, so it must be deleted.
    initialised: bool,
    /// At an error, or never initialised: no more events.
    failed: bool,
    _input: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a [u8]) -> Parser<'a> {
        let mut sys = Box::new(MaybeUninit::<unsafe_libyaml::yaml_parser_t>::uninit());
        // SAFETY: initialize fills the parser in; the input outlives it ('a).
        let failed = unsafe {
            let parser = sys.as_mut_ptr();
            let failed = unsafe_libyaml::yaml_parser_initialize(parser).fail;
            if !failed {
                unsafe_libyaml::yaml_parser_set_encoding(parser, unsafe_libyaml::YAML_UTF8_ENCODING);
                unsafe_libyaml::yaml_parser_set_input_string(parser, input.as_ptr(), input.len() as u64);
            }
            failed
        };
        Parser {
            sys,
            event: MaybeUninit::uninit(),
            has_event: false,
            initialised: !failed,
            failed,
            _input: std::marker::PhantomData,
        }
    }

    /// The next event, or None at an error or when initialisation failed.
    fn next(&mut self) -> Option<&unsafe_libyaml::yaml_event_t> {
        if self.failed {
            return None;
        }
        self.drop_event();
        // SAFETY: the parser was initialised; the event is written by parse.
        if unsafe { unsafe_libyaml::yaml_parser_parse(self.sys.as_mut_ptr(), self.event.as_mut_ptr()) }.fail {
            self.failed = true;
            return None;
        }
        self.has_event = true;
        // SAFETY: parse succeeded, so the event is initialised.
        Some(unsafe { self.event.assume_init_ref() })
    }

    fn drop_event(&mut self) {
        if self.has_event {
            // SAFETY: the event was filled in by a successful parse.
            unsafe { unsafe_libyaml::yaml_event_delete(self.event.as_mut_ptr()) };
            self.has_event = false;
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        self.drop_event();
        if self.initialised {
            // SAFETY: the parser is deleted once, after its last event.
            unsafe { unsafe_libyaml::yaml_parser_delete(self.sys.as_mut_ptr()) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_at_the_limit_not_parsed_whole() {
        let deep = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = from_str::<serde_yaml::Value>(&deep, Binary::AsText).unwrap_err().to_string();
        assert!(e.contains("nested more than 128 levels deep at line 1 column"), "{e}");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(guard(ok.as_bytes(), Binary::AsText).is_ok());
        // Brackets inside quotes are text, not nesting.
        let quoted = format!("a: '{}'\n", "[".repeat(1000));
        assert!(from_str::<serde_yaml::Value>(&quoted, Binary::AsText).is_ok());
    }

    #[test]
    fn binary_is_refused_where_asked() {
        let text = "a: !!binary aGVsbG8=\n";
        let e = from_str::<serde_yaml::Value>(text, Binary::Refuse).unwrap_err().to_string();
        assert!(e.contains("!!binary at line 1 column 4"), "{e}");
        assert!(from_str::<serde_yaml::Value>(text, Binary::AsText).is_ok());
        assert!(from_str::<serde_yaml::Value>("a: binary\n", Binary::Refuse).is_ok());
    }
}
