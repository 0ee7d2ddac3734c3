//! HTTP caching: strong ETags with 304s, Cache-Control by credentials, purge keys.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::db_test;
use crate::support::TestApp;

async fn get_with(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> crate::support::Response {
    let mut req = Request::builder().method(Method::GET).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

db_test!(anonymous_reads_are_cacheable_and_revalidate_with_304);
async fn anonymous_reads_are_cacheable_and_revalidate_with_304(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "Cached", "tags": ["Rust", "HTTP"], "category": "Web", "series": "S" })).await;
    let id = a["id"].as_str().unwrap().to_string();
    app.publish(&id, None).await;
    let uri = "/api/v1/articles/cached";

    let first = app.get(uri, None).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").unwrap().to_string();
    let version = first.json()["data"]["version"].as_i64().unwrap();
    assert!(etag.starts_with(&format!("\"{version}.")), "{etag}");
    assert_eq!(first.header("cache-control"), Some(crate_public()));
    // The article, and its series (whose neighbours it links to). Its tags' and category's
    // names need no keys of theirs: renaming one purges the articles that show it.
    let keys = first.header("surrogate-key").unwrap().to_string();
    let series = app.get("/api/v1/series/s", None).await.json()["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(keys, format!("article-{id} series-{series}"));
    assert_eq!(first.header("cache-tag").unwrap(), keys.replace(' ', ","));

    // Unchanged: 304 without a body, strong or weak tag, or in a list.
    for inm in [etag.clone(), format!("W/{etag}"), format!("\"nope\", {etag}")] {
        let res = get_with(&app, uri, &[("if-none-match", &inm)]).await;
        assert_eq!(res.status, StatusCode::NOT_MODIFIED, "{inm}");
        assert!(res.text.is_empty());
        assert_eq!(res.header("etag"), Some(etag.as_str()));
    }
    // The GET's ETag works as If-Match for a safe update...
    let req = Request::builder()
        .method(Method::PATCH)
        .uri(format!("/api/v1/articles/{id}"))
        .header("authorization", format!("Bearer {editor}"))
        .header("content-type", "application/json")
        .header("if-match", &etag)
        .body(Body::from(json!({ "excerpt": "changed" }).to_string()))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::OK);
    // ...after which the old tag no longer matches.
    let res = get_with(&app, uri, &[("if-none-match", &etag)]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_ne!(res.header("etag"), Some(etag.as_str()));

    // A change elsewhere that shows on the page (renaming its tag) changes the tag too.
    let before = app.get(uri, None).await.header("etag").unwrap().to_string();
    let res = app.call(Method::PATCH, "/api/v1/tags/rust", Some(&editor), Some(json!({ "name": "Rust Lang" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_ne!(app.get(uri, None).await.header("etag").unwrap(), before);
}

fn crate_public() -> &'static str {
    colophon::http_cache::PUBLIC
}

db_test!(answers_with_credentials_stay_private);
async fn answers_with_credentials_stay_private(app: TestApp) {
    let a = app.create(json!({ "title": "Private" })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    let editor = app.editor();
    let res = app.get("/api/v1/articles/private", Some(&editor)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("cache-control"), Some(colophon::http_cache::PRIVATE));
    assert!(res.header("surrogate-key").is_none());
    assert!(res.header("vary").unwrap_or_default().contains("Authorization"));
    // Writes are kept by nobody, and errors are never marked cacheable by this layer.
    let res = app.call(Method::POST, "/api/v1/tags", Some(&editor), Some(json!({ "name": "New" }))).await;
    assert!(res.header("etag").is_none());
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let res = app.get("/api/v1/articles/none-such", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.header("etag").is_none());
    assert_eq!(app.get("/healthz", None).await.header("cache-control"), Some("no-store"));
}

db_test!(lists_name_their_articles_and_graphql_gets_are_cacheable);
async fn lists_name_their_articles_and_graphql_gets_are_cacheable(app: TestApp) {
    for title in ["One", "Two"] {
        let a = app.create(json!({ "title": title, "tags": ["Shared"] })).await;
        app.publish(a["id"].as_str().unwrap(), None).await;
    }
    let res = app.get("/api/v1/articles", None).await;
    let keys = res.header("surrogate-key").unwrap().to_string();
    assert!(keys.starts_with("articles "), "{keys}");
    assert_eq!(keys.split(' ').filter(|k| k.starts_with("article-")).count(), 2, "{keys}");
    let res = app.get("/api/v1/tags/shared", None).await;
    assert!(res.header("surrogate-key").unwrap().starts_with("tag-"));
    assert_eq!(app.get("/api/v1/tags", None).await.header("surrogate-key"), Some("taxonomy"));

    let uri = "/graphql?query=%7B%20site%20%7B%20articleCount%20%7D%20%7D";
    let res = get_with(&app, uri, &[("accept", "application/json")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("surrogate-key"), Some("graphql"));
    let etag = res.header("etag").unwrap().to_string();
    let res = get_with(&app, uri, &[("accept", "application/json"), ("if-none-match", &etag)]).await;
    assert_eq!(res.status, StatusCode::NOT_MODIFIED);
    let v = app.gql("{ site { articleCount } }", json!({}), None).await;
    assert_eq!(v["data"]["site"]["articleCount"], 2);
}

db_test!(a_draft_opened_by_a_preview_token_is_kept_by_no_cache);
async fn a_draft_opened_by_a_preview_token_is_kept_by_no_cache(app: TestApp) {
    let draft = app.create(json!({ "title": "Under review" })).await;
    let v = app
        .gql_ok(
            "mutation($id: ID!) { createPreviewToken(articleId: $id) { token } }",
            json!({ "id": draft["id"] }),
            Some(&app.editor()),
        )
        .await;
    let token = v["createPreviewToken"]["token"].as_str().unwrap();
    let query = format!("{{ article(slug: \"under-review\", previewToken: \"{token}\") {{ title status }} }}");
    let uri =
        format!("/graphql?{}", form_urlencoded::Serializer::new(String::new()).append_pair("query", &query).finish());
    for _ in 0..2 {
        let res = get_with(&app, &uri, &[("accept", "application/json")]).await;
        assert_eq!(res.json()["data"]["article"]["status"], "DRAFT", "{}", res.text);
        assert_eq!(res.header("cache-control"), Some("no-store"));
        assert!(res.header("etag").is_none() && res.header("x-cache").is_none());
    }
    // The REST preview likewise answers privately.
    let res = app.get(&format!("/api/v1/articles/under-review?preview={token}"), None).await;
    assert_eq!(res.header("cache-control"), Some(colophon::http_cache::PRIVATE));
}

db_test!(tokens_redirects_and_errors_are_kept_as_they_should_be);
async fn tokens_redirects_and_errors_are_kept_as_they_should_be(app: TestApp) {
    use colophon::content::Role;
    use colophon::content::accounts::{NewUser, cli_admin};
    // Answers that carry tokens are kept by nobody, on both faces.
    let user = NewUser {
        email: "ada@example.com".into(),
        name: "Ada".into(),
        role: Role::Editor,
        password: "correct horse battery".into(),
    };
    app.content.create_user(&cli_admin(), user).await.unwrap();
    let login = json!({ "email": "ada@example.com", "password": "correct horse battery" });
    let res = app.call(Method::POST, "/api/v1/auth/token", None, Some(login)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let refresh = res.json()["refresh_token"].as_str().unwrap().to_string();
    let res = app.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": refresh }))).await;
    assert_eq!(res.header("cache-control"), Some("no-store"), "{}", res.text);
    let query = "mutation { login(email: \"ada@example.com\", password: \"correct horse battery\") { accessToken } }";
    let res = app.call(Method::POST, "/graphql", None, Some(json!({ "query": query }))).await;
    assert!(res.text.contains("accessToken"), "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let a = app.create(json!({ "title": "Renamed" })).await;
    let id = a["id"].as_str().unwrap().to_string();
    let res = app.call(Method::POST, &format!("/api/v1/articles/{id}/preview"), Some(&app.editor()), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("no-store"));

    // An old slug's redirect may be kept as long as a read.
    app.publish(&id, None).await;
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{id}"),
            Some(&app.editor()),
            Some(json!({ "slug": "new-name" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = app.get("/api/v1/articles/renamed", None).await;
    assert_eq!(res.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(res.header("cache-control"), Some(crate_public()));

    // A GraphQL GET that answers with an error is not kept: the error may pass.
    let res = app.get("/graphql?query=%7Barticles(first%3A%20500)%7BtotalCount%7D%7D", None).await;
    assert!(res.text.contains("errors"), "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("x-cache"), None, "the response cache does not keep it either");
    let res = app.get("/graphql?query=%7Barticles(first%3A%20500)%7BtotalCount%7D%7D", None).await;
    assert_ne!(res.header("x-cache"), Some("hit"));
}
