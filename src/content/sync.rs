//! Delta sync for mobile clients and static builds. Without a token: every published
//! article, page by page, then a token for "since now". With a token: the articles whose
//! public form changed since (`items`, their current form) and the ids of those that left
//! public view (`deleted`), from the change log (`changes`).
//!
//! Tokens are opaque to clients. The first walk pins the change log's horizon when it
//! starts, so whatever changes while a client pages through it comes in the first delta.

use base64::Engine;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::articles::{PAGE_MAX, load_views};
use super::changes::{self, Subject};
use super::model::is_public;
use super::sql::Sql;
use super::{ArticleView, Content, ContentError, Result};
use crate::entities::article;

/// Items per page when the client does not say.
pub const SYNC_PAGE_DEFAULT: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Walking every published article by id, past `after`; deltas start at `horizon`.
    Initial { after: i32, horizon: i32 },
    /// Changes after event `since`.
    Delta { since: i32 },
}

impl Token {
    fn encode(self) -> String {
        let raw = match self {
            Token::Initial { after, horizon } => format!("s1:i:{after}:{horizon}"),
            Token::Delta { since } => format!("s1:d:{since}"),
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(raw: &str) -> Option<Token> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let number = |s: &str| s.parse::<i32>().ok().filter(|n| *n >= 0);
        match text.split(':').collect::<Vec<_>>().as_slice() {
            ["s1", "i", after, horizon] => Some(Token::Initial { after: number(after)?, horizon: number(horizon)? }),
            ["s1", "d", since] => Some(Token::Delta { since: number(since)? }),
            _ => None,
        }
    }
}

/// The token that resumes sync after change-log event `since` (what live updates carry).
pub fn delta_token(since: i32) -> String {
    Token::Delta { since }.encode()
}

/// The change-log event a delta token resumes after; `None` for anything else (an initial
/// walk's token, or no token of ours).
pub fn delta_since(token: &str) -> Option<i32> {
    match Token::decode(token)? {
        Token::Delta { since } => Some(since),
        Token::Initial { .. } => None,
    }
}

/// What to ask for; `names` are the parameters as the client spelled them, for errors.
#[derive(Debug, Clone, Default)]
pub struct SyncArgs {
    pub token: Option<String>,
    pub limit: Option<i64>,
    pub names: SyncArgNames,
}

#[derive(Debug, Clone, Copy)]
pub struct SyncArgNames {
    pub token: &'static str,
    pub limit: &'static str,
}

impl Default for SyncArgNames {
    fn default() -> Self {
        SyncArgNames { token: "token", limit: "limit" }
    }
}

#[derive(Debug, Clone)]
pub struct SyncPage {
    /// Published articles (with their text), in change order.
    pub items: Vec<ArticleView>,
    /// Ids of articles that left public view (unpublished, archived, trashed, purged).
    pub deleted: Vec<i32>,
    /// Ask with this next: for the next page while `has_more`, else for later changes.
    pub next_token: String,
    pub has_more: bool,
}

impl Content {
    pub async fn sync(&self, args: &SyncArgs) -> Result<SyncPage> {
        let size = match args.limit {
            None => SYNC_PAGE_DEFAULT,
            Some(n) if (1..=PAGE_MAX as i64).contains(&n) => n as u64,
            Some(_) => return Err(ContentError::field(args.names.limit, format!("must be between 1 and {PAGE_MAX}"))),
        };
        let token = match args.token.as_deref().filter(|t| !t.trim().is_empty()) {
            None => Token::Initial { after: 0, horizon: changes::horizon(self.db()).await? },
            Some(raw) => Token::decode(raw).ok_or_else(|| {
                ContentError::field(args.names.token, "is not a sync token from this server; start again without one")
            })?,
        };
        match token {
            Token::Initial { after, horizon } => self.sync_walk(after, horizon, size).await,
            Token::Delta { since } => self.sync_delta(since, size).await,
        }
    }

    async fn sync_walk(&self, after: i32, horizon: i32, size: u64) -> Result<SyncPage> {
        let rows = article::Entity::find()
            .filter(article::Column::ListedAt.lte(self.now()))
            .filter(article::Column::Id.gt(after))
            .order_by_asc(article::Column::Id)
            .limit(size + 1)
            .all(self.db())
            .await?;
        let has_more = rows.len() as u64 > size;
        let rows: Vec<article::Model> = rows.into_iter().take(size as usize).collect();
        let next_token = match (has_more, rows.last()) {
            (true, Some(last)) => Token::Initial { after: last.id, horizon },
            _ => Token::Delta { since: horizon },
        };
        let items = load_views(self.db(), rows).await?;
        Ok(SyncPage { items, deleted: Vec::new(), next_token: next_token.encode(), has_more })
    }

    async fn sync_delta(&self, since: i32, size: u64) -> Result<SyncPage> {
        let db = self.db();
        // Everything up to here is committed and will be seen by the read below.
        let horizon = changes::horizon(db).await?;
        let mut sql = Sql::new(db.get_database_backend());
        sql.push("SELECT subject_id, MAX(id) AS last FROM events WHERE subject = ")
            .bind(Subject::Article.as_str())
            .push(" AND id > ")
            .bind(since)
            .push(" GROUP BY subject_id ORDER BY last LIMIT ")
            .bind(size as i64 + 1);
        let mut changed: Vec<(i32, i32)> = Vec::new();
        for row in db.query_all_raw(sql.build()).await? {
            changed.push((row.try_get("", "subject_id")?, row.try_get("", "last")?));
        }
        let has_more = changed.len() as u64 > size;
        changed.truncate(size as usize);
        let ids: Vec<i32> = changed.iter().map(|(id, _)| *id).collect();
        let rows = article::Entity::find().filter(article::Column::Id.is_in(ids.clone())).all(db).await?;
        let now = self.now();
        let mut by_id: std::collections::HashMap<i32, article::Model> =
            rows.into_iter().filter(|r| is_public(r, now)).map(|r| (r.id, r)).collect();
        let mut public = Vec::new();
        let mut deleted = Vec::new();
        for id in ids {
            match by_id.remove(&id) {
                Some(row) => public.push(row),
                None => deleted.push(id),
            }
        }
        let next = match (has_more, changed.last()) {
            (true, Some((_, last))) => *last,
            (_, last) => last.map(|(_, l)| *l).unwrap_or(since).max(horizon).max(since),
        };
        let items: Vec<ArticleView> = load_views(db, public).await?;
        Ok(SyncPage { items, deleted, next_token: Token::Delta { since: next }.encode(), has_more })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_anything_else() {
        for t in [
            Token::Initial { after: 0, horizon: 0 },
            Token::Initial { after: 7, horizon: 99 },
            Token::Delta { since: 5 },
        ] {
            assert_eq!(Token::decode(&t.encode()), Some(t));
        }
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("s1:d:-4");
        for bad in ["", "x", "czE6ZDo", &forged, "s1:d:5", "%%%"] {
            assert_eq!(Token::decode(bad), None, "{bad}");
        }
    }
}
