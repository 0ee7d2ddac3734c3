//! Writes need a valid bearer token with a role that may write, on both faces.

use axum::http::{Method, StatusCode};
use colophon::content::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use crate::db_test;
use crate::support::{SECRET, TestApp, gql_code};

fn forged(claims: serde_json::Value, alg: Algorithm, secret: &[u8]) -> String {
    encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret)).unwrap()
}

db_test!(writes_need_a_valid_token_and_role);
async fn writes_need_a_valid_token_and_role(app: TestApp) {
    let now = jsonwebtoken::get_current_timestamp();
    let expired = forged(json!({ "sub": "x", "role": "editor", "exp": now - 3600 }), Algorithm::HS256, SECRET);
    let wrong_key = forged(
        json!({ "sub": "x", "role": "admin", "exp": now + 600 }),
        Algorithm::HS256,
        b"not-our-secret-not-our-secret-123",
    );
    let wrong_alg = forged(json!({ "sub": "x", "role": "admin", "exp": now + 600 }), Algorithm::HS512, SECRET);
    let create = json!({ "title": "Should not exist" });
    let mutation = "mutation { createArticle(input: {title: \"Should not exist\"}) { id } }";

    for token in [None, Some("garbage"), Some(expired.as_str()), Some(wrong_key.as_str()), Some(wrong_alg.as_str())] {
        let res = app.call(Method::POST, "/api/v1/articles", token, Some(create.clone())).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{token:?}: {}", res.text);
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        let v = app.gql(mutation, json!({}), token).await;
        assert_eq!(gql_code(&v), "UNAUTHENTICATED", "{token:?}");
    }
    // An invalid token is refused on reads too, rather than quietly treated as anonymous.
    assert_eq!(app.get("/api/v1/articles", Some("garbage")).await.status, StatusCode::UNAUTHORIZED);

    assert_eq!(app.article_rows().await, 0);

    for role in [Role::Author, Role::Editor, Role::Admin] {
        let res = app.call(Method::POST, "/api/v1/articles", Some(&app.token(role)), Some(create.clone())).await;
        assert_eq!(res.status, StatusCode::CREATED, "{role}: {}", res.text);
        assert!(res.header("location").unwrap().starts_with("/api/v1/articles/"));
    }
    // Every write route is guarded; an author may not touch an editor's article.
    let author = app.token(Role::Author);
    let id = app.create(json!({ "title": "Guarded" })).await["id"].as_str().unwrap().to_string();
    for (method, path) in [
        (Method::PATCH, format!("/api/v1/articles/{id}")),
        (Method::POST, format!("/api/v1/articles/{id}/publish")),
        (Method::POST, format!("/api/v1/articles/{id}/unpublish")),
        (Method::DELETE, format!("/api/v1/articles/{id}")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({ "title": "x" }));
        let res = app.call(method.clone(), &path, None, body.clone()).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let res = app.call(method.clone(), &path, Some(&author), body).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    for m in [
        format!("mutation {{ updateArticle(id: \"{id}\", input: {{title: \"x\"}}) {{ id }} }}"),
        format!("mutation {{ publishArticle(id: \"{id}\") {{ id }} }}"),
        format!("mutation {{ unpublishArticle(id: \"{id}\") {{ id }} }}"),
        format!("mutation {{ deleteArticle(id: \"{id}\") }}"),
    ] {
        assert_eq!(gql_code(&app.gql(&m, json!({}), None).await), "UNAUTHENTICATED", "{m}");
        assert_eq!(gql_code(&app.gql(&m, json!({}), Some(&author)).await), "FORBIDDEN", "{m}");
    }
}

db_test!(issuer_and_audience_are_enforced_when_configured);
async fn issuer_and_audience_are_enforced_when_configured(app: TestApp) {
    let strict = colophon::auth::Jwt::hs256(SECRET, Some("colophon-test".into()), Some("authoring".into()));
    let state = colophon::app::AppState::new(app.content.clone(), strict);
    let app = crate::support::TestApp { _dir: app._dir, ..crate::support::TestApp::from_state(state, None) };
    let now = jsonwebtoken::get_current_timestamp();
    let plain = forged(json!({ "sub": "x", "role": "editor", "exp": now + 600 }), Algorithm::HS256, SECRET);
    let res = app.call(Method::POST, "/api/v1/articles", Some(&plain), Some(json!({ "title": "t" }))).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    let good = app.editor();
    let res = app.call(Method::POST, "/api/v1/articles", Some(&good), Some(json!({ "title": "t" }))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

/// Editors who sign in elsewhere: tokens signed with an identity provider's key (generated
/// here) are verified with its public key, the role read from a configured claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_identity_provider_tokens_are_verified_with_its_public_key() {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};

    let Some(base) = crate::support::TestApp::new(crate::support::Backend::Sqlite).await else { return };
    let now = jsonwebtoken::get_current_timestamp();
    let ed = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let ed_private = ed.to_pkcs8_pem(Default::default()).unwrap();
    let ed_public = ed.verifying_key().to_public_key_pem(Default::default()).unwrap();
    let ec = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
    let ec_private = ec.to_pkcs8_pem(Default::default()).unwrap();
    let ec_public = ec.verifying_key().to_public_key_pem(Default::default()).unwrap();

    for (alg, private, public) in [
        (Algorithm::EdDSA, EncodingKey::from_ed_pem(ed_private.as_bytes()).unwrap(), ed_public),
        (Algorithm::ES256, EncodingKey::from_ec_pem(ec_private.as_bytes()).unwrap(), ec_public),
    ] {
        let jwt =
            colophon::auth::Jwt::hs256(SECRET, None, None).with_public_key(public.as_bytes(), "app.roles").unwrap();
        let app = crate::support::TestApp::from_state(colophon::app::AppState::new(base.content.clone(), jwt), None);
        let sign = |claims: serde_json::Value| encode(&Header::new(alg), &claims, &private).unwrap();
        let editor = sign(json!({ "sub": "sso|ada", "exp": now + 600, "app": { "roles": ["reader", "editor"] } }));
        let res = app
            .call(Method::POST, "/api/v1/articles", Some(&editor), Some(json!({ "title": format!("Via {alg:?}") })))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{alg:?}: {}", res.text);
        assert_eq!(res.json()["data"]["author"]["name"], "sso|ada");
        let author = sign(json!({ "sub": "sso|bob", "exp": now + 600, "app": { "roles": "author" } }));
        let id = res.json()["data"]["id"].as_str().unwrap().to_string();
        let res = app.call(Method::POST, &format!("/api/v1/articles/{id}/publish"), Some(&author), None).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{alg:?}");
        // No role, expired, or signed by another key: refused.
        let no_role = sign(json!({ "sub": "sso|x", "exp": now + 600 }));
        let expired = sign(json!({ "sub": "sso|x", "exp": now - 3600, "app": { "roles": "admin" } }));
        let other_key = EncodingKey::from_ed_pem(
            ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]).to_pkcs8_pem(Default::default()).unwrap().as_bytes(),
        )
        .unwrap();
        let forged = encode(
            &Header::new(Algorithm::EdDSA),
            &json!({ "sub": "x", "exp": now + 600, "app": { "roles": "admin" } }),
            &other_key,
        )
        .unwrap();
        for bad in [no_role, expired, forged] {
            let res = app.call(Method::POST, "/api/v1/articles", Some(&bad), Some(json!({ "title": "no" }))).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{alg:?}: {}", res.text);
        }
        // Our own HS256 tokens keep working beside the provider's.
        let res = app
            .call(
                Method::POST,
                "/api/v1/articles",
                Some(&app.editor()),
                Some(json!({ "title": format!("Own {alg:?}") })),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
    }
    assert!(colophon::auth::Jwt::hs256(SECRET, None, None).with_public_key(b"not a key", "role").is_err());
}
