//! Taxonomy and navigation on the real corpus: the numbers its source pages imply, on both
//! faces and both databases; and nothing unpublished ever moves them.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{Method, StatusCode};
use colophon::content::text::slugify;
use serde_json::{Value, json};

use crate::corpus::{corpus, load_published};
use crate::db_test;
use crate::support::TestApp;

fn tags_of(a: &Value) -> BTreeSet<String> {
    a.get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().map(|t| slugify(t.as_str().unwrap())).collect())
        .unwrap_or_default()
}

fn category_of(a: &Value) -> Option<String> {
    a.get("category").and_then(Value::as_str).map(slugify)
}

/// Every tag's count, read through GraphQL (paged) and REST (paged); both must agree.
async fn tag_counts(app: &TestApp) -> BTreeMap<String, u64> {
    let mut gql = BTreeMap::new();
    let mut after = Value::Null;
    loop {
        let v = app
            .gql_ok(
                "query($a: String) { tags(first: 25, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { slug articleCount } } }",
                json!({ "a": after }),
                None,
            )
            .await["tags"]
            .clone();
        for n in v["nodes"].as_array().unwrap() {
            gql.insert(n["slug"].as_str().unwrap().to_string(), n["articleCount"].as_u64().unwrap());
        }
        if !v["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            assert_eq!(v["totalCount"].as_u64().unwrap() as usize, gql.len());
            break;
        }
        after = v["pageInfo"]["endCursor"].clone();
    }
    let mut rest = BTreeMap::new();
    let mut url = "/api/v1/tags?limit=25&sort=-article_count".to_string();
    let mut last_count = u64::MAX;
    loop {
        let body = app.get(&url, None).await.json();
        for t in body["data"].as_array().unwrap() {
            let n = t["article_count"].as_u64().unwrap();
            assert!(n <= last_count, "sorted by count, most first");
            last_count = n;
            rest.insert(t["slug"].as_str().unwrap().to_string(), n);
        }
        match body["meta"]["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/tags?limit=25&sort=-article_count&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(gql, rest, "tag counts differ between the faces");
    gql
}

db_test!(corpus_counts_series_and_filters_match_the_source);
async fn corpus_counts_series_and_filters_match_the_source(app: TestApp) {
    let Some(corpus) = corpus() else { return };
    let articles = corpus["articles"].as_array().unwrap().clone();
    let loaded = load_published(&app, &articles).await;

    // Tags: each tag's count is the number of articles carrying it, however it was spelled.
    let mut expected_tags: BTreeMap<String, u64> = BTreeMap::new();
    for a in &articles {
        for t in tags_of(a) {
            *expected_tags.entry(t).or_default() += 1;
        }
    }
    assert_eq!(tag_counts(&app).await, expected_tags);
    assert_eq!(expected_tags["backend"], 31, "\"Backend\" and \"backend\" are one tag");
    assert!(expected_tags.contains_key("c-sharp") && expected_tags.contains_key("node-js"));

    // Categories: 19, each with its count, the same on both faces.
    let mut expected_cats: BTreeMap<String, u64> = BTreeMap::new();
    for a in &articles {
        if let Some(c) = category_of(a) {
            *expected_cats.entry(c).or_default() += 1;
        }
    }
    assert_eq!(expected_cats.len(), 19);
    let v = app.gql_ok("{ categories { slug articleCount } }", json!({}), None).await;
    let gql: BTreeMap<String, u64> = v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap().to_string(), c["articleCount"].as_u64().unwrap()))
        .collect();
    assert_eq!(gql, expected_cats);
    let rest = app.get("/api/v1/categories", None).await.json();
    let rest: BTreeMap<String, u64> = rest["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap().to_string(), c["article_count"].as_u64().unwrap()))
        .collect();
    assert_eq!(rest, expected_cats);

    // Series: parts in order across gaps, with previous/next links, on both faces.
    let mut series: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for a in &articles {
        if let Some(s) = a.get("series").and_then(Value::as_str) {
            series
                .entry(s.to_string())
                .or_default()
                .push((a["series_part"].as_i64().unwrap(), a["title"].as_str().unwrap().into()));
        }
    }
    assert_eq!(series.len(), 4);
    for (title, mut parts) in series {
        parts.sort();
        let slug = slugify(&title);
        let q = "query($s: String!) { series(slug: $s) { title articleCount articles(first: 100) { totalCount nodes { \
                 title seriesPart previousInSeries { title } nextInSeries { title } } } } }";
        let v = app.gql_ok(q, json!({ "s": slug }), None).await["series"].clone();
        assert_eq!(v["title"], title.as_str());
        assert_eq!(v["articleCount"].as_u64().unwrap() as usize, parts.len());
        let nodes = v["articles"]["nodes"].as_array().unwrap();
        let got: Vec<(i64, String)> = nodes
            .iter()
            .map(|n| (n["seriesPart"].as_i64().unwrap(), n["title"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, parts, "{title}: parts in order");
        for (i, n) in nodes.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| json!({ "title": parts[j].1 })).unwrap_or(Value::Null);
            let next = parts.get(i + 1).map(|p| json!({ "title": p.1 })).unwrap_or(Value::Null);
            assert_eq!(n["previousInSeries"], prev, "{title} part {}", parts[i].0);
            assert_eq!(n["nextInSeries"], next, "{title} part {}", parts[i].0);
        }
        let rest = app.get(&format!("/api/v1/series/{slug}?limit=100"), None).await.json()["data"].clone();
        assert_eq!(rest["article_count"].as_u64().unwrap() as usize, parts.len());
        let rest_titles: Vec<&str> =
            rest["articles"]["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
        assert_eq!(rest_titles, parts.iter().map(|p| p.1.as_str()).collect::<Vec<_>>());
        for (i, a) in rest["articles"]["data"].as_array().unwrap().iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| parts[j].1.as_str());
            assert_eq!(a["previous_in_series"]["title"].as_str(), prev);
            assert_eq!(a["next_in_series"]["title"].as_str(), parts.get(i + 1).map(|p| p.1.as_str()));
        }
    }
    // The DevOps series shows gaps (parts 7, 8, 9, then 11): navigation skips them.
    let devops = app.get("/api/v1/articles/build-optimization", None).await.json()["data"].clone();
    assert_eq!(devops["series_part"], 9);
    assert_eq!(devops["next_in_series"]["title"], "Container Image Security");

    // Filters: tag, all-of tags, category, series, dates — counts from the source.
    let count = |f: &dyn Fn(&Value) -> bool| articles.iter().filter(|a| f(a)).count() as u64;
    let cases: Vec<(&str, &str, u64)> = vec![
        ("{tag: \"backend\"}", "tag=backend", count(&|a| tags_of(a).contains("backend"))),
        (
            "{tags: [\"backend\", \"security\"]}",
            "tags=backend,security",
            count(&|a| tags_of(a).contains("backend") && tags_of(a).contains("security")),
        ),
        (
            "{category: \"foundation\"}",
            "category=foundation",
            count(&|a| category_of(a).as_deref() == Some("foundation")),
        ),
        (
            "{series: \"devops-series\"}",
            "series=devops-series",
            count(&|a| a.get("series") == Some(&json!("DevOps series"))),
        ),
        ("{tag: \"no-such-tag\"}", "tag=no-such-tag", 0),
    ];
    for (filter, qs, expected) in cases {
        let v = app.gql_ok(&format!("{{ articles(filter: {filter}) {{ totalCount }} }}"), json!({}), None).await;
        assert_eq!(v["articles"]["totalCount"], expected, "GraphQL {filter}");
        let r = app.get(&format!("/api/v1/articles?{qs}"), None).await.json();
        assert_eq!(r["meta"]["total"], expected, "REST {qs}");
    }

    // Archive: months newest first with counts, and a month's page through the date filter.
    let mut months: BTreeMap<String, u64> = BTreeMap::new();
    for (_, _, at) in &loaded {
        *months.entry(at[..7].to_string()).or_default() += 1;
    }
    let v = app.gql_ok("{ archive { year month count } }", json!({}), None).await;
    let got: Vec<(String, u64)> = v["archive"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (format!("{}-{:02}", m["year"], m["month"].as_u64().unwrap()), m["count"].as_u64().unwrap()))
        .collect();
    let want: Vec<(String, u64)> = months.iter().rev().map(|(k, v)| (k.clone(), *v)).collect();
    assert_eq!(got, want);
    let rest = app.get("/api/v1/archive", None).await.json();
    assert_eq!(rest["data"].as_array().unwrap().len(), want.len());
    let (month, n) = &want[0];
    let (y, m) = month.split_once('-').unwrap();
    let next = if m == "12" {
        format!("{}-01", y.parse::<i32>().unwrap() + 1)
    } else {
        format!("{y}-{:02}", m.parse::<u32>().unwrap() + 1)
    };
    let r = app
        .get(
            &format!("/api/v1/articles?published_after={month}-01T00:00:00Z&published_before={next}-01T00:00:00Z"),
            None,
        )
        .await
        .json();
    assert_eq!(r["meta"]["total"], *n);

    // Site counts.
    let site = app.gql_ok("{ site { articleCount tagCount categoryCount seriesCount } }", json!({}), None).await;
    assert_eq!(
        site["site"],
        json!({ "articleCount": 111, "tagCount": expected_tags.len(), "categoryCount": 19, "seriesCount": 4 })
    );
    let rest = app.get("/api/v1/site", None).await.json();
    assert_eq!(rest["data"]["article_count"], 111);
    assert_eq!(rest["data"]["tag_count"], expected_tags.len());
}

/// A small publication shared by the tests below: two tags, a category tree, a series with
/// a gap.
async fn small_publication(app: &TestApp) -> Vec<Value> {
    let editor = app.editor();
    let parent = app
        .gql_ok(
            "mutation { createCategory(input: {name: \"Engineering\"}) { id slug depth } }",
            json!({}),
            Some(&editor),
        )
        .await;
    assert_eq!(parent["createCategory"]["depth"], 0);
    let child = app
        .call(
            Method::POST,
            "/api/v1/categories",
            Some(&editor),
            Some(json!({ "name": "Backend", "parent": "engineering" })),
        )
        .await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.text);
    assert_eq!(child.json()["data"]["parent"], "engineering");
    let mut out = Vec::new();
    for (title, tags, cat, part, day) in [
        ("Alpha on Rust", vec!["Rust", "Backend"], "Backend", Some(1), 1),
        ("Beta on Rust and Go", vec!["Rust", "Go"], "Engineering", Some(2), 2),
        ("Gamma on Go", vec!["Go"], "Backend", Some(5), 3),
        ("Delta elsewhere", vec!["Backend"], "Engineering", None, 4),
    ] {
        let mut body = json!({ "title": title, "tags": tags, "category": cat, "body": format!("{title} body text.") });
        if let Some(p) = part {
            body["series"] = json!("Guide");
            body["series_part"] = json!(p);
        }
        let a = app.create(body).await;
        let id = a["id"].as_str().unwrap().to_string();
        out.push(app.publish(&id, Some(&format!("2025-03-{day:02}T12:00:00Z"))).await);
    }
    out
}

/// What readers can see, gathered from every public read on both faces.
async fn public_snapshot(app: &TestApp) -> Value {
    let gql = app
        .gql_ok(
            "{ site { articleCount tagCount seriesCount } tags(first: 100) { nodes { slug articleCount } } \
             categories { slug articleCount(includeDescendants: true) articles(first: 50, includeDescendants: true) { nodes { slug } } } \
             series(slug: \"guide\") { articleCount articles { nodes { slug previousInSeries { slug } nextInSeries { slug } } } } \
             archive { year month count } search(query: \"rust\") { totalCount nodes { article { slug } } } \
             articles(first: 100) { totalCount nodes { slug related { slug } } } }",
            json!({}),
            None,
        )
        .await;
    let mut rest = serde_json::Map::new();
    for url in [
        "/api/v1/site",
        "/api/v1/tags?limit=100",
        "/api/v1/categories?articles=50&include_descendants=true",
        "/api/v1/series/guide",
        "/api/v1/archive",
        "/api/v1/search?q=rust",
        "/api/v1/articles?limit=100",
        "/api/v1/articles/alpha-on-rust/related",
    ] {
        let body = app.get(url, None).await;
        assert_eq!(body.status, StatusCode::OK, "{url}: {}", body.text);
        let mut v = body.json();
        strip_volatile(&mut v);
        rest.insert(url.to_string(), v);
    }
    json!({ "graphql": gql, "rest": rest })
}

/// Fields that change with every write but are not what a reader is shown as a count or list.
fn strip_volatile(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("updated_at");
            m.remove("version");
            m.remove("score");
            m.values_mut().for_each(strip_volatile);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_volatile),
        _ => {}
    }
}

db_test!(unpublished_articles_move_no_count_and_appear_nowhere);
async fn unpublished_articles_move_no_count_and_appear_nowhere(app: TestApp) {
    small_publication(&app).await;
    let before = public_snapshot(&app).await;
    assert_eq!(before["graphql"]["site"]["articleCount"], 4);
    assert_eq!(before["graphql"]["series"]["articleCount"], 3);

    // A draft, a scheduled article and a trashed one, sharing every tag, the category and
    // the series (in the gap between parts 2 and 5), and the search word.
    let editor = app.editor();
    let hidden = |title: &str, part: i64| {
        json!({ "title": title, "tags": ["Rust", "Go", "Backend", "Secret"], "category": "Backend",
                "series": "Guide", "series_part": part, "body": "rust rust rust" })
    };
    app.create(hidden("Hidden draft", 3)).await;
    let scheduled = app.create(hidden("Hidden scheduled", 4)).await;
    app.publish(scheduled["id"].as_str().unwrap(), Some("2999-01-01T00:00:00Z")).await;
    let trashed = app.create(hidden("Hidden trashed", 6)).await;
    app.publish(trashed["id"].as_str().unwrap(), Some("2025-03-10T00:00:00Z")).await;
    let res = app
        .call(Method::DELETE, &format!("/api/v1/articles/{}", trashed["id"].as_str().unwrap()), Some(&editor), None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);

    assert_eq!(public_snapshot(&app).await, before);
    // The tag only hidden articles use is invisible to readers, visible to editors.
    assert!(app.get("/api/v1/tags?limit=100", None).await.text.find("\"secret\"").is_none());
    let all = app.get("/api/v1/tags?limit=100", Some(&editor)).await.json();
    assert!(all["data"].as_array().unwrap().iter().any(|t| t["slug"] == "secret" && t["article_count"] == 0));
}

db_test!(navigation_reads_on_both_faces);
async fn navigation_reads_on_both_faces(app: TestApp) {
    small_publication(&app).await;
    // Related: most shared tags first, then newest; never itself.
    let v = app
        .gql_ok(
            "{ article(slug: \"beta-on-rust-and-go\") { primaryTag { slug } related(first: 5) { slug } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(v["article"]["primaryTag"]["slug"], "rust");
    assert_eq!(v["article"]["related"], json!([{ "slug": "gamma-on-go" }, { "slug": "alpha-on-rust" }]));
    let r = app.get("/api/v1/articles/beta-on-rust-and-go/related", None).await.json();
    let slugs: Vec<&str> = r["data"].as_array().unwrap().iter().map(|a| a["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["gamma-on-go", "alpha-on-rust"]);

    // Category tree: breadcrumbs, children, descendants' articles.
    let v = app
        .gql_ok(
            "{ category(slug: \"backend\") { name parent { slug } ancestors { slug } articleCount \
             articles { nodes { slug } } } root: category(slug: \"engineering\") { children { slug } \
             articleCount all: articleCount(includeDescendants: true) } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(v["category"]["parent"]["slug"], "engineering");
    assert_eq!(v["category"]["ancestors"], json!([{ "slug": "engineering" }]));
    assert_eq!(v["category"]["articleCount"], 2);
    assert_eq!(v["root"]["children"], json!([{ "slug": "backend" }]));
    assert_eq!(v["root"]["articleCount"], 2);
    assert_eq!(v["root"]["all"], 4);
    let r = app.get("/api/v1/categories/backend", None).await.json()["data"].clone();
    assert_eq!(r["ancestors"], json!([{ "slug": "engineering", "name": "Engineering" }]));
    assert_eq!(r["articles"]["meta"]["total"], 2);
    let r = app.get("/api/v1/categories/engineering?include_descendants=true", None).await.json()["data"].clone();
    assert_eq!(r["articles"]["meta"]["total"], 4);
    assert_eq!(r["children"], json!([{ "slug": "backend", "name": "Backend" }]));
    let filtered = app.get("/api/v1/articles?category=engineering", None).await.json();
    assert_eq!(filtered["meta"]["total"], 4, "the category filter includes descendants");

    // Tag page in one request on each face.
    let v = app.gql_ok("{ tag(slug: \"go\") { name articleCount articles(first: 1) { totalCount pageInfo { hasNextPage } nodes { slug } } } }", json!({}), None).await;
    assert_eq!(v["tag"]["articleCount"], 2);
    assert_eq!(v["tag"]["articles"]["nodes"], json!([{ "slug": "gamma-on-go" }]));
    assert_eq!(v["tag"]["articles"]["pageInfo"]["hasNextPage"], true);
    let r = app.get("/api/v1/tags/go?limit=1", None).await.json()["data"].clone();
    assert_eq!(r["article_count"], 2);
    assert_eq!(r["articles"]["data"][0]["slug"], "gamma-on-go");
    let next = r["articles"]["meta"]["next_cursor"].as_str().unwrap().to_string();
    let r = app.get(&format!("/api/v1/tags/go?limit=1&cursor={next}"), None).await.json()["data"].clone();
    assert_eq!(r["articles"]["data"][0]["slug"], "beta-on-rust-and-go");
    assert_eq!(app.get("/api/v1/tags/nope", None).await.status, StatusCode::NOT_FOUND);
    assert!(app.gql_ok("{ tag(slug: \"nope\") { slug } }", json!({}), None).await["tag"].is_null());
}

db_test!(search_ranks_marks_and_survives_any_text);
async fn search_ranks_marks_and_survives_any_text(app: TestApp) {
    let editor = app.editor();
    for (title, body, tags) in [
        ("Understanding consensus", "A body about agreement between nodes.", vec!["Distributed"]),
        (
            "Quorum reads",
            "Consensus algorithms such as Raft appear in the body only. <script>x</script>",
            vec!["Storage"],
        ),
        ("Unrelated", "Nothing to see here.", vec!["Misc"]),
    ] {
        let a = app.create(json!({ "title": title, "body": body, "tags": tags })).await;
        app.publish(a["id"].as_str().unwrap(), None).await;
    }
    let draft = app.create(json!({ "title": "Consensus draft", "body": "consensus" })).await;
    assert_eq!(draft["status"], "draft");

    let v = app
        .gql_ok(
            "{ search(query: \"consensus\") { totalCount nodes { article { slug } snippet score } } }",
            json!({}),
            None,
        )
        .await;
    let hits = v["search"]["nodes"].as_array().unwrap();
    assert_eq!(v["search"]["totalCount"], 2, "{v}");
    assert_eq!(hits[0]["article"]["slug"], "understanding-consensus", "the title weighs most");
    assert_eq!(hits[1]["article"]["slug"], "quorum-reads");
    assert!(hits[0]["score"].as_f64().unwrap() > hits[1]["score"].as_f64().unwrap());
    let snippet = hits[1]["snippet"].as_str().unwrap();
    assert!(snippet.to_lowercase().contains("<mark>consensus</mark>"), "{snippet}");
    assert!(!snippet.contains("<script"), "{snippet}");
    let r = app.get("/api/v1/search?q=consensus", None).await.json();
    assert_eq!(r["meta"]["total"], 2);
    assert_eq!(r["data"][0]["article"]["slug"], "understanding-consensus");
    // Relevance order on the article list, with the search filter.
    let v = app
        .gql_ok(
            "{ articles(filter: {search: \"consensus\"}, orderBy: RELEVANCE) { totalCount nodes { slug } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(v["articles"]["nodes"][0]["slug"], "understanding-consensus");
    let r = app.get("/api/v1/articles?q=consensus&sort=relevance", None).await.json();
    assert_eq!(r["data"][0]["slug"], "understanding-consensus");
    let r = app.get("/api/v1/articles?sort=relevance", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "sort");

    // Hostile text: never an error, let alone a 500.
    for q in [
        "\"",
        "consensus\" OR title:*",
        "(((",
        "NEAR(a b)",
        "-",
        "^*",
        "'; DROP TABLE articles; --",
        "日本語",
        "a:b:c",
        "\u{0}",
        "***",
    ] {
        let v = app.gql("query($q: String!) { search(query: $q) { totalCount } }", json!({ "q": q }), None).await;
        assert!(v.get("errors").is_none(), "{q:?}: {v}");
        let enc: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let r = app.get(&format!("/api/v1/search?q={enc}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{q:?}: {}", r.text);
        let r = app.get(&format!("/api/v1/articles?q={enc}&sort=relevance"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{q:?}: {}", r.text);
    }
    let _ = editor;
}

db_test!(related_limits_are_the_same_on_both_faces);
async fn related_limits_are_the_same_on_both_faces(app: TestApp) {
    small_publication(&app).await;
    for n in [0, 51] {
        let v = app
            .gql(
                &format!("{{ article(slug: \"beta-on-rust-and-go\") {{ related(first: {n}) {{ slug }} }} }}"),
                json!({}),
                None,
            )
            .await;
        assert_eq!(v["errors"][0]["extensions"]["fields"][0]["field"], "first", "{n}: {v}");
        let r = app.get(&format!("/api/v1/articles/beta-on-rust-and-go/related?limit={n}"), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.json()["errors"][0]["field"], "limit");
    }
    let v =
        app.gql_ok("{ article(slug: \"beta-on-rust-and-go\") { related(first: 1) { slug } } }", json!({}), None).await;
    assert_eq!(v["article"]["related"].as_array().unwrap().len(), 1);
}

db_test!(related_looks_past_a_popular_tags_newest);
async fn related_looks_past_a_popular_tags_newest(app: TestApp) {
    // Candidates are each tag's newest RELATED_POOL articles; an old article sharing a rare
    // tag too is still found through the rare tag, and ranks first on shared tags.
    let pool = colophon::content::groups::RELATED_POOL as usize;
    let publish_new = |title: String, tags: Value| {
        let app = &app;
        async move {
            let a = app.create(json!({ "title": title, "body": "Text.", "tags": tags })).await;
            app.publish(a["id"].as_str().unwrap(), None).await;
        }
    };
    let old = app.create(json!({ "title": "Old deep dive", "body": "Text.", "tags": ["common", "rare"] })).await;
    app.publish(old["id"].as_str().unwrap(), Some("2020-01-01T00:00:00Z")).await;
    for i in 0..pool + 5 {
        publish_new(format!("Common {i}"), json!(["common"])).await;
    }
    publish_new("Source".into(), json!(["common", "rare"])).await;
    publish_new("Plain source".into(), json!(["common"])).await;
    let v = app
        .gql_ok(
            "{ a: article(slug: \"source\") { related(first: 3) { slug } } \
               b: article(slug: \"plain-source\") { related(first: 3) { slug } } }",
            json!({}),
            None,
        )
        .await;
    let n = pool + 4;
    assert_eq!(
        v["a"]["related"],
        json!([{ "slug": "old-deep-dive" }, { "slug": "plain-source" }, { "slug": format!("common-{n}") }])
    );
    // With `common` alone: the newest first.
    assert_eq!(
        v["b"]["related"],
        json!([{ "slug": "source" }, { "slug": format!("common-{n}") }, { "slug": format!("common-{}", n - 1) }])
    );
}
