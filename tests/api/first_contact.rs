//! What a newcomer meets first: `GET /` says where everything is, GraphiQL opens with a
//! query worth running, a local front-end dev server may call `serve --demo`, and the
//! answers to mistakes say what to fix (the parameter, the expected form).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use colophon::config::ServerSettings;

use crate::db_test;
use crate::support::TestApp;

fn get(uri: &str, accept: &str) -> Request<Body> {
    Request::builder().uri(uri).header(header::ACCEPT, accept).body(Body::empty()).unwrap()
}

db_test!(the_root_and_graphiql_show_the_way);
async fn the_root_and_graphiql_show_the_way(app: TestApp) {
    let res = app.send(get("/", "application/json")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let links = res.json()["links"].clone();
    for (name, href) in [("graphql", "/graphql"), ("docs", "/docs"), ("rest", "/api/v1")] {
        assert_eq!(links[name], href, "{links}");
    }
    assert!(links.get("demo").is_none(), "no demo site outside --demo");
    let page = app.send(get("/", "text/html,application/xhtml+xml")).await;
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.text.contains("href=\"/graphql\"") && page.text.contains("href=\"/docs\""), "{}", page.text);
    let demo = app.configured(ServerSettings { demo_site: true, ..Default::default() });
    assert_eq!(demo.send(get("/", "application/json")).await.json()["links"]["demo"], "/demo/");
    // GraphiQL starts with a query that reads articles, not its stock welcome text.
    let graphiql = app.send(get("/graphql", "text/html")).await;
    assert!(graphiql.text.contains("defaultQuery") && graphiql.text.contains("articles(first: 5)"));
}

db_test!(a_local_dev_server_may_call_the_demo);
async fn a_local_dev_server_may_call_the_demo(base: TestApp) {
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/graphql")
            .header(header::ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let demo = base.configured(ServerSettings { demo_site: true, ..Default::default() });
    for origin in ["http://localhost:5173", "http://localhost:3000", "http://127.0.0.1:8081", "http://[::1]:4321"] {
        let res = demo.send(preflight(origin)).await;
        assert_eq!(res.header("access-control-allow-origin"), Some(origin), "{origin}");
    }
    for origin in ["https://localhost.evil.example", "http://localhost.evil.example:80", "https://evil.example"] {
        let res = demo.send(preflight(origin)).await;
        assert_eq!(res.header("access-control-allow-origin"), None, "{origin}");
    }
    // Outside the demo, only what COLOPHON_CORS_ORIGINS names.
    let plain = base.configured(ServerSettings::default());
    assert_eq!(plain.send(preflight("http://localhost:5173")).await.header("access-control-allow-origin"), None);
}

db_test!(mistakes_are_answered_with_what_to_fix);
async fn mistakes_are_answered_with_what_to_fix(app: TestApp) {
    let editor = app.editor();
    // An unknown parameter lists the known ones; a repeated one is named.
    let res = app.get("/api/v1/articles?page=2", None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let p = res.json();
    assert_eq!(p["errors"][0]["field"], "page");
    assert!(p["detail"].as_str().unwrap().contains("`cursor`"), "{p}");
    let res = app.get("/api/v1/site?x=1", None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert!(res.text.contains("takes no query parameters"), "{}", res.text);
    let res = app.get("/api/v1/articles?limit=1&limit=2", None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "limit");
    assert!(res.text.contains("more than once"), "{}", res.text);
    // Feeds take none either.
    assert_eq!(app.get("/feed.xml?utm_source=x", None).await.status, StatusCode::BAD_REQUEST);
    // A bad date names the parameter and the form.
    let res = app.get("/api/v1/articles?published_after=2024", None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "published_after");
    assert!(res.text.contains("RFC 3339") && res.text.contains("2026-04-15T10:00:00Z"), "{}", res.text);
    let a = app.create(json!({ "title": "Dated" })).await;
    let path = format!("/api/v1/articles/{}/publish", a["id"].as_str().unwrap());
    let res = app.call(Method::POST, &path, Some(&editor), Some(json!({ "published_at": "tomorrow" }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "published_at");
    assert!(res.text.contains("RFC 3339"), "{}", res.text);
    // A body that is not an object is named as the whole body, never as an article's `body`.
    let res = app.call(Method::POST, "/api/v1/articles", Some(&editor), Some(json!(["Title"]))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "$");
    assert!(res.text.contains("must be a JSON object"), "{}", res.text);
    // The site's url is a base: a query or fragment is refused, not dropped from feed links.
    let admin = app.token(colophon::content::Role::Admin);
    for url in ["https://blog.example.com/?ref=x", "https://blog.example.com/#top"] {
        let res = app.call(Method::PATCH, "/api/v1/site", Some(&admin), Some(json!({ "url": url }))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", res.text);
        assert_eq!(res.json()["errors"][0]["field"], "url");
    }
}
