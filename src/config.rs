//! Settings from flags and the environment (12-factor), checked at start-up. A bad or
//! missing setting is a `ConfigError` naming it; `main` prints it on one line and exits 2.

use std::net::SocketAddr;
use std::time::Duration;

use crate::feeds::{FeedSettings, links};
use crate::guard::client::IpNet;
use crate::rate_limit::Rate;
use crate::webhooks::WebhookSettings;

use crate::auth::{Jwt, MIN_SECRET_BYTES};

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://colophon.db?mode=rwc";

#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

fn bad(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { setting, problem: problem.into() }
}

pub fn parse_addr(raw: &str) -> Result<SocketAddr, ConfigError> {
    raw.trim()
        .parse()
        .map_err(|_| bad("COLOPHON_ADDR (--addr)", format!("`{raw}` is not an address like 127.0.0.1:8080")))
}

pub fn check_database_url(raw: &str) -> Result<String, ConfigError> {
    let ok = raw.starts_with("sqlite:") || raw.starts_with("postgres://") || raw.starts_with("postgresql://");
    if !ok {
        return Err(bad(
            "DATABASE_URL (--database-url)",
            "must start with sqlite: (e.g. sqlite://colophon.db?mode=rwc) or postgres://",
        ));
    }
    Ok(raw.to_string())
}

/// How often the scheduler looks for articles that fell due (`COLOPHON_SCHEDULER_INTERVAL`,
/// seconds, default 10).
pub fn scheduler_interval(raw: Option<&str>) -> Result<std::time::Duration, ConfigError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(std::time::Duration::from_secs(10)),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if (1..=3600).contains(&n) => Ok(std::time::Duration::from_secs(n)),
            _ => Err(bad("COLOPHON_SCHEDULER_INTERVAL", format!("`{s}` must be a number of seconds from 1 to 3600"))),
        },
    }
}

/// The in-process response cache (`COLOPHON_RESPONSE_CACHE`, `on` by default).
pub fn response_cache(raw: Option<&str>) -> Result<bool, ConfigError> {
    on_off("COLOPHON_RESPONSE_CACHE", raw, true)
}

/// An on/off setting (`on`, `true`, `1` / `off`, `false`, `0`); unset or empty: `default`.
fn on_off(setting: &'static str, raw: Option<&str>, default: bool) -> Result<bool, ConfigError> {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default),
        Some("on" | "true" | "1") => Ok(true),
        Some("off" | "false" | "0") => Ok(false),
        Some(other) => Err(bad(setting, format!("`{other}` must be `on` or `off`"))),
    }
}

/// How the server protects itself and reports on itself. Each field comes from one
/// environment variable, named beside it; `Default` is what an unset environment gives.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `COLOPHON_REQUEST_TIMEOUT`, seconds (fractions allowed): longer requests answer 503.
    pub request_timeout: Duration,
    /// `COLOPHON_MAX_IN_FLIGHT`: requests handled at once; more are shed with 503.
    pub max_in_flight: usize,
    /// `COLOPHON_CORS_ORIGINS`: origins browsers may call from (comma-separated, or `*`).
    pub cors_origins: CorsOrigins,
    /// `COLOPHON_RATE_LIMIT_READS`: per client, for requests without a valid token.
    pub read_rate: Option<Rate>,
    /// `COLOPHON_RATE_LIMIT_AUTH`: per client, for sign-in and refresh on both faces.
    pub auth_rate: Option<Rate>,
    /// `COLOPHON_TRUSTED_PROXIES`: proxies whose `X-Forwarded-For` is believed; by default
    /// the loopback addresses (a proxy on the same host).
    pub trusted_proxies: Vec<IpNet>,
    /// `COLOPHON_METRICS_TOKEN`: `/metrics` asks for it as a bearer token; unset, `/metrics`
    /// answers only this host.
    pub metrics_token: Option<String>,
    /// `COLOPHON_GRAPHQL_INTROSPECTION`: `on` (default) or `off`.
    pub introspection: bool,
    /// `COLOPHON_LOG_FORMAT`: `text` (default) or `json`.
    pub log_json: bool,
    /// `COLOPHON_SHUTDOWN_DELAY`, seconds: after SIGTERM, keep serving (with `/readyz` at
    /// 503) this long so load balancers stop sending, then stop accepting.
    pub shutdown_delay: Duration,
    /// `COLOPHON_SHUTDOWN_GRACE`, seconds: then wait at most this long for requests in flight.
    pub shutdown_grace: Duration,
    /// `COLOPHON_PUBLIC_URL`, `COLOPHON_ARTICLE_URL`, `COLOPHON_FEED_CONTENT`,
    /// `COLOPHON_FEED_SIZE`: how feeds and the sitemap address and fill themselves.
    pub feeds: FeedSettings,
    /// `COLOPHON_WEBHOOK_RETRY_BASE_MS`: how webhook deliveries are retried.
    pub webhooks: WebhookSettings,
    /// `serve --demo`: also serve the demo front end at `/demo/`.
    pub demo_site: bool,
    /// `COLOPHON_WS_*`: the bounds on GraphQL subscriptions over WebSocket.
    pub live: LiveSettings,
}

/// What one WebSocket client may grow, and the socket's timers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSettings {
    /// `COLOPHON_WS_MAX_CONNECTIONS_PER_CLIENT`: sockets open at once from one address.
    pub connections_per_client: usize,
    /// `COLOPHON_WS_MAX_SUBSCRIPTIONS`: subscriptions at once on one socket.
    pub subscriptions_per_connection: usize,
    /// `COLOPHON_WS_MAX_MESSAGE_BYTES`: the largest message a client may send.
    pub max_message_bytes: usize,
    /// `COLOPHON_WS_QUEUE`: messages waiting to be written to one socket; a client that
    /// lets more pile up is dropped. Also how many changes a subscription may fall behind.
    pub queue: usize,
    /// `COLOPHON_WS_QUEUE_BYTES`: the same, in bytes (a few large articles fill it first).
    pub queue_bytes: usize,
    /// `COLOPHON_WS_INIT_TIMEOUT`, seconds: `connection_init` must arrive within this.
    pub init_timeout: Duration,
    /// `COLOPHON_WS_KEEPALIVE`, seconds: a ping this often; a client silent for three
    /// times as long is dropped.
    pub keepalive: Duration,
    /// `COLOPHON_WS_POLL_MS`: how often SQLite's change logs are read while anyone listens
    /// (PostgreSQL is told at commit).
    pub poll: Duration,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            connections_per_client: 16,
            subscriptions_per_connection: 32,
            max_message_bytes: 64 * 1024,
            queue: 256,
            queue_bytes: 8 * 1024 * 1024,
            init_timeout: Duration::from_secs(5),
            keepalive: Duration::from_secs(20),
            poll: Duration::from_millis(200),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    None,
    Any,
    List(Vec<String>),
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            request_timeout: Duration::from_secs(30),
            max_in_flight: 1024,
            cors_origins: CorsOrigins::None,
            read_rate: Some(crate::rate_limit::READS_DEFAULT),
            auth_rate: Some(crate::rate_limit::AUTH_DEFAULT),
            trusted_proxies: IpNet::loopback().to_vec(),
            introspection: true,
            metrics_token: None,
            log_json: false,
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(10),
            feeds: FeedSettings::default(),
            webhooks: WebhookSettings::default(),
            demo_site: false,
            live: LiveSettings::default(),
        }
    }
}

impl ServerSettings {
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = ServerSettings::default();
        let get = |k: &str| get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let seconds = |key: &'static str, default: Duration, max: f64| -> Result<Duration, ConfigError> {
            match get(key) {
                None => Ok(default),
                Some(v) => match v.parse::<f64>() {
                    Ok(n) if (0.0..=max).contains(&n) => Ok(Duration::from_secs_f64(n)),
                    _ => Err(bad(key, format!("`{v}` must be a number of seconds from 0 to {max}"))),
                },
            }
        };
        let rate = |key: &'static str, default: Option<Rate>| -> Result<Option<Rate>, ConfigError> {
            match get(key).as_deref() {
                None => Ok(default),
                Some("off") => Ok(None),
                Some(v) => Rate::parse(v).map(Some).map_err(|p| bad(key, format!("{p} (or `off`)"))),
            }
        };
        let request_timeout = seconds("COLOPHON_REQUEST_TIMEOUT", d.request_timeout, 3600.0)?;
        if request_timeout.is_zero() {
            return Err(bad("COLOPHON_REQUEST_TIMEOUT", "must be more than 0 seconds"));
        }
        let max_in_flight = match get("COLOPHON_MAX_IN_FLIGHT") {
            None => d.max_in_flight,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    return Err(bad(
                        "COLOPHON_MAX_IN_FLIGHT",
                        format!("`{v}` must be a whole number from 1 to 1000000"),
                    ));
                }
            },
        };
        let cors_origins = match get("COLOPHON_CORS_ORIGINS") {
            None => CorsOrigins::None,
            Some(v) if v == "*" => CorsOrigins::Any,
            Some(v) => {
                let mut list = Vec::new();
                for origin in v.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                    let (scheme, rest) = origin.split_once("://").unwrap_or(("", ""));
                    let ok = matches!(scheme, "http" | "https")
                        && !rest.is_empty()
                        && !rest.contains('/')
                        && axum::http::HeaderValue::from_str(origin).is_ok();
                    if !ok {
                        return Err(bad(
                            "COLOPHON_CORS_ORIGINS",
                            format!("`{origin}` is not an origin like https://example.com (no path)"),
                        ));
                    }
                    list.push(origin.trim_end_matches('/').to_string());
                }
                CorsOrigins::List(list)
            }
        };
        // A proxy on the same host (nginx, Caddy, a Next.js server) is believed unless the
        // setting names others instead (`none`: nobody).
        let trusted_proxies = match get("COLOPHON_TRUSTED_PROXIES").map(|v| v.trim().to_string()) {
            None => d.trusted_proxies.clone(),
            Some(v) if v.is_empty() => d.trusted_proxies.clone(),
            Some(v) if v.eq_ignore_ascii_case("none") => Vec::new(),
            Some(v) => v
                .split(',')
                .filter(|n| !n.trim().is_empty())
                .map(|net| IpNet::parse(net).map_err(|p| bad("COLOPHON_TRUSTED_PROXIES", p)))
                .collect::<Result<_, _>>()?,
        };
        let log_json = match get("COLOPHON_LOG_FORMAT").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(v) => return Err(bad("COLOPHON_LOG_FORMAT", format!("`{v}` must be `text` or `json`"))),
        };
        let feeds = FeedSettings {
            public_url: get("COLOPHON_PUBLIC_URL")
                .map(|v| links::parse_public_url(&v).map_err(|p| bad("COLOPHON_PUBLIC_URL", p)))
                .transpose()?,
            article_url: match get("COLOPHON_ARTICLE_URL") {
                None => d.feeds.article_url.clone(),
                Some(v) => links::ArticleUrl::parse(&v).map_err(|p| bad("COLOPHON_ARTICLE_URL", p))?,
            },
            full_text: match get("COLOPHON_FEED_CONTENT").map(|v| v.to_ascii_lowercase()).as_deref() {
                None | Some("full") => true,
                Some("excerpt") => false,
                Some(v) => return Err(bad("COLOPHON_FEED_CONTENT", format!("`{v}` must be `full` or `excerpt`"))),
            },
            size: match get("COLOPHON_FEED_SIZE") {
                None => d.feeds.size,
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (1..=crate::content::articles::PAGE_MAX).contains(&n) => n,
                    _ => return Err(bad("COLOPHON_FEED_SIZE", format!("`{v}` must be a whole number from 1 to 100"))),
                },
            },
            ..d.feeds
        };
        let mut webhooks = d.webhooks.clone();
        webhooks.allow_private =
            on_off("COLOPHON_WEBHOOK_ALLOW_PRIVATE", get("COLOPHON_WEBHOOK_ALLOW_PRIVATE").as_deref(), true)?;
        if let Some(v) = get("COLOPHON_WEBHOOK_RETRY_BASE_MS") {
            match v.parse::<u64>() {
                Ok(ms) if (1..=3_600_000).contains(&ms) => webhooks.retry_base = Duration::from_millis(ms),
                _ => {
                    return Err(bad(
                        "COLOPHON_WEBHOOK_RETRY_BASE_MS",
                        format!("`{v}` must be a number of milliseconds from 1 to 3600000"),
                    ));
                }
            }
        }
        let count = |key: &'static str, default: usize, max: usize| -> Result<usize, ConfigError> {
            match get(key) {
                None => Ok(default),
                Some(v) => match v.parse::<usize>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(bad(key, format!("`{v}` must be a whole number from 1 to {max}"))),
                },
            }
        };
        let dl = &d.live;
        let live = LiveSettings {
            connections_per_client: count(
                "COLOPHON_WS_MAX_CONNECTIONS_PER_CLIENT",
                dl.connections_per_client,
                1_000_000,
            )?,
            subscriptions_per_connection: count(
                "COLOPHON_WS_MAX_SUBSCRIPTIONS",
                dl.subscriptions_per_connection,
                10_000,
            )?,
            max_message_bytes: count("COLOPHON_WS_MAX_MESSAGE_BYTES", dl.max_message_bytes, 16 * 1024 * 1024)?,
            queue: count("COLOPHON_WS_QUEUE", dl.queue, 1_000_000)?,
            queue_bytes: count("COLOPHON_WS_QUEUE_BYTES", dl.queue_bytes, 1 << 30)?,
            init_timeout: seconds("COLOPHON_WS_INIT_TIMEOUT", dl.init_timeout, 300.0)?,
            keepalive: seconds("COLOPHON_WS_KEEPALIVE", dl.keepalive, 3600.0)?,
            poll: Duration::from_millis(count("COLOPHON_WS_POLL_MS", dl.poll.as_millis() as usize, 60_000)? as u64),
        };
        if live.init_timeout.is_zero() || live.keepalive.is_zero() {
            let key = if live.init_timeout.is_zero() { "COLOPHON_WS_INIT_TIMEOUT" } else { "COLOPHON_WS_KEEPALIVE" };
            return Err(bad(key, "must be more than 0 seconds"));
        }
        Ok(ServerSettings {
            live,
            demo_site: false,
            webhooks,
            feeds,
            request_timeout,
            max_in_flight,
            cors_origins,
            read_rate: rate("COLOPHON_RATE_LIMIT_READS", d.read_rate)?,
            auth_rate: rate("COLOPHON_RATE_LIMIT_AUTH", d.auth_rate)?,
            trusted_proxies,
            metrics_token: match get("COLOPHON_METRICS_TOKEN").map(|t| t.trim().to_string()) {
                None => None,
                Some(t) if t.is_empty() => None,
                Some(t) if t.len() >= 16 && t.bytes().all(|b| b.is_ascii_graphic()) => Some(t),
                Some(_) => {
                    return Err(bad(
                        "COLOPHON_METRICS_TOKEN",
                        "must be at least 16 printable characters without spaces (`openssl rand -hex 16`)",
                    ));
                }
            },
            introspection: on_off(
                "COLOPHON_GRAPHQL_INTROSPECTION",
                get("COLOPHON_GRAPHQL_INTROSPECTION").as_deref(),
                d.introspection,
            )?,
            log_json,
            shutdown_delay: seconds("COLOPHON_SHUTDOWN_DELAY", d.shutdown_delay, 300.0)?,
            shutdown_grace: seconds("COLOPHON_SHUTDOWN_GRACE", d.shutdown_grace, 300.0)?,
        })
    }
}

/// Where the JWT secret came from, so `serve --demo` can say it made one.
pub enum SecretSource {
    Environment,
    GeneratedForDemo,
}

/// JWT settings from `COLOPHON_JWT_SECRET`, `COLOPHON_JWT_ISSUER`, `COLOPHON_JWT_AUDIENCE`.
/// With `demo_fallback`, a missing secret is replaced by a random one for this process.
pub fn jwt_from_env(
    get: impl Fn(&str) -> Option<String>,
    demo_fallback: bool,
) -> Result<(Jwt, SecretSource), ConfigError> {
    let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
    let (secret, source) = match get("COLOPHON_JWT_SECRET") {
        Some(s) if s.len() >= MIN_SECRET_BYTES => (s.into_bytes(), SecretSource::Environment),
        Some(s) => {
            return Err(bad(
                "COLOPHON_JWT_SECRET",
                format!("must be at least {MIN_SECRET_BYTES} bytes (got {}); try `openssl rand -hex 32`", s.len()),
            ));
        }
        None if demo_fallback => {
            let bytes: [u8; 32] = rand::random();
            (bytes.to_vec(), SecretSource::GeneratedForDemo)
        }
        None => {
            return Err(bad(
                "COLOPHON_JWT_SECRET",
                format!("is not set; set it to at least {MIN_SECRET_BYTES} random bytes (or run `serve --demo`)"),
            ));
        }
    };
    let mut jwt = Jwt::hs256(&secret, non_empty("COLOPHON_JWT_ISSUER"), non_empty("COLOPHON_JWT_AUDIENCE"));
    if let Some(path) = non_empty("COLOPHON_JWT_PUBLIC_KEY_FILE") {
        let pem = std::fs::read(&path)
            .map_err(|e| bad("COLOPHON_JWT_PUBLIC_KEY_FILE", format!("cannot read `{path}`: {e}")))?;
        let claim = non_empty("COLOPHON_JWT_ROLE_CLAIM").unwrap_or_else(|| "role".into());
        jwt = jwt
            .with_public_key(&pem, &claim)
            .map_err(|problem| bad("COLOPHON_JWT_PUBLIC_KEY_FILE", format!("`{path}` {problem}")))?;
    }
    Ok((jwt, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn secret_rules() {
        let e = jwt_from_env(env(&[]), false).err().unwrap();
        assert_eq!(e.setting, "COLOPHON_JWT_SECRET");
        let e = jwt_from_env(env(&[("COLOPHON_JWT_SECRET", "short")]), true).err().unwrap();
        assert!(e.problem.contains("at least 32"), "{e}");
        assert!(matches!(jwt_from_env(env(&[]), true).unwrap().1, SecretSource::GeneratedForDemo));
        let long = "x".repeat(32);
        assert!(matches!(
            jwt_from_env(env(&[("COLOPHON_JWT_SECRET", &long)]), false).unwrap().1,
            SecretSource::Environment
        ));
    }

    #[test]
    fn addresses_and_urls() {
        assert!(parse_addr("127.0.0.1:8080").is_ok());
        assert!(parse_addr("localhost").is_err());
        assert!(check_database_url("sqlite::memory:").is_ok());
        assert!(check_database_url("postgres://u@h/db").is_ok());
        assert_eq!(check_database_url("mysql://x").err().unwrap().setting, "DATABASE_URL (--database-url)");
    }

    #[test]
    fn server_settings() {
        let s = ServerSettings::from_env(env(&[])).unwrap();
        assert_eq!(s.request_timeout, Duration::from_secs(30));
        assert_eq!(s.cors_origins, CorsOrigins::None);
        assert!(s.read_rate.is_some() && s.auth_rate.is_some() && s.introspection && !s.log_json);
        let s = ServerSettings::from_env(env(&[
            ("COLOPHON_REQUEST_TIMEOUT", "0.25"),
            ("COLOPHON_CORS_ORIGINS", "https://a.example, http://localhost:3000"),
            ("COLOPHON_RATE_LIMIT_READS", "off"),
            ("COLOPHON_RATE_LIMIT_AUTH", "3/min"),
            ("COLOPHON_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
            ("COLOPHON_GRAPHQL_INTROSPECTION", "off"),
            ("COLOPHON_LOG_FORMAT", "json"),
        ]))
        .unwrap();
        assert_eq!(s.request_timeout, Duration::from_millis(250));
        assert_eq!(s.cors_origins, CorsOrigins::List(vec!["https://a.example".into(), "http://localhost:3000".into()]));
        assert_eq!(s.read_rate, None);
        assert_eq!(s.auth_rate.unwrap().count, 3);
        // The two named, instead of the default loopback networks.
        assert_eq!(s.trusted_proxies.len(), 2);
        let none = ServerSettings::from_env(env(&[("COLOPHON_TRUSTED_PROXIES", "none")])).unwrap();
        assert!(none.trusted_proxies.is_empty());
        assert_eq!(ServerSettings::from_env(env(&[])).unwrap().trusted_proxies, IpNet::loopback().to_vec());
        assert!(!s.introspection && s.log_json);
        for (key, value) in [
            ("COLOPHON_REQUEST_TIMEOUT", "0"),
            ("COLOPHON_REQUEST_TIMEOUT", "soon"),
            ("COLOPHON_MAX_IN_FLIGHT", "0"),
            ("COLOPHON_CORS_ORIGINS", "example.com"),
            ("COLOPHON_CORS_ORIGINS", "https://a.example/path"),
            ("COLOPHON_RATE_LIMIT_READS", "lots"),
            ("COLOPHON_METRICS_TOKEN", "short"),
            ("COLOPHON_WEBHOOK_ALLOW_PRIVATE", "maybe"),
            ("COLOPHON_TRUSTED_PROXIES", "10.0.0.0/40"),
            ("COLOPHON_GRAPHQL_INTROSPECTION", "maybe"),
            ("COLOPHON_LOG_FORMAT", "xml"),
        ] {
            let e = ServerSettings::from_env(env(&[(key, value)])).err().unwrap_or_else(|| panic!("{key}={value}"));
            assert_eq!(e.setting, key);
        }
    }
}
