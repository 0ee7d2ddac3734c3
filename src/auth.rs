//! Access tokens: HS256 JWTs signed with the configured secret. Tokens are stateless: a
//! valid signature and valid claims are what authorize.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::content::{ContentError, Principal, Role, Viewer};

pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PreviewClaims {
    sub: String,
    aid: i32,
    typ: String,
    exp: u64,
    iat: u64,
}

#[derive(Clone)]
pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    external: Option<std::sync::Arc<ExternalIssuer>>,
}

/// An identity provider whose tokens (RS256, ES256 or EdDSA) we verify with its public key,
/// reading the role from a configurable claim.
struct ExternalIssuer {
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
    role_claim: String,
}

impl Jwt {
    /// HS256 with `secret`; `iss` and `aud` are required and checked when configured.
    pub fn hs256(secret: &[u8], issuer: Option<String>, audience: Option<String>) -> Self {
        // The algorithm is pinned: a token claiming any other `alg` (including `none`) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(iss) = &issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        match &audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer,
            audience,
            external: None,
        }
    }

    /// Also accept tokens signed by an external identity provider's key (a PEM public key:
    /// RSA for RS256, P-256 for ES256, Ed25519 for EdDSA). `role_claim` names the claim
    /// holding the role (a dotted path like `realm.role`; a string or a list of strings).
    /// Issuer and audience are enforced as for our own tokens.
    pub fn with_public_key(mut self, pem: &[u8], role_claim: &str) -> Result<Self, String> {
        let (algorithm, key) = if let Ok(k) = DecodingKey::from_ed_pem(pem) {
            (Algorithm::EdDSA, k)
        } else if let Ok(k) = DecodingKey::from_ec_pem(pem) {
            (Algorithm::ES256, k)
        } else if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
            (Algorithm::RS256, k)
        } else {
            return Err("is not a PEM public key (RSA, P-256 or Ed25519)".into());
        };
        let mut validation = self.validation.clone();
        validation.algorithms = vec![algorithm];
        let role_claim = role_claim.trim();
        if role_claim.is_empty() {
            return Err("the role claim name is empty".into());
        }
        self.external =
            Some(std::sync::Arc::new(ExternalIssuer { algorithm, key, validation, role_claim: role_claim.into() }));
        Ok(self)
    }

    /// A signed access token for `subject` with `role`, valid for `ttl`.
    pub fn issue(&self, subject: &str, role: Role, ttl: Duration) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.to_string(),
            role: role.as_str().to_string(),
            iat: Some(now),
            nbf: Some(now),
            exp: Some(now + ttl.as_secs()),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Principal, String> {
        if let Some(ext) = &self.external
            && jsonwebtoken::decode_header(token).is_ok_and(|h| h.alg == ext.algorithm)
        {
            return verify_external(ext, token);
        }
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(describe)?;
        let role = Role::parse(&data.claims.role)
            .ok_or_else(|| format!("the token's role `{}` is not author, editor or admin", data.claims.role))?;
        if data.claims.sub.is_empty() {
            return Err("the token's subject is empty".into());
        }
        Ok(Principal { subject: data.claims.sub, role })
    }

    /// A token that opens one article (any state) for `ttl`, for reviewers without an
    /// account. It carries no role, so it never passes as an access token.
    pub fn issue_preview(&self, article_id: i32, ttl: Duration) -> (String, u64) {
        let now = jsonwebtoken::get_current_timestamp();
        let exp = now + ttl.as_secs();
        let claims = PreviewClaims {
            sub: format!("preview:{article_id}"),
            aid: article_id,
            typ: "preview".into(),
            exp,
            iat: now,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 signing cannot fail");
        (token, exp)
    }

    /// The article a preview token opens, if it is ours, unexpired and a preview token.
    pub fn verify_preview(&self, token: &str) -> Option<i32> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        v.validate_aud = false;
        v.set_required_spec_claims(&["exp", "sub"]);
        let data = decode::<PreviewClaims>(token, &self.decoding, &v).ok()?;
        (data.claims.typ == "preview" && data.claims.sub == format!("preview:{}", data.claims.aid))
            .then_some(data.claims.aid)
    }

    /// The viewer behind an `Authorization` header value. No header is an anonymous
    /// reader; a header that does not carry a valid bearer token is refused outright, never
    /// quietly downgraded to anonymous.
    pub fn viewer(&self, authorization: Option<&str>) -> Result<Viewer, ContentError> {
        let Some(value) = authorization else { return Ok(Viewer::anonymous()) };
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ContentError::Unauthenticated("the Authorization header must be `Bearer <token>`".into()))?;
        self.verify(token).map(|p| Viewer(Some(p))).map_err(ContentError::Unauthenticated)
    }
}

/// How long a token verified already has left, from its `exp` claim; `None` when it
/// never expires (or says nothing readable, which verification would have refused).
pub fn expires_in(token: &str) -> Option<std::time::Duration> {
    use base64::Engine;
    let claims = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims.trim_end_matches('=')).ok()?;
    let exp = serde_json::from_slice::<serde_json::Value>(&bytes).ok()?.get("exp")?.as_u64()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(std::time::Duration::from_secs(exp.saturating_sub(now)))
}

fn describe(e: jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "the token has expired".to_string(),
        K::ImmatureSignature => "the token is not valid yet (nbf)".to_string(),
        K::InvalidIssuer => "the token's issuer is not accepted".to_string(),
        K::InvalidAudience => "the token's audience is not accepted".to_string(),
        K::InvalidAlgorithm => "the token's algorithm is not accepted".to_string(),
        K::InvalidSignature => "the token's signature is invalid".to_string(),
        K::MissingRequiredClaim(c) => format!("the token lacks the `{c}` claim"),
        _ => "the token is malformed".to_string(),
    }
}

fn verify_external(ext: &ExternalIssuer, token: &str) -> Result<Principal, String> {
    let data = decode::<serde_json::Value>(token, &ext.key, &ext.validation).map_err(describe)?;
    let claims = data.claims;
    let subject = claims.get("sub").and_then(|s| s.as_str()).filter(|s| !s.is_empty());
    let subject =
        external_subject(claims.get("iss").and_then(|s| s.as_str()), subject.ok_or("the token's subject is empty")?);
    let mut value = Some(&claims);
    for part in ext.role_claim.split('.') {
        value = value.and_then(|v| v.get(part));
    }
    // A list of roles grants the highest one we know.
    let role = match value {
        Some(serde_json::Value::String(s)) => Role::parse(s),
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|v| v.as_str()).filter_map(Role::parse).max(),
        _ => None,
    };
    let role =
        role.ok_or_else(|| format!("the token's `{}` claim names no author, editor or admin role", ext.role_claim))?;
    Ok(Principal { subject, role })
}

/// The provider's subjects live in a namespace of their own: `ISSUER SUB` (`external SUB`
/// when the token names no issuer). Local accounts sign in as their email address, which
/// holds no space, so a provider token can never speak for one of them.
pub fn external_subject(issuer: Option<&str>, sub: &str) -> String {
    let issuer = issuer.map(str::trim).filter(|i| !i.is_empty()).unwrap_or("external");
    format!("{issuer} {sub}")
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    // Equal-length digests, compared without an early exit.
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter().zip(y.iter()).fold(0u8, |acc, (p, q)| acc | (p ^ q)) == 0
}

/// Parses a lifetime like `90s`, `15m`, `1h` or `7d`.
pub fn parse_ttl(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().map_err(|_| format!("`{s}` is not a duration like 90s, 15m, 1h or 7d"))?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("`{s}` has an unknown unit; use s, m, h or d")),
    };
    if secs == 0 || secs > 366 * 86_400 {
        return Err(format!("`{s}` must be between 1s and 366d"));
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn sign(claims: serde_json::Value, alg: Algorithm, secret: &[u8]) -> String {
        encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    #[test]
    fn issued_tokens_verify() {
        let jwt = Jwt::hs256(SECRET, Some("colophon".into()), Some("authoring".into()));
        let t = jwt.issue("ada", Role::Editor, Duration::from_secs(60));
        assert_eq!(jwt.verify(&t).unwrap(), Principal { subject: "ada".into(), role: Role::Editor });
    }

    #[test]
    fn refuses_bad_tokens() {
        let jwt = Jwt::hs256(SECRET, None, None);
        let ok = serde_json::json!({"sub": "a", "role": "editor", "exp": now() + 60});
        assert!(jwt.verify(&sign(ok.clone(), Algorithm::HS256, SECRET)).is_ok());
        // Another algorithm, another key, expired, not yet valid, no exp, unknown role.
        assert!(jwt.verify(&sign(ok.clone(), Algorithm::HS384, SECRET)).unwrap_err().contains("algorithm"));
        assert!(
            jwt.verify(&sign(ok, Algorithm::HS256, b"another-secret-another-secret-xx"))
                .unwrap_err()
                .contains("signature")
        );
        let expired = serde_json::json!({"sub": "a", "role": "editor", "exp": now() - 3600});
        assert!(jwt.verify(&sign(expired, Algorithm::HS256, SECRET)).unwrap_err().contains("expired"));
        let early = serde_json::json!({"sub": "a", "role": "editor", "exp": now() + 7200, "nbf": now() + 3600});
        assert!(jwt.verify(&sign(early, Algorithm::HS256, SECRET)).unwrap_err().contains("nbf"));
        let no_exp = serde_json::json!({"sub": "a", "role": "editor"});
        assert!(jwt.verify(&sign(no_exp, Algorithm::HS256, SECRET)).unwrap_err().contains("exp"));
        let bad_role = serde_json::json!({"sub": "a", "role": "root", "exp": now() + 60});
        assert!(jwt.verify(&sign(bad_role, Algorithm::HS256, SECRET)).unwrap_err().contains("role"));
        // alg=none: header {"alg":"none"} with an empty signature.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhIiwicm9sZSI6ImFkbWluIiwiZXhwIjo5OTk5OTk5OTk5fQ.";
        assert!(jwt.verify(none).is_err());
        assert!(jwt.verify("garbage").is_err());
    }

    #[test]
    fn enforces_issuer_and_audience_when_configured() {
        let jwt = Jwt::hs256(SECRET, Some("colophon".into()), Some("authoring".into()));
        let wrong_iss =
            serde_json::json!({"sub": "a", "role": "editor", "exp": now() + 60, "iss": "evil", "aud": "authoring"});
        assert!(jwt.verify(&sign(wrong_iss, Algorithm::HS256, SECRET)).unwrap_err().contains("issuer"));
        let wrong_aud =
            serde_json::json!({"sub": "a", "role": "editor", "exp": now() + 60, "iss": "colophon", "aud": "other"});
        assert!(jwt.verify(&sign(wrong_aud, Algorithm::HS256, SECRET)).unwrap_err().contains("audience"));
        let missing = serde_json::json!({"sub": "a", "role": "editor", "exp": now() + 60});
        assert!(jwt.verify(&sign(missing, Algorithm::HS256, SECRET)).is_err());
    }

    #[test]
    fn authorization_header_forms() {
        let jwt = Jwt::hs256(SECRET, None, None);
        let t = jwt.issue("a", Role::Admin, Duration::from_secs(60));
        assert!(jwt.viewer(None).unwrap().principal().is_none());
        assert!(jwt.viewer(Some(&format!("bearer {t}"))).unwrap().principal().is_some());
        for bad in ["Basic abc", "Bearer", "Bearer ", &t] {
            assert!(matches!(jwt.viewer(Some(bad)), Err(ContentError::Unauthenticated(_))), "{bad}");
        }
    }

    #[test]
    fn preview_tokens_open_one_article_and_nothing_else() {
        let jwt = Jwt::hs256(SECRET, None, None);
        let (t, _) = jwt.issue_preview(42, Duration::from_secs(60));
        assert_eq!(jwt.verify_preview(&t), Some(42));
        assert!(jwt.verify(&t).is_err(), "a preview token is not an access token");
        let access = jwt.issue("a", Role::Admin, Duration::from_secs(60));
        assert_eq!(jwt.verify_preview(&access), None, "an access token is not a preview token");
        let other = Jwt::hs256(b"another-secret-another-secret-xx", None, None);
        assert_eq!(other.verify_preview(&t), None);
        let expired = sign(
            serde_json::json!({"sub": "preview:42", "aid": 42, "typ": "preview", "exp": now() - 10, "iat": now() - 100}),
            Algorithm::HS256,
            SECRET,
        );
        assert_eq!(jwt.verify_preview(&expired), None);
    }

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        for bad in ["", "h", "0s", "5y", "-1h", "1000d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
