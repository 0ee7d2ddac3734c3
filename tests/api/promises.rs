//! Promises the README makes about time and failure, each exercised: a refresh token's
//! 30 days, two refreshes at once, the 30-second retry window, a preview token's hour, and
//! `/readyz` when the database goes away.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{Backend, SECRET, TestApp};

/// Signs in a new editor with a password; the answer's tokens.
async fn sign_in(app: &TestApp) -> Value {
    let admin = app.token(colophon::content::Role::Admin);
    let user =
        json!({ "email": "rita@example.com", "name": "Rita", "role": "editor", "password": "a long enough password" });
    let res = app.call(Method::POST, "/api/v1/users", Some(&admin), Some(user)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = json!({ "email": "rita@example.com", "password": "a long enough password" });
    let res = app.call(Method::POST, "/api/v1/auth/token", None, Some(body)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

async fn refresh(app: &TestApp, token: &str) -> crate::support::Response {
    app.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({ "refresh_token": token }))).await
}

db_test!(refresh_tokens_last_30_days);
/// "a refresh token (30 days, stored hashed)": it works on day 29 and not on day 31.
async fn refresh_tokens_last_30_days(app: TestApp) {
    let first = sign_in(&app).await["refresh_token"].as_str().unwrap().to_string();
    let second = sign_in_again(&app).await;
    app.advance(chrono::Duration::days(29));
    let res = refresh(&app, &first).await;
    assert_eq!(res.status, StatusCode::OK, "on day 29: {}", res.text);
    let renewed = res.json()["refresh_token"].as_str().unwrap().to_string();
    app.advance(chrono::Duration::days(2));
    let res = refresh(&app, &second).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "on day 31: {}", res.text);
    // The token the day-29 refresh gave counts its own 30 days from then.
    assert_eq!(refresh(&app, &renewed).await.status, StatusCode::OK);
}

fn password() -> Value {
    json!({ "email": "rita@example.com", "password": "a long enough password" })
}

async fn sign_in_again(app: &TestApp) -> String {
    let res = app.call(Method::POST, "/api/v1/auth/token", None, Some(password())).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()["refresh_token"].as_str().unwrap().to_string()
}

db_test!(refreshes_at_once_are_one_client_and_a_late_reuse_is_theft);
/// Two tabs refreshing with the same token at the same moment both get a session (neither
/// is taken for a thief); the same token sent again after 30 s, though its successors were
/// never used, revokes the whole sign-in.
async fn refreshes_at_once_are_one_client_and_a_late_reuse_is_theft(app: TestApp) {
    let token = sign_in(&app).await["refresh_token"].as_str().unwrap().to_string();
    let (a, b, c) = tokio::join!(refresh(&app, &token), refresh(&app, &token), refresh(&app, &token));
    let mut successors = Vec::new();
    for res in [a, b, c] {
        assert_eq!(res.status, StatusCode::OK, "a refresh at the same moment was refused: {}", res.text);
        successors.push(res.json()["refresh_token"].as_str().unwrap().to_string());
    }
    successors.sort();
    successors.dedup();
    assert_eq!(successors.len(), 3, "each gets a pair of its own");
    // Past the retry window the spent token is theft, successors unused or not.
    app.advance(chrono::Duration::seconds(31));
    let res = refresh(&app, &token).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    assert!(res.text.contains("revoked"), "{}", res.text);
    for s in &successors {
        assert_eq!(refresh(&app, s).await.status, StatusCode::UNAUTHORIZED, "the sign-in is revoked");
    }
}

/// A JWT's claims, read as any client could.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

db_test!(preview_tokens_open_their_article_for_one_hour);
/// "a one-hour token": issued for 3,600 s, and once its time is past it opens nothing.
async fn preview_tokens_open_their_article_for_one_hour(app: TestApp) {
    let draft = app.create(json!({ "title": "Under review" })).await;
    let id = draft["id"].as_str().unwrap();
    let res = app.call(Method::POST, &format!("/api/v1/articles/{id}/preview"), Some(&app.editor()), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let token = res.json()["data"]["token"].as_str().unwrap().to_string();
    let c = claims(&token);
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3600, "{c}");
    let v = app
        .gql_ok(
            "mutation($id: ID!) { createPreviewToken(articleId: $id) { token } }",
            json!({ "id": id }),
            Some(&app.editor()),
        )
        .await;
    let g = claims(v["createPreviewToken"]["token"].as_str().unwrap());
    assert_eq!(g["exp"].as_i64().unwrap() - g["iat"].as_i64().unwrap(), 3600, "{g}");
    assert_eq!(app.get(&format!("/api/v1/articles/under-review?preview={token}"), None).await.status, StatusCode::OK);
    // The same token an hour and a second later: the same claims, signed with the same key.
    let mut late = c.clone();
    let now = chrono::Utc::now().timestamp();
    late["iat"] = json!(now - 3601);
    late["exp"] = json!(now - 1);
    let late = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &late,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let res = app.get(&format!("/api/v1/articles/under-review?preview={late}"), None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "an expired preview token opened a draft: {}", res.text);
}

/// "/readyz (database reachable and migrations applied; 503 otherwise)": on PostgreSQL,
/// the database is made unreachable under a running server, then reachable again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_while_the_database_is_down() {
    use sea_orm::ConnectionTrait;
    let Some(app) = TestApp::new(Backend::Postgres).await else { return };
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    let url = app.url.clone().unwrap();
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
    let admin = sea_orm::Database::connect(crate::support::postgres_admin_url().unwrap()).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();
    let down = app.get("/readyz", None).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{}", down.text);
    // Alive all the same, and a read says what is wrong rather than hanging or panicking.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    let read = app.get("/api/v1/articles", None).await;
    assert_eq!(read.status, StatusCode::SERVICE_UNAVAILABLE, "{}", read.text);
    assert_eq!(read.header("content-type"), Some("application/problem+json"));
    assert!(read.text.contains("/problems/database-unavailable"), "{}", read.text);
    assert!(read.header("retry-after").is_some(), "no Retry-After: {}", read.text);
    // The GraphQL face says the same with its own vocabulary.
    let body = app.gql("{ articles(first: 1) { nodes { slug } } }", serde_json::json!({}), None).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body}");
    assert!(body["errors"][0]["extensions"]["retryAfter"].as_u64().is_some(), "{body}");
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await.unwrap();
    let mut up = false;
    for _ in 0..200 {
        if app.get("/readyz", None).await.status == StatusCode::OK {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "/readyz never recovered");
    assert_eq!(app.get("/api/v1/articles", None).await.status, StatusCode::OK);
}
