//! Articles brought in from elsewhere (Markdown files with front matter; see
//! `crate::portable`) and taken out again. An import goes through the same commands as an
//! editor's writes (validation, slugs, rendering, events), then sets the dates the source
//! gave. Importing the same article again updates it: imports can be re-run.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::articles::load_views;
use super::model::ArticleStatus;
use super::{ArticleLookup, ArticlePatch, ArticleView, Content, NewArticle, Result, Viewer};
use crate::entities::article;

/// Where an imported article stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedState {
    Draft,
    /// Published at this time; a future time schedules it.
    Published(DateTime<Utc>),
    /// Out of circulation, with the date it was published at.
    Archived(Option<DateTime<Utc>>),
}

/// Everything a file can say about an article: what an editor gives when creating one, its
/// state and its last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedArticle {
    /// `slug` absent: derived from the title. `excerpt` absent: derived from the body.
    pub article: NewArticle,
    pub state: ImportedState,
    /// The last change, when the source knows it.
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created,
    Updated,
}

impl Content {
    /// Creates the article, or updates the one with its slug. Editors and admins.
    pub async fn import_article(&self, viewer: &Viewer, imported: ImportedArticle) -> Result<(Imported, ArticleView)> {
        viewer.require_editor()?;
        let a = imported.article;
        let existing = match &a.slug {
            Some(slug) => self.article(viewer, ArticleLookup::Slug(slug.clone())).await?,
            None => None,
        };
        let (outcome, mut view) = match existing {
            Some(current) => {
                let patch = ArticlePatch {
                    title: Some(a.title.clone()),
                    slug: a.slug.clone(),
                    body: a.body.clone(),
                    excerpt: Some(a.excerpt.clone()),
                    tags: Some(a.tags.clone().unwrap_or_default()),
                    category: Some(a.category.clone()),
                    series: Some(a.series.clone()),
                    series_part: Some(a.series_part),
                    cover_image_url: Some(a.cover_image_url.clone()),
                    canonical_url: Some(a.canonical_url.clone()),
                    seo_title: Some(a.seo_title.clone()),
                    seo_description: Some(a.seo_description.clone()),
                };
                let id = current.row.id.to_string();
                (Imported::Updated, self.update_article_as(viewer, &id, patch, None, "article.import").await?)
            }
            None => (Imported::Created, self.create_article(viewer, a).await?),
        };
        let id = view.row.id.to_string();
        let now = self.now();
        let status = view.status(now);
        match imported.state {
            ImportedState::Draft => {
                if status != ArticleStatus::Draft {
                    view = self.unpublish_article(viewer, &id).await?;
                }
            }
            ImportedState::Published(at) => {
                let wanted = if at > now { ArticleStatus::Scheduled } else { ArticleStatus::Published };
                if status != wanted || view.row.published_at != Some(super::truncate_micros(at)) {
                    view = self.publish_article(viewer, &id, Some(at)).await?;
                }
            }
            ImportedState::Archived(at) => {
                if status != ArticleStatus::Archived || view.row.published_at != at.map(super::truncate_micros) {
                    self.publish_article(viewer, &id, Some(at.unwrap_or(now))).await?;
                    view = self.archive_article(viewer, &id).await?;
                }
            }
        }
        if let Some(updated) = imported.updated_at.map(super::truncate_micros)
            && updated != view.row.updated_at
        {
            // The source's own date of the last change, not the moment of the import.
            let txn = self.begin_write().await?;
            article::Entity::update_many()
                .set(article::ActiveModel { updated_at: Set(updated), ..Default::default() })
                .filter(article::Column::Id.eq(view.row.id))
                .exec(&txn)
                .await?;
            view.row.updated_at = updated;
            if super::changes::announced(&view.row, now) {
                // Readers see the date: their caches must too.
                let mut purge = super::purges::Purge::default();
                purge.article(&view.row);
                purge.tags_of(&txn, &[view.row.id]).await?;
                purge.record(&txn).await?;
            }
            txn.commit().await?;
        }
        Ok((outcome, view))
    }

    /// Every article not in the trash, in any state, with its text, by id. Editors and admins.
    pub async fn export_articles(&self, viewer: &Viewer) -> Result<Vec<ArticleView>> {
        viewer.require_editor()?;
        let rows = article::Entity::find()
            .filter(article::Column::DeletedAt.is_null())
            .order_by_asc(article::Column::Id)
            .all(self.db())
            .await?;
        load_views(self.db(), rows).await
    }
}
