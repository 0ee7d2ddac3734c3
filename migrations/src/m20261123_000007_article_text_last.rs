//! SQLite stores a row's columns in declaration order, and a long article spills into a
//! chain of overflow pages: reading `status` or `published_at`, declared after `body`, `html`
//! and `plain_text`, meant walking the whole chain (tens of kilobytes per row), even for
//! queries that never select the text. This moves the three text columns to the end of the
//! row (add, copy, drop, rename), so lists and counts read only the first page of a row.
//! PostgreSQL keeps long values out of line (TOAST) and needs nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

const TEXT_COLUMNS: &[&str] = &["body", "html", "plain_text"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        // One script, so every statement runs on the same connection, in order.
        let mut script = String::new();
        for c in TEXT_COLUMNS {
            script += &format!("ALTER TABLE articles ADD COLUMN {c}_last TEXT NOT NULL DEFAULT '';\n");
        }
        script += "UPDATE articles SET body_last = body, html_last = html, plain_text_last = plain_text;\n";
        for c in TEXT_COLUMNS {
            script += &format!(
                "ALTER TABLE articles DROP COLUMN {c};\nALTER TABLE articles RENAME COLUMN {c}_last TO {c};\n"
            );
        }
        manager.get_connection().execute_unprepared(&script).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Column order carries no meaning beyond speed; nothing to undo.
        Ok(())
    }
}
