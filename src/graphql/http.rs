//! GraphQL over HTTP (the GraphQL-over-HTTP draft spec): POST with `application/json`,
//! queries over GET, `application/graphql-response+json` (preferred) or `application/json`
//! answers, 4xx for requests that cannot be executed, mutations refused over GET.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};

use super::batches::Batches;
use super::{RequestAuth, objects::RequestCache};
use crate::app::AppState;
use crate::guard::ClientIp;
use crate::guard::allowance::Cost;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// The media type an answer is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphQlResponse,
    Json,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            MediaType::GraphQlResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        }
    }
}

/// `None` when the client accepts neither JSON media type. `application/graphql-response+json`
/// when asked for by name; otherwise (`application/json`, `*/*`, or no Accept header) plain
/// JSON, which every existing client understands.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let types: Vec<String> =
        accept.split(',').map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase()).collect();
    if types.iter().any(|t| t == GRAPHQL_RESPONSE) {
        Some(MediaType::GraphQlResponse)
    } else if types.iter().any(|t| t == "application/json" || t == "*/*" || t == "application/*") {
        Some(MediaType::Json)
    } else {
        None
    }
}

fn respond(status: StatusCode, media: MediaType, body: &impl serde::Serialize) -> Response {
    let mut res = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media.as_str()));
    res
}

/// A request that never reached execution: always 4xx, with a GraphQL error body.
fn request_error(status: StatusCode, media: MediaType, message: &str) -> Response {
    coded_request_error(status, media, "BAD_REQUEST", message)
}

/// A GraphQL error answer for a request turned away before it was read (rate limit,
/// overload, timeout), in plain JSON, which every client understands.
/// `retry_after` goes in `extensions.retryAfter` (seconds), beside the `Retry-After` header.
pub(crate) fn refusal(status: StatusCode, code: &str, message: &str, retry_after: u64) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code, "retryAfter": retry_after } }]
    });
    respond(status, MediaType::Json, &body)
}

fn coded_request_error(status: StatusCode, media: MediaType, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    respond(status, media, &body)
}

/// Resolves an automatic persisted query in the parameters; `Some` is the answer to send.
fn persisted(state: &AppState, media: MediaType, params: &mut serde_json::Map<String, Value>) -> Option<Response> {
    use super::persisted::PersistedError;
    state.persisted.resolve(params).err().map(|e| {
        let (message, code) = match e {
            PersistedError::NotFound => ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND"),
            PersistedError::Invalid(why) => (why, "BAD_REQUEST"),
        };
        // Apollo clients look for this error and send the query again; the request never ran.
        let status = if media == MediaType::GraphQlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
        let mut res = respond(status, media, &body);
        // The same URL answers differently once the query is known: keep this answer nowhere.
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    })
}

/// Why the parameters cannot make a request.
#[derive(Debug)]
struct BadParams {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl From<&str> for BadParams {
    fn from(message: &str) -> Self {
        BadParams { status: StatusCode::BAD_REQUEST, code: "BAD_REQUEST", message: message.into() }
    }
}

/// Reads the GraphQL parameters from a JSON object (POST body or GET query string).
fn parse_params(v: Value) -> Result<async_graphql::Request, BadParams> {
    let Value::Object(mut map) = v else { return Err("the request must be a JSON object".into()) };
    let query = match map.remove("query") {
        Some(Value::String(q)) => q,
        Some(_) => return Err("`query` must be a string".into()),
        None => return Err("`query` is required".into()),
    };
    if query.len() > super::limits::MAX_QUERY_BYTES {
        return Err(BadParams {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "QUERY_TOO_LARGE",
            message: super::limits::too_large(query.len()),
        });
    }
    let mut req = async_graphql::Request::new(query);
    match map.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => req = req.operation_name(name),
        Some(_) => return Err("`operationName` must be a string".into()),
    }
    match map.remove("variables") {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => req = req.variables(async_graphql::Variables::from_json(v)),
        Some(_) => return Err("`variables` must be an object".into()),
    }
    match map.remove("extensions") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err("`extensions` must be an object".into()),
    }
    Ok(req)
}

/// Runs a request and answers it (see [`answer`]).
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    client: ClientIp,
    media: MediaType,
    req: async_graphql::Request,
    nodes: usize,
) -> Response {
    let auth_header = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("\u{0}"));
    let auth = RequestAuth(state.viewer(auth_header).await);
    let cache = std::sync::Arc::new(RequestCache::default());
    let batches = std::sync::Arc::new(Batches::new(state.loader.clone()));
    let req = req.data(auth).data(cache.clone()).data(client).data(batches.clone());
    let res = super::batches::drive(&batches, state.schema.execute(req)).await;
    let previewed = cache.previewed.load(std::sync::atomic::Ordering::Relaxed);
    let mut answer = answer(media, res, previewed);
    let complexity = cache.complexity.load(std::sync::atomic::Ordering::Relaxed);
    let cost = Cost::graphql(complexity, nodes, cache.searched.load(std::sync::atomic::Ordering::Relaxed));
    answer.extensions_mut().insert(cost);
    answer
}

/// With `application/graphql-response+json`, a request that failed before execution (it
/// does not parse or validate) is a 400; one that ran is a 200 even when fields failed.
/// With `application/json`, every answer to a request that was read is a 200.
fn answer(media: MediaType, mut res: async_graphql::Response, previewed: bool) -> Response {
    super::error::label_errors(&mut res.errors);
    if res.errors.len() > MAX_ERRORS {
        // A document can be wrong in thousands of places; the first ones say what to fix.
        let more = res.errors.len() - (MAX_ERRORS - 1);
        res.errors.truncate(MAX_ERRORS - 1);
        let mut last = async_graphql::ServerError::new(format!("… and {more} more errors like these"), None);
        last.extensions.get_or_insert_with(Default::default).set("code", "GRAPHQL_VALIDATION_FAILED");
        res.errors.push(last);
    }
    if let Some(secs) = rate_limited(&res.errors) {
        // Refused for coming too often: the HTTP status says so too, as on REST.
        let mut answer = respond(StatusCode::TOO_MANY_REQUESTS, media, &res);
        answer.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return answer;
    }
    let never_ran = res.data == async_graphql::Value::Null
        && !res.errors.is_empty()
        && res.errors.iter().all(|e| e.path.is_empty());
    if media == MediaType::GraphQlResponse && never_ran {
        // A request that never ran has no `data` entry at all.
        let mut body = serde_json::to_value(&res).unwrap_or_default();
        if let Some(map) = body.as_object_mut() {
            map.remove("data");
        }
        return respond(StatusCode::BAD_REQUEST, media, &body);
    }
    let mut answer = respond(StatusCode::OK, media, &res);
    if previewed || !res.errors.is_empty() {
        // A draft opened by a preview token must not be kept by any cache for others, and
        // an error may be passing (a timeout, an expired token): neither is kept.
        answer.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    answer
}

/// A request whose document was parsed and measured, and how many nodes it holds (the
/// validation work it causes, charged to its client).
struct Admitted {
    req: async_graphql::Request,
    nodes: usize,
}

/// Most errors an answer lists.
const MAX_ERRORS: usize = 50;

/// Parses the document and measures what it would cost with its fragments spread, before
/// anything (async-graphql's own checks, validation) walks it expanded. A document over a
/// limit is refused here, in time linear in its length.
async fn admit(req: async_graphql::Request) -> Result<Admitted, async_graphql::Response> {
    fn check(mut req: async_graphql::Request) -> Result<Admitted, Vec<async_graphql::ServerError>> {
        let doc = req.parsed_query().map_err(|e| vec![e])?;
        let cost = super::limits::check_cost(doc)?;
        Ok(Admitted { req: req.data(cost), nodes: cost.nodes })
    }
    let len = req.query.len();
    let checked = super::limits::measured(len, move || check(req))
        .await
        .unwrap_or_else(|| Err(vec![async_graphql::ServerError::new("the server is shutting down", None)]));
    checked.map_err(async_graphql::Response::from_errors)
}

/// Seconds to wait, when a field was refused for too many attempts.
fn rate_limited(errors: &[async_graphql::ServerError]) -> Option<u64> {
    errors.iter().find_map(|e| {
        let ext = e.extensions.as_ref()?;
        if ext.get("code") != Some(&async_graphql::Value::from("RATE_LIMITED")) {
            return None;
        }
        match ext.get("retryAfter") {
            Some(async_graphql::Value::Number(n)) => n.as_u64(),
            _ => Some(1),
        }
    })
}

pub async fn graphql_post(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let client = client.map_or(ClientIp(None), |c| c.0);
    let Some(media) = negotiate(&headers) else {
        return (StatusCode::NOT_ACCEPTABLE, "accept application/graphql-response+json or application/json")
            .into_response();
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut parts = content_type.split(';').map(|p| p.trim().to_ascii_lowercase());
    let essence = parts.next().unwrap_or_default();
    let charset_ok = parts.all(|p| !p.starts_with("charset=") || p == "charset=utf-8" || p == "charset=\"utf-8\"");
    if essence != "application/json" || !charset_ok {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the request as `Content-Type: application/json` (UTF-8)",
        );
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "QUERY_TOO_LARGE" } else { "BAD_REQUEST" };
            return coded_request_error(e.status(), media, code, &format!("could not read the body: {e}"));
        }
    };
    let mut value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return request_error(StatusCode::BAD_REQUEST, media, &format!("the body is not valid JSON: {e}")),
    };
    if let Value::Object(params) = &mut value
        && let Some(answer) = persisted(&state, media, params)
    {
        return answer;
    }
    let req = match parse_params(value) {
        Ok(req) => req,
        Err(e) => return coded_request_error(e.status, media, e.code, &e.message),
    };
    match admit(req).await {
        Ok(Admitted { mut req, nodes }) => {
            if let Some(refused) = subscription_refused(&mut req, media) {
                return refused;
            }
            let read_only = !is_mutation(&mut req);
            let mut res = execute(&state, &headers, client, media, req, nodes).await;
            if read_only {
                // A query changes nothing: the response cache keeps what it has, and may keep
                // this answer for every anonymous client (it never sees credentialed ones)
                // when it ran cleanly and opened no draft (`answer` then said `no-store`).
                res.extensions_mut().insert(crate::response_cache::ReadOnly);
                if res.status() == StatusCode::OK && !res.headers().contains_key(header::CACHE_CONTROL) {
                    res.extensions_mut().insert(crate::response_cache::Shareable);
                    res.extensions_mut().insert(graphql_keys());
                }
            }
            res
        }
        Err(refused) => answer(media, refused, false),
    }
}

/// GraphiQL for a browser; a query in the URL is executed (queries only, never mutations).
pub async fn graphql_get(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let client = client.map_or(ClientIp(None), |c| c.0);
    let query = uri.query().unwrap_or("");
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if !params.iter().any(|(k, _)| k == "query" || k == "extensions") && wants_html {
        return Html(super::graphiql_html()).into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return (StatusCode::NOT_ACCEPTABLE, "accept application/graphql-response+json or application/json")
            .into_response();
    };
    let mut object = serde_json::Map::new();
    for (k, v) in params {
        let value = match k.as_str() {
            // Variables and extensions travel as JSON text in the URL.
            "variables" | "extensions" => match serde_json::from_str(&v) {
                Ok(parsed) => parsed,
                Err(_) => return request_error(StatusCode::BAD_REQUEST, media, &format!("`{k}` is not valid JSON")),
            },
            _ => Value::String(v),
        };
        object.insert(k, value);
    }
    if let Some(answer) = persisted(&state, media, &mut object) {
        return answer;
    }
    let req = match parse_params(Value::Object(object)) {
        Ok(r) => r,
        Err(e) => return coded_request_error(e.status, media, e.code, &e.message),
    };
    let Admitted { mut req, nodes } = match admit(req).await {
        Ok(admitted) => admitted,
        Err(refused) => return answer(media, refused, false),
    };
    if let Some(refused) = subscription_refused(&mut req, media) {
        return refused;
    }
    if is_mutation(&mut req) {
        let mut res = request_error(StatusCode::METHOD_NOT_ALLOWED, media, "mutations are only accepted over POST");
        res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return res;
    }
    let mut res = execute(&state, &headers, client, media, req, nodes).await;
    res.extensions_mut().insert(graphql_keys());
    res
}

/// A query may touch anything: CDNs and the response cache purge GraphQL answers together.
fn graphql_keys() -> crate::http_cache::SurrogateKeys {
    crate::http_cache::SurrogateKeys(vec![crate::http_cache::keys::GRAPHQL.into()])
}

fn is_mutation(req: &mut async_graphql::Request) -> bool {
    operation_of(req) == Some(OperationType::Mutation)
}

fn operation_of(req: &mut async_graphql::Request) -> Option<OperationType> {
    let name = req.operation_name.clone();
    let doc = req.parsed_query().ok()?;
    operation_type(doc, name.as_deref())
}

/// The type of the operation a request runs: the one named, or the only one (`None` when
/// that is ambiguous or missing, which validation reports).
pub(super) fn operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    let op = match &doc.operations {
        DocumentOperations::Single(op) => Some(op),
        DocumentOperations::Multiple(ops) => match name {
            Some(n) => ops.iter().find(|(k, _)| k.as_str() == n).map(|(_, op)| op),
            None if ops.len() == 1 => ops.values().next(),
            None => None,
        },
    };
    op.map(|op| op.node.ty)
}

/// Subscriptions run over the WebSocket on the same path (`ws`); over HTTP they are refused.
fn subscription_refused(req: &mut async_graphql::Request, media: MediaType) -> Option<Response> {
    (operation_of(req) == Some(OperationType::Subscription)).then(|| {
        coded_request_error(
            StatusCode::BAD_REQUEST,
            media,
            "OPERATION_NOT_SUPPORTED",
            "subscriptions are served over a WebSocket on this path (`Upgrade: websocket`, sub-protocol \
             graphql-transport-ws); send queries and mutations over HTTP",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn negotiates_the_response_media_type() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(MediaType::Json));
        assert_eq!(negotiate(&accept("*/*")), Some(MediaType::Json));
        assert_eq!(negotiate(&accept("application/graphql-response+json")), Some(MediaType::GraphQlResponse));
        assert_eq!(negotiate(&accept("application/json")), Some(MediaType::Json));
        assert_eq!(
            negotiate(&accept("application/json, application/graphql-response+json;q=0.9")),
            Some(MediaType::GraphQlResponse)
        );
        assert_eq!(negotiate(&accept("text/plain")), None);
    }

    #[test]
    fn parameters_have_their_types() {
        assert!(parse_params(serde_json::json!({ "query": "{ site { title } }" })).is_ok());
        for bad in [
            serde_json::json!({}),
            serde_json::json!({ "query": 1 }),
            serde_json::json!({ "query": "{ a }", "operationName": 2 }),
            serde_json::json!({ "query": "{ a }", "variables": "x" }),
            serde_json::json!({ "query": "{ a }", "extensions": [] }),
            serde_json::json!([{ "query": "{ a }" }]),
        ] {
            assert!(parse_params(bad.clone()).is_err(), "{bad}");
        }
    }
}
