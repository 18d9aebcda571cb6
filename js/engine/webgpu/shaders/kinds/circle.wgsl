// The circle kind. geo: g0 = (cx, cy, r, 0), g1 = (0, 0, 0, fill).

fn circleSdf(g0: vec4f, g1: vec4f, p: vec2f) -> SdfGrad {
  let d = p - g0.xy;
  let q = sqrt(dot(d, d) + 1e-10);
  return SdfGrad(q - g0.z, vec4f(-d.x / q, -d.y / q, -1.0, 0.0), vec4f(0.0));
}

// g1.xyz of the geometry from the decoded metric slots
fn circleGeo1(v: array<f32, 8>, raw4: f32) -> vec3f {
  return vec3f(v[4], v[5], 0.0);
}

// (x0, x1, y0, y1): outside it the SDF is at least `reach`
fn circleBox(g0: vec4f, g1: vec4f, reach: f32) -> vec4f {
  let h = g0.z + reach;
  return vec4f(g0.x - h, g0.x + h, g0.y - h, g0.y + h);
}

// priors on the scene values v (slot order); g: d(weighted priors)/d v
fn circlePrior(v: array<f32, 8>, wPerim: f32, wDegen: f32, wCanvas: f32) -> KindPrior {
  var g = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  g[2] += wPerim * 2.0 * PI;
  let perim = 2.0 * PI * v[2];
  let canvas = roundCanvas(v, 2u, wCanvas, &g);
  return KindPrior(vec3f(perim, 0.0, canvas), g);
}
