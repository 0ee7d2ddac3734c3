//! Request extractors whose rejections are problem+json naming the bad part.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use super::problem::{FieldProblem, Problem};
use crate::app::AppState;
use crate::content::Viewer;

/// The caller, from an optional `Authorization: Bearer` header. An invalid token is a 401,
/// never a silent downgrade to anonymous.
pub struct Auth(pub Viewer);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = match parts.headers.get(header::AUTHORIZATION) {
            None => None,
            Some(v) => Some(v.to_str().map_err(|_| {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", "the Authorization header is not valid text")
            })?),
        };
        state.viewer(header).await.map(Auth).map_err(Problem::from)
    }
}

/// The caller of a route that needs credentials: without an `Authorization` header the
/// answer is 401 before the body or path is looked at; roles are the service's to judge.
pub struct Signed(pub Viewer);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Auth(viewer) = Auth::from_request_parts(parts, state).await?;
        if viewer.principal().is_none() {
            return Err(Problem::from(crate::content::ContentError::Unauthenticated(
                "this needs `Authorization: Bearer <token>`".into(),
            )));
        }
        Ok(Signed(viewer))
    }
}

/// Path parameters: 400 problem+json when one does not parse (bad percent-encoding, a
/// number out of range) instead of axum's plain-text rejection.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(Problem::bad_request(format!("path: {}", e.body_text()))),
        }
    }
}

/// A JSON body: 415 without a JSON content type, 400 when it does not parse, 422 naming the
/// field when it parses but does not fit (unknown fields included).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "the body must be JSON, sent with `Content-Type: application/json`",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", format!("could not read the body: {e}"))
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // serde reads a struct from an array too (`[null, null]`); every body here is an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(root_problem("is an array"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let (field, message) = describe_data_error(&path, &inner.to_string());
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", format!("{field}: {message}"));
                p.errors.push(FieldProblem { field, message });
                p
            }
            _ => Problem::bad_request(format!("the body is not valid JSON: {inner}")),
        }
    })
}

/// serde says "missing field `title`" at the parent's path; name the field itself.
fn describe_data_error(path: &str, message: &str) -> (String, String) {
    let message = message.split(" at line ").next().unwrap_or(message).to_string();
    let at_root = path == "." || path.is_empty();
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        // serde reports a missing field at its parent's path.
        let field = if at_root { name.to_string() } else { format!("{path}.{name}") };
        return (field, "is required".to_string());
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(name) = rest.split('`').next()
    {
        let field = if at_root { name.to_string() } else { path.to_string() };
        return (field, "is not a known field".to_string());
    }
    if at_root {
        return (ROOT.to_string(), format!("{ROOT_MESSAGE} ({message})"));
    }
    (path.to_string(), message)
}

/// The whole request body, as a field name: `$`, JSONPath's root, so it is never taken for
/// an article's `body`.
const ROOT: &str = "$";
const ROOT_MESSAGE: &str = "the request body must be a JSON object of fields, like {\"title\": \"Hello\"}";

fn root_problem(what: &str) -> Problem {
    let message = format!("{ROOT_MESSAGE}; this one {what}");
    let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", message.clone());
    p.errors.push(FieldProblem { field: ROOT.into(), message });
    p
}

/// An optional RFC 3339 time, with an error that says the form (chrono alone says
/// "premature end of input").
pub fn time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<chrono::DateTime<chrono::Utc>>, D::Error> {
    use serde::Deserialize;
    let Some(raw) = Option::<String>::deserialize(d)? else { return Ok(None) };
    chrono::DateTime::parse_from_rfc3339(raw.trim()).map(|t| Some(t.to_utc())).map_err(|e| {
        serde::de::Error::custom(format!("must be an RFC 3339 time like 2026-04-15T10:00:00Z, not `{raw}` ({e})"))
    })
}

/// An optional integer field. JSON Schema counts `3.0` as an integer, so this does too.
pub fn integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    use serde::Deserialize;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
    let out_of_range = || serde::de::Error::custom(format!("{n} is not a 32-bit integer"));
    match n.as_i64() {
        Some(i) => i32::try_from(i).map(Some).map_err(|_| out_of_range()),
        None => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&f) => {
                Ok(Some(f as i32))
            }
            _ => Err(out_of_range()),
        },
    }
}

/// [`integer`] for a field where `null` clears: `Some(None)` for null, `None` when absent.
pub fn nullable_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
    integer(d).map(Some)
}

/// Query parameters: 400 naming the parameter when one does not parse.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(QueryParams).map_err(|err| {
            let path = err.path().to_string();
            let message = err.into_inner().to_string();
            let mut p = Problem::bad_request(format!("query parameter `{path}`: {message}"));
            p.errors.push(FieldProblem { field: path, message });
            p
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        #[serde(default, deserialize_with = "integer")]
        n: Option<i32>,
    }

    #[test]
    fn json_errors_name_the_field() {
        let p = parse_json::<Body>(b"{").unwrap_err();
        assert_eq!(p.status, 400);
        let p = parse_json::<Body>(br#"{"n": 1}"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "title"));
        let p = parse_json::<Body>(br#"{"title": "x", "extra": 1}"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "extra"));
        let p = parse_json::<Body>(br#"{"title": "x", "n": "seven"}"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "n"));
        assert_eq!(parse_json::<Body>(br#"{"title": "x", "n": 3.0}"#).unwrap().n, Some(3));
        for bad in ["3.5", "1e10", "-2147483649"] {
            let p = parse_json::<Body>(format!(r#"{{"title": "x", "n": {bad}}}"#).as_bytes()).unwrap_err();
            assert_eq!((p.status, p.errors[0].field.as_str()), (422, "n"), "{bad}");
        }
        for root in [&br#" ["x", 1]"#[..], b"\"text\"", b"42"] {
            let p = parse_json::<Body>(root).unwrap_err();
            assert_eq!((p.status, p.errors[0].field.as_str()), (422, "$"));
            assert!(p.errors[0].message.contains("must be a JSON object"), "{}", p.errors[0].message);
        }
    }
}
