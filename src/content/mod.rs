//! The service layer: queries and commands on the content model. Validation, slugs,
//! rendering, publishing rules and authorization decisions live here, once, for both the
//! GraphQL and the REST face. Nothing here knows HTTP or GraphQL.

pub mod accounts;
pub mod articles;
mod attach;
pub mod audit;
pub mod backup;
pub mod categories;
pub mod changes;
pub mod clock;
pub mod cursor;
pub mod error;
pub mod feeds;
pub mod groups;
pub mod import;
pub mod input;
pub mod live;
pub mod lookup;
pub mod model;
pub mod nesting;
pub mod principal;
pub mod purges;
pub mod render;
pub mod search;
pub mod series;
pub mod site;
pub mod sql;
pub mod sync;
pub mod tags;
pub mod taxonomy;
pub mod text;
pub mod tree;
pub mod users;
pub mod webhooks;
pub mod workflow;

pub use articles::{ArticleLookup, ArticleOrder, ArticleQuery, PageArgs};
pub use error::{ContentError, FieldError, Result};
pub use input::{ArticlePatch, NewArticle};
pub use model::{ArticleStatus, ArticleView, Page};
pub use principal::{Principal, Role, Viewer};

use crate::rate_limit::RateLimiter;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// The content service. Cheap to clone: it holds the connection pool.
#[derive(Clone)]
pub struct Content {
    db: DatabaseConnection,
    /// Sign-in and refresh attempts per client (`COLOPHON_RATE_LIMIT_AUTH`).
    auth_limiter: Option<std::sync::Arc<RateLimiter<std::net::IpAddr>>>,
    /// Webhooks may call private and loopback addresses (`COLOPHON_WEBHOOK_ALLOW_PRIVATE`).
    private_webhooks: bool,
    /// What "now" is: the system's, or a test's.
    clock: clock::Clock,
}

impl Content {
    pub fn new(db: DatabaseConnection) -> Self {
        let auth_limiter = Some(std::sync::Arc::new(RateLimiter::new(crate::rate_limit::AUTH_DEFAULT)));
        Self { db, auth_limiter, private_webhooks: true, clock: clock::Clock::system() }
    }

    /// Reads the time from `clock` (a test's, which it can move forward).
    pub fn with_clock(mut self, clock: clock::Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn clock(&self) -> &clock::Clock {
        &self.clock
    }

    /// Now, by this service's clock: every rule that depends on the time asks here.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether webhook URLs may name loopback, private and link-local addresses.
    pub fn with_private_webhooks(mut self, allowed: bool) -> Self {
        self.private_webhooks = allowed;
        self
    }

    /// How often one client may try to sign in or refresh; `None` for no limit.
    pub fn with_auth_rate(mut self, rate: Option<crate::rate_limit::Rate>) -> Self {
        self.auth_limiter = rate.map(|r| std::sync::Arc::new(RateLimiter::new(r)));
        self
    }

    /// Takes one attempt from `client`'s allowance (no client: not over a network, no limit).
    fn check_auth_rate(&self, client: Option<std::net::IpAddr>) -> Result<()> {
        match (&self.auth_limiter, client) {
            (Some(limiter), Some(ip)) => limiter
                .check(&ip, std::time::Instant::now())
                .map_err(|wait| ContentError::RateLimited { retry_after: wait }),
            _ => Ok(()),
        }
    }

    /// Refuses a client that has spent its sign-in allowance, taking nothing from it.
    fn auth_allowance_left(&self, client: Option<std::net::IpAddr>) -> Result<()> {
        match (&self.auth_limiter, client) {
            (Some(limiter), Some(ip)) => match limiter.spent(&ip, std::time::Instant::now()) {
                Some(wait) => Err(ContentError::RateLimited { retry_after: wait }),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Counts one failed attempt against `client`'s sign-in allowance.
    fn charge_auth_failure(&self, client: Option<std::net::IpAddr>) {
        if let (Some(limiter), Some(ip)) = (&self.auth_limiter, client) {
            limiter.charge(&ip, 1, std::time::Instant::now());
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A transaction for a command. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes can fail with
    /// SQLITE_BUSY when another writer got in between, and the busy timeout cannot help.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction> {
        let options = match self.db.get_database_backend() {
            DbBackend::Sqlite => TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            },
            _ => TransactionOptions::default(),
        };
        Ok(self.db.begin_with_options(options).await?)
    }
}

/// Serializes writers that derive the same value (a slug, a series' next part) until the
/// transaction ends, across every instance sharing one PostgreSQL. Without it, concurrent
/// creators would all pick the same "free" value and all but one would have to start over.
/// SQLite needs nothing: `begin_write` already holds the database's single write lock.
pub(crate) async fn lock_for_txn(txn: &DatabaseTransaction, what: &str) -> Result<()> {
    use sea_orm::{ConnectionTrait, Statement};
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    // FNV-1a: stable across processes and releases, unlike std's hasher.
    let key = what.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3)) as i64;
    txn.query_one_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Timestamps are kept to the microsecond, PostgreSQL's precision, so a value read back
/// from either database compares equal to the one written (cursors depend on it).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    truncate_micros(chrono::Utc::now())
}

pub fn truncate_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}
