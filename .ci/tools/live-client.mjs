// Live updates through `graphql-ws` (the reference client of the graphql-transport-ws
// protocol, pinned in package.json) against a real server:
//   node live-client.mjs http://127.0.0.1:PORT <editor token>
// A public subscriber hears a publication; the editor's articleEdited hears a save, with the
// fields it changed; a client that resumes with syncToken through `sync` misses nothing; a
// forged token is refused with 4403. Waits are bounded; nothing is timed.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node live-client.mjs <server url> <editor token>');
  process.exit(2);
}
const wsUrl = `${base.replace(/^http/, 'ws')}/graphql`;
const deadline = setTimeout(() => {
  console.error('FAIL live updates: the check took longer than 120 s');
  process.exit(1);
}, 120_000);
deadline.unref();

async function gql(query, variables = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** An iterator whose next value can be waited for with a bound, without losing it. */
function reader(iterator) {
  let pending = null;
  return async (ms) => {
    pending ??= iterator.next();
    const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), ms));
    const got = await Promise.race([pending, timer]);
    if (got === 'timeout') return null;
    pending = null;
    if (got.done) throw new Error('the subscription ended');
    if (got.value.errors) throw new Error(`subscription error: ${JSON.stringify(got.value.errors)}`);
    return got.value.data;
  };
}

const fail = (message) => {
  console.error(`FAIL live updates: ${message}`);
  process.exit(1);
};

const publicClient = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
const editorClient = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { token } });

const made = await gql('mutation { createArticle(input: { title: "Heard live", body: "Draft." }) { id version } }');
const id = made.createArticle.id;
const changes = reader(publicClient.iterate({
  query: 'subscription { contentChanged { kind articleId slug syncToken article { title } } }',
}));
const edits = reader(editorClient.iterate({
  query: 'subscription($id: ID!) { articleEdited(id: $id) { version editor fields } }',
  variables: { id },
}));

// The protocol does not say when a subscription is live: save until the editor hears one.
let edit = null;
for (let n = 0; n < 30 && !edit; n++) {
  await gql('mutation($id: ID!, $b: String) { updateArticle(id: $id, input: { body: $b }) { version } }', { id, b: `Draft ${n}.` });
  edit = (await edits(1000))?.articleEdited;
}
if (!edit) fail('articleEdited never heard a save');
if (JSON.stringify(edit.fields) !== '["body"]') fail(`articleEdited said ${JSON.stringify(edit)}`);
console.log(`ok   articleEdited: version ${edit.version} by ${edit.editor}, fields ${edit.fields}`);

// Publish (and take back) until the public subscriber hears it come into view.
let change = null;
for (let n = 0; n < 30 && !change; n++) {
  await gql('mutation($id: ID!) { publishArticle(id: $id) { id } }', { id });
  for (;;) {
    const got = (await changes(1000))?.contentChanged;
    if (!got) break;
    if (got.articleId === id && got.kind === 'PUBLISHED') {
      change = got;
      break;
    }
  }
  if (!change) await gql('mutation($id: ID!) { unpublishArticle(id: $id) { id } }', { id });
}
if (!change) fail('contentChanged never heard the publication');
if (change.article?.title !== 'Heard live' || change.slug !== 'heard-live') fail(`contentChanged said ${JSON.stringify(change)}`);
console.log(`ok   contentChanged: ${change.kind} ${change.slug}`);

// What happens after that change is what `sync` from its token returns.
await gql('mutation($id: ID!) { updateArticle(id: $id, input: { title: "Heard live, again" }) { id } }', { id });
const page = await gql('query($t: String) { sync(token: $t) { items { id title } } }', { t: change.syncToken });
if (!page.sync.items.some((a) => a.id === id && a.title === 'Heard live, again')) fail(`sync after the token: ${JSON.stringify(page)}`);
console.log('ok   syncToken resumes through sync');

// A forged token: the socket is closed with 4403.
const forged = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { token: 'forged.token.value' } });
const refused = await new Promise((resolve) => {
  forged.subscribe({ query: 'subscription { contentChanged { kind } }' }, {
    next: () => resolve('heard something'),
    error: (e) => resolve(e?.code ?? e),
    complete: () => resolve('completed'),
  });
});
if (refused !== 4403) fail(`a forged token was answered with ${JSON.stringify(refused)}, not 4403`);
console.log('ok   a forged token is refused with 4403');

await gql('mutation($id: ID!) { deleteArticle(id: $id) }', { id });
await Promise.all([publicClient.dispose(), editorClient.dispose(), forged.dispose()]);
console.log('live updates: graphql-ws client checks passed');
process.exit(0);
