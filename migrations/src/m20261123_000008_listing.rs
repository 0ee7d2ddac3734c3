//! Public lists at a cost that does not grow with the publication.
//!
//! `articles.listed_at` is the publication time of an article readers may list (live, and
//! published or scheduled), NULL otherwise, computed by the database from the row. So "what
//! readers see now" is one range, `listed_at <= now`, and one index in that order serves
//! the home list, each category and, copied into `article_tags.listed_at`, each tag: a page
//! walks 21 index entries whatever the size of the group.
//!
//! Counts come from counters the database keeps (`listed_articles` on tags, categories and
//! series, `listing_totals.articles` for all), moved by triggers on every change, whoever
//! writes (the service, the seeder, an importer). A counter includes scheduled articles
//! whose time has not come; readers subtract those, a short index range.
//!
//! On PostgreSQL, every listing change first locks the one `listing_totals` row, so
//! concurrent writers update counters in one order and cannot deadlock.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// What the database decides "listed" means; the service's visibility rule is this column
/// compared with the current time.
const LISTED_AT: &str = "CASE WHEN deleted_at IS NULL AND status IN ('published', 'scheduled') THEN published_at END";

const GROUP_TABLES: &[&str] = &["tags", "categories", "series"];

const INDEXES: &[(&str, &str)] = &[
    ("idx_articles_listed", "articles (listed_at, id)"),
    ("idx_articles_category_listed", "articles (category_id, listed_at, id)"),
    ("idx_articles_series_listed", "articles (series_id, listed_at)"),
    ("idx_article_tags_listed", "article_tags (tag_id, listed_at, article_id)"),
];

/// Listing columns and counters computed afresh from the rows: for the migration, and for a
/// bulk load that ran with the triggers off (see [`crate::LISTING_TRIGGERS_PG`]).
pub const FILL: &str = "\
UPDATE article_tags SET listed_at = (SELECT a.listed_at FROM articles a WHERE a.id = article_tags.article_id);
DELETE FROM listing_totals;
INSERT INTO listing_totals (id, articles) VALUES (1, (SELECT COUNT(*) FROM articles WHERE listed_at IS NOT NULL));
UPDATE tags SET listed_articles = (SELECT COUNT(*) FROM article_tags at WHERE at.tag_id = tags.id AND at.listed_at IS NOT NULL);
UPDATE categories SET listed_articles = (SELECT COUNT(*) FROM articles a WHERE a.category_id = categories.id AND a.listed_at IS NOT NULL);
UPDATE series SET listed_articles = (SELECT COUNT(*) FROM articles a WHERE a.series_id = series.id AND a.listed_at IS NOT NULL);
";

const SQLITE_TRIGGERS: &str = "\
CREATE TRIGGER listing_article_insert AFTER INSERT ON articles WHEN NEW.listed_at IS NOT NULL BEGIN
  UPDATE listing_totals SET articles = articles + 1;
  UPDATE categories SET listed_articles = listed_articles + 1 WHERE id = NEW.category_id;
  UPDATE series SET listed_articles = listed_articles + 1 WHERE id = NEW.series_id;
END;
CREATE TRIGGER listing_article_update AFTER UPDATE ON articles
WHEN OLD.listed_at IS NOT NEW.listed_at OR OLD.category_id IS NOT NEW.category_id OR OLD.series_id IS NOT NEW.series_id
BEGIN
  UPDATE listing_totals SET articles = articles - 1 WHERE OLD.listed_at IS NOT NULL;
  UPDATE categories SET listed_articles = listed_articles - 1 WHERE OLD.listed_at IS NOT NULL AND id = OLD.category_id;
  UPDATE series SET listed_articles = listed_articles - 1 WHERE OLD.listed_at IS NOT NULL AND id = OLD.series_id;
  UPDATE tags SET listed_articles = listed_articles - 1
    WHERE OLD.listed_at IS NOT NULL AND id IN (SELECT tag_id FROM article_tags WHERE article_id = OLD.id);
  UPDATE listing_totals SET articles = articles + 1 WHERE NEW.listed_at IS NOT NULL;
  UPDATE categories SET listed_articles = listed_articles + 1 WHERE NEW.listed_at IS NOT NULL AND id = NEW.category_id;
  UPDATE series SET listed_articles = listed_articles + 1 WHERE NEW.listed_at IS NOT NULL AND id = NEW.series_id;
  UPDATE tags SET listed_articles = listed_articles + 1
    WHERE NEW.listed_at IS NOT NULL AND id IN (SELECT tag_id FROM article_tags WHERE article_id = NEW.id);
  UPDATE article_tags SET listed_at = NEW.listed_at WHERE article_id = NEW.id AND listed_at IS NOT NEW.listed_at;
END;
CREATE TRIGGER listing_article_delete AFTER DELETE ON articles WHEN OLD.listed_at IS NOT NULL BEGIN
  UPDATE listing_totals SET articles = articles - 1;
  UPDATE categories SET listed_articles = listed_articles - 1 WHERE id = OLD.category_id;
  UPDATE series SET listed_articles = listed_articles - 1 WHERE id = OLD.series_id;
END;
CREATE TRIGGER listing_tag_link_insert AFTER INSERT ON article_tags BEGIN
  UPDATE article_tags SET listed_at = (SELECT listed_at FROM articles WHERE id = NEW.article_id)
    WHERE article_id = NEW.article_id AND tag_id = NEW.tag_id;
  UPDATE tags SET listed_articles = listed_articles + 1
    WHERE id = NEW.tag_id AND (SELECT listed_at FROM articles WHERE id = NEW.article_id) IS NOT NULL;
END;
CREATE TRIGGER listing_tag_link_delete AFTER DELETE ON article_tags WHEN OLD.listed_at IS NOT NULL BEGIN
  UPDATE tags SET listed_articles = listed_articles - 1 WHERE id = OLD.tag_id;
END;
";

const POSTGRES_TRIGGERS: &str = "\
CREATE FUNCTION colophon_listing_article() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.listed_at IS NOT DISTINCT FROM NEW.listed_at
     AND OLD.category_id IS NOT DISTINCT FROM NEW.category_id
     AND OLD.series_id IS NOT DISTINCT FROM NEW.series_id THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.listed_at IS NOT NULL THEN
    UPDATE listing_totals SET articles = articles - 1;
    UPDATE categories SET listed_articles = listed_articles - 1 WHERE id = OLD.category_id;
    UPDATE series SET listed_articles = listed_articles - 1 WHERE id = OLD.series_id;
    IF TG_OP = 'UPDATE' THEN
      UPDATE tags SET listed_articles = listed_articles - 1
        WHERE id IN (SELECT tag_id FROM article_tags WHERE article_id = OLD.id);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.listed_at IS NOT NULL THEN
    UPDATE listing_totals SET articles = articles + 1;
    UPDATE categories SET listed_articles = listed_articles + 1 WHERE id = NEW.category_id;
    UPDATE series SET listed_articles = listed_articles + 1 WHERE id = NEW.series_id;
    IF TG_OP = 'UPDATE' THEN
      UPDATE tags SET listed_articles = listed_articles + 1
        WHERE id IN (SELECT tag_id FROM article_tags WHERE article_id = NEW.id);
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.listed_at IS DISTINCT FROM NEW.listed_at THEN
    UPDATE article_tags SET listed_at = NEW.listed_at WHERE article_id = NEW.id;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER listing_article AFTER INSERT OR UPDATE OR DELETE ON articles
  FOR EACH ROW EXECUTE FUNCTION colophon_listing_article();
CREATE FUNCTION colophon_listing_tag_link() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.listed_at := (SELECT listed_at FROM articles WHERE id = NEW.article_id);
    IF NEW.listed_at IS NOT NULL THEN
      PERFORM 1 FROM listing_totals FOR UPDATE;
      UPDATE tags SET listed_articles = listed_articles + 1 WHERE id = NEW.tag_id;
    END IF;
    RETURN NEW;
  END IF;
  IF OLD.listed_at IS NOT NULL THEN
    PERFORM 1 FROM listing_totals FOR UPDATE;
    UPDATE tags SET listed_articles = listed_articles - 1 WHERE id = OLD.tag_id;
  END IF;
  RETURN OLD;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER listing_tag_link BEFORE INSERT OR DELETE ON article_tags
  FOR EACH ROW EXECUTE FUNCTION colophon_listing_tag_link();
";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        // The same declared types as `published_at`, so both read back as timestamps.
        let (time, generated) = match postgres {
            true => ("timestamp with time zone", "STORED"),
            false => ("timestamp_with_timezone_text", "VIRTUAL"),
        };
        let mut script = format!(
            "ALTER TABLE articles ADD COLUMN listed_at {time} GENERATED ALWAYS AS ({LISTED_AT}) {generated};\n\
             ALTER TABLE article_tags ADD COLUMN listed_at {time} NULL;\n\
             CREATE TABLE listing_totals (id integer PRIMARY KEY, articles bigint NOT NULL);\n"
        );
        for table in GROUP_TABLES {
            script += &format!("ALTER TABLE {table} ADD COLUMN listed_articles bigint NOT NULL DEFAULT 0;\n");
        }
        for (name, on) in INDEXES {
            script += &format!("CREATE INDEX {name} ON {on};\n");
        }
        script += FILL;
        script += if postgres { POSTGRES_TRIGGERS } else { SQLITE_TRIGGERS };
        // One script: every statement on the same connection, in order, in one transaction
        // on PostgreSQL.
        manager.get_connection().execute_unprepared(&script).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let mut script = String::new();
        if postgres {
            script += "DROP TRIGGER listing_tag_link ON article_tags;\nDROP TRIGGER listing_article ON articles;\n\
                       DROP FUNCTION colophon_listing_tag_link();\nDROP FUNCTION colophon_listing_article();\n";
        } else {
            for t in [
                "listing_article_insert",
                "listing_article_update",
                "listing_article_delete",
                "listing_tag_link_insert",
                "listing_tag_link_delete",
            ] {
                script += &format!("DROP TRIGGER {t};\n");
            }
        }
        for (name, _) in INDEXES {
            script += &format!("DROP INDEX {name};\n");
        }
        for table in GROUP_TABLES {
            script += &format!("ALTER TABLE {table} DROP COLUMN listed_articles;\n");
        }
        script += "DROP TABLE listing_totals;\nALTER TABLE article_tags DROP COLUMN listed_at;\n\
                   ALTER TABLE articles DROP COLUMN listed_at;\n";
        manager.get_connection().execute_unprepared(&script).await?;
        Ok(())
    }
}
