//! Article cards: the read model of public list pages.
//!
//! A card is an article's entry in a list (its summary fields and the names of its tags,
//! category, series and author) as JSON, made when the article or a name it shows changes
//! and stored in `article_cards`. A list page is then one indexed read of the page's cards
//! and a concatenation: no links to gather, no rows to decode into models, nothing to
//! serialise. A prototype of it answered the home list about six times as fast as building
//! each entry per read; the page as built, with its count, neighbours and cursors, about
//! 2.3 times (`bench/profiles.md`).
//!
//! A card is never served stale. Database triggers (migration 0015) put an article's id in
//! `card_dirty` in the same statement as any change its card shows, whoever writes; every
//! write transaction re-makes the dirty cards before it commits ([`refresh`]); and a read
//! treats a card whose id is still dirty as missing, and makes that entry afresh from the
//! rows ([`Content::article_cards`](super::Content::article_cards)).
//!
//! What a card leaves out is what depends on the moment of reading: the status a reader
//! sees (a scheduled article whose time has come is published) and the series neighbours
//! (which such an article can change). The list adds them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Select};
use serde::Serialize;

use super::articles::{ArticleOrder, summaries_of};
use super::cursor::SortKey;
use super::error::Result;
use super::model::{ArticleStatus, ArticleView};
use super::sql::Sql;
use crate::entities::article;

/// An article as a list shows it.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: i32,
    /// The status the reader sees now.
    pub status: ArticleStatus,
    pub series_id: Option<i32>,
    pub series_part: Option<i32>,
    /// The entry as a JSON object, without `status` and the series neighbours.
    pub json: String,
    published_at: Option<DateTime<Utc>>,
    title: String,
    updated_at: DateTime<Utc>,
}

impl Card {
    /// The card of a view, made now: for lists that are not served from stored cards
    /// (editors' lists by status, search by relevance) and for a card found dirty.
    pub fn of(view: &ArticleView, now: DateTime<Utc>) -> Card {
        let r = &view.row;
        Card {
            id: r.id,
            status: view.status(now),
            series_id: r.series_id,
            series_part: r.series_part,
            json: card_json(view),
            published_at: r.published_at,
            title: r.title.clone(),
            updated_at: r.updated_at,
        }
    }

    pub(crate) fn key(&self, order: ArticleOrder) -> SortKey {
        order.key_from(self.published_at, &self.title, self.updated_at, self.series_part)
    }
}

/// The names a card shows of a link.
#[derive(Serialize)]
struct Named<'a> {
    slug: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Titled<'a> {
    slug: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
struct Author<'a> {
    id: String,
    name: &'a str,
}

/// A card's JSON, in the REST list's field names (`ArticleSummary` in `rest/articles.rs`;
/// the API tests compare the two for every article).
#[derive(Serialize)]
struct CardJson<'a> {
    id: String,
    slug: &'a str,
    title: &'a str,
    excerpt: &'a str,
    word_count: i32,
    reading_minutes: i32,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i32,
    tags: Vec<Named<'a>>,
    category: Option<Named<'a>>,
    series: Option<Titled<'a>>,
    series_part: Option<i32>,
    author: Option<Author<'a>>,
    cover_image_url: Option<&'a str>,
    canonical_url: Option<&'a str>,
    seo_title: Option<&'a str>,
    seo_description: Option<&'a str>,
}

pub(crate) fn card_json(v: &ArticleView) -> String {
    let r = &v.row;
    let card = CardJson {
        id: r.id.to_string(),
        slug: &r.slug,
        title: &r.title,
        excerpt: &r.excerpt,
        word_count: r.word_count,
        reading_minutes: r.reading_minutes,
        published_at: r.published_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
        tags: v.tags.iter().map(|t| Named { slug: &t.slug, name: &t.name }).collect(),
        category: v.category.as_ref().map(|c| Named { slug: &c.slug, name: &c.name }),
        series: v.series.as_ref().map(|s| Titled { slug: &s.slug, title: &s.title }),
        series_part: r.series_part,
        author: v.author.as_ref().map(|a| Author { id: a.id.to_string(), name: &a.name }),
        cover_image_url: r.cover_image_url.as_deref(),
        canonical_url: r.canonical_url.as_deref(),
        seo_title: r.seo_title.as_deref(),
        seo_description: r.seo_description.as_deref(),
    };
    serde_json::to_string(&card).expect("a card serialises")
}

/// Cards re-made per statement.
const PER_BATCH: u64 = 500;

/// Re-makes every dirty card, in the caller's write transaction: what the transaction
/// changed is what it re-makes, before anyone can read the change. A write that touched no
/// article pays one statement on an empty table.
///
/// Each batch claims its marks (deletes them) before it reads the rows. On PostgreSQL a
/// concurrent writer's trigger re-marks an article by updating its mark, so it either waits
/// for this claim and marks the article again, or holds the mark until it commits and the
/// claim passes over it: a card is never made from rows older than its last mark.
pub(crate) async fn refresh(db: &impl ConnectionTrait) -> Result<u64> {
    let backend = db.get_database_backend();
    let mut made = 0;
    // Walked by key: on PostgreSQL the rows a batch deletes stay in the index until the
    // transaction ends, and reading from the start each time went quadratic in a bulk load.
    let mut after = i32::MIN;
    loop {
        let ids: Vec<i32> = {
            let mut sql = Sql::new(backend);
            sql.push(
                "DELETE FROM card_dirty WHERE article_id IN \
                 (SELECT article_id FROM card_dirty WHERE article_id > ",
            )
            .bind(after)
            .push(" ORDER BY article_id LIMIT ")
            .bind(PER_BATCH as i64)
            .push(") RETURNING article_id");
            let rows = db.query_all_raw(sql.build()).await?;
            let mut ids =
                rows.iter().map(|r| r.try_get_by_index::<i32>(0)).collect::<std::result::Result<Vec<_>, _>>()?;
            ids.sort_unstable();
            ids
        };
        let Some(&last) = ids.last() else {
            return Ok(made);
        };
        after = last;
        let views = views_of_ids(db, ids).await?;
        if !views.is_empty() {
            let mut sql = Sql::new(backend);
            sql.push("INSERT INTO article_cards (article_id, card) VALUES ");
            for (i, v) in views.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" }).bind(v.row.id).push(", ").bind(card_json(v)).push(")");
            }
            sql.push(" ON CONFLICT (article_id) DO UPDATE SET card = excluded.card");
            db.execute_raw(sql.build()).await?;
        }
        made += views.len() as u64;
    }
}

/// The columns a list needs beside the card: the id, what orders and pages it, and the
/// series position its neighbours are found by.
const COLUMNS: [article::Column; 7] = [
    article::Column::Id,
    article::Column::SeriesId,
    article::Column::SeriesPart,
    article::Column::PublishedAt,
    article::Column::Title,
    article::Column::UpdatedAt,
    article::Column::ListedAt,
];

/// The stored card of the outer query's row, NULL when it has none or it is dirty.
const STORED: &str = "(SELECT c.card FROM article_cards c WHERE c.article_id = \"articles\".id \
    AND NOT EXISTS (SELECT 1 FROM card_dirty d WHERE d.article_id = \"articles\".id))";

type Row = (
    i32,
    Option<i32>,
    Option<i32>,
    Option<DateTime<Utc>>,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
);

/// The public cards of the rows `page` reads (filtered, ordered, limited), in one statement,
/// `reorder` as in [`super::attach::views_of`]. Entries without a clean stored card are made
/// from the rows. Every row must be one readers may see now.
pub(crate) async fn public_cards_of(
    db: &impl ConnectionTrait,
    page: Select<article::Entity>,
    reorder: impl FnOnce(Select<article::Entity>) -> Select<article::Entity>,
    now: DateTime<Utc>,
) -> Result<Vec<Card>> {
    let page = page.select_only().columns(COLUMNS);
    let mut outer = article::Entity::find().select_only().columns(COLUMNS);
    QueryTrait::query(&mut outer).from_clear().from_subquery(page.into_query(), article::Entity);
    let rows: Vec<Row> =
        reorder(outer).column_as(sea_orm::sea_query::Expr::cust(STORED), "card").into_tuple().all(db).await?;
    let missing: Vec<i32> = rows.iter().filter(|r| r.7.is_none()).map(|r| r.0).collect();
    let mut made = made_now(db, missing, now).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, series_id, series_part, published_at, title, updated_at, _, card)| {
            let json = match card {
                Some(json) => json,
                None => return made.remove(&id),
            };
            Some(Card {
                id,
                status: ArticleStatus::Published,
                series_id,
                series_part,
                json,
                published_at,
                title,
                updated_at,
            })
        })
        .collect())
}

/// Public cards by id, for lists that found their ids another way (the pages of groups).
pub(crate) async fn public_cards_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
    now: DateTime<Utc>,
) -> Result<HashMap<i32, Card>> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut cards = HashMap::with_capacity(ids.len());
    // A topic index asks for up to 100 articles of every category: in chunks, so no
    // statement outgrows the databases' limits on bound values.
    for chunk in ids.chunks(PER_BATCH as usize) {
        let page = article::Entity::find().filter(article::Column::Id.is_in(chunk.iter().copied()));
        cards.extend(public_cards_of(db, page, |outer| outer, now).await?.into_iter().map(|c| (c.id, c)));
    }
    Ok(cards)
}

/// Entries made from the rows, for cards not stored or dirty (a write in flight, or another
/// process's write not yet re-made).
async fn made_now(db: &impl ConnectionTrait, ids: Vec<i32>, now: DateTime<Utc>) -> Result<HashMap<i32, Card>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let views = views_of_ids(db, ids).await?;
    Ok(views.iter().map(|v| (v.row.id, Card::of(v, now))).collect())
}

/// The summaries of these articles with their links, in one statement (the lists' own read).
async fn views_of_ids(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<Vec<ArticleView>> {
    summaries_of(db, article::Entity::find().filter(article::Column::Id.is_in(ids)), |outer| outer).await
}
