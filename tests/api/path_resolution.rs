//! One rule for every REST path, reads and writes alike: a segment of digits names an id,
//! anything else a slug (current or old). No slug is digits only, so the two never meet:
//! a title like "2024" gets the slug `2024-2`, and an editor cannot choose `3`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::TestApp;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

db_test!(digits_name_ids_for_reads_and_writes_alike);
async fn digits_name_ids_for_reads_and_writes_alike(app: TestApp) {
    let editor = app.editor();
    // Enough articles that small ids exist, and titles made of digits.
    let mut made = Vec::new();
    for title in ["One", "Two", "Three", "3", "2024"] {
        let a = app.create(json!({ "title": title })).await;
        app.publish(&id(&a), None).await;
        made.push(a);
    }
    assert_eq!(made[3]["slug"], "3-2", "a slug of digits would read as an id");
    assert_eq!(made[3]["id"], "4");
    assert_eq!(made[4]["slug"], "2024-2");
    // An editor cannot choose one either, on either face.
    let res =
        app.call(Method::POST, "/api/v1/articles", Some(&editor), Some(json!({ "title": "x", "slug": "3" }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "slug");
    let v = app
        .gql("mutation { createArticle(input: {title: \"x\", slug: \"42\"}) { id } }", json!({}), Some(&editor))
        .await;
    assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "slug", "{v}");
    let path = format!("/api/v1/articles/{}", id(&made[0]));
    let res = app.call(Method::PATCH, &path, Some(&editor), Some(json!({ "slug": "7" }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);

    // `/articles/3` is article 3 for GET and for PATCH; `/articles/3-2` is the one titled "3".
    let third = app.get("/api/v1/articles/3", None).await.json();
    assert_eq!(third["data"]["id"], "3");
    let res = app.call(Method::PATCH, "/api/v1/articles/3", Some(&editor), Some(json!({ "excerpt": "by id" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["data"]["id"], "3");
    let res =
        app.call(Method::PATCH, "/api/v1/articles/3-2", Some(&editor), Some(json!({ "excerpt": "by slug" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["data"]["slug"], "3-2");
    assert_eq!(app.get("/api/v1/articles/3-2", None).await.json()["data"]["excerpt"], "by slug");
    assert_eq!(app.get("/api/v1/articles/3", None).await.json()["data"]["excerpt"], "by id");
    // Writes take slugs (current and old) as reads do.
    let res = app.call(Method::PATCH, "/api/v1/articles/one", Some(&editor), Some(json!({ "slug": "uno" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.call(Method::POST, "/api/v1/articles/one/unpublish", Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::OK, "an old slug names the article for a write too: {}", res.text);
    assert_eq!(res.json()["data"]["slug"], "uno");
    let res = app.call(Method::PATCH, "/api/v1/articles/no-such-slug", Some(&editor), Some(json!({}))).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);

    // A legacy database may hold a slug of digits: a path still reads it as an id, for
    // reads and writes alike, and GraphQL's `slug:` still finds it.
    use sea_orm::ConnectionTrait;
    let db = app.content.db();
    let sql = format!("UPDATE articles SET slug = '1' WHERE id = {}", made[4]["id"].as_str().unwrap());
    db.execute_unprepared(&sql).await.unwrap();
    assert_eq!(app.get("/api/v1/articles/1", Some(&editor)).await.json()["data"]["id"], "1");
    let res = app.call(Method::PATCH, "/api/v1/articles/1", Some(&editor), Some(json!({ "excerpt": "first" }))).await;
    assert_eq!(res.json()["data"]["id"], "1");
    let v = app.gql_ok("{ article(slug: \"1\") { id } }", json!({}), None).await;
    assert_eq!(v["article"]["id"], made[4]["id"]);
}

db_test!(taxonomy_paths_follow_the_same_rule);
async fn taxonomy_paths_follow_the_same_rule(app: TestApp) {
    let editor = app.editor();
    for (path, body, field) in [
        ("/api/v1/tags", json!({ "name": "2024" }), "name"),
        ("/api/v1/categories", json!({ "name": "2024" }), "name"),
        ("/api/v1/series", json!({ "title": "2024" }), "title"),
    ] {
        let res = app.call(Method::POST, path, Some(&editor), Some(body)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{path}: {}", res.text);
        let group = res.json()["data"].clone();
        assert_eq!(group["slug"], "2024-2", "{path}: {field}");
        let gid = id(&group);
        // By id and by slug, the same group for GET (as an editor: nothing is published) and PATCH.
        for key in [gid.as_str(), "2024-2"] {
            let res = app.get(&format!("{path}/{key}"), Some(&editor)).await;
            assert_eq!(res.status, StatusCode::OK, "{path}/{key}: {}", res.text);
            let got = &res.json()["data"];
            let got_id = got.get("id").or_else(|| got.get("tag").and_then(|t| t.get("id"))).cloned();
            let got_id = got_id.or_else(|| got.get("category").and_then(|c| c.get("id")).cloned());
            let got_id = got_id.or_else(|| got.get("series").and_then(|s| s.get("id")).cloned());
            assert_eq!(got_id, Some(json!(gid)), "{path}/{key}: {}", res.text);
            let res = app
                .call(Method::PATCH, &format!("{path}/{key}"), Some(&editor), Some(json!({ "description": key })))
                .await;
            assert_eq!(res.status, StatusCode::OK, "{path}/{key}: {}", res.text);
            assert_eq!(res.json()["data"]["id"], json!(gid));
        }
        // A chosen slug of digits is refused.
        let mut body = json!({ "slug": "99" });
        body[field] = json!("Ninety-nine");
        let res = app.call(Method::POST, path, Some(&editor), Some(body)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", res.text);
    }
}

/// A database made before the rule: slugs of digits are renamed by the migration, and the
/// old ones kept where history is kept.
async fn digit_slugs_from_before_the_rule_are_renamed(backend: crate::support::Backend) {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let Some((url, _dir)) = crate::support::fresh_database(backend).await else { return };
    let db = colophon::db::connect(&url).await.unwrap();
    Migrator::up(&db, Some(10)).await.unwrap();
    // Today's service commits through the list cards' tables (migration 15): empty stand-ins
    // while it writes the old data, dropped before the migrations run.
    let cards = "CREATE TABLE card_dirty (article_id integer PRIMARY KEY); \
                 CREATE TABLE article_cards (article_id integer PRIMARY KEY, card text NOT NULL)";
    db.execute_unprepared(cards).await.unwrap();
    let content = colophon::content::Content::new(db.clone());
    let editor = colophon::content::Viewer(Some(colophon::content::Principal {
        subject: "editor".into(),
        role: colophon::content::Role::Editor,
    }));
    for title in ["Year in review", "Another year", "Third"] {
        let input =
            colophon::content::NewArticle { title: title.into(), tags: Some(vec![title.into()]), ..Default::default() };
        content.create_article(&editor, input).await.unwrap();
    }
    // As the old rule made them: "2024" twice (one already renamed by hand), a tag "7".
    for sql in [
        "UPDATE articles SET slug = '2024' WHERE id = 1",
        "UPDATE articles SET slug = '2024-2' WHERE id = 2",
        "UPDATE tags SET slug = '7' WHERE id = 3",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    db.execute_unprepared("DROP TABLE card_dirty; DROP TABLE article_cards").await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let slug = |sql: &'static str| {
        let db = db.clone();
        async move {
            let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
            row.unwrap().try_get::<String>("", "slug").unwrap()
        }
    };
    assert_eq!(slug("SELECT slug FROM articles WHERE id = 1").await, "2024-1", "`2024-2` was taken");
    assert_eq!(slug("SELECT slug FROM articles WHERE id = 2").await, "2024-2");
    assert_eq!(slug("SELECT slug FROM tags WHERE id = 3").await, "7-2");
    assert_eq!(slug("SELECT slug FROM article_slug_history WHERE article_id = 1").await, "2024");
    assert_eq!(slug("SELECT slug FROM tag_slug_history WHERE tag_id = 3").await, "7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digit_slugs_from_before_the_rule_are_renamed_on_sqlite() {
    digit_slugs_from_before_the_rule_are_renamed(crate::support::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digit_slugs_from_before_the_rule_are_renamed_on_postgres() {
    digit_slugs_from_before_the_rule_are_renamed(crate::support::Backend::Postgres).await;
}
