//! Lists carry summaries: REST leaves each article's text out (fetch the article for it);
//! GraphQL loads `body` and `html` of list items only when asked, in one batch.

use serde_json::json;

use crate::db_test;
use crate::support::TestApp;

db_test!(lists_leave_the_text_out_unless_asked);
async fn lists_leave_the_text_out_unless_asked(app: TestApp) {
    for i in 0..3 {
        let a = app
            .create(json!({ "title": format!("Long {i}"), "body": format!("# Part {i}\n\nSome *text* {i}.") }))
            .await;
        app.publish(a["id"].as_str().unwrap(), None).await;
    }
    let list = app.get("/api/v1/articles", None).await.json();
    let first = &list["data"][0];
    assert!(first.get("body").is_none() && first.get("html").is_none(), "{first}");
    assert!(first["excerpt"].as_str().unwrap().contains("Some text"), "{first}");
    let slug = first["slug"].as_str().unwrap();
    let full = app.get(&format!("/api/v1/articles/{slug}"), None).await.json();
    assert!(full["data"]["html"].as_str().unwrap().contains("<em>text</em>"));
    assert_eq!(full["data"]["title"], first["title"]);

    // GraphQL: the same list with the text asked for, and every node has its own.
    let v = app.gql_ok("{ articles(first: 3) { nodes { slug body html } } }", json!({}), None).await;
    for node in v["articles"]["nodes"].as_array().unwrap() {
        let one = app
            .gql_ok("query($s: String!) { article(slug: $s) { body html } }", json!({ "s": node["slug"] }), None)
            .await;
        assert_eq!(node["body"], one["article"]["body"]);
        assert_eq!(node["html"], one["article"]["html"]);
        assert!(node["html"].as_str().unwrap().starts_with("<h1>"), "{node}");
    }
    let v = app
        .gql_ok(
            "{ search(query: \"text\") { nodes { article { html } } } tag(slug: \"none\") { slug } }",
            json!({}),
            None,
        )
        .await;
    assert!(v["search"]["nodes"][0]["article"]["html"].as_str().unwrap().contains("<em>"));
}
