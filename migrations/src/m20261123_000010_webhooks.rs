//! Webhooks: endpoints admins register, and one delivery row per (event, endpoint), made
//! in the transaction that records the event. Workers on any instance claim due
//! deliveries with a lease, so each is sent by one of them at a time.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhooks")
                    .col(pk_auto("id"))
                    .col(string_len("url", 2048))
                    // Event filters, comma-separated: `article.published`, `tag.*`, `*`.
                    .col(string_len("events", 1024))
                    // `whsec_` + base64 of the signing key (Standard Webhooks).
                    .col(string_len("secret", 128))
                    .col(boolean("active"))
                    .col(string_len_null("description", 500))
                    .col(string_len("created_by", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(pk_auto("id"))
                    .col(integer("webhook_id"))
                    .col(integer("event_id"))
                    // pending, delivered or failed (given up after a day of retries).
                    .col(string_len("state", 16))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    // A worker's lease: no other worker sends it before this time.
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone_null("last_attempt_at"))
                    .col(integer_null("last_status"))
                    .col(string_len_null("last_error", 500))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_deliveries", "webhook_id")
                            .to("webhooks", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("webhook_deliveries", "event_id")
                            .to("events", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        // The workers' scan: due pending deliveries.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table("webhook_deliveries")
                    .col("state")
                    .col("next_attempt_at")
                    .take(),
            )
            .await?;
        // An endpoint's delivery log, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_webhook")
                    .table("webhook_deliveries")
                    .col("webhook_id")
                    .col("id")
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_webhook_deliveries_event").table("webhook_deliveries").col("event_id").take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("webhook_deliveries").take()).await?;
        manager.drop_table(Table::drop().table("webhooks").take()).await?;
        Ok(())
    }
}
