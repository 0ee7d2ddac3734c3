//! Live updates: what was committed, told to whoever is listening in this process, for
//! GraphQL subscriptions. Two logs feed it, both written in the transaction of each change,
//! so nothing committed goes untold and nothing rolled back is told:
//! - `events` (the change log that sync and webhooks read): what readers saw change. Its
//!   ids are committed in order, so reading past the last id seen misses nothing, and an
//!   event's id is a sync token a client can catch up from.
//! - `article_revisions`: every saved version, drafts included, for the editors of an
//!   article. Never told to the public.
//!
//! One pump per process reads new rows when woken (PostgreSQL: `NOTIFY colophon_live` from
//! any instance; SQLite: a short poll, which also hears `colophon import` running beside
//! the server) and fans them out through broadcast channels. It starts with the first
//! subscriber and reads nothing while nobody listens.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::{Notify, OnceCell, broadcast};

use super::articles::{load_views, not_found, parse_id};
use super::changes::names;
use super::{ArticleView, Content, ContentError, Result, Viewer};
use crate::entities::{article, article_revision, event};

/// What happened to an article, as readers saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Published,
    Updated,
    Unpublished,
    Deleted,
}

impl ChangeKind {
    fn of_event(name: &str) -> Option<ChangeKind> {
        Some(match name {
            names::ARTICLE_PUBLISHED => ChangeKind::Published,
            names::ARTICLE_UPDATED => ChangeKind::Updated,
            names::ARTICLE_UNPUBLISHED => ChangeKind::Unpublished,
            names::ARTICLE_DELETED => ChangeKind::Deleted,
            _ => return None,
        })
    }
}

/// One public change to an article.
#[derive(Debug)]
pub struct PublicChange {
    /// The change log's id: after it, `sync` resumes with [`PublicChange::sync_token`].
    pub event_id: i32,
    pub kind: ChangeKind,
    pub article_id: i32,
    /// Null when the article has been purged since.
    pub slug: Option<String>,
    pub at: DateTime<Utc>,
    /// The article as readers see it now; `None` when they no longer see it.
    pub article: Option<ArticleView>,
}

impl PublicChange {
    pub fn sync_token(&self) -> String {
        super::sync::delta_token(self.event_id)
    }
}

/// One saved version of an article, for those who may edit it.
#[derive(Debug)]
pub struct ArticleEdit {
    pub article_id: i32,
    /// The article's author (their account id), for authorizing authors.
    pub author_id: Option<i32>,
    pub version: i32,
    /// Who saved it (the token's subject, as revisions name it).
    pub editor: String,
    pub at: DateTime<Utc>,
    /// The fields this version changed, by their GraphQL names, in a fixed order.
    pub fields: Vec<&'static str>,
    /// This version moved the article to the trash.
    pub trashed: bool,
}

/// Revisions newer than this and not yet seen are waited for (PostgreSQL commits ids out
/// of order across articles); a gap older than this was a rolled-back insert.
const GAP_WAIT: Duration = Duration::from_secs(10);
/// Rows read per query.
const BATCH: u64 = 200;

/// The hub: broadcast channels and the pump that feeds them. Cheap to clone.
#[derive(Clone)]
pub struct Live(Arc<Inner>);

struct Inner {
    public: broadcast::Sender<Arc<PublicChange>>,
    edits: broadcast::Sender<Arc<ArticleEdit>>,
    pump: OnceCell<()>,
    /// Rings when something may have been committed: a write through this process, or
    /// (PostgreSQL) a notification from any instance.
    wake: Notify,
    /// How often SQLite's logs are read while someone listens.
    poll: Duration,
}

impl Live {
    /// `backlog`: changes kept for a subscriber that has not taken them yet; one that falls
    /// further behind is told it missed some, and ends.
    pub fn new(backlog: usize, poll: Duration) -> Self {
        let backlog = backlog.max(1);
        Live(Arc::new(Inner {
            public: broadcast::channel(backlog).0,
            edits: broadcast::channel(backlog).0,
            pump: OnceCell::new(),
            wake: Notify::new(),
            poll,
        }))
    }

    /// Public changes from now on.
    pub async fn public_changes(&self, content: &Content) -> broadcast::Receiver<Arc<PublicChange>> {
        // Started first: its cursors then stand before anything committed after this.
        self.start(content).await;
        self.0.public.subscribe()
    }

    /// Saved versions from now on (authorize each before passing it on).
    pub async fn edits(&self, content: &Content) -> broadcast::Receiver<Arc<ArticleEdit>> {
        self.start(content).await;
        self.0.edits.subscribe()
    }

    /// Starts the pump once, from what is committed now: whatever commits after the first
    /// subscriber subscribed is told.
    async fn start(&self, content: &Content) {
        self.0
            .pump
            .get_or_init(|| async {
                let mut events = Cursor::default();
                let mut revisions = RevisionCursor::default();
                for _ in 0..3 {
                    match (events.skip_to_now(content).await, revisions.skip_to_now(content).await) {
                        (Ok(()), Ok(())) => break,
                        (Err(e), _) | (_, Err(e)) => {
                            tracing::warn!(error = %e, "live updates: cannot read the change logs");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
                let hub = self.clone();
                let content = content.clone();
                tokio::spawn(async move { hub.pump(content, events, revisions).await });
            })
            .await;
    }

    /// Something was written through this process: read the logs now rather than at the
    /// next poll.
    pub fn wake(&self) {
        if self.0.pump.initialized() {
            self.0.wake.notify_one();
        }
    }

    fn listened(&self) -> (bool, bool) {
        (self.0.public.receiver_count() > 0, self.0.edits.receiver_count() > 0)
    }

    async fn pump(self, content: Content, mut events: Cursor, mut revisions: RevisionCursor) {
        let poll = if content.db().get_database_backend() == DbBackend::Postgres {
            listen(&content, self.clone());
            // Notifications are the signal; this only bounds the wait if one is lost.
            Duration::from_secs(2)
        } else {
            self.0.poll
        };
        loop {
            let (public, edits) = self.listened();
            // While nobody listens, the cursors only keep up with the logs (one short query
            // each), so a subscriber who comes is told everything after it came.
            let read = async {
                if public {
                    self.read_events(&content, &mut events).await?;
                } else {
                    let mut now = Cursor::default();
                    now.skip_to_now(&content).await?;
                    // Someone who subscribed meanwhile may be owed what was just skipped.
                    if !self.listened().0 {
                        events = now;
                    }
                }
                if edits {
                    self.read_revisions(&content, &mut revisions).await?;
                } else {
                    let mut now = RevisionCursor::default();
                    now.skip_to_now(&content).await?;
                    if !self.listened().1 {
                        revisions = now;
                    }
                }
                Ok::<(), super::ContentError>(())
            };
            if let Err(e) = read.await {
                tracing::warn!(error = %e, "live updates: cannot read the change logs; retrying");
            }
            tokio::select! {
                _ = self.0.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    async fn read_events(&self, content: &Content, cursor: &mut Cursor) -> Result<()> {
        let db = content.db();
        let mut last = cursor.last;
        loop {
            let rows = event::Entity::find()
                .filter(event::Column::Id.gt(last))
                .order_by_asc(event::Column::Id)
                .limit(BATCH)
                .all(db)
                .await?;
            let Some(newest) = rows.last().map(|r| r.id) else { break };
            let full = rows.len() as u64 == BATCH;
            let articles: Vec<(event::Model, ChangeKind)> = rows
                .into_iter()
                .filter(|r| r.subject == super::changes::Subject::Article.as_str())
                .filter_map(|r| ChangeKind::of_event(&r.event).map(|k| (r, k)))
                .collect();
            if !articles.is_empty() {
                self.tell_events(content, articles).await?;
            }
            last = newest;
            cursor.last = last;
            if !full {
                break;
            }
        }
        Ok(())
    }

    async fn tell_events(&self, content: &Content, rows: Vec<(event::Model, ChangeKind)>) -> Result<()> {
        let db = content.db();
        let mut ids: Vec<i32> = rows.iter().map(|(r, _)| r.subject_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let found = article::Entity::find().filter(article::Column::Id.is_in(ids)).all(db).await?;
        let slugs: HashMap<i32, String> = found.iter().map(|a| (a.id, a.slug.clone())).collect();
        let now = super::now();
        let public: Vec<article::Model> = found.into_iter().filter(|a| super::model::is_public(a, now)).collect();
        let views: HashMap<i32, ArticleView> =
            load_views(db, public).await?.into_iter().map(|v| (v.row.id, v)).collect();
        for (row, kind) in rows {
            let change = PublicChange {
                event_id: row.id,
                kind,
                article_id: row.subject_id,
                slug: slugs.get(&row.subject_id).cloned(),
                at: row.occurred_at,
                // The article as it is now: one left public view since is not shown.
                article: match kind {
                    ChangeKind::Published | ChangeKind::Updated => views.get(&row.subject_id).cloned(),
                    ChangeKind::Unpublished | ChangeKind::Deleted => None,
                },
            };
            // No receiver left is not an error: they went away.
            let _ = self.0.public.send(Arc::new(change));
        }
        Ok(())
    }

    async fn read_revisions(&self, content: &Content, cursor: &mut RevisionCursor) -> Result<()> {
        let db = content.db();
        let mut last = cursor.last;
        let now = Instant::now();
        cursor.gaps.retain(|_, since| now.duration_since(*since) < GAP_WAIT);
        loop {
            let gaps: Vec<i32> = cursor.gaps.keys().copied().collect();
            let rows = article_revision::Entity::find()
                .filter(article_revision::Column::Id.gt(last).or(article_revision::Column::Id.is_in(gaps)))
                .order_by_asc(article_revision::Column::Id)
                .limit(BATCH)
                .all(db)
                .await?;
            if rows.is_empty() {
                break;
            }
            let full = rows.len() as u64 == BATCH;
            for row in &rows {
                cursor.gaps.remove(&row.id);
                if row.id > last {
                    // Ids skipped on the way may still commit.
                    for missing in (last + 1)..row.id {
                        if cursor.gaps.len() < 1000 {
                            cursor.gaps.insert(missing, now);
                        }
                    }
                    last = row.id;
                }
            }
            cursor.last = last;
            self.tell_edits(content, rows).await?;
            if !full {
                break;
            }
        }
        Ok(())
    }

    async fn tell_edits(&self, content: &Content, rows: Vec<article_revision::Model>) -> Result<()> {
        let db = content.db();
        let ids: Vec<i32> = rows.iter().map(|r| r.article_id).collect();
        let authors: HashMap<i32, Option<i32>> = article::Entity::find()
            .select_only()
            .column(article::Column::Id)
            .column(article::Column::AuthorId)
            .filter(article::Column::Id.is_in(ids))
            .into_tuple::<(i32, Option<i32>)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for row in rows {
            let Some(author_id) = authors.get(&row.article_id).copied() else { continue }; // purged
            // The version before, to say what changed (versions may skip a number).
            let before = article_revision::Entity::find()
                .filter(article_revision::Column::ArticleId.eq(row.article_id))
                .filter(article_revision::Column::Version.lt(row.version))
                .order_by_desc(article_revision::Column::Version)
                .one(db)
                .await?;
            let after: serde_json::Value = serde_json::from_str(&row.snapshot).unwrap_or_default();
            let before: Option<serde_json::Value> = before.and_then(|b| serde_json::from_str(&b.snapshot).ok());
            let edit = ArticleEdit {
                article_id: row.article_id,
                author_id,
                version: row.version,
                editor: row.editor,
                at: row.created_at,
                fields: changed_fields(before.as_ref(), &after),
                trashed: after.get("trashed").and_then(|t| t.as_bool()).unwrap_or(false),
            };
            let _ = self.0.edits.send(Arc::new(edit));
        }
        Ok(())
    }
}

impl Content {
    /// Whether `viewer` may follow the saves of article `id` (`articleEdited`): editors and
    /// admins any article, authors their own, as their account is now. Its id if so.
    pub async fn watch_edits(&self, viewer: &Viewer, id: &str) -> Result<i32> {
        let viewer = self.authenticate(viewer.clone()).await?;
        viewer.require_writer()?;
        let article_id = parse_id(id).ok_or_else(|| not_found(id))?;
        let row = article::Entity::find_by_id(article_id).one(self.db()).await?.ok_or_else(|| not_found(id))?;
        self.may_watch_edits(&viewer, row.author_id).await?;
        Ok(article_id)
    }

    /// [`Content::watch_edits`] again, at each save: the account may have changed since.
    pub async fn may_watch_edits(&self, viewer: &Viewer, author_id: Option<i32>) -> Result<()> {
        let viewer = self.authenticate(viewer.clone()).await?;
        let principal = viewer.require_writer()?;
        if principal.role >= super::Role::Editor {
            return Ok(());
        }
        let me = super::users::find_user(self.db(), &principal.subject).await?;
        match (me, author_id) {
            (Some(me), Some(author)) if me.id == author => Ok(()),
            _ => Err(ContentError::Forbidden("authors may follow the saves of their own articles only".into())),
        }
    }
}

#[derive(Default)]
struct Cursor {
    /// The last event id read.
    last: i32,
}

impl Cursor {
    async fn skip_to_now(&mut self, content: &Content) -> Result<()> {
        self.last = super::changes::horizon(content.db()).await?;
        Ok(())
    }
}

#[derive(Default)]
struct RevisionCursor {
    last: i32,
    /// Ids below `last` not seen yet, and since when they are missing.
    gaps: BTreeMap<i32, Instant>,
}

impl RevisionCursor {
    async fn skip_to_now(&mut self, content: &Content) -> Result<()> {
        let max: Option<Option<i32>> = article_revision::Entity::find()
            .select_only()
            .column_as(article_revision::Column::Id.max(), "max")
            .into_tuple()
            .one(content.db())
            .await?;
        self.last = max.flatten().unwrap_or(0);
        self.gaps.clear();
        Ok(())
    }
}

/// A revision snapshot's keys, by the name of the field clients know them by.
const FIELDS: &[(&str, &str)] = &[
    ("title", "title"),
    ("slug", "slug"),
    ("body", "body"),
    ("excerpt", "customExcerpt"),
    ("status", "status"),
    ("published_at", "publishedAt"),
    ("tags", "tags"),
    ("category_id", "category"),
    ("series_id", "series"),
    ("series_part", "seriesPart"),
    ("cover_image_url", "coverImageUrl"),
    ("canonical_url", "canonicalUrl"),
    ("seo_title", "seoTitle"),
    ("seo_description", "seoDescription"),
    ("trashed", "trashed"),
];

/// The fields that differ between two snapshots; every field of the first version.
pub fn changed_fields(before: Option<&serde_json::Value>, after: &serde_json::Value) -> Vec<&'static str> {
    let null = serde_json::Value::Null;
    // Set: not null, and not `false` (a snapshot from before `trashed` was recorded has none).
    fn set(v: Option<&serde_json::Value>) -> bool {
        v.is_some_and(|v| !v.is_null() && v.as_bool() != Some(false))
    }
    FIELDS
        .iter()
        .filter(|(key, _)| match before {
            None => *key != "trashed" || set(after.get(*key)),
            Some(before) => {
                let (b, a) = (before.get(*key).unwrap_or(&null), after.get(*key).unwrap_or(&null));
                if *key == "trashed" { set(Some(b)) != set(Some(a)) } else { b != a }
            }
        })
        .map(|(_, name)| *name)
        .collect()
}

/// On PostgreSQL: wakes the pump whenever any instance commits to either log.
fn listen(content: &Content, hub: Live) {
    let pool = content.db().get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        loop {
            let listening = match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut listener) => listener.listen(migration::LIVE_CHANNEL).await.map(|()| listener),
                Err(e) => Err(e),
            };
            match listening {
                Ok(mut listener) => {
                    hub.0.wake.notify_one(); // anything committed while not listening
                    while listener.recv().await.is_ok() {
                        hub.0.wake.notify_one();
                    }
                    tracing::warn!("live updates: lost the LISTEN connection; polling until it is back");
                }
                Err(e) => tracing::warn!(error = %e, "live updates: cannot LISTEN; polling"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_fields_name_what_differs() {
        let v1 = json!({ "title": "A", "body": "x", "tags": ["a"], "excerpt": null, "status": "draft" });
        let v2 = json!({ "title": "A", "body": "y", "tags": ["a", "b"], "excerpt": null, "status": "draft" });
        assert_eq!(changed_fields(Some(&v1), &v2), vec!["body", "tags"]);
        let trashed = json!({ "title": "A", "body": "y", "tags": ["a", "b"], "status": "draft", "trashed": true });
        assert_eq!(changed_fields(Some(&v2), &trashed), vec!["trashed"]);
        // Nothing before: every field but an absent trash mark.
        assert!(!changed_fields(None, &v1).contains(&"trashed"));
        assert!(changed_fields(None, &v1).contains(&"title"));
    }
}
