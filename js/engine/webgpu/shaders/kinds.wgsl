// What every shape kind's section (kinds/<name>.wgsl) builds on. shaders.js
// compiles the kind sections and the generated dispatch (shapeSdfGrad,
// kindGeo1, kindPrior, kindSlots, from js/engine/shapes/) after this file.

const PI: f32 = 3.14159265358979;
const MARGIN: f32 = 0.05;
const MIN_EDGE: f32 = 0.01;

// slot transforms of kindSlots (4 bits per raw slot, slot 0 lowest)
const SLOT_NONE: u32 = 0u;
const SLOT_X: u32 = 1u;
const SLOT_Y: u32 = 2u;
const SLOT_LEN: u32 = 3u;
const SLOT_ANGLE: u32 = 4u;

// A signed distance and its gradient with respect to the shape's metric
// parameters (raw slot order).
struct SdfGrad {
  d: f32,
  ga: vec4f, // slots 0..3
  gb: vec4f, // slots 4..7 (7, the fill, stays 0 here)
}

// A kind's priors on its scene values: (perimeter, degeneracy, canvas) and
// d(weighted priors)/d value per slot.
struct KindPrior {
  value: vec3f,
  g: array<f32, 8>,
}

fn stepF(x: f32) -> f32 {
  return select(0.0, 1.0, x > 0.0);
}

// The canvas prior of a round shape: centre v[0], v[1], extent v[extentSlot].
fn roundCanvas(v: array<f32, 8>, extentSlot: u32, wCanvas: f32, g: ptr<function, array<f32, 8>>) -> f32 {
  let extent = v[extentSlot];
  var canvas = 0.0;
  for (var c = 0u; c < 2u; c++) {
    let over = v[c] + extent - (1.0 - MARGIN);
    let under = MARGIN - (v[c] - extent);
    canvas += max(over, 0.0) + max(under, 0.0);
    (*g)[c] += wCanvas * (stepF(over) - stepF(under));
    (*g)[extentSlot] += wCanvas * (stepF(over) + stepF(under));
  }
  return canvas;
}

// The value alone: the forward pass lets the compiler drop the gradient math.
fn shapeSdf(t: u32, g0: vec4f, g1: vec4f, p: vec2f) -> f32 {
  return shapeSdfGrad(t, g0, g1, p).d;
}
