// One mutation from a management screen: run it, say what happened, and redraw the screen.
// A refusal (a role that may not, a name taken) is shown as the API words it.

import { gql } from './api.js';
import { toast } from './dom.js';

export async function act(label, query, variables, reload) {
  try {
    await gql(query, variables);
    toast(`${label}.`);
    await reload();
  } catch (e) {
    toast(`Could not ${label.toLowerCase()}: ${e.message}`, 'error');
  }
}
