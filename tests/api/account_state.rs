//! Tokens act as the account is now, not as it was when they were issued: a disabled or
//! demoted account loses its powers at once, on both faces, for writes and for reads that
//! see more than the public does. Provider tokens never speak for a local account.

use axum::http::{Method, StatusCode};
use colophon::content::Role;
use colophon::content::accounts::{NewUser, cli_admin};
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

/// A password account, signed in: its id and an access token issued with `role`.
async fn signed_in(app: &TestApp, email: &str, role: Role) -> (String, String) {
    let password = "correct horse battery";
    let input = NewUser { email: email.into(), name: email.into(), role, password: password.into() };
    let user = app.content.create_user(&cli_admin(), input).await.unwrap();
    let body = json!({ "email": email, "password": password });
    let res = app.call(Method::POST, "/api/v1/auth/token", None, Some(body)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    (user.id.to_string(), res.json()["access_token"].as_str().unwrap().to_string())
}

async fn patch_user(app: &TestApp, id: &str, patch: Value) {
    let admin = app.token(Role::Admin);
    let res = app.call(Method::PATCH, &format!("/api/v1/users/{id}"), Some(&admin), Some(patch)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

db_test!(a_disabled_or_demoted_account_loses_its_powers_at_once);
async fn a_disabled_or_demoted_account_loses_its_powers_at_once(app: TestApp) {
    let (eve, token) = signed_in(&app, "eve@example.com", Role::Editor).await;
    let author = app.token_for("ann", Role::Author);
    let res = app.call(Method::POST, "/api/v1/articles", Some(&author), Some(json!({ "title": "Ann's draft" }))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let draft = res.json()["data"]["id"].as_str().unwrap().to_string();
    app.call(Method::POST, "/api/v1/tags", Some(&app.editor()), Some(json!({ "name": "Keep" }))).await;
    // While an editor, Eve sees the draft.
    assert_eq!(app.get(&format!("/api/v1/articles/{draft}"), Some(&token)).await.status, StatusCode::OK);

    // Demoted to author and disabled: the token she still holds does nothing.
    patch_user(&app, &eve, json!({ "role": "author", "disabled": true })).await;
    let res = app.call(Method::POST, &format!("/api/v1/articles/{draft}/publish"), Some(&token), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
    assert!(res.text.contains("disabled"), "{}", res.text);
    assert_eq!(
        app.call(Method::DELETE, "/api/v1/tags/keep", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let v =
        app.gql("mutation($id: ID!) { publishArticle(id: $id) { id } }", json!({ "id": draft }), Some(&token)).await;
    assert_eq!(gql_code(&v), "UNAUTHENTICATED");
    let v = app.gql("mutation { deleteTag(id: \"keep\") }", json!({}), Some(&token)).await;
    assert_eq!(gql_code(&v), "UNAUTHENTICATED");
    // Reads that would show drafts are refused too; the public read needs no token.
    assert_eq!(app.get(&format!("/api/v1/articles/{draft}"), Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    let v = app.gql("{ articles(filter: {status: DRAFT}) { totalCount } }", json!({}), Some(&token)).await;
    assert_eq!(gql_code(&v), "UNAUTHENTICATED");

    // Enabled again but still an author: the stored role rules, not the token's `editor`.
    patch_user(&app, &eve, json!({ "disabled": false })).await;
    let res = app.call(Method::POST, &format!("/api/v1/articles/{draft}/publish"), Some(&token), None).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert_eq!(app.call(Method::DELETE, "/api/v1/tags/keep", Some(&token), None).await.status, StatusCode::FORBIDDEN);
    let v =
        app.gql("mutation($id: ID!) { publishArticle(id: $id) { id } }", json!({ "id": draft }), Some(&token)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    assert_eq!(app.get(&format!("/api/v1/articles/{draft}"), Some(&token)).await.status, StatusCode::NOT_FOUND);
    let v = app.gql_ok("{ articles(filter: {status: DRAFT}) { totalCount } }", json!({}), Some(&token)).await;
    assert_eq!(v["articles"]["totalCount"], 0, "an author sees only her own drafts");
    let me = app.get("/api/v1/me", Some(&token)).await.json();
    assert_eq!(me["data"]["role"], "author");

    // Nothing the refused requests asked for happened.
    let draft_now = app.get(&format!("/api/v1/articles/{draft}"), Some(&app.editor())).await.json();
    assert_eq!(draft_now["data"]["status"], "draft");
    assert_eq!(app.get("/api/v1/tags/keep", Some(&app.editor())).await.status, StatusCode::OK);

    // Promotion works the same way: an author token of a promoted account publishes.
    let (bo, bo_token) = signed_in(&app, "bo@example.com", Role::Author).await;
    patch_user(&app, &bo, json!({ "role": "editor" })).await;
    let res = app.call(Method::POST, &format!("/api/v1/articles/{draft}/publish"), Some(&bo_token), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

db_test!(tokens_for_subjects_without_an_account_keep_their_role);
async fn tokens_for_subjects_without_an_account_keep_their_role(app: TestApp) {
    // As `colophon token --sub ci --role editor` mints: no account stands behind it (until
    // its first article, which makes one without a password).
    let ci = app.token_for("ci", Role::Editor);
    let res = app.call(Method::POST, "/api/v1/articles", Some(&ci), Some(json!({ "title": "By CI" }))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.call(Method::POST, "/api/v1/tags", Some(&ci), Some(json!({ "name": "From CI" }))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let v = app.gql_ok("mutation { createTag(input: {name: \"Also CI\"}) { slug } }", json!({}), Some(&ci)).await;
    assert_eq!(v["createTag"]["slug"], "also-ci");

    // Its first write made an account without a password, whose role the tokens carry:
    // an author token for the same subject acts as an author (as an identity provider
    // demoting someone expects), and an admin cannot set a role its tokens would override.
    let demoted = app.token_for("ci", Role::Author);
    assert_eq!(
        app.call(Method::DELETE, "/api/v1/tags/also-ci", Some(&demoted), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/api/v1/me", Some(&demoted)).await.json()["data"]["role"], "author");
    let admin = app.token(Role::Admin);
    let users = app.get("/api/v1/users", Some(&admin)).await.json();
    let ci_id = users["data"].as_array().unwrap().iter().find(|u| u["name"] == "ci").unwrap()["id"].clone();
    let path = format!("/api/v1/users/{}", ci_id.as_str().unwrap());
    let res = app.call(Method::PATCH, &path, Some(&admin), Some(json!({ "role": "admin" }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["errors"][0]["field"], "role");
    // Disabling it still ends every token at once.
    patch_user(&app, ci_id.as_str().unwrap(), json!({ "disabled": true })).await;
    let res = app.call(Method::POST, "/api/v1/tags", Some(&ci), Some(json!({ "name": "After" }))).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.text);
}

db_test!(provider_subjects_never_speak_for_local_accounts);
async fn provider_subjects_never_speak_for_local_accounts(app: TestApp) {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    // A local admin whose subject is her email address.
    let (_, _) = signed_in(&app, "root@example.com", Role::Admin).await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let public = key.verifying_key().to_public_key_pem(Default::default()).unwrap();
    let private = key.to_pkcs8_pem(Default::default()).unwrap();
    let jwt = colophon::auth::Jwt::hs256(crate::support::SECRET, None, None)
        .with_public_key(public.as_bytes(), "role")
        .unwrap();
    let state = colophon::app::AppState::new(app.content.clone(), jwt);
    let provider = TestApp::from_state(state, None);
    let exp = jsonwebtoken::get_current_timestamp() + 600;
    let claims = json!({ "sub": "root@example.com", "role": "author", "exp": exp, "iss": "https://idp.example" });
    let token = encode(&Header::new(Algorithm::EdDSA), &claims, &EncodingKey::from_ed_pem(private.as_bytes()).unwrap())
        .unwrap();
    // The provider's `root@example.com` is an author of its own, not the local admin.
    let me = provider.gql_ok("{ me { email role } }", json!({}), Some(&token)).await;
    assert_eq!(me["me"], Value::Null, "no local account stands behind a provider subject");
    let v = provider.gql("{ users { email } }", json!({}), Some(&token)).await;
    assert_eq!(gql_code(&v), "FORBIDDEN");
    let res = provider.call(Method::POST, "/api/v1/articles", Some(&token), Some(json!({ "title": "Mine" }))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    use colophon::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let find =
        |subject: &'static str| user::Entity::find().filter(user::Column::Subject.eq(subject)).one(app.content.db());
    let theirs = find("https://idp.example root@example.com").await.unwrap().expect("the provider's own account");
    assert_eq!(theirs.role, "author");
    let ours = find("root@example.com").await.unwrap().unwrap();
    assert_eq!(ours.role, "admin");
}
