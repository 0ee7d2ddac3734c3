//! Feeds carry text an editor typed to feed readers, which take some fields as HTML (RSS's
//! `<description>`, `content:encoded`, Atom's `type="html"`, JSON Feed's `content_html`).
//! Whatever the excerpt, title or site description holds, no feed in any content mode may
//! carry an element or attribute that runs.

use axum::http::{Method, StatusCode};
use serde_json::json;

use colophon::config::ServerSettings;
use colophon::feeds::FeedSettings;

use crate::db_test;
use crate::support::TestApp;

const ATTACK: &str = "<img src=x onerror=alert(1)> <script>alert(2)</script> <a href=\"javascript:alert(3)\">x</a>";

fn settings(full_text: bool) -> ServerSettings {
    ServerSettings {
        feeds: FeedSettings { public_url: Some("https://blog.example.com".into()), full_text, ..Default::default() },
        ..Default::default()
    }
}

/// Whether `html`, read as HTML, holds something that runs: a script or other active
/// element, an event-handler attribute, or a `javascript:` URL.
fn active(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    for element in ["<script", "<iframe", "<object", "<embed", "<svg", "<math", "<style", "<form", "<base", "<meta"] {
        if lower.contains(element) {
            return Some(element.to_string());
        }
    }
    // An on…= attribute or a javascript: URL inside a tag.
    for tag in lower.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")) {
        if tag.contains("javascript:") {
            return Some(format!("<{tag}>"));
        }
        if tag.split(|c: char| c.is_whitespace() || c == '/').skip(1).any(|a| a.starts_with("on") && a.contains('=')) {
            return Some(format!("<{tag}>"));
        }
    }
    None
}

/// Whether a reader takes this text as HTML (feed-rs says so for RSS descriptions and
/// Atom's `type="html"`).
fn is_html(text: &feed_rs::model::Text) -> bool {
    text.content_type.to_string().starts_with("text/html")
}

#[test]
fn the_check_sees_what_it_looks_for() {
    assert!(active(ATTACK).is_some());
    assert!(active("<p onclick=\"x()\">a</p>").is_some());
    assert!(active("<a href=\"javascript:x()\">a</a>").is_some());
    assert!(active("<p>Vec&lt;T&gt; &amp; onerror=1</p>").is_none());
    assert!(active("<p><img src=\"x\"> <a rel=\"noopener\">x</a></p>").is_none(), "sanitized markup is inert");
}

db_test!(no_feed_carries_markup_that_runs);
async fn no_feed_carries_markup_that_runs(app: TestApp) {
    let admin = app.token(colophon::content::Role::Admin);
    let res = app.call(Method::PATCH, "/api/v1/site", Some(&admin), Some(json!({ "description": ATTACK }))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = format!("{ATTACK}\n\nAnd a paragraph: {ATTACK}");
    for (title, excerpt) in [(ATTACK, Some(ATTACK)), ("Derived excerpt", None)] {
        let mut input = json!({ "title": title, "body": body, "tags": ["Feeds"] });
        if let Some(e) = excerpt {
            input["excerpt"] = json!(e);
        }
        let a = app.create(input).await;
        app.publish(a["id"].as_str().unwrap(), None).await;
    }
    for full_text in [true, false] {
        let app = app.configured(settings(full_text));
        for path in ["/feed.xml", "/atom.xml", "/feed.json", "/tags/feeds/feed.xml", "/tags/feeds/atom.xml"] {
            let res = app.get(path, None).await;
            assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
            let feed = feed_rs::parser::parse(res.text.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}"));
            let mut html_fields = Vec::new();
            for entry in &feed.entries {
                for text in entry.summary.iter().chain(entry.title.iter()) {
                    if is_html(text) {
                        html_fields.push(text.content.clone());
                    }
                }
                if let Some(content) = &entry.content
                    && content.content_type.to_string().starts_with("text/html")
                {
                    html_fields.extend(content.body.clone());
                }
            }
            if let Some(d) = feed.description.as_ref().filter(|d| is_html(d)) {
                html_fields.push(d.content.clone());
            }
            assert!(!html_fields.is_empty() || path.ends_with(".json") || !full_text, "{path}: nothing read as HTML");
            for html in &html_fields {
                assert_eq!(active(html), None, "{path} (full text: {full_text}) carries active markup: {html}");
            }
            // The words are still there, as text.
            assert!(res.text.contains("onerror=alert(1)"), "{path}: the excerpt's text went missing");
        }
    }
}
