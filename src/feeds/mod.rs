//! The feeds face: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site and for each tag,
//! category and series, and the sitemap. They go through the same HTTP caching as every
//! public read (ETag, Cache-Control, Surrogate-Key) and the response cache.

pub mod links;
pub mod render;
pub mod sitemap;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::content::feeds::{FeedScope, FeedSource};
use crate::content::{ArticleView, site::SiteView};
use crate::http_cache::keys;
use crate::rest::extract::Path;
use crate::rest::problem::{Problem, ReadErrors};
use links::ArticleUrl;
use render::{FeedDoc, FeedItem};

/// How feeds and the sitemap address things; from the environment (see `config`).
#[derive(Debug, Clone)]
pub struct FeedSettings {
    /// `COLOPHON_PUBLIC_URL`: where readers find the publication. When unset, the site's
    /// `url` (set by admins) is used, then [`FeedSettings::listen_url`].
    pub public_url: Option<String>,
    /// The server's own address (`http://` + `COLOPHON_ADDR`): a working last resort.
    pub listen_url: String,
    /// `COLOPHON_ARTICLE_URL`: an article page's address.
    pub article_url: ArticleUrl,
    /// `COLOPHON_FEED_CONTENT`: `full` (the article's HTML, the default) or `excerpt`.
    pub full_text: bool,
    /// `COLOPHON_FEED_SIZE`: how many of the newest articles a feed carries (1–100, 20).
    pub size: u64,
    /// Articles per sitemap file before `/sitemap.xml` becomes an index (not a setting:
    /// tests lower it).
    pub sitemap_per_file: u64,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            public_url: None,
            listen_url: format!("http://{}", crate::config::DEFAULT_ADDR),
            article_url: ArticleUrl::default(),
            full_text: true,
            size: 20,
            sitemap_per_file: sitemap::PER_FILE,
        }
    }
}

impl FeedSettings {
    /// The public URL in force: the setting, else the site's url, else our own address.
    pub fn base_url(&self, site: &SiteView) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        links::parse_public_url(&site.url).unwrap_or_else(|_| self.listen_url.clone())
    }

    pub fn article_link(&self, base: &str, a: &ArticleView) -> String {
        self.article_url.render(base, &a.row.slug, a.row.id, a.row.published_at)
    }
}

/// Feeds answer on paths outside `/api/v1`; the response cache keeps them too.
pub fn is_feed_path(path: &str) -> bool {
    path == "/sitemap.xml"
        || path.starts_with("/sitemap-")
        || ["/feed.xml", "/atom.xml", "/feed.json"].iter().any(|f| path.ends_with(f))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    fn file(self) -> &'static str {
        match self {
            Format::Rss => "feed.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// The path segment of a group's pages and feeds.
fn section(scope: &FeedScope) -> &'static str {
    match scope {
        FeedScope::Site => "",
        FeedScope::Tag(_) => "tags",
        FeedScope::Category(_) => "categories",
        FeedScope::Series(_) => "series",
    }
}

async fn serve_feed(state: &AppState, scope: FeedScope, format: Format) -> Result<Response, Problem> {
    let settings = &state.feeds;
    let site = state.content.site().await?;
    let Some(source) = state.content.feed(&scope, settings.size, settings.full_text).await? else {
        let (what, slug) = match &scope {
            FeedScope::Tag(s) => ("tag", s),
            FeedScope::Category(s) => ("category", s),
            FeedScope::Series(s) => ("series", s),
            FeedScope::Site => unreachable!("the site always has a feed"),
        };
        return Err(Problem::not_found(format!("{what} `{}` not found", slug.escape_debug())));
    };
    let base = settings.base_url(&site);
    let mut names = vec![keys::ARTICLES.to_string(), keys::TAXONOMY.to_string()];
    if let Some(g) = &source.group {
        names.push(match scope {
            FeedScope::Tag(_) => keys::tag(g.id),
            FeedScope::Category(_) => keys::category(g.id),
            _ => keys::series(g.id),
        });
    }
    names.extend(source.articles.iter().map(|a| keys::article(a.row.id)));
    let doc = feed_doc(settings, &site, &base, &scope, &source, format).xml_safe();
    let body = match format {
        Format::Rss => render::rss(&doc),
        Format::Atom => render::atom(&doc),
        Format::Json => render::json(&doc),
    };
    let mut res = crate::rest::keyed(names, body);
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    Ok(res)
}

fn feed_doc(
    settings: &FeedSettings,
    site: &SiteView,
    base: &str,
    scope: &FeedScope,
    source: &FeedSource,
    format: Format,
) -> FeedDoc {
    let authority = links::authority(base);
    let (title, description, home_url, self_url, id) = match &source.group {
        None => (
            site.title.clone(),
            site.description.clone(),
            format!("{base}/"),
            format!("{base}/{}", format.file()),
            format!("tag:{authority},2026:feed"),
        ),
        Some(g) => {
            let section = section(scope);
            let label = match scope {
                FeedScope::Tag(_) => format!("#{}", g.name),
                _ => g.name.clone(),
            };
            (
                format!("{} — {label}", site.title),
                g.description.clone(),
                format!("{base}/{section}/{}/", g.slug),
                format!("{base}/{section}/{}/{}", g.slug, format.file()),
                format!("tag:{authority},2026:{section}/{}", g.id),
            )
        }
    };
    let items: Vec<FeedItem> = source
        .articles
        .iter()
        .map(|a| {
            let published = a.row.published_at.unwrap_or(a.row.created_at);
            FeedItem {
                // Dated by creation: it stays when the article is republished at another time.
                id: format!("tag:{authority},{}:article/{}", a.row.created_at.format("%Y-%m-%d"), a.row.id),
                url: settings.article_link(base, a),
                title: a.row.title.clone(),
                summary: a.row.excerpt.clone(),
                html: settings.full_text.then(|| a.row.html.clone()),
                published,
                updated: a.row.updated_at.max(published),
                author: a.author.as_ref().map(|u| u.name.clone()),
                categories: a
                    .category
                    .iter()
                    .map(|c| c.name.clone())
                    .chain(a.tags.iter().map(|t| t.name.clone()))
                    .collect(),
                image: a.row.cover_image_url.clone(),
            }
        })
        .collect();
    let updated = items.iter().map(|i| i.updated).max().unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    FeedDoc { title, description, home_url, self_url, id, updated, items }
}

macro_rules! site_feed {
    ($name:ident, $path:literal, $format:expr, $ctype:literal, $body:tt, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(
                            get,
                            path = $path,
                            tag = "feeds",
                            security(()),
                            responses((status = 200, description = "The feed", content_type = $ctype, body = $body), ReadErrors)
                        )]
        pub async fn $name(State(state): State<AppState>) -> Result<Response, Problem> {
            serve_feed(&state, FeedScope::Site, $format).await
        }
    };
}

macro_rules! group_feed {
    ($name:ident, $path:literal, $scope:expr, $format:expr, $ctype:literal, $body:tt, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(
                    get,
                    path = $path,
                    tag = "feeds",
                    security(()),
                    params(("slug" = String, Path, description = "The id (digits only) or the slug (old tag slugs keep working)")),
                    responses((status = 200, description = "The feed", content_type = $ctype, body = $body), ReadErrors)
                )]
        pub async fn $name(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, Problem> {
            serve_feed(&state, $scope(slug), $format).await
        }
    };
}

site_feed!(site_rss, "/feed.xml", Format::Rss, "application/rss+xml", String, "The site's newest articles as RSS 2.0");
site_feed!(
    site_atom,
    "/atom.xml",
    Format::Atom,
    "application/atom+xml",
    String,
    "The site's newest articles as Atom 1.0"
);
site_feed!(
    site_json,
    "/feed.json",
    Format::Json,
    "application/feed+json",
    Object,
    "The site's newest articles as JSON Feed 1.1"
);
group_feed!(
    tag_rss,
    "/tags/{slug}/feed.xml",
    FeedScope::Tag,
    Format::Rss,
    "application/rss+xml",
    String,
    "A tag's newest articles as RSS 2.0"
);
group_feed!(
    tag_atom,
    "/tags/{slug}/atom.xml",
    FeedScope::Tag,
    Format::Atom,
    "application/atom+xml",
    String,
    "A tag's newest articles as Atom 1.0"
);
group_feed!(
    tag_json,
    "/tags/{slug}/feed.json",
    FeedScope::Tag,
    Format::Json,
    "application/feed+json",
    Object,
    "A tag's newest articles as JSON Feed 1.1"
);
group_feed!(
    category_rss,
    "/categories/{slug}/feed.xml",
    FeedScope::Category,
    Format::Rss,
    "application/rss+xml",
    String,
    "A category's newest articles (with its subcategories') as RSS 2.0"
);
group_feed!(
    category_atom,
    "/categories/{slug}/atom.xml",
    FeedScope::Category,
    Format::Atom,
    "application/atom+xml",
    String,
    "A category's newest articles (with its subcategories') as Atom 1.0"
);
group_feed!(
    category_json,
    "/categories/{slug}/feed.json",
    FeedScope::Category,
    Format::Json,
    "application/feed+json",
    Object,
    "A category's newest articles (with its subcategories') as JSON Feed 1.1"
);
group_feed!(
    series_rss,
    "/series/{slug}/feed.xml",
    FeedScope::Series,
    Format::Rss,
    "application/rss+xml",
    String,
    "A series' newest parts as RSS 2.0"
);
group_feed!(
    series_atom,
    "/series/{slug}/atom.xml",
    FeedScope::Series,
    Format::Atom,
    "application/atom+xml",
    String,
    "A series' newest parts as Atom 1.0"
);
group_feed!(
    series_json,
    "/series/{slug}/feed.json",
    FeedScope::Series,
    Format::Json,
    "application/feed+json",
    Object,
    "A series' newest parts as JSON Feed 1.1"
);

/// The feed routes and the sitemap, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(site_rss))
        .routes(routes!(site_atom))
        .routes(routes!(site_json))
        .routes(routes!(tag_rss))
        .routes(routes!(tag_atom))
        .routes(routes!(tag_json))
        .routes(routes!(category_rss))
        .routes(routes!(category_atom))
        .routes(routes!(category_json))
        .routes(routes!(series_rss))
        .routes(routes!(series_atom))
        .routes(routes!(series_json))
        .routes(routes!(sitemap::sitemap))
        .routes(routes!(sitemap::sitemap_part))
}
