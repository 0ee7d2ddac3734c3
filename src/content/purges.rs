//! The purge log (migration 0014): each write readers can see names the cache keys it
//! changed, in its own transaction. Response caches drop exactly the answers that carry one
//! of them; the HTTP face sends the same keys as `Surrogate-Key` / `Cache-Tag`, so a CDN
//! purged with them agrees with the in-process cache.
//!
//! What a change purges:
//! - an article that readers saw or now see: its own key, the keys of its tags, category
//!   (with the categories above it, whose pages count descendants) and series before and
//!   after the write, and [`keys::ARTICLES`] (home, archive, search, feeds, sitemap) and
//!   [`keys::TAXONOMY`] (group lists and site counts);
//! - a tag or series renamed or deleted: its key, [`keys::TAXONOMY`], and the articles that
//!   show its name; a category: every category's key (see [`Purge::every_category`]);
//! - site settings, a restore, a bulk load: everything ([`keys::EVERYTHING`]).
//!
//! Drafts, scheduled articles before their time, accounts and the audit log purge nothing.
//! Scheduling writes [`keys::SCHEDULE`] alone, which purges nothing but tells caches that the
//! next publication time may have moved.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use super::Result;
use crate::entities::{article, article_tag, purge};

/// Key names, in one place for the handlers that set them and for whoever purges.
pub mod keys {
    pub fn article(id: impl std::fmt::Display) -> String {
        format!("article-{id}")
    }
    pub fn tag(id: impl std::fmt::Display) -> String {
        format!("tag-{id}")
    }
    pub fn category(id: impl std::fmt::Display) -> String {
        format!("category-{id}")
    }
    pub fn series(id: impl std::fmt::Display) -> String {
        format!("series-{id}")
    }
    /// Every list of articles that is not one group's (home, archive, search, feeds,
    /// sitemap, related): any article readers see changing changes them.
    pub const ARTICLES: &str = "articles";
    /// Lists of tags, categories and series, and the site's counts.
    pub const TAXONOMY: &str = "taxonomy";
    /// Every GraphQL answer: a query may touch anything, so every purge drops them.
    pub const GRAPHQL: &str = "graphql";
    /// Everything at once.
    pub const EVERYTHING: &str = "*";
    /// Purges nothing; the next scheduled publication may have moved.
    pub const SCHEDULE: &str = "schedule";
}

/// The keys one write changed, gathered as it goes and written once, at its end.
#[derive(Debug, Default)]
pub struct Purge {
    keys: BTreeSet<String>,
    /// Categories whose ancestors are purged too.
    categories: BTreeSet<i32>,
    /// Every category (a change to the tree itself).
    every_category: bool,
}

impl Purge {
    pub fn everything() -> Self {
        let mut p = Self::default();
        p.key(keys::EVERYTHING);
        p
    }

    pub fn key(&mut self, key: impl Into<String>) {
        self.keys.insert(key.into());
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.categories.is_empty() && !self.every_category
    }

    /// An article readers see (or saw) and the lists it is on, by its row: its category and
    /// series. Its tags come from [`Purge::tags_of`].
    pub fn article(&mut self, row: &article::Model) {
        self.key(keys::article(row.id));
        self.key(keys::ARTICLES);
        self.key(keys::TAXONOMY);
        self.categories.extend(row.category_id);
        if let Some(s) = row.series_id {
            self.key(keys::series(s));
        }
    }

    pub fn tags(&mut self, ids: impl IntoIterator<Item = i32>) {
        self.keys.extend(ids.into_iter().map(keys::tag));
    }

    /// Articles whose cards and pages show a name that changed (a group's, an author's):
    /// their own keys, and every list that is not one group's (search matches the name).
    pub fn showing(&mut self, article_ids: &[i32]) {
        if article_ids.is_empty() {
            return;
        }
        self.key(keys::ARTICLES);
        self.keys.extend(article_ids.iter().map(|&id| keys::article(id)));
    }

    /// Every category's pages: a category renamed, moved or deleted changes its own, its
    /// old and new ancestors' (which count descendants) and a reassignment target's. The
    /// tree is small and such changes rare, so all of them, rather than reasoning about
    /// which trees a move touched.
    pub fn every_category(&mut self) {
        self.every_category = true;
    }

    /// The tags the articles are in now.
    pub async fn tags_of(&mut self, db: &impl ConnectionTrait, article_ids: &[i32]) -> Result<()> {
        self.tags(tag_ids(db, article_ids).await?);
        Ok(())
    }

    /// Writes the keys, if any, under the change log's lock (so purge ids are in commit
    /// order, as event ids are). Call it last in the write, beside its events.
    pub async fn record(self, txn: &DatabaseTransaction) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let keys = self.into_keys(txn).await?.join(" ");
        super::lock_for_txn(txn, super::changes::LOCK).await?;
        let id = purge::Entity::insert(purge::ActiveModel { keys: Set(keys), ..Default::default() })
            .exec(txn)
            .await?
            .last_insert_id;
        // The log only has to reach back as far as the slowest reader; one that falls
        // further behind sees the gap and empties its cache.
        if id % 256 == 0 {
            purge::Entity::delete_many().filter(purge::Column::Id.lte(id - KEPT)).exec(txn).await?;
        }
        Ok(())
    }

    /// Every key, the categories' ancestors (or the whole tree) spelled out.
    pub async fn into_keys(mut self, db: &impl ConnectionTrait) -> Result<Vec<String>> {
        if !self.categories.is_empty() || self.every_category {
            let tree = super::tree::CategoryTree::load(db).await?;
            for &id in &self.categories {
                self.keys.insert(keys::category(id));
                self.keys.extend(tree.ancestors(id).iter().map(|c| keys::category(c.id)));
            }
            if self.every_category {
                self.keys.extend(tree.ordered().iter().map(|c| keys::category(c.id)));
            }
        }
        Ok(self.keys.into_iter().collect())
    }
}

/// Purges kept in the log.
const KEPT: i32 = 10_000;

/// The tag ids of some articles (a set: order and repeats do not matter here).
pub async fn tag_ids(db: &impl ConnectionTrait, article_ids: &[i32]) -> Result<Vec<i32>> {
    if article_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(article_tag::Entity::find()
        .select_only()
        .column(article_tag::Column::TagId)
        .filter(article_tag::Column::ArticleId.is_in(article_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?)
}

/// What readers of the log get: the purges after the one they saw last.
#[derive(Debug)]
pub enum Since {
    /// The keys of each purge, in order, and the id of the last.
    Purges(Vec<String>, i32),
    /// Too many, or some are no longer in the log: forget everything. The newest id.
    TooFar(i32),
}

/// Purges after `seen`, at most `max` of them (`seen` < 0: never read, answered `TooFar`).
pub async fn since(db: &impl ConnectionTrait, seen: i32, max: u64) -> Result<Since> {
    use sea_orm::QueryOrder;
    if seen < 0 {
        let newest: Option<i32> = purge::Entity::find()
            .select_only()
            .column(purge::Column::Id)
            .order_by_desc(purge::Column::Id)
            .into_tuple()
            .one(db)
            .await?;
        return Ok(Since::TooFar(newest.unwrap_or(0)));
    }
    let rows: Vec<(i32, String)> = purge::Entity::find()
        .select_only()
        .columns([purge::Column::Id, purge::Column::Keys])
        .filter(purge::Column::Id.gt(seen))
        .order_by_asc(purge::Column::Id)
        .limit(max + 1)
        .into_tuple()
        .all(db)
        .await?;
    let Some(&(last, _)) = rows.last() else { return Ok(Since::Purges(Vec::new(), seen)) };
    // Ids count up by one; a first id past `seen + 1` means rows were pruned unread (or a
    // PostgreSQL transaction that took an id rolled back: emptying then is merely cautious).
    if rows.len() as u64 > max || (seen > 0 && rows[0].0 != seen + 1) {
        return Ok(Since::TooFar(last));
    }
    Ok(Since::Purges(rows.into_iter().map(|(_, keys)| keys).collect(), last))
}
