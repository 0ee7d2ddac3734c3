//! Rendering any Markdown: no panic, and what comes out is sanitized HTML: no script
//! elements, no event-handler attributes, no `javascript:` links.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// The attributes of every start tag in `html`, as (name, value), lowercased.
fn attributes(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for tag in html.split('<').skip(1) {
        if !tag.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue; // text, a closing tag or a comment
        }
        let mut rest = tag.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
        loop {
            rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('>') || rest.starts_with("/>") {
                break;
            }
            let end = rest.find(|c: char| c == '=' || c == '>' || c.is_whitespace()).unwrap_or(rest.len());
            let name = rest[..end].to_ascii_lowercase();
            rest = &rest[end..];
            let mut value = String::new();
            if let Some(v) = rest.strip_prefix('=') {
                let (val, after) = match v.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let close = v[1..].find(q).map_or(v.len(), |i| i + 1);
                        (&v[1..close], v.get(close + 1..).unwrap_or(""))
                    }
                    _ => {
                        let e = v.find(|c: char| c == '>' || c.is_whitespace()).unwrap_or(v.len());
                        (&v[..e], &v[e..])
                    }
                };
                value = val.to_ascii_lowercase();
                rest = after;
            }
            if name.is_empty() {
                rest = &rest[rest.chars().next().map_or(0, char::len_utf8)..];
                continue;
            }
            out.push((name, value));
        }
    }
    out
}

fuzz_target!(|markdown: &str| {
    // Too deep is a refusal (422), not a rendering; what renders must be safe.
    let Ok(r) = colophon::content::text::render(markdown) else { return };
    assert!(!r.html.to_ascii_lowercase().contains("<script"), "script survived: {}", r.html);
    for (name, value) in attributes(&r.html) {
        assert!(!name.starts_with("on"), "event handler survived: {}", r.html);
        if matches!(name.as_str(), "href" | "src") {
            assert!(!value.trim_start().starts_with("javascript:"), "javascript: URL survived: {}", r.html);
        }
    }
    assert!(r.word_count >= 0);
});
