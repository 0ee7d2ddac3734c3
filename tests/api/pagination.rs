//! Keyset pagination: every row exactly once, forward and backward, under every order, on
//! both faces; and cursors that belong to one order only.

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

/// 23 published articles; several share a publication time, so the id tie-breaker matters.
async fn seed(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..23 {
        let a = app.create(json!({ "title": format!("Article {:02}", (i * 7) % 23) })).await;
        let id = a["id"].as_str().unwrap().to_string();
        let at = format!("2025-0{}-1{}T10:00:00Z", 1 + i % 3, i % 5);
        app.publish(&id, Some(&at)).await;
        ids.push(id);
    }
    ids
}

async fn walk_gql(app: &TestApp, order: &str, backward: bool) -> Vec<String> {
    let (size_arg, cursor_arg, next_flag, cursor_field) = if backward {
        ("last", "before", "hasPreviousPage", "startCursor")
    } else {
        ("first", "after", "hasNextPage", "endCursor")
    };
    let q = format!(
        "query($c: String) {{ articles({size_arg}: 5, {cursor_arg}: $c, orderBy: {order}) {{ totalCount \
         pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ id }} }} }} }}"
    );
    let mut cursor = Value::Null;
    let mut pages: Vec<Vec<String>> = Vec::new();
    loop {
        let v = app.gql_ok(&q, json!({ "c": cursor }), None).await["articles"].clone();
        assert_eq!(v["totalCount"], 23);
        let page: Vec<String> =
            v["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().into()).collect();
        assert!(page.len() <= 5);
        pages.push(page);
        if !v["pageInfo"][next_flag].as_bool().unwrap() {
            break;
        }
        cursor = v["pageInfo"][cursor_field].clone();
        assert!(pages.len() < 10, "pagination does not end");
    }
    if backward {
        pages.reverse();
    }
    pages.concat()
}

async fn walk_rest(app: &TestApp, sort: &str) -> Vec<String> {
    let mut url = format!("/api/v1/articles?limit=5&sort={sort}");
    let mut ids = Vec::new();
    for _ in 0..10 {
        let res = app.get(&url, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let body = res.json();
        assert_eq!(body["meta"]["total"], 23);
        assert_eq!(body["meta"]["limit"], 5);
        ids.extend(body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()));
        match res.header("link") {
            Some(link) => {
                assert!(body["meta"]["next_cursor"].is_string());
                let target = link.split('<').nth(1).and_then(|s| s.split('>').next()).unwrap();
                assert!(link.ends_with("rel=\"next\""), "{link}");
                url = target.to_string();
            }
            None => {
                assert!(body["meta"]["next_cursor"].is_null());
                return ids;
            }
        }
    }
    panic!("pagination does not end");
}

db_test!(every_order_pages_through_every_row_once_on_both_faces);
async fn every_order_pages_through_every_row_once_on_both_faces(app: TestApp) {
    let ids = seed(&app).await;
    let all: HashSet<String> = ids.iter().cloned().collect();
    for (order, sort) in [
        ("PUBLISHED_DESC", "-published_at"),
        ("PUBLISHED_ASC", "published_at"),
        ("TITLE", "title"),
        ("UPDATED_DESC", "-updated_at"),
    ] {
        let forward = walk_gql(&app, order, false).await;
        assert_eq!(forward.len(), 23, "{order}: {forward:?}");
        assert_eq!(forward.iter().cloned().collect::<HashSet<_>>(), all, "{order}");
        assert_eq!(walk_gql(&app, order, true).await, forward, "{order} backward");
        assert_eq!(walk_rest(&app, sort).await, forward, "{sort} on REST");
    }
    // The orders are what they say.
    let v = app.gql_ok("{ articles(first: 100, orderBy: TITLE) { nodes { title } } }", json!({}), None).await;
    let titles: Vec<&str> =
        v["articles"]["nodes"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);
    let v = app.gql_ok("{ articles(first: 100) { nodes { publishedAt } } }", json!({}), None).await;
    let dates: Vec<&str> =
        v["articles"]["nodes"].as_array().unwrap().iter().map(|n| n["publishedAt"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
}

db_test!(drafts_page_cleanly_with_null_dates);
async fn drafts_page_cleanly_with_null_dates(app: TestApp) {
    let editor = app.editor();
    for i in 0..7 {
        app.create(json!({ "title": format!("Draft {i}") })).await;
    }
    let q = "query($c: String) { articles(first: 3, after: $c, filter: {status: DRAFT}) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }";
    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let v = app.gql_ok(q, json!({ "c": cursor }), Some(&editor)).await["articles"].clone();
        assert_eq!(v["totalCount"], 7);
        seen.extend(v["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_string()));
        if !v["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        cursor = v["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
}

db_test!(bad_page_arguments_are_named);
async fn bad_page_arguments_are_named(app: TestApp) {
    seed(&app).await;
    let v = app.gql_ok("{ articles(first: 2, orderBy: TITLE) { pageInfo { endCursor } } }", json!({}), None).await;
    let title_cursor = v["articles"]["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    // A cursor from another order, garbage, mixed directions, sizes out of range.
    let v =
        app.gql("query($c: String) { articles(after: $c) { totalCount } }", json!({ "c": title_cursor }), None).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "after");
    let v = app.gql("{ articles(after: \"nope\") { totalCount } }", json!({}), None).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    let v = app.gql("{ articles(first: 2, last: 2) { totalCount } }", json!({}), None).await;
    assert_eq!(gql_code(&v), "BAD_USER_INPUT");
    let v = app.gql("{ articles(first: 101) { totalCount } }", json!({}), None).await;
    assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "first");
    for (url, field) in [
        ("/api/v1/articles?limit=0", "limit"),
        ("/api/v1/articles?limit=101", "limit"),
        ("/api/v1/articles?cursor=nope", "cursor"),
    ] {
        let res = app.get(url, None).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", res.text);
        assert_eq!(res.json()["errors"][0]["field"], field, "{url}");
    }
    for (url, field) in [("/api/v1/articles?limit=ten", "limit"), ("/api/v1/articles?sort=oldest", "sort")] {
        let res = app.get(url, None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}: {}", res.text);
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        assert_eq!(res.json()["errors"][0]["field"], field, "{url}");
    }
}

db_test!(sub_second_times_sort_as_instants);
async fn sub_second_times_sort_as_instants(app: TestApp) {
    // SQLite keeps times as RFC 3339 text; whole, milli- and microsecond values must still
    // sort as instants, not as strings.
    let times =
        ["2025-01-01T10:00:00.5Z", "2025-01-01T10:00:00Z", "2025-01-01T10:00:00.000001Z", "2025-01-01T10:00:00.25Z"];
    for (i, t) in times.iter().enumerate() {
        let a = app.create(json!({ "title": format!("t{i}") })).await;
        app.publish(a["id"].as_str().unwrap(), Some(t)).await;
    }
    let v = app.gql_ok("{ articles(orderBy: PUBLISHED_ASC) { nodes { publishedAt } } }", json!({}), None).await;
    let got: Vec<&str> =
        v["articles"]["nodes"].as_array().unwrap().iter().map(|n| n["publishedAt"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        ["2025-01-01T10:00:00Z", "2025-01-01T10:00:00.000001Z", "2025-01-01T10:00:00.250Z", "2025-01-01T10:00:00.500Z"]
    );
    // Cursor paging across them loses nothing.
    let page1 =
        app.gql_ok("{ articles(first: 2, orderBy: PUBLISHED_ASC) { pageInfo { endCursor } } }", json!({}), None).await;
    let c = page1["articles"]["pageInfo"]["endCursor"].clone();
    let page2 = app
        .gql_ok(
            "query($c: String) { articles(first: 5, after: $c, orderBy: PUBLISHED_ASC) { nodes { publishedAt } } }",
            json!({ "c": c }),
            None,
        )
        .await;
    assert_eq!(page2["articles"]["nodes"].as_array().unwrap().len(), 2);
}
