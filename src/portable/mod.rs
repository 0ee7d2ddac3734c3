//! Moving articles in and out as Markdown files with front matter (`colophon import DIR`,
//! `colophon export DIR`), the way Hugo, Jekyll and Zola keep them. Reading understands
//! each one's habits (Jekyll's dated file names and `_drafts/`, Hugo's page bundles and
//! `lastmod`, Zola's `[taxonomies]` and `[extra]`); writing uses keys all three read, so
//! export then import gives every article back as it was.

pub mod frontmatter;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::content::import::{Imported, ImportedArticle, ImportedState};
use crate::content::{ArticleStatus, ArticleView, Content, NewArticle, Viewer};
use frontmatter::{Document, Syntax};

/// Turns one file into an article, or says what is wrong with it.
pub fn to_article(doc: &Document, path: &Path) -> Result<ImportedArticle, String> {
    let f = &doc.fields;
    let title = text(f, &["title"]).ok_or("has no `title`")?;
    let (file_date, file_slug) = name_parts(path);
    let slug = text(f, &["slug"])
        .or(file_slug)
        .map(|s| if crate::content::text::is_valid_slug(&s) { s } else { crate::content::text::slugify(&s) });
    let date = match text(f, &["date", "publishDate", "publish_date"]) {
        Some(raw) => Some(parse_date(&raw).ok_or_else(|| format!("`date` is not a date: `{raw}`"))?),
        None => file_date,
    };
    let updated = match text(f, &["lastmod", "last_modified_at", "updated", "modified"]) {
        Some(raw) => Some(parse_date(&raw).ok_or_else(|| format!("`lastmod` is not a date: `{raw}`"))?),
        None => None,
    };
    let in_drafts = path.components().any(|c| c.as_os_str() == "_drafts");
    let draft = boolean(f, "draft").unwrap_or(false) || boolean(f, "published") == Some(false) || in_drafts;
    let state = if draft {
        ImportedState::Draft
    } else if boolean(f, "archived").unwrap_or(false) {
        ImportedState::Archived(date)
    } else {
        ImportedState::Published(date.ok_or("has no `date` (and is not a draft)")?)
    };
    let summary = text(f, &["summary", "excerpt"]);
    let excerpt = summary.clone().or_else(|| text(f, &["description"]));
    let series_list = list(f, "series");
    let article = NewArticle {
        title,
        slug,
        body: Some(doc.body.clone()),
        excerpt,
        tags: Some(list(f, "tags")),
        category: list(f, "categories").into_iter().next().or_else(|| text(f, &["category"])),
        series: series_list.into_iter().next(),
        series_part: integer(f, &["series_part", "part"]),
        cover_image_url: text(f, &["cover_image", "image", "featured_image"])
            .or_else(|| f.get("cover").and_then(|c| c.get("image")).and_then(Value::as_str).map(str::to_string))
            .or_else(|| f.get("images").and_then(|i| i.get(0)).and_then(Value::as_str).map(str::to_string)),
        canonical_url: text(f, &["canonical_url", "canonicalURL", "canonical"]),
        seo_title: text(f, &["seo_title"]),
        seo_description: text(f, &["seo_description"]).or_else(|| summary.and(text(f, &["description"]))),
    };
    Ok(ImportedArticle { article, state, updated_at: updated })
}

/// The first of `keys` with text, at the top or under Zola's `[extra]`.
fn text(f: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    let extra = f.get("extra").and_then(Value::as_object);
    keys.iter().find_map(|k| {
        let v = f.get(*k).or_else(|| extra.and_then(|e| e.get(*k)))?;
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

fn boolean(f: &Map<String, Value>, key: &str) -> Option<bool> {
    let extra = f.get("extra").and_then(Value::as_object);
    f.get(key).or_else(|| extra.and_then(|e| e.get(key)))?.as_bool()
}

fn integer(f: &Map<String, Value>, keys: &[&str]) -> Option<i32> {
    let extra = f.get("extra").and_then(Value::as_object);
    keys.iter().find_map(|k| {
        let v = f.get(*k).or_else(|| extra.and_then(|e| e.get(*k)))?;
        v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).and_then(|n| i32::try_from(n).ok())
    })
}

/// A taxonomy: a list, or one name, at the top or under Zola's `[taxonomies]`. Jekyll's
/// space-separated `tags: a b` string is split.
fn list(f: &Map<String, Value>, key: &str) -> Vec<String> {
    let v = f.get(key).or_else(|| f.get("taxonomies").and_then(|t| t.get(key)));
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
            .collect(),
        Some(Value::String(s)) if key == "tags" => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
        _ => Vec::new(),
    }
}

/// RFC 3339, a date alone (midnight UTC), or Jekyll's `2024-01-15 10:00:00 +0100`.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(raw, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

/// What a file's name says: Jekyll's `2024-01-15-slug.md` gives a date and a slug, Hugo's
/// and Zola's `slug/index.md` a slug.
fn name_parts(path: &Path) -> (Option<DateTime<Utc>>, Option<String>) {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let stem = if stem == "index" {
        path.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap_or_default()
    } else {
        stem
    };
    if stem.len() > 11
        && stem.as_bytes()[10] == b'-'
        && let Some(date) = parse_date(&stem[..10])
    {
        return (Some(date), Some(stem[11..].to_string()));
    }
    ((None), (!stem.is_empty()).then(|| stem.to_string()))
}

/// Markdown files below `dir`, in name order; section pages (`_index.md`) left out.
pub fn markdown_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md" || e == "markdown")
                && path.file_name().is_some_and(|n| n != "_index.md")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// How an import went.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// (file, what is wrong with it)
    pub failed: Vec<(PathBuf, String)>,
}

/// Imports every Markdown file below `dir`; a bad file is reported and skipped.
/// `progress` hears a line per problem and one every 100 files.
pub async fn import_dir(
    content: &Content,
    viewer: &Viewer,
    dir: &Path,
    mut progress: impl FnMut(String),
) -> std::io::Result<ImportReport> {
    let files = markdown_files(dir)?;
    let mut report = ImportReport::default();
    for (i, path) in files.iter().enumerate() {
        let shown = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
        let outcome = match std::fs::read_to_string(path) {
            Err(e) => Err(format!("cannot be read: {e}")),
            Ok(text) => match frontmatter::parse(&text).and_then(|doc| to_article(&doc, &shown)) {
                Err(e) => Err(e),
                Ok(article) => content.import_article(viewer, article).await.map_err(|e| e.to_string()),
            },
        };
        match outcome {
            Ok((Imported::Created, _)) => report.created += 1,
            Ok((Imported::Updated, _)) => report.updated += 1,
            Err(problem) => {
                progress(format!("{}: {problem}", shown.display()));
                report.failed.push((shown, problem));
            }
        }
        if (i + 1) % 100 == 0 {
            progress(format!("{} of {} files", i + 1, files.len()));
        }
    }
    Ok(report)
}

/// The file an article becomes.
pub fn to_document(a: &ArticleView, syntax: Syntax) -> Document {
    let now = crate::content::now();
    let time = |t: DateTime<Utc>| Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    let mut f = Map::new();
    let mut taxonomies = Map::new();
    let mut extra = Map::new();
    let r = &a.row;
    f.insert("title".into(), Value::from(r.title.clone()));
    f.insert("slug".into(), Value::from(r.slug.clone()));
    match a.status(now) {
        ArticleStatus::Draft => {
            f.insert("draft".into(), Value::from(true));
        }
        ArticleStatus::Archived => {
            extra.insert("archived".into(), Value::from(true));
        }
        _ => {}
    }
    if let Some(at) = r.published_at {
        f.insert("date".into(), time(at));
    }
    f.insert(if syntax == Syntax::Toml { "updated" } else { "lastmod" }.into(), time(r.updated_at));
    let names = |v: Vec<String>| Value::Array(v.into_iter().map(Value::from).collect());
    if !a.tags.is_empty() {
        taxonomies.insert("tags".into(), names(a.tags.iter().map(|t| t.name.clone()).collect()));
    }
    if let Some(c) = &a.category {
        taxonomies.insert("categories".into(), names(vec![c.name.clone()]));
    }
    if let Some(s) = &a.series {
        taxonomies.insert("series".into(), names(vec![s.title.clone()]));
    }
    let optional = [
        ("series_part", r.series_part.map(Value::from)),
        ("summary", r.custom_excerpt.clone().map(Value::from)),
        ("cover_image", r.cover_image_url.clone().map(Value::from)),
        ("canonical_url", r.canonical_url.clone().map(Value::from)),
        ("seo_title", r.seo_title.clone().map(Value::from)),
        ("seo_description", r.seo_description.clone().map(Value::from)),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            extra.insert(key.into(), v);
        }
    }
    // YAML (Hugo, Jekyll) keeps everything at the top; TOML follows Zola's tables.
    match syntax {
        Syntax::Yaml => {
            f.extend(taxonomies);
            f.extend(extra);
        }
        Syntax::Toml => {
            if !taxonomies.is_empty() {
                f.insert("taxonomies".into(), Value::Object(taxonomies));
            }
            if !extra.is_empty() {
                f.insert("extra".into(), Value::Object(extra));
            }
        }
    }
    Document { syntax, fields: f, body: r.body.clone() }
}

/// Writes every article (not the trash) as `{slug}.md` in `dir`; returns how many.
pub async fn export_dir(
    content: &Content,
    viewer: &Viewer,
    dir: &Path,
    syntax: Syntax,
    mut progress: impl FnMut(String),
) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let articles = content.export_articles(viewer).await.map_err(|e| e.to_string())?;
    for (i, a) in articles.iter().enumerate() {
        let path = dir.join(format!("{}.md", a.row.slug));
        let text = frontmatter::write(&to_document(a, syntax))?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        if (i + 1) % 100 == 0 {
            progress(format!("{} of {} articles", i + 1, articles.len()));
        }
    }
    Ok(articles.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(text: &str, path: &str) -> Result<ImportedArticle, String> {
        to_article(&frontmatter::parse(text).unwrap(), Path::new(path))
    }

    #[test]
    fn hugo_jekyll_and_zola_files_read_the_same() {
        let hugo = "---\ntitle: Hello\ndate: 2024-01-15T10:00:00+01:00\nlastmod: 2024-02-01\ntags: [Go, Rust]\n\
                    categories: [Backend]\nseries: [Basics]\nseries_part: 2\nsummary: Short.\n\
                    cover:\n  image: /c.png\ncanonicalURL: https://x.dev/hello\n---\nBody\n";
        let a = article(hugo, "posts/hello/index.md").unwrap();
        assert_eq!(a.article.slug.as_deref(), Some("hello"));
        assert_eq!(a.state, ImportedState::Published(parse_date("2024-01-15T09:00:00Z").unwrap()));
        assert_eq!(a.updated_at, parse_date("2024-02-01"));
        assert_eq!(
            (a.article.tags.clone(), a.article.category.clone(), a.article.series.clone()),
            (Some(vec!["Go".into(), "Rust".into()]), Some("Backend".into()), Some("Basics".into()))
        );
        assert_eq!((a.article.series_part, a.article.excerpt.as_deref()), (Some(2), Some("Short.")));
        assert_eq!(a.article.cover_image_url.as_deref(), Some("/c.png"));
        assert_eq!(a.article.canonical_url.as_deref(), Some("https://x.dev/hello"));

        let jekyll = "---\ntitle: Hello\ntags: go rust\ncategory: Backend\nexcerpt: Short.\n---\nBody\n";
        let j = article(jekyll, "_posts/2024-01-15-hello.md").unwrap();
        assert_eq!(j.article.slug.as_deref(), Some("hello"));
        assert_eq!(j.state, ImportedState::Published(parse_date("2024-01-15").unwrap()));
        assert_eq!(j.article.tags, Some(vec!["go".to_string(), "rust".into()]));
        assert_eq!(j.article.category.as_deref(), Some("Backend"));
        assert_eq!(article(jekyll, "_drafts/hello.md").unwrap().state, ImportedState::Draft);
        let unpublished = "---\ntitle: Hello\npublished: false\n---\n";
        assert_eq!(article(unpublished, "a.md").unwrap().state, ImportedState::Draft);

        let zola = "+++\ntitle = \"Hello\"\ndate = 2024-01-15\nupdated = 2024-02-01T00:00:00Z\ndescription = \"Short.\"\n\
                    [taxonomies]\ntags = [\"Go\"]\n[extra]\ncover_image = \"/c.png\"\n+++\nBody\n";
        let z = article(zola, "content/blog/hello.md").unwrap();
        assert_eq!(z.article.slug.as_deref(), Some("hello"));
        assert_eq!(z.article.tags, Some(vec!["Go".to_string()]));
        assert_eq!(z.article.excerpt.as_deref(), Some("Short."));
        assert_eq!(z.article.seo_description, None);
        assert_eq!(z.article.cover_image_url.as_deref(), Some("/c.png"));
        assert_eq!(z.updated_at, parse_date("2024-02-01"));
    }

    #[test]
    fn files_say_what_is_missing() {
        assert!(article("---\ndate: 2024-01-01\n---\n", "a.md").unwrap_err().contains("title"));
        assert!(article("---\ntitle: A\n---\n", "a.md").unwrap_err().contains("date"));
        assert!(article("---\ntitle: A\ndate: yesterday\n---\n", "a.md").unwrap_err().contains("yesterday"));
    }

    #[test]
    fn dates_in_every_common_shape() {
        let t = parse_date("2024-01-15T10:00:00Z").unwrap();
        for raw in [
            "2024-01-15T10:00:00Z",
            "2024-01-15T11:00:00+01:00",
            "2024-01-15 11:00:00 +0100",
            "2024-01-15T10:00:00",
            "2024-01-15 10:00:00",
        ] {
            assert_eq!(parse_date(raw), Some(t), "{raw}");
        }
        assert_eq!(parse_date("2024-01-15").unwrap().to_rfc3339(), "2024-01-15T00:00:00+00:00");
        assert_eq!(parse_date("15/01/2024"), None);
    }
}
