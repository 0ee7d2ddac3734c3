// Live updates over GraphQL's WebSocket (`graphql-transport-ws` on /graphql): the saves of
// the article open in the editor, by anyone, as they are committed. The socket reconnects
// by itself; the server closes it when the access token expires (4403), and the next one
// carries a renewed token. After any gap, `onResume` runs so the editor can look for saves
// it did not hear of.

import { accessToken, refresh } from './api.js';

const EDITED = 'subscription($id: ID!) { articleEdited(id: $id) { version editor at fields trashed } }';

/** Follows the saves of article `id`; returns a function that stops following. */
export function followEdits(id, onEdit, onResume) {
  let socket = null;
  let stopped = false;
  let delay = 1000;
  let timer = null;
  let connected = false;
  let renew = false; // the server refused the token: renew it before the next try
  const open = async () => {
    let token = null;
    try {
      if (renew) await refresh();
      token = await accessToken();
    } catch {
      /* offline: the socket fails too, and is retried */
    }
    renew = false;
    if (stopped) return;
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`, 'graphql-transport-ws');
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { token } : {} }));
    socket.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: 'edits', type: 'subscribe', payload: { query: EDITED, variables: { id } } }));
        if (connected && onResume) onResume(); // saves made while it was away were not heard
        connected = true;
        delay = 1000;
      } else if (msg.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (msg.type === 'next' && msg.payload?.data?.articleEdited) {
        onEdit(msg.payload.data.articleEdited);
      } else if (msg.type === 'error' || msg.type === 'complete' || (msg.type === 'next' && msg.payload?.errors)) {
        // Ended (fell behind, a passing error, no longer allowed): start again, later. Every
        // save still checks the version it is based on meanwhile.
        socket.close(1000);
      }
    };
    socket.onclose = (ev) => {
      socket = null;
      if (stopped) return;
      renew = ev.code === 4403;
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (socket) socket.close(1000);
  };
}
