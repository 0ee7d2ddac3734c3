//! A backup of everything a publication is, as rows (`colophon export --json`), and its
//! restore into an empty database (`colophon import --json`) with the same ids, so links
//! by id, revisions and old slugs all keep working. Users' password hashes and webhook
//! secrets are left out unless asked for.

use sea_orm::{
    ActiveValue::NotSet, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel, PaginatorTrait, QueryOrder,
};
use serde::{Deserialize, Serialize};

use super::{Content, ContentError, Result, Viewer};
use crate::entities::{
    article, article_revision, article_slug_history, article_tag, category, series, site_setting, tag,
    tag_slug_history, user, webhook,
};

pub const FORMAT: &str = "colophon-backup";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    /// Always `colophon-backup`.
    pub format: String,
    pub version: u32,
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// Whether password hashes and webhook secrets are in it.
    pub with_secrets: bool,
    pub site: Option<site_setting::Model>,
    pub users: Vec<user::Model>,
    pub categories: Vec<category::Model>,
    pub tags: Vec<tag::Model>,
    pub tag_slug_history: Vec<tag_slug_history::Model>,
    pub series: Vec<series::Model>,
    pub articles: Vec<article::Model>,
    pub article_tags: Vec<article_tag::Model>,
    pub article_slug_history: Vec<article_slug_history::Model>,
    pub revisions: Vec<article_revision::Model>,
    /// Only with secrets: a webhook without its secret cannot sign.
    pub webhooks: Vec<webhook::Model>,
}

/// What a restore brought back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Restored {
    pub articles: usize,
    pub tags: usize,
    pub categories: usize,
    pub series: usize,
    pub users: usize,
    pub webhooks: usize,
}

impl Content {
    /// Everything, articles in the trash included. Admins only.
    pub async fn backup(&self, viewer: &Viewer, with_secrets: bool) -> Result<Backup> {
        viewer.require_admin()?;
        let db = self.db();
        let mut users = user::Entity::find().order_by_asc(user::Column::Id).all(db).await?;
        if !with_secrets {
            users.iter_mut().for_each(|u| u.password_hash = None);
        }
        Ok(Backup {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: self.now(),
            with_secrets,
            site: site_setting::Entity::find_by_id(1).one(db).await?,
            users,
            categories: category::Entity::find().order_by_asc(category::Column::Id).all(db).await?,
            tags: tag::Entity::find().order_by_asc(tag::Column::Id).all(db).await?,
            tag_slug_history: tag_slug_history::Entity::find().all(db).await?,
            series: series::Entity::find().order_by_asc(series::Column::Id).all(db).await?,
            articles: article::Entity::find().order_by_asc(article::Column::Id).all(db).await?,
            article_tags: article_tag::Entity::find().all(db).await?,
            article_slug_history: article_slug_history::Entity::find().all(db).await?,
            revisions: article_revision::Entity::find().order_by_asc(article_revision::Column::Id).all(db).await?,
            webhooks: if with_secrets { webhook::Entity::find().all(db).await? } else { Vec::new() },
        })
    }

    /// Restores a backup into a database with no content and no users, in one transaction.
    pub async fn restore(&self, viewer: &Viewer, b: Backup) -> Result<Restored> {
        viewer.require_admin()?;
        if b.format != FORMAT || b.version != VERSION {
            return Err(ContentError::field(
                "format",
                format!("is `{} {}`; this version reads `{FORMAT} {VERSION}`", b.format, b.version),
            ));
        }
        let txn = self.begin_exclusive_write().await?;
        let occupied = article::Entity::find().count(&txn).await?
            + tag::Entity::find().count(&txn).await?
            + category::Entity::find().count(&txn).await?
            + series::Entity::find().count(&txn).await?
            + user::Entity::find().count(&txn).await?;
        if occupied > 0 {
            return Err(ContentError::Conflict(
                "the database already has content or users; restore into an empty one".into(),
            ));
        }
        macro_rules! insert_all {
            ($entity:ty, $rows:expr) => {
                for chunk in $rows.chunks(200) {
                    <$entity>::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                        .exec_without_returning(&txn)
                        .await?;
                }
            };
        }
        if let Some(site) = b.site.clone() {
            site_setting::Entity::delete_by_id(1).exec(&txn).await?;
            site_setting::Entity::insert(site.into_active_model()).exec_without_returning(&txn).await?;
        }
        insert_all!(user::Entity, b.users);
        // Parents before children: a category's parent may have a larger id.
        let tree = super::tree::CategoryTree::from_rows(b.categories.clone());
        insert_all!(category::Entity, tree.ordered().to_vec());
        insert_all!(tag::Entity, b.tags);
        insert_all!(series::Entity, b.series);
        for chunk in b.articles.chunks(200) {
            article::Entity::insert_many(chunk.iter().cloned().map(|a| {
                let mut am = a.into_active_model();
                am.listed_at = NotSet; // the database's own
                am
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        insert_all!(article_tag::Entity, b.article_tags);
        insert_all!(tag_slug_history::Entity, b.tag_slug_history);
        insert_all!(article_slug_history::Entity, b.article_slug_history);
        insert_all!(article_revision::Entity, b.revisions);
        insert_all!(webhook::Entity, b.webhooks);
        super::search::index_all(&txn).await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Explicit ids leave the sequences behind; the next insert must not collide.
            for table in ["users", "categories", "tags", "series", "articles", "article_revisions", "webhooks"] {
                txn.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                ))
                .await?;
            }
        }
        // The counters behind public counts, from the rows.
        txn.execute_unprepared(migration::LISTING_FILL).await?;
        super::audit::record(&txn, &viewer.require_admin()?.subject, "backup.restore", "site").await?;
        super::purges::Purge::everything().record(&txn).await?;
        txn.commit().await?;
        Ok(Restored {
            articles: b.articles.len(),
            tags: b.tags.len(),
            categories: b.categories.len(),
            series: b.series.len(),
            users: b.users.len(),
            webhooks: b.webhooks.len(),
        })
    }
}
