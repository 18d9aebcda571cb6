// Shared declarations: the run's dimensions, the state slots and small math.
// Every entry file is compiled as header + common + its helpers + itself.

struct Dims {
  width: u32,
  height: u32,
  nShapes: u32,
  nPix: u32,
  // backward workgroups along x and in all (rows of partial sums per workgroup = 256 / subgroup size)
  backGroupsX: u32,
  backGroups: u32,
  // vec4 columns of a partial-sum row: shapeCols per shape (slots 0..7, in colour
  // or with a translucent shape a third: G, B fills, opacity; on the tiled path
  // one more, the far-field terms), then 1 for the loss sums (tiled: 2, then
  // the far-field sums)
  cols: u32,
  rowsPerChunk: u32,
  chunks: u32,
  nSteps: u32,
  // colour channels (1 grey, 3 RGB) and vec4 columns per shape in a partial-sum row
  // (untiled: 2 for an opaque grey scene, else 3; tiled one more)
  nc: u32,
  shapeCols: u32,
  sx: f32,
  sy: f32,
  invL: f32,
  invN: f32,
  wMse: f32,
  wEdge: f32,
  wSsim: f32,
  wPerim: f32,
  wDegen: f32,
  wCanvas: f32,
  // what compositing starts from (the scene's background): grey, or R, G, B
  background: f32,
  backgroundG: f32,
  backgroundB: f32,
  // 1 on the tiled path (tiles.wgsl; the passes of a step differ)
  tiled: u32,
  // (shape, tile) gradient slots of the tiled path; shapes past them spill
  slotCap: u32,
  // 1 when some shape has opacity < 1: the tiled passes then read each shape's
  // opacity (an opaque scene runs their code of before)
  translucent: u32,
}

// vec4s of geometry per shape (params.wgsl)
const GEO: u32 = 6u;

// Slots of the state buffer (u32 words).
const ST_STEP: u32 = 0u;
const ST_SGSIZE: u32 = 1u;
const ST_BEST_LOSS: u32 = 2u; // f32 bits
const ST_BEST_STEP: u32 = 3u;
const ST_SKIPPED: u32 = 4u;
const ST_ADAM_T: u32 = 5u;

const STRIDE: u32 = 11u;
// raw slot of the opacity, and its fixed opaque value (params.js OPAQUE):
// from there up the opacity is exactly 1 and its derivative 0
const OPACITY_SLOT: u32 = 10u;
const OPAQUE: f32 = 16.0;
const TYPE_MASK: u32 = 0xffu;
const FROZEN_BIT: u32 = 0x100u;

fn isFinite(x: f32) -> bool {
  // bit test: comparisons with NaN may be folded away by driver compilers
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn sigm(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// PyTorch's softplus (linear above 20); its derivative is sigm
fn softplusF(x: f32) -> f32 {
  if (x > 20.0) {
    return x;
  }
  if (x < -15.0) {
    return exp(x);
  }
  return log(1.0 + exp(x));
}

// sin and cos to float precision: the built-ins may be off by 2^-11 (the
// WGSL bound, reached by SwiftShader), which moves rotated ellipse edges.
fn sinCos(a: f32) -> vec2f {
  let q = round(a * 0.636619772);
  let r = (a - q * 1.57079625) - q * 7.54978995e-8;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0))));
  switch (i32(q) & 3) {
    case 0: {
      return vec2f(s, c);
    }
    case 1: {
      return vec2f(c, -s);
    }
    case 2: {
      return vec2f(-s, -c);
    }
    default: {
      return vec2f(-c, s);
    }
  }
}

// Colour images are planar: channel c of pixel q at c * nPix + q.

// Metric coordinates of a pixel centre: lengths in units of the longer side.
fn pixelMetric(i: u32, j: u32, invL: f32) -> vec2f {
  return vec2f((f32(i) + 0.5) * invL, (f32(j) + 0.5) * invL);
}

struct Cover {
  c: f32,
  dc: f32, // d coverage / d sdf, 0 where the clamp is active
}

fn coverage(sdf: f32, tau: f32) -> Cover {
  let z = sdf / tau;
  let zc = clamp(z, -10.0, 10.0);
  let c = 1.0 / (1.0 + exp(zc));
  var dc = 0.0;
  if (abs(z) <= 10.0) {
    dc = -c * (1.0 - c) / tau;
  }
  return Cover(c, dc);
}
