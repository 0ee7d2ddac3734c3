//! Settings from flags and the environment (12-factor), checked at start-up. A bad or
//! missing setting is a `ConfigError` naming it; `main` prints it on one line and exits 2.

use std::net::SocketAddr;

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
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("on") | Some("true") | Some("1") => Ok(true),
        Some("off") | Some("false") | Some("0") => Ok(false),
        Some(other) => Err(bad("COLOPHON_RESPONSE_CACHE", format!("`{other}` must be `on` or `off`"))),
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
}
