//! The in-process response cache: anonymous reads come from memory until a change touches them.

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
    let list = "/api/v1/articles";
    // Cached while nothing was scheduled: scheduling must tell the cache of the new time.
    app.get(list, None).await;
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"));
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.publish(a["id"].as_str().unwrap(), Some(&at)).await;
    let res = app.get(list, None).await;
    assert_eq!((res.header("x-cache"), res.json()["meta"]["total"].clone()), (Some("hit"), json!(0)));
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
    let unrelated = "/api/v1/articles/public";
    for page in [list, unrelated] {
        app.get(page, None).await;
        assert_eq!(app.get(page, None).await.header("x-cache"), Some("hit"));
    }
    let draft =
        other.create_article(&editor, NewArticle { title: "Elsewhere".into(), ..Default::default() }).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(app.get(list, None).await.header("x-cache"), Some("hit"), "a draft saved elsewhere emptied the cache");
    other.publish_article(&editor, &draft.row.id.to_string(), None).await.unwrap();
    // Heard through the database (SQLite: the purge log read on the request path; PostgreSQL:
    // NOTIFY with the keys, delivered at commit): waited for, with a bound only a broken server reaches.
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
    // Heard with its keys: a page that does not show the new article is still kept.
    assert_eq!(
        app.get(unrelated, None).await.header("x-cache"),
        Some("hit"),
        "another process's write purged too much"
    );
}

/// The pages a reader has open, and whether each came from the cache on its next read.
struct Pages<'a> {
    app: &'a TestApp,
    pages: Vec<(&'static str, String)>,
}

const HOME_QUERY: &str = "query Home { articles(first: 10) { nodes { slug title } } }";

/// The pages every article readers see is on: the lists of all articles, group lists and
/// site counts, the feed, and the GraphQL home by GET and by POST.
const EVERY_LIST: [&str; 6] = ["home", "tags", "site", "feed", "graphql-get", "graphql-post"];

impl<'a> Pages<'a> {
    /// `own` pages, and those of [`EVERY_LIST`].
    fn with_lists(app: &'a TestApp, mut own: Vec<(&'static str, String)>) -> Self {
        own.extend([
            ("home", "/api/v1/articles".to_string()),
            ("tags", "/api/v1/tags".into()),
            ("site", "/api/v1/site".into()),
            ("feed", "/feed.xml".into()),
            ("graphql-get", format!("/graphql?query={}", urlencode(HOME_QUERY))),
            ("graphql-post", "graphql-post".into()),
        ]);
        Pages { app, pages: own }
    }

    async fn read(&self, path: &str) -> crate::support::Response {
        if path == "graphql-post" {
            let body = json!({ "query": HOME_QUERY, "operationName": "Home" });
            return self.app.call(Method::POST, "/graphql", None, Some(body)).await;
        }
        self.app.get(path, None).await
    }

    /// Reads every page twice: each is then in the cache.
    async fn fill(&self) {
        for (_, path) in &self.pages {
            self.read(path).await;
            let res = self.read(path).await;
            assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
            assert_eq!(res.header("x-cache"), Some("hit"), "{path} is not cached");
        }
    }

    /// After `what`, the pages named in `purged` are read afresh and the others still come
    /// from the cache.
    async fn after(&self, what: &str, purged: &[&str]) {
        for name in purged {
            assert!(self.pages.iter().any(|(n, _)| n == name), "no page {name}");
        }
        let mut wrong = Vec::new();
        for (name, path) in &self.pages {
            // A page gone (404) is not cached at all: not a hit is what matters.
            let state = self.read(path).await.header("x-cache").unwrap_or("none").to_string();
            let purged = purged.contains(name);
            if (state == "hit") == purged {
                wrong.push(format!(
                    "{name}: {state}, when it should{} have been purged",
                    if purged { "" } else { " not" }
                ));
            }
        }
        assert!(wrong.is_empty(), "after {what}: {wrong:?}");
    }
}

db_test!(a_write_purges_exactly_the_pages_that_show_what_it_changed);
async fn a_write_purges_exactly_the_pages_that_show_what_it_changed(app: TestApp) {
    let editor = app.editor();
    let admin = app.token(colophon::content::Role::Admin);
    let a = app.create(json!({ "title": "Alpha one", "tags": ["Alpha"], "category": "Web", "series": "Saga" })).await;
    let b = app.create(json!({ "title": "Beta one", "tags": ["Beta"], "category": "Data" })).await;
    let c = app.create(json!({ "title": "Saga two", "tags": ["Gamma"], "series": "Saga" })).await;
    let d = app.create(json!({ "title": "Beta two", "tags": ["Beta"] })).await;
    for x in [&a, &b, &c, &d] {
        app.publish(x["id"].as_str().unwrap(), None).await;
    }
    let id = |x: &serde_json::Value| x["id"].as_str().unwrap().to_string();
    let (a_id, b_id) = (id(&a), id(&b));
    let pages = Pages::with_lists(
        &app,
        vec![
            ("a", "/api/v1/articles/alpha-one".into()),
            ("b", "/api/v1/articles/beta-one".into()),
            ("c", "/api/v1/articles/saga-two".into()),
            ("tag alpha", "/api/v1/tags/alpha".into()),
            ("tag beta", "/api/v1/tags/beta".into()),
            // Newest first: d alone, b on the next page.
            ("tag beta, first", "/api/v1/tags/beta?limit=1".into()),
            ("tag gamma", "/api/v1/tags/gamma".into()),
            ("category web", "/api/v1/categories/web".into()),
            ("category data", "/api/v1/categories/data".into()),
            ("series", "/api/v1/series/saga".into()),
        ],
    );
    pages.fill().await;

    // Writes readers cannot see purge nothing.
    let draft = app.create(json!({ "title": "Draft", "tags": ["Alpha", "Brand new"], "category": "Web" })).await;
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{}", id(&draft)), Some(&editor), Some(json!({ "body": "x" })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let user =
        json!({ "email": "new@example.com", "name": "New", "role": "author", "password": "correct horse battery" });
    let res = app.call(Method::POST, "/api/v1/users", Some(&admin), Some(user)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.call(Method::POST, &format!("/api/v1/articles/{a_id}/preview"), Some(&editor), None).await;
    assert!(res.status.is_success(), "{}", res.text);
    assert!(!app.get("/api/v1/audit", Some(&admin)).await.json()["data"].as_array().unwrap().is_empty());
    pages.after("a draft, an account and the audit log", &[]).await;

    // An article edited: its pages, its groups' and the lists of every article.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{b_id}"),
            Some(&editor),
            Some(json!({ "title": "Beta renamed" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    pages
        .after("an edit of b", &[&EVERY_LIST[..], &["b", "tag beta", "tag beta, first", "category data"]].concat())
        .await;
    assert!(pages.read("/api/v1/articles").await.text.contains("Beta renamed"));

    // Moved to another tag: the tag it left too, even its pages that did not show it (the
    // count on them changed).
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{b_id}"), Some(&editor), Some(json!({ "tags": ["Gamma"] })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let moved = ["b", "tag beta", "tag beta, first", "tag gamma", "category data"];
    pages.after("b moving from beta to gamma", &[&EVERY_LIST[..], &moved[..]].concat()).await;
    assert_eq!(pages.read("/api/v1/tags/gamma").await.json()["data"]["articles"]["meta"]["total"], 2);
    assert_eq!(pages.read("/api/v1/tags/beta?limit=1").await.json()["data"]["articles"]["meta"]["total"], 1);

    // A tag renamed: its page and the articles that show its name.
    app.gql_ok(
        "mutation { updateTag(id: \"gamma\", input: { name: \"Gamma ray\" }) { slug } }",
        json!({}),
        Some(&editor),
    )
    .await;
    pages
        .after("a tag renamed", &[&EVERY_LIST[..], &["b", "c", "tag gamma", "series", "category data"]].concat())
        .await;
    assert!(pages.read("/api/v1/articles/saga-two").await.text.contains("Gamma ray"));

    // Unpublished: its pages, its groups' pages, and its neighbour in the series.
    let res = app.call(Method::POST, &format!("/api/v1/articles/{a_id}/unpublish"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // The card of c on gamma's page links to a as the part before it.
    let shown_with_a = ["a", "tag alpha", "category web", "series", "c", "tag gamma"];
    pages.after("a unpublished", &[&EVERY_LIST[..], &shown_with_a[..]].concat()).await;
    assert_eq!(pages.read("/api/v1/articles/alpha-one").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        pages.read("/api/v1/articles/saga-two").await.json()["data"]["previous_in_series"],
        serde_json::Value::Null
    );
}

db_test!(a_scheduled_article_coming_due_purges_only_its_pages);
async fn a_scheduled_article_coming_due_purges_only_its_pages(app: TestApp) {
    let a = app.create(json!({ "title": "Alpha one", "tags": ["Alpha"], "category": "Web" })).await;
    let b = app.create(json!({ "title": "Beta one", "tags": ["Beta"], "category": "Data" })).await;
    for x in [&a, &b] {
        app.publish(x["id"].as_str().unwrap(), None).await;
    }
    let pages = Pages::with_lists(
        &app,
        vec![
            ("a", "/api/v1/articles/alpha-one".into()),
            ("b", "/api/v1/articles/beta-one".into()),
            ("tag alpha", "/api/v1/tags/alpha".into()),
            ("tag beta", "/api/v1/tags/beta".into()),
            ("category web", "/api/v1/categories/web".into()),
            ("category data", "/api/v1/categories/data".into()),
        ],
    );
    pages.fill().await;
    let e = app.create(json!({ "title": "Beta later", "tags": ["Beta"], "category": "Data" })).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.publish(e["id"].as_str().unwrap(), Some(&at)).await;
    pages.after("an article scheduled", &[]).await;
    app.advance(chrono::Duration::hours(2));
    pages.after("it came due", &[&EVERY_LIST[..], &["tag beta", "category data"]].concat()).await;
    assert_eq!(pages.read("/api/v1/tags/beta").await.json()["data"]["articles"]["meta"]["total"], 2);
    assert_eq!(pages.read("/api/v1/articles/beta-later").await.status, StatusCode::OK);

    // Another falls due before any reader comes back (the schedule's own purge was the
    // last thing heard): the first reader after its time still finds its pages dropped.
    let f = app.create(json!({ "title": "Alpha later", "tags": ["Alpha"], "category": "Web" })).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.publish(f["id"].as_str().unwrap(), Some(&at)).await;
    app.advance(chrono::Duration::hours(2));
    pages.after("another came due unread", &[&EVERY_LIST[..], &["tag alpha", "category web"]].concat()).await;
    assert_eq!(pages.read("/api/v1/tags/alpha").await.json()["data"]["articles"]["meta"]["total"], 2);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

db_test!(graphql_queries_sent_by_post_are_answered_from_the_cache);
async fn graphql_queries_sent_by_post_are_answered_from_the_cache(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "Posted", "tags": ["Cache"] })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    let post = |body: serde_json::Value, token: Option<String>| {
        let app = &app;
        async move { app.call(Method::POST, "/graphql", token.as_deref(), Some(body)).await }
    };
    let query = "query List($n: Int) { articles(first: $n) { nodes { title } } }";
    let first = post(json!({ "query": query, "variables": { "n": 5 } }), None).await;
    assert_eq!(first.header("x-cache"), Some("miss"), "{}", first.text);
    // The same query laid out differently, its variables in another order: one answer.
    let again = post(json!({ "variables": { "n": 5 }, "query": format!("  {query}  # the list") }), None).await;
    assert_eq!(again.header("x-cache"), Some("hit"));
    assert_eq!(again.text, first.text);
    // HTTP caching stays as it is for POST: nobody else keeps it.
    assert_eq!(again.header("cache-control"), Some("no-store"));
    // Other variables are another answer.
    assert_eq!(post(json!({ "query": query, "variables": { "n": 1 } }), None).await.header("x-cache"), Some("miss"));
    // Credentials, errors and mutations are never kept.
    for _ in 0..2 {
        let res = post(json!({ "query": query, "variables": { "n": 5 } }), Some(editor.clone())).await;
        assert_eq!(res.header("x-cache"), None);
        let res = post(json!({ "query": "{ article(slug: \"posted\") { nope } }" }), None).await;
        assert_ne!(res.header("x-cache"), Some("hit"), "{}", res.text);
    }
    // A body past 64 KiB is not read here: answered as ever, never kept. Just under, kept.
    for (pad, kept) in [(60 * 1024, true), (65 * 1024, false)] {
        let body = json!({ "query": query, "variables": { "n": 5, "pad": "x".repeat(pad) } });
        let first = post(body.clone(), None).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        let again = post(body, None).await;
        assert_eq!(again.header("x-cache") == Some("hit"), kept, "{pad} bytes of padding");
    }
    // A mutation sent by POST changes what the cached query shows, and it is seen at once.
    app.gql_ok(
        "mutation($id: ID!) { updateArticle(id: $id, input: { title: \"Posted again\" }) { version } }",
        json!({ "id": a["id"] }),
        Some(&editor),
    )
    .await;
    let res = post(json!({ "query": query, "variables": { "n": 5 } }), None).await;
    assert_eq!(res.header("x-cache"), Some("miss"));
    assert!(res.text.contains("Posted again"), "{}", res.text);
}

db_test!(readers_missing_one_page_at_once_compute_it_once);
async fn readers_missing_one_page_at_once_compute_it_once(app: TestApp) {
    // A write reads the purge log: the cache knows where it stands before the readers come.
    let a = app.create(json!({ "title": "Everyone at once", "tags": ["Crowd"] })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    for page in ["/api/v1/articles?limit=5", "/api/v1/tags/crowd"] {
        let mut readers = tokio::task::JoinSet::new();
        for _ in 0..32 {
            let router = app.router.clone();
            readers.spawn(async move {
                let req = axum::http::Request::get(page).body(axum::body::Body::empty()).unwrap();
                let res = tower::ServiceExt::oneshot(router, req).await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                res.headers().get("x-cache").map(|v| v.to_str().unwrap().to_string())
            });
        }
        let states = readers.join_all().await;
        // One computed the page; the others waited for it, or came after.
        let computed = states.iter().filter(|s| s.as_deref() == Some("miss")).count();
        assert_eq!(computed, 1, "{page}: {states:?}");
        assert!(states.iter().all(|s| s.is_some()), "{page}: {states:?}");
    }
}
