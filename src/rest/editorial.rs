//! The editorial workflow on REST: revisions, the trash, preview tokens, accounts and
//! sessions, the audit log.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleData, ArticleList, LIST_NAMES, ListMeta, article_dto, article_dtos};
use super::extract::{JsonBody, Path, QueryParams, Signed};
use super::problem::{Problem, ReadErrors, WriteErrors};
use super::tags::created;
use crate::app::AppState;
use crate::content::accounts::{NewUser, Session, UserPatch};
use crate::content::workflow::RevisionSummary;
use crate::content::{ContentError, PageArgs, Role as ServiceRole};
use crate::entities::user;
use crate::guard::ClientIp;

#[derive(Debug, Serialize, ToSchema)]
pub struct Revision {
    pub version: i32,
    pub title: String,
    /// The subject of whoever made the change (`system` for the scheduler).
    pub editor: String,
    pub created_at: DateTime<Utc>,
}

impl From<RevisionSummary> for Revision {
    fn from(r: RevisionSummary) -> Self {
        Revision { version: r.version, title: r.title, editor: r.editor, created_at: r.created_at }
    }
}

/// One revision, with the article's text at that version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionDetail {
    pub version: i32,
    pub title: String,
    /// The subject of whoever made the change (`system` for the scheduler).
    pub editor: String,
    pub created_at: DateTime<Utc>,
    pub slug: String,
    /// The excerpt the editor had written, if any.
    pub excerpt: Option<String>,
    /// The Markdown body at this version.
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionData {
    pub data: RevisionDetail,
}

/// One revision of an article, with its text, to compare with another. Editors, and authors
/// for their own articles.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{id}/revisions/{version}",
    tag = "editorial",
    params(
        ("id" = String, Path, description = "The article's id (digits only) or its slug, current or old"),
        ("version" = i32, Path, description = "The version"),
    ),
    security(("bearer" = [])),
    responses((status = 200, description = "The revision", body = RevisionData), WriteErrors)
)]
pub async fn get_revision(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path((id, version)): Path<(String, i32)>,
) -> Result<axum::Json<RevisionData>, Problem> {
    let r = state.content.revision(&viewer, &state.content.article_id_at(&id).await?, version).await?;
    Ok(axum::Json(RevisionData {
        data: RevisionDetail {
            version: r.version,
            title: r.title,
            editor: r.editor,
            created_at: r.created_at,
            slug: r.slug,
            excerpt: r.excerpt,
            body: r.body,
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    /// Newest first.
    pub data: Vec<Revision>,
}

/// An article's revisions, newest first. Editors, and authors for their own articles.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{id}/revisions",
    tag = "editorial",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses((status = 200, description = "The revisions", body = RevisionList), WriteErrors)
)]
pub async fn list_revisions(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<axum::Json<RevisionList>, Problem> {
    let list = state.content.revisions(&viewer, &state.content.article_id_at(&id).await?).await?;
    Ok(axum::Json(RevisionList { data: list.into_iter().map(Into::into).collect() }))
}

/// Put back an article's content as it was at `version`, as a new version.
#[utoipa::path(
    post,
    path = "/api/v1/articles/{id}/revisions/{version}/restore",
    tag = "editorial",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old"), ("version" = i32, Path, description = "The version to restore")),
    security(("bearer" = [])),
    responses((status = 200, description = "The article, restored", body = ArticleData), WriteErrors)
)]
pub async fn restore_revision(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path((id, version)): Path<(String, i32)>,
) -> Result<axum::Json<ArticleData>, Problem> {
    let view = state.content.restore_revision(&viewer, &state.content.article_id_at(&id).await?, version).await?;
    Ok(axum::Json(ArticleData { data: article_dto(&state.content, view).await? }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrashParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Trashed articles, most recently trashed first. Editors and admins.
#[utoipa::path(
    get,
    path = "/api/v1/trash",
    tag = "editorial",
    params(TrashParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of trashed articles", body = ArticleList), WriteErrors)
)]
pub async fn list_trash(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    QueryParams(params): QueryParams<TrashParams>,
) -> Result<axum::Json<ArticleList>, Problem> {
    let page = PageArgs { first: params.limit, after: params.cursor, names: LIST_NAMES, ..Default::default() };
    let result = state.content.trash(&viewer, &page).await?;
    let next_cursor = result.next_cursor();
    Ok(axum::Json(ArticleList {
        meta: ListMeta { total: result.total, limit: params.limit.unwrap_or(20) as u64, next_cursor },
        data: article_dtos(&state.content, result.items.into_iter().map(|(_, v)| v).collect()).await?,
    }))
}

/// Take an article out of the trash. Editors and admins.
#[utoipa::path(
    post,
    path = "/api/v1/trash/{id}/restore",
    tag = "editorial",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses((status = 200, description = "The restored article", body = ArticleData), WriteErrors)
)]
pub async fn restore_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<axum::Json<ArticleData>, Problem> {
    let view = state.content.restore_article(&viewer, &state.content.article_id_at(&id).await?).await?;
    Ok(axum::Json(ArticleData { data: article_dto(&state.content, view).await? }))
}

/// Delete a trashed article for good. Admins only.
#[utoipa::path(
    delete,
    path = "/api/v1/trash/{id}",
    tag = "editorial",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses((status = 204, description = "Purged"), WriteErrors)
)]
pub async fn purge_article(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.content.purge_article(&viewer, &state.content.article_id_at(&id).await?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewToken {
    /// Pass as `?preview=` on `GET /api/v1/articles/{slug}`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewTokenData {
    pub data: PreviewToken,
}

/// A short-lived token that opens this one article for a reviewer without an account.
#[utoipa::path(
    post,
    path = "/api/v1/articles/{id}/preview",
    tag = "editorial",
    params(("id" = String, Path, description = "The article's id (digits only) or its slug, current or old")),
    security(("bearer" = [])),
    responses((status = 201, description = "A preview token", body = PreviewTokenData), WriteErrors)
)]
pub async fn create_preview_token(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<(StatusCode, axum::Json<PreviewTokenData>), Problem> {
    let (token, expires_at) =
        state.content.create_preview_token(&viewer, &state.jwt, &state.content.article_id_at(&id).await?).await?;
    Ok((StatusCode::CREATED, axum::Json(PreviewTokenData { data: PreviewToken { token, expires_at } })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Trade for a new pair at `/api/v1/auth/refresh`; works once. Absent when the session
    /// keeps it in a cookie (`"session": "cookie"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

impl From<Session> for TokenResponse {
    fn from(s: Session) -> Self {
        TokenResponse {
            access_token: s.access_token,
            refresh_token: Some(s.refresh_token),
            token_type: "Bearer".into(),
            expires_in: s.expires_in,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// Where the refresh token goes: in the answer (`body`, the default), or in an
    /// `HttpOnly`, `SameSite=Strict` cookie scoped to `/api/v1/auth/refresh` (`cookie`), where
    /// a browser page's scripts cannot read it.
    #[serde(default)]
    pub session: SessionKeeping,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionKeeping {
    #[default]
    Body,
    Cookie,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The refresh token; leave it out when the session keeps it in the cookie.
    pub refresh_token: Option<String>,
}

/// Sign in: an access token (15 minutes) and a refresh token (30 days), in the answer or,
/// for a browser, in a cookie its scripts cannot read.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse,
            headers(("Set-Cookie" = String, description = "With `\"session\": \"cookie\"`: the refresh token, `HttpOnly; SameSite=Strict; Path=/api/v1/auth/refresh`"))),
        WriteErrors,
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<Response, Problem> {
    let client = client.and_then(|c| c.0.0);
    let session = state.content.login(&state.jwt, client, &body.email, &body.password).await?;
    Ok(session_answer(&state, &headers, session, body.session))
}

/// Trade a refresh token for a new pair. Each works once; reusing a spent one revokes every
/// session of that sign-in. A browser session sends no body: its cookie is read, and
/// replaced.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    security(()),
    request_body(content = Option<RefreshBody>, description = "The refresh token; none with a cookie session"),
    responses(
        (status = 200, description = "A new pair", body = TokenResponse,
            headers(("Set-Cookie" = String, description = "A cookie session's next refresh token"))),
        WriteErrors,
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let client = client.and_then(|c| c.0.0);
    let sent = optional_json::<RefreshBody>(&headers, &body)?.refresh_token;
    let (token, keeping) = match (sent, session_cookie::read(&headers)) {
        (Some(token), _) => (token, SessionKeeping::Body),
        (None, Some(token)) => {
            session_cookie::same_origin(&headers)?;
            (token, SessionKeeping::Cookie)
        }
        // Nothing to refresh is a missing credential, like a missing bearer token: 401.
        (None, None) => {
            return Err(ContentError::Unauthenticated(
                "no refresh token: send `refresh_token`, or sign in with `\"session\": \"cookie\"` to keep it in a cookie"
                    .into(),
            )
            .into());
        }
    };
    match state.content.refresh(&state.jwt, client, &token).await {
        Ok(session) => Ok(session_answer(&state, &headers, session, keeping)),
        // A cookie that no longer works is dropped, so the browser stops sending it; one
        // refused for a passing reason (too many attempts, the database) is kept.
        Err(e @ ContentError::Unauthenticated(_)) if keeping == SessionKeeping::Cookie => {
            let mut res = Problem::from(e).into_response();
            res.headers_mut().insert(header::SET_COOKIE, session_cookie::clear(&state, &headers));
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// End a browser session: the sign-in its cookie belongs to is revoked, and the cookie
/// cleared.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    security(()),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared",
            headers(("Set-Cookie" = String, description = "The refresh cookie, expired"))),
        WriteErrors,
    )
)]
pub async fn end_cookie_session(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Some(token) = session_cookie::read(&headers) {
        session_cookie::same_origin(&headers)?;
        if let Err(e) = state.content.logout(&token).await {
            // Not signed out on the server: say so, but let the browser forget the cookie.
            res = Problem::from(e).into_response();
        }
    }
    res.headers_mut().insert(header::SET_COOKIE, session_cookie::clear(&state, &headers));
    Ok(res)
}

/// The answer to a sign-in or a refresh, with the refresh token where the session keeps it.
fn session_answer(state: &AppState, headers: &HeaderMap, session: Session, keeping: SessionKeeping) -> Response {
    let cookie =
        (keeping == SessionKeeping::Cookie).then(|| session_cookie::set(state, headers, &session.refresh_token));
    let mut body = TokenResponse::from(session);
    if cookie.is_some() {
        body.refresh_token = None;
    }
    let mut res = axum::Json(body).into_response();
    if let Some(cookie) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    res
}

/// A JSON body that may be absent or empty.
fn optional_json<T: serde::de::DeserializeOwned + Default>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    // No body, an empty one, or JSON `null`: nothing sent.
    if body.iter().all(u8::is_ascii_whitespace) || (body.trim_ascii() == b"null" && super::extract::is_json(headers)) {
        return Ok(T::default());
    }
    if !super::extract::is_json(headers) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "the body must be JSON, sent with `Content-Type: application/json`",
        ));
    }
    super::extract::parse_json(body)
}

/// The refresh cookie of a browser session: `HttpOnly` (no script reads it), `SameSite=Strict`
/// (no other site's page sends it), and sent only to the refresh route. `Secure` unless the
/// publication is plainly not on https: a public URL of `http://`, or, with none set, a
/// request to this machine itself (`localhost`, a loopback address).
mod session_cookie {
    use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

    use super::Problem;
    use crate::app::AppState;
    use crate::content::accounts::REFRESH_TTL;

    const NAME: &str = "colophon_refresh";
    const PATH: &str = "/api/v1/auth/refresh";

    fn secure(state: &AppState, headers: &HeaderMap) -> bool {
        if let Some(url) = &state.feeds.public_url {
            return url.starts_with("https://");
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let name = host.rsplit_once(':').filter(|(h, _)| !h.ends_with(':')).map_or(host, |(h, _)| h);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let local = name == "localhost"
            || name.ends_with(".localhost")
            || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        !local
    }

    fn attributes(state: &AppState, headers: &HeaderMap) -> String {
        let secure = if secure(state, headers) { "; Secure" } else { "" };
        format!("; HttpOnly; SameSite=Strict; Path={PATH}{secure}")
    }

    pub fn set(state: &AppState, headers: &HeaderMap, token: &str) -> HeaderValue {
        let value = format!("{NAME}={token}; Max-Age={}{}", REFRESH_TTL.as_secs(), attributes(state, headers));
        HeaderValue::from_str(&value).expect("a token of URL-safe characters")
    }

    pub fn clear(state: &AppState, headers: &HeaderMap) -> HeaderValue {
        HeaderValue::from_str(&format!("{NAME}=; Max-Age=0{}", attributes(state, headers))).expect("a fixed value")
    }

    pub fn read(headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == NAME)
            .map(|(_, value)| value.to_string())
            .filter(|v| !v.is_empty())
    }

    /// A cookie is sent with whatever a page asks for; only this origin's pages may use it.
    /// `SameSite=Strict` keeps other sites out, but not a sibling subdomain, which the
    /// browser's `Sec-Fetch-Site` (or, from an older browser, `Origin`) names.
    pub fn same_origin(headers: &HeaderMap) -> Result<(), Problem> {
        let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        let ok = match (text("sec-fetch-site"), text(header::ORIGIN.as_str())) {
            (Some(site), _) => site == "same-origin" || site == "none",
            (None, Some(origin)) => {
                let host = text(header::HOST.as_str()).unwrap_or("");
                origin.split_once("://").is_some_and(|(_, rest)| rest == host)
            }
            (None, None) => true, // not a browser: it holds the cookie's value itself
        };
        if ok {
            Ok(())
        } else {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "a browser session is used only by pages of this origin",
            ))
        }
    }
}

/// End the sign-in this refresh token belongs to.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"), WriteErrors)
)]
pub async fn sign_out(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> Result<StatusCode, Problem> {
    state.content.logout(&body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Author,
    Editor,
    Admin,
}

impl From<Role> for ServiceRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Author => ServiceRole::Author,
            Role::Editor => ServiceRole::Editor,
            Role::Admin => ServiceRole::Admin,
        }
    }
}

impl From<ServiceRole> for Role {
    fn from(r: ServiceRole) -> Self {
        match r {
            ServiceRole::Author => Role::Author,
            ServiceRole::Editor => Role::Editor,
            ServiceRole::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: Option<String>,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for User {
    fn from(u: user::Model) -> Self {
        User {
            id: u.id.to_string(),
            email: u.email,
            name: u.display_name,
            role: ServiceRole::parse(&u.role).unwrap_or(ServiceRole::Author).into(),
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserData {
    pub data: Option<User>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub data: Vec<User>,
}

/// The account behind the caller's token; `data` is null for a token without one.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's account", body = UserData), WriteErrors)
)]
pub async fn me(State(state): State<AppState>, Signed(viewer): Signed) -> Result<axum::Json<UserData>, Problem> {
    Ok(axum::Json(UserData { data: state.content.me(&viewer).await?.map(Into::into) }))
}

/// Every account. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "Every account", body = UserList), WriteErrors)
)]
pub async fn list_users(
    State(state): State<AppState>,
    Signed(viewer): Signed,
) -> Result<axum::Json<UserList>, Problem> {
    Ok(axum::Json(UserList { data: state.content.users(&viewer).await?.into_iter().map(Into::into).collect() }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    #[schema(value_type = super::fields::Name)]
    pub name: String,
    pub role: Role,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

/// Create an account. Admins only.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "auth",
    request_body = CreateUser,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = UserData,
        headers(("Location" = String, description = "The new account's URL"))), WriteErrors)
)]
pub async fn create_user(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<Response, Problem> {
    let input = NewUser { email: body.email, name: body.name, role: body.role.into(), password: body.password };
    let u = state.content.create_user(&viewer, input).await?;
    Ok(created(format!("/api/v1/users/{}", u.id), UserData { data: Some(u.into()) }))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(value_type = Option<super::fields::Name>)]
    pub name: Option<String>,
    pub role: Option<Role>,
    /// Disabling ends the user's sessions.
    pub disabled: Option<bool>,
    #[schema(min_length = 10, max_length = 1024)]
    pub password: Option<String>,
}

/// Rename, change role, disable or re-enable an account. Admins only.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "auth",
    params(("id" = String, Path, description = "The account's id or email")),
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses((status = 200, description = "The account", body = UserData), WriteErrors)
)]
pub async fn update_user(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateUser>,
) -> Result<axum::Json<UserData>, Problem> {
    let patch = UserPatch {
        name: body.name,
        role: body.role.map(Into::into),
        disabled: body.disabled,
        password: body.password,
    };
    let u = state.content.update_user(&viewer, &id, patch).await?;
    Ok(axum::Json(UserData { data: Some(u.into()) }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Like `article.publish`.
    pub action: String,
    /// The subject that did it.
    pub actor: String,
    /// Like `article:42`.
    pub target: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    pub data: Vec<AuditEntry>,
    pub meta: ListMeta,
}

/// Every mutation, newest first. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "editorial",
    params(TrashParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of the audit log", body = AuditLog), ReadErrors, WriteErrors)
)]
pub async fn audit_log(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    QueryParams(params): QueryParams<TrashParams>,
) -> Result<axum::Json<AuditLog>, Problem> {
    let page = PageArgs { first: params.limit, after: params.cursor, names: LIST_NAMES, ..Default::default() };
    let result = state.content.audit_log(&viewer, &page).await?;
    let next_cursor = result.next_cursor();
    Ok(axum::Json(AuditLog {
        meta: ListMeta { total: result.total, limit: params.limit.unwrap_or(20) as u64, next_cursor },
        data: result
            .items
            .into_iter()
            .map(|(_, e)| AuditEntry { action: e.action, actor: e.actor, target: e.target, created_at: e.created_at })
            .collect(),
    }))
}
