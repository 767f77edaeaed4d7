//! What a write did on each store it was for: the one report `set`,
//! `delete`, `import`, `apply` and `edit` hand the printer, so a script
//! reads the same shape from all of them. With one store it is that store's
//! outcome: `{"key", "written", "revision", ...}`; with several,
//! `{"key", "stores": [{"store", "written", "revision", ..., "error", "exit"}]}`.
//! A store's failure stays an error until it is printed: its message and
//! its exit code are taken from it then.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use anyhow::Result;

use crate::exit;
use crate::output::{Plain, Report};
use crate::pipeline::documents::PlanView;
use crate::plan::Plan;
use crate::store::{Committed, Revision};

/// How a write went on one store.
pub struct StoreOutcome<'a, D> {
    pub store: &'a str,
    /// What the write did, or was to do, there (a count, a plan), when known.
    pub detail: Option<D>,
    /// The revision it was written at; None: nothing needed writing (a plan
    /// with no change, a dry run).
    pub result: std::result::Result<Option<Revision>, &'a anyhow::Error>,
}

/// The outcome on every store of a write of `key` (a key, or a document's
/// prefix).
pub struct WriteReport<'a, D> {
    pub key: &'a str,
    pub stores: Vec<StoreOutcome<'a, D>>,
}

impl<'a, D: Clone> WriteReport<'a, D> {
    /// Nothing written on any of `stores` (a dry run, an edit that changed
    /// nothing), each with the same `detail`.
    pub fn nothing_written(key: &'a str, stores: &'a [String], detail: Option<D>) -> WriteReport<'a, D> {
        let stores =
            stores.iter().map(|store| StoreOutcome { store, detail: detail.clone(), result: Ok(None) }).collect();
        WriteReport { key, stores }
    }
}

impl<'a> StoreOutcome<'a, PlanView<'a>> {
    /// How a document went on a store: its plan there (if it could be
    /// read), and the commit of it (none when it changes nothing).
    pub fn of_plan(store: &'a str, plan: &'a Result<Plan, anyhow::Error>, result: &'a Result<Committed>) -> Self {
        let result = match (result, plan) {
            (Ok(committed), Ok(plan)) => Ok((!plan.changes.is_empty()).then_some(committed.revision)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        StoreOutcome { store, detail: plan.as_ref().ok().map(PlanView::of), result }
    }
}

/// One store's outcome as scripts read it: named by its store among
/// several, by the key when it is the only one.
#[derive(serde::Serialize)]
struct View<'a, D> {
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<&'a str>,
    written: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
    #[serde(flatten)]
    detail: &'a Option<D>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<u8>,
}

impl<'a, D> StoreOutcome<'a, D> {
    fn view(&'a self, key: Option<&'a str>, store: Option<&'a str>) -> View<'a, D> {
        let (revision, error) = match &self.result {
            Ok(revision) => (*revision, None),
            Err(e) => (None, Some(*e)),
        };
        View {
            key,
            store,
            written: revision.is_some(),
            revision: revision.map(|r| r.0),
            detail: &self.detail,
            error: error.map(|e| format!("{e:#}")),
            exit: error.map(|e| exit::classify(e) as u8),
        }
    }
}

impl<D: Serialize> Serialize for WriteReport<'_, D> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        if let [one] = self.stores.as_slice() {
            return one.view(Some(self.key), None).serialize(serializer);
        }
        let stores: Vec<View<D>> = self.stores.iter().map(|o| o.view(None, Some(o.store))).collect();
        let mut report = serializer.serialize_struct("WriteReport", 2)?;
        report.serialize_field("key", self.key)?;
        report.serialize_field("stores", &stores)?;
        report.end()
    }
}

/// A person reads how each store went in the notes on stderr.
impl<D: Serialize> Report for WriteReport<'_, D> {
    fn plain(&self, _: &mut Plain<'_>) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Deleted {
        deleted: u64,
    }

    #[test]
    fn one_store_is_its_outcome_and_several_are_listed_each_with_its_error() {
        let one = WriteReport {
            key: "/k",
            stores: vec![StoreOutcome {
                store: "a",
                detail: Some(Deleted { deleted: 1 }),
                result: Ok(Some(Revision(7))),
            }],
        };
        assert_eq!(
            serde_json::to_value(&one).unwrap(),
            serde_json::json!({"key": "/k", "written": true, "revision": 7, "deleted": 1})
        );
        let refused =
            anyhow::Error::new(crate::store::StoreError::NotFound { key: crate::store::Key::parse("/k").unwrap() });
        let two = WriteReport {
            key: "/k",
            stores: vec![
                StoreOutcome { store: "a", detail: Some(Deleted { deleted: 1 }), result: Ok(Some(Revision(7))) },
                StoreOutcome { store: "b", detail: None, result: Err(&refused) },
            ],
        };
        let json = serde_json::to_value(&two).unwrap();
        assert_eq!(json["stores"][0], serde_json::json!({"store": "a", "written": true, "revision": 7, "deleted": 1}));
        assert_eq!(json["stores"][1]["written"], false);
        assert_eq!(json["stores"][1]["exit"], 4);
        assert!(json["stores"][1]["error"].as_str().unwrap().contains("/k"), "{json}");
    }
}
