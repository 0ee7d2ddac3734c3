// The studio's connection to Colophon: the public GraphQL API, and the REST sign-in routes
// for the session. The access token lives only in this module's memory; the refresh token
// in an HttpOnly cookie that no script can read, sent by the browser to the refresh route
// alone. A reload signs in again from that cookie.

let access = null;
let accessUntil = 0;
let needSignIn = null; // () => Promise<void>, resolved once the editor has signed in again
let refreshing = null;

/** An answer the API gave, in words: `errors` as GraphQL gives them. */
export class ApiError extends Error {
  constructor(errors) {
    const list = Array.isArray(errors) ? errors : [{ message: String(errors) }];
    super(list.map((e) => e.message).join('; '));
    this.errors = list;
    this.code = list[0]?.extensions?.code || 'ERROR';
  }

  /** Messages per field (`{ body: 'nests more than …' }`), from `extensions.fields`. */
  fields() {
    const out = {};
    for (const e of this.errors) {
      for (const f of e.extensions?.fields || []) out[f.field] = f.message;
    }
    return out;
  }
}

/** The server could not be reached (offline, or it is down): nothing was saved. */
export class NetworkError extends Error {}

/** Called when the session has ended and a request needs one: shows the sign-in form. */
export function onSignInNeeded(callback) {
  needSignIn = callback;
}

function keep(body) {
  access = body.access_token;
  accessUntil = Date.now() + (body.expires_in - 60) * 1000;
}

async function fetchJson(url, options) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin', ...options });
  } catch (e) {
    throw new NetworkError(e.message || 'network error');
  }
  const text = await res.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { detail: text };
  }
  return { res, body };
}

/** Signs in with email and password; the refresh token goes into the cookie. */
export async function signIn(email, password) {
  const { res, body } = await fetchJson('/api/v1/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, session: 'cookie' }),
  });
  if (!res.ok) throw new ApiError([{ message: body.detail || 'Could not sign in.', extensions: { code: res.status } }]);
  keep(body);
}

/** A new access token from the cookie; false when there is no session (or it ended). */
export async function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const { res, body } = await fetchJson('/api/v1/auth/refresh', { method: 'POST' });
        if (!res.ok) {
          access = null;
          return false;
        }
        keep(body);
        return true;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

/** Ends the session: the cookie's sign-in is revoked and the cookie cleared. */
export async function signOut() {
  access = null;
  accessUntil = 0;
  await fetchJson('/api/v1/auth/refresh', { method: 'DELETE' }).catch(() => {});
}

export function signedIn() {
  return access !== null;
}

async function post(query, variables) {
  if (access && Date.now() > accessUntil) await refresh();
  const headers = { 'content-type': 'application/json' };
  if (access) headers.authorization = `Bearer ${access}`;
  const { body } = await fetchJson('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return body;
}

/**
 * Runs a GraphQL operation and returns its `data`, or throws an ApiError (the API refused)
 * or a NetworkError (it could not be reached). An ended session is renewed from the cookie,
 * or else the editor is asked to sign in again, and the operation runs once more.
 */
export async function gql(query, variables = {}) {
  let body = await post(query, variables);
  if (body.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
    const renewed = await refresh();
    if (!renewed) {
      if (!needSignIn) throw new ApiError(body.errors);
      await needSignIn();
    }
    body = await post(query, variables);
  }
  if (body.errors?.length) throw new ApiError(body.errors);
  return body.data;
}
