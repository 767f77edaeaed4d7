//! The template environment: Jinja2 syntax (minijinja) for configuration
//! files, not HTML — no escaping, the trailing newline kept, an undefined
//! variable an error — and the functions and filters that read the store
//! through a [`View`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use minijinja::value::Kwargs;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, UndefinedBehavior, Value};

use super::view::{Lookup, Reads, View};
use super::Problem;
use crate::store::{Key, Version};

/// One pass of a template: the view it answers from, and what it read.
#[derive(Default)]
pub struct Pass {
    pub view: View,
    pub reads: Reads,
}

pub type Shared = Arc<Mutex<Pass>>;

pub fn lock(pass: &Shared) -> MutexGuard<'_, Pass> {
    pass.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The environment every render uses; its functions read `pass`.
pub fn environment(pass: &Shared) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build();
    env.set_syntax(syntax.expect("the default delimiters are valid"));

    let p = pass.clone();
    env.add_function("key", move |path: &str, kwargs: Kwargs| -> Result<Value, Error> {
        let default: Option<Value> = kwargs.get("default")?;
        kwargs.assert_all_used()?;
        let key = parse(path)?;
        let mut pass = lock(&p);
        pass.reads.keys.insert(key.clone());
        match pass.view.lookup(&key) {
            Lookup::Found(version) => text(key.as_str(), version),
            Lookup::Missing => default.ok_or_else(|| fail(Problem::Missing(key))),
            Lookup::Unknown => {
                // A stand-in until the key is read; this pass is run again.
                pass.reads.unknown_keys.insert(key);
                Ok(Value::from(""))
            }
        }
    });
    let p = pass.clone();
    env.add_function("exists", move |path: &str| -> Result<bool, Error> {
        let key = parse(path)?;
        let mut pass = lock(&p);
        pass.reads.keys.insert(key.clone());
        Ok(match pass.view.lookup(&key) {
            Lookup::Found(_) => true,
            Lookup::Missing => false,
            Lookup::Unknown => {
                pass.reads.unknown_keys.insert(key);
                false
            }
        })
    });
    let p = pass.clone();
    env.add_function("keys", move |path: &str| -> Result<Value, Error> {
        let prefix = parse(path)?;
        let mut pass = lock(&p);
        if !listed(&mut pass, &prefix) {
            return Ok(Value::from(Vec::<Value>::new()));
        }
        let keys = pass.view.subtree(&prefix).map(|(k, _)| Ok(k.to_string()));
        let children: Result<Vec<String>, _> =
            crate::store::children_from_keys(prefix.clone(), Box::new(keys)).collect();
        Ok(Value::from(children.map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?))
    });
    let p = pass.clone();
    env.add_function("tree", move |path: &str| -> Result<Value, Error> {
        let prefix = parse(path)?;
        let mut pass = lock(&p);
        if !listed(&mut pass, &prefix) {
            return Ok(Value::from(BTreeMap::<String, Value>::new()));
        }
        let mut map = BTreeMap::new();
        for (full, version) in pass.view.subtree(&prefix) {
            let rel = prefix.within(full).unwrap_or(full);
            map.insert(rel.to_string(), text(full, version)?);
        }
        Ok(Value::from(map))
    });

    env.add_filter("fromjson", |text: &str| -> Result<Value, Error> {
        let data: serde_json::Value = serde_json::from_str(text).map_err(|e| bad_data("fromjson", e))?;
        Ok(Value::from(minijinja::value::Serde(data)))
    });
    env.add_filter("fromyaml", |text: &str| -> Result<Value, Error> {
        let data: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| bad_data("fromyaml", e))?;
        Ok(Value::from(minijinja::value::Serde(data)))
    });
    env.add_filter("tojson", |value: Value| -> Result<String, Error> {
        serde_json::to_string(&value).map_err(|e| bad_data("tojson", e))
    });
    env.add_filter("toyaml", |value: Value| -> Result<String, Error> {
        let text = serde_yaml::to_string(&value).map_err(|e| bad_data("toyaml", e))?;
        // `{{ x | toyaml }}` on a line of its own: the template's newline ends it.
        Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
    });
    env
}

/// Records that the pass listed `prefix`; false when the view does not
/// have its subtree yet (the pass is run again once it has).
fn listed(pass: &mut Pass, prefix: &Key) -> bool {
    pass.reads.prefixes.insert(prefix.clone());
    if pass.view.has_subtree(prefix) {
        return true;
    }
    pass.reads.unknown_prefixes.insert(prefix.clone());
    false
}

fn parse(path: &str) -> Result<Key, Error> {
    Key::parse(path).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
}

/// A value as template text; one that is not UTF-8 cannot be, and is refused.
fn text(key: &str, version: &Version) -> Result<Value, Error> {
    match std::str::from_utf8(&version.value) {
        Ok(text) => Ok(Value::from(text)),
        Err(_) => Err(fail(Problem::NotText(key.to_string()))),
    }
}

/// An error a render reports as itself (not as a template error).
fn fail(problem: Problem) -> Error {
    Error::new(ErrorKind::InvalidOperation, problem.to_string()).with_source(problem)
}

fn bad_data(filter: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("{filter}: {e}"))
}
