// Raw parameters -> metric geometry of one shape, plus the derivative of each
// metric slot with respect to its raw slot. Layout of geo (4 vec4 per shape):
//   circle   g0 = (cx, cy, r, 0)      g1 = (0, 0, 0, fill)
//   ellipse  g0 = (cx, cy, rx, ry)    g1 = (cos a, sin a, a, fill)
//   triangle g0 = (x0, y0, x1, y1)    g1 = (x2, y2, 0, fill)
//   g2, g3 = d metric slot / d raw slot for slots 0..3 and 4..7
// Needs bindings `raw`, `types` and `geo` in the including entry file.

fn decodeShape(k: u32, sx: f32, sy: f32) {
  let t = types[k] & TYPE_MASK;
  let o = k * STRIDE;
  var v = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  var j = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let nPos = select(1u, 3u, t == 2u);
  for (var q = 0u; q < nPos; q++) {
    let sxv = sigm(raw[o + 2u * q]);
    let syv = sigm(raw[o + 2u * q + 1u]);
    v[2u * q] = sxv * sx;
    j[2u * q] = sxv * (1.0 - sxv) * sx;
    v[2u * q + 1u] = syv * sy;
    j[2u * q + 1u] = syv * (1.0 - syv) * sy;
  }
  if (t != 2u) {
    let nRad = select(1u, 2u, t == 1u);
    for (var q = 0u; q < nRad; q++) {
      let x = raw[o + 2u + q];
      v[2u + q] = softplusF(x);
      j[2u + q] = sigm(x);
    }
  }
  var g1 = vec4f(v[4], v[5], 0.0, 0.0);
  if (t == 1u) {
    let a = raw[o + 4u];
    let sc = sinCos(a);
    g1 = vec4f(sc.y, sc.x, a, 0.0);
    j[4] = 1.0;
  }
  let f = sigm(raw[o + 7u]);
  g1.w = f;
  j[7] = f * (1.0 - f);
  geo[4u * k] = vec4f(v[0], v[1], v[2], v[3]);
  geo[4u * k + 1u] = g1;
  geo[4u * k + 2u] = vec4f(j[0], j[1], j[2], j[3]);
  geo[4u * k + 3u] = vec4f(j[4], j[5], j[6], j[7]);
}
