//! `POST /api/v1/render`: Markdown rendered as a saved body would be, for an editor's
//! preview (GraphQL: `renderMarkdown`).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{JsonBody, Signed};
use super::problem::{Problem, WriteErrors};
use crate::app::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    /// Markdown, as an article's `body` takes it (at most 1 MiB).
    pub markdown: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rendered {
    /// The sanitized HTML readers would get.
    pub html: String,
    pub word_count: i32,
    pub reading_minutes: i32,
    /// The excerpt an article with this body and no excerpt of its own would get.
    pub excerpt: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedData {
    pub data: Rendered,
}

/// Render Markdown exactly as a saved body is rendered (a preview). Anyone who may write;
/// it changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/render",
    tag = "editorial",
    request_body = RenderRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "The rendering", body = RenderedData), WriteErrors)
)]
pub async fn render(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<RenderRequest>,
) -> Result<Response, Problem> {
    let r = state.content.render_markdown(&viewer, body.markdown).await?;
    let data =
        Rendered { html: r.html, word_count: r.word_count, reading_minutes: r.reading_minutes, excerpt: r.excerpt };
    // A preview changes nothing: the response cache keeps what it has.
    Ok((axum::Extension(crate::response_cache::ReadOnly), axum::Json(RenderedData { data })).into_response())
}
