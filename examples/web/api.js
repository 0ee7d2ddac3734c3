// Talking to Colophon: the GraphQL endpoint and the front end's operations
// (examples/operations/*.graphql, served next to this file under operations/).

const API_KEY = 'colophon.demo.api';

/**
 * The API's origin, '' for the page's own. `?api=http://host:port` in the page URL picks
 * another one for this browser session (`?api=` alone goes back to the page's origin).
 */
export function apiBase() {
  const params = new URLSearchParams(window.location.search);
  if (params.has('api')) {
    const value = params.get('api').trim();
    let base = '';
    try {
      const url = value ? new URL(value) : null;
      if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
        base = url.origin + url.pathname.replace(/\/+$/, '');
      }
    } catch {
      // Not a URL: ignore it and use the page's origin.
    }
    try {
      if (base) sessionStorage.setItem(API_KEY, base);
      else sessionStorage.removeItem(API_KEY);
    } catch {
      // Storage may be off; the override then lasts as long as the query string.
    }
    return base;
  }
  try {
    return sessionStorage.getItem(API_KEY) || '';
  } catch {
    return '';
  }
}

export const API_BASE = apiBase();
export const GRAPHQL_URL = API_BASE ? `${API_BASE}/graphql` : new URL('/graphql', window.location.origin).href;

/** An answer the page cannot show: the API was unreachable, refused, or reported errors. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

// ---- operation documents -------------------------------------------------------------

const NAME = '[_A-Za-z][_0-9A-Za-z]*';
const texts = new Map();

function fetchText(file) {
  if (!texts.has(file)) {
    const url = new URL(`operations/${file}`, import.meta.url);
    const promise = fetch(url).then((res) => {
      if (!res.ok) throw new ApiError(`could not load ${file} (HTTP ${res.status})`, 'OPERATION_MISSING');
      return res.text();
    });
    promise.catch(() => texts.delete(file)); // try again next time
    texts.set(file, promise);
  }
  return texts.get(file);
}

/** The text without comments (no operation of ours has a '#' inside a string). */
const withoutComments = (text) => text.replace(/#[^\n\r]*/g, '');

/** Fragment definitions by name, each with its whole selection set. */
export function parseFragments(text) {
  const src = withoutComments(text);
  const fragments = new Map();
  const head = new RegExp(`\\bfragment\\s+(${NAME})\\s+on\\s+${NAME}`, 'g');
  let match;
  while ((match = head.exec(src))) {
    const open = src.indexOf('{', head.lastIndex);
    if (open < 0) break;
    let depth = 0;
    let end = open;
    for (; end < src.length; end++) {
      if (src[end] === '{') depth++;
      else if (src[end] === '}' && --depth === 0) break;
    }
    fragments.set(match[1], src.slice(match.index, end + 1));
    head.lastIndex = end + 1;
  }
  return fragments;
}

/** Names of the fragments a text spreads (not inline fragments: `... on Type`). */
function spreads(text) {
  const spread = new RegExp(`\\.\\.\\.\\s*(${NAME})`, 'g');
  return [...withoutComments(text).matchAll(spread)].map((m) => m[1]).filter((n) => n !== 'on');
}

/** The operation followed by exactly the fragments it uses, transitively, each once. */
export function documentFor(operation, fragments) {
  const used = [];
  const queue = spreads(operation);
  while (queue.length) {
    const name = queue.shift();
    if (used.includes(name)) continue;
    const fragment = fragments.get(name);
    if (!fragment) throw new ApiError(`the operation uses a fragment ${name} that fragments.graphql lacks`, 'OPERATION_MISSING');
    used.push(name);
    queue.push(...spreads(fragment));
  }
  return [operation.trim(), ...used.map((n) => fragments.get(n))].join('\n\n');
}

const documents = new Map();

function loadDocument(name) {
  if (!documents.has(name)) {
    const promise = Promise.all([fetchText(`${name}.graphql`), fetchText('fragments.graphql')]).then(
      ([operation, fragments]) => documentFor(operation, parseFragments(fragments)),
    );
    promise.catch(() => documents.delete(name));
    documents.set(name, promise);
  }
  return documents.get(name);
}

// ---- running them ---------------------------------------------------------------------

/** Runs the operation `name` (examples/operations/<name>.graphql) and answers its `data`. */
export async function query(name, variables = {}) {
  const document = await loadDocument(name);
  let res;
  try {
    res = await fetch(GRAPHQL_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: document, variables, operationName: name }),
    });
  } catch {
    throw new ApiError(`could not reach the API at ${GRAPHQL_URL}`, 'NETWORK');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: reported below.
  }
  const first = body?.errors?.[0];
  if (first) {
    const code = first.extensions?.code;
    throw new ApiError(first.message || 'the API reported an error', code);
  }
  if (!res.ok || !body?.data) {
    throw new ApiError(`the API answered HTTP ${res.status}`, `HTTP_${res.status}`);
  }
  return body.data;
}
