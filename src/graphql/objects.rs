//! GraphQL object types: thin views over what the service returns. Nested lists and
//! counts go through the DataLoaders, so a page of parents costs a fixed number of queries.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object, SimpleObject};

use super::batches::{Batches, SharedLoader};
use super::error::to_graphql_ref;
use super::loaders::{ArticlesKey, CountKey, LoadError, Loaders, NeighboursKey, RelatedKey, TextKey};
use super::types::{ArticleStatus, DateTimeUtc};
use crate::content::groups::Grouping;
use crate::content::model::{ArticleView, Page};
use crate::content::search::SearchHit;
use crate::content::site::{ArchiveMonth as Month, SiteView};
use crate::content::tree::CategoryTree;
use crate::content::{self, ContentError};
use crate::entities::{category, series, tag};

/// Per-request memo: the category tree is read once per request, whatever asks for it.
#[derive(Default)]
pub struct RequestCache {
    tree: tokio::sync::OnceCell<Arc<CategoryTree>>,
    /// Set when a preview token opened an article: the answer is for its holder alone.
    pub previewed: std::sync::atomic::AtomicBool,
    /// The document's validated complexity, and whether it searched: what it costs the
    /// client's allowance (`guard::allowance::Cost::graphql`).
    pub complexity: std::sync::atomic::AtomicUsize,
    pub searched: std::sync::atomic::AtomicBool,
    /// Nothing is memoised: one context answers many changes over time (a subscription).
    no_memo: bool,
}

impl RequestCache {
    pub fn unmemoized() -> Self {
        RequestCache { no_memo: true, ..Default::default() }
    }
}

/// Notes that the request searched, which costs its client's allowance more.
pub fn searched(ctx: &Context<'_>) {
    ctx.data_unchecked::<Arc<RequestCache>>().searched.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub async fn category_tree(ctx: &Context<'_>) -> async_graphql::Result<Arc<CategoryTree>> {
    let cache = ctx.data_unchecked::<Arc<RequestCache>>();
    let content = ctx.data_unchecked::<content::Content>();
    let viewer = super::viewer(ctx)?;
    if cache.no_memo {
        return content.category_tree_for(viewer).await.map(Arc::new).map_err(|e| to_graphql_ref(&e));
    }
    cache
        .tree
        .get_or_try_init(|| async { content.category_tree_for(viewer).await.map(Arc::new) })
        .await
        .cloned()
        .map_err(|e| to_graphql_ref(&e))
}

/// The request's own batches over HTTP (`batches`); over a WebSocket, the schema's shared
/// `DataLoader` directly, which batches on a timer.
#[derive(Clone, Copy)]
enum Load<'a> {
    Batches(&'a Batches),
    Shared(&'a SharedLoader),
}

fn loader<'a>(ctx: &'a Context<'_>) -> Load<'a> {
    match ctx.data_opt::<Arc<Batches>>() {
        Some(batches) => Load::Batches(batches),
        None => Load::Shared(ctx.data_unchecked::<SharedLoader>()),
    }
}

impl Load<'_> {
    async fn load_one<K, V>(self, key: K) -> Result<Option<V>, LoadError>
    where
        Loaders: Loader<K, Value = V, Error = LoadError>,
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        V: Send + Sync + Clone + 'static,
    {
        match self {
            Load::Batches(b) => b.load_one(key).await,
            Load::Shared(l) => l.load_one(key).await,
        }
    }

    async fn load_many<K, V>(self, keys: impl IntoIterator<Item = K>) -> Result<HashMap<K, V>, LoadError>
    where
        Loaders: Loader<K, Value = V, Error = LoadError>,
        K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
        V: Send + Sync + Clone + 'static,
    {
        match self {
            Load::Batches(b) => b.load_many(keys).await,
            Load::Shared(l) => l.load_many(keys).await,
        }
    }
}

fn load_err(e: Arc<ContentError>) -> async_graphql::Error {
    to_graphql_ref(&e)
}

async fn count(
    ctx: &Context<'_>,
    grouping: Grouping,
    id: i32,
    include_descendants: bool,
) -> async_graphql::Result<u64> {
    Ok(loader(ctx).load_one(CountKey { grouping, id, include_descendants }).await.map_err(load_err)?.unwrap_or(0))
}

async fn articles(
    ctx: &Context<'_>,
    grouping: Grouping,
    id: i32,
    include_descendants: bool,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<ArticleConnection> {
    let with_neighbours = wants_neighbours(ctx);
    let with_texts = wants_texts(ctx);
    let key = ArticlesKey { grouping, id, include_descendants, first, after, with_neighbours, with_texts };
    let Some((page, neighbours)) = loader(ctx).load_one(key).await.map_err(load_err)? else {
        return Ok(ArticleConnection::default());
    };
    Ok(ArticleConnection::from_page(page, Article::with(&neighbours)))
}

#[derive(SimpleObject, Clone, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// A Relay connection type and its edge type for one node type.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty) => {
        #[derive(SimpleObject, Clone)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        /// A page: `edges` with cursors, or just `nodes`; `totalCount` counts across pages.
        #[derive(SimpleObject, Clone, Default)]
        pub struct $conn {
            pub edges: Vec<$edge>,
            /// The items of this page, without cursors.
            pub nodes: Vec<$node>,
            pub page_info: PageInfo,
            /// How many items match, across all pages.
            pub total_count: u64,
        }

        impl $conn {
            pub fn from_page<U>(page: Page<U>, wrap: impl Fn(U) -> $node) -> Self {
                let page_info = PageInfo {
                    has_next_page: page.has_next_page,
                    has_previous_page: page.has_previous_page,
                    start_cursor: page.start_cursor().map(str::to_string),
                    end_cursor: page.end_cursor().map(str::to_string),
                };
                let edges: Vec<$edge> =
                    page.items.into_iter().map(|(cursor, u)| $edge { cursor, node: wrap(u) }).collect();
                $conn {
                    nodes: edges.iter().map(|e| e.node.clone()).collect(),
                    edges,
                    page_info,
                    total_count: page.total,
                }
            }
        }
    };
}

connection!(ArticleConnection, ArticleEdge, Article);
connection!(TagConnection, TagEdge, Tag);
connection!(SeriesConnection, SeriesEdge, Series);
connection!(SearchConnection, SearchEdge, SearchResult);

/// The published parts around each (series id, part) of a batch of articles.
pub type Neighbours = HashMap<(i32, i32), (Option<ArticleView>, Option<ArticleView>)>;

#[derive(Clone)]
pub struct Article(pub ArticleView, pub Option<Arc<Neighbours>>);

impl Article {
    pub fn new(view: ArticleView) -> Self {
        Article(view, None)
    }

    /// With the series neighbours of its whole batch, loaded up front.
    pub fn with(neighbours: &Arc<Neighbours>) -> impl Fn(ArticleView) -> Article + '_ {
        move |view| Article(view, Some(neighbours.clone()))
    }
}

/// Whether the selection under the current field reaches `previousInSeries` or
/// `nextInSeries` of its articles (through `nodes`, `edges.node`, or directly).
/// Whether a list's nodes ask for their text, so it is loaded with the page.
pub fn wants_texts(ctx: &Context<'_>) -> bool {
    let look = ctx.look_ahead();
    let asks = |f: async_graphql::Lookahead<'_>| f.field("html").exists() || f.field("body").exists();
    asks(look.field("nodes"))
        || asks(look.field("edges").field("node"))
        || asks(look.field("nodes").field("article"))
        || asks(look.field("edges").field("node").field("article"))
}

pub fn wants_neighbours(ctx: &Context<'_>) -> bool {
    let look = ctx.look_ahead();
    let asks =
        |f: async_graphql::Lookahead<'_>| f.field("previousInSeries").exists() || f.field("nextInSeries").exists();
    asks(look.field("nodes"))
        || asks(look.field("edges").field("node"))
        || asks(look.field("article"))
        || asks(look.field("items"))
        || asks(look)
}

/// A page of delta sync (`Query.sync`).
#[derive(async_graphql::SimpleObject)]
pub struct SyncPage {
    /// Published articles that are new or changed, oldest change first.
    pub items: Vec<Article>,
    /// Ids of articles that left public view (unpublished, archived, deleted): drop them.
    pub deleted: Vec<ID>,
    /// Pass as `token` next: for the next page while `hasMore`, else for later changes.
    pub next_token: String,
    pub has_more: bool,
}

/// Neighbours for every article of a page, in one batch, when the query asks for them.
pub async fn neighbours_for(ctx: &Context<'_>, views: &[&ArticleView]) -> async_graphql::Result<Arc<Neighbours>> {
    if !wants_neighbours(ctx) {
        return Ok(Arc::new(Neighbours::new()));
    }
    let positions: Vec<(i32, i32)> =
        views.iter().filter_map(|v| Some((v.row.series_id?, v.row.series_part?))).collect();
    let content = ctx.data_unchecked::<content::Content>();
    Ok(Arc::new(content.series_neighbours(&positions).await.map_err(|e| to_graphql_ref(&e))?))
}

impl Article {
    /// The text, from the row or, for an article a list loaded without it, in one batch
    /// for the whole list.
    async fn text(&self, ctx: &Context<'_>) -> async_graphql::Result<crate::content::articles::ArticleText> {
        let row = &self.0.row;
        if !self.0.summary {
            return Ok(crate::content::articles::ArticleText { body: row.body.clone(), html: row.html.clone() });
        }
        loader(ctx).load_one(TextKey(row.id)).await.map_err(load_err)?.ok_or_else(|| "the article is gone".into())
    }
}

#[Object]
impl Article {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.row.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.row.slug
    }
    async fn title(&self) -> &str {
        &self.0.row.title
    }
    /// The editor's excerpt, or one derived from the body (at most 200 characters, cut on a
    /// word boundary, ending in "…" when cut).
    async fn excerpt(&self) -> &str {
        &self.0.row.excerpt
    }
    /// The excerpt the editor wrote; null when `excerpt` is derived from the body.
    async fn custom_excerpt(&self) -> Option<&str> {
        self.0.row.custom_excerpt.as_deref()
    }
    /// Markdown source.
    async fn body(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.text(ctx).await?.body)
    }
    /// Sanitized HTML rendered from `body`.
    async fn html(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.text(ctx).await?.html)
    }
    async fn word_count(&self) -> i32 {
        self.0.row.word_count
    }
    /// Minutes at 200 words a minute, at least 1.
    async fn reading_minutes(&self) -> i32 {
        self.0.row.reading_minutes
    }
    async fn status(&self, ctx: &Context<'_>) -> ArticleStatus {
        self.0.status(super::content(ctx).now()).into()
    }
    async fn published_at(&self) -> Option<DateTimeUtc> {
        self.0.row.published_at.map(DateTimeUtc)
    }
    async fn created_at(&self) -> DateTimeUtc {
        DateTimeUtc(self.0.row.created_at)
    }
    async fn updated_at(&self) -> DateTimeUtc {
        DateTimeUtc(self.0.row.updated_at)
    }
    /// Increases with every change; pass it as `expectedVersion` to update safely.
    async fn version(&self) -> i32 {
        self.0.row.version
    }
    /// In the order the editor gave them; the first is the primary tag.
    async fn tags(&self) -> Vec<Tag> {
        self.0.tags.iter().cloned().map(Tag).collect()
    }
    /// The first tag.
    async fn primary_tag(&self) -> Option<Tag> {
        self.0.tags.first().cloned().map(Tag)
    }
    async fn category(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Category>> {
        let Some(row) = self.0.category.clone() else { return Ok(None) };
        Ok(Some(Category::new(row, category_tree(ctx).await?)))
    }
    async fn series(&self) -> Option<Series> {
        self.0.series.clone().map(Series)
    }
    /// The part number within the series ("part 3 of 6"); parts may have gaps.
    async fn series_part(&self) -> Option<i32> {
        self.0.row.series_part
    }
    /// The published part before this one in the series, across gaps.
    async fn previous_in_series(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Article>> {
        Ok(self.neighbours(ctx).await?.0.map(Article::new))
    }
    /// The published part after this one in the series, across gaps.
    async fn next_in_series(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Article>> {
        Ok(self.neighbours(ctx).await?.1.map(Article::new))
    }
    /// Published articles sharing the most tags with this one, then the newest, among the
    /// 200 newest articles of each of its tags; never this article itself.
    #[graphql(complexity = "first.unwrap_or(5).clamp(1, 100) as usize * child_complexity")]
    async fn related(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1–50 (default 5)")] first: Option<i32>,
    ) -> async_graphql::Result<Vec<Article>> {
        let first =
            crate::content::groups::related_limit(first.map(i64::from), "first").map_err(|e| to_graphql_ref(&e))?;
        let key = RelatedKey { article_id: self.0.row.id, first };
        let list = loader(ctx).load_one(key).await.map_err(load_err)?.unwrap_or_default();
        Ok(list.into_iter().map(Article::new).collect())
    }
    /// Every stored version, newest first. Editors, and authors for their own articles.
    async fn revisions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<super::editorial::Revision>> {
        let viewer = super::viewer(ctx)?;
        let content = ctx.data_unchecked::<content::Content>();
        let list = content.revisions(viewer, &self.0.row.id.to_string()).await.map_err(|e| to_graphql_ref(&e))?;
        Ok(list.into_iter().map(|r| super::editorial::Revision::listed(self.0.row.id, r)).collect())
    }
    /// One stored version, with its text. Editors, and authors for their own articles.
    async fn revision(&self, ctx: &Context<'_>, version: i32) -> async_graphql::Result<super::editorial::Revision> {
        let viewer = super::viewer(ctx)?;
        let content = ctx.data_unchecked::<content::Content>();
        let id = self.0.row.id.to_string();
        let found = content.revision(viewer, &id, version).await.map_err(|e| to_graphql_ref(&e))?;
        Ok(super::editorial::Revision::with_text(self.0.row.id, found))
    }
    async fn author(&self) -> Option<Author> {
        self.0.author.as_ref().map(|a| Author { id: ID(a.id.to_string()), name: a.name.clone() })
    }
    async fn cover_image_url(&self) -> Option<&str> {
        self.0.row.cover_image_url.as_deref()
    }
    async fn canonical_url(&self) -> Option<&str> {
        self.0.row.canonical_url.as_deref()
    }
    async fn seo_title(&self) -> Option<&str> {
        self.0.row.seo_title.as_deref()
    }
    async fn seo_description(&self) -> Option<&str> {
        self.0.row.seo_description.as_deref()
    }
}

impl Article {
    async fn neighbours(&self, ctx: &Context<'_>) -> async_graphql::Result<(Option<ArticleView>, Option<ArticleView>)> {
        let (Some(s), Some(p)) = (self.0.row.series_id, self.0.row.series_part) else { return Ok((None, None)) };
        if let Some(found) = self.1.as_ref().and_then(|n| n.get(&(s, p))) {
            return Ok(found.clone());
        }
        Ok(loader(ctx).load_one(NeighboursKey(s, p)).await.map_err(load_err)?.unwrap_or((None, None)))
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Author {
    pub id: ID,
    pub name: String,
}

#[derive(Clone)]
pub struct Tag(pub tag::Model);

#[Object]
impl Tag {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Published articles with this tag.
    async fn article_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        count(ctx, Grouping::Tag, self.0.id, false).await
    }
    /// Published articles with this tag, newest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ArticleConnection> {
        articles(ctx, Grouping::Tag, self.0.id, false, first, after).await
    }
}

#[derive(Clone)]
pub struct Category {
    pub row: category::Model,
    pub tree: Arc<CategoryTree>,
    /// The other categories of the list this one came in, if any.
    pub siblings: Option<Arc<Siblings>>,
}

impl Category {
    pub fn new(row: category::Model, tree: Arc<CategoryTree>) -> Category {
        Category { row, tree, siblings: None }
    }

    fn wrap(&self, row: &category::Model) -> Category {
        Category::new(row.clone(), self.tree.clone())
    }

    /// Every category of the tree, in tree order, as one list of siblings.
    pub fn all(tree: Arc<CategoryTree>) -> Vec<Category> {
        let siblings = Arc::new(Siblings { ids: tree.ordered().iter().map(|c| c.id).collect(), ..Default::default() });
        tree.ordered()
            .iter()
            .map(|row| Category { row: row.clone(), tree: tree.clone(), siblings: Some(siblings.clone()) })
            .collect()
    }
}

/// The categories of one list (the topic index), so that the first to need its count or
/// its articles loads them for all of them in one call. Loads asked for one by one go into a
/// batch only if they arrive within the loader's delay, which a busy machine can miss; one
/// call for all is one batch whatever the timing.
#[derive(Default)]
pub struct Siblings {
    ids: Vec<i32>,
    counts: std::sync::Mutex<HashMap<bool, Shared<HashMap<CountKey, u64>>>>,
    articles: std::sync::Mutex<HashMap<ArticlesKey, Shared<ArticlePages>>>,
}

/// Loaded once, by whichever sibling asks first.
type Shared<T> = Arc<tokio::sync::OnceCell<T>>;
type ArticlePages = HashMap<ArticlesKey, (crate::content::model::Page<ArticleView>, Arc<Neighbours>)>;

impl Siblings {
    async fn count(&self, ctx: &Context<'_>, key: CountKey) -> async_graphql::Result<u64> {
        let cell =
            self.counts.lock().unwrap_or_else(|p| p.into_inner()).entry(key.include_descendants).or_default().clone();
        let all = cell
            .get_or_try_init(|| {
                let keys = self.ids.iter().map(|id| CountKey { id: *id, ..key.clone() });
                loader(ctx).load_many(keys)
            })
            .await
            .map_err(load_err)?;
        Ok(all.get(&key).copied().unwrap_or(0))
    }

    async fn articles(&self, ctx: &Context<'_>, key: ArticlesKey) -> async_graphql::Result<ArticleConnection> {
        let shared = ArticlesKey { id: 0, ..key.clone() };
        let cell = self.articles.lock().unwrap_or_else(|p| p.into_inner()).entry(shared).or_default().clone();
        let all = cell
            .get_or_try_init(|| {
                let keys = self.ids.iter().map(|id| ArticlesKey { id: *id, ..key.clone() });
                loader(ctx).load_many(keys)
            })
            .await
            .map_err(load_err)?;
        Ok(match all.get(&key) {
            Some((page, neighbours)) => ArticleConnection::from_page(page.clone(), Article::with(neighbours)),
            None => ArticleConnection::default(),
        })
    }
}

#[Object]
impl Category {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.row.slug
    }
    async fn name(&self) -> &str {
        &self.row.name
    }
    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }
    /// Order among siblings, ascending.
    async fn position(&self) -> i32 {
        self.row.position
    }
    async fn parent(&self) -> Option<Category> {
        self.row.parent_id.and_then(|p| self.tree.get(p)).map(|p| self.wrap(p))
    }
    /// Direct children, in order.
    async fn children(&self) -> Vec<Category> {
        self.tree.children(Some(self.row.id)).into_iter().map(|c| self.wrap(c)).collect()
    }
    /// From the root down to the parent, for breadcrumbs.
    async fn ancestors(&self) -> Vec<Category> {
        self.tree.ancestors(self.row.id).into_iter().map(|c| self.wrap(c)).collect()
    }
    /// 0 for a root category.
    async fn depth(&self) -> i32 {
        self.tree.depth(self.row.id) as i32
    }
    /// Published articles in this category (and its descendants, if asked).
    async fn article_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_descendants: bool,
    ) -> async_graphql::Result<u64> {
        if let Some(siblings) = &self.siblings {
            let key = CountKey { grouping: Grouping::Category, id: self.row.id, include_descendants };
            return siblings.count(ctx, key).await;
        }
        count(ctx, Grouping::Category, self.row.id, include_descendants).await
    }
    /// Published articles, newest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_descendants: bool,
    ) -> async_graphql::Result<ArticleConnection> {
        if let Some(siblings) = &self.siblings {
            let (with_neighbours, with_texts) = (wants_neighbours(ctx), wants_texts(ctx));
            let id = self.row.id;
            let key = ArticlesKey {
                grouping: Grouping::Category,
                id,
                include_descendants,
                first,
                after,
                with_neighbours,
                with_texts,
            };
            return siblings.articles(ctx, key).await;
        }
        articles(ctx, Grouping::Category, self.row.id, include_descendants, first, after).await
    }
}

#[derive(Clone)]
pub struct Series(pub series::Model);

#[Object]
impl Series {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Published parts.
    async fn article_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        count(ctx, Grouping::Series, self.0.id, false).await
    }
    /// Published parts in part order.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ArticleConnection> {
        articles(ctx, Grouping::Series, self.0.id, false, first, after).await
    }
}

#[derive(SimpleObject, Clone)]
pub struct SearchResult {
    pub article: Article,
    /// HTML-escaped text around the match, matched words in `<mark>`.
    pub snippet: String,
    /// Higher is better; comparable within one search only.
    pub score: f64,
}

impl From<SearchHit> for SearchResult {
    fn from(h: SearchHit) -> Self {
        SearchResult { article: Article::new(h.article), snippet: h.snippet, score: h.score }
    }
}

/// The publication's own facts and counts (published content only).
#[derive(SimpleObject)]
pub struct Site {
    pub title: String,
    pub description: String,
    pub url: String,
    pub article_count: u64,
    /// Tags with at least one published article.
    pub tag_count: u64,
    pub category_count: u64,
    /// Series with at least one published article.
    pub series_count: u64,
}

impl From<SiteView> for Site {
    fn from(s: SiteView) -> Self {
        Site {
            title: s.title,
            description: s.description,
            url: s.url,
            article_count: s.article_count,
            tag_count: s.tag_count,
            category_count: s.category_count,
            series_count: s.series_count,
        }
    }
}

#[derive(SimpleObject)]
pub struct ArchiveMonth {
    pub year: i32,
    /// 1–12.
    pub month: i32,
    pub count: u64,
}

impl From<Month> for ArchiveMonth {
    fn from(m: Month) -> Self {
        ArchiveMonth { year: m.year, month: m.month as i32, count: m.count }
    }
}
