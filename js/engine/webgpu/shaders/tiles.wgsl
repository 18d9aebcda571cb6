// The tiled path's bookkeeping (boxes.wgsl writes it, bin.wgsl adds the
// tile lists; the tiled forward, backward and reduce passes read it), all
// in the u32 buffer `bins`, which the including entry file declares:
//   header: tau of the step (f32 bits), lo (the far-field coverage
//     sigmoid(-10), f32 bits), slots the step wanted, 0
//   aff[k], k = 0..S: the affine map (A, B_R, B_G, B_B), f32 bits, that
//     shapes 0..k-1 apply where all of them have the far-field coverage:
//     x -> A x + B per channel
//   rect[k]: shape k's tiles, (tx0, ty0, tx1, ty1), the end exclusive
//   (off[k], type[k]): the first of shape k's gradient slots (SPILL: the
//     slot buffer was full, its tiles add into a slot of its own), its kind
//   count[t]: shapes listed on tile t
//   list[t]: those shapes in paint order, S words per tile (any depth fits)
// Slots (`slots`, vec4s): shapeCols columns for each (shape, tile of its
// rect) pair at off[k] + the tile's index in the rect, dims.slotCap pairs;
// then 2 per tile (loss sums, far-field fill sums); then shapeCols per
// shape for the shapes past the cap (SPILL).

const TILE: u32 = 16u;
const SPILL: u32 = 0xffffffffu;
const BIN_TAU: u32 = 0u;
const BIN_LO: u32 = 1u;
const BIN_WANTED: u32 = 2u;

fn tilesX() -> u32 {
  return (dims.width + TILE - 1u) / TILE;
}

fn tileTotal() -> u32 {
  return tilesX() * ((dims.height + TILE - 1u) / TILE);
}

fn affAt(k: u32) -> u32 {
  return 4u + 4u * k;
}

fn rectAt(k: u32) -> u32 {
  return 8u + 4u * dims.nShapes + 4u * k;
}

fn offAt(k: u32) -> u32 {
  return 8u + 8u * dims.nShapes + 2u * k;
}

fn countAt(t: u32) -> u32 {
  return 8u + 10u * dims.nShapes + t;
}

fn listAt(t: u32) -> u32 {
  return 8u + 10u * dims.nShapes + tileTotal() + t * dims.nShapes;
}

fn binF(i: u32) -> f32 {
  return bitcast<f32>(bins[i]);
}

fn aff(k: u32) -> vec4f {
  let i = affAt(k);
  return bitcast<vec4f>(vec4u(bins[i], bins[i + 1u], bins[i + 2u], bins[i + 3u]));
}

fn rectOf(k: u32) -> vec4u {
  let i = rectAt(k);
  return vec4u(bins[i], bins[i + 1u], bins[i + 2u], bins[i + 3u]);
}

// the map of a stretch [a, b) of shapes at the far-field coverage:
// (scale, offset per channel)
fn stretch(a: u32, b: u32) -> vec4f {
  let ma = aff(a);
  let mb = aff(b);
  let r = mb.x / ma.x;
  return vec4f(r, mb.yzw - ma.yzw * r);
}

// vec4 index of the per-tile sums and of a spilled shape's slot
fn tileSumsAt(t: u32) -> u32 {
  return dims.slotCap * dims.shapeCols + 2u * t;
}

fn spillAt(k: u32) -> u32 {
  return dims.slotCap * dims.shapeCols + 2u * tileTotal() + dims.shapeCols * k;
}
