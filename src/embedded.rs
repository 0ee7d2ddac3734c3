//! Small sites embedded in the binary (the demo front end, the studio): files compiled in,
//! served under one prefix with their own Content-Security-Policy, so they work from any
//! directory.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::app::AppState;

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

/// One embedded site.
pub struct Site {
    /// Where it lives, without the trailing slash (`/demo`).
    pub prefix: &'static str,
    /// (path under the prefix, content type, text); `""` is the page itself.
    pub files: &'static [(&'static str, &'static str, &'static str)],
    pub csp: &'static str,
    /// `Cache-Control`, when the default (heuristic caching) is not right.
    pub cache_control: Option<&'static str>,
}

impl Site {
    /// `/prefix` redirects to `/prefix/` (its links are relative), which serves the page.
    pub fn router(&'static self) -> Router<AppState> {
        Router::new()
            .route(self.prefix, get(move || async move { Redirect::permanent(&format!("{}/", self.prefix)) }))
            .route(&format!("{}/", self.prefix), get(move || async move { self.file("") }))
            .route(
                &format!("{}/{{*path}}", self.prefix),
                get(move |Path(path): Path<String>| async move { self.file(&path) }),
            )
    }

    fn file(&self, path: &str) -> Response {
        let Some((_, content_type, body)) = self.files.iter().find(|(p, _, _)| *p == path) else {
            return (StatusCode::NOT_FOUND, format!("no such file under {}/", self.prefix)).into_response();
        };
        let mut res = body.into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(self.csp));
        if let Some(cache) = self.cache_control {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        }
        res
    }

    /// The text of one file, for tests of what a site loads.
    pub fn text(&self, path: &str) -> Option<&'static str> {
        self.files.iter().find(|(p, _, _)| *p == path).map(|(_, _, body)| *body)
    }
}
