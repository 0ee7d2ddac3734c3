//! What a body costs the sanitizer, bounded before the sanitizer sees it. HTML parsers do
//! work that grows faster than the input in a few places, each of which a hostile body can
//! aim at; each has a bound here, checked in time linear in the body:
//! - **depth**: the parser looks up the stack of open elements for almost every tag, so
//!   100 KB of `<div>` (or of `>`, which Markdown makes into nested quotes) took seconds to
//!   minutes. The Markdown's own nesting is bounded from the parser's events, before any HTML
//!   is written; the HTML's, as the same HTML5 parser the sanitizer uses builds the tree (raw
//!   HTML nests as the parser decides: implied end tags, re-opened formatting elements,
//!   template contents), fed a few kilobytes at a time and stopped at the first chunk past it.
//! - **attributes per tag**: the parser checks each attribute against the tag's others, so
//!   one tag with 100,000 attributes is quadratic. Counted by a scan of the raw HTML before
//!   it is parsed at all.
//! - **moved elements**: misnested tables and formatting tags make the parser insert before
//!   siblings and move children, each a walk over a list of siblings (`<table>` then 250,000
//!   `<br>`). The walks are counted as the tree is built, against a budget.
//!
//! With these, rendering a 1 MiB body stays within a few hundred milliseconds of CPU.

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
/// Most attributes on one HTML tag.
pub const MAX_ATTRIBUTES: usize = 64;
/// Most sibling steps the parser may take moving elements around (foster parenting,
/// adoption of misnested formatting tags) in one body.
pub const MAX_MOVES: usize = 2_000_000;

/// Why a body is not rendered: its shape would cost the sanitizer too much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    #[error(
        "nests more than {MAX_DEPTH} levels deep (quotes, lists or HTML elements); at most {MAX_DEPTH} are allowed"
    )]
    Depth,
    #[error("has an HTML tag with more than {MAX_ATTRIBUTES} attributes; at most {MAX_ATTRIBUTES} are allowed")]
    Attributes,
    #[error(
        "has HTML so misnested (tables, formatting tags) that the parser would move elements around \
             too often; close the tags in order"
    )]
    Moves,
}

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

/// Whether any tag in `html` has more than [`MAX_ATTRIBUTES`] attributes. A scan, not a
/// parse: it counts more than the parser would (every word after a tag's name, outside
/// quotes, including `=` and comments that look like tags), never fewer.
fn too_many_attributes(html: &str) -> bool {
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        // The tag name, then words separated by white space or `/`, to the closing `>`.
        i += 1;
        while i < bytes.len() && !matches!(bytes[i], b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
            i += 1;
        }
        let (mut words, mut in_word, mut quote) = (0usize, false, None::<u8>);
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'>' => break,
                None if matches!(b, b'"' | b'\'') => quote = Some(b),
                None if matches!(b, b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => in_word = false,
                None if !in_word => {
                    in_word = true;
                    words += 1;
                    if words > MAX_ATTRIBUTES {
                        return true;
                    }
                }
                None => {}
            }
            i += 1;
        }
    }
    false
}

/// Bytes fed to the HTML parser between two looks at the depth: small enough that passing
/// the bound inside one chunk costs little.
const CHUNK: usize = 4 * 1024;

/// Checks `html`, parsed as the sanitizer parses it (a fragment inside a `<div>`), against
/// the bounds: attributes first, by a scan; then depth and moves as the tree is built, a
/// chunk at a time, stopping at the first chunk past a bound.
pub fn check_html(html: &str) -> Result<(), TooComplex> {
    if too_many_attributes(html) {
        return Err(TooComplex::Attributes);
    }
    let sink = Shape::default();
    let refused = sink.refused.clone();
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
        if let Some(why) = refused.get() {
            return Err(why);
        }
        rest = tail;
    }
    let document = parser.finish();
    // Elements moved after they were placed (misnested formatting tags) are not measured as
    // they move; the finished tree is measured whole, template contents included, without
    // recursion.
    let mut stack = vec![(document, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH + 1 {
            return Err(TooComplex::Depth); // +1: the fragment's <html> root
        }
        for child in node.children.borrow().iter() {
            stack.push((child.clone(), depth + usize::from(child.name.is_some())));
        }
        if let Some(contents) = node.template_contents.borrow().as_ref() {
            stack.push((contents.clone(), depth));
        }
    }
    Ok(())
}

/// The shape of a parsed document and nothing else: elements with their parents and
/// children. Text, comments and attributes are not kept.
struct Node {
    /// `None` for the document, a template's contents and comments.
    name: Option<QualName>,
    parent: RefCell<Weak<Node>>,
    children: RefCell<Vec<Rc<Node>>>,
    /// A `<template>`'s contents, whose parent is the template (so depth counts through it).
    template_contents: RefCell<Option<Rc<Node>>>,
    mathml_annotation_xml_integration_point: bool,
}

impl Node {
    fn new(name: Option<QualName>) -> Rc<Node> {
        Rc::new(Node {
            name,
            parent: RefCell::new(Weak::new()),
            children: RefCell::default(),
            template_contents: RefCell::new(None),
            mathml_annotation_xml_integration_point: false,
        })
    }
}

/// Dropped without recursion: a refused body's tree may be deep.
impl Drop for Node {
    fn drop(&mut self) {
        let mut pending: Vec<Rc<Node>> = std::mem::take(self.children.get_mut());
        pending.extend(self.template_contents.get_mut().take());
        while let Some(node) = pending.pop() {
            if let Ok(mut node) = Rc::try_unwrap(node) {
                pending.append(node.children.get_mut());
                pending.extend(node.template_contents.get_mut().take());
            }
        }
    }
}

type Handle = Rc<Node>;

/// A tree sink that builds a [`Node`] tree and notes the first bound it passes.
struct Shape {
    document: Handle,
    refused: Rc<Cell<Option<TooComplex>>>,
    /// Sibling steps taken moving elements, against [`MAX_MOVES`].
    moves: Cell<usize>,
}

impl Default for Shape {
    fn default() -> Self {
        Shape { document: Node::new(None), refused: Rc::default(), moves: Cell::new(0) }
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
                self.refuse(TooComplex::Depth);
                return;
            }
            current = parent.parent.borrow().upgrade();
        }
    }

    fn refuse(&self, why: TooComplex) {
        if self.refused.get().is_none() {
            self.refused.set(Some(why));
        }
    }

    /// Counts `steps` sibling steps of moving elements.
    fn moved(&self, steps: usize) {
        let total = self.moves.get().saturating_add(steps);
        self.moves.set(total);
        if total > MAX_MOVES {
            self.refuse(TooComplex::Moves);
        }
    }

    fn detach(&self, node: &Handle) {
        if let Some(parent) = node.parent.replace(Weak::new()).upgrade() {
            let mut children = parent.children.borrow_mut();
            self.moved(children.len());
            children.retain(|c| !Rc::ptr_eq(c, node));
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
        let element = Rc::new(Node {
            name: Some(name),
            parent: RefCell::new(Weak::new()),
            children: RefCell::default(),
            template_contents: RefCell::new(None),
            mathml_annotation_xml_integration_point: flags.mathml_annotation_xml_integration_point,
        });
        if flags.template {
            let contents = Node::new(None);
            *contents.parent.borrow_mut() = Rc::downgrade(&element);
            *element.template_contents.borrow_mut() = Some(contents);
        }
        element
    }
    fn create_comment(&self, _text: StrTendril) -> Handle {
        Node::new(None)
    }
    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Node::new(None)
    }
    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        if let NodeOrText::AppendNode(node) = child {
            self.detach(&node);
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
        target.template_contents.borrow().clone().expect("a template element")
    }
    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }
    fn set_quirks_mode(&self, _mode: QuirksMode) {}
    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        let NodeOrText::AppendNode(node) = child else { return };
        let Some(parent) = sibling.parent.borrow().upgrade() else { return };
        self.detach(&node);
        let mut children = parent.children.borrow_mut();
        let at = children.iter().position(|c| Rc::ptr_eq(c, sibling)).unwrap_or(children.len());
        self.moved(at + 1);
        children.insert(at, node.clone());
        drop(children);
        *node.parent.borrow_mut() = Rc::downgrade(&parent);
        self.placed(&node);
    }
    fn add_attrs_if_missing(&self, _target: &Handle, _attrs: Vec<Attribute>) {}
    fn remove_from_parent(&self, target: &Handle) {
        self.detach(target);
    }
    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let moved = std::mem::take(&mut *node.children.borrow_mut());
        self.moved(moved.len());
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
        assert_eq!(check_html(&at(MAX_DEPTH + 1)), Err(TooComplex::Depth));
        // Unclosed and far too deep: refused without building it all.
        assert_eq!(check_html(&"<div>".repeat(100_000)), Err(TooComplex::Depth));
        // Implied end tags close as the parser closes them: a long list of unclosed items
        // and paragraphs is shallow.
        let items = format!("<ul>{}</ul>", "<li>item ".repeat(1000));
        assert_eq!(check_html(&items), Ok(()));
        assert_eq!(check_html(&"<p>para ".repeat(1000)), Ok(()));
        // Formatting elements the parser re-opens in every paragraph count as it counts them.
        let reopened = format!("{}{}", (0..200).map(|i| format!("<b id={i}>")).collect::<String>(), "<p>x".repeat(10));
        assert_eq!(check_html(&reopened), Err(TooComplex::Depth));
        // Template contents nest inside their template.
        assert_eq!(check_html(&"<template>".repeat(20_000)), Err(TooComplex::Depth));
        assert_eq!(check_html(&format!("{}x", "<template><div>".repeat(20))), Ok(()));
        // Tables that foster-parent everything after them, one sibling scan each.
        assert_eq!(check_html(&format!("<table>{}", "<br>".repeat(250_000))), Err(TooComplex::Moves));
        assert_eq!(check_html(&format!("<table>{}</table>", "<tr><td>x</td></tr>".repeat(2_000))), Ok(()));
        // One tag with thousands of attributes; and attributes as articles use them.
        let attrs: String = (0..100).map(|i| format!(" a{i}")).collect();
        assert_eq!(check_html(&format!("<div{attrs}>x</div>")), Err(TooComplex::Attributes));
        assert_eq!(check_html("<img src=\"a b.png\" alt='x > y' width=3/>"), Ok(()));
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
