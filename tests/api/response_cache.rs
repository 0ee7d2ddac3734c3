//! The in-process response cache: anonymous reads come from memory until anything changes.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::db_test;
use crate::support::TestApp;

db_test!(cached_reads_end_with_every_kind_of_write);
async fn cached_reads_end_with_every_kind_of_write(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "First", "tags": ["Cache"] })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    let list = "/api/v1/articles";
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("miss"));
    let hit = app.get(list, None).await;
    assert_eq!(hit.header("x-cache"), Some("hit"));
    assert_eq!(hit.json()["meta"]["total"], 1);
    // An ETag revalidation is answered from the cache too.
    let etag = hit.header("etag").unwrap().to_string();
    let req = axum::http::Request::get(list).header("if-none-match", &etag).body(axum::body::Body::empty()).unwrap();
    let res = app.send(req).await;
    assert_eq!((res.status, res.header("x-cache")), (StatusCode::NOT_MODIFIED, Some("hit")));

    // A REST write.
    let b = app.create(json!({ "title": "Second" })).await;
    app.publish(b["id"].as_str().unwrap(), None).await;
    let res = app.get(list, None).await;
    assert_eq!((res.header("x-cache"), res.json()["meta"]["total"].clone()), (Some("miss"), json!(2)));
    // A GraphQL query by POST changes nothing; a mutation does.
    app.get(list, None).await;
    app.gql("{ site { title } }", json!({}), None).await;
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    app.gql_ok(
        "mutation { updateTag(id: \"cache\", input: { name: \"Caching\" }) { slug } }",
        json!({}),
        Some(&editor),
    )
    .await;
    let res = app.get(list, None).await;
    assert_eq!(res.header("x-cache"), Some("miss"));
    assert!(res.text.contains("Caching"), "{}", res.text);
    // A refused write changes nothing.
    app.get(list, None).await;
    let res = app.call(Method::POST, "/api/v1/tags", Some(&editor), Some(json!({ "name": "" }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    // Answers with credentials never come from or go into the cache.
    let res = app.get(list, Some(&editor)).await;
    assert!(res.header("x-cache").is_none());
}

db_test!(a_scheduled_article_appears_at_its_time_without_a_write);
async fn a_scheduled_article_appears_at_its_time_without_a_write(app: TestApp) {
    let a = app.create(json!({ "title": "Soon" })).await;
    let at = (chrono::Utc::now() + chrono::Duration::milliseconds(1500))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.publish(a["id"].as_str().unwrap(), Some(&at)).await;
    let list = "/api/v1/articles";
    assert_eq!(app.get(list, None).await.json()["meta"]["total"], 0);
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let res = app.get(list, None).await;
    assert_eq!(res.json()["meta"]["total"], 1, "{}", res.text);
}
