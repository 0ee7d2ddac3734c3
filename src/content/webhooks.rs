//! Webhooks: endpoints admins register with event filters, and their deliveries. A
//! delivery row is made for each matching endpoint in the transaction that records the
//! event (`changes::record`), so an event is never lost and never announced for a change
//! that rolled back. Sending is the worker's (`crate::webhooks`): it claims due deliveries
//! with a lease, so with several instances each delivery is sent by one at a time.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::articles::{PageArgs, parse_id};
use super::changes::names;
use super::cursor::{Cursor, SortKey};
use super::input::{Checker, non_empty};
use super::model::Page;
use super::sql::Sql;
use super::{Content, ContentError, Result, Viewer};
use crate::entities::{article, category, event, series, tag, webhook, webhook_delivery};

pub const STATE_PENDING: &str = "pending";
pub const STATE_DELIVERED: &str = "delivered";
pub const STATE_FAILED: &str = "failed";

const FILTERS_MAX: usize = 32;
const DESCRIPTION_MAX: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    pub description: Option<Option<String>>,
}

/// A webhook as admins see it after creation: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookView {
    pub id: i32,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<webhook::Model> for WebhookView {
    fn from(w: webhook::Model) -> Self {
        WebhookView {
            id: w.id,
            events: split_filters(&w.events),
            url: shown_url(&w.url),
            active: w.active,
            description: w.description,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// One delivery in an endpoint's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryView {
    pub id: i32,
    pub webhook_id: i32,
    pub event_id: i32,
    pub event: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn split_filters(raw: &str) -> Vec<String> {
    raw.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Whether an event name matches a filter: exact, `kind.*`, or `*`.
pub fn matches(filter: &str, event: &str) -> bool {
    filter == "*"
        || filter == event
        || filter.strip_suffix(".*").is_some_and(|kind| event.split_once('.').is_some_and(|(k, _)| k == kind))
}

fn check_filters(c: &mut Checker, field: &str, events: &[String]) {
    if events.is_empty() {
        c.push(field, "must name at least one event, like `article.published`, `tag.*` or `*`");
        return;
    }
    if events.len() > FILTERS_MAX {
        c.push(field, format!("must list at most {FILTERS_MAX} filters"));
        return;
    }
    for e in events {
        if !names::ALL.iter().any(|name| matches(e, name)) || e.contains(',') {
            c.push(
                field,
                format!(
                    "`{}` is not an event; use one of {}, a `kind.*` or `*`",
                    e.escape_debug(),
                    names::ALL.join(", ")
                ),
            );
            return;
        }
    }
}

/// A new signing secret: `whsec_` + base64 of 24 random bytes (Standard Webhooks).
fn new_secret() -> String {
    use base64::Engine;
    let key: [u8; 24] = rand::random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// Makes the deliveries for events just recorded (ids after `before`), one per matching
/// active endpoint. Called by `changes::record` in the writing transaction.
pub(crate) async fn fan_out(txn: &DatabaseTransaction, before: i32, now: DateTime<Utc>) -> Result<()> {
    let mut hooks = webhook::Entity::find().filter(webhook::Column::Active.eq(true));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Now, not at the delivery inserts: a webhook deleted meanwhile waits for this write
        // instead of failing it, and no lock is taken after the change log's.
        hooks = hooks.lock(sea_orm::sea_query::LockType::KeyShare);
    }
    let hooks = hooks.all(txn).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let events: Vec<(i32, String)> = event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::Event])
        .filter(event::Column::Id.gt(before))
        .into_tuple()
        .all(txn)
        .await?;
    let mut rows = Vec::new();
    for (event_id, name) in &events {
        for h in &hooks {
            if split_filters(&h.events).iter().any(|f| matches(f, name)) {
                rows.push(webhook_delivery::ActiveModel {
                    webhook_id: Set(h.id),
                    event_id: Set(*event_id),
                    state: Set(STATE_PENDING.into()),
                    attempts: Set(0),
                    next_attempt_at: Set(now),
                    created_at: Set(now),
                    ..Default::default()
                });
            }
        }
    }
    for chunk in rows.chunks(500) {
        webhook_delivery::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

async fn find_webhook(db: &impl ConnectionTrait, id: &str) -> Result<webhook::Model> {
    let not_found = || ContentError::NotFound(format!("webhook `{}`", id.escape_debug()));
    let id = parse_id(id).ok_or_else(not_found)?;
    webhook::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)
}

/// A claimed delivery, with what the worker needs to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i32,
    /// The lease this claim holds: its finish counts only while the lease is still its own.
    pub lease_until: DateTime<Utc>,
    pub webhook_id: i32,
    pub event_id: i32,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub occurred_at: DateTime<Utc>,
    /// The event's `data`: what it is about.
    pub data: serde_json::Value,
}

/// How a send went.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered {
        status: u16,
    },
    /// Retry at `retry_at`, or give up when `None`.
    Failed {
        status: Option<u16>,
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// A webhook URL as admins and the worker read it: `http` or `https` in any case, a host, a
/// port that can exist; with `allow_private` off, no IP address of this or a private
/// network (names are resolved, and checked, when a delivery is sent). `None` after
/// pushing the problem.
pub fn check_url(c: &mut Checker, field: &str, raw: &str, allow_private: bool) -> Option<String> {
    let raw = raw.trim();
    if !c.url(field, raw) {
        return None;
    }
    let refuse = |c: &mut Checker, why: &str| {
        c.push(field, why.to_string());
        None
    };
    let url = match url::Url::parse(raw) {
        Ok(u) => u,
        Err(url::ParseError::InvalidPort) => return refuse(c, "has a port that cannot exist (1-65535)"),
        Err(e) => return refuse(c, &format!("is not a URL ({e})")),
    };
    if url.port() == Some(0) {
        return refuse(c, "has a port that cannot exist (1-65535)");
    }
    let Some(host) = url.host() else { return refuse(c, "names no host") };
    let literal = match host {
        url::Host::Ipv4(ip) => Some(std::net::IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(std::net::IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    };
    if !allow_private && literal.is_some_and(is_private) {
        return refuse(c, "is a loopback, private, link-local or metadata address, which this server does not call");
    }
    Some(url.to_string())
}

/// Addresses a webhook must not reach when `COLOPHON_WEBHOOK_ALLOW_PRIVATE=off`: this host,
/// private and shared networks, link-local (cloud metadata at 169.254.169.254 among them),
/// and anything not a unicast address on the internet.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded =
                |hi: u16, lo: u16| IpAddr::V4(std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_private(embedded(s[6], s[7])); // IPv4-compatible (::a.b.c.d)
            }
            if s[0] == 0x2002 {
                return is_private(embedded(s[1], s[2])); // 6to4 carries an IPv4 address
            }
            if s[0] == 0x2001 && s[1] == 0 {
                return true; // Teredo: the address inside is not the one reached
            }
            let first = s[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local (AWS metadata fd00:ec2::254 too)
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x64 && v6.segments()[1] == 0xff9b) // NAT64 onto IPv4
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

/// The URL as listed back (and logged): credentials in it (`https://user:pass@…`, or a
/// token as the user name) are never shown.
pub fn shown_url(stored: &str) -> String {
    match url::Url::parse(stored) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("REDACTED");
            if u.password().is_some() {
                let _ = u.set_password(Some("REDACTED"));
            }
            u.to_string()
        }
        _ => stored.to_string(),
    }
}

impl Content {
    pub async fn create_webhook(&self, viewer: &Viewer, input: NewWebhook) -> Result<webhook::Model> {
        let principal = viewer.require_admin()?;
        let mut c = Checker::default();
        let url = check_url(&mut c, "url", &input.url, self.private_webhooks);
        check_filters(&mut c, "events", &input.events);
        if let Some(d) = &input.description {
            c.text("description", d, DESCRIPTION_MAX);
        }
        c.finish()?;
        let txn = self.begin_write().await?;
        let now = self.now();
        let created = webhook::ActiveModel {
            url: Set(url.unwrap_or_default()),
            events: Set(input.events.join(",")),
            secret: Set(new_secret()),
            active: Set(true),
            description: Set(non_empty(input.description)),
            created_by: Set(principal.subject.clone()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        super::audit::record(&txn, &principal.subject, "webhook.create", format!("webhook:{}", created.id)).await?;
        txn.commit().await?;
        Ok(created)
    }

    /// Every webhook, oldest first. Admins only.
    pub async fn webhooks(&self, viewer: &Viewer) -> Result<Vec<WebhookView>> {
        viewer.require_admin()?;
        let rows = webhook::Entity::find().order_by_asc(webhook::Column::Id).all(self.db()).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn webhook(&self, viewer: &Viewer, id: &str) -> Result<WebhookView> {
        viewer.require_admin()?;
        Ok(find_webhook(self.db(), id).await?.into())
    }

    pub async fn update_webhook(&self, viewer: &Viewer, id: &str, patch: WebhookPatch) -> Result<WebhookView> {
        let principal = viewer.require_admin()?;
        let mut c = Checker::default();
        let url = patch.url.as_deref().map(|u| check_url(&mut c, "url", u, self.private_webhooks));
        if let Some(e) = &patch.events {
            check_filters(&mut c, "events", e);
        }
        if let Some(Some(d)) = &patch.description {
            c.text("description", d, DESCRIPTION_MAX);
        }
        c.finish()?;
        let txn = self.begin_write().await?;
        let current = find_webhook(&txn, id).await?;
        let mut am: webhook::ActiveModel = current.clone().into();
        if let Some(Some(u)) = url {
            am.url = Set(u);
        }
        if let Some(e) = patch.events {
            am.events = Set(e.join(","));
        }
        if let Some(a) = patch.active {
            am.active = Set(a);
        }
        if let Some(d) = patch.description {
            am.description = Set(non_empty(d));
        }
        am.updated_at = Set(self.now());
        let updated = am.update(&txn).await?;
        super::audit::record(&txn, &principal.subject, "webhook.update", format!("webhook:{}", current.id)).await?;
        txn.commit().await?;
        Ok(updated.into())
    }

    /// Deletes the endpoint and its delivery log; pending deliveries are not sent.
    pub async fn delete_webhook(&self, viewer: &Viewer, id: &str) -> Result<()> {
        let principal = viewer.require_admin()?;
        let txn = self.begin_write().await?;
        let current = find_webhook(&txn, id).await?;
        webhook::Entity::delete_by_id(current.id).exec(&txn).await?;
        super::audit::record(&txn, &principal.subject, "webhook.delete", format!("webhook:{}", current.id)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// An endpoint's deliveries, newest first. Admins only.
    pub async fn webhook_deliveries(&self, viewer: &Viewer, id: &str, page: &PageArgs) -> Result<Page<DeliveryView>> {
        viewer.require_admin()?;
        let db = self.db();
        let hook = find_webhook(db, id).await?;
        let (size, after) = page.forward_cursor("deliveries")?;
        let mut q = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(hook.id))
            .order_by_desc(webhook_delivery::Column::Id);
        if let Some(c) = &after {
            q = q.filter(webhook_delivery::Column::Id.lt(c.id));
        }
        let total = {
            use sea_orm::PaginatorTrait;
            webhook_delivery::Entity::find().filter(webhook_delivery::Column::WebhookId.eq(hook.id)).count(db).await?
        };
        let mut rows = q.limit(size + 1).all(db).await?;
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let views = self.delivery_views(rows).await?;
        let items = views
            .into_iter()
            .map(|d| (Cursor { order: "deliveries".into(), key: SortKey::Int(d.id as i64), id: d.id }.encode(), d))
            .collect();
        Ok(Page { items, has_next_page: more, has_previous_page: after.is_some(), total })
    }

    /// Sends a delivery's event again, as a new delivery (the log keeps the old one).
    pub async fn redeliver(&self, viewer: &Viewer, webhook_id: &str, delivery_id: &str) -> Result<DeliveryView> {
        let principal = viewer.require_admin()?;
        let txn = self.begin_write().await?;
        let hook = find_webhook(&txn, webhook_id).await?;
        let not_found = || ContentError::NotFound(format!("delivery `{}`", delivery_id.escape_debug()));
        let old = match parse_id(delivery_id) {
            Some(id) => webhook_delivery::Entity::find_by_id(id)
                .filter(webhook_delivery::Column::WebhookId.eq(hook.id))
                .one(&txn)
                .await?
                .ok_or_else(not_found)?,
            None => return Err(not_found()),
        };
        let now = self.now();
        let created = webhook_delivery::ActiveModel {
            webhook_id: Set(hook.id),
            event_id: Set(old.event_id),
            state: Set(STATE_PENDING.into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        super::audit::record(&txn, &principal.subject, "webhook.redeliver", format!("webhook:{}", hook.id)).await?;
        txn.commit().await?;
        Ok(self.delivery_views(vec![created]).await?.pop().expect("one delivery"))
    }

    async fn delivery_views(&self, rows: Vec<webhook_delivery::Model>) -> Result<Vec<DeliveryView>> {
        let ids: Vec<i32> = rows.iter().map(|r| r.event_id).collect();
        let names: std::collections::HashMap<i32, String> = event::Entity::find()
            .select_only()
            .columns([event::Column::Id, event::Column::Event])
            .filter(event::Column::Id.is_in(ids))
            .into_tuple::<(i32, String)>()
            .all(self.db())
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| DeliveryView {
                id: r.id,
                webhook_id: r.webhook_id,
                event_id: r.event_id,
                event: names.get(&r.event_id).cloned().unwrap_or_default(),
                next_attempt_at: (r.state == STATE_PENDING).then_some(r.next_attempt_at),
                state: r.state,
                attempts: r.attempts,
                last_attempt_at: r.last_attempt_at,
                last_status: r.last_status,
                last_error: r.last_error,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Claims up to `limit` due deliveries for `lease`: no other worker takes them until it
    /// ends (a worker that dies mid-send leaves them to be retried after it).
    pub async fn claim_deliveries(&self, limit: u64, lease: Duration) -> Result<Vec<DueDelivery>> {
        let db = self.db();
        let now = self.now();
        let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
        // A read first: an idle worker takes no write lock (SQLite has only one).
        let due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::State.eq(STATE_PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .filter(
                webhook_delivery::Column::WebhookId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(webhook::Column::Id)
                        .from(webhook::Entity)
                        .and_where(webhook::Column::Active.eq(true))
                        .to_owned(),
                ),
            )
            .one(db)
            .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let lease_until = now + lease;
        let txn = self.begin_write().await?;
        let mut sql = Sql::new(db.get_database_backend());
        sql.push("UPDATE webhook_deliveries SET locked_until = ")
            .bind(lease_until)
            .push(", attempts = attempts + 1, last_attempt_at = ")
            .bind(now)
            .push(" WHERE state = 'pending' AND (locked_until IS NULL OR locked_until <= ")
            .bind(now)
            .push(") AND id IN (SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ")
            .bind(now)
            .push(" AND (locked_until IS NULL OR locked_until <= ")
            .bind(now)
            .push(") AND webhook_id IN (SELECT id FROM webhooks WHERE active = ")
            .bind(true)
            .push(") ORDER BY next_attempt_at, id LIMIT ")
            .bind(limit as i64);
        // Other workers skip what one has locked rather than wait for it; the conditions
        // repeated outside the subquery are checked again on a row another worker changed.
        sql.push(if postgres { " FOR UPDATE SKIP LOCKED)" } else { ")" });
        sql.push(" RETURNING id, webhook_id, event_id, attempts, created_at");
        let mut claimed = Vec::new();
        for row in txn.query_all_raw(sql.build()).await? {
            claimed.push((
                row.try_get::<i32>("", "id")?,
                row.try_get::<i32>("", "webhook_id")?,
                row.try_get::<i32>("", "event_id")?,
                row.try_get::<i32>("", "attempts")?,
                row.try_get::<DateTime<Utc>>("", "created_at")?,
            ));
        }
        txn.commit().await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let hooks: std::collections::HashMap<i32, webhook::Model> = webhook::Entity::find()
            .filter(webhook::Column::Id.is_in(claimed.iter().map(|c| c.1)))
            .all(db)
            .await?
            .into_iter()
            .map(|h| (h.id, h))
            .collect();
        let events: std::collections::HashMap<i32, event::Model> = event::Entity::find()
            .filter(event::Column::Id.is_in(claimed.iter().map(|c| c.2)))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let mut due = Vec::new();
        for (id, webhook_id, event_id, attempts, created_at) in claimed {
            let (Some(h), Some(e)) = (hooks.get(&webhook_id), events.get(&event_id)) else { continue };
            due.push(DueDelivery {
                id,
                lease_until,
                webhook_id,
                event_id,
                attempts,
                created_at,
                url: h.url.clone(),
                secret: h.secret.clone(),
                event: e.event.clone(),
                occurred_at: e.occurred_at,
                data: self.event_data(e).await?,
            });
        }
        Ok(due)
    }

    /// What an event is about, as it is now: its id and kind, and the names a receiver
    /// shows (receivers fetch the rest through the API).
    async fn event_data(&self, e: &event::Model) -> Result<serde_json::Value> {
        use serde_json::json;
        let db = self.db();
        let id = e.subject_id.to_string();
        let mut data = json!({ "object": e.subject, "id": id });
        let extra = match e.subject.as_str() {
            "article" => article::Entity::find_by_id(e.subject_id)
                .select_only()
                .columns([article::Column::Slug, article::Column::Title])
                .into_tuple::<(String, String)>()
                .one(db)
                .await?
                .map(|(slug, title)| json!({ "slug": slug, "title": title })),
            "tag" => {
                tag::Entity::find_by_id(e.subject_id).one(db).await?.map(|t| json!({ "slug": t.slug, "name": t.name }))
            }
            "category" => category::Entity::find_by_id(e.subject_id)
                .one(db)
                .await?
                .map(|c| json!({ "slug": c.slug, "name": c.name })),
            "series" => series::Entity::find_by_id(e.subject_id)
                .one(db)
                .await?
                .map(|s| json!({ "slug": s.slug, "title": s.title })),
            _ => None,
        };
        if let (Some(obj), Some(serde_json::Value::Object(more))) = (data.as_object_mut(), extra) {
            obj.extend(more);
        }
        Ok(data)
    }

    /// Records how a claimed delivery went and releases its lease, unless the lease ran out
    /// and another worker claimed it since (then that worker's word counts).
    pub async fn finish_delivery(&self, d: &DueDelivery, outcome: &Outcome) -> Result<()> {
        let mut am = webhook_delivery::ActiveModel { locked_until: Set(None), ..Default::default() };
        match outcome {
            Outcome::Delivered { status } => {
                am.state = Set(STATE_DELIVERED.into());
                am.last_status = Set(Some(i32::from(*status)));
                am.last_error = Set(None);
            }
            Outcome::Failed { status, error, retry_at } => {
                am.last_status = Set(status.map(i32::from));
                am.last_error = Set(Some(error.chars().take(500).collect()));
                match retry_at {
                    Some(at) => {
                        am.state = Set(STATE_PENDING.into());
                        am.next_attempt_at = Set(*at);
                    }
                    None => am.state = Set(STATE_FAILED.into()),
                }
            }
        }
        webhook_delivery::Entity::update_many()
            .set(am)
            .filter(webhook_delivery::Column::Id.eq(d.id))
            .filter(webhook_delivery::Column::LockedUntil.eq(d.lease_until))
            .exec(self.db())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_exactly_by_kind_or_all() {
        assert!(matches("article.published", "article.published"));
        assert!(!matches("article.published", "article.updated"));
        assert!(matches("tag.*", "tag.deleted"));
        assert!(!matches("tag.*", "article.deleted"));
        assert!(!matches("ta.*", "tag.deleted"));
        assert!(matches("*", "series.created"));
    }

    #[test]
    fn secrets_are_standard_webhooks_keys() {
        use base64::Engine;
        let s = new_secret();
        let key = s.strip_prefix("whsec_").expect("prefix");
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(key).unwrap().len(), 24);
        assert_ne!(s, new_secret());
    }
}
