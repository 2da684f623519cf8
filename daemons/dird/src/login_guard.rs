//! Failed-login back-off per peer address: each failed console login from an
//! address makes that address's next refusal slower (300 ms doubling up to
//! 10 s); a success or ten quiet minutes reset it. Only the failing connection
//! waits, so a flood of bad logins does not slow down anyone else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// First delay after a failed login.
pub const BASE_DELAY: Duration = Duration::from_millis(300);
/// Longest delay.
pub const MAX_DELAY: Duration = Duration::from_secs(10);
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// Addresses remembered at most (the oldest are dropped).
const MAX_ADDRESSES: usize = 4096;

#[derive(Debug, Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

fn ip_of(peer: &str) -> Option<IpAddr> {
    peer.parse::<std::net::SocketAddr>().map(|a| a.ip()).ok().or_else(|| peer.parse().ok())
}

impl LoginGuard {
    /// Record a failed login from `peer`; returns how long to wait before
    /// answering, and the number of recent failures from that address.
    pub fn failed(&self, peer: &str) -> (Duration, u32) {
        let Some(ip) = ip_of(peer) else { return (BASE_DELAY, 1) };
        let Ok(mut m) = self.failures.lock() else { return (BASE_DELAY, 1) };
        let now = Instant::now();
        if m.len() >= MAX_ADDRESSES {
            m.retain(|_, (_, t)| now.duration_since(*t) < FORGET_AFTER);
            if m.len() >= MAX_ADDRESSES {
                if let Some(oldest) = m.iter().min_by_key(|(_, (_, t))| *t).map(|(k, _)| *k) {
                    m.remove(&oldest);
                }
            }
        }
        let e = m.entry(ip).or_insert((0, now));
        if now.duration_since(e.1) >= FORGET_AFTER {
            e.0 = 0;
        }
        e.0 = e.0.saturating_add(1);
        e.1 = now;
        let n = e.0;
        let delay = BASE_DELAY.saturating_mul(1u32 << (n - 1).min(6)).min(MAX_DELAY);
        (delay, n)
    }

    /// A successful login from `peer` clears its record.
    pub fn succeeded(&self, peer: &str) {
        if let (Some(ip), Ok(mut m)) = (ip_of(peer), self.failures.lock()) {
            m.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_per_address_and_reset_on_success() {
        let g = LoginGuard::default();
        let d: Vec<Duration> = (0..8).map(|_| g.failed("10.0.0.1:5000").0).collect();
        assert_eq!(d[0], BASE_DELAY);
        assert_eq!(d[1], BASE_DELAY * 2);
        assert_eq!(d[2], BASE_DELAY * 4);
        assert_eq!(d[7], MAX_DELAY);
        assert_eq!(g.failed("10.0.0.2:1").0, BASE_DELAY, "another address is not affected");
        g.succeeded("10.0.0.1:6000");
        assert_eq!(g.failed("10.0.0.1:5000"), (BASE_DELAY, 1));
    }
}
