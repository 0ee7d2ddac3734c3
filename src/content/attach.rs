//! What an article is shown with beside its own row: its tags (in the editor's order), its
//! category, its series and its author's name. Read for a whole page in one statement that
//! answers one row, a JSON array: every row sqlx reads crosses from its database thread to
//! ours (a thread wake-up each), and five statements of a page's links took most of an
//! uncached list's time that way. The statement's text never changes with the page (the ids
//! travel as one value), so each connection prepares it once.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryResult, QuerySelect, QueryTrait, Select,
};
use serde::Deserialize;

use super::error::{ContentError, Result};
use super::model::{ArticleView, AuthorRef};
use super::sql::Sql;
use crate::entities::{article, category, series, tag};

/// One article's links as a JSON object, `{a}` standing for the outer table's name: the
/// same text serves a page's batch (`articles a`) and a list read with its links
/// ([`views_of`], `"articles"`).
const SQLITE_OBJECT: &str = "json_object(\
    'id', {a}.id, \
    'tags', json((SELECT json_group_array(json_object('id', t.id, 'slug', t.slug, 'name', t.name, \
        'description', t.description, 'created_at', t.created_at, 'updated_at', t.updated_at) \
        ORDER BY at.position) FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = {a}.id)), \
    'category', json((SELECT json_object('id', c.id, 'slug', c.slug, 'name', c.name, 'description', c.description, \
        'parent_id', c.parent_id, 'position', c.position, 'created_at', c.created_at, 'updated_at', c.updated_at) \
        FROM categories c WHERE c.id = {a}.category_id)), \
    'series', json((SELECT json_object('id', s.id, 'slug', s.slug, 'title', s.title, 'description', s.description, \
        'created_at', s.created_at, 'updated_at', s.updated_at) FROM series s WHERE s.id = {a}.series_id)), \
    'author', (SELECT u.display_name FROM users u WHERE u.id = {a}.author_id))";

// Each link's tag is looked up by its key (a subquery per link): joined, PostgreSQL merged
// the page's few dozen links with the whole `tags` index.
const POSTGRES_OBJECT: &str = "json_build_object(\
    'id', {a}.id, \
    'tags', COALESCE((SELECT json_agg((SELECT json_build_object('id', t.id, 'slug', t.slug, 'name', t.name, \
        'description', t.description, 'created_at', t.created_at, 'updated_at', t.updated_at) \
        FROM tags t WHERE t.id = at.tag_id) ORDER BY at.position) FROM article_tags at WHERE at.article_id = {a}.id), '[]'::json), \
    'category', (SELECT json_build_object('id', c.id, 'slug', c.slug, 'name', c.name, 'description', c.description, \
        'parent_id', c.parent_id, 'position', c.position, 'created_at', c.created_at, 'updated_at', c.updated_at) \
        FROM categories c WHERE c.id = {a}.category_id), \
    'series', (SELECT json_build_object('id', s.id, 'slug', s.slug, 'title', s.title, 'description', s.description, \
        'created_at', s.created_at, 'updated_at', s.updated_at) FROM series s WHERE s.id = {a}.series_id), \
    'author', (SELECT u.display_name FROM users u WHERE u.id = {a}.author_id))";

/// The statements' texts, made once: `(batch head, per-row column)` for each backend.
struct Texts {
    sqlite: (String, String),
    postgres: (String, String),
}

static TEXTS: std::sync::LazyLock<Texts> = std::sync::LazyLock::new(|| {
    let (sqlite_batch, postgres_batch) = (SQLITE_OBJECT.replace("{a}", "a"), POSTGRES_OBJECT.replace("{a}", "a"));
    Texts {
        sqlite: (
            format!(
                "SELECT json_group_array({sqlite_batch}) AS views FROM articles a WHERE a.id IN (SELECT value FROM json_each("
            ),
            SQLITE_OBJECT.replace("{a}", "\"articles\""),
        ),
        postgres: (
            format!(
                "SELECT COALESCE(json_agg({postgres_batch}), '[]'::json)::text AS views FROM articles a WHERE a.id = ANY(CAST("
            ),
            format!("({})::text", POSTGRES_OBJECT.replace("{a}", "\"articles\"")),
        ),
    }
});

fn texts(backend: DbBackend) -> &'static (String, String) {
    match backend {
        DbBackend::Postgres => &TEXTS.postgres,
        _ => &TEXTS.sqlite,
    }
}

/// Articles per statement: more than any page (`PAGE_MAX`, sync's pages).
const PER_STATEMENT: usize = 500;

/// Loads tags, category, series and author for a batch of rows: one statement for up to
/// [`PER_STATEMENT`] rows.
pub(crate) async fn load_views(db: &impl ConnectionTrait, rows: Vec<article::Model>) -> Result<Vec<ArticleView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    // A page is one statement; an export of every article is one per chunk, so no single
    // answer row grows with the whole publication.
    let mut attached = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(PER_STATEMENT) {
        attached.extend(attachments(db, chunk).await?);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let a = attached.remove(&row.id).unwrap_or_default();
            view(row, a)
        })
        .collect())
}

/// The rows `page` reads (filtered, ordered, limited), each with its links, in one
/// statement: a list page's rows and their links were two, each a round trip to the
/// database's thread. The links are computed by an outer query over the page, so for the
/// page's rows only (in the page's own select list, SQLite would compute them for every row
/// it sorts, before the limit). `reorder` gives the outer query the page's order again; it
/// may name any column of the page, as a column of `articles`.
pub(crate) async fn views_of(
    db: &impl ConnectionTrait,
    page: Select<article::Entity>,
    reorder: impl FnOnce(Select<article::Entity>) -> Select<article::Entity>,
) -> Result<Vec<ArticleView>> {
    let mut outer = article::Entity::find();
    QueryTrait::query(&mut outer).from_clear().from_subquery(page.into_query(), article::Entity);
    let column = Expr::cust(texts(db.get_database_backend()).1.as_str());
    let rows = reorder(outer).column_as(column, LINKS).into_model::<WithLinks>().all(db).await?;
    rows.into_iter()
        .map(|WithLinks { row, links }| {
            let a: Attached = serde_json::from_str(&links).map_err(unreadable)?;
            Ok(view(row, a))
        })
        .collect()
}

const LINKS: &str = "links";

/// A row read by [`views_of`]: the article's columns and its links.
struct WithLinks {
    row: article::Model,
    links: String,
}

impl FromQueryResult for WithLinks {
    fn from_query_result(res: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        Ok(Self { row: article::Model::from_query_result(res, pre)?, links: res.try_get(pre, LINKS)? })
    }
}

fn view(row: article::Model, a: Attached) -> ArticleView {
    ArticleView {
        tags: a.tags.into_iter().map(Into::into).collect(),
        category: a.category.map(Into::into),
        series: a.series.map(Into::into),
        author: row.author_id.zip(a.author).map(|(id, name)| AuthorRef { id, name }),
        row,
        summary: false,
    }
}

fn unreadable(e: serde_json::Error) -> ContentError {
    ContentError::Database(DbErr::Custom(format!("an article's links did not read back: {e}")))
}

/// The tags of one article, in the editor's order.
pub(crate) async fn tags_of(db: &impl ConnectionTrait, article_id: i32) -> Result<Vec<tag::Model>> {
    let mut attached = attachments(db, &[article_id]).await?;
    Ok(attached.remove(&article_id).unwrap_or_default().tags.into_iter().map(Into::into).collect())
}

async fn attachments(db: &impl ConnectionTrait, ids: &[i32]) -> Result<HashMap<i32, Attached>> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    // The ids are the statement's only placeholder, at its end, as one text: a JSON array
    // for SQLite, an array literal for PostgreSQL (`= ANY` keeps its plan on the primary key).
    let list = ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let (ids, tail) = match backend {
        DbBackend::Postgres => (format!("{{{list}}}"), " AS text)::int[])"),
        _ => (format!("[{list}]"), "))"),
    };
    sql.push(&texts(backend).0).bind(ids).push(tail);
    let text: String = match db.query_one_raw(sql.build()).await? {
        Some(row) => row.try_get("", "views")?,
        None => return Ok(HashMap::new()),
    };
    let list: Vec<Attached> = serde_json::from_str(&text).map_err(unreadable)?;
    Ok(list.into_iter().map(|a| (a.id, a)).collect())
}

#[derive(Deserialize, Default)]
struct Attached {
    id: i32,
    tags: Vec<TagJson>,
    category: Option<CategoryJson>,
    series: Option<SeriesJson>,
    author: Option<String>,
}

#[derive(Deserialize)]
struct TagJson {
    id: i32,
    slug: String,
    name: String,
    description: Option<String>,
    #[serde(deserialize_with = "time")]
    created_at: DateTime<Utc>,
    #[serde(deserialize_with = "time")]
    updated_at: DateTime<Utc>,
}

impl From<TagJson> for tag::Model {
    fn from(t: TagJson) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
            description: t.description,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Deserialize)]
struct CategoryJson {
    id: i32,
    slug: String,
    name: String,
    description: Option<String>,
    parent_id: Option<i32>,
    position: i32,
    #[serde(deserialize_with = "time")]
    created_at: DateTime<Utc>,
    #[serde(deserialize_with = "time")]
    updated_at: DateTime<Utc>,
}

impl From<CategoryJson> for category::Model {
    fn from(c: CategoryJson) -> Self {
        Self {
            id: c.id,
            slug: c.slug,
            name: c.name,
            description: c.description,
            parent_id: c.parent_id,
            position: c.position,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Deserialize)]
struct SeriesJson {
    id: i32,
    slug: String,
    title: String,
    description: Option<String>,
    #[serde(deserialize_with = "time")]
    created_at: DateTime<Utc>,
    #[serde(deserialize_with = "time")]
    updated_at: DateTime<Utc>,
}

impl From<SeriesJson> for series::Model {
    fn from(s: SeriesJson) -> Self {
        Self {
            id: s.id,
            slug: s.slug,
            title: s.title,
            description: s.description,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A stored time as either database writes it into JSON: RFC 3339 (`2026-11-28T21:43:16.1+00:00`),
/// or SQLite text in the other forms its driver reads back (a space for the `T`, no offset
/// meaning UTC), which rows written by other tools may hold.
fn time<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse_time(&s).ok_or_else(|| serde::de::Error::custom(format!("not a time: {s}")))
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z") {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_read_back_in_every_stored_form() {
        let want = "2026-11-28T21:43:16.104740Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        for s in [
            "2026-11-28T21:43:16.104740+00:00",
            "2026-11-28T22:43:16.10474+01:00",
            "2026-11-28 21:43:16.104740+00:00",
            "2026-11-28 21:43:16.104740",
            "2026-11-28T21:43:16.104740",
        ] {
            assert_eq!(parse_time(s), Some(want), "{s}");
        }
        assert_eq!(parse_time("yesterday"), None);
    }
}
