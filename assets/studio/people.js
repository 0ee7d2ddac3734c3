// Admins: accounts (create, change role, disable) and webhooks (with their deliveries).

import { act } from './act.js';
import { gql } from './api.js';
import { field, fill, h, when } from './dom.js';

const ROLES = ['AUTHOR', 'EDITOR', 'ADMIN'];

export async function people(main) {
  const reload = () => people(main);
  const data = await gql(`{ users { id email name role disabled createdAt }
    webhooks { id url events active } }`);
  const run = (label, query, variables, root) => act(label, query, variables, reload, root);
  const users = data.users.map((u) => {
    const role = h('select', { 'aria-label': `Role of ${u.name}` }, ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r.toLowerCase())));
    return h(
      'tr',
      {},
      h('td', {}, u.name),
      h('td', {}, u.email || '(signs in with tokens)'),
      h('td', {}, role, h('button', { type: 'button', onclick: () => run('Role changed', 'mutation($id: ID!, $r: Role) { updateUser(id: $id, input: { role: $r }) { id } }', { id: u.id, r: role.value }) }, 'Change')),
      h('td', {}, u.disabled ? 'disabled' : 'active',
        h('button', { type: 'button', onclick: () => run(u.disabled ? 'Enabled' : 'Disabled', 'mutation($id: ID!, $d: Boolean) { updateUser(id: $id, input: { disabled: $d }) { id } }', { id: u.id, d: !u.disabled }) }, u.disabled ? 'Enable' : 'Disable')),
    );
  });
  const email = h('input', { type: 'email', name: 'email', required: true });
  const name = h('input', { type: 'text', name: 'name', required: true });
  const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r }, r.toLowerCase())));
  const password = h('input', { type: 'password', name: 'password', required: true, autocomplete: 'new-password' });
  const create = h('form', { class: 'create', 'aria-label': 'New account' }, field('Email', email), field('Name', name), field('Role', role),
    field('Password (10 characters or more)', password), h('p', { class: 'error', 'aria-live': 'polite' }), h('button', { type: 'submit' }, 'Create account'));
  create.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run('Account created', 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { email: email.value, name: name.value, role: role.value, password: password.value } }, create);
  });

  const hooks = data.webhooks.map((w) => {
    const log = h('div', { class: 'deliveries' });
    return h(
      'li',
      {},
      h('p', {}, h('strong', {}, w.url), ` · ${w.events.join(', ')} · ${w.active ? 'active' : 'paused'}`),
      h('button', {
        type: 'button',
        'aria-label': `Deliveries of ${w.url}`,
        onclick: async () => {
          let d;
          try {
            d = await gql('query($id: ID!) { webhookDeliveries(webhookId: $id, first: 20) { nodes { id event state attempts lastStatus lastError createdAt } } }', { id: w.id });
          } catch (e) {
            fill(log, h('p', { class: 'error', role: 'alert' }, `The deliveries could not be read: ${e.message}`));
            return;
          }
          fill(log, d.webhookDeliveries.nodes.length
            ? h('table', {}, h('tbody', {}, d.webhookDeliveries.nodes.map((x) => h('tr', {}, h('td', {}, x.event), h('td', {}, x.state), h('td', {}, String(x.attempts)), h('td', {}, x.lastStatus ?? x.lastError ?? ''), h('td', {}, when(x.createdAt))))))
            : h('p', {}, 'No deliveries yet.'));
        },
      }, 'Deliveries'),
      log,
    );
  });

  fill(
    main,
    h('h1', {}, 'Users and webhooks'),
    h('h2', {}, 'Accounts'),
    h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Email', 'Role', 'State'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, users)),
    h('h2', {}, 'New account'),
    create,
    h('h2', {}, 'Webhooks'),
    hooks.length ? h('ul', { class: 'hooks' }, hooks) : h('p', {}, 'No webhooks. Register them through the API (createWebhook).'),
  );
}
