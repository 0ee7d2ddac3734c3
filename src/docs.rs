//! Pages for people, offline: an index at `/` that says where everything is, GraphiQL for
//! the GraphQL face and a Redoc reference for the REST face, with their scripts embedded in
//! the binary (no CDN).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;

/// (name, content type, bytes)
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("graphiql.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/vendor/graphiql.min.js")),
    ("graphiql.min.css", "text/css; charset=utf-8", include_bytes!("../assets/vendor/graphiql.min.css")),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/react-dom.production.min.js"),
    ),
    ("redoc.standalone.js", "text/javascript; charset=utf-8", include_bytes!("../assets/vendor/redoc.standalone.js")),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(index)).route("/docs", get(docs)).route("/assets/{name}", get(asset))
}

/// `GET /`: where things are. A page for a browser, JSON for anything else.
async fn index(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> Response {
    let demo = state.guard.settings.demo_site;
    let mut links = vec![
        ("graphql", "/graphql", "GraphQL API (GraphiQL in a browser)"),
        ("rest", "/api/v1", "REST API, e.g. /api/v1/articles"),
        ("docs", "/docs", "REST reference"),
        ("openapi", "/api/v1/openapi.yaml", "OpenAPI document"),
        ("feed", "/feed.xml", "RSS feed (also /atom.xml, /feed.json)"),
        ("studio", "/admin/", "the studio, where editors write"),
        ("health", "/healthz", "liveness (and /readyz)"),
    ];
    if demo {
        links.push(("demo", "/demo/", "a reader's site built on the API"));
    }
    let html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let mut res = if html {
        let items: String = links
            .iter()
            .map(|(_, href, what)| format!("    <li><a href=\"{href}\">{href}</a>: {what}</li>\n"))
            .collect();
        let page = format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>Colophon</title>\n</head>\n\
             <body>\n  <h1>Colophon</h1>\n  <p>A headless content API for technical publications.</p>\n  <ul>\n{items}  </ul>\n\
             </body>\n</html>\n"
        );
        let mut res = Html(page).into_response();
        // No script, no style: the page asks for nothing.
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        res
    } else {
        let body: serde_json::Map<String, serde_json::Value> =
            links.iter().map(|(k, href, _)| (k.to_string(), serde_json::Value::from(*href))).collect();
        axum::Json(serde_json::json!({ "name": "Colophon", "links": body })).into_response()
    };
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            // The files change only with a new release of the binary.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
            res
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// The REST reference, rendered by Redoc from `/api/v1/openapi.yaml`.
async fn docs() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Colophon REST API</title>
  <style>body { margin: 0; }</style>
</head>
<body>
  <redoc spec-url="/api/v1/openapi.yaml"></redoc>
  <script src="/assets/redoc.standalone.js"></script>
</body>
</html>
"#,
    )
}

/// GraphiQL against `/graphql`, from the embedded assets.
pub fn graphiql_html() -> &'static str {
    r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Colophon GraphiQL</title>
  <link rel="stylesheet" href="/assets/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/assets/react.production.min.js"></script>
  <script src="/assets/react-dom.production.min.js"></script>
  <script src="/assets/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
    // A first query that shows what a front end reads, instead of GraphiQL's welcome text.
    const defaultQuery = `# Welcome to Colophon's GraphQL API. Press the play button (Ctrl-Enter) to run this:
# the newest articles, as a home page shows them. The docs (book icon) list every field.
{
  site { title description articleCount tagCount }
  articles(first: 5) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      title
      slug
      excerpt
      readingMinutes
      publishedAt
      tags { name slug }
      category { name }
      series { title }
      seriesPart
    }
  }
}
`;
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery, defaultEditorToolsVisibility: true })
    );
  </script>
</body>
</html>
"#
}
