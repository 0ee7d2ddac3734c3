//! The editorial workflow on both faces and both databases: roles, sign-in and sessions,
//! scheduling, revisions, concurrent editing, the trash, previews and the audit log.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use colophon::content::Role;
use colophon::content::accounts::{NewUser, cli_admin};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

db_test!(authors_write_only_their_own_drafts);
async fn authors_write_only_their_own_drafts(app: TestApp) {
    let ann = app.token_for("ann", Role::Author);
    let bob = app.token_for("bob", Role::Author);
    let res = app.call(Method::POST, "/api/v1/articles", Some(&ann), Some(json!({ "title": "Ann's draft" }))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let mine = res.json()["data"].clone();
    let path = format!("/api/v1/articles/{}", id(&mine));

    // Ann edits and reads her draft; Bob and readers cannot see or touch it.
    let res = app.call(Method::PATCH, &path, Some(&ann), Some(json!({ "body": "Words." }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(&path, Some(&ann)).await.status, StatusCode::OK);
    assert_eq!(app.get(&path, Some(&bob)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
    let res = app.call(Method::PATCH, &path, Some(&bob), Some(json!({ "title": "Bob was here" }))).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let v = app.gql("mutation($id: ID!) { deleteArticle(id: $id) }", json!({ "id": id(&mine) }), Some(&bob)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    let drafts = app.gql_ok("{ articles(filter: {status: DRAFT}) { totalCount } }", json!({}), Some(&ann)).await;
    assert_eq!(drafts["articles"]["totalCount"], 1);
    let drafts = app.gql_ok("{ articles(filter: {status: DRAFT}) { totalCount } }", json!({}), Some(&bob)).await;
    assert_eq!(drafts["articles"]["totalCount"], 0);

    // Authors cannot publish; once an editor has, the article is no longer theirs to edit.
    let res = app.call(Method::POST, &format!("{path}/publish"), Some(&ann), None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let v =
        app.gql("mutation($id: ID!) { publishArticle(id: $id) { id } }", json!({ "id": id(&mine) }), Some(&ann)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    app.publish(&id(&mine), None).await;
    let res = app.call(Method::PATCH, &path, Some(&ann), Some(json!({ "title": "Too late" }))).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let editor_article = app.create(json!({ "title": "The editor's" })).await;
    let v = app
        .gql(
            "mutation($id: ID!) { updateArticle(id: $id, input: {title: \"x\"}) { id } }",
            json!({ "id": id(&editor_article) }),
            Some(&ann),
        )
        .await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    // Refusals changed nothing.
    let now = app.get(&path, None).await.json()["data"].clone();
    assert_eq!(now["title"], "Ann's draft");
    assert_eq!(now["body"], "Words.");

    // An author's own draft can go to the trash.
    let second = app
        .call(Method::POST, "/api/v1/articles", Some(&ann), Some(json!({ "title": "Second thoughts" })))
        .await
        .json();
    let res = app.call(Method::DELETE, &format!("/api/v1/articles/{}", id(&second["data"])), Some(&ann), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
}

/// Creates a password account through the service, as the CLI does.
async fn account(app: &TestApp, email: &str, role: Role) {
    let input =
        NewUser { email: email.into(), name: "Ada Lovelace".into(), role, password: "correct horse battery".into() };
    app.content.create_user(&cli_admin(), input).await.unwrap();
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> crate::support::Response {
    app.call(Method::POST, "/api/v1/auth/token", None, Some(json!({ "email": email, "password": password }))).await
}

db_test!(sign_in_refresh_rotation_theft_and_logout);
async fn sign_in_refresh_rotation_theft_and_logout(app: TestApp) {
    account(&app, "ada@example.com", Role::Editor).await;
    let res = sign_in(&app, "Ada@Example.com", "correct horse battery").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let t = res.json();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 900);
    let access = t["access_token"].as_str().unwrap().to_string();
    let refresh1 = t["refresh_token"].as_str().unwrap().to_string();
    // The access token works, and says who we are.
    let me = app.get("/api/v1/me", Some(&access)).await.json();
    assert_eq!(me["data"]["email"], "ada@example.com");
    assert_eq!(me["data"]["role"], "editor");
    let res = app.call(Method::POST, "/api/v1/articles", Some(&access), Some(json!({ "title": "Signed in" }))).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["data"]["author"]["name"], "Ada Lovelace");

    // Wrong password and unknown email answer exactly the same.
    let wrong = sign_in(&app, "ada@example.com", "not the password").await;
    let unknown = sign_in(&app, "nobody@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, wrong.text.clone()), (unknown.status, unknown.text.clone()));
    let v = app
        .gql("mutation { login(email: \"nobody@example.com\", password: \"x\") { accessToken } }", json!({}), None)
        .await;
    assert_eq!(gql_code(&v), "UNAUTHENTICATED");

    // Refresh rotates: the new token works once, the spent one is theft and ends the family.
    let refresh = |token: String| {
        let app = &app;
        async move { app.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": token }))).await }
    };
    let res = refresh(refresh1.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let refresh2 = res.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(refresh2, refresh1);
    let v = app
        .gql_ok(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken tokenType expiresIn } }",
            json!({ "t": refresh2 }),
            None,
        )
        .await;
    let refresh3 = v["refreshToken"]["refreshToken"].as_str().unwrap().to_string();
    assert_eq!(v["refreshToken"]["tokenType"], "Bearer");
    let stolen = refresh(refresh1.clone()).await;
    assert_eq!(stolen.status, StatusCode::UNAUTHORIZED, "{}", stolen.text);
    let after_theft = refresh(refresh3).await;
    assert_eq!(after_theft.status, StatusCode::UNAUTHORIZED, "the whole family is revoked");

    // Logout ends a sign-in on both faces.
    let t = sign_in(&app, "ada@example.com", "correct horse battery").await.json();
    let r = t["refresh_token"].as_str().unwrap().to_string();
    let res = app.call(Method::POST, "/api/v1/auth/logout", None, Some(json!({ "refresh_token": r }))).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(refresh(r).await.status, StatusCode::UNAUTHORIZED);
    let v = app
        .gql_ok(
            "mutation { login(email: \"ada@example.com\", password: \"correct horse battery\") { refreshToken } }",
            json!({}),
            None,
        )
        .await;
    let r = v["login"]["refreshToken"].as_str().unwrap().to_string();
    app.gql_ok("mutation($t: String!) { logout(refreshToken: $t) }", json!({ "t": r }), None).await;
    assert_eq!(refresh(r).await.status, StatusCode::UNAUTHORIZED);

    // A disabled account cannot sign in, and its refresh tokens stop working.
    let t = sign_in(&app, "ada@example.com", "correct horse battery").await.json();
    let r = t["refresh_token"].as_str().unwrap().to_string();
    let admin = app.token(Role::Admin);
    let users = app.get("/api/v1/users", Some(&admin)).await.json();
    let ada = users["data"].as_array().unwrap().iter().find(|u| u["email"] == "ada@example.com").unwrap().clone();
    let res = app
        .call(Method::PATCH, &format!("/api/v1/users/{}", id(&ada)), Some(&admin), Some(json!({ "disabled": true })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(sign_in(&app, "ada@example.com", "correct horse battery").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(r).await.status, StatusCode::UNAUTHORIZED);
}

db_test!(accounts_are_managed_by_admins);
async fn accounts_are_managed_by_admins(app: TestApp) {
    let admin = app.token(Role::Admin);
    let editor = app.editor();
    let body =
        json!({ "email": "new@example.com", "name": "New Person", "role": "author", "password": "long enough pass" });
    let res = app.call(Method::POST, "/api/v1/users", Some(&editor), Some(body.clone())).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(json!({ "email": "x@example.com", "name": "X", "role": "author", "password": "short" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "password");
    let res = app.call(Method::POST, "/api/v1/users", Some(&admin), Some(body.clone())).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.call(Method::POST, "/api/v1/users", Some(&admin), Some(body)).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let v = app
        .gql_ok(
            "mutation { createUser(input: {email: \"g@example.com\", name: \"G\", role: EDITOR, password: \"long enough pass\"}) { email role disabled } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(v["createUser"], json!({ "email": "g@example.com", "role": "EDITOR", "disabled": false }));
    let v = app.gql("{ users { email } }", json!({}), Some(&editor)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    let v = app.gql_ok("{ users { email } me { name } }", json!({}), Some(&admin)).await;
    assert_eq!(v["users"].as_array().unwrap().len(), 2);
    assert!(v["me"].is_null(), "a token-only admin has no account row yet");
}

db_test!(scheduled_articles_publish_exactly_once);
async fn scheduled_articles_publish_exactly_once(app: TestApp) {
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let mut ids = Vec::new();
    for i in 0..4 {
        let a = app.create(json!({ "title": format!("Scheduled {i}") })).await;
        let p = app.publish(&id(&a), Some(&soon)).await;
        assert_eq!(p["status"], "scheduled");
        ids.push(id(&a));
    }
    assert!(app.content.publish_due().await.unwrap().is_empty(), "nothing is due yet");
    assert_eq!(app.get("/api/v1/articles", None).await.json()["meta"]["total"], 0);
    app.advance(chrono::Duration::hours(2));
    // Several workers at once (as several instances would): each article is published once.
    let content = Arc::new(app.content.clone());
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let c = content.clone();
            tokio::spawn(async move { c.publish_due().await.unwrap() })
        })
        .collect();
    let mut published = Vec::new();
    for r in runs {
        published.extend(r.await.unwrap());
    }
    published.sort();
    let mut expected: Vec<i32> = ids.iter().map(|i| i.parse().unwrap()).collect();
    expected.sort();
    assert_eq!(published, expected);
    assert!(app.content.publish_due().await.unwrap().is_empty());
    let list = app.get("/api/v1/articles", None).await.json();
    assert_eq!(list["meta"]["total"], 4);
    assert!(list["data"].as_array().unwrap().iter().all(|a| a["status"] == "published" && a["version"] == 3));
    let audit = app.get("/api/v1/audit?limit=100", Some(&app.token(Role::Admin))).await.json();
    let by_system = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "system" && e["action"] == "article.publish")
        .count();
    assert_eq!(by_system, 4);
}

db_test!(revisions_are_listed_and_restored);
async fn revisions_are_listed_and_restored(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "First title", "body": "First body.", "tags": ["One"] })).await;
    let path = format!("/api/v1/articles/{}", id(&a));
    app.call(Method::PATCH, &path, Some(&editor), Some(json!({ "title": "Second title", "tags": ["Two"] }))).await;
    app.call(Method::PATCH, &path, Some(&editor), Some(json!({ "body": "Third body." }))).await;
    let list = app.get(&format!("{path}/revisions"), Some(&editor)).await.json();
    let versions: Vec<(i64, &str)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["version"].as_i64().unwrap(), r["title"].as_str().unwrap()))
        .collect();
    assert_eq!(versions, [(3, "Second title"), (2, "Second title"), (1, "First title")]);
    assert_eq!(list["data"][0]["editor"], "editor-1");
    assert_eq!(app.get(&format!("{path}/revisions"), None).await.status, StatusCode::UNAUTHORIZED);
    let v = app
        .gql_ok(
            "query($id: ID) { article(id: $id) { revisions { version title editor createdAt } } }",
            json!({ "id": id(&a) }),
            Some(&editor),
        )
        .await;
    assert_eq!(v["article"]["revisions"].as_array().unwrap().len(), 3);

    let res = app.call(Method::POST, &format!("{path}/revisions/1/restore"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let restored = res.json()["data"].clone();
    assert_eq!(restored["title"], "First title");
    assert_eq!(restored["body"], "First body.");
    assert_eq!(restored["tags"], json!([{ "slug": "one", "name": "One" }]));
    assert_eq!(restored["version"], 4);
    let v = app
        .gql_ok(
            "mutation($id: ID!) { restoreRevision(articleId: $id, version: 3) { title body version } }",
            json!({ "id": id(&a) }),
            Some(&editor),
        )
        .await;
    assert_eq!(v["restoreRevision"], json!({ "title": "Second title", "body": "Third body.", "version": 5 }));
    let res = app.call(Method::POST, &format!("{path}/revisions/99/restore"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

db_test!(racing_editors_never_lose_an_update);
async fn racing_editors_never_lose_an_update(app: TestApp) {
    let a = app.create(json!({ "title": "Contended" })).await;
    let path = format!("/api/v1/articles/{}", id(&a));
    let app = Arc::new(app);
    // Same base version: exactly one wins, the others get 412 naming the current version.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (app, path) = (app.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let req = Request::builder()
                .method(Method::PATCH)
                .uri(&path)
                .header("authorization", format!("Bearer {}", app.editor()))
                .header("content-type", "application/json")
                .header("if-match", "\"1\"")
                .body(Body::from(json!({ "title": format!("Writer {i}") }).to_string()))
                .unwrap();
            app.send(req).await.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::PRECONDITION_FAILED).count(), 5, "{statuses:?}");
    // Different fields without If-Match: every change survives.
    let fields = ["seo_title", "seo_description", "excerpt", "body", "cover_image_url", "canonical_url"];
    let mut tasks = Vec::new();
    for f in fields {
        let (app, path) = (app.clone(), path.clone());
        let value = if f.ends_with("url") { format!("https://example.com/{f}") } else { format!("value of {f}") };
        tasks.push(tokio::spawn(async move {
            let res = app.call(Method::PATCH, &path, Some(&app.editor()), Some(json!({ f: value }))).await;
            assert_eq!(res.status, StatusCode::OK, "{f}: {}", res.text);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let now = app.get(&path, Some(&app.editor())).await.json()["data"].clone();
    for f in fields {
        assert!(now[f].as_str().unwrap().contains(f), "{f} was lost: {now}");
    }
    assert_eq!(now["version"], 8);
}

db_test!(trash_restore_and_purge);
async fn trash_restore_and_purge(app: TestApp) {
    let editor = app.editor();
    let admin = app.token(Role::Admin);
    let a = app.create(json!({ "title": "Into the bin", "tags": ["Bin"] })).await;
    app.publish(&id(&a), None).await;
    app.call(Method::DELETE, &format!("/api/v1/articles/{}", id(&a)), Some(&editor), None).await;
    assert_eq!(app.get("/api/v1/articles/into-the-bin", Some(&editor)).await.status, StatusCode::NOT_FOUND);
    let trash = app.get("/api/v1/trash", Some(&editor)).await.json();
    assert_eq!(trash["meta"]["total"], 1);
    assert_eq!(trash["data"][0]["slug"], "into-the-bin");
    assert_eq!(app.get("/api/v1/trash", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/trash", Some(&app.token(Role::Author))).await.status, StatusCode::FORBIDDEN);
    let v = app.gql_ok("{ trash { totalCount nodes { slug } } }", json!({}), Some(&editor)).await;
    assert_eq!(v["trash"]["totalCount"], 1);
    // The trashed slug stays reserved.
    let b = app.create(json!({ "title": "Into the bin" })).await;
    assert_eq!(b["slug"], "into-the-bin-2");

    let v = app
        .gql_ok(
            "mutation($id: ID!) { restoreArticle(id: $id) { slug status } }",
            json!({ "id": id(&a) }),
            Some(&editor),
        )
        .await;
    assert_eq!(v["restoreArticle"], json!({ "slug": "into-the-bin", "status": "PUBLISHED" }));
    assert_eq!(app.get("/api/v1/articles/into-the-bin", None).await.status, StatusCode::OK);

    // Purge: trashed articles only, admins only.
    let res = app.call(Method::DELETE, &format!("/api/v1/trash/{}", id(&a)), Some(&admin), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "not in the trash");
    app.call(Method::DELETE, &format!("/api/v1/articles/{}", id(&a)), Some(&editor), None).await;
    let res = app.call(Method::DELETE, &format!("/api/v1/trash/{}", id(&a)), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let v = app.gql("mutation($id: ID!) { purgeArticle(id: $id) }", json!({ "id": id(&a) }), Some(&editor)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    let res = app.call(Method::POST, &format!("/api/v1/trash/{}/restore", id(&b)), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "b is not in the trash");
    let v = app.gql_ok("mutation($id: ID!) { purgeArticle(id: $id) }", json!({ "id": id(&a) }), Some(&admin)).await;
    assert_eq!(v["purgeArticle"], true);
    assert_eq!(app.get("/api/v1/trash", Some(&editor)).await.json()["meta"]["total"], 0);
    assert_eq!(app.get("/api/v1/search?q=bin", None).await.json()["meta"]["total"], 0);
    assert_eq!(app.article_rows().await, 1);
}

db_test!(preview_tokens_open_one_draft);
async fn preview_tokens_open_one_draft(app: TestApp) {
    let editor = app.editor();
    let draft = app.create(json!({ "title": "Secret draft" })).await;
    let other = app.create(json!({ "title": "Other draft" })).await;
    let res = app.call(Method::POST, &format!("/api/v1/articles/{}/preview", id(&draft)), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let token = res.json()["data"]["token"].as_str().unwrap().to_string();
    let opened = app.get(&format!("/api/v1/articles/secret-draft?preview={token}"), None).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert_eq!(opened.json()["data"]["status"], "draft");
    // It opens that one article only; forged tokens open nothing; it is no access token.
    assert_eq!(
        app.get(&format!("/api/v1/articles/other-draft?preview={token}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/articles/secret-draft?preview=forged.token.here", None).await.status,
        StatusCode::NOT_FOUND
    );
    let res = app.call(Method::POST, "/api/v1/articles", Some(&token), Some(json!({ "title": "x" }))).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let v = app
        .gql_ok(
            "mutation($id: ID!) { createPreviewToken(articleId: $id) { token expiresAt } }",
            json!({ "id": id(&other) }),
            Some(&editor),
        )
        .await;
    let t2 = v["createPreviewToken"]["token"].as_str().unwrap();
    let v = app
        .gql_ok(
            "query($t: String) { article(slug: \"other-draft\", previewToken: $t) { title status } }",
            json!({ "t": t2 }),
            None,
        )
        .await;
    assert_eq!(v["article"], json!({ "title": "Other draft", "status": "DRAFT" }));
    let v = app
        .gql_ok(
            "query($t: String) { article(slug: \"secret-draft\", previewToken: $t) { title } }",
            json!({ "t": t2 }),
            None,
        )
        .await;
    assert!(v["article"].is_null());
    let v = app
        .gql("mutation($id: ID!) { createPreviewToken(articleId: $id) { token } }", json!({ "id": id(&other) }), None)
        .await;
    assert_eq!(gql_code(&v), "UNAUTHENTICATED");
}

db_test!(every_mutation_is_audited_for_admins);
async fn every_mutation_is_audited_for_admins(app: TestApp) {
    let editor = app.editor();
    let a = app.create(json!({ "title": "Audited" })).await;
    app.publish(&id(&a), None).await;
    app.gql_ok("mutation { createTag(input: {name: \"Logged\"}) { slug } }", json!({}), Some(&editor)).await;
    app.call(Method::DELETE, &format!("/api/v1/articles/{}", id(&a)), Some(&editor), None).await;
    let admin = app.token(Role::Admin);
    let log = app.get("/api/v1/audit", Some(&admin)).await.json();
    let actions: Vec<(&str, &str, &str)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    let target = format!("article:{}", id(&a));
    assert_eq!(
        actions,
        [
            ("article.delete", "editor-1", target.as_str()),
            ("tag.create", "editor-1", "tag:logged"),
            ("article.publish", "editor-1", target.as_str()),
            ("article.create", "editor-1", target.as_str()),
        ]
    );
    assert_eq!(app.get("/api/v1/audit", Some(&editor)).await.status, StatusCode::FORBIDDEN);
    let v = app
        .gql_ok(
            "{ auditLog(first: 2) { totalCount pageInfo { hasNextPage } nodes { action actor target createdAt } } }",
            json!({}),
            Some(&admin),
        )
        .await;
    assert_eq!(v["auditLog"]["totalCount"], 4);
    assert_eq!(v["auditLog"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(v["auditLog"]["nodes"][0]["action"], "article.delete");
    let v = app.gql("{ auditLog { totalCount } }", json!({}), Some(&editor)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
}
