//! Schedule `Run =` lines: the grammar of features.md §3, the bit masks it builds, and their
//! evaluation against a wall clock in any [`chrono::TimeZone`].
//!
//! ```
//! use cairn_config::schedule::{parse_run, runs_between};
//! use chrono::{TimeZone, Utc};
//! let run = parse_run("Level=Full Pool=Monthly 1st sun at 2:05").unwrap();
//! assert_eq!(run.pool.as_deref(), Some("Monthly"));
//! let next = run.next_after(Utc.with_ymd_and_hms(2026, 3, 1, 3, 0, 0).unwrap(), &Utc).unwrap();
//! assert_eq!(next, Utc.with_ymd_and_hms(2026, 4, 5, 2, 5, 0).unwrap());
//! let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
//! assert_eq!(runs_between(&[run], from, to, &Utc).len(), 12);
//! ```
//!
//! # Masks
//! A [`RunSpec`] starts with every mask full and minute 0 (with no date or time token the
//! line runs every hour at :00). The first token of a kind clears that mask and sets its
//! bit(s); later tokens of the same kind add bits. `at H:MM` clears the hour mask the first
//! time and sets one hour; the minute of the last `at` wins. `hourly`, `daily`, `weekly` and
//! `monthly` set their masks to "every" and count as given, exactly as Bareos does (so
//! `hourly at 0:05` runs every hour at :05; `daily` marks the day-of-month mask as given,
//! Bareos's quirk). Ranges wrap (`fri-mon`, `25-5`, `nov-feb`, `w50-w02`); a numeric range
//! whose ends are equal (`5-5`, `w05-w05`) wraps all the way round and selects everything,
//! as in Bareos; equal name ranges (`mon-mon`) are an error.
//!
//! # Week of year
//! Bareos's `w00`–`w53` are computed within the calendar year: week 1 starts on the Monday
//! of the ISO week that contains 4 January, days before it are week 0, and the count goes
//! on to the end of the year without wrapping. So 29–31 Dec 2025 are week 53 (ISO would say
//! week 1 of 2026) and 1–3 Jan 2027 are week 0 (ISO: week 53 of 2026). See [`week_of_year`].
//!
//! # Evaluation and daylight saving time
//! Runs are evaluated in local wall-clock time of the given time zone: a run fires on every
//! local date whose day masks match, at every hour of its hour mask, at its minute.
//! * A wall time that does not exist (spring-forward gap, e.g. 02:30 on the last Sunday of
//!   March in Europe/Berlin) fires at the first valid instant after the gap (03:00 CEST), so
//!   nightly jobs are not lost. If that instant is also a regular firing of the same Run
//!   line (e.g. `hourly`), it fires once.
//! * A wall time that occurs twice (fall-back overlap) fires once, at its first occurrence.
//!
//! [`RunSpec::next_after`] and [`runs_between`] walk local dates (skipping whole months that
//! the month mask excludes), never hour by hour.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};

use cairn_types::JobLevel;

use crate::value::{parse_bool, parse_duration};

/// Hours 0–23 (bit `h`).
pub const ALL_HOURS: u32 = (1 << 24) - 1;
/// Days of month 1–31 (bit `d`; bit 0 unused).
pub const ALL_DAYS_OF_MONTH: u32 = !1;
/// Months 1–12 (bit `m`; bit 0 unused).
pub const ALL_MONTHS: u16 = ((1 << 12) - 1) << 1;
/// Weekdays, bit 0 = Sunday … bit 6 = Saturday.
pub const ALL_WEEKDAYS: u8 = (1 << 7) - 1;
/// Weeks of month, bit 0 = 1st (days 1–7) … bit 4 = 5th (days 29–31).
pub const ALL_WEEKS_OF_MONTH: u8 = (1 << 5) - 1;
/// Weeks of year 0–53 (bit `w`).
pub const ALL_WEEKS_OF_YEAR: u64 = (1 << 54) - 1;

/// How far [`RunSpec::next_after`] looks ahead before deciding a Run line never fires.
const SEARCH_YEARS: i32 = 400;

/// One parsed `Run =` line: its overrides and its time masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSpec {
    /// `Level=` or a bare level word (old style).
    pub level: Option<JobLevel>,
    pub pool: Option<String>,
    pub full_pool: Option<String>,
    pub incremental_pool: Option<String>,
    pub differential_pool: Option<String>,
    pub next_pool: Option<String>,
    pub storage: Option<String>,
    pub messages: Option<String>,
    /// `Priority=`; `Priority=0` means "no override", as in Bareos.
    pub priority: Option<u32>,
    pub spool_data: Option<bool>,
    pub accurate: Option<bool>,
    /// `MaxRunSchedTime="…"` in seconds.
    pub max_run_sched_time: Option<u64>,
    /// Hours, bit `h` for 0–23.
    pub hours: u32,
    /// Minute of the hour the run starts at (0–59).
    pub minute: u32,
    /// Days of month, bit `d` for 1–31.
    pub days_of_month: u32,
    /// Months, bit `m` for 1–12.
    pub months: u16,
    /// Weekdays, bit 0 = Sunday … bit 6 = Saturday.
    pub weekdays: u8,
    /// Weeks of month, bit 0 = 1st … bit 4 = 5th.
    pub weeks_of_month: u8,
    /// `last`: the last 7 days of the month also match (whatever the week-of-month mask says).
    pub last_7_days: bool,
    /// Weeks of year, bit `w` for 0–53 (see [`week_of_year`]).
    pub weeks_of_year: u64,
}

impl Default for RunSpec {
    /// No overrides, every mask full, minute 0: every hour at :00.
    fn default() -> Self {
        RunSpec {
            level: None,
            pool: None,
            full_pool: None,
            incremental_pool: None,
            differential_pool: None,
            next_pool: None,
            storage: None,
            messages: None,
            priority: None,
            spool_data: None,
            accurate: None,
            max_run_sched_time: None,
            hours: ALL_HOURS,
            minute: 0,
            days_of_month: ALL_DAYS_OF_MONTH,
            months: ALL_MONTHS,
            weekdays: ALL_WEEKDAYS,
            weeks_of_month: ALL_WEEKS_OF_MONTH,
            last_7_days: false,
            weeks_of_year: ALL_WEEKS_OF_YEAR,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers
// ---------------------------------------------------------------------------------------------

/// Number of days of the month of `d`.
pub fn days_in_month(d: NaiveDate) -> u32 {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|n| n.pred_opt()).map_or(31, |l| l.day())
}

/// Bareos's week of year (0–53): week 1 starts on the Monday of the ISO week containing
/// 4 January of the same calendar year, earlier days are week 0, and weeks are counted on
/// to 31 December without wrapping into the next year's week 1.
pub fn week_of_year(d: NaiveDate) -> u32 {
    let Some(jan4) = NaiveDate::from_ymd_opt(d.year(), 1, 4) else { return 0 };
    // 0-based day of year of the Monday of week 1 (may be negative: late December).
    let monday1 = 3 - i64::from(jan4.weekday().num_days_from_monday());
    let diff = i64::from(d.ordinal0()) - monday1;
    if diff < 0 { 0 } else { u32::try_from(1 + diff / 7).unwrap_or(0) }
}

/// Week of month, 1–5: days 1–7, 8–14, 15–21, 22–28, 29–31.
pub fn week_of_month(d: NaiveDate) -> u32 {
    (d.day() - 1) / 7 + 1
}

/// Whether `d` is one of the last 7 days of its month.
pub fn in_last_7_days(d: NaiveDate) -> bool {
    d.day() + 7 > days_in_month(d)
}

fn bit32(mask: u32, n: u32) -> bool {
    n < 32 && mask & (1 << n) != 0
}

// ---------------------------------------------------------------------------------------------
// Matching and evaluation
// ---------------------------------------------------------------------------------------------

impl RunSpec {
    /// Whether hour `h` (0–23) is in the hour mask.
    pub fn has_hour(&self, h: u32) -> bool {
        h < 24 && bit32(self.hours, h)
    }

    /// The hours of the hour mask, ascending.
    pub fn hour_list(&self) -> Vec<u32> {
        (0..24).filter(|h| self.has_hour(*h)).collect()
    }

    /// Whether the run fires on this local date (day of month, weekday, month, week of year,
    /// and week of month or `last`).
    pub fn matches_date(&self, d: NaiveDate) -> bool {
        let wom = week_of_month(d) - 1;
        bit32(self.days_of_month, d.day())
            && self.months & (1 << d.month()) != 0
            && self.weekdays & (1 << d.weekday().num_days_from_sunday()) != 0
            && (self.weeks_of_month & (1 << wom) != 0 || (self.last_7_days && in_last_7_days(d)))
            && self.weeks_of_year & (1 << week_of_year(d)) != 0
    }

    /// Bareos's "triggers on day and hour": the date matches and the hour is in the hour mask
    /// (the minute is not looked at).
    pub fn matches_hour(&self, t: NaiveDateTime) -> bool {
        self.has_hour(t.hour()) && self.matches_date(t.date())
    }

    /// Whether the run fires at this local wall-clock minute (seconds are ignored).
    pub fn matches(&self, t: NaiveDateTime) -> bool {
        t.minute() == self.minute && self.matches_hour(t)
    }

    /// The instants at which this run fires on local date `d`, ascending and without
    /// duplicates (see the module notes on DST).
    pub fn instants_on<Tz: TimeZone>(&self, d: NaiveDate, tz: &Tz) -> Vec<DateTime<Tz>> {
        let mut out: Vec<DateTime<Tz>> = Vec::new();
        if !self.matches_date(d) {
            return out;
        }
        for h in self.hour_list() {
            let Some(time) = NaiveTime::from_hms_opt(h, self.minute, 0) else { continue };
            if let Some(t) = resolve_local(tz, d.and_time(time))
                && out.last().is_none_or(|l| *l < t)
            {
                out.push(t);
            }
        }
        out
    }

    /// The first firing strictly after `after`, evaluated in `tz`; `None` when the line
    /// never fires (e.g. `feb 30`) within the next 400 years.
    pub fn next_after<Tz: TimeZone>(&self, after: DateTime<Tz>, tz: &Tz) -> Option<DateTime<Tz>> {
        let start = after.with_timezone(tz).naive_local().date().pred_opt()?;
        let limit = NaiveDate::from_ymd_opt(start.year().checked_add(SEARCH_YEARS)?, 1, 1)?;
        let mut d = start;
        while d < limit {
            if self.months & (1 << d.month()) == 0 {
                d = first_of_next_month(d)?;
                continue;
            }
            if let Some(t) = self.instants_on(d, tz).into_iter().find(|t| *t > after) {
                return Some(t);
            }
            d = d.succ_opt()?;
        }
        None
    }
}

/// Every firing of `runs` with `from <= t < to`, as `(instant, index into runs)`, sorted by
/// instant then index. Each Run line is independent: two lines firing at the same minute
/// both appear.
pub fn runs_between<Tz: TimeZone>(
    runs: &[RunSpec],
    from: DateTime<Tz>,
    to: DateTime<Tz>,
    tz: &Tz,
) -> Vec<(DateTime<Tz>, usize)> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    let (Some(first), Some(last)) = (
        from.with_timezone(tz).naive_local().date().pred_opt(),
        to.with_timezone(tz).naive_local().date().succ_opt(),
    ) else {
        return out;
    };
    for (idx, run) in runs.iter().enumerate() {
        let mut prev: Option<DateTime<Tz>> = None;
        let mut d = first;
        while d <= last {
            if run.months & (1 << d.month()) == 0 {
                match first_of_next_month(d) {
                    Some(n) => d = n,
                    None => break,
                }
                continue;
            }
            for t in run.instants_on(d, tz) {
                if t >= from && t < to && prev.as_ref().is_none_or(|p| *p < t) {
                    prev = Some(t.clone());
                    out.push((t, idx));
                }
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    out
}

fn first_of_next_month(d: NaiveDate) -> Option<NaiveDate> {
    if d.month() == 12 { NaiveDate::from_ymd_opt(d.year() + 1, 1, 1) } else { NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1) }
}

/// Map a local wall time to an instant: the earliest of an ambiguous pair; for a time in a
/// gap, the first valid instant after the gap (searched minute by minute, at most two days).
fn resolve_local<Tz: TimeZone>(tz: &Tz, local: NaiveDateTime) -> Option<DateTime<Tz>> {
    let pick = |r: LocalResult<DateTime<Tz>>| match r {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, b) => Some(if a <= b { a } else { b }),
        LocalResult::None => None,
    };
    if let Some(t) = pick(tz.from_local_datetime(&local)) {
        return Some(t);
    }
    let start = local.with_second(0)?;
    (1..=2 * 24 * 60).find_map(|m| pick(tz.from_local_datetime(&(start + Duration::minutes(m)))))
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word { text: String, quoted: bool },
    Equals,
    Comma,
}

fn describe(t: Option<&Tok>) -> String {
    match t {
        Some(Tok::Word { text, .. }) => text.clone(),
        Some(Tok::Equals) => "=".into(),
        Some(Tok::Comma) => ",".into(),
        None => "end of line".into(),
    }
}

fn tokenize(line: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                out.push(Tok::Equals);
            }
            ',' => {
                chars.next();
                out.push(Tok::Comma);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err("Unterminated quoted string in run record".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e) => s.push(e),
                            None => return Err("Unterminated quoted string in run record".into()),
                        },
                        Some(o) => s.push(o),
                    }
                }
                out.push(Tok::Word { text: s, quoted: true });
            }
            _ => {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '=' | ',' | '"') {
                        break;
                    }
                    s.push(c);
                    chars.next();
                }
                out.push(Tok::Word { text: s, quoted: false });
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Noise,
    At,
    Last,
    Wday(u32),
    Month(u32),
    Wom(u32),
    Hourly,
    Daily,
    Weekly,
    Monthly,
}

fn keyword(word: &str) -> Option<Kind> {
    const WDAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
    const MONTHS: [&str; 12] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
        "december",
    ];
    const WOM: [(&str, &str); 5] = [("1st", "first"), ("2nd", "second"), ("3rd", "third"), ("4th", "fourth"), ("5th", "fifth")];
    let w = word.to_ascii_lowercase();
    match w.as_str() {
        "on" => return Some(Kind::Noise),
        "at" => return Some(Kind::At),
        "last" => return Some(Kind::Last),
        "hourly" => return Some(Kind::Hourly),
        "daily" => return Some(Kind::Daily),
        "weekly" => return Some(Kind::Weekly),
        "monthly" => return Some(Kind::Monthly),
        _ => {}
    }
    for (i, name) in (0u32..).zip(WDAYS) {
        if w == name || w == name[..3] {
            return Some(Kind::Wday(i));
        }
    }
    for (i, name) in (1u32..).zip(MONTHS) {
        if w == name || w == name[..3] {
            return Some(Kind::Month(i));
        }
    }
    for (i, (a, b)) in (0u32..).zip(WOM) {
        if w == a || w == b {
            return Some(Kind::Wom(i));
        }
    }
    None
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `wNN` → NN (three characters, as Bareos requires).
fn week_token(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() == 3 && (b[0] == b'w' || b[0] == b'W') && all_digits(&s[1..]) { s[1..].parse().ok() } else { None }
}

/// Parse `H:MM`, `H:MMam`, `H:MMpm` into (hour, minute).
fn parse_time(tok: &str) -> Result<(u32, u32), String> {
    let bad = || format!("Bad time specification: {tok}");
    let (h, rest) = tok.split_once(':').ok_or_else(bad)?;
    if !all_digits(h) || h.len() > 2 || rest.len() < 2 || !rest.is_char_boundary(2) || !all_digits(&rest[..2]) {
        return Err(bad());
    }
    let mut hour: u32 = h.parse().map_err(|_| bad())?;
    let minute: u32 = rest[..2].parse().map_err(|_| bad())?;
    match rest[2..].to_ascii_lowercase().as_str() {
        "" => {}
        "am" => {
            if hour == 12 {
                hour = 0;
            }
        }
        "pm" => {
            if hour != 12 {
                hour += 12;
            }
        }
        _ => return Err(bad()),
    }
    if hour > 23 || minute > 59 {
        return Err(bad());
    }
    Ok((hour, minute))
}

/// Set bits `a..=b` of a mask wrapping at `max` (bits `min..=max`), Bareos style: `a < b` is a
/// plain range, otherwise `a..=max` plus `min..=b` (so equal ends select everything).
fn wrap_range(a: u32, b: u32, min: u32, max: u32) -> u64 {
    let range = |x: u32, y: u32| (x..=y).fold(0u64, |m, i| m | (1u64 << i));
    if a < b { range(a, b) } else { range(a, max) | range(min, b) }
}

#[derive(Default)]
struct Given {
    hour: bool,
    mday: bool,
    wday: bool,
    month: bool,
    wom: bool,
    woy: bool,
    at: bool,
}

fn set_mday(spec: &mut RunSpec, g: &mut Given, bits: u32) {
    if !g.mday {
        spec.days_of_month = 0;
        g.mday = true;
    }
    spec.days_of_month |= bits;
}
fn set_month(spec: &mut RunSpec, g: &mut Given, bits: u16) {
    if !g.month {
        spec.months = 0;
        g.month = true;
    }
    spec.months |= bits;
}
fn set_wday(spec: &mut RunSpec, g: &mut Given, bits: u8) {
    if !g.wday {
        spec.weekdays = 0;
        g.wday = true;
    }
    spec.weekdays |= bits;
}
fn set_wom(spec: &mut RunSpec, g: &mut Given, bits: u8) {
    if !g.wom {
        spec.weeks_of_month = 0;
        g.wom = true;
    }
    spec.weeks_of_month |= bits;
}
fn set_woy(spec: &mut RunSpec, g: &mut Given, bits: u64) {
    if !g.woy {
        spec.weeks_of_year = 0;
        g.woy = true;
    }
    spec.weeks_of_year |= bits;
}

fn narrow<T: TryFrom<u64> + Default>(bits: u64) -> T {
    T::try_from(bits).unwrap_or_default()
}

/// The override keywords (`Level=` …) of a Run line.
const FIELDS: &[&str] = &[
    "pool",
    "fullpool",
    "incrementalpool",
    "differentialpool",
    "nextpool",
    "level",
    "storage",
    "messages",
    "priority",
    "spooldata",
    "maxrunschedtime",
    "accurate",
];

/// Parse one `Run =` line (the value only, as stored in [`crate::ScheduleRes::runs`]).
/// Errors use Bareos's wording and name the offending token.
pub fn parse_run(line: &str) -> Result<RunSpec, String> {
    let toks = tokenize(line)?;
    let mut spec = RunSpec::default();
    let mut i = 0;

    // Overrides and (old style) bare level words.
    while let Some(Tok::Word { text, .. }) = toks.get(i) {
        let lower = text.to_ascii_lowercase();
        if let Some(field) = FIELDS.iter().find(|f| **f == lower) {
            if toks.get(i + 1) != Some(&Tok::Equals) {
                return Err(format!("Expected an equals, got: {}", describe(toks.get(i + 1))));
            }
            let (value, quoted) = match toks.get(i + 2) {
                Some(Tok::Word { text, quoted }) => (text.as_str(), *quoted),
                other => return Err(format!("Expected a value for {text}, got: {}", describe(other))),
            };
            apply_field(&mut spec, field, value, quoted)?;
            i += 3;
            continue;
        }
        if let Some(level) = JobLevel::from_keyword(text) {
            spec.level = Some(level);
            i += 1;
            continue;
        }
        break;
    }

    // Date and time tokens.
    let mut g = Given::default();
    for tok in &toks[i..] {
        let word = match tok {
            Tok::Comma => continue,
            Tok::Equals => return Err("Unexpected token: = in run record".into()),
            Tok::Word { text, .. } => text.as_str(),
        };
        if all_digits(word) {
            let day = word.parse::<u32>().ok().filter(|d| (1..=31).contains(d));
            let Some(day) = day else { return Err(format!("Day number out of range (1-31): {word}")) };
            set_mday(&mut spec, &mut g, 1 << day);
        } else if word.contains('-') {
            parse_range(&mut spec, &mut g, word)?;
        } else if word.contains(':') {
            if !g.at {
                return Err(format!("Time must be preceded by keyword AT: {word}"));
            }
            let (h, m) = parse_time(word)?;
            if !g.hour {
                spec.hours = 0;
                g.hour = true;
            }
            spec.hours |= 1 << h;
            spec.minute = m;
        } else if word.contains('/') {
            parse_modulo(&mut spec, &mut g, word)?;
        } else if let Some(w) = week_token(word) {
            if w > 53 {
                return Err(format!("Week number out of range (0-53): {word}"));
            }
            set_woy(&mut spec, &mut g, 1 << w);
        } else {
            match keyword(word) {
                None => return Err(format!("Job type field: {word} in run record not found")),
                Some(Kind::Noise) => {}
                Some(Kind::At) => g.at = true,
                Some(Kind::Last) => {
                    spec.last_7_days = true;
                    if !g.wom {
                        spec.weeks_of_month = 0;
                        g.wom = true;
                    }
                }
                Some(Kind::Wday(n)) => set_wday(&mut spec, &mut g, 1 << n),
                Some(Kind::Month(n)) => set_month(&mut spec, &mut g, 1 << n),
                Some(Kind::Wom(n)) => set_wom(&mut spec, &mut g, 1 << n),
                Some(Kind::Hourly) => {
                    g.hour = true;
                    spec.hours = ALL_HOURS;
                }
                Some(Kind::Daily) => {
                    // Bareos marks the day-of-month mask as given here (not the weekday one).
                    g.mday = true;
                    spec.weekdays = ALL_WEEKDAYS;
                }
                Some(Kind::Weekly) => {
                    g.mday = true;
                    g.wom = true;
                    g.woy = true;
                    spec.days_of_month = ALL_DAYS_OF_MONTH;
                    spec.weeks_of_month = ALL_WEEKS_OF_MONTH;
                    spec.weeks_of_year = ALL_WEEKS_OF_YEAR;
                }
                Some(Kind::Monthly) => {
                    g.month = true;
                    spec.months = ALL_MONTHS;
                }
            }
        }
    }
    Ok(spec)
}

fn apply_field(spec: &mut RunSpec, field: &str, value: &str, quoted: bool) -> Result<(), String> {
    let name = || Some(value.to_string());
    match field {
        "pool" => spec.pool = name(),
        "fullpool" => spec.full_pool = name(),
        "incrementalpool" => spec.incremental_pool = name(),
        "differentialpool" => spec.differential_pool = name(),
        "nextpool" => spec.next_pool = name(),
        "storage" => spec.storage = name(),
        "messages" => spec.messages = name(),
        "level" => {
            let level =
                JobLevel::from_keyword(value).ok_or_else(|| format!("Job level field: {value} not found in run record"))?;
            spec.level = Some(level);
        }
        "priority" => {
            let n = value
                .parse::<u32>()
                .ok()
                .filter(|n| i32::try_from(*n).is_ok())
                .ok_or_else(|| format!("expected a positive integer number, got: {value}"))?;
            spec.priority = (n != 0).then_some(n);
        }
        "spooldata" => {
            let (b, _) = parse_bool(value).ok_or_else(|| format!("Expect a YES or NO; got: {value}"))?;
            spec.spool_data = Some(b);
        }
        "accurate" => {
            let (b, _) = parse_bool(value).ok_or_else(|| format!("Expect YES or NO, got: {value}"))?;
            spec.accurate = Some(b);
        }
        "maxrunschedtime" => {
            if !quoted {
                return Err(format!("MaxRunSchedTime expects a quoted string, got: {value}"));
            }
            let secs = parse_duration(value).ok_or_else(|| format!("expected a time period, got: {value}"))?;
            spec.max_run_sched_time = Some(secs);
        }
        _ => return Err(format!("Expected a keyword name, got: {field}")),
    }
    Ok(())
}

fn parse_range(spec: &mut RunSpec, g: &mut Given, word: &str) -> Result<(), String> {
    let (a, b) = word.split_once('-').unwrap_or((word, ""));
    if all_digits(a) && all_digits(b) {
        let (Some(x), Some(y)) = (
            a.parse::<u32>().ok().filter(|d| (1..=31).contains(d)),
            b.parse::<u32>().ok().filter(|d| (1..=31).contains(d)),
        ) else {
            return Err(format!("Bad day range specification: {word}"));
        };
        set_mday(spec, g, narrow(wrap_range(x, y, 1, 31)));
        return Ok(());
    }
    if let (Some(x), Some(y)) = (week_token(a), week_token(b)) {
        if x > 53 || y > 53 {
            return Err(format!("Week number out of range (0-53): {word}"));
        }
        set_woy(spec, g, wrap_range(x, y, 0, 53));
        return Ok(());
    }
    let first = keyword(a).filter(|k| matches!(k, Kind::Wday(_) | Kind::Month(_) | Kind::Wom(_)));
    let Some(first) = first else { return Err(format!("Invalid month, week or position day range: {word}")) };
    let second = keyword(b);
    match (first, second) {
        (Kind::Wday(x), Some(Kind::Wday(y))) if x != y => set_wday(spec, g, narrow(wrap_range(x, y, 0, 6))),
        (Kind::Month(x), Some(Kind::Month(y))) if x != y => set_month(spec, g, narrow(wrap_range(x, y, 1, 12))),
        (Kind::Wom(x), Some(Kind::Wom(y))) if x != y => set_wom(spec, g, narrow(wrap_range(x, y, 0, 4))),
        _ => return Err(format!("Invalid month, weekday or position range: {word}")),
    }
    Ok(())
}

fn parse_modulo(spec: &mut RunSpec, g: &mut Given, word: &str) -> Result<(), String> {
    let (a, b) = word.split_once('/').unwrap_or((word, ""));
    if all_digits(a) && all_digits(b) {
        let (Some(d), Some(n)) = (
            a.parse::<u32>().ok().filter(|d| (1..=31).contains(d)),
            b.parse::<u32>().ok().filter(|n| (1..=30).contains(n)),
        ) else {
            return Err(format!("Bad day specification in modulo: {word}"));
        };
        if d - 1 > n {
            return Err(format!("Bad day specification, offset must always be <= than modulo: {word}"));
        }
        let bits = (0..31).step_by(n as usize).map(|k| d + k).filter(|day| *day <= 31).fold(0u32, |m, day| m | (1 << day));
        set_mday(spec, g, bits);
        return Ok(());
    }
    if let (Some(nn), Some(mm)) = (week_token(a), week_token(b)) {
        if nn > 53 {
            return Err(format!("Week number out of range (0-53) in modulo: {word}"));
        }
        if mm == 0 || mm > 53 {
            return Err(format!("Week interval out of range (1-53) in modulo: {word}"));
        }
        if nn > mm {
            return Err(format!("Bad week number specification in modulo, offset must always be <= than modulo: {word}"));
        }
        let bits = (nn..=53).step_by(mm as usize).fold(0u64, |m, w| m | (1 << w));
        set_woy(spec, g, bits);
        return Ok(());
    }
    Err(format!(
        "Bad modulo time specification. Format for weekdays is '01/02', for yearweeks is 'w01/w02': {word}"
    ))
}

#[cfg(test)]
mod tests;
