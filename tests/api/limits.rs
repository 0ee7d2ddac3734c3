//! Each limit at its boundary, against the number the README states (not the code's own
//! constant, which a change could move along with the test): the last value that passes
//! and the first that is refused. Depth (16 passes, 17 fails) is in `document_cost.rs`.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

/// README, "Limits and protections": "413 for bodies over 2 MiB".
const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// README: documents "past 32 KiB (`QUERY_TOO_LARGE`)".
const QUERY_LIMIT: usize = 32 * 1024;

/// A JSON body of exactly `len` bytes: an article whose body pads it out.
fn body_of(len: usize, graphql: bool) -> String {
    let (head, tail) = if graphql {
        (
            r#"{"query":"mutation($b: String!) { createArticle(input: { title: \"Big\", body: $b }) { id } }","variables":{"b":""#,
            r#""}}"#,
        )
    } else {
        (r#"{"title":"Big","body":""#, r#""}"#)
    };
    let pad = len - head.len() - tail.len();
    format!("{head}{}{tail}", "x".repeat(pad))
}

async fn post_raw(app: &TestApp, uri: &str, body: String) -> crate::support::Response {
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.editor()))
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

db_test!(bodies_are_refused_just_past_2_mib);
async fn bodies_are_refused_just_past_2_mib(app: TestApp) {
    for (uri, graphql) in [("/api/v1/articles", false), ("/graphql", true)] {
        // At the limit the body is read: what it says is then too long (an article body
        // takes 1 MiB), which is a field error, not 413.
        let at = post_raw(&app, uri, body_of(BODY_LIMIT, graphql)).await;
        assert_ne!(at.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri} refused a body of exactly 2 MiB");
        if graphql {
            assert_eq!(gql_code(&at.json()), "BAD_USER_INPUT", "{uri}: {}", &at.text[..at.text.len().min(300)]);
        } else {
            assert_eq!(at.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
            assert_eq!(at.json()["errors"][0]["field"], "body");
        }
        let past = post_raw(&app, uri, body_of(BODY_LIMIT + 1, graphql)).await;
        assert_eq!(past.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {}", &past.text[..past.text.len().min(300)]);
    }
    assert_eq!(app.article_rows().await, 0);
}

db_test!(queries_are_refused_just_past_32_kib);
async fn queries_are_refused_just_past_32_kib(app: TestApp) {
    let query = |len: usize| {
        let head = "{ site { title } } #";
        format!("{head}{}", "x".repeat(len - head.len()))
    };
    let at = app.call(Method::POST, "/graphql", None, Some(json!({ "query": query(QUERY_LIMIT) }))).await;
    assert_eq!(at.status, StatusCode::OK, "{}", &at.text[..at.text.len().min(300)]);
    assert!(at.json().get("errors").is_none(), "{}", at.text);
    let past = app.call(Method::POST, "/graphql", None, Some(json!({ "query": query(QUERY_LIMIT + 1) }))).await;
    assert_eq!(past.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(gql_code(&past.json()), "QUERY_TOO_LARGE");
}

/// 29 per article: 19 scalar fields and five objects of one field each (2 apiece).
const CARD: &str = "id slug title excerpt customExcerpt body html wordCount readingMinutes status publishedAt \
    createdAt updatedAt version seriesPart coverImageUrl canonicalUrl seoTitle seoDescription \
    tags { slug } primaryTag { slug } category { slug } series { slug } author { name }";

/// The README's rule: a field counts 1, and a list counts its children `first` times.
/// `a` and `b` are article lists of 100 and 66 (each node's `nodes` field 1 + 29 = 30, so
/// 3,000 and 1,980), `tags(first: t)` counts 2t, and `site { … }` 1 + its fields.
fn complexity_query(tags: u32, site: &str) -> String {
    format!(
        "{{ a: articles(first: 100) {{ nodes {{ {CARD} }} }} b: articles(first: 66) {{ nodes {{ {CARD} }} }} \
         tags(first: {tags}) {{ nodes {{ slug }} }} {site} }}"
    )
}

db_test!(complexity_is_refused_just_past_5000);
async fn complexity_is_refused_just_past_5000(app: TestApp) {
    // 4,980 + 16 + 3 = 4,999; 4,980 + 20 = 5,000; 4,980 + 18 + 3 = 5,001.
    for (query, total) in
        [(complexity_query(8, "site { title description }"), 4_999), (complexity_query(10, ""), 5_000)]
    {
        let v = app.gql(&query, json!({}), None).await;
        assert!(v.get("errors").is_none(), "complexity {total} refused: {v}");
    }
    let v = app.gql(&complexity_query(9, "site { title description }"), json!({}), None).await;
    assert_eq!(gql_code(&v), "QUERY_TOO_COMPLEX", "complexity 5,001 ran: {v}");
}

db_test!(aliases_and_list_sizes_stop_at_the_readme_numbers);
async fn aliases_and_list_sizes_stop_at_the_readme_numbers(app: TestApp) {
    // "50 aliases": fifty run, fifty-one are refused.
    let aliased =
        |n: usize| format!("{{ {} }}", (0..n).map(|i| format!("a{i}: site {{ title }}")).collect::<Vec<_>>().join(" "));
    app.gql_ok(&aliased(50), json!({}), None).await;
    let v: Value = app.gql(&aliased(51), json!({}), None).await;
    assert_eq!(gql_code(&v), "QUERY_TOO_COMPLEX", "{v}");
    // "lists take `first` up to 100", on both faces.
    app.gql_ok("{ articles(first: 100) { nodes { id } } }", json!({}), None).await;
    let v = app.gql("{ articles(first: 101) { nodes { id } } }", json!({}), None).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT", "{v}");
    assert_eq!(app.get("/api/v1/articles?limit=100", None).await.status, StatusCode::OK);
    let res = app.get("/api/v1/articles?limit=101", None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "limit");
}
