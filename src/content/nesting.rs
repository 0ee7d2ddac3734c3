//! How deep a body nests, measured before the sanitizer sees it. HTML parsers look up the
//! stack of open elements for almost every tag, so 100 KB of `<div>` (or of `>`, which
//! Markdown makes into nested quotes) costs the sanitizer time quadratic in its depth: a
//! second for 20,000 levels, minutes for 100,000. Bounding the depth bounds that time.
//!
//! Two measures, both stopping as soon as the bound is passed:
//! - the Markdown's own nesting (quotes, lists, emphasis), from the parser's events, before
//!   any HTML is written: 100,000 `>` would otherwise become megabytes of `<blockquote>`;
//! - the nesting of the HTML, as the same HTML5 parser the sanitizer uses builds it, fed a
//!   few kilobytes at a time: raw HTML in the Markdown nests as the parser decides (implied
//!   end tags, re-opened formatting elements), and only the parser knows.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use html5ever::interface::{Attribute, ElementFlags, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::NodeOrText;
use html5ever::{ExpandedName, QualName, local_name, ns};
use pulldown_cmark::Event;

/// Deepest nesting a body may reach, in Markdown containers and in HTML elements.
pub const MAX_DEPTH: usize = 64;

/// The body nests deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nests more than {MAX_DEPTH} levels deep (quotes, lists or HTML elements); at most {MAX_DEPTH} are allowed")]
pub struct TooDeep;

/// The Markdown parser's events, stopping at the first that would pass the depth bound.
pub struct Bounded<'a, I> {
    events: I,
    depth: usize,
    too_deep: &'a Cell<bool>,
}

impl<'a, I> Bounded<'a, I> {
    pub fn new(events: I, too_deep: &'a Cell<bool>) -> Self {
        Bounded { events, depth: 0, too_deep }
    }
}

impl<'e, I: Iterator<Item = Event<'e>>> Iterator for Bounded<'_, I> {
    type Item = Event<'e>;

    fn next(&mut self) -> Option<Event<'e>> {
        if self.too_deep.get() {
            return None;
        }
        let event = self.events.next()?;
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.too_deep.set(true);
                    return None;
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Some(event)
    }
}

/// Bytes fed to the HTML parser between two looks at the depth: small enough that passing
/// the bound inside one chunk costs little.
const CHUNK: usize = 4 * 1024;

/// Checks that `html`, parsed as the sanitizer parses it (a fragment inside a `<div>`),
/// nests at most [`MAX_DEPTH`] elements deep. Stops at the first chunk that goes deeper.
pub fn check_html(html: &str) -> Result<(), TooDeep> {
    let sink = Shape::default();
    let too_deep = sink.too_deep.clone();
    let context = QualName::new(None, ns!(html), local_name!("div"));
    let mut parser = html5ever::driver::parse_fragment(sink, Default::default(), context, vec![], false);
    let mut rest = html;
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(chunk));
        if too_deep.get() {
            return Err(TooDeep);
        }
        rest = tail;
    }
    let document = parser.finish();
    // Elements moved after they were placed (misnested formatting tags) are not measured as
    // they move; the finished tree is measured whole, without recursion.
    let mut stack = vec![(document, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH + 1 {
            return Err(TooDeep); // +1: the fragment's <html> root
        }
        for child in node.children.borrow().iter() {
            stack.push((child.clone(), depth + usize::from(child.name.is_some())));
        }
    }
    Ok(())
}

/// The shape of a parsed document and nothing else: elements with their parents and
/// children. Text, comments and attributes are not kept.
struct Node {
    /// `None` for the document and for comments.
    name: Option<QualName>,
    parent: RefCell<Weak<Node>>,
    children: RefCell<Vec<Rc<Node>>>,
    template_contents: Option<Rc<Node>>,
    mathml_annotation_xml_integration_point: bool,
}

impl Node {
    fn new(name: Option<QualName>) -> Rc<Node> {
        Rc::new(Node {
            name,
            parent: RefCell::new(Weak::new()),
            children: RefCell::default(),
            template_contents: None,
            mathml_annotation_xml_integration_point: false,
        })
    }
}

type Handle = Rc<Node>;

/// A tree sink that builds a [`Node`] tree and notes when an element lands deeper than the
/// bound.
struct Shape {
    document: Handle,
    too_deep: Rc<Cell<bool>>,
}

impl Default for Shape {
    fn default() -> Self {
        Shape { document: Node::new(None), too_deep: Rc::default() }
    }
}

impl Shape {
    /// Walks up from an element just placed, at most one step past the bound.
    fn placed(&self, node: &Handle) {
        if node.name.is_none() {
            return; // a comment
        }
        let mut depth = 0;
        let mut current = node.parent.borrow().upgrade();
        while let Some(parent) = current {
            depth += 1;
            if depth > MAX_DEPTH + 1 {
                self.too_deep.set(true);
                return;
            }
            current = parent.parent.borrow().upgrade();
        }
    }

    fn detach(node: &Handle) {
        if let Some(parent) = node.parent.replace(Weak::new()).upgrade() {
            parent.children.borrow_mut().retain(|c| !Rc::ptr_eq(c, node));
        }
    }
}

impl TreeSink for Shape {
    type Handle = Handle;
    type Output = Handle;
    type ElemName<'a> = ExpandedName<'a>;

    fn finish(self) -> Handle {
        self.document
    }
    fn parse_error(&self, _msg: Cow<'static, str>) {}
    fn get_document(&self) -> Handle {
        self.document.clone()
    }
    fn elem_name<'a>(&'a self, target: &'a Handle) -> ExpandedName<'a> {
        target.name.as_ref().expect("an element").expanded()
    }
    fn create_element(&self, name: QualName, _attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        Rc::new(Node {
            name: Some(name),
            parent: RefCell::new(Weak::new()),
            children: RefCell::default(),
            template_contents: flags.template.then(|| Node::new(None)),
            mathml_annotation_xml_integration_point: flags.mathml_annotation_xml_integration_point,
        })
    }
    fn create_comment(&self, _text: StrTendril) -> Handle {
        Node::new(None)
    }
    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Node::new(None)
    }
    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        if let NodeOrText::AppendNode(node) = child {
            Self::detach(&node);
            *node.parent.borrow_mut() = Rc::downgrade(parent);
            parent.children.borrow_mut().push(node.clone());
            self.placed(&node);
        }
    }
    fn append_based_on_parent_node(&self, element: &Handle, prev: &Handle, child: NodeOrText<Handle>) {
        if element.parent.borrow().upgrade().is_some() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev, child);
        }
    }
    fn append_doctype_to_document(&self, _name: StrTendril, _public: StrTendril, _system: StrTendril) {}
    fn get_template_contents(&self, target: &Handle) -> Handle {
        target.template_contents.clone().expect("a template element")
    }
    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }
    fn set_quirks_mode(&self, _mode: QuirksMode) {}
    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        let NodeOrText::AppendNode(node) = child else { return };
        let Some(parent) = sibling.parent.borrow().upgrade() else { return };
        Self::detach(&node);
        let mut children = parent.children.borrow_mut();
        let at = children.iter().position(|c| Rc::ptr_eq(c, sibling)).unwrap_or(children.len());
        children.insert(at, node.clone());
        drop(children);
        *node.parent.borrow_mut() = Rc::downgrade(&parent);
        self.placed(&node);
    }
    fn add_attrs_if_missing(&self, _target: &Handle, _attrs: Vec<Attribute>) {}
    fn remove_from_parent(&self, target: &Handle) {
        Self::detach(target);
    }
    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let moved = std::mem::take(&mut *node.children.borrow_mut());
        for child in &moved {
            *child.parent.borrow_mut() = Rc::downgrade(new_parent);
        }
        new_parent.children.borrow_mut().extend(moved);
    }
    fn is_mathml_annotation_xml_integration_point(&self, target: &Handle) -> bool {
        target.mathml_annotation_xml_integration_point
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_depth_is_what_the_parser_builds() {
        let at = |n: usize| format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        assert_eq!(check_html(&at(MAX_DEPTH)), Ok(()));
        assert_eq!(check_html(&at(MAX_DEPTH + 1)), Err(TooDeep));
        // Unclosed and far too deep: refused without building it all.
        assert_eq!(check_html(&"<div>".repeat(100_000)), Err(TooDeep));
        // Implied end tags close as the parser closes them: a long list of unclosed items
        // and paragraphs is shallow.
        let items = format!("<ul>{}</ul>", "<li>item ".repeat(1000));
        assert_eq!(check_html(&items), Ok(()));
        assert_eq!(check_html(&"<p>para ".repeat(1000)), Ok(()));
        // Formatting elements the parser re-opens in every paragraph count as it counts them.
        let reopened = format!("{}{}", (0..200).map(|i| format!("<b id={i}>")).collect::<String>(), "<p>x".repeat(10));
        assert_eq!(check_html(&reopened), Err(TooDeep));
        // Multi-byte text across chunk boundaries.
        assert_eq!(check_html(&"é".repeat(10 * CHUNK)), Ok(()));
    }

    #[test]
    fn markdown_depth_stops_at_the_bound() {
        let depth_of = |md: &str| {
            let flag = Cell::new(false);
            let n = Bounded::new(pulldown_cmark::Parser::new(md), &flag).count();
            (flag.get(), n)
        };
        assert!(!depth_of(&format!("{} quoted", ">".repeat(30))).0);
        let (too_deep, events) = depth_of(&">".repeat(100_000));
        assert!(too_deep);
        assert!(events <= MAX_DEPTH, "stopped at once, after {events} events");
    }
}
