// The difference between two texts, line by line, and word by word inside changed lines:
// Myers' O(ND) algorithm, which is quick when two revisions differ in a few places, as they
// usually do.

/** Past this many edits the trace would outgrow memory: the texts are shown as replaced. */
const MAX_EDITS = 2000;

/** Edits turning `a` into `b`: `{ op: 'same' | 'del' | 'add', item }` in order. */
export function diff(a, b) {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) {
    return [...a.map((item) => ({ op: 'del', item })), ...b.map((item) => ({ op: 'add', item }))];
  }
  // Walk the trace back from the end to recover the path.
  const out = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: 'same', item: a[x - 1] });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) out.push({ op: 'add', item: b[y - 1] });
      else out.push({ op: 'del', item: a[x - 1] });
    }
    x = prevX;
    y = prevY;
  }
  return out.reverse();
}

const words = (line) => line.match(/\s+|[^\s]+/g) || [];

/**
 * Lines of the difference, each `{ op, parts }` where `parts` are `{ op, text }`: a line
 * deleted and one added in its place show which words changed.
 */
export function lineDiff(before, after) {
  const edits = diff(before.split('\n'), after.split('\n'));
  const lines = [];
  for (let i = 0; i < edits.length; i++) {
    const e = edits[i];
    const next = edits[i + 1];
    if (e.op === 'del' && next?.op === 'add') {
      const w = diff(words(e.item), words(next.item));
      lines.push({ op: 'del', parts: w.filter((p) => p.op !== 'add').map((p) => ({ op: p.op, text: p.item })) });
      lines.push({ op: 'add', parts: w.filter((p) => p.op !== 'del').map((p) => ({ op: p.op, text: p.item })) });
      i++;
    } else {
      lines.push({ op: e.op, parts: [{ op: 'same', text: e.item }] });
    }
  }
  return lines;
}
