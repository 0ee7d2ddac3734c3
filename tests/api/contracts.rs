//! `schema.graphql` and `openapi.yaml` are the published contracts: they must be exactly
//! what the running code serves. Regenerate with
//! `cargo run -- schema graphql > schema.graphql` and `cargo run -- schema openapi > openapi.yaml`.

use std::path::Path;

fn check(file: &str, actual: &str, command: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{file} differs from what the code serves (first difference at line {}).\n\
             Regenerate it with `{command} > {file}` and review the diff.",
            line + 1
        );
    }
}

#[test]
fn schema_graphql_is_the_served_sdl() {
    check("schema.graphql", &colophon::graphql::sdl(), "cargo run -- schema graphql");
}

#[test]
fn openapi_yaml_is_the_served_document() {
    check("openapi.yaml", &colophon::rest::openapi_yaml(), "cargo run -- schema openapi");
}

/// Every operation in the document is routed (not the 404 fallback, not 405), so the
/// document never promises a route the server lacks.
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let Some(app) = crate::support::TestApp::new(crate::support::Backend::Sqlite).await else { return };
    let yaml = colophon::rest::openapi_yaml();
    let mut path = None;
    let mut count = 0;
    for line in yaml.lines() {
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{p}"));
            continue;
        }
        let method = line.trim_end_matches(':').trim();
        if line.starts_with("    ")
            && !line.starts_with("     ")
            && ["get", "post", "patch", "delete", "put"].contains(&method)
        {
            let uri = path.clone().unwrap().replace("{id}", "1");
            let m = axum::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = app.call(m, &uri, None, None).await;
            let fallback = res.status == 404 && res.text.contains("no route");
            assert!(!fallback && res.status != 405, "{method} {uri} is documented but not routed: {}", res.text);
            count += 1;
        }
    }
    assert!(count >= 7, "found {count} operations");
}

/// Human-readable docs work offline: every script and stylesheet is served by us.
#[tokio::test]
async fn docs_and_graphiql_are_served_without_a_cdn() {
    let Some(app) = crate::support::TestApp::new(crate::support::Backend::Sqlite).await else { return };
    let graphiql = app
        .send(
            axum::http::Request::builder()
                .uri("/graphql")
                .header("accept", "text/html")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("/api/v1/openapi.yaml"));
    for page in [&graphiql.text, &docs.text] {
        let refs: Vec<&str> = page.split(['"', '\'']).filter(|s| s.ends_with(".js") || s.ends_with(".css")).collect();
        assert!(!refs.is_empty(), "{page}");
        for r in refs {
            assert!(r.starts_with("/assets/"), "{r} is not ours");
            let res = app.get(r, None).await;
            assert_eq!(res.status, 200, "{r}");
            assert!(res.text.len() > 1000, "{r}");
            assert!(res.header("content-type").unwrap().starts_with("text/"), "{r}");
        }
    }
    assert_eq!(app.get("/assets/nope.js", None).await.status, 404);
}
