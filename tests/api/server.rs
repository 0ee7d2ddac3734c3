//! The real binary on 127.0.0.1: the README's commands, configuration errors, and a
//! newcomer's first write and read over real HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Backend, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_colophon");

/// A real-server test `async fn name(backend: Backend)` run on SQLite and on PostgreSQL, as
/// `name::sqlite` and `name::postgres` (the in-process tests' `db_test!` does the same).
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::support::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(crate::support::Backend::Postgres).await;
            }
        }
    };
}

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    token: Option<String>,
    /// `serve --demo`'s studio account: (email, password).
    studio: Option<(String, String)>,
    /// Every line the server logged (stderr).
    pub(crate) log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// How the process ended, once it has (waited for up to a minute, a bound only a hung
    /// process reaches).
    pub(crate) async fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        for _ in 0..600 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `colophon` binary, with none of this environment's settings: a developer's
/// `DATABASE_URL` or `COLOPHON_*` must not point a test at their own database or change
/// what it checks. (Tests name what they set.)
pub(crate) fn colophon() -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let test_only = key.starts_with("COLOPHON_TEST_") || key.starts_with("COLOPHON_REQUIRE_");
        if key == "DATABASE_URL" || (key.starts_with("COLOPHON_") && !test_only) {
            cmd.env_remove(&*key);
        }
    }
    cmd
}

/// Starts `colophon serve` on a free port and waits for it to say where it listens.
pub(crate) fn start(args: &[&str], envs: &[(&str, &str)], dir: &std::path::Path) -> Server {
    let mut cmd = colophon();
    cmd.arg("serve").args(["--addr", "127.0.0.1:0"]).args(args).current_dir(dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start colophon");
    // The banner and the demo token are on stdout; logs on stderr. Stdout is read on a
    // thread that keeps draining it (so the server never blocks on a full pipe), and waited
    // for with a bound: a server that hangs before its banner fails the test, not CI.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut lines =
        std::iter::from_fn(|| rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())).ok());
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = log.clone();
    let errors = BufReader::new(child.stderr.take().unwrap()).lines();
    std::thread::spawn(move || {
        for line in errors.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let mut base = None;
    let mut token = None;
    let mut studio = None;
    let mut seen = Vec::new();
    let demo = args.contains(&"--demo");
    while let Some(line) = lines.next() {
        seen.push(line.clone());
        if let Some(rest) = line.strip_prefix("colophon listening on ") {
            base = Some(rest.split_whitespace().next().unwrap().to_string());
        }
        if line.contains("studio sign-in") {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [.., email, password] = words[..] {
                studio = Some((email.to_string(), password.to_string()));
            }
        }
        if line.contains("editor token") {
            token = lines.next().map(|t| t.trim().to_string());
            break;
        }
        if base.is_some() && !demo && line.contains("OpenAPI") {
            break;
        }
    }
    let base = base.unwrap_or_else(|| panic!("server did not start: {seen:?} {:?}", log.lock().unwrap()));
    Server { child, base, token, studio, log }
}

/// Creates an article over HTTP as `token` and publishes it (at `at`, or now); its id and
/// the status the publication answered.
async fn publish_over_http(base: &str, token: &str, article: Value, at: Option<&str>) -> (String, String) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let res = client.post(format!("{base}/api/v1/articles")).bearer_auth(token).json(&article).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["data"]["id"].as_str().unwrap().to_string();
    let body = at.map_or(json!({}), |at| json!({ "published_at": at }));
    let res = client
        .post(format!("{base}/api/v1/articles/{id}/publish"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let status = res.json::<Value>().await.unwrap()["data"]["status"].as_str().unwrap().to_string();
    (id, status)
}

/// `GET base + path` as `token`, read as JSON.
async fn get_json(base: &str, path: &str, token: &str) -> Value {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    client.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

async fn gql(client: &reqwest::Client, base: &str, query: &str, vars: Value, token: Option<&str>) -> Value {
    let mut req = client.post(format!("{base}/graphql")).json(&json!({ "query": query, "variables": vars }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

async fn newcomer_tour(server: &Server) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let base = &server.base;
    assert_eq!(client.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(client.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);
    let page = client.get(format!("{base}/graphql")).header("accept", "text/html").send().await.unwrap();
    assert!(page.text().await.unwrap().contains("graphiql"), "GraphiQL is served");

    // Demo content: a dozen articles, one series, a draft readers cannot see.
    let list: Value =
        client.get(format!("{base}/api/v1/articles?limit=100")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["meta"]["total"], 11, "{list}");
    assert!(list["data"].as_array().unwrap().iter().any(|a| a["series"]["title"] == "Building a Content API"));

    // Create and publish with the printed token; read back the same on both faces.
    let token = server.token.as_deref().expect("the demo prints an editor token");
    let v = gql(
        &client,
        base,
        "mutation($i: CreateArticleInput!) { createArticle(input: $i) { id } }",
        json!({ "i": { "title": "My first article", "body": "Hello, *world*.", "tags": ["Rust"] } }),
        Some(token),
    )
    .await;
    let id = v["data"]["createArticle"]["id"].as_str().unwrap_or_else(|| panic!("{v}")).to_string();
    let res = client.post(format!("{base}/api/v1/articles/{id}/publish")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let rest: Value =
        client.get(format!("{base}/api/v1/articles/my-first-article")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rest["data"]["html"], "<p>Hello, <em>world</em>.</p>\n");
    let g =
        gql(&client, base, "{ article(slug: \"my-first-article\") { id title html status } }", json!({}), None).await;
    assert_eq!(
        g["data"]["article"],
        json!({ "id": id, "title": "My first article", "html": rest["data"]["html"], "status": "PUBLISHED" })
    );

    let spec = client.get(format!("{base}/api/v1/openapi.yaml")).send().await.unwrap().text().await.unwrap();
    assert!(spec.starts_with("openapi: 3.1"), "{}", &spec[..40.min(spec.len())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_server_on_sqlite_from_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&["--demo"], &[], dir.path());
    assert!(dir.path().join("colophon.db").exists(), "the default database is colophon.db in the working directory");
    newcomer_tour(&server).await;
    drop(server);
    // A second start on the same file does not load the demo twice.
    let server = start(&["--demo"], &[], dir.path());
    let list: Value =
        reqwest::get(format!("{}/api/v1/articles?limit=100", server.base)).await.unwrap().json().await.unwrap();
    assert_eq!(list["meta"]["total"], 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_server_on_postgres() {
    let Some((url, _keep)) = fresh_database(Backend::Postgres).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start(&["--demo", "--database-url", &url], &[], dir.path());
    newcomer_tour(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_from_the_cli_authorize_writes() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "cli-secret-cli-secret-cli-secret-cli";
    let out = colophon()
        .args(["token", "--sub", "ci", "--role", "editor", "--ttl", "10m"])
        .env("COLOPHON_JWT_SECRET", secret)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap();
    assert_eq!(token.lines().count(), 1, "the token alone on stdout");
    let server = start(&[], &[("COLOPHON_JWT_SECRET", secret)], dir.path());
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/articles", server.base))
        .bearer_auth(token.trim())
        .json(&json!({ "title": "From CI" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["author"]["name"], "ci");
}

#[test]
fn bad_settings_exit_2_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = colophon();
        cmd.args(args).current_dir(dir.path());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).trim().to_string())
    };
    let (code, err) = run(&["serve"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("COLOPHON_JWT_SECRET") && err.lines().count() == 1, "{err}");
    let (code, err) = run(&["serve"], &[("COLOPHON_JWT_SECRET", "short")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("at least 32"), "{err}");
    let (code, err) = run(&["serve", "--demo"], &[("COLOPHON_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("COLOPHON_JWT_PUBLIC_KEY_FILE") && err.lines().count() == 1, "{err}");
    let (code, err) = run(&["serve", "--demo"], &[("COLOPHON_SCHEDULER_INTERVAL", "often")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("COLOPHON_SCHEDULER_INTERVAL"), "{err}");
    let (code, err) = run(&["serve", "--demo", "--addr", "nowhere"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("COLOPHON_ADDR"), "{err}");
    let (code, err) = run(&["serve", "--demo"], &[("DATABASE_URL", "mysql://x")]);
    assert_eq!(code, Some(2));
    assert!(err.contains("DATABASE_URL"), "{err}");
    let (code, err) = run(
        &["token", "--sub", "x", "--role", "editor", "--ttl", "forever"],
        &[("COLOPHON_JWT_SECRET", &"s".repeat(32))],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("--ttl"), "{err}");
    let (code, _) = run(&["token", "--sub", "x", "--role", "root"], &[("COLOPHON_JWT_SECRET", &"s".repeat(32))]);
    assert_eq!(code, Some(2));
    assert!(!dir.path().join("colophon.db").exists(), "a bad setting touches nothing");
}

#[test]
fn migrate_applies_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let out = colophon()
        .args(["migrate", "--database-url", "sqlite://m.db?mode=rwc"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("m.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_from_the_cli_sign_in_and_the_scheduler_publishes() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let secret = "cli-secret-cli-secret-cli-secret-cli";
    let mut child = colophon()
        .args(["user", "create", "--email", "eve@example.com", "--name", "Eve", "--role", "admin", "--password-stdin"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a long enough password\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = colophon().args(["user", "list"]).current_dir(dir.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("eve@example.com"));

    let server = start(&[], &[("COLOPHON_JWT_SECRET", secret), ("COLOPHON_SCHEDULER_INTERVAL", "1")], dir.path());
    let client = reqwest::Client::new();
    let base = &server.base;
    let res = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({ "email": "eve@example.com", "password": "a long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
    // Far enough ahead that it is still to come when the publication answers, however
    // loaded the machine (it is then waited for, with a bound only a stopped scheduler hits).
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(5)).to_rfc3339();
    let (_, status) = publish_over_http(base, &token, json!({ "title": "Scheduled by Eve" }), Some(&soon)).await;
    assert_eq!(status, "scheduled");
    // The worker inside the server publishes it and records it as the system's doing.
    let mut published = false;
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let log: Value =
            client.get(format!("{base}/api/v1/audit")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        if log["data"].as_array().unwrap().iter().any(|e| e["actor"] == "system" && e["action"] == "article.publish") {
            published = true;
            break;
        }
    }
    assert!(published, "the scheduler did not publish the article");
    let disable =
        colophon().args(["user", "disable", "--email", "eve@example.com"]).current_dir(dir.path()).output().unwrap();
    assert!(disable.status.success());
    let res = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({ "email": "eve@example.com", "password": "a long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

/// Two instances on one database: a write through one is seen through the other at once,
/// though the other had the page in its response cache (PostgreSQL: LISTEN/NOTIFY; SQLite:
/// `PRAGMA data_version`).
async fn two_instances_share_writes(backend: Backend) {
    let Some((url, _keep)) = fresh_database(backend).await else { return };
    let url = url.as_str();
    let secret = "two-instances-secret-two-instances-secret";
    let dir = tempfile::tempdir().unwrap();
    let env = [("COLOPHON_JWT_SECRET", secret)];
    let a = start(&["--database-url", url], &env, dir.path());
    let b = start(&["--database-url", url], &env, dir.path());
    let token = colophon::auth::Jwt::hs256(secret.as_bytes(), None, None).issue(
        "two",
        colophon::content::Role::Editor,
        Duration::from_secs(600),
    );
    let client = reqwest::Client::new();
    let list = |base: &str| client.get(format!("{base}/api/v1/articles")).send();
    for (n, title) in ["One", "Two", "Three"].iter().enumerate() {
        let first = list(&a.base).await.unwrap();
        assert_eq!(first.json::<Value>().await.unwrap()["meta"]["total"], n);
        let cached = list(&a.base).await.unwrap();
        assert_eq!(cached.headers()["x-cache"], "hit");
        let res = client
            .post(format!("{}/api/v1/articles", b.base))
            .bearer_auth(&token)
            .json(&json!({ "title": title }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["data"]["id"].as_str().unwrap().to_string();
        let res =
            client.post(format!("{}/api/v1/articles/{id}/publish", b.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        // NOTIFY travels after the commit: wait for it, with a bound only a broken server
        // reaches (a loaded machine may take a while; the write must be heard at all).
        let mut seen = 0;
        for _ in 0..1000 {
            seen = list(&a.base).await.unwrap().json::<Value>().await.unwrap()["meta"]["total"].as_u64().unwrap();
            if seen == n as u64 + 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(seen, n as u64 + 1, "instance A still serves the old list");
    }
}

on_both!(two_instances_share_writes);

/// An article scheduled while the server was down (or that fell due then) is published when
/// it starts again, by its scheduler, recorded as the system's doing; a later one is not.
async fn scheduled_articles_publish_after_a_restart(backend: Backend) {
    let Some((url, _keep)) = fresh_database(backend).await else { return };
    let url = url.as_str();
    let secret = "restart-secret-restart-secret-restart";
    let dir = tempfile::tempdir().unwrap();
    // The first server's scheduler runs once as it starts, then not for an hour: only the
    // second can publish what falls due.
    let first_env = [("COLOPHON_JWT_SECRET", secret), ("COLOPHON_SCHEDULER_INTERVAL", "3600")];
    let env = [("COLOPHON_JWT_SECRET", secret), ("COLOPHON_SCHEDULER_INTERVAL", "1"), ("RUST_LOG", "colophon=info")];
    let token = colophon::auth::Jwt::hs256(secret.as_bytes(), None, None).issue(
        "restart",
        colophon::content::Role::Editor,
        Duration::from_secs(600),
    );
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let server = start(&["--database-url", url], &first_env, dir.path());
    let schedule = |title: &'static str, at: chrono::DateTime<chrono::Utc>| {
        let (base, token) = (server.base.clone(), token.clone());
        async move {
            let (id, status) =
                publish_over_http(&base, &token, json!({ "title": title }), Some(&at.to_rfc3339())).await;
            assert_eq!(status, "scheduled");
            id
        }
    };
    let due_at = chrono::Utc::now() + chrono::Duration::seconds(5);
    let soon = schedule("Due while down", due_at).await;
    let later = schedule("Next week", chrono::Utc::now() + chrono::Duration::days(7)).await;
    drop(server);
    // Down until the first one's time has passed (a wait for a time, not a race with one).
    while chrono::Utc::now() <= due_at + chrono::Duration::milliseconds(200) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let again = start(&["--database-url", url], &env, dir.path());
    let status = |id: String| {
        let (base, token) = (again.base.clone(), token.clone());
        async move {
            let v = get_json(&base, &format!("/api/v1/articles/{id}"), &token).await;
            (v["data"]["status"].as_str().unwrap().to_string(), v["data"]["version"].as_i64().unwrap())
        }
    };
    // Readers see a due article at once; the scheduler then writes it published (a new
    // version), within a bound only a stopped scheduler reaches.
    let mut written = false;
    for _ in 0..300 {
        if status(soon.clone()).await.1 == 3 {
            written = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(written, "the scheduler did not publish what fell due while the server was down");
    let log = again.log.lock().unwrap().join("\n");
    assert!(log.contains("published scheduled articles"), "not the restarted server's doing:\n{log}");
    assert_eq!(status(soon).await.0, "published");
    assert_eq!(status(later).await, ("scheduled".to_string(), 2));
    let list: Value = client.get(format!("{}/api/v1/articles", again.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["meta"]["total"], 1, "{list}");
}

on_both!(scheduled_articles_publish_after_a_restart);

/// SIGTERM: `/readyz` turns 503 while requests are still served for the drain delay, a
/// request already in flight completes, the listener closes, and the process exits 0.
/// Logs are JSON lines carrying the request id the client sent.
async fn sigterm_drains_finishes_in_flight_requests_and_exits_0(backend: Backend) {
    use std::io::{Read, Write};
    let Some((url, _keep)) = fresh_database(backend).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let args = ["--demo", "--database-url", url.as_str()];
    // A drain delay no loaded machine outlasts between the signal and the checks below.
    let envs = [("COLOPHON_SHUTDOWN_DELAY", "8"), ("COLOPHON_LOG_FORMAT", "json"), ("RUST_LOG", "colophon=debug")];
    let mut server = start(&args, &envs, dir.path());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let res = client
        .get(format!("{}/api/v1/articles", server.base))
        .header("x-request-id", "e2e-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "e2e-trace-42");

    // A write in flight: headers and half its body sent.
    let token = server.token.clone().unwrap();
    let body = r#"{"title": "Sent across a shutdown", "body": "Text."}"#;
    let (head, tail) = body.split_at(body.len() / 2);
    let mut conn = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        conn,
        "POST /api/v1/articles HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    conn.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // Once the server says it heard the signal (no guess at how long that takes):
    let heard = || server.log.lock().unwrap().iter().any(|l| l.contains("shutting down"));
    for _ in 0..300 {
        if heard() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(heard(), "the server never logged the signal: {:?}", server.log.lock().unwrap());
    // Draining: not ready, but still answering.
    let ready = client.get(format!("{}/readyz", server.base)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let alive = client.get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(alive.status(), 200);

    // The request in flight completes and is acknowledged.
    conn.write_all(tail.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("\"version\"") {
        let n = conn.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    drop(conn);

    // Then the process stops by itself, cleanly.
    let status = server.exit_status().await.expect("the server exits after SIGTERM");
    assert!(status.success(), "{status:?}");

    // The acknowledged write is there after a restart on the same database.
    let again = start(&args, &[], dir.path());
    let list = get_json(&again.base, "/api/v1/articles?status=draft", again.token.as_deref().unwrap()).await;
    assert!(list.to_string().contains("Sent across a shutdown"), "{list}");

    // JSON log lines, with the client's request id on its request's lines.
    let lines = server.log.lock().unwrap().clone();
    let json_lines: Vec<Value> =
        lines.iter().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!json_lines.is_empty(), "{lines:?}");
    assert!(json_lines.iter().any(|l| l["span"]["id"] == "e2e-trace-42" && l["fields"]["status"] == 200), "{lines:?}");
}

on_both!(sigterm_drains_finishes_in_flight_requests_and_exits_0);

/// kill -9 in the middle of a write load, then a restart on the same database: every write
/// the server acknowledged is there, and the database checks clean (SQLite's integrity and
/// foreign-key checks and the search index's own check; PostgreSQL's amcheck on every
/// B-tree index) with every listing counter equal to a recount.
async fn acknowledged_writes_survive_kill_9(backend: Backend) {
    let Some((url, dir)) = fresh_database(backend).await else { return };
    let work = tempfile::tempdir().unwrap();
    let secret = "crash-test-secret-crash-test-secret!!";
    let envs = [("COLOPHON_JWT_SECRET", secret), ("COLOPHON_RATE_LIMIT_READS", "off")];
    let mut server = start(&["--database-url", &url], &envs, work.path());
    let out = colophon()
        .args(["token", "--sub", "crash", "--role", "editor"])
        .env("COLOPHON_JWT_SECRET", secret)
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // Eight writers: create an article (tagged, in a category), then publish it. Only 2xx
    // answers count as acknowledged.
    let created = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let published = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let res = client
        .post(format!("{}/api/v1/categories", server.base))
        .bearer_auth(&token)
        .json(&json!({ "name": "Load" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        let (created, published) = (created.clone(), published.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({ "title": format!("Crash {w}-{i}"), "body": "Text.", "tags": ["crash", format!("w{w}")], "category": "load" });
                let Ok(res) = client.post(format!("{base}/api/v1/articles")).bearer_auth(&token).json(&body).send().await
                else {
                    return;
                };
                if res.status() != 201 {
                    return;
                }
                let Ok(v) = res.json::<Value>().await else { return };
                let id = v["data"]["id"].as_str().unwrap().to_string();
                created.lock().unwrap().push(id.clone());
                let publish = client.post(format!("{base}/api/v1/articles/{id}/publish")).bearer_auth(&token).send().await;
                match publish {
                    Ok(r) if r.status().is_success() => published.lock().unwrap().push(id),
                    _ => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let (created, published) = (created.lock().unwrap().clone(), published.lock().unwrap().clone());
    assert!(created.len() >= 8, "the load wrote too little to mean anything: {}", created.len());
    eprintln!("killed after {} acknowledged creates and {} publications", created.len(), published.len());

    let again = start(&["--database-url", &url], &envs, work.path());
    for id in &created {
        let res = client.get(format!("{}/api/v1/articles/{id}", again.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200, "acknowledged article {id} is missing");
        let v: Value = res.json().await.unwrap();
        if published.contains(id) {
            assert_eq!(v["data"]["status"], "published", "acknowledged publication of {id} is missing");
        }
    }
    drop(again);

    let db = colophon::db::connect(&url).await.unwrap();
    let rows = |sql: &'static str| {
        let db = db.clone();
        async move {
            let stmt = sea_orm::Statement::from_string(db.get_database_backend(), sql);
            sea_orm::ConnectionTrait::query_all_raw(&db, stmt).await.unwrap()
        }
    };
    match backend {
        Backend::Sqlite => {
            let ok = rows("PRAGMA integrity_check").await;
            assert_eq!(ok[0].try_get_by_index::<String>(0).unwrap(), "ok");
            assert!(rows("PRAGMA foreign_key_check").await.is_empty());
            rows("INSERT INTO article_search (article_search) VALUES ('integrity-check')").await;
        }
        Backend::Postgres => {
            rows("CREATE EXTENSION IF NOT EXISTS amcheck").await;
            let checked = rows(
                "SELECT bt_index_check(c.oid, true)::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE am.amname = 'btree' AND n.nspname = 'public'",
            )
            .await;
            assert!(checked.len() > 10, "{} indexes checked", checked.len());
        }
    }
    let drift = rows(
        "SELECT 'tag' FROM tags t WHERE t.listed_articles <> (SELECT COUNT(*) FROM article_tags l WHERE l.tag_id = t.id AND l.listed_at IS NOT NULL) \
         UNION ALL SELECT 'category' FROM categories c WHERE c.listed_articles <> (SELECT COUNT(*) FROM articles a WHERE a.category_id = c.id AND a.listed_at IS NOT NULL) \
         UNION ALL SELECT 'total' FROM listing_totals s WHERE s.articles <> (SELECT COUNT(*) FROM articles a WHERE a.listed_at IS NOT NULL)",
    )
    .await;
    assert!(drift.is_empty(), "{} counters differ from a recount", drift.len());
    drop(dir);
}

on_both!(acknowledged_writes_survive_kill_9);

/// The demo front end at `/demo/`, driven in headless Chromium by `tests/e2e/demo.mjs`
/// (Node and playwright-core): what a reader sees on home, tag, topic index, series,
/// article and search pages, checked against the API. Skips without Node, Chromium or
/// `npm ci --prefix tests/e2e`, unless `COLOPHON_REQUIRE_BROWSER=1` (CI installs them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_site_shows_readers_every_page_in_a_browser() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (!node).then_some("node"),
        (!std::path::Path::new(&chromium).exists()).then_some("chromium"),
        (!root.join("tests/e2e/node_modules/playwright-core").exists()).then_some("`npm ci --prefix tests/e2e`"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        if std::env::var("COLOPHON_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("COLOPHON_REQUIRE_BROWSER=1 but missing: {}", missing.join(", "));
        }
        eprintln!("SKIPPED the browser test: missing {}", missing.join(", "));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(&["--demo"], &[], dir.path());
    // More than a page of articles (the demo has 11), so "Older" has somewhere to go.
    let token = server.token.clone().expect("the demo prints a token");
    for i in 1..=15 {
        let body = json!({
            "title": format!("Field notes, part {i}"),
            "body": format!("Notes from week {i}: what we measured, and what it taught us."),
            "tags": ["Field notes", "Rust"],
            "category": "Engineering",
        });
        assert_eq!(publish_over_http(&server.base, &token, body, None).await.1, "published");
    }
    let script = root.join("tests/e2e/demo.mjs");
    let base = server.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).env("COLOPHON_DEMO_URL", base).env("CHROMIUM", chromium).output()
    })
    .await
    .unwrap()
    .expect("run node");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the demo site failed in the browser:\n{text}");
    assert!(text.contains("checks passed"), "{text}");
    assert!(text.contains("page 2 shows articles 21–"), "the pagination check did not run:\n{text}");
}

/// The studio at `/admin/`, driven in headless Chromium by `tests/e2e/studio.mjs`: a whole
/// editor session (sign in, a draft with a code block whose preview is the published HTML,
/// autosave, reload, offline and back, a closed tab, a conflict resolved, schedule, publish,
/// revisions diffed and restored, a slug changed, sign out leaving no readable token),
/// checked against the API. Skips as the demo's browser test does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_carries_a_whole_editor_session_in_a_browser() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let ready = node
        && std::path::Path::new(&chromium).exists()
        && root.join("tests/e2e/node_modules/playwright-core").exists();
    if !ready {
        if std::env::var("COLOPHON_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("COLOPHON_REQUIRE_BROWSER=1 but node, chromium or `npm ci --prefix tests/e2e` is missing");
        }
        eprintln!("SKIPPED the studio's browser test: node, chromium or `npm ci --prefix tests/e2e` is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(&["--demo"], &[], dir.path());
    let (email, password) = server.studio.clone().expect("the demo prints a studio sign-in");
    let token = server.token.clone().expect("the demo prints an editor token");
    let script = root.join("tests/e2e/studio.mjs");
    let base = server.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("COLOPHON_STUDIO_URL", base)
            .env("COLOPHON_STUDIO_EMAIL", email)
            .env("COLOPHON_STUDIO_PASSWORD", password)
            .env("COLOPHON_STUDIO_TOKEN", token)
            .env("CHROMIUM", chromium)
            .output()
    })
    .await
    .unwrap()
    .expect("run node");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the studio failed in the browser:\n{text}");
    assert!(text.contains("checks passed"), "{text}");
    eprintln!("{text}");
}

/// `colophon import DIR` and `colophon export DIR` as a user runs them: a bad file is
/// named and makes the exit status 1 while the good ones go in; export writes them back.
/// `url` and `copy` are two empty databases.
fn import_and_export_with(url: &str, copy: &str) {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("hello.md"), "---\ntitle: Hello\ndate: 2024-01-15\ntags: [Go]\n---\nHi.\n").unwrap();
    std::fs::write(content.join("bad.md"), "no front matter here\n").unwrap();
    let run = |args: &[&str]| colophon().args(args).args(["--database-url", url]).output().unwrap();
    let out = run(&["import", content.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bad.md: no front matter"), "{err}");
    assert!(err.contains("imported 1 new and 0 updated articles, 1 file(s) refused"), "{err}");
    let exported = dir.path().join("out");
    let out = run(&["export", exported.to_str().unwrap(), "--toml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = std::fs::read_to_string(exported.join("hello.md")).unwrap();
    assert!(file.starts_with("+++\n") && file.contains("title = \"Hello\"") && file.ends_with("+++\nHi.\n"), "{file}");
    assert!(file.contains("date = 2024-01-15T00:00:00Z"), "{file}");

    // A JSON backup restores into an empty database, and only into one.
    let backup = dir.path().join("backup.json");
    let out = run(&["export", backup.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let with = |args: &[&str], url: &str| colophon().args(args).args(["--database-url", url]).output().unwrap();
    let out = with(&["import", backup.to_str().unwrap(), "--json"], copy);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = dir.path().join("again");
    assert!(with(&["export", again.to_str().unwrap(), "--toml"], copy).status.success());
    assert_eq!(std::fs::read_to_string(again.join("hello.md")).unwrap(), file);
    let out = with(&["import", backup.to_str().unwrap(), "--json"], copy);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"), "{}", String::from_utf8_lossy(&out.stderr));
}

async fn import_and_export_from_the_command_line(backend: Backend) {
    let Some((url, _keep)) = fresh_database(backend).await else { return };
    let (copy, _keep_copy) = fresh_database(backend).await.expect("a second database");
    tokio::task::spawn_blocking(move || import_and_export_with(&url, &copy)).await.unwrap();
}

on_both!(import_and_export_from_the_command_line);

/// A test's PostgreSQL database is dropped when the test ends, its connections with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch_databases_are_dropped() {
    use sea_orm::ConnectionTrait;
    let Some((url, scratch)) = fresh_database(Backend::Postgres).await else { return };
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
    let open = colophon::db::connect(&url).await.unwrap(); // left open: FORCE ends it
    open.execute_unprepared("SELECT 1").await.unwrap();
    let admin = sea_orm::Database::connect(crate::support::postgres_admin_url().unwrap()).await.unwrap();
    let exists = |name: String| {
        let admin = admin.clone();
        async move {
            let sql = format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'");
            let row = admin.query_one_raw(sea_orm::Statement::from_string(admin.get_database_backend(), sql)).await;
            row.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
        }
    };
    assert_eq!(exists(name.clone()).await, 1);
    drop(scratch);
    assert_eq!(exists(name).await, 0, "the database outlived its test");
}

/// `/metrics` of a real server carries every series the README lists, each with what was
/// done to it: requests by route and status, their durations, requests in flight, refusals
/// by reason, database statements, pool connections, and response cache hits and misses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_carry_every_series_the_readme_names() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&["--demo"], &[("COLOPHON_RATE_LIMIT_READS", "2/min")], dir.path());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let get = |path: &str| client.get(format!("{}{path}", server.base)).send();
    assert_eq!(get("/api/v1/articles").await.unwrap().status(), 200); // a miss: 1 unit
    let hit = get("/api/v1/articles").await.unwrap(); // a hit: free
    assert_eq!(hit.headers()["x-cache"], "hit");
    assert_eq!(get("/api/v1/tags").await.unwrap().status(), 200); // a miss: the 2nd unit
    assert_eq!(get("/api/v1/series").await.unwrap().status(), 429); // spent
    let m = get("/metrics").await.unwrap().text().await.unwrap();
    let value = |series: &str| -> f64 {
        let line = m.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '));
        let line = line.unwrap_or_else(|| panic!("no `{series}` in /metrics:\n{m}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(value("colophon_http_requests_total{method=\"GET\",route=\"/api/v1/articles\",status=\"200\"}"), 2.0);
    assert_eq!(
        value("colophon_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/tags\",status=\"200\"}"),
        1.0
    );
    assert_eq!(value("colophon_http_in_flight"), 0.0);
    assert_eq!(value("colophon_http_refused_total{reason=\"rate_limited\"}"), 1.0);
    assert!(value("colophon_db_statement_duration_seconds_count") >= 2.0, "{m}");
    assert!(
        value("colophon_db_pool_connections{state=\"idle\"}") + value("colophon_db_pool_connections{state=\"in_use\"}")
            >= 1.0
    );
    assert_eq!(value("colophon_response_cache_total{result=\"hit\"}"), 1.0);
    assert!(value("colophon_response_cache_total{result=\"miss\"}") >= 2.0, "{m}");
}

/// A SIGTERM sent the moment the server says where it listens is a graceful shutdown (exit
/// 0, saying so), not a death by the signal's default action: the handlers are installed
/// before the listener is bound. (CI once met the race this pins: a signal that came before
/// the main task first polled its wait for one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_as_soon_as_the_server_listens_is_a_graceful_shutdown() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let envs =
            [("COLOPHON_SHUTDOWN_DELAY", "0"), ("COLOPHON_JWT_SECRET", "a-test-secret-of-at-least-thirty-two-bytes")];
        let mut server = start(&[], &envs, dir.path());
        let pid = server.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = server.exit_status().await.expect("the server still runs a minute after SIGTERM");
        let log = server.log.lock().unwrap().join("\n");
        assert!(status.success(), "{status:?}: {log}");
        assert!(log.contains("shutting down"), "{log}");
    }
}

/// `COLOPHON_SHUTDOWN_GRACE`: after SIGTERM, a request that never finishes gets the grace
/// period, and then the process exits anyway (0, saying so), rather than hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shutdown_grace_ends_requests_that_never_finish() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let envs = [("COLOPHON_SHUTDOWN_DELAY", "0"), ("COLOPHON_SHUTDOWN_GRACE", "1")];
    let mut server = start(&["--demo"], &envs, dir.path());
    let token = server.token.clone().unwrap();
    let mut conn = std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    write!(
        conn,
        "POST /api/v1/articles HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"title\": \"Never fin"
    )
    .unwrap();
    conn.flush().unwrap();
    // The request is in flight once the server counts it (its /metrics say so).
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let mut counted = false;
    for _ in 0..400 {
        let m = client.get(format!("{}/metrics", server.base)).send().await.unwrap().text().await.unwrap();
        if m.lines().any(|l| l == "colophon_http_in_flight 1") {
            counted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(counted, "the held request never showed as in flight");
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.exit_status().await.expect("the server still runs a minute after SIGTERM with a 1 s grace");
    assert!(status.success(), "{status:?}");
    let log = server.log.lock().unwrap().join("\n");
    assert!(log.contains("requests still running after the grace period"), "{log}");
    drop(conn);
}
