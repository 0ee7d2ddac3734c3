// Building the page: elements from data, never from HTML strings (the one exception is the
// preview, whose HTML the server sanitized). Text set as text cannot become markup.

/**
 * `h('button', { type: 'button', onclick }, 'Save')`: attributes (`on…` are listeners,
 * `false`/`null` leave an attribute out) and children (strings become text).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form control: `field('Title', input)`; the label points at the control. */
let fieldCount = 0;
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++fieldCount}`;
  const error = h('p', { class: 'error', id: `${control.id}-error`, 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', `${control.id}-error${hint ? ` ${control.id}-hint` : ''}`);
  return h(
    'div',
    { class: 'field', 'data-field': control.name || '' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null,
    error,
  );
}

/** Shows an error under the field named `name` in `root` (the API's field name). */
export function fieldError(root, name, message) {
  const box = root.querySelector(`[data-field="${CSS.escape(name)}"] .error`);
  if (box) box.textContent = message;
  return !!box;
}

export function clearErrors(root) {
  for (const e of root.querySelectorAll('.field .error, :scope > .error')) e.textContent = '';
}

let toastTimer;
/** A short message for everyone, read out by screen readers. */
export function toast(text, kind = 'info') {
  const el = document.getElementById('status');
  el.textContent = text;
  el.dataset.kind = kind;
  el.classList.add('shown');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('shown'), kind === 'error' ? 8000 : 3000);
}

/** A date as the editor reads it, in their time zone. */
export function when(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A modal dialog (the browser's own, so Esc closes it and focus stays inside). */
export function dialog(title, ...children) {
  const d = h('dialog', { 'aria-label': title }, h('h2', {}, title), ...children);
  document.body.append(d);
  d.addEventListener('close', () => d.remove());
  d.showModal();
  return d;
}

/**
 * Puts `html` into `el`, replacing only the top-level blocks that changed: the unchanged
 * run at the start and the one at the end are kept as they are. A keystroke changes one
 * paragraph of a long article, and re-parsing and laying out all of it would take longer
 * than the edit did.
 */
export function patchHtml(el, html) {
  const next = document.createElement('template');
  next.innerHTML = html;
  const fresh = [...next.content.childNodes];
  const old = [...el.childNodes];
  let start = 0;
  while (start < fresh.length && start < old.length && fresh[start].isEqualNode(old[start])) start++;
  let end = 0;
  while (
    end < fresh.length - start &&
    end < old.length - start &&
    fresh[fresh.length - 1 - end].isEqualNode(old[old.length - 1 - end])
  ) {
    end++;
  }
  const before = end ? old[old.length - end] : null; // the first kept node of the end run
  for (const node of old.slice(start, old.length - end)) node.remove();
  const middle = fresh.slice(start, fresh.length - end);
  if (before) before.before(...middle);
  else el.append(...middle);
}
