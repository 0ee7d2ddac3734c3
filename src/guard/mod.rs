//! The front door every request passes first: it names the request (`x-request-id`), finds
//! the client, sheds load past the in-flight limit, rate-limits anonymous clients, bounds
//! the time a request may take, adds security headers, and records metrics and a log line.
//! Probes (`/healthz`, `/readyz`) and `/metrics` are never shed, limited or timed out: an
//! overloaded server must still be able to say so.

pub mod allowance;
pub mod client;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::app::AppState;
use crate::config::ServerSettings;
use crate::metrics::Refusal;
use crate::rate_limit::RateLimiter;
use crate::rest::problem::Problem;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The client's address (see [`client::client_ip`]); `None` when the request did not come
/// over a socket (in-process tests), which no limit applies to.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

pub struct Guard {
    pub settings: ServerSettings,
    in_flight: Arc<Semaphore>,
    /// Per client address, the read allowance, charged by `allowance::layer`.
    pub(crate) reads: Option<RateLimiter<IpAddr>>,
    draining: AtomicBool,
    /// Per kind of refusal, when it was last logged and how many came since.
    refusals_logged: std::sync::Mutex<std::collections::HashMap<String, (Option<Instant>, u64)>>,
}

/// Refusals are logged at most this often per kind: a shedding server refuses thousands of
/// requests a second, and a line for each would bury everything else (and cost disk).
const REFUSAL_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// On a response the front door turned away: what kind of refusal it was.
#[derive(Debug, Clone)]
pub struct Refused(pub &'static str);

impl Guard {
    pub fn new(settings: ServerSettings) -> Self {
        Guard {
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
            reads: settings.read_rate.map(RateLimiter::new),
            draining: AtomicBool::new(false),
            refusals_logged: Default::default(),
            settings,
        }
    }

    /// From now on `/readyz` answers 503: the process is shutting down.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub fn in_flight(&self) -> usize {
        self.settings.max_in_flight - self.in_flight.available_permits()
    }

    /// One warning per kind of refusal per interval, saying how many there were.
    fn log_refusal(&self, kind: &str) {
        let now = Instant::now();
        let mut logged = self.refusals_logged.lock().unwrap_or_else(|p| p.into_inner());
        let (last, count) = logged.entry(kind.to_string()).or_insert((None, 0));
        *count += 1;
        if last.is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_EVERY) {
            tracing::warn!(kind, refused = *count, "requests refused (at most one line per kind every 10 s)");
            *last = Some(now);
            *count = 0;
        }
    }
}

/// A request id from the client is kept when it is short printable ASCII; anything else
/// (too long, control characters) is replaced so it cannot forge log lines.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let guard = state.guard.clone();
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = peer.map(|peer| {
        let forwarded: Vec<&str> =
            req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        client::client_ip(peer, &forwarded, &guard.settings.trusted_proxies)
    });
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or("(unmatched)", |m| m.as_str()).to_string();
    req.extensions_mut().insert(ClientIp(client));
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);

    let mut res = async {
        if is_probe(&path) {
            return next.run(req).await;
        }
        let Ok(_permit) = guard.in_flight.clone().try_acquire_owned() else {
            state.metrics.refused(Refusal::Shed);
            return refusal(&path, StatusCode::SERVICE_UNAVAILABLE, "overloaded", "the server is busy; try again", 1);
        };
        // A spent allowance is noted here and enforced behind the response cache
        // (`allowance::layer`): what the cache answers costs nothing and is never refused.
        // The token is verified only when the allowance is spent (the handler verifies it
        // anyway): signed-in clients draw on their address's allowance, then pass.
        if let (Some(limiter), Some(ip)) = (&guard.reads, client)
            && let Some(wait) = limiter.spent(&ip, Instant::now())
            && !has_valid_token(&state, authorization(&req).as_deref()).await
        {
            req.extensions_mut().insert(allowance::Spent { retry_after: wait });
        }
        match tokio::time::timeout(guard.settings.request_timeout, next.run(req)).await {
            Ok(res) => res,
            Err(_) => {
                state.metrics.refused(Refusal::TimedOut);
                // The allowance layer never saw it finish: charge what it was allowed to cost.
                if let (Some(limiter), Some(ip)) = (&guard.reads, client) {
                    let cost = allowance::Cost::timed_out(guard.settings.request_timeout);
                    limiter.charge(&ip, cost.0, Instant::now());
                }
                let detail = format!("the request took longer than {:?}", guard.settings.request_timeout);
                refusal(&path, StatusCode::SERVICE_UNAVAILABLE, "timeout", &detail, 1)
            }
        }
    }
    .instrument(span.clone())
    .await;

    security_headers(&mut res);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    match res.headers().get("x-cache").map(|v| v.as_bytes()) {
        Some(b"hit") => state.metrics.cache(true),
        Some(b"miss") => state.metrics.cache(false),
        _ => {}
    }
    let elapsed = started.elapsed();
    let status = res.status();
    state.metrics.request(method.as_str(), &route, status.as_u16(), elapsed);
    let _entered = span.enter();
    let ms = elapsed.as_secs_f64() * 1000.0;
    // Formatted only if the line is written; absent for a request that came in-process.
    let client = client.map(tracing::field::display);
    if let Some(Refused(kind)) = res.extensions().get::<Refused>() {
        guard.log_refusal(kind);
    } else if status.is_server_error() {
        tracing::error!(status = status.as_u16(), ms, client, path, "answered");
    } else {
        tracing::debug!(status = status.as_u16(), ms, client, path, "answered");
    }
    res
}

/// A request that carries a token the server accepts, of an account that may still act, is
/// not anonymous. A bad token, or a disabled account's, is anonymous (and refused later by
/// the handler).
async fn has_valid_token(state: &AppState, authorization: Option<&str>) -> bool {
    authorization.is_some() && state.viewer(authorization).await.is_ok_and(|v| v.principal().is_some())
}

fn authorization(req: &Request) -> Option<String> {
    req.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("\u{0}").to_string())
}

/// The answer to a request turned away: problem+json, or a GraphQL error body on `/graphql`
/// so GraphQL clients find `errors[].extensions.code` where they look for it.
pub fn refusal(path: &str, status: StatusCode, kind: &'static str, detail: &str, retry_after: u64) -> Response {
    let mut res = if path == "/graphql" {
        crate::graphql::http::refusal(status, &kind.to_ascii_uppercase().replace('-', "_"), detail, retry_after)
    } else {
        Problem::new(status, kind, detail).into_response()
    };
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.extensions_mut().insert(Refused(kind));
    res
}

/// Headers that make a browser treat API answers as data: no sniffing them into HTML, no
/// framing, no referrer leaking a draft's preview URL. JSON answers also get a CSP that
/// allows nothing; HTML pages (GraphiQL, the API docs) keep their own.
fn security_headers(res: &mut Response) {
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if !html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_kept_only_when_harmless() {
        let with = |v: &str| {
            let req = Request::builder().header(REQUEST_ID, v).body(axum::body::Body::empty()).unwrap();
            request_id(&req)
        };
        assert_eq!(with("abc-123"), "abc-123");
        assert_ne!(with("has space"), "has space");
        assert_ne!(with(&"x".repeat(129)), "x".repeat(129));
        let made = request_id(&Request::new(axum::body::Body::empty()));
        assert_eq!(made.len(), 32);
    }

    #[test]
    fn refusals_are_logged_once_per_kind_per_interval() {
        use std::sync::atomic::AtomicUsize;
        use tracing_subscriber::layer::SubscriberExt;
        struct Count(Arc<AtomicUsize>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
            fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let lines = Arc::new(AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry().with(Count(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let guard = Guard::new(ServerSettings::default());
            for _ in 0..1000 {
                guard.log_refusal("overloaded");
            }
            guard.log_refusal("timeout");
        });
        assert_eq!(lines.load(Ordering::SeqCst), 2, "one line per kind, not one per refusal");
    }
}
