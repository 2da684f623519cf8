//! Time sources. Daemons take a [`Clock`] so tests can drive time by hand.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Local, TimeZone};

/// A source of "now".
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Current Unix time in seconds.
    fn now_unix(&self) -> i64;
    /// Current local time.
    fn now_local(&self) -> DateTime<Local> {
        Local.timestamp_opt(self.now_unix(), 0).single().unwrap_or_else(Local::now)
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<i64>>,
}

impl ManualClock {
    pub fn new(start_unix: i64) -> Self {
        ManualClock { now: Arc::new(Mutex::new(start_unix)) }
    }
    pub fn set(&self, unix: i64) {
        if let Ok(mut n) = self.now.lock() {
            *n = unix;
        }
    }
    pub fn advance(&self, secs: i64) {
        if let Ok(mut n) = self.now.lock() {
            *n += secs;
        }
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.now.lock().map(|n| *n).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1_700_000_000);
        assert_eq!(c.now_unix(), 1_700_000_000);
        c.advance(60);
        assert_eq!(c.now_unix(), 1_700_000_060);
        c.set(5);
        assert_eq!(c.now_unix(), 5);
    }
}
