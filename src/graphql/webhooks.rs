//! GraphQL types for webhooks (admins only; see `content::webhooks`).

use async_graphql::{ID, InputObject, MaybeUndefined, SimpleObject};

use super::objects::PageInfo;
use super::types::{DateTimeUtc, maybe};
use crate::content::model::Page;
use crate::content::webhooks::{DeliveryView, NewWebhook, WebhookPatch, WebhookView};
use crate::entities::webhook;

#[derive(SimpleObject, Clone)]
pub struct Webhook {
    pub id: ID,
    pub url: String,
    /// Event filters: `article.published`, `tag.*` or `*`.
    pub events: Vec<String>,
    pub active: bool,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl From<WebhookView> for Webhook {
    fn from(w: WebhookView) -> Self {
        Webhook {
            id: ID(w.id.to_string()),
            url: w.url,
            events: w.events,
            active: w.active,
            description: w.description,
            created_at: DateTimeUtc(w.created_at),
            updated_at: DateTimeUtc(w.updated_at),
        }
    }
}

/// A new webhook with its signing secret, which is shown this once.
#[derive(SimpleObject)]
pub struct CreatedWebhook {
    pub id: ID,
    /// `whsec_` + base64 of the key that signs every delivery (Standard Webhooks). Keep it:
    /// it is never shown again.
    pub secret: String,
    pub webhook: Webhook,
}

impl From<webhook::Model> for CreatedWebhook {
    fn from(w: webhook::Model) -> Self {
        let secret = w.secret.clone();
        CreatedWebhook { id: ID(w.id.to_string()), secret, webhook: WebhookView::from(w).into() }
    }
}

#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to POST events: an absolute http(s) URL.
    pub url: String,
    /// `article.published`, `article.updated`, `article.unpublished`, `article.deleted`,
    /// `tag.created|updated|deleted`, `category.…`, `series.…`, a kind like `tag.*`, or `*`.
    pub events: Vec<String>,
    pub description: Option<String>,
}

impl From<CreateWebhookInput> for NewWebhook {
    fn from(i: CreateWebhookInput) -> Self {
        NewWebhook { url: i.url, events: i.events, description: i.description }
    }
}

#[derive(InputObject)]
pub struct UpdateWebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// An inactive webhook gets no new deliveries.
    pub active: Option<bool>,
    pub description: MaybeUndefined<String>,
}

impl From<UpdateWebhookInput> for WebhookPatch {
    fn from(i: UpdateWebhookInput) -> Self {
        WebhookPatch { url: i.url, events: i.events, active: i.active, description: maybe(i.description) }
    }
}

#[derive(SimpleObject, Clone)]
pub struct WebhookDelivery {
    pub id: ID,
    pub webhook_id: ID,
    /// Like `article.published`.
    pub event: String,
    pub event_id: ID,
    /// `pending`, `delivered` or `failed` (gave up after a day of retries).
    pub state: String,
    pub attempts: i32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    /// The endpoint's HTTP status on the last try.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

impl From<DeliveryView> for WebhookDelivery {
    fn from(d: DeliveryView) -> Self {
        WebhookDelivery {
            id: ID(d.id.to_string()),
            webhook_id: ID(d.webhook_id.to_string()),
            event: d.event,
            event_id: ID(d.event_id.to_string()),
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.map(DateTimeUtc),
            last_attempt_at: d.last_attempt_at.map(DateTimeUtc),
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: DateTimeUtc(d.created_at),
        }
    }
}

#[derive(SimpleObject)]
pub struct WebhookDeliveryConnection {
    pub nodes: Vec<WebhookDelivery>,
    pub page_info: PageInfo,
    pub total_count: u64,
}

impl From<Page<DeliveryView>> for WebhookDeliveryConnection {
    fn from(page: Page<DeliveryView>) -> Self {
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.start_cursor().map(str::to_string),
            end_cursor: page.end_cursor().map(str::to_string),
        };
        WebhookDeliveryConnection {
            nodes: page.items.into_iter().map(|(_, d)| d.into()).collect(),
            page_info,
            total_count: page.total,
        }
    }
}
