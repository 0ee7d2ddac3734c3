//! `/sitemap.xml`: every published article's address with its last change. Past
//! [`PER_FILE`] articles it becomes a sitemap index of `/sitemap-{n}.xml` files (search
//! engines take 50,000 per file; smaller files stay quick to build and to cache). They sit
//! at the root: a sitemap may list only addresses below its own folder.

use std::fmt::Write;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::render::xml_escape;
use crate::app::AppState;
use crate::content::feeds::SitemapEntry;
use crate::http_cache::keys;
use crate::rest::extract::Path;
use crate::rest::problem::{Problem, ReadErrors};

pub const PER_FILE: u64 = 10_000;

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// Every published article, or an index of sitemap files when there are many.
#[utoipa::path(
    get,
    path = "/sitemap.xml",
    tag = "feeds",
    security(()),
    responses((status = 200, description = "A sitemap (or a sitemap index)", content_type = "application/xml", body = String), ReadErrors)
)]
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, Problem> {
    let site = state.content.site().await?;
    let base = state.feeds.base_url(&site);
    let per_file = state.feeds.sitemap_per_file;
    let files = site.article_count.div_ceil(per_file);
    if files <= 1 {
        let entries = state.content.sitemap_entries(0, per_file).await?;
        return Ok(xml(urlset(&state, &base, &entries)));
    }
    let mut out = format!("{HEAD}\n<sitemapindex xmlns=\"{NS}\">\n");
    for n in 1..=files {
        let _ = writeln!(out, "<sitemap><loc>{}</loc></sitemap>", xml_escape(&format!("{base}/sitemap-{n}.xml")));
    }
    out.push_str("</sitemapindex>\n");
    Ok(xml(out))
}

/// One file of a sitemap index: the `n`th run of 10,000 published articles by id.
#[utoipa::path(
    get,
    path = "/sitemap-{file}",
    tag = "feeds",
    security(()),
    params(("file" = String, Path, description = "`1.xml`, `2.xml`, … (`/sitemap-1.xml`) as the index lists them")),
    responses((status = 200, description = "A sitemap", content_type = "application/xml", body = String), ReadErrors)
)]
pub async fn sitemap_part(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, Problem> {
    let n = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| Problem::not_found(format!("sitemap-{} not found", file.escape_debug())))?;
    let per_file = state.feeds.sitemap_per_file;
    let entries = state.content.sitemap_entries((n - 1) * per_file, per_file).await?;
    if entries.is_empty() && n > 1 {
        return Err(Problem::not_found(format!("sitemap-{n}.xml not found")));
    }
    let site = state.content.site().await?;
    let base = state.feeds.base_url(&site);
    Ok(xml(urlset(&state, &base, &entries)))
}

fn urlset(state: &AppState, base: &str, entries: &[SitemapEntry]) -> String {
    let mut out = String::with_capacity(64 + entries.len() * 120);
    let _ = writeln!(out, "{HEAD}\n<urlset xmlns=\"{NS}\">");
    for e in entries {
        let loc = state.feeds.article_url.render(base, &e.slug, e.id, Some(e.published_at));
        let lastmod = e.updated_at.max(e.published_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let _ = writeln!(out, "<url><loc>{}</loc><lastmod>{lastmod}</lastmod></url>", xml_escape(&loc));
    }
    out.push_str("</urlset>\n");
    out
}

fn xml(body: String) -> Response {
    let mut res = crate::rest::keyed(vec![keys::ARTICLES.to_string()], body);
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    res
}
