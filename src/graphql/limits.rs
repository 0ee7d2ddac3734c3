//! Limits on the documents the server will run, besides the depth and complexity
//! async-graphql checks itself: a document's size (checked before parsing, in `http`) and
//! its number of aliases. Aliases let one small document ask for the same expensive field
//! hundreds of times under different names; no client of ours needs more than a few.
//! The same pass checks Int ranges (`int_range`).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 32 * 1024;
/// Most aliased fields in one document.
pub const MAX_ALIASES: usize = 50;
/// Deepest selection nesting.
pub const MAX_DEPTH: usize = 16;
/// Highest complexity (one per field, times `first` on lists).
pub const MAX_COMPLEXITY: usize = 5_000;

pub struct Limits {
    /// `false` when introspection is turned off: asking for `__schema` or `__type` is then
    /// an error that says so (async-graphql alone answers `null`, which looks like a bug).
    pub introspection: bool,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Limits { introspection: self.introspection })
    }
}

#[async_trait::async_trait]
impl Extension for Limits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases = doc.operations.iter().map(|(_, op)| aliases(&op.node.selection_set.node)).sum::<usize>()
            + doc.fragments.values().map(|f| aliases(&f.node.selection_set.node)).sum::<usize>();
        if !self.introspection && asks_for_schema(&doc) {
            return Err(refused(
                "introspection is turned off on this server; see schema.graphql",
                "INTROSPECTION_DISABLED",
            ));
        }
        if aliases > MAX_ALIASES {
            let message = format!("the query uses {aliases} aliases; at most {MAX_ALIASES} are allowed");
            return Err(refused(message, "QUERY_TOO_COMPLEX"));
        }
        super::int_range::check_document(&ctx.schema_env.registry, &doc, variables)?;
        Ok(doc)
    }
}

/// Whether any operation selects `__schema` or `__type` at its root (directly, or through
/// a fragment).
fn asks_for_schema(doc: &ExecutableDocument) -> bool {
    fn root(doc: &ExecutableDocument, set: &SelectionSet, depth: usize) -> bool {
        depth < 8
            && set.items.iter().any(|item| match &item.node {
                Selection::Field(f) => matches!(f.node.name.node.as_str(), "__schema" | "__type"),
                Selection::InlineFragment(i) => root(doc, &i.node.selection_set.node, depth + 1),
                Selection::FragmentSpread(s) => doc
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .is_some_and(|f| root(doc, &f.node.selection_set.node, depth + 1)),
            })
    }
    doc.operations.iter().any(|(_, op)| root(doc, &op.node.selection_set.node, 0))
}

/// An error about the whole document: no location (a made-up `0:0` is not a valid one).
fn refused(message: impl Into<String>, code: &str) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions.get_or_insert_with(Default::default).set("code", code);
    err
}

fn aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => usize::from(f.node.alias.is_some()) + aliases(&f.node.selection_set.node),
            Selection::InlineFragment(i) => aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0, // counted once, with the fragment's definition
        })
        .sum()
}
