// Shape priors in scene units (perimeter, triangle degeneracy, staying on the
// canvas), value and weighted gradient with respect to the raw slots; each
// kind's formula is its `<kind>Prior` (kinds/*.wgsl).
// Needs bindings `raw` and `types` in the including entry file.

struct Prior {
  value: vec3f, // perimeter, degeneracy, canvas
  ga: vec4f, // d(weighted priors)/d raw, slots 0..3
  gb: vec4f, // slots 4..7
}

fn shapePrior(k: u32, wPerim: f32, wDegen: f32, wCanvas: f32) -> Prior {
  let t = types[k] & TYPE_MASK;
  let o = k * STRIDE;
  var v = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  var dv = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let slots = kindSlots(t);
  for (var q = 0u; q < 7u; q++) {
    let tr = (slots >> (4u * q)) & 0xfu;
    let x = raw[o + q];
    if (tr == SLOT_X || tr == SLOT_Y) {
      let s = sigm(x);
      v[q] = s;
      dv[q] = s * (1.0 - s);
    } else if (tr == SLOT_LEN) {
      v[q] = softplusF(x);
      dv[q] = sigm(x);
    } else if (tr == SLOT_ANGLE) {
      v[q] = x;
      dv[q] = 1.0;
    }
  }
  let p = kindPrior(t, v, wPerim, wDegen, wCanvas);
  return Prior(
    p.value,
    vec4f(p.g[0] * dv[0], p.g[1] * dv[1], p.g[2] * dv[2], p.g[3] * dv[3]),
    vec4f(p.g[4] * dv[4], p.g[5] * dv[5], p.g[6] * dv[6], 0.0),
  );
}
