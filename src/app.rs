//! The HTTP application: shared state and the router every transport hangs from.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::auth::Jwt;
use crate::content::Content;
use crate::graphql::{self, AppSchema};
use crate::response_cache::ResponseCache;
use crate::rest::{self, problem::Problem};

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub content: Content,
    pub jwt: Jwt,
    pub schema: AppSchema,
    pub cache: ResponseCache,
    pub persisted: crate::graphql::persisted::PersistedQueries,
}

impl AppState {
    /// With the response cache on; see [`AppState::with_cache`].
    pub fn new(content: Content, jwt: Jwt) -> Self {
        Self::with_cache(content, jwt, true)
    }

    pub fn with_cache(content: Content, jwt: Jwt, cache: bool) -> Self {
        let schema = graphql::build_schema(content.clone(), jwt.clone());
        let cache = ResponseCache::new(content.db().clone(), cache);
        Self { content, jwt, schema, cache, persisted: Default::default() }
    }
}

/// Request bodies above this are refused with 413 before they are read whole. Article
/// bodies may be 1 MiB of Markdown; JSON escaping can nearly double that.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024 + 64 * 1024;

pub fn router(state: AppState) -> Router {
    let (api, _) = rest::router().split_for_parts();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/graphql", get(graphql::http::graphql_get).post(graphql::http::graphql_post))
        .route("/api/v1/openapi.yaml", get(openapi_yaml))
        .merge(api)
        .merge(crate::docs::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::http_cache::layer))
        .layer(axum::middleware::from_fn_with_state(state.cache.clone(), crate::response_cache::layer))
        .layer(TraceLayer::new_for_http())
        // A bug in one handler answers 500 problem+json instead of dropping the connection.
        .layer(CatchPanicLayer::custom(|_| {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred").into_response()
        }))
        .with_state(state)
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers and its schema is current.
async fn readyz(State(state): State<AppState>) -> Response {
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
