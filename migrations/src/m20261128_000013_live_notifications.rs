//! Live updates (GraphQL subscriptions) are read from two logs written in the transaction of
//! each change: `events` (what readers saw change) and `article_revisions` (every saved
//! version, drafts included). On PostgreSQL an insert into either announces itself on the
//! `colophon_live` channel at commit, so every instance reads the new rows at once; SQLite
//! has no NOTIFY, and there the logs are polled.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// The channel every instance LISTENs on.
pub const CHANNEL: &str = "colophon_live";

const TABLES: &[&str] = &["events", "article_revisions"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION colophon_notify_live() RETURNS trigger AS $$ \
             BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME); RETURN NULL; END \
             $$ LANGUAGE plpgsql"
        ))
        .await?;
        for table in TABLES {
            // One notification per statement; PostgreSQL folds equal ones to one per commit.
            db.execute_unprepared(&format!(
                "CREATE TRIGGER colophon_live_{table} AFTER INSERT ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION colophon_notify_live()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS colophon_live_{table} ON {table}")).await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS colophon_notify_live()").await?;
        Ok(())
    }
}
