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

/**
 * The request did not get through (offline, the server down, a proxy's error page, too many
 * requests for now): nothing was done, and the same request may be tried again, after
 * `retryAfter` seconds when the server said.
 */
export class NetworkError extends Error {
  constructor(message, retryAfter = null) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

/** GraphQL codes that say "not now" rather than "no". */
const PASSING = new Set(['RATE_LIMITED', 'INTERNAL_SERVER_ERROR']);

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

/** Seconds from a Retry-After header, or null. */
function retryAfter(res) {
  const n = Number(res.headers.get('retry-after'));
  return Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * A new access token from the cookie; false when there is no session (or it ended). A
 * refusal for a passing reason (too many attempts, a server error) throws a NetworkError
 * and keeps the session. Tabs take turns (a Web Lock), so two never spend one cookie.
 */
export async function refresh() {
  if (!refreshing) {
    const once = async () => {
      const { res, body } = await fetchJson('/api/v1/auth/refresh', { method: 'POST' });
      // No session (no cookie, or an ended one: 401): sign in. Too many attempts or a
      // server error: the session may be fine, try again later.
      if (res.status >= 400 && res.status < 500 && res.status !== 429) {
        access = null;
        return false;
      }
      if (!res.ok) throw new NetworkError(body.detail || `the session could not be renewed (${res.status})`, retryAfter(res));
      keep(body);
      return true;
    };
    refreshing = (navigator.locks ? navigator.locks.request('colophon-refresh', once) : once()).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Ends the session: the cookie's sign-in is revoked and the cookie cleared. False when the
 * server could not be told (the cookie is cleared all the same). */
export async function signOut() {
  access = null;
  accessUntil = 0;
  try {
    const { res } = await fetchJson('/api/v1/auth/refresh', { method: 'DELETE' });
    return res.ok;
  } catch {
    return false;
  }
}

/** The access token, renewed first when it is about to expire; null when signed out. For
 * the WebSocket's `connection_init`, which cannot carry an Authorization header. */
export async function accessToken() {
  if (access && Date.now() > accessUntil) await refresh();
  return access;
}

export function signedIn() {
  return access !== null;
}

async function post(query, variables) {
  if (access && Date.now() > accessUntil) await refresh();
  const headers = { 'content-type': 'application/json' };
  if (access) headers.authorization = `Bearer ${access}`;
  const { res, body } = await fetchJson('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  if (!('data' in body) && !Array.isArray(body.errors)) {
    // Not a GraphQL answer: a proxy's error page, or a refusal before GraphQL (413).
    if (res.status === 429 || res.status >= 500) {
      throw new NetworkError(`the server is not answering now (${res.status})`, retryAfter(res));
    }
    throw new ApiError([{ message: body.detail || `the request was refused (${res.status})`, extensions: { code: res.status } }]);
  }
  const passing = body.errors?.find((e) => PASSING.has(e.extensions?.code));
  if (passing) throw new NetworkError(passing.message, passing.extensions?.retryAfter ?? retryAfter(res));
  return body;
}

/**
 * Runs a GraphQL operation and returns its `data`, or throws an ApiError (the API refused)
 * or a NetworkError (it did not get through; try again). An ended session is renewed from
 * the cookie, or else the editor is asked to sign in again, and the operation runs once more.
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
