//! Schema migrations for Colophon, shared by SQLite and PostgreSQL.
//!
//! Each migration is written with sea-query's schema builder so the same code produces the
//! right DDL for both databases. Rules that must hold under concurrency (unique slugs, one
//! article per series part, foreign keys) live here, in the database, not in process.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_content_model;
mod m20261123_000002_taxonomy_search_site;
mod m20261123_000003_editorial;
mod m20261123_000004_widen_text_columns;
mod m20261123_000005_change_notifications;
mod m20261123_000006_live_articles_index;
mod m20261123_000007_article_text_last;
mod m20261123_000008_listing;
mod m20261123_000009_events;
mod m20261123_000010_webhooks;
mod m20261128_000011_no_digit_slugs;
mod m20261128_000012_public_epoch;
mod m20261128_000013_live_notifications;
mod m20261128_000014_purges;
mod m20261129_000015_article_cards;

/// Recomputes the listing columns and counters (migration 0008) from the rows.
pub use m20261123_000008_listing::FILL as LISTING_FILL;

/// The PostgreSQL listing triggers, by table: a bulk load in one transaction turns them off
/// and runs [`LISTING_FILL`] instead. Each counter update makes a new row version, and in one
/// transaction every update walks the versions before it: 100k articles went quadratic.
pub const LISTING_TRIGGERS_PG: &[(&str, &str)] =
    &[("articles", "listing_article"), ("article_tags", "listing_tag_link")];

/// PostgreSQL's full-text index on search documents, as created.
pub use m20261123_000002_taxonomy_search_site::SEARCH_INDEX_PG;

/// The PostgreSQL channel new `purges` rows are announced on, as `<id> <keys>`.
pub use m20261128_000014_purges::CHANNEL as PURGE_CHANNEL;

/// The PostgreSQL channel new `events` and `article_revisions` rows are announced on.
pub use m20261128_000013_live_notifications::CHANNEL as LIVE_CHANNEL;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_content_model::Migration),
            Box::new(m20261123_000002_taxonomy_search_site::Migration),
            Box::new(m20261123_000003_editorial::Migration),
            Box::new(m20261123_000004_widen_text_columns::Migration),
            Box::new(m20261123_000005_change_notifications::Migration),
            Box::new(m20261123_000006_live_articles_index::Migration),
            Box::new(m20261123_000007_article_text_last::Migration),
            Box::new(m20261123_000008_listing::Migration),
            Box::new(m20261123_000009_events::Migration),
            Box::new(m20261123_000010_webhooks::Migration),
            Box::new(m20261128_000011_no_digit_slugs::Migration),
            Box::new(m20261128_000012_public_epoch::Migration),
            Box::new(m20261128_000013_live_notifications::Migration),
            Box::new(m20261128_000014_purges::Migration),
            Box::new(m20261129_000015_article_cards::Migration),
        ]
    }
}
