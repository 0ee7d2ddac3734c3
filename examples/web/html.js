// Building HTML safely, and the small formats a reader sees.

/** Markup that is already safe: inserted as is by `html`. */
class Safe {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

/** Marks text as safe markup. Only for markup built here or sanitized by the server. */
export const trusted = (text) => new Safe(String(text ?? ''));

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function piece(value) {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Safe) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeHtml(value);
}

/** A template tag: every interpolated value is escaped unless it is `trusted` (or built by `html`). */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    out += piece(value) + strings[i + 1];
  });
  return new Safe(out);
}

/**
 * A search snippet: the server sends HTML-escaped text with the matched words in <mark>.
 * Keep exactly that (text and <mark>), so nothing else could slip through.
 */
export function snippetHtml(snippet) {
  const template = document.createElement('template');
  template.innerHTML = String(snippet ?? ''); // inert: nothing in a template runs or loads
  const out = [];
  for (const node of template.content.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.nodeName === 'MARK') out.push(`<mark>${escapeHtml(node.textContent)}</mark>`);
    else out.push(escapeHtml(node.textContent));
  }
  return trusted(out.join(''));
}

// ---- formats --------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Apr 15, 2026" (the UTC date of an RFC 3339 time), '' without one. */
export function formatDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** "16m" */
export const formatMinutes = (minutes) => `${minutes}m`;

/** "02" */
export const formatPart = (part) => String(part).padStart(2, '0');

/** "1 article", "3 articles" */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// ---- links ----------------------------------------------------------------------------

const seg = (slug) => encodeURIComponent(slug);
export const links = {
  home: (after) => (after ? `#/?${new URLSearchParams({ after })}` : '#/'),
  tag: (slug, after) => `#/tag/${seg(slug)}${after ? `?${new URLSearchParams({ after })}` : ''}`,
  topics: () => '#/topics',
  series: (slug) => `#/series/${seg(slug)}`,
  article: (slug) => `#/article/${seg(slug)}`,
  search: (q, after) => `#/search?${new URLSearchParams(after ? { q, after } : { q })}`,
};
