//! Bad input: a clear error naming the field, the right status or code, and nothing written.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::db_test;
use crate::support::{TestApp, gql_code};

db_test!(invalid_articles_are_refused_and_write_nothing);
async fn invalid_articles_are_refused_and_write_nothing(app: TestApp) {
    let editor = app.editor();
    app.create(json!({ "title": "Existing" })).await;
    let before = app.article_rows().await;
    let cases = [
        (json!({ "title": "" }), "title"),
        (json!({ "title": "t".repeat(301) }), "title"),
        (json!({ "title": "ok", "slug": "Not A Slug" }), "slug"),
        (json!({ "title": "ok", "body": "x".repeat(1024 * 1024 + 1) }), "body"),
        (json!({ "title": "ok", "tags": ["fine", "!!!"] }), "tags[1]"),
        (json!({ "title": "ok", "series_part": 3 }), "series_part"),
        (json!({ "title": "ok", "canonical_url": "javascript:alert(1)" }), "canonical_url"),
        (json!({ "title": "ok", "unknown": true }), "unknown"),
        (json!({ "body": "no title" }), "title"),
        (json!({ "title": 7 }), "title"),
    ];
    for (body, field) in cases {
        let res = app.call(Method::POST, "/api/v1/articles", Some(&editor), Some(body.clone())).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", res.text);
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        let p = res.json();
        assert_eq!(p["type"], "/problems/validation");
        assert_eq!(p["status"], 422);
        assert_eq!(p["errors"][0]["field"], field, "{}", res.text);
    }
    // Malformed JSON is 400; a body that is not JSON at all is 415.
    let req = |ct: &str, body: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/articles")
            .header("authorization", format!("Bearer {editor}"))
            .header("content-type", ct)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let res = app.send(req("application/json", "{\"title\": ")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.json()["type"], "/problems/bad-request");
    let res = app.send(req("text/plain", "title=x")).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", res.text);

    // The same rules on GraphQL, with camelCase field names.
    let v = app
        .gql(
            "mutation($i: CreateArticleInput!) { createArticle(input: $i) { id } }",
            json!({ "i": { "title": "", "seriesPart": 0, "series": "S", "coverImageUrl": "ftp://x" } }),
            Some(&editor),
        )
        .await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    let fields: Vec<&str> = v["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "seriesPart", "coverImageUrl"]);
    let v = app.gql("{ article(slug: \"a\", id: \"1\") { id } }", json!({}), None).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    assert_eq!(app.article_rows().await, before, "refused writes wrote nothing");

    // Updates: same rules; unknown ids are NOT_FOUND on both faces.
    let res = app.call(Method::PATCH, "/api/v1/articles/999999", Some(&editor), Some(json!({ "title": "x" }))).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let res = app.call(Method::PATCH, "/api/v1/articles/not-an-id", Some(&editor), Some(json!({ "title": "x" }))).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let v = app.gql("mutation { publishArticle(id: \"999999\") { id } }", json!({}), Some(&editor)).await;
    assert_eq!(gql_code(&v), "NOT_FOUND");
    let v = app
        .gql("mutation { publishArticle(id: \"1\", publishedAt: \"yesterday\") { id } }", json!({}), Some(&editor))
        .await;
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("RFC 3339"), "{v}");
    let res = app
        .call(Method::POST, "/api/v1/articles/1/publish", Some(&editor), Some(json!({ "published_at": "yesterday" })))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "published_at");
}

db_test!(unknown_routes_and_methods_are_problems);
async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    let res = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    let res = app.call(Method::PUT, "/api/v1/articles", None, None).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.header("allow").is_some_and(|a| a.contains("GET") && a.contains("POST")), "{:?}", res.headers);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
}
