//! Editors shape the taxonomy on both faces: tags renamed, merged, deleted; a category tree
//! moved without cycles and deleted with reassignment; series reordered; site settings for
//! admins only. Refusals change nothing.

use axum::http::{Method, StatusCode};
use colophon::content::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

async fn published(app: &TestApp, body: Value) -> Value {
    let a = app.create(body).await;
    app.publish(a["id"].as_str().unwrap(), None).await
}

db_test!(tags_are_renamed_merged_and_deleted);
async fn tags_are_renamed_merged_and_deleted(app: TestApp) {
    let editor = app.editor();
    published(&app, json!({ "title": "One", "tags": ["Postgres", "SQL"] })).await;
    published(&app, json!({ "title": "Two", "tags": ["PostgreSQL", "Indexes"] })).await;
    published(&app, json!({ "title": "Three", "tags": ["SQL", "Postgres"] })).await;

    // Rename keeps the slug; a new slug keeps the old one resolving.
    let v = app.gql_ok("{ tag(slug: \"postgres\") { id } }", json!({}), None).await;
    let postgres_id = v["tag"]["id"].as_str().unwrap().to_string();
    let v = app
        .gql_ok(
            "mutation($id: ID!) { updateTag(id: $id, input: {name: \"Postgres (the database)\", description: \"Rows.\"}) { slug name description articleCount } }",
            json!({ "id": postgres_id }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        v["updateTag"],
        json!({ "slug": "postgres", "name": "Postgres (the database)", "description": "Rows.", "articleCount": 2 })
    );
    let res = app.call(Method::PATCH, "/api/v1/tags/postgres", Some(&editor), Some(json!({ "slug": "pg" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["data"]["slug"], "pg");
    let old = app.get("/api/v1/tags/postgres", None).await.json();
    assert_eq!(old["data"]["slug"], "pg", "the old slug resolves");
    assert_eq!(app.get("/api/v1/articles?tag=postgres", None).await.json()["meta"]["total"], 2);
    // Renamed tags are searchable under their new name.
    assert_eq!(app.get("/api/v1/search?q=database", None).await.json()["meta"]["total"], 2);
    // A taken slug is a conflict on both faces.
    let res = app.call(Method::PATCH, "/api/v1/tags/pg", Some(&editor), Some(json!({ "slug": "sql" }))).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    let v = app.gql("mutation { createTag(input: {name: \"SQL\"}) { id } }", json!({}), Some(&editor)).await;
    assert_eq!(gql_code(&v), "CONFLICT");

    // The target is named in the body: one that does not exist is a bad field, not a 404 (which
    // would say the tag in the address is missing); the source missing is the 404.
    let res = app
        .call(Method::POST, "/api/v1/tags/postgresql/merge", Some(&editor), Some(json!({ "into": "no-such" })))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "into");
    let res = app.call(Method::POST, "/api/v1/tags/no-such/merge", Some(&editor), Some(json!({ "into": "pg" }))).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let v = app
        .gql(
            r#"mutation { mergeTags(sourceId: "postgresql", targetId: "no-such") { slug } }"#,
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "targetId");

    // Merge "postgresql" into "pg": articles move over, the source's slug now finds "pg".
    let res =
        app.call(Method::POST, "/api/v1/tags/postgresql/merge", Some(&editor), Some(json!({ "into": "pg" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["data"]["article_count"], 3);
    assert_eq!(app.get("/api/v1/tags/postgresql", None).await.json()["data"]["slug"], "pg");
    let two = app.get("/api/v1/articles/two", None).await.json()["data"].clone();
    assert_eq!(two["tags"][0]["slug"], "pg", "the merged tag keeps its place");
    let v = app
        .gql(
            "mutation($id: ID!) { mergeTags(sourceId: $id, targetId: $id) { slug } }",
            json!({ "id": postgres_id }),
            Some(&editor),
        )
        .await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");

    // Delete unlinks it from every article.
    let v = app.gql("mutation { deleteTag(id: \"sql\") }", json!({}), Some(&app.token(Role::Author))).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    let res = app.call(Method::DELETE, "/api/v1/tags/sql", Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let one = app.get("/api/v1/articles/one", None).await.json()["data"].clone();
    assert_eq!(one["tags"], json!([{ "slug": "pg", "name": "Postgres (the database)" }]));
    assert_eq!(app.get("/api/v1/tags/sql", None).await.status, StatusCode::NOT_FOUND);
    let created = app
        .call(Method::POST, "/api/v1/tags", Some(&editor), Some(json!({ "name": "Fresh Tag", "description": "New." })))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.header("location"), Some("/api/v1/tags/fresh-tag"));
}

db_test!(categories_form_a_tree_without_cycles);
async fn categories_form_a_tree_without_cycles(app: TestApp) {
    let editor = app.editor();
    let create = |name: &str, parent: Option<&str>| {
        let mut body = json!({ "name": name });
        if let Some(p) = parent {
            body["parent"] = json!(p);
        }
        body
    };
    for (name, parent) in [
        ("Engineering", None),
        ("Backend", Some("engineering")),
        ("Databases", Some("engineering")),
        ("Postgres", Some("databases")),
        ("Ops", None),
    ] {
        let res = app.call(Method::POST, "/api/v1/categories", Some(&editor), Some(create(name, parent))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    }
    let order = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{}:{}", c["depth"], c["slug"].as_str().unwrap()))
            .collect()
    };
    // Editors see the whole tree; readers see none of it while no article is published.
    assert_eq!(app.get("/api/v1/categories", None).await.json()["data"], json!([]));
    let tree = app.get("/api/v1/categories", Some(&editor)).await.json();
    assert_eq!(order(&tree), ["0:engineering", "1:backend", "1:databases", "2:postgres", "0:ops"]);

    // Moving under itself or a descendant is refused, on both faces, and changes nothing.
    let res = app
        .call(Method::PATCH, "/api/v1/categories/engineering", Some(&editor), Some(json!({ "parent": "postgres" })))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "parent");
    let v = app
        .gql(
            "mutation { updateCategory(id: \"databases\", input: {parent: \"databases\"}) { slug } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "parent");
    assert_eq!(order(&app.get("/api/v1/categories", Some(&editor)).await.json()), order(&tree));

    // Move a subtree, reorder siblings, make a root.
    let v = app
        .gql_ok("mutation { updateCategory(id: \"databases\", input: {parent: \"ops\"}) { slug parent { slug } ancestors { slug } } }", json!({}), Some(&editor))
        .await;
    assert_eq!(v["updateCategory"]["parent"]["slug"], "ops");
    let res = app.call(Method::PATCH, "/api/v1/categories/ops", Some(&editor), Some(json!({ "position": -1 }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        order(&app.get("/api/v1/categories", Some(&editor)).await.json()),
        ["0:ops", "1:databases", "2:postgres", "0:engineering", "1:backend"]
    );
    let v = app.gql_ok("{ category(slug: \"postgres\") { ancestors { slug } } }", json!({}), Some(&editor)).await;
    assert_eq!(v["category"]["ancestors"], json!([{ "slug": "ops" }, { "slug": "databases" }]));

    // Delete: refused while used (articles or children), unless reassigned.
    published(&app, json!({ "title": "Vacuum", "category": "Postgres" })).await;
    let res = app.call(Method::DELETE, "/api/v1/categories/postgres", Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    let v = app.gql("mutation { deleteCategory(id: \"databases\") }", json!({}), Some(&editor)).await;
    assert_eq!(gql_code(&v), "CONFLICT");
    let res = app.call(Method::DELETE, "/api/v1/categories/databases?reassign_to=postgres", Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "a descendant cannot take over: {}", res.text);
    let res = app.call(Method::DELETE, "/api/v1/categories/postgres?reassign_to=backend", Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(app.get("/api/v1/articles/vacuum", None).await.json()["data"]["category"]["slug"], "backend");
    let v = app.gql_ok("mutation { deleteCategory(id: \"databases\") }", json!({}), Some(&editor)).await;
    assert_eq!(v["deleteCategory"], true);
    assert_eq!(
        order(&app.get("/api/v1/categories", Some(&editor)).await.json()),
        ["0:ops", "0:engineering", "1:backend"]
    );
}

db_test!(series_are_managed_and_reordered_keeping_gaps);
async fn series_are_managed_and_reordered_keeping_gaps(app: TestApp) {
    let editor = app.editor();
    let v = app
        .gql_ok("mutation { createSeries(input: {title: \"Auth Strategies\", description: \"Six parts.\"}) { id slug articleCount } }", json!({}), Some(&editor))
        .await;
    assert_eq!(v["createSeries"]["slug"], "auth-strategies");
    let mut ids = Vec::new();
    for (title, part) in [("Sessions", 2), ("JWT", 3), ("OAuth", 6)] {
        let a = published(&app, json!({ "title": title, "series": "Auth Strategies", "series_part": part })).await;
        ids.push(a["id"].as_str().unwrap().to_string());
    }
    // Reorder: the parts in use (2, 3, 6) are handed out in the new order.
    let res = app
        .call(
            Method::PUT,
            "/api/v1/series/auth-strategies/order",
            Some(&editor),
            Some(json!({ "article_ids": [ids[2], ids[0], ids[1]] })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let page = app.get("/api/v1/series/auth-strategies", None).await.json()["data"].clone();
    let parts: Vec<(i64, &str)> = page["articles"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["series_part"].as_i64().unwrap(), a["title"].as_str().unwrap()))
        .collect();
    assert_eq!(parts, [(2, "OAuth"), (3, "Sessions"), (6, "JWT")]);
    // A foreign or repeated id is refused and changes nothing.
    let reorder = "mutation($id: ID!, $a: [ID!]!) { reorderSeries(id: $id, articleIds: $a) { slug } }";
    let stranger = published(&app, json!({ "title": "Elsewhere" })).await["id"].as_str().unwrap().to_string();
    for list in [json!([ids[0], stranger]), json!([ids[0], ids[0]])] {
        let v = app.gql(reorder, json!({ "id": "auth-strategies", "a": list }), Some(&editor)).await;
        assert_eq!(gql_code(&v), "BAD_USER_INPUT", "{list}");
        assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "articleIds", "{v}");
    }
    let again = app.get("/api/v1/series/auth-strategies", None).await.json()["data"].clone();
    assert_eq!(again["articles"], page["articles"]);
    // A part that is only a draft (which the public page does not list) need not be named:
    // the listed ones trade their parts and it keeps its own, as an unchanged part keeps
    // its version.
    let draft = app.create(json!({ "title": "PKCE", "series": "Auth Strategies", "series_part": 4 })).await;
    let jwt_version =
        app.get(&format!("/api/v1/articles/{}", ids[1]), Some(&editor)).await.json()["data"]["version"].clone();
    let v = app.gql(reorder, json!({ "id": "auth-strategies", "a": [ids[0], ids[2], ids[1]] }), Some(&editor)).await;
    assert!(v.get("errors").is_none(), "{v}");
    let parts: Vec<(i64, String)> =
        app.get("/api/v1/series/auth-strategies", None).await.json()["data"]["articles"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["series_part"].as_i64().unwrap(), a["title"].as_str().unwrap().to_string()))
            .collect();
    assert_eq!(parts, [(2, "Sessions".to_string()), (3, "OAuth".into()), (6, "JWT".into())]);
    let draft_now = app.get(&format!("/api/v1/articles/{}", draft["id"].as_str().unwrap()), Some(&editor)).await.json();
    assert_eq!(draft_now["data"]["series_part"], 4);
    assert_eq!(draft_now["data"]["version"], draft["version"]);
    let jwt_now =
        app.get(&format!("/api/v1/articles/{}", ids[1]), Some(&editor)).await.json()["data"]["version"].clone();
    assert_eq!(jwt_now, jwt_version, "JWT kept part 6: untouched");

    // Rename keeps working links; deleting a series in use is refused.
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/series/auth-strategies",
            Some(&editor),
            Some(json!({ "title": "Authentication Strategies" })),
        )
        .await;
    assert_eq!(res.json()["data"]["title"], "Authentication Strategies");
    assert_eq!(res.json()["data"]["article_count"], 3);
    let res = app.call(Method::DELETE, "/api/v1/series/auth-strategies", Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    let empty = app.call(Method::POST, "/api/v1/series", Some(&editor), Some(json!({ "title": "Empty" }))).await;
    assert_eq!(empty.status, StatusCode::CREATED);
    let v = app.gql_ok("mutation { deleteSeries(id: \"empty\") }", json!({}), Some(&editor)).await;
    assert_eq!(v["deleteSeries"], true);
    // Readers see only series with published parts; editors see all.
    app.call(Method::POST, "/api/v1/series", Some(&editor), Some(json!({ "title": "Unstarted" }))).await;
    assert_eq!(app.get("/api/v1/series", None).await.json()["meta"]["total"], 1);
    assert_eq!(app.get("/api/v1/series", Some(&editor)).await.json()["meta"]["total"], 2);
    let v = app.gql_ok("{ seriesList { totalCount nodes { slug articleCount } } }", json!({}), None).await;
    assert_eq!(
        v["seriesList"],
        json!({ "totalCount": 1, "nodes": [{ "slug": "auth-strategies", "articleCount": 3 }] })
    );
}

db_test!(site_settings_are_for_admins);
async fn site_settings_are_for_admins(app: TestApp) {
    let site = app.get("/api/v1/site", None).await.json();
    assert_eq!(site["data"]["title"], "Colophon");
    let body = json!({ "title": "Deep Dives", "description": "Backend and distributed systems.", "url": "https://example.com" });
    let res = app.call(Method::PATCH, "/api/v1/site", Some(&app.editor()), Some(body.clone())).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let v = app.gql("mutation { updateSite(input: {title: \"x\"}) { title } }", json!({}), Some(&app.editor())).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    let res = app
        .call(Method::PATCH, "/api/v1/site", Some(&app.token(Role::Admin)), Some(json!({ "url": "not a url" })))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.call(Method::PATCH, "/api/v1/site", Some(&app.token(Role::Admin)), Some(body)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let v = app.gql_ok("{ site { title description url articleCount } }", json!({}), None).await;
    assert_eq!(
        v["site"],
        json!({ "title": "Deep Dives", "description": "Backend and distributed systems.", "url": "https://example.com", "articleCount": 0 })
    );
    let v = app
        .gql_ok(
            "mutation { updateSite(input: {title: \"Deeper Dives\"}) { title url } }",
            json!({}),
            Some(&app.token(Role::Admin)),
        )
        .await;
    assert_eq!(v["updateSite"], json!({ "title": "Deeper Dives", "url": "https://example.com" }));
}

db_test!(articles_move_between_series_and_filter_by_author);
async fn articles_move_between_series_and_filter_by_author(app: TestApp) {
    let editor = app.editor();
    let a = published(&app, json!({ "title": "Part A", "series": "First", "series_part": 4 })).await;
    published(&app, json!({ "title": "Part B", "series": "Second", "series_part": 1 })).await;
    let id = a["id"].as_str().unwrap();
    // Into another series at a chosen part, then out of any series.
    let v = app
        .gql_ok(
            "mutation($id: ID!) { updateArticle(id: $id, input: {series: \"Second\", seriesPart: 3}) { series { slug articleCount } seriesPart previousInSeries { slug } } }",
            json!({ "id": id }),
            Some(&editor),
        )
        .await;
    assert_eq!(
        v["updateArticle"],
        json!({ "series": { "slug": "second", "articleCount": 2 }, "seriesPart": 3, "previousInSeries": { "slug": "part-b" } })
    );
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{id}"), Some(&editor), Some(json!({ "series_part": 1 })))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "part 1 of Second is taken: {}", res.text);
    let res = app
        .call(Method::PATCH, &format!("/api/v1/articles/{id}"), Some(&editor), Some(json!({ "series": null })))
        .await;
    assert_eq!(res.json()["data"]["series"], Value::Null);
    assert_eq!(app.get("/api/v1/series/first", Some(&editor)).await.json()["data"]["article_count"], 0);
    // Readers no longer see a series without published articles.
    assert_eq!(app.get("/api/v1/series/first", None).await.status, StatusCode::NOT_FOUND);

    // Author filter, by the author's id, on both faces.
    let other = app.token_for("someone-else", Role::Editor);
    let c = app
        .call(Method::POST, "/api/v1/articles", Some(&other), Some(json!({ "title": "By someone else" })))
        .await
        .json();
    app.publish(c["data"]["id"].as_str().unwrap(), None).await;
    let author_id = c["data"]["author"]["id"].as_str().unwrap().to_string();
    let r = app.get(&format!("/api/v1/articles?author={author_id}"), None).await.json();
    assert_eq!(r["meta"]["total"], 1);
    assert_eq!(r["data"][0]["title"], "By someone else");
    let v = app
        .gql_ok("query($a: ID) { articles(filter: {author: $a}) { totalCount } }", json!({ "a": author_id }), None)
        .await;
    assert_eq!(v["articles"]["totalCount"], 1);
    assert_eq!(app.get("/api/v1/articles?author=999999", None).await.json()["meta"]["total"], 0);
}
