//! The change log (an outbox): one row per public event, written in the transaction that
//! makes the change, so a committed change always has its event and a rolled-back one
//! never does. Delta sync reads it; webhooks deliver it.
//!
//! Events are in commit order: the writer takes one lock just before inserting them and
//! holds it to commit (PostgreSQL; SQLite has one writer anyway), so an event id is never
//! committed after a larger one. A reader that has seen id N has seen every event up to
//! N, which is what a sync token promises. Events are therefore recorded last in a write,
//! after every row lock the write needs (the webhook rows its deliveries point to are
//! key-share locked when read, before the inserts that would otherwise lock them).

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use chrono::{DateTime, Utc};

use super::Result;
use super::groups::Grouping;
use super::purges::Purge;
use crate::entities::{article, article_tag, event};

/// The change log's lock (and the purge log's, which shares its order).
pub const LOCK: &str = "colophon.events";

/// Event names, as webhooks filter on them and sync readers see them.
pub mod names {
    pub const ARTICLE_PUBLISHED: &str = "article.published";
    pub const ARTICLE_UPDATED: &str = "article.updated";
    pub const ARTICLE_UNPUBLISHED: &str = "article.unpublished";
    pub const ARTICLE_DELETED: &str = "article.deleted";
    pub const TAG_CREATED: &str = "tag.created";
    pub const TAG_UPDATED: &str = "tag.updated";
    pub const TAG_DELETED: &str = "tag.deleted";
    pub const CATEGORY_CREATED: &str = "category.created";
    pub const CATEGORY_UPDATED: &str = "category.updated";
    pub const CATEGORY_DELETED: &str = "category.deleted";
    pub const SERIES_CREATED: &str = "series.created";
    pub const SERIES_UPDATED: &str = "series.updated";
    pub const SERIES_DELETED: &str = "series.deleted";

    /// Every event, for validating webhook filters.
    pub const ALL: &[&str] = &[
        ARTICLE_PUBLISHED,
        ARTICLE_UPDATED,
        ARTICLE_UNPUBLISHED,
        ARTICLE_DELETED,
        TAG_CREATED,
        TAG_UPDATED,
        TAG_DELETED,
        CATEGORY_CREATED,
        CATEGORY_UPDATED,
        CATEGORY_DELETED,
        SERIES_CREATED,
        SERIES_UPDATED,
        SERIES_DELETED,
    ];
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Article,
    Tag,
    Category,
    Series,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Article => "article",
            Subject::Tag => "tag",
            Subject::Category => "category",
            Subject::Series => "series",
        }
    }
}

/// Whether readers see this row now: live and published, or scheduled and due. A
/// scheduled article comes into view when its time passes, with no write to record it;
/// the scheduler records `article.published` when it publishes the article (within its
/// interval), and changes in between are recorded as to a published article.
pub fn announced(row: &article::Model, now: DateTime<Utc>) -> bool {
    super::model::is_public(row, now)
}

/// Records what a write did to an article as readers see it: published (it came into
/// view), updated (changed while in view), unpublished (left view), deleted (trashed or
/// purged while in view). Changes readers never saw record nothing. `after` is `None`
/// when the article was trashed or purged. `now` is the writer's clock. `tags_before` are
/// the article's tags before the write, when the write may have changed them (read with
/// [`super::purges::tag_ids`] before it); `None` when it left them alone.
///
/// Also writes what the change purges from response caches (see `purges`).
pub async fn article(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    before: Option<&article::Model>,
    after: Option<&article::Model>,
    tags_before: Option<&[i32]>,
) -> Result<()> {
    let was = before.is_some_and(|a| announced(a, now));
    let is = after.is_some_and(|a| announced(a, now));
    let id = after.or(before).map(|a| a.id).expect("an article before or after");
    // A due scheduled article the scheduler has not reached yet is published by this write.
    let scheduled =
        |a: Option<&article::Model>| a.is_some_and(|a| a.status == super::ArticleStatus::Scheduled.as_str());
    let event = match (was, is) {
        (false, true) => names::ARTICLE_PUBLISHED,
        (true, true) if scheduled(before) && !scheduled(after) => names::ARTICLE_PUBLISHED,
        (true, true) => names::ARTICLE_UPDATED,
        (true, false) if after.is_none() => names::ARTICLE_DELETED,
        (true, false) => names::ARTICLE_UNPUBLISHED,
        (false, false) => {
            // Unseen, but a schedule set, moved or dropped (a scheduled article trashed or
            // restored too) moves the next moment caches must forget what they hold. Judged
            // by what the writer set: callers pass rows whose trigger-kept `listed_at` is
            // stale. A save that leaves the schedule as it was says nothing.
            let schedule = |a: &article::Model| (a.status.clone(), a.published_at, a.deleted_at);
            if (scheduled(before) || scheduled(after)) && before.map(schedule) != after.map(schedule) {
                let mut purge = Purge::default();
                purge.key(super::purges::keys::SCHEDULE);
                purge.record(txn).await?;
            }
            return Ok(());
        }
    };
    let mut purge = Purge::default();
    for row in [before, after].into_iter().flatten() {
        purge.article(row);
    }
    if let Some(tags) = tags_before.filter(|_| was) {
        purge.tags(tags.iter().copied());
    }
    // After the write; a trashed article keeps its links.
    purge.tags_of(txn, &[id]).await?;
    purge.record(txn).await?;
    record(txn, now, event, Subject::Article, &[id]).await
}

/// Records a change to a tag, category or series, and `article.updated` for each
/// announced article that shows it (their public form carries its name and slug).
/// `members` are the articles that showed it before the change (a deleted group's links
/// are gone after).
pub async fn group(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    event: &str,
    subject: Subject,
    id: i32,
    members: &[i32],
) -> Result<()> {
    // A group no article readers see uses yet is not shown anywhere: made, it purges nothing.
    let created = [names::TAG_CREATED, names::CATEGORY_CREATED, names::SERIES_CREATED].contains(&event);
    if !created {
        let mut purge = Purge::default();
        match subject {
            Subject::Tag => purge.key(super::purges::keys::tag(id)),
            Subject::Category => {
                // Article lists filtered by a category take in its descendants: a move
                // changes them without any article changing.
                purge.key(super::purges::keys::category(id));
                purge.key(super::purges::keys::ARTICLES);
                purge.every_category();
            }
            Subject::Series => purge.key(super::purges::keys::series(id)),
            Subject::Article => unreachable!("articles are recorded by `article`"),
        }
        purge.key(super::purges::keys::TAXONOMY);
        purge.showing(members);
        purge.record(txn).await?;
    }
    record(txn, now, event, subject, &[id]).await?;
    if !members.is_empty() {
        record(txn, now, names::ARTICLE_UPDATED, Subject::Article, members).await?;
    }
    Ok(())
}

/// Announced articles in a tag, category or series: those whose public form names it. (A
/// category's descendants' articles show it only among their GraphQL `ancestors`; they are
/// not re-announced.)
pub async fn announced_members(
    db: &impl ConnectionTrait,
    grouping: Grouping,
    id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<i32>> {
    let live =
        || article::Entity::find().select_only().column(article::Column::Id).filter(article::Column::ListedAt.lte(now));
    let ids: Vec<i32> = match grouping {
        Grouping::Tag => {
            live()
                .filter(
                    article::Column::Id.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(article_tag::Column::ArticleId)
                            .from(article_tag::Entity)
                            .and_where(article_tag::Column::TagId.eq(id))
                            .to_owned(),
                    ),
                )
                .into_tuple()
                .all(db)
                .await?
        }
        Grouping::Category => live().filter(article::Column::CategoryId.eq(id)).into_tuple().all(db).await?,
        Grouping::Series => live().filter(article::Column::SeriesId.eq(id)).into_tuple().all(db).await?,
    };
    Ok(ids)
}

/// Announced articles by one author (whose name they show).
pub async fn announced_by(db: &impl ConnectionTrait, author_id: i32, now: DateTime<Utc>) -> Result<Vec<i32>> {
    Ok(article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .filter(article::Column::ListedAt.lte(now))
        .filter(article::Column::AuthorId.eq(author_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// Inserts one event per subject id, after taking the change log's lock (see above), as
/// occurring at `now` (the writer's clock, which its rows' times also come from).
pub async fn record(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    event: &str,
    subject: Subject,
    ids: &[i32],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    super::lock_for_txn(txn, LOCK).await?;
    let before = horizon(txn).await?;
    // Batches keep each INSERT's bind count far below SQLite's and PostgreSQL's limits.
    for chunk in ids.chunks(1000) {
        event::Entity::insert_many(chunk.iter().map(|&subject_id| event::ActiveModel {
            event: Set(event.to_string()),
            subject: Set(subject.as_str().to_string()),
            subject_id: Set(subject_id),
            occurred_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(txn)
        .await?;
    }
    super::webhooks::fan_out(txn, before, now).await
}

/// The newest event id (0 before any): everything up to it is committed.
pub async fn horizon(db: &impl ConnectionTrait) -> Result<i32> {
    // Newest first with a limit, not MAX(): both databases then read one entry of the
    // primary key from its end, where PostgreSQL's planner may scan a whole index for MAX.
    let newest: Option<i32> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .order_by_desc(event::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(newest.unwrap_or(0))
}
