//! `colophon seed --synthetic N`: a large, realistic publication for benchmarks, written
//! fast. Unlike the demo it does not go through the service one article at a time (100k
//! articles would take many minutes); it builds rows the way the service would (same slugs,
//! rendering, excerpts, reading times, search index) and inserts them in batches.
//!
//! The shape: tags used by Zipf's law (a few tags on most articles, a long tail), a category
//! tree two levels deep, series of 3–30 parts, Markdown bodies of 300–4000 words (most of
//! them short) with headings and code blocks, publication dates over ten years, and a few
//! drafts and scheduled articles. The same `--seed` gives the same publication.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
};

use crate::content::search::index_all;
use crate::content::text::{excerpt, reading_minutes, render, slugify};
use crate::entities::{article, article_tag, category, series, tag};

const WORDS: &[&str] = &[
    "async",
    "runtime",
    "cache",
    "index",
    "query",
    "planner",
    "latency",
    "throughput",
    "schema",
    "migration",
    "cursor",
    "pagination",
    "replica",
    "shard",
    "consensus",
    "raft",
    "paxos",
    "quorum",
    "lease",
    "lock",
    "mutex",
    "channel",
    "actor",
    "stream",
    "buffer",
    "socket",
    "protocol",
    "header",
    "payload",
    "token",
    "session",
    "gateway",
    "proxy",
    "router",
    "handler",
    "middleware",
    "service",
    "client",
    "server",
    "kernel",
    "thread",
    "scheduler",
    "allocator",
    "memory",
    "heap",
    "stack",
    "pointer",
    "borrow",
    "lifetime",
    "trait",
    "generic",
    "closure",
    "iterator",
    "future",
    "executor",
    "reactor",
    "poll",
    "event",
    "queue",
    "topic",
    "partition",
    "offset",
    "commit",
    "rollback",
    "transaction",
    "isolation",
    "snapshot",
    "vacuum",
    "checkpoint",
    "journal",
    "log",
    "metric",
    "trace",
    "span",
    "alert",
    "dashboard",
    "deploy",
    "container",
    "cluster",
    "node",
    "pod",
    "volume",
    "network",
    "packet",
    "route",
    "balancer",
    "certificate",
    "cipher",
    "hash",
    "signature",
    "key",
    "secret",
    "vault",
    "policy",
    "role",
    "audit",
    "feature",
    "flag",
    "release",
    "rollout",
    "canary",
    "build",
    "compiler",
    "linker",
    "crate",
    "module",
    "package",
    "version",
    "dependency",
    "test",
    "fixture",
    "mock",
    "benchmark",
    "profile",
    "flamegraph",
    "sample",
    "regression",
    "budget",
    "error",
    "retry",
    "backoff",
    "timeout",
    "deadline",
    "circuit",
    "breaker",
    "bulkhead",
    "fallback",
    "idempotent",
    "exactly",
    "once",
    "ordering",
    "clock",
    "vector",
    "bloom",
    "filter",
    "tree",
    "graph",
    "edge",
    "vertex",
    "search",
    "ranking",
    "embedding",
    "model",
    "training",
    "inference",
    "batch",
    "window",
    "aggregate",
    "join",
    "projection",
];

const TITLE_VERBS: &[&str] = &[
    "Understanding",
    "Debugging",
    "Scaling",
    "Designing",
    "Testing",
    "Measuring",
    "Tuning",
    "Building",
    "Rethinking",
    "Operating",
    "Securing",
    "Migrating",
    "Profiling",
    "Simplifying",
    "Taming",
];

const ROOT_CATEGORIES: &[&str] =
    &["Engineering", "Databases", "Operations", "Security", "Languages", "Architecture", "Data", "Culture"];

/// Code blocks, rendered once and reused: their HTML is what `render` makes of them.
const CODE_BLOCKS: &[&str] = &[
    "```rust\nasync fn handler(State(db): State<Db>) -> Json<Vec<Article>> {\n    Json(db.latest(20).await)\n}\n```",
    "```sql\nSELECT id, slug, title FROM articles\nWHERE status = 'published'\nORDER BY published_at DESC, id DESC\nLIMIT 20;\n```",
    "```js\nconst res = await fetch('/api/v1/articles?limit=20');\nconst { data, meta } = await res.json();\n```",
    "```python\nfor page in client.articles(limit=100):\n    index.add(page)\n```",
    "```go\nfunc (s *Server) Get(ctx context.Context, id int) (*Article, error) {\n\treturn s.db.Find(ctx, id)\n}\n```",
    "```yaml\nreplicas: 3\nresources:\n  limits:\n    memory: 256Mi\n```",
];

struct Code {
    markdown: String,
    html: String,
    plain: String,
    words: usize,
}

fn code_blocks() -> Vec<Code> {
    CODE_BLOCKS
        .iter()
        .map(|md| {
            let r = render(md).expect("the code blocks are shallow");
            Code { markdown: md.to_string(), words: r.word_count as usize, html: r.html, plain: r.plain_text }
        })
        .collect()
}

/// Picks indexes 0..n with probability proportional to 1/(rank+1)^s.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let x = rng.random::<f64>() * self.cumulative.last().copied().unwrap_or(0.0);
        self.cumulative.partition_point(|&c| c < x).min(self.cumulative.len() - 1)
    }
}

/// Syllables of the made-up terms each topic has: a publication's specific vocabulary
/// (product names, jargon) that only articles on that topic use.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "ri", "sen", "tor", "mi", "va", "dex", "pul", "quin", "bra", "zo", "fel", "nar", "gu", "shi", "tem",
    "cor", "lu", "vex", "ost", "pra", "nim", "del", "yar", "hum", "bel", "tis", "gor", "wen",
];

/// Words of one topic: what makes a search selective. Articles draw most words from the
/// shared vocabulary (every article has them, like "the") and some from their topic.
struct Topics {
    words: Vec<Vec<String>>,
    popularity: Zipf,
}

impl Topics {
    fn new(rng: &mut StdRng, n: usize) -> Self {
        let mut pool = std::collections::BTreeSet::new();
        while pool.len() < n * 15 {
            let len = rng.random_range(2..=3);
            pool.insert((0..len).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect::<String>());
        }
        let pool: Vec<String> = pool.into_iter().collect();
        let words = (0..n).map(|_| (0..30).map(|_| pool[rng.random_range(0..pool.len())].clone()).collect()).collect();
        Topics { words, popularity: Zipf::new(n, 0.8) }
    }

    fn pick(&self, rng: &mut StdRng) -> &[String] {
        &self.words[self.popularity.sample(rng)]
    }
}

/// `n` words: one in six from the topic, the rest shared.
fn words(rng: &mut StdRng, n: usize, topic: &[String]) -> String {
    let mut out = String::with_capacity(n * 8);
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        match rng.random_range(0..6) {
            0 if !topic.is_empty() => out.push_str(&topic[rng.random_range(0..topic.len())]),
            _ => out.push_str(WORDS[rng.random_range(0..WORDS.len())]),
        }
    }
    out
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Markdown, HTML, plain text and word count of one generated body. Paragraphs and headings
/// are plain words, so their HTML is known without rendering; code blocks were rendered.
struct Body {
    markdown: String,
    html: String,
    plain: String,
    words: usize,
}

fn body(rng: &mut StdRng, target_words: usize, code: &[Code], topic: &[String]) -> Body {
    let mut b = Body { markdown: String::new(), html: String::new(), plain: String::new(), words: 0 };
    let push = |b: &mut Body, md: &str, html: &str, plain: &str, n: usize| {
        if !b.markdown.is_empty() {
            b.markdown.push_str("\n\n");
            b.plain.push('\n');
        }
        b.markdown.push_str(md);
        b.html.push_str(html);
        b.plain.push_str(plain);
        b.words += n;
    };
    let mut block = 0;
    while b.words < target_words {
        if block % 5 == 4 {
            let n = rng.random_range(2..6);
            let text = capitalised(&words(rng, n, topic));
            push(&mut b, &format!("## {text}"), &format!("<h2>{text}</h2>\n"), &text, n);
        } else if block % 7 == 6 {
            let c = &code[rng.random_range(0..code.len())];
            push(&mut b, &c.markdown, &c.html, &c.plain, c.words);
        } else {
            let n = rng.random_range(40..120);
            let text = format!("{}.", capitalised(&words(rng, n, topic)));
            push(&mut b, &text, &format!("<p>{text}</p>\n"), &text, n);
        }
        block += 1;
    }
    b
}

/// One insert's worth of rows: new series first, then articles and their tag links.
struct Batch {
    series: Vec<(i32, String)>,
    articles: Vec<article::ActiveModel>,
    links: Vec<article_tag::ActiveModel>,
}

/// Generates `n` articles, oldest first (ids follow publication order as they would in
/// life), and sends them in batches. Runs on a plain thread beside the writer.
fn generate(
    mut rng: StdRng,
    n: usize,
    now: DateTime<Utc>,
    categories: &[i32],
    tag_count: usize,
    tx: &tokio::sync::mpsc::Sender<Batch>,
) {
    let code = code_blocks();
    let zipf = Zipf::new(tag_count, 1.07);
    let topics = Topics::new(&mut rng, (n / 250).clamp(20, 400));
    let span = Duration::days(3650);
    let mut dates: Vec<DateTime<Utc>> =
        (0..n).map(|_| now - Duration::seconds(rng.random_range(0..span.num_seconds()))).collect();
    dates.sort();
    let mut series_rows = Vec::new();
    let mut series_count = 0;
    let mut open_series: Option<(i32, i32, i32)> = None; // (id, next part, last part)
    let mut batch = Vec::new();
    let mut links = Vec::new();
    for (i, published) in dates.into_iter().enumerate() {
        let id = i as i32 + 1;
        let verb = TITLE_VERBS[rng.random_range(0..TITLE_VERBS.len())];
        let n_words = rng.random_range(2..6);
        let topic = topics.pick(&mut rng);
        // The title leads with a term of the article's topic, as titles do.
        let lead = &topic[rng.random_range(0..topic.len())];
        let title = format!("{verb} {} {}", capitalised(lead), words(&mut rng, n_words, topic));
        let slug = format!("{}-{id}", slugify(&title));
        // Most articles are short; a few run to 4000 words.
        let target = 300 + (3700.0 * rng.random::<f64>().powi(3)) as usize;
        let b = body(&mut rng, target, &code, topic);
        let roll = rng.random::<f64>();
        let (status, published_at) = if roll < 0.03 {
            ("draft", None)
        } else if roll < 0.04 {
            ("scheduled", Some(now + Duration::hours(rng.random_range(1..24 * 30))))
        } else {
            ("published", Some(published))
        };
        // About one article in twenty belongs to a series, in publication order.
        let (series_id, series_part) = match open_series {
            Some((sid, part, last)) if rng.random::<f64>() < 0.05 => {
                open_series = if part < last { Some((sid, part + 1, last)) } else { None };
                (Some(sid), Some(part))
            }
            None if rng.random::<f64>() < 0.05 / 8.0 => {
                series_count += 1;
                let sid = series_count;
                let last = rng.random_range(3..=30);
                series_rows.push((sid, format!("{} Series {sid}", capitalised(&words(&mut rng, 2, topic)))));
                open_series = Some((sid, 2, last));
                (Some(sid), Some(1))
            }
            _ => (None, None),
        };
        let category_id = (rng.random::<f64>() < 0.9).then(|| categories[rng.random_range(0..categories.len())]);
        let mut picked: Vec<i32> = Vec::new();
        for _ in 0..rng.random_range(1..=5) {
            let t = zipf.sample(&mut rng) as i32 + 1;
            if !picked.contains(&t) {
                picked.push(t);
            }
        }
        links.extend(picked.iter().enumerate().map(|(pos, t)| article_tag::ActiveModel {
            article_id: Set(id),
            tag_id: Set(*t),
            position: Set(pos as i32),
        }));
        let updated = published_at.map_or(published, |p| p.min(now)) + Duration::days(rng.random_range(0..30));
        batch.push(article::ActiveModel {
            id: Set(id),
            slug: Set(slug),
            title: Set(title),
            custom_excerpt: Set(None),
            excerpt: Set(excerpt(&b.plain)),
            word_count: Set(b.words as i32),
            reading_minutes: Set(reading_minutes(b.words)),
            body: Set(b.markdown),
            html: Set(b.html),
            plain_text: Set(b.plain),
            status: Set(status.into()),
            published_at: Set(published_at),
            created_at: Set(published),
            updated_at: Set(updated.min(now)),
            deleted_at: Set(None),
            author_id: Set(None),
            category_id: Set(category_id),
            series_id: Set(series_id),
            series_part: Set(series_part),
            cover_image_url: Set(None),
            canonical_url: Set(None),
            seo_title: Set(None),
            seo_description: Set(None),
            version: Set(1),
            listed_at: NotSet,
        });
        if batch.len() == 200 || i + 1 == n {
            let b = Batch {
                series: std::mem::take(&mut series_rows),
                articles: std::mem::take(&mut batch),
                links: std::mem::take(&mut links),
            };
            if tx.blocking_send(b).is_err() {
                return; // the writer stopped on an error; it reports it
            }
        }
    }
}

pub struct Seeded {
    pub articles: usize,
    pub tags: usize,
    pub categories: usize,
    pub series: usize,
}

/// Fills an empty database with `n` articles. Refuses a database that has articles.
pub async fn synthetic(
    db: &DatabaseConnection,
    n: usize,
    seed: u64,
    progress: impl Fn(&str),
) -> Result<Seeded, String> {
    let err = |e: sea_orm::DbErr| e.to_string();
    if article::Entity::find().count(db).await.map_err(err)? > 0 {
        return Err("the database already has articles; seed an empty one".into());
    }
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let now = crate::content::now();
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite {
        // A bulk load that can be redone: no need to wait for the disk on every page.
        db.execute_unprepared("PRAGMA synchronous = OFF").await.map_err(err)?;
    }
    let txn = crate::content::Content::new(db.clone()).begin_write().await.map_err(|e| e.to_string())?;
    if backend == DbBackend::Postgres {
        for (table, trigger) in migration::LISTING_TRIGGERS_PG {
            txn.execute_unprepared(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}")).await.map_err(err)?;
        }
        // Each article's texts are ~30 KB, compressed as they are stored: lz4 (where the
        // server has it) took a third off writing them, against the default pglz.
        let lz4 = txn
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'",
            ))
            .await
            .map_err(err)?
            .and_then(|row| row.try_get::<bool>("", "lz4").ok())
            .unwrap_or(false);
        if lz4 {
            txn.execute_unprepared("SET LOCAL default_toast_compression = 'lz4'").await.map_err(err)?;
        }
    }

    // Categories: roots with 2–5 children each.
    let mut cats = Vec::new();
    for (i, root) in ROOT_CATEGORIES.iter().enumerate() {
        let root_id = cats.len() as i32 + 1;
        cats.push((root_id, root.to_string(), None, i as i32));
        for c in 0..rng.random_range(2..=5) {
            let name = format!("{} {}", capitalised(WORDS[rng.random_range(0..WORDS.len())]), root);
            cats.push((cats.len() as i32 + 1, name, Some(root_id), c));
        }
    }
    let mut seen = std::collections::HashSet::new();
    cats.retain(|c| seen.insert(slugify(&c.1)) || c.2.is_none());
    let cat_rows: Vec<category::ActiveModel> = cats
        .iter()
        .map(|(id, name, parent, position)| category::ActiveModel {
            id: Set(*id),
            slug: Set(slugify(name)),
            name: Set(name.clone()),
            description: Set(None),
            parent_id: Set(*parent),
            position: Set(*position),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    // A child whose parent was dropped as a duplicate cannot happen: roots are never dropped.
    category::Entity::insert_many(cat_rows).exec(&txn).await.map_err(err)?;

    // Tags: single words and pairs, as many as a publication of this size would have.
    let tag_count = (n / 20).clamp(30, 5000);
    let mut tag_names = Vec::with_capacity(tag_count);
    let mut slugs = std::collections::HashSet::new();
    for w in WORDS {
        if tag_names.len() < tag_count && slugs.insert(w.to_string()) {
            tag_names.push(w.to_string());
        }
    }
    while tag_names.len() < tag_count {
        let name = format!("{}-{}", WORDS[rng.random_range(0..WORDS.len())], WORDS[rng.random_range(0..WORDS.len())]);
        if slugs.insert(name.clone()) {
            tag_names.push(name);
        }
    }
    for chunk in tag_names.chunks(1000).enumerate() {
        let rows = chunk.1.iter().enumerate().map(|(i, name)| tag::ActiveModel {
            id: Set((chunk.0 * 1000 + i) as i32 + 1),
            slug: Set(slugify(name)),
            name: Set(name.clone()),
            description: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
        tag::Entity::insert_many(rows).exec(&txn).await.map_err(err)?;
    }
    let mut series_count = 0;

    // Articles are generated on their own thread while this one writes the batch before:
    // generating text and tokenising it for search cost about the same, so the two cores
    // share the load.
    let category_count = cats.len();
    let category_ids: Vec<i32> = cats.iter().map(|c| c.0).collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(4);
    let generator = std::thread::spawn(move || {
        generate(rng, n, now, &category_ids, tag_count, &tx);
    });
    let mut written = 0;
    while let Some(b) = rx.recv().await {
        if !b.series.is_empty() {
            // Series rows go in before the articles that point at them.
            series_count += b.series.len();
            let rows = b.series.into_iter().map(|(sid, title)| series::ActiveModel {
                id: Set(sid),
                slug: Set(slugify(&title)),
                title: Set(title),
                description: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            series::Entity::insert_many(rows).exec(&txn).await.map_err(err)?;
        }
        written += b.articles.len();
        article::Entity::insert_many(b.articles).exec(&txn).await.map_err(err)?;
        for chunk in b.links.chunks(2000) {
            article_tag::Entity::insert_many(chunk.to_vec()).exec(&txn).await.map_err(err)?;
        }
        if written % 10_000 == 0 || written == n {
            progress(&format!("{written} articles written ({:.1} s)", started.elapsed().as_secs_f64()));
        }
    }
    generator.join().map_err(|_| "the article generator failed".to_string())?;
    progress(&format!("indexing for search ({:.1} s)", started.elapsed().as_secs_f64()));
    if backend == DbBackend::Postgres {
        // Built once at the end: inserting 100k documents into it took three times as long.
        // Dropped only now, as it locks the table until the commit.
        txn.execute_unprepared("DROP INDEX IF EXISTS idx_article_search_document").await.map_err(err)?;
    }
    index_all(&txn).await.map_err(|e| e.to_string())?;
    if backend == DbBackend::Postgres {
        txn.execute_unprepared(migration::SEARCH_INDEX_PG).await.map_err(err)?;
    }
    progress(&format!("indexed for search ({:.1} s)", started.elapsed().as_secs_f64()));
    if backend == DbBackend::Postgres {
        // Explicit ids leave the sequences behind; the next editor's insert must not collide.
        for table in ["articles", "tags", "categories", "series"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .await
            .map_err(err)?;
        }
    }
    if backend == DbBackend::Postgres {
        for (table, trigger) in migration::LISTING_TRIGGERS_PG {
            txn.execute_unprepared(&format!("ALTER TABLE {table} ENABLE TRIGGER {trigger}")).await.map_err(err)?;
        }
        txn.execute_unprepared(migration::LISTING_FILL).await.map_err(err)?;
    }
    // Written around the service layer: every cache forgets everything.
    crate::content::purges::Purge::everything().record(&txn).await.map_err(|e| e.to_string())?;
    txn.commit().await.map_err(|e| e.to_string())?;
    let analyze = if backend == DbBackend::Postgres {
        "ANALYZE"
    } else {
        "PRAGMA analysis_limit = 1000; ANALYZE; PRAGMA optimize"
    };
    db.execute_unprepared(analyze).await.map_err(err)?;
    progress(&format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(Seeded { articles: n, tags: tag_count, categories: category_count, series: series_count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_bodies_render_as_the_service_would() {
        let mut rng = StdRng::seed_from_u64(7);
        let code = code_blocks();
        let topics = Topics::new(&mut rng, 3);
        for target in [300, 1500, 4000] {
            let topic = topics.pick(&mut rng).to_vec();
            let b = body(&mut rng, target, &code, &topic);
            let r = render(&b.markdown).unwrap();
            assert_eq!(b.html, r.html);
            assert_eq!(b.plain, r.plain_text);
            assert_eq!(b.words as i32, r.word_count);
            assert!(b.words >= target && b.words < target + 200, "{} for {target}", b.words);
        }
    }

    #[test]
    fn zipf_favours_the_first_ranks() {
        let mut rng = StdRng::seed_from_u64(1);
        let z = Zipf::new(1000, 1.07);
        let mut counts = vec![0usize; 1000];
        for _ in 0..100_000 {
            counts[z.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[9] && counts[9] > counts[99]);
        assert!(counts[0] > 10 * counts[99], "{} vs {}", counts[0], counts[99]);
        assert!(counts[999] > 0);
    }
}
