//! Batched reads for nested fields: per-group counts, the first page of articles of many
//! tags, categories or series at once, related articles and series neighbours. Each runs a
//! fixed number of statements however many groups it serves, so a topic index with every
//! category and its articles stays a handful of queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::articles::{PageArgs, summaries_of};
use super::cards::{self, Card};
use super::cursor::{Cursor, SortKey};
use super::model::{ArticleView, Page};
use super::sql::{Sql, push_visible};
use super::{ArticleOrder, Content, ContentError, Result};
use crate::entities::article;

/// What a group's articles hang from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grouping {
    Tag,
    /// Keys are category ids; a group may list several (a category with its descendants).
    Category,
    Series,
}

/// One group: the caller's id for it and the keys whose articles it holds.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: i32,
    pub keys: Vec<i32>,
}

impl Grouping {
    /// FROM … JOIN grp: one row per (group, article).
    fn join(self) -> &'static str {
        match self {
            Grouping::Tag => {
                "FROM article_tags at JOIN grp ON at.tag_id = grp.k JOIN articles a ON a.id = at.article_id"
            }
            Grouping::Category => "FROM articles a JOIN grp ON a.category_id = grp.k",
            Grouping::Series => "FROM articles a JOIN grp ON a.series_id = grp.k",
        }
    }
}

impl Grouping {
    /// Where a group's public articles are listed in publication order: the table, its
    /// group key column and its article id column, indexed as (key, listed_at, id).
    fn listing(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Grouping::Tag => ("article_tags", "tag_id", "article_id"),
            Grouping::Category => ("articles", "category_id", "id"),
            Grouping::Series => ("articles", "series_id", "id"),
        }
    }

    /// The table whose rows carry the group's `listed_articles` counter.
    fn counters(self) -> &'static str {
        match self {
            Grouping::Tag => "tags",
            Grouping::Category => "categories",
            Grouping::Series => "series",
        }
    }
}

/// The public articles of the group row `alias` (a tag, category or series): the counter
/// the database keeps, less its scheduled articles not yet due (a short index range).
pub(crate) fn push_listed_count(sql: &mut Sql, grouping: Grouping, alias: &str, now: DateTime<Utc>) {
    let (table, key, _) = grouping.listing();
    sql.push(&format!(
        "({alias}.listed_articles - (SELECT COUNT(*) FROM {table} l WHERE l.{key} = {alias}.id AND l.listed_at > "
    ))
    .bind(now)
    .push("))");
}

/// How many groups of a kind have public articles: those with a positive counter, less
/// those whose every counted article is scheduled and not yet due. The scheduled articles
/// are found from the articles' listed index (`IN`): as a join, SQLite read every link.
pub(crate) fn push_groups_in_use(sql: &mut Sql, grouping: Grouping, now: DateTime<Utc>) {
    let (table, key, article) = grouping.listing();
    let groups = grouping.counters();
    sql.push(&format!(
        "((SELECT COUNT(*) FROM {groups} WHERE listed_articles > 0) - (SELECT COUNT(*) FROM \
         (SELECT l.{key} AS k, COUNT(*) AS n FROM {table} l WHERE l.{article} IN \
         (SELECT a.id FROM articles a WHERE a.listed_at > "
    ))
    .bind(now)
    .push(&format!(") GROUP BY l.{key}) s JOIN {groups} g ON g.id = s.k WHERE g.listed_articles = s.n))"));
}

/// Each distinct key of the groups once, with the groups it belongs to.
fn keys_of(groups: &[Group]) -> HashMap<i32, Vec<i32>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for g in groups {
        for k in &g.keys {
            let owners = out.entry(*k).or_default();
            if !owners.contains(&g.id) {
                owners.push(g.id);
            }
        }
    }
    out
}

/// Keys per statement: SQLite allows 500 terms in a compound SELECT.
const KEYS_PER_STATEMENT: usize = 200;

fn push_groups(sql: &mut Sql, groups: &[Group]) {
    sql.push("WITH grp (g, k) AS (VALUES ");
    let mut first = true;
    for g in groups {
        for k in &g.keys {
            if !first {
                sql.push(", ");
            }
            first = false;
            sql.push("(").bind(g.id).push(", ").bind(*k).push(")");
        }
    }
    sql.push(") ");
}

fn has_keys(groups: &[Group]) -> bool {
    groups.iter().any(|g| !g.keys.is_empty())
}

/// How many related articles one may ask for, and how many by default.
pub const RELATED_DEFAULT: i64 = 5;
pub const RELATED_MAX: i64 = 50;

/// The number of related articles asked for, named `field` in the error when out of range.
pub fn related_limit(n: Option<i64>, field: &str) -> Result<u64> {
    match n.unwrap_or(RELATED_DEFAULT) {
        n if (1..=RELATED_MAX).contains(&n) => Ok(n as u64),
        _ => Err(ContentError::field(field, format!("must be between 1 and {RELATED_MAX}"))),
    }
}

impl Content {
    /// Published articles per group, from the counters the database keeps (less scheduled
    /// articles whose time has not come): a lookup per key, never a scan of the group.
    pub async fn group_counts(&self, grouping: Grouping, groups: &[Group]) -> Result<HashMap<i32, u64>> {
        let mut out: HashMap<i32, u64> = groups.iter().map(|g| (g.id, 0)).collect();
        let keys = keys_of(groups);
        if keys.is_empty() {
            return Ok(out);
        }
        let db = self.db();
        let all: Vec<i32> = keys.keys().copied().collect();
        for chunk in all.chunks(KEYS_PER_STATEMENT * 4) {
            let mut sql = Sql::new(db.get_database_backend());
            sql.push("SELECT c.id AS k, ");
            push_listed_count(&mut sql, grouping, "c", self.now());
            sql.push(&format!(" AS n FROM {} c WHERE c.id IN ", grouping.counters())).bind_list(chunk.iter().copied());
            for row in db.query_all_raw(sql.build()).await? {
                let k: i32 = row.try_get("", "k")?;
                let n: i64 = row.try_get("", "n")?;
                for g in keys.get(&k).into_iter().flatten() {
                    *out.entry(*g).or_default() += u64::try_from(n).unwrap_or(0);
                }
            }
        }
        Ok(out)
    }

    /// Whether readers may see a group: whether any of `keys` (a tag, a series, or a category
    /// and its descendants) has a published article. Readers learn nothing from the
    /// taxonomy about what has not been published.
    pub async fn group_is_public(&self, grouping: Grouping, keys: Vec<i32>) -> Result<bool> {
        let counts = self.group_counts(grouping, &[Group { id: 0, keys }]).await?;
        Ok(counts.get(&0).is_some_and(|n| *n > 0))
    }

    /// A page of published articles for each group, in `order`, after the same cursor.
    pub async fn grouped_articles(
        &self,
        grouping: Grouping,
        groups: &[Group],
        order: ArticleOrder,
        page: &PageArgs,
    ) -> Result<HashMap<i32, Page<ArticleView>>> {
        let (mut pages, pairs, size) = self.grouped_ids(grouping, groups, order, page).await?;
        let views = views_by_id(self.db(), pairs.iter().map(|(_, id)| *id)).await?;
        fill_pages(&mut pages, pairs, size, order, |id| views.get(&id).map(|v| (order.key_of(&v.row), v.clone())));
        Ok(pages)
    }

    /// The same pages as [`Content::grouped_articles`], as cards (see [`super::cards`]).
    pub async fn grouped_cards(
        &self,
        grouping: Grouping,
        groups: &[Group],
        order: ArticleOrder,
        page: &PageArgs,
    ) -> Result<HashMap<i32, Page<Card>>> {
        let (mut pages, pairs, size) = self.grouped_ids(grouping, groups, order, page).await?;
        let cards = cards::public_cards_by_id(self.db(), pairs.iter().map(|(_, id)| *id), self.now()).await?;
        // `get`, not `remove`: with descendants, an article is on its category's page and its
        // ancestors'.
        fill_pages(&mut pages, pairs, size, order, |id| cards.get(&id).map(|c| (c.key(order), c.clone())));
        Ok(pages)
    }

    /// Each group's empty page (with its total), the (group, article id) pairs that fill
    /// them in order (up to one more per group than a page holds), and the page size.
    async fn grouped_ids<T>(
        &self,
        grouping: Grouping,
        groups: &[Group],
        order: ArticleOrder,
        page: &PageArgs,
    ) -> Result<(HashMap<i32, Page<T>>, Vec<(i32, i32)>, u64)> {
        let (size, after) = page.forward_only(order)?;
        let totals = self.group_counts(grouping, groups).await?;
        let out: HashMap<i32, Page<T>> = groups
            .iter()
            .map(|g| {
                let total = totals.get(&g.id).copied().unwrap_or(0);
                (g.id, Page { items: Vec::new(), has_next_page: false, has_previous_page: after.is_some(), total })
            })
            .collect();
        if !has_keys(groups) {
            return Ok((out, Vec::new(), size));
        }
        let pairs = match order {
            ArticleOrder::PublishedDesc | ArticleOrder::PublishedAsc => {
                let asc = order == ArticleOrder::PublishedAsc;
                self.listed_first(grouping, groups, asc, size, after.as_ref(), page.names.after).await?
            }
            _ => self.ranked_first(grouping, groups, order, size, after.as_ref(), page.names.after).await?,
        };
        Ok((out, pairs, size))
    }

    /// (group, article id) of the first `size + 1` public articles of each group in
    /// publication order, after the cursor: per key, a walk of `size + 1` entries of its
    /// (key, listed_at, id) index, merged per group here.
    async fn listed_first(
        &self,
        grouping: Grouping,
        groups: &[Group],
        asc: bool,
        size: u64,
        after: Option<&Cursor>,
        after_field: &str,
    ) -> Result<Vec<(i32, i32)>> {
        let db = self.db();
        let now = self.now();
        let keys = keys_of(groups);
        let (table, key, id) = grouping.listing();
        let (dir, cmp) = if asc { ("ASC", ">") } else { ("DESC", "<") };
        let mut per_group: HashMap<i32, Vec<(DateTime<Utc>, i32)>> = HashMap::new();
        let all: Vec<i32> = keys.keys().copied().collect();
        for chunk in all.chunks(KEYS_PER_STATEMENT) {
            let mut sql = Sql::new(db.get_database_backend());
            for (i, k) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push(&format!(
                    "SELECT * FROM (SELECT l.{key} AS k, l.{id} AS id, l.listed_at AS t FROM {table} l WHERE l.{key} = "
                ))
                .bind(*k)
                .push(" AND l.listed_at <= ")
                .bind(now);
                if let Some(c) = after {
                    let SortKey::Time(Some(t)) = c.key else {
                        return Err(ContentError::field(after_field, "is not a valid cursor for this list"));
                    };
                    // The plain bound lets the index range start at the cursor (as
                    // `articles::after_cursor` does); the OR alone made a deep page skip
                    // every entry before it.
                    sql.push(&format!(" AND l.listed_at {cmp}= "))
                        .bind(t)
                        .push(&format!(" AND (l.listed_at {cmp} "))
                        .bind(t)
                        .push(" OR (l.listed_at = ")
                        .bind(t)
                        .push(&format!(" AND l.{id} {cmp} "))
                        .bind(c.id)
                        .push("))");
                }
                sql.push(&format!(" ORDER BY l.listed_at {dir}, l.{id} {dir} LIMIT "))
                    .bind(size as i64 + 1)
                    .push(&format!(") s{i}"));
            }
            for r in db.query_all_raw(sql.build()).await? {
                let (k, id, t): (i32, i32, DateTime<Utc>) =
                    (r.try_get("", "k")?, r.try_get("", "id")?, r.try_get("", "t")?);
                for g in keys.get(&k).into_iter().flatten() {
                    per_group.entry(*g).or_default().push((t, id));
                }
            }
        }
        let mut pairs = Vec::new();
        for g in groups {
            let Some(mut list) = per_group.remove(&g.id) else { continue };
            list.sort_unstable();
            list.dedup();
            if !asc {
                list.reverse();
            }
            pairs.extend(list.into_iter().take(size as usize + 1).map(|(_, id)| (g.id, id)));
        }
        Ok(pairs)
    }

    /// (group, article id) of the first `size + 1` public articles of each group in any
    /// order, after the cursor, numbering each group's rows (reads whole groups: used for
    /// the orders no index keeps per group).
    async fn ranked_first(
        &self,
        grouping: Grouping,
        groups: &[Group],
        order: ArticleOrder,
        size: u64,
        after: Option<&Cursor>,
        after_field: &str,
    ) -> Result<Vec<(i32, i32)>> {
        let db = self.db();
        let (col, asc) = order.column_sql();
        let dir = if asc { "ASC" } else { "DESC" };
        let mut sql = Sql::new(db.get_database_backend());
        push_groups(&mut sql, groups);
        sql.push(&format!(
            "SELECT x.g AS g, x.id AS id FROM (SELECT grp.g AS g, a.id AS id, \
             ROW_NUMBER() OVER (PARTITION BY grp.g ORDER BY a.{col} {dir}, a.id {dir}) AS rn "
        ))
        .push(grouping.join())
        .push(" WHERE ");
        push_visible(&mut sql, "a", self.now());
        if let Some(c) = after {
            let cmp = if asc { ">" } else { "<" };
            sql.push(&format!(" AND (a.{col} {cmp} "));
            bind_key(&mut sql, &c.key, after_field)?;
            sql.push(&format!(" OR (a.{col} = "));
            bind_key(&mut sql, &c.key, after_field)?;
            sql.push(&format!(" AND a.id {cmp} ")).bind(c.id).push("))");
        }
        sql.push(") x WHERE x.rn <= ").bind(size as i64 + 1).push(" ORDER BY x.g, x.rn");
        Ok(db
            .query_all_raw(sql.build())
            .await?
            .into_iter()
            .map(|r| Ok((r.try_get::<i32>("", "g")?, r.try_get::<i32>("", "id")?)))
            .collect::<Result<_, sea_orm::DbErr>>()?)
    }

    /// Published articles sharing the most tags with each article, then the newest; never
    /// the article itself. Candidates are the [`RELATED_POOL`] newest articles of each of its
    /// tags, so an article with a tag on half the publication costs what any other does.
    pub async fn related(&self, article_ids: &[i32], first: u64) -> Result<HashMap<i32, Vec<ArticleView>>> {
        let mut out: HashMap<i32, Vec<ArticleView>> = article_ids.iter().map(|id| (*id, Vec::new())).collect();
        if article_ids.is_empty() || first == 0 {
            return Ok(out);
        }
        let db = self.db();
        let now = self.now();
        let tags_of = tag_links(db, article_ids).await?;
        let sources: Vec<(i32, &Vec<i32>)> =
            article_ids.iter().filter_map(|id| tags_of.get(id).map(|tags| (*id, tags))).collect();
        // Ranked in the database, so only the answer crosses over: per article, its tags'
        // pools, then every candidate's shared tags counted among the article's.
        let mut ranked: Vec<(i32, i32)> = Vec::new();
        for chunk in sources.chunks(50) {
            let mut sql = Sql::new(db.get_database_backend());
            for (i, (src, tags)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push("SELECT * FROM (SELECT c.article_id AS id, ")
                    .bind(*src)
                    .push(" AS src, COUNT(*) AS shared, MAX(c.listed_at) AS t FROM article_tags c WHERE c.tag_id IN ")
                    .bind_list(tags.iter().copied())
                    .push(" AND c.article_id <> ")
                    .bind(*src)
                    .push(" AND c.article_id IN (");
                for (j, tag) in tags.iter().enumerate() {
                    if j > 0 {
                        sql.push(" UNION ALL ");
                    }
                    sql.push("SELECT id FROM (SELECT l.article_id AS id FROM article_tags l WHERE l.tag_id = ")
                        .bind(*tag)
                        .push(" AND l.listed_at <= ")
                        .bind(now)
                        .push(" ORDER BY l.listed_at DESC, l.article_id DESC LIMIT ")
                        .bind(RELATED_POOL as i64)
                        .push(&format!(") p{j}"));
                }
                sql.push(") GROUP BY c.article_id ORDER BY shared DESC, t DESC, id DESC LIMIT ")
                    .bind(first as i64)
                    .push(&format!(") r{i}"));
            }
            for r in db.query_all_raw(sql.build()).await? {
                ranked.push((r.try_get("", "src")?, r.try_get("", "id")?));
            }
        }
        let views = views_by_id(db, ranked.iter().map(|(_, id)| *id)).await?;
        for (src, id) in ranked {
            if let (Some(list), Some(v)) = (out.get_mut(&src), views.get(&id)) {
                list.push(v.clone());
            }
        }
        Ok(out)
    }

    /// The published parts before and after each (series, part), across gaps, as whole
    /// articles (GraphQL's `previousInSeries` may ask for anything of them).
    pub async fn series_neighbours(
        &self,
        positions: &[(i32, i32)],
    ) -> Result<HashMap<(i32, i32), (Option<ArticleView>, Option<ArticleView>)>> {
        let links = self.series_neighbour_links(positions).await?;
        let mut wanted = Vec::new();
        for (prev, next) in links.values() {
            wanted.extend(prev.iter().chain(next).map(|l| l.id));
        }
        let views = views_by_id(self.db(), wanted).await?;
        let view = |l: Option<NeighbourLink>| l.and_then(|l| views.get(&l.id).cloned());
        Ok(links.into_iter().map(|(key, (prev, next))| (key, (view(prev), view(next)))).collect())
    }

    /// The same neighbours as links (id, slug, title), in one statement: what a list card
    /// shows of them.
    pub async fn series_neighbour_links(
        &self,
        positions: &[(i32, i32)],
    ) -> Result<HashMap<(i32, i32), (Option<NeighbourLink>, Option<NeighbourLink>)>> {
        let mut out = HashMap::new();
        if positions.is_empty() {
            return Ok(out);
        }
        let db = self.db();
        let mut series_ids: Vec<i32> = positions.iter().map(|(s, _)| *s).collect();
        series_ids.sort_unstable();
        series_ids.dedup();
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(
            "SELECT a.id AS id, a.series_id AS s, a.series_part AS p, a.slug AS slug, a.title AS title \
             FROM articles a WHERE a.series_id IN ",
        )
        .bind_list(series_ids)
        .push(" AND ");
        push_visible(&mut sql, "a", self.now());
        sql.push(" ORDER BY a.series_id, a.series_part");
        let mut parts: HashMap<i32, Vec<(i32, NeighbourLink)>> = HashMap::new();
        for r in db.query_all_raw(sql.build()).await? {
            let link = NeighbourLink {
                id: r.try_get("", "id")?,
                slug: r.try_get("", "slug")?,
                title: r.try_get("", "title")?,
            };
            parts.entry(r.try_get("", "s")?).or_default().push((r.try_get("", "p")?, link));
        }
        for &(s, part) in positions {
            let list = parts.get(&s).map(Vec::as_slice).unwrap_or(&[]);
            let prev = list.iter().rev().find(|(p, _)| *p < part).map(|(_, l)| l.clone());
            let next = list.iter().find(|(p, _)| *p > part).map(|(_, l)| l.clone());
            out.insert((s, part), (prev, next));
        }
        Ok(out)
    }
}

fn bind_key(sql: &mut Sql, key: &SortKey, field: &str) -> Result<()> {
    match key {
        SortKey::Time(Some(t)) => sql.bind(*t),
        SortKey::Text(s) => sql.bind(s.clone()),
        SortKey::Int(n) => sql.bind(*n as i32),
        SortKey::Time(None) => return Err(ContentError::field(field, "is not a valid cursor for this list")),
    };
    Ok(())
}

/// A published neighbour in a series, as a card links to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighbourLink {
    pub id: i32,
    pub slug: String,
    pub title: String,
}

/// How many of each tag's newest articles may be related to an article with that tag.
pub const RELATED_POOL: u64 = 200;

/// The tag ids of each article.
async fn tag_links(db: &impl ConnectionTrait, article_ids: &[i32]) -> Result<HashMap<i32, Vec<i32>>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    for chunk in article_ids.chunks(2000) {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push("SELECT article_id AS a, tag_id AS t FROM article_tags WHERE article_id IN ")
            .bind_list(chunk.iter().copied());
        for r in db.query_all_raw(sql.build()).await? {
            out.entry(r.try_get("", "a")?).or_default().push(r.try_get("", "t")?);
        }
    }
    Ok(out)
}

/// Puts each pair's item (with its sort key, from `item`) on its group's page, in order; an
/// item beyond a full page says there is a next one.
fn fill_pages<T>(
    pages: &mut HashMap<i32, Page<T>>,
    pairs: Vec<(i32, i32)>,
    size: u64,
    order: ArticleOrder,
    mut item: impl FnMut(i32) -> Option<(SortKey, T)>,
) {
    for (g, id) in pairs {
        let Some(page) = pages.get_mut(&g) else { continue };
        if page.items.len() as u64 == size {
            page.has_next_page = true;
            continue;
        }
        if let Some((key, t)) = item(id) {
            let cursor = Cursor { order: order.code().into(), key, id };
            page.items.push((cursor.encode(), t));
        }
    }
}

/// Article views for ids, loaded in one batch.
pub(crate) async fn views_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, ArticleView>> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let views = summaries_of(db, article::Entity::find().filter(article::Column::Id.is_in(ids)), |outer| outer).await?;
    Ok(views.into_iter().map(|v| (v.row.id, v)).collect())
}
