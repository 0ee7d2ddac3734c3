//! `/api/v1/site`, `/api/v1/archive` and `/api/v1/search`.

use axum::extract::State;
use axum::response::IntoResponse as _;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleSummary, LIST_NAMES, ListMeta, article_dtos};
use super::extract::{Auth, JsonBody, QueryParams, Signed};
use super::problem::{Problem, ReadErrors, WriteErrors};
use crate::app::AppState;
use crate::content::PageArgs;
use crate::content::site::{SitePatch, SiteView};
use crate::http_cache::keys;

/// The publication's own facts and counts (published content only).
#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    pub title: String,
    pub description: String,
    pub url: String,
    pub article_count: u64,
    /// Tags with at least one published article.
    pub tag_count: u64,
    pub category_count: u64,
    /// Series with at least one published article.
    pub series_count: u64,
}

impl From<SiteView> for Site {
    fn from(s: SiteView) -> Self {
        Site {
            title: s.title,
            description: s.description,
            url: s.url,
            article_count: s.article_count,
            tag_count: s.tag_count,
            category_count: s.category_count,
            series_count: s.series_count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteData {
    pub data: Site,
}

/// Site facts and counts.
#[utoipa::path(
    get,
    path = "/api/v1/site",
    tag = "site",
    security((), ("bearer" = [])),
    responses((status = 200, description = "The site", body = SiteData), ReadErrors)
)]
pub async fn get_site(State(state): State<AppState>, Auth(_viewer): Auth) -> Result<Response, Problem> {
    let names = vec![keys::TAXONOMY.to_string(), keys::ARTICLES.to_string()];
    Ok(super::keyed(names, axum::Json(SiteData { data: state.content.site().await?.into() })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    #[schema(value_type = Option<super::fields::Title>)]
    pub title: Option<String>,
    #[schema(value_type = Option<super::fields::ShortText>)]
    pub description: Option<String>,
    /// The publication's public URL (http or https).
    #[schema(value_type = Option<super::fields::WebUrl>)]
    pub url: Option<String>,
}

/// Set the site's title, description and url. Admins only.
#[utoipa::path(
    patch,
    path = "/api/v1/site",
    tag = "site",
    request_body = UpdateSite,
    security(("bearer" = [])),
    responses((status = 200, description = "The site", body = SiteData), WriteErrors)
)]
pub async fn update_site(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<UpdateSite>,
) -> Result<axum::Json<SiteData>, Problem> {
    let patch = SitePatch { title: body.title, description: body.description, url: body.url };
    Ok(axum::Json(SiteData { data: state.content.update_site(&viewer, patch).await?.into() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArchiveMonth {
    pub year: i32,
    /// 1–12.
    pub month: u32,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Archive {
    /// Months with published articles, newest first. A month's articles:
    /// `/api/v1/articles?published_after=…&published_before=…`.
    pub data: Vec<ArchiveMonth>,
}

/// Months with published articles, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/archive",
    tag = "site",
    security((), ("bearer" = [])),
    responses((status = 200, description = "The archive", body = Archive), ReadErrors)
)]
pub async fn get_archive(State(state): State<AppState>, Auth(_viewer): Auth) -> Result<Response, Problem> {
    let months = state.content.archive().await?;
    Ok(super::keyed(
        vec![keys::ARTICLES.to_string()],
        axum::Json(Archive {
            data: months.into_iter().map(|m| ArchiveMonth { year: m.year, month: m.month, count: m.count }).collect(),
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for; any text is safe.
    pub q: String,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub article: ArticleSummary,
    /// HTML-escaped text around the match, matched words in `<mark>`.
    pub snippet: String,
    /// Higher is better; comparable within one search only.
    pub score: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub data: Vec<SearchResult>,
    pub meta: ListMeta,
}

/// Published articles matching `q`, best first: title weighs most, then excerpt, tags, body.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "site",
    params(SearchParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "Ranked matches", body = SearchResults), ReadErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Auth(_viewer): Auth,
    QueryParams(params): QueryParams<SearchParams>,
) -> Result<Response, Problem> {
    let page = PageArgs { first: params.limit, after: params.cursor, names: LIST_NAMES, ..Default::default() };
    let result = state.content.search(&params.q, &page).await.map_err(|e| match e {
        crate::content::ContentError::Validation(mut errs) => {
            errs.iter_mut().filter(|f| f.field == "query").for_each(|f| f.field = "q".into());
            crate::content::ContentError::Validation(errs)
        }
        other => other,
    })?;
    let next_cursor = result.next_cursor();
    let (views, rest): (Vec<_>, Vec<_>) =
        result.items.into_iter().map(|(_, h)| (h.article, (h.snippet, h.score))).unzip();
    let articles = article_dtos(&state.content, views).await?;
    let names = super::list_keys([keys::ARTICLES.to_string()], &articles);
    Ok((
        axum::Extension(crate::guard::allowance::Cost::SEARCH),
        super::keyed(
            names,
            axum::Json(SearchResults {
                meta: ListMeta { total: result.total, limit: params.limit.unwrap_or(20) as u64, next_cursor },
                data: articles
                    .into_iter()
                    .zip(rest)
                    .map(|(article, (snippet, score))| SearchResult { article, snippet, score })
                    .collect(),
            }),
        ),
    )
        .into_response())
}
