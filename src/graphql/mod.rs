//! The GraphQL face: `POST /graphql` (and GET for queries), GraphiQL on `GET /graphql` from
//! a browser. Resolvers are thin: they call `content::Content` and map errors once
//! (`error::to_graphql`).

pub mod batches;
pub mod cost;
pub mod editorial;
pub mod error;
pub mod http;
mod int_range;
pub mod limits;
pub mod live;
pub mod loaders;
pub mod objects;
pub mod persisted;
pub mod types;
pub mod webhooks;
pub mod ws;

use async_graphql::{Context, ID, Object, Schema};

use crate::auth::Jwt;
use crate::content::categories::{CategoryPatch, NewCategory};
use crate::content::lookup::GroupKey;
use crate::content::series::{NewSeries, SeriesPatch};
use crate::content::site::SitePatch;
use crate::content::tags::{NewTag, TagPatch};
use crate::content::{ArticleLookup, ArticleQuery, Content, ContentError, PageArgs, Viewer};
use crate::guard::ClientIp;
use async_graphql::dataloader::DataLoader;
use editorial::{AuditConnection, AuthPayload, CreateUserInput, PreviewToken, RenderedMarkdown, UpdateUserInput, User};
use error::{GqlResult, to_graphql};
use loaders::Loaders;
use objects::{
    ArchiveMonth, Article, ArticleConnection, Category, RequestCache, SearchConnection, SearchResult, Series,
    SeriesConnection, Site, Tag, TagConnection, category_tree, neighbours_for,
};
use types::{
    ArticleFilter, ArticleOrder, CreateArticleInput, CreateCategoryInput, CreateSeriesInput, CreateTagInput, TagOrder,
    UpdateArticleInput, UpdateCategoryInput, UpdateSeriesInput, UpdateSiteInput, UpdateTagInput,
};

pub type AppSchema = Schema<QueryRoot, MutationRoot, live::SubscriptionRoot>;

/// The caller as the request's `Authorization` header made them: a viewer, or why the
/// header was refused (reported by every resolver: UNAUTHENTICATED, or a database error).
pub struct RequestAuth(pub Result<Viewer, ContentError>);

fn viewer<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Viewer> {
    match &ctx.data_unchecked::<RequestAuth>().0 {
        Ok(v) => Ok(v),
        Err(e) => Err(error::to_graphql_ref(e)),
    }
}

fn content<'a>(ctx: &'a Context<'_>) -> &'a Content {
    ctx.data_unchecked::<Content>()
}

pub struct QueryRoot;

fn article_query(filter: ArticleFilter, order_by: Option<ArticleOrder>, page: PageArgs) -> ArticleQuery {
    ArticleQuery {
        status: filter.status.map(Into::into),
        tag: filter.tag,
        tags: filter.tags.unwrap_or_default(),
        category: filter.category,
        series: filter.series,
        author: filter.author.map(|a| a.0),
        published_after: filter.published_after.map(|t| t.0),
        published_before: filter.published_before.map(|t| t.0),
        search: filter.search,
        order: order_by.unwrap_or_default().into(),
        page,
    }
}

fn forward(first: Option<i32>, after: Option<String>) -> PageArgs {
    PageArgs { first: first.map(i64::from), after, ..Default::default() }
}

#[Object]
impl QueryRoot {
    /// One article by slug (old slugs keep working) or id. Readers see published articles;
    /// editors see every state.
    async fn article(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        id: Option<ID>,
        #[graphql(desc = "A token from `createPreviewToken`: opens that article in any state")] preview_token: Option<
            String,
        >,
    ) -> async_graphql::Result<Option<Article>> {
        let viewer = viewer(ctx)?;
        let lookup = match (slug, id) {
            (Some(slug), None) => ArticleLookup::Slug(slug),
            (None, Some(id)) => ArticleLookup::Id(id.0),
            _ => return Err(to_graphql(ContentError::field("slug", "give exactly one of `slug` or `id`"))),
        };
        // A forged or expired preview token opens nothing; it is not an error.
        let preview = preview_token.and_then(|t| ctx.data_unchecked::<Jwt>().verify_preview(&t));
        if preview.is_some() {
            ctx.data_unchecked::<std::sync::Arc<RequestCache>>()
                .previewed
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(content(ctx).article_with_preview(viewer, lookup, preview).await.gql()?.map(Article::new))
    }

    /// Trashed articles, most recently trashed first. Editors and admins.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn trash(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ArticleConnection> {
        let viewer = viewer(ctx)?;
        let page = content(ctx).trash(viewer, &forward(first, after)).await.gql()?;
        Ok(ArticleConnection::from_page(page, Article::new))
    }

    /// Markdown rendered exactly as a saved body is (a preview: the same HTML, word count and
    /// reading time readers would get). Anyone who may write.
    async fn render_markdown(&self, ctx: &Context<'_>, markdown: String) -> async_graphql::Result<RenderedMarkdown> {
        let viewer = viewer(ctx)?;
        let r = content(ctx).render_markdown(viewer, markdown).await.gql()?;
        Ok(RenderedMarkdown {
            html: r.html,
            word_count: r.word_count,
            reading_minutes: r.reading_minutes,
            excerpt: r.excerpt,
        })
    }

    /// The account behind the caller's token; null for a token without one.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).me(viewer).await.gql()?.map(Into::into))
    }

    /// Every account. Admins only.
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).users(viewer).await.gql()?.into_iter().map(Into::into).collect())
    }

    /// Every webhook. Admins only.
    async fn webhooks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<webhooks::Webhook>> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).webhooks(viewer).await.gql()?.into_iter().map(Into::into).collect())
    }

    /// An endpoint's deliveries, newest first. Admins only.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<webhooks::WebhookDeliveryConnection> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).webhook_deliveries(viewer, &webhook_id, &forward(first, after)).await.gql()?.into())
    }

    /// Every mutation, newest first. Admins only.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditConnection> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).audit_log(viewer, &forward(first, after)).await.gql()?.into())
    }

    /// Articles, newest first by default. Page forward with `first`/`after` or backward with
    /// `last`/`before` (1–100, default 20).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ArticleFilter>,
        order_by: Option<ArticleOrder>,
    ) -> async_graphql::Result<ArticleConnection> {
        let viewer = viewer(ctx)?;
        let page = PageArgs {
            first: first.map(i64::from),
            after,
            last: last.map(i64::from),
            before,
            names: Default::default(),
        };
        let query = article_query(filter.unwrap_or_default(), order_by, page);
        if query.search.is_some() {
            objects::searched(ctx);
        }
        let mut page = content(ctx).articles(viewer, query).await.gql()?;
        if objects::wants_texts(ctx) {
            content(ctx).fill_texts(page.items.iter_mut().map(|(_, v)| v).collect()).await.gql()?;
        }
        let neighbours = neighbours_for(ctx, &page.items.iter().map(|(_, v)| v).collect::<Vec<_>>()).await?;
        Ok(ArticleConnection::from_page(page, Article::with(&neighbours)))
    }

    /// A tag by slug (old slugs keep working).
    async fn tag(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<Option<Tag>> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).tag(viewer, GroupKey::Slug(&slug)).await.gql()?.map(Tag))
    }

    /// Tags by name or by article count. Readers see tags with published articles.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn tags(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        order_by: Option<TagOrder>,
    ) -> async_graphql::Result<TagConnection> {
        let viewer = viewer(ctx)?;
        let page =
            content(ctx).tags(viewer, order_by.unwrap_or_default().into(), &forward(first, after)).await.gql()?;
        Ok(TagConnection::from_page(page, |(t, _)| Tag(t)))
    }

    async fn category(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<Option<Category>> {
        viewer(ctx)?;
        let tree = category_tree(ctx).await?;
        Ok(tree.by_key(GroupKey::Slug(&slug)).cloned().map(|row| Category::new(row, tree.clone())))
    }

    /// Every category, in tree order: parents before children, siblings by position.
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Category>> {
        viewer(ctx)?;
        let tree = category_tree(ctx).await?;
        Ok(Category::all(tree))
    }

    async fn series(&self, ctx: &Context<'_>, slug: String) -> async_graphql::Result<Option<Series>> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).series(viewer, GroupKey::Slug(&slug)).await.gql()?.map(Series))
    }

    /// Series by title. Readers see series with published articles.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn series_list(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SeriesConnection> {
        let viewer = viewer(ctx)?;
        Ok(SeriesConnection::from_page(content(ctx).series_list(viewer, &forward(first, after)).await.gql()?, Series))
    }

    /// Published articles matching `query`, best first: title weighs most, then excerpt,
    /// tags, body. Any text is safe.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SearchConnection> {
        viewer(ctx)?;
        objects::searched(ctx);
        let mut page = content(ctx).search(&query, &forward(first, after)).await.gql()?;
        if objects::wants_texts(ctx) {
            content(ctx).fill_texts(page.items.iter_mut().map(|(_, h)| &mut h.article).collect()).await.gql()?;
        }
        let neighbours = neighbours_for(ctx, &page.items.iter().map(|(_, h)| &h.article).collect::<Vec<_>>()).await?;
        Ok(SearchConnection::from_page(page, |h| SearchResult {
            article: Article::with(&neighbours)(h.article),
            snippet: h.snippet,
            score: h.score,
        }))
    }

    /// Delta sync for mobile clients and static builds. Without a token: every published
    /// article, page by page. With the `nextToken` of the last answer: the articles that
    /// changed since (`items`, in their current form) and the ids of those that left public
    /// view (`deleted`). Keep asking while `hasMore`; keep the last token for next time.
    #[graphql(complexity = "first.unwrap_or(50).clamp(1, 100) as usize * child_complexity")]
    async fn sync(
        &self,
        ctx: &Context<'_>,
        token: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<objects::SyncPage> {
        use crate::content::sync::{SyncArgNames, SyncArgs};
        viewer(ctx)?;
        let args =
            SyncArgs { token, limit: first.map(i64::from), names: SyncArgNames { token: "token", limit: "first" } };
        let page = content(ctx).sync(&args).await.gql()?;
        let neighbours = neighbours_for(ctx, &page.items.iter().collect::<Vec<_>>()).await?;
        Ok(objects::SyncPage {
            items: page.items.into_iter().map(Article::with(&neighbours)).collect(),
            deleted: page.deleted.into_iter().map(|id| ID(id.to_string())).collect(),
            next_token: page.next_token,
            has_more: page.has_more,
        })
    }

    /// Months with published articles, newest first.
    async fn archive(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ArchiveMonth>> {
        viewer(ctx)?;
        Ok(content(ctx).archive().await.gql()?.into_iter().map(Into::into).collect())
    }

    async fn site(&self, ctx: &Context<'_>) -> async_graphql::Result<Site> {
        viewer(ctx)?;
        Ok(content(ctx).site().await.gql()?.into())
    }
}

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Create a draft article. Editors and admins.
    async fn create_article(&self, ctx: &Context<'_>, input: CreateArticleInput) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article::new(content(ctx).create_article(viewer, input.into()).await.gql()?))
    }

    /// Change an article. With `expectedVersion`, the change applies only to that version
    /// (CONFLICT with `extensions.currentVersion` otherwise).
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateArticleInput,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article::new(content(ctx).update_article(viewer, &id, input.into(), expected_version).await.gql()?))
    }

    /// Publish now, back-date with a past `publishedAt`, or schedule with a future one.
    async fn publish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        published_at: Option<types::DateTimeUtc>,
    ) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article::new(content(ctx).publish_article(viewer, &id, published_at.map(|t| t.0)).await.gql()?))
    }

    /// Take an article back to draft.
    async fn unpublish_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article::new(content(ctx).unpublish_article(viewer, &id).await.gql()?))
    }

    /// Archive an article: readers no longer see it; publishing brings it back.
    async fn archive_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article::new(content(ctx).archive_article(viewer, &id).await.gql()?))
    }

    /// Move an article to the trash; it disappears from every read.
    async fn delete_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let viewer = viewer(ctx)?;
        content(ctx).delete_article(viewer, &id).await.gql()?;
        Ok(true)
    }

    async fn create_tag(&self, ctx: &Context<'_>, input: CreateTagInput) -> async_graphql::Result<Tag> {
        let viewer = viewer(ctx)?;
        let input = NewTag { name: input.name, slug: input.slug, description: input.description };
        Ok(Tag(content(ctx).create_tag(viewer, input).await.gql()?))
    }

    /// Rename (the slug stays unless given; an old slug keeps resolving) or describe a tag.
    async fn update_tag(&self, ctx: &Context<'_>, id: ID, input: UpdateTagInput) -> async_graphql::Result<Tag> {
        let viewer = viewer(ctx)?;
        let patch = TagPatch { name: input.name, slug: input.slug, description: types::maybe(input.description) };
        Ok(Tag(content(ctx).update_tag(viewer, &id, patch).await.gql()?))
    }

    /// Moves every article of `sourceId` to `targetId` and deletes the source; its slug
    /// keeps resolving to the target.
    async fn merge_tags(&self, ctx: &Context<'_>, source_id: ID, target_id: ID) -> async_graphql::Result<Tag> {
        let viewer = viewer(ctx)?;
        Ok(Tag(content(ctx).merge_tags(viewer, &source_id, &target_id).await.gql()?))
    }

    /// Deletes a tag and unlinks it from its articles.
    async fn delete_tag(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let viewer = viewer(ctx)?;
        content(ctx).delete_tag(viewer, &id).await.gql()?;
        Ok(true)
    }

    async fn create_category(&self, ctx: &Context<'_>, input: CreateCategoryInput) -> async_graphql::Result<Category> {
        let viewer = viewer(ctx)?;
        let input = NewCategory {
            name: input.name,
            slug: input.slug,
            description: input.description,
            parent: input.parent,
            position: input.position,
        };
        let row = content(ctx).create_category(viewer, input).await.gql()?;
        fresh_category(ctx, row).await
    }

    /// Rename, move under another parent (never under itself or a descendant), reorder.
    async fn update_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCategoryInput,
    ) -> async_graphql::Result<Category> {
        let viewer = viewer(ctx)?;
        let patch = CategoryPatch {
            name: input.name,
            slug: input.slug,
            description: types::maybe(input.description),
            parent: types::maybe(input.parent),
            position: input.position,
        };
        let row = content(ctx).update_category(viewer, &id, patch).await.gql()?;
        fresh_category(ctx, row).await
    }

    /// Refused with CONFLICT while articles or child categories use it, unless
    /// `reassignTo` names a category to take them over.
    async fn delete_category(&self, ctx: &Context<'_>, id: ID, reassign_to: Option<ID>) -> async_graphql::Result<bool> {
        let viewer = viewer(ctx)?;
        content(ctx).delete_category(viewer, &id, reassign_to.as_ref().map(|r| r.as_str())).await.gql()?;
        Ok(true)
    }

    async fn create_series(&self, ctx: &Context<'_>, input: CreateSeriesInput) -> async_graphql::Result<Series> {
        let viewer = viewer(ctx)?;
        let input = NewSeries { title: input.title, slug: input.slug, description: input.description };
        Ok(Series(content(ctx).create_series(viewer, input).await.gql()?))
    }

    async fn update_series(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateSeriesInput,
    ) -> async_graphql::Result<Series> {
        let viewer = viewer(ctx)?;
        let patch = SeriesPatch { title: input.title, slug: input.slug, description: types::maybe(input.description) };
        Ok(Series(content(ctx).update_series(viewer, &id, patch).await.gql()?))
    }

    /// Refused with CONFLICT while articles belong to it.
    async fn delete_series(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let viewer = viewer(ctx)?;
        content(ctx).delete_series(viewer, &id).await.gql()?;
        Ok(true)
    }

    /// Puts the listed articles of the series in this order: the part numbers they hold
    /// (gaps included) are handed out among them in the new order. Articles not listed
    /// (a trashed part, a draft the caller leaves out) keep theirs.
    async fn reorder_series(&self, ctx: &Context<'_>, id: ID, article_ids: Vec<ID>) -> async_graphql::Result<Series> {
        let viewer = viewer(ctx)?;
        let ids: Vec<String> = article_ids.into_iter().map(|i| i.0).collect();
        Ok(Series(content(ctx).reorder_series(viewer, &id, &ids).await.gql()?))
    }

    /// Take an article out of the trash. Editors and admins.
    async fn restore_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article::new(content(ctx).restore_article(viewer, &id).await.gql()?))
    }

    /// Delete a trashed article for good. Admins only.
    async fn purge_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let viewer = viewer(ctx)?;
        content(ctx).purge_article(viewer, &id).await.gql()?;
        Ok(true)
    }

    /// Put back an article's content as it was at `version`, as a new version.
    async fn restore_revision(
        &self,
        ctx: &Context<'_>,
        article_id: ID,
        version: i32,
    ) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article::new(content(ctx).restore_revision(viewer, &article_id, version).await.gql()?))
    }

    /// A short-lived token that opens this one article for a reviewer without an account.
    async fn create_preview_token(&self, ctx: &Context<'_>, article_id: ID) -> async_graphql::Result<PreviewToken> {
        let viewer = viewer(ctx)?;
        let jwt = ctx.data_unchecked::<Jwt>();
        let (token, expires_at) = content(ctx).create_preview_token(viewer, jwt, &article_id).await.gql()?;
        Ok(PreviewToken { token, expires_at: types::DateTimeUtc(expires_at) })
    }

    /// Sign in: an access token (15 minutes) and a refresh token (30 days).
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> async_graphql::Result<AuthPayload> {
        let jwt = ctx.data_unchecked::<Jwt>();
        let client = ctx.data_opt::<ClientIp>().and_then(|c| c.0);
        Ok(content(ctx).login(jwt, client, &email, &password).await.gql()?.into())
    }

    /// Trade a refresh token for a new pair. Each works once; reusing a spent one revokes
    /// every session of that sign-in.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<AuthPayload> {
        let jwt = ctx.data_unchecked::<Jwt>();
        let client = ctx.data_opt::<ClientIp>().and_then(|c| c.0);
        Ok(content(ctx).refresh(jwt, client, &refresh_token).await.gql()?.into())
    }

    /// End the sign-in this refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<bool> {
        content(ctx).logout(&refresh_token).await.gql()?;
        Ok(true)
    }

    /// Register an endpoint for events. Admins only. The signing secret is in this answer
    /// and never again.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: webhooks::CreateWebhookInput,
    ) -> async_graphql::Result<webhooks::CreatedWebhook> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).create_webhook(viewer, input.into()).await.gql()?.into())
    }

    /// Admins only.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: webhooks::UpdateWebhookInput,
    ) -> async_graphql::Result<webhooks::Webhook> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).update_webhook(viewer, &id, input.into()).await.gql()?.into())
    }

    /// Deletes the endpoint and its delivery log. Admins only.
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let viewer = viewer(ctx)?;
        content(ctx).delete_webhook(viewer, &id).await.gql()?;
        Ok(true)
    }

    /// Sends a delivery's event again, as a new delivery. Admins only.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        delivery_id: ID,
    ) -> async_graphql::Result<webhooks::WebhookDelivery> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).redeliver(viewer, &webhook_id, &delivery_id).await.gql()?.into())
    }

    /// Admins only.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> async_graphql::Result<User> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).create_user(viewer, input.into()).await.gql()?.into())
    }

    /// Admins only. Disabling ends the user's sessions.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> async_graphql::Result<User> {
        let viewer = viewer(ctx)?;
        Ok(content(ctx).update_user(viewer, &id, input.into()).await.gql()?.into())
    }

    /// Admins only.
    async fn update_site(&self, ctx: &Context<'_>, input: UpdateSiteInput) -> async_graphql::Result<Site> {
        let viewer = viewer(ctx)?;
        let patch = SitePatch { title: input.title, description: input.description, url: input.url };
        Ok(content(ctx).update_site(viewer, patch).await.gql()?.into())
    }
}

/// A category just written, with a tree that includes the write.
async fn fresh_category(ctx: &Context<'_>, row: crate::entities::category::Model) -> async_graphql::Result<Category> {
    let tree = std::sync::Arc::new(content(ctx).category_tree_for(viewer(ctx)?).await.gql()?);
    Ok(Category::new(row, tree))
}

/// The loader every GraphQL request's batches share (see `batches`).
pub fn shared_loader(content: &Content) -> batches::SharedLoader {
    std::sync::Arc::new(DataLoader::new(Loaders { content: content.clone() }, tokio::spawn))
}

pub fn build_schema(
    content: Content,
    jwt: Jwt,
    introspection: bool,
    live: crate::content::live::Live,
    loaders: batches::SharedLoader,
) -> AppSchema {
    let builder = Schema::build(QueryRoot, MutationRoot, live::SubscriptionRoot);
    // `COLOPHON_GRAPHQL_INTROSPECTION=off`: the schema is public in schema.graphql anyway,
    // but some publications prefer not to hand it to every crawler.
    let builder = if introspection { builder } else { builder.disable_introspection() };
    builder
        .data(content)
        .data(jwt)
        .data(loaders)
        .data(live)
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .extension(limits::Limits { introspection })
        .finish()
}

/// The SDL `schema.graphql` must equal.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, live::SubscriptionRoot).finish().sdl()
}

/// GraphiQL, for `GET /graphql` from a browser (assets embedded, see `docs`).
pub fn graphiql_html() -> &'static str {
    crate::docs::graphiql_html()
}
