// Typing in a 20,000-word article in the studio, in headless Chromium: what a keystroke
// costs, how soon the preview follows when typing stops, what the server's renderMarkdown
// costs for the whole article, and what the studio's first load weighs. A measurement,
// never a test (the suite asserts behaviour, not speed).
//
//   node bench/studio_typing.mjs              # builds the release binary first
//   node bench/studio_typing.mjs --no-build
//
// Needs Chromium (CHROMIUM, default /usr/bin/chromium) and `npm ci --prefix tests/e2e`
// (playwright-core). Starts `colophon serve --demo` on a free port with a throw-away
// SQLite file, signs in as the demo's studio account, and writes a Markdown table to
// bench/results/.
//
// Targets (issue #15): keystroke handling <= 16 ms at p95; preview updated <= 300 ms after
// typing stops; renderMarkdown of 20,000 words <= 20 ms on the server; first load <= 250 KB
// compressed.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, startDemo } from './serve.mjs';

const require = createRequire(join(ROOT, 'tests/e2e/package.json'));
const { chromium } = require('playwright-core');
const WORDS = 20_000;
const BURSTS = 12;
const BURST = 'and then the reader follows the argument ';

// ---- a 20,000-word technical article ---------------------------------------------------
function article(words) {
  const vocabulary = ('the a of to in is that for it as with on be by this are or from at an which we can not but ' +
    'function value type memory thread cache query index request response server client buffer allocation ' +
    'latency throughput pointer lifetime borrow trait module compile runtime schedule batch stream record').split(' ');
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = () => vocabulary[Math.floor(next() * vocabulary.length)];
  const sentence = () => {
    const n = 8 + Math.floor(next() * 14);
    const w = Array.from({ length: n }, pick);
    if (next() < 0.2) w[3] = `\`${w[3]}()\``;
    if (next() < 0.1) w[6] = `[${w[6]}](https://example.com/${w[6]})`;
    if (next() < 0.15) w[1] = `*${w[1]}*`;
    w[0] = w[0][0].toUpperCase() + w[0].slice(1);
    return `${w.join(' ')}.`;
  };
  const parts = [];
  let count = 0;
  let section = 0;
  while (count < words) {
    if (count >= section * 1000) {
      section++;
      parts.push(`## Section ${section}: ${pick()} and ${pick()}`);
      count += 4;
    }
    const r = next();
    if (r < 0.1) {
      parts.push('```rust\nfn handle(req: Request) -> Result<Response, Error> {\n    let value = cache.get(&req.key)?;\n    Ok(Response::new(value))\n}\n```');
      count += 14;
    } else if (r < 0.18) {
      const items = Array.from({ length: 4 }, () => `- ${sentence()}`);
      parts.push(items.join('\n'));
      count += items.join(' ').split(/\s+/).length;
    } else if (r < 0.22) {
      parts.push(`> ${sentence()} ${sentence()}`);
      count += 30;
    } else {
      const p = Array.from({ length: 3 + Math.floor(next() * 4) }, sentence).join(' ');
      parts.push(p);
      count += p.split(/\s+/).length;
    }
  }
  return parts.join('\n\n');
}

// ---- figures --------------------------------------------------------------------------
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => `${x.toFixed(1)} ms`;
const kb = (x) => `${(x / 1024).toFixed(1)} KB`;

async function main() {
  if (!process.argv.includes('--no-build')) {
    execFileSync('cargo', ['build', '--release', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  }
  const work = mkdtempSync(join(tmpdir(), 'colophon-studio-bench-'));
  const server = await startDemo(`sqlite://${work}/studio.db?mode=rwc`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const results = await measure(server, browser);
    report(results);
  } finally {
    await browser.close().catch(() => {});
    server.child.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

async function api(server, path, body) {
  const res = await fetch(`${server.base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function measure(server, browser) {
  const body = article(WORDS);
  const created = await api(server, '/api/v1/articles', { title: 'Twenty thousand words', body });
  const id = created.data.id;
  const words = created.data.word_count;

  // The server's render of the whole article, as the preview asks for it (REST and GraphQL).
  const render = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await api(server, '/api/v1/render', { markdown: body });
    render.push(performance.now() - t);
  }
  const renderGql = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const r = await api(server, '/graphql', {
      query: 'query($m: String!) { renderMarkdown(markdown: $m) { html wordCount } }',
      variables: { m: body },
    });
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    renderGql.push(performance.now() - t);
  }

  // First load: sign in and open the article, counting the bytes the network carried.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const responses = new Map();
  cdp.on('Network.responseReceived', (e) => responses.set(e.requestId, { url: e.response.url }));
  cdp.on('Network.loadingFinished', (e) => {
    const r = responses.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  await page.goto(`${server.base}/admin/`);
  await page.getByLabel('Email').fill(server.email);
  await page.getByLabel('Password').fill(server.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Articles' }).waitFor();
  await page.goto(`${server.base}/admin/#/articles/${id}`);
  await page.locator('.preview h2').first().waitFor();
  await page.waitForLoadState('networkidle');
  const loaded = [...responses.values()].filter((r) => r.bytes !== undefined);
  const assets = loaded.filter((r) => new URL(r.url).pathname.startsWith('/admin/'));
  const assetBytes = assets.reduce((n, r) => n + r.bytes, 0);
  const allBytes = loaded.reduce((n, r) => n + r.bytes, 0);
  let assetGzip = 0;
  for (const r of assets) assetGzip += gzipSync(Buffer.from(await (await fetch(r.url)).arrayBuffer())).length;
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });

  // Typing: keystroke cost measured in the page, from the event's time stamp (so a busy main
  // thread counts) to the end of every handler plus the layout they cause, and to the next
  // frame; then, when a burst stops, how long until the preview shows what was typed.
  await page.evaluate(() => {
    const m = (window.__bench = { handled: [], frame: [], lastInput: 0 });
    let t0 = 0;
    window.addEventListener('keydown', (e) => (t0 = e.timeStamp), true);
    window.addEventListener('input', (e) => {
      void e.target.scrollHeight; // the layout the keystroke causes
      const now = performance.now();
      m.handled.push(now - t0);
      m.lastInput = now;
      const start = t0;
      requestAnimationFrame(() => {
        const c = new MessageChannel();
        c.port1.onmessage = () => m.frame.push(performance.now() - start);
        c.port2.postMessage(0);
      });
    });
  });
  const textarea = page.getByLabel('Markdown');
  const preview = [];
  for (let burst = 0; burst < BURSTS; burst++) {
    // Alternate between the middle and the end of the article: both are where people type.
    await textarea.evaluate((el, atEnd) => {
      const at = atEnd ? el.value.length : Math.floor(el.value.length / 2);
      el.focus();
      el.setSelectionRange(at, at);
    }, burst % 2 === 1);
    const marker = `zq${burst}x`;
    await page.keyboard.type(`${BURST}${marker} `, { delay: 35 });
    const waited = await page.evaluate(
      (marker) =>
        new Promise((resolve) => {
          const el = document.querySelector('.preview');
          const done = () => {
            requestAnimationFrame(() => {
              const c = new MessageChannel();
              c.port1.onmessage = () => resolve(performance.now() - window.__bench.lastInput);
              c.port2.postMessage(0);
            });
          };
          if (el.textContent.includes(marker)) return done();
          const seen = new MutationObserver(() => {
            if (el.textContent.includes(marker)) {
              seen.disconnect();
              done();
            }
          });
          seen.observe(el, { childList: true, subtree: true, characterData: true });
        }),
      marker,
    );
    preview.push(waited);
    // A pause long enough for the draft to save itself, as a writer's pauses are.
    await page.locator('.save-state').filter({ hasText: 'saved at' }).waitFor();
  }
  const { handled, frame } = await page.evaluate(() => window.__bench);
  const shown = await page.locator('.stats').textContent().catch(() => '');
  await context.close();
  return { words, render, renderGql, assets, assetBytes, assetGzip, allBytes, handled, frame, preview, shown };
}

function report(r) {
  const cpus = execFileSync('nproc').toString().trim();
  const rows = [
    ['Keystroke handled (handlers + layout), p95', ms(percentile(r.handled, 95)), '≤ 16 ms', `median ${ms(percentile(r.handled, 50))}, max ${ms(Math.max(...r.handled))}, ${r.handled.length} keystrokes`],
    ['Keystroke to next frame, p95', ms(percentile(r.frame, 95)), '', `median ${ms(percentile(r.frame, 50))} (includes waiting for the frame)`],
    ['Preview shows the text after typing stops, p95', ms(percentile(r.preview, 95)), '≤ 300 ms', `median ${ms(percentile(r.preview, 50))}, max ${ms(Math.max(...r.preview))}, ${r.preview.length} pauses`],
    ['renderMarkdown, whole article, REST round trip, median', ms(percentile(r.render, 50)), '≤ 20 ms', `p95 ${ms(percentile(r.render, 95))}, 30 calls`],
    ['renderMarkdown, whole article, GraphQL round trip, median', ms(percentile(r.renderGql, 50)), '≤ 20 ms', `p95 ${ms(percentile(r.renderGql, 95))}, 30 calls`],
    ['Studio first load, as sent (uncompressed)', kb(r.assetBytes), '≤ 250 KB compressed', `${r.assets.length} files; ${kb(r.assetGzip)} gzipped`],
    ['Everything until the article is open', kb(r.allBytes), '', 'assets and API answers, the article itself included'],
  ];
  const stamp = new Date().toISOString().replace(/:/g, '').replace(/\.\d+Z$/, 'Z');
  const lines = [
    `# Studio typing benchmark, ${stamp}`,
    '',
    `A ${r.words}-word article (headings, code blocks, lists, quotes), in headless Chromium at 1280×900, ` +
      `${BURSTS} bursts of ${BURST.length + 5} keystrokes 35 ms apart, alternately in the middle and at the end, ` +
      `each followed by a pause until the draft saved itself. Release build, SQLite, ${cpus} cores. ` +
      `The editor showed “${r.shown}”.`,
    '',
    '| Measure | Figure | Target | Detail |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
  ];
  const text = lines.join('\n');
  console.log(text);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp}-studio-typing.md`);
  writeFileSync(file, text);
  console.log(`written to ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
