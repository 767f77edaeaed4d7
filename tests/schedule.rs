//! `ovs config schedule` end to end: its exit codes and outputs, and its run
//! times against real Celery's on a few hundred generated crontabs, in UTC
//! and in zones across their DST changes. Celery's own times come from
//! `crontab.remaining_estimate`, iterated as beat does (each run's instant
//! becomes `last_run_at`). Needs python3 with celery; with CI=true a missing
//! Celery is a failure, not a skip.

mod util;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use ovs_config::validate::celery::crontab;
use predicates::str::contains;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use util::{python, Env, CELERY_KEY, GOOD_SCHEDULE};

const AT: &str = "2026-01-01T00:00:00Z";

#[test]
fn prints_each_task_sorted_with_its_next_runs_or_disabled() {
    let env = Env::new();
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    env.config(&["schedule", "--at", AT, "--count", "2"]).assert().success().stdout(
        "ovs.generic.execute_scrub\n  2026-01-01T03:00:00Z\n  2026-01-01T06:00:00Z\novs.stats_monkey.run_all\n  disabled\n",
    );
    let out = env.config(&["schedule", "--at", AT, "-o", "json"]).assert().success().get_output().stdout.clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        doc,
        json!({
            "ovs.generic.execute_scrub": {"enabled": true, "next": [
                "2026-01-01T03:00:00Z", "2026-01-01T06:00:00Z", "2026-01-01T09:00:00Z",
                "2026-01-01T12:00:00Z", "2026-01-01T15:00:00Z"]},
            "ovs.stats_monkey.run_all": {"enabled": false, "next": []}
        })
    );
    // In another zone, times carry its offset; --at may carry any offset.
    env.config(&["schedule", "--at", "2026-01-01T01:00:00+01:00", "--tz", "Europe/Brussels", "--count", "1"])
        .assert()
        .success()
        .stdout(contains("  2026-01-01T03:00:00+01:00\n"));
}

#[test]
fn previews_a_file_or_stdin_and_any_key() {
    let env = Env::new();
    let file = env.path().join("schedule.json");
    std::fs::write(&file, r#"{"t": {"minute": 0, "hour": 0, "day_of_week": "sun"}}"#).unwrap();
    let file = file.to_str().unwrap();
    // Nothing stored: the file is what is read.
    env.config(&["schedule", "--at", AT, "--count", "1", "--file", file])
        .assert()
        .success()
        .stdout("t\n  2026-01-04T00:00:00Z\n");
    env.config(&["schedule", "--at", AT, "--count", "1", "--file", "-"])
        .write_stdin(r#"{"t": {"minute": 0, "hour": 0, "day_of_month": 29, "month_of_year": "feb"}}"#)
        .assert()
        .success()
        .stdout("t\n  2028-02-29T00:00:00Z\n");
    env.set("/staging/celery", r#"{"t": null}"#);
    env.config(&["schedule", "/staging/celery"]).assert().success().stdout("t\n  disabled\n");
}

#[test]
fn bad_input_has_its_exit_code_and_one_line() {
    let env = Env::new();
    let one_line = |out: &[u8]| assert_eq!(String::from_utf8_lossy(out).lines().count(), 1);
    let cases: [(&[&str], i32, &str); 7] = [
        (&["schedule"], 4, "key not found"),
        (&["schedule", "--at", "2026-01-01"], 2, "RFC 3339"),
        (&["schedule", "--at", "tomorrow"], 2, "RFC 3339"),
        (&["schedule", "--tz", "Mars/Olympus"], 2, "unknown time zone"),
        (&["schedule", "--count", "0"], 2, "--count"),
        (&["schedule", "--count", "x"], 2, "--count"),
        (&["schedule", "/"], 2, "prefix"),
    ];
    for (args, code, message) in cases {
        let out = env.config(args).assert().code(code).stderr(contains(message)).get_output().stderr.clone();
        one_line(&out);
    }
    // A schedule the validator refuses is refused here too, naming task and field,
    // even with a good one stored.
    env.set(CELERY_KEY, GOOD_SCHEDULE);
    let bad = r#"{"t": {"minute": "61"}}"#;
    let out = env
        .config(&["schedule", "--file", "-"])
        .write_stdin(bad)
        .assert()
        .code(3)
        .stderr(contains(r#"task "t": minute "61""#))
        .get_output()
        .stderr
        .clone();
    one_line(&out);
    env.config(&["schedule", "--file", "-"]).write_stdin("not json").assert().code(3);
}

/// A task per generated crontab, in each zone from each start: the start
/// times sit just before a DST change (or at the issue's 2026-01-01).
const GROUPS: [(&str, &str); 11] = [
    ("UTC", AT),
    ("UTC", "2027-12-31T23:59:30Z"),
    ("Europe/Brussels", AT),
    // Brussels springs forward at 01:00Z on 2026-03-29 and falls back at 01:00Z on 2026-10-25.
    ("Europe/Brussels", "2026-03-29T00:00:00Z"),
    ("Europe/Brussels", "2026-10-24T23:30:00Z"),
    // New York: 07:00Z on 2026-03-08, 06:00Z on 2026-11-01.
    ("America/New_York", "2026-03-08T06:00:00Z"),
    ("America/New_York", "2026-11-01T04:30:00Z"),
    // Lord Howe moves by half an hour: back at 15:00Z on 2026-04-04.
    ("Australia/Lord_Howe", "2026-04-04T14:00:00Z"),
    // Havana changes at midnight: forward at 05:00Z on 2026-03-08, back at 05:00Z on 2026-11-01.
    ("America/Havana", "2026-03-08T04:00:00Z"),
    ("America/Havana", "2026-11-01T03:30:00Z"),
    ("Asia/Kolkata", AT),
];
const TASKS_PER_GROUP: usize = 40;
const COUNT: usize = 5;

const JUDGE: &str = r#"
import json, sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from celery import Celery
from celery.schedules import crontab

for line in sys.stdin:
    case = json.loads(line)
    app = Celery(set_as_current=False)
    app.conf.timezone = case["tz"]
    tz = ZoneInfo(case["tz"])
    out = {}
    for task, fields in case["schedule"].items():
        if fields is None:
            out[task] = {"enabled": False, "next": []}
            continue
        last = datetime.fromisoformat(case["at"].replace("Z", "+00:00")).astimezone(tz)
        clock = [last]
        tab = crontab(**fields, app=app, nowfun=lambda: clock[0])
        runs = []
        for _ in range(case["count"]):
            # When beat runs it: now + remaining; that instant is the next last_run_at.
            last = (last.astimezone(timezone.utc) + tab.remaining_estimate(last)).astimezone(tz)
            clock[0] = last
            runs.append(last.isoformat())
        out[task] = {"enabled": True, "next": runs}
    print(json.dumps(out))
"#;

/// One field's value range and names, as Celery reads it.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field { name: "minute", min: 0, max: 59, names: &[] };
const HOUR: Field = Field { name: "hour", min: 0, max: 23, names: &[] };
const DAY_OF_WEEK: Field =
    Field { name: "day_of_week", min: 0, max: 6, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] };
const DAY_OF_MONTH: Field = Field { name: "day_of_month", min: 1, max: 31, names: &[] };
const MONTH_OF_YEAR: Field = Field {
    name: "month_of_year",
    min: 1,
    max: 12,
    names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
};

/// A value: a number (hours around the DST changes weigh more), or a name.
fn atom(f: Field) -> BoxedStrategy<String> {
    let number = (f.min..=f.max).prop_map(|n| n.to_string());
    let mut choices = vec![(4, number.boxed())];
    if f.name == "hour" {
        choices.push((3, (0u32..=3).prop_map(|n| n.to_string()).boxed()));
    }
    if !f.names.is_empty() {
        let names: Vec<String> = f.names.iter().map(|n| n.to_string()).collect();
        choices.push((2, prop::sample::select(names).boxed()));
    }
    prop::strategy::Union::new_weighted(choices).boxed()
}

/// One part of a field: `*`, `*/s`, `a`, `a-b` (wrapping when a > b), `a-b/s`.
fn part(f: Field) -> impl Strategy<Value = String> {
    let step = 1..=f.max.max(2);
    prop_oneof![
        1 => Just("*".to_string()),
        2 => step.clone().prop_map(|s| format!("*/{s}")),
        3 => atom(f),
        3 => (atom(f), atom(f)).prop_map(|(a, b)| format!("{a}-{b}")),
        2 => (atom(f), atom(f), step).prop_map(|(a, b, s)| format!("{a}-{b}/{s}")),
    ]
}

fn field_value(f: Field) -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::collection::vec(part(f), 1..=3).prop_map(|parts| Value::String(parts.join(","))),
        1 => (f.min..=f.max).prop_map(|n| json!(n)),
        1 => prop::collection::vec(f.min..=f.max, 1..=4).prop_map(|v| json!(v)),
    ]
}

/// Celery's keyword arguments; day of month and day of week often both.
fn kwargs() -> impl Strategy<Value = Value> {
    let maybe = |f: Field, p: f64| prop::option::weighted(p, field_value(f)).prop_map(move |v| (f.name, v));
    (maybe(MINUTE, 0.7), maybe(HOUR, 0.7), maybe(DAY_OF_WEEK, 0.5), maybe(DAY_OF_MONTH, 0.4), maybe(MONTH_OF_YEAR, 0.3))
        .prop_map(|fields| {
            let (a, b, c, d, e) = fields;
            let map: Map<String, Value> =
                [a, b, c, d, e].into_iter().filter_map(|(name, v)| Some((name.to_string(), v?))).collect();
            Value::Object(map)
        })
}

/// A time as an instant and the offset it is shown in.
fn instant(text: &str) -> (i64, i32) {
    let t: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    (t.timestamp(), t.offset().local_minus_utc())
}

#[test]
fn run_times_agree_with_real_celery() {
    if !python::celery_available() {
        return;
    }
    let env = Env::new();
    let mut runner = TestRunner::deterministic();
    let strategy = kwargs();
    let mut cases = Vec::new();
    let mut schedules = Vec::new();
    for (i, (zone, at)) in GROUPS.iter().enumerate() {
        let mut schedule = Map::new();
        schedule.insert("disabled".into(), Value::Null);
        while schedule.len() <= TASKS_PER_GROUP {
            let kwargs = strategy.new_tree(&mut runner).unwrap().current();
            // Celery refuses what never meets a real date (Feb 30), as we do.
            if crontab(kwargs.as_object().unwrap()).is_ok() {
                schedule.insert(format!("task{:03}", schedule.len()), kwargs);
            }
        }
        let schedule = Value::Object(schedule);
        let file = env.path().join(format!("schedule{i}.json"));
        std::fs::write(&file, schedule.to_string()).unwrap();
        let count = COUNT.to_string();
        let args = ["schedule", "--at", at, "--tz", zone, "--count", &count, "-o", "json", "--file"];
        let out = env.config(&args).arg(&file).assert().success().get_output().stdout.clone();
        let ours: BTreeMap<String, Value> = serde_json::from_slice(&out).unwrap();
        cases.push(json!({"tz": zone, "at": at, "count": COUNT, "schedule": schedule}).to_string());
        schedules.push((zone, at, schedule, ours));
    }

    let answers = python::answers(JUDGE, cases);
    assert_eq!(answers.len(), schedules.len());
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for ((zone, at, schedule, ours), celery) in schedules.iter().zip(&answers) {
        let celery: BTreeMap<String, Value> = serde_json::from_str(celery).unwrap();
        assert_eq!(ours.keys().collect::<Vec<_>>(), celery.keys().collect::<Vec<_>>());
        for (task, theirs) in &celery {
            let mine = &ours[task];
            let times = |v: &Value| -> Vec<(i64, i32)> {
                v["next"].as_array().unwrap().iter().map(|t| instant(t.as_str().unwrap())).collect()
            };
            if mine["enabled"] != theirs["enabled"] || times(mine) != times(theirs) {
                disagreements.push(format!(
                    "{zone} from {at}: {}\n  ours:   {}\n  celery: {}",
                    schedule[task], mine["next"], theirs["next"]
                ));
            }
            if **zone == "UTC" {
                let all_z = mine["next"].as_array().unwrap().iter().all(|t| t.as_str().unwrap().ends_with('Z'));
                assert!(all_z, "UTC times end in Z: {}", mine["next"]);
            }
            compared += 1;
        }
    }
    eprintln!("{compared} tasks compared, {} disagreements", disagreements.len());
    assert!(disagreements.is_empty(), "disagreements with Celery:\n{}", disagreements.join("\n"));
}
