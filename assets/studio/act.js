// One mutation from a management screen: run it, say what happened, and redraw the screen.
// A refusal is shown as the API words it, next to the field it names when `root` holds that
// field (or in `root`'s own error line), and announced.

import { ApiError, NetworkError, gql } from './api.js';
import { clearErrors, fieldError, toast } from './dom.js';

export async function act(label, query, variables, reload, root = null) {
  if (root) clearErrors(root);
  try {
    await gql(query, variables);
    toast(`${label}.`);
    await reload();
  } catch (e) {
    const why = e instanceof NetworkError ? 'the server cannot be reached; try again' : e.message;
    if (root && e instanceof ApiError) {
      let placed = false;
      for (const [f, message] of Object.entries(e.fields())) {
        placed = fieldError(root, f.replace(/\[\d+\]$/, ''), message) || placed;
      }
      const line = root.querySelector(':scope > .error');
      if (!placed && line) line.textContent = why;
    }
    toast(`Could not ${label.toLowerCase()}: ${why}`, 'error');
  }
}
