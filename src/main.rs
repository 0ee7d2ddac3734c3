//! `colophon`: the server and its tools. Configuration comes from flags and the
//! environment; a bad setting exits with status 2 and one line naming it.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use colophon::config::{self, ConfigError, SecretSource};
use colophon::content::{Content, Role};
use colophon::{app, db, demo};

#[derive(Parser)]
#[command(name = "colophon", version, about = "A headless content API for technical publications")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DatabaseArgs {
    /// Database URL: sqlite://FILE?mode=rwc (embedded) or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = config::DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL (/graphql) and REST (/api/v1). JWT settings come from
    /// COLOPHON_JWT_SECRET (HS256, at least 32 bytes), COLOPHON_JWT_ISSUER and
    /// COLOPHON_JWT_AUDIENCE.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "COLOPHON_ADDR", default_value = config::DEFAULT_ADDR)]
        addr: String,
        #[command(flatten)]
        db: DatabaseArgs,
        /// Load demo content into an empty database, make a JWT secret for this process if
        /// none is set, and print an editor token.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Print a signed access token, alone on stdout (for scripts and CI).
    Token {
        /// The token's subject (`sub`): who it speaks for.
        #[arg(long)]
        sub: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Lifetime, like 90s, 15m, 1h or 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Manage accounts (for the first admin, and scripts).
    User {
        #[command(subcommand)]
        action: UserCommand,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Fill an empty database with a large synthetic publication (for benchmarks).
    Seed {
        /// How many articles, like 1000 or 100000.
        #[arg(long, value_name = "N")]
        synthetic: usize,
        /// The random seed: the same seed makes the same publication.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Import Markdown files with YAML or TOML front matter (as Hugo, Jekyll and Zola write
    /// them) from DIR and below. An article whose slug exists is updated; a bad file is
    /// reported and skipped (exit status 1 when any was). With --json, restore a JSON
    /// backup (the file, or DIR/colophon-backup.json) into an empty database.
    Import {
        dir: std::path::PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Export every article (drafts too, not the trash) to DIR, one `{slug}.md` each, with
    /// YAML front matter (Hugo, Jekyll) or, with --toml, TOML (Zola). With --json, write a
    /// backup of everything to DIR/colophon-backup.json (or to DIR if it ends in .json).
    Export {
        dir: std::path::PathBuf,
        #[arg(long, conflicts_with = "json")]
        toml: bool,
        #[arg(long)]
        json: bool,
        /// With --json: include password hashes and webhook secrets (keep the file safe).
        #[arg(long, requires = "json")]
        with_secrets: bool,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Print a published contract: the GraphQL SDL or the OpenAPI document.
    Schema {
        #[arg(value_enum)]
        which: Contract,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from standard input (the only way to give it).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account: it can no longer sign in, and its refresh tokens stop working.
    Disable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Author,
    Editor,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Author => Role::Author,
            RoleArg::Editor => Role::Editor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Contract {
    Graphql,
    Openapi,
}

enum Failure {
    Config(ConfigError),
    Runtime(String),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Config(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve { addr, db, demo } => serve(&addr, &db.database_url, demo).await,
        Command::Migrate { db } => {
            let url = config::check_database_url(&db.database_url)?;
            let conn = connect(&url).await?;
            db::migrate(&conn).await.map_err(|e| Failure::Runtime(format!("migration failed: {e}")))?;
            eprintln!("migrations applied to {}", db::backend_name(&conn));
            Ok(())
        }
        Command::Token { sub, role, ttl } => {
            let ttl = colophon::auth::parse_ttl(&ttl).map_err(|problem| ConfigError { setting: "--ttl", problem })?;
            if sub.trim().is_empty() {
                return Err(ConfigError { setting: "--sub", problem: "must not be empty".into() }.into());
            }
            let (jwt, _) = config::jwt_from_env(env, false)?;
            println!("{}", jwt.issue(&sub, role.into(), ttl));
            Ok(())
        }
        Command::User { action, db } => user_command(action, &db.database_url).await,
        Command::Import { dir, json: true, db } => {
            let content = Content::new(connect_migrated(&db.database_url).await?);
            let path = backup_path(&dir);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", path.display())))?;
            let backup: colophon::content::backup::Backup = serde_json::from_str(&text)
                .map_err(|e| Failure::Runtime(format!("{} is not a Colophon backup: {e}", path.display())))?;
            let r = content.restore(&cli_viewer(), backup).await.map_err(|e| Failure::Runtime(e.to_string()))?;
            eprintln!(
                "restored {} articles, {} tags, {} categories, {} series, {} users, {} webhooks from {}",
                r.articles,
                r.tags,
                r.categories,
                r.series,
                r.users,
                r.webhooks,
                path.display()
            );
            Ok(())
        }
        Command::Import { dir, json: false, db } => {
            let content = Content::new(connect_migrated(&db.database_url).await?);
            let started = std::time::Instant::now();
            let report = colophon::portable::import_dir(&content, &cli_viewer(), &dir, |line| eprintln!("  {line}"))
                .await
                .map_err(|e| Failure::Runtime(format!("cannot read {}: {e}", dir.display())))?;
            eprintln!(
                "imported {} new and {} updated articles, {} file(s) refused, in {:.1} s",
                report.created,
                report.updated,
                report.failed.len(),
                started.elapsed().as_secs_f64()
            );
            if report.failed.is_empty() {
                Ok(())
            } else {
                Err(Failure::Runtime(format!("{} file(s) could not be imported (listed above)", report.failed.len())))
            }
        }
        Command::Export { dir, json: true, with_secrets, db, .. } => {
            let content = Content::new(connect_migrated(&db.database_url).await?);
            let backup =
                content.backup(&cli_viewer(), with_secrets).await.map_err(|e| Failure::Runtime(e.to_string()))?;
            let path = backup_path(&dir);
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Failure::Runtime(format!("cannot create {}: {e}", parent.display())))?;
            }
            let text = serde_json::to_string_pretty(&backup).map_err(|e| Failure::Runtime(e.to_string()))?;
            std::fs::write(&path, text)
                .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "backed up {} articles, {} users{} to {}",
                backup.articles.len(),
                backup.users.len(),
                if with_secrets { " (with password hashes and webhook secrets)" } else { " (without secrets)" },
                path.display()
            );
            Ok(())
        }
        Command::Export { dir, toml, db, .. } => {
            let content = Content::new(connect_migrated(&db.database_url).await?);
            let syntax = if toml {
                colophon::portable::frontmatter::Syntax::Toml
            } else {
                colophon::portable::frontmatter::Syntax::Yaml
            };
            let n = colophon::portable::export_dir(&content, &cli_viewer(), &dir, syntax, |line| eprintln!("  {line}"))
                .await
                .map_err(Failure::Runtime)?;
            eprintln!("exported {n} articles to {}", dir.display());
            Ok(())
        }
        Command::Seed { synthetic, seed, db } => {
            if !(1..=10_000_000).contains(&synthetic) {
                return Err(ConfigError { setting: "--synthetic", problem: "must be 1 to 10000000".into() }.into());
            }
            let url = config::check_database_url(&db.database_url)?;
            let conn = db::connect_for_bulk_load(&url)
                .await
                .map_err(|e| Failure::Runtime(format!("cannot open the database: {e}")))?;
            db::migrate(&conn).await.map_err(|e| Failure::Runtime(format!("migration failed: {e}")))?;
            let done = colophon::seed::synthetic(&conn, synthetic, seed, |line| eprintln!("  {line}"))
                .await
                .map_err(Failure::Runtime)?;
            eprintln!(
                "seeded {} articles, {} tags, {} categories, {} series into {}",
                done.articles,
                done.tags,
                done.categories,
                done.series,
                db::backend_name(&conn)
            );
            Ok(())
        }
        Command::Schema { which } => {
            match which {
                Contract::Graphql => print!("{}", colophon::graphql::sdl()),
                Contract::Openapi => print!("{}", colophon::rest::openapi_yaml()),
            }
            Ok(())
        }
    }
}

async fn user_command(action: UserCommand, database_url: &str) -> Result<(), Failure> {
    use colophon::content::accounts::{NewUser, UserPatch, cli_admin};
    let url = config::check_database_url(database_url)?;
    let conn = connect(&url).await?;
    db::migrate(&conn).await.map_err(|e| Failure::Runtime(format!("migration failed: {e}")))?;
    let content = Content::new(conn);
    let admin = cli_admin();
    let fail = |e: colophon::content::ContentError| Failure::Runtime(e.to_string());
    match action {
        UserCommand::Create { email, name, role, password_stdin: _ } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| Failure::Runtime(format!("cannot read the password from standard input: {e}")))?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let u = content
                .create_user(&admin, NewUser { email, name, role: role.into(), password })
                .await
                .map_err(fail)?;
            println!("{}\t{}\t{}", u.id, u.email.unwrap_or_default(), u.role);
        }
        UserCommand::List => {
            for u in content.users(&admin).await.map_err(fail)? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{}\t{}", u.id, u.email.unwrap_or(u.subject), u.display_name, u.role, state);
            }
        }
        UserCommand::Disable { email } => {
            let patch = UserPatch { disabled: Some(true), ..Default::default() };
            let u = content.update_user(&admin, &email, patch).await.map_err(fail)?;
            eprintln!("disabled {}", u.email.unwrap_or_default());
        }
    }
    Ok(())
}

/// A backup's file: PATH itself when it ends in `.json`, else PATH/colophon-backup.json.
fn backup_path(path: &std::path::Path) -> std::path::PathBuf {
    if path.extension().is_some_and(|e| e == "json") { path.to_path_buf() } else { path.join("colophon-backup.json") }
}

/// The command line acts as an admin named `cli` (the audit log says so).
fn cli_viewer() -> colophon::content::Viewer {
    colophon::content::Viewer(Some(colophon::content::Principal { subject: "cli".into(), role: Role::Admin }))
}

async fn connect_migrated(url: &str) -> Result<sea_orm::DatabaseConnection, Failure> {
    let conn = connect(&config::check_database_url(url)?).await?;
    db::migrate(&conn).await.map_err(|e| Failure::Runtime(format!("migration failed: {e}")))?;
    Ok(conn)
}

async fn connect(url: &str) -> Result<sea_orm::DatabaseConnection, Failure> {
    db::connect(url).await.map_err(|e| Failure::Runtime(format!("cannot open the database: {e}")))
}

async fn serve(addr: &str, database_url: &str, demo_mode: bool) -> Result<(), Failure> {
    let addr = config::parse_addr(addr)?;
    let url = config::check_database_url(database_url)?;
    let (jwt, secret_source) = config::jwt_from_env(env, demo_mode)?;
    let scheduler_every = config::scheduler_interval(env("COLOPHON_SCHEDULER_INTERVAL").as_deref())?;
    let response_cache = config::response_cache(env("COLOPHON_RESPONSE_CACHE").as_deref())?;
    let mut settings = config::ServerSettings::from_env(env)?;
    settings.demo_site = demo_mode;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "colophon=info,tower_http=warn".into());
    // Colour codes only for a terminal: in a file or a log collector they are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if settings.log_json {
        // One JSON object per line, with the request's span (id, method, route) in each.
        logs.json().with_current_span(true).with_span_list(false).init();
    } else {
        logs.init();
    }

    let mut conn = connect(&url).await?;
    let metrics = colophon::metrics::Metrics::default();
    let recorder = metrics.clone();
    // Statement timings for /metrics, and a log line per statement at trace level (inside
    // the request's span, so a slow statement is found by its request id). Each statement
    // also runs in a span of its own (sea-orm's `tracing-spans`, target `sea_orm`) for
    // subscribers that record spans.
    conn.set_metric_callback(move |info| {
        recorder.statement(info.elapsed, info.failed);
        let ms = info.elapsed.as_secs_f64() * 1000.0;
        tracing::trace!(target: "colophon::db", ms, failed = info.failed, sql = %info.statement.sql, "statement");
    });
    db::migrate(&conn).await.map_err(|e| Failure::Runtime(format!("migration failed: {e}")))?;
    let content =
        Content::new(conn).with_auth_rate(settings.auth_rate).with_private_webhooks(settings.webhooks.allow_private);
    let made = content.refresh_cards().await.map_err(|e| Failure::Runtime(format!("list cards: {e}")))?;
    if made > 0 {
        tracing::info!(made, "made the list cards that were missing or out of date");
    }
    let mut studio_password = None;
    if demo_mode {
        let loaded = demo::load_if_empty(&content).await.map_err(|e| Failure::Runtime(format!("demo content: {e}")))?;
        if loaded > 0 {
            println!("loaded {loaded} demo articles");
        }
        let password =
            demo::studio_account(&content).await.map_err(|e| Failure::Runtime(format!("demo account: {e}")))?;
        studio_password = Some(password);
    }
    // Before anyone can connect: a signal from then on asks for the graceful shutdown.
    let shutdown = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().map_err(|e| Failure::Runtime(e.to_string()))?;
    // The banner is the program's output (stdout); logs and warnings go to stderr.
    println!("colophon listening on http://{local} ({} database)", db::backend_name(content.db()));
    println!("  GraphiQL:  http://{local}/graphql");
    println!("  REST:      http://{local}/api/v1  (e.g. /api/v1/articles)");
    println!("  API docs:  http://{local}/docs  (OpenAPI: /api/v1/openapi.yaml)");
    println!("  Feeds:     http://{local}/feed.xml  /atom.xml  /feed.json  /sitemap.xml");
    println!("  Studio:    http://{local}/admin/");
    println!("  Live:      ws://{local}/graphql  (subscriptions: graphql-transport-ws)");
    if demo_mode {
        println!("  Demo site: http://{local}/demo/");
    }
    if let Some(password) = &studio_password {
        println!("  studio sign-in (demo only, a new password at every start): {} {password}", demo::STUDIO_EMAIL);
    }
    // Feeds need absolute links; without COLOPHON_PUBLIC_URL or a site url, ours work.
    settings.feeds.listen_url = format!("http://{local}");
    if demo_mode {
        if matches!(secret_source, SecretSource::GeneratedForDemo) {
            eprintln!("  COLOPHON_JWT_SECRET is not set: made a random one for this process (tokens die with it)");
        }
        let token = jwt.issue("demo-editor", Role::Editor, std::time::Duration::from_secs(24 * 3600));
        println!("  editor token (24h, demo only):\n{token}");
    }
    // Publishes scheduled articles as they fall due, starting with any that fell due while
    // the server was down. Safe with several instances on one database.
    let (shutdown_delay, shutdown_grace) = (settings.shutdown_delay, settings.shutdown_grace);
    let webhooks = settings.webhooks.clone();
    let state = app::AppState::with_settings(content.clone(), jwt, response_cache, settings, metrics);
    state.cache.watch();
    // Sends webhook deliveries; every instance runs one, and each delivery is claimed by one.
    colophon::webhooks::spawn(content.clone(), webhooks);
    tokio::spawn(scheduler(content, state.cache.clone(), state.live.clone(), scheduler_every));
    let guard = state.guard.clone();
    let sockets = state.sockets.clone();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let app = app::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    });
    let mut server = std::pin::pin!(server.into_future());
    // SIGTERM: `/readyz` turns 503 at once; requests are still served for the delay (load
    // balancers take a moment to notice), then the listener closes and requests in flight
    // get the grace period to finish.
    tokio::select! {
        res = &mut server => return res.map_err(|e| Failure::Runtime(format!("server error: {e}"))),
        _ = shutdown => {}
    }
    guard.start_draining();
    tracing::info!(delay = ?shutdown_delay, grace = ?shutdown_grace, "shutting down: /readyz answers 503");
    // The server future is what accepts connections: keep polling it through the delay.
    tokio::select! {
        res = &mut server => return res.map_err(|e| Failure::Runtime(format!("server error: {e}"))),
        _ = tokio::time::sleep(shutdown_delay) => {}
    }
    let _ = stop_tx.send(true);
    // WebSockets are not requests the server waits for: each is told to close (1001), and
    // gets the same grace to say so.
    sockets.close_all();
    let stopped = async {
        let res = (&mut server).await;
        sockets.closed().await;
        res
    };
    match tokio::time::timeout(shutdown_grace, stopped).await {
        Ok(res) => res.map_err(|e| Failure::Runtime(format!("server error: {e}")))?,
        Err(_) => tracing::warn!(
            in_flight = guard.in_flight(),
            sockets = sockets.open(),
            "requests still running after the grace period; exiting"
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn scheduler(
    content: Content,
    cache: colophon::response_cache::ResponseCache,
    live: colophon::content::live::Live,
    every: std::time::Duration,
) {
    loop {
        match content.publish_due().await {
            Ok(ids) if !ids.is_empty() => {
                // The purges the scheduler wrote, before subscribers hear of it.
                cache.sync().await;
                live.wake();
                tracing::info!(?ids, "published scheduled articles")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "the scheduler could not publish due articles"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Installs the SIGINT and SIGTERM handlers at once (not on first poll), so a signal sent as
/// soon as the server answers is heard rather than killing the process with its default
/// action. The returned future ends at the first of them. (Elsewhere than Unix, Ctrl-C's
/// handler is installed on first poll.)
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let install = |kind: SignalKind, name: &str| {
            signal(kind)
                .inspect_err(|e| tracing::warn!(error = %e, "cannot handle {name}: it will stop the process"))
                .ok()
        };
        let mut int = install(SignalKind::interrupt(), "SIGINT");
        let mut term = install(SignalKind::terminate(), "SIGTERM");
        async move {
            // A handler that could not be installed is a branch that never ends.
            async fn heard(s: Option<&mut tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! { _ = heard(int.as_mut()) => {}, _ = heard(term.as_mut()) => {} }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
