// Work sizes of one step: 16x16 pixel tiles, and the rows of per-subgroup
// partial gradient sums that the backward pass writes and reduce.wgsl sums.

export const TILE = 16;
/** Backward rows per invocation unless the partial sums would not fit. */
export const DEFAULT_PIX = 2;
/** Cap on the partial-sum buffer: beyond it each invocation takes more pixels. */
const PARTIALS_CAP = 256 * 1024 * 1024;

/**
 * Work sizes for a width x height target with nShapes shapes.
 * pixelsPerThread: rows each backward invocation walks (fewer partial-sum rows).
 */
export function planLayout(width, height, nShapes, minSubgroup, maxBinding, pixelsPerThread) {
  const cols = 2 * nShapes + 1;
  const gx = Math.ceil(width / TILE);
  const gy = Math.ceil(height / TILE);
  const cap = Math.min(maxBinding, PARTIALS_CAP);
  const plan = (pix) => {
    const backY = Math.ceil(height / (TILE * pix));
    const backGroups = gx * backY;
    const rows = backGroups * (256 / minSubgroup);
    return { pix, backY, backGroups, rows, bytes: rows * cols * 16 };
  };
  let p;
  if (pixelsPerThread) {
    p = plan(pixelsPerThread);
  } else {
    p = plan(DEFAULT_PIX);
    while (p.bytes > cap && p.pix < 64) p = plan(p.pix * 2);
  }
  if (p.bytes > cap) throw new Error(`WebGPU: ${width}x${height} with ${nShapes} shapes needs ${p.bytes} bytes of partial sums (limit ${cap})`);
  const rowsPerChunk = Math.max(64, Math.ceil(p.rows / 32));
  const chunks = Math.ceil(p.rows / rowsPerChunk);
  return { width, height, nShapes, cols, gx, gy, ...p, rowsPerChunk, chunks };
}

