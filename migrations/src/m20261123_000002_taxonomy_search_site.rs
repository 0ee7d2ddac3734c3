//! Taxonomy and navigation: tag slug history, site settings, and the full-text search index
//! (FTS5 on SQLite, a weighted tsvector with a GIN index on PostgreSQL).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

/// PostgreSQL's search index (a bulk load drops it and builds it once at the end).
pub const SEARCH_INDEX_PG: &str = "CREATE INDEX idx_article_search_document ON article_search USING GIN (document)";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tag_slug_history")
                    .col(string_len("slug", 200).primary_key())
                    .col(integer("tag_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tag_slug_history_tag_id")
                            .from("tag_slug_history", "tag_id")
                            .to("tags", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_tag_slug_history_tag").table("tag_slug_history").col("tag_id").take(),
            )
            .await?;

        // One row (id = 1): what the `site` query answers.
        manager
            .create_table(
                Table::create()
                    .table("site_settings")
                    .col(integer("id").primary_key())
                    .col(string_len("title", 200))
                    .col(text("description"))
                    .col(string_len("url", 2048))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;

        // Indexes for the series navigation and archive reads.
        manager
            .create_index(
                Index::create()
                    .name("idx_articles_series_status")
                    .table("articles")
                    .col("series_id")
                    .col("status")
                    .col("series_part")
                    .take(),
            )
            .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                // rowid = articles.id. Columns in weight order: title, excerpt, tags, body.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE article_search USING fts5(\
                     title, excerpt, tags, body, tokenize = 'porter unicode61 remove_diacritics 2')",
                )
                .await?;
                db.execute_unprepared(
                    "INSERT INTO article_search (rowid, title, excerpt, tags, body) \
                     SELECT a.id, a.title, a.excerpt, \
                     COALESCE((SELECT group_concat(t.name, ' ') FROM article_tags at JOIN tags t ON t.id = at.tag_id \
                     WHERE at.article_id = a.id), ''), a.plain_text FROM articles a",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TABLE article_search (\
                     article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE, \
                     document TSVECTOR NOT NULL)",
                )
                .await?;
                db.execute_unprepared(SEARCH_INDEX_PG).await?;
                db.execute_unprepared(
                    "INSERT INTO article_search (article_id, document) \
                     SELECT a.id, \
                     setweight(to_tsvector('english', a.title), 'A') || \
                     setweight(to_tsvector('english', a.excerpt), 'B') || \
                     setweight(to_tsvector('english', COALESCE((SELECT string_agg(t.name, ' ') FROM article_tags at \
                     JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '')), 'C') || \
                     setweight(to_tsvector('english', a.plain_text), 'D') FROM articles a",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP TABLE article_search").await?;
        manager.drop_index(Index::drop().name("idx_articles_series_status").table("articles").to_owned()).await?;
        manager.drop_table(Table::drop().table("site_settings").take()).await?;
        manager.drop_table(Table::drop().table("tag_slug_history").take()).await?;
        Ok(())
    }
}
