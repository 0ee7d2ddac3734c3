//! Text derived from what editors write: slugs, sanitized HTML, plain text, excerpts,
//! word counts and reading time. Pure functions, unit-tested here.

use super::nesting::{Bounded, TooComplex};
use pulldown_cmark::{Event, Options, Parser, TagEnd};

/// Words per minute used for `reading_minutes`. Technical prose with code reads slower than
/// fiction's ~250; 200 is the common figure for technical writing.
pub const WORDS_PER_MINUTE: usize = 200;
/// Longest derived excerpt, in characters, ellipsis included.
pub const EXCERPT_MAX_CHARS: usize = 200;
/// Longest slug we derive; explicit slugs are validated separately.
pub const SLUG_MAX_LEN: usize = 80;

/// A readable, URL-safe slug: lowercase ASCII words joined by `-`.
///
/// Symbols that carry meaning in technical names are spelled out so that "C#" and "C" or
/// "C++" do not collapse into one slug: `#` → "sharp", `+` → "plus", `&` → "and".
/// Non-ASCII letters are transliterated ("Café" → "cafe"). Returns an empty string when
/// nothing word-like remains; callers supply a fallback.
pub fn slugify(input: &str) -> String {
    let ascii = deunicode::deunicode(input);
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, words: &mut Vec<String>| {
        if !current.is_empty() {
            words.push(std::mem::take(current));
        }
    };
    for ch in ascii.chars() {
        match ch {
            'a'..='z' | '0'..='9' => current.push(ch),
            'A'..='Z' => current.push(ch.to_ascii_lowercase()),
            '#' | '+' | '&' | '@' => {
                flush(&mut current, &mut words);
                words.push(
                    match ch {
                        '#' => "sharp",
                        '+' => "plus",
                        '&' => "and",
                        _ => "at",
                    }
                    .to_string(),
                );
            }
            // Apostrophes join: "Don't" → "dont", "it's" → "its".
            '\'' | '\u{2019}' => {}
            _ => flush(&mut current, &mut words),
        }
    }
    flush(&mut current, &mut words);

    let mut slug = String::new();
    for word in words {
        let extra = if slug.is_empty() { word.len() } else { word.len() + 1 };
        if slug.len() + extra > SLUG_MAX_LEN {
            if slug.is_empty() {
                slug.push_str(&word[..SLUG_MAX_LEN]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    if is_id_like(&slug) {
        // A path segment of digits names an id (`/api/v1/articles/2024` is article 2024), so
        // no slug is one: "2024" becomes `2024-2`, as WordPress does it.
        slug.truncate(SLUG_MAX_LEN - 2);
        slug.push_str("-2");
    }
    slug
}

/// Digits only: what names a record by id in a path, and so never a slug.
pub fn is_id_like(key: &str) -> bool {
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit())
}

/// True for slugs we accept from editors: lowercase ASCII letters and digits in words joined
/// by single hyphens, at most 200 characters.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 200
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Everything derived from a Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub plain_text: String,
    pub word_count: i32,
    pub reading_minutes: i32,
}

fn markdown_options() -> Options {
    // GitHub-flavoured: tables, strikethrough, task lists, footnotes.
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM
}

/// Renders Markdown to sanitized HTML and derives plain text, word count and reading time.
/// A body whose shape would cost the sanitizer time that grows faster than its size (too
/// deep, too many attributes on a tag, badly misnested tables) is refused before the
/// sanitizer sees it (`nesting`).
pub fn render(markdown: &str) -> Result<Rendered, TooComplex> {
    let too_deep = std::cell::Cell::new(false);
    let mut raw_html = String::new();
    let events = Bounded::new(Parser::new_ext(markdown, markdown_options()), &too_deep);
    pulldown_cmark::html::push_html(&mut raw_html, events);
    if too_deep.get() {
        return Err(TooComplex::Depth);
    }
    super::nesting::check_html(&raw_html)?;
    let html = sanitizer().clean(&raw_html).to_string();
    let plain_text = plain_text(markdown);
    let word_count = plain_text.split_whitespace().count();
    Ok(Rendered {
        html,
        reading_minutes: reading_minutes(word_count),
        word_count: i32::try_from(word_count).unwrap_or(i32::MAX),
        plain_text,
    })
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    // Keep the language class on code blocks (`language-rust`) for syntax highlighters;
    // ammonia already drops scripts, event handlers and javascript: URLs.
    b.add_tag_attributes("code", ["class"]);
    b.add_tag_attributes("th", ["align"]);
    b.add_tag_attributes("td", ["align"]);
    b.link_rel(Some("noopener noreferrer"));
    b
}

/// The text a reader reads: inline text and code, with block boundaries as line breaks.
/// Raw HTML in the Markdown is dropped, not shown as text.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::new();
    let block_break = |out: &mut String| {
        let trimmed = out.trim_end_matches([' ', '\n']).len();
        out.truncate(trimmed);
        if !out.is_empty() {
            out.push('\n');
        }
    };
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock | TagEnd::TableRow,
            ) => block_break(&mut out),
            Event::End(TagEnd::TableCell) => out.push(' '),
            _ => {}
        }
    }
    out.trim().to_string()
}

pub fn reading_minutes(word_count: usize) -> i32 {
    i32::try_from(word_count.div_ceil(WORDS_PER_MINUTE).max(1)).unwrap_or(i32::MAX)
}

/// An excerpt from plain text: whitespace collapsed, at most `EXCERPT_MAX_CHARS` characters,
/// cut on a word boundary and ending in "…" when cut.
pub fn excerpt(plain: &str) -> String {
    // Collapse whitespace only as far as the cut needs: one character past the limit tells
    // whether the text is longer and whether the cut falls between words. A long body is not
    // copied whole.
    let mut collapsed = String::with_capacity(EXCERPT_MAX_CHARS * 2);
    let mut chars = 0;
    for word in plain.split_whitespace() {
        if chars > EXCERPT_MAX_CHARS {
            break;
        }
        if chars > 0 {
            collapsed.push(' ');
            chars += 1;
        }
        collapsed.push_str(word);
        chars += word.chars().count();
    }
    if chars <= EXCERPT_MAX_CHARS {
        return collapsed;
    }
    // Room for the ellipsis.
    let budget = EXCERPT_MAX_CHARS - 1;
    let cut_byte = collapsed.char_indices().nth(budget).map(|(i, _)| i).unwrap_or(collapsed.len());
    let head = &collapsed[..cut_byte];
    // If the cut fell inside a word, step back to the last space; a single giant word is cut
    // as it is.
    let at_boundary = collapsed[cut_byte..].starts_with(' ');
    let mut kept = if at_boundary {
        head
    } else {
        match head.rfind(' ') {
            Some(i) if i > 0 => &head[..i],
            _ => head,
        }
    };
    kept = kept.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '—' | '–' | '.'));
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_for_technical_names() {
        assert_eq!(slugify("C#"), "c-sharp");
        assert_eq!(slugify("c#"), "c-sharp");
        assert_eq!(slugify("C++"), "c-plus-plus");
        assert_eq!(slugify("Node.js"), "node-js");
        assert_eq!(slugify("Handlers, Controllers & Services"), "handlers-controllers-and-services");
        assert_eq!(slugify("Distributed Systems"), "distributed-systems");
        assert_eq!(slugify("distributed-systems"), "distributed-systems");
        assert_eq!(slugify("gRPC"), "grpc");
        assert_eq!(slugify("2024"), "2024-2", "digits alone would read as an id");
        assert_eq!(slugify("1 + 1"), "1-plus-1");
        assert_eq!(slugify("Beyond REST — gRPC & GraphQL"), "beyond-rest-grpc-and-graphql");
        assert_eq!(slugify("What is DevOps, Really?"), "what-is-devops-really");
        assert_eq!(slugify("Don't Panic: Café “Quotes”"), "dont-panic-cafe-quotes");
        assert_eq!(slugify("12-Factor App & Config Management"), "12-factor-app-and-config-management");
        assert_eq!(slugify("  --  "), "");
        assert_eq!(slugify("日本語"), "ri-ben-yu");
    }

    #[test]
    fn long_slugs_stop_on_a_word() {
        let title = "word ".repeat(40);
        let slug = slugify(&title);
        assert!(slug.len() <= SLUG_MAX_LEN, "{slug}");
        assert!(!slug.ends_with('-'));
        assert!(is_valid_slug(&slug));
        let giant = "x".repeat(300);
        assert_eq!(slugify(&giant).len(), SLUG_MAX_LEN);
    }

    #[test]
    fn derived_slugs_are_valid_slugs() {
        for t in ["C#", "Node.js", "A & B", "Ünïcödé — dash", "x"] {
            assert!(is_valid_slug(&slugify(t)), "{t}");
        }
        assert!(!is_valid_slug("Upper"));
        assert!(!is_valid_slug("a--b"));
        assert!(!is_valid_slug("-a"));
        assert!(!is_valid_slug("a b"));
        assert!(!is_valid_slug(""));
    }

    #[test]
    fn html_is_sanitized_and_keeps_code() {
        let r = render(
            "# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n```rust\nfn main() {}\n```\n",
        )
        .unwrap();
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("onerror"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(r.html.contains("<h1>Hi</h1>"), "{}", r.html);
        assert!(r.html.contains(r#"<code class="language-rust">fn main() {}"#), "{}", r.html);
    }

    #[test]
    fn deep_bodies_are_refused_before_the_sanitizer() {
        assert_eq!(render(&">".repeat(100_000)), Err(TooComplex::Depth));
        assert_eq!(render(&"<div>".repeat(20_000)), Err(TooComplex::Depth));
        assert_eq!(render(&"> ".repeat(60)).map(|r| r.word_count), Ok(0));
        let nested_lists: String = (0..20).map(|i| format!("{}- item {i}\n", "  ".repeat(i))).collect();
        assert!(render(&nested_lists).is_ok(), "20 nested lists are a normal article");
    }

    #[test]
    fn gfm_tables_and_strikethrough_render() {
        let r = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n").unwrap();
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("<del>old</del>"), "{}", r.html);
    }

    #[test]
    fn plain_text_and_counts() {
        let r = render("# Title here\n\nSome *emphasised* text with `code`.\n\n- one\n- two\n").unwrap();
        assert_eq!(r.plain_text, "Title here\nSome emphasised text with code.\none\ntwo");
        assert_eq!(r.word_count, 9);
        assert_eq!(r.reading_minutes, 1);
        assert_eq!(render("").unwrap().reading_minutes, 1);
        assert_eq!(reading_minutes(200), 1);
        assert_eq!(reading_minutes(201), 2);
        assert_eq!(reading_minutes(3200), 16);
    }

    #[test]
    fn excerpts_cut_on_word_boundaries() {
        assert_eq!(excerpt("short  text\nhere"), "short text here");
        let long = "alpha beta gamma delta ".repeat(20);
        let e = excerpt(&long);
        assert!(e.chars().count() <= EXCERPT_MAX_CHARS, "{}", e.chars().count());
        assert!(e.ends_with('…'));
        let without = e.trim_end_matches('…');
        assert!(long.starts_with(without));
        // The cut lands between words.
        assert!(long[without.len()..].starts_with(' '));
        // Exactly at the limit: no ellipsis.
        let exact = "a".repeat(EXCERPT_MAX_CHARS);
        assert_eq!(excerpt(&exact), exact);
        // Multi-byte text is cut on characters, never inside one.
        let greek = "αβγ δεζ ".repeat(40);
        assert!(excerpt(&greek).ends_with('…'));
        // Trailing punctuation is not left before the ellipsis.
        let commas = "word, ".repeat(60);
        assert!(excerpt(&commas).ends_with("word…"));
        // A word ending exactly at the limit, then more: cut before the last word or not at
        // all, as if the whole text had been collapsed first.
        let at_limit = format!("{} tail", "x".repeat(EXCERPT_MAX_CHARS));
        assert_eq!(excerpt(&at_limit), format!("{}…", "x".repeat(EXCERPT_MAX_CHARS - 1)));
        let under = format!("{} {}", "y".repeat(EXCERPT_MAX_CHARS - 2), "z");
        assert_eq!(excerpt(&under), under);
    }

    #[test]
    fn excerpts_equal_cutting_the_whole_collapsed_text() {
        // The excerpt collapses only a prefix; it must agree with collapsing everything.
        fn reference(plain: &str) -> String {
            let collapsed = plain.split_whitespace().collect::<Vec<_>>().join(" ");
            if collapsed.chars().count() <= EXCERPT_MAX_CHARS {
                return collapsed;
            }
            let cut_byte = collapsed.char_indices().nth(EXCERPT_MAX_CHARS - 1).map_or(collapsed.len(), |(i, _)| i);
            let head = &collapsed[..cut_byte];
            let kept = if collapsed[cut_byte..].starts_with(' ') {
                head
            } else {
                match head.rfind(' ') {
                    Some(i) if i > 0 => &head[..i],
                    _ => head,
                }
            };
            let kept = kept
                .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '—' | '–' | '.'));
            format!("{kept}…")
        }
        let words = ["a", "bb", "ccc", "δδδδ", "eeeee,", "ffffff.", "—", "ggggggggggggggggggggg"];
        for seed in 0..400usize {
            let n = seed % 97 + 1;
            let text: String = (0..n)
                .map(|i| words[(i * 7 + seed * 13 + i * i) % words.len()])
                .collect::<Vec<_>>()
                .join(if seed % 3 == 0 { "  \n" } else { " " });
            assert_eq!(excerpt(&text), reference(&text), "{text:?}");
        }
    }
}
