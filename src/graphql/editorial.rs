//! GraphQL types of the editorial workflow: users and sessions, revisions, preview tokens,
//! the audit log.

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, SimpleObject};

use super::error::GqlResult;
use super::objects::PageInfo;
use super::types::DateTimeUtc;
use crate::content::accounts::Session;
use crate::content::model::Page;
use crate::content::workflow::{RevisionSummary, RevisionView};
use crate::content::{self, Role as ServiceRole};
use crate::entities::{audit_entry, user};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::content::Role")]
pub enum Role {
    /// Writes and edits their own drafts.
    Author,
    /// Everything with content and taxonomy.
    Editor,
    /// Also users, site settings and the audit log.
    Admin,
}

#[derive(SimpleObject, Clone)]
pub struct User {
    pub id: ID,
    pub email: Option<String>,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
}

impl From<user::Model> for User {
    fn from(u: user::Model) -> Self {
        User {
            id: ID(u.id.to_string()),
            email: u.email,
            name: u.display_name,
            role: ServiceRole::parse(&u.role).unwrap_or(ServiceRole::Author).into(),
            disabled: u.disabled,
            created_at: DateTimeUtc(u.created_at),
        }
    }
}

/// What `login` and `refreshToken` hand out.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// Trade for a new pair with `refreshToken`; works once.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid.
    pub expires_in: u64,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        AuthPayload {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            token_type: "Bearer".into(),
            expires_in: s.expires_in,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Revision {
    pub version: i32,
    pub title: String,
    /// The subject of whoever made the change (`system` for the scheduler).
    pub editor: String,
    pub created_at: DateTimeUtc,
    #[graphql(skip)]
    pub article_id: i32,
    /// The text, read when a field of it is asked for (a list of revisions has none).
    #[graphql(skip)]
    pub text: std::sync::Arc<tokio::sync::OnceCell<RevisionView>>,
}

impl Revision {
    pub fn listed(article_id: i32, r: RevisionSummary) -> Self {
        Revision {
            version: r.version,
            title: r.title,
            editor: r.editor,
            created_at: DateTimeUtc(r.created_at),
            article_id,
            text: Default::default(),
        }
    }

    pub fn with_text(article_id: i32, r: RevisionView) -> Self {
        Revision {
            version: r.version,
            title: r.title.clone(),
            editor: r.editor.clone(),
            created_at: DateTimeUtc(r.created_at),
            article_id,
            text: std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(r))),
        }
    }

    async fn text(&self, ctx: &Context<'_>) -> async_graphql::Result<&RevisionView> {
        self.text
            .get_or_try_init(|| async {
                let viewer = super::viewer(ctx)?;
                let content = ctx.data_unchecked::<crate::content::Content>();
                content.revision(viewer, &self.article_id.to_string(), self.version).await.gql()
            })
            .await
    }
}

#[ComplexObject]
impl Revision {
    /// The slug the article had at this version.
    async fn slug(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        Ok(&self.text(ctx).await?.slug)
    }
    /// The excerpt the editor had written, if any.
    async fn excerpt(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(self.text(ctx).await?.excerpt.as_deref())
    }
    /// The Markdown body at this version, to compare with another.
    async fn body(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        Ok(&self.text(ctx).await?.body)
    }
}

/// Markdown as the server renders an article's body.
#[derive(SimpleObject)]
pub struct RenderedMarkdown {
    /// The sanitized HTML readers would get.
    pub html: String,
    pub word_count: i32,
    pub reading_minutes: i32,
    /// The excerpt an article with this body and no excerpt of its own would get.
    pub excerpt: String,
}

#[derive(SimpleObject)]
pub struct PreviewToken {
    /// Pass as `article(slug:, previewToken:)` or `?preview=` on REST.
    pub token: String,
    pub expires_at: DateTimeUtc,
}

#[derive(SimpleObject, Clone)]
pub struct AuditEntry {
    /// Like `article.publish`.
    pub action: String,
    /// The subject that did it.
    pub actor: String,
    /// Like `article:42`.
    pub target: String,
    pub created_at: DateTimeUtc,
}

#[derive(SimpleObject, Clone)]
pub struct AuditEdge {
    pub cursor: String,
    pub node: AuditEntry,
}

#[derive(SimpleObject)]
pub struct AuditConnection {
    pub edges: Vec<AuditEdge>,
    pub nodes: Vec<AuditEntry>,
    pub page_info: PageInfo,
    pub total_count: u64,
}

impl From<Page<audit_entry::Model>> for AuditConnection {
    fn from(page: Page<audit_entry::Model>) -> Self {
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.start_cursor().map(str::to_string),
            end_cursor: page.end_cursor().map(str::to_string),
        };
        let edges: Vec<AuditEdge> = page
            .items
            .into_iter()
            .map(|(cursor, e)| AuditEdge {
                cursor,
                node: AuditEntry {
                    action: e.action,
                    actor: e.actor,
                    target: e.target,
                    created_at: DateTimeUtc(e.created_at),
                },
            })
            .collect();
        AuditConnection {
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            page_info,
            total_count: page.total,
        }
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// At least 10 characters.
    pub password: String,
}

impl From<CreateUserInput> for content::accounts::NewUser {
    fn from(i: CreateUserInput) -> Self {
        content::accounts::NewUser { email: i.email, name: i.name, role: i.role.into(), password: i.password }
    }
}

/// Omitted fields are kept. Disabling a user ends their sessions.
#[derive(InputObject)]
pub struct UpdateUserInput {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

impl From<UpdateUserInput> for content::accounts::UserPatch {
    fn from(i: UpdateUserInput) -> Self {
        content::accounts::UserPatch {
            name: i.name,
            role: i.role.map(Into::into),
            disabled: i.disabled,
            password: i.password,
        }
    }
}
