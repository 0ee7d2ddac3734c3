//! Delta sync: a full walk, then exactly what changed, on both faces.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

/// Every page from `token` on, REST: (items' ids, deleted ids, the last token).
async fn rest_pages(app: &TestApp, token: Option<&str>, limit: u32) -> (Vec<Value>, BTreeSet<String>, String) {
    let (mut items, mut deleted) = (Vec::new(), BTreeSet::new());
    let mut token = token.map(str::to_string);
    for _ in 0..100 {
        let uri = match &token {
            Some(t) => format!("/api/v1/sync?limit={limit}&token={t}"),
            None => format!("/api/v1/sync?limit={limit}"),
        };
        let res = app.get(&uri, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let v = res.json();
        assert!(v["items"].as_array().unwrap().len() <= limit as usize);
        items.extend(v["items"].as_array().unwrap().iter().cloned());
        deleted.extend(v["deleted"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()));
        token = Some(v["next_token"].as_str().unwrap().to_string());
        if !v["has_more"].as_bool().unwrap() {
            return (items, deleted, token.unwrap());
        }
    }
    panic!("sync never ended");
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

async fn published(app: &TestApp, title: &str, tags: &[&str]) -> String {
    let a = app.create(json!({ "title": title, "body": format!("About {title}."), "tags": tags })).await;
    let id = a["id"].as_str().unwrap().to_string();
    app.publish(&id, None).await;
    id
}

db_test!(sync_walks_everything_then_reports_exactly_what_changed);
async fn sync_walks_everything_then_reports_exactly_what_changed(app: TestApp) {
    let editor = app.editor();
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(published(&app, &format!("Article {i}"), if i == 4 { &["Old Name"] } else { &[] }).await);
    }
    let draft = app.create(json!({ "title": "Draft" })).await["id"].as_str().unwrap().to_string();
    let quiet = app.create(json!({ "title": "Quiet draft" })).await["id"].as_str().unwrap().to_string();

    // The first walk: every published article once, with its text, in pages of two.
    let (items, deleted, token) = rest_pages(&app, None, 2).await;
    assert_eq!(ids(&items), all.iter().cloned().collect::<BTreeSet<_>>());
    assert_eq!(items.len(), 5, "each once");
    assert!(deleted.is_empty());
    assert!(items.iter().all(|i| i["html"].as_str().unwrap().contains("<p>About")), "{items:?}");
    // Nothing changed: nothing to do.
    let (items, deleted, same) = rest_pages(&app, Some(&token), 2).await;
    assert!(items.is_empty() && deleted.is_empty(), "{items:?} {deleted:?}");

    // Changes of every kind.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{}", all[0]),
            Some(&editor),
            Some(json!({ "title": "Renamed" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.call(Method::POST, &format!("/api/v1/articles/{}/unpublish", all[1]), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.call(Method::DELETE, &format!("/api/v1/articles/{}", all[2]), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    app.publish(&draft, None).await;
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{quiet}"),
            Some(&editor),
            Some(json!({ "title": "Still quiet" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res =
        app.call(Method::PATCH, "/api/v1/tags/old-name", Some(&editor), Some(json!({ "name": "New Name" }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let expect_items: BTreeSet<String> = [all[0].clone(), draft.clone(), all[4].clone()].into();
    let expect_deleted: BTreeSet<String> = [all[1].clone(), all[2].clone()].into();
    for limit in [1, 100] {
        let (items, deleted, _) = rest_pages(&app, Some(&same), limit).await;
        assert_eq!(ids(&items), expect_items, "limit {limit}");
        assert_eq!(deleted, expect_deleted, "limit {limit}");
        let renamed = items.iter().find(|i| i["id"] == all[0].as_str()).unwrap();
        assert_eq!(renamed["title"], "Renamed");
        let tagged = items.iter().find(|i| i["id"] == all[4].as_str()).unwrap();
        assert_eq!(tagged["tags"][0]["name"], "New Name", "a renamed tag re-sends its articles");
    }

    // GraphQL: the same answer.
    let query = "query($token: String, $first: Int) { sync(token: $token, first: $first) { \
                 items { id title html tags { name } } deleted nextToken hasMore } }";
    let (mut g_items, mut g_deleted, mut token) = (BTreeSet::new(), BTreeSet::new(), same.clone());
    loop {
        let v = app.gql_ok(query, json!({ "token": token, "first": 2 }), None).await;
        let page = &v["sync"];
        g_items.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()));
        g_deleted.extend(page["deleted"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()));
        token = page["nextToken"].as_str().unwrap().to_string();
        if !page["hasMore"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!((g_items, g_deleted), (expect_items, expect_deleted));
    // Caught up: the last token has nothing more.
    let (items, deleted, _) = rest_pages(&app, Some(&token), 10).await;
    assert!(items.is_empty() && deleted.is_empty(), "{items:?} {deleted:?}");
}

db_test!(changes_during_the_first_walk_come_in_the_first_delta);
async fn changes_during_the_first_walk_come_in_the_first_delta(app: TestApp) {
    let editor = app.editor();
    let mut all = Vec::new();
    for i in 0..4 {
        all.push(published(&app, &format!("A{i}"), &[]).await);
    }
    let first = app.get("/api/v1/sync?limit=2", None).await.json();
    assert_eq!(first["has_more"], true);
    let seen = ids(first["items"].as_array().unwrap());
    // While the client pages: an article it already has leaves, one it has is edited.
    let gone = seen.iter().next().unwrap().clone();
    let edited = seen.iter().nth(1).unwrap().clone();
    app.call(Method::POST, &format!("/api/v1/articles/{gone}/unpublish"), Some(&editor), None).await;
    app.call(Method::PATCH, &format!("/api/v1/articles/{edited}"), Some(&editor), Some(json!({ "title": "Edited" })))
        .await;
    let (rest, _, token) = rest_pages(&app, first["next_token"].as_str(), 2).await;
    assert_eq!(ids(&rest).len(), 2);
    let (items, deleted, _) = rest_pages(&app, Some(&token), 50).await;
    assert_eq!(deleted, [gone].into());
    assert_eq!(ids(&items), [edited].into());
    assert_eq!(items[0]["title"], "Edited");
}

db_test!(scheduled_articles_sync_when_published);
async fn scheduled_articles_sync_when_published(app: TestApp) {
    let a = app.create(json!({ "title": "Later" })).await;
    let id = a["id"].as_str().unwrap().to_string();
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.publish(&id, Some(&at)).await;
    let (items, _, token) = rest_pages(&app, None, 10).await;
    assert!(items.is_empty(), "not yet published: {items:?}");
    assert!(app.content.publish_due().await.unwrap().is_empty(), "not yet due");
    app.advance(chrono::Duration::hours(2));
    assert_eq!(app.content.publish_due().await.unwrap(), vec![id.parse::<i32>().unwrap()]);
    let (items, deleted, _) = rest_pages(&app, Some(&token), 10).await;
    assert_eq!(ids(&items), [id].into());
    assert!(deleted.is_empty());
}

db_test!(bad_sync_arguments_are_named);
async fn bad_sync_arguments_are_named(app: TestApp) {
    for (uri, field) in [
        ("/api/v1/sync?token=nonsense", "token"),
        ("/api/v1/sync?token=czE6ZDotNA", "token"),
        ("/api/v1/sync?limit=0", "limit"),
        ("/api/v1/sync?limit=101", "limit"),
    ] {
        let res = app.get(uri, None).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {}", res.text);
        assert_eq!(res.json()["errors"][0]["field"], field, "{uri}");
    }
    let v = app.gql("{ sync(token: \"nonsense\") { hasMore } }", json!({}), None).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT", "{v}");
}

db_test!(a_due_article_that_leaves_before_the_scheduler_runs_is_deleted);
/// Readers see a scheduled article once its time passes, before the scheduler publishes it;
/// taking it down then must reach sync clients that already have it.
async fn a_due_article_that_leaves_before_the_scheduler_runs_is_deleted(app: TestApp) {
    let a = app.create(json!({ "title": "Briefly" })).await;
    let id = a["id"].as_str().unwrap().to_string();
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.publish(&id, Some(&at)).await;
    let (items, _, _) = rest_pages(&app, None, 10).await;
    assert!(items.is_empty(), "not yet due: {items:?}");
    app.advance(chrono::Duration::hours(2));
    let (items, _, token) = rest_pages(&app, None, 10).await;
    assert_eq!(ids(&items), [id.clone()].into(), "due, so readers (and the first walk) see it");
    let res = app.call(Method::POST, &format!("/api/v1/articles/{id}/unpublish"), Some(&app.editor()), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (items, deleted, _) = rest_pages(&app, Some(&token), 10).await;
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(deleted, [id].into());
}

db_test!(renaming_an_author_re_sends_their_articles);
async fn renaming_an_author_re_sends_their_articles(app: TestApp) {
    let mine = published(&app, "By the editor", &[]).await;
    let (_, _, token) = rest_pages(&app, None, 10).await;
    let admin = app.token(colophon::content::Role::Admin);
    let users = app.get("/api/v1/users", Some(&admin)).await.json();
    let editor = users["data"].as_array().unwrap().iter().find(|u| u["name"] == "editor-1").unwrap()["id"].clone();
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", editor.as_str().unwrap()),
            Some(&admin),
            Some(json!({ "name": "Edith" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (items, _, _) = rest_pages(&app, Some(&token), 10).await;
    assert_eq!(ids(&items), [mine].into());
    assert_eq!(items[0]["author"]["name"], "Edith");
}

db_test!(archived_and_purged_articles_are_deleted_for_sync_clients);
/// The README lists what leaves public view: unpublished, archived, trashed, purged. An
/// archived article, and one purged from the trash (its row gone), reach a client that had
/// them as `deleted`; one purged that the client never saw, and a draft's purge, do not.
async fn archived_and_purged_articles_are_deleted_for_sync_clients(app: TestApp) {
    let (editor, admin) = (app.editor(), app.token(colophon::content::Role::Admin));
    let archived = published(&app, "Archived", &[]).await;
    let purged = published(&app, "Purged", &[]).await;
    let draft = app.create(json!({ "title": "Never public" })).await["id"].as_str().unwrap().to_string();
    let (items, _, token) = rest_pages(&app, None, 10).await;
    assert_eq!(ids(&items), [archived.clone(), purged.clone()].into());
    let res = app.call(Method::POST, &format!("/api/v1/articles/{archived}/archive"), Some(&editor), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    for id in [&purged, &draft] {
        let res = app.call(Method::DELETE, &format!("/api/v1/articles/{id}"), Some(&editor), None).await;
        assert!(res.status.is_success(), "{}", res.text);
        let res = app.call(Method::DELETE, &format!("/api/v1/trash/{id}"), Some(&admin), None).await;
        assert!(res.status.is_success(), "{}", res.text);
    }
    assert_eq!(app.get(&format!("/api/v1/articles/{purged}"), Some(&editor)).await.status, StatusCode::NOT_FOUND);
    let (items, deleted, _) = rest_pages(&app, Some(&token), 10).await;
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(deleted, [archived.clone(), purged.clone()].into());
    // The same on GraphQL.
    let v =
        app.gql_ok("query($t: String) { sync(token: $t) { deleted items { id } } }", json!({ "t": token }), None).await;
    let g: BTreeSet<String> =
        v["sync"]["deleted"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
    assert_eq!(g, [archived, purged].into());
}
