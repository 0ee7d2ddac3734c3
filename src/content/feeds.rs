//! What feeds and the sitemap show: the newest published articles of the site or of one
//! tag, category or series, and every published article's address parts. Rendering them
//! as RSS, Atom, JSON Feed or a sitemap is the transport's business (`crate::feeds`).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::lookup::GroupKey;
use super::{ArticleQuery, ArticleView, Content, PageArgs, Result, Viewer};
use crate::entities::article;

/// Whose articles a feed carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedScope {
    Site,
    Tag(String),
    Category(String),
    Series(String),
}

/// A group a feed is about (absent for the site's feed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedGroup {
    pub id: i32,
    /// The current slug, even when the feed was asked for by an old one.
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct FeedSource {
    pub group: Option<FeedGroup>,
    /// Newest first, with their text when it was asked for.
    pub articles: Vec<ArticleView>,
}

/// What a sitemap entry needs: an article's address parts and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapEntry {
    pub id: i32,
    pub slug: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Content {
    /// The newest `size` published articles in `scope`, or `None` when the scope names no
    /// tag, category or series. `with_text` loads each article's HTML too.
    pub async fn feed(&self, scope: &FeedScope, size: u64, with_text: bool) -> Result<Option<FeedSource>> {
        let mut query =
            ArticleQuery { page: PageArgs { first: Some(size as i64), ..Default::default() }, ..Default::default() };
        let group = match scope {
            FeedScope::Site => None,
            FeedScope::Tag(slug) => {
                let Some(t) = self.tag(&Viewer::anonymous(), GroupKey::Path(slug)).await? else { return Ok(None) };
                query.tag = Some(t.slug.clone());
                Some(FeedGroup { id: t.id, slug: t.slug, name: t.name, description: t.description.unwrap_or_default() })
            }
            FeedScope::Category(slug) => {
                let tree = self.category_tree_for(&Viewer::anonymous()).await?;
                let Some(c) = tree.by_key(GroupKey::Path(slug)) else { return Ok(None) };
                query.category = Some(c.slug.clone());
                Some(FeedGroup {
                    id: c.id,
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                    description: c.description.clone().unwrap_or_default(),
                })
            }
            FeedScope::Series(slug) => {
                let Some(s) = self.series(&Viewer::anonymous(), GroupKey::Path(slug)).await? else { return Ok(None) };
                query.series = Some(s.slug.clone());
                Some(FeedGroup {
                    id: s.id,
                    slug: s.slug,
                    name: s.title,
                    description: s.description.unwrap_or_default(),
                })
            }
        };
        let page = self.articles(&Viewer::anonymous(), query).await?;
        let mut articles: Vec<ArticleView> = page.items.into_iter().map(|(_, v)| v).collect();
        if with_text {
            self.fill_texts(articles.iter_mut().collect()).await?;
        }
        Ok(Some(FeedSource { group, articles }))
    }

    /// Published articles by id, `limit` of them after skipping `offset`: a sitemap file's worth.
    pub async fn sitemap_entries(&self, offset: u64, limit: u64) -> Result<Vec<SitemapEntry>> {
        type Row = (i32, String, Option<DateTime<Utc>>, DateTime<Utc>);
        let rows: Vec<Row> = article::Entity::find()
            .select_only()
            .columns([
                article::Column::Id,
                article::Column::Slug,
                article::Column::ListedAt,
                article::Column::UpdatedAt,
            ])
            .filter(article::Column::ListedAt.lte(self.now()))
            .order_by_asc(article::Column::Id)
            .offset(offset)
            .limit(limit)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, slug, listed, updated_at)| {
                listed.map(|published_at| SitemapEntry { id, slug, published_at, updated_at })
            })
            .collect())
    }
}
