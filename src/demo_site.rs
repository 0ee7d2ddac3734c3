//! The demo front end (`examples/web/`) at `/demo/`, served by `serve --demo`: a small
//! reader's site in plain HTML and JavaScript that runs the front end's own GraphQL
//! operations (`examples/operations/`, at `/demo/operations/`). Embedded in the binary, so
//! it works from any directory.

use crate::embedded::{CSS, HTML, JS, Site};

const GRAPHQL: &str = "application/graphql; charset=utf-8";

/// (path under /demo/, content type, bytes)
const FILES: &[(&str, &str, &str)] = &[
    ("", HTML, include_str!("../examples/web/index.html")),
    ("app.js", JS, include_str!("../examples/web/app.js")),
    ("views.js", JS, include_str!("../examples/web/views.js")),
    ("api.js", JS, include_str!("../examples/web/api.js")),
    ("html.js", JS, include_str!("../examples/web/html.js")),
    ("style.css", CSS, include_str!("../examples/web/style.css")),
    ("favicon.svg", "image/svg+xml", include_str!("../examples/web/favicon.svg")),
    ("operations/fragments.graphql", GRAPHQL, include_str!("../examples/operations/fragments.graphql")),
    ("operations/HomePage.graphql", GRAPHQL, include_str!("../examples/operations/HomePage.graphql")),
    ("operations/TagPage.graphql", GRAPHQL, include_str!("../examples/operations/TagPage.graphql")),
    ("operations/TopicIndex.graphql", GRAPHQL, include_str!("../examples/operations/TopicIndex.graphql")),
    ("operations/SeriesPage.graphql", GRAPHQL, include_str!("../examples/operations/SeriesPage.graphql")),
    ("operations/ArticlePage.graphql", GRAPHQL, include_str!("../examples/operations/ArticlePage.graphql")),
    ("operations/Search.graphql", GRAPHQL, include_str!("../examples/operations/Search.graphql")),
];

/// The page loads only its own scripts and styles and talks only to this origin; images in
/// articles may come from anywhere over https.
const CSP: &str = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; \
                   base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub static SITE: Site = Site { prefix: "/demo", files: FILES, csp: CSP, cache_control: None };

#[cfg(test)]
mod tests {
    /// Every operation the demo runs is served beside it.
    #[test]
    fn the_demo_serves_every_operation_it_runs() {
        let views = super::FILES.iter().find(|(p, _, _)| *p == "views.js").unwrap().2;
        for op in ["HomePage", "TagPage", "TopicIndex", "SeriesPage", "ArticlePage", "Search"] {
            assert!(views.contains(&format!("query('{op}'")), "{op} is not run by the demo");
            let file = format!("operations/{op}.graphql");
            assert!(super::FILES.iter().any(|(p, _, _)| *p == file), "{file} is not served");
        }
    }
}
