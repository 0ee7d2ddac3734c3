//! The change log: one row per public event (`content::changes`), in commit order. Delta
//! sync reads an article's newest event past a token; webhooks deliver every event.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(pk_auto("id"))
                    .col(string_len("event", 64))
                    .col(string_len("subject", 16))
                    .col(integer("subject_id"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    .take(),
            )
            .await?;
        // Sync: an article's events past a token, grouped by article.
        manager
            .create_index(
                Index::create()
                    .name("idx_events_subject_id")
                    .table("events")
                    .col("subject")
                    .col("id")
                    .col("subject_id")
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("events").take()).await?;
        Ok(())
    }
}
