// Puts `nodes` into `parent` in the given order with as few DOM moves as possible: nodes
// on the longest run already in order stay, the rest move (as keyed lists in Vue or Inferno
// do). Moving a table row detaches and re-attaches its whole subtree, SVG included, so with
// 500 rows re-sorted every second the number of moves is what costs.

/** @param parent element whose children are exactly `nodes` in some order */
export function reorderChildren(parent, nodes) {
  const position = new Map();
  let i = 0;
  for (let child = parent.firstElementChild; child; child = child.nextElementSibling) position.set(child, i++);
  const current = nodes.map((n) => position.get(n) ?? -1);
  const keep = longestIncreasing(current);
  let anchor = null;
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!keep.has(k)) parent.insertBefore(node, anchor);
    anchor = node;
  }
}

/** Indexes of one longest strictly increasing subsequence of `values` (-1 = new, never kept). */
function longestIncreasing(values) {
  const tails = []; // tails[len] = index in values of the smallest tail of a run of length len+1
  const previous = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0) continue;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]] < v) lo = mid + 1;
      else hi = mid;
    }
    previous[i] = lo > 0 ? tails[lo - 1] : -1;
    tails[lo] = i;
  }
  const keep = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) keep.add(i);
  return keep;
}
