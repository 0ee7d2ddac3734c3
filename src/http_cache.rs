//! HTTP caching for every GET: a strong `ETag` from the response bytes with `If-None-Match`
//! answered by 304, `Cache-Control` that lets browsers and CDNs keep anonymous reads and
//! keeps anything answered with credentials private, and `Surrogate-Key` / `Cache-Tag`
//! naming what the response shows so a CDN can purge exactly what a write changed.
//!
//! Handlers name what they show by putting [`SurrogateKeys`] into the response extensions;
//! this layer turns them into headers. An article's `ETag` keeps its version in front
//! (`"3.<hash>"`), so `If-Match` on PATCH still reads the version from it.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

/// Anonymous reads: a minute in browsers, five in shared caches, and served stale for ten
/// more while a shared cache revalidates.
pub const PUBLIC: &str = "public, max-age=60, s-maxage=300, stale-while-revalidate=600";
/// Anything answered with credentials (or a preview token) is for that caller alone.
pub const PRIVATE: &str = "private, no-store";

/// What a response shows, as purge keys: `article-12`, `tag-3`, `articles` (every article
/// list), and so on. See [`keys`] for the names.
#[derive(Clone, Debug, Default)]
pub struct SurrogateKeys(pub Vec<String>);

/// Key names: the service layer owns them, since it writes what each change purges.
pub use crate::content::purges::keys;

/// Responses bigger than this are passed through without an ETag rather than buffered.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

pub async fn layer(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        // A write's answer (and a sign-in's, which carries tokens) is for nobody to keep.
        let mut res = next.run(req).await;
        if !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        return res;
    }
    let path = req.uri().path();
    if path == "/healthz" || path == "/readyz" {
        let mut res = next.run(req).await;
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return res;
    }
    let credentialed = with_credentials(&req);
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let mut res = next.run(req).await;
    if res.status() == StatusCode::MOVED_PERMANENTLY && !res.headers().contains_key(header::CACHE_CONTROL) {
        // An old slug's redirect holds until the slug is taken again: as long as a read.
        let headers = res.headers_mut();
        if credentialed || !headers.contains_key(header::CACHE_CONTROL) {
            headers
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(if credentialed { PRIVATE } else { PUBLIC }));
        }
        headers.append(header::VARY, HeaderValue::from_static("Authorization"));
        return res;
    }
    if !cacheable(&res) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BUFFERED).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large to buffer").into_response();
    };
    let etag = etag(parts.headers.get(header::ETAG), &bytes);
    let headers = &mut parts.headers;
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(if credentialed { PRIVATE } else { PUBLIC }));
    headers.append(header::VARY, HeaderValue::from_static("Authorization"));
    if let Some(SurrogateKeys(keys)) = parts.extensions.get::<SurrogateKeys>()
        && !credentialed
        && !keys.is_empty()
    {
        set_keys(headers, keys);
    }
    if if_none_match.is_some_and(|v| matches_etag(&v, &etag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Asked with a token or a preview token: the answer is for this caller alone, and no cache
/// (ours or anyone's) may keep it for others.
pub fn with_credentials(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("preview=") || p.starts_with("previewToken=")))
}

/// A 200 whose handler did not say `no-store` (it meant it).
pub fn cacheable(res: &Response) -> bool {
    res.status() == StatusCode::OK
        && res.headers().get(header::CACHE_CONTROL).is_none_or(|v| v.as_bytes() != b"no-store")
}

/// Strong: any byte changes it. A handler's own ETag (an article's version) stays in front.
fn etag(own: Option<&HeaderValue>, bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    let tag = match own.and_then(|v| v.to_str().ok()).map(|v| v.trim_matches('"')) {
        Some(version) if !version.is_empty() => format!("\"{version}.{hash}\""),
        _ => format!("\"{hash}\""),
    };
    HeaderValue::from_str(&tag).expect("an ETag of safe characters")
}

/// `If-None-Match: *`, one tag or a list; weak comparison, as RFC 9110 asks for GET.
pub fn matches_etag(header: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = header.to_str() else { return false };
    let ours = etag.to_str().unwrap_or_default();
    list.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == ours)
}

fn set_keys(headers: &mut HeaderMap, keys: &[String]) {
    // Fastly and Varnish read space-separated `Surrogate-Key`; Cloudflare comma-separated `Cache-Tag`.
    if let Ok(v) = HeaderValue::from_str(&keys.join(" ")) {
        headers.insert("surrogate-key", v);
    }
    if let Ok(v) = HeaderValue::from_str(&keys.join(",")) {
        headers.insert("cache-tag", v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_change_with_the_bytes_and_keep_a_version() {
        let a = etag(None, b"{\"a\":1}");
        assert_ne!(a, etag(None, b"{\"a\":2}"));
        assert_eq!(a, etag(None, b"{\"a\":1}"));
        let v = etag(Some(&HeaderValue::from_static("\"3\"")), b"x");
        assert!(v.to_str().unwrap().starts_with("\"3."), "{v:?}");
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star() {
        let tag = HeaderValue::from_static("\"abc\"");
        for (header, hit) in [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc\"", true),
            ("*", true),
            ("\"abd\"", false),
            ("abc", false),
        ] {
            assert_eq!(matches_etag(&HeaderValue::from_static(header), &tag), hit, "{header}");
        }
    }
}
