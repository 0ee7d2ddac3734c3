//! Token buckets keyed by client: `N` requests per period, in bursts of up to `N`, refilled
//! continuously. Memory stays bounded: buckets that have refilled completely carry no
//! information and are dropped when the table grows.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `count` requests per `period`, e.g. 10 per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

impl Rate {
    /// Parses `N/s`, `N/min` or `N/h` (also `N/second`, `N/minute`, `N/hour`).
    pub fn parse(raw: &str) -> Result<Rate, String> {
        let (n, unit) = raw.trim().split_once('/').ok_or_else(|| format!("`{raw}` is not like 600/min"))?;
        let count: u32 = match n.trim().parse() {
            Ok(c) if c > 0 => c,
            _ => return Err(format!("`{n}` is not a positive whole number")),
        };
        let period = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => return Err(format!("`{other}` is not a unit: use s, min or h")),
        };
        Ok(Rate { count, period })
    }

    /// Time for one request's worth of allowance to come back.
    fn interval(&self) -> Duration {
        self.period / self.count
    }
}

/// Reads: 6,000 units of cost a minute per client (`guard::allowance`: a cache hit costs
/// nothing, an uncached read 1, a search 20), unless set otherwise.
pub const READS_DEFAULT: Rate = Rate { count: 6000, period: Duration::from_secs(60) };

/// Sign-in and refresh: ten attempts a minute per client, unless set otherwise.
pub const AUTH_DEFAULT: Rate = Rate { count: 10, period: Duration::from_secs(60) };

/// Above this many clients the table is swept of full buckets before it grows further.
const SWEEP_AT: usize = 100_000;

pub struct RateLimiter<K> {
    rate: Rate,
    /// Per client, the moment its bucket will be full again ("theoretical arrival time" of
    /// the generic cell rate algorithm): one timestamp instead of a count and a clock.
    buckets: Mutex<HashMap<K, Instant>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(rate: Rate) -> Self {
        RateLimiter { rate, buckets: Mutex::new(HashMap::new()) }
    }

    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Takes one request from `key`'s allowance, or says how long until there is one.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let interval = self.rate.interval();
        // The allowance is `count` intervals deep: a bucket full at `now` may run ahead of
        // the clock by that much, less the one request being taken.
        let depth = interval * (self.rate.count - 1);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT && !buckets.contains_key(key) {
            buckets.retain(|_, full_at| *full_at > now);
        }
        let full_at = buckets.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        let allowed_from = full_at.checked_sub(depth).unwrap_or(now);
        if allowed_from > now {
            return Err(allowed_from - now);
        }
        buckets.insert(key.clone(), full_at + interval);
        Ok(())
    }
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// Whether `key` has spent its allowance: `Some(wait)` until one unit is back. Takes
    /// nothing; the work is charged when it is done (`charge`), at its real cost.
    pub fn spent(&self, key: &K, now: Instant) -> Option<Duration> {
        let depth = self.rate.interval() * (self.rate.count - 1);
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let full_at = buckets.get(key).copied().filter(|t| *t > now)?;
        let allowed_from = full_at.checked_sub(depth).unwrap_or(now);
        (allowed_from > now).then(|| allowed_from - now)
    }

    /// Takes `cost` units from `key`'s allowance, into debt if it must: a client that
    /// spends more than it has waits until the debt is paid back.
    pub fn charge(&self, key: &K, cost: u32, now: Instant) {
        if cost == 0 {
            return;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT && !buckets.contains_key(key) {
            buckets.retain(|_, full_at| *full_at > now);
        }
        let full_at = buckets.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        buckets.insert(key.clone(), full_at + self.rate.interval() * cost);
    }
}

/// Whole seconds to put in `Retry-After`: never 0, which would invite an immediate retry.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!(Rate::parse("10/min").unwrap(), Rate { count: 10, period: Duration::from_secs(60) });
        assert_eq!(Rate::parse(" 5 / s ").unwrap(), Rate { count: 5, period: Duration::from_secs(1) });
        assert_eq!(Rate::parse("100/hour").unwrap().period, Duration::from_secs(3600));
        for bad in ["", "10", "0/min", "-1/min", "x/min", "10/day", "10/"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_then_one_per_interval() {
        let limiter = RateLimiter::new(Rate { count: 3, period: Duration::from_secs(3) });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(&"a", t0).is_ok());
        }
        // The fourth waits for one interval (1 s) to come back.
        let wait = limiter.check(&"a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        // Another client has its own allowance.
        assert!(limiter.check(&"b", t0).is_ok());
        // Refused requests do not count: after the wait exactly one more goes through.
        assert!(limiter.check(&"a", t0 + Duration::from_millis(999)).is_err());
        assert!(limiter.check(&"a", t0 + Duration::from_secs(1)).is_ok());
        assert!(limiter.check(&"a", t0 + Duration::from_secs(1)).is_err());
        // A long pause refills the bucket, but never beyond its depth.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.check(&"a", later).is_ok());
        }
        assert!(limiter.check(&"a", later).is_err());
    }

    #[test]
    fn charged_after_the_work_at_its_cost() {
        let limiter = RateLimiter::new(Rate { count: 10, period: Duration::from_secs(10) });
        let t0 = Instant::now();
        assert_eq!(limiter.spent(&"a", t0), None);
        // Nine units leave one: still allowed in.
        limiter.charge(&"a", 9, t0);
        assert_eq!(limiter.spent(&"a", t0), None);
        // A search of 20 puts the client 19 units in debt: 20 s until one unit is back.
        limiter.charge(&"a", 20, t0);
        assert_eq!(limiter.spent(&"a", t0), Some(Duration::from_secs(20)));
        assert_eq!(limiter.spent(&"a", t0 + Duration::from_secs(20)), None);
        // Free answers cost nothing, and other clients are untouched.
        limiter.charge(&"b", 0, t0);
        assert_eq!(limiter.spent(&"b", t0), None);
    }

    #[test]
    fn one_per_period() {
        let limiter = RateLimiter::new(Rate { count: 1, period: Duration::from_secs(60) });
        let t0 = Instant::now();
        assert!(limiter.check(&1, t0).is_ok());
        assert_eq!(limiter.check(&1, t0 + Duration::from_secs(20)).unwrap_err(), Duration::from_secs(40));
        assert!(limiter.check(&1, t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
