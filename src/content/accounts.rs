//! Accounts and sessions: users with argon2id password hashes, sign-in that issues a
//! short-lived access token and a refresh token, rotation with reuse detection, sign-out.
//! Refresh tokens are stored as SHA-256 hashes only.

use std::sync::OnceLock;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use sha2::{Digest, Sha256};

use super::input::Checker;
use super::{Content, ContentError, Principal, Result, Role, Viewer, audit};
use crate::auth::Jwt;
use crate::entities::{refresh_token, user};

pub const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
pub const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
pub const PASSWORD_MIN: usize = 10;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// What a successful sign-in or refresh hands out.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashing").to_string()
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash nobody's password matches: unknown emails are checked against it so they take as
/// long as wrong passwords and cannot be told apart by timing.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that never matches"))
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn refused() -> ContentError {
    ContentError::Unauthenticated("wrong email or password".into())
}

fn check_password(c: &mut Checker, field: &str, password: &str) {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        c.push(field, format!("must be at least {PASSWORD_MIN} characters"));
    } else if n > 1024 {
        c.push(field, "must be at most 1024 characters");
    }
}

fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Content {
    /// Admins create accounts (the CLI acts as an admin).
    pub async fn create_user(&self, viewer: &Viewer, input: NewUser) -> Result<user::Model> {
        let principal = viewer.require_admin()?;
        let email = normalize_email(&input.email);
        let mut c = Checker::default();
        if !(3..=320).contains(&email.len()) || !email.contains('@') || email.contains(char::is_whitespace) {
            c.push("email", "must be an email address");
        }
        c.name("name", &input.name);
        check_password(&mut c, "password", &input.password);
        c.finish()?;
        let txn = self.begin_write().await?;
        let now = self.now();
        let created = user::ActiveModel {
            // Password accounts sign in as their email address.
            subject: Set(email.clone()),
            email: Set(Some(email.clone())),
            display_name: Set(input.name.trim().to_string()),
            role: Set(input.role.as_str().into()),
            password_hash: Set(Some(hash_password(&input.password))),
            disabled: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| ContentError::from_db(e, || format!("an account for `{email}` already exists")))?;
        audit::record(&txn, &principal.subject, "user.create", format!("user:{}", created.id)).await?;
        txn.commit().await?;
        Ok(created)
    }

    pub async fn users(&self, viewer: &Viewer) -> Result<Vec<user::Model>> {
        viewer.require_admin()?;
        Ok(user::Entity::find().order_by_asc(user::Column::Id).all(self.db()).await?)
    }

    /// Renames, changes role, disables (which also ends every session) or re-enables.
    pub async fn update_user(&self, viewer: &Viewer, key: &str, patch: UserPatch) -> Result<user::Model> {
        let principal = viewer.require_admin()?;
        let mut c = Checker::default();
        if let Some(n) = &patch.name {
            c.name("name", n);
        }
        if let Some(p) = &patch.password {
            check_password(&mut c, "password", p);
        }
        c.finish()?;
        let txn = self.begin_exclusive_write().await?;
        let current = find_user(&txn, key).await?;
        if patch.role.is_some_and(|r| r.as_str() != current.role) && current.password_hash.is_none() {
            return Err(ContentError::field(
                "role",
                "this account signs in with tokens (from `colophon token` or an identity provider), which carry its \
                 role: change it where they are issued, or disable the account",
            ));
        }
        let mut am: user::ActiveModel = current.clone().into();
        if let Some(n) = patch.name {
            am.display_name = Set(n.trim().to_string());
        }
        if let Some(r) = patch.role {
            am.role = Set(r.as_str().into());
        }
        if let Some(p) = &patch.password {
            am.password_hash = Set(Some(hash_password(p)));
        }
        if let Some(d) = patch.disabled {
            am.disabled = Set(d);
        }
        am.updated_at = Set(self.now());
        let updated = am.update(&txn).await?;
        if patch.disabled == Some(true) || patch.password.is_some() {
            revoke_user_sessions(&txn, current.id).await?;
        }
        let action = if patch.disabled == Some(true) { "user.disable" } else { "user.update" };
        audit::record(&txn, &principal.subject, action, format!("user:{}", current.id)).await?;
        if updated.display_name != current.display_name {
            // Articles show their author's name.
            let shown = super::changes::announced_by(&txn, current.id, self.now()).await?;
            let mut purge = super::purges::Purge::default();
            purge.showing(&shown);
            purge.record(&txn).await?;
            super::changes::record(
                &txn,
                self.now(),
                super::changes::names::ARTICLE_UPDATED,
                super::changes::Subject::Article,
                &shown,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(updated)
    }

    /// The caller as the accounts table says now, not as their token said when it was
    /// issued: a token outlives a demotion or a disabled account by up to its lifetime, and
    /// every write and every read beyond the public one goes through here.
    /// - An account with a password is managed here: it acts with its stored role, and not at
    ///   all once it is disabled.
    /// - An account made from tokens (no password: `colophon token`, an identity provider)
    ///   acts with the role its token carries, since whoever issues the tokens decides it,
    ///   and not at all once it is disabled.
    /// - A subject with no account acts with its token's role.
    pub async fn authenticate(&self, viewer: Viewer) -> Result<Viewer> {
        let Some(principal) = viewer.principal() else { return Ok(viewer) };
        if principal.subject.contains('\0') {
            return Ok(viewer); // no stored subject has one, and PostgreSQL refuses it in a query
        }
        match super::users::find_user(self.db(), &principal.subject).await? {
            None => Ok(viewer),
            Some(account) if account.disabled => {
                Err(ContentError::Unauthenticated("this account is disabled; its tokens no longer work".into()))
            }
            Some(account) if account.password_hash.is_some() => {
                let role = Role::parse(&account.role).unwrap_or(Role::Author);
                Ok(Viewer(Some(Principal { subject: account.subject, role })))
            }
            Some(_) => Ok(viewer),
        }
    }

    /// The account behind the caller's token, if it has one, with the role it acts with now.
    pub async fn me(&self, viewer: &Viewer) -> Result<Option<user::Model>> {
        let p = viewer.require_writer()?;
        let account = super::users::find_user(self.db(), &p.subject).await?;
        Ok(account.map(|a| user::Model { role: p.role.as_str().to_string(), ..a }))
    }

    /// Signs in: an access token and a refresh token. Unknown email, wrong password and a
    /// disabled account all answer the same, in the same time.
    /// `client` is who is asking (an address), for the attempt limit.
    pub async fn login(
        &self,
        jwt: &Jwt,
        client: Option<std::net::IpAddr>,
        email: &str,
        password: &str,
    ) -> Result<Session> {
        self.check_auth_rate(client)?;
        if email.contains('\0') {
            return Err(refused()); // no stored address has one, and PostgreSQL refuses it in a query
        }
        let found = user::Entity::find().filter(user::Column::Email.eq(normalize_email(email))).one(self.db()).await?;
        let hash = found.as_ref().and_then(|u| u.password_hash.clone());
        let ok = verify_password(hash.as_deref().unwrap_or(decoy_hash()), password);
        let user = match found {
            Some(u) if ok && hash.is_some() && !u.disabled => u,
            _ => return Err(refused()),
        };
        let txn = self.begin_write().await?;
        let session = issue_session(&txn, jwt, &user, &random_token(), self.now()).await?;
        audit::record(&txn, &user.subject, "auth.login", format!("user:{}", user.id)).await?;
        txn.commit().await?;
        Ok(session)
    }

    /// Trades a refresh token for a new pair. Each refresh token works once: presenting a
    /// spent one is taken as theft and ends every session of that sign-in, unless it is
    /// plainly the same client again (see `REUSE_GRACE`). Only a failed refresh counts
    /// against the client's sign-in allowance: a browser refreshes at every page load, and
    /// an office of editors shares one address.
    pub async fn refresh(&self, jwt: &Jwt, client: Option<std::net::IpAddr>, token: &str) -> Result<Session> {
        self.auth_allowance_left(client)?;
        let result = self.rotate(jwt, token).await;
        if matches!(result, Err(ContentError::Unauthenticated(_))) {
            self.charge_auth_failure(client);
        }
        result
    }

    async fn rotate(&self, jwt: &Jwt, token: &str) -> Result<Session> {
        let invalid = || ContentError::Unauthenticated("the refresh token is invalid or expired".into());
        // Looked up before the write lock is taken: a stream of made-up tokens costs reads.
        let Some(row) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(token_hash(token)))
            .one(self.db())
            .await?
        else {
            return Err(invalid());
        };
        let txn = self.begin_write().await?;
        let row = refresh_token::Entity::find_by_id(row.id).one(&txn).await?.ok_or_else(invalid)?;
        let now = self.now();
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Err(invalid());
        }
        if let Some(spent) = row.used_at
            && !is_retry(&txn, &row, spent, now).await?
        {
            revoke_family(&txn, &row.family).await?;
            audit::record(&txn, audit::SYSTEM, "auth.refresh_reuse", format!("user:{}", row.user_id)).await?;
            txn.commit().await?;
            return Err(ContentError::Unauthenticated(
                "this refresh token was already used; every session of this sign-in has been revoked".into(),
            ));
        }
        let user = user::Entity::find_by_id(row.user_id).one(&txn).await?.ok_or_else(invalid)?;
        if user.disabled {
            return Err(invalid());
        }
        // Marked spent only if nobody did first; one that did first was this client too
        // (two tabs at once), which gets a pair of its own in the same sign-in.
        refresh_token::Entity::update_many()
            .set(refresh_token::ActiveModel { used_at: Set(Some(now)), ..Default::default() })
            .filter(refresh_token::Column::Id.eq(row.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        let session = issue_session(&txn, jwt, &user, &row.family, now).await?;
        audit::record(&txn, &user.subject, "auth.refresh", format!("user:{}", user.id)).await?;
        txn.commit().await?;
        Ok(session)
    }

    /// Ends the sign-in the refresh token belongs to. Unknown tokens are not an error.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let txn = self.begin_write().await?;
        if let Some(row) = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(token_hash(token)))
            .one(&txn)
            .await?
        {
            revoke_family(&txn, &row.family).await?;
            let subject = user::Entity::find_by_id(row.user_id).one(&txn).await?.map(|u| u.subject);
            let actor = subject.unwrap_or_else(|| audit::SYSTEM.into());
            audit::record(&txn, &actor, "auth.logout", format!("user:{}", row.user_id)).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Admin principal for command-line account management.
pub fn cli_admin() -> Viewer {
    Viewer(Some(Principal { subject: "cli".into(), role: Role::Admin }))
}

async fn find_user(db: &impl ConnectionTrait, key: &str) -> Result<user::Model> {
    let not_found = || ContentError::NotFound(format!("user `{}`", key.escape_debug()));
    if key.contains('\0') {
        return Err(not_found()); // no stored address has one, and PostgreSQL refuses it in a query
    }
    if let Some(id) = super::articles::parse_id(key)
        && let Some(u) = user::Entity::find_by_id(id).one(db).await?
    {
        return Ok(u);
    }
    user::Entity::find().filter(user::Column::Email.eq(normalize_email(key))).one(db).await?.ok_or_else(not_found)
}

/// A new access and refresh token in the sign-in `family`, the refresh token's life counted
/// from `now` (the service's clock).
async fn issue_session(
    db: &impl ConnectionTrait,
    jwt: &Jwt,
    user: &user::Model,
    family: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Session> {
    let role = Role::parse(&user.role).unwrap_or(Role::Author);
    let refresh = random_token();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        user_id: Set(user.id),
        family: Set(family.chars().take(64).collect()),
        token_hash: Set(token_hash(&refresh)),
        expires_at: Set(now + chrono::Duration::from_std(REFRESH_TTL).expect("ttl")),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(Session {
        access_token: jwt.issue(&user.subject, role, ACCESS_TTL),
        refresh_token: refresh,
        expires_in: ACCESS_TTL.as_secs(),
    })
}

/// How long after a refresh token is spent it may be presented again without being taken
/// for theft: a reply lost to a page reload, or two tabs refreshing at once, send it twice.
pub const REUSE_GRACE: Duration = Duration::from_secs(30);

/// A spent token presented again is the same client retrying when it was spent moments ago
/// and nothing of its sign-in has been used since. A thief replays it later, or after the
/// owner has moved on to the next token, and ends the sign-in.
async fn is_retry(
    db: &impl ConnectionTrait,
    row: &refresh_token::Model,
    spent: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    if now - spent > chrono::Duration::from_std(REUSE_GRACE).expect("grace") {
        return Ok(false);
    }
    let moved_on = refresh_token::Entity::find()
        .filter(refresh_token::Column::Family.eq(&row.family))
        .filter(refresh_token::Column::Id.ne(row.id))
        .filter(refresh_token::Column::UsedAt.gte(spent))
        .count(db)
        .await?;
    Ok(moved_on == 0)
}

async fn revoke_family(db: &impl ConnectionTrait, family: &str) -> Result<()> {
    refresh_token::Entity::update_many()
        .set(refresh_token::ActiveModel { revoked_at: Set(Some(super::now())), ..Default::default() })
        .filter(refresh_token::Column::Family.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn revoke_user_sessions(db: &impl ConnectionTrait, user_id: i32) -> Result<()> {
    refresh_token::Entity::update_many()
        .set(refresh_token::ActiveModel { revoked_at: Set(Some(super::now())), ..Default::default() })
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "wrong"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!verify_password(decoy_hash(), "decoy"));
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
