//! Article cards: each article's list entry, kept ready to serve (the read model of a
//! public list page).
//!
//! `article_cards` holds, per article, the JSON a list shows for it. The service writes the
//! cards; the database only says which are out of date. Triggers put an article's id in
//! `card_dirty` whenever anything its card shows changes, in the same statement as the
//! change, whoever writes: the article's row, its tag links, the name or slug of its tags,
//! category or series, or its author's name. The service re-makes the dirty cards before a
//! write commits, and a reader never serves a card whose id is in `card_dirty`, so a card
//! can be missing or late but never stale.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

const TABLES: &str = "\
CREATE TABLE article_cards (article_id integer PRIMARY KEY, card text NOT NULL);
CREATE TABLE card_dirty (article_id integer PRIMARY KEY);
INSERT INTO card_dirty (article_id) SELECT id FROM articles;
";

const SQLITE_TRIGGERS: &str = "\
CREATE TRIGGER card_article_insert AFTER INSERT ON articles BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) VALUES (NEW.id);
END;
CREATE TRIGGER card_article_update AFTER UPDATE ON articles BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) VALUES (NEW.id);
END;
CREATE TRIGGER card_article_delete AFTER DELETE ON articles BEGIN
  DELETE FROM article_cards WHERE article_id = OLD.id;
  DELETE FROM card_dirty WHERE article_id = OLD.id;
END;
CREATE TRIGGER card_tag_link_insert AFTER INSERT ON article_tags BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) VALUES (NEW.article_id);
END;
CREATE TRIGGER card_tag_link_update AFTER UPDATE OF article_id, tag_id, position ON article_tags BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) VALUES (OLD.article_id), (NEW.article_id);
END;
CREATE TRIGGER card_tag_link_delete AFTER DELETE ON article_tags BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) VALUES (OLD.article_id);
END;
CREATE TRIGGER card_tag_update AFTER UPDATE OF slug, name ON tags
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) SELECT article_id FROM article_tags WHERE tag_id = NEW.id;
END;
CREATE TRIGGER card_category_update AFTER UPDATE OF slug, name ON categories
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) SELECT id FROM articles WHERE category_id = NEW.id;
END;
CREATE TRIGGER card_series_update AFTER UPDATE OF slug, title ON series
WHEN OLD.slug IS NOT NEW.slug OR OLD.title IS NOT NEW.title BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) SELECT id FROM articles WHERE series_id = NEW.id;
END;
CREATE TRIGGER card_author_update AFTER UPDATE OF display_name ON users
WHEN OLD.display_name IS NOT NEW.display_name BEGIN
  INSERT OR IGNORE INTO card_dirty (article_id) SELECT id FROM articles WHERE author_id = NEW.id;
END;
";

const SQLITE_TRIGGER_NAMES: &[&str] = &[
    "card_article_insert",
    "card_article_update",
    "card_article_delete",
    "card_tag_link_insert",
    "card_tag_link_update",
    "card_tag_link_delete",
    "card_tag_update",
    "card_category_update",
    "card_series_update",
    "card_author_update",
];

/// A deleted group or author is unlinked by a foreign-key action, which updates `articles`
/// and so fires `card_article`. A mark is set by updating it when it is there (not `DO
/// NOTHING`), so a writer holds its mark until it commits and a concurrent refresh cannot
/// claim it early (see `content::cards::refresh`).
const POSTGRES_TRIGGERS: &str = "\
CREATE FUNCTION colophon_card_article() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM article_cards WHERE article_id = OLD.id;
    DELETE FROM card_dirty WHERE article_id = OLD.id;
  ELSE
    INSERT INTO card_dirty (article_id) VALUES (NEW.id) ON CONFLICT (article_id) DO UPDATE SET article_id = excluded.article_id;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER card_article AFTER INSERT OR UPDATE OR DELETE ON articles
  FOR EACH ROW EXECUTE FUNCTION colophon_card_article();
CREATE FUNCTION colophon_card_tag_link() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO card_dirty (article_id) VALUES (OLD.article_id) ON CONFLICT (article_id) DO UPDATE SET article_id = excluded.article_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO card_dirty (article_id) VALUES (NEW.article_id) ON CONFLICT (article_id) DO UPDATE SET article_id = excluded.article_id;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER card_tag_link AFTER INSERT OR DELETE OR UPDATE OF article_id, tag_id, position ON article_tags
  FOR EACH ROW EXECUTE FUNCTION colophon_card_tag_link();
CREATE FUNCTION colophon_card_group() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'tags' THEN
    INSERT INTO card_dirty (article_id) SELECT DISTINCT article_id FROM article_tags WHERE tag_id = NEW.id ON CONFLICT (article_id) DO UPDATE SET article_id = excluded.article_id;
  ELSIF TG_TABLE_NAME = 'categories' THEN
    INSERT INTO card_dirty (article_id) SELECT id FROM articles WHERE category_id = NEW.id ON CONFLICT (article_id) DO UPDATE SET article_id = excluded.article_id;
  ELSIF TG_TABLE_NAME = 'series' THEN
    INSERT INTO card_dirty (article_id) SELECT id FROM articles WHERE series_id = NEW.id ON CONFLICT (article_id) DO UPDATE SET article_id = excluded.article_id;
  ELSE
    INSERT INTO card_dirty (article_id) SELECT id FROM articles WHERE author_id = NEW.id ON CONFLICT (article_id) DO UPDATE SET article_id = excluded.article_id;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER card_tag AFTER UPDATE OF slug, name ON tags FOR EACH ROW
  WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION colophon_card_group();
CREATE TRIGGER card_category AFTER UPDATE OF slug, name ON categories FOR EACH ROW
  WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION colophon_card_group();
CREATE TRIGGER card_series AFTER UPDATE OF slug, title ON series FOR EACH ROW
  WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION colophon_card_group();
CREATE TRIGGER card_author AFTER UPDATE OF display_name ON users FOR EACH ROW
  WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name) EXECUTE FUNCTION colophon_card_group();
";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let script = format!("{TABLES}{}", if postgres { POSTGRES_TRIGGERS } else { SQLITE_TRIGGERS });
        manager.get_connection().execute_unprepared(&script).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        let mut script = String::new();
        if postgres {
            for (t, on) in [
                ("card_article", "articles"),
                ("card_tag_link", "article_tags"),
                ("card_tag", "tags"),
                ("card_category", "categories"),
                ("card_series", "series"),
                ("card_author", "users"),
            ] {
                script += &format!("DROP TRIGGER {t} ON {on};\n");
            }
            script += "DROP FUNCTION colophon_card_article();\nDROP FUNCTION colophon_card_tag_link();\n\
                       DROP FUNCTION colophon_card_group();\n";
        } else {
            for t in SQLITE_TRIGGER_NAMES {
                script += &format!("DROP TRIGGER {t};\n");
            }
        }
        script += "DROP TABLE card_dirty;\nDROP TABLE article_cards;\n";
        manager.get_connection().execute_unprepared(&script).await?;
        Ok(())
    }
}
