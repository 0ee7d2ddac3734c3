//! The purge log: one row per write readers can see, naming the cache keys it changed (the
//! same keys `Surrogate-Key` gives CDNs). Response caches drop exactly those entries, where
//! the public epoch (migration 0012) emptied everything on any change.
//!
//! The service layer writes the rows, in the transaction of the change and under the change
//! log's lock, so ids are in commit order: a reader that has seen id N has seen every purge
//! up to N. SQLite readers (other processes on the same file too) read the rows past the
//! last they saw. On PostgreSQL an insert announces `<id> <keys>` on `colophon_changes` at
//! commit, so every instance hears the keys at once.
//!
//! The epoch's triggers are dropped: they judged visibility by the database's clock and
//! could not say what changed.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

/// The channel every instance LISTENs on; the payload is `<id> <keys>`.
pub const CHANNEL: &str = "colophon_changes";

/// The epoch's SQLite triggers (migration 0012).
const SQLITE_TRIGGERS: &[&str] = &[
    "public_article_insert",
    "public_article_update",
    "public_article_delete",
    "public_tag_link_insert",
    "public_tag_link_delete",
    "public_user_update",
    "public_article_slug",
    "public_tags_insert",
    "public_tags_update",
    "public_tags_delete",
    "public_series_insert",
    "public_series_update",
    "public_series_delete",
    "public_categories_insert",
    "public_categories_update",
    "public_categories_delete",
    "public_site_settings_insert",
    "public_site_settings_update",
    "public_site_settings_delete",
    "public_tag_slug_history_insert",
    "public_tag_slug_history_update",
    "public_tag_slug_history_delete",
];

/// The epoch's PostgreSQL triggers, by table (migration 0012).
const PG_TRIGGERS: &[(&str, &str)] = &[
    ("articles", "public_article"),
    ("article_tags", "public_tag_link"),
    ("tags", "public_groups_tags"),
    ("series", "public_groups_series"),
    ("users", "public_user"),
    ("article_slug_history", "public_article_slug"),
    ("categories", "public_always_categories"),
    ("site_settings", "public_always_site_settings"),
    ("tag_slug_history", "public_always_tag_slug_history"),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(Table::create().table("purges").col(pk_auto("id")).col(text("keys")).take()).await?;
        let db = manager.get_connection();
        let mut script = String::new();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for (table, trigger) in PG_TRIGGERS {
                script += &format!("DROP TRIGGER IF EXISTS {trigger} ON {table};\n");
            }
            script += "DROP FUNCTION IF EXISTS colophon_public_change();\nDROP SEQUENCE IF EXISTS public_epoch;\n";
            // A payload has at most 8000 bytes; past that, "everything" says enough.
            script += &format!(
                "CREATE FUNCTION colophon_notify_purge() RETURNS trigger AS $$ BEGIN \
                 PERFORM pg_notify('{CHANNEL}', NEW.id || ' ' || \
                 CASE WHEN octet_length(NEW.keys) > 7900 THEN '*' ELSE NEW.keys END); \
                 RETURN NULL; END $$ LANGUAGE plpgsql;\n\
                 CREATE TRIGGER colophon_purge AFTER INSERT ON purges \
                 FOR EACH ROW EXECUTE FUNCTION colophon_notify_purge();\n"
            );
        } else {
            for trigger in SQLITE_TRIGGERS {
                script += &format!("DROP TRIGGER IF EXISTS {trigger};\n");
            }
            script += "DROP TABLE IF EXISTS public_epoch;\n";
        }
        db.execute_unprepared(&script).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("the purge log cannot be taken back; restore a backup instead".into()))
    }
}
