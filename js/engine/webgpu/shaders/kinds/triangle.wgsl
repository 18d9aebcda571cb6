// The triangle kind. geo: g0 = (x0, y0, x1, y1), g1 = (x2, y2, 0, fill).

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

fn triangleGeo1(v: array<f32, 8>, raw4: f32) -> vec3f {
  return vec3f(v[4], v[5], 0.0);
}

// (x0, x1, y0, y1): the vertices' box widened by `reach` (the SDF outside is the distance)
fn triangleBox(g0: vec4f, g1: vec4f, reach: f32) -> vec4f {
  let lo = min(min(g0.xy, g0.zw), g1.xy) - reach;
  let hi = max(max(g0.xy, g0.zw), g1.xy) + reach;
  return vec4f(lo.x, hi.x, lo.y, hi.y);
}

fn trianglePrior(v: array<f32, 8>, wPerim: f32, wDegen: f32, wCanvas: f32) -> KindPrior {
  var g = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  var perim = 0.0;
  var degen = 0.0;
  var canvas = 0.0;
  for (var e = 0u; e < 3u; e++) {
    let a = 2u * e;
    let b = 2u * ((e + 1u) % 3u);
    let dx = v[b] - v[a];
    let dy = v[b + 1u] - v[a + 1u];
    let len = sqrt(dx * dx + dy * dy);
    perim += len;
    degen += max(MIN_EDGE - len, 0.0);
    if (len > 0.0) {
      let dLen = wPerim - wDegen * stepF(MIN_EDGE - len);
      let ux = dLen * dx / len;
      let uy = dLen * dy / len;
      g[b] += ux;
      g[b + 1u] += uy;
      g[a] -= ux;
      g[a + 1u] -= uy;
    }
  }
  for (var q = 0u; q < 6u; q++) {
    canvas += max(v[q] - (1.0 - MARGIN), 0.0) + max(MARGIN - v[q], 0.0);
    g[q] += wCanvas * (stepF(v[q] - (1.0 - MARGIN)) - stepF(MARGIN - v[q]));
  }
  return KindPrior(vec3f(perim, degen, canvas), g);
}
