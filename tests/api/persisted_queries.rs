//! Automatic persisted queries: a GET that names a query by its SHA-256, cacheable by URL.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db_test;
use crate::support::TestApp;

fn get_uri(query: Option<&str>, hash: &str) -> String {
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let mut qs = form_urlencoded::Serializer::new(String::new());
    if let Some(q) = query {
        qs.append_pair("query", q);
    }
    qs.append_pair("extensions", &ext);
    format!("/graphql?{}", qs.finish())
}

db_test!(persisted_queries_run_from_their_hash);
async fn persisted_queries_run_from_their_hash(app: TestApp) {
    let query = "{ site { title articleCount } }";
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));

    // Unknown hash: the client is told to send the text.
    let res = app.get(&get_uri(None, &hash), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{}", res.text);
    // That answer changes once the text is known: no cache may keep it.
    assert_eq!(res.header("cache-control"), Some("no-store"));

    // Text and hash: runs and is kept.
    let res = app.get(&get_uri(Some(query), &hash), None).await;
    assert_eq!(res.json()["data"]["site"]["articleCount"], 0, "{}", res.text);

    // The hash alone now runs, cacheable by its URL.
    let res = app.get(&get_uri(None, &hash), None).await;
    assert_eq!(res.json()["data"]["site"]["articleCount"], 0, "{}", res.text);
    let etag = res.header("etag").unwrap().to_string();
    assert_eq!(res.header("cache-control"), Some(colophon::http_cache::PUBLIC));
    let req = Request::get(get_uri(None, &hash)).header("if-none-match", &etag).body(Body::empty()).unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::NOT_MODIFIED);

    // A wrong hash is refused; so is a persisted mutation over GET.
    let res = app.get(&get_uri(Some("{ site { title } }"), &hash), None).await;
    assert_eq!(res.json()["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{}", res.text);
    let mutation = "mutation { createTag(input: { name: \"Persisted\" }) { slug } }";
    let m_hash = format!("{:x}", Sha256::digest(mutation.as_bytes()));
    let body = json!({ "query": mutation, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": m_hash } } });
    let v = app.call(Method::POST, "/graphql", Some(&app.editor()), Some(body)).await.json();
    assert_eq!(v["data"]["createTag"]["slug"], "persisted", "{v}");
    let res = app.get(&get_uri(None, &m_hash), Some(&app.editor())).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{}", res.text);

    // POST with the hash alone works too.
    let body = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let v: Value = app.call(Method::POST, "/graphql", None, Some(body)).await.json();
    assert_eq!(v["data"]["site"]["articleCount"], 0, "{v}");
}
