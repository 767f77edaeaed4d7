//! Validators declared in the config file's `validators:` list: each a key
//! pattern and a kind, built once when the registry is, so a bad
//! declaration is a usage error before any store is touched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::command::{CommandLine, CommandValidator};
use super::glob::Pattern;
use super::{celery, Fault, Rule, Validator};
use crate::store::Key;

/// One entry of `validators:`, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub pattern: String,
    pub kind: Kind,
    /// json-schema: a path to a JSON or YAML schema file, or the schema inline.
    #[serde(default)]
    pub schema: Option<serde_yaml::Value>,
    /// regex: what the whole value must match.
    #[serde(default)]
    pub regex: Option<String>,
    /// command: `[program, args...]`, or a string for `sh -c`.
    #[serde(default)]
    pub command: Option<CommandLine>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Json,
    Yaml,
    JsonSchema,
    Regex,
    Celery,
    Command,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Json => "json",
            Kind::Yaml => "yaml",
            Kind::JsonSchema => "json-schema",
            Kind::Regex => "regex",
            Kind::Celery => "celery",
            Kind::Command => "command",
        }
    }
}

/// The rule `spec` declares; `file` is the config file (relative paths are
/// taken from its folder), `timeout` bounds a command.
pub fn build(spec: &Spec, file: &Path, timeout: Duration) -> Result<Rule, String> {
    let pattern = Pattern::parse(&spec.pattern)?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let unused = |field: &str, given: bool| match given {
        true => Err(format!("`{field}` does not go with kind {}", spec.kind.as_str())),
        false => Ok(()),
    };
    if spec.kind != Kind::JsonSchema {
        unused("schema", spec.schema.is_some())?;
    }
    if spec.kind != Kind::Regex {
        unused("regex", spec.regex.is_some())?;
    }
    if spec.kind != Kind::Command {
        unused("command", spec.command.is_some())?;
    }
    let validator: Box<dyn Validator> = match spec.kind {
        Kind::Json => Box::new(Json),
        Kind::Yaml => Box::new(Yaml),
        Kind::Celery => Box::new(celery::CelerySchedule),
        Kind::JsonSchema => {
            let schema = spec.schema.as_ref().ok_or("kind json-schema needs `schema`: a file or a mapping")?;
            Box::new(JsonSchema::new(schema, dir)?)
        }
        Kind::Regex => {
            let text = spec.regex.as_ref().ok_or("kind regex needs `regex`")?;
            let whole = regex::Regex::new(&format!(r"\A(?:{text})\z")).map_err(|e| format!("bad regex: {e}"))?;
            Box::new(Regex { text: text.clone(), whole })
        }
        Kind::Command => {
            let line = spec.command.as_ref().ok_or("kind command needs `command`: [program, args...] or a string")?;
            Box::new(CommandValidator::new(line, dir, timeout)?)
        }
    };
    Ok(Rule { pattern, kind: spec.kind, source: Some(file.to_path_buf()), validator })
}

/// Any JSON value.
struct Json;

impl Validator for Json {
    fn name(&self) -> &str {
        "json"
    }

    fn check(&self, _: &Key, value: &[u8]) -> Result<(), Fault> {
        serde_json::from_slice::<serde::de::IgnoredAny>(value)
            .map(|_| ())
            .map_err(|e| Fault::Refused(format!("not valid JSON: {e}")))
    }

    fn suffix(&self) -> Option<&'static str> {
        Some(".json")
    }
}

/// Any YAML document (JSON included).
struct Yaml;

impl Validator for Yaml {
    fn name(&self) -> &str {
        "yaml"
    }

    fn check(&self, _: &Key, value: &[u8]) -> Result<(), Fault> {
        crate::yaml::from_slice::<serde_yaml::Value>(value, crate::yaml::Binary::AsText)
            .map(|_| ())
            .map_err(|e| Fault::Refused(format!("not valid YAML: {e}")))
    }

    fn suffix(&self) -> Option<&'static str> {
        Some(".yaml")
    }
}

/// A JSON or YAML value checked against a JSON Schema (draft 2020-12).
struct JsonSchema {
    name: String,
    schema: jsonschema::Validator,
}

impl JsonSchema {
    fn new(given: &serde_yaml::Value, dir: &Path) -> Result<JsonSchema, String> {
        let (name, schema) = match given {
            serde_yaml::Value::String(path) => {
                let full: PathBuf = dir.join(path);
                crate::files::check_trusted(&full, "schema file").map_err(|e| e.to_string())?;
                let text = std::fs::read_to_string(&full)
                    .map_err(|e| format!("cannot read the schema {}: {e}", full.display()))?;
                // YAML is a superset of JSON: one parser reads either kind of file.
                let schema: Value = serde_yaml::from_str(&text)
                    .map_err(|e| format!("the schema {} is not JSON or YAML: {e}", full.display()))?;
                (format!("json-schema {path}"), schema)
            }
            serde_yaml::Value::Mapping(_) => {
                let schema = serde_json::to_value(given).map_err(|e| format!("the inline schema: {e}"))?;
                ("json-schema (inline)".to_string(), schema)
            }
            _ => return Err("`schema` is a path to a schema file or a mapping".into()),
        };
        let schema = jsonschema::draft202012::new(&schema).map_err(|e| format!("{name}: not a valid schema: {e}"))?;
        Ok(JsonSchema { name, schema })
    }
}

impl Validator for JsonSchema {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self, _: &Key, value: &[u8]) -> Result<(), Fault> {
        let instance = parse_json_or_yaml(value)?;
        let errors: Vec<String> = self
            .schema
            .iter_errors(&instance)
            .map(|e| match e.instance_path().as_str() {
                "" => format!("at the top: {e}"),
                path => format!("at {path}: {e}"),
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Fault::Refused(errors.join("; ")))
        }
    }

    fn suffix(&self) -> Option<&'static str> {
        None
    }
}

/// JSON when it parses as JSON, else YAML; both say where they failed.
fn parse_json_or_yaml(value: &[u8]) -> Result<Value, String> {
    let json_error = match serde_json::from_slice(value) {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    crate::yaml::from_slice(value, crate::yaml::Binary::AsText)
        .map_err(|e| format!("neither JSON ({json_error}) nor YAML ({e})"))
}

/// Text the whole of which matches a regular expression.
struct Regex {
    text: String,
    whole: regex::Regex,
}

impl Validator for Regex {
    fn name(&self) -> &str {
        "regex"
    }

    fn check(&self, _: &Key, value: &[u8]) -> Result<(), Fault> {
        let text = std::str::from_utf8(value).map_err(|_| "not UTF-8 text".to_string())?;
        match self.whole.is_match(text) {
            true => Ok(()),
            false => Err(Fault::Refused(format!("the value does not match {:?} (the whole value must)", self.text))),
        }
    }

    fn suffix(&self) -> Option<&'static str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(yaml: &str) -> Result<Rule, String> {
        let spec: Spec = serde_yaml::from_str(yaml).unwrap();
        build(&spec, Path::new("/nowhere/config.yaml"), Duration::from_secs(5))
    }

    fn check(rule: &Rule, value: &str) -> Result<(), String> {
        rule.validator.check(&Key::parse("/k").unwrap(), value.as_bytes()).map_err(|fault| match fault {
            Fault::Refused(message) => message,
            Fault::CannotRun(message) => panic!("cannot run: {message}"),
        })
    }

    #[test]
    fn json_and_yaml_say_where_the_value_breaks() {
        let json = rule("{pattern: /a/*, kind: json}").unwrap();
        check(&json, r#"{"a": [1, 2]}"#).unwrap();
        let err = check(&json, "{\n  \"a\": [1, 2\n}").unwrap_err();
        assert!(err.contains("line 3 column 1"), "{err}");
        let yaml = rule("{pattern: /a/*, kind: yaml}").unwrap();
        check(&yaml, "a: [1, 2]\nb: c\n").unwrap();
        let err = check(&yaml, "a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn an_inline_schema_names_the_path_inside_the_value() {
        let schema = rule(
            "pattern: /a/**
kind: json-schema
schema:
  type: object
  properties:
    port: {type: integer, maximum: 65535}
  required: [port]
",
        )
        .unwrap();
        check(&schema, r#"{"port": 80}"#).unwrap();
        check(&schema, "port: 80\n").unwrap();
        let err = check(&schema, "port: 99999\n").unwrap_err();
        assert!(err.starts_with("at /port: "), "{err}");
        let err = check(&schema, "{}").unwrap_err();
        assert!(err.starts_with("at the top: ") && err.contains("port"), "{err}");
    }

    #[test]
    fn a_regex_must_match_the_whole_value() {
        let re = rule("{pattern: /a, kind: regex, regex: '[0-9]+'}").unwrap();
        check(&re, "42").unwrap();
        assert!(check(&re, "42x").is_err());
        assert!(check(&re, "x42").is_err());
        assert!(check(&re, "4\n2").is_err());
    }

    #[test]
    fn bad_declarations_are_refused() {
        for (yaml, wanted) in [
            ("{pattern: /a, kind: regex, regex: '('}", "bad regex"),
            ("{pattern: /a, kind: regex}", "needs `regex`"),
            ("{pattern: /a, kind: json, regex: x}", "does not go with"),
            ("{pattern: a, kind: json}", "must start with /"),
            ("{pattern: /a, kind: json-schema, schema: missing.json}", "/nowhere/missing.json"),
            ("{pattern: /a, kind: json-schema, schema: {type: 12}}", "not a valid schema"),
            ("{pattern: /a, kind: json-schema, schema: 3}", "a path"),
            ("{pattern: /a, kind: command}", "needs `command`"),
        ] {
            let err = rule(yaml).map(|_| ()).unwrap_err();
            assert!(err.contains(wanted), "{yaml}: {err}");
        }
    }
}
