//! Counts come from counters the database keeps with triggers (migration 0008) instead of
//! counting rows per request. After every kind of change, each count must equal the number
//! of articles its list actually returns, which are read from the listing indexes and never
//! from the counters.

use axum::http::{Method, StatusCode};
use colophon::content::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::TestApp;

const CARD: &str = "totalCount nodes { id }";

/// Every count the API offers, each against the length of its own list.
async fn check(app: &TestApp, step: &str) {
    let editor = app.editor();
    let q = format!(
        "{{ articles(first: 100) {{ {CARD} }} \
           tags(first: 20) {{ nodes {{ slug articleCount articles(first: 10) {{ {CARD} }} }} }} \
           categories {{ slug articleCount deepCount: articleCount(includeDescendants: true) \
             articles(first: 10) {{ {CARD} }} deep: articles(first: 10, includeDescendants: true) {{ {CARD} }} }} \
           seriesList(first: 20) {{ nodes {{ slug articleCount articles(first: 10) {{ {CARD} }} }} }} }}"
    );
    // An editor sees every tag and series, so a counter that went wrong cannot hide one.
    let v = app.gql_ok(&q, json!({}), Some(&editor)).await;
    let len = |list: &Value| list["nodes"].as_array().unwrap().len() as u64;
    let all = &v["articles"];
    assert_eq!(all["totalCount"].as_u64(), Some(len(all)), "{step}: all articles");
    let rest = app.get("/api/v1/articles?limit=100", None).await.json();
    assert_eq!(rest["meta"]["total"].as_u64(), Some(len(all)), "{step}: REST all articles");

    for t in v["tags"]["nodes"].as_array().unwrap() {
        let n = len(&t["articles"]);
        assert_eq!(t["articleCount"].as_u64(), Some(n), "{step}: tag {}", t["slug"]);
        assert_eq!(t["articles"]["totalCount"].as_u64(), Some(n), "{step}: tag {} list", t["slug"]);
        let f = app
            .gql_ok(
                "query($t: String!) { articles(filter: { tag: $t }) { totalCount } }",
                json!({ "t": t["slug"] }),
                None,
            )
            .await;
        assert_eq!(f["articles"]["totalCount"].as_u64(), Some(n), "{step}: articles filtered by tag {}", t["slug"]);
    }
    let tag_list = app.get("/api/v1/tags?limit=100&sort=-article_count", Some(&editor)).await;
    assert_eq!(tag_list.status, StatusCode::OK, "{}", tag_list.text);
    for t in tag_list.json()["data"].as_array().unwrap() {
        let gql = v["tags"]["nodes"].as_array().unwrap().iter().find(|g| g["slug"] == t["slug"]).unwrap();
        assert_eq!(t["article_count"], gql["articleCount"], "{step}: REST tag {}", t["slug"]);
    }

    for c in v["categories"].as_array().unwrap() {
        let (own, deep) = (len(&c["articles"]), len(&c["deep"]));
        assert_eq!(c["articleCount"].as_u64(), Some(own), "{step}: category {}", c["slug"]);
        assert_eq!(c["articles"]["totalCount"].as_u64(), Some(own), "{step}: category {} list", c["slug"]);
        assert_eq!(c["deepCount"].as_u64(), Some(deep), "{step}: category {} with descendants", c["slug"]);
        assert_eq!(c["deep"]["totalCount"].as_u64(), Some(deep), "{step}: category {} deep list", c["slug"]);
        let f = app
            .gql_ok(
                "query($c: String!) { articles(filter: { category: $c }) { totalCount } }",
                json!({ "c": c["slug"] }),
                None,
            )
            .await;
        assert_eq!(f["articles"]["totalCount"].as_u64(), Some(deep), "{step}: filtered by category {}", c["slug"]);
    }

    for s in v["seriesList"]["nodes"].as_array().unwrap() {
        let n = len(&s["articles"]);
        assert_eq!(s["articleCount"].as_u64(), Some(n), "{step}: series {}", s["slug"]);
        assert_eq!(s["articles"]["totalCount"].as_u64(), Some(n), "{step}: series {} list", s["slug"]);
    }

    // The site's counts, against what a reader's lists hold: tags and series in use.
    let used = |list: &Value| list.as_array().unwrap().iter().filter(|x| x["articleCount"].as_u64() > Some(0)).count();
    let site = app.gql_ok("{ site { articleCount tagCount seriesCount } }", json!({}), None).await["site"].clone();
    assert_eq!(site["articleCount"].as_u64(), Some(len(all)), "{step}: site articles");
    assert_eq!(site["tagCount"].as_u64(), Some(used(&v["tags"]["nodes"]) as u64), "{step}: site tags");
    assert_eq!(site["seriesCount"].as_u64(), Some(used(&v["seriesList"]["nodes"]) as u64), "{step}: site series");
    let rest = app.get("/api/v1/site", None).await.json();
    assert_eq!(rest["data"]["article_count"], site["articleCount"], "{step}: REST site");
}

async fn mutate(app: &TestApp, role: Role, query: &str) -> Value {
    app.gql_ok(query, json!({}), Some(&app.token(role))).await
}

db_test!(counts_follow_every_change);
async fn counts_follow_every_change(app: TestApp) {
    let e = Role::Editor;
    mutate(&app, e, r#"mutation { createCategory(input: { name: "Languages" }) { id } }"#).await;
    mutate(&app, e, r#"mutation { createCategory(input: { name: "Rust", parent: "languages" }) { id } }"#).await;
    mutate(&app, e, r#"mutation { createCategory(input: { name: "Ops" }) { id } }"#).await;
    mutate(&app, e, r#"mutation { createSeries(input: { title: "Async" }) { id } }"#).await;
    let specs = [
        (json!(["alpha", "beta"]), "rust", Some(1)),
        (json!(["beta"]), "languages", Some(2)),
        (json!(["alpha", "gamma"]), "ops", None),
        (json!(["gamma"]), "rust", Some(3)),
        (json!(["beta", "gamma"]), "ops", None),
    ];
    let mut ids = Vec::new();
    for (i, (tags, category, part)) in specs.into_iter().enumerate() {
        let mut body = json!({ "title": format!("Piece {i}"), "body": "Text.", "tags": tags, "category": category });
        if let Some(p) = part {
            body["series"] = json!("async");
            body["series_part"] = json!(p);
        }
        ids.push(app.create(body).await["id"].as_str().unwrap().to_string());
    }
    check(&app, "drafts only").await;
    for id in &ids[..4] {
        app.publish(id, None).await;
    }
    app.publish(&ids[4], Some("2099-01-01T00:00:00Z")).await;
    check(&app, "four published, one scheduled").await;

    let id = &ids[0];
    mutate(&app, e, &format!(r#"mutation {{ updateArticle(id: "{id}", input: {{ tags: ["gamma", "delta"], category: "ops" }}) {{ id }} }}"#)).await;
    check(&app, "tags and category changed on a published article").await;
    mutate(&app, e, &format!(r#"mutation {{ updateArticle(id: "{}", input: {{ series: null }}) {{ id }} }}"#, ids[3]))
        .await;
    check(&app, "taken out of a series").await;
    mutate(&app, e, &format!(r#"mutation {{ unpublishArticle(id: "{}") {{ id }} }}"#, ids[1])).await;
    check(&app, "unpublished").await;
    mutate(&app, e, &format!(r#"mutation {{ archiveArticle(id: "{}") {{ id }} }}"#, ids[2])).await;
    check(&app, "archived").await;
    app.publish(&ids[1], None).await;
    check(&app, "published again").await;

    mutate(&app, e, &format!(r#"mutation {{ deleteArticle(id: "{}") }}"#, ids[3])).await;
    check(&app, "trashed").await;
    mutate(&app, e, &format!(r#"mutation {{ restoreArticle(id: "{}") {{ id }} }}"#, ids[3])).await;
    check(&app, "restored").await;
    mutate(&app, e, &format!(r#"mutation {{ deleteArticle(id: "{}") }}"#, ids[3])).await;
    mutate(&app, Role::Admin, &format!(r#"mutation {{ purgeArticle(id: "{}") }}"#, ids[3])).await;
    check(&app, "purged").await;

    mutate(&app, e, r#"mutation { mergeTags(sourceId: "beta", targetId: "gamma") { id } }"#).await;
    check(&app, "tags merged").await;
    mutate(&app, e, r#"mutation { deleteTag(id: "delta") }"#).await;
    check(&app, "tag deleted").await;
    mutate(&app, e, r#"mutation { deleteCategory(id: "ops", reassignTo: "languages") }"#).await;
    check(&app, "category deleted, its articles moved").await;

    // REST writes move the same counters.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{}", ids[1]),
            Some(&app.editor()),
            Some(json!({ "tags": ["alpha"] })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    check(&app, "tags changed through REST").await;
    let v = app.gql_ok("{ tag(slug: \"alpha\") { articleCount } articles { totalCount } }", json!({}), None).await;
    assert!(
        v["tag"]["articleCount"].as_u64().unwrap() >= 1 && v["articles"]["totalCount"].as_u64().unwrap() >= 2,
        "{v}"
    );
}
