//! GraphQL documents are measured with their fragments spread, each fragment once, before
//! anything walks them expanded. A kilobyte of fragments that spread each other twice is
//! 2^25 selections; it must be refused at once, whatever shape carries it.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::{TestApp, gql_code};

/// Fragment `f0` selects two fields; each next one spreads the one before twice.
fn doubling(n: usize, aliased: bool) -> String {
    let mut q = format!("query {{ site {{ ...f{} }} }}\nfragment f0 on Site {{ title description }}\n", n - 1);
    for i in 1..n {
        let p = i - 1;
        let body =
            if aliased { format!("a: site {{ ...f{p} }} b: site {{ ...f{p} }}") } else { format!("...f{p} ...f{p}") };
        q.push_str(&format!("fragment f{i} on Site {{ {body} }}\n"));
    }
    q
}

async fn refused(app: &TestApp, query: &str) -> (String, String) {
    let v = app.gql(query, json!({}), None).await;
    assert_eq!(v["data"], Value::Null, "{v}");
    let message = v["errors"][0]["message"].as_str().unwrap_or_default().to_string();
    (gql_code(&v).to_string(), message)
}

db_test!(exponential_documents_are_refused_before_they_expand);
async fn exponential_documents_are_refused_before_they_expand(app: TestApp) {
    // The report's 25 fragments (about 1 KB), and 28, which took 34 s.
    for n in [25, 28, 200] {
        let query = doubling(n, false);
        let (code, message) = refused(&app, &query).await;
        assert_eq!(code, "QUERY_TOO_COMPLEX", "{n}: {message}");
        assert!(message.contains("once its fragments are spread"), "{n}: {message}");
        // Over GET too.
        let url = format!("/graphql?query={}", urlencode(&query));
        let res = app.get(&url, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(gql_code(&res.json()), "QUERY_TOO_COMPLEX");
    }
    let (code, message) = refused(&app, &doubling(30, true)).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    // A fragment that spreads itself never ends: refused without looping.
    let cycle = "{ site { ...A } } fragment A on Site { title ...B } fragment B on Site { ...A }";
    let (code, message) = refused(&app, cycle).await;
    assert_eq!(code, "GRAPHQL_VALIDATION_FAILED");
    assert!(message.contains("spreads itself"), "{message}");
}

db_test!(every_shape_of_document_is_bounded);
async fn every_shape_of_document_is_bounded(app: TestApp) {
    // Inline fragments nested deeper than any client needs.
    let n = 40;
    let deep = format!("{{ site {{ {}title{} }} }}", "... on Site { ".repeat(n), " }".repeat(n));
    let (code, message) = refused(&app, &deep).await;
    assert_eq!(code, "QUERY_TOO_DEEP", "{message}");
    // Fields nested past the depth limit through fragments.
    let mut chain = String::from("{ articles { nodes { ...a0 } } }\n");
    for i in 0..20 {
        chain.push_str(&format!(
            "fragment a{i} on Article {{ series {{ articles {{ nodes {{ ...a{} }} }} }} }}\n",
            i + 1
        ));
    }
    chain.push_str("fragment a20 on Article { id }\n");
    assert_eq!(refused(&app, &chain).await.0, "QUERY_TOO_DEEP");
    // A long list of directives on one field.
    let directives = format!("{{ site {{ title {} }} }}", "@skip(if: false) ".repeat(1500));
    let (code, message) = refused(&app, &directives).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    assert!(message.contains("directives"), "{message}");
    // Thousands of selections of one field, under aliases or not.
    let repeated = format!("{{ site {{ {} }} }}", "title ".repeat(5_001));
    assert_eq!(refused(&app, &repeated).await.0, "QUERY_TOO_COMPLEX");
    // Too many variables.
    let vars: String = (0..101).map(|i| format!("$v{i}: Int ")).collect();
    let (code, message) = refused(&app, &format!("query({vars}) {{ site {{ title }} }}")).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    assert!(message.contains("variables"), "{message}");
    // One field with many arguments, then thousands of the same name: validation would
    // compare each with the first, an error per argument.
    let args: String = (0..20).map(|i| format!("x{i}: 1 ")).collect();
    let (code, message) = refused(&app, &format!("{{ site {{ title({args}) {} }} }}", "title ".repeat(1500))).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    let many: String = (0..30).map(|i| format!("x{i}: 1 ")).collect();
    let (code, message) = refused(&app, &format!("{{ site {{ title({many}) }} }}")).await;
    assert_eq!(code, "QUERY_TOO_COMPLEX", "{message}");
    assert!(message.contains("arguments"), "{message}");
    // A document wrong in hundreds of places says so in at most fifty errors.
    let wrong = format!("{{ site {{ {} }} }}", (0..300).map(|i| format!("nope{i} ")).collect::<String>());
    let v = app.gql(&wrong, json!({}), None).await;
    let errors = v["errors"].as_array().unwrap();
    assert!(errors.len() <= 50 && errors.len() > 10, "{}", errors.len());
    assert!(errors.last().unwrap()["message"].as_str().unwrap().contains("more errors"), "{v}");
    // A deep list value is a parse error, not a crash.
    let deep_value = format!("{{ article(slug: {}\"x\"{}) {{ id }} }}", "[".repeat(8_000), "]".repeat(8_000));
    let v = app.gql(&deep_value, json!({}), None).await;
    assert!(v["errors"].is_array(), "{v}");
    // The server still answers.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

db_test!(documents_within_the_limits_run);
async fn documents_within_the_limits_run(app: TestApp) {
    // Fragments used as clients use them: spread in several places, measured once each.
    let query = "query { a: site { ...Facts } b: site { ...Facts } articles(first: 5) { nodes { ...Card } } }
        fragment Facts on Site { title description articleCount tagCount }
        fragment Card on Article { id slug title tags { ...Tag } category { slug } }
        fragment Tag on Tag { slug name }";
    let data = app.gql_ok(query, json!({}), None).await;
    assert_eq!(data["a"], data["b"]);
    // 16 levels of fields pass; the 17th is refused (README: 16 levels deep).
    let nest = |levels: usize| {
        // site is level 1; each `series { articles { nodes {` adds three.
        let mut q = String::from("{ articles(first: 1) { nodes { ");
        let mut depth = 3;
        while depth + 3 <= levels {
            q.push_str("series { articles(first: 1) { nodes { ");
            depth += 3;
        }
        let pad = levels - depth;
        q.push_str(&"category { parent { ".repeat(pad / 2));
        q.push_str(if pad % 2 == 1 { "category { id }" } else { "id" });
        q.push_str(&" } }".repeat(pad / 2));
        q.push_str(&" } } }".repeat((depth - 3) / 3));
        q.push_str(" } } }");
        q
    };
    let ok = app.gql(&nest(16), json!({}), None).await;
    assert!(ok.get("errors").is_none(), "{ok}");
    assert_eq!(refused(&app, &nest(17)).await.0, "QUERY_TOO_DEEP");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
