// Signed distances of the three shape types and their gradients with respect
// to the shape's metric parameters (raw slot order). Geometry per shape:
// g0, g1 as written by decodeShape (params.wgsl).

struct SdfGrad {
  d: f32,
  ga: vec4f, // slots 0..3
  gb: vec4f, // slots 4..7 (7, the fill, stays 0 here)
}

fn circleSdf(g0: vec4f, p: vec2f) -> SdfGrad {
  let d = p - g0.xy;
  let q = sqrt(dot(d, d) + 1e-10);
  return SdfGrad(q - g0.z, vec4f(-d.x / q, -d.y / q, -1.0, 0.0), vec4f(0.0));
}

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

fn triangleSdf(g0: vec4f, g1: vec4f, p: vec2f) -> SdfGrad {
  let vs = array<vec2f, 3>(g0.xy, g0.zw, g1.xy);
  var best = 3.4e38;
  var e = 0u;
  var pos = 0u;
  var neg = 0u;
  for (var k = 0u; k < 3u; k++) {
    let a = vs[k];
    let ed = vs[(k + 1u) % 3u] - a;
    let w = p - a;
    let t = clamp(dot(w, ed) / (dot(ed, ed) + 1e-8), 0.0, 1.0);
    let r = w - t * ed;
    let dist = sqrt(dot(r, r));
    if (dist < best) {
      best = dist;
      e = k;
    }
    let cr = ed.x * w.y - ed.y * w.x;
    pos += select(0u, 1u, cr > 0.0);
    neg += select(0u, 1u, cr < 0.0);
  }
  let inside = pos == 3u || neg == 3u;
  var out = SdfGrad(select(best, -best, inside), vec4f(0.0), vec4f(0.0));
  if (best == 0.0) {
    return out;
  }
  let sg = select(1.0, -1.0, inside);
  let a = vs[e];
  let ed = vs[(e + 1u) % 3u] - a;
  let w = p - a;
  let E = dot(ed, ed) + 1e-8;
  let we = dot(w, ed);
  let tRaw = we / E;
  let t = clamp(tRaw, 0.0, 1.0);
  let r = w - t * ed;
  let gr = sg * r / best;
  var gw = gr;
  var ge = -t * gr;
  if (tRaw >= 0.0 && tRaw <= 1.0) {
    let gt = -dot(gr, ed);
    gw += gt * ed / E;
    ge += gt * (w / E - 2.0 * we * ed / (E * E));
  }
  // w = pixel - v_a, e = v_b - v_a
  var g = array<f32, 6>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let ia = 2u * e;
  let ib = 2u * ((e + 1u) % 3u);
  g[ia] -= gw.x + ge.x;
  g[ia + 1u] -= gw.y + ge.y;
  g[ib] += ge.x;
  g[ib + 1u] += ge.y;
  out.ga = vec4f(g[0], g[1], g[2], g[3]);
  out.gb = vec4f(g[4], g[5], 0.0, 0.0);
  return out;
}

fn shapeSdfGrad(t: u32, g0: vec4f, g1: vec4f, p: vec2f) -> SdfGrad {
  if (t == 0u) {
    return circleSdf(g0, p);
  }
  if (t == 1u) {
    return ellipseSdf(g0, g1, p);
  }
  return triangleSdf(g0, g1, p);
}

// The value alone: the forward pass lets the compiler drop the gradient math.
fn shapeSdf(t: u32, g0: vec4f, g1: vec4f, p: vec2f) -> f32 {
  return shapeSdfGrad(t, g0, g1, p).d;
}
