//! `GET /api/v1/sync`: delta sync (see `content::sync`).

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{Article, article_dtos};
use super::extract::{Auth, QueryParams};
use super::problem::{Problem, ReadErrors};
use crate::app::AppState;
use crate::content::sync::{SyncArgNames, SyncArgs};
use crate::http_cache::keys;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncParams {
    /// `next_token` from the last answer; without it, every published article from the start.
    pub token: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncPage {
    /// Published articles, new or changed since the token, with their text; oldest change first.
    pub items: Vec<Article>,
    /// Ids of articles that left public view (unpublished, archived, deleted): drop them.
    pub deleted: Vec<String>,
    /// Send as `token` next: for the next page while `has_more`, else later for what changed.
    pub next_token: String,
    pub has_more: bool,
}

/// Delta sync for mobile clients and static builds
///
/// Without a token: every published article, page by page. With the `next_token` of the
/// last answer: the articles that changed since (`items`, in their current form) and the
/// ids of those that left public view (`deleted`). Keep asking while `has_more`.
#[utoipa::path(
    get,
    path = "/api/v1/sync",
    tag = "articles",
    params(SyncParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "A page of changes", body = SyncPage), ReadErrors)
)]
pub async fn sync(
    State(state): State<AppState>,
    Auth(_viewer): Auth,
    QueryParams(params): QueryParams<SyncParams>,
) -> Result<Response, Problem> {
    let args = SyncArgs { token: params.token, limit: params.limit, names: SyncArgNames::default() };
    let mut page = state.content.sync(&args).await?;
    let texts: Vec<(String, String, Option<String>)> = page
        .items
        .iter_mut()
        .map(|v| (std::mem::take(&mut v.row.body), std::mem::take(&mut v.row.html), v.row.custom_excerpt.clone()))
        .collect();
    let summaries = article_dtos(&state.content, page.items).await?;
    let names =
        std::iter::once(keys::ARTICLES.to_string()).chain(summaries.iter().map(|a| keys::article(&a.id))).collect();
    let items = summaries
        .into_iter()
        .zip(texts)
        .map(|(summary, (body, html, custom_excerpt))| Article { summary, body, html, custom_excerpt })
        .collect();
    let body = SyncPage {
        items,
        deleted: page.deleted.iter().map(i32::to_string).collect(),
        next_token: page.next_token,
        has_more: page.has_more,
    };
    Ok(super::keyed(names, axum::Json(body)))
}
