//! What a document costs, measured before anything else looks at it. Validation (and
//! async-graphql's own depth, complexity and directive checks) walk a document with its
//! fragments spread in place; a fragment that spreads another twice, twenty-five deep, is a
//! kilobyte of text and 2^25 selections. Here each fragment is measured once and its cost
//! reused wherever it is spread, so the measure takes time linear in the text, and a
//! document refused here is never expanded by anyone.

use std::collections::HashMap;

use async_graphql::parser::types::{Directive, ExecutableDocument, FragmentDefinition, Selection, SelectionSet};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value as Literal};

/// What a document asks for once every fragment is spread where it is used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Fields selected. async-graphql's complexity counts each at least once, so a document
    /// over the complexity limit here would be refused by it too, only later and slower.
    pub fields: usize,
    /// Everything validation visits: fields, fragments, directives and argument values.
    pub nodes: usize,
    /// Deepest nesting of fields (fragments add no depth), as the depth limit counts it.
    pub depth: usize,
    /// Deepest nesting of selection sets, fragments included: what recursive walks descend.
    pub nesting: usize,
    /// The work of comparing fields that share a response name, which validation does in
    /// every selection set with its fragments flattened into it (one error per argument that
    /// differs): per set, its flattened fields times one more than their most arguments.
    pub conflicts: usize,
    /// Of one selection set: its fields with inline fragments and spreads flattened in, and
    /// the most arguments one of them has.
    flat: usize,
    flat_args: usize,
}

impl Cost {
    fn then(self, other: Cost) -> Cost {
        Cost {
            fields: self.fields.saturating_add(other.fields),
            nodes: self.nodes.saturating_add(other.nodes),
            depth: self.depth.max(other.depth),
            nesting: self.nesting.max(other.nesting),
            conflicts: self.conflicts.saturating_add(other.conflicts),
            flat: self.flat.saturating_add(other.flat),
            flat_args: self.flat_args.max(other.flat_args),
        }
    }
}

/// Why a document is not measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmeasurable {
    /// A fragment spreads itself, directly or through others: it has no finite size.
    Cycle(String),
    /// One location carries more directives than any client needs.
    Directives { at: String, count: usize },
    /// One field or directive takes more arguments than any in the schema.
    Arguments { at: String, count: usize },
    /// An operation declares more variables than any client needs (validation compares
    /// them with each other and with every use).
    Variables { count: usize },
}

/// Most directives on one field, fragment or operation.
pub const MAX_DIRECTIVES: usize = 10;
/// Most variables one operation declares.
pub const MAX_VARIABLES: usize = 100;
/// Most arguments one field or directive takes (the schema's widest field takes six).
pub const MAX_ARGUMENTS: usize = 20;

/// The cost of the whole document: every operation, fragments spread in place. Fragments
/// no operation uses are measured too (validation visits them). Each selection set and each
/// value is visited once, so this is linear in the size of the document.
pub fn measure(doc: &ExecutableDocument) -> Result<Cost, Unmeasurable> {
    measure_counting(doc).map(|(cost, _)| cost)
}

/// `measure`, and how many selection sets it visited.
fn measure_counting(doc: &ExecutableDocument) -> Result<(Cost, usize), Unmeasurable> {
    let mut m = Measure { doc, memo: HashMap::new(), visits: 0 };
    let mut total = Cost::default();
    for (_, op) in doc.operations.iter() {
        let mut own = m.directives(&op.node.directives, || "the operation".into())?;
        let count = op.node.variable_definitions.len();
        if count > MAX_VARIABLES {
            return Err(Unmeasurable::Variables { count });
        }
        for var in &op.node.variable_definitions {
            own += 1 + var.node.default_value.as_ref().map_or(0, |v| const_value_nodes(&v.node));
        }
        let set = m.selection_set(&op.node.selection_set.node)?;
        total = total.then(Cost { nodes: own, ..Cost::default() }).then(set);
    }
    for name in doc.fragments.keys() {
        // Validation visits each definition once, whatever spreads it.
        let fragment = m.fragment(name)?;
        total = total.then(Cost { nodes: fragment.nodes, conflicts: fragment.conflicts, ..Cost::default() });
    }
    Ok((total, m.visits))
}

enum Memo {
    /// Being measured: meeting it again means a cycle.
    Open,
    Done(Cost),
}

struct Measure<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Memo>,
    /// Selection sets visited, for the test that each fragment is measured once.
    visits: usize,
}

impl<'a> Measure<'a> {
    fn fragment(&mut self, name: &'a Name) -> Result<Cost, Unmeasurable> {
        match self.memo.get(name.as_str()) {
            Some(Memo::Done(cost)) => return Ok(*cost),
            Some(Memo::Open) => return Err(Unmeasurable::Cycle(name.to_string())),
            None => {}
        }
        let Some(def) = self.doc.fragments.get(name) else {
            return Ok(Cost::default()); // an unknown fragment is validation's to report
        };
        self.memo.insert(name.as_str(), Memo::Open);
        let FragmentDefinition { directives, selection_set, .. } = &def.node;
        let own = self.directives(directives, || format!("fragment {name}"))?;
        let set = self.selection_set(&selection_set.node)?;
        let cost = Cost { nodes: set.nodes.saturating_add(own), ..set };
        self.memo.insert(name.as_str(), Memo::Done(cost));
        Ok(cost)
    }

    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Cost, Unmeasurable> {
        if set.items.is_empty() {
            return Ok(Cost::default()); // a leaf field's
        }
        self.visits += 1;
        let mut total = Cost::default();
        for item in &set.items {
            let cost = match &item.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    let name = || format!("field {}", f.name.node);
                    let own = 1 + self.directives(&f.directives, name)? + arguments_nodes(&f.arguments, name)?;
                    let inner = self.selection_set(&f.selection_set.node)?;
                    Cost {
                        fields: inner.fields.saturating_add(1),
                        nodes: inner.nodes.saturating_add(own),
                        depth: inner.depth + 1,
                        nesting: inner.nesting + 1,
                        conflicts: inner.conflicts,
                        flat: 1,
                        flat_args: f.arguments.len(),
                    }
                }
                Selection::InlineFragment(inline) => {
                    // Flattened into this set, and compared on its own as well.
                    let own = 1 + self.directives(&inline.node.directives, || "an inline fragment".into())?;
                    let inner = self.selection_set(&inline.node.selection_set.node)?;
                    Cost { nodes: inner.nodes.saturating_add(own), nesting: inner.nesting + 1, ..inner }
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let own = 1 + self.directives(&spread.node.directives, || format!("the spread of {name}"))?;
                    let inner = self.fragment(name)?;
                    // Flattened into this set; its own sets are compared once, with its definition.
                    Cost { nodes: inner.nodes.saturating_add(own), nesting: inner.nesting + 1, conflicts: 0, ..inner }
                }
            };
            total = total.then(cost);
        }
        let here = total.flat.saturating_mul(total.flat_args + 1);
        Ok(Cost { conflicts: total.conflicts.saturating_add(here), ..total })
    }

    /// The nodes of a location's directives, refusing a location with too many. `at` names
    /// the location, only when it is refused.
    fn directives(&self, directives: &[Positioned<Directive>], at: impl Fn() -> String) -> Result<usize, Unmeasurable> {
        if directives.len() > MAX_DIRECTIVES {
            return Err(Unmeasurable::Directives { at: at(), count: directives.len() });
        }
        let mut nodes = 0usize;
        for d in directives {
            nodes = nodes
                .saturating_add(1 + arguments_nodes(&d.node.arguments, || format!("directive @{}", d.node.name.node))?);
        }
        Ok(nodes)
    }
}

fn arguments_nodes(
    arguments: &[(Positioned<Name>, Positioned<Literal>)],
    at: impl Fn() -> String,
) -> Result<usize, Unmeasurable> {
    if arguments.len() > MAX_ARGUMENTS {
        return Err(Unmeasurable::Arguments { at: at(), count: arguments.len() });
    }
    Ok(arguments.iter().map(|(_, v)| 1 + value_nodes(&v.node)).fold(0, usize::saturating_add))
}

/// The values inside an argument, counted without recursion (the parser allows deep lists).
fn value_nodes(value: &Literal) -> usize {
    count_tree(value, |v| match v {
        Literal::List(items) => items.iter().collect(),
        Literal::Object(fields) => fields.values().collect(),
        _ => Vec::new(),
    })
}

/// The same for a variable's default value, which is a constant.
fn const_value_nodes(value: &ConstValue) -> usize {
    count_tree(value, |v| match v {
        ConstValue::List(items) => items.iter().collect(),
        ConstValue::Object(fields) => fields.values().collect(),
        _ => Vec::new(),
    })
}

fn count_tree<'a, V>(root: &'a V, children: impl Fn(&'a V) -> Vec<&'a V>) -> usize {
    let mut n = 0usize;
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        n += 1;
        stack.extend(children(v));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    /// Fragment `f0` selects two fields; each next one spreads the one before twice.
    fn doubling(n: usize) -> String {
        let mut q = format!("query {{ site {{ ...f{} }} }} fragment f0 on Site {{ title description }}\n", n - 1);
        for i in 1..n {
            q.push_str(&format!("fragment f{i} on Site {{ ...f{p} ...f{p} }}\n", p = i - 1));
        }
        q
    }

    #[test]
    fn each_fragment_is_measured_once() {
        let doc = parse_query(doubling(28)).unwrap();
        let (cost, visits) = measure_counting(&doc).unwrap();
        // 2 fields in f0, doubled 27 times, plus `site`.
        assert_eq!(cost.fields, 2 * (1 << 27) + 1);
        // One visit per selection set written: the operation's two and one per fragment.
        assert_eq!(visits, 2 + 28);
    }

    #[test]
    fn depth_counts_fields_and_nesting_counts_fragments() {
        let doc = parse_query("{ a { b { ...F ... on X { c } } } } fragment F on T { d { e } }").unwrap();
        let cost = measure(&doc).unwrap();
        assert_eq!(cost.depth, 4); // a b d e
        assert_eq!(cost.nesting, 5); // a b ...F d e
        assert_eq!(cost.fields, 5);
    }

    #[test]
    fn argument_values_and_directives_are_nodes() {
        let plain = measure(&parse_query("{ a }").unwrap()).unwrap();
        assert_eq!(plain.nodes, 1);
        let doc = parse_query("{ a(x: [1, [2, 3]], y: {z: 4}) @include(if: true) }").unwrap();
        // a; x, the list, 1, the inner list, 2, 3; y, the object, 4; the directive, if, true.
        assert_eq!(measure(&doc).unwrap().nodes, 1 + 6 + 3 + 3);
    }

    #[test]
    fn comparing_fields_that_share_a_name_is_measured() {
        // One field with many arguments, then thousands without: validation would report one
        // error per missing argument per later field.
        let args: String = (0..MAX_ARGUMENTS).map(|i| format!("x{i}: 1 ")).collect();
        let doc = parse_query(format!("{{ a({args}) {} }}", "a ".repeat(4000))).unwrap();
        let cost = measure(&doc).unwrap();
        assert_eq!(cost.conflicts, 4001 * (MAX_ARGUMENTS + 1));
        // Spread fragments flatten into the set; each definition is compared once.
        let doc = parse_query("{ s { ...F ...F a } } fragment F on S { a(x: 1) b }").unwrap();
        let cost = measure(&doc).unwrap();
        // Operation root: 1 field, no args (1); `s`: a, b, a, b, a = 5 fields, 1 arg (10);
        // F's own set: 2 fields, 1 arg (4).
        assert_eq!(cost.conflicts, 1 + 10 + 4);
        let too_many: String = (0..=MAX_ARGUMENTS).map(|i| format!("x{i}: 1 ")).collect();
        let doc = parse_query(format!("{{ a({too_many}) }}")).unwrap();
        assert!(matches!(measure(&doc), Err(Unmeasurable::Arguments { .. })));
    }

    #[test]
    fn cycles_and_directive_lists_are_refused() {
        let cycle = parse_query("{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }").unwrap();
        assert!(matches!(measure(&cycle), Err(Unmeasurable::Cycle(_))));
        let directives = format!("{{ a {} }}", "@skip(if: false) ".repeat(MAX_DIRECTIVES + 1));
        let doc = parse_query(directives).unwrap();
        assert!(matches!(measure(&doc), Err(Unmeasurable::Directives { count, .. }) if count == MAX_DIRECTIVES + 1));
    }

    #[test]
    fn deep_values_do_not_recurse() {
        // As deep as the parser takes; counting them must not overflow the stack.
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(2000), "]".repeat(2000));
        if let Ok(doc) = parse_query(deep) {
            assert_eq!(measure(&doc).unwrap().nodes, 1 + 1 + 2001);
        }
    }
}
