//! One feed, three formats: RSS 2.0 (with its Atom self link, `content:encoded` for the
//! full text and `dc:creator` for the author), Atom 1.0 and JSON Feed 1.1. Every date comes
//! from the articles, never the clock, so the same content gives the same bytes (and ETag).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A feed, ready to write in any format.
#[derive(Debug, Clone)]
pub struct FeedDoc {
    pub title: String,
    pub description: String,
    /// The page the feed is about (the home page, a tag page).
    pub home_url: String,
    /// This document's own address, in the format asked for.
    pub self_url: String,
    /// A stable id for the feed (a tag URI).
    pub id: String,
    /// When its newest change was made; the Unix epoch for an empty feed.
    pub updated: DateTime<Utc>,
    pub items: Vec<FeedItem>,
}

#[derive(Debug, Clone)]
pub struct FeedItem {
    /// A stable id (a tag URI): it survives slug changes, unlike the address.
    pub id: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    /// The article's sanitized HTML, when feeds carry the full text.
    pub html: Option<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub author: Option<String>,
    /// The category first, then the tags, as readers file them.
    pub categories: Vec<String>,
    pub image: Option<String>,
}

impl FeedDoc {
    /// The same feed without characters XML forbids (see [`xml_chars`]).
    pub fn xml_safe(mut self) -> FeedDoc {
        for s in [&mut self.title, &mut self.description] {
            *s = xml_chars(s);
        }
        for i in &mut self.items {
            for s in [&mut i.title, &mut i.summary] {
                *s = xml_chars(s);
            }
            i.html = i.html.as_deref().map(xml_chars);
            i.author = i.author.as_deref().map(xml_chars);
            i.categories = i.categories.iter().map(|c| xml_chars(c)).collect();
        }
        self
    }
}

pub fn rss(doc: &FeedDoc) -> String {
    use rss::extension::atom::{AtomExtension, Link};
    use rss::extension::dublincore::DublinCoreExtension;
    let items = doc
        .items
        .iter()
        .map(|i| rss::Item {
            title: Some(i.title.clone()),
            link: Some(i.url.clone()),
            // RSS readers take <description> as HTML: the plain-text excerpt goes in escaped,
            // so `<img onerror=…>` in it is shown as text, never made an element.
            description: Some(xml_escape(&i.summary)),
            content: i.html.clone(),
            guid: Some(rss::Guid { value: i.id.clone(), permalink: false }),
            pub_date: Some(i.published.to_rfc2822()),
            categories: i.categories.iter().map(|c| rss::Category { name: c.clone(), domain: None }).collect(),
            // RSS's own <author> must be an e-mail address; Dublin Core takes a name.
            dublin_core_ext: i
                .author
                .as_ref()
                .map(|a| DublinCoreExtension { creators: vec![a.clone()], ..Default::default() }),
            ..Default::default()
        })
        .collect();
    let channel = rss::Channel {
        title: doc.title.clone(),
        link: doc.home_url.clone(),
        description: xml_escape(&doc.description),
        last_build_date: Some(doc.updated.to_rfc2822()),
        generator: Some("Colophon".into()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: doc.self_url.clone(),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            }],
        }),
        items,
        ..Default::default()
    };
    channel.to_string()
}

pub fn atom(doc: &FeedDoc) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Link, Person, Text};
    let link = |href: &str, rel: &str, mime: Option<&str>| Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        ..Default::default()
    };
    let entries = doc
        .items
        .iter()
        .map(|i| Entry {
            title: Text::plain(i.title.clone()),
            id: i.id.clone(),
            updated: i.updated.fixed_offset(),
            published: Some(i.published.fixed_offset()),
            authors: i.author.iter().map(|a| Person { name: a.clone(), ..Default::default() }).collect(),
            categories: i.categories.iter().map(|c| Category { term: c.clone(), ..Default::default() }).collect(),
            links: vec![link(&i.url, "alternate", Some("text/html"))],
            summary: Some(Text::plain(i.summary.clone())),
            content: i.html.as_ref().map(|h| Content {
                value: Some(h.clone()),
                content_type: Some("html".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let feed = Feed {
        title: Text::plain(doc.title.clone()),
        // RFC 4287: without a feed author, every entry needs one, and not every article has one.
        authors: vec![Person { name: doc.title.clone(), ..Default::default() }],
        id: doc.id.clone(),
        updated: doc.updated.fixed_offset(),
        subtitle: (!doc.description.is_empty()).then(|| Text::plain(doc.description.clone())),
        links: vec![
            link(&doc.self_url, "self", Some("application/atom+xml")),
            link(&doc.home_url, "alternate", Some("text/html")),
        ],
        generator: Some(atom_syndication::Generator { value: "Colophon".into(), ..Default::default() }),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    summary: &'a str,
    // An item needs `content_html` or `content_text`: the excerpt stands in when feeds
    // carry no full text.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

pub fn json(doc: &FeedDoc) -> String {
    let rfc3339 = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &doc.title,
        home_page_url: &doc.home_url,
        feed_url: &doc.self_url,
        description: &doc.description,
        items: doc
            .items
            .iter()
            .map(|i| JsonItem {
                id: &i.id,
                url: &i.url,
                title: &i.title,
                summary: &i.summary,
                content_html: i.html.as_deref(),
                content_text: i.html.is_none().then_some(i.summary.as_str()),
                date_published: rfc3339(&i.published),
                date_modified: rfc3339(&i.updated),
                authors: i.author.iter().map(|a| JsonAuthor { name: a }).collect(),
                tags: &i.categories,
                image: i.image.as_deref(),
            })
            .collect(),
    };
    serde_json::to_string(&feed).expect("a feed serializes")
}

/// Text without the characters XML 1.0 forbids (C0 controls but tab and line breaks, and
/// U+FFFE/U+FFFF): escaping cannot make them legal, and one would break the whole feed.
pub fn xml_chars(text: &str) -> String {
    let legal = |c: char| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}');
    if text.chars().all(legal) { text.to_string() } else { text.chars().filter(|c| legal(*c)).collect() }
}

/// Text for XML character data and attribute values, and plain text for a field that
/// readers take as HTML (RSS's `<description>`; the XML writer then escapes it once more).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_forbids_are_dropped() {
        assert_eq!(xml_chars("a\u{b}b\u{0}c\td\u{ffff}"), "abc\td");
        assert_eq!(xml_chars("plain — text"), "plain — text");
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(xml_escape(r#"a&b <c> "d" 'e'"#), "a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;");
    }
}
