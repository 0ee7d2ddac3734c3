//! Delivering webhook events: a worker on every instance claims due deliveries from the
//! database (`content::webhooks`), signs each per Standard Webhooks and POSTs it. A failed
//! send is retried with exponential backoff for a day. Writes never wait for any of this:
//! they only add delivery rows.

pub mod signing;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::content::Content;
use crate::content::webhooks::{DueDelivery, Outcome};

/// How the worker sends. From the environment: `COLOPHON_WEBHOOK_RETRY_BASE_MS`.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The first retry's delay; each next one doubles it (up to [`MAX_DELAY`]).
    pub retry_base: Duration,
    /// How long retries go on after a delivery is made.
    pub window: Duration,
    /// One send's limit, connection included.
    pub timeout: Duration,
    /// How often an idle worker looks for due deliveries.
    pub poll: Duration,
    /// Sends in flight at once per instance: a slow endpoint holds one slot, not the worker.
    pub concurrency: usize,
    /// `COLOPHON_WEBHOOK_ALLOW_PRIVATE`: whether endpoints may be on this host or a private
    /// network. Off, a name is resolved at each send and only public addresses are called.
    pub allow_private: bool,
}

/// No retry waits longer than this, however many came before.
pub const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_base: Duration::from_secs(10),
            window: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
            concurrency: 16,
            allow_private: true,
        }
    }
}

impl WebhookSettings {
    /// When to try again after `attempts` failed sends of a delivery made at `created_at`,
    /// or `None` when the next try would fall outside the retry window.
    pub fn next_attempt(&self, created_at: DateTime<Utc>, now: DateTime<Utc>, attempts: i32) -> Option<DateTime<Utc>> {
        let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
        let delay = self.retry_base.saturating_mul(2u32.saturating_pow(doublings)).min(MAX_DELAY);
        let at = now + chrono::Duration::from_std(delay).ok()?;
        let end = created_at + chrono::Duration::from_std(self.window).ok()?;
        (at <= end).then_some(at)
    }
}

/// Runs the worker until the process ends.
pub fn spawn(content: Content, settings: WebhookSettings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(content, settings))
}

pub async fn run(content: Content, settings: WebhookSettings) {
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Colophon-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_private {
        // Through a proxy from the environment, the proxy would resolve the name instead.
        builder = builder.dns_resolver(Arc::new(PublicOnly)).no_proxy();
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: cannot build an HTTP client; no deliveries will be sent");
            return;
        }
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1)));
    // A claimed delivery stays claimed well past one send's timeout.
    let lease = chrono::Duration::from_std(settings.timeout + Duration::from_secs(30)).expect("a short lease");
    loop {
        let free = slots.available_permits();
        let claimed = if free == 0 {
            Vec::new()
        } else {
            match content.claim_deliveries(free as u64, lease).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: claiming deliveries failed");
                    Vec::new()
                }
            }
        };
        let busy = !claimed.is_empty() && claimed.len() == free;
        for d in claimed {
            let permit = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
            let (client, content, settings) = (client.clone(), content.clone(), settings.clone());
            tokio::spawn(async move {
                let outcome = send(&client, &settings, &d).await;
                if let Err(e) = content.finish_delivery(&d, &outcome).await {
                    tracing::warn!(error = %e, delivery = d.id, "webhooks: recording a delivery failed");
                }
                drop(permit);
            });
        }
        if !busy {
            tokio::time::sleep(settings.poll).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
}

/// The body a receiver gets: Standard Webhooks' `type`, `timestamp` and `data`.
pub fn payload(d: &DueDelivery) -> String {
    serde_json::json!({
        "type": d.event,
        "timestamp": d.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": d.data,
    })
    .to_string()
}

/// The message id: one event for one endpoint, the same on every retry so receivers can
/// drop a message they already have.
pub fn message_id(d: &DueDelivery) -> String {
    format!("msg_{}_{}", d.event_id, d.webhook_id)
}

/// Resolves names as the system does, then keeps only public addresses: what the endpoint's
/// name points to is checked at every send, so it cannot be moved onto a private address
/// after it was saved (DNS rebinding), and the connection goes to an address that passed.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> =
                found.iter().copied().filter(|a| !crate::content::webhooks::is_private(a.ip())).collect();
            if public.is_empty() {
                let why = format!("`{host}` resolves only to loopback, private or link-local addresses");
                return Err(why.into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

async fn send(client: &reqwest::Client, settings: &WebhookSettings, d: &DueDelivery) -> Outcome {
    if !settings.allow_private
        && let Some(ip) = url::Url::parse(&d.url).ok().and_then(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        })
        && crate::content::webhooks::is_private(ip)
    {
        // Saved before the setting was turned off: refused, and not retried.
        let error = format!("{ip} is a loopback, private or link-local address (COLOPHON_WEBHOOK_ALLOW_PRIVATE=off)");
        return Outcome::Failed { status: None, error, retry_at: None };
    }
    let body = payload(d);
    let id = message_id(d);
    let now = Utc::now();
    let retry_at = settings.next_attempt(d.created_at, now, d.attempts);
    let signature = match signing::sign(&d.secret, &id, now.timestamp(), &body) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed { status: None, error: e.to_string(), retry_at: None },
    };
    let res = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", now.timestamp().to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Outcome::Delivered { status: r.status().as_u16() },
        Ok(r) => Outcome::Failed {
            status: Some(r.status().as_u16()),
            error: format!("the endpoint answered {}", r.status()),
            retry_at,
        },
        Err(e) => {
            let url = crate::content::webhooks::shown_url(&d.url);
            tracing::debug!(error = %e, url, "webhooks: send failed");
            Outcome::Failed { status: None, error: error_chain(&e), retry_at }
        }
    }
}

/// reqwest's top error says "error sending request"; the cause says why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retries_double_and_stop_after_the_window() {
        let s = WebhookSettings { retry_base: Duration::from_secs(10), ..Default::default() };
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(s.next_attempt(t0, t0, 1), Some(t0 + chrono::Duration::seconds(10)));
        assert_eq!(s.next_attempt(t0, t0, 2), Some(t0 + chrono::Duration::seconds(20)));
        assert_eq!(s.next_attempt(t0, t0, 4), Some(t0 + chrono::Duration::seconds(80)));
        // Capped at six hours however many came before.
        assert_eq!(s.next_attempt(t0, t0, 40), Some(t0 + chrono::Duration::hours(6)));
        // Nothing past a day after the delivery was made.
        let late = t0 + chrono::Duration::hours(20);
        assert_eq!(s.next_attempt(t0, late, 40), None);
        assert!(s.next_attempt(t0, t0 + chrono::Duration::hours(23), 1).is_some());
        // Every retry of a day's schedule: about fourteen with a 10 s base.
        let (mut now, mut n) = (t0, 0);
        while let Some(at) = s.next_attempt(t0, now, n + 1) {
            now = at;
            n += 1;
        }
        assert!((12..=16).contains(&n), "{n} retries");
    }
}
