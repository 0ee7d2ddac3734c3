// The front end's real operations (examples/operations/*.graphql) through @apollo/client
// against a running server, checking what each page would show.
//
//   node frontend.mjs GRAPHQL_URL EDITOR_TOKEN [CORPUS_JSON]
//
// With a corpus, first loads every article through the CreateArticle and PublishArticle
// mutations (the server's database must be empty), then checks the pages against the
// corpus' own numbers. Without one, checks the pages' shape and consistency only.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { Kind, parse, visit } from 'graphql';

const [url, token, corpusPath] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node frontend.mjs GRAPHQL_URL EDITOR_TOKEN [CORPUS_JSON]');
  process.exit(2);
}

// ---- the operation documents, one Apollo document per operation with the fragments it uses
const opsDir = join(dirname(fileURLToPath(import.meta.url)), '../../examples/operations');
const definitions = readdirSync(opsDir)
  .filter((f) => f.endsWith('.graphql'))
  .flatMap((f) => parse(readFileSync(join(opsDir, f), 'utf8')).definitions);
const fragments = new Map(
  definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
);
function documentFor(name) {
  const op = definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name);
  if (!op) throw new Error(`no operation ${name} in ${opsDir}`);
  const used = new Map();
  const collect = (node) =>
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        if (!used.has(name)) {
          used.set(name, fragments.get(name));
          collect(fragments.get(name));
        }
      },
    });
  collect(op);
  return { kind: Kind.DOCUMENT, definitions: [op, ...used.values()] };
}

// ---- clients: readers without credentials, the authoring UI with the editor token
const reader = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
const editor = new ApolloClient({
  link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
  cache: new InMemoryCache(),
});
const query = async (name, variables) =>
  (await reader.query({ query: documentFor(name), variables, fetchPolicy: 'network-only' })).data;
const mutate = async (name, variables) => (await editor.mutate({ mutation: documentFor(name), variables })).data;

let failures = 0;
function check(ok, what) {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

// ---- optionally, load the corpus through the authoring mutations
const MONTHS = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };
function corpusDate(s, i) {
  const m = /^(\w{3}) (\d{1,2}), (\d{4})$/.exec(s ?? '');
  if (!m) return `2024-01-${String(1 + Math.floor(i / 24)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z`;
  return `${m[3]}-${String(MONTHS[m[1]]).padStart(2, '0')}-${m[2].padStart(2, '0')}T00:00:00Z`;
}

let corpus = null;
if (corpusPath) {
  corpus = JSON.parse(readFileSync(corpusPath, 'utf8')).articles;
  const started = Date.now();
  for (const [i, a] of corpus.entries()) {
    const input = {
      title: a.title,
      excerpt: a.excerpt,
      body: a.excerpt,
      tags: a.tags ?? [],
      category: a.category ?? null,
      series: a.series ?? null,
      seriesPart: a.series_part ?? null,
    };
    const { createArticle } = await mutate('CreateArticle', { input });
    const { publishArticle } = await mutate('PublishArticle', { id: createArticle.id, publishedAt: corpusDate(a.date, i) });
    if (publishArticle.status !== 'PUBLISHED') check(false, `publish ${a.title}: ${publishArticle.status}`);
  }
  console.log(`loaded ${corpus.length} corpus articles in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---- home page, and its second page
const home = await query('HomePage', {});
const total = home.articles.totalCount;
check(home.site.articleCount === total, `home: site.articleCount ${home.site.articleCount} = totalCount ${total}`);
if (corpus) check(total === corpus.length, `home: ${total} published articles = the corpus' ${corpus.length}`);
check(home.articles.nodes.length === Math.min(20, total), `home: first page has ${home.articles.nodes.length}`);
const dates = home.articles.nodes.map((n) => n.publishedAt);
check(dates.every((d, i) => i === 0 || dates[i - 1] >= d), 'home: newest first');
if (home.articles.pageInfo.hasNextPage) {
  const next = await query('HomePage', { after: home.articles.pageInfo.endCursor });
  const first = new Set(home.articles.nodes.map((n) => n.id));
  check(next.articles.nodes.length > 0 && next.articles.nodes.every((n) => !first.has(n.id)), 'home: page 2 continues without repeats');
  check(next.articles.nodes[0].publishedAt <= dates.at(-1), 'home: page 2 is older than page 1');
}

// ---- tag page: the most used tag
const topTag = home.tags.nodes[0];
check(Boolean(topTag), 'home: the sidebar lists tags');
if (topTag) {
  const { tag } = await query('TagPage', { slug: topTag.slug });
  check(tag.articleCount === topTag.articleCount && tag.articles.totalCount === tag.articleCount, `tag ${tag.slug}: ${tag.articleCount} articles`);
  check(tag.articles.nodes.every((n) => n.tags.some((t) => t.slug === tag.slug)), `tag ${tag.slug}: every article carries it`);
  if (corpus) {
    const expected = corpus.filter((a) => (a.tags ?? []).some((t) => t.toLowerCase() === tag.name.toLowerCase())).length;
    check(tag.articleCount === expected, `tag ${tag.slug}: ${tag.articleCount} = corpus count ${expected}`);
  }
}

// ---- topic index
const { categories } = await query('TopicIndex', {});
check(categories.length > 0, `topic index: ${categories.length} categories`);
check(categories.every((c) => c.articles.nodes.length <= 5 && c.articles.nodes.length <= c.articleCount), 'topic index: at most 5 articles each, within the count');
check(categories.every((c) => c.depth === 0 || categories.findIndex((p) => p.slug === c.parent?.slug) < categories.indexOf(c)), 'topic index: parents before children');
if (corpus) {
  const counted = categories.filter((c) => c.depth === 0).reduce((n, c) => n + c.articleCount, 0);
  const expected = corpus.filter((a) => a.category).length;
  check(counted === expected, `topic index: root counts add up to ${expected} categorised corpus articles (got ${counted})`);
}

// ---- series page and an article page in that series
const withSeries = home.articles.nodes.find((n) => n.series) ?? (await query('HomePage', { first: 100 })).articles.nodes.find((n) => n.series);
if (withSeries) {
  const { series } = await query('SeriesPage', { slug: withSeries.series.slug });
  const parts = series.articles.nodes.map((n) => n.seriesPart);
  check(parts.every((p, i) => i === 0 || parts[i - 1] < p), `series ${series.slug}: parts in order (${parts.join(', ')})`);
  check(series.articleCount === parts.length, `series ${series.slug}: ${series.articleCount} parts`);
  const { article } = await query('ArticlePage', { slug: withSeries.slug });
  const at = series.articles.nodes.findIndex((n) => n.slug === article.slug);
  check((article.previousInSeries?.slug ?? null) === (series.articles.nodes[at - 1]?.slug ?? null), `article ${article.slug}: previous in series`);
  check((article.nextInSeries?.slug ?? null) === (series.articles.nodes[at + 1]?.slug ?? null), `article ${article.slug}: next in series`);
} else {
  check(!corpus, 'a series to visit');
}

// ---- article page with related reading
const first = home.articles.nodes[0];
const { article } = await query('ArticlePage', { slug: first.slug });
check(article.title === first.title && article.html.length > 0, `article ${first.slug}: title and html`);
check(article.related.length <= 4 && article.related.every((r) => r.slug !== first.slug), `article ${first.slug}: ${article.related.length} related, not itself`);
const missing = await reader.query({ query: documentFor('ArticlePage'), variables: { slug: 'no-such-article-anywhere' } });
check(missing.data.article === null, 'article: an unknown slug is null');

// ---- search: a word of the newest title
const word = first.title.split(/\W+/).find((w) => w.length > 4) ?? first.title.split(/\W+/)[0];
const { search } = await query('Search', { query: word });
check(search.totalCount > 0 && search.nodes.some((n) => n.article.slug === first.slug), `search "${word}": finds ${first.slug} among ${search.totalCount}`);
check(search.nodes.every((n, i) => i === 0 || search.nodes[i - 1].score >= n.score), `search "${word}": best first`);
check(search.nodes.some((n) => n.snippet.includes('<mark>')), `search "${word}": snippets mark the match`);

// ---- a mutation with the token, and the same without it
const { createArticle } = await mutate('CreateArticle', { input: { title: `Draft from the authoring UI ${Date.now()}`, body: '# Hello' } });
check(/^\d+$/.test(createArticle.id) && createArticle.status === 'DRAFT', `createArticle: draft ${createArticle.slug}`);
const draftSeen = await query('ArticlePage', { slug: createArticle.slug });
check(draftSeen.article === null, 'a draft stays hidden from readers');
try {
  await reader.mutate({ mutation: documentFor('CreateArticle'), variables: { input: { title: 'anonymous' } } });
  check(false, 'createArticle without a token is refused');
} catch (e) {
  const code = e.errors?.[0]?.extensions?.code;
  check(code === 'UNAUTHENTICATED', `createArticle without a token is refused (${code})`);
}

console.log(failures ? `front-end operations: ${failures} checks failed` : 'front-end operations: all checks passed');
process.exit(failures ? 1 : 0);
