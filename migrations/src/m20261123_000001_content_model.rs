//! The whole content model of DESIGN.md: users, categories (a tree), tags, series, articles
//! with an ordered article–tag link, revisions and slug history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .take()
}

fn index(table: &'static str, name: &str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(*col);
    }
    if unique {
        idx.unique();
    }
    idx.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_auto("id"))
                    // The JWT `sub` this account signs in as; unique so tokens map to one user.
                    .col(string_len_uniq("subject", 200))
                    .col(string_len_null("email", 320).unique_key())
                    .col(string_len("display_name", 200))
                    .col(text_null("bio"))
                    .col(string_len("role", 16))
                    .col(string_len_null("password_hash", 200))
                    .col(boolean("disabled").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("categories")
                    .col(pk_auto("id"))
                    .col(string_len_uniq("slug", 200))
                    .col(string_len("name", 200))
                    .col(text_null("description"))
                    .col(integer_null("parent_id"))
                    .col(integer("position").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("categories", "parent_id", "categories", ForeignKeyAction::Restrict))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("categories", "idx_categories_parent_position", &["parent_id", "position"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("tags")
                    .col(pk_auto("id"))
                    .col(string_len_uniq("slug", 200))
                    .col(string_len("name", 200))
                    .col(text_null("description"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;
        manager.create_index(index("tags", "idx_tags_name", &["name"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("series")
                    .col(pk_auto("id"))
                    .col(string_len_uniq("slug", 200))
                    .col(string_len("title", 300))
                    .col(text_null("description"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("articles")
                    .col(pk_auto("id"))
                    .col(string_len_uniq("slug", 200))
                    .col(string_len("title", 300))
                    // What the editor wrote; `excerpt` holds it or the derived one.
                    .col(text_null("custom_excerpt"))
                    .col(text("excerpt"))
                    .col(text("body"))
                    .col(text("html"))
                    .col(text("plain_text"))
                    .col(integer("word_count"))
                    .col(integer("reading_minutes"))
                    .col(string_len("status", 16))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .col(integer_null("author_id"))
                    .col(integer_null("category_id"))
                    .col(integer_null("series_id"))
                    .col(integer_null("series_part"))
                    .col(string_len_null("cover_image_url", 2048))
                    .col(string_len_null("canonical_url", 2048))
                    .col(string_len_null("seo_title", 300))
                    .col(string_len_null("seo_description", 500))
                    .col(integer("version").default(1))
                    .check(Expr::col("status").is_in(["draft", "scheduled", "published", "archived"]))
                    .check(Expr::col("series_part").is_null().or(Expr::col("series_id").is_not_null()))
                    .foreign_key(&mut fk("articles", "author_id", "users", ForeignKeyAction::SetNull))
                    .foreign_key(&mut fk("articles", "category_id", "categories", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("articles", "series_id", "series", ForeignKeyAction::Restrict))
                    .take(),
            )
            .await?;
        // One article per (series, part). NULL parts never collide.
        manager.create_index(index("articles", "uq_articles_series_part", &["series_id", "series_part"], true)).await?;
        // Keyset pagination for every order we offer: (status, key, id) lets the public list
        // (status filter + published_at <= now) walk the index in order.
        for (name, cols) in [
            ("idx_articles_status_published", &["status", "published_at", "id"][..]),
            ("idx_articles_published", &["published_at", "id"][..]),
            ("idx_articles_updated", &["updated_at", "id"][..]),
            ("idx_articles_title", &["title", "id"][..]),
            ("idx_articles_category", &["category_id", "published_at"][..]),
            ("idx_articles_author", &["author_id", "published_at"][..]),
            ("idx_articles_deleted", &["deleted_at"][..]),
        ] {
            manager.create_index(index("articles", name, cols, false)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("article_tags")
                    .col(integer("article_id"))
                    .col(integer("tag_id"))
                    // Tags keep the order the editor gave them; the first is the primary tag.
                    .col(integer("position"))
                    .primary_key(Index::create().col("article_id").col("tag_id"))
                    .foreign_key(&mut fk("article_tags", "article_id", "articles", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("article_tags", "tag_id", "tags", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager.create_index(index("article_tags", "idx_article_tags_tag", &["tag_id", "article_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("article_revisions")
                    .col(pk_auto("id"))
                    .col(integer("article_id"))
                    .col(integer("version"))
                    .col(string_len("editor", 200))
                    .col(string_len("title", 300))
                    // The article's fields as JSON, so a revision can be shown and restored.
                    .col(text("snapshot"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("article_revisions", "article_id", "articles", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("article_revisions", "uq_article_revisions_version", &["article_id", "version"], true))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("article_slug_history")
                    .col(string_len("slug", 200).primary_key())
                    .col(integer("article_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("article_slug_history", "article_id", "articles", ForeignKeyAction::Cascade))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("article_slug_history", "idx_article_slug_history_article", &["article_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "article_slug_history",
            "article_revisions",
            "article_tags",
            "articles",
            "series",
            "tags",
            "categories",
            "users",
        ] {
            manager.drop_table(Table::drop().table(table).take()).await?;
        }
        Ok(())
    }
}
