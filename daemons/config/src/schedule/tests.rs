//! Unit tests of the `Run =` grammar and its evaluation.
//!
//! Every expansion table below was written from the grammar of features.md §3 and a printed
//! calendar, not from the implementation. DST is tested with [`Berlin`], a small
//! `chrono::TimeZone` implementing the EU rules (CET/CEST, switching at 01:00 UTC on the last
//! Sundays of March and October), so no tz database crate is needed.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::*;

// ---------------------------------------------------------------------------------------------
// Helpers

fn run(line: &str) -> RunSpec {
    parse_run(line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn err(line: &str) -> String {
    match parse_run(line) {
        Ok(r) => panic!("{line}: expected an error, got {r:?}"),
        Err(e) => e,
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap()
}

fn ndt(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, mi, 0).unwrap()
}

/// All firings of one line in [from, to) in UTC, as (y, m, d, h, mi).
fn fires(line: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(i32, u32, u32, u32, u32)> {
    runs_between(&[run(line)], from, to, &Utc).into_iter().map(|(t, _)| parts(&t.naive_utc())).collect()
}

fn parts(t: &NaiveDateTime) -> (i32, u32, u32, u32, u32) {
    (t.year(), t.month(), t.day(), t.hour(), t.minute())
}

/// Expected firings: `days` of month `m` of year `y`, at h:mi.
fn on_days(y: i32, m: u32, days: &[u32], h: u32, mi: u32) -> Vec<(i32, u32, u32, u32, u32)> {
    days.iter().map(|d| (y, m, *d, h, mi)).collect()
}

fn bits<I: IntoIterator<Item = u32>>(it: I) -> u64 {
    it.into_iter().fold(0, |m, b| m | (1 << b))
}

/// Europe/Berlin with the EU rules.
#[derive(Debug, Clone, Copy)]
struct Berlin;

impl Berlin {
    fn last_sunday_0100_utc(y: i32, m: u32) -> NaiveDateTime {
        let mut d = NaiveDate::from_ymd_opt(y, m, 31).unwrap();
        while d.weekday() != chrono::Weekday::Sun {
            d = d.pred_opt().unwrap();
        }
        d.and_hms_opt(1, 0, 0).unwrap()
    }
    fn cet() -> FixedOffset {
        FixedOffset::east_opt(3600).unwrap()
    }
    fn cest() -> FixedOffset {
        FixedOffset::east_opt(7200).unwrap()
    }
}

impl TimeZone for Berlin {
    type Offset = FixedOffset;
    fn from_offset(_: &FixedOffset) -> Self {
        Berlin
    }
    fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<FixedOffset> {
        self.offset_from_local_datetime(&local.and_hms_opt(12, 0, 0).unwrap())
    }
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<FixedOffset> {
        // Earliest instant first: CEST (+2) gives the earlier UTC time.
        let valid: Vec<FixedOffset> = [Berlin::cest(), Berlin::cet()]
            .into_iter()
            .filter(|off| self.offset_from_utc_datetime(&(*local - Duration::seconds(off.local_minus_utc().into()))) == *off)
            .collect();
        match valid.as_slice() {
            [a] => LocalResult::Single(*a),
            [a, b] => LocalResult::Ambiguous(*a, *b),
            _ => LocalResult::None,
        }
    }
    fn offset_from_utc_date(&self, utc: &NaiveDate) -> FixedOffset {
        self.offset_from_utc_datetime(&utc.and_hms_opt(12, 0, 0).unwrap())
    }
    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
        let start = Berlin::last_sunday_0100_utc(utc.year(), 3);
        let end = Berlin::last_sunday_0100_utc(utc.year(), 10);
        if *utc >= start && *utc < end { Berlin::cest() } else { Berlin::cet() }
    }
}

fn berlin(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Berlin> {
    Berlin.from_local_datetime(&ndt(y, m, d, h, mi)).single().unwrap()
}

/// Firings in Berlin, as UTC parts.
fn fires_berlin(line: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(i32, u32, u32, u32, u32)> {
    runs_between(&[run(line)], from.with_timezone(&Berlin), to.with_timezone(&Berlin), &Berlin)
        .into_iter()
        .map(|(t, _)| parts(&t.naive_utc()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Parse tables

#[test]
fn defaults_every_hour() {
    let r = run("");
    assert_eq!(r, RunSpec::default());
    assert_eq!((r.hours, r.minute), (ALL_HOURS, 0));
    assert_eq!(r.days_of_month, bits(1..=31) as u32);
    assert_eq!(r.months, bits(1..=12) as u16);
    assert_eq!(r.weekdays, 0x7f);
    assert_eq!(r.weeks_of_month, 0x1f);
    assert_eq!(r.weeks_of_year, bits(0..=53));
    assert!(!r.last_7_days && r.level.is_none());
    // A level only: still every hour.
    let f = run("Full");
    assert_eq!(f.level, Some(JobLevel::Full));
    assert_eq!(RunSpec { level: None, ..f }, RunSpec::default());
}

#[test]
fn stock_weekly_cycle_masks() {
    let r = run("Full 1st sat at 21:00");
    assert_eq!(r.level, Some(JobLevel::Full));
    assert_eq!((r.hours, r.minute), (1 << 21, 0));
    assert_eq!(r.weekdays, 1 << 6);
    assert_eq!(r.weeks_of_month, 1);
    assert_eq!(r.days_of_month, ALL_DAYS_OF_MONTH);
    let d = run("Differential 2nd-5th sat at 21:00");
    assert_eq!(d.level, Some(JobLevel::Differential));
    assert_eq!(d.weeks_of_month, 0b11110);
    let i = run("Incremental mon-fri at 21:00");
    assert_eq!(i.level, Some(JobLevel::Incremental));
    assert_eq!(i.weekdays, 0b0111110);
}

#[test]
fn old_style_levels() {
    for (word, level) in [
        ("Full", JobLevel::Full),
        ("incremental", JobLevel::Incremental),
        ("DIFFERENTIAL", JobLevel::Differential),
        ("Since", JobLevel::Since),
        ("VirtualFull", JobLevel::VirtualFull),
        ("Base", JobLevel::Base),
        ("InitCatalog", JobLevel::InitCatalog),
        ("Catalog", JobLevel::VerifyCatalog),
        ("VolumeToCatalog", JobLevel::VolumeToCatalog),
        ("DiskToCatalog", JobLevel::DiskToCatalog),
        ("Data", JobLevel::Data),
    ] {
        assert_eq!(run(&format!("{word} at 1:00")).level, Some(level), "{word}");
        assert_eq!(run(&format!("Level={word} at 1:00")).level, Some(level), "Level={word}");
    }
}

#[test]
fn overrides() {
    let r = run(
        "Level=Full Pool=Monthly FullPool=F IncrementalPool=I DifferentialPool=D NextPool=N Storage=S Messages=M \
         Priority=7 SpoolData=yes Accurate=no MaxRunSchedTime=\"1 hour 30 min\" 1st sun at 2:05",
    );
    assert_eq!(r.level, Some(JobLevel::Full));
    assert_eq!(r.pool.as_deref(), Some("Monthly"));
    assert_eq!(r.full_pool.as_deref(), Some("F"));
    assert_eq!(r.incremental_pool.as_deref(), Some("I"));
    assert_eq!(r.differential_pool.as_deref(), Some("D"));
    assert_eq!(r.next_pool.as_deref(), Some("N"));
    assert_eq!(r.storage.as_deref(), Some("S"));
    assert_eq!(r.messages.as_deref(), Some("M"));
    assert_eq!(r.priority, Some(7));
    assert_eq!(r.spool_data, Some(true));
    assert_eq!(r.accurate, Some(false));
    assert_eq!(r.max_run_sched_time, Some(5400));
    assert_eq!((r.hours, r.minute, r.weekdays, r.weeks_of_month), (1 << 2, 5, 1, 1));
    // Keywords are case-insensitive; `=` may be spaced; overrides and bare levels mix.
    let r = run("pool = P incremental LEVEL=differential priority=0 spooldata=no accurate=yes at 3:00");
    assert_eq!(r.pool.as_deref(), Some("P"));
    assert_eq!(r.level, Some(JobLevel::Differential));
    assert_eq!(r.priority, None, "Priority=0 is no override");
    assert_eq!((r.spool_data, r.accurate), (Some(false), Some(true)));
    // Quoted names.
    assert_eq!(run("Pool=\"My Pool\" at 1:00").pool.as_deref(), Some("My Pool"));
}

#[test]
fn day_tokens() {
    let r = run("on 1 at 2:05");
    assert_eq!(r, run("1 at 2:05"), "on is noise");
    assert_eq!((r.days_of_month, r.hours, r.minute), (1 << 1, 1 << 2, 5));
    assert_eq!(run("1 15, 31").days_of_month, bits([1, 15, 31]) as u32);
    assert_eq!(run("2-31").days_of_month, bits(2..=31) as u32);
    assert_eq!(run("25-5").days_of_month, bits((25..=31).chain(1..=5)) as u32);
    assert_eq!(run("5-5").days_of_month, ALL_DAYS_OF_MONTH, "equal ends wrap around (Bareos)");
    assert_eq!(run("1/2").days_of_month, bits((1..=31).step_by(2)) as u32);
    assert_eq!(run("2/2").days_of_month, bits((2..=30).step_by(2)) as u32);
    assert_eq!(run("3/7").days_of_month, bits([3, 10, 17, 24, 31]) as u32);
    assert_eq!(run("1/1").days_of_month, ALL_DAYS_OF_MONTH);
    assert_eq!(run("1 2/2").days_of_month, bits([1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]) as u32);
}

#[test]
fn weekday_month_position_tokens() {
    assert_eq!(run("sun").weekdays, 1);
    assert_eq!(run("MON tuesday, Wed").weekdays, 0b1110);
    assert_eq!(run("thu friday saturday sunday").weekdays, 0b1110001);
    assert_eq!(run("mon-fri").weekdays, 0b0111110);
    assert_eq!(run("fri-mon").weekdays, 0b1100011);
    assert_eq!(run("sat-sun").weekdays, 0b1000001);
    assert_eq!(run("jan").months, 1 << 1);
    assert_eq!(run("january february march april may june").months, bits(1..=6) as u16);
    assert_eq!(run("july august september october november december").months, bits(7..=12) as u16);
    assert_eq!(run("jul aug sep oct nov dec").months, bits(7..=12) as u16);
    assert_eq!(run("jan-mar jun").months, bits([1, 2, 3, 6]) as u16);
    assert_eq!(run("nov-feb").months, bits([11, 12, 1, 2]) as u16);
    assert_eq!(run("1st").weeks_of_month, 1);
    assert_eq!(run("first second third fourth fifth").weeks_of_month, 0x1f);
    assert_eq!(run("2nd 4th").weeks_of_month, 0b1010);
    assert_eq!(run("5th-2nd").weeks_of_month, 0b10011);
    let l = run("last fri");
    assert!(l.last_7_days);
    assert_eq!((l.weeks_of_month, l.weekdays), (0, 1 << 5));
    let l = run("1st last sat");
    assert!(l.last_7_days);
    assert_eq!(l.weeks_of_month, 1);
    assert_eq!(run("last 1st sat"), run("1st last sat"));
}

#[test]
fn week_of_year_tokens() {
    assert_eq!(run("w00").weeks_of_year, 1);
    assert_eq!(run("w53 W01").weeks_of_year, bits([53, 1]));
    assert_eq!(run("w10-w12").weeks_of_year, bits(10..=12));
    assert_eq!(run("w50-w02").weeks_of_year, bits((50..=53).chain(0..=2)));
    assert_eq!(run("w03/w05").weeks_of_year, bits([3, 8, 13, 18, 23, 28, 33, 38, 43, 48, 53]));
    assert_eq!(run("w01/w02").weeks_of_year, bits((1..=53).step_by(2)));
    assert_eq!(run("w00/w02").weeks_of_year, bits((0..=52).step_by(2)));
}

#[test]
fn time_tokens() {
    let t = |s: &str| {
        let r = run(s);
        (r.hour_list(), r.minute)
    };
    assert_eq!(t("at 21:00"), (vec![21], 0));
    assert_eq!(t("at 0:05"), (vec![0], 5));
    assert_eq!(t("at 09:30"), (vec![9], 30));
    assert_eq!(t("at 12:00am"), (vec![0], 0));
    assert_eq!(t("at 12:15AM"), (vec![0], 15));
    assert_eq!(t("at 12:00pm"), (vec![12], 0));
    assert_eq!(t("at 12:45pm"), (vec![12], 45));
    assert_eq!(t("at 1:05pm"), (vec![13], 5));
    assert_eq!(t("at 11:59PM"), (vec![23], 59));
    assert_eq!(t("at 1:00am"), (vec![1], 0));
    // Several times: hours add up, the last minute wins; `at` stays in force.
    assert_eq!(t("at 1:00, 13:30"), (vec![1, 13], 30));
    assert_eq!(t("at 1:00 at 2:15"), (vec![1, 2], 15));
    // hourly keeps every hour even after `at`.
    assert_eq!(t("hourly at 0:05"), ((0..24).collect(), 5));
    assert_eq!(t("at 0:05 hourly"), ((0..24).collect(), 5));
    assert_eq!(t("Level=Full hourly"), ((0..24).collect(), 0));
}

#[test]
fn reset_keywords() {
    assert_eq!(run("daily"), RunSpec::default());
    assert_eq!(run("weekly"), RunSpec::default());
    assert_eq!(run("monthly"), RunSpec::default());
    assert_eq!(run("hourly"), RunSpec::default());
    assert_eq!(run("mon daily").weekdays, ALL_WEEKDAYS);
    assert_eq!(run("1st 5 w03 weekly"), RunSpec::default());
    assert_eq!(run("jan monthly").months, ALL_MONTHS);
    assert_eq!(run("daily at 2:00").hour_list(), vec![2]);
}

#[test]
fn parse_errors() {
    for (line, expect) in [
        ("32", "Day number out of range (1-31): 32"),
        ("on 0 at 1:00", "Day number out of range (1-31): 0"),
        ("99999999999999", "Day number out of range (1-31)"),
        ("w54", "Week number out of range (0-53): w54"),
        ("w01-w54", "Week number out of range (0-53): w01-w54"),
        ("funday", "Job type field: funday in run record not found"),
        ("w5", "Job type field: w5 in run record not found"),
        ("at 21:00 Full", "Job type field: Full in run record not found"),
        ("mon-fri at 21:00 Pool=X", "Job type field: Pool in run record not found"),
        ("21:00", "Time must be preceded by keyword AT: 21:00"),
        ("mon 9:00", "Time must be preceded by keyword AT"),
        ("at 24:00", "Bad time specification: 24:00"),
        ("at 9:5", "Bad time specification: 9:5"),
        ("at 9:60", "Bad time specification: 9:60"),
        ("at 13:00pm", "Bad time specification: 13:00pm"),
        ("at 9:00xm", "Bad time specification: 9:00xm"),
        ("at :30", "Bad time specification: :30"),
        ("at 9:005", "Bad time specification: 9:005"),
        ("mon-mon", "Invalid month, weekday or position range: mon-mon"),
        ("mon-jan", "Invalid month, weekday or position range: mon-jan"),
        ("1st-fri", "Invalid month, weekday or position range"),
        ("foo-mon", "Invalid month, week or position day range: foo-mon"),
        ("last-fri", "Invalid month, week or position day range"),
        ("0-5", "Bad day range specification: 0-5"),
        ("25-32", "Bad day range specification: 25-32"),
        ("5/2", "Bad day specification, offset must always be <= than modulo: 5/2"),
        ("1/0", "Bad day specification in modulo: 1/0"),
        ("1/31", "Bad day specification in modulo: 1/31"),
        ("w05/w03", "Bad week number specification in modulo, offset must always be <= than modulo: w05/w03"),
        ("w00/w00", "Week interval out of range (1-53) in modulo: w00/w00"),
        ("w54/w54", "Week number out of range (0-53) in modulo: w54/w54"),
        ("1/x", "Bad modulo time specification"),
        ("Level=Foo", "Job level field: Foo not found in run record"),
        ("Pool Full", "Expected an equals, got: Full"),
        ("Pool", "Expected an equals, got: end of line"),
        ("Pool=", "Expected a value for Pool, got: end of line"),
        ("Priority=-1", "expected a positive integer number, got: -1"),
        ("Priority=abc", "expected a positive integer number, got: abc"),
        ("SpoolData=maybe", "Expect a YES or NO; got: maybe"),
        ("Accurate=maybe", "Expect YES or NO, got: maybe"),
        ("MaxRunSchedTime=30min at 1:00", "MaxRunSchedTime expects a quoted string, got: 30min"),
        ("MaxRunSchedTime=\"soon\"", "expected a time period, got: soon"),
        ("Level=Full = at 1:00", "Unexpected token: ="),
        ("Pool=\"x", "Unterminated quoted string"),
    ] {
        let e = err(line);
        assert!(e.contains(expect), "{line}: got {e:?}, want {expect:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers

#[test]
fn calendar_helpers() {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    // 2026: 4 Jan is a Sunday, so week 1 starts Mon 29 Dec 2025.
    assert_eq!(week_of_year(d(2026, 1, 1)), 1);
    assert_eq!(week_of_year(d(2026, 1, 4)), 1);
    assert_eq!(week_of_year(d(2026, 1, 5)), 2);
    assert_eq!(week_of_year(d(2026, 1, 12)), 3);
    assert_eq!(week_of_year(d(2026, 12, 27)), 52);
    assert_eq!(week_of_year(d(2026, 12, 28)), 53);
    assert_eq!(week_of_year(d(2026, 12, 31)), 53);
    // 2027: 4 Jan is a Monday; 1-3 Jan are week 0 (ISO: week 53 of 2026).
    assert_eq!(week_of_year(d(2027, 1, 1)), 0);
    assert_eq!(week_of_year(d(2027, 1, 3)), 0);
    assert_eq!(week_of_year(d(2027, 1, 4)), 1);
    // 2025: 29-31 Dec are counted on as week 53 (ISO: week 1 of 2026).
    assert_eq!(week_of_year(d(2025, 12, 28)), 52);
    assert_eq!(week_of_year(d(2025, 12, 29)), 53);
    assert_eq!(week_of_month(d(2026, 1, 7)), 1);
    assert_eq!(week_of_month(d(2026, 1, 8)), 2);
    assert_eq!(week_of_month(d(2026, 1, 29)), 5);
    assert_eq!(days_in_month(d(2028, 2, 1)), 29);
    assert_eq!(days_in_month(d(2026, 2, 1)), 28);
    assert_eq!(days_in_month(d(2026, 12, 5)), 31);
    assert!(in_last_7_days(d(2028, 2, 23)) && !in_last_7_days(d(2028, 2, 22)));
    assert!(in_last_7_days(d(2026, 2, 22)) && !in_last_7_days(d(2026, 2, 21)));
}

#[test]
fn matches_wall_time() {
    let full = run("Full 1st sat at 21:00");
    assert!(full.matches(ndt(2026, 1, 3, 21, 0)));
    assert!(!full.matches(ndt(2026, 1, 3, 21, 1)));
    assert!(!full.matches(ndt(2026, 1, 3, 20, 0)));
    assert!(!full.matches(ndt(2026, 1, 10, 21, 0)));
    assert!(full.matches_hour(ndt(2026, 1, 3, 21, 42)));
    let diff = run("Differential 2nd-5th sat at 21:00");
    assert!(diff.matches(ndt(2026, 1, 31, 21, 0)));
    assert!(!diff.matches(ndt(2026, 1, 3, 21, 0)));
    let every = run("");
    assert!(every.matches(ndt(2026, 7, 14, 5, 0)) && !every.matches(ndt(2026, 7, 14, 5, 30)));
}

// ---------------------------------------------------------------------------------------------
// Expansion tables (UTC)

#[test]
fn weekly_cycle_jan_to_mar_2026() {
    let from = utc(2026, 1, 1, 0, 0);
    let to = utc(2026, 4, 1, 0, 0);
    let lines = ["Full 1st sat at 21:00", "Differential 2nd-5th sat at 21:00", "Incremental mon-fri at 21:00"];
    // Full: the first Saturday of each month.
    let mut want = on_days(2026, 1, &[3], 21, 0);
    want.extend(on_days(2026, 2, &[7], 21, 0));
    want.extend(on_days(2026, 3, &[7], 21, 0));
    assert_eq!(fires(lines[0], from, to), want);
    // Differential: the other Saturdays; January 2026 has a 5th Saturday (31st).
    let mut want = on_days(2026, 1, &[10, 17, 24, 31], 21, 0);
    want.extend(on_days(2026, 2, &[14, 21, 28], 21, 0));
    want.extend(on_days(2026, 3, &[14, 21, 28], 21, 0));
    assert_eq!(fires(lines[1], from, to), want);
    // Incremental: Monday to Friday.
    let mut want = on_days(2026, 1, &[1, 2, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30], 21, 0);
    want.extend(on_days(2026, 2, &[2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27], 21, 0));
    want.extend(on_days(2026, 3, &[2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 30, 31], 21, 0));
    assert_eq!(fires(lines[2], from, to), want);

    // Together: sorted by time, run index attached; one run per evening.
    let specs: Vec<RunSpec> = lines.iter().map(|l| run(l)).collect();
    let all = runs_between(&specs, from, to, &Utc);
    assert_eq!(all.len(), 3 + 10 + 64);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    let jan = |d| utc(2026, 1, d, 21, 0);
    assert_eq!(&all[..4], &[(jan(1), 2), (jan(2), 2), (jan(3), 0), (jan(5), 2)]);
    assert_eq!(all.iter().find(|(t, _)| *t == jan(31)).map(|x| x.1), Some(1));
}

#[test]
fn weekly_cycle_fifth_saturday_months() {
    // May 2026: Saturdays 2, 9, 16, 23, 30. August 2026: 1, 8, 15, 22, 29.
    let full = "Full 1st sat at 21:00";
    let diff = "Differential 2nd-5th sat at 21:00";
    assert_eq!(fires(full, utc(2026, 5, 1, 0, 0), utc(2026, 6, 1, 0, 0)), on_days(2026, 5, &[2], 21, 0));
    assert_eq!(fires(diff, utc(2026, 5, 1, 0, 0), utc(2026, 6, 1, 0, 0)), on_days(2026, 5, &[9, 16, 23, 30], 21, 0));
    assert_eq!(fires(full, utc(2026, 8, 1, 0, 0), utc(2026, 9, 1, 0, 0)), on_days(2026, 8, &[1], 21, 0));
    assert_eq!(fires(diff, utc(2026, 8, 1, 0, 0), utc(2026, 9, 1, 0, 0)), on_days(2026, 8, &[8, 15, 22, 29], 21, 0));
}

#[test]
fn last_friday() {
    let got = fires("Level=Full last fri at 21:00", utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
    let want: Vec<_> = [(1, 30), (2, 27), (3, 27), (4, 24), (5, 29), (6, 26), (7, 31), (8, 28), (9, 25), (10, 30), (11, 27), (12, 25)]
        .into_iter()
        .map(|(m, d)| (2026, m, d, 21, 0))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn last_sunday_in_45_day_preview() {
    // The system test: a `last sun` job must appear in a 45-day preview, from any start.
    let r = run("Level=Full last sun at 3:00");
    for start_day in 0..60 {
        let from = utc(2026, 1, 1, 0, 0) + Duration::days(start_day);
        assert!(!runs_between(std::slice::from_ref(&r), from, from + Duration::days(45), &Utc).is_empty(), "{from}");
    }
}

#[test]
fn hourly_at_minutes() {
    let got = fires("Level=Full hourly at 0:05", utc(2026, 6, 1, 0, 0), utc(2026, 6, 2, 0, 0));
    assert_eq!(got, (0..24).map(|h| (2026, 6, 1, h, 5)).collect::<Vec<_>>());
    // Six lines, :05 … :55: every ten minutes.
    let specs: Vec<RunSpec> = [5, 15, 25, 35, 45, 55].iter().map(|m| run(&format!("Level=Full hourly at 0:{m:02}"))).collect();
    let all = runs_between(&specs, utc(2026, 6, 1, 0, 0), utc(2026, 6, 1, 2, 0), &Utc);
    let mins: Vec<(u32, u32, usize)> = all.iter().map(|(t, i)| (t.hour(), t.minute(), *i)).collect();
    assert_eq!(
        mins,
        vec![
            (0, 5, 0),
            (0, 15, 1),
            (0, 25, 2),
            (0, 35, 3),
            (0, 45, 4),
            (0, 55, 5),
            (1, 5, 0),
            (1, 15, 1),
            (1, 25, 2),
            (1, 35, 3),
            (1, 45, 4),
            (1, 55, 5)
        ]
    );
}

#[test]
fn odd_and_even_days() {
    // February 2028 has 29 days.
    let from = utc(2028, 2, 1, 0, 0);
    let to = utc(2028, 3, 3, 0, 0);
    let mut odd = on_days(2028, 2, &[1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29], 23, 10);
    odd.extend(on_days(2028, 3, &[1], 23, 10));
    assert_eq!(fires("1/2 at 23:10", from, to), odd);
    let mut even = on_days(2028, 2, &[2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28], 23, 10);
    even.extend(on_days(2028, 3, &[2], 23, 10));
    assert_eq!(fires("2/2 at 23:10", from, to), even);
    // 31 is odd and 30 even: January 2026 ends with 29, 31 / 30.
    assert_eq!(fires("1/2 at 23:10", utc(2026, 1, 28, 0, 0), utc(2026, 2, 2, 0, 0)), vec![
        (2026, 1, 29, 23, 10),
        (2026, 1, 31, 23, 10),
        (2026, 2, 1, 23, 10)
    ]);
}

#[test]
fn week_modulo() {
    // w03/w05: weeks 3, 8, 13 … 53. In 2026 week 1 starts Mon 29 Dec 2025, so week 3 is
    // 12-18 Jan, week 8 is 16-22 Feb, week 13 is 23-29 Mar; every day of those weeks.
    let got = fires("w03/w05 at 23:10", utc(2026, 1, 1, 0, 0), utc(2026, 4, 1, 0, 0));
    let mut want = on_days(2026, 1, &[12, 13, 14, 15, 16, 17, 18], 23, 10);
    want.extend(on_days(2026, 2, &[16, 17, 18, 19, 20, 21, 22], 23, 10));
    want.extend(on_days(2026, 3, &[23, 24, 25, 26, 27, 28, 29], 23, 10));
    assert_eq!(got, want);
    // w01/w02 (odd weeks), Mondays only, January 2026: weeks 1 (29 Dec-4 Jan), 3, 5.
    let got = fires("w01/w02 mon at 23:10", utc(2026, 1, 1, 0, 0), utc(2026, 2, 1, 0, 0));
    assert_eq!(got, on_days(2026, 1, &[12, 26], 23, 10));
}

#[test]
fn week_53_and_week_0() {
    let from = utc(2026, 12, 20, 0, 0);
    let to = utc(2027, 1, 10, 0, 0);
    // 2026: 28-31 Dec are week 53. 1-3 Jan 2027 are week 0 (before week 1 of 2027).
    assert_eq!(fires("w53 at 12:00", from, to), on_days(2026, 12, &[28, 29, 30, 31], 12, 0));
    assert_eq!(fires("w00 at 12:00", from, to), on_days(2027, 1, &[1, 2, 3], 12, 0));
    let mut wrap = on_days(2026, 12, &[28, 29, 30, 31], 12, 0);
    wrap.extend(on_days(2027, 1, &[1, 2, 3, 4, 5, 6, 7, 8, 9], 12, 0));
    assert_eq!(fires("w53-w01 at 12:00", from, to), wrap);
    // A week-53 Monday: 29 Dec 2025 (2025 counts on to week 53), 28 Dec 2026, then none in
    // 2027 (its last Monday, 27 Dec, is week 52) …
    let r = run("w53 mon at 12:00");
    let next = |t| r.next_after(t, &Utc);
    assert_eq!(next(utc(2025, 1, 1, 0, 0)), Some(utc(2025, 12, 29, 12, 0)));
    assert_eq!(next(utc(2025, 12, 29, 12, 0)), Some(utc(2026, 12, 28, 12, 0)));
    let after_2026 = next(utc(2026, 12, 28, 12, 0)).unwrap();
    assert!(after_2026 > utc(2027, 12, 31, 0, 0));
}

#[test]
fn first_of_month_and_wrapping_day_range() {
    let got = fires("Level=Full on 1 at 2:05", utc(2026, 1, 1, 3, 0), utc(2026, 5, 1, 3, 0));
    assert_eq!(got, vec![(2026, 2, 1, 2, 5), (2026, 3, 1, 2, 5), (2026, 4, 1, 2, 5), (2026, 5, 1, 2, 5)]);
    let got = fires("Level=Incremental on 2-31 at 2:05", utc(2026, 2, 25, 0, 0), utc(2026, 3, 4, 0, 0));
    let mut want = on_days(2026, 2, &[25, 26, 27, 28], 2, 5);
    want.extend(on_days(2026, 3, &[2, 3], 2, 5));
    assert_eq!(got, want);
    // 25-5 wraps the month end: 31-day January, 28-day February.
    let got = fires("25-5 at 1:00", utc(2026, 1, 20, 0, 0), utc(2026, 3, 10, 0, 0));
    let mut want = on_days(2026, 1, &[25, 26, 27, 28, 29, 30, 31], 1, 0);
    want.extend(on_days(2026, 2, &[1, 2, 3, 4, 5, 25, 26, 27, 28], 1, 0));
    want.extend(on_days(2026, 3, &[1, 2, 3, 4, 5], 1, 0));
    assert_eq!(got, want);
}

#[test]
fn weekday_range_directions() {
    // Mon 5 - Mon 12 January 2026.
    let from = utc(2026, 1, 5, 0, 0);
    let to = utc(2026, 1, 13, 0, 0);
    assert_eq!(fires("mon-fri at 8:00", from, to), on_days(2026, 1, &[5, 6, 7, 8, 9, 12], 8, 0));
    assert_eq!(fires("fri-mon at 8:00", from, to), on_days(2026, 1, &[5, 9, 10, 11, 12], 8, 0));
    // Month range wrapping the year end.
    let got = fires("nov-feb 1 at 0:30", utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
    assert_eq!(got, vec![(2026, 1, 1, 0, 30), (2026, 2, 1, 0, 30), (2026, 11, 1, 0, 30), (2026, 12, 1, 0, 30)]);
}

#[test]
fn leap_day_and_last_in_february() {
    // Feb 29 exists only in leap years.
    let r = run("feb 29 at 1:00");
    assert_eq!(r.next_after(utc(2026, 1, 1, 0, 0), &Utc), Some(utc(2028, 2, 29, 1, 0)));
    assert_eq!(r.next_after(utc(2028, 2, 29, 1, 0), &Utc), Some(utc(2032, 2, 29, 1, 0)));
    // `last` = the last 7 days: 23-29 Feb 2028, 22-28 Feb 2026.
    assert_eq!(fires("last at 1:00", utc(2028, 2, 1, 0, 0), utc(2028, 3, 1, 0, 0)), on_days(2028, 2, &[23, 24, 25, 26, 27, 28, 29], 1, 0));
    assert_eq!(fires("last at 1:00", utc(2026, 2, 1, 0, 0), utc(2026, 3, 1, 0, 0)), on_days(2026, 2, &[22, 23, 24, 25, 26, 27, 28], 1, 0));
    // Last Friday / Tuesday of February 2028 (Fridays 4, 11, 18, 25; Tuesdays 1 … 29).
    assert_eq!(fires("last fri at 1:00", utc(2028, 2, 1, 0, 0), utc(2028, 3, 1, 0, 0)), on_days(2028, 2, &[25], 1, 0));
    assert_eq!(fires("last tue at 1:00", utc(2028, 2, 1, 0, 0), utc(2028, 3, 1, 0, 0)), on_days(2028, 2, &[29], 1, 0));
    // 5th week (29-31) in February: only in leap years.
    assert_eq!(fires("5th at 1:00", utc(2028, 2, 1, 0, 0), utc(2028, 3, 1, 0, 0)), on_days(2028, 2, &[29], 1, 0));
    assert!(fires("5th at 1:00", utc(2026, 2, 1, 0, 0), utc(2026, 3, 1, 0, 0)).is_empty());
    // Never: 30 February.
    assert_eq!(run("feb 30 at 1:00").next_after(utc(2026, 1, 1, 0, 0), &Utc), None);
    // Never either (week 0 is at most 1-3 January, the 5th week is 29-31), searched day by day.
    let t = std::time::Instant::now();
    assert_eq!(run("w00 5th at 1:00").next_after(utc(2026, 1, 1, 0, 0), &Utc), None);
    assert!(t.elapsed() < std::time::Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn no_time_means_every_hour() {
    let got = fires("Full mon", utc(2026, 1, 4, 0, 0), utc(2026, 1, 7, 0, 0));
    assert_eq!(got, (0..24).map(|h| (2026, 1, 5, h, 0)).collect::<Vec<_>>());
    assert_eq!(fires("", utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0)).len(), 24);
    assert_eq!(fires("Level=Full at 2:05", utc(2026, 1, 1, 0, 0), utc(2026, 1, 4, 0, 0)), vec![
        (2026, 1, 1, 2, 5),
        (2026, 1, 2, 2, 5),
        (2026, 1, 3, 2, 5)
    ]);
}

#[test]
fn twelve_hour_forms_evaluate() {
    let from = utc(2026, 3, 2, 0, 0);
    let to = utc(2026, 3, 3, 0, 0);
    assert_eq!(fires("at 12:00am", from, to), vec![(2026, 3, 2, 0, 0)]);
    assert_eq!(fires("at 12:00pm", from, to), vec![(2026, 3, 2, 12, 0)]);
    assert_eq!(fires("at 1:30pm", from, to), vec![(2026, 3, 2, 13, 30)]);
    // Two times, one minute per line: the last one wins.
    assert_eq!(fires("at 11:45pm, 6:15am", from, to), vec![(2026, 3, 2, 6, 15), (2026, 3, 2, 23, 15)]);
}

#[test]
fn next_after_is_strict_and_window_half_open() {
    let r = run("Incremental mon-fri at 21:00");
    // Friday 21:00 exactly → next Monday.
    assert_eq!(r.next_after(utc(2026, 1, 9, 21, 0), &Utc), Some(utc(2026, 1, 12, 21, 0)));
    assert_eq!(r.next_after(utc(2026, 1, 9, 20, 59), &Utc), Some(utc(2026, 1, 9, 21, 0)));
    let r = std::slice::from_ref(&r);
    assert_eq!(runs_between(r, utc(2026, 1, 9, 21, 0), utc(2026, 1, 12, 21, 0), &Utc), vec![(utc(2026, 1, 9, 21, 0), 0)]);
    assert!(runs_between(r, utc(2026, 1, 12, 0, 0), utc(2026, 1, 9, 0, 0), &Utc).is_empty());
}

#[test]
fn evaluation_in_a_fixed_offset_zone() {
    // 21:00 wall time at UTC+05:30 is 15:30 UTC.
    let tz = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let r = run("Full 1st sat at 21:00");
    let from = tz.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let next = r.next_after(from, &tz).unwrap();
    assert_eq!(next.naive_local(), ndt(2026, 1, 3, 21, 0));
    assert_eq!(next.naive_utc(), ndt(2026, 1, 3, 15, 30));
    // A UTC `after` is converted to the zone for the day walk.
    assert_eq!(r.next_after(utc(2026, 1, 3, 15, 0).with_timezone(&tz), &tz), Some(next));
}

// ---------------------------------------------------------------------------------------------
// DST (Europe/Berlin, 2026: spring forward Sun 29 Mar 02:00 CET → 03:00 CEST, fall back
// Sun 25 Oct 03:00 CEST → 02:00 CET)

#[test]
fn berlin_zone_sanity() {
    assert!(matches!(Berlin.from_local_datetime(&ndt(2026, 3, 29, 2, 30)), LocalResult::None));
    assert!(matches!(Berlin.from_local_datetime(&ndt(2026, 10, 25, 2, 30)), LocalResult::Ambiguous(..)));
    assert_eq!(berlin(2026, 7, 1, 12, 0).naive_utc(), ndt(2026, 7, 1, 10, 0));
    assert_eq!(berlin(2026, 1, 1, 12, 0).naive_utc(), ndt(2026, 1, 1, 11, 0));
}

#[test]
fn dst_spring_forward_gap_fires_after_the_gap() {
    let got = fires_berlin("at 2:30", utc(2026, 3, 27, 12, 0), utc(2026, 3, 31, 0, 0));
    assert_eq!(got, vec![
        (2026, 3, 28, 1, 30), // 02:30 CET
        (2026, 3, 29, 1, 0),  // 02:30 does not exist → 03:00 CEST, the end of the gap
        (2026, 3, 30, 0, 30), // 02:30 CEST
    ]);
    let r = run("at 2:30");
    // From inside the night (01:30 CET), the next run is the end of the gap.
    assert_eq!(r.next_after(berlin(2026, 3, 29, 1, 30), &Berlin).map(|t| t.naive_utc()), Some(ndt(2026, 3, 29, 1, 0)));
    assert_eq!(r.next_after(berlin(2026, 3, 29, 3, 0), &Berlin).map(|t| t.naive_local()), Some(ndt(2026, 3, 30, 2, 30)));
    // Every hour on the short day: 23 firings, 03:00 CEST only once.
    let hourly = fires_berlin("hourly", utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0));
    let want: Vec<_> = (0..=21).map(|h| (2026, 3, 29, h, 0)).chain([(2026, 3, 28, 23, 0)]).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    assert_eq!(hourly, want);
    assert_eq!(hourly.len(), 23);
    // An evening run is unaffected: 21:00 CET then 21:00 CEST.
    assert_eq!(fires_berlin("mon-fri at 21:00", utc(2026, 3, 27, 0, 0), utc(2026, 3, 31, 0, 0)), vec![
        (2026, 3, 27, 20, 0),
        (2026, 3, 30, 19, 0)
    ]);
}

#[test]
fn dst_fall_back_overlap_fires_once() {
    let got = fires_berlin("at 2:30", utc(2026, 10, 23, 12, 0), utc(2026, 10, 27, 0, 0));
    assert_eq!(got, vec![
        (2026, 10, 24, 0, 30), // 02:30 CEST
        (2026, 10, 25, 0, 30), // first 02:30 (CEST) only
        (2026, 10, 26, 1, 30), // 02:30 CET
    ]);
    // next_after the first 02:30 skips the repeated one.
    let r = run("at 2:30");
    let first = Berlin.from_local_datetime(&ndt(2026, 10, 25, 2, 30)).earliest().unwrap();
    assert_eq!(r.next_after(first, &Berlin).map(|t| t.naive_utc()), Some(ndt(2026, 10, 26, 1, 30)));
    // Every hour on the long day: 24 wall hours, 24 firings (none in the repeated hour).
    let hourly = fires_berlin("hourly", utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0));
    let mut want = vec![(2026, 10, 24, 22, 0), (2026, 10, 24, 23, 0), (2026, 10, 25, 0, 0)];
    want.extend((2..=22).map(|h| (2026, 10, 25, h, 0)));
    assert_eq!(hourly, want);
    assert_eq!(hourly.len(), 24);
}

#[test]
fn dst_last_sunday_runs() {
    // `last sun at 2:30`: in March it is the gap day, in October the overlap day.
    let r = run("last sun at 2:30");
    let all = runs_between(std::slice::from_ref(&r), berlin(2026, 1, 1, 0, 0), berlin(2027, 1, 1, 0, 0), &Berlin);
    let local: Vec<NaiveDateTime> = all.iter().map(|(t, _)| t.naive_local()).collect();
    assert_eq!(local.len(), 12);
    assert_eq!(local[2], ndt(2026, 3, 29, 3, 0));
    assert_eq!(local[9], ndt(2026, 10, 25, 2, 30));
    assert_eq!(all[9].0.naive_utc(), ndt(2026, 10, 25, 0, 30));
    assert_eq!(local[0], ndt(2026, 1, 25, 2, 30));
    assert_eq!(local[11], ndt(2026, 12, 27, 2, 30));
}
