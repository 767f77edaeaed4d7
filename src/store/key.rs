//! `Key`: an absolute, normalised, `/`-separated key. Every key crosses this
//! parser before any I/O, so backends never see `..`, empty segments or
//! control characters.

use std::fmt;

/// A validated key. The root `/` is a valid *prefix* but not a key that can
/// hold a value; commands that write check [`Key::is_root`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid key {text:?}: {reason}")]
pub struct KeyError {
    pub text: String,
    pub reason: &'static str,
}

impl Key {
    /// Normalise `text`: a leading `/` is added and one trailing `/` dropped.
    /// Empty, `.` and `..` segments and control characters are rejected.
    pub fn parse(text: &str) -> Result<Key, KeyError> {
        if let Err(reason) = check(text) {
            return Err(KeyError { text: text.to_string(), reason });
        }
        if text == "/" {
            return Ok(Key::root());
        }
        let body = text.strip_prefix('/').unwrap_or(text);
        let body = body.strip_suffix('/').unwrap_or(body);
        if body.len() + 1 == text.len() && text.starts_with('/') {
            return Ok(Key(text.to_string()));
        }
        Ok(Key(format!("/{body}")))
    }

    /// The key `text` is, if ovs can address it exactly as written (another
    /// tool may have stored `/a//b` or `/a/`, which would parse as another key).
    pub fn exact(text: &str) -> Option<Key> {
        Key::is_exact(text).then(|| Key(text.to_string()))
    }

    /// Whether `text` is a key ovs addresses exactly as written: what
    /// [`Key::exact`] checks, without building the key (a listing checks
    /// every key it prints).
    pub fn is_exact(text: &str) -> bool {
        check(text).is_ok() && text.starts_with('/') && (text == "/" || !text.ends_with('/'))
    }

    pub fn root() -> Key {
        Key("/".to_string())
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The string every key strictly below this one starts with.
    pub fn dir_prefix(&self) -> String {
        if self.is_root() {
            "/".to_string()
        } else {
            format!("{}/", self.0)
        }
    }

    /// True when `other` is this key or lies below it, on segment boundaries:
    /// `/foo` contains `/foo/bar` but not `/foobar`.
    pub fn contains(&self, other: &str) -> bool {
        other == self.0 || other.starts_with(&self.dir_prefix())
    }

    /// The path of `key` relative to this prefix (no leading `/`), if it is
    /// strictly below it.
    pub fn relative<'k>(&self, key: &'k str) -> Option<&'k str> {
        key.strip_prefix(&self.dir_prefix()).filter(|rest| !rest.is_empty())
    }

    /// The path of `key` within the subtree of this prefix: `""` for the
    /// prefix itself (never for the root, which is no key), `b/c` for a key
    /// below it; None for a key outside.
    pub fn within<'k>(&self, key: &'k str) -> Option<&'k str> {
        match key == self.0 && !self.is_root() {
            true => Some(""),
            false => self.relative(key),
        }
    }

    /// The key at `rel` within this prefix's subtree, as [`Key::within`]
    /// names it (`""`: the prefix itself), unchecked.
    pub fn join(&self, rel: &str) -> String {
        match rel {
            "" => self.0.clone(),
            rel => format!("{}{rel}", self.dir_prefix()),
        }
    }

    /// The last segment (empty for the root).
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

/// Characters that change how text around them is shown without showing
/// themselves: bidirectional controls and zero-width characters.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Key {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Key::parse(s)
    }
}

/// Why `text` cannot be a key (whatever its leading and trailing `/`), if
/// it cannot: one pass over its characters, as every key of a large
/// document or listing goes through here.
fn check(text: &str) -> Result<(), &'static str> {
    if text.is_empty() {
        return Err("a key cannot be empty");
    }
    if !text.is_ascii() || text.bytes().any(|b| b.is_ascii_control()) {
        for c in text.chars() {
            if c.is_control() {
                return Err("control characters are not allowed");
            }
            if is_invisible(c) {
                // Two keys that print alike must not be two keys.
                return Err("bidirectional controls and zero-width characters are not allowed");
            }
            if ('\u{E000}'..='\u{F8FF}').contains(&c) || c >= '\u{FFF0}' {
                // ZooKeeper refuses these in znode paths; a key must work on every store.
                return Err("private-use, special and non-BMP characters (e.g. emoji) are not allowed");
            }
        }
    }
    if text == "/" {
        return Ok(());
    }
    let body = text.strip_prefix('/').unwrap_or(text);
    let body = body.strip_suffix('/').unwrap_or(body);
    for segment in body.split('/') {
        match segment {
            "" => return Err("empty segment (\"//\")"),
            "." | ".." => return Err("\".\" and \"..\" segments are not allowed"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The check a listing makes of every key agrees with parsing it.
        #[test]
        fn is_exact_agrees_with_parse(text in "[/a.\\x00\u{200b}é]{0,8}") {
            let parsed = Key::parse(&text).is_ok_and(|k| k.as_str() == text);
            proptest::prop_assert_eq!(Key::is_exact(&text), parsed, "{:?}", text);
        }
    }

    #[test]
    fn normalises_leading_and_trailing_slash() {
        assert_eq!(Key::parse("a/b/").unwrap().as_str(), "/a/b");
        assert_eq!(Key::parse("/").unwrap(), Key::root());
        assert_eq!(Key::parse("/ünï/çødé/ключ/✓").unwrap().as_str(), "/ünï/çødé/ключ/✓");
    }

    #[test]
    fn rejects_bad_segments() {
        for bad in ["", "//", "/a//b", "/a/./b", "/a/..", "/a\nb", "/a\0", "/a/b//", "/🔑", "/a\u{E000}", "/\u{FFFF}"]
        {
            assert!(Key::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_look_alike_keys() {
        for bad in ["/a\u{202E}b", "/a\u{2066}", "/\u{2069}", "/a\u{200B}", "/a\u{200D}b", "/\u{FEFF}a", "/a\u{200F}"] {
            let e = Key::parse(bad).unwrap_err();
            assert!(e.reason.contains("zero-width"), "{bad:?}: {e}");
        }
        assert!(Key::parse("/a\u{2070}").is_ok(), "superscript zero is visible");
    }

    #[test]
    fn contains_respects_segment_boundaries() {
        let foo = Key::parse("/foo").unwrap();
        assert!(foo.contains("/foo"));
        assert!(foo.contains("/foo/bar"));
        assert!(!foo.contains("/foobar"));
        assert!(Key::root().contains("/anything"));
        assert_eq!(foo.relative("/foo/bar/baz"), Some("bar/baz"));
        assert_eq!(foo.relative("/foobar"), None);
        assert_eq!(foo.within("/foo"), Some(""));
        assert_eq!(foo.within("/foo/bar"), Some("bar"));
        assert_eq!(foo.within("/foo.x"), None);
        assert_eq!(Key::root().within("/"), None);
        assert_eq!(
            (foo.join(""), foo.join("a/b"), Key::root().join("a")),
            ("/foo".into(), "/foo/a/b".into(), "/a".into())
        );
    }
}
