// First pass of a tiled step (one workgroup): per shape the tiles its box
// meets (the box outside which |sdf| >= 10 tau, widened by BOX_MARGIN_PX:
// there the coverage is the clamped constant lo), its kind, the affine maps
// of the far field (tiles.wgsl aff) and its first gradient slot. Maps and
// slot offsets are prefix scans over the shapes in paint order: each
// invocation takes a contiguous block of shapes, the blocks meet in a
// workgroup scan. Its layout in `bins`: tiles.wgsl.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read> types: array<u32>;
@group(0) @binding(13) var<storage, read> sched: array<vec4f>;
@group(0) @binding(16) var<storage, read> geo: array<vec4f>;
@group(0) @binding(17) var<storage, read_write> bins: array<u32>;

// Widening of the boxes (pixels) against float32 rounding of the distances,
// as the Wasm kernel's MARGIN_PX.
const BOX_MARGIN_PX: f32 = 0.25;

var<workgroup> scanMap: array<vec4f, 256>;
var<workgroup> scanSlots: array<u32, 256>;

// the map of `first`, then that of `next`
fn compose(first: vec4f, next: vec4f) -> vec4f {
  return vec4f(next.x * first.x, next.x * first.yzw + next.yzw);
}

// tiles whose pixel centres may lie in the metric box (x0, x1, y0, y1),
// one pixel more on each side; every tile for a box that is not finite
fn tileRect(b: vec4f) -> vec4u {
  let gx = tilesX();
  let gy = (dims.height + TILE - 1u) / TILE;
  if (!(isFinite(b.x) && isFinite(b.y) && isFinite(b.z) && isFinite(b.w))) {
    return vec4u(0u, 0u, gx, gy);
  }
  let L = f32(max(dims.width, dims.height));
  let lo = floor(vec2f(b.x, b.z) * L - 0.5);
  let hi = ceil(vec2f(b.y, b.w) * L - 0.5);
  let last = vec2f(f32(dims.width - 1u), f32(dims.height - 1u));
  if (hi.x < 0.0 || hi.y < 0.0 || lo.x > last.x || lo.y > last.y || hi.x < lo.x || hi.y < lo.y) {
    return vec4u(0u);
  }
  let a = vec2u(clamp(lo, vec2f(0.0), last));
  let c = vec2u(clamp(hi, vec2f(0.0), last));
  return vec4u(a / TILE, c / TILE + 1u);
}

// shape k's map where its coverage is lo: it paints alpha = a lo (a = 1 when opaque)
fn farMap(k: u32, lo: f32) -> vec4f {
  let f = vec3f(geo[GEO * k + 1u].w, geo[GEO * k + 4u].xy);
  let alpha = geo[GEO * k + 5u].x * lo;
  return vec4f(1.0 - alpha, alpha * f);
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let S = dims.nShapes;
  let tau = sched[state[ST_STEP]].y;
  // as the per-pixel passes compute it (z = 11 clamps to 10), not folded at compile time
  let lo = coverage(11.0 * tau, tau).c;
  let reach = 10.0 * tau + BOX_MARGIN_PX * dims.invL;
  let per = (S + 255u) / 256u;
  let k0 = min(S, li * per);
  let k1 = min(S, k0 + per);
  var m = vec4f(1.0, 0.0, 0.0, 0.0);
  var n = 0u;
  for (var k = k0; k < k1; k++) {
    let t = types[k] & TYPE_MASK;
    let r = tileRect(shapeBox(t, geo[GEO * k], geo[GEO * k + 1u], reach));
    let i = rectAt(k);
    bins[i] = r.x;
    bins[i + 1u] = r.y;
    bins[i + 2u] = r.z;
    bins[i + 3u] = r.w;
    bins[offAt(k) + 1u] = t;
    n += (r.z - r.x) * (r.w - r.y);
    m = compose(m, farMap(k, lo));
  }
  scanMap[li] = m;
  scanSlots[li] = n;
  for (var w = 1u; w < 256u; w <<= 1u) {
    workgroupBarrier();
    var pm = vec4f(1.0, 0.0, 0.0, 0.0);
    var pn = 0u;
    if (li >= w) {
      pm = scanMap[li - w];
      pn = scanSlots[li - w];
    }
    workgroupBarrier();
    m = compose(pm, m);
    n += pn;
    scanMap[li] = m;
    scanSlots[li] = n;
  }
  workgroupBarrier();
  var at = vec4f(1.0, 0.0, 0.0, 0.0);
  var off = 0u;
  if (li > 0u) {
    at = scanMap[li - 1u];
    off = scanSlots[li - 1u];
  }
  for (var k = k0; k < k1; k++) {
    let i = affAt(k);
    bins[i] = bitcast<u32>(at.x);
    bins[i + 1u] = bitcast<u32>(at.y);
    bins[i + 2u] = bitcast<u32>(at.z);
    bins[i + 3u] = bitcast<u32>(at.w);
    let r = rectOf(k);
    let nk = (r.z - r.x) * (r.w - r.y);
    bins[offAt(k)] = select(SPILL, off, off + nk <= dims.slotCap);
    off += nk;
    at = compose(at, farMap(k, lo));
  }
  if (li == 255u) {
    let i = affAt(S);
    bins[i] = bitcast<u32>(m.x);
    bins[i + 1u] = bitcast<u32>(m.y);
    bins[i + 2u] = bitcast<u32>(m.z);
    bins[i + 3u] = bitcast<u32>(m.w);
    bins[BIN_TAU] = bitcast<u32>(tau);
    bins[BIN_LO] = bitcast<u32>(lo);
    bins[BIN_WANTED] = n;
  }
}
