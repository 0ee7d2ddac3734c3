// Live updates at scale: what 10,000 idle subscribers cost the server in memory, and how
// long one publication takes to reach 1,000 subscribers. A measurement, never a test.
//
//   node bench/live.mjs              # builds the release binary first
//   node bench/live.mjs --no-build [--postgres postgres://…]
//
// Needs `npm ci --prefix .ci/tools` (the `ws` client). Starts `colophon serve --demo` on a
// free port (a throw-away SQLite file, or the PostgreSQL database given), opens WebSockets
// from this process with the graphql-transport-ws protocol, and writes a Markdown table to
// bench/results/. The server's memory is its resident set (/proc/<pid>/status, VmRSS).
// Latency is from sending the publishing mutation to each subscriber's `next` message,
// measured on this machine's monotonic clock; both processes share the machine's 2 cores.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startDemo } from './serve.mjs';

const require = createRequire(join(ROOT, '.ci/tools/package.json'));
const WebSocket = require('ws');
const IDLE = 10_000;
const FANOUT = 1_000;
const ROUNDS = 30;

const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)[1]) * 1024;

async function gql(server, query, variables = {}) {
  const res = await fetch(`${server.base}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** One subscriber of `contentChanged`; `onChange(articleId)` for each change it hears. */
function subscriber(server, onChange) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data);
      if (msg.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { contentChanged { kind articleId } }' } }));
        resolve(ws);
      } else if (msg.type === 'next') {
        onChange(msg.payload.data.contentChanged.articleId);
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      }
    });
    ws.on('error', reject);
  });
}

async function open(server, n, onChange) {
  const sockets = [];
  for (let i = 0; i < n; i += 250) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, n - i) }, () => subscriber(server, onChange)))));
  }
  return sockets;
}

const settle = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function main() {
  if (!process.argv.includes('--no-build')) {
    execFileSync('cargo', ['build', '--release', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  }
  const pg = process.argv.indexOf('--postgres');
  const work = mkdtempSync(join(tmpdir(), 'colophon-live-bench-'));
  const databaseUrl = pg > 0 ? process.argv[pg + 1] : `sqlite://${work}/live.db?mode=rwc`;
  const server = await startDemo(databaseUrl, {
    COLOPHON_WS_MAX_CONNECTIONS_PER_CLIENT: String(IDLE + 100),
    COLOPHON_RATE_LIMIT_READS: 'off',
  });
  try {
    const { createArticle } = await gql(server, 'mutation { createArticle(input: { title: "Fan-out", body: "Text." }) { id } }');
    const id = createArticle.id;
    await gql(server, 'mutation($id: ID!) { publishArticle(id: $id) { id } }', { id });

    // Memory: the server warmed by one subscriber, then with 10,000 idle ones.
    const warm = await open(server, 1, () => {});
    await settle(1000);
    const before = rss(server.child.pid);
    const idle = await open(server, IDLE, () => {});
    await settle(2000);
    const after = rss(server.child.pid);
    for (const ws of [...warm, ...idle]) ws.terminate();
    await settle(2000);

    // Latency: one update of a published article, heard by 1,000 subscribers, 30 times.
    let sent = 0;
    let round = [];
    const subscribers = await open(server, FANOUT, (articleId) => {
      if (articleId === id && sent) round.push(performance.now() - sent);
    });
    await settle(1000);
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      round = [];
      sent = performance.now();
      await gql(server, 'mutation($id: ID!, $b: String) { updateArticle(id: $id, input: { body: $b }) { id } }', { id, b: `Round ${r}.` });
      const deadline = Date.now() + 10_000;
      while (round.length < FANOUT && Date.now() < deadline) await settle(5);
      if (round.length < FANOUT) throw new Error(`round ${r}: ${round.length} of ${FANOUT} heard the change`);
      rounds.push({ p50: percentile(round, 50), p99: percentile(round, 99), last: Math.max(...round) });
      sent = 0;
      await settle(200);
    }
    for (const ws of subscribers) ws.terminate();

    const perSubscriber = (after - before) / IDLE;
    const p99s = rounds.map((r) => r.p99);
    const lines = [
      `# Live updates: ${IDLE.toLocaleString('en')} idle subscribers, fan-out to ${FANOUT.toLocaleString('en')}`,
      '',
      `${new Date().toISOString()} · ${databaseUrl.split(':')[0]} · release build · server and clients on the same 2-core machine`,
      '',
      '| measure | value |',
      '|---|---|',
      `| server memory, 1 subscriber | ${(before / 1048576).toFixed(1)} MiB |`,
      `| server memory, ${IDLE.toLocaleString('en')} idle subscribers | ${(after / 1048576).toFixed(1)} MiB |`,
      `| per idle subscriber | ${(perSubscriber / 1024).toFixed(1)} KiB |`,
      `| publish → ${FANOUT.toLocaleString('en')} subscribers, p99 of each round (median of ${ROUNDS} rounds) | ${percentile(p99s, 50).toFixed(1)} ms |`,
      `| … worst round's p99 | ${Math.max(...p99s).toFixed(1)} ms |`,
      `| … median round's p50 | ${percentile(rounds.map((r) => r.p50), 50).toFixed(1)} ms |`,
      '',
      'Latency runs from sending the mutation (HTTP) to each `next` message: it includes the write, the',
      "change log's read (a write through this instance wakes it at once), and encoding one message per subscriber.",
      '',
    ];
    const out = join(ROOT, 'bench/results');
    mkdirSync(out, { recursive: true });
    const file = join(out, `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}-live.md`);
    writeFileSync(file, lines.join('\n'));
    console.log(lines.join('\n'));
    console.log(`written to ${file}`);
  } finally {
    server.child.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
