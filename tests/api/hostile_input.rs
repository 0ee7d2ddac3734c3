//! Hostile text in every parameter and body field the contracts name: SQL fragments,
//! full-text-search syntax, NUL bytes, huge and odd numbers, invalid UTF-8, odd Unicode,
//! wrong JSON types and deep nesting. Every answer is a normal one or a 4xx that says what
//! is wrong (problem+json on REST, `extensions.code` on GraphQL); never a 5xx.
//!
//! The operations come from the OpenAPI document itself, so a new route is attacked the
//! day it is documented.

use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{Response, TestApp};

fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "' OR 1=1 --",
        "\"; DROP TABLE articles; --",
        "%",
        "_",
        "\\",
        "NEAR(a b)",
        "\"unterminated",
        "a* OR b*",
        "title:x",
        "^x",
        "-x",
        "(",
        "{",
        "a\u{0}b",
        "\u{0}",
        "\u{202E}drow",
        "😀",
        "\u{FEFF}",
        "e\u{301}",
        "ｆｕｌｌ",
        " ",
        "",
        "9223372036854775808",
        "-1",
        "1e400",
        "NaN",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "\r\nX-Injected: 1",
        "null",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(10_000));
    v.push("ü".repeat(3_000));
    v
}

/// JSON values of every type, for body fields.
fn hostile_values() -> Vec<Value> {
    let mut v: Vec<Value> = hostile_strings().into_iter().map(Value::String).collect();
    let mut deep = json!(1);
    for _ in 0..64 {
        deep = json!([deep]);
    }
    v.extend([
        json!(9_223_372_036_854_775_807i64),
        json!(-9_223_372_036_854_775_807i64),
        json!(u64::MAX),
        json!(1.5),
        json!(-0.0),
        json!(true),
        json!(null),
        json!([]),
        json!({}),
        json!(["x", 1, null]),
        json!({ "$ne": 1 }),
        deep,
    ]);
    v
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Fails on a 5xx, or a REST 4xx that is not problem+json.
fn check(res: &Response, what: &str) {
    TALLY.with(|t| *t.borrow_mut().entry(res.status.as_u16()).or_insert(0) += 1);
    assert!(res.status.as_u16() < 500, "{what}: {} {}", res.status, short(&res.text));
    if res.status.is_client_error() && res.status != 405 {
        let ct = res.header("content-type").unwrap_or("");
        assert!(ct.starts_with("application/problem+json"), "{what}: {} with {ct}: {}", res.status, res.text);
    }
}

thread_local! {
    /// Answers by status, to show the attack reached the handlers' rules, not just 401s.
    static TALLY: std::cell::RefCell<std::collections::BTreeMap<u16, usize>> = Default::default();
}

struct Operation {
    method: Method,
    path: String,
    path_params: Vec<String>,
    query_params: Vec<String>,
    body_fields: Vec<String>,
}

fn operations() -> Vec<Operation> {
    let api = serde_json::to_value(colophon::rest::openapi()).unwrap();
    let schemas = &api["components"]["schemas"];
    let mut ops = Vec::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else { continue };
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let named = |place: &str| {
                params.iter().filter(|p| p["in"] == place).map(|p| p["name"].as_str().unwrap().to_string()).collect()
            };
            let body_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str();
            let body_fields = body_ref
                .and_then(|r| r.rsplit('/').next())
                .and_then(|name| schemas[name]["properties"].as_object())
                .map(|props| props.keys().cloned().collect())
                .unwrap_or_default();
            ops.push(Operation {
                method,
                path: path.clone(),
                path_params: named("path"),
                query_params: named("query"),
                body_fields,
            });
        }
    }
    // Deletions last, so the records other operations aim at are still there.
    ops.sort_by_key(|o| o.method == Method::DELETE);
    ops
}

async fn send(app: &TestApp, method: &Method, uri: &str, body: Option<Vec<u8>>) -> Response {
    let mut req = Request::builder().method(method.clone()).uri(uri);
    req = req.header(header::AUTHORIZATION, format!("Bearer {}", app.token(colophon::content::Role::Admin)));
    let req = match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b)),
        None => req.body(Body::empty()),
    };
    app.send(req.unwrap()).await
}

/// The path with its parameters filled: `fill` for `target`, a real id or slug otherwise.
fn fill_path(path: &str, params: &[String], target: Option<&str>, fill: &str) -> String {
    let mut out = path.to_string();
    for p in params {
        let value = if Some(p.as_str()) == target { encode(fill) } else { "1".to_string() };
        out = out.replace(&format!("{{{p}}}"), &value);
    }
    out
}

db_test!(hostile_input_never_gets_a_server_error);
async fn hostile_input_never_gets_a_server_error(app: TestApp) {
    // Something for the operations to find: article 1, tagged, in a category and a series.
    app.call(Method::POST, "/api/v1/categories", Some(&app.editor()), Some(json!({ "name": "One" }))).await;
    app.call(Method::POST, "/api/v1/series", Some(&app.editor()), Some(json!({ "title": "One" }))).await;
    let article = app
        .create(json!({ "title": "Target", "body": "Some *text*.", "tags": ["one"], "category": "one", "series": "one", "series_part": 1 }))
        .await;
    app.publish(article["id"].as_str().unwrap(), None).await;

    let strings = hostile_strings();
    let values = hostile_values();
    let ops = operations();
    assert!(ops.len() > 30, "{} operations", ops.len());
    let mut sent = 0;
    for op in &ops {
        for param in &op.path_params {
            for s in &strings {
                let uri = fill_path(&op.path, &op.path_params, Some(param), s);
                let body = (!op.body_fields.is_empty()).then(|| b"{}".to_vec());
                check(&send(&app, &op.method, &uri, body).await, &format!("{} {uri}", op.method));
                sent += 1;
            }
        }
        let base = fill_path(&op.path, &op.path_params, None, "");
        for param in &op.query_params {
            for s in &strings {
                let uri = format!("{base}?{param}={}", encode(s));
                check(&send(&app, &op.method, &uri, None).await, &format!("{} {uri}", op.method));
                sent += 1;
            }
            // Bytes that are not UTF-8 at all.
            let uri = format!("{base}?{param}=%FF%FE%00");
            check(&send(&app, &op.method, &uri, None).await, &format!("{} {uri}", op.method));
        }
        for field in &op.body_fields {
            for v in &values {
                let body = serde_json::to_vec(&json!({ field: v })).unwrap();
                let res = send(&app, &op.method, &base, Some(body)).await;
                check(&res, &format!("{} {base} {{{field}: {}}}", op.method, short(&v.to_string())));
                sent += 1;
            }
        }
        if !op.body_fields.is_empty() {
            for raw in [&b"{\"title\": \"\xff\xfe\"}"[..], b"{\"title\": \"\\ud800\"}", b"{", b"\x00", b"[]", b"1e999"]
            {
                check(
                    &send(&app, &op.method, &base, Some(raw.to_vec())).await,
                    &format!("{} {base} raw {raw:?}", op.method),
                );
            }
        }
    }
    assert!(sent > 1000, "{sent} requests");
    let tally = TALLY.with(|t| t.borrow().clone());
    let at = |code: u16| tally.get(&code).copied().unwrap_or(0);
    eprintln!("answers by status: {tally:?}");
    assert!(at(200) > 100 && at(422) > 100 && at(400) > 50 && at(404) > 50, "{tally:?}");
    // Invalid UTF-8 and odd bytes in the path itself.
    for uri in
        ["/api/v1/articles/%FF%FE", "/api/v1/tags/%00", "/api/v1/articles/..%2F..%2Fetc", "/api/v1/search?q=%E2%80%AE"]
    {
        check(&app.get(uri, None).await, uri);
    }

    // GraphQL: every string argument of the reading fields, through variables.
    let queries = [
        "query($s: String!) { search(query: $s) { totalCount nodes { snippet article { id } } } }",
        "query($s: String!) { search(query: \"cache\", after: $s) { totalCount } }",
        "query($s: String!) { articles(last: 5, before: $s) { totalCount } }",
        "query($s: String!) { articles(filter: { tags: [$s, \"one\"] }) { totalCount } }",
        "query($s: String!) { article(slug: $s) { id } }",
        "query($s: String!) { tag(slug: $s) { id } }",
        "query($s: String!) { category(slug: $s) { id } }",
        "query($s: String!) { series(slug: $s) { id } }",
        "query($s: String!) { articles(filter: { tag: $s }) { totalCount } }",
        "query($s: String!) { articles(filter: { category: $s }) { totalCount } }",
        "query($s: String!) { articles(filter: { series: $s }) { totalCount } }",
        "query($s: String!) { articles(after: $s) { totalCount } }",
        "query($s: String!) { tags(after: $s) { totalCount } }",
    ];
    for q in queries {
        for s in &strings {
            let v = app.gql(q, json!({ "s": s }), None).await;
            let codes: Vec<&str> =
                v["errors"].as_array().into_iter().flatten().filter_map(|e| e["extensions"]["code"].as_str()).collect();
            assert!(!codes.contains(&"INTERNAL_SERVER_ERROR"), "{q} with {:?}: {v}", short(s));
        }
    }
}
