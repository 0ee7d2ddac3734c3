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
//! subscriber; while nobody listens it only keeps its place in the logs.

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
    pub async fn public_changes(&self, content: &Content) -> Result<broadcast::Receiver<Arc<PublicChange>>> {
        // Started first: its cursors then stand before anything committed after this.
        self.start(content).await?;
        Ok(self.0.public.subscribe())
    }

    /// Saved versions from now on (authorize each before passing it on).
    pub async fn edits(&self, content: &Content) -> Result<broadcast::Receiver<Arc<ArticleEdit>>> {
        self.start(content).await?;
        Ok(self.0.edits.subscribe())
    }

    /// Starts the pump once, from what is committed now: whatever commits after the first
    /// subscriber subscribed is told. If the logs cannot be read, the subscription fails
    /// (and the next one tries again) rather than the pump starting from nowhere.
    async fn start(&self, content: &Content) -> Result<()> {
        self.0
            .pump
            .get_or_try_init(|| async {
                let events = Cursor::now(content).await?;
                let revisions = RevisionCursor::now(content).await?;
                let hub = self.clone();
                let content = content.clone();
                tokio::spawn(hub.supervise(content, events, revisions));
                Ok::<(), ContentError>(())
            })
            .await
            .map(|_| ())
    }

    /// Runs the pump, and again should it ever panic (from the logs as they are then).
    async fn supervise(self, content: Content, mut events: Cursor, mut revisions: RevisionCursor) {
        if content.db().get_database_backend() == DbBackend::Postgres {
            listen(&content, self.clone());
        }
        loop {
            let pump = tokio::spawn(self.clone().pump(content.clone(), events, revisions));
            if let Err(e) = pump.await {
                tracing::error!(error = %e, "live updates: the pump stopped; starting it again");
            }
            loop {
                match (Cursor::now(&content).await, RevisionCursor::now(&content).await) {
                    (Ok(e), Ok(r)) => {
                        (events, revisions) = (e, r);
                        break;
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        tracing::warn!(error = %e, "live updates: cannot read the change logs");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }
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
        let postgres = content.db().get_database_backend() == DbBackend::Postgres;
        // PostgreSQL's notifications are the signal; the poll only bounds a lost one.
        let poll = if postgres { Duration::from_secs(2) } else { self.0.poll };
        loop {
            let (public, edits) = self.listened();
            // While nobody listens, the event cursor only keeps up with the log (one short
            // query), so a subscriber who comes is told everything after it came. Each log
            // is read on its own: one that fails does not hold up the other.
            let read_events = async {
                if public {
                    return self.read_events(&content, &mut events).await;
                }
                let now = Cursor::now(&content).await?;
                // Someone who subscribed meanwhile may be owed what was just skipped.
                if !self.listened().0 {
                    events = now;
                }
                Ok(())
            };
            if let Err(e) = read_events.await {
                tracing::warn!(error = %e, "live updates: cannot read the change log; retrying");
            }
            // Revisions are read (ids only) even while nobody listens: on PostgreSQL their
            // ids commit out of order, and only following them all the time keeps track of
            // the gaps a later subscriber is owed. (SQLite commits in order: skip ahead.)
            let read_revisions = async {
                if edits || postgres {
                    return self.read_revisions(&content, &mut revisions, edits).await;
                }
                let now = RevisionCursor::now(&content).await?;
                if !self.listened().1 {
                    revisions = now;
                }
                Ok(())
            };
            if let Err(e) = read_revisions.await {
                tracing::warn!(error = %e, "live updates: cannot read the revisions; retrying");
            }
            tokio::select! {
                _ = self.0.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    async fn read_events(&self, content: &Content, cursor: &mut Cursor) -> Result<()> {
        let db = content.db();
        loop {
            let rows = event::Entity::find()
                .filter(event::Column::Id.gt(cursor.last))
                .order_by_asc(event::Column::Id)
                .limit(BATCH)
                .all(db)
                .await?;
            let Some(newest) = rows.last().map(|r| r.id) else { break };
            let full = rows.len() as u64 == BATCH;
            let changes = public_changes(content, rows).await?;
            for change in changes {
                // No receiver left is not an error: they went away.
                let _ = self.0.public.send(Arc::new(change));
            }
            // Only once told: a read that failed is read again.
            cursor.last = newest;
            if !full {
                break;
            }
        }
        Ok(())
    }

    /// New revisions past the cursor (and any of its gaps that have committed since); told
    /// to subscribers when `tell`.
    async fn read_revisions(&self, content: &Content, cursor: &mut RevisionCursor, tell: bool) -> Result<()> {
        let db = content.db();
        let now = Instant::now();
        cursor.gaps.retain(|_, since| now.duration_since(*since) < GAP_WAIT);
        loop {
            let gaps: Vec<i32> = cursor.gaps.keys().copied().collect();
            let found = article_revision::Entity::find()
                .filter(article_revision::Column::Id.gt(cursor.last).or(article_revision::Column::Id.is_in(gaps)))
                .order_by_asc(article_revision::Column::Id);
            let rows = if tell {
                found.limit(BATCH).all(db).await?
            } else {
                // Ids are all it needs to keep track.
                let ids: Vec<i32> =
                    found.select_only().column(article_revision::Column::Id).limit(BATCH).into_tuple().all(db).await?;
                ids.into_iter()
                    .map(|id| article_revision::Model {
                        id,
                        article_id: 0,
                        version: 0,
                        editor: String::new(),
                        title: String::new(),
                        snapshot: String::new(),
                        created_at: Default::default(),
                    })
                    .collect()
            };
            if rows.is_empty() {
                break;
            }
            let full = rows.len() as u64 == BATCH;
            let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
            if tell {
                // Every query first, then the sends, then the cursor: nothing half told.
                for edit in article_edits(content, rows).await? {
                    let _ = self.0.edits.send(Arc::new(edit));
                }
            }
            cursor.advance(&ids, now);
            if !full {
                break;
            }
        }
        Ok(())
    }
}

/// What readers saw change, from change-log rows (others than articles' are skipped).
async fn public_changes(content: &Content, rows: Vec<event::Model>) -> Result<Vec<PublicChange>> {
    let rows: Vec<(event::Model, ChangeKind)> = rows
        .into_iter()
        .filter(|r| r.subject == super::changes::Subject::Article.as_str())
        .filter_map(|r| ChangeKind::of_event(&r.event).map(|k| (r, k)))
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let db = content.db();
    let mut ids: Vec<i32> = rows.iter().map(|(r, _)| r.subject_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let found = article::Entity::find().filter(article::Column::Id.is_in(ids)).all(db).await?;
    let now = content.now();
    let rows_now: HashMap<i32, article::Model> = found.iter().map(|a| (a.id, a.clone())).collect();
    let public: Vec<article::Model> = found.into_iter().filter(|a| super::model::is_public(a, now)).collect();
    let views: HashMap<i32, ArticleView> = load_views(db, public).await?.into_iter().map(|v| (v.row.id, v)).collect();
    Ok(rows
        .into_iter()
        .map(|(row, kind)| {
            let view = views.get(&row.subject_id);
            // The slug readers knew: the article's now while they see it, or, once they do not,
            // its slug only if nothing changed it since this change (a draft's new slug is
            // not theirs to learn).
            let slug = match (view, rows_now.get(&row.subject_id)) {
                (Some(v), _) => Some(v.row.slug.clone()),
                (None, Some(a)) if a.updated_at <= row.occurred_at => Some(a.slug.clone()),
                _ => None,
            };
            PublicChange {
                event_id: row.id,
                kind,
                article_id: row.subject_id,
                slug,
                at: row.occurred_at,
                // The article as it is now: one that left public view since is not shown.
                article: match kind {
                    ChangeKind::Published | ChangeKind::Updated => view.cloned(),
                    ChangeKind::Unpublished | ChangeKind::Deleted => None,
                },
            }
        })
        .collect())
}

/// Saved versions, from revision rows, with the fields each changed.
async fn article_edits(content: &Content, rows: Vec<article_revision::Model>) -> Result<Vec<ArticleEdit>> {
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
    let mut edits = Vec::with_capacity(rows.len());
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
        edits.push(ArticleEdit {
            article_id: row.article_id,
            author_id,
            version: row.version,
            editor: row.editor,
            at: row.created_at,
            fields: changed_fields(before.as_ref(), &after),
            trashed: after.get("trashed").and_then(|t| t.as_bool()).unwrap_or(false),
        });
    }
    Ok(edits)
}

/// Most changes a subscription replays from a `syncToken`; further behind, `sync` is the way.
pub const REPLAY_MAX: u64 = 500;

impl Content {
    /// The public changes after a sync token (a `syncToken` of a change, or a delta token of
    /// `sync`), oldest first: what a subscription that resumes is owed.
    pub async fn public_changes_after(&self, token: &str) -> Result<Vec<PublicChange>> {
        let since = super::sync::delta_since(token).ok_or_else(|| {
            ContentError::field("after", "is not a syncToken of a change, nor a sync token from this server")
        })?;
        let rows = event::Entity::find()
            .filter(event::Column::Id.gt(since))
            .order_by_asc(event::Column::Id)
            .limit(REPLAY_MAX + 1)
            .all(self.db())
            .await?;
        if rows.len() as u64 > REPLAY_MAX {
            return Err(ContentError::field(
                "after",
                format!(
                    "is more than {REPLAY_MAX} changes behind: catch up with sync(token:) first, then subscribe with its nextToken"
                ),
            ));
        }
        public_changes(self, rows).await
    }

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

    /// A signed-in subscriber's account must still be as it was when they connected: what
    /// they are sent is answered with the rights of that moment (an article's revisions, say),
    /// which a disabled or demoted account no longer has. Anonymous ones cost nothing here.
    pub async fn same_account(&self, viewer: &Viewer) -> Result<()> {
        let Some(then) = viewer.principal() else { return Ok(()) };
        let now = self.authenticate(viewer.clone()).await?;
        if now.principal().map(|p| p.role) != Some(then.role) {
            return Err(ContentError::Unauthenticated(
                "this account's role changed since it connected; connect again".into(),
            ));
        }
        Ok(())
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

struct Cursor {
    /// The last event id read.
    last: i32,
}

impl Cursor {
    /// At the end of the log as it is committed now.
    async fn now(content: &Content) -> Result<Cursor> {
        Ok(Cursor { last: super::changes::horizon(content.db()).await? })
    }
}

struct RevisionCursor {
    last: i32,
    /// Ids below `last` not seen yet, and since when they are missing.
    gaps: BTreeMap<i32, Instant>,
}

/// How many ids below the newest are looked at for gaps when a cursor starts.
const START_WINDOW: i32 = 100;

impl RevisionCursor {
    /// At the newest revision committed now. On PostgreSQL smaller ids may still commit:
    /// those missing among the last few are waited for, as gaps.
    async fn now(content: &Content) -> Result<RevisionCursor> {
        let db = content.db();
        let max: Option<Option<i32>> = article_revision::Entity::find()
            .select_only()
            .column_as(article_revision::Column::Id.max(), "max")
            .into_tuple()
            .one(db)
            .await?;
        let last = max.flatten().unwrap_or(0);
        let mut cursor = RevisionCursor { last, gaps: BTreeMap::new() };
        if db.get_database_backend() == DbBackend::Postgres && last > 0 {
            let from = Ord::max(last - START_WINDOW, 0);
            let present: std::collections::HashSet<i32> = article_revision::Entity::find()
                .select_only()
                .column(article_revision::Column::Id)
                .filter(article_revision::Column::Id.gt(from))
                .into_tuple::<i32>()
                .all(db)
                .await?
                .into_iter()
                .collect();
            let now = Instant::now();
            cursor.gaps = ((from + 1)..last).filter(|id| !present.contains(id)).map(|id| (id, now)).collect();
        }
        Ok(cursor)
    }

    /// Marks `ids` (in ascending order) read; ids skipped on the way may still commit.
    fn advance(&mut self, ids: &[i32], now: Instant) {
        for &id in ids {
            self.gaps.remove(&id);
            if id > self.last {
                for missing in (self.last + 1)..id {
                    if self.gaps.len() >= 1000 {
                        break;
                    }
                    self.gaps.insert(missing, now);
                }
                self.last = id;
            }
        }
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
