//! What a request costs its client's read allowance (`COLOPHON_RATE_LIMIT_READS`), charged
//! after it is answered. The allowance protects the work a server does for a request, not
//! the request itself: an answer from the response cache costs nothing and is never
//! refused, so a front end's server (or a proxy on the same host) that sends every reader's
//! request from one address is not throttled for cacheable reads.
//!
//! A unit is about a millisecond of server work on a small machine: an uncached REST read
//! costs 1, a text search 20 (bm25 or `ts_rank` over every match), a GraphQL request 1 and
//! one more per 100 of its complexity, plus the search's 20 when it searched.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::ClientIp;
use crate::app::AppState;
use crate::metrics::Refusal;
use crate::rate_limit::retry_after_secs;

/// A request's cost in allowance units, set on the response by the handler that knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost(pub u32);

impl Cost {
    /// An uncached read, or anything not otherwise priced.
    pub const READ: Cost = Cost(1);
    /// A full-text search.
    pub const SEARCH: Cost = Cost(20);

    /// A request that ran until the request timeout cut it off: a unit per millisecond it
    /// was allowed (the work it caused is not known, only that it was all it could be).
    pub fn timed_out(limit: std::time::Duration) -> Cost {
        Cost(u32::try_from(limit.as_millis()).unwrap_or(u32::MAX).max(1))
    }

    /// A GraphQL request of this complexity (the validated one, `first` multipliers
    /// included; none when the document did not validate) and this many document nodes
    /// (what validating it took), which searched or not.
    pub fn graphql(complexity: usize, nodes: usize, searched: bool) -> Cost {
        let work = (complexity / 100).max(nodes / 1_000);
        let own = 1u32.saturating_add(u32::try_from(work).unwrap_or(u32::MAX));
        Cost(own.saturating_add(if searched { Cost::SEARCH.0 } else { 0 }))
    }
}

/// Put on a request by the front door when its client's allowance is spent and it carries
/// no valid token: served if the response cache has the answer, refused otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    pub retry_after: std::time::Duration,
}

/// The layer behind the response cache, so only requests the cache could not answer reach
/// it: refuses those whose client's allowance is spent, and charges the others their cost.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(spent) = req.extensions().get::<Spent>().copied() {
        state.metrics.refused(Refusal::RateLimited);
        let detail = "too many requests from this client; sign in or slow down";
        return super::refusal(
            req.uri().path(),
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            detail,
            retry_after_secs(spent.retry_after),
        );
    }
    let client = req.extensions().get::<ClientIp>().and_then(|c| c.0);
    let limiter = state.guard.reads.as_ref().zip(client);
    // One unit as the work starts, so a burst of slow requests is counted while they run;
    // the rest of the cost when it is known.
    if let Some((limiter, ip)) = limiter {
        limiter.charge(&ip, Cost::READ.0, Instant::now());
    }
    let res = next.run(req).await;
    if let Some((limiter, ip)) = limiter {
        let cost = res.extensions().get::<Cost>().copied().unwrap_or(Cost::READ);
        limiter.charge(&ip, cost.0.saturating_sub(Cost::READ.0), Instant::now());
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_costs_grow_with_complexity_and_search() {
        assert_eq!(Cost::graphql(0, 10, false), Cost(1));
        assert_eq!(Cost::graphql(250, 10, false), Cost(3));
        assert_eq!(Cost::graphql(5_000, 10, false), Cost(51));
        assert_eq!(Cost::graphql(250, 10, true), Cost(23));
        // A document that did not validate is charged for what validating it took.
        assert_eq!(Cost::graphql(0, 15_000, false), Cost(16));
    }
}
