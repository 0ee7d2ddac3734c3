//! The server under pressure, in-process: rate limits (anonymous reads; sign-in and refresh
//! on both faces), load shedding, request timeouts, body and document limits, CORS,
//! security headers, request ids, metrics and readiness while draining. Each refusal is a
//! clear 4xx/503 with `Retry-After` where waiting helps, and changes nothing.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use colophon::config::{CorsOrigins, ServerSettings};
use colophon::content::Role;
use colophon::content::accounts::{NewUser, cli_admin};
use colophon::guard::client::IpNet;
use colophon::rate_limit::Rate;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{Response, TestApp};

fn per_minute(count: u32) -> Option<Rate> {
    Some(Rate { count, period: Duration::from_secs(60) })
}

/// A request as if it came over a socket from `peer`.
fn from(peer: [u8; 4], method: Method, uri: &str, body: Option<Value>) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(uri);
    req = req.header(header::CONTENT_TYPE, "application/json");
    let mut req = req.body(body.map_or(Body::empty(), |b| Body::from(b.to_string()))).unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::from((peer, 40000))));
    req
}

fn with_header(mut req: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    req.headers_mut().insert(name, value.parse().unwrap());
    req
}

fn assert_refused(res: &Response, status: StatusCode, kind: &str) {
    assert_eq!(res.status, status, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("application/problem+json"), "{}", res.text);
    assert_eq!(res.json()["type"], format!("/problems/{kind}"), "{}", res.text);
    let retry: u64 = res.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(retry >= 1, "{retry}");
}

db_test!(anonymous_reads_are_limited_per_client_by_their_cost);
async fn anonymous_reads_are_limited_per_client_by_their_cost(base: TestApp) {
    let mut trusted_proxies = IpNet::loopback().to_vec();
    trusted_proxies.push(IpNet::parse("10.0.0.0/8").unwrap());
    let settings = ServerSettings { read_rate: per_minute(3), trusted_proxies, ..Default::default() };
    let app = base.configured(settings);
    let alice = [203, 0, 113, 5];
    // Three uncached reads spend the allowance; the fourth is refused.
    for n in 1..=3 {
        let res = app.send(from(alice, Method::GET, &format!("/api/v1/articles?limit={n}"), None)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    let res = app.send(from(alice, Method::GET, "/api/v1/articles?limit=4", None)).await;
    assert_refused(&res, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    // What the response cache answers costs nothing and is never refused.
    for _ in 0..10 {
        let res = app.send(from(alice, Method::GET, "/api/v1/articles?limit=1", None)).await;
        assert_eq!((res.status, res.header("x-cache")), (StatusCode::OK, Some("hit")), "{}", res.text);
    }
    // Writing another address in X-Forwarded-For does not help an untrusted client.
    let spoofed = with_header(from(alice, Method::GET, "/api/v1/tags", None), "x-forwarded-for", "198.51.100.1");
    assert_eq!(app.send(spoofed).await.status, StatusCode::TOO_MANY_REQUESTS);
    // GraphQL answers in its own shape, with the same status and header, and the wait.
    let res = app.send(from(alice, Method::GET, "/graphql?query=%7Bsite%7Btitle%7D%7D", None)).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    let err = &res.json()["errors"][0];
    assert_eq!(err["extensions"]["code"], "RATE_LIMITED");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(err["extensions"]["retryAfter"], retry, "{}", res.text);
    // Another client has its own allowance; so has a signed-in editor on the same address.
    assert_eq!(app.send(from([203, 0, 113, 6], Method::GET, "/api/v1/articles", None)).await.status, StatusCode::OK);
    let editor = format!("Bearer {}", app.editor());
    let signed = with_header(from(alice, Method::GET, "/api/v1/articles?limit=9", None), "authorization", &editor);
    assert_eq!(app.send(signed).await.status, StatusCode::OK);
    // Behind a trusted proxy (one named, or any on this host), each forwarded client counts
    // on its own.
    let proxied = [([10, 0, 0, 2], "198.51.100.7"), ([10, 0, 0, 2], "198.51.100.8"), ([127, 0, 0, 1], "198.51.100.9")];
    for (k, (proxy, client)) in proxied.into_iter().enumerate() {
        for i in 0..4 {
            let uri = format!("/api/v1/tags?limit={}", k * 4 + i + 1); // never cached
            let req = with_header(from(proxy, Method::GET, &uri, None), "x-forwarded-for", client);
            let want = if i < 3 { StatusCode::OK } else { StatusCode::TOO_MANY_REQUESTS };
            assert_eq!(app.send(req).await.status, want, "{client} #{i}");
        }
    }
    // The proxy's own address spent nothing: the forwarded clients did.
    assert_eq!(app.send(from([127, 0, 0, 1], Method::GET, "/api/v1/tags?limit=50", None)).await.status, StatusCode::OK);
    // A search costs twenty reads: the client then waits for twenty intervals, not one.
    for (i, search) in ["/api/v1/search?q=rust", "/graphql?query=%7Bsearch(query%3A%22rust%22)%7BtotalCount%7D%7D"]
        .into_iter()
        .enumerate()
    {
        let bob = [198, 18, 0, i as u8];
        assert_eq!(app.send(from(bob, Method::GET, search, None)).await.status, StatusCode::OK);
        let res = app.send(from(bob, Method::GET, "/api/v1/articles?limit=7", None)).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{search}");
        let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
        assert!(retry > 20 * 15, "{search}: Retry-After {retry}");
    }
    // Probes are never limited.
    assert_eq!(app.send(from(alice, Method::GET, "/healthz", None)).await.status, StatusCode::OK);
}

db_test!(timeouts_and_disabled_accounts_get_no_free_work);
async fn timeouts_and_disabled_accounts_get_no_free_work(base: TestApp) {
    let settings = ServerSettings {
        request_timeout: Duration::from_millis(500),
        read_rate: per_minute(100),
        ..Default::default()
    };
    let app = base.configured(settings);
    // A request cut off by the timeout is charged all it was allowed: 500 ms, 500 units.
    let carol = [203, 0, 113, 9];
    let (body, _release) = held_body();
    let held = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json");
    let mut req = held.body(body).unwrap();
    req.extensions_mut().insert(ConnectInfo(SocketAddr::from((carol, 40000))));
    assert_refused(&app.send(req).await, StatusCode::SERVICE_UNAVAILABLE, "timeout");
    let res = app.send(from(carol, Method::GET, "/api/v1/tags?limit=1", None)).await;
    assert_refused(&res, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 60, "Retry-After {retry}");

    // A disabled account's token no longer lets its address past a spent allowance.
    let user = NewUser {
        email: "dan@example.com".into(),
        name: "Dan".into(),
        role: Role::Editor,
        password: "correct horse battery".into(),
    };
    let dan = base.content.create_user(&cli_admin(), user).await.unwrap();
    // As sign-in would issue it (signing in here takes longer than this server's timeout).
    let token = app.token_for("dan@example.com", Role::Editor);
    let signed = || {
        with_header(from(carol, Method::GET, "/api/v1/tags?limit=2", None), "authorization", &format!("Bearer {token}"))
    };
    assert_eq!(app.send(signed()).await.status, StatusCode::OK, "a signed-in client passes a spent allowance");
    let disable = colophon::content::accounts::UserPatch { disabled: Some(true), ..Default::default() };
    base.content.update_user(&cli_admin(), &dan.id.to_string(), disable).await.unwrap();
    assert_eq!(app.send(signed()).await.status, StatusCode::TOO_MANY_REQUESTS, "not once disabled");
}

db_test!(sign_in_and_refresh_are_strictly_limited_on_both_faces);
async fn sign_in_and_refresh_are_strictly_limited_on_both_faces(base: TestApp) {
    let user = NewUser {
        email: "ada@example.com".into(),
        name: "Ada".into(),
        role: Role::Editor,
        password: "correct horse battery".into(),
    };
    base.content.create_user(&cli_admin(), user).await.unwrap();
    let settings = ServerSettings { auth_rate: per_minute(3), read_rate: None, ..Default::default() };
    let app = base.configured(settings);
    let mallory = [198, 51, 100, 66];
    let guess = |password: &str| {
        from(
            mallory,
            Method::POST,
            "/api/v1/auth/token",
            Some(json!({ "email": "ada@example.com", "password": password })),
        )
    };
    assert_eq!(app.send(guess("wrong-1")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.send(guess("wrong-2")).await.status, StatusCode::UNAUTHORIZED);
    // The third attempt from the same client is over GraphQL: the allowance is shared.
    let login = "mutation($p: String!) { login(email: \"ada@example.com\", password: $p) { accessToken } }";
    let res = app
        .send(from(mallory, Method::POST, "/graphql", Some(json!({ "query": login, "variables": { "p": "x" } }))))
        .await;
    assert_eq!(res.json()["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{}", res.text);
    // Now even the right password is refused, on both faces, with a time to wait.
    let res = app.send(guess("correct horse battery")).await;
    assert_refused(&res, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
    let res = app
        .send(from(
            mallory,
            Method::POST,
            "/graphql",
            Some(json!({ "query": login, "variables": { "p": "correct horse battery" } })),
        ))
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    assert!(res.header("retry-after").is_some());
    let err = &res.json()["errors"][0];
    assert_eq!(err["extensions"]["code"], "RATE_LIMITED", "{}", res.text);
    assert!(err["extensions"]["retryAfter"].as_u64().unwrap() >= 1);
    // Refresh shares the allowance.
    let refresh = from(mallory, Method::POST, "/api/v1/auth/refresh", Some(json!({ "refresh_token": "nope" })));
    assert_eq!(app.send(refresh).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Someone else signs in fine.
    let other = from(
        [192, 0, 2, 10],
        Method::POST,
        "/api/v1/auth/token",
        Some(json!({ "email": "ada@example.com", "password": "correct horse battery" })),
    );
    let res = app.send(other).await;
    assert_eq!(res.status, StatusCode::OK);
    // A refresh that works costs nothing: a browser refreshes at every page load, and an
    // office shares one address. Five in a row pass an allowance of three.
    let mut token = res.json()["refresh_token"].as_str().unwrap().to_string();
    for i in 0..5 {
        let res = app
            .send(from([192, 0, 2, 10], Method::POST, "/api/v1/auth/refresh", Some(json!({ "refresh_token": token }))))
            .await;
        assert_eq!(res.status, StatusCode::OK, "refresh {i}: {}", res.text);
        token = res.json()["refresh_token"].as_str().unwrap().to_string();
    }
    // Made-up tokens do cost: the fourth from a fresh client is refused before it is looked up.
    let bogus =
        || from([192, 0, 2, 77], Method::POST, "/api/v1/auth/refresh", Some(json!({ "refresh_token": "nope" })));
    for _ in 0..3 {
        assert_eq!(app.send(bogus()).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_refused(&app.send(bogus()).await, StatusCode::TOO_MANY_REQUESTS, "rate-limited");
}

/// A body that sends nothing until `release` fires: a request that stays in flight.
fn held_body() -> (Body, tokio::sync::oneshot::Sender<()>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stream = futures_stream(rx);
    (Body::from_stream(stream), tx)
}

fn futures_stream(
    rx: tokio::sync::oneshot::Receiver<()>,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    futures_util::stream::once(async move {
        let _ = rx.await;
        Ok(axum::body::Bytes::from_static(b"{\"title\": \"Held\"}"))
    })
}

/// A write whose body is held back, occupying the only in-flight slot of `app` until
/// `release` fires; waits (with a bound no loaded machine reaches) until it is counted.
async fn occupy_the_only_slot(
    app: &TestApp,
) -> (tokio::task::JoinHandle<StatusCode>, tokio::sync::oneshot::Sender<()>) {
    let (body, release) = held_body();
    let held = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/articles")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.editor()))
        .body(body)
        .unwrap();
    let router = app.router.clone();
    let first = tokio::spawn(async move { tower::ServiceExt::oneshot(router, held).await.unwrap().status() });
    for _ in 0..2000 {
        if app.state.guard.in_flight() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(app.state.guard.in_flight(), 1);
    (first, release)
}

db_test!(load_is_shed_past_the_in_flight_limit);
async fn load_is_shed_past_the_in_flight_limit(base: TestApp) {
    let settings = ServerSettings { max_in_flight: 1, read_rate: None, ..Default::default() };
    let app = base.configured(settings);
    let (first, release) = occupy_the_only_slot(&app).await;
    let res = app.get("/api/v1/articles", None).await;
    assert_refused(&res, StatusCode::SERVICE_UNAVAILABLE, "overloaded");
    // Probes still answer: an overloaded server can say it is alive.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/metrics", None).await.status, StatusCode::OK);
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap(), StatusCode::CREATED);
    assert_eq!(app.get("/api/v1/articles", None).await.status, StatusCode::OK);
    let metrics = app.get("/metrics", None).await.text;
    assert!(metrics.contains("colophon_http_refused_total{reason=\"overloaded\"} 1"), "{metrics}");
}

db_test!(slow_requests_time_out_and_write_nothing);
async fn slow_requests_time_out_and_write_nothing(base: TestApp) {
    let settings =
        ServerSettings { request_timeout: Duration::from_millis(200), read_rate: None, ..Default::default() };
    let app = base.configured(settings);
    let (body, _release) = held_body();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/articles")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.editor()))
        .body(body)
        .unwrap();
    let res = app.send(req).await;
    assert_refused(&res, StatusCode::SERVICE_UNAVAILABLE, "timeout");
    assert_eq!(app.article_rows().await, 0);
    assert_eq!(app.state.guard.in_flight(), 0, "the slot is given back");
}

db_test!(oversized_bodies_and_documents_are_refused);
async fn oversized_bodies_and_documents_are_refused(app: TestApp) {
    let huge = "x".repeat(colophon::app::BODY_LIMIT + 1);
    let res = app
        .call(Method::POST, "/api/v1/articles", Some(&app.editor()), Some(json!({ "title": "Big", "body": huge })))
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", &res.text[..res.text.len().min(300)]);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    // GraphQL: a body over the limit, and a query text over its own limit.
    let mutation = "mutation($b: String!) { createArticle(input: { title: \"Big\", body: $b }) { id } }";
    let res = app
        .call(
            Method::POST,
            "/graphql",
            Some(&app.editor()),
            Some(json!({ "query": mutation, "variables": { "b": huge } })),
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.json()["errors"][0]["extensions"]["code"], "QUERY_TOO_LARGE");
    let long_query = format!("{{ site {{ title }} }} #{}", "x".repeat(colophon::graphql::limits::MAX_QUERY_BYTES));
    let res = app.call(Method::POST, "/graphql", None, Some(json!({ "query": long_query }))).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let err = &res.json()["errors"][0];
    assert_eq!(err["extensions"]["code"], "QUERY_TOO_LARGE");
    assert!(err["message"].as_str().unwrap().contains("at most"), "{err}");
    assert_eq!(app.article_rows().await, 0);
}

db_test!(graphql_refuses_documents_past_its_limits);
async fn graphql_refuses_documents_past_its_limits(app: TestApp) {
    let code = |v: &Value| v["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_string();
    // Depth: categories nest children in children.
    let mut deep = "id".to_string();
    for _ in 0..20 {
        deep = format!("children {{ {deep} }}");
    }
    let v = app.gql(&format!("{{ categories {{ {deep} }} }}"), json!({}), None).await;
    assert_eq!(code(&v), "QUERY_TOO_DEEP", "{v}");
    // Complexity: a wide page of wide pages.
    let v = app
        .gql("{ articles(first: 100) { nodes { id title tags { id name slug } related(first: 50) { id title slug } } } }", json!({}), None)
        .await;
    assert_eq!(code(&v), "QUERY_TOO_COMPLEX", "{v}");
    // Aliases: the same field under many names.
    let many =
        (0..colophon::graphql::limits::MAX_ALIASES + 1).map(|i| format!("a{i}: site {{ title }}")).collect::<Vec<_>>();
    let v = app.gql(&format!("{{ {} }}", many.join(" ")), json!({}), None).await;
    assert_eq!(code(&v), "QUERY_TOO_COMPLEX", "{v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("aliases"), "{v}");
    assert!(v["errors"][0].get("locations").is_none(), "no made-up location: {v}");
    let few = (0..5).map(|i| format!("a{i}: site {{ title }}")).collect::<Vec<_>>();
    app.gql_ok(&format!("{{ {} }}", few.join(" ")), json!({}), None).await;
    // A list past its cap names the argument.
    let v = app.gql("{ articles(first: 101) { nodes { id } } }", json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    // Introspection answers by default, and not when turned off.
    app.gql_ok("{ __schema { queryType { name } } }", json!({}), None).await;
    let closed = app.configured(ServerSettings { introspection: false, ..Default::default() });
    for q in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Article\") { name } }",
        "{ ...F } fragment F on Query { __schema { types { name } } }",
    ] {
        let v = closed.gql(q, json!({}), None).await;
        assert_eq!(code(&v), "INTROSPECTION_DISABLED", "{q}: {v}");
    }
    closed.gql_ok("{ site { title } }", json!({}), None).await;
}

db_test!(cors_answers_only_configured_origins);
async fn cors_answers_only_configured_origins(base: TestApp) {
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization, content-type")
            .body(Body::empty())
            .unwrap()
    };
    // By default no origin is named: browsers elsewhere may not read answers.
    let res = base.send(preflight("https://app.example")).await;
    assert!(res.header("access-control-allow-origin").is_none());
    let app = base.configured(ServerSettings {
        cors_origins: CorsOrigins::List(vec!["https://app.example".into()]),
        ..Default::default()
    });
    let res = app.send(preflight("https://app.example")).await;
    assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example"));
    let methods = res.header("access-control-allow-methods").unwrap().to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let res = app.send(preflight("https://evil.example")).await;
    assert!(res.header("access-control-allow-origin").is_none());
    let get = Request::builder().uri("/api/v1/articles").header(header::ORIGIN, "https://app.example");
    let res = app.send(get.body(Body::empty()).unwrap()).await;
    assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example"));
    assert!(res.header("access-control-expose-headers").unwrap().to_ascii_lowercase().contains("etag"));
    assert!(
        res.header("access-control-expose-headers").unwrap().to_ascii_lowercase().contains("link"),
        "a browser front end reads the pagination links"
    );
}

db_test!(answers_carry_security_headers_and_a_request_id);
async fn answers_carry_security_headers_and_a_request_id(app: TestApp) {
    for uri in ["/api/v1/articles", "/graphql?query=%7Bsite%7Btitle%7D%7D", "/api/v1/nowhere", "/healthz"] {
        let res = app.get(uri, None).await;
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"), "{uri}");
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{uri}");
        assert_eq!(res.header("referrer-policy"), Some("no-referrer"), "{uri}");
        assert_eq!(res.header("content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"), "{uri}");
        assert_eq!(res.header("x-request-id").map(str::len), Some(32), "{uri}");
    }
    let asked = Request::builder().uri("/api/v1/articles").header("x-request-id", "trace-abc.123");
    let res = app.send(asked.body(Body::empty()).unwrap()).await;
    assert_eq!(res.header("x-request-id"), Some("trace-abc.123"));
    // An id that could forge a log line is replaced.
    let forged = Request::builder().uri("/api/v1/articles").header("x-request-id", "a\tb");
    let res = app.send(forged.body(Body::empty()).unwrap()).await;
    assert_ne!(res.header("x-request-id"), Some("a\tb"));
}

db_test!(metrics_count_requests_by_route_and_readiness_drains);
async fn metrics_count_requests_by_route_and_readiness_drains(app: TestApp) {
    app.create(json!({ "title": "Counted", "body": "x" })).await;
    for _ in 0..2 {
        assert_eq!(app.get("/api/v1/articles?status=draft", Some(&app.editor())).await.status, StatusCode::OK);
    }
    app.get("/api/v1/articles", None).await;
    app.get("/api/v1/articles", None).await;
    app.get("/api/v1/articles/no-such-article", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let m = res.text;
    // One series per route template, not per path.
    assert!(
        m.contains("colophon_http_requests_total{method=\"GET\",route=\"/api/v1/articles\",status=\"200\"} 4"),
        "{m}"
    );
    assert!(
        m.contains("colophon_http_requests_total{method=\"GET\",route=\"/api/v1/articles/{id}\",status=\"404\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("colophon_http_requests_total{method=\"POST\",route=\"/api/v1/articles\",status=\"201\"} 1"),
        "{m}"
    );
    assert!(m.contains("colophon_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/articles\",status=\"200\",le=\"+Inf\"} 4"), "{m}");
    assert!(m.contains("colophon_response_cache_total{result=\"hit\"} 1"), "{m}");
    assert!(m.contains("colophon_db_pool_connections{state=\"idle\"}"), "{m}");
    assert!(m.contains("colophon_http_in_flight 0"), "{m}");
    // Shutting down: not ready any more, still alive and still answering.
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    app.state.guard.start_draining();
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/articles", None).await.status, StatusCode::OK);
}

db_test!(the_front_ends_operations_fit_within_the_limits);
/// The limits leave room for what the front end asks: each of its operations (with the
/// fragments it uses) runs without meeting one.
async fn the_front_ends_operations_fit_within_the_limits(app: TestApp) {
    let cases = [
        ("ArticlePage", json!({ "slug": "x" })),
        ("HomePage", json!({})),
        ("Search", json!({ "query": "rust" })),
        ("SeriesPage", json!({ "slug": "x" })),
        ("TagPage", json!({ "slug": "x" })),
        ("TopicIndex", json!({})),
    ];
    for (name, vars) in cases {
        let doc = crate::support::operation(name);
        let v = app.gql(&doc, vars, None).await;
        assert!(v.get("errors").is_none(), "{name}: {v}");
    }
}

db_test!(metrics_answer_this_host_or_the_holder_of_their_token);
async fn metrics_answer_this_host_or_the_holder_of_their_token(base: TestApp) {
    let app = base.configured(ServerSettings::default());
    assert_eq!(app.send(from([127, 0, 0, 1], Method::GET, "/metrics", None)).await.status, StatusCode::OK);
    let res = app.send(from([203, 0, 113, 5], Method::GET, "/metrics", None)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert!(res.text.contains("COLOPHON_METRICS_TOKEN"), "{}", res.text);
    // Through a proxy on this host, the client is the one it forwards for: still refused,
    // whatever address the header names.
    for named in ["203.0.113.5", "127.0.0.1"] {
        let proxied = with_header(from([127, 0, 0, 1], Method::GET, "/metrics", None), "x-forwarded-for", named);
        assert_eq!(app.send(proxied).await.status, StatusCode::FORBIDDEN, "{named}");
    }

    let token = "0123456789abcdef0123";
    let app = base.configured(ServerSettings { metrics_token: Some(token.into()), ..Default::default() });
    let res = app.send(from([203, 0, 113, 5], Method::GET, "/metrics", None)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let wrong = with_header(from([203, 0, 113, 5], Method::GET, "/metrics", None), "authorization", "Bearer nope");
    assert_eq!(app.send(wrong).await.status, StatusCode::FORBIDDEN);
    let right =
        with_header(from([203, 0, 113, 5], Method::GET, "/metrics", None), "authorization", &format!("Bearer {token}"));
    let res = app.send(right).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text.contains("colophon_http_requests_total"));
}

db_test!(graphql_names_overload_and_timeout_by_code);
/// On `/graphql` the guard's refusals are GraphQL errors with the README's codes:
/// `OVERLOADED` past the in-flight limit, `TIMEOUT` past the request timeout, both 503 with
/// `Retry-After` (and `extensions.retryAfter`), and counted by reason in the metrics.
async fn graphql_names_overload_and_timeout_by_code(base: TestApp) {
    let graphql_refusal = |res: &Response, code: &str| {
        assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.text);
        let v = res.json();
        assert_eq!(v["errors"][0]["extensions"]["code"], code, "{v}");
        assert!(v["errors"][0]["extensions"]["retryAfter"].as_u64().is_some_and(|s| s >= 1), "{v}");
        assert!(res.header("retry-after").is_some());
    };
    let query = json!({ "query": "{ site { title } }" });

    let app = base.configured(ServerSettings { max_in_flight: 1, read_rate: None, ..Default::default() });
    let (first, release) = occupy_the_only_slot(&app).await;
    graphql_refusal(&app.call(Method::POST, "/graphql", None, Some(query.clone())).await, "OVERLOADED");
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap(), StatusCode::CREATED);

    let app = base.configured(ServerSettings {
        request_timeout: Duration::from_millis(200),
        read_rate: None,
        ..Default::default()
    });
    let (body, _release) = held_body();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap();
    graphql_refusal(&app.send(req).await, "TIMEOUT");
    let metrics = app.get("/metrics", None).await.text;
    assert!(metrics.contains("colophon_http_refused_total{reason=\"timeout\"} 1"), "{metrics}");
}

db_test!(cors_star_lets_every_origin_read);
/// `COLOPHON_CORS_ORIGINS=*`: any origin may call, preflight included; without it, none.
async fn cors_star_lets_every_origin_read(base: TestApp) {
    let app = base.configured(ServerSettings { cors_origins: CorsOrigins::Any, ..Default::default() });
    for origin in ["https://one.example", "http://localhost:5173"] {
        let res = app
            .send(with_header(from([203, 0, 113, 9], Method::GET, "/api/v1/articles", None), "origin", origin))
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.header("access-control-allow-origin"), Some("*"), "{origin}");
        let mut preflight = from([203, 0, 113, 9], Method::OPTIONS, "/graphql", None);
        for (k, v) in [
            ("origin", origin),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type,authorization"),
        ] {
            preflight = with_header(preflight, k, v);
        }
        let res = app.send(preflight).await;
        assert!(res.status.is_success(), "{}", res.status);
        assert_eq!(res.header("access-control-allow-origin"), Some("*"));
        let methods = res.header("access-control-allow-methods").unwrap_or_default().to_ascii_uppercase();
        assert!(methods.contains("POST") || methods == "*", "{methods}");
    }
    let closed = base.configured(ServerSettings::default());
    let res = closed
        .send(with_header(
            from([203, 0, 113, 9], Method::GET, "/api/v1/articles", None),
            "origin",
            "https://one.example",
        ))
        .await;
    assert!(res.header("access-control-allow-origin").is_none());
}
