//! Absolute addresses in feeds and the sitemap: the publication's public URL and the
//! template that turns an article into its page's address.

use chrono::{DateTime, Datelike, Utc};

/// `COLOPHON_ARTICLE_URL` when unset: the article's slug under the public URL.
pub const DEFAULT_ARTICLE_URL: &str = "{public_url}/{slug}";

/// An article page's address, as a template: `{public_url}`, `{slug}`, `{id}`, `{year}`,
/// `{month}` and `{day}` (of publication, two digits for month and day) are filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleUrl(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    PublicUrl,
    Slug,
    Id,
    Year,
    Month,
    Day,
}

impl ArticleUrl {
    /// Checks the template: placeholders must be known, and `{slug}` or `{id}` must appear so
    /// that two articles never share an address.
    pub fn parse(template: &str) -> Result<ArticleUrl, String> {
        let mut pieces = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("`{template}` has a `{{` without its `}}`"));
            };
            let name = &rest[open + 1..open + close];
            pieces.push(match name {
                "public_url" => Piece::PublicUrl,
                "slug" => Piece::Slug,
                "id" => Piece::Id,
                "year" => Piece::Year,
                "month" => Piece::Month,
                "day" => Piece::Day,
                other => {
                    return Err(format!(
                        "`{{{other}}}` is not a placeholder; use {{public_url}}, {{slug}}, {{id}}, {{year}}, {{month}}, {{day}}"
                    ));
                }
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        if !pieces.iter().any(|p| matches!(p, Piece::Slug | Piece::Id)) {
            return Err(format!("`{template}` needs {{slug}} or {{id}}, or every article would share one address"));
        }
        let absolute = match pieces.first() {
            Some(Piece::PublicUrl) => true,
            Some(Piece::Text(t)) => t.starts_with("https://") || t.starts_with("http://"),
            _ => false,
        };
        if !absolute {
            return Err(format!("`{template}` must start with {{public_url}} or http(s)://"));
        }
        Ok(ArticleUrl(pieces))
    }

    pub fn render(&self, public_url: &str, slug: &str, id: i32, published: Option<DateTime<Utc>>) -> String {
        let date = published.unwrap_or_default();
        let mut out = String::with_capacity(public_url.len() + slug.len() + 16);
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::PublicUrl => out.push_str(public_url),
                Piece::Slug => out.push_str(slug),
                Piece::Id => out.push_str(&id.to_string()),
                Piece::Year => out.push_str(&date.year().to_string()),
                Piece::Month => out.push_str(&format!("{:02}", date.month())),
                Piece::Day => out.push_str(&format!("{:02}", date.day())),
            }
        }
        out
    }
}

impl Default for ArticleUrl {
    fn default() -> Self {
        ArticleUrl::parse(DEFAULT_ARTICLE_URL).expect("the default template is valid")
    }
}

/// Checks `COLOPHON_PUBLIC_URL`: an absolute http(s) URL without query or fragment. The
/// trailing slash is dropped so templates can add `/{slug}`.
pub fn parse_public_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{raw}` must start with https:// or http://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || url.contains(['?', '#', ' ']) || url.chars().any(char::is_control) {
        return Err(format!("`{raw}` must be an address like https://blog.example.com, without query or fragment"));
    }
    Ok(url.to_string())
}

/// The authority part of a public URL (`blog.example.com`), for tag URIs (RFC 4151).
pub fn authority(public_url: &str) -> &str {
    let rest = public_url.split_once("://").map(|(_, r)| r).unwrap_or(public_url);
    let host = rest.split('/').next().unwrap_or(rest);
    host.split(':').next().unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn templates_fill_every_placeholder() {
        let t = ArticleUrl::parse("{public_url}/{year}/{month}/{day}/{slug}-{id}.html").unwrap();
        let when = Utc.with_ymd_and_hms(2026, 4, 5, 10, 0, 0).unwrap();
        assert_eq!(t.render("https://x.dev", "a-b", 7, Some(when)), "https://x.dev/2026/04/05/a-b-7.html");
        assert_eq!(ArticleUrl::default().render("https://x.dev/blog", "s", 1, None), "https://x.dev/blog/s");
        let fixed = ArticleUrl::parse("https://cdn.example/p/{id}").unwrap();
        assert_eq!(fixed.render("https://ignored", "s", 3, None), "https://cdn.example/p/3");
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        for (bad, says) in [
            ("{public_url}/{title}", "{title}"),
            ("{public_url}/posts", "needs {slug} or {id}"),
            ("{public_url}/{slug", "without its"),
            ("/{slug}", "must start with"),
            ("{slug}", "must start with"),
        ] {
            let e = ArticleUrl::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn public_urls_are_absolute_and_lose_the_trailing_slash() {
        assert_eq!(parse_public_url("https://blog.example.com/").unwrap(), "https://blog.example.com");
        assert_eq!(parse_public_url("http://127.0.0.1:8080/x/").unwrap(), "http://127.0.0.1:8080/x");
        for bad in ["blog.example.com", "ftp://x", "https://", "https://x/?a=1", "https://x/#f", "https://a b"] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
        assert_eq!(authority("http://127.0.0.1:8080/x"), "127.0.0.1");
        assert_eq!(authority("https://blog.example.com"), "blog.example.com");
    }
}
