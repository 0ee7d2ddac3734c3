//! Edges the outside suites (schemathesis) found, kept here so they stay mended without
//! them: what the schemas promise, the server does, on both databases.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

db_test!(longest_slugs_fit_every_column);
async fn longest_slugs_fit_every_column(app: TestApp) {
    // A 200-character slug is valid; the audit log's `tag:<slug>` target must hold it too
    // (PostgreSQL enforces column widths, SQLite never did).
    let editor = app.editor();
    let slug = "a".repeat(200);
    for (path, body) in [
        ("/api/v1/tags", json!({ "name": "Long", "slug": slug })),
        ("/api/v1/categories", json!({ "name": "Long", "slug": slug })),
        ("/api/v1/series", json!({ "title": "Long", "slug": slug })),
    ] {
        let res = app.call(Method::POST, path, Some(&editor), Some(body)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{path}: {}", res.text);
    }
    let res = app.call(Method::DELETE, &format!("/api/v1/tags/{slug}"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let title = "T".repeat(300);
    let admin = app.token(colophon::content::Role::Admin);
    let res = app.call(Method::PATCH, "/api/v1/site", Some(&admin), Some(json!({ "title": title }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

db_test!(nul_in_a_lookup_finds_nothing);
async fn nul_in_a_lookup_finds_nothing(app: TestApp) {
    for uri in ["/api/v1/articles?series=a%00b", "/api/v1/articles?tag=a%00", "/api/v1/articles?category=%00"] {
        let res = app.get(uri, None).await;
        assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.text);
        assert_eq!(res.json()["meta"]["total"], 0, "{uri}");
    }
    let v = app
        .gql(
            "mutation { login(email: \"a\\u0000@example.com\", password: \"long enough password\") { accessToken } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(gql_code(&v), "UNAUTHENTICATED", "{v}");
}

db_test!(write_routes_ask_for_credentials_first);
async fn write_routes_ask_for_credentials_first(app: TestApp) {
    // Without a token the answer is 401, whatever is wrong with the body or path.
    let id = app.create(json!({ "title": "Draft" })).await["id"].as_str().unwrap().to_string();
    for (method, uri) in [
        (Method::POST, format!("/api/v1/articles/{id}/publish")),
        (Method::PATCH, format!("/api/v1/articles/{id}")),
        (Method::POST, "/api/v1/tags".to_string()),
        (Method::POST, format!("/api/v1/articles/{id}/revisions/99999999999/restore")),
    ] {
        let res = app.call(method.clone(), &uri, None, Some(json!([1, 2]))).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{method} {uri}: {}", res.text);
    }
}

db_test!(bodies_paths_and_headers_are_read_as_documented);
async fn bodies_paths_and_headers_are_read_as_documented(app: TestApp) {
    let editor = app.editor();
    let id = app.create(json!({ "title": "Draft", "series": "A Series" })).await["id"].as_str().unwrap().to_string();
    let before = app.article_rows().await;

    // A JSON array is not an object, even where serde would read one as a struct; the
    // problem names the whole body (`$`), never a field called `body`.
    let res = app.call(Method::POST, "/api/v1/series", Some(&editor), Some(json!(["Title", null, null]))).await;
    assert_eq!((res.status, res.json()["errors"][0]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("$")));

    // JSON Schema's integers include 3.0; 3.5 is not one.
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{id}"), Some(&editor), Some(json!({ "series_part": 3.0 })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["data"]["series_part"], 3);
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{id}"), Some(&editor), Some(json!({ "series_part": 3.5 })))
        .await;
    assert_eq!(
        (res.status, res.json()["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("series_part"))
    );

    // Category positions are bounded, so appending after the last never overflows.
    let res = app
        .call(Method::POST, "/api/v1/categories", Some(&editor), Some(json!({ "name": "Big", "position": i32::MAX })))
        .await;
    assert_eq!(
        (res.status, res.json()["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("position"))
    );

    // A path parameter out of range is a 400 problem, not axum's plain text.
    let res = app
        .call(Method::POST, &format!("/api/v1/articles/{id}/revisions/2147483648/restore"), Some(&editor), None)
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));

    // If-Match (RFC 9110): `*`, entity tags weak or strong (a list if need be), or the bare
    // version. A well-formed tag that is not the current one is 412, even one we never
    // made; only a value that holds no entity tag at all is 400.
    let version =
        app.get(&format!("/api/v1/articles/{id}"), Some(&editor)).await.json()["data"]["version"].as_i64().unwrap();
    for (if_match, status) in [
        ("null".to_string(), StatusCode::BAD_REQUEST),
        ("\"unterminated".to_string(), StatusCode::BAD_REQUEST),
        // An empty list names no tag at all: a client bug, not a stale precondition.
        (String::new(), StatusCode::BAD_REQUEST),
        ("\"x\"".to_string(), StatusCode::PRECONDITION_FAILED),
        ("\"stale\"".to_string(), StatusCode::PRECONDITION_FAILED),
        (format!("W/\"{version}\""), StatusCode::OK),
        (format!("\"{}\"", version + 1), StatusCode::OK),
        (format!("{}", version + 2), StatusCode::OK),
        ("\"1\"".to_string(), StatusCode::PRECONDITION_FAILED),
        (format!("\"1\", \"{}.abc\", \"x\"", version + 3), StatusCode::OK),
        ("\"1\", \"2\"".to_string(), StatusCode::PRECONDITION_FAILED),
        ("*".to_string(), StatusCode::OK),
    ] {
        let req = Request::builder()
            .method(Method::PATCH)
            .uri(format!("/api/v1/articles/{id}"))
            .header("authorization", format!("Bearer {editor}"))
            .header("content-type", "application/json")
            .header("if-match", &if_match)
            .body(Body::from(json!({ "excerpt": format!("as of {if_match}") }).to_string()))
            .unwrap();
        let res = app.send(req).await;
        assert_eq!(res.status, status, "If-Match {if_match}: {}", res.text);
    }

    // Publishing takes no body, an empty one, an object, or `null`.
    let res = app.call(Method::POST, &format!("/api/v1/articles/{id}/publish"), Some(&editor), Some(Value::Null)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.article_rows().await, before);
}

db_test!(graphql_ints_are_32_bit_everywhere_in_a_document);
async fn graphql_ints_are_32_bit_everywhere_in_a_document(app: TestApp) {
    // Below a null parent the argument never resolves; the document is still invalid.
    let v = app
        .gql("{ article(slug: \"none\") { tags { articles(first: -2147483649) { totalCount } } } }", json!({}), None)
        .await;
    assert!(v.get("data").is_none_or(Value::is_null), "{v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("32-bit"), "{v}");
    // The same through a variable nobody reads, and inside an input object.
    let v = app.gql("query($n: Int) { site { title } }", json!({ "n": 2147483648i64 }), None).await;
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("32-bit"), "{v}");
    let v = app
        .gql(
            "mutation { createArticle(input: { title: \"x\", series: \"s\", seriesPart: 9999999999 }) { id } }",
            json!({}),
            Some(&app.editor()),
        )
        .await;
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("32-bit"), "{v}");
    // In range, and an ID (any size) is fine.
    let v = app.gql("{ article(id: 99999999999) { id } articles(first: 100) { totalCount } }", json!({}), None).await;
    assert!(v.get("errors").is_none(), "{v}");
}

db_test!(graphql_argument_errors_carry_a_code);
async fn graphql_argument_errors_carry_a_code(app: TestApp) {
    // An argument the schema accepts but the resolver's type cannot hold is the caller's
    // error, labelled like every other one.
    let v = app.gql("{ articles(filter: { publishedAfter: \"not a date\" }) { totalCount } }", json!({}), None).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT", "{v}");
}
