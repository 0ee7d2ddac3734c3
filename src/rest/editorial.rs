//! The editorial workflow on REST: revisions, the trash, preview tokens, accounts and
//! sessions, the audit log.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticleData, ArticleList, LIST_NAMES, ListMeta, article_dto, article_dtos};
use super::extract::{JsonBody, Path, QueryParams, Signed};
use super::problem::{Problem, ReadErrors, WriteErrors};
use super::tags::created;
use crate::app::AppState;
use crate::content::accounts::{NewUser, Session, UserPatch};
use crate::content::{PageArgs, Role as ServiceRole};
use crate::entities::{article_revision, user};
use crate::guard::ClientIp;

#[derive(Debug, Serialize, ToSchema)]
pub struct Revision {
    pub version: i32,
    pub title: String,
    /// The subject of whoever made the change (`system` for the scheduler).
    pub editor: String,
    pub created_at: DateTime<Utc>,
}

impl From<article_revision::Model> for Revision {
    fn from(r: article_revision::Model) -> Self {
        Revision { version: r.version, title: r.title, editor: r.editor, created_at: r.created_at }
    }
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
    /// Trade for a new pair at `/api/v1/auth/refresh`; works once.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

impl From<Session> for TokenResponse {
    fn from(s: Session) -> Self {
        TokenResponse {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
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
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Sign in: an access token (15 minutes) and a refresh token (30 days).
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "auth",
    security(()),
    request_body = Credentials,
    responses((status = 200, description = "Signed in", body = TokenResponse), WriteErrors)
)]
pub async fn sign_in(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    JsonBody(body): JsonBody<Credentials>,
) -> Result<axum::Json<TokenResponse>, Problem> {
    let client = client.and_then(|c| c.0.0);
    Ok(axum::Json(state.content.login(&state.jwt, client, &body.email, &body.password).await?.into()))
}

/// Trade a refresh token for a new pair. Each works once; reusing a spent one revokes every
/// session of that sign-in.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses((status = 200, description = "A new pair", body = TokenResponse), WriteErrors)
)]
pub async fn refresh(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> Result<axum::Json<TokenResponse>, Problem> {
    let client = client.and_then(|c| c.0.0);
    Ok(axum::Json(state.content.refresh(&state.jwt, client, &body.refresh_token).await?.into()))
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
