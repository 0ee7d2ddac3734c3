//! Subscriptions: what changed, as it is committed (`content::live`), over the WebSocket
//! that `ws` serves on `/graphql`.

use std::sync::Arc;

use async_graphql::futures_util::stream::{self, Stream, StreamExt};
use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, Subscription};
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::error::GqlResult;
use super::objects::Article;
use super::types::DateTimeUtc;
use super::{content, viewer};
use crate::content::live::{self, Live, PublicChange};
use crate::content::{Content, Viewer};

/// What happened to an article, as readers saw it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// It came into public view: published, or a scheduled article fell due.
    Published,
    /// It changed while in public view.
    Updated,
    /// It left public view (back to draft, or archived).
    Unpublished,
    /// It was deleted (moved to the trash) while in public view.
    Deleted,
}

impl From<live::ChangeKind> for ChangeKind {
    fn from(k: live::ChangeKind) -> Self {
        match k {
            live::ChangeKind::Published => ChangeKind::Published,
            live::ChangeKind::Updated => ChangeKind::Updated,
            live::ChangeKind::Unpublished => ChangeKind::Unpublished,
            live::ChangeKind::Deleted => ChangeKind::Deleted,
        }
    }
}

/// A change readers can see.
pub struct ContentChange(Arc<PublicChange>);

#[Object]
impl ContentChange {
    async fn kind(&self) -> ChangeKind {
        self.0.kind.into()
    }
    async fn article_id(&self) -> ID {
        ID(self.0.article_id.to_string())
    }
    /// The article's slug; null only when it has been purged since.
    async fn slug(&self) -> Option<&str> {
        self.0.slug.as_deref()
    }
    /// When the change was committed.
    async fn at(&self) -> DateTimeUtc {
        DateTimeUtc(self.0.at)
    }
    /// The article as readers see it now; null when they no longer see it.
    async fn article(&self) -> Option<Article> {
        self.0.article.clone().map(Article::new)
    }
    /// `sync(token:)` with this resumes after this change: a client that lost its
    /// connection catches up from the last one it saw, and misses nothing.
    async fn sync_token(&self) -> String {
        self.0.sync_token()
    }
}

/// A version of an article someone saved.
pub struct ArticleEdit(Arc<live::ArticleEdit>);

#[Object]
impl ArticleEdit {
    async fn article_id(&self) -> ID {
        ID(self.0.article_id.to_string())
    }
    /// The article's version after this save.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Who saved it, as revisions name them.
    async fn editor(&self) -> &str {
        &self.0.editor
    }
    async fn at(&self) -> DateTimeUtc {
        DateTimeUtc(self.0.at)
    }
    /// The fields this version changed, by their names on `Article` (`title`, `body`,
    /// `tags`, `status`…; `trashed` when it was moved to or out of the trash).
    async fn fields(&self) -> Vec<&str> {
        self.0.fields.clone()
    }
    /// This version moved the article to the trash.
    async fn trashed(&self) -> bool {
        self.0.trashed
    }
}

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Public: every change readers can see, as it is committed (on any instance). A draft
    /// is never announced; a scheduled article is announced when it falls due. `kinds`
    /// keeps only those kinds. `after`: a `syncToken` (or a delta token of `sync`) to resume
    /// from; the changes since it come first, then the live ones, none missed and none
    /// twice (at most 500 behind; further, catch up with `sync` first). A subscription that
    /// falls too far behind ends with `SLOW_CONSUMER`.
    async fn content_changed(
        &self,
        ctx: &Context<'_>,
        kinds: Option<Vec<ChangeKind>>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ContentChange>>> {
        let content = content(ctx).clone();
        let viewer = viewer(ctx)?.clone();
        // Live first, then the replay: whatever commits between them is in one or both.
        let rx = ctx.data_unchecked::<Live>().public_changes(&content).await.gql()?;
        let replay = match after {
            Some(token) => content.public_changes_after(&token).await.gql()?,
            None => Vec::new(),
        };
        let replayed = replay.last().map_or(i32::MIN, |c| c.event_id);
        let wanted =
            move |change: &PublicChange| kinds.as_ref().is_none_or(|k| k.contains(&ChangeKind::from(change.kind)));
        let wanted_live = wanted.clone();
        let past: Vec<async_graphql::Result<ContentChange>> =
            replay.into_iter().filter(|c| wanted(c)).map(|c| Ok(ContentChange(Arc::new(c)))).collect();
        let live = follow(rx, move |change: &Arc<PublicChange>| {
            let keep = change.event_id > replayed && wanted_live(change);
            let (content, viewer, change) = (content.clone(), viewer.clone(), change.clone());
            async move {
                if !keep {
                    return Ok(None);
                }
                content.same_account(&viewer).await.gql()?;
                Ok(Some(ContentChange(change)))
            }
        });
        Ok(stream::iter(past).chain(live))
    }

    /// Every save of one article, drafts included, as it is committed: for editors and
    /// admins, and for its author. The account is checked again at each save: a disabled
    /// or demoted one stops hearing (the subscription ends with the reason).
    async fn article_edited(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ArticleEdit>>> {
        let viewer = viewer(ctx)?.clone();
        let content = content(ctx).clone();
        let article_id = content.watch_edits(&viewer, &id).await.gql()?;
        let rx = ctx.data_unchecked::<Live>().edits(&content).await.gql()?;
        Ok(follow(rx, move |edit: &Arc<live::ArticleEdit>| {
            let (content, viewer, edit) = (content.clone(), viewer.clone(), edit.clone());
            async move {
                if edit.article_id != article_id {
                    return Ok(None);
                }
                still_allowed(&content, &viewer, &edit).await?;
                Ok(Some(ArticleEdit(edit)))
            }
        }))
    }
}

async fn still_allowed(content: &Content, viewer: &Viewer, edit: &live::ArticleEdit) -> async_graphql::Result<()> {
    content.may_watch_edits(viewer, edit.author_id).await.gql()
}

/// A subscription's stream: each item `pick` keeps, until an error (which is sent, and
/// ends it) or until it falls more than the backlog behind.
fn follow<T, O, F, Fut>(rx: Receiver<T>, pick: F) -> impl Stream<Item = async_graphql::Result<O>>
where
    T: Clone + Send + 'static,
    O: Send + 'static,
    F: Fn(&T) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = async_graphql::Result<Option<O>>> + Send,
{
    stream::unfold(Some((rx, pick)), |state| async move {
        let (mut rx, pick) = state?;
        loop {
            match rx.recv().await {
                Ok(item) => match pick(&item).await {
                    Ok(Some(out)) => return Some((Ok(out), Some((rx, pick)))),
                    Ok(None) => continue,
                    Err(e) => return Some((Err(e), None)),
                },
                Err(RecvError::Lagged(missed)) => {
                    let e = async_graphql::Error::new(format!(
                        "this subscription fell {missed} changes behind and was ended; catch up with \
                         sync(token:) from the last syncToken received, then subscribe again"
                    ))
                    .extend_with(|_, e| e.set("code", "SLOW_CONSUMER"));
                    return Some((Err(e), None));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
