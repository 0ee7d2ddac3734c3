//! An article's life on both faces: create, read back identically, publish, schedule,
//! update, rename, delete; and what readers may see at each step.

use axum::http::{Method, StatusCode};
use colophon::content::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{ARTICLE_FIELDS, TestApp, gql_article_as_rest, gql_code};

async fn gql_article(app: &TestApp, id: &str, token: Option<&str>) -> Value {
    let q = format!("query($id: ID) {{ article(id: $id) {{ {ARTICLE_FIELDS} }} }}");
    app.gql_ok(&q, json!({ "id": id }), token).await["article"].clone()
}

db_test!(created_article_reads_back_identically_on_both_faces);
async fn created_article_reads_back_identically_on_both_faces(app: TestApp) {
    let editor = app.editor();
    let q = format!("mutation($input: CreateArticleInput!) {{ createArticle(input: $input) {{ {ARTICLE_FIELDS} }} }}");
    let input = json!({
        "title": "Handlers, Controllers & Services",
        "body": "# Layers\n\nKeep *handlers* thin.\n\n```rust\nfn main() {}\n```\n\n<script>alert(1)</script>",
        "tags": ["Backend", "backend", "C#", "Node.js"],
        "category": "Distributed Systems",
        "series": "Backend series",
        "seriesPart": 9,
        "canonicalUrl": "https://example.com/handlers",
        "seoTitle": "Handlers"
    });
    let created = app.gql_ok(&q, json!({ "input": input }), Some(&editor)).await["createArticle"].clone();
    assert_eq!(created["slug"], "handlers-controllers-and-services");
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["tags"],
        json!([{"slug": "backend", "name": "Backend"}, {"slug": "c-sharp", "name": "C#"}, {"slug": "node-js", "name": "Node.js"}])
    );
    assert_eq!(created["category"]["slug"], "distributed-systems");
    assert_eq!(created["series"]["slug"], "backend-series");
    assert_eq!(created["seriesPart"], 9);
    let html = created["html"].as_str().unwrap();
    assert!(html.contains("<code class=\"language-rust\">") && !html.contains("<script"), "{html}");
    assert_eq!(created["excerpt"], "Layers\nKeep handlers thin.\nfn main() {}".replace('\n', " "));
    assert_eq!(created["wordCount"], 7);
    assert_eq!(created["readingMinutes"], 1);
    assert_eq!(created["author"]["name"], "editor-1");

    let id = created["id"].as_str().unwrap().to_string();
    // Drafts are invisible to readers on both faces, by id and by slug.
    assert!(gql_article(&app, &id, None).await.is_null());
    assert_eq!(app.get(&format!("/api/v1/articles/{id}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/articles/handlers-controllers-and-services", None).await.status, StatusCode::NOT_FOUND);

    // Editors read it back, identically on both faces.
    let rest = app.get(&format!("/api/v1/articles/{id}"), Some(&editor)).await;
    assert_eq!(rest.status, StatusCode::OK, "{}", rest.text);
    // The version, then a hash of the bytes: `"1.<hash>"`.
    assert!(rest.header("etag").unwrap().starts_with("\"1."), "{:?}", rest.header("etag"));
    let rest = rest.json()["data"].clone();
    assert_eq!(gql_article_as_rest(&gql_article(&app, &id, Some(&editor)).await), rest);
    assert_eq!(gql_article_as_rest(&created), rest);

    // Published, readers see it on both faces, identically.
    let published = app.publish(&id, None).await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["version"], 2);
    let rest = app.get("/api/v1/articles/handlers-controllers-and-services", None).await.json()["data"].clone();
    assert_eq!(gql_article_as_rest(&gql_article(&app, &id, None).await), rest);
    let by_slug = app
        .gql_ok(
            &format!("{{ article(slug: \"handlers-controllers-and-services\") {{ {ARTICLE_FIELDS} }} }}"),
            json!({}),
            None,
        )
        .await;
    assert_eq!(gql_article_as_rest(&by_slug["article"]), rest);
}

db_test!(publishing_states_decide_visibility);
async fn publishing_states_decide_visibility(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "Back-dated import" })).await;
    let b = app.create(json!({ "title": "Scheduled for later" })).await;
    let c = app.create(json!({ "title": "Stays a draft" })).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();

    let past = app.publish(&id(&a), Some("2024-04-15T09:30:00Z")).await;
    assert_eq!(past["status"], "published");
    assert_eq!(past["published_at"], "2024-04-15T09:30:00Z");
    let future = app.publish(&id(&b), Some("2999-01-01T00:00:00+02:00")).await;
    assert_eq!(future["status"], "scheduled");
    assert_eq!(future["published_at"], "2998-12-31T22:00:00Z");

    let public = app.get("/api/v1/articles", None).await.json();
    let titles: Vec<&str> = public["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Back-dated import"]);
    assert_eq!(public["meta"]["total"], 1);
    let gql = app.gql_ok("{ articles { totalCount nodes { title } } }", json!({}), None).await;
    assert_eq!(gql["articles"]["totalCount"], 1);
    // Editors list drafts and scheduled articles with the status filter, on both faces.
    let drafts = app.get("/api/v1/articles?status=draft", Some(&editor)).await.json();
    assert_eq!(drafts["data"][0]["id"], c["id"]);
    assert_eq!(drafts["meta"]["total"], 1);
    let scheduled = app
        .gql_ok(
            "{ articles(filter: {status: SCHEDULED}) { totalCount nodes { title status } } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(scheduled["articles"]["nodes"], json!([{ "title": "Scheduled for later", "status": "SCHEDULED" }]));
    // The scheduled one is invisible to readers by id and slug.
    assert_eq!(app.get(&format!("/api/v1/articles/{}", id(&b)), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/articles/scheduled-for-later", None).await.status, StatusCode::NOT_FOUND);
    // The status filter needs a token: anonymous 401; an author sees only their own drafts.
    assert_eq!(app.get("/api/v1/articles?status=draft", None).await.status, StatusCode::UNAUTHORIZED);
    let author = app.token(Role::Author);
    assert_eq!(app.get("/api/v1/articles?status=draft", Some(&author)).await.json()["meta"]["total"], 0);
    let v = app.gql_ok("{ articles(filter: {status: DRAFT}) { totalCount } }", json!({}), Some(&author)).await;
    assert_eq!(v["articles"]["totalCount"], 0);
    let v = app.gql("{ articles(filter: {status: DRAFT}) { totalCount } }", json!({}), None).await;
    assert_eq!(gql_code(&v), "UNAUTHENTICATED");

    // Archiving takes it out of public reads; editors still find it; publishing brings it back.
    let res = app.call(Method::POST, &format!("/api/v1/articles/{}/archive", id(&a)), Some(&editor), None).await;
    assert_eq!(res.json()["data"]["status"], "archived");
    assert_eq!(app.get("/api/v1/articles/back-dated-import", None).await.status, StatusCode::NOT_FOUND);
    let archived =
        app.gql_ok("{ articles(filter: {status: ARCHIVED}) { nodes { slug } } }", json!({}), Some(&editor)).await;
    assert_eq!(archived["articles"]["nodes"], json!([{ "slug": "back-dated-import" }]));
    let v = app
        .gql("mutation($id: ID!) { archiveArticle(id: $id) { status } }", json!({ "id": id(&a) }), Some(&author))
        .await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    let back = app.publish(&id(&a), None).await;
    assert_eq!(back["status"], "published");
    assert_eq!(back["published_at"], "2024-04-15T09:30:00Z", "bringing it back keeps its date");

    // Unpublishing takes it out of every public read.
    let res = app.call(Method::POST, &format!("/api/v1/articles/{}/unpublish", id(&a)), Some(&editor), None).await;
    assert_eq!(res.json()["data"]["status"], "draft");
    assert_eq!(app.get("/api/v1/articles", None).await.json()["meta"]["total"], 0);
    assert_eq!(app.get("/api/v1/articles/back-dated-import", None).await.status, StatusCode::NOT_FOUND);
}

db_test!(slugs_are_derived_unique_and_keep_resolving);
async fn slugs_are_derived_unique_and_keep_resolving(app: TestApp) {
    let editor = app.editor();
    let first = app.create(json!({ "title": "Node.js & C#: Notes" })).await;
    let second = app.create(json!({ "title": "Node.js & C#: Notes" })).await;
    assert_eq!(first["slug"], "node-js-and-c-sharp-notes");
    assert_eq!(second["slug"], "node-js-and-c-sharp-notes-2");
    // A taken slug chosen by the editor is a conflict on both faces, and writes nothing.
    let before = app.article_rows().await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/articles",
            Some(&editor),
            Some(json!({ "title": "x", "slug": "node-js-and-c-sharp-notes" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(res.json()["type"], "/problems/conflict");
    let v = app
        .gql(
            "mutation { createArticle(input: {title: \"x\", slug: \"node-js-and-c-sharp-notes-2\"}) { id } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(gql_code(&v), "CONFLICT");
    assert_eq!(app.article_rows().await, before);

    // Renaming keeps the old slug resolving on both faces.
    let id = first["id"].as_str().unwrap();
    app.publish(id, None).await;
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{id}"), Some(&editor), Some(json!({ "slug": "notes" })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let old = app.get("/api/v1/articles/node-js-and-c-sharp-notes", None).await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.header("location"), Some("/api/v1/articles/notes"));
    let v = app.gql_ok("{ article(slug: \"node-js-and-c-sharp-notes\") { slug } }", json!({}), None).await;
    assert_eq!(v["article"]["slug"], "notes");
    // The old slug stays reserved for the article that had it.
    let res = app
        .call(Method::POST, "/api/v1/articles", Some(&editor), Some(json!({ "title": "Node.js & C#: Notes" })))
        .await;
    assert_eq!(res.json()["data"]["slug"], "node-js-and-c-sharp-notes-3");
}

db_test!(updates_check_versions_and_clear_fields);
async fn updates_check_versions_and_clear_fields(app: TestApp) {
    let editor = app.editor();
    let a = app
        .create(json!({ "title": "Draft one", "excerpt": "Hand-written.", "category": "Go", "series": "S", "body": "word ".repeat(450) }))
        .await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(a["excerpt"], "Hand-written.");
    assert_eq!(a["reading_minutes"], 3);
    assert_eq!(a["series_part"], 1);

    // GraphQL: stale expectedVersion is a CONFLICT naming the current version.
    let m = "mutation($id: ID!, $v: Int) { updateArticle(id: $id, input: {title: \"Draft two\"}, expectedVersion: $v) { title version } }";
    let ok = app.gql_ok(m, json!({ "id": id, "v": 1 }), Some(&editor)).await;
    assert_eq!(ok["updateArticle"], json!({ "title": "Draft two", "version": 2 }));
    let stale = app.gql(m, json!({ "id": id, "v": 1 }), Some(&editor)).await;
    assert_eq!(gql_code(&stale), "CONFLICT");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 2);

    // REST: a stale If-Match is 412 and changes nothing; a current one applies.
    let patch = |etag: &'static str, body: Value| {
        let app = &app;
        let editor = editor.clone();
        async move {
            let req = axum::http::Request::builder()
                .method(Method::PATCH)
                .uri(format!("/api/v1/articles/{id}"))
                .header("authorization", format!("Bearer {editor}"))
                .header("content-type", "application/json")
                .header("if-match", etag)
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            app.send(req).await
        }
    };
    let res = patch("\"1\"", json!({ "title": "Lost" })).await;
    assert_eq!(res.status, StatusCode::PRECONDITION_FAILED, "{}", res.text);
    assert_eq!(res.json()["current_version"], 2);
    let res = patch("\"2\"", json!({ "excerpt": null, "category": null, "series": null, "body": "Fresh text." })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let data = res.json()["data"].clone();
    assert_eq!(data["title"], "Draft two");
    assert_eq!(data["excerpt"], "Fresh text.", "a cleared excerpt is derived again");
    assert_eq!(data["category"], Value::Null);
    assert_eq!(data["series"], Value::Null);
    assert_eq!(data["series_part"], Value::Null);
    assert_eq!(data["reading_minutes"], 1);
    assert_eq!(data["version"], 3);
    assert_eq!(res.header("etag"), Some("\"3\""));
}

db_test!(series_parts_are_unique_with_gaps_allowed);
async fn series_parts_are_unique_with_gaps_allowed(app: TestApp) {
    let editor = app.editor();
    app.create(json!({ "title": "Part two", "series": "DevOps series", "series_part": 2 })).await;
    let six = app.create(json!({ "title": "Part six", "series": "devops series", "series_part": 6 })).await;
    assert_eq!(six["series"]["title"], "DevOps series", "matched by slug");
    let next = app.create(json!({ "title": "Next part", "series": "DevOps Series" })).await;
    assert_eq!(next["series_part"], 7);
    let res = app
        .call(
            Method::POST,
            "/api/v1/articles",
            Some(&editor),
            Some(json!({ "title": "Clash", "series": "DevOps series", "series_part": 6 })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert!(res.json()["detail"].as_str().unwrap().contains("part 6"));
    let v = app
        .gql(
            "mutation { createArticle(input: {title: \"Clash\", series: \"DevOps series\", seriesPart: 2}) { id } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(gql_code(&v), "CONFLICT");
}

db_test!(deleted_articles_disappear);
async fn deleted_articles_disappear(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "Short-lived" })).await;
    let id = a["id"].as_str().unwrap();
    app.publish(id, None).await;
    let res = app.call(Method::DELETE, &format!("/api/v1/articles/{id}"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/v1/articles/{id}"), Some(&editor)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/articles", None).await.json()["meta"]["total"], 0);
    let res = app.call(Method::DELETE, &format!("/api/v1/articles/{id}"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let v = app.gql("mutation($id: ID!) { deleteArticle(id: $id) }", json!({ "id": id }), Some(&editor)).await;
    assert_eq!(gql_code(&v), "NOT_FOUND");
    let b = app.create(json!({ "title": "Gone via GraphQL" })).await;
    let v = app.gql_ok("mutation($id: ID!) { deleteArticle(id: $id) }", json!({ "id": b["id"] }), Some(&editor)).await;
    assert_eq!(v["deleteArticle"], true);
}

db_test!(concurrent_writers_share_new_tags_and_get_distinct_slugs);
async fn concurrent_writers_share_new_tags_and_get_distinct_slugs(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let res = app
                .call(
                    Method::POST,
                    "/api/v1/articles",
                    Some(&app.editor()),
                    Some(json!({ "title": "Same title", "tags": ["Brand New Tag"], "series": "Fresh series" })),
                )
                .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            res.json()["data"].clone()
        }));
    }
    let mut slugs = Vec::new();
    let mut parts = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(a["tags"], json!([{ "slug": "brand-new-tag", "name": "Brand New Tag" }]));
        slugs.push(a["slug"].as_str().unwrap().to_string());
        parts.push(a["series_part"].as_i64().unwrap());
    }
    slugs.sort();
    slugs.dedup();
    parts.sort();
    parts.dedup();
    assert_eq!(slugs.len(), 8, "{slugs:?}");
    assert_eq!(parts, (1..=8).collect::<Vec<_>>());
}
