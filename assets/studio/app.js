// The studio: sign-in, then a view per route (`#/articles`, `#/articles/12`, …). Every
// read and write goes through Colophon's public API, as any other client's would.

import { ApiError, NetworkError, gql, onSignInNeeded, refresh, signIn, signOut } from './api.js';
import { dialog, fill, h, toast } from './dom.js';
import { articleList } from './list.js';
import { editor } from './editor.js';
import { taxonomy } from './taxonomy.js';
import { people } from './people.js';

const main = document.getElementById('main');
export const session = { me: null };

/** Whatever the current view wants done before it is left (unsaved text). */
let leaving = null;
export function onLeave(check) {
  leaving = check;
}

function signInForm(onDone) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-label': 'Sign in' },
    h('label', { for: 'sign-in-email' }, 'Email'),
    email,
    h('label', { for: 'sign-in-password' }, 'Password'),
    password,
    error,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  email.id = 'sign-in-email';
  password.id = 'sign-in-password';
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    try {
      await signIn(email.value, password.value);
      password.value = '';
      await onDone();
    } catch (e) {
      error.textContent =
        e instanceof NetworkError ? 'The server cannot be reached; try again.' : e.message || 'Could not sign in.';
    }
  });
  return form;
}

async function loadMe() {
  const data = await gql('{ me { id name email role } site { title } }');
  session.me = data.me;
  document.getElementById('who').textContent = data.me
    ? `${data.me.name} (${data.me.role.toLowerCase()}) · ${data.site.title}`
    : '';
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  for (const link of document.querySelectorAll('[data-role="admin"]')) link.hidden = data.me?.role !== 'ADMIN';
}

function showSignIn() {
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('who').textContent = '';
  fill(
    main,
    h('h1', {}, 'Sign in to the studio'),
    signInForm(async () => {
      await loadMe();
      route();
    }),
  );
  main.querySelector('input').focus();
}

// A session that ends mid-work: sign in again in a dialog, over the unsaved text, and the
// requests that needed it go on. Requests that find it ended together share one dialog.
let signingIn = null;
onSignInNeeded(() => {
  signingIn ??= new Promise((resolve) => {
    const d = dialog(
      'Your session has ended',
      h('p', {}, 'Sign in again to go on. Nothing you typed is lost.'),
      signInForm(async () => {
        d.close();
        await loadMe(); // perhaps as someone else
        resolve();
      }),
    );
    d.addEventListener('cancel', (ev) => ev.preventDefault()); // it must be answered
  }).finally(() => {
    signingIn = null;
  });
  return signingIn;
});

let shown = null;

/** Changes the address to what the view now shows (a new article got its id), without
 * going anywhere. */
export function setShown(hash) {
  history.replaceState(null, '', hash);
  shown = hash;
}

async function route() {
  if (leaving && location.hash !== shown && !(await leaving())) {
    history.replaceState(null, '', shown); // stay, with the address of what is shown
    return;
  }
  leaving = null;
  shown = location.hash || '#/articles';
  const [path, query] = (location.hash.slice(1) || '/articles').split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  // Each view draws into its own element: one still loading (or reloading itself after a
  // save) when the address changes draws into a detached element, never over the next view.
  const view = h('div', { class: 'view' }, h('p', { class: 'loading' }, 'Loading…'));
  fill(main, view);
  try {
    if (parts[0] === 'articles' && parts.length === 1) await articleList(view, params);
    else if (parts[0] === 'articles' && parts[1] === 'new') await editor(view, null);
    else if (parts[0] === 'articles') await editor(view, parts[1]);
    else if (parts[0] === 'taxonomy') await taxonomy(view);
    else if (parts[0] === 'people') await people(view);
    else fill(view, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/articles' }, 'Back to the articles')));
  } catch (e) {
    fill(
      view,
      h('h1', {}, 'This page could not be shown'),
      h('p', { role: 'alert' }, e instanceof NetworkError ? 'The server cannot be reached.' : e.message),
      h('button', { type: 'button', onclick: route }, 'Try again'),
    );
  }
  main.focus({ preventScroll: true });
}

document.getElementById('sign-out').addEventListener('click', async () => {
  if (leaving && !(await leaving())) return;
  leaving = null;
  const told = await signOut();
  session.me = null;
  if (told) toast('Signed out.');
  else toast('Signed out in this browser; the server could not be told, so sign out again when it is back.', 'error');
  showSignIn();
});

window.addEventListener('hashchange', route);

(async () => {
  try {
    if (await refresh()) {
      await loadMe();
      await route();
    } else {
      showSignIn();
    }
  } catch (e) {
    if (e instanceof ApiError) showSignIn();
    else fill(main, h('p', { role: 'alert' }, `The server cannot be reached (${e.message}). Reload to try again.`));
  }
})();
