//! Query parameters checked against the published contract before a handler runs: a
//! parameter the route does not take (`?page=2` where `cursor` is meant) or one given twice
//! is a 400 that names it and lists what the route takes, instead of being ignored or
//! reported as a field called `.`. The known parameters of each route come from the OpenAPI
//! document itself, so the check and `openapi.yaml` cannot disagree.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::ParameterIn;

use super::problem::{FieldProblem, Problem};

/// Per route template, per method, the query parameters it takes.
type Known = HashMap<String, HashMap<&'static str, Vec<String>>>;

fn known() -> &'static Known {
    static KNOWN: OnceLock<Known> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut out = Known::new();
        for (path, item) in super::openapi().paths.paths {
            let ops = [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("PATCH", &item.patch)];
            let ops = ops.into_iter().chain([("DELETE", &item.delete)]);
            for (method, op) in ops {
                let Some(op) = op else { continue };
                let names = op
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
                    .map(|p| p.name.clone())
                    .collect();
                out.entry(path.clone()).or_default().insert(method, names);
            }
        }
        out
    })
}

/// A route layer: refuses unknown and repeated query parameters with 400.
pub async fn check(req: Request, next: Next) -> Response {
    let (Some(route), Some(query)) = (req.extensions().get::<MatchedPath>(), req.uri().query()) else {
        return next.run(req).await;
    };
    let method = if req.method() == axum::http::Method::HEAD { "GET" } else { req.method().as_str() };
    let Some(takes) = known().get(route.as_str()).and_then(|m| m.get(method)) else {
        return next.run(req).await;
    };
    if let Err(problem) = check_names(query, takes) {
        return problem.into_response();
    }
    next.run(req).await
}

fn check_names(query: &str, takes: &[String]) -> Result<(), Problem> {
    let listed = || match takes.len() {
        0 => "this route takes no query parameters".to_string(),
        _ => format!("this route takes {}", takes.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")),
    };
    let mut seen: Vec<String> = Vec::new();
    for (name, _) in form_urlencoded::parse(query.as_bytes()) {
        let refuse = |message: String| {
            let mut p = Problem::bad_request(format!("query parameter `{name}`: {message}"));
            p.errors.push(FieldProblem { field: name.to_string(), message });
            p
        };
        if !takes.iter().any(|t| *t == name) {
            return Err(refuse(format!("is not known; {}", listed())));
        }
        if seen.iter().any(|s| *s == name) {
            return Err(refuse("is given more than once; give it once".into()));
        }
        seen.push(name.into_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_parameter_and_what_the_route_takes() {
        let takes = vec!["limit".to_string(), "cursor".to_string()];
        assert!(check_names("limit=3&cursor=x", &takes).is_ok());
        let p = check_names("page=2", &takes).unwrap_err();
        assert_eq!(p.errors[0].field, "page");
        assert!(p.detail.contains("`limit`, `cursor`"), "{}", p.detail);
        let p = check_names("limit=1&limit=2", &takes).unwrap_err();
        assert_eq!(p.errors[0].field, "limit");
        assert!(p.detail.contains("more than once"), "{}", p.detail);
        let p = check_names("x=1", &[]).unwrap_err();
        assert!(p.detail.contains("takes no query parameters"), "{}", p.detail);
    }

    #[test]
    fn every_documented_route_is_known() {
        let k = known();
        assert!(k["/api/v1/articles"]["GET"].iter().any(|p| p == "cursor"));
        assert!(k["/api/v1/articles/{id}"]["GET"].iter().any(|p| p == "preview"));
        assert!(k["/api/v1/site"]["GET"].is_empty());
    }
}
