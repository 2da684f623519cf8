//! Small formatting and parsing helpers shared by the views and the reducer.

use chrono::{NaiveDateTime, TimeDelta};

/// `1234567` → `1.2 MB` (decimal units, as Bareos prints sizes).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if v >= 100.0 { format!("{v:.0} {}", UNITS[unit]) } else { format!("{v:.1} {}", UNITS[unit]) }
}

/// `12345` → `12,345`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A transfer rate in bytes per second: `12.3 MB/s`.
pub fn rate(bytes_per_sec: f64) -> String {
    if !bytes_per_sec.is_finite() || bytes_per_sec <= 0.0 {
        return "-".to_string();
    }
    format!("{}/s", bytes(bytes_per_sec.round() as u64))
}

/// Time left as `mm:ss` (minutes grow past 59), `—` when unknown.
pub fn eta(secs: Option<u64>) -> String {
    match secs {
        Some(s) => format!("{:02}:{:02}", s / 60, s % 60),
        None => "—".to_string(),
    }
}

/// A text progress bar `width` cells wide followed by the percentage, e.g.
/// `█████▌    59%`; blank when the ratio is unknown.
pub fn progress(ratio: Option<f64>, width: usize) -> String {
    let Some(r) = ratio.filter(|r| r.is_finite()) else {
        return "—".to_string();
    };
    let r = r.clamp(0.0, 1.0);
    let eighths = (r * width as f64 * 8.0).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    const PART: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    if eighths / 8 < width {
        bar.push_str(PART[eighths % 8]);
    }
    let used = bar.chars().count();
    bar.push_str(&" ".repeat(width.saturating_sub(used)));
    format!("{bar}{:>4}", format!("{}%", (r * 100.0).floor() as u32))
}

/// An elapsed time: `42s`, `3m07s`, `2h05m`, `3d04h`.
pub fn elapsed(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// An uptime known to the minute (the director reports its start as
/// `28-Nov-26 05:24`): `<1m`, `42m`, `2h05m`, `3d04h`.
pub fn uptime(d: TimeDelta) -> String {
    let m = d.num_minutes().max(0);
    match m {
        0 => "<1m".to_string(),
        1..=59 => format!("{m}m"),
        60..=1439 => format!("{}h{:02}m", m / 60, m % 60),
        _ => format!("{}d{:02}h", m / 1440, (m % 1440) / 60),
    }
}

/// Director times: `28-Nov-26 05:25` (status), `2026-11-28 05:25:02`
/// (catalog), `Sat 28-Nov-2026 21:00` (scheduler preview).
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S", "%d-%b-%y %H:%M", "%a %d-%b-%Y %H:%M", "%d-%b-%Y %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    None
}

/// Truncate to `width` characters, ending in `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Split `text` into rows of at most `width` characters (hard wrap; `width`
/// 0 is treated as 1).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width).map(|c| c.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_counts_and_times() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(7161), "7.2 kB");
        assert_eq!(bytes(547_321_780), "547 MB");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(rate(0.0), "-");
        assert_eq!(rate(2_500_000.0), "2.5 MB/s");
        assert_eq!(elapsed(TimeDelta::seconds(187)), "3m07s");
        assert_eq!(elapsed(TimeDelta::seconds(7500)), "2h05m");
        assert_eq!(elapsed(TimeDelta::seconds(-5)), "0s");
        assert_eq!(uptime(TimeDelta::seconds(33)), "<1m");
        assert_eq!(uptime(TimeDelta::seconds(7500)), "2h05m");
        assert_eq!(uptime(TimeDelta::days(3) + TimeDelta::hours(4)), "3d04h");
        assert!(parse_time("28-Nov-26 05:25").is_some());
        assert!(parse_time("2026-11-28 05:25:02").is_some());
        assert!(parse_time("Sat 28-Nov-2026 21:00").is_some());
        assert!(parse_time("").is_none());
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(wrap("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap("", 4), vec![""]);
    }
}
