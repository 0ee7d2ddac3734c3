//! The real binary on 127.0.0.1: the README's commands, configuration errors, and a
//! newcomer's first write and read over real HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Backend, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_colophon");

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    token: Option<String>,
    /// `serve --demo`'s studio account: (email, password).
    studio: Option<(String, String)>,
    /// Every line the server logged (stderr).
    pub(crate) log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `colophon serve` on a free port and waits for it to say where it listens.
pub(crate) fn start(args: &[&str], envs: &[(&str, &str)], dir: &std::path::Path) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve").args(["--addr", "127.0.0.1:0"]).args(args).current_dir(dir);
    cmd.env_remove("DATABASE_URL").env_remove("COLOPHON_JWT_SECRET").env_remove("COLOPHON_ADDR");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start colophon");
    // The banner and the demo token are on stdout; logs on stderr.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
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
    while let Some(Ok(line)) = lines.next() {
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
            token = lines.next().and_then(Result::ok).map(|t| t.trim().to_string());
            break;
        }
        if base.is_some() && !demo && line.contains("OpenAPI") {
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    let base = base.unwrap_or_else(|| panic!("server did not start: {seen:?} {:?}", log.lock().unwrap()));
    Server { child, base, token, studio, log }
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
    let out = Command::new(BIN)
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
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(dir.path()).env_remove("COLOPHON_JWT_SECRET").env_remove("DATABASE_URL");
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
    let out = Command::new(BIN)
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
    let mut child = Command::new(BIN)
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
    let list = Command::new(BIN).args(["user", "list"]).current_dir(dir.path()).output().unwrap();
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
    let created: Value = client
        .post(format!("{base}/api/v1/articles"))
        .bearer_auth(&token)
        .json(&json!({ "title": "Scheduled by Eve" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let res = client
        .post(format!("{base}/api/v1/articles/{id}/publish"))
        .bearer_auth(&token)
        .json(&json!({ "published_at": soon }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["data"]["status"], "scheduled");
    // The worker inside the server publishes it and records it as the system's doing.
    let mut published = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let log: Value =
            client.get(format!("{base}/api/v1/audit")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        if log["data"].as_array().unwrap().iter().any(|e| e["actor"] == "system" && e["action"] == "article.publish") {
            published = true;
            break;
        }
    }
    assert!(published, "the scheduler did not publish the article");
    let disable = Command::new(BIN)
        .args(["user", "disable", "--email", "eve@example.com"])
        .current_dir(dir.path())
        .output()
        .unwrap();
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
async fn two_instances_share_writes(url: &str) {
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
        // NOTIFY travels after the commit; allow it the time of a round trip or two.
        let mut seen = 0;
        for _ in 0..20 {
            seen = list(&a.base).await.unwrap().json::<Value>().await.unwrap()["meta"]["total"].as_u64().unwrap();
            if seen == n as u64 + 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(seen, n as u64 + 1, "instance A still serves the old list");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_sqlite_share_writes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shared.db?mode=rwc", dir.path().display());
    two_instances_share_writes(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_share_writes() {
    let Some((url, _keep)) = fresh_database(Backend::Postgres).await else { return };
    two_instances_share_writes(&url).await;
}

/// SIGTERM: `/readyz` turns 503 while requests are still served for the drain delay, a
/// request already in flight completes, the listener closes, and the process exits 0.
/// Logs are JSON lines carrying the request id the client sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_finishes_in_flight_requests_and_exits_0() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let envs = [("COLOPHON_SHUTDOWN_DELAY", "1.5"), ("COLOPHON_LOG_FORMAT", "json"), ("RUST_LOG", "colophon=debug")];
    let mut server = start(&["--demo"], &envs, dir.path());
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
    tokio::time::sleep(Duration::from_millis(300)).await;
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
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = server.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.expect("the server exits after SIGTERM");
    assert!(status.success(), "{status:?}");

    // The acknowledged write is there after a restart on the same database.
    let again = start(&["--demo"], &[], dir.path());
    let list: Value = client
        .get(format!("{}/api/v1/articles?status=draft", again.base))
        .bearer_auth(again.token.clone().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.to_string().contains("Sent across a shutdown"), "{list}");

    // JSON log lines, with the client's request id on its request's lines.
    let lines = server.log.lock().unwrap().clone();
    let json_lines: Vec<Value> =
        lines.iter().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!json_lines.is_empty(), "{lines:?}");
    assert!(json_lines.iter().any(|l| l["span"]["id"] == "e2e-trace-42" && l["fields"]["status"] == 200), "{lines:?}");
}

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
    let out = Command::new(BIN)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_on_sqlite() {
    acknowledged_writes_survive_kill_9(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_on_postgres() {
    acknowledged_writes_survive_kill_9(Backend::Postgres).await;
}

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
#[test]
fn import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("hello.md"), "---\ntitle: Hello\ndate: 2024-01-15\ntags: [Go]\n---\nHi.\n").unwrap();
    std::fs::write(content.join("bad.md"), "no front matter here\n").unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    let run = |args: &[&str]| {
        Command::new(BIN).args(args).args(["--database-url", &url]).env_remove("DATABASE_URL").output().unwrap()
    };
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
    let copy = format!("sqlite://{}?mode=rwc", dir.path().join("copy.db").display());
    let with = |args: &[&str], url: &str| {
        Command::new(BIN).args(args).args(["--database-url", url]).env_remove("DATABASE_URL").output().unwrap()
    };
    let out = with(&["import", backup.to_str().unwrap(), "--json"], &copy);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = dir.path().join("again");
    assert!(with(&["export", again.to_str().unwrap(), "--toml"], &copy).status.success());
    assert_eq!(std::fs::read_to_string(again.join("hello.md")).unwrap(), file);
    let out = with(&["import", backup.to_str().unwrap(), "--json"], &copy);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"), "{}", String::from_utf8_lossy(&out.stderr));
}

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
