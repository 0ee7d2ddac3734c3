//! Public lists and their counts read live articles only (`deleted_at IS NULL`) by status and
//! publication time. An index with every column those filters name answers `COUNT(*)` from
//! the index alone; without `deleted_at` in it, SQLite had to visit each row to check it and
//! chose to read the whole table instead (rows carry the bodies: gigabytes at 100k).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_articles_live_status_published ON articles (deleted_at, status, published_at, id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX idx_articles_live_status_published").await?;
        Ok(())
    }
}
