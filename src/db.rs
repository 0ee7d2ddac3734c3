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
        // A connection to a file cannot be dropped by a server or a firewall, so it is not
        // pinged before each use: the ping was a round trip to sqlx's SQLite thread before
        // every statement, as many crossings as the statements themselves.
        opts.test_before_acquire(false);
        sqlite_tuning::memory_statistics_off();
        opts.map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| Box::pin(sqlite_tuning::stable_plans(conn)))
        });
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        // Pinged only after a minute idle, when a proxy or firewall may have dropped it; a
        // ping before every statement doubled the round trips to the server.
        opts.max_connections(16).test_before_acquire_if_idle_for(Duration::from_secs(60));
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
    sqlite_tuning::memory_statistics_off();
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

/// Two SQLite settings that sqlx does not expose, found with `perf` on an uncached list
/// page, where they took about half of the database threads' time.
mod sqlite_tuning {
    use std::ffi::c_int;

    use libsqlite3_sys as ffi;
    use sea_orm::sqlx::{Error, SqliteConnection};

    /// SQLite counts every allocation under one process-wide mutex (its memory statistics,
    /// which nothing here reads); with a connection per thread they all queued on it.
    /// `sqlite3_config` works only before SQLite initialises, so this runs before the first
    /// connection opens (later calls do nothing).
    pub(super) fn memory_statistics_off() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: called once, before this process opens any SQLite connection (every
            // connection goes through `connect`), with the argument the option takes (an int).
            let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
            if rc != ffi::SQLITE_OK {
                tracing::debug!(rc, "SQLite was initialised already: memory statistics stay on");
            }
        });
    }

    /// The query planner stability guarantee, per connection. Without it SQLite marks a
    /// statement whose LIMIT is a parameter (sea-orm binds every LIMIT) to be prepared
    /// again whenever that parameter is bound: each list statement was parsed and planned
    /// afresh on every run, its cached preparation wasted.
    pub(super) async fn stable_plans(conn: &mut SqliteConnection) -> Result<(), Error> {
        let mut handle = conn.lock_handle().await?;
        let db = handle.as_raw_handle().as_ptr();
        // SAFETY: `db` is this connection's open handle, held locked for the call;
        // SQLITE_DBCONFIG_ENABLE_QPSG takes an int and an optional int* for the new value.
        let rc = unsafe {
            ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as c_int, std::ptr::null_mut::<c_int>())
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(Error::Configuration(format!("SQLite refused SQLITE_DBCONFIG_ENABLE_QPSG ({rc})").into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::c_int;

    use libsqlite3_sys as ffi;
    use sea_orm::ConnectionTrait;

    /// Both settings hold on the connections `connect` makes: no allocation is counted, and
    /// each pooled connection has the planner's stability guarantee on.
    #[tokio::test]
    async fn sqlite_connections_count_no_allocations_and_keep_their_plans() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("tuning.db").display());
        let db = super::connect(&url).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)").await.unwrap();
        db.execute_unprepared("SELECT x FROM t ORDER BY x LIMIT 2").await.unwrap();
        // SAFETY: reads a counter; SQLite is initialised.
        assert_eq!(unsafe { ffi::sqlite3_memory_used() }, 0, "SQLite still counts its allocations");
        let mut conn = db.get_sqlite_connection_pool().acquire().await.unwrap();
        let mut handle = conn.lock_handle().await.unwrap();
        let mut on: c_int = -1;
        // SAFETY: the connection's open handle, locked; -1 reads the setting into `on`.
        let rc = unsafe {
            ffi::sqlite3_db_config(
                handle.as_raw_handle().as_ptr(),
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as c_int,
                &mut on,
            )
        };
        assert_eq!((rc, on), (ffi::SQLITE_OK, 1), "the query planner stability guarantee is off");
    }
}
