// Work sizes of one step: 16x16 pixel tiles, and the rows of per-subgroup
// partial gradient sums that the backward pass writes and reduce.wgsl sums.

export const TILE = 16;
/**
 * Backward rows per invocation: about 64K invocations in all. On the H100,
 * 256x256 x 35 shapes ran best with 1 (0.081 ms per step; 2: 0.087, 4: 0.109)
 * and 512x512 x 100 with 4 (0.332; 2: 0.354, 1: 0.404).
 */
export function defaultPixelsPerThread(width, height) {
  let pix = 1;
  while (pix < 4 && (width * height) / pix > 65536) pix *= 2;
  return pix;
}
/** Cap on the partial-sum buffer: beyond it each invocation takes more pixels. */
const PARTIALS_CAP = 256 * 1024 * 1024;

/**
 * Work sizes for a width x height target with nShapes shapes.
 * pixelsPerThread: rows each backward invocation walks (fewer partial-sum rows).
 * channels: 1 grey, 3 RGB (a third vec4 column per shape for the G, B fills).
 */
export function planLayout(width, height, nShapes, minSubgroup, maxBinding, pixelsPerThread, channels = 1) {
  const shapeCols = channels === 3 ? 3 : 2;
  const cols = shapeCols * nShapes + 1;
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
    p = plan(defaultPixelsPerThread(width, height));
    while (p.bytes > cap && p.pix < 64) p = plan(p.pix * 2);
  }
  if (p.bytes > cap) throw new Error(`WebGPU: ${width}x${height} with ${nShapes} shapes needs ${p.bytes} bytes of partial sums (limit ${cap})`);
  const rowsPerChunk = Math.max(64, Math.ceil(p.rows / 32));
  const chunks = Math.ceil(p.rows / rowsPerChunk);
  return { width, height, nShapes, channels, shapeCols, cols, gx, gy, ...p, rowsPerChunk, chunks };
}

