//! The editorial workflow around articles: the trash (restore, purge), revisions (list,
//! restore), and the scheduler that publishes what falls due.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::articles::{after_cursor, live_article, load_views, not_found, parse_id, record_revision};
use super::cursor::{Cursor, SortKey};
use super::model::{ArticleView, Page};
use super::purges::{Purge, keys};
use super::{ArticlePatch, ArticleStatus, Content, ContentError, PageArgs, Principal, Result, Role, Viewer, audit};
use crate::entities::{article, article_revision, category, series};

/// Scheduled articles falling due at one moment that are purged one by one; more empty the
/// cache (the bound on the work of one cache check).
pub const DUE_AT_ONCE: u64 = 200;

/// How long a preview link works.
pub const PREVIEW_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// A revision as clients read it: who saved which version when, and the article's text
/// then (from the revision's snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionView {
    pub version: i32,
    pub title: String,
    pub editor: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub slug: String,
    pub excerpt: Option<String>,
    pub body: String,
}

/// A revision in a list: who changed the article, and when.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct RevisionSummary {
    pub version: i32,
    pub title: String,
    pub editor: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<article_revision::Model> for RevisionView {
    fn from(r: article_revision::Model) -> Self {
        let snap: serde_json::Value = serde_json::from_str(&r.snapshot).unwrap_or_default();
        let text = |k: &str| snap.get(k).and_then(|v| v.as_str()).map(str::to_string);
        RevisionView {
            version: r.version,
            slug: text("slug").unwrap_or_default(),
            excerpt: text("excerpt"),
            body: text("body").unwrap_or_default(),
            title: r.title,
            editor: r.editor,
            created_at: r.created_at,
        }
    }
}

impl Content {
    /// A short-lived token that opens this one article, in any state, for someone without an
    /// account. Editors, and authors for their own articles.
    pub async fn create_preview_token(
        &self,
        viewer: &Viewer,
        jwt: &crate::auth::Jwt,
        id: &str,
    ) -> Result<(String, chrono::DateTime<chrono::Utc>)> {
        let principal = viewer.require_writer()?;
        let article_id = parse_id(id).ok_or_else(|| not_found(id))?;
        let row = live_article(self.db(), article_id).await?;
        if principal.role < Role::Editor && !self.owns(viewer, &row).await? {
            return Err(ContentError::Forbidden("authors may preview their own articles only".into()));
        }
        let (token, exp) = jwt.issue_preview(article_id, PREVIEW_TTL);
        let txn = self.begin_write().await?;
        audit::record(&txn, &principal.subject, "article.preview", format!("article:{article_id}")).await?;
        txn.commit().await?;
        let expires_at = chrono::DateTime::from_timestamp(exp as i64, 0).unwrap_or_default();
        Ok((token, expires_at))
    }

    /// Trashed articles, most recently trashed first. Editors and admins.
    pub async fn trash(&self, viewer: &Viewer, page: &PageArgs) -> Result<Page<ArticleView>> {
        viewer.require_editor()?;
        let db = self.db();
        let (size, after) = page.forward_cursor("trash")?;
        let base = article::Entity::find().filter(article::Column::DeletedAt.is_not_null());
        let total = base.clone().count(db).await?;
        let mut q = base;
        if let Some(c) = &after {
            q = q.filter(after_cursor(article::Column::DeletedAt, &Order::Desc, false, true, c));
        }
        let mut rows = q
            .order_by(article::Column::DeletedAt, Order::Desc)
            .order_by(article::Column::Id, Order::Desc)
            .limit(size + 1)
            .all(db)
            .await?;
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        let items = load_views(db, rows)
            .await?
            .into_iter()
            .map(|v| {
                let c = Cursor { order: "trash".into(), key: SortKey::Time(v.row.deleted_at), id: v.row.id };
                (c.encode(), v)
            })
            .collect();
        Ok(Page { items, has_next_page: more, has_previous_page: after.is_some(), total })
    }

    /// Takes an article out of the trash, in the state it was trashed in.
    pub async fn restore_article(&self, viewer: &Viewer, id: &str) -> Result<ArticleView> {
        let principal = viewer.require_editor()?;
        let id = parse_id(id).ok_or_else(|| not_found(id))?;
        let txn = self.begin_write().await?;
        let row = trashed(&txn, id).await?;
        let mut restored = row.clone();
        restored.deleted_at = None;
        restored.version = row.version + 1;
        restored.updated_at = self.now();
        article::Entity::update_many()
            .set(article::ActiveModel {
                deleted_at: Set(None),
                version: Set(restored.version),
                updated_at: Set(restored.updated_at),
                ..Default::default()
            })
            .filter(article::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        record_revision(&txn, &restored, principal).await?;
        audit::record(&txn, &principal.subject, "article.restore", format!("article:{id}")).await?;
        let view = load_views(&txn, vec![restored]).await?.pop().expect("one view");
        super::changes::article(&txn, self.now(), Some(&row), Some(&view.row), None).await?;
        txn.commit().await?;
        Ok(view)
    }

    /// Deletes a trashed article for good, with its revisions and old slugs. Admins only.
    pub async fn purge_article(&self, viewer: &Viewer, id: &str) -> Result<()> {
        let principal = viewer.require_admin()?;
        let id = parse_id(id).ok_or_else(|| not_found(id))?;
        let txn = self.begin_write().await?;
        trashed(&txn, id).await?;
        if txn.get_database_backend() == sea_orm::DbBackend::Sqlite {
            // FTS5 tables have no foreign keys to cascade through.
            let mut sql = super::sql::Sql::new(sea_orm::DbBackend::Sqlite);
            sql.push("DELETE FROM article_search WHERE rowid = ").bind(id);
            txn.execute_raw(sql.build()).await?;
        }
        article::Entity::delete_by_id(id).exec(&txn).await?;
        audit::record(&txn, &principal.subject, "article.purge", format!("article:{id}")).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Every stored version of an article, newest first, without their text (an article
    /// that saved itself a thousand times has a thousand bodies behind this list).
    pub async fn revisions(&self, viewer: &Viewer, id: &str) -> Result<Vec<RevisionSummary>> {
        let article_id = self.history_access(viewer, id).await?;
        use article_revision::Column;
        Ok(article_revision::Entity::find()
            .select_only()
            .columns([Column::Version, Column::Title, Column::Editor, Column::CreatedAt])
            .filter(Column::ArticleId.eq(article_id))
            .order_by_desc(Column::Version)
            .into_model::<RevisionSummary>()
            .all(self.db())
            .await?)
    }

    /// One revision of an article, with what the article said then.
    pub async fn revision(&self, viewer: &Viewer, id: &str, version: i32) -> Result<RevisionView> {
        let article_id = self.history_access(viewer, id).await?;
        let found = article_revision::Entity::find()
            .filter(article_revision::Column::ArticleId.eq(article_id))
            .filter(article_revision::Column::Version.eq(version))
            .one(self.db())
            .await?;
        found
            .map(RevisionView::from)
            .ok_or_else(|| ContentError::NotFound(format!("revision {version} of article `{id}`")))
    }

    /// An article's history is for editors, and for authors of their own articles.
    async fn history_access(&self, viewer: &Viewer, id: &str) -> Result<i32> {
        let principal = viewer.require_writer()?;
        let article_id = parse_id(id).ok_or_else(|| not_found(id))?;
        let row = live_article(self.db(), article_id).await?;
        if principal.role < Role::Editor && !self.owns(viewer, &row).await? {
            return Err(ContentError::Forbidden("authors may see revisions of their own articles only".into()));
        }
        Ok(article_id)
    }

    /// Puts back the content an article had at `version` (title, slug, body, excerpt, tags,
    /// category, series, SEO fields) as a new version. The publication state is left as is.
    pub async fn restore_revision(&self, viewer: &Viewer, id: &str, version: i32) -> Result<ArticleView> {
        viewer.require_writer()?;
        let article_id = parse_id(id).ok_or_else(|| not_found(id))?;
        let db = self.db();
        let revision = article_revision::Entity::find()
            .filter(article_revision::Column::ArticleId.eq(article_id))
            .filter(article_revision::Column::Version.eq(version))
            .one(db)
            .await?
            .ok_or_else(|| ContentError::NotFound(format!("revision {version} of article `{article_id}`")))?;
        let snap: serde_json::Value = serde_json::from_str(&revision.snapshot).unwrap_or_default();
        let text = |k: &str| snap.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let id_of = |k: &str| snap.get(k).and_then(|v| v.as_i64()).map(|v| v as i32);
        // Taxonomy is referenced by id in the snapshot; a category or series deleted since is
        // simply left out.
        let category = match id_of("category_id") {
            Some(cid) => category::Entity::find_by_id(cid).one(db).await?.map(|c| c.name),
            None => None,
        };
        let series_title = match id_of("series_id") {
            Some(sid) => series::Entity::find_by_id(sid).one(db).await?.map(|s| s.title),
            None => None,
        };
        let patch = ArticlePatch {
            title: text("title"),
            slug: text("slug"),
            body: text("body"),
            excerpt: Some(text("excerpt")),
            tags: snap.get("tags").and_then(|t| serde_json::from_value(t.clone()).ok()),
            category: Some(category),
            series_part: Some(series_title.as_ref().and(id_of("series_part"))),
            series: Some(series_title),
            cover_image_url: Some(text("cover_image_url")),
            canonical_url: Some(text("canonical_url")),
            seo_title: Some(text("seo_title")),
            seo_description: Some(text("seo_description")),
        };
        self.update_article_as(viewer, &article_id.to_string(), patch, None, "article.revision.restore").await
    }

    /// The earliest scheduled publication after `after` (a trashed article never appears):
    /// until then, nothing comes into view without a write. It may be past already.
    pub async fn next_publication(&self, after: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let next: Option<Option<DateTime<Utc>>> = article::Entity::find()
            .select_only()
            .column(article::Column::PublishedAt)
            .filter(article::Column::Status.eq(ArticleStatus::Scheduled.as_str()))
            .filter(article::Column::DeletedAt.is_null())
            .filter(article::Column::PublishedAt.gt(after))
            .order_by_asc(article::Column::PublishedAt)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(next.flatten())
    }

    /// What readers' caches drop when scheduled articles come into view by their time alone,
    /// those listed from `from` to `to`: what publishing each would purge (the scheduler's
    /// write says the same later). More than [`DUE_AT_ONCE`] at once: everything.
    pub async fn came_due(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<String>> {
        let db = self.db();
        let rows = super::articles::without_texts(article::Entity::find())
            .filter(article::Column::ListedAt.gte(from))
            .filter(article::Column::ListedAt.lte(to))
            .limit(DUE_AT_ONCE + 1)
            .all(db)
            .await?;
        if rows.len() as u64 > DUE_AT_ONCE {
            return Ok(vec![keys::EVERYTHING.to_string()]);
        }
        let mut purge = Purge::default();
        rows.iter().for_each(|r| purge.article(r));
        purge.tags_of(db, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
        purge.into_keys(db).await
    }

    /// Publishes every scheduled article whose time has come; returns their ids. Safe to
    /// run from several instances at once: each article changes state in one conditional
    /// UPDATE, so exactly one instance publishes it and records it.
    pub async fn publish_due(&self) -> Result<Vec<i32>> {
        let now = self.now();
        let due: Vec<i32> = article::Entity::find()
            .select_only()
            .column(article::Column::Id)
            .filter(article::Column::DeletedAt.is_null())
            .filter(article::Column::Status.eq(ArticleStatus::Scheduled.as_str()))
            .filter(article::Column::PublishedAt.lte(now))
            .into_tuple()
            .all(self.db())
            .await?;
        let system = Principal { subject: audit::SYSTEM.into(), role: Role::Admin };
        let mut published = Vec::new();
        for id in due {
            let txn = self.begin_write().await?;
            let Some(row) = article::Entity::find_by_id(id).one(&txn).await? else { continue };
            let res = article::Entity::update_many()
                .set(article::ActiveModel {
                    status: Set(ArticleStatus::Published.as_str().into()),
                    version: Set(row.version + 1),
                    ..Default::default()
                })
                .filter(article::Column::Id.eq(id))
                .filter(article::Column::Status.eq(ArticleStatus::Scheduled.as_str()))
                .filter(article::Column::Version.eq(row.version))
                .exec(&txn)
                .await?;
            if res.rows_affected == 1 {
                let mut after = row.clone();
                after.status = ArticleStatus::Published.as_str().into();
                after.version += 1;
                record_revision(&txn, &after, &system).await?;
                audit::record(&txn, audit::SYSTEM, "article.publish", format!("article:{id}")).await?;
                // Readers have seen it since its time: the event says it is published now.
                super::changes::article(&txn, now, Some(&row), Some(&after), None).await?;
                txn.commit().await?;
                published.push(id);
            } else {
                txn.rollback().await?;
            }
        }
        Ok(published)
    }
}

async fn trashed(db: &impl ConnectionTrait, id: i32) -> Result<article::Model> {
    article::Entity::find_by_id(id)
        .filter(article::Column::DeletedAt.is_not_null())
        .one(db)
        .await?
        .ok_or_else(|| ContentError::NotFound(format!("article `{id}` in the trash")))
}
