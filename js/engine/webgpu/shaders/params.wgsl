// Raw parameters -> metric geometry of one shape, plus the derivative of each
// metric slot with respect to its raw slot. Layout of geo (4 vec4 per shape):
//   g0 = metric slots 0..3; g1 = (kindGeo1: the kind's slots 4, 5 or what
//   its SDF needs there, e.g. the ellipse's cos a, sin a, a; then the fill)
//   g2, g3 = d metric slot / d raw slot for slots 0..3 and 4..7
//   g4 = (G fill, B fill, their d / d raw): slots 8 and 9, used in colour
//   g5 = (opacity, its d / d raw, 0, 0): slot 10; (1, 0) for an opaque shape
// The slot transforms come from kindSlots (js/engine/shapes/<kind>.js `slots`).
// Needs bindings `raw`, `types` and `geo` in the including entry file.

fn decodeShape(k: u32, sx: f32, sy: f32) {
  let t = types[k] & TYPE_MASK;
  let o = k * STRIDE;
  var v = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  var j = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let slots = kindSlots(t);
  for (var q = 0u; q < 7u; q++) {
    let tr = (slots >> (4u * q)) & 0xfu;
    let x = raw[o + q];
    if (tr == SLOT_X || tr == SLOT_Y) {
      let s = sigm(x);
      let sc = select(sy, sx, tr == SLOT_X);
      v[q] = s * sc;
      j[q] = s * (1.0 - s) * sc;
    } else if (tr == SLOT_LEN) {
      v[q] = softplusF(x);
      j[q] = sigm(x);
    } else if (tr == SLOT_ANGLE) {
      v[q] = x;
      j[q] = 1.0;
    }
  }
  let f = sigm(raw[o + 7u]);
  j[7] = f * (1.0 - f);
  let fg = sigm(raw[o + 8u]);
  let fb = sigm(raw[o + 9u]);
  geo[GEO * k] = vec4f(v[0], v[1], v[2], v[3]);
  geo[GEO * k + 1u] = vec4f(kindGeo1(t, v, raw[o + 4u]), f);
  geo[GEO * k + 2u] = vec4f(j[0], j[1], j[2], j[3]);
  geo[GEO * k + 3u] = vec4f(j[4], j[5], j[6], j[7]);
  geo[GEO * k + 4u] = vec4f(fg, fb, fg * (1.0 - fg), fb * (1.0 - fb));
  let xa = raw[o + OPACITY_SLOT];
  let a = sigm(xa);
  geo[GEO * k + 5u] = select(vec4f(a, a * (1.0 - a), 0.0, 0.0), vec4f(1.0, 0.0, 0.0, 0.0), xa >= OPAQUE);
}
