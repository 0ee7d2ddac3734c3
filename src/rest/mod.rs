//! The REST face: `/api/v1`, JSON in snake_case, problem+json errors. Routes are
//! registered together with their OpenAPI description (utoipa), so `openapi.yaml` is
//! generated from the same code that serves the requests.

pub mod articles;
pub mod categories;
pub mod editorial;
pub mod extract;
pub mod fields;
pub mod problem;
pub mod query;
pub mod render;
pub mod series;
pub mod site;
pub mod sync;
pub mod tags;
pub mod webhooks;

use axum::response::IntoResponse;

use crate::http_cache::{SurrogateKeys, keys};

/// A read's body with the purge keys of what it shows (see `http_cache`).
pub fn keyed<T: axum::response::IntoResponse>(names: Vec<String>, body: T) -> axum::response::Response {
    (axum::Extension(SurrogateKeys(names)), body).into_response()
}

/// An article a list shows, as far as its purge keys go.
pub trait Shown {
    fn article_id(&self) -> String;
    /// The series whose neighbours its entry links to.
    fn series_id(&self) -> Option<i32>;
}

impl Shown for articles::ArticleSummary {
    fn article_id(&self) -> String {
        self.id.clone()
    }
    fn series_id(&self) -> Option<i32> {
        self.series_id
    }
}

impl Shown for crate::content::Card {
    fn article_id(&self) -> String {
        self.id.to_string()
    }
    fn series_id(&self) -> Option<i32> {
        self.series_id
    }
}

/// Keys of a list of articles: what the list is, plus each article shown and the series
/// whose neighbours its card links to.
pub fn list_keys<'a, S: Shown + 'a>(
    first: impl IntoIterator<Item = String>,
    shown: impl IntoIterator<Item = &'a S>,
) -> Vec<String> {
    let mut names: Vec<String> = first.into_iter().collect();
    for a in shown {
        names.push(keys::article(a.article_id()));
        if let Some(series) = a.series_id().map(keys::series)
            && !names.contains(&series)
        {
            names.push(series);
        }
    }
    names
}

/// A JSON body written by hand (see [`articles::CardList`]).
pub fn json_text(body: String) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"))], body)
}

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Colophon REST API",
        description = "Articles, tags, categories and series of a technical publication. \
Errors are RFC 9457 problem details (`application/problem+json`). Lists are cursor-paginated \
and link the next page with an RFC 8288 `Link` header. Writes need `Authorization: Bearer <JWT>`. \
In every path, reads and writes alike, a segment of digits only names a record by id and anything \
else names it by slug (current or old); no slug is digits only, so the two never meet (a title \
like \"2024\" gets the slug `2024-2`). Readers see tags, categories and series only once a \
published article uses them (a category: in it or below it).",
        license(name = "MIT", identifier = "MIT"),
        contact(name = "Colophon maintainers"),
    ),
    servers((url = "/", description = "This server")),
    modifiers(&BearerAuth),
    tags(
        (name = "articles", description = "Articles: reads for everyone, writes for editors"),
        (name = "tags", description = "Tags and tag pages"),
        (name = "categories", description = "The category tree, topic index and category pages"),
        (name = "series", description = "Series and their parts in order"),
        (name = "site", description = "Site facts, the archive and search"),
        (name = "editorial", description = "Revisions, the trash, previews and the audit log"),
        (name = "auth", description = "Sign-in, sessions and accounts"),
        (name = "webhooks", description = "Endpoints that receive signed events, their delivery log and redelivery"),
        (name = "feeds", description = "RSS, Atom and JSON Feed for the site and each tag, category and series; the sitemap"),
    ),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The REST routes and their OpenAPI description, built together.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(articles::list_articles, articles::create_article))
        .routes(routes!(articles::get_article, articles::update_article, articles::delete_article))
        .routes(routes!(articles::publish_article))
        .routes(routes!(articles::unpublish_article))
        .routes(routes!(articles::archive_article))
        .routes(routes!(articles::related_articles))
        .routes(routes!(tags::list_tags, tags::create_tag))
        .routes(routes!(tags::get_tag, tags::update_tag, tags::delete_tag))
        .routes(routes!(tags::merge_tag))
        .routes(routes!(categories::list_categories, categories::create_category))
        .routes(routes!(categories::get_category, categories::update_category, categories::delete_category))
        .routes(routes!(series::list_series, series::create_series))
        .routes(routes!(series::get_series, series::update_series, series::delete_series))
        .routes(routes!(series::reorder_series))
        .routes(routes!(site::get_site, site::update_site))
        .routes(routes!(site::get_archive))
        .routes(routes!(site::search))
        .routes(routes!(sync::sync))
        .routes(routes!(editorial::list_revisions))
        .routes(routes!(editorial::get_revision))
        .routes(routes!(render::render))
        .routes(routes!(editorial::restore_revision))
        .routes(routes!(editorial::list_trash))
        .routes(routes!(editorial::restore_article))
        .routes(routes!(editorial::purge_article))
        .routes(routes!(editorial::create_preview_token))
        .routes(routes!(editorial::sign_in))
        .routes(routes!(editorial::refresh, editorial::end_cookie_session))
        .routes(routes!(editorial::sign_out))
        .routes(routes!(editorial::me))
        .routes(routes!(editorial::list_users, editorial::create_user))
        .routes(routes!(editorial::update_user))
        .routes(routes!(editorial::audit_log))
        .routes(routes!(webhooks::list_webhooks, webhooks::create_webhook))
        .routes(routes!(webhooks::get_webhook, webhooks::update_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::redeliver))
        // Outside /api/v1, but part of the same published HTTP contract.
        .merge(crate::feeds::router())
}

/// The OpenAPI document as YAML: what `openapi.yaml` holds and `/api/v1/openapi.yaml` serves.
pub fn openapi_yaml() -> String {
    openapi().to_yaml().expect("the OpenAPI document serializes")
}

/// The OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = router().split_for_parts();
    // utoipa takes a handler's first doc line as the summary and the rest as the
    // description; one-line docs leave the description empty, so repeat the summary there.
    for item in api.paths.paths.values_mut() {
        for op in
            [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
        {
            if op.description.as_deref().is_none_or(str::is_empty) {
                op.description = op.summary.clone();
            }
        }
    }
    api
}
