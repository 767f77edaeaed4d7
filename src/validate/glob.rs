//! Key patterns: `/`-separated like keys; `*` matches within one segment
//! (`*`, `*.json`, `pool-*`), `**` as a whole segment matches any number of
//! segments. A trailing `/**` means everything below (`/flocker/**` does not
//! match `/flocker` itself, as in .gitignore).

use std::fmt;

use crate::store::Key;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `**`
    AnyDepth,
    /// A segment, with `*` for any run of characters within it.
    Glob(String),
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!("pattern {text:?} must start with /, as keys do"));
        };
        let mut segments = Vec::new();
        for part in rest.split('/') {
            if part.is_empty() || part == "." || part == ".." {
                return Err(format!("pattern {text:?} has an empty, . or .. segment"));
            }
            if part == "**" {
                segments.push(Segment::AnyDepth);
            } else if part.contains("**") {
                return Err(format!("pattern {text:?}: ** must be a whole segment (/a/**/b)"));
            } else {
                segments.push(Segment::Glob(part.to_string()));
            }
        }
        Ok(Pattern { text: text.to_string(), segments })
    }

    /// An exact key, as a pattern that matches only it.
    pub fn exact(key: &Key) -> Pattern {
        Pattern::parse(key.as_str()).expect("a key is a valid pattern")
    }

    pub fn matches(&self, key: &Key) -> bool {
        let parts: Vec<&str> = key.as_str().split('/').skip(1).filter(|p| !p.is_empty()).collect();
        if let Some(Segment::AnyDepth) = self.segments.last() {
            // Everything below: at least one segment for the trailing `**`.
            let head = &self.segments[..self.segments.len() - 1];
            return (1..=parts.len()).any(|n| segments_match(head, &parts[..parts.len() - n]));
        }
        segments_match(&self.segments, &parts)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn segments_match(pattern: &[Segment], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((Segment::AnyDepth, rest)) => (0..=parts.len()).any(|skip| segments_match(rest, &parts[skip..])),
        Some((Segment::Glob(glob), rest)) => {
            parts.split_first().is_some_and(|(part, tail)| wildcard(glob, part) && segments_match(rest, tail))
        }
    }
}

/// `*` in `glob` matches any run of characters (never a `/`: one segment).
fn wildcard(glob: &str, text: &str) -> bool {
    let mut pieces = glob.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else { return rest.is_empty() };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, key: &str) -> bool {
        Pattern::parse(pattern).unwrap().matches(&Key::parse(key).unwrap())
    }

    #[test]
    fn a_star_matches_within_one_segment() {
        assert!(matches("/ovs/vpools/*/config", "/ovs/vpools/pool1/config"));
        assert!(!matches("/ovs/vpools/*/config", "/ovs/vpools/a/b/config"));
        assert!(!matches("/ovs/vpools/*/config", "/ovs/vpools/config"));
        assert!(matches("/app/*.json", "/app/x.json"));
        assert!(matches("/app/*.json", "/app/.json"));
        assert!(!matches("/app/*.json", "/app/x.json/y"));
        assert!(!matches("/app/*.json", "/app/x.yaml"));
        assert!(matches("/a/x*y*z", "/a/xyz"));
        assert!(matches("/a/x*y*z", "/a/x-y-y-z"));
        assert!(!matches("/a/x*yz", "/a/xyz-"));
        assert!(!matches("/a/*a*a", "/a/a"));
    }

    #[test]
    fn a_double_star_matches_any_depth_on_segment_boundaries() {
        assert!(matches("/flocker/**", "/flocker/a"));
        assert!(matches("/flocker/**", "/flocker/a/b/c"));
        assert!(!matches("/flocker/**", "/flocker"));
        assert!(!matches("/flocker/**", "/flockers/a"));
        assert!(matches("/a/**/b", "/a/b"));
        assert!(matches("/a/**/b", "/a/x/y/b"));
        assert!(!matches("/a/**/b", "/a/x/bb"));
        assert!(matches("/**/config", "/config"));
        assert!(matches("/**/config", "/x/y/config"));
        assert!(matches("/**", "/anything/at/all"));
    }

    #[test]
    fn exact_patterns_respect_segment_boundaries() {
        assert!(matches("/a/b", "/a/b"));
        assert!(!matches("/a/b", "/a/bc"));
        assert!(!matches("/a/b", "/a/b/c"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in ["flocker/**", "/a//b", "/a/../b", "/a/x**", "/a/"] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }
}
