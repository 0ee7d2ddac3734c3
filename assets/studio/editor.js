// Writing one article: Markdown source beside the server's own rendering of it, the
// article's fields, and its workflow. Nothing typed is lost:
// - drafts save themselves a moment after typing stops, with the version they are based on,
//   one save at a time (so the editor's own saves never conflict with each other);
// - published and scheduled articles save only when asked ("Update", Ctrl/Cmd+S);
// - every change is also kept in this browser (the text only, never a token) until the
//   server has it, and offered back when the article is opened again;
// - a save that fails for want of a network is retried; one that finds someone else's
//   newer version shows both and lets the editor choose or merge.

import { ApiError, NetworkError, gql } from './api.js';
import { clearErrors, dialog, field, fieldError, fill, h, patchHtml, toast, when } from './dom.js';
import { lineDiff } from './diff.js';
import { followEdits } from './live.js';
import { onLeave, session, setShown } from './app.js';

const FULL = `id slug title customExcerpt body status publishedAt updatedAt version
  tags { name slug } category { slug name } series { slug title } seriesPart
  coverImageUrl canonicalUrl seoTitle seoDescription author { id name }`;

const AUTOSAVE_MS = 1500;
const PREVIEW_MS = 120; // after typing stops; the render and the patch fit in the rest of 300 ms
// Browser copies are kept per tab, so one tab's save never drops another tab's unsaved text.
// A tab holds a Web Lock named after its key for as long as it lives: a copy whose tab is
// gone (closed, crashed) is offered back; one whose tab is still open is that tab's to save.
const TAB = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const backupPrefix = (id) => `colophon.studio.backup.${id || 'new'}`;
const backupKey = (id) => `${backupPrefix(id)}.${TAB}`;
const tabLock = (tab) => `colophon.studio.tab.${tab}`;
if (navigator.locks) navigator.locks.request(tabLock(TAB), () => new Promise(() => {}));

/** Copies of article `id` kept by tabs that are gone (or by this one), newest first. */
async function keptCopies(id) {
  const prefix = `${backupPrefix(id)}.`;
  let live = new Set();
  if (navigator.locks) {
    const { held = [] } = await navigator.locks.query();
    live = new Set(held.map((l) => l.name));
  }
  const copies = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    // The key before copies were kept per tab counts as a gone tab's.
    if (key !== backupPrefix(id) && !key.startsWith(prefix)) continue;
    const tab = key.slice(prefix.length);
    if (key !== backupPrefix(id) && tab !== TAB && live.has(tabLock(tab))) continue;
    try {
      const kept = JSON.parse(localStorage.getItem(key));
      if (kept && kept.input) copies.push({ key, ...kept });
    } catch {
      /* not ours, or damaged: left alone */
    }
  }
  return copies.sort((a, b) => String(b.at).localeCompare(String(a.at)));
}

/** A field's name as the editor sees it: input keys, and `Article` field names. */
function fieldLabel(k) {
  const names = {
    body: 'Text', excerpt: 'Excerpt', customExcerpt: 'Excerpt', seriesPart: 'Part number', coverImageUrl: 'Cover image URL',
    canonicalUrl: 'Canonical URL', seoTitle: 'SEO title', seoDescription: 'SEO description', publishedAt: 'Publication time',
    trashed: 'Trash',
  };
  return names[k] || k[0].toUpperCase() + k.slice(1);
}

/** The input an article's fields make, as `createArticle` / `updateArticle` take it. */
function inputOf(a) {
  return {
    title: a.title || '',
    slug: a.slug || '',
    body: a.body || '',
    excerpt: a.customExcerpt || '',
    tags: (a.tags || []).map((t) => t.name),
    category: a.category ? a.category.name : '',
    series: a.series ? a.series.title : '',
    seriesPart: a.seriesPart ?? null,
    coverImageUrl: a.coverImageUrl || '',
    canonicalUrl: a.canonicalUrl || '',
    seoTitle: a.seoTitle || '',
    seoDescription: a.seoDescription || '',
  };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** What the API takes: empty text clears a field (null), a new article leaves it out. */
function toApi(input, creating) {
  const out = { title: input.title.trim() || 'Untitled', body: input.body, tags: input.tags };
  for (const k of ['slug', 'excerpt', 'category', 'series', 'coverImageUrl', 'canonicalUrl', 'seoTitle', 'seoDescription']) {
    const v = input[k].trim();
    if (v) out[k] = v;
    else if (!creating && k !== 'slug') out[k] = null;
  }
  if (input.seriesPart !== null && input.series.trim()) out.seriesPart = input.seriesPart;
  return out;
}

export async function editor(main, id) {
  const role = session.me?.role || 'AUTHOR';
  const editorRole = role !== 'AUTHOR';
  const [loaded, lists] = await Promise.all([
    id ? gql(`query($id: ID!) { article(id: $id) { ${FULL} } }`, { id }) : Promise.resolve({ article: null }),
    gql(`{ tags(first: 100, orderBy: ARTICLE_COUNT) { nodes { name } } categories { name depth }
           seriesList(first: 100) { nodes { title } } }`),
  ]);
  let server = loaded.article;
  if (id && !server) {
    fill(main, h('h1', {}, 'No such article'), h('p', {}, 'It does not exist, or is not yours to see.'));
    return;
  }

  // ---- the form ------------------------------------------------------------------------
  const title = h('input', { type: 'text', name: 'title', class: 'title', required: true });
  const body = h('textarea', { name: 'body', class: 'body', spellcheck: 'true', rows: 24 });
  const slug = h('input', { type: 'text', name: 'slug', pattern: '[a-z0-9]+(-[a-z0-9]+)*' });
  const excerpt = h('textarea', { name: 'excerpt', rows: 3 });
  const tagInput = h('input', { type: 'text', name: 'tags', list: 'tag-names', autocomplete: 'off' });
  const tagList = h('ul', { class: 'chips', 'aria-label': 'Tags of this article' });
  const category = h(
    'select',
    { name: 'category' },
    h('option', { value: '' }, '(none)'),
    lists.categories.map((c) => h('option', { value: c.name }, `${'— '.repeat(c.depth)}${c.name}`)),
  );
  const series = h('input', { type: 'text', name: 'series', list: 'series-names', autocomplete: 'off' });
  const seriesPart = h('input', { type: 'number', name: 'series_part', min: 1, step: 1 });
  const cover = h('input', { type: 'url', name: 'cover_image_url' });
  const canonical = h('input', { type: 'url', name: 'canonical_url' });
  const seoTitle = h('input', { type: 'text', name: 'seo_title' });
  const seoDescription = h('textarea', { name: 'seo_description', rows: 2 });
  const preview = h('article', { class: 'preview', 'aria-label': 'Preview', 'aria-live': 'off' });
  const stats = h('p', { class: 'stats', 'aria-live': 'polite' });
  const state = h('p', { class: 'save-state', role: 'status', 'aria-live': 'polite' });
  const banner = h('div', { class: 'banners' });
  // What others saved meanwhile, heard as it happened (`live.js`).
  const liveNote = h('p', { class: 'live-note', role: 'status', 'aria-live': 'polite', hidden: true });
  let follow = () => {}; // starts following this article's saves, once it has an id
  let tags = [];

  const renderTags = () =>
    fill(
      tagList,
      tags.map((t) =>
        h(
          'li',
          {},
          t,
          h('button', {
            type: 'button',
            class: 'chip-remove',
            'aria-label': `Remove tag ${t}`,
            onclick: () => {
              tags = tags.filter((x) => x !== t);
              renderTags();
              changed();
            },
          }, '×'),
        ),
      ),
    );
  const addTag = () => {
    for (const t of tagInput.value.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!tags.some((x) => x.toLowerCase() === t.toLowerCase())) tags.push(t);
    }
    tagInput.value = '';
    renderTags();
    changed();
  };
  tagInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ',') {
      ev.preventDefault();
      addTag();
    }
  });
  tagInput.addEventListener('change', () => tagInput.value.trim() && addTag());

  const current = () => ({
    title: title.value,
    slug: slug.value.trim(),
    body: body.value,
    excerpt: excerpt.value,
    tags: [...tags],
    category: category.value,
    series: series.value,
    seriesPart: seriesPart.value ? Number(seriesPart.value) : null,
    coverImageUrl: cover.value,
    canonicalUrl: canonical.value,
    seoTitle: seoTitle.value,
    seoDescription: seoDescription.value,
  });
  const show = (input) => {
    title.value = input.title;
    slug.value = input.slug;
    body.value = input.body;
    excerpt.value = input.excerpt;
    tags = [...input.tags];
    renderTags();
    if (input.category && ![...category.options].some((o) => o.value === input.category)) {
      category.append(h('option', { value: input.category }, input.category));
    }
    category.value = input.category;
    series.value = input.series;
    seriesPart.value = input.seriesPart ?? '';
    cover.value = input.coverImageUrl;
    canonical.value = input.canonicalUrl;
    seoTitle.value = input.seoTitle;
    seoDescription.value = input.seoDescription;
  };

  // ---- state -------------------------------------------------------------------------
  let base = server ? server.version : null; // the version the text is based on
  let saved = server ? inputOf(server) : inputOf({}); // the input the server has
  let inFlight = null; // the save under way
  let again = false; // another save wanted when it ends
  let retryTimer = null;
  let retrying = false; // a save failed for want of a network, and will be tried again
  let retryDelay = 2000;
  let autosaveTimer = null;
  let conflict = null; // the newer version someone else saved, while unresolved
  // Whether `saved` is what the text in the editor was based on. A browser copy restored
  // from an older version is not: its differences are then all shown, none merged quietly.
  let savedIsBase = true;
  const dirty = () => !same(current(), saved);
  const autosaves = () => !server || server.status === 'DRAFT';

  const describe = () => {
    if (!server) return 'New article, not saved yet';
    const s = server.status.toLowerCase();
    const at = server.status === 'SCHEDULED' ? ` for ${when(server.publishedAt)}` : '';
    return `${s[0].toUpperCase()}${s.slice(1)}${at} · version ${server.version}`;
  };
  const setState = (text, kind = '') => {
    state.textContent = `${describe()} · ${text}`;
    state.dataset.kind = kind;
  };

  // Kept in this browser until the server has it: the text only.
  let backupTimer = null;
  let offered = false; // a kept copy is on offer: it is not overwritten until answered
  const keepBackup = () => {
    if (offered) return;
    clearTimeout(backupTimer);
    backupTimer = setTimeout(() => {
      if (dirty()) keepNow();
    }, 300);
  };
  const keepNow = () => {
    try {
      // With what the server had then, so a restore can merge what was saved since.
      const then = savedIsBase ? saved : undefined;
      localStorage.setItem(backupKey(id), JSON.stringify({ input: current(), base, saved: then, at: new Date().toISOString() }));
    } catch {
      // Storage full or off: the server copy is still being saved.
    }
  };
  const forget = (key) => {
    try {
      localStorage.removeItem(key);
    } catch {
      /* nothing kept */
    }
  };
  const dropBackup = () => {
    if (offered) return;
    clearTimeout(backupTimer);
    forget(backupKey(id));
  };

  // ---- preview -------------------------------------------------------------------------
  let previewTimer = null;
  let left = false; // the editor was left for another view
  let previewSeq = 0;
  const renderPreview = async () => {
    if (left) return;
    const seq = ++previewSeq;
    try {
      const data = await gql('query($m: String!) { renderMarkdown(markdown: $m) { html wordCount readingMinutes } }', {
        m: body.value,
      });
      if (seq !== previewSeq) return; // a newer one is on its way
      patchHtml(preview, data.renderMarkdown.html); // sanitized by the server, as readers get it
      const r = data.renderMarkdown;
      stats.textContent = `${r.wordCount} ${r.wordCount === 1 ? 'word' : 'words'} · ${r.readingMinutes} min read`;
      fieldError(main, 'body', '');
    } catch (e) {
      if (seq !== previewSeq) return;
      if (e instanceof ApiError) fieldError(main, 'body', e.fields().markdown || e.message);
    }
  };
  const schedulePreview = () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, PREVIEW_MS);
  };

  // ---- saving --------------------------------------------------------------------------
  const showErrors = (e) => {
    const fields = e.fields();
    const names = { seriesPart: 'series_part', coverImageUrl: 'cover_image_url', canonicalUrl: 'canonical_url', seoTitle: 'seo_title', seoDescription: 'seo_description' };
    let shown = false;
    for (const [path, message] of Object.entries(fields)) {
      const f = path.replace(/\[\d+\]$/, ''); // `tags[1]`: the tags field
      shown = fieldError(main, names[f] || f, message) || shown;
    }
    return shown;
  };

  const save = async () => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    // Until the editor settles it, nothing saves over their version: not a save queued while
    // the refused one was under way, not Ctrl+S. "Keep mine" clears the conflict first.
    if (conflict) {
      setState('unsaved changes: choose how to settle the conflict above', 'error');
      return;
    }
    const input = current();
    if (!id && !input.title.trim() && !input.body.trim()) return; // nothing to create yet
    if (id && same(input, saved)) {
      setState('saved');
      return;
    }
    clearTimeout(autosaveTimer);
    clearTimeout(retryTimer);
    retrying = false;
    setState('saving…');
    inFlight = (async () => {
      try {
        let result;
        if (!id) {
          const data = await gql(`mutation($input: CreateArticleInput!) { createArticle(input: $input) { ${FULL} } }`, {
            input: toApi(input, true),
          });
          result = data.createArticle;
          id = result.id;
          setShown(`#/articles/${id}`);
          follow();
          if (!offered) forget(backupKey(null)); // now kept under its id
        } else {
          const data = await gql(
            `mutation($id: ID!, $input: UpdateArticleInput!, $v: Int) {
              updateArticle(id: $id, input: $input, expectedVersion: $v) { ${FULL} } }`,
            { id, input: toApi(input, false), v: base },
          );
          result = data.updateArticle;
        }
        server = result;
        base = result.version;
        conflict = null;
        savedIsBase = true;
        fill(banner);
        liveNote.hidden = true; // what it told of is in this save now
        // What the server made of what was sent: a derived title or slug is shown.
        if (!input.title.trim() && !title.value.trim()) title.value = result.title;
        if (!input.slug && !slug.value) slug.value = result.slug;
        saved = { ...input, title: input.title.trim() ? input.title : result.title, slug: input.slug || result.slug };
        clearErrors(main);
        retryDelay = 2000;
        // The copy in this browser is dropped, or rewritten on the new version.
        if (!dirty()) dropBackup();
        else keepBackup();
        setState(`saved at ${new Date().toLocaleTimeString()}`, 'ok');
        actions();
      } catch (e) {
        if (e instanceof NetworkError) {
          const wait = Math.max(retryDelay, (e.retryAfter || 0) * 1000);
          setState(`not saved: ${e.message}; retrying in ${Math.round(wait / 1000)} s`, 'error');
          retrying = true;
          retryTimer = setTimeout(save, wait);
          retryDelay = Math.min(retryDelay * 2, 30000);
        } else if (e instanceof ApiError && e.code === 'CONFLICT' && e.errors[0].extensions?.currentVersion) {
          await showConflict(e.errors[0].extensions.currentVersion).catch((err) =>
            setState(`not saved: someone saved a newer version, which could not be read (${err.message})`, 'error'));
        } else {
          const placed = e instanceof ApiError && showErrors(e);
          setState(`not saved: ${placed ? 'see the fields marked' : e.message}`, 'error');
          if (!placed) toast(e.message, 'error');
        }
      } finally {
        inFlight = null;
      }
      if (again) {
        again = false;
        if (dirty()) await save();
      }
    })();
    return inFlight;
  };

  // Checked again when the timer fires: the article may have been published meanwhile.
  const autosave = () => {
    if (autosaves() && !conflict) save();
  };
  const changed = () => {
    keepBackup();
    if (conflict) {
      setState('unsaved changes: choose how to settle the conflict above', 'error');
    } else if (autosaves()) {
      setState('unsaved changes');
      clearTimeout(autosaveTimer);
      autosaveTimer = setTimeout(autosave, AUTOSAVE_MS);
    } else {
      setState('unsaved changes: press Update (Ctrl+S) to publish them');
    }
  };

  // ---- someone else saved meanwhile ----------------------------------------------------
  // A three-way merge by field, against what this editor last had from the server: a field
  // only they changed takes theirs, one only this editor changed keeps mine. When no field
  // was changed by both, the merge is saved at once; otherwise the fields both changed are
  // shown, theirs against mine, and the editor chooses.
  const showConflict = async (version) => {
    const data = await gql(
      `query($id: ID!) { article(id: $id) { ${FULL} revisions { version editor createdAt } } }`,
      { id },
    );
    const theirs = data.article;
    const who = theirs.revisions.find((r) => r.version === theirs.version);
    const name = who ? who.editor : 'someone';
    const known = saved; // what this editor last had from the server
    const mine = current();
    const their = inputOf(theirs);
    const merged = {};
    const both = [];
    for (const k of Object.keys(mine)) {
      if (same(their[k], mine[k])) merged[k] = mine[k];
      else if (!savedIsBase) {
        merged[k] = mine[k];
        both.push(k);
      } else if (same(mine[k], known[k])) merged[k] = their[k];
      else if (same(their[k], known[k]) || same(their[k], mine[k])) merged[k] = mine[k];
      else {
        merged[k] = mine[k];
        both.push(k);
      }
    }
    server = theirs;
    base = theirs.version;
    saved = their;
    savedIsBase = true; // from here, every difference from theirs is the editor's choice
    if (!both.length) {
      // Nothing to choose: their changes join mine, and the result is saved.
      show(merged);
      schedulePreview();
      toast(`${name} saved version ${version} meanwhile; their changes are merged with yours.`);
      again = true; // save the merge once this save has ended
      return;
    }
    conflict = theirs;
    show(merged); // their changes to the fields only they changed are in already
    setState(`not saved: ${name} saved version ${version} meanwhile`, 'error');
    const label = fieldLabel;
    const shown = (v) => (Array.isArray(v) ? v.join(', ') : v === null || v === '' ? '(empty)' : String(v));
    const fields = both.filter((k) => k !== 'body').map((k) =>
      h('li', {}, h('strong', {}, `${label(k)}: `), `theirs “${shown(their[k])}”, yours “${shown(mine[k])}”`));
    const took = Object.keys(mine).filter((k) => !both.includes(k) && !same(merged[k], mine[k])).map(label);
    const merge = h('textarea', { class: 'theirs', readonly: true, rows: 12, 'aria-label': 'Their text' }, theirs.body);
    const settle = (text) => {
      conflict = null;
      fill(banner);
      setState(text);
      actions();
    };
    fill(
      banner,
      h(
        'section',
        { class: 'conflict', role: 'alert', 'aria-label': 'Conflict' },
        h('h2', {}, `${who ? who.editor : 'Someone'} saved this article (version ${version}) ${who ? `at ${when(who.createdAt)}` : ''} since you opened it`),
        h('p', {}, 'Nothing was overwritten. Your text is still in the editor and kept in this browser.',
          took.length ? ` Their changes to ${took.join(', ')} are taken in.` : '', ' You both changed:'),
        fields.length ? h('ul', {}, fields) : null,
        both.includes('body') ? h('div', { class: 'diff', 'aria-label': 'Their text against yours' }, renderDiff(theirs.body, mine.body)) : null,
        h(
          'div',
          { class: 'buttons' },
          h('button', {
            type: 'button',
            onclick: async () => {
              conflict = null;
              fill(banner);
              await save(); // mine where we both changed, theirs where only they did
            },
          }, 'Keep mine (save over theirs)'),
          h('button', {
            type: 'button',
            onclick: () => {
              show(their);
              dropBackup();
              schedulePreview();
              settle('their version loaded');
            },
          }, 'Use theirs (drop mine)'),
          both.includes('body')
            ? h('button', {
                type: 'button',
                onclick: () => {
                  // Merge by hand: theirs beside mine; the next save is based on theirs.
                  conflict = null;
                  fill(banner, h('section', { class: 'merge', 'aria-label': 'Merge' },
                    h('h2', {}, `Their version ${theirs.version}, to copy from`), merge,
                    h('p', {}, 'Edit your text to hold what you want of both, then save (Ctrl+S).')));
                  setState('merging: your next save replaces their version');
                  body.focus();
                },
              }, 'Merge by hand')
            : null,
        ),
      ),
    );
  };

  // ---- workflow ------------------------------------------------------------------------
  const workflow = h('div', { class: 'workflow' });
  const scheduleAt = h('input', { type: 'datetime-local', name: 'published_at', id: 'schedule-at' });
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const run = async (label, query, variables, after) => {
    clearTimeout(autosaveTimer);
    if (inFlight) await inFlight; // after the save under way, on the version it makes
    if (dirty() && !autosaves() && !confirm(`Your changes are not saved yet. Save them first (readers see them if the article is published), then ${label.toLowerCase()}?`)) {
      return;
    }
    if (dirty()) await save();
    if (dirty() || conflict) return; // the text is not saved; nothing else happens
    try {
      const data = await gql(query, { id, ...variables });
      const result = Object.values(data)[0];
      if (result && typeof result === 'object') {
        server = result;
        base = result.version;
        saved = inputOf(result);
      }
      toast(`${label}.`);
      setState('saved', 'ok');
      if (after) after(result);
      actions();
    } catch (e) {
      const why = e instanceof NetworkError ? 'the server cannot be reached' : e.message;
      toast(`Could not ${label.toLowerCase()}: ${why}`, 'error');
      setState(`${label.toLowerCase()} refused: ${why}`, 'error');
    }
  };
  const button = (label, onclick) => h('button', { type: 'button', onclick }, label);
  const actions = () => {
    // A scheduled article shows when it is due, in the editor's zone.
    if (server?.status === 'SCHEDULED' && server.publishedAt) {
      const d = new Date(server.publishedAt);
      scheduleAt.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    }
    if (!id) {
      fill(workflow, h('p', {}, 'Type a title or some text: the draft saves itself.'));
      return;
    }
    const s = server.status;
    const list = [];
    list.push(button(autosaves() ? 'Save now' : 'Update', save));
    if (editorRole) {
      if (s !== 'PUBLISHED') {
        list.push(button('Publish now', () => run('Published', `mutation($id: ID!) { publishArticle(id: $id) { ${FULL} } }`, {})));
      }
      list.push(
        h(
          'span',
          { class: 'schedule' },
          h('label', { for: 'schedule-at' }, `Schedule (${zone})`),
          scheduleAt,
          button('Schedule', () => {
            if (!scheduleAt.value) return toast('Pick a date and a time to schedule it for.', 'error');
            const due = new Date(scheduleAt.value); // the editor's zone
            // A time already past would publish it now, dated back: say so instead.
            if (due <= new Date()) return toast('Pick a time in the future to schedule it for, or publish it now.', 'error');
            const at = due.toISOString(); // to UTC
            return run('Scheduled', `mutation($id: ID!, $at: DateTime) { publishArticle(id: $id, publishedAt: $at) { ${FULL} } }`, { at });
          }),
        ),
      );
      if (s === 'PUBLISHED' || s === 'SCHEDULED') {
        list.push(button('Unpublish', () => run('Unpublished', `mutation($id: ID!) { unpublishArticle(id: $id) { ${FULL} } }`, {})));
      }
      if (s !== 'ARCHIVED') {
        list.push(button('Archive', () => run('Archived', `mutation($id: ID!) { archiveArticle(id: $id) { ${FULL} } }`, {})));
      }
    } else {
      list.push(h('p', { class: 'hint' }, 'An editor publishes it when it is ready.'));
    }
    list.push(
      button('Move to trash', () =>
        run('Moved to the trash', 'mutation($id: ID!) { deleteArticle(id: $id) }', {}, () => {
          dropBackup();
          saved = current();
          location.hash = editorRole ? '#/articles?status=TRASH' : '#/articles';
        }),
      ),
    );
    list.push(button('Preview link', shareLink));
    list.push(button('Revisions', revisions));
    fill(workflow, list);
  };

  const shareLink = async () => {
    try {
      const data = await gql('mutation($id: ID!) { createPreviewToken(articleId: $id) { token expiresAt } }', { id });
      const t = data.createPreviewToken;
      const url = `${location.origin}/api/v1/articles/${server.slug}?preview=${encodeURIComponent(t.token)}`;
      const d = dialog(
        'Preview link',
        h('p', {}, `Anyone with this link can read this article as it is now, until ${when(t.expiresAt)}.`),
        h('input', { type: 'text', readonly: true, value: url, 'aria-label': 'Preview link', class: 'wide' }),
        h('p', {}, 'In GraphQL: article(slug:, previewToken:) with the token.'),
        h('button', { type: 'button', onclick: () => d.close() }, 'Close'),
      );
    } catch (e) {
      toast(`No preview link: ${e.message}`, 'error');
    }
  };

  const revisions = () =>
    showRevisions().catch((e) => toast(`The revisions could not be read: ${e.message}`, 'error'));
  const showRevisions = async () => {
    if (dirty() && autosaves()) await save();
    const data = await gql('query($id: ID!) { article(id: $id) { revisions { version editor createdAt title } } }', { id });
    const list = data.article.revisions;
    const from = h('select', { id: 'rev-from' }, list.map((r) => h('option', { value: r.version }, `${r.version} · ${r.editor} · ${when(r.createdAt)}`)));
    const to = h('select', { id: 'rev-to' }, list.map((r) => h('option', { value: r.version }, `${r.version} · ${r.editor} · ${when(r.createdAt)}`)));
    if (list.length > 1) from.value = list[1].version;
    const out = h('div', { class: 'diff', 'aria-live': 'polite' });
    const compare = async () => {
      let d;
      try {
        d = await gql('query($id: ID!, $a: Int!, $b: Int!) { article(id: $id) { a: revision(version: $a) { body title } b: revision(version: $b) { body title } } }', { id, a: Number(from.value), b: Number(to.value) });
      } catch (e) {
        fill(out, h('p', { class: 'error', role: 'alert' }, `Could not compare: ${e.message}`));
        return;
      }
      fill(out, d.article.a.title !== d.article.b.title ? h('p', {}, `Title: “${d.article.a.title}” → “${d.article.b.title}”`) : null, renderDiff(d.article.a.body, d.article.b.body));
    };
    const dlg = dialog(
      'Revisions',
      h('div', { class: 'rev-pick' }, h('label', { for: 'rev-from' }, 'From'), from, h('label', { for: 'rev-to' }, 'To'), to, button('Compare', compare)),
      out,
      h('div', { class: 'buttons' },
        button('Restore the “From” version', async () => {
          await run('Restored', `mutation($id: ID!, $v: Int!) { restoreRevision(articleId: $id, version: $v) { ${FULL} } }`, { v: Number(from.value) }, (a) => show(inputOf(a)));
          schedulePreview();
          dlg.close();
        }),
        button('Close', () => dlg.close())),
    );
    await compare();
  };

  // ---- the page --------------------------------------------------------------------------
  const metaFields = h(
    'details',
    { class: 'meta', open: !id },
    h('summary', {}, 'Slug, excerpt, tags, category, series, SEO'),
    field('Slug', slug, 'Lowercase words joined by hyphens. Changing it keeps the old one working: it redirects to the new one.'),
    field('Excerpt', excerpt, 'Leave empty to use the start of the text.'),
    h('div', { class: 'field', 'data-field': 'tags' },
      h('label', { for: tagInput.id || (tagInput.id = 'tag-input') }, 'Tags (Enter to add; new ones are created on save)'),
      tagInput, tagList, h('p', { class: 'error', 'aria-live': 'polite' })),
    h('datalist', { id: 'tag-names' }, lists.tags.nodes.map((t) => h('option', { value: t.name }))),
    field('Category', category),
    field('Series', series),
    h('datalist', { id: 'series-names' }, lists.seriesList.nodes.map((s) => h('option', { value: s.title }))),
    field('Part number', seriesPart),
    field('Cover image URL', cover),
    field('Canonical URL', canonical),
    field('SEO title', seoTitle),
    field('SEO description', seoDescription),
  );
  fill(
    main,
    h('div', { class: 'head' }, h('a', { href: '#/articles' }, '← Articles'), state),
    banner,
    liveNote,
    field('Title', title),
    h('div', { class: 'write' }, h('div', { class: 'source' }, field('Markdown', body), stats), h('div', { class: 'rendered' }, h('h2', { class: 'visually-hidden' }, 'Preview'), preview)),
    workflow,
    metaFields,
  );

  show(saved);
  // Copies kept in this browser that the server does not have: offer them back, newest first.
  const offer = (copies) => {
    const kept = copies.shift();
    if (!kept) {
      offered = false;
      fill(banner);
      return;
    }
    if (same(kept.input, saved)) {
      forget(kept.key);
      offer(copies);
      return;
    }
    offered = true;
    fill(
      banner,
      h(
        'section',
        { class: 'restore', role: 'alert' },
        h('p', {}, `Text you typed on ${when(kept.at)} was not saved, and is kept in this browser.`),
        button('Restore it', () => {
          offered = false;
          show(kept.input);
          if (kept.base !== undefined && kept.base !== base) {
            // A newer server version shows as a conflict on save, and is merged against
            // what the server had when the copy was typed (all shown, if that is unknown).
            base = kept.base;
            if (kept.saved) saved = kept.saved;
            savedIsBase = Boolean(kept.saved);
          }
          fill(banner);
          keepNow(); // this tab's copy now, before the gone tab's is let go
          if (kept.key !== backupKey(id)) forget(kept.key);
          changed();
          schedulePreview();
        }),
        button('Discard it', () => {
          forget(kept.key);
          offer(copies); // an older copy from another gone tab, if any
        }),
      ),
    );
  };
  try {
    offer(await keptCopies(id));
  } catch {
    /* storage off: nothing kept */
  }

  // Left while it was loading: nothing of this editor may outlive it.
  if (!main.isConnected) return;

  for (const el of [title, body, slug, excerpt, category, series, seriesPart, cover, canonical, seoTitle, seoDescription]) {
    el.addEventListener('input', changed);
  }
  body.addEventListener('input', schedulePreview);
  setState(id ? 'saved' : 'nothing typed yet');
  actions();
  renderPreview();

  // Ctrl/Cmd+S saves; leaving with unsaved changes asks first.
  const keys = (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 's') {
      ev.preventDefault();
      save();
    }
  };
  const unload = (ev) => {
    if (dirty() || inFlight) {
      ev.preventDefault();
      ev.returnValue = '';
    }
  };
  const online = () => {
    schedulePreview(); // it may have failed offline
    if (retrying || (dirty() && autosaves() && !conflict)) save();
  };
  document.addEventListener('keydown', keys);
  window.addEventListener('beforeunload', unload);
  window.addEventListener('online', online);
  // ---- someone else saves, heard as it happens ------------------------------------------
  // Said at once. With nothing typed here, their version is loaded; with changes here, the
  // next save merges field by field (the conflict path), so nothing of either is lost.
  let catching = null;
  let stopFollowing = null;
  const tell = (text) => {
    liveNote.textContent = text;
    liveNote.hidden = false;
  };
  let heardMeanwhile = null;
  const catchUp = async (edit) => {
    if (inFlight) await inFlight; // the version of our own save comes back first
    if (left || !id || (edit && edit.version <= base)) return; // ours, or one we have
    if (catching) {
      heardMeanwhile = edit || heardMeanwhile || {}; // looked at once this one is done
      return catching;
    }
    catching = (async () => {
      try {
        const data = await gql(`query($id: ID!) { article(id: $id) { ${FULL} revisions { version editor createdAt } } }`, { id });
        const a = data.article;
        if (left || !a || a.version <= base) return;
        const who = a.revisions.find((r) => r.version === a.version)?.editor || edit?.editor || 'Someone';
        const what = edit?.fields?.length ? ` (${edit.fields.map(fieldLabel).join(', ').toLowerCase()})` : '';
        const at = new Date().toLocaleTimeString();
        if (edit?.trashed) {
          tell(`${who} moved this article to the trash at ${at}.`);
        } else if (!dirty() && !conflict) {
          server = a;
          base = a.version;
          saved = inputOf(a);
          savedIsBase = true;
          show(saved);
          schedulePreview();
          setState('saved');
          actions();
          tell(`${who} saved version ${a.version}${what} at ${at}; it is shown here.`);
        } else {
          tell(`${who} saved version ${a.version}${what} at ${at}, while you were editing. Your next save merges their changes with yours.`);
        }
      } catch {
        /* not now: the next save still checks the version */
      } finally {
        catching = null;
      }
      if (heardMeanwhile) {
        const next = heardMeanwhile;
        heardMeanwhile = null;
        await catchUp(next.version ? next : null);
      }
    })();
    return catching;
  };
  follow = () => {
    if (!stopFollowing && id) stopFollowing = followEdits(id, catchUp, () => catchUp(null));
  };
  follow();

  onLeave(async () => {
    if (dirty() && autosaves()) await save();
    if (dirty() && !confirm('Leave without saving? Your text stays in this browser and is offered when you come back.')) {
      return false;
    }
    clearTimeout(autosaveTimer);
    clearTimeout(retryTimer);
    clearTimeout(previewTimer);
    previewSeq++; // a preview on its way is not shown
    left = true;
    document.removeEventListener('keydown', keys);
    window.removeEventListener('beforeunload', unload);
    window.removeEventListener('online', online);
    if (stopFollowing) stopFollowing();
    return true;
  });
  (id ? body : title).focus();
}

/** The difference of two texts, as lines marked deleted or added, changed words marked. */
export function renderDiff(before, after) {
  const lines = lineDiff(before, after);
  if (lines.every((l) => l.op === 'same')) return h('p', {}, 'The texts are the same.');
  return h(
    'pre',
    { class: 'diff-lines' },
    lines.map((l) =>
      h(
        l.op === 'same' ? 'span' : l.op === 'add' ? 'ins' : 'del',
        { class: `line ${l.op}` },
        l.op === 'add' ? '+ ' : l.op === 'del' ? '− ' : '  ',
        l.parts.map((p) => (p.op === 'same' ? p.text : h('mark', {}, p.text))),
        '\n',
      ),
    ),
  );
}
