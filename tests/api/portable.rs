//! Markdown import and export: export then import into an empty database gives every
//! article back as it was, in YAML (Hugo, Jekyll) and TOML (Zola) front matter; files as
//! those tools write them import; a bad file is reported and the rest go in.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use colophon::content::{Principal, Role, Viewer};
use colophon::portable::{self, frontmatter::Syntax};

use crate::db_test;
use crate::support::{Backend, TestApp};

fn admin() -> Viewer {
    Viewer(Some(Principal { subject: "cli".into(), role: Role::Admin }))
}

async fn another(app: &TestApp) -> TestApp {
    let backend = match app.content.db().get_database_backend() {
        sea_orm::DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    TestApp::new(backend).await.expect("a second database")
}

/// Every article as a reader of the export would compare it, by slug.
async fn snapshot(app: &TestApp) -> Vec<Value> {
    let now = colophon::content::now();
    let mut all: Vec<Value> = app
        .content
        .export_articles(&admin())
        .await
        .unwrap()
        .into_iter()
        .map(|a| {
            json!({
                "slug": a.row.slug, "title": a.row.title, "body": a.row.body, "html": a.row.html,
                "excerpt": a.row.excerpt, "custom_excerpt": a.row.custom_excerpt,
                "status": a.status(now).as_str(), "published_at": a.row.published_at, "updated_at": a.row.updated_at,
                "tags": a.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
                "category": a.category.as_ref().map(|c| c.name.clone()),
                "series": a.series.as_ref().map(|s| s.title.clone()), "series_part": a.row.series_part,
                "cover": a.row.cover_image_url, "canonical": a.row.canonical_url,
                "seo_title": a.row.seo_title, "seo_description": a.row.seo_description,
            })
        })
        .collect();
    all.sort_by(|a, b| a["slug"].as_str().cmp(&b["slug"].as_str()));
    all
}

async fn call_ok(app: &TestApp, method: Method, uri: &str, body: Option<Value>) -> Value {
    let res = app.call(method, uri, Some(&app.editor()), body).await;
    assert!(res.status.is_success(), "{uri}: {}", res.text);
    if res.text.is_empty() { Value::Null } else { res.json() }
}

/// Articles in every state with every field, in a category tree and a series with gaps.
async fn publication(app: &TestApp) {
    call_ok(app, Method::POST, "/api/v1/categories", Some(json!({ "name": "Engineering" }))).await;
    call_ok(app, Method::POST, "/api/v1/categories", Some(json!({ "name": "Backend", "parent": "engineering" }))).await;
    let full = app
        .create(json!({
            "title": "Rust & Go: \"a\" comparison — part one",
            "body": "Intro.\n\n---\n\n+++\n\n```rust\nfn main() {}\n```\n\n- a\n- b\n",
            "excerpt": "An editor's excerpt: with a colon.",
            "tags": ["C#", "Distributed Systems", "Node.js"],
            "category": "backend",
            "series": "Feeds 101",
            "series_part": 2,
            "cover_image_url": "https://img.example.com/c.png",
            "canonical_url": "https://elsewhere.example.com/rust-go",
            "seo_title": "Rust vs Go",
            "seo_description": "Which to pick.",
        }))
        .await;
    app.publish(full["id"].as_str().unwrap(), Some("2024-03-01T08:30:00.123456Z")).await;
    let gap =
        app.create(json!({ "title": "Part five", "series": "Feeds 101", "series_part": 5, "body": "Five." })).await;
    app.publish(gap["id"].as_str().unwrap(), Some("2024-04-01T00:00:00Z")).await;
    app.create(json!({ "title": "Still a draft", "tags": ["Systems"], "body": "WIP" })).await;
    let later = app.create(json!({ "title": "Coming soon", "body": "Soon." })).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.publish(later["id"].as_str().unwrap(), Some(&tomorrow)).await;
    let old = app.create(json!({ "title": "Old news", "category": "engineering", "body": "Old." })).await;
    let old_id = old["id"].as_str().unwrap();
    app.publish(old_id, Some("2020-01-01T00:00:00Z")).await;
    call_ok(app, Method::POST, &format!("/api/v1/articles/{old_id}/archive"), None).await;
    let gone = app.create(json!({ "title": "In the trash", "body": "Bye." })).await;
    call_ok(app, Method::DELETE, &format!("/api/v1/articles/{}", gone["id"].as_str().unwrap()), None).await;
}

db_test!(export_then_import_gives_every_article_back);
async fn export_then_import_gives_every_article_back(app: TestApp) {
    publication(&app).await;
    let original = snapshot(&app).await;
    assert_eq!(original.len(), 5, "the trash is not exported");
    for syntax in [Syntax::Yaml, Syntax::Toml] {
        let dir = tempfile::tempdir().unwrap();
        let n = portable::export_dir(&app.content, &admin(), dir.path(), syntax, |_| {}).await.unwrap();
        assert_eq!(n, 5);
        let file = std::fs::read_to_string(dir.path().join("rust-and-go-a-comparison-part-one.md")).unwrap();
        assert!(file.starts_with(if syntax == Syntax::Yaml { "---\n" } else { "+++\n" }), "{file}");

        let copy = another(&app).await;
        let report = portable::import_dir(&copy.content, &admin(), dir.path(), |_| {}).await.unwrap();
        assert_eq!((report.created, report.updated, report.failed.clone()), (5, 0, vec![]), "{syntax:?}");
        assert_eq!(snapshot(&copy).await, original, "{syntax:?}: the round trip changed something");
        // Importing again updates in place and changes nothing.
        let again = portable::import_dir(&copy.content, &admin(), dir.path(), |_| {}).await.unwrap();
        assert_eq!((again.created, again.updated), (0, 5));
        assert_eq!(snapshot(&copy).await, original, "{syntax:?}: a second import changed something");
        // The imported publication reads as the original does.
        let res = copy.get("/api/v1/series/feeds-101", None).await;
        assert_eq!(res.status, StatusCode::OK);
        let parts: Vec<i64> = res.json()["data"]["articles"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["series_part"].as_i64().unwrap())
            .collect();
        assert_eq!(parts, [2, 5]);
    }
}

db_test!(files_from_hugo_jekyll_and_zola_import_and_bad_ones_are_named);
async fn files_from_hugo_jekyll_and_zola_import_and_bad_ones_are_named(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "content/posts/hugo-bundle/index.md",
        "---\ntitle: From Hugo\ndate: 2024-01-15T10:00:00+01:00\nlastmod: 2024-02-01T00:00:00Z\ntags: [Go]\ncategories: [Backend]\n---\nHugo **body**.\n",
    );
    write("content/posts/_index.md", "---\ntitle: A section page\n---\n");
    write("_posts/2023-05-06-from-jekyll.md", "---\ntitle: From Jekyll\ntags: go rust\n---\nJekyll body.\n");
    write("_drafts/unfinished.md", "---\ntitle: Unfinished\n---\nDraft.\n");
    write(
        "content/blog/zola.md",
        "+++\ntitle = \"From Zola\"\ndate = 2022-02-02\n[taxonomies]\ntags = [\"Rust\"]\n[extra]\ncover_image = \"https://img.example.com/z.png\"\n+++\nZola body.\n",
    );
    write("broken.md", "---\ntitle: [unclosed\n---\n");
    write("no-date.md", "---\ntitle: No date\n---\n");
    let mut lines = Vec::new();
    let report = portable::import_dir(&app.content, &admin(), dir.path(), |l| lines.push(l)).await.unwrap();
    assert_eq!((report.created, report.updated), (4, 0), "{:?}", report.failed);
    let failed: Vec<String> = report.failed.iter().map(|(p, _)| p.display().to_string()).collect();
    assert_eq!(failed, ["broken.md", "no-date.md"]);
    assert!(lines.iter().any(|l| l.starts_with("broken.md: ") && l.contains("YAML")), "{lines:?}");

    let hugo = app.get("/api/v1/articles/hugo-bundle", None).await.json()["data"].clone();
    assert_eq!(hugo["title"], "From Hugo");
    assert_eq!(hugo["published_at"], "2024-01-15T09:00:00Z");
    assert_eq!(hugo["updated_at"], "2024-02-01T00:00:00Z");
    assert_eq!(hugo["html"], "<p>Hugo <strong>body</strong>.</p>\n");
    assert_eq!(hugo["category"]["name"], "Backend");
    let jekyll = app.get("/api/v1/articles/from-jekyll", None).await.json()["data"].clone();
    assert_eq!(jekyll["published_at"], "2023-05-06T00:00:00Z");
    assert_eq!(jekyll["tags"].as_array().unwrap().len(), 2);
    let zola = app.get("/api/v1/articles/zola", None).await.json()["data"].clone();
    assert_eq!(zola["cover_image_url"], "https://img.example.com/z.png");
    // A draft is not public, but it is there for editors.
    assert_eq!(app.get("/api/v1/articles/unfinished", None).await.status, StatusCode::NOT_FOUND);
    let draft = app.get("/api/v1/articles/unfinished", Some(&app.editor())).await;
    assert_eq!(draft.json()["data"]["status"], "draft");
}

db_test!(a_json_backup_restores_everything_with_the_same_ids);
async fn a_json_backup_restores_everything_with_the_same_ids(app: TestApp) {
    publication(&app).await;
    // An old slug, a user with a password, a tag with its own description.
    let first = app.get("/api/v1/articles?limit=100&sort=published_at", None).await.json()["data"][0].clone();
    let id = first["id"].as_str().unwrap().to_string();
    call_ok(&app, Method::PATCH, &format!("/api/v1/articles/{id}"), Some(json!({ "slug": "renamed" }))).await;
    let admin_token = app.token(Role::Admin);
    let res = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin_token),
            Some(json!({ "email": "ed@example.com", "name": "Ed", "role": "editor", "password": "correct horse battery" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let original = snapshot(&app).await;

    for with_secrets in [false, true] {
        let backup = app.content.backup(&admin(), with_secrets).await.unwrap();
        assert_eq!(backup.articles.len(), 6, "the trash is in a backup");
        let hashes = backup.users.iter().filter(|u| u.password_hash.is_some()).count();
        assert_eq!(hashes > 0, with_secrets, "password hashes only when asked");
        let text = serde_json::to_string(&backup).unwrap();
        let copy = another(&app).await;
        let restored = copy.content.restore(&admin(), serde_json::from_str(&text).unwrap()).await.unwrap();
        assert_eq!(restored.articles, 6);
        assert_eq!(snapshot(&copy).await, original);
        // Same ids, old slugs still lead to the article, the category tree and counts hold.
        let moved = copy.get(&format!("/api/v1/articles/{id}"), None).await.json();
        assert_eq!(moved["data"]["slug"], "renamed");
        let old = first["slug"].as_str().unwrap();
        assert_eq!(copy.get(&format!("/api/v1/articles/{old}"), None).await.status, StatusCode::MOVED_PERMANENTLY);
        let backend = copy.get("/api/v1/categories/backend", None).await.json();
        assert_eq!(backend["data"]["parent"], "engineering", "{backend}");
        let site_copy = copy.get("/api/v1/site", None).await.json()["data"].clone();
        assert_eq!(site_copy, app.get("/api/v1/site", None).await.json()["data"].clone());
        let revisions = |a: &TestApp| {
            let a = a.content.clone();
            async move { a.backup(&admin(), false).await.unwrap().revisions.len() }
        };
        assert_eq!(revisions(&copy).await, revisions(&app).await);
        // Search finds restored articles, and new writes get fresh ids.
        let found = copy.get("/api/v1/search?q=Rust", None).await.json();
        assert!(found["meta"]["total"].as_u64().unwrap() >= 1, "{found}");
        let fresh = copy.create(json!({ "title": "After the restore" })).await;
        assert!(fresh["id"].as_str().unwrap().parse::<i32>().unwrap() > 6);
        // The password works again only when the hash came along.
        let login = copy
            .call(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(json!({ "email": "ed@example.com", "password": "correct horse battery" })),
            )
            .await;
        assert_eq!(login.status == StatusCode::OK, with_secrets, "{}", login.text);
        // A restore needs an empty database.
        let again = copy.content.restore(&admin(), serde_json::from_str(&text).unwrap()).await;
        assert!(matches!(again, Err(colophon::content::ContentError::Conflict(_))), "{again:?}");
    }
}

/// Links are read 500 articles a statement: an export of more runs several, and every
/// article in each carries what a read of it alone shows.
async fn export_spans_statements(backend: Backend) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Some((url, _dir)) = crate::support::fresh_database(backend).await else { return };
    let mut db = crate::support::connect_migrated(&url).await;
    colophon::seed::synthetic(&db, 1_200, 7, |_| {}).await.unwrap();
    let links = Arc::new(AtomicUsize::new(0));
    let counted = links.clone();
    db.set_metric_callback(move |info| {
        if info.statement.sql.contains(" AS views FROM articles a") {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let content = colophon::content::Content::new(db);
    let all = content.export_articles(&admin()).await.unwrap();
    assert_eq!(all.len(), 1_200);
    assert_eq!(links.load(Ordering::SeqCst), 3, "1,200 articles' links in statements of 500");
    let linked = all.iter().filter(|a| !a.tags.is_empty() && a.category.is_some()).count();
    assert!(linked > 1_000, "only {linked} of 1,200 exported articles have tags and a category");
    let shown = |a: &colophon::content::model::ArticleView| {
        let tags: Vec<String> = a.tags.iter().map(|t| t.slug.clone()).collect();
        (tags, a.category.as_ref().map(|c| c.id), a.series.as_ref().map(|s| s.id), a.author.as_ref().map(|u| u.id))
    };
    for i in [0, 499, 500, 999, 1_000, 1_199] {
        let lookup = colophon::content::ArticleLookup::Id(all[i].row.id.to_string());
        let alone = content.article(&admin(), lookup).await.unwrap().expect("exported, so it exists");
        assert_eq!(shown(&all[i]), shown(&alone), "article {i} of the export");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_larger_than_one_statement_keeps_every_link_on_sqlite() {
    export_spans_statements(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_larger_than_one_statement_keeps_every_link_on_postgres() {
    export_spans_statements(Backend::Postgres).await;
}

/// A bulk load (a seed, a restore) writes the whole search index at once, on PostgreSQL with
/// parallel workers and the tags' part added after: every document must be the one a save
/// of that article alone writes.
async fn bulk_search_index_matches_saves(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};
    let Some((url, _dir)) = crate::support::fresh_database(backend).await else { return };
    let db = crate::support::connect_migrated(&url).await;
    colophon::seed::synthetic(&db, 120, 11, |_| {}).await.unwrap();
    let documents = |db: sea_orm::DatabaseConnection| async move {
        let sql = match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                "SELECT article_id AS id, document::text AS d FROM article_search ORDER BY 1"
            }
            _ => {
                "SELECT rowid AS id, title || char(31) || excerpt || char(31) || tags || char(31) || body AS d FROM article_search ORDER BY 1"
            }
        };
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
        rows.iter()
            .map(|r| (r.try_get::<i32>("", "id").unwrap(), r.try_get::<String>("", "d").unwrap()))
            .collect::<Vec<_>>()
    };
    let bulk = documents(db.clone()).await;
    assert_eq!(bulk.len(), 120, "every seeded article is indexed");
    // Every part is there: weights A (title), C (tags) and D (body) on PostgreSQL, a tags
    // column in the editor's order on SQLite.
    let backend = db.get_database_backend();
    let mut tagged = 0;
    for (id, d) in &bulk {
        if backend == sea_orm::DbBackend::Postgres {
            // `'word':3A,17`: each position's weight, D when it shows none.
            let weights: std::collections::HashSet<char> = d
                .split(' ')
                .filter_map(|lexeme| lexeme.rsplit_once(':'))
                .flat_map(|(_, positions)| positions.split(','))
                .map(|p| p.chars().last().filter(char::is_ascii_alphabetic).unwrap_or('D'))
                .collect();
            let weighted = |w: char| weights.contains(&w);
            assert!(weighted('A') && weighted('D'), "article {id}: {d}");
            tagged += usize::from(weighted('C'));
        } else {
            let sql = format!(
                "SELECT t.name AS name FROM article_tags at JOIN tags t ON t.id = at.tag_id \
                 WHERE at.article_id = {id} ORDER BY at.position"
            );
            let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
            let names: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect();
            let tags = d.split('\u{1f}').nth(2).unwrap();
            assert_eq!(tags, names.join(" "), "article {id}: tags in the editor's order");
            tagged += usize::from(!tags.is_empty());
        }
    }
    assert!(tagged > 100, "only {tagged} of 120 documents have tags");
    if backend == sea_orm::DbBackend::Postgres {
        let index = db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_article_search_document'",
            ))
            .await
            .unwrap();
        assert!(index.is_some(), "a seed builds the search index again");
    }
    let ids: Vec<i32> = bulk.iter().map(|(id, _)| *id).collect();
    colophon::content::search::index_articles(&db, &ids).await.unwrap();
    let saved = documents(db.clone()).await;
    for (b, s) in bulk.iter().zip(&saved) {
        assert_eq!(b, s, "article {}: the bulk document differs from a save's", b.0);
    }
    assert_eq!(bulk.len(), saved.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_search_index_is_what_saves_write_on_sqlite() {
    bulk_search_index_matches_saves(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_search_index_is_what_saves_write_on_postgres() {
    bulk_search_index_matches_saves(Backend::Postgres).await;
}
