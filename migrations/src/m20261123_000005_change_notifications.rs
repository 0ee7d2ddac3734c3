//! Every change to published content is announced on PostgreSQL's `colophon_changes`
//! channel, so each server instance's response cache (and anything else listening) learns
//! of writes made by other processes. Statement-level triggers: one notification per
//! statement, and PostgreSQL folds identical ones within a transaction and sends them at
//! commit. SQLite has no NOTIFY; there the cache watches `PRAGMA data_version`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

const TABLES: &[&str] = &[
    "articles",
    "article_tags",
    "tags",
    "categories",
    "series",
    "site_settings",
    "article_slug_history",
    "tag_slug_history",
    "users",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION colophon_notify_change() RETURNS trigger AS $$ \
             BEGIN PERFORM pg_notify('colophon_changes', TG_TABLE_NAME); RETURN NULL; END \
             $$ LANGUAGE plpgsql",
        )
        .await?;
        for table in TABLES {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER colophon_notify_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION colophon_notify_change()"
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
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS colophon_notify_{table} ON {table}")).await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS colophon_notify_change()").await?;
        Ok(())
    }
}
