//! The 111 real articles of `../shared/fixtures/blog-corpus.json`, loaded through the
//! GraphQL mutations, read back identically through both faces.
//! The corpus is found through `COLOPHON_CORPUS` or at `../shared/fixtures/`; without it
//! this test says so and passes.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{ARTICLE_FIELDS, TestApp, gql_article_as_rest};

pub fn corpus() -> Option<Value> {
    let path = std::env::var("COLOPHON_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/blog-corpus.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("the corpus is JSON")),
        Err(_) if std::env::var("COLOPHON_REQUIRE_CORPUS").is_ok_and(|v| v == "1") => {
            panic!("COLOPHON_REQUIRE_CORPUS=1 but the corpus is not at {} (set COLOPHON_CORPUS)", path.display())
        }
        Err(_) => {
            eprintln!("SKIPPED: corpus not found at {} (set COLOPHON_CORPUS)", path.display());
            None
        }
    }
}

/// "Jun 11, 2025" → "2025-06-11T00:00:00Z"
pub fn corpus_date(s: &str) -> String {
    let d = NaiveDate::parse_from_str(s, "%b %d, %Y").unwrap_or_else(|e| panic!("date {s}: {e}"));
    format!("{d}T00:00:00Z")
}

/// Loads every corpus article through the GraphQL mutations and publishes it: at its date,
/// or (for the pages that showed none) at a fixed date an hour apart, so every run and both
/// databases see the same publication. Returns (id, source article, publication time).
pub async fn load_published(app: &TestApp, articles: &[Value]) -> Vec<(String, Value, String)> {
    let editor = app.editor();
    let create = "mutation($i: CreateArticleInput!) { createArticle(input: $i) { id } }";
    let publish = "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, publishedAt: $at) { status } }";
    let mut out = Vec::new();
    for (i, a) in articles.iter().enumerate() {
        let input = json!({
            "title": a["title"],
            "excerpt": a["excerpt"],
            "body": a["excerpt"],
            "tags": a.get("tags").cloned().unwrap_or(json!([])),
            "category": a.get("category").cloned().unwrap_or(Value::Null),
            "series": a.get("series").cloned().unwrap_or(Value::Null),
            "seriesPart": a.get("series_part").cloned().unwrap_or(Value::Null),
        });
        let id = app.gql_ok(create, json!({ "i": input }), Some(&editor)).await["createArticle"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let at = match a.get("date").and_then(Value::as_str) {
            Some(d) => corpus_date(d),
            None => format!("2024-01-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24),
        };
        app.gql_ok(publish, json!({ "id": id, "at": at }), Some(&editor)).await;
        out.push((id, a.clone(), at));
    }
    out
}

db_test!(corpus_round_trips_through_both_faces);
async fn corpus_round_trips_through_both_faces(app: TestApp) {
    let Some(corpus) = corpus() else { return };
    let articles = corpus["articles"].as_array().expect("articles");
    assert_eq!(articles.len(), 111);
    let editor = app.editor();
    let create = "mutation($i: CreateArticleInput!) { createArticle(input: $i) { id slug } }";
    let publish = "mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, publishedAt: $at) { status } }";
    let mut ids = Vec::new();
    for a in articles {
        let input = json!({
            "title": a["title"],
            "excerpt": a["excerpt"],
            "body": a["excerpt"],
            "tags": a.get("tags").cloned().unwrap_or(json!([])),
            "category": a.get("category").cloned().unwrap_or(Value::Null),
            "series": a.get("series").cloned().unwrap_or(Value::Null),
            "seriesPart": a.get("series_part").cloned().unwrap_or(Value::Null),
        });
        let created = app.gql_ok(create, json!({ "i": input }), Some(&editor)).await["createArticle"].clone();
        let id = created["id"].as_str().unwrap().to_string();
        if let Some(date) = a.get("date").and_then(Value::as_str) {
            let v = app.gql_ok(publish, json!({ "id": id, "at": corpus_date(date) }), Some(&editor)).await;
            assert_eq!(v["publishArticle"]["status"], "PUBLISHED");
        }
        ids.push((id, a.clone()));
    }
    let dated = articles.iter().filter(|a| a.get("date").is_some()).count() as u64;
    let listed = app.get("/api/v1/articles?limit=1", None).await.json();
    assert_eq!(listed["meta"]["total"], dated);

    let q = format!("query($id: ID) {{ article(id: $id) {{ {ARTICLE_FIELDS} }} }}");
    for (id, source) in &ids {
        let rest = app.get(&format!("/api/v1/articles/{id}"), Some(&editor)).await.json()["data"].clone();
        let gql = app.gql_ok(&q, json!({ "id": id }), Some(&editor)).await["article"].clone();
        assert_eq!(gql_article_as_rest(&gql), rest, "article {id} differs between the faces");
        // And it is what the source said.
        assert_eq!(rest["title"], source["title"]);
        assert_eq!(rest["excerpt"], source["excerpt"]);
        assert_eq!(rest["series_part"], source.get("series_part").cloned().unwrap_or(Value::Null));
        assert_eq!(rest["series"]["title"], source.get("series").cloned().unwrap_or(Value::Null));
        if let Some(date) = source.get("date").and_then(Value::as_str) {
            assert_eq!(rest["published_at"], corpus_date(date));
        }
        let source_tags = source.get("tags").and_then(Value::as_array).cloned().unwrap_or_default();
        assert!(rest["tags"].as_array().unwrap().len() <= source_tags.len());
    }
    // Messy tags meet: "Backend"/"backend", "Distributed Systems"/"distributed-systems".
    let backend = app.get("/api/v1/articles?tag=backend&limit=100", None).await.json();
    let expected = articles
        .iter()
        .filter(|a| a.get("date").is_some())
        .filter(|a| {
            a.get("tags")
                .and_then(Value::as_array)
                .is_some_and(|t| t.iter().any(|t| t.as_str().unwrap().eq_ignore_ascii_case("backend")))
        })
        .count();
    assert_eq!(backend["meta"]["total"], expected as u64);
}
