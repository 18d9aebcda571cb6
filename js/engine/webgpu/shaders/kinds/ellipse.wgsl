// The ellipse kind. geo: g0 = (cx, cy, rx, ry), g1 = (cos a, sin a, a, fill).

fn ellipseSdf(g0: vec4f, g1: vec4f, p: vec2f) -> SdfGrad {
  let d = p - g0.xy;
  let c = g1.x;
  let sn = g1.y;
  let xr = c * d.x + sn * d.y;
  let yr = -sn * d.x + c * d.y;
  let ax = g0.z + 1e-10;
  let ay = g0.w + 1e-10;
  let u = xr / ax;
  let v = yr / ay;
  let q = sqrt(u * u + v * v + 1e-10);
  let k = sqrt(g0.z * g0.w + 1e-10);
  let dU = k * u / q;
  let dV = k * v / q;
  let dXr = dU / ax;
  let dYr = dV / ay;
  return SdfGrad(
    (q - 1.0) * k,
    vec4f(
      -(dXr * c - dYr * sn),
      -(dXr * sn + dYr * c),
      -dU * (u / ax) + (q - 1.0) * g0.w / (2.0 * k),
      -dV * (v / ay) + (q - 1.0) * g0.z / (2.0 * k),
    ),
    vec4f(dXr * yr - dYr * xr, 0.0, 0.0, 0.0),
  );
}

fn ellipseGeo1(v: array<f32, 8>, raw4: f32) -> vec3f {
  let sc = sinCos(raw4);
  return vec3f(sc.y, sc.x, raw4);
}

// (x0, x1, y0, y1): the contour sdf = reach is the ellipse scaled by 1 + reach / sqrt(rx ry)
fn ellipseBox(g0: vec4f, g1: vec4f, reach: f32) -> vec4f {
  let grow = 1.0 + reach / sqrt(g0.z * g0.w + 1e-10);
  let a = g0.z * grow;
  let b = g0.w * grow;
  let hx = sqrt(a * a * g1.x * g1.x + b * b * g1.y * g1.y);
  let hy = sqrt(a * a * g1.y * g1.y + b * b * g1.x * g1.x);
  return vec4f(g0.x - hx, g0.x + hx, g0.y - hy, g0.y + hy);
}

fn ellipsePrior(v: array<f32, 8>, wPerim: f32, wDegen: f32, wCanvas: f32) -> KindPrior {
  var g = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let a = v[2];
  let b = v[3];
  let s = a + b;
  let D = s * s + 1e-8;
  let h = (a - b) * (a - b) / D;
  let r = sqrt(4.0 - 3.0 * h);
  let f = 1.0 + 3.0 * h / (10.0 + r);
  let dfdh = 3.0 / (10.0 + r) + 9.0 * h / (2.0 * r * (10.0 + r) * (10.0 + r));
  let hc = -(a - b) * (a - b) * 2.0 * s / (D * D);
  let dhda = 2.0 * (a - b) / D + hc;
  let dhdb = -2.0 * (a - b) / D + hc;
  let perim = PI * s * f;
  g[2] += wPerim * (PI * f + PI * s * dfdh * dhda);
  g[3] += wPerim * (PI * f + PI * s * dfdh * dhdb);
  let canvas = roundCanvas(v, select(2u, 3u, b > a), wCanvas, &g);
  return KindPrior(vec3f(perim, 0.0, canvas), g);
}
