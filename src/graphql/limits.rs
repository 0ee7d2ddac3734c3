//! Limits on the documents the server will run: a document's size (checked before parsing,
//! in `http`), its cost with fragments spread (`check_cost`, right after parsing and before
//! anything walks it expanded), and its number of aliases. Aliases let one small document
//! ask for the same expensive field hundreds of times under different names; no client of
//! ours needs more than a few. The same pass checks Int ranges (`int_range`).
//! async-graphql's own depth and complexity limits stay on, as a second line.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};

use super::cost::{self, Cost, Unmeasurable};

/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 32 * 1024;
/// Most aliased fields in one document.
pub const MAX_ALIASES: usize = 50;
/// Deepest selection nesting.
pub const MAX_DEPTH: usize = 16;
/// Highest complexity (one per field, times `first` on lists).
pub const MAX_COMPLEXITY: usize = 5_000;
/// Most nodes (fields, fragments, directives, argument values) with fragments spread:
/// what validation visits. A 32 KiB document without fragments holds fewer.
pub const MAX_NODES: usize = 20_000;
/// Deepest nesting of selection sets, fragments and inline fragments included.
pub const MAX_NESTING: usize = 32;
/// Most work comparing fields that share a response name (`Cost::conflicts`): a set of a
/// hundred fields with six arguments each is 700.
pub const MAX_CONFLICTS: usize = 20_000;
/// Documents this large or larger are validated where blocking is allowed (see
/// `Extension::validation`); smaller ones validate in microseconds.
const VALIDATE_INLINE_NODES: usize = 1_000;

/// Documents longer than this are parsed and measured on the blocking pool: a long one
/// takes a millisecond or so, which the async workers should spend answering others.
pub const PARSE_INLINE_BYTES: usize = 4 * 1024;

/// Runs `measure` (parsing and measuring a document of `len` bytes) inline when it is short,
/// else on the blocking pool; `None` if the runtime is shutting down. A panic is resumed.
pub async fn measured<T: Send + 'static>(len: usize, measure: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    if len <= PARSE_INLINE_BYTES {
        return Some(measure());
    }
    match tokio::task::spawn_blocking(measure).await {
        Ok(done) => Some(done),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => None,
        },
    }
}

/// The refusal of a query longer than [`MAX_QUERY_BYTES`].
pub fn too_large(len: usize) -> String {
    format!("the query is {len} bytes; at most {MAX_QUERY_BYTES} are accepted")
}

/// Measures a parsed document and refuses one over a limit, saying which.
pub fn check_cost(doc: &ExecutableDocument) -> Result<Cost, Vec<ServerError>> {
    let cost = cost::measure(doc).map_err(|why| {
        vec![match why {
            Unmeasurable::Cycle(name) => {
                refused(format!("fragment `{name}` spreads itself, so it never ends"), "GRAPHQL_VALIDATION_FAILED")
            }
            Unmeasurable::Variables { count } => refused(
                format!("an operation declares {count} variables; at most {} are allowed", cost::MAX_VARIABLES),
                "QUERY_TOO_COMPLEX",
            ),
            Unmeasurable::Arguments { at, count } => refused(
                format!("{at} takes {count} arguments; at most {} are allowed", cost::MAX_ARGUMENTS),
                "QUERY_TOO_COMPLEX",
            ),
            Unmeasurable::Directives { at, count } => refused(
                format!("{at} carries {count} directives; at most {} are allowed", cost::MAX_DIRECTIVES),
                "QUERY_TOO_COMPLEX",
            ),
        }]
    })?;
    let over: [(bool, &str, &dyn Fn() -> String); 5] = [
        (cost.fields > MAX_COMPLEXITY, "QUERY_TOO_COMPLEX", &|| {
            format!(
                "the query selects {} fields once its fragments are spread; at most {MAX_COMPLEXITY} are allowed",
                cost.fields
            )
        }),
        (cost.nodes > MAX_NODES, "QUERY_TOO_COMPLEX", &|| {
            format!(
                "the query holds {} fields, fragments, directives and argument values once its fragments are \
                 spread; at most {MAX_NODES} are allowed",
                cost.nodes
            )
        }),
        (cost.conflicts > MAX_CONFLICTS, "QUERY_TOO_COMPLEX", &|| {
            format!(
                "the query repeats fields in one selection so often that comparing them would take {} steps; \
                 at most {MAX_CONFLICTS} are allowed (give repeated fields aliases, or select them once)",
                cost.conflicts
            )
        }),
        (cost.depth > MAX_DEPTH, "QUERY_TOO_DEEP", &|| {
            format!("the query nests fields {} deep; at most {MAX_DEPTH} levels are allowed", cost.depth)
        }),
        (cost.nesting > MAX_NESTING, "QUERY_TOO_DEEP", &|| {
            format!(
                "the query nests selections {} deep, fragments included; at most {MAX_NESTING} levels are allowed",
                cost.nesting
            )
        }),
    ];
    if let Some((_, code, message)) = over.iter().find(|(over, _, _)| *over) {
        return Err(vec![refused(message(), code)]);
    }
    Ok(cost)
}

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

    /// Validation is synchronous. A large document (bounded by `check_cost`, but still a few
    /// milliseconds of work) is validated with this worker handed over to the blocking pool,
    /// so the other requests it was serving move to another worker meanwhile.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let heavy = ctx.data_opt::<Cost>().is_some_and(|c| c.nodes >= VALIDATE_INLINE_NODES);
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let result = if heavy && multi_thread {
            use std::future::Future;
            let mut validation = std::pin::pin!(next.run(ctx));
            // The validation future never waits on anything: one poll completes it.
            let polled = tokio::task::block_in_place(|| {
                let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
                validation.as_mut().poll(&mut cx)
            });
            match polled {
                std::task::Poll::Ready(result) => result,
                std::task::Poll::Pending => validation.await,
            }
        } else {
            next.run(ctx).await
        };
        if let (Ok(valid), Some(cache)) = (&result, ctx.data_opt::<std::sync::Arc<super::objects::RequestCache>>()) {
            cache.complexity.store(valid.complexity, std::sync::atomic::Ordering::Relaxed);
        }
        result
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
