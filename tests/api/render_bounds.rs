//! Bodies whose rendering would cost time quadratic in their nesting (100 KB of `>` or of
//! `<div>`) are refused with 422 naming `body`, on both faces, and change nothing. The same
//! nesting at a depth articles use renders.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::db_test;
use crate::support::{TestApp, gql_code};

db_test!(bodies_nested_too_deep_are_refused_and_change_nothing);
async fn bodies_nested_too_deep_are_refused_and_change_nothing(app: TestApp) {
    let editor = app.editor();
    let hostile = [
        ">".repeat(100 * 1024),
        "<div>".repeat(20 * 1024),
        "> ".repeat(40 * 1024),
        (0..200).map(|i| format!("{}- x\n", "  ".repeat(i))).collect::<String>(),
        format!("{}x{}", "<span><b><i>".repeat(30), "</i></b></span>".repeat(30)),
        // Template contents nest inside their template; the parser restarts nothing.
        "<template>".repeat(50_000),
        // A table that foster-parents everything after it, a sibling scan each.
        format!("<table>{}", "<br>".repeat(200_000)),
        // One tag with thousands of attributes, each checked against the others.
        format!("<div{}>x</div>", (0..20_000).map(|i| format!(" a{i}")).collect::<String>()),
    ];
    for body in &hostile {
        let res = app
            .call(Method::POST, "/api/v1/articles", Some(&editor), Some(json!({ "title": "T", "body": body })))
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", &res.text[..res.text.len().min(300)]);
        let problem = res.json();
        assert_eq!(problem["errors"][0]["field"], "body");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(["levels deep", "attributes", "misnested"].iter().any(|m| message.contains(m)), "{problem}");
        let v = app
            .gql(
                "mutation($b: String!) { createArticle(input: {title: \"T\", body: $b}) { id } }",
                json!({ "b": body }),
                Some(&editor),
            )
            .await;
        assert_eq!(gql_code(&v), "BAD_USER_INPUT");
        assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "body");
    }
    assert_eq!(app.article_rows().await, 0);

    // An update is refused the same way and leaves the article as it was.
    let a = app.create(json!({ "title": "Kept", "body": "> quoted\n\nplain" })).await;
    let path = format!("/api/v1/articles/{}", a["id"].as_str().unwrap());
    let res = app.call(Method::PATCH, &path, Some(&editor), Some(json!({ "body": hostile[1] }))).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", &res.text[..res.text.len().min(300)]);
    let now = app.get(&path, Some(&editor)).await.json();
    assert_eq!(now["data"]["body"], "> quoted\n\nplain");
    assert_eq!(now["data"]["version"], a["version"]);

    // Nesting as articles nest renders: quotes in lists in quotes, a dozen levels.
    let mut body = String::new();
    for level in 0..12 {
        body.push_str(&format!("{}- item {level}\n", "  ".repeat(level)));
    }
    body.push_str(&format!("\n{} deep quote\n", ">".repeat(20)));
    body.push_str(&format!("\n{}text{}\n", "<div>".repeat(30), "</div>".repeat(30)));
    let res = app.call(Method::PATCH, &path, Some(&editor), Some(json!({ "body": body }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.json()["data"]["html"].as_str().unwrap().contains("deep quote"));
}
