//! The HTTP application: shared state and the router every transport hangs from.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use std::sync::Arc;

use crate::auth::Jwt;
use crate::config::{CorsOrigins, ServerSettings};
use crate::content::{Content, ContentError};
use crate::graphql::{self, AppSchema};
use crate::guard::Guard;
use crate::metrics::Metrics;
use crate::response_cache::ResponseCache;
use crate::rest::{self, problem::Problem};

/// Everything a request handler needs. One `Arc`: axum clones the state for every request
/// and for every layer that takes it, and a clone field by field showed in profiles of the
/// cached path (about 3% of its CPU).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    pub content: Content,
    pub jwt: Arc<Jwt>,
    pub schema: AppSchema,
    /// What every GraphQL request's batched loads go through (`graphql::batches`).
    pub loader: crate::graphql::batches::SharedLoader,
    pub cache: ResponseCache,
    pub persisted: crate::graphql::persisted::PersistedQueries,
    pub guard: Arc<Guard>,
    pub metrics: Metrics,
    pub feeds: Arc<crate::feeds::FeedSettings>,
    /// Live updates: what subscriptions hear, and the sockets they run on.
    pub live: crate::content::live::Live,
    pub sockets: Arc<crate::graphql::ws::Sockets>,
}

impl AppState {
    /// With the response cache on; see [`AppState::with_cache`].
    pub fn new(content: Content, jwt: Jwt) -> Self {
        Self::with_cache(content, jwt, true)
    }

    pub fn with_cache(content: Content, jwt: Jwt, cache: bool) -> Self {
        Self::with_settings(content, jwt, cache, ServerSettings::default(), Metrics::default())
    }

    /// `metrics` is passed in because the database connection reports into it too, and
    /// that hook is set before the connection is shared.
    pub fn with_settings(content: Content, jwt: Jwt, cache: bool, settings: ServerSettings, metrics: Metrics) -> Self {
        let live = crate::content::live::Live::new(settings.live.queue, settings.live.poll);
        let loader = graphql::shared_loader(&content);
        let schema =
            graphql::build_schema(content.clone(), jwt.clone(), settings.introspection, live.clone(), loader.clone());
        let cache = ResponseCache::new(content.clone(), cache);
        let feeds = Arc::new(settings.feeds.clone());
        let guard = Arc::new(Guard::new(settings));
        let sockets = Arc::default();
        let jwt = Arc::new(jwt);
        Self(Arc::new(Shared {
            content,
            jwt,
            schema,
            loader,
            cache,
            persisted: Default::default(),
            guard,
            metrics,
            feeds,
            live,
            sockets,
        }))
    }
}

impl AppState {
    /// The caller behind an `Authorization` header value: a verified token, then the
    /// account as it is now (`Content::authenticate`). Both faces ask here.
    pub async fn viewer(&self, authorization: Option<&str>) -> Result<crate::content::Viewer, ContentError> {
        let viewer = self.jwt.viewer(authorization)?;
        self.content.authenticate(viewer).await
    }
}

/// Request bodies above this are refused with 413 before they are read whole. Article
/// bodies may be 1 MiB of Markdown; JSON escaping can nearly double that.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let (api, _) = rest::router().split_for_parts();
    let api = api.route_layer(axum::middleware::from_fn(rest::query::check));
    let cors = cors(&state.guard.settings.cors_origins, state.guard.settings.demo_site);
    let demo = if state.guard.settings.demo_site { crate::demo_site::SITE.router() } else { Router::new() };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/graphql", get(graphql_get).post(graphql::http::graphql_post))
        .route("/api/v1/openapi.yaml", get(openapi_yaml))
        .merge(api)
        .merge(crate::docs::router())
        .merge(crate::studio::SITE.router())
        .merge(demo)
        .fallback(not_found)
        // One layer of the whole stack: axum clones a route's service for every request, and
        // each `Router::layer` call wraps the route in a boxed route of its own, so eight
        // calls cloned and dropped eight more boxes (and the CORS settings) per request, 13%
        // of a cached answer's CPU in `perf`. Outermost first.
        .layer(
            tower::ServiceBuilder::new()
                .layer(axum::middleware::from_fn_with_state(state.clone(), crate::guard::layer))
                .layer(cors)
                // A bug in one handler answers 500 problem+json instead of dropping the connection.
                .layer(CatchPanicLayer::custom(|_| {
                    Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred")
                        .into_response()
                }))
                .layer(axum::middleware::from_fn_with_state(state.live.clone(), wake_live))
                .layer(axum::middleware::from_fn_with_state(state.cache.clone(), crate::response_cache::layer))
                // Behind the response cache: only what the cache could not answer is charged.
                .layer(axum::middleware::from_fn_with_state(state.clone(), crate::guard::allowance::layer))
                .layer(axum::middleware::from_fn(crate::http_cache::layer))
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .with_state(state)
}

/// Browsers may call from the origins in `COLOPHON_CORS_ORIGINS` (none by default: the API
/// answers any client, but a web page elsewhere needs to be named to read the answers).
/// `serve --demo` also lets any `http://localhost:*` page call, so a front end's dev server
/// works against it at once.
fn cors(origins: &CorsOrigins, demo: bool) -> CorsLayer {
    use axum::http::Method;
    let base = CorsLayer::new()
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            crate::guard::REQUEST_ID,
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            crate::guard::REQUEST_ID,
        ])
        .max_age(std::time::Duration::from_secs(600));
    let listed: Vec<HeaderValue> = match origins {
        CorsOrigins::Any => return base.allow_origin(AllowOrigin::any()),
        CorsOrigins::None => Vec::new(),
        CorsOrigins::List(list) => list.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect(),
    };
    if !demo {
        return base.allow_origin(AllowOrigin::list(listed));
    }
    base.allow_origin(AllowOrigin::predicate(move |origin, _| listed.contains(origin) || is_local_origin(origin)))
}

/// `http://localhost`, `http://127.0.0.1` or `http://[::1]`, on any port.
fn is_local_origin(origin: &HeaderValue) -> bool {
    let Ok(origin) = origin.to_str() else { return false };
    let Some(host) = origin.strip_prefix("http://") else { return false };
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// Prometheus metrics (text exposition format), for this host, or for whoever holds
/// `COLOPHON_METRICS_TOKEN`: they describe the traffic of every client, and are large.
async fn metrics(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let headers = req.headers();
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let allowed = match &state.guard.settings.metrics_token {
        Some(token) => bearer.is_some_and(|b| crate::auth::same_secret(b.trim(), token)),
        // This host, connected directly: the socket's peer, not an address a header names
        // (a local proxy forwards everyone). No peer: not over a network (in-process).
        None => peer.is_none_or(|ip| ip.to_canonical().is_loopback()) && !headers.contains_key("x-forwarded-for"),
    };
    if !allowed {
        let detail = match state.guard.settings.metrics_token {
            Some(_) => "metrics need `Authorization: Bearer <COLOPHON_METRICS_TOKEN>`",
            None => "metrics are served to this host only; set COLOPHON_METRICS_TOKEN to scrape them from elsewhere",
        };
        return Problem::new(StatusCode::FORBIDDEN, "forbidden", detail).into_response();
    }
    let mut body = state.metrics.render(state.content.db(), state.guard.in_flight());
    body.push_str(&state.sockets.render());
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A write answered here may have committed changes: subscribers hear of them at once
/// rather than at the next poll of the logs.
async fn wake_live(
    State(live): State<crate::content::live::Live>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = req.method().clone();
    let res = next.run(req).await;
    // A GraphQL query sent by POST says it changed nothing: no reason to read the logs.
    if crate::response_cache::may_have_written(&method, &res) {
        live.wake();
    }
    res
}

/// `GET /graphql`: a query, GraphiQL, or (with `Upgrade: websocket`) subscriptions.
async fn graphql_get(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    if graphql::ws::is_upgrade(&req) {
        return graphql::ws::upgrade(State(state), req).await;
    }
    axum::handler::Handler::call(graphql::http::graphql_get, req, state).await
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers and its schema is current.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.guard.draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    match crate::db::ready(state.content.db()).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason).into_response(),
    }
}

async fn openapi_yaml() -> Response {
    static YAML: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = YAML.get_or_init(rest::openapi_yaml).clone();
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/yaml"));
    res
}

async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::not_found(format!("no route for {}", uri.path()))
}
