//! Feeds and the sitemap, read back by a feed parser (feed-rs) as a feed reader would.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use colophon::config::ServerSettings;
use colophon::feeds::FeedSettings;
use colophon::feeds::links::ArticleUrl;

use crate::db_test;
use crate::support::TestApp;

const BASE: &str = "https://blog.example.com";

fn settings(full_text: bool, size: u64, per_file: u64) -> ServerSettings {
    ServerSettings {
        feeds: FeedSettings {
            public_url: Some(BASE.into()),
            article_url: ArticleUrl::parse("{public_url}/posts/{year}/{slug}").unwrap(),
            full_text,
            size,
            sitemap_per_file: per_file,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A small publication: two categories (one inside the other), a series, tags with
/// awkward names, three published articles, a draft and one scheduled for tomorrow.
async fn publication(app: &TestApp) -> Vec<Value> {
    let editor = app.editor();
    for body in [json!({ "name": "Engineering" }), json!({ "name": "Backend", "parent": "engineering" })] {
        let res = app.call(Method::POST, "/api/v1/categories", Some(&editor), Some(body)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    }
    let res = app.call(Method::POST, "/api/v1/series", Some(&editor), Some(json!({ "title": "Feeds 101" }))).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let mut published = Vec::new();
    for (i, (title, extra)) in [
        ("Rust & Go: a <comparison>", json!({ "tags": ["C#", "Systems"], "category": "engineering" })),
        ("Queues, \"properly\"", json!({ "tags": ["Systems"], "category": "backend", "series": "feeds-101" })),
        ("Third", json!({ "series": "feeds-101", "cover_image_url": "https://img.example.com/3.png" })),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({ "title": title, "body": format!("Body **{i}** with `code`.\n\nMore text.") });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let a = app.create(body).await;
        let at = format!("2026-0{}-15T10:00:00Z", i + 1);
        published.push(app.publish(a["id"].as_str().unwrap(), Some(&at)).await);
    }
    app.create(json!({ "title": "Draft only", "tags": ["Systems"] })).await;
    let later = app.create(json!({ "title": "Tomorrow", "tags": ["Systems"] })).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.publish(later["id"].as_str().unwrap(), Some(&tomorrow)).await;
    published
}

fn parse(res: &crate::support::Response) -> feed_rs::model::Feed {
    feed_rs::parser::parse(res.text.as_bytes()).unwrap_or_else(|e| panic!("not a feed ({e}): {}", res.text))
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.title.as_ref().map(|t| t.content.clone()).unwrap_or_default()).collect()
}

db_test!(site_feeds_carry_the_newest_published_articles_in_three_formats);
async fn site_feeds_carry_the_newest_published_articles_in_three_formats(app: TestApp) {
    let published = publication(&app).await;
    let app = app.configured(settings(true, 20, 10_000));
    let newest_first = ["Third", "Queues, \"properly\"", "Rust & Go: a <comparison>"];
    for (path, ctype, kind) in [
        ("/feed.xml", "application/rss+xml; charset=utf-8", feed_rs::model::FeedType::RSS2),
        ("/atom.xml", "application/atom+xml; charset=utf-8", feed_rs::model::FeedType::Atom),
        ("/feed.json", "application/feed+json; charset=utf-8", feed_rs::model::FeedType::JSON),
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        assert_eq!(res.header("content-type"), Some(ctype), "{path}");
        let feed = parse(&res);
        assert_eq!(feed.feed_type, kind, "{path}");
        assert_eq!(titles(&feed), newest_first, "{path}: drafts and scheduled articles stay out");
        assert!(!res.text.contains("Draft only") && !res.text.contains("Tomorrow"), "{path}");
        // Links are absolute, from the public URL and the article URL template.
        let first = &feed.entries[0];
        let slug = published[2]["slug"].as_str().unwrap();
        assert_eq!(first.links[0].href, format!("{BASE}/posts/2026/{slug}"), "{path}");
        assert!(feed.links.iter().any(|l| l.href.starts_with(BASE)), "{path}: {:?}", feed.links);
        // Full text by default: the rendered HTML, not the Markdown.
        let oldest = &feed.entries[2];
        let body = oldest.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
        assert!(body.contains("<strong>0</strong>") && body.contains("<code>code</code>"), "{path}: {body}");
        assert!(oldest.published.is_some(), "{path}: a publication date");
        assert_eq!(oldest.published.unwrap().to_rfc3339(), "2026-01-15T10:00:00+00:00", "{path}");
        let terms: Vec<&str> = oldest.categories.iter().map(|c| c.term.as_str()).collect();
        assert!(terms.contains(&"C#") && terms.contains(&"Engineering"), "{path}: {terms:?}");
        // Entry ids stay when a slug changes; they are not the address.
        let created = &published[2]["created_at"].as_str().unwrap()[..10];
        let id = published[2]["id"].as_str().unwrap();
        assert_eq!(first.id, format!("tag:blog.example.com,{created}:article/{id}"), "{path}");
        // Cacheable like any public read.
        let etag = res.header("etag").expect("an ETag").to_string();
        assert!(res.header("cache-control").unwrap().starts_with("public"), "{path}");
        assert!(res.header("surrogate-key").unwrap().split(' ').any(|k| k == "articles"), "{path}");
        let req =
            axum::http::Request::get(path).header("if-none-match", &etag).body(axum::body::Body::empty()).unwrap();
        assert_eq!(app.send(req).await.status, StatusCode::NOT_MODIFIED, "{path}");
    }
    // Characters XML forbids (pasted text carries them) are left out, not fatal.
    let odd = app.create(json!({ "title": "Vertical\u{b}tab", "body": "Form\u{c}feed and bell\u{7}." })).await;
    app.publish(odd["id"].as_str().unwrap(), None).await;
    for path in ["/feed.xml", "/atom.xml", "/feed.json"] {
        let feed = parse(&app.get(path, None).await);
        assert_eq!(titles(&feed)[0], "Verticaltab", "{path}");
    }
    // Every entry has an author, from the feed when not its own (Atom requires one).
    let atom = app.get("/atom.xml", None).await.text;
    assert!(atom.contains("<author><name>Colophon</name></author>"), "{atom}");
    // The same content gives the same bytes: dates come from the articles, not the clock.
    let again = app.get("/feed.xml", None).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let cold = app.configured(settings(true, 20, 10_000)).get("/feed.xml", None).await;
    assert_eq!(again.text, cold.text);
}

db_test!(group_feeds_hold_their_groups_articles);
async fn group_feeds_hold_their_groups_articles(app: TestApp) {
    publication(&app).await;
    let app = app.configured(settings(true, 20, 10_000));
    let tag = app.get("/tags/c-sharp/atom.xml", None).await;
    assert_eq!(tag.status, StatusCode::OK, "{}", tag.text);
    let feed = parse(&tag);
    assert_eq!(titles(&feed), ["Rust & Go: a <comparison>"]);
    assert_eq!(feed.title.unwrap().content, "Colophon — #C#");
    let tag_id = app.get("/api/v1/tags/c-sharp", None).await.json()["data"]["id"].as_str().unwrap().to_string();
    assert!(tag.header("surrogate-key").unwrap().split(' ').any(|k| k == format!("tag-{tag_id}")));

    let systems = parse(&app.get("/tags/systems/feed.json", None).await);
    assert_eq!(titles(&systems), ["Queues, \"properly\"", "Rust & Go: a <comparison>"]);
    // A category's feed includes its subcategories' articles.
    let engineering = parse(&app.get("/categories/engineering/feed.xml", None).await);
    assert_eq!(titles(&engineering), ["Queues, \"properly\"", "Rust & Go: a <comparison>"]);
    let backend = parse(&app.get("/categories/backend/feed.xml", None).await);
    assert_eq!(titles(&backend), ["Queues, \"properly\""]);
    let series = app.get("/series/feeds-101/feed.json", None).await;
    let v: Value = series.json();
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(v["feed_url"], format!("{BASE}/series/feeds-101/feed.json"));
    assert_eq!(v["home_page_url"], format!("{BASE}/series/feeds-101/"));
    assert_eq!(v["items"][0]["image"], "https://img.example.com/3.png");
    assert_eq!(titles(&parse(&series)), ["Third", "Queues, \"properly\""]);

    for missing in ["/tags/nope/feed.xml", "/categories/nope/atom.xml", "/series/nope/feed.json", "/tags/%00/feed.xml"]
    {
        let res = app.get(missing, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{missing}: {}", res.text);
        assert_eq!(res.header("content-type"), Some("application/problem+json"), "{missing}");
    }
}

db_test!(feeds_follow_their_settings_and_writes);
async fn feeds_follow_their_settings_and_writes(app: TestApp) {
    publication(&app).await;
    // Excerpts only, two items.
    let short = app.configured(settings(false, 2, 10_000));
    for path in ["/feed.xml", "/atom.xml", "/feed.json"] {
        let feed = parse(&short.get(path, None).await);
        assert_eq!(titles(&feed), ["Third", "Queues, \"properly\""], "{path}");
        for e in &feed.entries {
            let html = e.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
            assert!(!html.contains("<strong>"), "{path}: full text in an excerpt feed: {html}");
            let summary = e.summary.as_ref().map(|s| s.content.clone()).unwrap_or_default();
            assert!(summary.starts_with("Body"), "{path}: {summary:?}");
        }
    }
    // Without COLOPHON_PUBLIC_URL the site's url is used.
    let (editor, admin) = (app.editor(), app.token(colophon::content::Role::Admin));
    let res = app
        .call(Method::PATCH, "/api/v1/site", Some(&admin), Some(json!({ "url": "https://from-site.example/" })))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let feed = parse(&app.get("/feed.xml", None).await);
    assert!(feed.entries[0].links[0].href.starts_with("https://from-site.example/"), "{:?}", feed.entries[0].links);
    // A publication shows at once (the response cache keeps feeds, and lets go on writes).
    assert_eq!(app.get("/feed.json", None).await.header("x-cache"), Some("miss"));
    assert_eq!(app.get("/feed.json", None).await.header("x-cache"), Some("hit"));
    let a = app.create(json!({ "title": "Just now" })).await;
    app.publish(a["id"].as_str().unwrap(), None).await;
    let res = app.get("/feed.json", None).await;
    assert_eq!(res.header("x-cache"), Some("miss"));
    assert_eq!(titles(&parse(&res))[0], "Just now");
    // An unpublished article leaves.
    let res = app
        .call(Method::POST, &format!("/api/v1/articles/{}/unpublish", a["id"].as_str().unwrap()), Some(&editor), None)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(!app.get("/feed.json", None).await.text.contains("Just now"));
}

db_test!(the_sitemap_lists_every_published_article);
async fn the_sitemap_lists_every_published_article(app: TestApp) {
    let published = publication(&app).await;
    let one_file = app.configured(settings(true, 20, 10));
    let res = one_file.get("/sitemap.xml", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("application/xml; charset=utf-8"));
    assert!(res.header("etag").is_some());
    let locs = tag_values(&res.text, "loc");
    let expected: Vec<String> = published
        .iter()
        .map(|a| {
            let year = &a["published_at"].as_str().unwrap()[..4];
            format!("{BASE}/posts/{year}/{}", a["slug"].as_str().unwrap())
        })
        .collect();
    assert_eq!(locs, expected, "published articles by id, drafts and scheduled left out");
    let lastmods = tag_values(&res.text, "lastmod");
    assert_eq!(lastmods.len(), 3);
    assert!(lastmods.iter().all(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()), "{lastmods:?}");
    assert!(res.text.starts_with("<?xml") && res.text.contains("http://www.sitemaps.org/schemas/sitemap/0.9"));

    // Past the per-file size it becomes an index of files that together list them all.
    let split = app.configured(settings(true, 20, 2));
    let index = split.get("/sitemap.xml", None).await;
    assert!(index.text.contains("<sitemapindex"), "{}", index.text);
    let files = tag_values(&index.text, "loc");
    assert_eq!(files, [format!("{BASE}/sitemap-1.xml"), format!("{BASE}/sitemap-2.xml")]);
    let mut all = Vec::new();
    for f in &files {
        let res = split.get(f.strip_prefix(BASE).unwrap(), None).await;
        assert_eq!(res.status, StatusCode::OK, "{f}: {}", res.text);
        all.extend(tag_values(&res.text, "loc"));
    }
    assert_eq!(all, expected);
    for missing in ["/sitemap-3.xml", "/sitemap-0.xml", "/sitemap-x.xml", "/sitemap-1.json", "/sitemaps/1.xml"] {
        assert_eq!(split.get(missing, None).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

/// The text of every `<name>…</name>` element, in order.
fn tag_values(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open).skip(1).filter_map(|s| s.split_once(&close).map(|(v, _)| v.to_string())).collect()
}

db_test!(feed_entry_ids_survive_a_slug_change);
/// Each feed's newest entry: its id and its link.
async fn entries(app: &TestApp) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for path in ["/feed.xml", "/atom.xml", "/feed.json"] {
        let feed = parse(&app.get(path, None).await);
        let e = &feed.entries[0];
        out.push((e.id.clone(), e.links.first().map(|l| l.href.clone()).unwrap_or_default()));
    }
    out
}

/// A feed reader keys entries by id: changing an article's slug (and so its link) must not
/// make it a new entry, in any of the three formats, while the link follows the new slug.
async fn feed_entry_ids_survive_a_slug_change(base: TestApp) {
    let app = base.configured(settings(false, 20, 10_000));
    let a = app.create(json!({ "title": "Renamed later", "body": "Text." })).await;
    let id = a["id"].as_str().unwrap().to_string();
    app.publish(&id, None).await;
    let before = entries(&app).await;
    assert!(before.iter().all(|(_, link)| link.ends_with("/renamed-later")), "{before:?}");
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/articles/{id}"),
            Some(&app.editor()),
            Some(json!({ "slug": "a-better-name" })),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let after = entries(&app).await;
    for ((id_before, _), (id_after, link)) in before.iter().zip(&after) {
        assert_eq!(id_before, id_after, "an entry id changed with the slug");
        assert!(link.ends_with("/a-better-name"), "{link}");
    }
}
