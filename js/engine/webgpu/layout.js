// Work sizes of one step: 16x16 pixel tiles, and the rows of per-subgroup
// partial gradient sums that the backward pass writes and reduce.wgsl sums;
// on the tiled path the tile lists and (shape, tile) gradient slots.

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
 * translucent: some shape has opacity < 1 (the third column carries the
 * opacity's gradient; an opaque grey scene keeps two).
 */
export function planLayout(width, height, nShapes, minSubgroup, maxBinding, pixelsPerThread, channels = 1, translucent = false) {
  const shapeCols = channels === 3 || translucent ? 3 : 2;
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


/**
 * Shapes from which `tiling: "auto"` takes the tiled path. Below it every
 * pixel walking every shape costs less than the two extra passes (boxes,
 * bin) and the per-shape reduction; measured in docs/engine.md.
 */
export const TILED_MIN_SHAPES = 64;
/** Cap on the tile lists: tiles x shapes words. */
const BINS_CAP = 256 * 1024 * 1024;
/** Cap on the (shape, tile) gradient slots; shapes past it spill (backward_tiled.wgsl). */
const SLOTS_CAP = 256 * 1024 * 1024;

/**
 * Buffer sizes of the tiled path (shaders/tiles.wgsl), or null when the
 * tile lists (a word per tile and shape: any overlap depth fits) would
 * pass the cap or the binding limit; then the untiled path runs.
 * @param {number} width
 * @param {number} height
 * @param {number} nShapes
 * @param {1|3} channels
 * @param {number} maxBinding the device's maxStorageBufferBindingSize
 * @param {boolean} [translucent] some shape has opacity < 1 (grey slots then
 *   carry a third column, as planLayout's, for the opacity's gradient)
 * @returns {{gx: number, gy: number, tiles: number, slotCols: number, cols: number,
 *   binsBytes: number, slotCap: number, slotsBytes: number} | null}
 *   slotCols: vec4 columns per slot (3 opaque grey, else 4); cols: of the reduced row
 *   (slotCols per shape, loss sums, far-field sums, with a translucent shape the
 *   far-field maps, one per shape); slotCap: (shape, tile) slots
 */
export function planTiles(width, height, nShapes, channels, maxBinding, translucent = false) {
  const gx = Math.ceil(width / TILE);
  const gy = Math.ceil(height / TILE);
  const tiles = gx * gy;
  const slotCols = channels === 3 || translucent ? 4 : 3;
  const binsBytes = 4 * (8 + 10 * nShapes + tiles + tiles * nShapes);
  if (binsBytes > Math.min(maxBinding, BINS_CAP)) return null;
  // tile sums and spill slots, in vec4s
  const fixed = 2 * tiles + slotCols * nShapes;
  const room = Math.floor((Math.min(maxBinding, SLOTS_CAP) / 16 - fixed) / slotCols);
  if (room < 1) return null;
  const slotCap = Math.min(nShapes * tiles, room);
  const cols = slotCols * nShapes + 2 + (translucent ? nShapes : 0);
  return { gx, gy, tiles, slotCols, cols, binsBytes, slotCap, slotsBytes: 16 * (slotCap * slotCols + fixed) };
}
