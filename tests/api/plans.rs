//! The hot read queries stay on indexes: every SELECT the hot pages run is EXPLAINed on a
//! seeded publication, and none may read `articles` or `article_tags` whole. On PostgreSQL
//! sequential scans are switched off for the EXPLAIN, so a sequential scan in the plan means
//! no index could serve the query (at small sizes the planner would pick one anyway).
//! At 100k, point it at the benchmark's database (see `given_database`); the plans of the
//! last such run are in `bench/results/`.

use std::sync::{Arc, Mutex};

use colophon::app::AppState;
use colophon::auth::Jwt;
use colophon::content::Content;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::support::{Backend, SECRET, TestApp, connect_migrated, fresh_database};

/// A database already seeded (say the benchmark's 100k one) to EXPLAIN on instead of a
/// fresh 1.5k seed: `COLOPHON_PLANS_DATABASE_URL`, one backend per run. The test only
/// reads from it. There the planner chooses as it would in production (sequential scans
/// allowed on PostgreSQL), and `COLOPHON_PLANS_REPORT=FILE` writes every plan to a file.
fn given_database(backend: Backend) -> Option<String> {
    let url = std::env::var("COLOPHON_PLANS_DATABASE_URL").ok()?;
    let matches = match backend {
        Backend::Sqlite => url.starts_with("sqlite:"),
        Backend::Postgres => url.starts_with("postgres"),
    };
    matches.then_some(url)
}

async fn plans_stay_on_indexes(backend: Backend) {
    let given = given_database(backend);
    let (url, dir) = match &given {
        Some(url) => (url.clone(), None),
        None if std::env::var("COLOPHON_PLANS_DATABASE_URL").is_ok() => return,
        None => {
            let Some((url, dir)) = fresh_database(backend).await else { return };
            let seeding = connect_migrated(&url).await;
            colophon::seed::synthetic(&seeding, 1500, 3, |_| {}).await.expect("seed");
            seeding.close().await.unwrap();
            (url, Some(dir))
        }
    };
    // A new pool, so every connection reads the statistics the seed's ANALYZE wrote.
    let mut db = colophon::db::connect(&url).await.unwrap();
    let seen: Arc<Mutex<Vec<Statement>>> = Arc::default();
    let sink = seen.clone();
    db.set_metric_callback(move |info| sink.lock().unwrap().push(info.statement.clone()));
    let content = Content::new(db.clone());
    let jwt = Jwt::hs256(SECRET, None, None);
    let state = AppState::with_cache(content.clone(), jwt.clone(), false);
    let app = TestApp::from_state(state, dir);

    let home = app.get("/api/v1/articles?limit=20", None).await.json();
    let slug = home["data"][0]["slug"].as_str().unwrap().to_string();
    let tag = app.get("/api/v1/tags?limit=1&sort=-article_count", None).await.json()["data"][0]["slug"].clone();
    let series = app.get("/api/v1/series?limit=1", None).await.json()["data"][0]["slug"].clone();
    let category = app.get("/api/v1/categories", None).await.json()["data"][0]["slug"].clone();
    let mut cursor = home["meta"]["next_cursor"].as_str().unwrap().to_string();
    for _ in 0..20 {
        let page = app.get(&format!("/api/v1/articles?limit=20&cursor={cursor}"), None).await.json();
        cursor = page["meta"]["next_cursor"].as_str().unwrap().to_string();
    }
    for uri in [
        format!("/api/v1/articles/{slug}"),
        format!("/api/v1/articles/{slug}/related"),
        format!("/api/v1/tags/{}", tag.as_str().unwrap()),
        format!("/api/v1/series/{}", series.as_str().unwrap()),
        format!("/api/v1/categories/{}?include_descendants=true", category.as_str().unwrap()),
        "/api/v1/categories?articles=5&include_descendants=true".to_string(),
        "/api/v1/search?q=latency+cache".to_string(),
        "/api/v1/archive".to_string(),
        "/api/v1/site".to_string(),
        format!("/api/v1/articles?tag={}&sort=published_at", tag.as_str().unwrap()),
    ] {
        let res = app.get(&uri, None).await;
        assert_eq!(res.status, 200, "{uri}: {}", res.text);
    }
    let v: Value = app
        .gql(
            "query($s: String!) { article(slug: $s) { title related(first: 4) { slug } previousInSeries { slug } } \
             articles(first: 20) { nodes { title tags { slug } category { slug } series { slug } } } \
             site { articleCount tagCount seriesCount } tags(first: 10, orderBy: ARTICLE_COUNT) { nodes { slug } } }",
            json!({ "s": slug }),
            None,
        )
        .await;
    assert!(v.get("errors").is_none(), "{v}");

    let statements: Vec<Statement> = std::mem::take(&mut *seen.lock().unwrap());
    let selects: Vec<&Statement> =
        statements.iter().filter(|s| s.sql.trim_start().to_ascii_uppercase().starts_with("SELECT")).collect();
    assert!(selects.len() > 20, "captured {} SELECTs", selects.len());
    let mut bad = Vec::new();
    let mut report_all = String::new();
    for stmt in selects {
        let plan = explain(&db, stmt, given.is_none()).await;
        report_all += &format!("{}\n{plan}\n\n", stmt.sql);
        let scans_whole = |table: &str| match backend {
            // A scan of the table, or of a whole index of it under an alias.
            Backend::Sqlite => plan.lines().map(str::trim).any(|l| {
                l == format!("SCAN {table}")
                    || (l.starts_with("SCAN ")
                        && (l.contains(&format!("idx_{table}_")) || l.contains(&format!("autoindex_{table}_"))))
            }),
            Backend::Postgres => {
                plan.contains(&format!("Seq Scan on {table} ")) || plan.contains(&format!("Seq Scan on {table}\n"))
            }
        };
        let report = format!("{}\n{plan}", stmt.sql);
        if (scans_whole("articles") || scans_whole("article_tags")) && !bad.contains(&report) {
            bad.push(report);
        }
    }
    if let Ok(path) = std::env::var("COLOPHON_PLANS_REPORT") {
        std::fs::write(path, report_all).unwrap();
    }
    assert!(bad.is_empty(), "queries reading a table whole:\n\n{}", bad.join("\n\n"));
}

async fn explain(db: &sea_orm::DatabaseConnection, stmt: &Statement, no_seqscan: bool) -> String {
    let backend = db.get_database_backend();
    let prefix = if backend == DbBackend::Sqlite { "EXPLAIN QUERY PLAN " } else { "EXPLAIN " };
    let sql = format!("{prefix}{}", stmt.sql);
    let query = match &stmt.values {
        Some(values) => Statement::from_sql_and_values(backend, sql, values.clone()),
        None => Statement::from_string(backend, sql),
    };
    if backend == DbBackend::Postgres {
        // One connection for both, so the setting applies to the EXPLAIN.
        let txn = sea_orm::TransactionTrait::begin(db).await.unwrap();
        if no_seqscan {
            txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
        }
        let rows = txn.query_all_raw(query).await.unwrap();
        txn.rollback().await.unwrap();
        rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect::<Vec<_>>().join("\n") + "\n"
    } else {
        let rows = db.query_all_raw(query).await.unwrap();
        rows.iter().map(|r| r.try_get_by_index::<String>(3).unwrap()).collect::<Vec<_>>().join("\n")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_queries_stay_on_indexes_on_sqlite() {
    plans_stay_on_indexes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_queries_stay_on_indexes_on_postgres() {
    plans_stay_on_indexes(Backend::Postgres).await;
}
