//! GraphQL's `Int` is 32-bit, and a document holding a larger one is invalid before anything
//! runs (the spec's "Values of Correct Type"). async-graphql checks the range only when the
//! field taking the argument resolves, so an argument below a null parent, or a variable
//! nothing reads, slipped through. This extension checks argument literals and variable
//! values against the schema's argument and input types right after parsing (called by
//! `limits::Limits`, the one extension that checks parsed documents).

use std::collections::HashSet;
use std::convert::Infallible;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::registry::{MetaType, Registry};
use async_graphql::{Pos, ServerError, ServerResult, Value as ConstValue, Variables};

/// Checks every Int literal and variable value of `doc` against the schema.
pub(super) fn check_document(registry: &Registry, doc: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    let mut walk = Walk { registry, doc, fragments_seen: HashSet::new() };
    for (_, op) in doc.operations.iter() {
        let root = match op.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        for def in &op.node.variable_definitions {
            if let Some(value) = variables.get(&def.node.name.node) {
                walk.value(value, &def.node.var_type.node.to_string(), def.pos)?;
            }
        }
        if let Some(root) = root {
            walk.selections(root, &op.node.selection_set.node)?;
        }
    }
    Ok(())
}

struct Walk<'a> {
    registry: &'a Registry,
    doc: &'a ExecutableDocument,
    /// Each fragment once: fragment cycles are for validation to report, not to loop on.
    fragments_seen: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    fn selections(&mut self, ty: &str, set: &'a SelectionSet) -> ServerResult<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let Some(meta) =
                        self.registry.types.get(ty).and_then(|t| t.fields()?.get(field.name.node.as_str()))
                    else {
                        continue; // unknown fields are validation's to report
                    };
                    for (name, value) in &field.arguments {
                        if let Some(arg) = meta.args.get(name.node.as_str()) {
                            // Variables are checked against their own definitions.
                            let Ok(literal) =
                                value.node.clone().into_const_with(|_| Ok::<_, Infallible>(ConstValue::Null));
                            self.value(&literal, &arg.ty, value.pos)?;
                        }
                    }
                    self.selections(named(&meta.ty), &field.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if let Some(fragment) = self.doc.fragments.get(name)
                        && self.fragments_seen.insert(name)
                    {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.selections(on, &fragment.node.selection_set.node)?;
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map_or(ty, |c| c.node.on.node.as_str());
                    self.selections(on, &inline.node.selection_set.node)?;
                }
            }
        }
        Ok(())
    }

    /// `value` against a type written as in SDL (`Int!`, `[Int!]`, `CreateArticleInput!`).
    fn value(&self, value: &ConstValue, ty: &str, pos: Pos) -> ServerResult<()> {
        let ty = ty.strip_suffix('!').unwrap_or(ty);
        if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return match value {
                ConstValue::List(items) => items.iter().try_for_each(|v| self.value(v, inner, pos)),
                single => self.value(single, inner, pos),
            };
        }
        match (value, self.registry.types.get(ty)) {
            (ConstValue::Number(n), _) if ty == "Int" => {
                if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) || n.as_f64().is_some_and(|f| f.fract() != 0.0)
                {
                    Ok(()) // in range, or not an integer at all (validation's to report)
                } else {
                    Err(ServerError::new(
                        format!("Int cannot represent non 32-bit signed integer value: {n}"),
                        Some(pos),
                    ))
                }
            }
            (ConstValue::Object(fields), Some(MetaType::InputObject { input_fields, .. })) => {
                for (name, v) in fields {
                    if let Some(field) = input_fields.get(name.as_str()) {
                        self.value(v, &field.ty, pos)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The named type inside list and non-null wrappers.
fn named(ty: &str) -> &str {
    ty.trim_matches(|c| c == '[' || c == ']' || c == '!')
}

#[cfg(test)]
mod tests {
    use super::named;

    #[test]
    fn named_types_lose_their_wrappers() {
        assert_eq!(named("[Article!]!"), "Article");
        assert_eq!(named("Int"), "Int");
    }
}
