//! Rendering Markdown for a write or a preview: away from the async workers, before any
//! transaction begins, and bounded in what a body's shape may cost (`nesting`).

use super::input::Checker;
use super::text::{self, Rendered};
use super::{Content, ContentError, Result, Viewer};

/// Renders a body on the blocking pool. A long body takes milliseconds to render, and on
/// SQLite a write transaction holds the database's only write lock, which every other
/// editor's save waits for; so writes render first. `field` names the body in a refusal.
pub(crate) async fn render_body(body: String, field: &str) -> Result<Rendered> {
    match tokio::task::spawn_blocking(move || text::render(&body)).await {
        Ok(rendered) => rendered.map_err(|refused| ContentError::field(field, refused.to_string())),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Cancelled: the runtime is shutting down.
            Err(_) => Err(ContentError::Database(sea_orm::DbErr::Custom("rendering was cancelled".into()))),
        },
    }
}

/// Markdown as the server renders an article's body: the HTML readers get, and what is
/// derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMarkdown {
    pub html: String,
    pub word_count: i32,
    pub reading_minutes: i32,
    /// The excerpt an article with this body and no excerpt of its own would get.
    pub excerpt: String,
}

impl Content {
    /// A preview: `markdown` rendered exactly as a saved body would be, so an editor sees
    /// the published page. Anyone who may write; the same limits as a body.
    pub async fn render_markdown(&self, viewer: &Viewer, markdown: String) -> Result<RenderedMarkdown> {
        viewer.require_writer()?;
        let mut c = Checker::default();
        c.body("markdown", &markdown);
        c.finish()?;
        let r = render_body(markdown, "markdown").await?;
        Ok(RenderedMarkdown {
            excerpt: text::excerpt(&r.plain_text),
            html: r.html,
            word_count: r.word_count,
            reading_minutes: r.reading_minutes,
        })
    }
}
