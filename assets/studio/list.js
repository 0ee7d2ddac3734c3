// The editor's articles, by state: drafts, scheduled, published, archived and the trash,
// filtered by author, tag and text, the most recently changed first. Authors see what the
// API shows authors (their own).

import { act } from './act.js';
import { gql } from './api.js';
import { fill, h, when } from './dom.js';
import { session } from './app.js';

const STATES = [
  ['DRAFT', 'Drafts'],
  ['SCHEDULED', 'Scheduled'],
  ['PUBLISHED', 'Published'],
  ['ARCHIVED', 'Archived'],
  ['TRASH', 'Trash'],
];

const CARD = 'id slug title status version updatedAt publishedAt author { id name } tags { name }';

export async function articleList(main, params) {
  const status = STATES.some(([s]) => s === params.get('status')) ? params.get('status') : 'DRAFT';
  const filters = { author: params.get('author') || '', tag: params.get('tag') || '', q: params.get('q') || '' };
  const after = params.get('after') || null;
  let connection;
  if (status === 'TRASH') {
    const data = await gql(`query($after: String) { trash(first: 50, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { ${CARD} } } }`, { after });
    connection = data.trash;
  } else {
    const filter = { status };
    if (filters.author) filter.author = filters.author;
    if (filters.tag) filter.tag = filters.tag;
    if (filters.q) filter.search = filters.q;
    const data = await gql(
      `query($filter: ArticleFilter, $after: String) {
        articles(first: 50, after: $after, filter: $filter, orderBy: UPDATED_DESC) {
          totalCount pageInfo { hasNextPage endCursor } nodes { ${CARD} } } }`,
      { filter, after },
    );
    connection = data.articles;
  }
  const link = (changes) => {
    const p = new URLSearchParams({ status, ...filters, ...changes });
    for (const [k, v] of [...p]) if (!v) p.delete(k);
    return `#/articles?${p}`;
  };
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'States' },
    // The trash is for editors: an author's trashed draft is an editor's to bring back.
    STATES.filter(([s]) => s !== 'TRASH' || session.me?.role !== 'AUTHOR').map(([s, label]) =>
      h('a', { href: link({ status: s, after: '' }), 'aria-current': s === status ? 'page' : false }, label),
    ),
  );
  const q = h('input', { type: 'search', name: 'q', value: filters.q, id: 'filter-q' });
  const tag = h('input', { type: 'text', name: 'tag', value: filters.tag, id: 'filter-tag', placeholder: 'slug' });
  const author = h('input', { type: 'text', name: 'author', value: filters.author, id: 'filter-author', placeholder: 'id' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter articles' },
    h('label', { for: 'filter-q' }, 'Text'),
    q,
    h('label', { for: 'filter-tag' }, 'Tag'),
    tag,
    h('label', { for: 'filter-author' }, 'Author'),
    author,
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = link({ q: q.value.trim(), tag: tag.value.trim(), author: author.value.trim(), after: '' });
  });
  const reload = () => articleList(main, params);
  // A trashed article is not opened (it has left every read); it is taken back or, by an
  // admin, deleted for good.
  const trashed = (a) =>
    h(
      'td',
      {},
      h('button', {
        type: 'button',
        'aria-label': `Restore ${a.title || 'untitled'}`,
        onclick: () => act('Restored', 'mutation($id: ID!) { restoreArticle(id: $id) { id } }', { id: a.id }, reload),
      }, 'Restore'),
      session.me?.role === 'ADMIN'
        ? h('button', {
            type: 'button',
            class: 'danger',
            'aria-label': `Delete ${a.title || 'untitled'} for good`,
            onclick: () =>
              confirm(`Delete “${a.title}” for good? This cannot be undone.`) &&
              act('Deleted for good', 'mutation($id: ID!) { purgeArticle(id: $id) }', { id: a.id }, reload),
          }, 'Delete for good')
        : null,
    );
  const rows = connection.nodes.map((a) =>
    h(
      'tr',
      {},
      h('td', {}, status === 'TRASH' ? a.title || '(untitled)' : h('a', { href: `#/articles/${a.id}` }, a.title || '(untitled)')),
      h('td', {}, a.author ? a.author.name : ''),
      h('td', {}, a.tags.map((t) => t.name).join(', ')),
      h('td', {}, h('time', { datetime: a.updatedAt }, when(a.updatedAt))),
      status === 'TRASH' ? trashed(a) : h('td', {}, a.status === 'SCHEDULED' ? when(a.publishedAt) : a.status.toLowerCase()),
    ),
  );
  fill(
    main,
    h('div', { class: 'head' }, h('h1', {}, 'Articles'), h('a', { class: 'button', href: '#/articles/new' }, 'New article')),
    tabs,
    status === 'TRASH' ? null : form,
    h('p', { class: 'count' }, `${connection.totalCount} ${connection.totalCount === 1 ? 'article' : 'articles'}`),
    rows.length
      ? h(
          'table',
          { class: 'articles' },
          h('thead', {}, h('tr', {}, ['Title', 'Author', 'Tags', 'Last change', status === 'TRASH' ? 'Actions' : 'State'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rows),
        )
      : h('p', { class: 'empty' }, 'Nothing here yet.'),
    connection.pageInfo.hasNextPage
      ? h('a', { class: 'button', href: link({ after: connection.pageInfo.endCursor }) }, 'Older')
      : null,
  );
}
