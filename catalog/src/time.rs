//! Timestamps as the catalog stores them: local time, `YYYY-MM-DD HH:MM:SS` text.

use chrono::{DateTime, Local, NaiveDateTime};

use crate::error::{CatalogError, Result};

/// The textual timestamp format of every catalog time column.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The current local time as the catalog stores it.
pub fn now_string() -> String {
    Local::now().format(TIME_FORMAT).to_string()
}

/// Unix seconds → local catalog timestamp text (`1970-01-01 00:00:00` style).
pub fn unix_to_string(secs: i64) -> String {
    match DateTime::from_timestamp(secs, 0) {
        Some(utc) => utc.with_timezone(&Local).format(TIME_FORMAT).to_string(),
        None => String::new(),
    }
}

/// Parses a catalog timestamp.
pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), TIME_FORMAT).ok()
}

/// Checks that `text` is a catalog timestamp and returns it normalised.
pub(crate) fn check_time(text: &str) -> Result<String> {
    parse_time(text)
        .map(|t| t.format(TIME_FORMAT).to_string())
        .ok_or_else(|| CatalogError::InvalidTimestamp(text.to_string()))
}

/// `text` plus `secs` seconds (validated), as catalog text.
pub(crate) fn shift_time(text: &str, secs: i64) -> Result<String> {
    parse_time(text)
        .map(|t| {
            (t + chrono::Duration::seconds(secs))
                .format(TIME_FORMAT)
                .to_string()
        })
        .ok_or_else(|| CatalogError::InvalidTimestamp(text.to_string()))
}

/// Now plus `secs` seconds, as catalog text.
pub(crate) fn now_shifted(secs: i64) -> String {
    (Local::now().naive_local() + chrono::Duration::seconds(secs))
        .format(TIME_FORMAT)
        .to_string()
}

/// Like [`check_time`] for optional columns.
pub(crate) fn check_opt_time(text: Option<&str>) -> Result<Option<String>> {
    text.map(check_time).transpose()
}

/// Formats a number of seconds the way PostgreSQL prints an interval, which is what
/// Bareos shows in the `duration` column: `HH:MM:SS`, or `N day(s) HH:MM:SS` from one
/// day on. Negative values are shown as `00:00:00`.
pub fn format_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let hms = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60
    );
    match days {
        0 => hms,
        1 => format!("1 day {hms}"),
        n => format!("{n} days {hms}"),
    }
}

/// Duration of a job from its start and end texts; a job without a (valid) end time, or
/// whose end lies before its start, is measured up to `now` (as Bareos does for running
/// jobs). `None` when the job never started.
pub(crate) fn job_duration(
    start: Option<&str>,
    end: Option<&str>,
    now: NaiveDateTime,
) -> Option<String> {
    let start = parse_time(start?)?;
    let end = match end.and_then(parse_time) {
        Some(e) if e >= start => e,
        _ => now,
    };
    Some(format_duration((end - start).num_seconds()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_below_one_day() {
        assert_eq!(format_duration(0), "00:00:00");
        assert_eq!(format_duration(5), "00:00:05");
        assert_eq!(format_duration(3 * 3600 + 25 * 60 + 7), "03:25:07");
        assert_eq!(format_duration(86_399), "23:59:59");
        assert_eq!(format_duration(-3), "00:00:00");
    }

    #[test]
    fn duration_of_days() {
        assert_eq!(format_duration(86_400), "1 day 00:00:00");
        assert_eq!(
            format_duration(86_400 + 2 * 3600 + 3 * 60 + 4),
            "1 day 02:03:04"
        );
        assert_eq!(format_duration(3 * 86_400 + 59), "3 days 00:00:59");
    }

    #[test]
    fn job_duration_from_texts() {
        let now = parse_time("2026-03-05 00:00:00").expect("valid");
        assert_eq!(
            job_duration(
                Some("2026-03-04 10:00:01"),
                Some("2026-03-04 10:00:06"),
                now
            )
            .as_deref(),
            Some("00:00:05")
        );
        // running: measured to now
        assert_eq!(
            job_duration(Some("2026-03-03 23:00:00"), None, now).as_deref(),
            Some("1 day 01:00:00")
        );
        // end before start: measured to now
        assert_eq!(
            job_duration(
                Some("2026-03-04 23:00:00"),
                Some("2026-03-04 22:00:00"),
                now
            )
            .as_deref(),
            Some("01:00:00")
        );
        assert_eq!(job_duration(None, None, now), None);
    }

    #[test]
    fn timestamps_validate() {
        assert_eq!(
            check_time("2026-03-04 10:00:01").ok().as_deref(),
            Some("2026-03-04 10:00:01")
        );
        assert!(check_time("2026-03-04T10:00:01").is_err());
        assert!(check_time("yesterday").is_err());
        assert_eq!(unix_to_string(0).len(), 19);
    }
}
