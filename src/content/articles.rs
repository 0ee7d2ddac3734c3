//! Article queries and commands.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};

pub(crate) use super::attach::load_views;
use super::attach::tags_of;
use super::cards::{self, Card};
use super::cursor::{Cursor, SortKey};
use super::groups::{Group, Grouping};
use super::input::non_empty;
use super::model::{ArticleView, Page, effective_status, is_public};
use super::sql::Sql;
use super::text::{self, slugify};
use super::{
    ArticlePatch, ArticleStatus, Content, ContentError, NewArticle, Principal, Result, Viewer, taxonomy, users,
};
use crate::entities::{article, article_revision, article_slug_history, article_tag, series};

pub const PAGE_DEFAULT: u64 = 20;
pub const PAGE_MAX: u64 = 100;

/// How a client names one article.
#[derive(Debug, Clone)]
pub enum ArticleLookup {
    Id(String),
    Slug(String),
    /// A REST path segment (`/articles/{key}`): digits are an id, anything else a slug,
    /// current or old. Reads and writes read a path the same way (`article_id_at`).
    Path(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArticleOrder {
    #[default]
    PublishedDesc,
    PublishedAsc,
    Title,
    UpdatedDesc,
    /// Series reading order: by part number.
    SeriesPart,
    /// Best search match first; needs a search text.
    Relevance,
}

impl ArticleOrder {
    pub(crate) fn code(self) -> &'static str {
        match self {
            ArticleOrder::PublishedDesc => "published_desc",
            ArticleOrder::PublishedAsc => "published_asc",
            ArticleOrder::Title => "title",
            ArticleOrder::UpdatedDesc => "updated_desc",
            ArticleOrder::SeriesPart => "series_part",
            ArticleOrder::Relevance => "relevance",
        }
    }

    /// (column, direction, whether the column can be NULL)
    fn spec(self) -> (article::Column, Order, bool) {
        match self {
            ArticleOrder::PublishedDesc => (article::Column::PublishedAt, Order::Desc, true),
            ArticleOrder::PublishedAsc => (article::Column::PublishedAt, Order::Asc, true),
            ArticleOrder::Title => (article::Column::Title, Order::Asc, false),
            ArticleOrder::UpdatedDesc => (article::Column::UpdatedAt, Order::Desc, false),
            ArticleOrder::SeriesPart => (article::Column::SeriesPart, Order::Asc, false),
            // Relevance pages by offset; this column only breaks ties.
            ArticleOrder::Relevance => (article::Column::Id, Order::Desc, false),
        }
    }

    pub(crate) fn key_of(self, row: &article::Model) -> SortKey {
        self.key_from(row.published_at, &row.title, row.updated_at, row.series_part)
    }

    /// A row's key in this order, from the columns orders use.
    pub(crate) fn key_from(
        self,
        published_at: Option<DateTime<Utc>>,
        title: &str,
        updated_at: DateTime<Utc>,
        series_part: Option<i32>,
    ) -> SortKey {
        match self {
            ArticleOrder::PublishedDesc | ArticleOrder::PublishedAsc => SortKey::Time(published_at),
            ArticleOrder::Title => SortKey::Text(title.to_string()),
            ArticleOrder::UpdatedDesc => SortKey::Time(Some(updated_at)),
            ArticleOrder::SeriesPart => SortKey::Int(series_part.unwrap_or(0) as i64),
            ArticleOrder::Relevance => SortKey::Int(0),
        }
    }

    /// The SQL column this order sorts by, its direction, for raw queries.
    pub(crate) fn column_sql(self) -> (&'static str, bool) {
        match self {
            ArticleOrder::PublishedDesc => ("published_at", false),
            ArticleOrder::PublishedAsc => ("published_at", true),
            ArticleOrder::Title => ("title", true),
            ArticleOrder::UpdatedDesc => ("updated_at", false),
            ArticleOrder::SeriesPart => ("series_part", true),
            ArticleOrder::Relevance => ("id", false),
        }
    }
}

/// Relay-style page arguments, with the names the client used for them so errors can say
/// `limit` on REST and `first` on GraphQL.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i64>,
    pub after: Option<String>,
    pub last: Option<i64>,
    pub before: Option<String>,
    pub names: PageArgNames,
}

#[derive(Debug, Clone, Copy)]
pub struct PageArgNames {
    pub first: &'static str,
    pub after: &'static str,
    pub last: &'static str,
    pub before: &'static str,
    pub order: &'static str,
}

impl Default for PageArgNames {
    fn default() -> Self {
        Self { first: "first", after: "after", last: "last", before: "before", order: "orderBy" }
    }
}

enum Direction {
    Forward { size: u64, after: Option<Cursor> },
    Backward { size: u64, before: Option<Cursor> },
}

impl PageArgs {
    /// Forward paging over a non-article list whose cursors carry `order`.
    pub(crate) fn forward_cursor(&self, order: &str) -> Result<(u64, Option<Cursor>)> {
        if self.last.is_some() || self.before.is_some() {
            return Err(ContentError::field(self.names.last, "is not supported here; page forward"));
        }
        let size = match self.first {
            None => PAGE_DEFAULT,
            Some(v) if (1..=PAGE_MAX as i64).contains(&v) => v as u64,
            Some(_) => return Err(ContentError::field(self.names.first, format!("must be between 1 and {PAGE_MAX}"))),
        };
        let after = self.after.as_deref().map(|r| Cursor::decode(r, order, self.names.after)).transpose()?;
        Ok((size, after))
    }

    /// For nested connections, which page forward only.
    pub(crate) fn forward_only(&self, order: ArticleOrder) -> Result<(u64, Option<Cursor>)> {
        match self.resolve(order)? {
            Direction::Forward { size, after } => Ok((size, after)),
            Direction::Backward { .. } => {
                Err(ContentError::field(self.names.last, "is not supported here; page forward"))
            }
        }
    }

    fn resolve(&self, order: ArticleOrder) -> Result<Direction> {
        let n = self.names;
        let size = |v: Option<i64>, field: &str| -> Result<u64> {
            match v {
                None => Ok(PAGE_DEFAULT),
                Some(v) if (1..=PAGE_MAX as i64).contains(&v) => Ok(v as u64),
                Some(_) => Err(ContentError::field(field, format!("must be between 1 and {PAGE_MAX}"))),
            }
        };
        let decode = |raw: &Option<String>, field: &str| -> Result<Option<Cursor>> {
            raw.as_deref().map(|r| Cursor::decode(r, order.code(), field)).transpose()
        };
        if self.last.is_some() || self.before.is_some() {
            if self.first.is_some() || self.after.is_some() {
                return Err(ContentError::field(
                    n.last,
                    format!("cannot be combined with `{}`/`{}`; page forward or backward, not both", n.first, n.after),
                ));
            }
            return Ok(Direction::Backward { size: size(self.last, n.last)?, before: decode(&self.before, n.before)? });
        }
        Ok(Direction::Forward { size: size(self.first, n.first)?, after: decode(&self.after, n.after)? })
    }
}

#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    /// Editors only: list articles in this state instead of the published ones.
    pub status: Option<ArticleStatus>,
    /// A tag slug (old slugs too).
    pub tag: Option<String>,
    /// Tag slugs, all of which an article must have.
    pub tags: Vec<String>,
    /// A category slug; its descendants' articles are included.
    pub category: Option<String>,
    /// A series slug.
    pub series: Option<String>,
    /// An author id.
    pub author: Option<String>,
    pub published_after: Option<DateTime<Utc>>,
    pub published_before: Option<DateTime<Utc>>,
    /// Full-text search text; any text is safe.
    pub search: Option<String>,
    pub order: ArticleOrder,
    pub page: PageArgs,
}

/// What [`Content::plan_list`] found to read.
enum Planned {
    /// Search by relevance, read already.
    Ranked(Page<ArticleView>),
    Page(Box<ListPlan>),
}

/// A list page to read: `page` selects its rows (one more than `size`, to tell whether
/// there is more), and [`ListPlan::finish`] makes the page from what was read.
struct ListPlan {
    page: Select<article::Entity>,
    col: article::Column,
    dir: Order,
    nullable: bool,
    nulls_last: bool,
    size: u64,
    backward: bool,
    had_cursor: bool,
    order_code: &'static str,
    total: u64,
}

impl ListPlan {
    /// The page's order again, for a query over its rows.
    fn reorder(&self, outer: Select<article::Entity>) -> Select<article::Entity> {
        order_select(outer, self.col, &self.dir, self.nullable, self.nulls_last)
    }

    /// The page of `items` read by `page`, each with its cursor (`key` gives an item's sort
    /// key and id).
    fn finish<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> (SortKey, i32)) -> Page<T> {
        let more = items.len() as u64 > self.size;
        items.truncate(self.size as usize);
        if self.backward {
            items.reverse();
        }
        let items = items
            .into_iter()
            .map(|item| {
                let (key, id) = key(&item);
                (Cursor { order: self.order_code.into(), key, id }.encode(), item)
            })
            .collect();
        let (has_next_page, has_previous_page) =
            if self.backward { (self.had_cursor, more) } else { (more, self.had_cursor) };
        Page { items, has_next_page, has_previous_page, total: self.total }
    }
}

/// Which rows a status filter selects, judged by the status a reader would see now.
fn status_condition(status: ArticleStatus, now: DateTime<Utc>) -> Condition {
    use article::Column as C;
    let cond = Condition::all().add(C::DeletedAt.is_null());
    match status {
        // `listed_at` is the database's "live and published or scheduled" (see the entity).
        ArticleStatus::Published => Condition::all().add(C::ListedAt.lte(now)),
        ArticleStatus::Scheduled => {
            cond.add(C::Status.eq(ArticleStatus::Scheduled.as_str())).add(C::PublishedAt.gt(now))
        }
        other => cond.add(C::Status.eq(other.as_str())),
    }
}

/// Rows strictly after `cursor` when ordered by (`col` `dir`, id `dir`). With `nullable`,
/// NULL keys sort last when `nulls_last`, first otherwise.
pub(crate) fn after_cursor(
    col: article::Column,
    dir: &Order,
    nullable: bool,
    nulls_last: bool,
    cursor: &Cursor,
) -> Condition {
    let asc = matches!(dir, Order::Asc);
    let id_beyond = if asc { article::Column::Id.gt(cursor.id) } else { article::Column::Id.lt(cursor.id) };
    let (beyond, equal) = match &cursor.key {
        SortKey::Time(Some(t)) => (if asc { col.gt(*t) } else { col.lt(*t) }, col.eq(*t)),
        SortKey::Text(s) => (if asc { col.gt(s.as_str()) } else { col.lt(s.as_str()) }, col.eq(s.as_str())),
        SortKey::Int(n) => (if asc { col.gt(*n) } else { col.lt(*n) }, col.eq(*n)),
        SortKey::Time(None) => {
            let mut c = Condition::any().add(Condition::all().add(col.is_null()).add(id_beyond));
            if nullable && !nulls_last {
                c = c.add(col.is_not_null());
            }
            return c;
        }
    };
    let c = Condition::any().add(beyond).add(Condition::all().add(equal).add(id_beyond));
    if nullable && nulls_last {
        return c.add(col.is_null());
    }
    // The same rows, with a bound an index range can start from: without it, a deep page
    // walked (and skipped) every entry before the cursor.
    let bound = match &cursor.key {
        SortKey::Time(Some(t)) => {
            if asc {
                col.gte(*t)
            } else {
                col.lte(*t)
            }
        }
        SortKey::Text(s) => {
            if asc {
                col.gte(s.as_str())
            } else {
                col.lte(s.as_str())
            }
        }
        SortKey::Int(n) => {
            if asc {
                col.gte(*n)
            } else {
                col.lte(*n)
            }
        }
        SortKey::Time(None) => unreachable!("handled above"),
    };
    Condition::all().add(bound).add(c)
}

impl Content {
    /// One article, or `None` when it does not exist or the viewer may not see it: readers
    /// cannot tell an unpublished article from a missing one.
    pub async fn article(&self, viewer: &Viewer, lookup: ArticleLookup) -> Result<Option<ArticleView>> {
        self.article_with_preview(viewer, lookup, None).await
    }

    /// Like `article`, and a valid preview token for this very article (`preview_of`, its id
    /// as the token names it) opens it in any state.
    pub async fn article_with_preview(
        &self,
        viewer: &Viewer,
        lookup: ArticleLookup,
        preview_of: Option<i32>,
    ) -> Result<Option<ArticleView>> {
        let by_id = |id: &str| parse_id(id).map(article::Entity::find_by_id);
        let view = match &lookup {
            ArticleLookup::Id(id) => self.view_of(by_id(id)).await?,
            ArticleLookup::Path(key) if text::is_id_like(key) => self.view_of(by_id(key)).await?,
            ArticleLookup::Slug(slug) | ArticleLookup::Path(slug) => self.view_by_slug(slug).await?,
        };
        let now = self.now();
        let Some(view) = view.filter(|v| v.row.deleted_at.is_none()) else { return Ok(None) };
        let previewed = preview_of == Some(view.row.id);
        if !previewed
            && !is_public(&view.row, now)
            && !viewer.sees_unpublished()
            && !self.owns(viewer, &view.row).await?
        {
            return Ok(None);
        }
        Ok(Some(view))
    }

    /// The article `select` finds, with its links, in one statement.
    async fn view_of(&self, select: Option<Select<article::Entity>>) -> Result<Option<ArticleView>> {
        match select {
            Some(select) => Ok(super::attach::views_of(self.db(), select, |outer| outer).await?.pop()),
            None => Ok(None),
        }
    }

    /// Whether the viewer is the article's author.
    pub(crate) async fn owns(&self, viewer: &Viewer, row: &article::Model) -> Result<bool> {
        let Some(p) = viewer.principal() else { return Ok(false) };
        Ok(match (users::find_user(self.db(), &p.subject).await?, row.author_id) {
            (Some(u), Some(author)) => u.id == author,
            _ => false,
        })
    }

    /// Authors may change only their own drafts; editors and admins anything.
    async fn authorize_edit(&self, principal: &Principal, row: &article::Model) -> Result<()> {
        if principal.role >= super::Role::Editor {
            return Ok(());
        }
        let own = self.owns(&Viewer(Some(principal.clone())), row).await?;
        if !own {
            return Err(ContentError::Forbidden("authors may change only their own articles".into()));
        }
        if effective_status(row, self.now()) != ArticleStatus::Draft {
            return Err(ContentError::Forbidden(
                "authors may change only drafts; this article is no longer a draft".into(),
            ));
        }
        Ok(())
    }

    /// The filters of a list query other than status, as one condition, and the counter
    /// that counts its public rows when one does.
    async fn filter_condition(&self, query: &ArticleQuery) -> Result<(Condition, Option<Counter>)> {
        use sea_orm::sea_query::Query;
        let db = self.db();
        let mut cond = Condition::all();
        let nothing = || Expr::cust("1 = 0");
        let tag_slugs: Vec<&String> = query.tag.iter().chain(query.tags.iter()).collect();
        let other_filters = query.author.is_some()
            || query.published_after.is_some()
            || query.published_before.is_some()
            || query.search.is_some();
        let groups = tag_slugs.len() + query.category.is_some() as usize + query.series.is_some() as usize;
        let mut counter = match (groups, other_filters) {
            (0, false) => Some(Counter::All),
            _ => None,
        };
        let sole = groups == 1 && !other_filters;
        for slug in tag_slugs {
            match super::tags::tag_by_slug(db, slug).await? {
                Some(t) => {
                    if sole {
                        counter = Some(Counter::Group(Grouping::Tag, vec![t.id]));
                    }
                    cond = cond.add(
                        article::Column::Id.in_subquery(
                            Query::select()
                                .column(article_tag::Column::ArticleId)
                                .from(article_tag::Entity)
                                .and_where(article_tag::Column::TagId.eq(t.id))
                                .to_owned(),
                        ),
                    )
                }
                None => cond = cond.add(nothing()),
            }
        }
        if let Some(slug) = &query.category {
            let tree = super::tree::CategoryTree::load(db).await?;
            cond = match tree.by_slug(slug) {
                Some(c) => {
                    let keys = tree.with_descendants(c.id);
                    if sole {
                        counter = Some(Counter::Group(Grouping::Category, keys.clone()));
                    }
                    cond.add(article::Column::CategoryId.is_in(keys))
                }
                None => cond.add(nothing()),
            };
        }
        if let Some(slug) = &query.series {
            // An invalid slug names nothing (and PostgreSQL refuses NUL in a query).
            let found = match super::text::is_valid_slug(slug) {
                true => series::Entity::find().filter(series::Column::Slug.eq(slug.as_str())).one(db).await?,
                false => None,
            };
            cond = match found {
                Some(s) => {
                    if sole {
                        counter = Some(Counter::Group(Grouping::Series, vec![s.id]));
                    }
                    cond.add(article::Column::SeriesId.eq(s.id))
                }
                None => cond.add(nothing()),
            };
        }
        if let Some(author) = &query.author {
            cond = match parse_id(author) {
                Some(id) => cond.add(article::Column::AuthorId.eq(id)),
                None => cond.add(nothing()),
            };
        }
        if let Some(t) = query.published_after {
            cond = cond.add(article::Column::PublishedAt.gte(t));
        }
        if let Some(t) = query.published_before {
            cond = cond.add(article::Column::PublishedAt.lt(t));
        }
        // A search with nothing searchable in it matches nothing (rather than everything).
        if let Some(text) = query.search.as_deref().map(clean_search) {
            cond = match text.is_empty() {
                true => cond.add(nothing()),
                false => cond.add(super::search::matches_condition(db.get_database_backend(), &text)),
            };
        }
        Ok((cond, counter))
    }

    /// Relevance order pages by offset: scores are recomputed per query, so there is no
    /// stable key to seek to.
    async fn articles_by_relevance(
        &self,
        base: Select<article::Entity>,
        text: &str,
        page: &PageArgs,
    ) -> Result<Page<ArticleView>> {
        let db = self.db();
        let (size, after) = page.forward_only(ArticleOrder::Relevance)?;
        let offset = match after.map(|c| c.key) {
            Some(SortKey::Int(n)) if n >= 0 => n as u64,
            Some(_) => return Err(ContentError::field(page.names.after, "is not a valid cursor for this list")),
            None => 0,
        };
        let total = count_rows(db, &base).await?;
        // Ranked once: the page orders by its score's name, and the outer query by the same.
        const RANK: &str = "relevance";
        let page = without_texts(base)
            .column_as(super::search::score_expr(db.get_database_backend(), text), RANK)
            .order_by(Expr::cust(format!("\"{RANK}\"")), Order::Desc)
            .order_by(article::Column::Id, Order::Desc)
            .offset(offset)
            .limit(size + 1);
        let reorder = |outer: Select<article::Entity>| {
            outer.order_by(Expr::col((article::Entity, RANK)), Order::Desc).order_by(article::Column::Id, Order::Desc)
        };
        let views = super::attach::views_of(db, page, reorder).await?;
        let mut views = as_summaries(views);
        let more = views.len() as u64 > size;
        views.truncate(size as usize);
        let items = views
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let c = Cursor {
                    order: ArticleOrder::Relevance.code().into(),
                    key: SortKey::Int((offset + i as u64 + 1) as i64),
                    id: v.row.id,
                };
                (c.encode(), v)
            })
            .collect();
        Ok(Page { items, has_next_page: more, has_previous_page: offset > 0, total })
    }

    /// The id a REST path names, for a write: digits are the id itself, anything else a slug
    /// (current or old) that is looked up, as `ArticleLookup::Path` does for reads.
    pub async fn article_id_at(&self, key: &str) -> Result<String> {
        if text::is_id_like(key) {
            return Ok(key.to_string());
        }
        match self.view_by_slug(key).await? {
            Some(view) => Ok(view.row.id.to_string()),
            None => Err(not_found(key.escape_debug())),
        }
    }

    /// The article a slug names, now or before it was renamed.
    async fn view_by_slug(&self, slug: &str) -> Result<Option<ArticleView>> {
        if !text::is_valid_slug(slug) {
            return Ok(None);
        }
        if let Some(view) = self.view_of(Some(article::Entity::find().filter(article::Column::Slug.eq(slug)))).await? {
            return Ok(Some(view));
        }
        match article_slug_history::Entity::find_by_id(slug.to_string()).one(self.db()).await? {
            Some(old) => self.view_of(Some(article::Entity::find_by_id(old.article_id))).await,
            None => Ok(None),
        }
    }

    /// A page of articles. Without a status filter this is the public list (published
    /// articles whose time has come) for everyone, editors included.
    pub async fn articles(&self, viewer: &Viewer, query: ArticleQuery) -> Result<Page<ArticleView>> {
        let order = query.order;
        match self.plan_list(viewer, query).await? {
            Planned::Ranked(page) => Ok(page),
            Planned::Page(plan) => {
                let rows = summaries_of(self.db(), plan.page.clone(), |outer| plan.reorder(outer)).await?;
                Ok(plan.finish(rows, |v| (order.key_of(&v.row), v.row.id)))
            }
        }
    }

    /// The same page as [`Content::articles`], as cards: the public list reads stored cards
    /// (see [`super::cards`]); editors' lists by status and search by relevance make theirs.
    pub async fn article_cards(&self, viewer: &Viewer, query: ArticleQuery) -> Result<Page<Card>> {
        let public = query.status.is_none();
        let order = query.order;
        let planned = self.plan_list(viewer, query).await?;
        // Statuses are judged after the plan's own reading of the time, never before it.
        let now = self.now();
        match planned {
            Planned::Ranked(page) => Ok(page.map(|v| Card::of(&v, now))),
            Planned::Page(plan) if public => {
                let cards =
                    cards::public_cards_of(self.db(), plan.page.clone(), |outer| plan.reorder(outer), now).await?;
                Ok(plan.finish(cards, |c| (c.key(order), c.id)))
            }
            Planned::Page(plan) => {
                let rows = summaries_of(self.db(), plan.page.clone(), |outer| plan.reorder(outer)).await?;
                let page = plan.finish(rows, |v| (order.key_of(&v.row), v.row.id));
                Ok(page.map(|v| Card::of(&v, now)))
            }
        }
    }

    /// What a list query reads: its filters, order, cursor and total, or, for search by
    /// relevance, the page itself.
    async fn plan_list(&self, viewer: &Viewer, query: ArticleQuery) -> Result<Planned> {
        if query.status.is_some() && viewer.principal().is_none() {
            return Err(ContentError::Unauthenticated("filtering by status needs a token".into()));
        }
        let direction = query.page.resolve(query.order)?;
        let db = self.db();
        let now = self.now();
        let status = query.status.unwrap_or(ArticleStatus::Published);
        let mut base = article::Entity::find().filter(status_condition(status, now));
        // Authors list only their own articles by status.
        if query.status.is_some() && !viewer.sees_unpublished() {
            let me = match viewer.principal() {
                Some(p) => users::find_user(db, &p.subject).await?.map(|u| u.id),
                None => None,
            };
            base = base.filter(article::Column::AuthorId.eq(me.unwrap_or(-1)));
        }
        let (filters, counter) = self.filter_condition(&query).await?;
        base = base.filter(filters);
        if query.order == ArticleOrder::Relevance {
            let Some(text) = query.search.as_deref().map(clean_search) else {
                return Err(ContentError::field(query.page.names.order, "RELEVANCE needs a search text"));
            };
            return Ok(Planned::Ranked(self.articles_by_relevance(base, &text, &query.page).await?));
        }
        let total = match (query.status, counter) {
            // The public list and single-group lists count from the database's counters.
            (None, Some(counter)) => self.listed_count(counter).await?,
            _ => count_rows(db, &base).await?,
        };

        let (col, canonical_dir, nullable) = query.order.spec();
        // Published and scheduled rows always have a date; only other states need NULL care.
        let nullable = nullable && !matches!(status, ArticleStatus::Published | ArticleStatus::Scheduled);
        // Published lists walk the `listed_at` index, which holds the same times in order.
        let col = match (status, col) {
            (ArticleStatus::Published, article::Column::PublishedAt) => article::Column::ListedAt,
            _ => col,
        };
        let (size, cursor, backward) = match direction {
            Direction::Forward { size, after } => (size, after, false),
            Direction::Backward { size, before } => (size, before, true),
        };
        let dir = if backward { reverse(&canonical_dir) } else { canonical_dir };
        // Canonical order puts NULLs last; walking backward meets them first.
        let nulls_last = !backward;
        let mut select = base;
        if let Some(c) = &cursor {
            select = select.filter(after_cursor(col, &dir, nullable, nulls_last, c));
        }
        let page = order_select(select, col, &dir, nullable, nulls_last).limit(size + 1);
        Ok(Planned::Page(Box::new(ListPlan {
            page,
            col,
            dir,
            nullable,
            nulls_last,
            size,
            backward,
            had_cursor: cursor.is_some(),
            order_code: query.order.code(),
            total,
        })))
    }

    pub async fn create_article(&self, viewer: &Viewer, input: NewArticle) -> Result<ArticleView> {
        let principal = viewer.require_writer()?;
        input.validate()?;
        let rendered = super::render::render_body(input.body.clone().unwrap_or_default(), "body").await?;
        // A derived slug or series part can be taken by a concurrent writer between our check
        // and our insert; the unique index refuses it and we derive again. A value the client
        // chose is checked up front and reported as a conflict on the next attempt.
        let mut attempts = 0;
        loop {
            match self.try_create_article(principal, &input, &rendered).await {
                Err(CreateError::Raced) if attempts < 5 => attempts += 1,
                Err(CreateError::Raced) => {
                    return Err(ContentError::Conflict("too many concurrent writers; try again".into()));
                }
                Err(CreateError::Failed(e)) => return Err(e),
                Ok(view) => return Ok(view),
            }
        }
    }

    async fn try_create_article(
        &self,
        principal: &Principal,
        input: &NewArticle,
        rendered: &text::Rendered,
    ) -> Result<ArticleView, CreateError> {
        let txn = self.begin_write().await?;
        let author = users::ensure_user(&txn, principal).await?;
        let now = self.now();

        // Lock order is fixed (slug, then series) so two creators never wait on each other.
        let slug_base = input.slug.clone().unwrap_or_else(|| slugify(&input.title));
        super::lock_for_txn(&txn, &format!("article-slug:{slug_base}")).await?;
        if let Some(series) = non_empty(input.series.clone()) {
            super::lock_for_txn(&txn, &format!("series:{}", slugify(&series))).await?;
        }
        let slug = match &input.slug {
            Some(slug) => {
                ensure_slug_free(&txn, slug, None).await?;
                slug.clone()
            }
            None => derive_free_slug(&txn, &input.title, None).await?,
        };
        let mut made = taxonomy::NewGroups::for_role(principal.role);
        let category_id = match non_empty(input.category.clone()) {
            Some(name) => Some(taxonomy::category_by_name(&txn, &name, None, &mut made).await?.id),
            None => None,
        };
        let (series_id, series_part) = match non_empty(input.series.clone()) {
            Some(title) => {
                let s = taxonomy::series_by_title(&txn, &title, &mut made).await?;
                let part = claim_series_part(&txn, &s, input.series_part, None).await?;
                (Some(s.id), Some(part))
            }
            None => (None, None),
        };
        let body = input.body.clone().unwrap_or_default();
        let rendered = rendered.clone();
        let custom_excerpt = non_empty(input.excerpt.clone());
        let excerpt = custom_excerpt.clone().unwrap_or_else(|| text::excerpt(&rendered.plain_text));

        let row = article::ActiveModel {
            id: NotSet,
            slug: Set(slug.clone()),
            title: Set(input.title.trim().to_string()),
            custom_excerpt: Set(custom_excerpt),
            excerpt: Set(excerpt),
            body: Set(body),
            html: Set(rendered.html),
            plain_text: Set(rendered.plain_text),
            word_count: Set(rendered.word_count),
            reading_minutes: Set(rendered.reading_minutes),
            status: Set(ArticleStatus::Draft.as_str().into()),
            published_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            author_id: Set(Some(author.id)),
            category_id: Set(category_id),
            series_id: Set(series_id),
            series_part: Set(series_part),
            cover_image_url: Set(non_empty(input.cover_image_url.clone())),
            canonical_url: Set(non_empty(input.canonical_url.clone())),
            seo_title: Set(non_empty(input.seo_title.clone())),
            seo_description: Set(non_empty(input.seo_description.clone())),
            version: Set(1),
            listed_at: NotSet,
        };
        let inserted = match article::Entity::insert(row).exec_with_returning(&txn).await {
            Ok(row) => row,
            Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                return Err(CreateError::Raced);
            }
            Err(e) => return Err(CreateError::Failed(e.into())),
        };
        if let Some(tags) = &input.tags {
            set_tags(&txn, inserted.id, tags, &mut made).await?;
        }
        record_revision(&txn, &inserted, principal).await?;
        super::search::index_articles(&txn, &[inserted.id]).await?;
        super::audit::record(&txn, &principal.subject, "article.create", format!("article:{}", inserted.id)).await?;
        let view = load_views(&txn, vec![inserted]).await?.pop().expect("one view");
        made.record(&txn, self.now()).await?;
        txn.commit().await?;
        Ok(view)
    }

    pub async fn update_article(
        &self,
        viewer: &Viewer,
        id: &str,
        patch: ArticlePatch,
        expected_version: Option<i32>,
    ) -> Result<ArticleView> {
        self.update_article_as(viewer, id, patch, expected_version, "article.update").await
    }

    /// An update recorded in the audit log as `action`.
    pub(crate) async fn update_article_as(
        &self,
        viewer: &Viewer,
        id: &str,
        patch: ArticlePatch,
        expected_version: Option<i32>,
        action: &str,
    ) -> Result<ArticleView> {
        let principal = viewer.require_writer()?;
        patch.validate()?;
        let id = parse_id(id).ok_or_else(|| not_found(id))?;
        let rendered = match &patch.body {
            Some(body) => Some(super::render::render_body(body.clone(), "body").await?),
            None => None,
        };
        // Without an expected version the client asked for last-writer-wins; a concurrent
        // write between our read and our write just means we read again.
        for _ in 0..5 {
            let txn = self.begin_write().await?;
            let current = live_article(&txn, id).await?;
            self.authorize_edit(principal, &current).await?;
            if let Some(expected) = expected_version
                && expected != current.version
            {
                return Err(ContentError::VersionConflict { expected, current: current.version });
            }
            let mut made = taxonomy::NewGroups::for_role(principal.role);
            // Tag pages the article leaves are purged too: read them while it is on them.
            let tags_before = match &patch.tags {
                Some(_) if super::changes::announced(&current, self.now()) => {
                    Some(super::purges::tag_ids(&txn, &[id]).await?)
                }
                _ => None,
            };
            match apply_patch(&txn, &current, &patch, rendered.as_ref(), principal, &mut made, self.now()).await? {
                Some(updated) => {
                    super::audit::record(&txn, &principal.subject, action, format!("article:{id}")).await?;
                    let view = load_views(&txn, vec![updated]).await?.pop().expect("one view");
                    made.record(&txn, self.now()).await?;
                    super::changes::article(&txn, self.now(), Some(&current), Some(&view.row), tags_before.as_deref())
                        .await?;
                    txn.commit().await?;
                    return Ok(view);
                }
                None => {
                    txn.rollback().await?;
                    if let Some(expected) = expected_version {
                        let now_at = live_article(self.db(), id).await?.version;
                        return Err(ContentError::VersionConflict { expected, current: now_at });
                    }
                }
            }
        }
        Err(ContentError::Conflict("the article is being changed by others right now; try again".into()))
    }

    /// Publishes now, at a past time (back-dated imports), or schedules for a future time.
    /// Publishing an already published article without a time keeps its date.
    pub async fn publish_article(
        &self,
        viewer: &Viewer,
        id: &str,
        published_at: Option<DateTime<Utc>>,
    ) -> Result<ArticleView> {
        let principal = viewer.require_editor()?;
        let id = parse_id(id).ok_or_else(|| not_found(id))?;
        let now = self.now();
        self.transition(principal, id, "article.publish", |current| {
            let at = match published_at {
                Some(t) => super::truncate_micros(t),
                // Republishing (or bringing back an archived article) keeps its date.
                None if matches!(
                    effective_status(current, now),
                    ArticleStatus::Published | ArticleStatus::Archived
                ) =>
                {
                    current.published_at.unwrap_or(now)
                }
                None => now,
            };
            let status = if at > now { ArticleStatus::Scheduled } else { ArticleStatus::Published };
            (status, Some(at))
        })
        .await
    }

    /// Back to draft; the article leaves every public list and loses its publication date.
    pub async fn unpublish_article(&self, viewer: &Viewer, id: &str) -> Result<ArticleView> {
        let principal = viewer.require_editor()?;
        let id = parse_id(id).ok_or_else(|| not_found(id))?;
        self.transition(principal, id, "article.unpublish", |_| (ArticleStatus::Draft, None)).await
    }

    /// Takes an article out of circulation without deleting it: readers no longer see it,
    /// editors still do, and publishing it again brings it back.
    pub async fn archive_article(&self, viewer: &Viewer, id: &str) -> Result<ArticleView> {
        let principal = viewer.require_editor()?;
        let id = parse_id(id).ok_or_else(|| not_found(id))?;
        self.transition(principal, id, "article.archive", |current| (ArticleStatus::Archived, current.published_at))
            .await
    }

    async fn transition(
        &self,
        principal: &Principal,
        id: i32,
        action: &str,
        decide: impl Fn(&article::Model) -> (ArticleStatus, Option<DateTime<Utc>>),
    ) -> Result<ArticleView> {
        let txn = self.begin_write().await?;
        let current = live_article(&txn, id).await?;
        let (status, published_at) = decide(&current);
        let mut model = current.clone();
        model.status = status.as_str().into();
        model.published_at = published_at;
        model.version = current.version + 1;
        model.updated_at = self.now();
        let am = article::ActiveModel {
            status: Set(model.status.clone()),
            published_at: Set(model.published_at),
            version: Set(model.version),
            updated_at: Set(model.updated_at),
            ..Default::default()
        };
        // Status changes are serialized by the row lock the UPDATE takes; the version check
        // keeps the revision numbering gap-free.
        let res = article::Entity::update_many()
            .set(am)
            .filter(article::Column::Id.eq(id))
            .filter(article::Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(ContentError::Conflict("the article changed while publishing; try again".into()));
        }
        record_revision(&txn, &model, principal).await?;
        let action = if status == ArticleStatus::Scheduled { "article.schedule" } else { action };
        super::audit::record(&txn, &principal.subject, action, format!("article:{id}")).await?;
        let view = load_views(&txn, vec![model]).await?.pop().expect("one view");
        super::changes::article(&txn, self.now(), Some(&current), Some(&view.row), None).await?;
        txn.commit().await?;
        Ok(view)
    }

    /// Moves an article to the trash: it disappears from every read at once. Authors may
    /// trash their own drafts.
    pub async fn delete_article(&self, viewer: &Viewer, id: &str) -> Result<()> {
        let principal = viewer.require_writer()?;
        let id = parse_id(id).ok_or_else(|| not_found(id))?;
        let txn = self.begin_write().await?;
        let current = live_article(&txn, id).await?;
        self.authorize_edit(principal, &current).await?;
        super::audit::record(&txn, &principal.subject, "article.delete", format!("article:{id}")).await?;
        let trashed = article::Model { deleted_at: Some(self.now()), version: current.version + 1, ..current.clone() };
        article::Entity::update_many()
            .set(article::ActiveModel {
                deleted_at: Set(trashed.deleted_at),
                version: Set(trashed.version),
                ..Default::default()
            })
            .filter(article::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        // Every version has its revision: this one tells the article's editors it was trashed.
        record_revision(&txn, &trashed, principal).await?;
        super::changes::article(&txn, self.now(), Some(&current), None, None).await?;
        txn.commit().await?;
        Ok(())
    }
}

enum CreateError {
    /// A unique index refused a value derived in this attempt: derive again.
    Raced,
    Failed(ContentError),
}

impl<E: Into<ContentError>> From<E> for CreateError {
    fn from(e: E) -> Self {
        CreateError::Failed(e.into())
    }
}

fn reverse(o: &Order) -> Order {
    match o {
        Order::Asc => Order::Desc,
        _ => Order::Asc,
    }
}

fn order_select(
    select: Select<article::Entity>,
    col: article::Column,
    dir: &Order,
    nullable: bool,
    nulls_last: bool,
) -> Select<article::Entity> {
    let mut select = select;
    if nullable {
        // Explicit, because SQLite and PostgreSQL put NULLs at opposite ends by default.
        let nulls = if nulls_last { Order::Asc } else { Order::Desc };
        select = select.order_by(Expr::col(col).is_null(), nulls);
    }
    select.order_by(col, dir.clone()).order_by(article::Column::Id, dir.clone())
}

/// Search text without control characters (PostgreSQL refuses NUL in text).
pub(crate) fn clean_search(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_string()
}

pub(crate) fn parse_id(id: &str) -> Option<i32> {
    // Ids are opaque to clients; today they are decimal row ids.
    if id.is_empty() || id.len() > 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok().filter(|v| *v > 0)
}

pub(crate) fn not_found(id: impl std::fmt::Display) -> ContentError {
    ContentError::NotFound(format!("article `{id}`"))
}

/// The article, not trashed, locked for the rest of the transaction (PostgreSQL `FOR
/// UPDATE`; SQLite's write transaction already excludes other writers), so concurrent
/// writers queue instead of failing their compare-and-swap.
pub(crate) async fn live_article(db: &impl ConnectionTrait, id: i32) -> Result<article::Model> {
    article::Entity::find_by_id(id)
        .filter(article::Column::DeletedAt.is_null())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Slugs are unique across current slugs and old ones that still resolve; an article may
/// take back one of its own old slugs.
async fn ensure_slug_free(db: &impl ConnectionTrait, slug: &str, own: Option<i32>) -> Result<()> {
    let taken_now = article::Entity::find()
        .filter(article::Column::Slug.eq(slug))
        .one(db)
        .await?
        .is_some_and(|a| Some(a.id) != own);
    let taken_before = article_slug_history::Entity::find_by_id(slug.to_string())
        .one(db)
        .await?
        .is_some_and(|h| Some(h.article_id) != own);
    if taken_now || taken_before {
        return Err(ContentError::Conflict(format!("slug `{slug}` is already used by another article")));
    }
    Ok(())
}

/// The title's slug, or with the first free numeric suffix (`-2`, `-3`, …).
async fn derive_free_slug(db: &impl ConnectionTrait, title: &str, own: Option<i32>) -> Result<String> {
    let mut base = slugify(title);
    if base.is_empty() {
        base = "article".into();
    }
    // The base and `base-…`, as ranges an index serves ('.' follows '-' in ASCII): a LIKE
    // is case-insensitive on SQLite and read the whole table to find them.
    let (after_dash, past_dash) = (format!("{base}-"), format!("{base}."));
    let mut taken: std::collections::HashSet<String> = article::Entity::find()
        .select_only()
        .columns([article::Column::Id, article::Column::Slug])
        .filter(
            Condition::any().add(article::Column::Slug.eq(base.as_str())).add(
                Condition::all()
                    .add(article::Column::Slug.gt(after_dash.as_str()))
                    .add(article::Column::Slug.lt(past_dash.as_str())),
            ),
        )
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(id, _)| Some(*id) != own)
        .map(|(_, slug)| slug)
        .collect();
    taken.extend(
        article_slug_history::Entity::find()
            .filter(
                Condition::any().add(article_slug_history::Column::Slug.eq(base.as_str())).add(
                    Condition::all()
                        .add(article_slug_history::Column::Slug.gt(after_dash.as_str()))
                        .add(article_slug_history::Column::Slug.lt(past_dash.as_str())),
                ),
            )
            .all(db)
            .await?
            .into_iter()
            .filter(|h| Some(h.article_id) != own)
            .map(|h| h.slug),
    );
    if !taken.contains(&base) {
        return Ok(base);
    }
    let n = (2..).find(|n| !taken.contains(&format!("{base}-{n}"))).expect("a free suffix exists");
    Ok(format!("{base}-{n}"))
}

/// The part number an article takes in a series: the one asked for if free, else the next
/// after the highest. Gaps are allowed.
async fn claim_series_part(
    db: &impl ConnectionTrait,
    s: &series::Model,
    wanted: Option<i32>,
    own: Option<i32>,
) -> Result<i32> {
    let parts: Vec<(i32, Option<i32>)> = article::Entity::find()
        .select_only()
        .column(article::Column::Id)
        .column(article::Column::SeriesPart)
        .filter(article::Column::SeriesId.eq(s.id))
        .into_tuple()
        .all(db)
        .await?;
    match wanted {
        Some(part) => {
            if parts.iter().any(|(id, p)| *p == Some(part) && Some(*id) != own) {
                return Err(ContentError::Conflict(format!("series `{}` already has a part {part}", s.title)));
            }
            Ok(part)
        }
        None => Ok(parts.iter().filter(|(id, _)| Some(*id) != own).filter_map(|(_, p)| *p).max().unwrap_or(0) + 1),
    }
}

async fn set_tags(
    db: &impl ConnectionTrait,
    article_id: i32,
    names: &[String],
    made: &mut taxonomy::NewGroups,
) -> Result<()> {
    article_tag::Entity::delete_many().filter(article_tag::Column::ArticleId.eq(article_id)).exec(db).await?;
    let tags = taxonomy::tags_by_names(db, names, made).await?;
    if tags.is_empty() {
        return Ok(());
    }
    article_tag::Entity::insert_many(tags.iter().enumerate().map(|(i, t)| article_tag::ActiveModel {
        article_id: Set(article_id),
        tag_id: Set(t.id),
        position: Set(i as i32),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Applies a patch with a compare-and-swap on the version. `None` when another writer
/// changed the article since `current` was read. `now` is the writer's clock.
async fn apply_patch(
    txn: &DatabaseTransaction,
    current: &article::Model,
    patch: &ArticlePatch,
    rendered: Option<&text::Rendered>,
    principal: &Principal,
    made: &mut taxonomy::NewGroups,
    now: DateTime<Utc>,
) -> Result<Option<article::Model>> {
    let mut next = current.clone();
    if let Some(title) = &patch.title {
        next.title = title.trim().to_string();
    }
    if let Some(slug) = &patch.slug
        && *slug != current.slug
    {
        ensure_slug_free(txn, slug, Some(current.id)).await?;
        next.slug = slug.clone();
    }
    if let (Some(body), Some(r)) = (&patch.body, rendered) {
        let r = r.clone();
        next.body = body.clone();
        next.html = r.html;
        next.plain_text = r.plain_text;
        next.word_count = r.word_count;
        next.reading_minutes = r.reading_minutes;
    }
    if let Some(excerpt) = &patch.excerpt {
        next.custom_excerpt = non_empty(excerpt.clone());
    }
    next.excerpt = next.custom_excerpt.clone().unwrap_or_else(|| text::excerpt(&next.plain_text));
    if let Some(category) = &patch.category {
        next.category_id = match non_empty(category.clone()) {
            Some(name) => Some(taxonomy::category_by_name(txn, &name, None, made).await?.id),
            None => None,
        };
    }
    let series_changed = patch.series.is_some() || patch.series_part.is_some();
    if series_changed {
        let series_row = match &patch.series {
            Some(Some(title)) => match non_empty(Some(title.clone())) {
                Some(t) => Some(taxonomy::series_by_title(txn, &t, made).await?),
                None => None,
            },
            Some(None) => None,
            None => match current.series_id {
                Some(sid) => series::Entity::find_by_id(sid).one(txn).await?,
                None => None,
            },
        };
        match series_row {
            Some(s) => {
                super::lock_for_txn(txn, &format!("series:{}", s.slug)).await?;
                let wanted = match patch.series_part {
                    Some(p) => p,
                    // Staying in the same series keeps the part; moving to another takes the next.
                    None if current.series_id == Some(s.id) => current.series_part,
                    None => None,
                };
                next.series_part = Some(claim_series_part(txn, &s, wanted, Some(current.id)).await?);
                next.series_id = Some(s.id);
            }
            None => {
                if let Some(Some(_)) = patch.series_part {
                    return Err(ContentError::field("series_part", "needs a series"));
                }
                next.series_id = None;
                next.series_part = None;
            }
        }
    }
    for (field, value) in [
        (&mut next.cover_image_url, &patch.cover_image_url),
        (&mut next.canonical_url, &patch.canonical_url),
        (&mut next.seo_title, &patch.seo_title),
        (&mut next.seo_description, &patch.seo_description),
    ] {
        if let Some(v) = value {
            *field = non_empty(v.clone());
        }
    }
    next.version = current.version + 1;
    next.updated_at = std::cmp::max(now, current.updated_at);

    let am = article::ActiveModel {
        id: NotSet,
        slug: Set(next.slug.clone()),
        title: Set(next.title.clone()),
        custom_excerpt: Set(next.custom_excerpt.clone()),
        excerpt: Set(next.excerpt.clone()),
        body: Set(next.body.clone()),
        html: Set(next.html.clone()),
        plain_text: Set(next.plain_text.clone()),
        word_count: Set(next.word_count),
        reading_minutes: Set(next.reading_minutes),
        status: NotSet,
        published_at: NotSet,
        created_at: NotSet,
        updated_at: Set(next.updated_at),
        deleted_at: NotSet,
        author_id: NotSet,
        category_id: Set(next.category_id),
        series_id: Set(next.series_id),
        series_part: Set(next.series_part),
        cover_image_url: Set(next.cover_image_url.clone()),
        canonical_url: Set(next.canonical_url.clone()),
        seo_title: Set(next.seo_title.clone()),
        seo_description: Set(next.seo_description.clone()),
        version: Set(next.version),
        listed_at: NotSet,
    };
    let slug = next.slug.clone();
    let res = article::Entity::update_many()
        .set(am)
        .filter(article::Column::Id.eq(current.id))
        .filter(article::Column::Version.eq(current.version))
        .exec(txn)
        .await
        .map_err(|e| ContentError::from_db(e, || format!("slug `{slug}` or series part is already taken")))?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    if next.slug != current.slug {
        // The old slug keeps resolving; the new one is no longer "old".
        article_slug_history::Entity::delete_by_id(next.slug.clone()).exec(txn).await?;
        article_slug_history::Entity::insert(article_slug_history::ActiveModel {
            slug: Set(current.slug.clone()),
            article_id: Set(current.id),
            created_at: Set(next.updated_at),
        })
        .on_conflict_do_nothing_on([article_slug_history::Column::Slug])
        .exec_without_returning(txn)
        .await?;
    }
    if let Some(tags) = &patch.tags {
        set_tags(txn, current.id, tags, made).await?;
    }
    record_revision(txn, &next, principal).await?;
    super::search::index_articles(txn, &[current.id]).await?;
    Ok(Some(next))
}

/// Stores the article's editable fields as they are after a change.
pub(crate) async fn record_revision(
    db: &impl ConnectionTrait,
    row: &article::Model,
    principal: &Principal,
) -> Result<()> {
    let tags: Vec<String> = tags_of(db, row.id).await?.into_iter().map(|t| t.name).collect();
    let snapshot = serde_json::json!({
        "slug": row.slug,
        "title": row.title,
        "excerpt": row.custom_excerpt,
        "body": row.body,
        "status": row.status,
        "published_at": row.published_at,
        "category_id": row.category_id,
        "series_id": row.series_id,
        "series_part": row.series_part,
        "tags": tags,
        "cover_image_url": row.cover_image_url,
        "canonical_url": row.canonical_url,
        "seo_title": row.seo_title,
        "seo_description": row.seo_description,
        "trashed": row.deleted_at.is_some(),
    });
    article_revision::Entity::insert(article_revision::ActiveModel {
        article_id: Set(row.id),
        version: Set(row.version),
        editor: Set(principal.subject.clone()),
        title: Set(row.title.clone()),
        snapshot: Set(snapshot.to_string()),
        created_at: Set(row.updated_at),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Which of the database's listing counters counts a list's public rows.
#[derive(Debug, Clone)]
pub(crate) enum Counter {
    All,
    Group(Grouping, Vec<i32>),
}

/// Every public article: the total the database keeps, less the scheduled articles whose
/// time has not come (a short index range).
pub(crate) fn push_listed_total(sql: &mut Sql, now: DateTime<Utc>) {
    sql.push(
        "(COALESCE((SELECT t.articles FROM listing_totals t WHERE t.id = 1), 0) \
         - (SELECT COUNT(*) FROM articles a WHERE a.listed_at > ",
    )
    .bind(now)
    .push("))");
}

impl Content {
    /// Public articles a counter counts: the database's counter (kept by triggers) less the
    /// scheduled articles whose time has not come, a short index range; never a scan.
    pub(crate) async fn listed_count(&self, counter: Counter) -> Result<u64> {
        match counter {
            Counter::All => {
                let db = self.db();
                let mut sql = Sql::new(db.get_database_backend());
                sql.push("SELECT ");
                push_listed_total(&mut sql, self.now());
                sql.push(" AS n");
                let n: i64 = match db.query_one_raw(sql.build()).await? {
                    Some(r) => r.try_get("", "n")?,
                    None => 0,
                };
                Ok(u64::try_from(n).unwrap_or(0))
            }
            Counter::Group(grouping, keys) => {
                let group = Group { id: 0, keys };
                Ok(self.group_counts(grouping, &[group]).await?.get(&0).copied().unwrap_or(0))
            }
        }
    }
}

/// The rows a list's filters match, counted from the id alone: sea-orm's `count` wraps the
/// whole select (every column), which made SQLite read the table instead of an index.
async fn count_rows(db: &impl ConnectionTrait, base: &Select<article::Entity>) -> Result<u64> {
    Ok(base.clone().select_only().column(article::Column::Id).count(db).await?)
}

/// A list's rows without `body`, `html` and `plain_text` (selected as empty text): a page of
/// twenty would otherwise read and carry every article's full text.
pub(crate) fn without_texts(select: Select<article::Entity>) -> Select<article::Entity> {
    use sea_orm::{IdenStatic, Iterable};
    let texts = [article::Column::Body, article::Column::Html, article::Column::PlainText];
    let is_text = |c: &article::Column| texts.iter().any(|t| t.as_str() == c.as_str());
    let mut select = select.select_only();
    for c in article::Column::iter().filter(|c| !is_text(c)) {
        select = select.column(c);
    }
    for c in texts {
        select = select.column_as(Expr::val(""), c.as_str());
    }
    select
}

/// The summaries (without texts, see [`without_texts`]) of the rows `page` reads, with
/// their links, in one statement; `reorder` as in [`super::attach::views_of`].
pub(crate) async fn summaries_of(
    db: &impl ConnectionTrait,
    page: Select<article::Entity>,
    reorder: impl FnOnce(Select<article::Entity>) -> Select<article::Entity>,
) -> Result<Vec<ArticleView>> {
    Ok(as_summaries(super::attach::views_of(db, without_texts(page), reorder).await?))
}

fn as_summaries(mut views: Vec<ArticleView>) -> Vec<ArticleView> {
    views.iter_mut().for_each(|v| v.summary = true);
    views
}

/// The text of an article a list left out.
#[derive(Debug, Clone)]
pub struct ArticleText {
    pub body: String,
    pub html: String,
}

impl Content {
    /// Puts the text back into list views, in one query, for a client that asked for it.
    pub async fn fill_texts(&self, views: Vec<&mut ArticleView>) -> Result<()> {
        let mut views: Vec<&mut ArticleView> = views.into_iter().filter(|v| v.summary).collect();
        if views.is_empty() {
            return Ok(());
        }
        let ids: Vec<i32> = views.iter().map(|v| v.row.id).collect();
        let mut texts = self.article_texts(&ids).await?;
        for v in views.iter_mut() {
            if let Some(t) = texts.remove(&v.row.id) {
                v.row.body = t.body;
                v.row.html = t.html;
                v.summary = false;
            }
        }
        Ok(())
    }

    /// `body` and `html` of articles already shown to the caller in a list, by id.
    pub async fn article_texts(&self, ids: &[i32]) -> Result<HashMap<i32, ArticleText>> {
        let rows: Vec<(i32, String, String)> = article::Entity::find()
            .select_only()
            .columns([article::Column::Id, article::Column::Body, article::Column::Html])
            .filter(article::Column::Id.is_in(ids.iter().copied()))
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(|(id, body, html)| (id, ArticleText { body, html })).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_strict() {
        assert_eq!(parse_id("42"), Some(42));
        for bad in ["", "0", "-1", "4x", "99999999999", " 1", "1.0"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_args_refuse_mixed_directions_and_bad_sizes() {
        let mixed = PageArgs { first: Some(2), last: Some(2), ..Default::default() };
        assert!(matches!(mixed.resolve(ArticleOrder::Title), Err(ContentError::Validation(_))));
        for n in [0, -1, 101] {
            let a = PageArgs { first: Some(n), ..Default::default() };
            match a.resolve(ArticleOrder::Title) {
                Err(ContentError::Validation(e)) => assert_eq!(e[0].field, "first"),
                _ => panic!("{n} accepted"),
            }
        }
        let named = PageArgs {
            first: Some(0),
            names: PageArgNames { first: "limit", after: "cursor", last: "last", before: "before", order: "sort" },
            ..Default::default()
        };
        match named.resolve(ArticleOrder::Title) {
            Err(ContentError::Validation(e)) => assert_eq!(e[0].field, "limit"),
            _ => panic!("accepted"),
        }
    }
}
