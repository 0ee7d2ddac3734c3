// End-to-end check of the studio (/admin/) in headless Chromium: a whole editor session,
// checked against what the public API answers.
//
//   COLOPHON_STUDIO_URL=http://127.0.0.1:8080 COLOPHON_STUDIO_EMAIL=… COLOPHON_STUDIO_PASSWORD=… \
//   COLOPHON_STUDIO_TOKEN=<an editor token> node studio.mjs
//
// The token is the test's own, for reading back through the API what the studio did; the
// studio never sees it. Nothing here waits a fixed time: every step waits for what the page
// shows, up to a step timeout.
import { chromium } from 'playwright-core';

const started = Date.now();
const base = (process.env.COLOPHON_STUDIO_URL || '').replace(/\/+$/, '');
const email = process.env.COLOPHON_STUDIO_EMAIL;
const password = process.env.COLOPHON_STUDIO_PASSWORD;
const token = process.env.COLOPHON_STUDIO_TOKEN;
if (!base || !email || !password || !token) {
  console.error('FAIL set COLOPHON_STUDIO_URL, COLOPHON_STUDIO_EMAIL, COLOPHON_STUDIO_PASSWORD and COLOPHON_STUDIO_TOKEN');
  process.exit(2);
}
const STEP_TIMEOUT = 15_000;
const deadline = setTimeout(() => {
  console.error('FAIL the check took longer than 180 s');
  process.exit(1);
}, 180_000);
deadline.unref();

// ---- the API, for expected values --------------------------------------------------------
async function api(path, options = {}) {
  const res = await fetch(`${base}${path}`, {
    redirect: 'manual',
    ...options,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(options.headers || {}) },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
async function anonymous(path) {
  const res = await fetch(`${base}${path}`, { redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
async function gql(query, variables = {}) {
  const { body } = await api('/graphql', { method: 'POST', body: JSON.stringify({ query, variables }) });
  if (body.errors) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
  return body.data;
}
const article = async (id) => (await gql(`query($id: ID!) { article(id: $id) { id slug title body html status version publishedAt revisions { version } } }`, { id })).article;

/** The text of every copy of article `id` the studio keeps in `page`'s browser. */
const keptCopies = (page, id) =>
  page.evaluate((prefix) => Object.keys(localStorage).filter((k) => k.startsWith(prefix)).map((k) => localStorage.getItem(k)).join('\n'),
    `colophon.studio.backup.${id}.`);

/** Polls `read` until `ok(value)`; fails with `what` and the last value. */
async function until(what, read, ok) {
  const end = Date.now() + STEP_TIMEOUT;
  let value;
  for (;;) {
    value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`${what}; last seen: ${JSON.stringify(value)?.slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the browser -------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
async function open(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A save refused while offline is the point of one check: the browser logs the failed fetch.
    if (m.type() === 'error' && !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on('dialog', (d) => d.accept());
  return page;
}
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await open(context);
const state = () => page.locator('.save-state').textContent();
const savedState = () => until('the editor says "saved"', state, (s) => / saved at /.test(s || ''));

let passed = 0;
async function check(name, fn) {
  const t = Date.now();
  try {
    const note = await fn();
    if (problems.length) throw new Error(problems.splice(0).join('\n  '));
    passed++;
    console.log(`ok   ${name}${note ? ` (${note})` : ''} [${Date.now() - t} ms]`);
  } catch (e) {
    console.log(`FAIL ${name}\n  ${e.message}`);
    const shot = `/tmp/colophon-studio-failure-${Date.now()}.png`;
    await page.screenshot({ path: shot, fullPage: true }).then(() => console.log(`  screenshot: ${shot}`), () => {});
    await browser.close().catch(() => {});
    console.log(`studio e2e: FAILED at "${name}" after ${passed} passed checks`);
    process.exit(1);
  }
}

let id;
const renamed = `studio-renamed-${Date.now()}`;
const code = 'fn main() {\n    println!("hello");\n}';
const firstBody = `Intro paragraph with *emphasis*.\n\n\`\`\`rust\n${code}\n\`\`\`\n\nMore text.`;

await check('/admin answers 308 to /admin/, with a strict CSP and no inline script', async () => {
  const r = await anonymous('/admin');
  if (r.status !== 308 || r.headers.get('location') !== '/admin/') throw new Error(`/admin: ${r.status} ${r.headers.get('location')}`);
  const page = await anonymous('/admin/');
  const csp = page.headers.get('content-security-policy') || '';
  if (!/script-src 'self'/.test(csp) || /unsafe-inline/.test(csp)) throw new Error(`CSP: ${csp}`);
  if (/<script>|<script [^>]*>[^<]/.test(page.text)) throw new Error('an inline script in /admin/');
});

await check('sign in with email and password', async () => {
  await page.goto(`${base}/admin/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Articles' }).waitFor();
  const cookies = await context.cookies();
  const refresh = cookies.find((c) => c.name === 'colophon_refresh');
  if (!refresh || !refresh.httpOnly || refresh.sameSite !== 'Strict' || refresh.path !== '/api/v1/auth/refresh') {
    throw new Error(`the refresh cookie: ${JSON.stringify(refresh)}`);
  }
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  if (/eyJ|access_token|refresh/.test(stored)) throw new Error(`a token in storage: ${stored}`);
});

await check('create a draft with a code block: it saves itself, and the preview is the server rendering', async () => {
  await page.getByRole('link', { name: 'New article' }).first().click();
  await page.getByLabel('Title', { exact: true }).fill('Studio end to end');
  await page.getByLabel('Markdown').fill(firstBody);
  await savedState();
  id = await page.evaluate(() => location.hash.split('/')[2]);
  const saved = await until('the draft on the server', () => article(id), (a) => a && a.body === firstBody);
  await until('the preview holds the highlighted code', () => page.locator('.preview').innerHTML(), (h) => h.includes('println!'));
  const preview = await page.locator('.preview').innerHTML();
  if (preview !== saved.html) throw new Error(`preview differs from the server's html:\n${preview}\n---\n${saved.html}`);
  const stats = await page.locator('.stats').textContent();
  if (!/\d+ words? · \d+ min read/.test(stats)) throw new Error(`stats: ${stats}`);
  return `article ${id}`;
});

await check('typing autosaves with the version it is based on', async () => {
  const body = page.getByLabel('Markdown');
  await body.press('End');
  await body.type('\n\nTyped later.');
  await savedState();
  const a = await until('the server has the typed text', () => article(id), (x) => x.body.endsWith('Typed later.'));
  return `version ${a.version}`;
});

await check('reload: the text is there', async () => {
  await page.reload();
  await page.getByLabel('Markdown').waitFor();
  const text = await page.getByLabel('Markdown').inputValue();
  if (!text.endsWith('Typed later.')) throw new Error(`after reload: ${text}`);
});

await check('offline: typing is kept, shown as not saved, and saved when back online', async () => {
  await context.setOffline(true);
  const body = page.getByLabel('Markdown');
  await body.press('End');
  await body.type('\n\nWritten offline.');
  await until('the editor says it is not saved', state, (s) => /not saved/.test(s || ''));
  const kept = await keptCopies(page, id);
  if (!kept || !kept.includes('Written offline.') || /eyJ/.test(kept)) throw new Error(`the browser copy: ${kept}`);
  await context.setOffline(false);
  await savedState();
  await until('the server has the offline text', () => article(id), (x) => x.body.endsWith('Written offline.'));
});

await check('a closed tab loses nothing: its copy is offered back, and merged with what was saved since', async () => {
  // Another tab of the same browser, which loses the network and then dies before it can save.
  const crashy = await open(context);
  await crashy.goto(`${base}/admin/#/articles/${id}`);
  await crashy.getByLabel('Markdown').waitFor();
  await crashy.route(/\/graphql|\/api\//, (route) => route.abort('internetdisconnected'));
  const body = crashy.getByLabel('Markdown');
  await body.press('End');
  await body.type('\n\nBefore the crash.');
  await until('kept in the browser', () => keptCopies(crashy, id), (v) => v.includes('Before the crash.'));
  // While that tab lives, its copy is its own to save: a tab opened beside it does not offer
  // it, and this tab's save drops only its own copy.
  const beside = await open(context);
  await beside.goto(`${base}/admin/#/articles/${id}`);
  await until('the tab beside it has loaded', () => beside.locator('.save-state').textContent(), (s) => / · saved$/.test(s || ''));
  if (await beside.locator('.restore').count()) throw new Error('a live tab’s copy was offered to another tab');
  await beside.close();
  // Someone saves another field meanwhile.
  await gql('mutation($id: ID!) { updateArticle(id: $id, input: { excerpt: "Saved meanwhile." }) { version } }', { id });
  await crashy.close({ runBeforeUnload: false });
  if (!(await keptCopies(page, id)).includes('Before the crash.')) throw new Error('the closed tab’s copy is gone');
  const again = await open(context);
  await again.goto(`${base}/admin/#/articles/${id}`);
  await again.getByLabel('Markdown').waitFor();
  await again.getByRole('button', { name: 'Restore it' }).click();
  const text = await again.getByLabel('Markdown').inputValue();
  if (!text.endsWith('Before the crash.')) throw new Error(`restored: ${text}`);
  // Based on an older version: merged with the excerpt saved since, with nothing to choose.
  const merged = await until('the server has both', async () => (await gql('query($id: ID!) { article(id: $id) { body customExcerpt } }', { id })).article,
    (x) => x.body.endsWith('Before the crash.') && x.customExcerpt === 'Saved meanwhile.');
  if (await again.locator('.conflict').count()) throw new Error('a conflict was shown for changes to different fields');
  await until('nothing left to offer', () => keptCopies(again, id), (v) => v === '');
  await again.close();
  await page.reload();
  await page.getByLabel('Markdown').waitFor();
  return `excerpt ${JSON.stringify(merged.customExcerpt)}`;
});

/** The same account signed in from another browser, with article `id` open. */
async function anotherEditor(articleId) {
  const other = await browser.newContext();
  const theirs = await open(other);
  await theirs.goto(`${base}/admin/`);
  await theirs.getByLabel('Email').fill(email);
  await theirs.getByLabel('Password').fill(password);
  await theirs.getByRole('button', { name: 'Sign in' }).click();
  await theirs.getByRole('heading', { name: 'Articles' }).waitFor();
  await theirs.goto(`${base}/admin/#/articles/${articleId}`);
  return { other, theirs };
}

await check('someone else saves the open article: told at once, and their version shown', async () => {
  const { other, theirs } = await anotherEditor(id);
  const theirBody = theirs.getByLabel('Markdown');
  await theirBody.press('End');
  await theirBody.type('\n\nTheir first paragraph.');
  await until('their save', () => theirs.locator('.save-state').textContent(), (s) => / saved at /.test(s || ''));
  // This editor typed nothing meanwhile: the note says who saved what, and their text is in.
  await until('the note', () => page.locator('.live-note').textContent(), (t) => /saved version \d+ \(text\)/.test(t || ''));
  await until('their text shown here', () => page.getByLabel('Markdown').inputValue(), (t) => t.endsWith('Their first paragraph.'));
  await other.close();
  return (await page.locator('.live-note').textContent()).trim();
});

await check('someone else saves while this editor is offline with changes: a conflict, not a lost update; keeping mine keeps their other changes', async () => {
  const { other, theirs } = await anotherEditor(id);
  const theirBody = theirs.getByLabel('Markdown');
  const body = page.getByLabel('Markdown');
  const offlineTyping = async (text) => {
    await context.setOffline(true);
    await body.press('End');
    await body.type(text);
    await until('not saved offline', state, (s) => /not saved/.test(s || ''));
  };
  await offlineTyping('\n\nMy paragraph.');
  // They change the text and a field this editor leaves alone: that one must survive "mine".
  await theirs.locator('details.meta summary').click();
  await theirs.getByLabel('SEO title').fill('Their SEO title');
  await theirBody.press('End');
  await theirBody.type('\n\nTheir paragraph.');
  // Both of their changes on the server: their tab autosaves as they go, so "saved at" can
  // show for the SEO title while the paragraph is still being typed (on a loaded machine).
  await until('their save', async () => (await gql('query($id: ID!) { article(id: $id) { body seoTitle } }', { id })).article,
    (x) => x.body.includes('Their paragraph.') && x.seoTitle === 'Their SEO title');
  await until('their tab saved', () => theirs.locator('.save-state').textContent(), (s) => / saved at /.test(s || ''));
  const theirVersion = (await article(id)).version;
  await context.setOffline(false);
  // A second save asked for at once (the retry, Ctrl+S) runs while the first is refused, or
  // after: neither may write over their version before the editor chooses.
  await body.press('Control+s');
  await page.locator('.conflict').waitFor();
  await until('no save under way', state, (s) => !/saving/.test(s || ''));
  const onServer = await article(id);
  if (!onServer.body.includes('Their paragraph.') || onServer.version !== theirVersion) {
    throw new Error(`their save was overwritten: version ${onServer.version}, theirs ${theirVersion}`);
  }
  const diff = await page.locator('.conflict .diff').textContent();
  if (!diff.includes('Their paragraph.') || !diff.includes('My paragraph.')) throw new Error(`the conflict shows: ${diff}`);
  await page.getByRole('button', { name: 'Keep mine (save over theirs)' }).click();
  await savedState();
  const after = await until('mine saved over theirs', () => article(id), (x) => x.body.endsWith('My paragraph.'));
  const seo = (await gql('query($id: ID!) { article(id: $id) { seoTitle } }', { id })).article.seoTitle;
  if (seo !== 'Their SEO title') throw new Error(`their SEO title was lost: ${seo}`);

  // Changes to different fields need no choice: they are merged and saved.
  await theirs.reload();
  await theirs.getByLabel('Markdown').waitFor();
  await offlineTyping(' And more of mine.');
  await theirs.locator('details.meta summary').click();
  await theirs.getByLabel('Excerpt').fill('Their excerpt.');
  await until('their excerpt saved', () => article(id), (x) => x.version > after.version);
  await context.setOffline(false);
  const merged = await until('both changes on the server', async () => (await gql('query($id: ID!) { article(id: $id) { body customExcerpt } }', { id })).article,
    (x) => x.body.endsWith('And more of mine.') && x.customExcerpt === 'Their excerpt.');
  if (await page.locator('.conflict').count()) throw new Error('a conflict was shown for changes to different fields');
  await savedState();
  await other.close();
  return `version ${after.version}, then merged: ${JSON.stringify(merged.customExcerpt)}`;
});

await check('schedule in the editor’s time zone, then publish; readers see it', async () => {
  const soon = new Date(Date.now() + 3 * 24 * 3600 * 1000);
  const local = new Date(soon.getTime() - soon.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await page.locator('#schedule-at').fill(local);
  await page.getByRole('button', { name: 'Schedule', exact: true }).click();
  const scheduled = await until('scheduled', () => article(id), (x) => x.status === 'SCHEDULED');
  const want = new Date(local).getTime(); // the page's zone is the test's
  if (Math.abs(new Date(scheduled.publishedAt).getTime() - want) > 60000) throw new Error(`scheduled for ${scheduled.publishedAt}, not ${local}`);
  const hidden = await anonymous(`/api/v1/articles/${scheduled.slug}`);
  if (hidden.status !== 404) throw new Error(`a scheduled article is public: ${hidden.status}`);
  await page.getByRole('button', { name: 'Publish now' }).click();
  const published = await until('published', () => article(id), (x) => x.status === 'PUBLISHED');
  const seen = await anonymous(`/api/v1/articles/${published.slug}`);
  if (seen.status !== 200 || JSON.parse(seen.text).data.html !== published.html) throw new Error(`public: ${seen.status}`);
});

await check('a published article waits for Update; Ctrl+S saves', async () => {
  const body = page.getByLabel('Markdown');
  await body.press('End');
  await body.type('\n\nAn update.');
  await until('the editor asks for Update', state, (s) => /Update/.test(s || ''));
  const before = await article(id);
  if (before.body.endsWith('An update.')) throw new Error('a published article saved itself');
  await page.keyboard.press('Control+s');
  await savedState();
  await until('updated', () => article(id), (x) => x.body.endsWith('An update.'));
});

await check('revisions: compare two, then restore one', async () => {
  await page.getByRole('button', { name: 'Revisions' }).click();
  const dialog = page.locator('dialog');
  await dialog.waitFor();
  const revisions = (await article(id)).revisions.map((r) => r.version);
  const oldest = Math.min(...revisions);
  await page.locator('#rev-from').selectOption(String(oldest));
  await dialog.getByRole('button', { name: 'Compare' }).click();
  await until('a diff with additions', () => dialog.locator('.diff ins').count(), (n) => n > 0);
  await dialog.getByRole('button', { name: /Restore the/ }).click();
  const restored = await until('restored', () => article(id), (x) => !x.body.includes('Typed later.'));
  // The server has it before the page has read its answer: wait for the page, not a moment.
  await until('the editor shows the restored text', () => page.getByLabel('Markdown').inputValue(), (t) => t === restored.body);
  return `restored version ${oldest}`;
});

await check('change the slug: the old one redirects', async () => {
  const old = (await article(id)).slug;
  await page.locator('details.meta summary').click();
  await page.getByLabel('Slug', { exact: true }).fill(renamed);
  await page.keyboard.press('Control+s');
  await savedState();
  const r = await anonymous(`/api/v1/articles/${old}`);
  if (r.status !== 301 || r.headers.get('location') !== `/api/v1/articles/${renamed}`) {
    throw new Error(`old slug: ${r.status} ${r.headers.get('location')}`);
  }
});

await check('an API error is shown by the field it names, and the text stays', async () => {
  await page.getByLabel('Slug', { exact: true }).fill('Not A Slug!');
  await page.keyboard.press('Control+s');
  await until('the slug error', () => page.locator('[data-field="slug"] .error').textContent(), (t) => /lowercase/.test(t || ''));
  const text = await page.getByLabel('Markdown').inputValue();
  if (!text) throw new Error('the text went missing');
  // Put back as it was: nothing left to save.
  await page.getByLabel('Slug', { exact: true }).fill(renamed);
  await page.keyboard.press('Control+s');
  await until('the editor says it is saved', state, (s) => /· saved/.test(s || '') && !/not saved/.test(s));
});

await check('an ended session asks to sign in again, then the save goes through', async () => {
  // The session ends: the cookie is gone, and the server refuses the access token once.
  await context.clearCookies();
  let ended = true;
  await page.route('**/graphql', (route) => {
    if (ended && (route.request().postData() || '').includes('updateArticle')) {
      const body = { data: null, errors: [{ message: 'the token has expired', extensions: { code: 'UNAUTHENTICATED' } }] };
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    }
    return route.continue();
  });
  const body = page.getByLabel('Markdown');
  await body.press('End');
  await body.type(' Typed as the session ended.');
  await page.keyboard.press('Control+s');
  const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
  await dialog.waitFor();
  ended = false;
  await dialog.getByLabel('Email').fill(email);
  await dialog.getByLabel('Password').fill(password);
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await until('the save went through', () => article(id), (x) => x.body.endsWith('Typed as the session ended.'));
  await savedState();
  await page.unroute('**/graphql');
});

await check('the trash: moved there, restored from it, and another deleted for good', async () => {
  const { title } = await article(id);
  const made = await api('/api/v1/articles', { method: 'POST', body: JSON.stringify({ title: `Doomed ${Date.now()}` }) });
  const doomed = made.body.data;
  if ((await api(`/api/v1/articles/${doomed.id}`, { method: 'DELETE' })).status !== 204) throw new Error('could not trash the second article');
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await until('the trash list', () => page.evaluate(() => location.hash), (h) => /status=TRASH/.test(h));
  const trashIds = async () => (await gql('{ trash(first: 50) { nodes { id } } }')).trash.nodes.map((a) => a.id);
  await until('both in the trash', trashIds, (ids) => ids.includes(id) && ids.includes(doomed.id));
  await page.getByRole('button', { name: `Delete ${doomed.title} for good` }).click();
  await until('the second deleted for good', trashIds, (ids) => !ids.includes(doomed.id));
  if ((await api(`/api/v1/articles/${doomed.id}`)).status !== 404) throw new Error('a purged article still reads');
  await page.getByRole('button', { name: `Restore ${title}` }).click();
  await until('restored out of the trash', trashIds, (ids) => !ids.includes(id));
  const back = await article(id);
  if (!back || back.title !== title) throw new Error(`restored: ${JSON.stringify(back)}`);
  await until('the row leaves the list', () => page.getByRole('button', { name: `Restore ${title}` }).count(), (n) => n === 0);
});

await check('tags and series: a rename, a refusal shown by its box, a series with a draft part reordered', async () => {
  const tag = (await gql('{ tags(first: 1) { nodes { id name } } }')).tags.nodes[0];
  const series = (await gql('{ seriesList(first: 1) { nodes { slug title } } }')).seriesList.nodes[0];
  const parts = async () => {
    const states = ['DRAFT', 'PUBLISHED'].map((s) => `${s.toLowerCase()}: articles(first: 50, filter: { series: "${series.slug}", status: ${s} }) { nodes { id title seriesPart } }`);
    const d = await gql(`{ ${states.join(' ')} }`);
    return [...d.draft.nodes, ...d.published.nodes].sort((a, b) => a.seriesPart - b.seriesPart);
  };
  const before = await parts();
  const last = before[before.length - 1].seriesPart;
  const made = await api('/api/v1/articles', { method: 'POST', body: JSON.stringify({ title: `Part draft ${Date.now()}`, series: series.title, series_part: last + 5 }) });
  const draft = made.body.data;

  await page.goto(`${base}/admin/#/taxonomy`);
  await page.getByRole('heading', { name: 'Tags, categories and series' }).waitFor();
  const renamed = `${tag.name} renamed`;
  await page.getByLabel(`Name of tag ${tag.name}`, { exact: true }).fill(renamed);
  await page.getByRole('button', { name: `Save name of tag ${tag.name.toLowerCase()}` }).click();
  await until('the tag renamed', async () => (await gql(`{ tags(first: 100) { nodes { id name } } }`)).tags.nodes.find((t) => t.id === tag.id)?.name, (n) => n === renamed);
  const box = page.getByLabel(`Name of tag ${renamed}`, { exact: true });
  await box.fill('   ');
  await page.getByRole('button', { name: `Save name of tag ${renamed.toLowerCase()}` }).click();
  const form = page.locator('form.inline', { has: box });
  await until('the refusal by the box', () => form.locator('.error').textContent(), (t) => /name/i.test(t || ''));

  await page.getByRole('button', { name: `Reorder the parts of ${series.title}` }).click();
  await page.getByRole('button', { name: `Move ${draft.title} up` }).click();
  await page.getByRole('button', { name: `Save the order of ${series.title}` }).click();
  const after = await until('the draft moved before the last published part', parts, (p) => p[p.length - 2]?.id === draft.id);
  if (after.length !== before.length + 1) throw new Error(`parts: ${JSON.stringify(after)}`);
  return `draft now part ${after[after.length - 2].seriesPart}`;
});

await check('accounts: a refused password is shown at its field, then the account is made', async () => {
  await page.goto(`${base}/admin/#/people`);
  await page.getByRole('heading', { name: 'Users and webhooks' }).waitFor();
  const form = page.getByRole('form', { name: 'New account' });
  const address = `new-${Date.now()}@example.com`;
  await form.getByLabel('Email').fill(address);
  await form.getByLabel('Name').fill('New Author');
  await form.getByLabel(/Password/).fill('short');
  await form.getByRole('button', { name: 'Create account' }).click();
  await until('the password refusal', () => form.locator('[data-field="password"] .error').textContent(), (t) => /10|characters/.test(t || ''));
  await form.getByLabel(/Password/).fill('long enough password');
  await form.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('cell', { name: address }).waitFor();
});

await check('sign out: no token remains readable, and the session is over', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to the studio' }).waitFor();
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  if (/eyJ/.test(stored)) throw new Error(`a token is readable: ${stored}`);
  const cookie = (await context.cookies()).find((c) => c.name === 'colophon_refresh' && c.value);
  if (cookie) throw new Error('the refresh cookie is still set');
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to the studio' }).waitFor();
});

await browser.close();
console.log(`studio e2e: all ${passed} checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
