//! Forged and broken tokens: each is refused on both faces (401 problem+json with
//! `WWW-Authenticate: Bearer`, GraphQL `UNAUTHENTICATED`; a role that may not write: 403 /
//! `FORBIDDEN`), and nothing is written.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{SECRET, TestApp, gql_code};

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

fn signed(claims: Value) -> String {
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

/// Tries a token on a REST write and a GraphQL mutation; both must answer `status`/`code`.
async fn refused(app: &TestApp, what: &str, token: &str, status: StatusCode, code: &str) {
    let res = app.call(Method::POST, "/api/v1/articles", Some(token), Some(json!({ "title": "Forged" }))).await;
    assert_eq!(res.status, status, "{what}: {}", res.text);
    assert_eq!(res.header("content-type"), Some("application/problem+json"), "{what}");
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{what}");
    }
    let v = app.gql("mutation { createArticle(input: { title: \"Forged\" }) { id } }", json!({}), Some(token)).await;
    assert_eq!(gql_code(&v), code, "{what}: {v}");
}

db_test!(forged_and_broken_tokens_are_refused_and_write_nothing);
async fn forged_and_broken_tokens_are_refused_and_write_nothing(app: TestApp) {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({ "sub": "mallory", "role": "admin", "exp": now + 600 });
    let good = signed(json!({ "sub": "mallory", "role": "author", "exp": now + 600 }));
    let parts: Vec<&str> = good.split('.').collect();

    let unsigned = format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT" })), b64(&claims));
    let unsigned_upper = format!("{}.{}.", b64(&json!({ "alg": "None", "typ": "JWT" })), b64(&claims));
    // An author's valid token with the payload edited to say admin, signature kept.
    let promoted =
        format!("{}.{}.{}", parts[0], b64(&json!({ "sub": "mallory", "role": "admin", "exp": now + 600 })), parts[2]);
    let wrong_key =
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"guessed-secret-guessed-secret-00"))
            .unwrap();
    let hs512 = encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    let attacks: Vec<(&str, String)> = vec![
        ("alg none", unsigned),
        ("alg None", unsigned_upper),
        ("payload edited", promoted),
        ("wrong key", wrong_key),
        ("another HMAC algorithm", hs512),
        ("expired", signed(json!({ "sub": "m", "role": "admin", "exp": now - 3600 }))),
        ("expired a minute ago", signed(json!({ "sub": "m", "role": "admin", "exp": now - 61 }))),
        ("not yet valid", signed(json!({ "sub": "m", "role": "admin", "exp": now + 7200, "nbf": now + 3600 }))),
        ("no exp", signed(json!({ "sub": "m", "role": "admin" }))),
        ("no sub", signed(json!({ "role": "admin", "exp": now + 600 }))),
        ("exp as text", signed(json!({ "sub": "m", "role": "admin", "exp": "never" }))),
        ("garbage", "garbage".into()),
        ("three dots of garbage", "a.b.c".into()),
        ("empty", String::new()),
        ("header only", parts[0].to_string()),
        ("signature cut", format!("{}.{}.", parts[0], parts[1])),
        ("no role", signed(json!({ "sub": "m", "exp": now + 600 }))),
        ("unknown role", signed(json!({ "sub": "m", "role": "superuser", "exp": now + 600 }))),
        ("role of the wrong type", signed(json!({ "sub": "m", "role": ["admin"], "exp": now + 600 }))),
    ];
    for (what, token) in &attacks {
        refused(&app, what, token, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    }
    // A valid token whose role may not do this: 403, still nothing written.
    let author = app.token(colophon::content::Role::Author);
    let res = app.call(Method::POST, "/api/v1/tags", Some(&author), Some(json!({ "name": "Nope" }))).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let v = app.gql("mutation { createTag(input: { name: \"Nope\" }) { id } }", json!({}), Some(&author)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN", "{v}");

    assert_eq!(app.article_rows().await, 0);
    let tags = app.get("/api/v1/tags?limit=100", Some(&app.editor())).await.json();
    assert_eq!(tags["data"], json!([]), "{tags}");
}

/// Algorithm confusion: with an identity provider's public key configured, a token signed
/// with HS256 using that public key as the HMAC secret must not pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_key_used_as_an_hmac_secret_is_refused() {
    use ed25519_dalek::pkcs8::EncodePublicKey;

    let Some(base) = TestApp::new(crate::support::Backend::Sqlite).await else { return };
    let now = jsonwebtoken::get_current_timestamp();
    let ec = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
    let ec_public = ec.verifying_key().to_public_key_pem(Default::default()).unwrap();
    let ed = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let ed_public = ed.verifying_key().to_public_key_pem(Default::default()).unwrap();
    for public in [ec_public, ed_public] {
        let jwt = colophon::auth::Jwt::hs256(SECRET, None, None).with_public_key(public.as_bytes(), "role").unwrap();
        let app = TestApp::from_state(colophon::app::AppState::new(base.content.clone(), jwt), None);
        let claims = json!({ "sub": "mallory", "role": "admin", "exp": now + 600 });
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let token = encode(&Header::new(alg), &claims, &EncodingKey::from_secret(public.as_bytes())).unwrap();
            refused(&app, &format!("{alg:?} with the public key"), &token, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
                .await;
        }
    }
    assert_eq!(base.article_rows().await, 0);
}
