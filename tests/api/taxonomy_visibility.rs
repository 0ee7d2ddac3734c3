//! Readers learn nothing from the taxonomy about what has not been published: a tag,
//! category or series that only drafts or not-yet-due scheduled articles use is absent from
//! every public list, count, page and feed, on both faces. And an author may not create one
//! by naming it, any more than with `createTag`.

use axum::http::{Method, StatusCode};
use colophon::content::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

/// What an anonymous reader can find of the groups named `slug` (tag, category, series).
async fn public_traces(app: &TestApp, token: Option<&str>) -> Vec<String> {
    let mut seen = Vec::new();
    for (path, what) in [
        ("/api/v1/tags/secret", "tag page"),
        ("/api/v1/categories/secret", "category page"),
        ("/api/v1/series/secret", "series page"),
        ("/tags/secret/feed.xml", "tag feed"),
        ("/categories/secret/feed.xml", "category feed"),
        ("/series/secret/feed.xml", "series feed"),
    ] {
        let res = app.get(path, token).await;
        if res.status != StatusCode::NOT_FOUND {
            seen.push(format!("{what} ({})", res.status));
        }
    }
    let lists = app.get("/api/v1/categories", token).await.json().to_string();
    if lists.contains("secret") {
        seen.push("REST category list".into());
    }
    for path in ["/api/v1/tags", "/api/v1/series"] {
        if app.get(path, token).await.text.contains("secret") {
            seen.push(format!("{path} list"));
        }
    }
    let site = app.get("/api/v1/site", token).await.json();
    for count in ["tag_count", "category_count", "series_count"] {
        if site["data"][count] != 0 {
            seen.push(format!("site.{count} = {}", site["data"][count]));
        }
    }
    let v = app
        .gql_ok(
            "{ tag(slug: \"secret\") { name } category(slug: \"secret\") { name } series(slug: \"secret\") { title }
               categories { slug } tags { nodes { slug } } seriesList { nodes { slug } }
               site { tagCount categoryCount seriesCount } }",
            json!({}),
            token,
        )
        .await;
    for field in ["tag", "category", "series"] {
        if v[field] != Value::Null {
            seen.push(format!("GraphQL {field}"));
        }
    }
    for list in ["categories", "tags", "seriesList"] {
        if v[list].to_string().contains("secret") {
            seen.push(format!("GraphQL {list}"));
        }
    }
    for count in ["tagCount", "categoryCount", "seriesCount"] {
        if v["site"][count] != 0 {
            seen.push(format!("GraphQL site.{count}"));
        }
    }
    seen
}

db_test!(groups_named_only_by_unpublished_articles_stay_unseen);
async fn groups_named_only_by_unpublished_articles_stay_unseen(app: TestApp) {
    let editor = app.editor();
    let named = json!({ "tags": ["Secret"], "category": "Secret", "series": "Secret" });
    let mut draft = json!({ "title": "A draft" });
    draft.as_object_mut().unwrap().extend(named.as_object().unwrap().clone());
    let draft = app.create(draft).await;
    assert_eq!(public_traces(&app, None).await, Vec::<String>::new(), "a draft's groups are visible");
    // Editors see them.
    assert!(!public_traces(&app, Some(&editor)).await.is_empty());

    // Scheduled for tomorrow: still nothing, until its time.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.publish(draft["id"].as_str().unwrap(), Some(&tomorrow)).await;
    assert_eq!(public_traces(&app, None).await, Vec::<String>::new(), "a scheduled article's groups are visible");

    // Published: every trace appears.
    app.publish(draft["id"].as_str().unwrap(), None).await;
    let seen = public_traces(&app, None).await;
    assert_eq!(seen.len(), 21, "{seen:?}");

    // A category whose only published article sits in a child is shown, with the child.
    let res = app.call(Method::POST, "/api/v1/categories", Some(&editor), Some(json!({ "name": "Parent only" }))).await;
    assert_eq!(res.status, StatusCode::CREATED);
    let res = app
        .call(Method::PATCH, "/api/v1/categories/secret", Some(&editor), Some(json!({ "parent": "parent-only" })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let cats = app.gql_ok("{ categories { slug parent { slug } } }", json!({}), None).await;
    assert_eq!(
        cats["categories"],
        json!([{ "slug": "parent-only", "parent": null }, { "slug": "secret", "parent": { "slug": "parent-only" } }])
    );
    let empty = app.call(Method::POST, "/api/v1/categories", Some(&editor), Some(json!({ "name": "Empty" }))).await;
    assert_eq!(empty.status, StatusCode::CREATED);
    assert_eq!(app.get("/api/v1/categories/empty", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/site", None).await.json()["data"]["category_count"], 2);
}

db_test!(authors_cannot_create_groups_by_naming_them);
async fn authors_cannot_create_groups_by_naming_them(app: TestApp) {
    let author = app.token_for("ann", Role::Author);
    let editor = app.editor();
    for (field, value) in
        [("tags", json!(["Brand new"])), ("category", json!("Brand new")), ("series", json!("Brand new"))]
    {
        let mut body = json!({ "title": format!("Naming a {field}") });
        body[field] = value.clone();
        let res = app.call(Method::POST, "/api/v1/articles", Some(&author), Some(body)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{field}: {}", res.text);
        assert!(res.text.contains("Brand new"), "the refusal names it: {}", res.text);
        let input = match field {
            "tags" => "tags: [\"Brand new\"]",
            "category" => "category: \"Brand new\"",
            _ => "series: \"Brand new\"",
        };
        let v = app
            .gql(
                &format!("mutation {{ createArticle(input: {{title: \"x\", {input}}}) {{ id }} }}"),
                json!({}),
                Some(&author),
            )
            .await;
        assert_eq!(gql_code(&v), "FORBIDDEN", "{field}");
    }
    // Nothing was made, not even the article.
    assert_eq!(app.article_rows().await, 0);
    let everything = app.get("/api/v1/tags", Some(&editor)).await.json();
    assert_eq!(everything["data"], json!([]));

    // Groups that exist may be named, and an editor's naming creates.
    let res = app
        .call(
            Method::POST,
            "/api/v1/articles",
            Some(&editor),
            Some(json!({ "title": "E", "tags": ["Brand new"], "category": "Brand new" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app
        .call(
            Method::POST,
            "/api/v1/articles",
            Some(&author),
            Some(json!({ "title": "A", "tags": ["brand new"], "category": "Brand New" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    // Updates follow the same rule.
    let mine = res.json()["data"]["id"].as_str().unwrap().to_string();
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{mine}"), Some(&author), Some(json!({ "tags": ["Another"] })))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
}
