// Row bands for the Worker pool: an even first split, and a re-split that
// evens out the measured cost when shapes crowd into some rows.

/**
 * Splits rows [0, height) into at most n contiguous bands of near-equal size.
 * @returns {[number, number][]}
 */
export function splitRows(height, n) {
  const count = Math.max(1, Math.min(n, height));
  const bands = [];
  for (let b = 0; b < count; b++) {
    const y0 = Math.round((b * height) / count);
    const y1 = Math.round(((b + 1) * height) / count);
    if (y1 > y0) bands.push([y0, y1]);
  }
  return bands;
}

/**
 * New boundaries for the same number of bands so that each gets about the
 * same share of `costs` (one per current band, taken as spread evenly over
 * its rows). Every band keeps at least one row.
 * @param {[number, number][]} bands contiguous, covering [0, height)
 * @param {ArrayLike<number>} costs
 * @returns {[number, number][]}
 */
export function balanceRows(bands, costs) {
  const n = bands.length;
  const height = bands[n - 1][1];
  const cumulative = new Float64Array(height + 1);
  bands.forEach(([y0, y1], b) => {
    const density = Math.max(costs[b], 0) / (y1 - y0);
    for (let y = y0; y < y1; y++) cumulative[y + 1] = cumulative[y] + density;
  });
  const total = cumulative[height];
  if (!(total > 0)) return bands.map(([y0, y1]) => [y0, y1]);
  const out = [];
  let start = 0;
  for (let b = 0; b < n - 1; b++) {
    const goal = (total * (b + 1)) / n;
    let y = start + 1;
    const last = height - (n - 1 - b);
    while (y < last && Math.abs(cumulative[y + 1] - goal) <= Math.abs(cumulative[y] - goal)) y++;
    out.push([start, y]);
    start = y;
  }
  out.push([start, height]);
  return out;
}
