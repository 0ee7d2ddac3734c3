//! The public epoch: a number the database raises on every change readers can see, and
//! only then. Response caches (this process's and every other instance's) empty when it
//! moves, so an editor's draft saves (autosaved every few seconds) cost readers nothing.
//!
//! Raised by triggers, whoever writes (the server, `colophon import`, another instance):
//! - articles: when the row was or becomes listed (published, or scheduled), except a save
//!   of a scheduled article whose time has not come and does not move: readers see nothing
//!   of it yet, and the cache already empties at that time;
//! - tag links: when their article is listed;
//! - tags and series: when one with listed articles changes (a group only drafts use is
//!   invisible to readers); categories, whose visibility also hangs on their descendants,
//!   and site settings: on any change;
//! - users: when a display name changes (articles show their author's);
//! - old slugs: when they redirect to a listed article, or to any tag.
//!
//! SQLite keeps it in a one-row table (one writer at a time; the new value is seen when the
//! write commits). PostgreSQL keeps it in a sequence, which concurrent writers raise without
//! waiting on each other (a row would be a second hot row beside the listing counters, and
//! writers taking the two in different orders would deadlock); other instances learn of it
//! from `NOTIFY colophon_changes`, which PostgreSQL delivers at commit and folds to one per
//! transaction. This replaces migration 0005's notification on every write.
//!
//! Migration 0014 replaced the epoch with the purge log, which says what changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

const SQLITE: &str = "\
CREATE TABLE public_epoch (id integer PRIMARY KEY, epoch bigint NOT NULL);
INSERT INTO public_epoch (id, epoch) VALUES (1, 0);
CREATE TRIGGER public_article_insert AFTER INSERT ON articles WHEN NEW.listed_at IS NOT NULL
BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER public_article_update AFTER UPDATE ON articles
WHEN (OLD.listed_at IS NOT NULL OR NEW.listed_at IS NOT NULL)
  AND NOT (OLD.listed_at IS NEW.listed_at AND NEW.listed_at > strftime('%Y-%m-%dT%H:%M:%f', 'now'))
BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER public_article_delete AFTER DELETE ON articles WHEN OLD.listed_at IS NOT NULL
BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER public_tag_link_insert AFTER INSERT ON article_tags
WHEN (SELECT listed_at FROM articles WHERE id = NEW.article_id) IS NOT NULL
BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER public_tag_link_delete AFTER DELETE ON article_tags WHEN OLD.listed_at IS NOT NULL
BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER public_user_update AFTER UPDATE ON users WHEN OLD.display_name IS NOT NEW.display_name
BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER public_article_slug AFTER INSERT ON article_slug_history
WHEN (SELECT listed_at FROM articles WHERE id = NEW.article_id) IS NOT NULL
BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;
";

/// Tables raising the epoch on a condition of their rows (SQLite: insert, update, delete).
const GROUPS: &[&str] = &["tags", "series"];
/// Tables raising it on any change.
const ALWAYS: &[&str] = &["categories", "site_settings", "tag_slug_history"];

const POSTGRES: &str = "\
CREATE SEQUENCE public_epoch;
CREATE FUNCTION colophon_public_change() RETURNS trigger AS $$
DECLARE
  visible boolean := false;
BEGIN
  IF TG_TABLE_NAME = 'articles' THEN
    IF TG_OP = 'INSERT' THEN
      visible := NEW.listed_at IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
      visible := OLD.listed_at IS NOT NULL;
    ELSE
      visible := (OLD.listed_at IS NOT NULL OR NEW.listed_at IS NOT NULL)
        AND NOT (OLD.listed_at IS NOT DISTINCT FROM NEW.listed_at AND NEW.listed_at > now());
    END IF;
  ELSIF TG_TABLE_NAME = 'article_tags' THEN
    IF TG_OP = 'DELETE' THEN
      visible := OLD.listed_at IS NOT NULL;
    ELSE
      visible := (SELECT listed_at FROM articles WHERE id = NEW.article_id) IS NOT NULL;
    END IF;
  ELSIF TG_TABLE_NAME IN ('tags', 'series') THEN
    IF TG_OP = 'INSERT' THEN
      visible := NEW.listed_articles > 0;
    ELSIF TG_OP = 'DELETE' THEN
      visible := OLD.listed_articles > 0;
    ELSE
      visible := OLD.listed_articles > 0 OR NEW.listed_articles > 0;
    END IF;
  ELSIF TG_TABLE_NAME = 'users' THEN
    visible := OLD.display_name IS DISTINCT FROM NEW.display_name;
  ELSIF TG_TABLE_NAME = 'article_slug_history' THEN
    visible := (SELECT listed_at FROM articles WHERE id = NEW.article_id) IS NOT NULL;
  ELSE
    visible := true;
  END IF;
  IF visible THEN
    PERFORM nextval('public_epoch');
    PERFORM pg_notify('colophon_changes', 'public');
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER public_article AFTER INSERT OR UPDATE OR DELETE ON articles
  FOR EACH ROW EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_tag_link AFTER INSERT OR DELETE ON article_tags
  FOR EACH ROW EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_groups_tags AFTER INSERT OR UPDATE OR DELETE ON tags
  FOR EACH ROW EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_groups_series AFTER INSERT OR UPDATE OR DELETE ON series
  FOR EACH ROW EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_user AFTER UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_article_slug AFTER INSERT ON article_slug_history
  FOR EACH ROW EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_always_categories AFTER INSERT OR UPDATE OR DELETE ON categories
  FOR EACH STATEMENT EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_always_site_settings AFTER INSERT OR UPDATE OR DELETE ON site_settings
  FOR EACH STATEMENT EXECUTE FUNCTION colophon_public_change();
CREATE TRIGGER public_always_tag_slug_history AFTER INSERT OR UPDATE OR DELETE ON tag_slug_history
  FOR EACH STATEMENT EXECUTE FUNCTION colophon_public_change();
";

/// Migration 0005's notification on every write, which the epoch's replaces.
const OLD_NOTIFY_TABLES: &[&str] = &[
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
        let mut script = String::new();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for table in OLD_NOTIFY_TABLES {
                script += &format!("DROP TRIGGER IF EXISTS colophon_notify_{table} ON {table};\n");
            }
            script += "DROP FUNCTION IF EXISTS colophon_notify_change();\n";
            script += POSTGRES;
        } else {
            script += SQLITE;
            let bump = "BEGIN UPDATE public_epoch SET epoch = epoch + 1 WHERE id = 1; END;\n";
            for table in GROUPS {
                script += &format!(
                    "CREATE TRIGGER public_{table}_insert AFTER INSERT ON {table} WHEN NEW.listed_articles > 0 {bump}\
                     CREATE TRIGGER public_{table}_update AFTER UPDATE ON {table} \
                     WHEN OLD.listed_articles > 0 OR NEW.listed_articles > 0 {bump}\
                     CREATE TRIGGER public_{table}_delete AFTER DELETE ON {table} WHEN OLD.listed_articles > 0 {bump}"
                );
            }
            for table in ALWAYS {
                for op in ["INSERT", "UPDATE", "DELETE"] {
                    let name = op.to_ascii_lowercase();
                    script += &format!("CREATE TRIGGER public_{table}_{name} AFTER {op} ON {table} {bump}");
                }
            }
        }
        manager.get_connection().execute_unprepared(&script).await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("the public epoch cannot be taken back; restore a backup instead".into()))
    }
}
