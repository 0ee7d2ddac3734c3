//! The service layer: queries and commands on the content model. Validation, slugs,
//! rendering, publishing rules and authorization decisions live here, once, for both the
//! GraphQL and the REST face. Nothing here knows HTTP or GraphQL.

pub mod accounts;
pub mod articles;
mod attach;
pub mod audit;
pub mod backup;
pub mod cards;
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
pub use cards::Card;
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
    /// On SQLite, this process's writers take turns here before they ask the database for
    /// its single write lock (see [`Content::begin_write`]).
    write_lane: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Content {
    pub fn new(db: DatabaseConnection) -> Self {
        let auth_limiter = Some(std::sync::Arc::new(RateLimiter::new(crate::rate_limit::AUTH_DEFAULT)));
        Self { db, auth_limiter, private_webhooks: true, clock: clock::Clock::system(), write_lane: Default::default() }
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

    /// Makes the list cards that are missing or dirty (see [`cards`]): after a migration,
    /// or a write by another process on the same SQLite file. Returns how many it made.
    pub async fn refresh_cards(&self) -> Result<u64> {
        let txn = self.begin_write().await?;
        let made = cards::refresh(&txn).await?;
        txn.commit().await?;
        Ok(made)
    }

    /// A transaction for a command. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes can fail with
    /// SQLITE_BUSY when another writer got in between, and the busy timeout cannot help.
    ///
    /// SQLite has one writer at a time, and a connection waiting for the lock polls with
    /// sleeps of up to 100 ms while it holds a pool connection readers need. So this
    /// process's writers queue first on an in-process lane, in order, and only the one at
    /// its head asks the database (other processes on the same file still meet the busy
    /// timeout). A lane not had within that timeout (a command that opened a second write
    /// inside its first would wait on itself) is skipped, and the database decides as before.
    pub async fn begin_write(&self) -> Result<WriteTxn> {
        self.begin_write_as(CardLock::Shared).await
    }

    /// A transaction for a command that renames or removes what other articles' list cards
    /// show (a tag, category, series, an author's name). On PostgreSQL, writes take a shared
    /// lock when they begin and these an exclusive one, so such a command runs alone.
    /// Otherwise a concurrent write linking an article to a tag being renamed would make its
    /// card with the old name, and the rename's trigger, not yet seeing the link, would not
    /// mark it (see [`cards`]). Taken first, the lock cannot deadlock with the others.
    pub async fn begin_exclusive_write(&self) -> Result<WriteTxn> {
        self.begin_write_as(CardLock::Exclusive).await
    }

    async fn begin_write_as(&self, cards: CardLock) -> Result<WriteTxn> {
        let (options, lane) = match self.db.get_database_backend() {
            DbBackend::Sqlite => {
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                };
                let lane = tokio::time::timeout(WRITE_LANE_WAIT, self.write_lane.clone().lock_owned()).await.ok();
                (options, lane)
            }
            _ => (TransactionOptions::default(), None),
        };
        let txn = self.db.begin_with_options(options).await?;
        if self.db.get_database_backend() == DbBackend::Postgres {
            let function = match cards {
                CardLock::Shared => "pg_advisory_xact_lock_shared",
                CardLock::Exclusive => "pg_advisory_xact_lock",
            };
            let sql = format!("SELECT {function}({CARD_LOCK_KEY})");
            sea_orm::ConnectionTrait::execute_unprepared(&txn, &sql).await?;
        }
        Ok(WriteTxn { txn, _lane: lane })
    }
}

/// How a write transaction holds the list cards' lock (see [`Content::begin_exclusive_write`]).
enum CardLock {
    Shared,
    Exclusive,
}

/// The PostgreSQL advisory lock key of the list cards ("cards" in ASCII).
const CARD_LOCK_KEY: i64 = 0x0063_6172_6473;

/// As long as SQLite's busy timeout (`db::connect`).
const WRITE_LANE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A command's transaction, holding this process's SQLite write lane until it ends.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _lane: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// Commits, after re-making the list cards this transaction made dirty (see
    /// [`cards`]).
    pub async fn commit(self) -> Result<()> {
        cards::refresh(&self.txn).await?;
        Ok(self.txn.commit().await?)
    }

    pub async fn rollback(self) -> Result<()> {
        Ok(self.txn.rollback().await?)
    }
}

/// Everything a transaction runs, so commands pass `&txn` wherever a connection goes.
#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> std::result::Result<sea_orm::ExecResult, sea_orm::DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> std::result::Result<sea_orm::ExecResult, sea_orm::DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> std::result::Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(
        &self,
        stmt: sea_orm::Statement,
    ) -> std::result::Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnectionTrait;

    /// A second writer waits in the lane, holding no connection, and goes on when the
    /// first commits. Without the lane it would take a connection and poll SQLite's lock.
    #[tokio::test]
    async fn sqlite_writers_queue_in_the_lane_without_holding_a_connection() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("lane.db").display());
        // A commit re-makes list cards, so the schema must be there: made through a pool of
        // its own, so this one starts as before.
        let schema = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&schema).await.unwrap();
        schema.close().await.unwrap();
        let db = crate::db::connect(&url).await.unwrap();
        let content = Content::new(db.clone());
        let pool = db.get_sqlite_connection_pool();

        let first = content.begin_write().await.unwrap();
        let busy = pool.size() - pool.num_idle() as u32;
        let second = tokio::spawn({
            let content = content.clone();
            async move { content.begin_write().await.map(|txn| txn.get_database_backend()) }
        });
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert!(!second.is_finished(), "the second writer began while the first held the lock");
        assert_eq!(pool.size() - pool.num_idle() as u32, busy, "the waiting writer took a connection");

        first.commit().await.unwrap();
        assert_eq!(second.await.unwrap().unwrap(), DbBackend::Sqlite);
    }
}
