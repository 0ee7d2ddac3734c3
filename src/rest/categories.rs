//! `/api/v1/categories`: the topic index, category pages, and editors' management.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleList, ArticleSummary, LIST_NAMES, card_entries, nullable, with_articles, with_member};
use super::extract::{Auth, JsonBody, Path, QueryParams, Signed};
use super::problem::{Problem, ReadErrors, WriteErrors};
use super::tags::{created, group_page};
use crate::app::AppState;
use crate::content::Card;
use crate::content::categories::{CategoryPatch, NewCategory};
use crate::content::groups::{Group, Grouping};
use crate::content::lookup::GroupKey;
use crate::content::tree::CategoryTree;
use crate::content::{ArticleOrder, ContentError, PageArgs};
use crate::entities::category;
use crate::http_cache::keys;

/// A category in the tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// Order among siblings, ascending.
    pub position: i32,
    /// The parent's slug; null for a root.
    pub parent: Option<String>,
    /// 0 for a root.
    pub depth: i32,
    /// Published articles in this category (with its descendants when asked).
    pub article_count: u64,
}

/// A category of the list, with its first articles when `?articles=N` asks for them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryEntry {
    #[serde(flatten)]
    pub category: Category,
    /// With `?articles=N`: its first N published articles, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub articles: Option<Vec<ArticleSummary>>,
}

/// Enough of a category to link to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryLink {
    pub slug: String,
    pub name: String,
}

fn dto(tree: &CategoryTree, c: &category::Model, article_count: u64) -> Category {
    Category {
        id: c.id.to_string(),
        slug: c.slug.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        position: c.position,
        parent: c.parent_id.and_then(|p| tree.get(p)).map(|p| p.slug.clone()),
        depth: tree.depth(c.id) as i32,
        article_count,
    }
}

fn link(c: &category::Model) -> CategoryLink {
    CategoryLink { slug: c.slug.clone(), name: c.name.clone() }
}

fn groups(tree: &CategoryTree, ids: impl Iterator<Item = i32>, descendants: bool) -> Vec<Group> {
    ids.map(|id| Group { id, keys: if descendants { tree.with_descendants(id) } else { vec![id] } }).collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryArray {
    pub data: Vec<CategoryEntry>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryListParams {
    /// Embed each category's first N published articles (0–100, default 0): the topic index
    /// in one request.
    #[param(minimum = 0, maximum = 100)]
    pub articles: Option<i64>,
    /// Count and list the articles of descendants too (default false).
    pub include_descendants: Option<bool>,
}

/// Every category in tree order (parents before children, siblings by position), with
/// counts, and optionally each one's first articles.
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "categories",
    params(CategoryListParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "All categories", body = CategoryArray), ReadErrors)
)]
pub async fn list_categories(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    QueryParams(params): QueryParams<CategoryListParams>,
) -> Result<Response, Problem> {
    let n = params.articles.unwrap_or(0);
    if !(0..=100).contains(&n) {
        return Err(ContentError::field("articles", "must be between 0 and 100").into());
    }
    let descendants = params.include_descendants.unwrap_or(false);
    let tree = state.content.category_tree_for(&viewer).await?;
    let gs = groups(&tree, tree.ordered().iter().map(|c| c.id), descendants);
    if n > 0 {
        let page = PageArgs { first: Some(n), names: LIST_NAMES, ..Default::default() };
        let pages = state.content.grouped_cards(Grouping::Category, &gs, ArticleOrder::PublishedDesc, &page).await?;
        // One batch for all categories' articles, so the series neighbours load once too.
        let shown: Vec<&Card> = tree
            .ordered()
            .iter()
            .filter_map(|c| pages.get(&c.id))
            .flat_map(|p| p.items.iter().map(|(_, a)| a))
            .collect();
        let mut entries = card_entries(&state.content, &shown).await?.into_iter();
        // With articles, the cards show what their articles' keys purge (an author's name).
        let names = super::list_keys([keys::TAXONOMY.to_string()], shown.iter().copied());
        let mut json = String::from("{\"data\":[");
        for (i, c) in tree.ordered().iter().enumerate() {
            let page = pages.get(&c.id);
            let head = CategoryEntry { category: dto(&tree, c, page.map(|p| p.total).unwrap_or(0)), articles: None };
            let own: Vec<String> = entries.by_ref().take(page.map(|p| p.items.len()).unwrap_or(0)).collect();
            if i > 0 {
                json.push(',');
            }
            json.push_str(&with_member(&head, "articles", &format!("[{}]", own.join(","))));
        }
        json.push_str("]}");
        return Ok(super::keyed(names, super::json_text(json)));
    }
    let counts = state.content.group_counts(Grouping::Category, &gs).await?;
    let data = tree
        .ordered()
        .iter()
        .map(|c| CategoryEntry { category: dto(&tree, c, counts.get(&c.id).copied().unwrap_or(0)), articles: None })
        .collect();
    Ok(super::keyed(vec![keys::TAXONOMY.to_string()], axum::Json(CategoryArray { data })))
}

/// A category page: the category, its breadcrumbs and children, and its articles.
// Schema only: `get_category` writes this shape from cards (`articles::with_articles`).
#[allow(dead_code)]
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryPage {
    pub data: CategoryDetail,
}

#[allow(dead_code)]
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDetail {
    #[serde(flatten)]
    pub category: Category,
    /// From the root down to the parent.
    pub ancestors: Vec<CategoryLink>,
    pub children: Vec<CategoryLink>,
    pub articles: ArticleList,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryPageParams {
    /// Page size of the articles, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `articles.meta.next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Include the articles of descendant categories (default false).
    pub include_descendants: Option<bool>,
}

/// One category with its breadcrumbs, children and a page of its published articles.
#[utoipa::path(
    get,
    path = "/api/v1/categories/{slug}",
    tag = "categories",
    params(("slug" = String, Path, description = "The category's id (digits only) or its slug"), CategoryPageParams),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The category page", body = CategoryPage), ReadErrors)
)]
pub async fn get_category(
    State(state): State<AppState>,
    Auth(viewer): Auth,
    Path(slug): Path<String>,
    QueryParams(params): QueryParams<CategoryPageParams>,
) -> Result<Response, Problem> {
    let tree = state.content.category_tree_for(&viewer).await?;
    let Some(c) = tree.by_key(GroupKey::Path(&slug)) else {
        return Err(Problem::not_found(format!("category `{slug}` not found")));
    };
    let descendants = params.include_descendants.unwrap_or(false);
    let group = groups(&tree, std::iter::once(c.id), descendants).remove(0);
    let articles =
        group_page(&state.content, Grouping::Category, group, ArticleOrder::PublishedDesc, params.limit, params.cursor)
            .await?;
    let mut names = vec![keys::category(c.id)];
    let head = CategoryHead {
        category: dto(&tree, c, articles.total),
        ancestors: tree.ancestors(c.id).into_iter().map(link).collect(),
        children: tree.children(Some(c.id)).into_iter().map(link).collect(),
    };
    let body = with_articles(&head, &articles);
    names.extend(articles.shown);
    Ok(super::keyed(names, super::json_text(body)))
}

/// A [`CategoryDetail`] but its articles, which [`with_articles`] adds.
#[derive(Serialize)]
struct CategoryHead {
    #[serde(flatten)]
    category: Category,
    ancestors: Vec<CategoryLink>,
    children: Vec<CategoryLink>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryData {
    pub data: Category,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    #[schema(value_type = super::fields::Name)]
    pub name: String,
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    #[schema(value_type = Option<super::fields::Description>)]
    pub description: Option<String>,
    /// The parent's slug or id; a root category without one.
    pub parent: Option<String>,
    /// Order among siblings, ascending (-1000000 to 1000000); after the last sibling when absent.
    #[schema(minimum = -1000000, maximum = 1000000)]
    #[serde(default, deserialize_with = "super::extract::integer")]
    pub position: Option<i32>,
}

/// Absent fields are kept. `parent: null` makes it a root; a category never moves under
/// itself or its descendants.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    #[schema(value_type = Option<super::fields::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<super::fields::Slug>)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<super::fields::Description>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub parent: Option<Option<String>>,
    #[schema(minimum = -1000000, maximum = 1000000)]
    #[serde(default, deserialize_with = "super::extract::integer")]
    pub position: Option<i32>,
}

async fn category_data(state: &AppState, c: category::Model) -> Result<CategoryData, ContentError> {
    let tree = state.content.category_tree().await?;
    let counts = state.content.group_counts(Grouping::Category, &[Group { id: c.id, keys: vec![c.id] }]).await?;
    Ok(CategoryData { data: dto(&tree, &c, counts.get(&c.id).copied().unwrap_or(0)) })
}

/// Create a category.
#[utoipa::path(
    post,
    path = "/api/v1/categories",
    tag = "categories",
    request_body = CreateCategory,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = CategoryData,
        headers(("Location" = String, description = "The new category's URL"))), WriteErrors)
)]
pub async fn create_category(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<CreateCategory>,
) -> Result<Response, Problem> {
    let input = NewCategory {
        name: body.name,
        slug: body.slug,
        description: body.description,
        parent: body.parent,
        position: body.position,
    };
    let c = state.content.create_category(&viewer, input).await?;
    let location = format!("/api/v1/categories/{}", c.slug);
    Ok(created(location, category_data(&state, c).await?))
}

/// Rename, describe, move or reorder a category.
#[utoipa::path(
    patch,
    path = "/api/v1/categories/{slug}",
    tag = "categories",
    params(("slug" = String, Path, description = "The category's id (digits only) or its slug")),
    request_body = UpdateCategory,
    security(("bearer" = [])),
    responses((status = 200, description = "The updated category", body = CategoryData), WriteErrors)
)]
pub async fn update_category(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
    JsonBody(body): JsonBody<UpdateCategory>,
) -> Result<axum::Json<CategoryData>, Problem> {
    let patch = CategoryPatch {
        name: body.name,
        slug: body.slug,
        description: body.description,
        parent: body.parent,
        position: body.position,
    };
    let c = state.content.update_category(&viewer, &slug, patch).await?;
    Ok(axum::Json(category_data(&state, c).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteCategoryParams {
    /// A category (slug or id) to take over the articles and children.
    pub reassign_to: Option<String>,
}

/// Delete a category. Refused with 409 while articles or children use it, unless
/// `reassign_to` names a category to take them over.
#[utoipa::path(
    delete,
    path = "/api/v1/categories/{slug}",
    tag = "categories",
    params(("slug" = String, Path, description = "The category's id (digits only) or its slug"), DeleteCategoryParams),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), WriteErrors)
)]
pub async fn delete_category(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(slug): Path<String>,
    QueryParams(params): QueryParams<DeleteCategoryParams>,
) -> Result<StatusCode, Problem> {
    state.content.delete_category(&viewer, &slug, params.reassign_to.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
