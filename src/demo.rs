//! A small demo publication of our own writing, loaded by `serve --demo` into an empty
//! database through the service layer (the same rules as any editor's writes).

use chrono::{Duration, Utc};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::content::site::SitePatch;
use crate::content::{Content, ContentError, NewArticle, Principal, Role, Viewer, taxonomy};
use crate::entities::article;

struct DemoArticle {
    title: &'static str,
    category: &'static str,
    tags: &'static [&'static str],
    series_part: Option<i32>,
    days_ago: i64,
    body: &'static str,
}

const SERIES: &str = "Building a Content API";

/// Categories as a tree: (name, parent).
const CATEGORIES: &[(&str, Option<&str>)] = &[
    ("Engineering", None),
    ("Backend", Some("Engineering")),
    ("Databases", Some("Engineering")),
    ("Operations", None),
    ("Observability", Some("Operations")),
];

const ARTICLES: &[DemoArticle] = &[
    DemoArticle {
        title: "Building a Content API: Why Headless",
        category: "Backend",
        tags: &["API Design", "Architecture"],
        series_part: Some(1),
        days_ago: 60,
        body: "A headless content API keeps the words apart from the pages that show them. \
Editors write once; a website, a mobile app and a newsletter each read what they need.\n\n\
## What we want\n\n- one schema for every client\n- fast reads, safe writes\n- drafts nobody else can see\n\n\
This series builds such an API step by step.",
    },
    DemoArticle {
        title: "Building a Content API: Modelling Articles, Tags & Series",
        category: "Backend",
        tags: &["API Design", "Database"],
        series_part: Some(2),
        days_ago: 53,
        body: "Articles carry a slug, a Markdown body and derived HTML. Tags keep the order the \
editor gave them, because the first one is the one a front end shows.\n\n\
```sql\nCREATE UNIQUE INDEX uq_articles_series_part ON articles (series_id, series_part);\n```\n\n\
Uniqueness belongs in the database: two editors racing must not both win.",
    },
    DemoArticle {
        title: "Building a Content API: Cursors That Survive Inserts",
        category: "Backend",
        tags: &["API Design", "Performance", "PostgreSQL"],
        series_part: Some(4),
        days_ago: 40,
        body: "Offset pagination drifts when rows arrive while a reader pages. A keyset cursor \
names the last row seen, by its sort key and id, and the next page starts right after it.\n\n\
```sql\nSELECT * FROM articles\nWHERE (published_at, id) < ($1, $2)\nORDER BY published_at DESC, id DESC\nLIMIT 21;\n```\n\n\
Page 500 costs what page 1 costs.",
    },
    DemoArticle {
        title: "GraphQL & REST, Side by Side",
        category: "Backend",
        tags: &["GraphQL", "REST", "API Design"],
        series_part: None,
        days_ago: 35,
        body: "Some clients want exactly the fields they asked for; others want a URL a CDN can \
cache. Serving both from one service layer means one set of rules and two thin faces.\n\n\
> A capability ships on both, with the same data and the same errors.",
    },
    DemoArticle {
        title: "SQLite in Production: WAL, Busy Timeouts and Honest Limits",
        category: "Databases",
        tags: &["SQLite", "Database", "Performance"],
        series_part: None,
        days_ago: 30,
        body: "SQLite in WAL mode lets readers carry on while one writer writes. Add a busy \
timeout so writers queue instead of failing, and start write transactions with `BEGIN IMMEDIATE`.\n\n\
```sql\nPRAGMA journal_mode = WAL;\nPRAGMA foreign_keys = ON;\nPRAGMA busy_timeout = 10000;\n```",
    },
    DemoArticle {
        title: "PostgreSQL Indexes for Keyset Pagination",
        category: "Databases",
        tags: &["PostgreSQL", "Performance", "Database"],
        series_part: None,
        days_ago: 26,
        body: "An index on `(published_at, id)` serves newest-first lists and their cursors \
without a sort. Check with `EXPLAIN`: you want an index scan, not a sort node.",
    },
    DemoArticle {
        title: "Structured Logging with Tracing",
        category: "Observability",
        tags: &["Rust", "Observability"],
        series_part: None,
        days_ago: 21,
        body: "Logs are data. With `tracing`, every event carries fields a machine can filter \
on, and spans tie the events of one request together.\n\n\
```rust\ntracing::info!(article_id = 42, \"published\");\n```",
    },
    DemoArticle {
        title: "Health Checks That Mean Something",
        category: "Operations",
        tags: &["Reliability", "Observability"],
        series_part: None,
        days_ago: 17,
        body: "Liveness says the process answers; readiness says it can do its job. A readiness \
check that asks the database and the migration table keeps a load balancer from sending \
traffic to an instance that would only fail.",
    },
    DemoArticle {
        title: "Signing Tokens with HS256: What to Check",
        category: "Backend",
        tags: &["Security", "JWT"],
        series_part: None,
        days_ago: 12,
        body: "Pin the algorithm, require `exp`, honour `nbf`, and check `iss` and `aud` when you \
set them. A token with `alg: none` must open nothing.",
    },
    DemoArticle {
        title: "Markdown, Sanitized",
        category: "Backend",
        tags: &["Security", "Markdown"],
        series_part: None,
        days_ago: 8,
        body: "Editors write Markdown; readers get HTML. Between the two stands a sanitizer that \
drops `<script>`, event handlers and `javascript:` links, and keeps code blocks intact.",
    },
    DemoArticle {
        title: "C# and Node.js Walk into a Slug",
        category: "Backend",
        tags: &["C#", "Node.js", "API Design"],
        series_part: None,
        days_ago: 4,
        body: "Slugs must be readable and stable: \"C#\" becomes `c-sharp`, \"Node.js\" becomes \
`node-js`, and \"Handlers, Controllers & Services\" becomes \
`handlers-controllers-and-services`.",
    },
    DemoArticle {
        title: "Draft: Scheduling Posts Across Time Zones",
        category: "Operations",
        tags: &["Scheduling"],
        series_part: None,
        days_ago: -1,
        body: "Store instants in UTC, show them in the reader's zone, and let a worker publish \
what falls due. (This one is still a draft: readers cannot see it.)",
    },
];

/// The demo's studio account: an admin who signs in with a password made afresh at every
/// start (printed in the banner), so a newcomer can try the studio at once.
pub const STUDIO_EMAIL: &str = "demo@colophon.test";

/// Makes the studio account, or gives it a new password; returns the password.
pub async fn studio_account(content: &Content) -> Result<String, ContentError> {
    use base64::Engine;
    let password = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 12]>());
    let admin = crate::content::accounts::cli_admin();
    let exists = content.users(&admin).await?.into_iter().any(|u| u.email.as_deref() == Some(STUDIO_EMAIL));
    if exists {
        let patch = crate::content::accounts::UserPatch { password: Some(password.clone()), ..Default::default() };
        content.update_user(&admin, STUDIO_EMAIL, patch).await?;
    } else {
        let user = crate::content::accounts::NewUser {
            email: STUDIO_EMAIL.into(),
            name: "Demo Admin".into(),
            role: Role::Admin,
            password: password.clone(),
        };
        content.create_user(&admin, user).await?;
    }
    Ok(password)
}

/// Loads the demo publication when the database has no articles. Returns how many it loaded.
pub async fn load_if_empty(content: &Content) -> Result<usize, ContentError> {
    if article::Entity::find().count(content.db()).await? > 0 {
        return Ok(0);
    }
    let editor = Viewer(Some(Principal { subject: "demo-editor".into(), role: Role::Editor }));
    let admin = Viewer(Some(Principal { subject: "demo-admin".into(), role: Role::Admin }));
    content
        .update_site(
            &admin,
            SitePatch {
                title: Some("Colophon Demo".into()),
                description: Some(
                    "Deep dives into backend development, system design, and distributed systems.".into(),
                ),
                // Left empty: feeds then link to wherever this server listens.
                url: None,
            },
        )
        .await?;
    for (name, parent) in CATEGORIES {
        let parent_id = match parent {
            Some(p) => Some(taxonomy::category_by_name(content.db(), p, None, &mut Default::default()).await?.id),
            None => None,
        };
        taxonomy::category_by_name(content.db(), name, parent_id, &mut Default::default()).await?;
    }
    for a in ARTICLES {
        let view = content
            .create_article(
                &editor,
                NewArticle {
                    title: a.title.into(),
                    body: Some(a.body.into()),
                    tags: Some(a.tags.iter().map(|t| t.to_string()).collect()),
                    category: Some(a.category.into()),
                    series: a.series_part.map(|_| SERIES.to_string()),
                    series_part: a.series_part,
                    ..Default::default()
                },
            )
            .await?;
        if a.days_ago >= 0 {
            let at = Utc::now() - Duration::days(a.days_ago);
            content.publish_article(&editor, &view.row.id.to_string(), Some(at)).await?;
        }
    }
    Ok(ARTICLES.len())
}
