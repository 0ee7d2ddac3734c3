//! Columns that were narrower than what the service accepts into them: the audit log's
//! target names a tag or category by a slug of up to 200 characters plus a prefix, and the
//! site title may be 300 characters like any title. PostgreSQL enforces `varchar(n)`;
//! SQLite never did, so only PostgreSQL needs the change.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter().table("audit_log").modify_column(ColumnDef::new("target").text().not_null()).take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("site_settings")
                    .modify_column(ColumnDef::new("title").string_len(300).not_null())
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table("audit_log")
                    .modify_column(ColumnDef::new("target").string_len(200).not_null())
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("site_settings")
                    .modify_column(ColumnDef::new("title").string_len(200).not_null())
                    .take(),
            )
            .await
    }
}
