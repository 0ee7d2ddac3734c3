//! The studio at `/admin/`: the authoring UI, plain HTML and JavaScript modules embedded in
//! the binary (`assets/studio/`), talking only to the public API like any other client. Its
//! pages carry a strict Content-Security-Policy: scripts from this origin only, none inline.

use crate::embedded::{CSS, HTML, JS, Site};

/// (path under /admin/, content type, bytes)
const FILES: &[(&str, &str, &str)] = &[
    ("", HTML, include_str!("../assets/studio/index.html")),
    ("app.js", JS, include_str!("../assets/studio/app.js")),
    ("act.js", JS, include_str!("../assets/studio/act.js")),
    ("api.js", JS, include_str!("../assets/studio/api.js")),
    ("dom.js", JS, include_str!("../assets/studio/dom.js")),
    ("list.js", JS, include_str!("../assets/studio/list.js")),
    ("editor.js", JS, include_str!("../assets/studio/editor.js")),
    ("diff.js", JS, include_str!("../assets/studio/diff.js")),
    ("live.js", JS, include_str!("../assets/studio/live.js")),
    ("taxonomy.js", JS, include_str!("../assets/studio/taxonomy.js")),
    ("people.js", JS, include_str!("../assets/studio/people.js")),
    ("style.css", CSS, include_str!("../assets/studio/style.css")),
];

/// Scripts and styles from this origin only, no inline script; the API on this origin;
/// images in a preview may come from anywhere over https.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                       connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
                       object-src 'none'";

/// Revalidated on every load (the ETag answers 304): a new release is used at once.
pub static SITE: Site = Site { prefix: "/admin", files: FILES, csp: CSP, cache_control: Some("no-cache") };

#[cfg(test)]
mod tests {
    /// Every module a module imports is served, and no page has an inline script.
    #[test]
    fn the_studio_serves_what_it_loads() {
        for (path, _, body) in super::FILES {
            for line in body.lines().filter(|l| l.starts_with("import ")) {
                let target = line.rsplit("from '").next().unwrap().trim_end_matches("';").trim_start_matches("./");
                assert!(
                    super::FILES.iter().any(|(p, _, _)| *p == target),
                    "{path} imports {target}, which is not served"
                );
            }
        }
        let html = super::FILES[0].2;
        assert!(!html.contains("<script>") && !html.contains("onclick="), "inline script in the studio's page");
    }
}
