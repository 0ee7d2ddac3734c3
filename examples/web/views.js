// The pages. Each view runs one of the front end's operations and answers
// { title, body } (body built with `html`, so everything from the API is escaped),
// or throws NotFound.

import { query } from './api.js';
import { formatDate, formatMinutes, formatPart, html, links, plural, snippetHtml, trusted } from './html.js';

export class NotFound extends Error {
  constructor(what) {
    super(what);
    this.name = 'NotFound';
  }
}

const PAGE_SIZE = 20;

// ---- pieces -----------------------------------------------------------------------------

function seriesLabel(series, part) {
  if (!series) return '';
  const label = part == null ? series.title : `${series.title} · ${formatPart(part)}`;
  return html`<a class="series-label" data-testid="series-label" href="${links.series(series.slug)}">${label}</a>`;
}

function tagList(tags, testid) {
  if (!tags.length) return '';
  return html`<ul class="tags">${tags.map(
    (t) => html`<li><a class="tag" data-testid="${testid}" href="${links.tag(t.slug)}">${t.name}</a></li>`,
  )}</ul>`;
}

/** An article in a list (the ArticleCard fragment). */
function card(a) {
  return html`<article class="card" data-testid="article-card" data-slug="${a.slug}">
    <p class="meta">
      <time datetime="${a.publishedAt ?? ''}" data-testid="card-date">${formatDate(a.publishedAt)}</time>
      <span class="dot" aria-hidden="true">·</span>
      <span data-testid="card-reading" title="reading time">${formatMinutes(a.readingMinutes)}</span>
      ${a.series ? html`<span class="dot" aria-hidden="true">·</span>${seriesLabel(a.series, a.seriesPart)}` : ''}
    </p>
    <h2 class="card-title"><a data-testid="article-title" href="${links.article(a.slug)}">${a.title}</a></h2>
    <p class="excerpt" data-testid="card-excerpt">${a.excerpt}</p>
    <div class="card-foot">
      ${tagList(a.tags.slice(0, 3), 'card-tag')}
      ${a.category ? html`<span class="category" data-testid="card-category">${a.category.name}</span>` : ''}
    </div>
  </article>`;
}

function cardList(nodes, empty) {
  if (!nodes.length) return html`<p class="empty" data-testid="empty">${empty}</p>`;
  return html`<div class="cards" data-testid="article-list">${nodes.map(card)}</div>`;
}

function pager(pageInfo, olderHref, newestHref, after, labels = ['Older →', '← Newest']) {
  const older = pageInfo?.hasNextPage && pageInfo.endCursor
    ? html`<a class="older" data-testid="older-link" rel="next" href="${olderHref(pageInfo.endCursor)}">${labels[0]}</a>`
    : '';
  const newest = after ? html`<a class="newest" data-testid="newest-link" href="${newestHref}">${labels[1]}</a>` : '';
  if (!older && !newest) return '';
  return html`<nav class="pager" aria-label="Pages">${newest}<span></span>${older}</nav>`;
}

// ---- home -------------------------------------------------------------------------------

export async function home({ after }) {
  const data = await query('HomePage', { first: PAGE_SIZE, after: after || null });
  const { site, articles, tags } = data;
  return {
    site,
    title: site.title,
    body: html`
      <section class="hero">
        <h1 data-testid="site-title">${site.title}</h1>
        ${site.description ? html`<p class="lede" data-testid="site-description">${site.description}</p>` : ''}
        <p class="counts" data-testid="site-counts">${plural(site.articleCount, 'article')} · ${plural(site.tagCount, 'tag')}</p>
      </section>
      <div class="with-aside">
        <div>
          ${after ? html`<p class="page-note">Older articles</p>` : ''}
          ${cardList(articles.nodes, 'Nothing published yet.')}
          ${pager(articles.pageInfo, (c) => links.home(c), links.home(), after)}
        </div>
        <aside class="aside" aria-label="Popular tags">
          <h2>Popular tags</h2>
          <ul class="tag-cloud">${tags.nodes.map(
            (t) => html`<li><a class="tag" data-testid="popular-tag" href="${links.tag(t.slug)}">${t.name}</a> <span class="n">${t.articleCount}</span></li>`,
          )}</ul>
          <p><a href="${links.topics()}">Browse by topic →</a></p>
        </aside>
      </div>`,
  };
}

// ---- tag --------------------------------------------------------------------------------

export async function tag({ slug, after }) {
  const { tag: t } = await query('TagPage', { slug, first: PAGE_SIZE, after: after || null });
  if (!t) throw new NotFound(`There is no tag “${slug}”.`);
  return {
    title: `#${t.name}`,
    body: html`
      <header class="page-head">
        <h1 data-testid="tag-heading">#${t.name} — ${plural(t.articleCount, 'post')}</h1>
        ${t.description ? html`<p class="lede">${t.description}</p>` : ''}
      </header>
      ${cardList(t.articles.nodes, 'No published articles carry this tag.')}
      ${pager(t.articles.pageInfo, (c) => links.tag(t.slug, c), links.tag(t.slug), after)}`,
  };
}

// ---- topic index ------------------------------------------------------------------------

export async function topics() {
  const { site, categories } = await query('TopicIndex', { perCategory: 10 });
  const section = (c) => {
    const own = c.articles.nodes;
    const more = c.ownArticleCount - own.length;
    return html`
    <section class="topic depth-${Math.min(c.depth, 4)}" data-testid="topic" data-slug="${c.slug}">
      <h2><span data-testid="topic-name">${c.name}</span> <span class="count" data-testid="topic-count" title="articles here and in its subtopics">${c.articleCount}</span></h2>
      ${own.length
        ? html`<ol class="topic-list">${own.map(
            (a) => html`<li data-testid="topic-article" data-slug="${a.slug}">
              <a class="topic-title" href="${links.article(a.slug)}">${a.title}</a>
              ${seriesLabel(a.series, a.seriesPart)}
              <time datetime="${a.publishedAt ?? ''}">${formatDate(a.publishedAt)}</time>
            </li>`,
          )}</ol>`
        : c.articleCount ? '' : html`<p class="empty">No published articles yet.</p>`}
      ${more > 0 ? html`<p class="more">and ${plural(more, 'more article')}</p>` : ''}
    </section>`;
  };
  return {
    title: 'Topics',
    body: html`
      <header class="page-head">
        <h1 data-testid="topics-heading">Browse ${plural(site.articleCount, 'article')} by topic — ${plural(site.tagCount, 'tag')}</h1>
      </header>
      ${categories.length ? categories.map(section) : html`<p class="empty">No categories yet.</p>`}`,
  };
}

// ---- series -----------------------------------------------------------------------------

export async function series({ slug }) {
  const { series: s } = await query('SeriesPage', { slug });
  if (!s) throw new NotFound(`There is no series “${slug}”.`);
  return {
    title: s.title,
    body: html`
      <header class="page-head">
        <p class="kicker">Series · ${plural(s.articleCount, 'part')}</p>
        <h1 data-testid="series-title">${s.title}</h1>
        ${s.description ? html`<p class="lede" data-testid="series-description">${s.description}</p>` : ''}
      </header>
      <ol class="parts" data-testid="series-parts">${s.articles.nodes.map(
        (a) => html`<li class="part" data-testid="series-part" data-slug="${a.slug}">
          <span class="part-no" data-testid="part-number">${a.seriesPart == null ? '' : formatPart(a.seriesPart)}</span>
          <span>
            <a class="part-title" data-testid="part-title" href="${links.article(a.slug)}">${a.title}</a>
            <span class="meta"><time datetime="${a.publishedAt ?? ''}">${formatDate(a.publishedAt)}</time> · ${formatMinutes(a.readingMinutes)}</span>
          </span>
        </li>`,
      )}</ol>`,
  };
}

// ---- article ----------------------------------------------------------------------------

function neighbour(a, rel) {
  if (!a) return html`<span></span>`;
  const part = a.seriesPart == null ? '' : `Part ${formatPart(a.seriesPart)}: `;
  return rel === 'prev'
    ? html`<a class="prev" data-testid="prev-link" rel="prev" href="${links.article(a.slug)}"><small>← Previous</small>${part}${a.title}</a>`
    : html`<a class="next" data-testid="next-link" rel="next" href="${links.article(a.slug)}"><small>Next →</small>${part}${a.title}</a>`;
}

/** "part X of Y": X is the article's part number, Y the series' last published part. */
function seriesBox(a, parts) {
  const last = parts?.length ? Math.max(...parts.map((p) => p.seriesPart ?? 0)) : null;
  const position = a.seriesPart == null ? '' : last ? `part ${a.seriesPart} of ${Math.max(last, a.seriesPart)}` : `part ${a.seriesPart}`;
  return html`
    <p class="series-position">
      <a href="${links.series(a.series.slug)}" data-testid="series-link">${a.series.title}</a>${position ? ': ' : ''}<span data-testid="series-position">${position}</span>
    </p>
    ${parts?.length
      ? html`<ol class="toc">${parts.map(
          (p) => html`<li class="${p.slug === a.slug ? 'current' : ''}" data-testid="series-toc-item">
            <span class="part-no">${p.seriesPart == null ? '' : formatPart(p.seriesPart)}</span>
            ${p.slug === a.slug ? html`<span aria-current="page">${p.title}</span>` : html`<a href="${links.article(p.slug)}">${p.title}</a>`}
          </li>`,
        )}</ol>`
      : ''}
    <nav class="prev-next" aria-label="Series">${neighbour(a.previousInSeries, 'prev')}${neighbour(a.nextInSeries, 'next')}</nav>`;
}

export async function article({ slug }, { stillCurrent }) {
  const { article: a } = await query('ArticlePage', { slug, related: 4 });
  if (!a) throw new NotFound(`There is no article “${slug}”.`);
  // ArticlePage does not say how many parts the series has: ask SeriesPage, and fill the
  // series box in when it answers (the article shows meanwhile).
  const after = a.series
    ? async (main) => {
        let parts = null;
        try {
          parts = (await query('SeriesPage', { slug: a.series.slug })).series?.articles.nodes ?? null;
        } catch {
          // The box keeps what ArticlePage gave: the part number and the neighbours.
        }
        const box = main.querySelector('[data-testid="series-nav"]');
        if (box && stillCurrent()) {
          box.innerHTML = seriesBox(a, parts).text;
          box.dataset.state = 'ready';
        }
      }
    : null;
  return {
    title: a.seoTitle || a.title,
    after,
    body: html`
      <article class="post" data-slug="${a.slug}">
        <header class="post-head">
          <p class="meta">
            <time datetime="${a.publishedAt ?? ''}" data-testid="article-date">${formatDate(a.publishedAt)}</time>
            <span class="dot" aria-hidden="true">·</span>
            <span data-testid="article-reading">${formatMinutes(a.readingMinutes)} read</span>
            ${a.category ? html`<span class="dot" aria-hidden="true">·</span><span class="category" data-testid="article-category">${a.category.name}</span>` : ''}
            ${a.series ? html`<span class="dot" aria-hidden="true">·</span>${seriesLabel(a.series, a.seriesPart)}` : ''}
          </p>
          <h1 data-testid="article-heading">${a.title}</h1>
          ${a.author ? html`<p class="byline">by <span data-testid="article-author">${a.author.name}</span></p>` : ''}
          ${tagList(a.tags, 'article-tag')}
        </header>
        <div class="prose" data-testid="article-body">${trusted(a.html) /* sanitized by the server */}</div>
        ${a.series ? html`<aside class="series-box" data-testid="series-nav" data-state="loading">${seriesBox(a, null)}</aside>` : ''}
        ${a.related.length
          ? html`<section class="related">
              <h2>Related reading</h2>
              <ul data-testid="related-list">${a.related.map(
                (r) => html`<li data-testid="related-item"><a href="${links.article(r.slug)}">${r.title}</a> <span class="meta">${formatMinutes(r.readingMinutes)}</span></li>`,
              )}</ul>
            </section>`
          : ''}
      </article>`,
  };
}

// ---- search -----------------------------------------------------------------------------

export async function search({ q, after }) {
  const text = (q ?? '').trim();
  if (!text) {
    return {
      title: 'Search',
      body: html`<header class="page-head"><h1 data-testid="search-heading">Search</h1><p class="lede">Type a few words in the box above.</p></header>`,
    };
  }
  const { search: s } = await query('Search', { query: text, first: 10, after: after || null });
  return {
    title: `Search: ${text}`,
    body: html`
      <header class="page-head">
        <h1 data-testid="search-heading">${plural(s.totalCount, 'result')} for “${text}”</h1>
      </header>
      ${s.nodes.length
        ? html`<ol class="results">${s.nodes.map(
            (n) => html`<li class="result" data-testid="search-result" data-slug="${n.article.slug}">
              <h2 class="card-title"><a data-testid="search-result-title" href="${links.article(n.article.slug)}">${n.article.title}</a></h2>
              <p class="meta"><time datetime="${n.article.publishedAt ?? ''}">${formatDate(n.article.publishedAt)}</time>${n.article.category ? html` · ${n.article.category.name}` : ''}</p>
              <p class="snippet" data-testid="search-snippet">${snippetHtml(n.snippet)}</p>
            </li>`,
          )}</ol>`
        : html`<p class="empty" data-testid="empty">Nothing matches. Try other words.</p>`}
      ${pager(s.pageInfo, (c) => links.search(text, c), links.search(text), after, ['More results →', '← Best matches'])}`,
  };
}
