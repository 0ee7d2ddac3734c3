//! The in-process response cache: anonymous reads come from memory until anything changes.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::db_test;
use crate::support::TestApp;

db_test!(cached_reads_end_with_every_kind_of_write);
async fn cached_reads_end_with_every_kind_of_write(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "First", "tags": ["Cache"] })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    let list = "/api/v1/articles";
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("miss"));
    let hit = app.get(list, None).await;
    assert_eq!(hit.header("x-cache"), Some("hit"));
    assert_eq!(hit.json()["meta"]["total"], 1);
    // An ETag revalidation is answered from the cache too.
    let etag = hit.header("etag").unwrap().to_string();
    let req = axum::http::Request::get(list).header("if-none-match", &etag).body(axum::body::Body::empty()).unwrap();
    let res = app.send(req).await;
    assert_eq!((res.status, res.header("x-cache")), (StatusCode::NOT_MODIFIED, Some("hit")));

    // A REST write.
    let b = app.create(json!({ "title": "Second" })).await;
    app.publish(b["id"].as_str().unwrap(), None).await;
    let res = app.get(list, None).await;
    assert_eq!((res.header("x-cache"), res.json()["meta"]["total"].clone()), (Some("miss"), json!(2)));
    // A GraphQL query by POST changes nothing; a mutation does.
    app.get(list, None).await;
    app.gql("{ site { title } }", json!({}), None).await;
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    app.gql_ok(
        "mutation { updateTag(id: \"cache\", input: { name: \"Caching\" }) { slug } }",
        json!({}),
        Some(&editor),
    )
    .await;
    let res = app.get(list, None).await;
    assert_eq!(res.header("x-cache"), Some("miss"));
    assert!(res.text.contains("Caching"), "{}", res.text);
    // A refused write changes nothing.
    app.get(list, None).await;
    let res = app.call(Method::POST, "/api/v1/tags", Some(&editor), Some(json!({ "name": "" }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    // Answers with credentials never come from or go into the cache.
    let res = app.get(list, Some(&editor)).await;
    assert!(res.header("x-cache").is_none());
}

db_test!(a_scheduled_article_appears_at_its_time_without_a_write);
async fn a_scheduled_article_appears_at_its_time_without_a_write(app: TestApp) {
    let a = app.create(json!({ "title": "Soon" })).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.publish(a["id"].as_str().unwrap(), Some(&at)).await;
    let list = "/api/v1/articles";
    assert_eq!(app.get(list, None).await.json()["meta"]["total"], 0);
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    app.advance(chrono::Duration::hours(2));
    let res = app.get(list, None).await;
    assert_eq!(res.json()["meta"]["total"], 1, "{}", res.text);
}

db_test!(saves_readers_cannot_see_leave_the_cache_alone);
async fn saves_readers_cannot_see_leave_the_cache_alone(app: TestApp) {
    let editor = app.editor();
    let public = app.create(json!({ "title": "Public", "tags": ["Cache"], "category": "Web" })).await;
    app.publish(public["id"].as_str().unwrap(), None).await;
    let pages = ["/api/v1/articles", "/api/v1/tags", "/api/v1/categories", "/feed.xml", "/api/v1/site"];
    let all_hits = || async {
        let mut states = Vec::new();
        for page in pages {
            states.push(app.get(page, None).await.header("x-cache").unwrap_or("none").to_string());
        }
        states
    };
    all_hits().await; // fills the cache
    assert_eq!(all_hits().await, vec!["hit"; pages.len()]);

    // A draft written, autosaved again and again on both faces, tagged and categorised with
    // what readers see and with new names; a preview rendered.
    let draft = app.create(json!({ "title": "Draft", "tags": ["Cache", "Brand new"], "category": "Web" })).await;
    let id = draft["id"].as_str().unwrap().to_string();
    for i in 0..3 {
        let body = json!({ "body": format!("Autosave {i}"), "tags": ["Cache", "Other new"] });
        let res = app.call(Method::PATCH, &format!("/api/v1/articles/{id}"), Some(&editor), Some(body)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        app.gql_ok(
            "mutation($id: ID!, $b: String!) { updateArticle(id: $id, input: {body: $b}) { version } }",
            json!({ "id": id, "b": format!("GraphQL autosave {i}") }),
            Some(&editor),
        )
        .await;
    }
    app.gql_ok("query($m: String!) { renderMarkdown(markdown: $m) { html } }", json!({ "m": "# Hi" }), Some(&editor))
        .await;
    let res = app.call(Method::POST, "/api/v1/render", Some(&editor), Some(json!({ "markdown": "*x*" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // A scheduled article saved before its time, its time unchanged.
    let later = app.create(json!({ "title": "Later" })).await;
    let later_id = later["id"].as_str().unwrap().to_string();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.publish(&later_id, Some(&tomorrow)).await;
    all_hits().await;
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{later_id}"), Some(&editor), Some(json!({ "body": "More" })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // A draft deleted.
    assert_eq!(
        app.call(Method::DELETE, &format!("/api/v1/articles/{id}"), Some(&editor), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(all_hits().await, vec!["hit"; pages.len()], "a save readers cannot see emptied the cache");

    // Publishing is seen at once, on every page.
    app.publish(&later_id, None).await;
    let after: Vec<String> = all_hits().await;
    assert_eq!(after, vec!["miss"; pages.len()]);
    assert_eq!(app.get("/api/v1/articles", None).await.json()["meta"]["total"], 2);
}

db_test!(another_process_is_heard_only_when_readers_would_see_it);
async fn another_process_is_heard_only_when_readers_would_see_it(app: TestApp) {
    use colophon::content::{Content, NewArticle, Principal, Role, Viewer};
    let public = app.create(json!({ "title": "Public" })).await;
    app.publish(public["id"].as_str().unwrap(), None).await;
    // As the server does: on PostgreSQL, LISTEN (caching waits until it is up).
    app.state.cache.watch();
    for _ in 0..1000 {
        if app.state.cache.enabled() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(app.state.cache.enabled());
    // A second connection pool on the same database: another process, as far as this
    // server's cache can tell (`colophon import` beside it, another instance).
    let other = Content::new(colophon::db::connect(app.url.as_deref().unwrap()).await.unwrap());
    let editor = Viewer(Some(Principal { subject: "other".into(), role: Role::Editor }));
    let list = "/api/v1/articles";
    app.get(list, None).await;
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    let draft =
        other.create_article(&editor, NewArticle { title: "Elsewhere".into(), ..Default::default() }).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"), "a draft saved elsewhere emptied the cache");
    other.publish_article(&editor, &draft.row.id.to_string(), None).await.unwrap();
    // Heard through the database (SQLite: the epoch read on the request path; PostgreSQL:
    // NOTIFY, delivered at commit): waited for, with a bound only a broken server reaches.
    let mut seen = false;
    for _ in 0..500 {
        let res = app.get(list, None).await;
        if res.json()["meta"]["total"] == 2 {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(seen, "another process's publication was never heard");
}
