//! Test harness: the real `Router` over a fresh database, on SQLite and on PostgreSQL.
//!
//! PostgreSQL tests need `COLOPHON_TEST_DATABASE_URL`, a URL of a server where the tests may
//! create databases (`.ci/run` starts a throw-away one). Without it they print that they were
//! skipped and pass, unless `COLOPHON_REQUIRE_POSTGRES=1` (as in CI), where they fail.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use colophon::app::{AppState, router};
use colophon::auth::Jwt;
use colophon::config::ServerSettings;
use colophon::content::{Content, Role};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body on one backend, or explains why it was skipped.
#[macro_export]
macro_rules! db_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::support::TestApp::new($crate::support::Backend::Sqlite).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::support::TestApp::new($crate::support::Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    };
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub content: Content,
    pub jwt: Jwt,
    /// The database's URL, for a second connection to it (another process, as it were).
    pub url: Option<String>,
    pub _dir: Option<Scratch>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The PostgreSQL server URL for tests, or `None` (after saying so) when there is none.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("COLOPHON_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            if std::env::var("COLOPHON_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("COLOPHON_REQUIRE_POSTGRES=1 but COLOPHON_TEST_DATABASE_URL is not set");
            }
            eprintln!(
                "SKIPPED on PostgreSQL: set COLOPHON_TEST_DATABASE_URL (or run `bash .ci/run`, which starts one)"
            );
            None
        }
    }
}

/// A fresh, migrated database of its own for one test.
/// A database for one test, gone when this is dropped: a SQLite file in a temporary
/// directory, or a PostgreSQL database dropped with its connections (`WITH (FORCE)`), so a
/// run leaves nothing behind on the server (a CI run once died of a full disk).
pub struct Scratch {
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        // Drop runs inside a test's runtime, which cannot be blocked on: a thread of its own
        // runs the statement, and is waited for so the database is gone when this returns.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = sea_orm::Database::connect(&admin_url).await.ok()?;
                let done = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                admin.close().await.ok();
                done.ok()
            })
        });
        let _ = dropped.join();
    }
}

pub async fn fresh_database(backend: Backend) -> Option<(String, Scratch)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            Some((url, Scratch { _dir: Some(dir), postgres: None }))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url()?;
            let name = format!(
                "colophon_t{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                rand_suffix()
            );
            let admin = sea_orm::Database::connect(&admin_url).await.expect("connect to the test PostgreSQL server");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let (base, query) = match admin_url.split_once('?') {
                Some((b, q)) => (b.to_string(), format!("?{q}")),
                None => (admin_url.clone(), String::new()),
            };
            let base = base.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(base);
            Some((format!("{base}/{name}{query}"), Scratch { _dir: None, postgres: Some((admin_url, name)) }))
        }
    }
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

pub async fn connect_migrated(url: &str) -> DatabaseConnection {
    let db = colophon::db::connect(url).await.expect("connect");
    colophon::db::migrate(&db).await.expect("migrate");
    db
}

impl TestApp {
    pub async fn new(backend: Backend) -> Option<TestApp> {
        // Server-side errors are logged; show them with the failing test's output.
        let _ = tracing_subscriber::fmt().with_env_filter("colophon=warn").with_test_writer().try_init();
        let (url, dir) = fresh_database(backend).await?;
        let db = connect_migrated(&url).await;
        // A clock the test moves forward, rather than sleeping until a time comes.
        let content = Content::new(db).with_clock(colophon::content::clock::Clock::adjustable());
        let jwt = Jwt::hs256(SECRET, None, None);
        let state = AppState::new(content.clone(), jwt.clone());
        let router = router(state.clone());
        Some(TestApp { router, state, content, jwt, url: Some(url), _dir: Some(dir) })
    }

    /// A test app around `state` (its content and JWT settings).
    pub fn from_state(state: AppState, dir: Option<Scratch>) -> TestApp {
        TestApp {
            router: router(state.clone()),
            content: state.content.clone(),
            jwt: (*state.jwt).clone(),
            state,
            url: None,
            _dir: dir,
        }
    }

    /// The same database behind a server with other settings (limits, CORS, ...). The
    /// original must outlive it: it owns the database's directory.
    pub fn configured(&self, settings: ServerSettings) -> TestApp {
        let content = self.content.clone().with_auth_rate(settings.auth_rate);
        let state = AppState::with_settings(content.clone(), self.jwt.clone(), true, settings, Default::default());
        TestApp {
            router: router(state.clone()),
            state,
            content,
            jwt: self.jwt.clone(),
            url: self.url.clone(),
            _dir: None,
        }
    }

    /// Moves the service's clock forward: what was scheduled for then is due now.
    pub fn advance(&self, by: chrono::Duration) {
        self.content.clock().advance(by);
    }

    pub fn token(&self, role: Role) -> String {
        self.token_for(&format!("{role}-1"), role)
    }

    pub fn token_for(&self, subject: &str, role: Role) -> String {
        self.jwt.issue(subject, role, Duration::from_secs(3600))
    }

    pub fn editor(&self) -> String {
        self.token(Role::Editor)
    }

    pub async fn send(&self, req: Request<Body>) -> Response {
        let res = self.router.clone().oneshot(req).await.expect("router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Response { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    pub async fn get(&self, uri: &str, token: Option<&str>) -> Response {
        self.call(Method::GET, uri, token, None).await
    }

    /// A GraphQL request; returns the whole response body (`data` and `errors`).
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let res =
            self.call(Method::POST, "/graphql", token, Some(json!({ "query": query, "variables": variables }))).await;
        // Without an Accept header the answer is plain JSON, always 200 for a request that
        // reached GraphQL (see graphql_http.rs for application/graphql-response+json).
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.header("content-type"), Some("application/json; charset=utf-8"));
        res.json()
    }

    /// GraphQL `data`, failing the test on any error.
    pub async fn gql_ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let v = self.gql(query, variables, token).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v}");
        v["data"].clone()
    }

    /// Creates an article through REST as an editor; returns its JSON.
    pub async fn create(&self, body: Value) -> Value {
        let res = self.call(Method::POST, "/api/v1/articles", Some(&self.editor()), Some(body)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        res.json()["data"].clone()
    }

    pub async fn publish(&self, id: &str, at: Option<&str>) -> Value {
        let body = at.map(|t| json!({ "published_at": t }));
        let res = self.call(Method::POST, &format!("/api/v1/articles/{id}/publish"), Some(&self.editor()), body).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.json()["data"].clone()
    }

    /// How many article rows exist in any state: for "an error writes nothing" checks.
    pub async fn article_rows(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        colophon::entities::article::Entity::find().count(self.content.db()).await.unwrap()
    }
}

/// The GraphQL error code of the first error.
pub fn gql_code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {v}"))
}

/// Converts GraphQL's camelCase keys to REST's snake_case, recursively, so the two faces'
/// answers can be compared as they are.
pub fn snake_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut s = String::new();
                    for c in k.chars() {
                        if c.is_ascii_uppercase() {
                            s.push('_');
                            s.push(c.to_ascii_lowercase());
                        } else {
                            s.push(c);
                        }
                    }
                    (s, snake_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(snake_keys).collect()),
        other => other.clone(),
    }
}

/// Every article field, as GraphQL selects it.
pub const ARTICLE_FIELDS: &str = "id slug title excerpt customExcerpt body html wordCount readingMinutes status publishedAt \
createdAt updatedAt version tags { slug name } category { slug name } series { slug title } seriesPart \
previousInSeries { slug title } nextInSeries { slug title } author { id name } coverImageUrl canonicalUrl seoTitle \
seoDescription";

/// A GraphQL article normalized to the REST shape: snake_case keys, lowercase status.
pub fn gql_article_as_rest(v: &Value) -> Value {
    let mut a = snake_keys(v);
    if let Some(s) = a["status"].as_str() {
        a["status"] = Value::String(s.to_ascii_lowercase());
    }
    a
}

/// One of the front end's operations (`examples/operations/{name}.graphql`) as a client
/// sends it: with the fragments it spreads, and those they spread, each once.
pub fn operation(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/operations");
    let fragments = std::fs::read_to_string(dir.join("fragments.graphql")).unwrap();
    let blocks: Vec<(String, String)> = fragments
        .split("\nfragment ")
        .filter_map(|b| {
            let b = b.trim_start_matches("fragment ");
            let name = b.split_whitespace().next()?.to_string();
            b.contains('{').then(|| (name, format!("fragment {b}")))
        })
        .collect();
    let mut doc = std::fs::read_to_string(dir.join(format!("{name}.graphql"))).unwrap();
    let mut used: Vec<&str> = Vec::new();
    loop {
        let next = blocks.iter().find(|(n, _)| !used.contains(&n.as_str()) && doc.contains(&format!("...{n}")));
        let Some((n, text)) = next else { break };
        used.push(n);
        doc.push('\n');
        doc.push_str(text);
    }
    doc
}
