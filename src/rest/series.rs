//! `/api/v1/series`: series pages in part order, and editors' management.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleList, LIST_NAMES, ListMeta, nullable, with_articles};
use super::extract::{Auth, JsonBody, Path, QueryParams, Signed};
use super::problem::{Problem, ReadErrors, WriteErrors};
use super::tags::{PageParams, created, group_page};
use crate::app::AppState;
use crate::content::groups::{Group, Grouping};
use crate::content::lookup::GroupKey;
use crate::content::series::{NewSeries, SeriesPatch};
use crate::content::{ArticleOrder, Content, ContentError, PageArgs};
use crate::entities::series;
use crate::http_cache::keys;

#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    /// Published parts.
    pub article_count: u64,
}

fn dto(s: series::Model, article_count: u64) -> Series {
    Series { id: s.id.to_string(), slug: s.slug, title: s.title, description: s.description, article_count }
}

async fn with_count(content: &Content, s: series::Model) -> Result<Series, ContentError> {
    let n = content.group_counts(Grouping::Series, &[Group { id: s.id, keys: vec![s.id] }]).await?;
    let count = n.get(&s.id).copied().unwrap_or(0);
    Ok(dto(s, count))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesList {
    pub data: Vec<Series>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesData {
    pub data: Series,
}

// Schema only: `get_series` writes this shape from cards (`articles::with_articles`).
#[allow(dead_code)]
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPage {
    pub data: SeriesWithArticles,
}

#[allow(dead_code)]
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesWithArticles {
    #[serde(flatten)]
    pub series: Series,
    /// Published parts in part order.
    pub articles: ArticleList,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesListParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Series by title. Readers see series with published parts.
#[utoipa::path(
    get,
    path = "/api/v1/series",
    tag = "series",
    params(SeriesListParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "A page of series", body = SeriesList), ReadErrors)
)]
pub async fn list_series(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    QueryParams(params): QueryParams<SeriesListParams>,
) -> Result<Response, Problem> {
    let page = PageArgs { first: params.limit, after: params.cursor, names: LIST_NAMES, ..Default::default() };
    let result = state.content.series_list(&viewer, &page).await?;
    let next_cursor = result.next_cursor();
    let groups: Vec<Group> = result.items.iter().map(|(_, s)| Group { id: s.id, keys: vec![s.id] }).collect();
    let counts = state.content.group_counts(Grouping::Series, &groups).await?;
    Ok(super::keyed(
        vec![keys::TAXONOMY.to_string()],
        axum::Json(SeriesList {
            meta: ListMeta { total: result.total, limit: params.limit.unwrap_or(20) as u64, next_cursor },
            data: result
                .items
                .into_iter()
                .map(|(_, s)| {
                    let n = counts.get(&s.id).copied().unwrap_or(0);
                    dto(s, n)
                })
                .collect(),
        }),
    ))
}

/// A series page: the series and its published parts in order.
#[utoipa::path(
    get,
    path = "/api/v1/series/{slug}",
    tag = "series",
    params(("slug" = String, Path, description = "The series' id (digits only) or its slug"), PageParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The series and its parts", body = SeriesPage), ReadErrors)
)]
pub async fn get_series(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(slug): Path<String>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Response, Problem> {
    let Some(s) = state.content.series(&viewer, GroupKey::Path(&slug)).await? else {
        return Err(Problem::not_found(format!("series `{slug}` not found")));
    };
    let group = Group { id: s.id, keys: vec![s.id] };
    let articles =
        group_page(&state.content, Grouping::Series, group, ArticleOrder::SeriesPart, params.limit, params.cursor)
            .await?;
    let mut names = vec![keys::series(s.id)];
    let body = with_articles(&dto(s, articles.total), &articles);
    names.extend(articles.shown);
    Ok(super::keyed(names, super::json_text(body)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSeries {
    #[schema(value_type = super::fields::Title)]
    pub title: String,
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    #[schema(value_type = Option<super::fields::Description>)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateSeries {
    #[schema(value_type = Option<super::fields::Title>)]
    pub title: Option<String>,
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::Description>)]
    pub description: Option<Option<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderSeries {
    /// Articles of the series (ids), in their new order: the part numbers they hold, gaps
    /// included, are handed out among them in this order. Articles not listed keep theirs.
    pub article_ids: Vec<String>,
}

/// Create a series.
#[utoipa::path(
    post,
    path = "/api/v1/series",
    tag = "series",
    request_body = CreateSeries,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = SeriesData,
        headers(("Location" = String, description = "The new series' URL"))), WriteErrors)
)]
pub async fn create_series(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<CreateSeries>,
) -> Result<Response, Problem> {
    let input = NewSeries { title: body.title, slug: body.slug, description: body.description };
    let s = state.content.create_series(&viewer, input).await?;
    let location = format!("/api/v1/series/{}", s.slug);
    Ok(created(location, SeriesData { data: with_count(&state.content, s).await? }))
}

/// Rename or describe a series.
#[utoipa::path(
    patch,
    path = "/api/v1/series/{slug}",
    tag = "series",
    params(("slug" = String, Path, description = "The series' id (digits only) or its slug")),
    request_body = UpdateSeries,
    security(("bearer" = [])),
    responses((status = 200, description = "The updated series", body = SeriesData), WriteErrors)
)]
pub async fn update_series(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<UpdateSeries>,
) -> Result<axum::Json<SeriesData>, Problem> {
    let patch = SeriesPatch { title: body.title, slug: body.slug, description: body.description };
    let s = state.content.update_series(&viewer, &slug, patch).await?;
    Ok(axum::Json(SeriesData { data: with_count(&state.content, s).await? }))
}

/// Delete a series; refused with 409 while articles belong to it.
#[utoipa::path(
    delete,
    path = "/api/v1/series/{slug}",
    tag = "series",
    params(("slug" = String, Path, description = "The series' id (digits only) or its slug")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), WriteErrors)
)]
pub async fn delete_series(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
) -> Result<StatusCode, Problem> {
    state.content.delete_series(&viewer, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reorder the parts of a series in one call (all of them, or the ones listed).
#[utoipa::path(
    put,
    path = "/api/v1/series/{slug}/order",
    tag = "series",
    params(("slug" = String, Path, description = "The series' id (digits only) or its slug")),
    request_body = ReorderSeries,
    security(("bearer" = [])),
    responses((status = 200, description = "The series", body = SeriesData), WriteErrors)
)]
pub async fn reorder_series(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<ReorderSeries>,
) -> Result<axum::Json<SeriesData>, Problem> {
    let s = state.content.reorder_series(&viewer, &slug, &body.article_ids).await?;
    Ok(axum::Json(SeriesData { data: with_count(&state.content, s).await? }))
}
