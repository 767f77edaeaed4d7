//! When Celery beat runs a crontab task: its next run times after an
//! instant, found the way `celery.schedules.crontab.remaining_delta`
//! (Celery 5) finds them, in the time zone the schedule is evaluated in.
//!
//! Celery works on the wall clock of its `timezone` setting: from the local
//! time of the last run it takes the first later minute where all five
//! fields match (the month, the day of the month AND the day of the week,
//! unlike cron's OR), then reads that local time the way Python does with
//! `fold=0` (Celery's `ffwd` ends with an addition, which resets `fold`).
//! Across DST this gives: a time in the spring-forward gap runs as if the
//! clock had not moved yet (02:30 runs at 03:30 summer time), and a time
//! in the fall-back hour runs once, at its first occurrence. Beat then
//! records the instant it ran at, so the next search starts from that
//! instant's wall time.
//!
//! Started inside the second occurrence of a fall-back hour, Celery finds
//! the rest of that hour's times already past (their first occurrence
//! was) and runs each at once; the preview lists only times after the
//! start, so it skips them.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::validate::celery::Crontab;

/// The Gregorian calendar, weekdays included, repeats every 400 years: a
/// crontab that matches no day in that span matches none ever.
const CALENDAR_CYCLE_DAYS: u32 = 146_097;

/// The next `count` run times of `tab` strictly after `after` (at minute
/// resolution, as Celery), with `tz` as Celery's `timezone`.
pub fn next_runs(tab: &Crontab, tz: Tz, after: DateTime<Utc>, count: usize) -> Result<Vec<DateTime<Tz>>, String> {
    let masks = Masks::of(tab);
    let mut last = after.with_timezone(&tz);
    let mut runs = Vec::with_capacity(count);
    for _ in 0..count {
        last = next_run(&masks, &last).ok_or_else(|| format!("never runs after {}", last.to_rfc3339()))?;
        runs.push(last);
    }
    Ok(runs)
}

/// A crontab's value sets as bit masks, Celery-numbered (Sunday is 0).
struct Masks {
    minute: u64,
    hour: u64,
    day_of_week: u64,
    day_of_month: u64,
    month_of_year: u64,
}

impl Masks {
    fn of(tab: &Crontab) -> Masks {
        let mask = |values: &[u32]| values.iter().fold(0u64, |m, v| m | 1 << v);
        Masks {
            minute: mask(&tab.minute),
            hour: mask(&tab.hour),
            day_of_week: mask(&tab.day_of_week),
            day_of_month: mask(&tab.day_of_month),
            month_of_year: mask(&tab.month_of_year),
        }
    }

    fn runs_on(&self, day: NaiveDate) -> bool {
        let has = |mask: u64, v: u32| mask >> v & 1 == 1;
        has(self.month_of_year, day.month())
            && has(self.day_of_month, day.day())
            && has(self.day_of_week, day.weekday().num_days_from_sunday())
    }
}

/// The lowest value in `mask` that is at least `from` (below 64).
fn first_from(mask: u64, from: u32) -> Option<u32> {
    let rest = mask & (u64::MAX << from);
    (rest != 0).then(|| rest.trailing_zeros())
}

fn next_run(masks: &Masks, last: &DateTime<Tz>) -> Option<DateTime<Tz>> {
    let mut wall = last.naive_local();
    loop {
        wall = next_wall_time(masks, wall)?;
        let run = first_instant(last.timezone(), wall);
        if run > *last {
            return Some(run);
        }
    }
}

/// The first local minute after `wall`'s minute at which the crontab runs.
fn next_wall_time(masks: &Masks, wall: NaiveDateTime) -> Option<NaiveDateTime> {
    let today = wall.date();
    if masks.runs_on(today) {
        let mut hour = first_from(masks.hour, wall.hour());
        while let Some(h) = hour {
            let from = if h == wall.hour() { wall.minute() + 1 } else { 0 };
            if let Some(m) = first_from(masks.minute, from) {
                return today.and_hms_opt(h, m, 0);
            }
            hour = first_from(masks.hour, h + 1);
        }
    }
    let (h, m) = (first_from(masks.hour, 0)?, first_from(masks.minute, 0)?);
    today.iter_days().skip(1).take(CALENDAR_CYCLE_DAYS as usize).find(|d| masks.runs_on(*d))?.and_hms_opt(h, m, 0)
}

/// The instant Python gives a local time in `tz` with `fold=0`: the first
/// of two, and in a gap the time read with the offset that held before it.
fn first_instant(tz: Tz, wall: NaiveDateTime) -> DateTime<Tz> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
        LocalResult::None => {
            // A day before the gap's wall time is before the transition.
            let before = tz.offset_from_utc_datetime(&(wall - Duration::days(1))).fix();
            tz.from_utc_datetime(&(wall - Duration::seconds(before.local_minus_utc().into())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::celery::parse_schedule;

    fn runs(kwargs: &str, tz: &str, at: &str, count: usize) -> Vec<String> {
        let doc = format!(r#"{{"t": {kwargs}}}"#);
        let tab = parse_schedule(doc.as_bytes()).unwrap().remove(0).1.unwrap();
        let at = DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&Utc);
        next_runs(&tab, tz.parse().unwrap(), at, count).unwrap().iter().map(|t| t.to_rfc3339()).collect()
    }

    #[test]
    fn sunday_is_day_zero() {
        // 2026-01-04 is a Sunday.
        assert_eq!(
            runs(r#"{"minute": 0, "hour": 0, "day_of_week": 0}"#, "UTC", "2026-01-01T00:00:00Z", 1),
            ["2026-01-04T00:00:00+00:00"]
        );
        assert_eq!(
            runs(r#"{"minute": 0, "hour": 0, "day_of_week": "sun"}"#, "UTC", "2026-01-01T00:00:00Z", 1),
            ["2026-01-04T00:00:00+00:00"]
        );
    }

    #[test]
    fn day_of_month_and_day_of_week_must_both_match() {
        // The 13th that is a Friday: February and March 2026, then November.
        let friday_13th = r#"{"minute": 0, "hour": 0, "day_of_month": 13, "day_of_week": "fri"}"#;
        assert_eq!(
            runs(friday_13th, "UTC", "2026-01-01T00:00:00Z", 3),
            ["2026-02-13T00:00:00+00:00", "2026-03-13T00:00:00+00:00", "2026-11-13T00:00:00+00:00"]
        );
    }

    #[test]
    fn wrap_around_weekdays() {
        // Thursday 2026-01-01: then Fri, Sat, Sun, Mon, and Fri again.
        assert_eq!(
            runs(r#"{"minute": 0, "hour": 12, "day_of_week": "fri-mon"}"#, "UTC", "2026-01-01T00:00:00Z", 5),
            [
                "2026-01-02T12:00:00+00:00",
                "2026-01-03T12:00:00+00:00",
                "2026-01-04T12:00:00+00:00",
                "2026-01-05T12:00:00+00:00",
                "2026-01-09T12:00:00+00:00"
            ]
        );
    }

    #[test]
    fn february_29th_waits_for_a_leap_year() {
        assert_eq!(
            runs(
                r#"{"minute": 0, "hour": 0, "day_of_month": 29, "month_of_year": 2}"#,
                "UTC",
                "2026-01-01T00:00:00Z",
                2
            ),
            ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]
        );
    }

    #[test]
    fn strictly_after_the_start_minute() {
        let every_minute = r#"{}"#;
        assert_eq!(
            runs(every_minute, "UTC", "2026-01-01T00:00:00Z", 2),
            ["2026-01-01T00:01:00+00:00", "2026-01-01T00:02:00+00:00"]
        );
        assert_eq!(runs(every_minute, "UTC", "2026-01-01T00:00:59Z", 1), ["2026-01-01T00:01:00+00:00"]);
        // Hours then minutes roll over within the day.
        assert_eq!(
            runs(r#"{"minute": "10,50", "hour": "1,3"}"#, "UTC", "2026-01-01T01:50:00Z", 2),
            ["2026-01-01T03:10:00+00:00", "2026-01-01T03:50:00+00:00"]
        );
    }

    #[test]
    fn times_in_a_zone_with_daylight_saving() {
        // Brussels springs forward at 02:00 on 2026-03-29: 02:30 runs at 03:30 summer time.
        assert_eq!(
            runs(r#"{"minute": 30, "hour": 2}"#, "Europe/Brussels", "2026-03-28T00:00:00Z", 3),
            ["2026-03-28T02:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"]
        );
        // Brussels falls back at 03:00 on 2026-10-25: the repeated hour runs once.
        assert_eq!(
            runs(r#"{"minute": "0,30", "hour": 2}"#, "Europe/Brussels", "2026-10-24T12:00:00Z", 3),
            ["2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:00:00+01:00"]
        );
        // Started inside the second 02:xx, the rest of that hour is past for Celery.
        assert_eq!(
            runs(r#"{"minute": "*/20", "hour": 2}"#, "Europe/Brussels", "2026-10-25T01:10:00Z", 1),
            ["2026-10-26T02:00:00+01:00"]
        );
    }
}
