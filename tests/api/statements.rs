//! Every public page runs a pinned number of SQL statements, on each face: the same number
//! for a small and a larger publication (no N+1), and exactly the number written below, so
//! a change that adds a statement to a page must change this file on purpose.
//!
//! Counted with the response cache off (a cached answer runs none). The GraphQL pages are
//! the front end's own operations (`examples/operations/`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use colophon::app::AppState;
use colophon::auth::Jwt;
use colophon::content::Content;
use serde_json::{Value, json};

use crate::support::{Backend, SECRET, TestApp, connect_migrated, fresh_database, operation};

/// (page, statements) on SQLite and on PostgreSQL. The README's figure for a REST list page
/// ("3–4 statements") is checked against these below. Search runs two statements more on
/// SQLite (FTS5) than on PostgreSQL.
const PINNED: &[(&str, usize, usize)] = &[
    ("rest home", 3, 3),
    ("rest home, page 2", 3, 3),
    ("rest article", 2, 2),
    ("rest related", 5, 5),
    ("rest tag", 6, 6),
    ("rest tag's articles", 4, 4),
    ("rest category", 5, 5),
    ("rest topic index", 5, 5),
    ("rest series", 6, 6),
    ("rest search", 5, 3),
    ("rest sync", 4, 4),
    ("rest site", 3, 3),
    ("rest archive", 1, 1),
    ("feed rss", 6, 6),
    ("feed atom", 6, 6),
    ("feed json", 6, 6),
    ("feed tag rss", 9, 9),
    ("sitemap", 4, 4),
    ("graphql HomePage", 10, 10),
    ("graphql HomePage, page 2", 10, 10),
    ("graphql ArticlePage", 7, 7),
    ("graphql TagPage", 7, 7),
    ("graphql category", 5, 5),
    ("graphql TopicIndex", 10, 10),
    ("graphql SeriesPage", 6, 6),
    ("graphql Search", 5, 3),
    ("graphql sync", 3, 3),
    ("graphql related of a long list", 5, 5),
];

const CATEGORY_PAGE: &str = "query($slug: String!) { category(slug: $slug) { slug name articleCount \
    articles(first: 20) { totalCount nodes { slug title excerpt tags { slug name } series { title } seriesPart } } } }";
/// Over 30 items async-graphql resolves a list differently (`FuturesOrdered`), and each item
/// asks for its related articles last: still one batch for all of them.
const LONG_LIST_TEXTS: &str = "{ articles(first: 40) { nodes { slug title related(first: 2) { slug } } } }";
const SYNC: &str = "{ sync(first: 50) { nextToken hasMore deleted items { id slug title html tags { slug } } } }";

/// A publication of `categories` × `per_category` articles, each in a category, two tags
/// (one shared by all) and one of two series; then the statements each page runs.
async fn statements(backend: Backend, categories: usize, per_category: usize) -> Option<Vec<(String, usize)>> {
    let (url, dir) = fresh_database(backend).await?;
    let mut db = connect_migrated(&url).await;
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    db.set_metric_callback(move |info| {
        c.fetch_add(1, Ordering::SeqCst);
        if std::env::var("SHOW_SQL").is_ok() {
            eprintln!("SQL: {}", info.statement.sql.chars().take(160).collect::<String>());
        }
    });
    let content = Content::new(db);
    let jwt = Jwt::hs256(SECRET, None, None);
    let app = TestApp::from_state(AppState::with_cache(content, jwt, false), Some(dir));
    for c in 0..categories {
        for a in 0..per_category {
            let created = app
                .create(json!({
                    "title": format!("Article {c}-{a}"),
                    "body": format!("About topic {a}, in words enough to search."),
                    "category": format!("Category {c}"),
                    "tags": [format!("Tag {a}"), "Common"],
                    "series": format!("Series {}", a % 2),
                }))
                .await;
            app.publish(created["id"].as_str().unwrap(), None).await;
        }
    }
    let home = app.get("/api/v1/articles?limit=2", None).await.json();
    let cursor = home["meta"]["next_cursor"].as_str().unwrap().to_string();
    let gql_cursor = app.gql_ok("{ articles(first: 2) { pageInfo { endCursor } } }", json!({}), None).await["articles"]
        ["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();

    let mut counts = Vec::new();
    let rest = [
        ("rest home", "/api/v1/articles?limit=20".to_string()),
        ("rest home, page 2", format!("/api/v1/articles?limit=20&cursor={cursor}")),
        ("rest article", "/api/v1/articles/article-0-1".to_string()),
        ("rest related", "/api/v1/articles/article-0-1/related".to_string()),
        ("rest tag", "/api/v1/tags/common".to_string()),
        ("rest tag's articles", "/api/v1/articles?tag=common&limit=20".to_string()),
        ("rest category", "/api/v1/categories/category-0".to_string()),
        ("rest topic index", "/api/v1/categories?articles=5".to_string()),
        ("rest series", "/api/v1/series/series-0".to_string()),
        ("rest search", "/api/v1/search?q=topic".to_string()),
        ("rest sync", "/api/v1/sync?limit=50".to_string()),
        ("rest site", "/api/v1/site".to_string()),
        ("rest archive", "/api/v1/archive".to_string()),
        ("feed rss", "/feed.xml".to_string()),
        ("feed atom", "/atom.xml".to_string()),
        ("feed json", "/feed.json".to_string()),
        ("feed tag rss", "/tags/common/feed.xml".to_string()),
        ("sitemap", "/sitemap.xml".to_string()),
    ];
    let show = std::env::var("SHOW_SQL").is_ok();
    for (page, uri) in rest {
        if show {
            eprintln!("== {page}");
        }
        counter.store(0, Ordering::SeqCst);
        let res = app.get(&uri, None).await;
        assert_eq!(res.status, 200, "{page} ({uri}): {}", res.text);
        counts.push((page.to_string(), counter.load(Ordering::SeqCst)));
    }
    let graphql: [(&str, String, Value); 10] = [
        ("graphql HomePage", operation("HomePage"), json!({})),
        ("graphql HomePage, page 2", operation("HomePage"), json!({ "after": gql_cursor })),
        ("graphql ArticlePage", operation("ArticlePage"), json!({ "slug": "article-0-1" })),
        ("graphql TagPage", operation("TagPage"), json!({ "slug": "common" })),
        ("graphql category", CATEGORY_PAGE.to_string(), json!({ "slug": "category-0" })),
        ("graphql TopicIndex", operation("TopicIndex"), json!({})),
        ("graphql SeriesPage", operation("SeriesPage"), json!({ "slug": "series-0" })),
        ("graphql Search", operation("Search"), json!({ "query": "topic" })),
        ("graphql sync", SYNC.to_string(), json!({})),
        ("graphql related of a long list", LONG_LIST_TEXTS.to_string(), json!({})),
    ];
    for (page, doc, vars) in graphql {
        if show {
            eprintln!("== {page}");
        }
        counter.store(0, Ordering::SeqCst);
        let v = app.gql(&doc, vars, None).await;
        assert!(v.get("errors").is_none(), "{page}: {v}");
        counts.push((page.to_string(), counter.load(Ordering::SeqCst)));
    }
    Some(counts)
}

async fn pinned(backend: Backend) {
    let Some(small) = statements(backend, 2, 2).await else { return };
    let large = statements(backend, 7, 6).await.expect("same backend");
    let show = |c: &[(String, usize)]| c.iter().map(|(p, n)| format!("    {p}: {n}")).collect::<Vec<_>>().join("\n");
    eprintln!("statements on {backend:?}:\n{}", show(&small));
    assert_eq!(small, large, "the number of statements grew with the data:\n{}\nvs\n{}", show(&small), show(&large));
    let expected: Vec<(String, usize)> = PINNED
        .iter()
        .map(|&(page, sqlite, postgres)| (page.to_string(), if backend == Backend::Sqlite { sqlite } else { postgres }))
        .collect();
    assert_eq!(small, expected, "a page's statement count changed: if on purpose, pin the new number");
    // The README's promise for an uncached REST list page.
    for page in ["rest home", "rest home, page 2", "rest tag's articles"] {
        let n = small.iter().find(|(p, _)| p == page).unwrap().1;
        assert!((3..=4).contains(&n), "{page} runs {n} statements; the README says 3–4");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_public_page_runs_its_pinned_statements_on_sqlite() {
    pinned(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_public_page_runs_its_pinned_statements_on_postgres() {
    pinned(Backend::Postgres).await;
}
