//! Editorial workflow: refresh tokens (stored hashed, rotated in families) and the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    // Every token issued by rotation from one sign-in shares a family; reuse of
                    // a spent token revokes the whole family.
                    .col(string_len("family", 64))
                    // SHA-256 of the token, hex: the token itself is never stored.
                    .col(string_len_uniq("token_hash", 64))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_tokens_user_id")
                            .from("refresh_tokens", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_refresh_tokens_family").table("refresh_tokens").col("family").take(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_refresh_tokens_user").table("refresh_tokens").col("user_id").take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(pk_auto("id"))
                    // What happened, like `article.publish`.
                    .col(string_len("action", 64))
                    // The token subject that did it (or `system` for the scheduler).
                    .col(string_len("actor", 200))
                    // What it happened to, like `article:42`.
                    .col(string_len("target", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_audit_log_created").table("audit_log").col("created_at").col("id").take(),
            )
            .await?;
        // The scheduler's scan: scheduled articles by time.
        manager
            .create_index(
                Index::create()
                    .name("idx_articles_status_deleted")
                    .table("articles")
                    .col("deleted_at")
                    .col("status")
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_articles_status_deleted").table("articles").to_owned()).await?;
        manager.drop_table(Table::drop().table("audit_log").take()).await?;
        manager.drop_table(Table::drop().table("refresh_tokens").take()).await?;
        Ok(())
    }
}
