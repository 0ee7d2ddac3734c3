//! Full-text search: FTS5 with bm25 on SQLite, a weighted tsvector with ts_rank on
//! PostgreSQL. Title weighs most, then excerpt, tags, body. The index is written in the same
//! transaction as the article. User text never reaches the query syntax unescaped, so
//! quotes, operators and FTS syntax cannot cause an error.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{Condition, ConnectionTrait, DbBackend};

use super::cursor::{Cursor, SortKey};
use super::groups::views_by_id;
use super::model::{ArticleView, Page};
use super::sql::{Sql, push_visible};
use super::{ArticleOrder, Content, ContentError, PageArgs, Result};

/// Marks around matched words in snippets, replaced by `<mark>` after the snippet text is
/// HTML-escaped (private-use characters, so they never occur in real text).
const MARK_START: char = '\u{E000}';
const MARK_END: char = '\u{E001}';

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub article: ArticleView,
    /// HTML-escaped text around the match, matched words in `<mark>`.
    pub snippet: String,
    pub score: f64,
}

/// An FTS5 query matching every word of `text` (AND), each quoted so nothing in it is syntax.
/// `None` when the text has no words at all.
pub fn fts5_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(32)
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

// Custom expressions take `$1` on PostgreSQL (where `?` is an operator) and `?` on SQLite
// (where `$1` would be a named parameter and upset the positional ones around it).

/// Articles matching `text`, as a condition on `articles`.
pub fn matches_condition(backend: DbBackend, text: &str) -> Condition {
    match backend {
        DbBackend::Postgres => Condition::all().add(Expr::cust_with_values(
            r#""articles"."id" IN (SELECT article_id FROM article_search WHERE document @@ websearch_to_tsquery('english', $1))"#,
            [text.to_string()],
        )),
        _ => match fts5_query(text) {
            Some(q) => Condition::all().add(Expr::cust_with_values(
                r#""articles"."id" IN (SELECT rowid FROM article_search WHERE article_search MATCH ?)"#,
                [q],
            )),
            None => Condition::all().add(Expr::cust("1 = 0")),
        },
    }
}

/// A relevance score for `articles` rows; higher is better.
pub fn score_expr(backend: DbBackend, text: &str) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            r#"ts_rank((SELECT document FROM article_search WHERE article_id = "articles"."id"), websearch_to_tsquery('english', $1))"#,
            [text.to_string()],
        ),
        _ => Expr::cust_with_values(
            r#"(SELECT -bm25(article_search, 10.0, 4.0, 2.0, 1.0) FROM article_search WHERE article_search MATCH ? AND rowid = "articles"."id")"#,
            [fts5_query(text).unwrap_or_else(|| "\"\"".into())],
        ),
    }
}

// An article's PostgreSQL document is its weighted parts in this order, `a` being its row:
// title and excerpt, tags (in the editor's order), body. Macros so that the statements
// below are whole at compile time.
macro_rules! document_head {
    () => {
        "setweight(to_tsvector('english', a.title), 'A') || setweight(to_tsvector('english', a.excerpt), 'B')"
    };
}
macro_rules! document_tags {
    () => {
        "setweight(to_tsvector('english', COALESCE((SELECT string_agg(t.name, ' ' ORDER BY at.position) \
         FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id), '')), 'C')"
    };
}
macro_rules! document_body {
    () => {
        "setweight(to_tsvector('english', a.plain_text), 'D')"
    };
}

/// SQLite's columns for the rows of `a`, in weight order: title, excerpt, tags (in the
/// editor's order), body.
const SQLITE_INSERT: &str = "INSERT INTO article_search (rowid, title, excerpt, tags, body) SELECT a.id, a.title, \
     a.excerpt, COALESCE((SELECT group_concat(name, ' ') FROM (SELECT t.name FROM article_tags at \
     JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id ORDER BY at.position)), ''), a.plain_text \
     FROM articles a";

/// Writes the index entry of each article from its current row and tags.
pub async fn index_articles(db: &impl ConnectionTrait, ids: &[i32]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    match backend {
        DbBackend::Postgres => {
            sql.push(concat!(
                "INSERT INTO article_search (article_id, document) SELECT a.id, ",
                document_head!(),
                " || ",
                document_tags!(),
                " || ",
                document_body!(),
                " FROM articles a WHERE a.id IN "
            ))
            .bind_list(ids.iter().copied())
            .push(" ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document");
            db.execute_raw(sql.build()).await?;
        }
        _ => {
            sql.push("DELETE FROM article_search WHERE rowid IN ").bind_list(ids.iter().copied());
            db.execute_raw(sql.build()).await?;
            let mut sql = Sql::new(backend);
            sql.push(SQLITE_INSERT).push(" WHERE a.id IN ").bind_list(ids.iter().copied());
            db.execute_raw(sql.build()).await?;
        }
    }
    Ok(())
}

/// Writes every article's index entry anew: a bulk load's or a restore's path, only in a
/// transaction (its temporary table lasts until the commit). On PostgreSQL `to_tsvector`
/// was most of seeding 100k articles, on one core. Here parallel workers compute the title
/// and body parts: a `CREATE TABLE … AS` may run its query in parallel (an `INSERT …
/// SELECT` never does), as long as no subquery sits in the expression (the planner then
/// computes all of it above the workers), so the tags' part, a few words, is added after.
pub async fn index_all(db: &super::WriteTxn) -> Result<()> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            for statement in [
                "DELETE FROM article_search",
                // Rows a bulk load just wrote have no statistics yet: without them the tags'
                // part below walked the link index again for each article (still running after
                // minutes at 100k, where the whole seed now takes under three).
                "ANALYZE article_tags, tags",
                // Cheap enough to always pick the parallel plan.
                "SET LOCAL parallel_setup_cost = 0",
                "SET LOCAL parallel_tuple_cost = 0",
                "SET LOCAL min_parallel_table_scan_size = 0",
                concat!(
                    "CREATE TEMPORARY TABLE search_parts ON COMMIT DROP AS SELECT a.id, ",
                    document_head!(),
                    " AS head, ",
                    document_body!(),
                    " AS body FROM articles a"
                ),
                concat!(
                    "INSERT INTO article_search (article_id, document) SELECT a.id, a.head || ",
                    document_tags!(),
                    " || a.body FROM search_parts a"
                ),
                "DROP TABLE search_parts",
                // The rest of the transaction plans as usual.
                "SET LOCAL parallel_setup_cost TO DEFAULT",
                "SET LOCAL parallel_tuple_cost TO DEFAULT",
                "SET LOCAL min_parallel_table_scan_size TO DEFAULT",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        _ => {
            db.execute_unprepared("DELETE FROM article_search").await?;
            db.execute_unprepared(SQLITE_INSERT).await?;
        }
    }
    Ok(())
}

/// Escapes the snippet's text and turns the match marks into `<mark>` elements.
fn snippet_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            c => out.push(c),
        }
    }
    out
}

impl Content {
    /// Published articles matching `text`, best first. Pages by offset (scores are
    /// recomputed per query, so there is no stable key to seek to).
    pub async fn search(&self, text: &str, page: &PageArgs) -> Result<Page<SearchHit>> {
        let (size, after) = page.forward_only(ArticleOrder::Relevance)?;
        let offset = match after.map(|c| c.key) {
            Some(SortKey::Int(n)) if n >= 0 => n,
            Some(_) => return Err(ContentError::field(page.names.after, "is not a valid cursor for this list")),
            None => 0,
        };
        let cleaned = super::articles::clean_search(text);
        let text = cleaned.as_str();
        let empty = Page { items: Vec::new(), has_next_page: false, has_previous_page: offset > 0, total: 0 };
        if text.chars().count() > 500 {
            return Err(ContentError::field("query", "must be at most 500 characters"));
        }
        let db = self.db();
        let backend = db.get_database_backend();
        let now = self.now();
        // Snippets, which re-read each document, are made for the page's rows only.
        let mut hits: Vec<(i32, f64, String)> = Vec::new();
        let mut total: Option<i64> = None;
        match backend {
            DbBackend::Postgres => {
                let mut sql = Sql::new(backend);
                sql.push("SELECT x.id AS id, x.score AS score, x.total AS total, ts_headline('english', a.plain_text, x.q, ")
                    .bind(format!(
                        "StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…"
                    ))
                    .push(
                        ") AS snippet FROM (SELECT a.id AS id, q, ts_rank(s.document, q) AS score, COUNT(*) OVER () AS total \
                         FROM article_search s JOIN articles a ON a.id = s.article_id, websearch_to_tsquery('english', ",
                    )
                    .bind(text.to_string())
                    .push(") q WHERE s.document @@ q AND ");
                push_visible(&mut sql, "a", now);
                sql.push(" ORDER BY score DESC, a.id DESC LIMIT ")
                    .bind(size as i64 + 1)
                    .push(" OFFSET ")
                    .bind(offset)
                    .push(") x JOIN articles a ON a.id = x.id ORDER BY x.score DESC, x.id DESC");
                for r in db.query_all_raw(sql.build()).await? {
                    total = Some(r.try_get("", "total")?);
                    let score = r.try_get::<f32>("", "score")? as f64;
                    hits.push((r.try_get("", "id")?, score, r.try_get("", "snippet")?));
                }
            }
            _ => {
                let Some(q) = fts5_query(text) else { return Ok(empty) };
                // Ranked and limited by SQLite: every row a statement returns crosses a channel
                // from sqlx's SQLite thread, so sorting thousands of matches here cost more
                // than counting them a second time. (FTS5's functions refuse to run beside
                // a window function, so the count is its own statement.)
                let mut sql = Sql::new(backend);
                sql.push(
                    "SELECT a.id AS id, -bm25(article_search, 10.0, 4.0, 2.0, 1.0) AS score \
                     FROM article_search JOIN articles a ON a.id = article_search.rowid WHERE article_search MATCH ",
                )
                .bind(q.clone())
                .push(" AND ");
                push_visible(&mut sql, "a", now);
                sql.push(" ORDER BY score DESC, a.id DESC LIMIT ").bind(size as i64 + 1).push(" OFFSET ").bind(offset);
                total = Some(self.search_count(text).await?);
                let mut ranked: Vec<(i32, f64)> = Vec::new();
                for r in db.query_all_raw(sql.build()).await? {
                    ranked.push((r.try_get("", "id")?, r.try_get("", "score")?));
                }
                let mut snippets: HashMap<i32, String> = HashMap::new();
                if !ranked.is_empty() {
                    let mut sql = Sql::new(backend);
                    sql.push("SELECT rowid AS id, snippet(article_search, -1, ")
                        .bind(MARK_START.to_string())
                        .push(", ")
                        .bind(MARK_END.to_string())
                        .push(", '…', 16) AS snippet FROM article_search WHERE article_search MATCH ")
                        .bind(q.clone())
                        .push(" AND rowid IN ")
                        .bind_list(ranked.iter().map(|(id, _)| *id));
                    for r in db.query_all_raw(sql.build()).await? {
                        snippets.insert(r.try_get("", "id")?, r.try_get("", "snippet")?);
                    }
                }
                hits = ranked
                    .into_iter()
                    .map(|(id, score)| (id, score, snippets.remove(&id).unwrap_or_default()))
                    .collect();
            }
        }
        // A page past the end has no rows to carry the count; count them alone then.
        let total = match total {
            Some(n) => n,
            None if offset == 0 => 0,
            None => self.search_count(text).await?,
        };
        let more = hits.len() as u64 > size;
        hits.truncate(size as usize);
        let views = views_by_id(db, hits.iter().map(|(id, _, _)| *id)).await?;
        let items = hits
            .into_iter()
            .enumerate()
            .filter_map(|(i, (id, score, snippet))| {
                let article = views.get(&id)?.clone();
                let c = Cursor {
                    order: ArticleOrder::Relevance.code().into(),
                    key: SortKey::Int(offset + i as i64 + 1),
                    id,
                };
                Some((c.encode(), SearchHit { article, snippet: snippet_html(&snippet), score }))
            })
            .collect();
        Ok(Page { items, has_next_page: more, has_previous_page: offset > 0, total: total as u64 })
    }
}

impl Content {
    /// How many published articles match `text`.
    async fn search_count(&self, text: &str) -> Result<i64> {
        let db = self.db();
        let backend = db.get_database_backend();
        let mut sql = Sql::new(backend);
        match backend {
            DbBackend::Postgres => {
                sql.push(
                    "SELECT COUNT(*) AS n FROM article_search s JOIN articles a ON a.id = s.article_id \
                     WHERE s.document @@ websearch_to_tsquery('english', ",
                )
                .bind(text.to_string())
                .push(") AND ");
            }
            _ => {
                let Some(q) = fts5_query(text) else { return Ok(0) };
                sql.push(
                    "SELECT COUNT(*) AS n FROM article_search JOIN articles a ON a.id = article_search.rowid \
                     WHERE article_search MATCH ",
                )
                .bind(q)
                .push(" AND ");
            }
        }
        push_visible(&mut sql, "a", self.now());
        Ok(db.query_one_raw(sql.build()).await?.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_never_becomes_syntax() {
        assert_eq!(fts5_query("rust async").as_deref(), Some("\"rust\" \"async\""));
        assert_eq!(
            fts5_query("\"unbalanced AND (NOT* title:x) OR -y ^z").as_deref(),
            Some("\"unbalanced\" \"AND\" \"NOT\" \"title\" \"x\" \"OR\" \"y\" \"z\"")
        );
        assert_eq!(fts5_query("  ** \" () "), None);
        assert_eq!(fts5_query("C# Node.js"), Some("\"C\" \"Node\" \"js\"".into()));
    }

    #[test]
    fn snippets_are_escaped_around_marks() {
        let raw = format!("a <script> {MARK_START}rust{MARK_END} & \"b\"");
        assert_eq!(snippet_html(&raw), "a &lt;script&gt; <mark>rust</mark> &amp; &quot;b&quot;");
    }
}
