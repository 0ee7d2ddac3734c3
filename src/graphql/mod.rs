//! The GraphQL face: `POST /graphql` (and GET for queries), GraphiQL on `GET /graphql` from
//! a browser. Resolvers are thin: they call `content::Content` and map errors once
//! (`error::to_graphql`).

pub mod error;
pub mod types;

use async_graphql::http::GraphiQLSource;
use async_graphql::{Context, EmptySubscription, ID, Object, Schema};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};

use crate::app::AppState;
use crate::content::{ArticleLookup, ArticleQuery, Content, ContentError, PageArgs, Viewer};
use error::{GqlResult, to_graphql};
use types::{Article, ArticleConnection, ArticleFilter, ArticleOrder, CreateArticleInput, UpdateArticleInput};

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The caller as the request's `Authorization` header made them: a viewer, or the reason the
/// header was refused (reported by every resolver, as UNAUTHENTICATED).
pub struct RequestAuth(pub Result<Viewer, String>);

fn viewer<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Viewer> {
    match &ctx.data_unchecked::<RequestAuth>().0 {
        Ok(v) => Ok(v),
        Err(reason) => Err(to_graphql(ContentError::Unauthenticated(reason.clone()))),
    }
}

fn content<'a>(ctx: &'a Context<'_>) -> &'a Content {
    ctx.data_unchecked::<Content>()
}

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// One article by slug (old slugs keep working) or id. Readers see published articles;
    /// editors see every state.
    async fn article(
        &self,
        ctx: &Context<'_>,
        slug: Option<String>,
        id: Option<ID>,
    ) -> async_graphql::Result<Option<Article>> {
        let viewer = viewer(ctx)?;
        let lookup = match (slug, id) {
            (Some(slug), None) => ArticleLookup::Slug(slug),
            (None, Some(id)) => ArticleLookup::Id(id.0),
            _ => return Err(to_graphql(ContentError::field("slug", "give exactly one of `slug` or `id`"))),
        };
        Ok(content(ctx).article(viewer, lookup).await.gql()?.map(Article))
    }

    /// Articles, newest first by default. Page forward with `first`/`after` or backward with
    /// `last`/`before` (1–100, default 20).
    #[allow(clippy::too_many_arguments)]
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
        let filter = filter.unwrap_or_default();
        let query = ArticleQuery {
            status: filter.status.map(Into::into),
            tag: filter.tag,
            order: order_by.unwrap_or_default().into(),
            page: PageArgs {
                first: first.map(i64::from),
                after,
                last: last.map(i64::from),
                before,
                names: Default::default(),
            },
        };
        Ok(content(ctx).articles(viewer, query).await.gql()?.into())
    }
}

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Create a draft article. Editors and admins.
    async fn create_article(&self, ctx: &Context<'_>, input: CreateArticleInput) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article(content(ctx).create_article(viewer, input.into()).await.gql()?))
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
        Ok(Article(content(ctx).update_article(viewer, &id, input.into(), expected_version).await.gql()?))
    }

    /// Publish now, back-date with a past `publishedAt`, or schedule with a future one.
    async fn publish_article(
        &self,
        ctx: &Context<'_>,
        id: ID,
        published_at: Option<types::DateTimeUtc>,
    ) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article(content(ctx).publish_article(viewer, &id, published_at.map(|t| t.0)).await.gql()?))
    }

    /// Take an article back to draft.
    async fn unpublish_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Article> {
        let viewer = viewer(ctx)?;
        Ok(Article(content(ctx).unpublish_article(viewer, &id).await.gql()?))
    }

    /// Move an article to the trash; it disappears from every read.
    async fn delete_article(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let viewer = viewer(ctx)?;
        content(ctx).delete_article(viewer, &id).await.gql()?;
        Ok(true)
    }
}

pub fn build_schema(content: Content) -> AppSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .data(content)
        .limit_depth(16)
        .limit_complexity(5_000)
        .finish()
}

/// The SDL `schema.graphql` must equal.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription).finish().sdl()
}

fn auth_of(state: &AppState, headers: &HeaderMap) -> RequestAuth {
    let header = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("\u{0}"));
    RequestAuth(state.jwt.viewer(header).map_err(|e| e.to_string()))
}

pub async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, req: GraphQLRequest) -> GraphQLResponse {
    let req = req.into_inner().data(auth_of(&state, &headers));
    state.schema.execute(req).await.into()
}

/// GraphiQL for a browser; a query in the URL is executed (queries only, never mutations).
pub async fn graphql_get(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    if uri.query().is_none_or(|q| !q.contains("query=")) {
        return Html(GraphiQLSource::build().endpoint("/graphql").title("Colophon GraphiQL").finish()).into_response();
    }
    let req = match async_graphql::http::parse_query_string(uri.query().unwrap_or("")) {
        Ok(r) => r,
        Err(e) => {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                GraphQLResponse::from(async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                    e.to_string(),
                    None,
                )])),
            )
                .into_response();
        }
    };
    let mut req = req.data(auth_of(&state, &headers));
    if is_mutation(&mut req) {
        // GraphQL over HTTP: GET must not change anything.
        let body = async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
            "mutations are only accepted over POST",
            None,
        )]);
        let mut res = (axum::http::StatusCode::METHOD_NOT_ALLOWED, GraphQLResponse::from(body)).into_response();
        res.headers_mut().insert(header::ALLOW, axum::http::HeaderValue::from_static("GET, POST"));
        return res;
    }
    GraphQLResponse::from(state.schema.execute(req).await).into_response()
}

fn is_mutation(req: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let name = req.operation_name.clone();
    let Ok(doc) = req.parsed_query() else { return false };
    let op = match &doc.operations {
        DocumentOperations::Single(op) => Some(op),
        DocumentOperations::Multiple(ops) => match &name {
            Some(n) => ops.iter().find(|(k, _)| k.as_str() == n).map(|(_, op)| op),
            None if ops.len() == 1 => ops.values().next(),
            None => None,
        },
    };
    op.is_some_and(|op| op.node.ty == OperationType::Mutation)
}
