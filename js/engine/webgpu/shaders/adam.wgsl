// One workgroup closes the step: per shape the chunk sums of the gradient
// (metric -> raw chain rule) plus the priors' value and gradient, then the
// total loss, best-state tracking, global gradient-norm clipping, the skip of
// non-finite steps, Adam over the movable shapes, and the geometry of the new
// parameters. A step index at or past dims.nSteps only scores the parameters
// (the run's final evaluation).
// opt holds m | v | best | grad | evaluated, n = nShapes * STRIDE floats each;
// sched[step] = (lr, tau, loss written here, 0); terms = (image loss sums,
// then the priors of each shape), kept for the readback's breakdown.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;
@group(0) @binding(2) var<storage, read_write> raw: array<f32>;
@group(0) @binding(3) var<storage, read> types: array<u32>;
@group(0) @binding(11) var<storage, read> partial2: array<vec4f>;
@group(0) @binding(12) var<storage, read_write> opt: array<f32>;
@group(0) @binding(13) var<storage, read_write> sched: array<vec4f>;
@group(0) @binding(15) var<storage, read_write> terms: array<vec4f>;
@group(0) @binding(16) var<storage, read_write> geo: array<vec4f>;

const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const ADAM_EPS: f32 = 1e-8;
const CLIP_NORM: f32 = 1.0;

var<workgroup> red: array<vec2f, 256>;
var<workgroup> imageSums: vec4f;
var<workgroup> farScan: array<vec4f, 256>;
var<workgroup> farScanZ: array<vec4f, 256>;

// tiled path with a translucent shape (backward_tiled.wgsl): shape i's change
// of Z, (f_i - B_i)(F - a lo E) per channel, from its direct fills and aff[i]
// (after the shape columns, loss and far-field sums: reduce_tiled.wgsl)
fn farDeltaZ(i: u32) -> vec3f {
  let sc = dims.shapeCols;
  let f = vec3f(geo[GEO * i + 1u].w, geo[GEO * i + 4u].xy);
  let direct = vec3f(partial2[sc * i + 1u].w, partial2[sc * i + 2u].xy);
  return (f - partial2[sc * dims.nShapes + 2u + i].yzw) * direct;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let S = dims.nShapes;
  let n = S * STRIDE;
  let step = state[ST_STEP];
  let bestLoss = bitcast<f32>(state[ST_BEST_LOSS]);
  let adamT = state[ST_ADAM_T];

  // part = (weighted priors, squared gradient norm over movable shapes)
  var part = vec2f(0.0);
  let sc = dims.shapeCols;
  // each invocation takes a contiguous block of shapes (the tiled path's
  // far-field terms are summed over shapes in paint order)
  let per = (S + 255u) / 256u;
  let k0 = min(S, li * per);
  let k1 = min(S, k0 + per);
  // tiled path: the far-field fill sums of the shapes before k0, per channel
  // (backward_tiled.wgsl: the tiles' bottom segments, then the terms D)
  var far = vec3f(0.0);
  if (dims.tiled == 1u) {
    var run = vec3f(0.0);
    for (var k = k0; k < k1; k++) {
      run += partial2[sc * k + sc - 1u].xyz;
    }
    farScan[li] = vec4f(run, 0.0);
    for (var w = 1u; w < 256u; w <<= 1u) {
      workgroupBarrier();
      var before = vec3f(0.0);
      if (li >= w) {
        before = farScan[li - w].xyz;
      }
      workgroupBarrier();
      run += before;
      farScan[li] = vec4f(run, 0.0);
    }
    workgroupBarrier();
    if (li > 0u) {
      far = farScan[li - 1u].xyz;
    }
    far += partial2[sc * S + 1u].xyz;
  }
  // and the Z sums of the far-field opacity gradient, the same way (the
  // bottom segments' Z is the background times their Y)
  var farZ = vec3f(0.0);
  if (dims.tiled == 1u && dims.translucent == 1u) {
    var run = vec3f(0.0);
    for (var k = k0; k < k1; k++) {
      run += farDeltaZ(k);
    }
    farScanZ[li] = vec4f(run, 0.0);
    for (var w = 1u; w < 256u; w <<= 1u) {
      workgroupBarrier();
      var before = vec3f(0.0);
      if (li >= w) {
        before = farScanZ[li - w].xyz;
      }
      workgroupBarrier();
      run += before;
      farScanZ[li] = vec4f(run, 0.0);
    }
    workgroupBarrier();
    if (li > 0u) {
      farZ = farScanZ[li - 1u].xyz;
    }
    farZ += vec3f(dims.background, dims.backgroundG, dims.backgroundB) * partial2[sc * S + 1u].xyz;
  }
  for (var k = k0; k < k1; k++) {
    var ga = vec4f(0.0);
    var gb = vec4f(0.0);
    var gc = vec2f(0.0);
    var go = 0.0;
    for (var c = 0u; c < dims.chunks; c++) {
      ga += partial2[c * dims.cols + sc * k];
      gb += partial2[c * dims.cols + sc * k + 1u];
    }
    // a third column (colour, or a translucent shape; the tiled path's far terms come after it)
    let opacityCol = sc == 3u + dims.tiled;
    if (dims.nc == 3u || opacityCol) {
      // the G and B fills (raw slots 8, 9; 0 in grey) and the opacity (slot 10)
      var g3 = vec4f(0.0);
      for (var c = 0u; c < dims.chunks; c++) {
        g3 += partial2[c * dims.cols + sc * k + 2u];
      }
      gc = g3.xy;
      if (opacityCol) {
        go = g3.z;
      }
    }
    if (dims.tiled == 1u) {
      // the fill gradient where shape k has the far-field coverage: a lo / aff[k + 1].A in w
      let d = partial2[sc * k + sc - 1u];
      far += d.xyz;
      gb.w += d.w * far.x;
      if (dims.nc == 3u) {
        gc += d.w * far.yz;
      }
      if (dims.translucent == 1u) {
        // the opacity's gradient where shape k is far: lo / aff[k + 1].A ((f_k - B_k) Y - aff[k].A Z),
        // lo / aff[k + 1].A being d.w over a
        let ab = partial2[sc * S + 2u + k];
        let f = vec3f(geo[GEO * k + 1u].w, geo[GEO * k + 4u].xy);
        farZ += farDeltaZ(k);
        go += d.w / geo[GEO * k + 5u].x * (dot(f - ab.yzw, far) - ab.x * (farZ.x + farZ.y + farZ.z));
      }
    }
    // an opaque shape's derivative is 0: its opacity never moves
    go *= geo[GEO * k + 5u].y;
    if (dims.nc == 3u) {
      gc *= geo[GEO * k + 4u].zw;
    }
    let pr = shapePrior(k, dims.wPerim, dims.wDegen, dims.wCanvas);
    ga = ga * geo[GEO * k + 2u] + pr.ga;
    gb = gb * geo[GEO * k + 3u] + pr.gb;
    terms[1u + k] = vec4f(pr.value, 0.0);
    part.x += dims.wPerim * pr.value.x + dims.wDegen * pr.value.y + dims.wCanvas * pr.value.z;
    if ((types[k] & FROZEN_BIT) == 0u) {
      part.y += dot(ga, ga) + dot(gb, gb) + dot(gc, gc) + go * go;
    }
    let o = 3u * n + k * STRIDE;
    opt[o] = ga.x;
    opt[o + 1u] = ga.y;
    opt[o + 2u] = ga.z;
    opt[o + 3u] = ga.w;
    opt[o + 4u] = gb.x;
    opt[o + 5u] = gb.y;
    opt[o + 6u] = gb.z;
    opt[o + 7u] = gb.w;
    opt[o + 8u] = gc.x;
    opt[o + 9u] = gc.y;
    opt[o + 10u] = go;
  }
  if (li == 0u) {
    var l = vec4f(0.0);
    for (var c = 0u; c < dims.chunks; c++) {
      l += partial2[c * dims.cols + dims.shapeCols * S];
    }
    imageSums = l;
    terms[0] = l;
  }
  red[li] = part;
  storageBarrier();
  workgroupBarrier();
  for (var w = 128u; w > 0u; w >>= 1u) {
    if (li < w) {
      red[li] += red[li + w];
    }
    workgroupBarrier();
  }
  let sums = red[0];
  let img = imageSums;
  let loss = dims.wMse * img.x * dims.invN + dims.wEdge * img.y * dims.invN + dims.wSsim * (1.0 - img.z * dims.invN) + sums.x;
  let norm = sqrt(sums.y);
  let finite = isFinite(loss) && isFinite(norm);
  let update = finite && step < dims.nSteps;
  let better = isFinite(loss) && loss < bestLoss;

  for (var q = li; q < n; q += 256u) {
    opt[4u * n + q] = raw[q];
    if (better) {
      opt[2u * n + q] = raw[q];
    }
  }
  if (update) {
    let t = f32(adamT + 1u);
    let c1 = 1.0 - pow(BETA1, t);
    let c2 = 1.0 - pow(BETA2, t);
    let clipScale = min(1.0, CLIP_NORM / (norm + 1e-6));
    let lr = sched[step].x;
    for (var q = li; q < n; q += 256u) {
      if ((types[q / STRIDE] & FROZEN_BIT) == 0u) {
        let g = opt[3u * n + q] * clipScale;
        let m = BETA1 * opt[q] + (1.0 - BETA1) * g;
        let v = BETA2 * opt[n + q] + (1.0 - BETA2) * g * g;
        opt[q] = m;
        opt[n + q] = v;
        raw[q] -= lr * (m / c1) / (sqrt(v / c2) + ADAM_EPS);
      }
    }
  }
  storageBarrier();
  workgroupBarrier();
  for (var k = li; k < S; k += 256u) {
    decodeShape(k, dims.sx, dims.sy);
  }
  if (li == 0u) {
    sched[step].z = loss;
    if (better) {
      state[ST_BEST_LOSS] = bitcast<u32>(loss);
      state[ST_BEST_STEP] = step;
    }
    if (update) {
      state[ST_ADAM_T] = adamT + 1u;
    } else if (step < dims.nSteps) {
      state[ST_SKIPPED] += 1u;
    }
    state[ST_STEP] = step + 1u;
  }
}
