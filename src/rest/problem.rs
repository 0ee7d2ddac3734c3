//! RFC 9457 problem details: the one place service errors become HTTP responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::content::{ContentError, FieldError};

/// An error answer (`application/problem+json`). `type` is stable and machine-readable;
/// `detail` is for humans.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Validation problems, one per field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// On a version conflict: the version the article is at now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i32>,
    /// Seconds for `Retry-After` (429 and 503).
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            current_version: None,
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        let mut p = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", detail);
        p.errors = errors.into_iter().map(|e| FieldProblem { field: e.field, message: e.message }).collect();
        p
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }
}

impl From<ContentError> for Problem {
    fn from(err: ContentError) -> Self {
        match err {
            ContentError::Validation(errors) => Problem::validation(errors),
            ContentError::NotFound(what) => Problem::not_found(format!("{what} not found")),
            ContentError::Conflict(detail) => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            e @ ContentError::VersionConflict { current, .. } => {
                let mut p = Problem::new(StatusCode::PRECONDITION_FAILED, "version-conflict", e.to_string());
                p.current_version = Some(current);
                p
            }
            ContentError::Unauthenticated(detail) => Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail),
            ContentError::Forbidden(detail) => Problem::new(StatusCode::FORBIDDEN, "forbidden", detail),
            e @ ContentError::RateLimited { retry_after } => {
                let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate-limited", e.to_string());
                p.retry_after =
                    Some(u32::try_from(crate::rate_limit::retry_after_secs(retry_after)).unwrap_or(u32::MAX));
                p
            }
            e @ ContentError::Unavailable(_) => {
                tracing::warn!(error = %e, "the database cannot be reached");
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database-unavailable",
                    "the database cannot be reached; try again shortly",
                );
                p.retry_after = Some(crate::content::error::UNAVAILABLE_RETRY_SECS);
                p
            }
            ContentError::Database(e) => {
                tracing::error!(error = %e, "database error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let unauthenticated = status == StatusCode::UNAUTHORIZED;
        let retry_after = self.retry_after;
        let mut res = (status, axum::Json(self)).into_response();
        if let Some(secs) = retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if unauthenticated {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

// Documented error answers, grouped by what a route can do. Every status a route can
// answer is listed in the OpenAPI document.

/// Errors of a public read.
#[derive(utoipa::IntoResponses)]
pub enum ReadErrors {
    /// A query parameter does not parse.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The bearer token is invalid (a read never needs one, but a bad one is refused).
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// Nothing by that name, or not visible to the caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A parameter is out of range or a cursor is not valid.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// Too many requests from this client without a token; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    RateLimited(Problem),
    /// The server is overloaded, the request took too long, or the database cannot be
    /// reached; see `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// Errors of a write.
#[derive(utoipa::IntoResponses)]
pub enum WriteErrors {
    /// The body is not valid JSON, or a parameter does not parse.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No valid bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthenticated(Problem),
    /// The token's role may not do this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Nothing by that name.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A slug is taken, or the thing is still in use.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is too large.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not JSON.
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// A field is invalid.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// Too many requests (sign-in and refresh attempts, or anonymous requests) from this
    /// client; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    RateLimited(Problem),
    /// The server is overloaded, the request took too long, or the database cannot be
    /// reached; see `Retry-After`.
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}
