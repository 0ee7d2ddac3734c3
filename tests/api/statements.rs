//! The topic index (every category with its count and first 50 articles, each with tags,
//! category and series) runs a bounded number of SQL statements: the same number for a
//! small and a larger publication, on both faces.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use colophon::app::AppState;
use colophon::auth::Jwt;
use colophon::content::Content;
use serde_json::json;

use crate::support::{Backend, SECRET, TestApp, connect_migrated, fresh_database};

const TOPIC_INDEX: &str = "{ categories { slug articleCount articles(first: 50) { totalCount nodes { title html \
    tags { slug name } category { slug name } series { title } seriesPart previousInSeries { slug } } } } }";

/// Statements run by the topic index on a publication of `categories` × `per_category`
/// articles, through GraphQL and through REST.
async fn statements(backend: Backend, categories: usize, per_category: usize) -> Option<(usize, usize)> {
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
    let app = TestApp::from_state(AppState::new(content, jwt), Some(dir));
    for c in 0..categories {
        for a in 0..per_category {
            let created = app
                .create(json!({
                    "title": format!("Article {c}-{a}"),
                    "category": format!("Category {c}"),
                    "tags": [format!("Tag {a}"), "Common"],
                    "series": format!("Series {}", a % 2),
                }))
                .await;
            app.publish(created["id"].as_str().unwrap(), None).await;
        }
    }
    counter.store(0, Ordering::SeqCst);
    let v = app.gql_ok(TOPIC_INDEX, json!({}), None).await;
    assert_eq!(v["categories"].as_array().unwrap().len(), categories);
    assert_eq!(v["categories"][0]["articles"]["nodes"].as_array().unwrap().len(), per_category);
    let graphql = counter.swap(0, Ordering::SeqCst);
    let rest = app.get("/api/v1/categories?articles=50", None).await.json();
    assert_eq!(rest["data"][0]["articles"].as_array().unwrap().len(), per_category);
    Some((graphql, counter.load(Ordering::SeqCst)))
}

async fn bounded(backend: Backend) {
    let Some(small) = statements(backend, 2, 2).await else { return };
    let large = statements(backend, 7, 6).await.expect("same backend");
    eprintln!("topic index statements on {backend:?}: small {small:?}, large {large:?}");
    assert_eq!(small, large, "the number of statements grew with the data (GraphQL, REST)");
    assert!(small.0 <= 16 && small.1 <= 16, "{small:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_index_runs_a_bounded_number_of_statements_on_sqlite() {
    bounded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_index_runs_a_bounded_number_of_statements_on_postgres() {
    bounded(Backend::Postgres).await;
}
