//! List entries (the home list, group pages, the topic index) are served from cards made at
//! write time (`content::cards`). Whatever changes, and whoever changes it, no list shows an
//! entry that differs from its article read alone.

use axum::http::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::TestApp;

/// The same database without the response cache, so every read reaches the lists.
fn uncached(app: &TestApp) -> TestApp {
    TestApp::from_state(colophon::app::AppState::with_cache(app.content.clone(), app.jwt.clone(), false), None)
}

fn slugs(v: &Value) -> Vec<String> {
    v["data"].as_array().unwrap().iter().map(|x| x["slug"].as_str().unwrap().to_string()).collect()
}

/// Every public list (the home list, each tag, category and series page), each entry
/// compared with the article read alone, less its text. Returns how many entries it saw.
async fn assert_lists_fresh(app: &TestApp, what: &str) -> usize {
    let mut lists = vec![("/api/v1/articles?limit=100".to_string(), "/data".to_string())];
    for (group, path) in [("tags", "/api/v1/tags?limit=100"), ("series", "/api/v1/series?limit=100")] {
        for slug in slugs(&app.get(path, None).await.json()) {
            lists.push((format!("/api/v1/{group}/{slug}?limit=100"), "/data/articles/data".into()));
        }
    }
    let categories = app.get("/api/v1/categories", None).await.json();
    for c in categories["data"].as_array().unwrap() {
        let slug = c["slug"].as_str().or_else(|| c["category"]["slug"].as_str()).unwrap();
        lists.push((format!("/api/v1/categories/{slug}?limit=100"), "/data/articles/data".into()));
    }
    // The topic index: each category with its first articles.
    let index = "/api/v1/categories?articles=100&include_descendants=true";
    for (i, _) in categories["data"].as_array().unwrap().iter().enumerate() {
        lists.push((index.to_string(), format!("/data/{i}/articles")));
    }
    let mut seen = 0;
    for (list, at) in &lists {
        let page = app.get(list, None).await;
        assert_eq!(page.status, StatusCode::OK, "{what}: {list}: {}", page.text);
        let page = page.json();
        for entry in page.pointer(at).and_then(Value::as_array).unwrap_or_else(|| panic!("{what}: {list}: {page}")) {
            let id = entry["id"].as_str().unwrap();
            let mut alone = app.get(&format!("/api/v1/articles/{id}"), None).await.json()["data"].clone();
            for text in ["body", "html", "custom_excerpt"] {
                alone.as_object_mut().unwrap().remove(text);
            }
            assert_eq!(entry, &alone, "{what}: an entry of {list} is not its article as it is now");
            seen += 1;
        }
    }
    seen
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let db = app.content.db();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

db_test!(no_list_entry_is_ever_stale);
async fn no_list_entry_is_ever_stale(app: TestApp) {
    let reader = uncached(&app);
    let editor = app.editor();
    let admin = app.token(colophon::content::Role::Admin);
    // An author with an account, so entries show a name that can change.
    let user =
        json!({ "email": "ada@example.com", "name": "Ada", "role": "editor", "password": "correct horse battery" });
    let res = app.call(Method::POST, "/api/v1/users", Some(&admin), Some(user)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let user_id = res.json()["data"]["id"].as_str().unwrap().to_string();
    let token = app.token_for("ada@example.com", colophon::content::Role::Editor);
    let res = app
        .call(
            Method::POST,
            "/api/v1/articles",
            Some(&token),
            Some(json!({ "title": "By Ada", "tags": ["Alpha", "Beta"], "category": "Web", "series": "Saga" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let by_ada = res.json()["data"]["id"].as_str().unwrap().to_string();
    let a = app.create(json!({ "title": "Alpha one", "tags": ["Alpha"], "category": "Web", "series": "Saga" })).await;
    // A child category: with descendants, its articles are on its parent's entry too.
    let res = app
        .call(Method::POST, "/api/v1/categories", Some(&editor), Some(json!({ "name": "Frontend", "parent": "web" })))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let b = app.create(json!({ "title": "Beta one", "tags": ["Beta", "Alpha"], "category": "Frontend" })).await;
    let c = app.create(json!({ "title": "Saga three", "tags": ["Gamma"], "series": "Saga" })).await;
    let id = |x: &Value| x["id"].as_str().unwrap().to_string();
    let (a_id, b_id, c_id) = (id(&a), id(&b), id(&c));
    for x in [&by_ada, &a_id, &b_id, &c_id] {
        app.publish(x, None).await;
    }
    assert!(assert_lists_fresh(&reader, "published").await >= 12);
    let index = reader.get("/api/v1/categories?articles=10&include_descendants=true", None).await.json();
    let titles = |slug: &str| -> Vec<String> {
        let entry = index["data"].as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap();
        entry["articles"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(titles("frontend"), ["Beta one"], "{index}");
    assert!(titles("web").contains(&"Beta one".to_string()), "the child's article on its parent: {index}");
    // Every write re-made what it touched before it committed: nothing is left to make at
    // read time, and every article has its card.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM card_dirty").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM article_cards").await, 4);

    let send = |method: Method, path: String, body: Option<Value>| {
        let (app, editor) = (&app, editor.clone());
        async move {
            let res = app.call(method, &path, Some(&editor), body).await;
            assert!(res.status.is_success(), "{path}: {} {}", res.status, res.text);
        }
    };
    send(Method::PATCH, format!("/api/v1/articles/{b_id}"), Some(json!({ "title": "Beta renamed", "excerpt": "New" })))
        .await;
    assert_lists_fresh(&reader, "an article edited").await;
    send(Method::PATCH, format!("/api/v1/articles/{b_id}"), Some(json!({ "tags": ["Alpha", "Gamma"] }))).await;
    assert_lists_fresh(&reader, "tags changed and reordered").await;
    send(Method::PATCH, "/api/v1/tags/alpha".into(), Some(json!({ "name": "Alpha prime" }))).await;
    assert_lists_fresh(&reader, "a tag renamed").await;
    send(Method::PATCH, "/api/v1/categories/web".into(), Some(json!({ "name": "The web", "slug": "www" }))).await;
    assert_lists_fresh(&reader, "a category renamed").await;
    send(Method::PATCH, "/api/v1/series/saga".into(), Some(json!({ "title": "The saga" }))).await;
    assert_lists_fresh(&reader, "a series renamed").await;
    let res = app
        .call(Method::PATCH, &format!("/api/v1/users/{user_id}"), Some(&admin), Some(json!({ "name": "Ada L." })))
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_lists_fresh(&reader, "an author renamed").await;
    let text = reader.get("/api/v1/articles", None).await.text;
    for shown in ["Alpha prime", "The web", "The saga", "Ada L.", "Beta renamed"] {
        assert!(text.contains(shown), "{shown} missing from {text}");
    }
    send(Method::POST, "/api/v1/tags/gamma/merge".into(), Some(json!({ "into": "beta" }))).await;
    assert_lists_fresh(&reader, "a tag merged into another").await;
    send(Method::DELETE, "/api/v1/tags/beta".into(), None).await;
    assert_lists_fresh(&reader, "a tag deleted").await;
    send(Method::POST, format!("/api/v1/articles/{a_id}/unpublish"), None).await;
    assert_lists_fresh(&reader, "unpublished (its neighbours in the series move)").await;
    send(Method::DELETE, format!("/api/v1/articles/{c_id}"), None).await;
    assert_lists_fresh(&reader, "an article in the trash").await;
    send(Method::POST, format!("/api/v1/trash/{c_id}/restore"), None).await;
    assert_lists_fresh(&reader, "an article restored from the trash").await;
    // Scheduled: listed when its time comes, with no write in between.
    send(
        Method::POST,
        format!("/api/v1/articles/{a_id}/publish"),
        Some(json!({ "published_at": "2099-01-01T00:00:00Z" })),
    )
    .await;
    assert_lists_fresh(&reader, "scheduled").await;
    app.advance(chrono::Duration::days(365 * 80));
    let seen = assert_lists_fresh(&reader, "a scheduled article come due").await;
    assert!(reader.get("/api/v1/articles", None).await.text.contains("Alpha one"), "the due article is listed");
    assert!(seen >= 8, "{seen} entries seen");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM card_dirty").await, 0);
}

db_test!(another_process_writing_never_leaves_an_entry_stale);
async fn another_process_writing_never_leaves_an_entry_stale(app: TestApp) {
    let reader = uncached(&app);
    let a = app.create(json!({ "title": "Alpha one", "tags": ["Alpha"], "category": "Web" })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    assert_lists_fresh(&reader, "published").await;
    // Written past the service (another process, or an operator with a SQL shell): the
    // database marks the cards, and until a write of this process re-makes them, readers
    // get entries made from the rows.
    let db = app.content.db();
    let backend = db.get_database_backend();
    for sql in [
        "UPDATE tags SET name = 'Renamed in SQL'",
        "UPDATE categories SET slug = 'sql-web'",
        "UPDATE articles SET title = 'Retitled in SQL'",
    ] {
        db.execute_raw(sea_orm::Statement::from_string(backend, sql.to_string())).await.unwrap();
        assert_eq!(count(&app, "SELECT COUNT(*) FROM card_dirty").await, 1, "{sql}");
        assert_lists_fresh(&reader, sql).await;
    }
    let text = reader.get("/api/v1/articles", None).await.text;
    assert!(text.contains("Renamed in SQL") && text.contains("sql-web") && text.contains("Retitled in SQL"), "{text}");
    // What a server does when it starts.
    assert_eq!(app.content.refresh_cards().await.unwrap(), 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM card_dirty").await, 0);
    assert_lists_fresh(&reader, "cards re-made").await;
}

db_test!(lists_are_read_from_the_stored_cards);
async fn lists_are_read_from_the_stored_cards(app: TestApp) {
    let reader = uncached(&app);
    let a = app.create(json!({ "title": "Alpha one", "tags": ["Alpha"], "category": "Web", "series": "Saga" })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    // A card changed behind the service's back (nothing marks it) shows on every list: the
    // lists read the cards, they do not make entries afresh.
    let db = app.content.db();
    let sql = "UPDATE article_cards SET card = replace(card, '\"Alpha one\"', '\"From the card\"')";
    db.execute_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_string())).await.unwrap();
    for (list, at) in [
        ("/api/v1/articles", "/data/0/title"),
        ("/api/v1/tags/alpha", "/data/articles/data/0/title"),
        ("/api/v1/categories/web", "/data/articles/data/0/title"),
        ("/api/v1/series/saga", "/data/articles/data/0/title"),
        ("/api/v1/categories?articles=1", "/data/0/articles/0/title"),
    ] {
        let page = reader.get(list, None).await.json();
        assert_eq!(page.pointer(at), Some(&json!("From the card")), "{list}: {page}");
        assert_eq!(page.pointer(&at.replace("title", "status")), Some(&json!("published")), "{list}");
    }
    // A reader's filter the cards do not hold (by status, for editors) is made from the rows.
    let editor = app.editor();
    let page = reader.get("/api/v1/articles?status=published", Some(&editor)).await.json();
    assert_eq!(page["data"][0]["title"], "Alpha one", "{page}");
}

db_test!(a_topic_index_of_many_cards_reads_them_in_bounded_statements);
async fn a_topic_index_of_many_cards_reads_them_in_bounded_statements(app: TestApp) {
    // More cards than one statement reads (500), over every category at once.
    colophon::seed::synthetic(app.content.db(), 1_200, 5, |_| {}).await.unwrap();
    let reader = uncached(&app);
    let index = reader.get("/api/v1/categories?articles=100&include_descendants=true", None).await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.text);
    let index = index.json();
    let mut shown = 0;
    for c in index["data"].as_array().unwrap() {
        let count = c["article_count"].as_u64().unwrap();
        let listed = c["articles"].as_array().unwrap().len() as u64;
        assert_eq!(listed, count.min(100), "{}: {count} articles, {listed} listed", c["slug"]);
        shown += listed;
    }
    assert!(shown > 500, "only {shown} entries: the bound was not reached");
}
