//! The Celery beat schedule: a JSON object of task name → `null` (disabled)
//! or the keyword arguments of `celery.schedules.crontab` (Celery 5).
//!
//! Each field is first read the way Celery's own `crontab_parser` reads it
//! (the same regexes, `int()` rules, name prefixes and wrap-around ranges),
//! which gives the set of values Celery would run on; that set is then
//! written as a cron expression and parsed by the `cron` crate, which also
//! proves the translation (cron wants a seconds field and counts Sunday as 1
//! where Celery counts it as 0).
//!
//! Deliberately stricter than Celery, because the values make no schedule:
//! booleans (Python takes `true` as 1), floats inside lists, empty lists and
//! objects used as a field. `tests/celery_agreement.rs` checks every other
//! verdict against the real Celery.

use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::{Fault, Validator};
use crate::store::Key;

pub struct CelerySchedule;

impl Validator for CelerySchedule {
    fn name(&self) -> &str {
        "celery schedule"
    }

    fn check(&self, _: &Key, value: &[u8]) -> Result<(), Fault> {
        parse_schedule(value).map(|_| ()).map_err(Fault::from)
    }

    fn suffix(&self) -> Option<&'static str> {
        Some(".json")
    }
}

/// One crontab field: its name and Celery's `max_`/`min_` for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    max: u32,
    min: u32,
}

pub const MINUTE: Field = Field { name: "minute", max: 60, min: 0 };
pub const HOUR: Field = Field { name: "hour", max: 24, min: 0 };
pub const DAY_OF_WEEK: Field = Field { name: "day_of_week", max: 7, min: 0 };
pub const DAY_OF_MONTH: Field = Field { name: "day_of_month", max: 31, min: 1 };
pub const MONTH_OF_YEAR: Field = Field { name: "month_of_year", max: 12, min: 1 };

/// In the order Celery's `crontab.__init__` checks them, so the first error
/// reported is the one Celery would raise.
const FIELDS: [Field; 5] = [HOUR, MINUTE, DAY_OF_WEEK, DAY_OF_MONTH, MONTH_OF_YEAR];

/// A task's schedule as sets of values, in Celery's numbering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crontab {
    pub minute: Vec<u32>,
    pub hour: Vec<u32>,
    pub day_of_week: Vec<u32>,
    pub day_of_month: Vec<u32>,
    pub month_of_year: Vec<u32>,
}

/// Parse a whole schedule value: each task with its crontab, or None when
/// disabled. The error names the task, field and text.
pub fn parse_schedule(value: &[u8]) -> Result<Vec<(String, Option<Crontab>)>, String> {
    let doc: Value = serde_json::from_slice(value).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(tasks) = doc else {
        return Err("expected a JSON object of task name to schedule".into());
    };
    let mut out = Vec::with_capacity(tasks.len());
    for (task, spec) in tasks {
        let schedule = match spec {
            Value::Null => None,
            Value::Object(kwargs) => {
                let crontab = crontab(&kwargs).map_err(|e| format!("task {task:?}: {e}"))?;
                to_cron(&crontab).map_err(|e| format!("task {task:?}: {e}"))?;
                Some(crontab)
            }
            other => return Err(format!("task {task:?}: expected null or an object of crontab fields, got {other}")),
        };
        out.push((task, schedule));
    }
    Ok(out)
}

/// `crontab(**kwargs)`: unknown keywords are refused, missing ones are `*`.
pub fn crontab(kwargs: &serde_json::Map<String, Value>) -> Result<Crontab, String> {
    if let Some(unknown) = kwargs.keys().find(|k| !FIELDS.iter().any(|f| f.name == k.as_str())) {
        return Err(format!(
            "unknown field {unknown:?} (allowed: minute, hour, day_of_week, day_of_month, month_of_year)"
        ));
    }
    let star = Value::String("*".into());
    let mut sets = FIELDS.iter().map(|field| {
        let spec = kwargs.get(field.name).unwrap_or(&star);
        expand_cronspec(*field, spec).map_err(|e| format!("{} {spec}: {e}", field.name))
    });
    let mut next = || sets.next().expect("five fields");
    let (hour, minute, day_of_week, day_of_month, month_of_year) = (next()?, next()?, next()?, next()?, next()?);
    // Celery refuses a day/month pair that can never happen (Feb 30).
    const DAYS_IN_MONTH: [u32; 13] = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !month_of_year.iter().any(|&m| day_of_month.iter().any(|&d| d <= DAYS_IN_MONTH[m as usize])) {
        return Err("day_of_month and month_of_year never meet on a real date".into());
    }
    Ok(Crontab { minute, hour, day_of_week, day_of_month, month_of_year })
}

/// `crontab._expand_cronspec`: an integer, a string, or a list of integers.
fn expand_cronspec(field: Field, spec: &Value) -> Result<Vec<u32>, String> {
    let in_range = |n: i64| n >= i64::from(field.min) && n < i64::from(field.min + field.max);
    let out_of_range =
        |n: &dyn std::fmt::Display| format!("{n} is outside {}-{}", field.min, field.min + field.max - 1);
    let mut set = match spec {
        Value::String(text) => parse_field(field, text)?,
        Value::Number(n) => match n.as_i64() {
            Some(i) if in_range(i) => vec![i as u32],
            Some(i) => return Err(out_of_range(&i)),
            None if n.as_u64().is_some() => return Err(out_of_range(n)),
            None => return Err("must be a string, an integer or a list of integers".into()),
        },
        Value::Array(items) if !items.is_empty() => {
            let mut set = Vec::with_capacity(items.len());
            for item in items {
                match item.as_i64() {
                    Some(i) if item.is_i64() || item.is_u64() => {
                        if !in_range(i) {
                            return Err(out_of_range(&i));
                        }
                        set.push(i as u32);
                    }
                    _ if item.is_u64() => return Err(out_of_range(item)),
                    _ => return Err(format!("list item {item} is not an integer")),
                }
            }
            set
        }
        Value::Array(_) => return Err("an empty list never runs".into()),
        _ => return Err("must be a string, an integer or a list of integers".into()),
    };
    set.sort_unstable();
    set.dedup();
    Ok(set)
}

static RANGE_STEPS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\w+?)-(\w+)/(\w+)?").unwrap());
static RANGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\w+?)-(\w+)").unwrap());
static STAR_STEPS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\*/(\w+)?").unwrap());
// Python's `$` also matches before one trailing newline.
static STAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\*\n?$").unwrap());

/// `crontab_parser(max_, min_).parse(text)`. Like Python's `re.match`, the
/// patterns anchor only at the start, so Celery ignores text after a match
/// (`1-5x` fails, but `1-5 x` is 1-5); we do the same.
pub fn parse_field(field: Field, text: &str) -> Result<Vec<u32>, String> {
    let mut acc = Vec::new();
    for part in text.split(',') {
        if part.is_empty() {
            return Err("empty part".into());
        }
        let values = if let Some(c) = RANGE_STEPS.captures(part) {
            let step = c.get(3).ok_or("empty filter")?.as_str();
            every_nth(expand_range(field, &c[1], Some(&c[2]))?, step)?
        } else if let Some(c) = RANGE.captures(part) {
            expand_range(field, &c[1], Some(&c[2]))?
        } else if let Some(c) = STAR_STEPS.captures(part) {
            let step = c.get(1).ok_or("empty filter")?.as_str();
            every_nth(expand_star(field), step)?
        } else if STAR.is_match(part) {
            expand_star(field)
        } else {
            expand_range(field, part, None)?
        };
        acc.extend(values);
    }
    Ok(acc)
}

fn expand_star(field: Field) -> Vec<u32> {
    (field.min..field.min + field.max).collect()
}

/// Python's `values[::int(step)]`.
fn every_nth(values: Vec<u32>, step: &str) -> Result<Vec<u32>, String> {
    match python_int(step) {
        Some(0) => Err("slice step cannot be zero".into()),
        Some(n) if n > 0 => Ok(values.into_iter().step_by(usize::try_from(n).unwrap_or(usize::MAX)).collect()),
        _ => Err(format!("invalid literal for int(): {step:?}")),
    }
}

fn expand_range(field: Field, from: &str, to: Option<&str>) -> Result<Vec<u32>, String> {
    let fr = expand_number(field, from)?;
    let Some(to) = to else { return Ok(vec![fr]) };
    let to = expand_number(field, to)?;
    if to < fr {
        // Wraps around the top: 5-1 over hours is 5..23 then 0..1.
        return Ok((fr..field.min + field.max).chain(field.min..=to).collect());
    }
    Ok((fr..=to).collect())
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// `crontab_parser._expand_number`: an int, else a month name, else a
/// weekday name (each by its first three letters, in any field), in range.
fn expand_number(field: Field, s: &str) -> Result<u32, String> {
    if s.starts_with('-') {
        return Err("negative numbers not supported".into());
    }
    let n = match python_int(s) {
        Some(n) => n,
        None => {
            let abbreviation: String = s.chars().take(3).collect::<String>().to_lowercase();
            let month = MONTHS.iter().position(|m| *m == abbreviation).map(|i| i as i64 + 1);
            let day = WEEKDAYS.iter().position(|d| *d == abbreviation).map(|i| i as i64);
            month.or(day).ok_or_else(|| format!("invalid literal {s:?}"))?
        }
    };
    let max = field.min + field.max - 1;
    if n > i64::from(max) {
        return Err(format!("invalid end range: {n} > {max}"));
    }
    if n < i64::from(field.min) {
        return Err(format!("invalid beginning range: {n} < {}", field.min));
    }
    Ok(n as u32)
}

/// Python's `int(text)` for ASCII digits: surrounding whitespace, one sign,
/// and single underscores between digits. Too large saturates (and then
/// fails the range check, as in Python).
fn python_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let mut n: i64 = 0;
    for b in digits.bytes().filter(|&b| b != b'_') {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    Some(if negative { -n } else { n })
}

/// Celery's day of week as the `cron` crate's: Sunday is 0 there, 1 here.
pub fn celery_to_cron_weekday(day: u32) -> u32 {
    day + 1
}

/// The schedule as a `cron` expression (with the seconds field it wants),
/// parsed by the `cron` crate.
pub fn to_cron(tab: &Crontab) -> Result<cron::Schedule, String> {
    let list = |values: &[u32]| values.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let weekdays: Vec<u32> = tab.day_of_week.iter().map(|&d| celery_to_cron_weekday(d)).collect();
    let expr = format!(
        "0 {} {} {} {} {}",
        list(&tab.minute),
        list(&tab.hour),
        list(&tab.day_of_month),
        list(&tab.month_of_year),
        list(&weekdays)
    );
    cron::Schedule::from_str(&expr).map_err(|e| format!("cron rejects {expr:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Utc};
    use proptest::prelude::*;

    fn field(f: Field, text: &str) -> Result<Vec<u32>, String> {
        parse_field(f, text).map(|mut v| {
            v.sort_unstable();
            v.dedup();
            v
        })
    }

    #[test]
    fn accepts_what_celery_accepts() {
        assert_eq!(field(MINUTE, "*/15").unwrap(), vec![0, 15, 30, 45]);
        assert_eq!(field(MINUTE, "0-59/15").unwrap(), vec![0, 15, 30, 45]);
        assert_eq!(field(MINUTE, "*/100").unwrap(), vec![0]);
        assert_eq!(
            field(HOUR, "5-1").unwrap(),
            [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1]
                .iter()
                .copied()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(field(DAY_OF_WEEK, "mon-fri").unwrap(), vec![1, 2, 3, 4, 5]);
        assert_eq!(field(DAY_OF_WEEK, "fri-mon").unwrap(), vec![0, 1, 5, 6]);
        assert_eq!(field(DAY_OF_WEEK, "sun").unwrap(), vec![0]);
        assert_eq!(field(MONTH_OF_YEAR, "jan-mar").unwrap(), vec![1, 2, 3]);
        assert_eq!(field(MINUTE, "1,2,3").unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn rejects_what_celery_rejects() {
        for (f, text) in [
            (MINUTE, "61"),
            (HOUR, "24"),
            (MINUTE, "*/0"),
            (MINUTE, "1,,2"),
            (DAY_OF_WEEK, "7"),
            (MONTH_OF_YEAR, "0"),
            (DAY_OF_MONTH, "0"),
            (MINUTE, "5/15"),
            (MINUTE, "-1"),
            (MINUTE, ""),
            (MINUTE, "*/"),
        ] {
            assert!(field(f, text).is_err(), "{} {text:?} should be rejected", f.name);
        }
    }

    #[test]
    fn schedule_errors_name_task_field_and_text() {
        let err = parse_schedule(br#"{"ovs.generic.execute_scrub": {"minute": "61", "hour": "*/3"}}"#).unwrap_err();
        assert!(err.starts_with(r#"task "ovs.generic.execute_scrub": minute "61": "#), "{err}");
        let err = parse_schedule(br#"{"t": {"minutes": "1"}}"#).unwrap_err();
        assert!(err.contains(r#"unknown field "minutes""#), "{err}");
    }

    #[test]
    fn stricter_than_celery_where_documented() {
        for spec in [r#"{"minute": true}"#, r#"{"minute": [1.5]}"#, r#"{"minute": []}"#, r#"{"minute": {}}"#] {
            let value = format!(r#"{{"t": {spec}}}"#);
            assert!(parse_schedule(value.as_bytes()).is_err(), "{spec}");
        }
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert!(parse_schedule(br#"{"t": {"day_of_month": "30-31", "month_of_year": "feb"}}"#).is_err());
        assert!(parse_schedule(br#"{"t": {"day_of_month": "29", "month_of_year": "feb"}}"#).is_ok());
    }

    proptest! {
        /// The translated cron schedule fires on exactly the Celery weekdays.
        #[test]
        fn weekday_translation_keeps_the_days(days in proptest::collection::btree_set(0u32..7, 1..=7)) {
            let days: Vec<u32> = days.into_iter().collect();
            let tab = Crontab { minute: vec![0], hour: vec![0], day_of_week: days.clone(),
                                day_of_month: (1..=31).collect(), month_of_year: (1..=12).collect() };
            let schedule = to_cron(&tab).unwrap();
            let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 30).unwrap();
            let mut seen: Vec<u32> = schedule.after(&start).take(21)
                .map(|t| t.weekday().num_days_from_sunday()).collect();
            prop_assert!(seen.iter().all(|d| days.contains(d)), "fired on {seen:?}, want {days:?}");
            seen.sort_unstable();
            seen.dedup();
            prop_assert_eq!(seen, days);
        }

        /// Any numeric Celery field the parser accepts is in range, and cron
        /// accepts the translated expression.
        #[test]
        fn accepted_fields_translate(a in 0u32..70, b in 0u32..70, step in 0u32..30, which in 0usize..5) {
            let f = FIELDS[which];
            if let Ok(values) = field(f, &format!("{a}-{b}/{step}")) {
                prop_assert!(values.iter().all(|v| *v >= f.min && *v < f.min + f.max));
                let mut tab = Crontab { minute: vec![0], hour: vec![0], day_of_week: vec![0],
                                        day_of_month: vec![1], month_of_year: vec![1] };
                *match f.name { "minute" => &mut tab.minute, "hour" => &mut tab.hour,
                    "day_of_week" => &mut tab.day_of_week, "day_of_month" => &mut tab.day_of_month,
                    _ => &mut tab.month_of_year } = values;
                prop_assert!(to_cron(&tab).is_ok());
            }
        }
    }
}
