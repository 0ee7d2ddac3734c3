// Tags, categories and series: rename, merge tags, move categories in the tree, reorder a
// series' parts. What the role may not do, the API refuses, and the refusal is shown.

import { act } from './act.js';
import { gql } from './api.js';
import { fill, h, toast } from './dom.js';

/** A one-field form; `onSave(value, form)`, the form holding the line its errors go on. */
function inline(label, value, onSave) {
  const input = h('input', { type: 'text', value, 'aria-label': label });
  const form = h('form', { class: 'inline' }, input, h('button', { type: 'submit', 'aria-label': `Save ${label.toLowerCase()}` }, 'Save'),
    h('p', { class: 'error', 'aria-live': 'polite' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    onSave(input.value.trim(), form);
  });
  return form;
}

const PART_STATES = ['DRAFT', 'SCHEDULED', 'PUBLISHED', 'ARCHIVED'];

/** Every part of a series that is not in the trash, drafts included, in part order. */
async function allParts(slug) {
  const aliases = PART_STATES.map((s) => `${s.toLowerCase()}: articles(first: 100, filter: { series: $s, status: ${s} }) { nodes { id title seriesPart status } }`);
  const data = await gql(`query($s: String!) { ${aliases.join(' ')} }`, { s: slug });
  return PART_STATES.flatMap((s) => data[s.toLowerCase()].nodes).sort((a, b) => (a.seriesPart ?? 1e9) - (b.seriesPart ?? 1e9));
}

export async function taxonomy(main) {
  const reload = () => taxonomy(main);
  const data = await gql(`{
    tags(first: 100) { nodes { id slug name articleCount } }
    categories { id slug name depth position parent { id } articleCount(includeDescendants: true) }
    seriesList(first: 100) { nodes { id slug title articleCount } }
  }`);
  const tags = data.tags.nodes;
  const tagRows = tags.map((t) => {
    const into = h(
      'select',
      { 'aria-label': `Merge ${t.name} into` },
      h('option', { value: '' }, 'Merge into…'),
      tags.filter((o) => o.id !== t.id).map((o) => h('option', { value: o.id }, o.name)),
    );
    return h(
      'tr',
      {},
      h('td', {}, inline(`Name of tag ${t.name}`, t.name, (name, form) =>
        act('Renamed', 'mutation($id: ID!, $name: String) { updateTag(id: $id, input: { name: $name }) { id } }', { id: t.id, name }, reload, form))),
      h('td', {}, t.slug),
      h('td', {}, String(t.articleCount)),
      h('td', {}, into, h('button', {
        type: 'button',
        onclick: () => into.value && act('Merged', 'mutation($s: ID!, $t: ID!) { mergeTags(sourceId: $s, targetId: $t) { id } }', { s: t.id, t: into.value }, reload),
        'aria-label': `Merge ${t.name}`,
      }, 'Merge'),
      h('button', {
        type: 'button',
        onclick: () => confirm(`Delete the tag ${t.name}?`) && act('Deleted', 'mutation($id: ID!) { deleteTag(id: $id) }', { id: t.id }, reload),
        'aria-label': `Delete the tag ${t.name}`,
        class: 'danger',
      }, 'Delete')),
    );
  });

  const cats = data.categories;
  const catRows = cats.map((c) => {
    const parent = h(
      'select',
      { 'aria-label': `Parent of ${c.name}` },
      h('option', { value: '' }, '(top level)'),
      cats.filter((o) => o.id !== c.id).map((o) => h('option', { value: o.id, selected: c.parent?.id === o.id }, `${'— '.repeat(o.depth)}${o.name}`)),
    );
    const position = h('input', { type: 'number', value: c.position, 'aria-label': `Position of ${c.name}`, class: 'narrow' });
    return h(
      'tr',
      {},
      h('td', {}, `${'— '.repeat(c.depth)}`, inline(`Name of category ${c.name}`, c.name, (name, form) =>
        act('Renamed', 'mutation($id: ID!, $name: String) { updateCategory(id: $id, input: { name: $name }) { id } }', { id: c.id, name }, reload, form))),
      h('td', {}, parent, position, h('button', {
        type: 'button',
        onclick: () => act('Moved', 'mutation($id: ID!, $p: String, $pos: Int) { updateCategory(id: $id, input: { parent: $p, position: $pos }) { id } }',
          { id: c.id, p: parent.value || null, pos: Number(position.value) }, reload),
        'aria-label': `Move ${c.name}`,
      }, 'Move')),
      h('td', {}, String(c.articleCount)),
    );
  });

  const series = data.seriesList.nodes.map((s) => {
    // Parts are loaded when asked for, drafts and scheduled ones too: a hundred series of a
    // hundred parts each would be more than one request may ask.
    let parts = [];
    const list = h('ol', { class: 'parts' });
    const tools = h('div', { class: 'buttons' });
    const draw = (editing) => {
      fill(list, parts.map((a, i) => h('li', {}, `${a.title} (part ${a.seriesPart ?? '?'}${a.status !== 'PUBLISHED' ? `, ${a.status.toLowerCase()}` : ''})`,
        h('button', { type: 'button', 'aria-label': `Move ${a.title} up`, disabled: i === 0, onclick: () => { [parts[i - 1], parts[i]] = [parts[i], parts[i - 1]]; draw(true); } }, '↑'),
        h('button', { type: 'button', 'aria-label': `Move ${a.title} down`, disabled: i === parts.length - 1, onclick: () => { [parts[i + 1], parts[i]] = [parts[i], parts[i + 1]]; draw(true); } }, '↓'))));
      fill(tools, editing
        ? h('button', { type: 'button', onclick: () => act('Reordered', 'mutation($id: ID!, $ids: [ID!]!) { reorderSeries(id: $id, articleIds: $ids) { id } }', { id: s.id, ids: parts.map((a) => a.id) }, reload, section) }, `Save the order of ${s.title}`)
        : h('button', {
            type: 'button',
            onclick: async () => {
              try {
                parts = await allParts(s.slug);
                draw(true);
              } catch (e) {
                toast(`Could not load the parts: ${e.message}`, 'error');
              }
            },
          }, `Reorder the parts of ${s.title}`));
    };
    const section = h(
      'section',
      { class: 'series' },
      inline(`Title of series ${s.title}`, s.title, (title, form) =>
        act('Renamed', 'mutation($id: ID!, $t: String) { updateSeries(id: $id, input: { title: $t }) { id } }', { id: s.id, t: title }, reload, form)),
      h('p', {}, `${s.articleCount} published ${s.articleCount === 1 ? 'part' : 'parts'}`),
      list,
      tools,
      h('p', { class: 'error', 'aria-live': 'polite' }),
    );
    draw(false);
    return section;
  });

  fill(
    main,
    h('h1', {}, 'Tags, categories and series'),
    h('h2', {}, 'Tags'),
    tags.length
      ? h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Slug', 'Published articles', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, tagRows))
      : h('p', {}, 'No tags yet: name them on an article.'),
    h('h2', {}, 'Categories'),
    cats.length
      ? h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Place in the tree', 'Published articles'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, catRows))
      : h('p', {}, 'No categories yet.'),
    h('h2', {}, 'Series'),
    series.length ? series : h('p', {}, 'No series yet.'),
  );
}
