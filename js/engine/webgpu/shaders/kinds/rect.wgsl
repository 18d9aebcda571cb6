// The rotated rectangle kind (exact box SDF). geo: g0 = (cx, cy, w, h),
// g1 = (cos a, sin a, a, fill).

fn rectSdf(g0: vec4f, g1: vec4f, p: vec2f) -> SdfGrad {
  let d = p - g0.xy;
  let c = g1.x;
  let sn = g1.y;
  let xr = c * d.x + sn * d.y;
  let yr = -sn * d.x + c * d.y;
  let q = vec2f(abs(xr), abs(yr)) - 0.5 * g0.zw;
  let m = max(q, vec2f(0.0));
  let outer = sqrt(dot(m, m));
  // d sdf / d q: towards the nearest point outside, the nearest side inside
  var gq = vec2f(select(0.0, 1.0, q.x >= q.y), select(1.0, 0.0, q.x >= q.y));
  if (outer > 0.0) {
    gq = m / outer;
  }
  let gx = gq.x * select(-1.0, 1.0, xr >= 0.0);
  let gy = gq.y * select(-1.0, 1.0, yr >= 0.0);
  return SdfGrad(
    outer + min(max(q.x, q.y), 0.0),
    vec4f(-(gx * c - gy * sn), -(gx * sn + gy * c), -0.5 * gq.x, -0.5 * gq.y),
    vec4f(gx * yr - gy * xr, 0.0, 0.0, 0.0),
  );
}

fn rectGeo1(v: array<f32, 8>, raw4: f32) -> vec3f {
  let sc = sinCos(raw4);
  return vec3f(sc.y, sc.x, raw4);
}

// (x0, x1, y0, y1): the rotated box's extent widened by `reach`
fn rectBox(g0: vec4f, g1: vec4f, reach: f32) -> vec4f {
  let c = abs(g1.x);
  let sn = abs(g1.y);
  let hx = 0.5 * (c * g0.z + sn * g0.w) + reach;
  let hy = 0.5 * (sn * g0.z + c * g0.w) + reach;
  return vec4f(g0.x - hx, g0.x + hx, g0.y - hy, g0.y + hy);
}

// perimeter 2 (w + h); the ellipse's canvas term with half the longer side as the reach
fn rectPrior(v: array<f32, 8>, wPerim: f32, wDegen: f32, wCanvas: f32) -> KindPrior {
  var g = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let side = select(3u, 2u, v[2] >= v[3]);
  let reach = 0.5 * v[side];
  var canvas = 0.0;
  for (var c = 0u; c < 2u; c++) {
    let over = v[c] + reach - (1.0 - MARGIN);
    let under = MARGIN - (v[c] - reach);
    canvas += max(over, 0.0) + max(under, 0.0);
    g[c] += wCanvas * (stepF(over) - stepF(under));
    g[side] += 0.5 * wCanvas * (stepF(over) + stepF(under));
  }
  g[2] += 2.0 * wPerim;
  g[3] += 2.0 * wPerim;
  return KindPrior(vec3f(2.0 * (v[2] + v[3]), 0.0, canvas), g);
}
