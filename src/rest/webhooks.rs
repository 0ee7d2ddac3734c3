//! `/api/v1/webhooks`: endpoints for events, their delivery log and redelivery. Admins only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::articles::{LIST_NAMES, ListMeta, nullable};
use super::editorial::TrashParams;
use super::extract::{JsonBody, Path, QueryParams, Signed};
use super::problem::{Problem, ReadErrors, WriteErrors};
use super::tags::created;
use crate::app::AppState;
use crate::content::PageArgs;
use crate::content::webhooks::{DeliveryView, NewWebhook, WebhookPatch, WebhookView};

#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Event filters: `article.published`, `tag.*` or `*`.
    pub events: Vec<String>,
    pub active: bool,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookView> for Webhook {
    fn from(w: WebhookView) -> Self {
        Webhook {
            id: w.id.to_string(),
            url: w.url,
            events: w.events,
            active: w.active,
            description: w.description,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookData {
    pub data: Webhook,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<Webhook>,
}

/// A new webhook with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` + base64 of the key that signs every delivery (Standard Webhooks). Keep it:
    /// it is never shown again.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookData {
    pub data: CreatedWebhook,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where to POST events: an absolute http(s) URL.
    pub url: String,
    /// `article.published`, `article.updated`, `article.unpublished`, `article.deleted`,
    /// `tag.created|updated|deleted`, `category.…`, `series.…`, a kind like `tag.*`, or `*`.
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// Absent fields are kept.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// An inactive webhook gets no new deliveries.
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    /// Like `article.published`.
    pub event: String,
    pub event_id: String,
    /// `pending`, `delivered` or `failed` (gave up after a day of retries).
    pub state: String,
    pub attempts: i32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The endpoint's HTTP status on the last try.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryView> for Delivery {
    fn from(d: DeliveryView) -> Self {
        Delivery {
            id: d.id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            event: d.event,
            event_id: d.event_id.to_string(),
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryData {
    pub data: Delivery,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryLog {
    pub data: Vec<Delivery>,
    pub meta: ListMeta,
}

/// Every webhook. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, description = "The webhooks", body = WebhookList), ReadErrors, WriteErrors)
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Signed(viewer): Signed,
) -> Result<axum::Json<WebhookList>, Problem> {
    let list = state.content.webhooks(&viewer).await?;
    Ok(axum::Json(WebhookList { data: list.into_iter().map(Into::into).collect() }))
}

/// Register an endpoint for events. Admins only.
///
/// The answer carries the signing secret, this once.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    request_body = CreateWebhook,
    security(("bearer" = [])),
    responses((status = 201, description = "Created, with its secret", body = CreatedWebhookData,
        headers(("Location" = String, description = "The webhook's URL"))), WriteErrors)
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    JsonBody(body): JsonBody<CreateWebhook>,
) -> Result<Response, Problem> {
    let input = NewWebhook { url: body.url, events: body.events, description: body.description };
    let w = state.content.create_webhook(&viewer, input).await?;
    let secret = w.secret.clone();
    let webhook: Webhook = WebhookView::from(w).into();
    Ok(created(
        format!("/api/v1/webhooks/{}", webhook.id),
        CreatedWebhookData { data: CreatedWebhook { webhook, secret } },
    ))
}

/// One webhook (without its secret). Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The webhook", body = WebhookData), ReadErrors, WriteErrors)
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<axum::Json<WebhookData>, Problem> {
    Ok(axum::Json(WebhookData { data: state.content.webhook(&viewer, &id).await?.into() }))
}

/// Change a webhook's address, events or description, or pause it. Admins only.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    request_body = UpdateWebhook,
    security(("bearer" = [])),
    responses((status = 200, description = "The webhook", body = WebhookData), WriteErrors)
)]
pub async fn update_webhook(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateWebhook>,
) -> Result<axum::Json<WebhookData>, Problem> {
    let patch = WebhookPatch { url: body.url, events: body.events, active: body.active, description: body.description };
    Ok(axum::Json(WebhookData { data: state.content.update_webhook(&viewer, &id, patch).await?.into() }))
}

/// Delete a webhook and its delivery log. Admins only.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), WriteErrors)
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.content.delete_webhook(&viewer, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's deliveries, newest first. Admins only.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id"), TrashParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of the delivery log", body = DeliveryLog), ReadErrors, WriteErrors)
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<TrashParams>,
) -> Result<axum::Json<DeliveryLog>, Problem> {
    let page = PageArgs { first: params.limit, after: params.cursor, names: LIST_NAMES, ..Default::default() };
    let result = state.content.webhook_deliveries(&viewer, &id, &page).await?;
    let next_cursor = result.next_cursor();
    Ok(axum::Json(DeliveryLog {
        meta: ListMeta { total: result.total, limit: params.limit.unwrap_or(20) as u64, next_cursor },
        data: result.items.into_iter().map(|(_, d)| d.into()).collect(),
    }))
}

/// Send a delivery's event again, as a new delivery. Admins only.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id"),
        ("delivery_id" = String, Path, description = "The delivery to send again"),
    ),
    security(("bearer" = [])),
    responses((status = 201, description = "The new delivery", body = DeliveryData), WriteErrors)
)]
pub async fn redeliver(
    State(state): State<AppState>,
    Signed(viewer): Signed,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let d = state.content.redeliver(&viewer, &id, &delivery_id).await?;
    Ok(created(format!("/api/v1/webhooks/{id}/deliveries"), DeliveryData { data: d.into() }))
}
