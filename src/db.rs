//! Connecting to the database and bringing its schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Connects to SQLite or PostgreSQL by URL. SQLite gets WAL (readers never wait for the
/// writer), foreign keys on, and a busy timeout so concurrent writers queue instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        opts.max_connections(16);
    }
    Database::connect(opts).await
}

/// A connection for filling a new database in one long transaction (`colophon seed`). On
/// SQLite: one connection, the rollback journal in memory instead of WAL (pages of a new
/// database would otherwise be written twice, to the log and then to the file) and a larger
/// page cache. A crash mid-load leaves a database to delete and seed again; the server
/// switches the file back to WAL when it opens it.
pub async fn connect_for_bulk_load(url: &str) -> Result<DatabaseConnection, DbErr> {
    if !url.starts_with("sqlite:") {
        return connect(url).await;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(60)).max_connections(1).map_sqlx_sqlite_opts(|o| {
        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Memory)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Off)
            .foreign_keys(true)
            .pragma("cache_size", "-262144")
    });
    Database::connect(opts).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Ready means: the database answers and no migration is pending.
pub async fn ready(db: &DatabaseConnection) -> Result<(), String> {
    db.execute_unprepared("SELECT 1").await.map_err(|e| format!("database unreachable: {e}"))?;
    let pending = Migrator::get_pending_migrations(db).await.map_err(|e| format!("cannot read migrations: {e}"))?;
    if !pending.is_empty() {
        return Err(format!("{} migration(s) pending; run `colophon migrate`", pending.len()));
    }
    Ok(())
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}
