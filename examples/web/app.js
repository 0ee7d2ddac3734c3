// Colophon demo front end: hash routes → views, the header's search box, error states.
//   #/  #/?after=…  #/tag/{slug}  #/topics  #/series/{slug}  #/article/{slug}  #/search?q=…

import { API_BASE, ApiError, GRAPHQL_URL } from './api.js';
import { html } from './html.js';
import * as views from './views.js';

const main = document.getElementById('main');
const brand = document.querySelector('[data-testid="brand"]');
const searchForm = document.querySelector('[data-testid="search-form"]');
const searchInput = document.querySelector('[data-testid="search-input"]');
const SITE_KEY = 'colophon.demo.site';

// ---- routes -----------------------------------------------------------------------------

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The page a hash names: { page, params }. */
export function parseHash(hash) {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, queryString = ''] = raw.split(/\?(.*)/s);
  const params = Object.fromEntries(new URLSearchParams(queryString));
  const parts = path.split('/').filter(Boolean).map(decode);
  if (parts.length === 0) return { page: 'home', params };
  if (parts.length === 1 && parts[0] === 'topics') return { page: 'topics', params };
  if (parts.length === 1 && parts[0] === 'search') return { page: 'search', params };
  if (parts.length === 2 && parts[0] === 'tag') return { page: 'tag', params: { ...params, slug: parts[1] } };
  if (parts.length === 2 && parts[0] === 'series') return { page: 'series', params: { ...params, slug: parts[1] } };
  if (parts.length === 2 && parts[0] === 'article') return { page: 'article', params: { ...params, slug: parts[1] } };
  return { page: 'unknown', params };
}

// ---- site title in the header (known once the home page has loaded) --------------------

let siteTitle = 'Colophon';
try {
  siteTitle = sessionStorage.getItem(SITE_KEY) || siteTitle;
} catch {
  // no storage: keep the default
}
function showSiteTitle(title) {
  if (!title) return;
  siteTitle = title;
  brand.textContent = title;
  try {
    sessionStorage.setItem(SITE_KEY, title);
  } catch {
    // no storage
  }
}
brand.textContent = siteTitle;

// ---- states -----------------------------------------------------------------------------

function notFound(message) {
  return html`<section class="notice" data-testid="not-found">
    <h1>Not found</h1>
    <p>${message}</p>
    <p><a href="#/">Back to the newest articles</a></p>
  </section>`;
}

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function failure(error) {
  const unreachable = error?.code === 'NETWORK';
  return html`<section class="notice error" data-testid="error" role="alert">
    <h1>${unreachable ? 'The API is not answering' : 'Something went wrong'}</h1>
    <p>${capitalize(error?.message || String(error))}</p>
    <p><button type="button" data-action="retry">Try again</button> <a href="#/">Home</a></p>
  </section>`;
}

// ---- rendering --------------------------------------------------------------------------

const PAGES = {
  home: views.home,
  tag: views.tag,
  topics: views.topics,
  series: views.series,
  article: views.article,
  search: views.search,
};

let navigation = 0;

async function render() {
  const id = ++navigation;
  const stillCurrent = () => id === navigation;
  const hash = window.location.hash;
  const { page, params } = parseHash(hash);
  main.dataset.state = 'loading';
  main.setAttribute('aria-busy', 'true');
  searchInput.value = page === 'search' ? params.q ?? '' : searchInput.value;
  for (const link of document.querySelectorAll('.site-nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }

  let view;
  try {
    const show = PAGES[page];
    if (!show) throw new views.NotFound('There is no page at this address.');
    view = await show(params, { stillCurrent });
  } catch (error) {
    if (!stillCurrent()) return;
    if (error instanceof views.NotFound) {
      view = { title: 'Not found', body: notFound(error.message), state: 'not-found' };
    } else {
      // The API's refusals are shown on the page; anything else is a bug of this page.
      if (error instanceof ApiError) console.warn('Colophon demo:', error);
      else console.error('Colophon demo:', error);
      view = { title: 'Error', body: failure(error), state: 'error' };
    }
  }
  if (!stillCurrent()) return;

  if (view.site) showSiteTitle(view.site.title);
  document.title = view.title && view.title !== siteTitle ? `${view.title} — ${siteTitle}` : siteTitle;
  main.innerHTML = view.body.text;
  main.dataset.page = view.state ?? page;
  main.dataset.route = hash; // which address this content is for (tests wait on it)
  main.dataset.state = 'ready';
  main.removeAttribute('aria-busy');
  if (view.after) view.after(main);
}

function navigate() {
  window.scrollTo(0, 0);
  render();
}

window.addEventListener('hashchange', navigate);

searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const q = searchInput.value.trim();
  const target = q ? `#/search?${new URLSearchParams({ q })}` : '#/search';
  if (window.location.hash === target) render();
  else window.location.hash = target;
});

main.addEventListener('click', (event) => {
  if (event.target.closest('[data-action="retry"]')) render();
  // Links within an article (#section) scroll to their target instead of routing.
  const local = event.target.closest('a[href^="#"]:not([href^="#/"])');
  if (local) {
    event.preventDefault();
    const id = decode(local.getAttribute('href').slice(1));
    (document.getElementById(id) ?? document.getElementsByName(id)[0])?.scrollIntoView();
  }
});

document.querySelector('.skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

// Where the data comes from, in the footer (and a way back when overridden).
const apiNote = document.querySelector('[data-testid="api-endpoint"]');
if (apiNote) {
  apiNote.textContent = GRAPHQL_URL;
  if (API_BASE) apiNote.title = 'chosen with ?api= (open the page with ?api= to go back to this origin)';
}
if (API_BASE) {
  for (const link of document.querySelectorAll('[data-api-link]')) link.href = API_BASE + link.dataset.apiLink;
}

render();
