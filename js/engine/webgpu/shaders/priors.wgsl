// Shape priors in scene units (perimeter, triangle degeneracy, staying on the
// canvas), value and weighted gradient with respect to the raw slots.
// Needs bindings `raw` and `types` in the including entry file.

const PI: f32 = 3.14159265358979;
const MARGIN: f32 = 0.05;
const MIN_EDGE: f32 = 0.01;

struct Prior {
  value: vec3f, // perimeter, degeneracy, canvas
  ga: vec4f, // d(weighted priors)/d raw, slots 0..3
  gb: vec4f, // slots 4..7
}

fn stepF(x: f32) -> f32 {
  return select(0.0, 1.0, x > 0.0);
}

fn shapePrior(k: u32, wPerim: f32, wDegen: f32, wCanvas: f32) -> Prior {
  let t = types[k] & TYPE_MASK;
  let o = k * STRIDE;
  var v = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  var dv = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  var g = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  var perim = 0.0;
  var degen = 0.0;
  var canvas = 0.0;
  if (t == 2u) {
    for (var q = 0u; q < 6u; q++) {
      let s = sigm(raw[o + q]);
      v[q] = s;
      dv[q] = s * (1.0 - s);
    }
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
  } else {
    for (var q = 0u; q < 2u; q++) {
      let s = sigm(raw[o + q]);
      v[q] = s;
      dv[q] = s * (1.0 - s);
    }
    let nRad = select(1u, 2u, t == 1u);
    for (var q = 2u; q < 2u + nRad; q++) {
      v[q] = softplusF(raw[o + q]);
      dv[q] = sigm(raw[o + q]);
    }
    var extent = v[2];
    var extentSlot = 2u;
    if (t == 0u) {
      perim = 2.0 * PI * v[2];
      g[2] += wPerim * 2.0 * PI;
    } else {
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
      perim = PI * s * f;
      g[2] += wPerim * (PI * f + PI * s * dfdh * dhda);
      g[3] += wPerim * (PI * f + PI * s * dfdh * dhdb);
      if (b > a) {
        extent = b;
        extentSlot = 3u;
      }
    }
    for (var c = 0u; c < 2u; c++) {
      let over = v[c] + extent - (1.0 - MARGIN);
      let under = MARGIN - (v[c] - extent);
      canvas += max(over, 0.0) + max(under, 0.0);
      g[c] += wCanvas * (stepF(over) - stepF(under));
      g[extentSlot] += wCanvas * (stepF(over) + stepF(under));
    }
  }
  return Prior(
    vec3f(perim, degen, canvas),
    vec4f(g[0] * dv[0], g[1] * dv[1], g[2] * dv[2], g[3] * dv[3]),
    vec4f(g[4] * dv[4], g[5] * dv[5], 0.0, 0.0),
  );
}
