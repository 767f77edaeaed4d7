//! Our Celery schedule verdicts against the real Celery's: a few hundred
//! generated crontab kwargs, each judged by `celery.schedules.crontab(**kw)`
//! in python3 and by `validate::celery`. They must agree on every one.
//! Needs python3 with celery (the README's test command installs it); with
//! CI=true a missing Celery is a failure, not a skip.

mod util;

use ovs_config::validate::celery::{crontab, to_cron};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use util::python;

const CASES: usize = 800;

const JUDGE: &str = r#"
import json, sys
from celery.schedules import crontab
for line in sys.stdin:
    try:
        crontab(**json.loads(line))
        print(1)
    except Exception:
        print(0)
"#;

/// Pieces of crontab text, valid and not, in the shapes Celery's parser
/// distinguishes.
fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..75).prop_map(|n| n.to_string()),
        2 => prop::sample::select(vec![
            "mon", "fri", "sun", "sat", "MON", "monday", "sunflower", "jan", "mar", "dec", "feb",
            "xyz", "mo", "0", "00", "07", "1_0", "_1", "1_", "+5", "*", "a1",
        ]).prop_map(String::from),
    ]
}

fn part() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => atom(),
        3 => (atom(), atom()).prop_map(|(a, b)| format!("{a}-{b}")),
        2 => (atom(), atom(), 0u32..100).prop_map(|(a, b, s)| format!("{a}-{b}/{s}")),
        2 => (0u32..120).prop_map(|s| format!("*/{s}")),
        1 => Just("*".to_string()),
        1 => prop::sample::select(vec![
            "*/", "5/15", "-1", "1-", "1-5/", " 5", "5 ", "1-5 x", "1-5x", "*/15-3", "*-5", "**",
            "1-5-7", "*\n", "1/2", "/5",
        ]).prop_map(String::from),
    ]
}

fn field_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::collection::vec(part(), 1..4).prop_map(|parts| Value::String(parts.join(","))),
        1 => prop::collection::vec(part(), 2..4).prop_map(|parts| Value::String(parts.join(",,"))),
        1 => Just(Value::String(String::new())),
    ]
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => field_text(),
        2 => (-2i64..70).prop_map(|n| json!(n)),
        2 => prop::collection::vec(-1i64..65, 1..5).prop_map(|v| json!(v)),
        1 => Just(json!(5.0)),
        1 => Just(json!("5")),
    ]
}

fn kwargs() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec!["minute", "hour", "day_of_week", "day_of_month", "month_of_year"]);
    prop::collection::vec((names, field_value()), 0..4).prop_flat_map(|fields| {
        let mut map = Map::new();
        for (name, value) in fields {
            map.insert(name.to_string(), value);
        }
        prop_oneof![
            19 => Just(Value::Object(map.clone())),
            1 => Just({ let mut m = map.clone(); m.insert("minutes".into(), json!("1")); Value::Object(m) }),
        ]
    })
}

fn ours(kwargs: &Value) -> bool {
    crontab(kwargs.as_object().unwrap()).and_then(|tab| to_cron(&tab)).is_ok()
}

#[test]
fn verdicts_agree_with_real_celery() {
    if !python::celery_available() {
        return;
    }
    let mut runner = TestRunner::deterministic();
    let strategy = kwargs();
    let cases: Vec<Value> = (0..CASES).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect();

    let verdicts: Vec<bool> =
        python::answers(JUDGE, cases.iter().map(Value::to_string).collect()).iter().map(|l| l == "1").collect();
    assert_eq!(verdicts.len(), cases.len());

    let accepted = verdicts.iter().filter(|v| **v).count();
    let disagreements: Vec<String> = cases
        .iter()
        .zip(&verdicts)
        .filter(|(case, celery)| ours(case) != **celery)
        .map(|(case, celery)| format!("{case}: celery {}", if *celery { "accepts" } else { "rejects" }))
        .collect();
    eprintln!("{} cases, {accepted} accepted by Celery, {} disagreements", cases.len(), disagreements.len());
    assert!(disagreements.is_empty(), "disagreements:\n{}", disagreements.join("\n"));
    // The generator must exercise both verdicts, or the comparison proves little.
    assert!(accepted > CASES / 5 && accepted < CASES * 4 / 5, "{accepted} accepted of {CASES}");
}
