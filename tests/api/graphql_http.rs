//! GraphQL over HTTP: media types, status codes and methods as the GraphQL-over-HTTP spec
//! asks (the graphql-http audit checks the same from outside).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::support::{Backend, TestApp};

const GR: &str = "application/graphql-response+json";

fn post(body: &str, content_type: Option<&str>, accept: Option<&str>) -> Request<Body> {
    let mut r = Request::builder().method(Method::POST).uri("/graphql");
    if let Some(ct) = content_type {
        r = r.header("content-type", ct);
    }
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn get(query: &str, accept: Option<&str>) -> Request<Body> {
    let mut r = Request::builder().method(Method::GET).uri(format!("/graphql?{query}"));
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    r.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn graphql_over_http_status_codes_and_media_types() {
    let Some(app) = TestApp::new(Backend::Sqlite).await else { return };
    let gr = "application/graphql-response+json; charset=utf-8";
    let ok = r#"{"query":"{ site { title } }"}"#;

    let res = app.send(post(ok, Some("application/json"), Some(GR))).await;
    assert_eq!((res.status, res.header("content-type")), (StatusCode::OK, Some(gr)));
    assert_eq!(res.json()["data"]["site"]["title"], "Colophon");
    for accept in [None, Some("application/json"), Some("*/*")] {
        let res = app.send(post(ok, Some("application/json"), accept)).await;
        assert_eq!(res.header("content-type"), Some("application/json; charset=utf-8"), "{accept:?}");
    }
    assert_eq!(
        app.send(post(ok, Some("application/json"), Some("text/plain"))).await.status,
        StatusCode::NOT_ACCEPTABLE
    );

    // Requests that cannot run: 4xx with graphql-response+json.
    for (body, ct, status) in [
        (ok, None, StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (ok, Some("text/plain"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (ok, Some("application/json; charset=latin1"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("{", Some("application/json"), StatusCode::BAD_REQUEST),
        ("{}", Some("application/json"), StatusCode::BAD_REQUEST),
        (r#"{"query": 1}"#, Some("application/json"), StatusCode::BAD_REQUEST),
        (r#"{"query": "{ site { title } }", "variables": "x"}"#, Some("application/json"), StatusCode::BAD_REQUEST),
        (r#"{"query": "{ nope }"}"#, Some("application/json"), StatusCode::BAD_REQUEST),
        (r#"{"query": "{"}"#, Some("application/json"), StatusCode::BAD_REQUEST),
    ] {
        let res = app.send(post(body, ct, Some(GR))).await;
        assert_eq!(res.status, status, "{body} {ct:?}: {}", res.text);
        assert!(res.json()["errors"][0]["message"].is_string(), "{}", res.text);
        assert!(res.json().get("data").is_none(), "no data entry when nothing ran: {}", res.text);
    }
    // With application/json, a request that does not validate still answers 200.
    let res = app.send(post(r#"{"query": "{ nope }"}"#, Some("application/json"), Some("application/json"))).await;
    assert_eq!(res.status, StatusCode::OK);
    // A request that ran with a field error is a 200 under either type.
    let res = app
        .send(post(r#"{"query": "{ article(slug: \"a\", id: \"1\") { id } }"}"#, Some("application/json"), None))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // GET: queries run, with variables as JSON text; mutations are refused with 405 + Allow.
    let res = app.send(get("query=%7B%20site%20%7B%20title%20%7D%20%7D", Some(GR))).await;
    assert_eq!((res.status, res.header("content-type")), (StatusCode::OK, Some(gr)));
    let q = "query=query%28%24s%3AString%21%29%7Btag%28slug%3A%24s%29%7Bslug%7D%7D&variables=%7B%22s%22%3A%22x%22%7D";
    assert_eq!(app.send(get(q, None)).await.json(), json!({ "data": { "tag": null } }));
    let res = app.send(get("query=mutation%20%7B%20logout%28refreshToken%3A%22x%22%29%20%7D", None)).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.header("allow").is_some_and(|a| a.contains("POST")));
    assert_eq!(app.send(get("variables=%7B%7D", None)).await.status, StatusCode::BAD_REQUEST);
    let page = app.send(get("", Some("text/html"))).await;
    assert!(page.text.contains("graphiql"), "GraphiQL for browsers");
}
