// End-to-end check of the demo front end (examples/web, served at /demo/) in headless
// Chromium: what a reader sees on each page, against what the API itself answers.
//
//   cd tests/e2e && npm ci && COLOPHON_DEMO_URL=http://127.0.0.1:8080 node demo.mjs
//
// COLOPHON_DEMO_URL  the server serving /demo/ (and, by default, the API)
// COLOPHON_DEMO_API  the API's origin when it is another one (the page gets ?api=…)
// CHROMIUM           the browser to drive (default /usr/bin/chromium)
//
// Expected values come from the REST API (/api/v1/...), never from constants: the page reads
// GraphQL, so the two faces of the API must agree with what the page shows.
import { chromium } from 'playwright-core';

const started = Date.now();
const strip = (url) => (url || '').replace(/\/+$/, '');
const base = strip(process.env.COLOPHON_DEMO_URL);
if (!base) {
  console.error('FAIL set COLOPHON_DEMO_URL to the server, e.g. COLOPHON_DEMO_URL=http://127.0.0.1:8080');
  process.exit(2);
}
const api = strip(process.env.COLOPHON_DEMO_API) || base;
const pageUrl = api === base ? `${base}/demo/` : `${base}/demo/?api=${encodeURIComponent(api)}`;
const STEP_TIMEOUT = 10_000;

// The whole run must end well within a minute, whatever hangs.
const deadline = setTimeout(() => {
  console.error('FAIL the check took longer than 60 s');
  process.exit(1);
}, 60_000);
deadline.unref();

// ---- the formats the page uses (the contract, restated here on purpose) ----------------
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const date = (iso) => {
  const d = new Date(iso);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
};
const pad2 = (n) => String(n).padStart(2, '0');
const plural = (n, one) => `${n} ${n === 1 ? one : `${one}s`}`;
const norm = (s) => String(s ?? '').replace(/\s+/g, ' ').trim();
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const show = (v) => {
  const text = JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ');
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
};
/** Where `actual` first departs from `expected`, briefly. */
function difference(expected, actual, at = '') {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
      if (!same(expected[i], actual[i])) {
        if (i >= actual.length) return `${at}[${i}] is missing (the page shows ${actual.length} of ${expected.length}): expected ${show(expected[i])}`;
        if (i >= expected.length) return `${at}[${i}] is extra (the page shows ${actual.length}, expected ${expected.length}): ${show(actual[i])}`;
        return difference(expected[i], actual[i], `${at}[${i}]`);
      }
    }
  }
  if (expected && actual && typeof expected === 'object' && typeof actual === 'object' && !Array.isArray(expected)) {
    const key = Object.keys(expected).find((k) => !same(expected[k], actual[k]));
    if (key) return difference(expected[key], actual[key], `${at}.${key}`);
  }
  return `${at || 'value'}: expected ${show(expected)}, page shows ${show(actual)}`;
}

// ---- the REST API, for expected values ---------------------------------------------------
async function rest(path) {
  const url = `${api}/api/v1${path}`;
  let res;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (e) {
    throw new Error(`cannot reach ${url}: ${e.cause?.message ?? e.message}`);
  }
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res.json();
}
/** Every item of a paginated REST list. */
async function restAll(path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await rest(`${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.data);
    cursor = page.meta?.next_cursor ?? null;
  } while (cursor && items.length < 5000);
  return items;
}

// ---- the browser -------------------------------------------------------------------------
let browser;
let page;
const problems = []; // page JS errors and console errors, reported by the step they happen in
// Images an article's body names are content, not the front end: one that fails to load (a
// closed network, a broken link in the text) is no failure of the page.
const brokenImages = new Set();
const takeProblems = () => problems.splice(0).filter((p) => !(p.url && brokenImages.has(p.url))).map((p) => p.text);

async function launch() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push({ text: `page error: ${e.message}` }));
  page.on('console', (m) => {
    const url = m.location()?.url ?? '';
    if (m.type() === 'error') problems.push({ text: `console error: ${m.text()} (${url})`, url });
  });
  const image = (req) => req.resourceType() === 'image' && brokenImages.add(req.url());
  page.on('requestfailed', image);
  page.on('response', (res) => res.status() >= 400 && image(res.request()));
}

/** Waits until the page shows the content for `hash` (the app marks <main> when it has). */
async function ready(hash, kind) {
  const describe = async () => {
    const now = await page.evaluate(() => ({ hash: location.hash, ...document.querySelector('main')?.dataset })).catch(() => ({}));
    const shows = norm(await page.locator('main').textContent().catch(() => '')).slice(0, 300);
    return `now ${show(now)}; it shows "${shows}"`;
  };
  try {
    await page.waitForFunction(
      (h) => {
        const main = document.querySelector('main');
        return main?.dataset.state === 'ready' && main.dataset.route === h;
      },
      hash,
      { timeout: STEP_TIMEOUT },
    );
  } catch {
    throw new Error(`the page did not finish showing "${hash}" (${await describe()})`);
  }
  const shown = await page.locator('main').getAttribute('data-page');
  if (kind && shown !== kind) throw new Error(`"${hash}" shows a ${shown} page instead of ${kind} (${await describe()})`);
}

/** Polls `read` until it returns `expected` (deep equality); fails naming both. */
async function expectValue(what, read, expected) {
  const until = Date.now() + STEP_TIMEOUT;
  let actual;
  for (;;) {
    actual = await read();
    if (same(actual, expected)) return;
    if (Date.now() > until) throw new Error(`${what}: ${difference(expected, actual)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = async (selector) => norm(await page.locator(selector).first().textContent());
const texts = async (selector) => (await page.locator(selector).allTextContents()).map(norm);
const testid = (id) => `[data-testid="${id}"]`;

/** Clicks a link and waits for the page it leads to. */
async function follow(locator, kind) {
  const href = await locator.getAttribute('href');
  await locator.click();
  await ready(href, kind);
  return href;
}

// ---- reporting ---------------------------------------------------------------------------
let passed = 0;
async function check(name, fn) {
  const t = Date.now();
  try {
    const note = await fn();
    const seen = takeProblems();
    if (seen.length) throw new Error(seen.join('\n  '));
    passed++;
    console.log(`ok   ${name}${note ? ` (${note})` : ''} [${Date.now() - t} ms]`);
  } catch (e) {
    const seen = takeProblems();
    console.log(`FAIL ${name}\n  ${e.message}${seen.length ? `\n  also: ${seen.join('\n  also: ')}` : ''}`);
    if (page) {
      const shot = `/tmp/colophon-e2e-failure-${Date.now()}.png`;
      await page.screenshot({ path: shot, fullPage: true }).then(
        () => console.log(`  screenshot: ${shot}`),
        () => {},
      );
    }
    await browser?.close().catch(() => {});
    console.log(`demo e2e: FAILED at "${name}" after ${passed} passed checks (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    process.exit(1);
  }
}

// ---- the checks --------------------------------------------------------------------------
console.log(`demo e2e: page ${pageUrl}, API ${api}`);

let site;
let articles;
await check('the API answers (REST site facts and every published article)', async () => {
  site = (await rest('/site')).data;
  articles = await restAll('/articles');
  if (articles.length !== site.article_count) {
    throw new Error(`/articles lists ${articles.length} but /site counts ${site.article_count}`);
  }
  if (!articles.length) throw new Error('no published articles: load the demo content (serve --demo) or the corpus first');
  return `${articles.length} articles`;
});

await check('chromium starts', async () => {
  await launch();
  return browser.version();
});

await check('home: site title, description and "N articles · M tags"', async () => {
  const res = await page.goto(pageUrl);
  if (!res?.ok()) throw new Error(`GET ${pageUrl} answered ${res?.status()}`);
  await ready('', 'home');
  await expectValue('site title', () => text(testid('site-title')), site.title);
  const description = async () => ((await page.locator(testid('site-description')).count()) ? text(testid('site-description')) : '');
  await expectValue('description', description, norm(site.description));
  await expectValue('counts', () => text(testid('site-counts')), `${plural(site.article_count, 'article')} · ${plural(site.tag_count, 'tag')}`);
  await expectValue('header brand', () => text(testid('brand')), site.title);
});

const readCards = () =>
  page.$$eval('[data-testid="article-card"]', (cards) =>
    cards.map((c) => {
      const t = (sel) => (c.querySelector(sel)?.textContent ?? '').replace(/\s+/g, ' ').trim();
      return {
        title: t('[data-testid="article-title"]'),
        date: t('[data-testid="card-date"]'),
        reading: t('[data-testid="card-reading"]'),
        tags: [...c.querySelectorAll('[data-testid="card-tag"]')].map((e) => e.textContent.trim()),
        category: t('[data-testid="card-category"]'),
        series: t('[data-testid="series-label"]'),
        excerpt: t('[data-testid="card-excerpt"]'),
      };
    }),
  );
const expectedCard = (a) => ({
  title: a.title,
  date: date(a.published_at),
  reading: `${a.reading_minutes}m`,
  tags: a.tags.slice(0, 3).map((t) => t.name),
  category: a.category?.name ?? '',
  series: a.series ? `${a.series.title} · ${pad2(a.series_part)}` : '',
  excerpt: norm(a.excerpt),
});

await check('home: the newest articles, each with date, reading time, title, excerpt, 3 tags, category', async () => {
  const expected = articles.slice(0, 20).map(expectedCard);
  await expectValue('article cards', readCards, expected);
  return `${expected.length} cards, first "${expected[0].title}" on ${expected[0].date}`;
});

await check('home: "Older" pages on with the cursor', async () => {
  const older = page.locator(testid('older-link'));
  if (articles.length <= 20) {
    if (await older.count()) throw new Error(`an Older link with only ${articles.length} articles`);
    return 'one page only: no Older link, as expected';
  }
  await follow(older, 'home');
  await expectValue('second page', readCards, articles.slice(20, 40).map(expectedCard));
  await follow(page.locator(testid('newest-link')), 'home');
  return `page 2 shows articles 21–${Math.min(40, articles.length)}`;
});

await check('tag page: clicking a tag shows "#Name — N posts" and its articles', async () => {
  // The tag of the home page's cards that has the most articles.
  const counts = new Map();
  for (const a of articles.slice(0, 20)) for (const t of a.tags.slice(0, 3)) counts.set(t.slug, (counts.get(t.slug) ?? 0) + 1);
  const slug = [...counts].sort((x, y) => y[1] - x[1])[0]?.[0];
  if (!slug) throw new Error('no article on the home page has a tag');
  const link = page.locator(`${testid('article-card')} ${testid('card-tag')}[href="#/tag/${encodeURIComponent(slug)}"]`).first();
  await follow(link, 'tag');
  const tag = (await rest(`/tags/${encodeURIComponent(slug)}`)).data;
  const tagged = articles.filter((a) => a.tags.some((t) => t.slug === slug));
  if (tag.article_count !== tagged.length) throw new Error(`/tags/${slug} counts ${tag.article_count}, /articles has ${tagged.length}`);
  await expectValue('tag heading', () => text(testid('tag-heading')), `#${tag.name} — ${plural(tag.article_count, 'post')}`);
  await expectValue('tag articles', async () => (await readCards()).map((c) => c.title), tagged.slice(0, 20).map((a) => a.title));
  return `#${tag.name}: ${tag.article_count} posts`;
});

let seriesHref = null;
await check('topic index: heading, every category with its count, its articles and series labels', async () => {
  await follow(page.locator(testid('nav-topics')), 'topics');
  const categories = (await rest('/categories')).data;
  await expectValue(
    'topics heading',
    () => text(testid('topics-heading')),
    `Browse ${plural(site.article_count, 'article')} by topic — ${plural(site.tag_count, 'tag')}`,
  );
  // A category's count covers its subtree; it lists its own newest articles (up to 10).
  const children = (slug) => categories.filter((c) => c.parent === slug);
  const subtree = (c) => c.article_count + children(c.slug).reduce((n, k) => n + subtree(k), 0);
  const expected = categories.map((c) => ({
    name: c.name,
    count: String(subtree(c)),
    articles: articles
      .filter((a) => a.category?.slug === c.slug)
      .slice(0, 10)
      .map((a) => norm(`${a.title} ${a.series ? `${a.series.title} · ${pad2(a.series_part)}` : ''} ${date(a.published_at)}`)),
  }));
  const read = () =>
    page.$$eval('[data-testid="topic"]', (sections) =>
      sections.map((s) => ({
        name: s.querySelector('[data-testid="topic-name"]').textContent.trim(),
        count: s.querySelector('[data-testid="topic-count"]').textContent.trim(),
        articles: [...s.querySelectorAll('[data-testid="topic-article"]')].map((li) => li.textContent.replace(/\s+/g, ' ').trim()),
      })),
    );
  await expectValue('categories', read, expected);
  const labelled = expected.flatMap((c) => c.articles).filter((t) => t.includes(' · ')).length;
  if (articles.some((a) => a.series && a.category) && !labelled) throw new Error('no article of a series is labelled');
  // The series to visit next: of those labelled here, the one with the most parts.
  const hrefs = new Set(await page.locator(`${testid('topic')} ${testid('series-label')}`).evaluateAll((ls) => ls.map((l) => l.getAttribute('href'))));
  const ranked = (await restAll('/series')).sort((x, y) => y.article_count - x.article_count);
  seriesHref = ranked.map((x) => `#/series/${encodeURIComponent(x.slug)}`).find((h) => hrefs.has(h)) ?? null;
  return `${categories.length} categories, ${labelled} articles labelled with their series`;
});

let series;
await check('series page: title, description and its parts in order with part numbers', async () => {
  if (!seriesHref) {
    const inSeries = articles.find((a) => a.series);
    if (inSeries) throw new Error(`"${inSeries.title}" is in a series, but the topic index links no series`);
    return 'no series published: skipped';
  }
  await follow(page.locator(`${testid('topic')} ${testid('series-label')}[href="${seriesHref}"]`).first(), 'series');
  const slug = decodeURIComponent(seriesHref.replace('#/series/', ''));
  series = (await rest(`/series/${encodeURIComponent(slug)}?limit=100`)).data; // SeriesPage asks for 100
  const parts = series.articles.data;
  await expectValue('series title', () => text(testid('series-title')), series.title);
  if (series.description) await expectValue('series description', () => text(testid('series-description')), norm(series.description));
  const read = () =>
    page.$$eval('[data-testid="series-part"]', (rows) =>
      rows.map((r) => [r.querySelector('[data-testid="part-number"]').textContent.trim(), r.querySelector('[data-testid="part-title"]').textContent.trim()]),
    );
  await expectValue('series parts', read, parts.map((a) => [pad2(a.series_part), a.title]));
  const numbers = parts.map((a) => a.series_part);
  if (!numbers.every((n, i) => i === 0 || numbers[i - 1] < n)) throw new Error(`the API's parts are out of order: ${numbers}`);
  return `"${series.title}": parts ${numbers.map(pad2).join(', ')}`;
});

// The article to read: a part with neighbours on both sides (and related articles, if one of
// the first few has some), else the first part, else the newest article.
const parts = series?.articles.data ?? [];
const middles = parts.filter((a) => a.previous_in_series && a.next_in_series);
let target = middles[0] ?? parts[0] ?? articles[0];
for (const a of middles.slice(0, 8)) {
  if ((await rest(`/articles/${encodeURIComponent(a.slug)}/related?limit=1`)).data.length) {
    target = a;
    break;
  }
}
let full;
await check('article page: title, date, reading time, tags, category and the rendered body', async () => {
  if (series) await follow(page.locator(`${testid('part-title')}[href="#/article/${encodeURIComponent(target.slug)}"]`), 'article');
  else await follow(page.locator(testid('article-title')).first(), 'article');
  full = (await rest(`/articles/${encodeURIComponent(target.slug)}`)).data;
  await expectValue('article heading', () => text(testid('article-heading')), full.title);
  await expectValue('article date', () => text(testid('article-date')), date(full.published_at));
  await expectValue('reading time', () => text(testid('article-reading')), `${full.reading_minutes}m read`);
  await expectValue('tags', () => texts(testid('article-tag')), full.tags.map((t) => t.name));
  if (full.category) await expectValue('category', () => text(testid('article-category')), full.category.name);
  // The body is the API's HTML, rendered: same text, and real elements rather than tags as text.
  const wanted = await page.evaluate((h) => {
    const t = document.createElement('template');
    t.innerHTML = h;
    return { text: t.content.textContent.replace(/\s+/g, ' ').trim(), elements: t.content.querySelectorAll('*').length };
  }, full.html);
  await expectValue(
    'article body',
    () =>
      page.locator(testid('article-body')).evaluate((b) => ({
        text: b.textContent.replace(/\s+/g, ' ').trim(),
        elements: b.querySelectorAll('*').length,
      })),
    wanted,
  );
  if (!wanted.elements) throw new Error('the API returned a body without any HTML element');
  return `"${full.title}", ${wanted.elements} elements in the body`;
});

await check('article page: series "part X of Y" with previous/next links', async () => {
  if (!full.series) {
    if (await page.locator(testid('series-nav')).count()) throw new Error('a series box on an article outside any series');
    return 'not in a series: no series box, as expected';
  }
  const last = Math.max(...parts.map((a) => a.series_part));
  await expectValue('series position', () => text(testid('series-position')), `part ${full.series_part} of ${last}`);
  const links = async (id) => page.locator(testid(id)).count();
  await expectValue('previous link', () => links('prev-link'), full.previous_in_series ? 1 : 0);
  await expectValue('next link', () => links('next-link'), full.next_in_series ? 1 : 0);
  return `part ${full.series_part} of ${last}`;
});

await check('article page: previous and next links lead to the neighbouring parts', async () => {
  if (!full.series) return 'not in a series: skipped';
  const here = `#/article/${encodeURIComponent(full.slug)}`;
  const visited = [];
  for (const [id, neighbour] of [['prev-link', full.previous_in_series], ['next-link', full.next_in_series]]) {
    if (!neighbour) continue;
    await follow(page.locator(testid(id)), 'article');
    await expectValue(`after clicking ${id}`, () => text(testid('article-heading')), neighbour.title);
    visited.push(neighbour.title);
    await page.goBack();
    await ready(here, 'article');
    await expectValue('back again', () => text(testid('article-heading')), full.title);
  }
  if (!visited.length) return 'a series of one part: nothing to follow';
  return visited.map((t) => `"${t}"`).join(' and ');
});

await check('article page: related articles', async () => {
  const relatedOf = async (slug) => (await rest(`/articles/${encodeURIComponent(slug)}/related?limit=4`)).data.map((a) => a.title);
  const read = async () => ((await page.locator(testid('related-list')).count()) ? texts(`${testid('related-item')} a`) : []);
  let slug = full.slug;
  let related = await relatedOf(slug);
  await expectValue(`related of "${full.title}"`, read, related);
  if (!related.length) {
    // Nothing related to that one (no tags?): read one of the newest articles that has some.
    for (const a of articles.slice(0, 10)) {
      related = await relatedOf(a.slug);
      if (!related.length) continue;
      slug = a.slug;
      const hash = `#/article/${encodeURIComponent(slug)}`;
      await page.evaluate((h) => {
        location.hash = h;
      }, hash);
      await ready(hash, 'article');
      await expectValue(`related of "${a.title}"`, read, related);
      break;
    }
  }
  return `${related.length} related to ${slug}`;
});

await check('search: typing in the header box finds the expected article, snippet highlighted', async () => {
  // A distinctive word of a recent title that the API's own search finds that article by.
  let wanted;
  let word;
  let res;
  for (const a of articles.slice(0, 5)) {
    const words = [...new Set(a.title.split(/[^\p{L}\p{N}]+/u))].filter((w) => w.length >= 4).sort((x, y) => y.length - x.length);
    for (const w of words.slice(0, 3)) {
      const r = await rest(`/search?q=${encodeURIComponent(w)}&limit=10`);
      if (r.data.some((x) => x.article.slug === a.slug)) {
        [wanted, word, res] = [a, w, r];
        break;
      }
    }
    if (wanted) break;
  }
  if (!wanted) throw new Error("the API's own search finds none of the 5 newest articles by a word of its title");
  const input = page.locator(testid('search-input'));
  await input.fill(word);
  await input.press('Enter');
  await ready(`#/search?${new URLSearchParams({ q: word })}`, 'search');
  const titles = res.data.map((r) => r.article.title);
  await expectValue('search heading', () => text(testid('search-heading')), `${plural(res.meta.total, 'result')} for “${word}”`);
  await expectValue('search results', () => texts(testid('search-result-title')), titles);
  const marks = await page.locator(`${testid('search-snippet')} mark`).count();
  if (!marks) throw new Error('no snippet highlights the match with <mark>');
  const stray = await page.locator(`${testid('search-snippet')} *:not(mark)`).count();
  if (stray) throw new Error(`snippets carry ${stray} elements other than <mark>`);
  return `"${word}": ${res.meta.total} results incl. "${wanted.title}"`;
});

await check('unknown addresses show "Not found"', async () => {
  const nonce = Date.now();
  for (const hash of [`#/article/no-such-article-${nonce}`, `#/tag/no-such-tag-${nonce}`, `#/series/no-such-series-${nonce}`, '#/no/such/page']) {
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
    await ready(hash, 'not-found');
    await expectValue(`${hash}`, () => text(`${testid('not-found')} h1`), 'Not found');
  }
  return '4 addresses';
});

await browser.close();
console.log(`demo e2e: all ${passed} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
