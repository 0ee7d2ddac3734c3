//! Markdown files with front matter, as Hugo, Jekyll and Zola write them: YAML between
//! `---` lines or TOML between `+++` lines, then the body. Read into one map of JSON
//! values whatever the syntax; written back in either.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Toml,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub syntax: Syntax,
    pub fields: Map<String, Value>,
    pub body: String,
}

/// Splits a file into its front matter and body. The body is everything after the closing
/// delimiter's line, byte for byte.
pub fn parse(text: &str) -> Result<Document, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (syntax, delimiter) = if text.starts_with("---") {
        (Syntax::Yaml, "---")
    } else if text.starts_with("+++") {
        (Syntax::Toml, "+++")
    } else {
        return Err("no front matter: the file must start with `---` (YAML) or `+++` (TOML)".into());
    };
    let first_line_end = text.find('\n').ok_or("the front matter is never closed")?;
    if text[..first_line_end].trim_end() != delimiter {
        return Err(format!("the first line must be `{delimiter}` alone"));
    }
    let rest = &text[first_line_end + 1..];
    // The closing delimiter: a line holding only it.
    let mut offset = 0;
    let (matter, body) = loop {
        let line_end = rest[offset..].find('\n').map(|i| offset + i);
        let line = &rest[offset..line_end.unwrap_or(rest.len())];
        if line.trim_end() == delimiter {
            let body_start = line_end.map(|e| e + 1).unwrap_or(rest.len());
            break (&rest[..offset], &rest[body_start..]);
        }
        match line_end {
            Some(e) => offset = e + 1,
            None => return Err(format!("the front matter is never closed (no `{delimiter}` line)")),
        }
    };
    let fields = match syntax {
        Syntax::Yaml => {
            if matter.trim().is_empty() {
                Map::new()
            } else {
                match serde_norway::from_str::<Value>(matter) {
                    Ok(Value::Object(m)) => m,
                    Ok(Value::Null) => Map::new(),
                    Ok(_) => return Err("the YAML front matter is not a mapping of keys".into()),
                    Err(e) => return Err(format!("the YAML front matter does not parse: {e}")),
                }
            }
        }
        Syntax::Toml => {
            let table: toml::Table =
                toml::from_str(matter).map_err(|e| format!("the TOML front matter does not parse: {e}"))?;
            match toml_to_json(toml::Value::Table(table)) {
                Value::Object(m) => m,
                _ => unreachable!("a table converts to an object"),
            }
        }
    };
    Ok(Document { syntax, fields, body: body.to_string() })
}

/// TOML dates become their text (RFC 3339), like YAML's.
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

/// Writes a document: front matter, then the body unchanged.
pub fn write(doc: &Document) -> Result<String, String> {
    match doc.syntax {
        Syntax::Yaml => {
            let matter = serde_norway::to_string(&doc.fields).map_err(|e| e.to_string())?;
            Ok(format!("---\n{matter}---\n{}", doc.body))
        }
        Syntax::Toml => {
            let table = json_to_toml(&Value::Object(doc.fields.clone()));
            let matter = toml::to_string(&table).map_err(|e| e.to_string())?;
            Ok(format!("+++\n{matter}+++\n{}", doc.body))
        }
    }
}

/// Strings that are RFC 3339 times become TOML datetimes (Zola reads `date` as one).
fn json_to_toml(v: &Value) -> toml::Value {
    match v {
        Value::String(s) => match (chrono::DateTime::parse_from_rfc3339(s), s.parse::<toml::value::Datetime>()) {
            (Ok(_), Ok(d)) => toml::Value::Datetime(d),
            _ => toml::Value::String(s.clone()),
        },
        Value::Number(n) => {
            n.as_i64().map(toml::Value::Integer).unwrap_or_else(|| toml::Value::Float(n.as_f64().unwrap_or(0.0)))
        }
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Array(a) => toml::Value::Array(a.iter().map(json_to_toml).collect()),
        Value::Object(m) => toml::Value::Table(m.iter().map(|(k, v)| (k.clone(), json_to_toml(v))).collect()),
        Value::Null => toml::Value::String(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_toml_read_alike() {
        let yaml = "---\ntitle: \"Rust & Go\"\ndate: 2024-01-15T10:00:00Z\ntags: [a, b]\n---\nBody\n---\nnot matter\n";
        let d = parse(yaml).unwrap();
        assert_eq!(d.syntax, Syntax::Yaml);
        assert_eq!(d.fields["title"], "Rust & Go");
        assert_eq!(d.fields["date"], "2024-01-15T10:00:00Z");
        assert_eq!(d.fields["tags"], serde_json::json!(["a", "b"]));
        assert_eq!(d.body, "Body\n---\nnot matter\n");
        let toml = "+++\ntitle = \"Rust & Go\"\ndate = 2024-01-15T10:00:00Z\n[taxonomies]\ntags = [\"a\"]\n+++\n\nBody";
        let d = parse(toml).unwrap();
        assert_eq!(d.syntax, Syntax::Toml);
        assert_eq!(d.fields["date"], "2024-01-15T10:00:00Z");
        assert_eq!(d.fields["taxonomies"]["tags"], serde_json::json!(["a"]));
        assert_eq!(d.body, "\nBody");
    }

    #[test]
    fn writing_then_reading_gives_the_document_back() {
        for syntax in [Syntax::Yaml, Syntax::Toml] {
            let mut fields = Map::new();
            fields.insert("title".into(), Value::from("A: \"quoted\" — title"));
            fields.insert("date".into(), Value::from("2026-03-01T08:30:00Z"));
            fields.insert("draft".into(), Value::from(true));
            fields.insert("tags".into(), serde_json::json!(["C#", "Node.js"]));
            fields.insert("series_part".into(), Value::from(3));
            let doc = Document { syntax, fields, body: "+++\n---\nText with `code`.\n".into() };
            let back = parse(&write(&doc).unwrap()).unwrap();
            assert_eq!(back, doc, "{syntax:?}");
        }
    }

    #[test]
    fn broken_front_matter_is_named() {
        for (text, says) in [
            ("no matter", "no front matter"),
            ("---\ntitle: x\n", "never closed"),
            ("---\ntitle: [\n---\n", "does not parse"),
            ("+++\ntitle = \n+++\n", "does not parse"),
            ("---\n- a\n- b\n---\n", "not a mapping"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
