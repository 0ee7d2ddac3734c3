//! Prometheus metrics at `/metrics`: requests by route and status with latency histograms,
//! database statements with theirs, connection pool use and response cache hits. Counters
//! are atomics behind a read-mostly map, so recording costs no lock on the hot path once a
//! route has been seen.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        // A series with no labels is written without braces (`name 3`, not `name{} 3`).
        let labels = labels.trim_end_matches(',');
        let labels = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{labels} {sum}");
        let _ = writeln!(out, "{name}_count{labels} {count}");
    }
}

/// Requests of one method, route and status.
type RouteKey = (String, String, u16);

#[derive(Clone, Default)]
pub struct Metrics(Arc<Inner>);

#[derive(Default)]
struct Inner {
    requests: RwLock<BTreeMap<RouteKey, Arc<Histogram>>>,
    statements: Histogram,
    failed_statements: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    shed: AtomicU64,
    rate_limited: AtomicU64,
    timed_out: AtomicU64,
}

/// Why a request was turned away before it ran.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    Shed,
    RateLimited,
    TimedOut,
}

impl Metrics {
    /// `route` is the matched route template (`/api/v1/articles/{slug}`), never the raw
    /// path: one series per route, not one per article.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let key = (method.to_string(), route.to_string(), status);
        let found = self.0.requests.read().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        let histogram = match found {
            Some(h) => h,
            None => self.0.requests.write().unwrap_or_else(|p| p.into_inner()).entry(key).or_default().clone(),
        };
        histogram.observe(elapsed);
    }

    pub fn statement(&self, elapsed: Duration, failed: bool) {
        self.0.statements.observe(elapsed);
        if failed {
            self.0.failed_statements.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn cache(&self, hit: bool) {
        let counter = if hit { &self.0.cache_hits } else { &self.0.cache_misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused(&self, why: Refusal) {
        let counter = match why {
            Refusal::Shed => &self.0.shed,
            Refusal::RateLimited => &self.0.rate_limited,
            Refusal::TimedOut => &self.0.timed_out,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self, db: &DatabaseConnection, in_flight: usize) -> String {
        let mut out = String::with_capacity(8192);
        out.push_str("# HELP colophon_http_requests_total Requests answered, by method, route and status.\n");
        out.push_str("# TYPE colophon_http_requests_total counter\n");
        let requests = self.0.requests.read().unwrap_or_else(|p| p.into_inner());
        for ((method, route, status), h) in requests.iter() {
            let _ = writeln!(
                out,
                "colophon_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                h.count.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP colophon_http_request_duration_seconds Time to answer, by method, route and status.\n");
        out.push_str("# TYPE colophon_http_request_duration_seconds histogram\n");
        for ((method, route, status), h) in requests.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\",status=\"{status}\",", escape(route));
            h.write(&mut out, "colophon_http_request_duration_seconds", &labels);
        }
        drop(requests);
        out.push_str("# HELP colophon_http_in_flight Requests being handled now.\n");
        out.push_str("# TYPE colophon_http_in_flight gauge\n");
        let _ = writeln!(out, "colophon_http_in_flight {in_flight}");
        out.push_str("# HELP colophon_http_refused_total Requests turned away before they ran, by reason.\n");
        out.push_str("# TYPE colophon_http_refused_total counter\n");
        for (reason, counter) in
            [("overloaded", &self.0.shed), ("rate_limited", &self.0.rate_limited), ("timeout", &self.0.timed_out)]
        {
            let _ =
                writeln!(out, "colophon_http_refused_total{{reason=\"{reason}\"}} {}", counter.load(Ordering::Relaxed));
        }
        out.push_str("# HELP colophon_db_statement_duration_seconds Time per database statement.\n");
        out.push_str("# TYPE colophon_db_statement_duration_seconds histogram\n");
        self.0.statements.write(&mut out, "colophon_db_statement_duration_seconds", "");
        out.push_str("# HELP colophon_db_statement_errors_total Database statements that failed.\n");
        out.push_str("# TYPE colophon_db_statement_errors_total counter\n");
        let _ =
            writeln!(out, "colophon_db_statement_errors_total {}", self.0.failed_statements.load(Ordering::Relaxed));
        let (size, idle) = pool_use(db);
        out.push_str("# HELP colophon_db_pool_connections Open database connections, by state.\n");
        out.push_str("# TYPE colophon_db_pool_connections gauge\n");
        let _ = writeln!(out, "colophon_db_pool_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(out, "colophon_db_pool_connections{{state=\"in_use\"}} {}", size.saturating_sub(idle));
        out.push_str("# HELP colophon_response_cache_total Anonymous reads looked up in the response cache.\n");
        out.push_str("# TYPE colophon_response_cache_total counter\n");
        let _ = writeln!(
            out,
            "colophon_response_cache_total{{result=\"hit\"}} {}",
            self.0.cache_hits.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "colophon_response_cache_total{{result=\"miss\"}} {}",
            self.0.cache_misses.load(Ordering::Relaxed)
        );
        out
    }
}

/// Connections open and idle in the pool.
fn pool_use(db: &DatabaseConnection) -> (usize, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size() as usize, pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size() as usize, pool.num_idle())
        }
    }
}

/// Label values are quoted: a backslash, quote or newline must be escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(9));
        let mut out = String::new();
        h.write(&mut out, "x", "route=\"/a\",");
        assert!(out.contains("x_bucket{route=\"/a\",le=\"0.0005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{route=\"/a\",le=\"0.005\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{route=\"/a\",le=\"5\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{route=\"/a\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count{route=\"/a\"} 3\n"), "{out}");
        assert!(out.contains("x_sum{route=\"/a\"} 9.0033\n"), "{out}");
    }
}
