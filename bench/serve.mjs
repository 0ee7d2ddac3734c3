// Starts the release binary for a benchmark script: `colophon serve --demo` on a free port,
// resolved once it has printed where it listens and the demo's editor token.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BIN = join(ROOT, 'target/release/colophon');

/** `{ child, base, token, email, password }` of a demo server on `databaseUrl`. */
export function startDemo(databaseUrl, extraEnv = {}) {
  const env = { ...process.env, RUST_LOG: 'colophon=warn', COLOPHON_JWT_SECRET: `bench-${Date.now()}-${Math.random()}`, ...extraEnv };
  for (const k of ['DATABASE_URL', 'COLOPHON_ADDR']) delete env[k];
  const child = spawn(BIN, ['serve', '--demo', '--addr', '127.0.0.1:0', '--database-url', databaseUrl], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const found = { child };
    const lines = createInterface({ input: child.stdout });
    let wantToken = false;
    lines.on('line', (line) => {
      if (wantToken) {
        found.token = line.trim();
        wantToken = false;
        resolve(found);
      }
      const listening = line.match(/^colophon listening on (\S+)/);
      if (listening) found.base = listening[1];
      if (line.includes('studio sign-in')) [found.email, found.password] = line.trim().split(/\s+/).slice(-2);
      if (line.includes('editor token')) wantToken = true;
    });
    child.on('exit', (code) => reject(new Error(`colophon exited (${code}) before it was ready`)));
  });
}
