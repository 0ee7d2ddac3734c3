//! DataLoaders: nested fields of many parents (each category's articles and count, each
//! article's series neighbours and related articles) are gathered and answered in one
//! batched service call per kind, never one query per parent.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::content::groups::{Group, Grouping};
use crate::content::model::{ArticleView, Page};
use crate::content::tree::CategoryTree;
use crate::content::{ArticleOrder, Content, ContentError, PageArgs};
use crate::graphql::objects::Neighbours;

pub type LoadError = Arc<ContentError>;

pub struct Loaders {
    pub content: Content,
}

/// Published articles of a tag, category (optionally with descendants) or series.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountKey {
    pub grouping: Grouping,
    pub id: i32,
    pub include_descendants: bool,
}

/// A page of a tag's, category's or series' articles.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArticlesKey {
    pub grouping: Grouping,
    pub id: i32,
    pub include_descendants: bool,
    pub first: Option<i32>,
    pub after: Option<String>,
    /// Also load the series neighbours of every article in the batch, in one go.
    pub with_neighbours: bool,
    /// Also load every article's text (`body`, `html`), in one go.
    pub with_texts: bool,
}

/// The published parts around (series id, part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NeighboursKey(pub i32, pub i32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelatedKey {
    pub article_id: i32,
    pub first: u64,
}

async fn groups_for(
    content: &Content,
    grouping: Grouping,
    ids: impl Iterator<Item = (i32, bool)>,
) -> Result<Vec<Group>, ContentError> {
    let ids: Vec<(i32, bool)> = ids.collect();
    let tree = if grouping == Grouping::Category && ids.iter().any(|(_, d)| *d) {
        Some(CategoryTree::load(content.db()).await?)
    } else {
        None
    };
    Ok(ids
        .into_iter()
        .map(|(id, descendants)| Group {
            id,
            keys: match (&tree, descendants) {
                (Some(t), true) => t.with_descendants(id),
                _ => vec![id],
            },
        })
        .collect())
}

impl Loader<CountKey> for Loaders {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[CountKey]) -> Result<HashMap<CountKey, u64>, LoadError> {
        let mut out = HashMap::new();
        let mut buckets: HashMap<(Grouping, bool), Vec<i32>> = HashMap::new();
        for k in keys {
            buckets.entry((k.grouping, k.include_descendants)).or_default().push(k.id);
        }
        for ((grouping, descendants), ids) in buckets {
            let groups = groups_for(&self.content, grouping, ids.iter().map(|id| (*id, descendants))).await?;
            let counts = self.content.group_counts(grouping, &groups).await?;
            for id in ids {
                out.insert(
                    CountKey { grouping, id, include_descendants: descendants },
                    counts.get(&id).copied().unwrap_or(0),
                );
            }
        }
        Ok(out)
    }
}

impl Loader<ArticlesKey> for Loaders {
    type Value = (Page<ArticleView>, Arc<Neighbours>);
    type Error = LoadError;

    async fn load(&self, keys: &[ArticlesKey]) -> Result<HashMap<ArticlesKey, Self::Value>, LoadError> {
        let mut out = HashMap::new();
        type Bucket = (Grouping, bool, Option<i32>, Option<String>, bool, bool);
        let mut buckets: HashMap<Bucket, Vec<i32>> = HashMap::new();
        for k in keys {
            let bucket = (k.grouping, k.include_descendants, k.first, k.after.clone(), k.with_neighbours, k.with_texts);
            buckets.entry(bucket).or_default().push(k.id);
        }
        for ((grouping, descendants, first, after, with_neighbours, with_texts), ids) in buckets {
            let groups = groups_for(&self.content, grouping, ids.iter().map(|id| (*id, descendants))).await?;
            let order =
                if grouping == Grouping::Series { ArticleOrder::SeriesPart } else { ArticleOrder::PublishedDesc };
            let page = PageArgs { first: first.map(i64::from), after: after.clone(), ..Default::default() };
            let mut pages = self.content.grouped_articles(grouping, &groups, order, &page).await?;
            if with_texts {
                let views = pages.values_mut().flat_map(|p| p.items.iter_mut()).map(|(_, v)| v).collect();
                self.content.fill_texts(views).await?;
            }
            let neighbours = if with_neighbours {
                let positions: Vec<(i32, i32)> = pages
                    .values()
                    .flat_map(|p| p.items.iter())
                    .filter_map(|(_, v)| Some((v.row.series_id?, v.row.series_part?)))
                    .collect();
                Arc::new(self.content.series_neighbours(&positions).await?)
            } else {
                Arc::new(Neighbours::new())
            };
            for id in ids {
                if let Some(p) = pages.remove(&id) {
                    let key = ArticlesKey {
                        grouping,
                        id,
                        include_descendants: descendants,
                        first,
                        after: after.clone(),
                        with_neighbours,
                        with_texts,
                    };
                    out.insert(key, (p, neighbours.clone()));
                }
            }
        }
        Ok(out)
    }
}

impl Loader<NeighboursKey> for Loaders {
    type Value = (Option<ArticleView>, Option<ArticleView>);
    type Error = LoadError;

    async fn load(&self, keys: &[NeighboursKey]) -> Result<HashMap<NeighboursKey, Self::Value>, LoadError> {
        let positions: Vec<(i32, i32)> = keys.iter().map(|k| (k.0, k.1)).collect();
        let found = self.content.series_neighbours(&positions).await?;
        Ok(found.into_iter().map(|((s, p), v)| (NeighboursKey(s, p), v)).collect())
    }
}

/// The text (`body`, `html`) of an article a list loaded without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextKey(pub i32);

impl Loader<TextKey> for Loaders {
    type Value = crate::content::articles::ArticleText;
    type Error = LoadError;

    async fn load(&self, keys: &[TextKey]) -> Result<HashMap<TextKey, Self::Value>, LoadError> {
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        Ok(self.content.article_texts(&ids).await?.into_iter().map(|(id, t)| (TextKey(id), t)).collect())
    }
}

impl Loader<RelatedKey> for Loaders {
    type Value = Vec<ArticleView>;
    type Error = LoadError;

    async fn load(&self, keys: &[RelatedKey]) -> Result<HashMap<RelatedKey, Vec<ArticleView>>, LoadError> {
        let mut out = HashMap::new();
        let mut by_first: HashMap<u64, Vec<i32>> = HashMap::new();
        for k in keys {
            by_first.entry(k.first).or_default().push(k.article_id);
        }
        for (first, ids) in by_first {
            for (id, list) in self.content.related(&ids, first).await? {
                out.insert(RelatedKey { article_id: id, first }, list);
            }
        }
        Ok(out)
    }
}
