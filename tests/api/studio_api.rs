//! What the studio needs from the public API, on both faces and both databases: a preview
//! rendered as a saved body would be, one revision's text to compare, the excerpt the editor
//! wrote, and a browser session whose refresh token no script can read.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use colophon::content::Role;
use colophon::content::accounts::{NewUser, cli_admin};
use serde_json::json;

use crate::db_test;
use crate::support::{TestApp, gql_code};

const RENDER: &str = "query($m: String!) { renderMarkdown(markdown: $m) { html wordCount readingMinutes excerpt } }";

db_test!(a_preview_renders_as_a_saved_body_and_changes_nothing);
async fn a_preview_renders_as_a_saved_body_and_changes_nothing(app: TestApp) {
    let editor = app.editor();
    let markdown = "# Heading\n\nSome *emphasis* and <script>alert(1)</script> a [link](javascript:alert(1)).\n";
    let res = app.call(Method::POST, "/api/v1/render", Some(&editor), Some(json!({ "markdown": markdown }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let rest = res.json()["data"].clone();
    let html = rest["html"].as_str().unwrap();
    assert!(html.contains("<em>emphasis</em>"), "{html}");
    assert!(!html.contains("<script") && !html.contains("javascript:"), "sanitized as a body is: {html}");

    // The same HTML, counts and excerpt a saved article with this body gets.
    let saved = app.create(json!({ "title": "Saved", "body": markdown })).await;
    assert_eq!(rest["html"], saved["html"]);
    assert_eq!(rest["word_count"], saved["word_count"]);
    assert_eq!(rest["reading_minutes"], saved["reading_minutes"]);
    assert_eq!(rest["excerpt"], saved["excerpt"]);

    // GraphQL answers the same.
    let v = app.gql_ok(RENDER, json!({ "m": markdown }), Some(&editor)).await;
    assert_eq!(crate::support::snake_keys(&v["renderMarkdown"]), rest);

    // Authors preview too; readers and strangers may not (it costs a render).
    let author = app.token(Role::Author);
    let res = app.call(Method::POST, "/api/v1/render", Some(&author), Some(json!({ "markdown": "x" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.call(Method::POST, "/api/v1/render", None, Some(json!({ "markdown": "x" }))).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(gql_code(&app.gql(RENDER, json!({ "m": "x" }), None).await), "UNAUTHENTICATED");

    // A body a save would refuse is refused here the same way, naming the field.
    let hostile = "> ".repeat(40 * 1024);
    let res = app.call(Method::POST, "/api/v1/render", Some(&editor), Some(json!({ "markdown": hostile }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", &res.text[..res.text.len().min(300)]);
    assert_eq!(res.json()["errors"][0]["field"], "markdown");
    let v = app.gql(RENDER, json!({ "m": hostile }), Some(&editor)).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "markdown");
    let res =
        app.call(Method::POST, "/api/v1/render", Some(&editor), Some(json!({ "markdown": "x", "extra": 1 }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);

    // Previews wrote nothing: the one saved article is all there is.
    assert_eq!(app.article_rows().await, 1);
}

db_test!(one_revision_is_read_with_its_text_on_both_faces);
async fn one_revision_is_read_with_its_text_on_both_faces(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "First", "body": "First body.", "excerpt": "Mine." })).await;
    let id = a["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/articles/{id}");
    let res = app
        .call(
            Method::PATCH,
            &path,
            Some(&editor),
            Some(json!({ "title": "Second", "body": "Second body.", "slug": "moved" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let first = app.get(&format!("{path}/revisions/1"), Some(&editor)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let first = first.json()["data"].clone();
    assert_eq!(first["version"], 1);
    assert_eq!(first["title"], "First");
    assert_eq!(first["body"], "First body.");
    assert_eq!(first["slug"], "first");
    assert_eq!(first["excerpt"], "Mine.");
    // By the old slug too, as every article route takes it.
    let by_slug = app.get("/api/v1/articles/first/revisions/2", Some(&editor)).await.json();
    assert_eq!(by_slug["data"]["body"], "Second body.");
    assert_eq!(by_slug["data"]["slug"], "moved");

    let v = app
        .gql_ok(
            "query($id: ID) { article(id: $id) { revision(version: 1) { version title slug excerpt body editor createdAt } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    assert_eq!(crate::support::snake_keys(&v["article"]["revision"]), first);
    // A list carries no text unless a field of it is asked for; then each has its own.
    let v = app
        .gql_ok(
            "query($id: ID) { article(id: $id) { revisions { version body slug } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        v["article"]["revisions"],
        json!([{ "version": 2, "body": "Second body.", "slug": "moved" }, { "version": 1, "body": "First body.", "slug": "first" }])
    );

    // A version that does not exist is 404 / NOT_FOUND; a reader may not look.
    assert_eq!(app.get(&format!("{path}/revisions/9"), Some(&editor)).await.status, StatusCode::NOT_FOUND);
    let v = app
        .gql(
            "query($id: ID) { article(id: $id) { revision(version: 9) { body } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    assert_eq!(gql_code(&v), "NOT_FOUND");
    assert_eq!(app.get(&format!("{path}/revisions/1"), None).await.status, StatusCode::UNAUTHORIZED);
    // An author may not read another's history.
    let author = app.token(Role::Author);
    assert_eq!(app.get(&format!("{path}/revisions/1"), Some(&author)).await.status, StatusCode::FORBIDDEN);
}

db_test!(the_excerpt_an_editor_wrote_is_told_apart_from_the_derived_one);
async fn the_excerpt_an_editor_wrote_is_told_apart_from_the_derived_one(app: TestApp) {
    let editor = app.editor();
    let own = app.create(json!({ "title": "Own", "body": "The body says this.", "excerpt": "Written." })).await;
    let derived = app.create(json!({ "title": "Derived", "body": "The body says this." })).await;
    assert_eq!((own["excerpt"].clone(), own["custom_excerpt"].clone()), (json!("Written."), json!("Written.")));
    assert_eq!(derived["custom_excerpt"], serde_json::Value::Null);
    assert_eq!(derived["excerpt"], "The body says this.");
    for a in [&own, &derived] {
        let id = a["id"].as_str().unwrap();
        let rest = app.get(&format!("/api/v1/articles/{id}"), Some(&editor)).await.json()["data"].clone();
        let v = app
            .gql_ok("query($id: ID) { article(id: $id) { excerpt customExcerpt } }", json!({ "id": id }), Some(&editor))
            .await;
        assert_eq!(v["article"]["customExcerpt"], rest["custom_excerpt"], "{id}");
        assert_eq!(v["article"]["excerpt"], rest["excerpt"], "{id}");
    }
    // Clearing it brings back the derived one.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{}", own["id"].as_str().unwrap()),
            Some(&editor),
            Some(json!({ "excerpt": null })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["data"]["custom_excerpt"], serde_json::Value::Null);
    assert_eq!(res.json()["data"]["excerpt"], "The body says this.");
}

fn cookie_of(res: &crate::support::Response) -> String {
    let set = res.header("set-cookie").expect("a Set-Cookie header");
    set.split(';').next().unwrap().to_string()
}

/// A request as a browser on `host` sends it.
fn browser(
    method: Method,
    uri: &str,
    host: &str,
    cookie: Option<&str>,
    body: Option<serde_json::Value>,
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(uri).header(header::HOST, host);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

const LOCAL: &str = "127.0.0.1:8080";

async fn refresh_with_cookie(app: &TestApp, cookie: Option<&str>, method: Method) -> crate::support::Response {
    app.send(browser(method, "/api/v1/auth/refresh", LOCAL, cookie, None)).await
}

db_test!(a_browser_session_keeps_its_refresh_token_where_scripts_cannot_read_it);
async fn a_browser_session_keeps_its_refresh_token_where_scripts_cannot_read_it(app: TestApp) {
    let input = NewUser {
        email: "ed@example.com".into(),
        name: "Ed".into(),
        role: Role::Editor,
        password: "correct horse battery".into(),
    };
    app.content.create_user(&cli_admin(), input).await.unwrap();
    let login = || json!({ "email": "ed@example.com", "password": "correct horse battery", "session": "cookie" });
    let sign_in = |host: &'static str| app.send(browser(Method::POST, "/api/v1/auth/token", host, None, Some(login())));
    let res = sign_in(LOCAL).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert!(body.get("refresh_token").is_none(), "the token is only in the cookie: {body}");
    assert!(body["access_token"].is_string());
    let set = res.header("set-cookie").unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth/refresh", "Max-Age="] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(!set.contains("Secure"), "this machine itself, over http: {set}");
    // Reached by a name, with no public URL configured: it is assumed to be behind https.
    for host in ["cms.example.com", "[::1]:8080", "localhost:8080"] {
        let set = sign_in(host).await.header("set-cookie").unwrap().to_string();
        assert_eq!(set.contains("; Secure"), host == "cms.example.com", "{host}: {set}");
    }
    let c1 = cookie_of(&res);
    assert!(c1.starts_with("colophon_refresh=") && c1.len() > "colophon_refresh=".len() + 20, "{c1}");

    // A refresh with no body reads the cookie and replaces it; the access token works.
    let res = refresh_with_cookie(&app, Some(&c1), Method::POST).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.json().get("refresh_token").is_none());
    let c2 = cookie_of(&res);
    assert_ne!(c2, c1);
    let access = res.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/me", Some(&access)).await.json()["data"]["email"], "ed@example.com");

    // The same cookie again at once, before its successor is used (a reply lost to a reload,
    // two tabs at once), is the same client: it gets a pair of its own.
    let res = refresh_with_cookie(&app, Some(&c1), Method::POST).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let c2b = cookie_of(&res);
    // Once the sign-in has moved on, the spent cookie is theft: refused, dropped, and the
    // whole sign-in revoked, so every later cookie stops working too.
    let res = refresh_with_cookie(&app, Some(&c2), Method::POST).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let c3 = cookie_of(&res);
    let res = refresh_with_cookie(&app, Some(&c1), Method::POST).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=0"));
    for c in [&c2b, &c3] {
        assert_eq!(refresh_with_cookie(&app, Some(c), Method::POST).await.status, StatusCode::UNAUTHORIZED);
    }

    // No cookie and no body: no credential at all, so 401 (like a missing bearer token; the
    // body's field is optional, so 422 would refuse a request the contract allows), and the
    // answer says what to send.
    let res = refresh_with_cookie(&app, None, Method::POST).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    assert!(res.json()["detail"].as_str().unwrap().contains("`refresh_token`"), "{}", res.text);
    assert!(res.header("set-cookie").is_none(), "no cookie to clear");
    // A body of JSON `null` is no body: the same answer.
    let req = browser(Method::POST, "/api/v1/auth/refresh", LOCAL, None, Some(serde_json::Value::Null));
    assert_eq!(app.send(req).await.status, StatusCode::UNAUTHORIZED);

    // Only this origin's pages may use the cookie: a sibling site's request is refused and
    // changes nothing (the cookie still works afterwards).
    let cookie = cookie_of(&sign_in(LOCAL).await);
    for (name, value) in
        [("sec-fetch-site", "same-site"), ("sec-fetch-site", "cross-site"), ("origin", "http://evil.example")]
    {
        for method in [Method::POST, Method::DELETE] {
            let mut req = browser(method.clone(), "/api/v1/auth/refresh", LOCAL, Some(&cookie), None);
            req.headers_mut().insert(name, value.parse().unwrap());
            let res = app.send(req).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{method} with {name}: {value}: {}", res.text);
            assert!(res.header("set-cookie").is_none());
        }
    }
    let mut req = browser(Method::POST, "/api/v1/auth/refresh", LOCAL, Some(&cookie), None);
    req.headers_mut().insert("sec-fetch-site", "same-origin".parse().unwrap());
    req.headers_mut().insert("origin", format!("http://{LOCAL}").parse().unwrap());
    let res = app.send(req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let cookie = cookie_of(&res);

    // Signing out revokes the sign-in and clears the cookie.
    let res = refresh_with_cookie(&app, Some(&cookie), Method::DELETE).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(refresh_with_cookie(&app, Some(&cookie), Method::POST).await.status, StatusCode::UNAUTHORIZED);
    // Signing out without a session is harmless.
    assert_eq!(refresh_with_cookie(&app, None, Method::DELETE).await.status, StatusCode::NO_CONTENT);

    // A session kept in the body is as it was: the token in the answer, no cookie.
    let login = json!({ "email": "ed@example.com", "password": "correct horse battery" });
    let res = app.call(Method::POST, "/api/v1/auth/token", None, Some(login)).await;
    assert!(res.json()["refresh_token"].is_string());
    assert!(res.header("set-cookie").is_none());
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({ "email": "ed@example.com", "password": "x", "session": "jar" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
}
