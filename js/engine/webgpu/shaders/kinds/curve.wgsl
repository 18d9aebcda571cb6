// The quadratic Bézier stroke. geo: g0 = (x0, y0, x1, y1), g1 = (x2, y2,
// width, fill). The nearest point follows js/engine/shapes/curve.js: the
// cubic's closed-form roots (cbrt, acos, sin and cos as polynomials like the
// C kernel's, since the built-ins may be off by 2^-11), two guarded Newton
// steps each, the chord projection for a nearly straight curve.

const CURVE_STRAIGHT: f32 = 1e-4;
// half a pixel at 128 px (shapes/curve.js MIN_WIDTH)
const CURVE_MIN_WIDTH: f32 = 0.00390625;

fn curveCbrt(x: f32) -> f32 {
  let a = abs(x);
  if (!(a > 0.0)) {
    return 0.0;
  }
  var y = bitcast<f32>(bitcast<u32>(a) / 3u + 709921077u);
  for (var k = 0; k < 3; k++) {
    y = y - (y * y * y - a) / (3.0 * y * y);
  }
  return select(y, -y, x < 0.0);
}

// Abramowitz and Stegun 4.4.46, about 2e-8
fn curveAcos(x: f32) -> f32 {
  let a = abs(x);
  var p = -0.0012624911;
  p = p * a + 0.0066700901;
  p = p * a - 0.0170881256;
  p = p * a + 0.0308918810;
  p = p * a - 0.0501743046;
  p = p * a + 0.0889789874;
  p = p * a - 0.2145988016;
  p = p * a + 1.5707963050;
  let r = sqrt(1.0 - a) * p;
  return select(r, PI - r, x < 0.0);
}

// (t, offset B(t) - p) after two guarded Newton steps from t, clamped to [0, 1]
fn curvePolish(g0: vec4f, g1: vec4f, p: vec2f, t0: f32, c: vec4f) -> vec3f {
  var t = t0;
  for (var k = 0; k < 2; k++) {
    let f = ((c.x * t + c.y) * t + c.z) * t + c.w;
    let df = (3.0 * c.x * t + 2.0 * c.y) * t + c.z;
    if (!(abs(df) > 1e-20)) {
      break;
    }
    let moved = t - f / df;
    let fm = ((c.x * moved + c.y) * moved + c.z) * moved + c.w;
    if (abs(fm) < abs(f)) {
      t = moved;
    }
  }
  t = clamp(t, 0.0, 1.0);
  let u = 1.0 - t;
  let e = u * u * g0.xy + 2.0 * u * t * g0.zw + t * t * g1.xy - p;
  return vec3f(t, e);
}

fn curveNear(g0: vec4f, g1: vec4f, p: vec2f) -> vec3f {
  let a = g0.zw - g0.xy;
  let b = g0.xy - 2.0 * g0.zw + g1.xy;
  let d = g0.xy - p;
  let aa = dot(a, a);
  let bb = dot(b, b);
  let ab = dot(a, b);
  // c3 t³ + c2 t² + c1 t + c0 = (B(t) - p) . B'(t) / 2
  let c = vec4f(bb, 3.0 * ab, 2.0 * aa + dot(d, b), dot(d, a));
  var t1: f32;
  var t2: f32;
  if (bb > CURVE_STRAIGHT * aa) {
    let kx = ab / bb;
    let ky = c.z / (3.0 * bb);
    let kz = c.w / bb;
    let pp = ky - kx * kx;
    let q = kx * (2.0 * kx * kx - 3.0 * ky) + kz;
    let h = q * q + 4.0 * pp * pp * pp;
    if (h >= 0.0) {
      let r = sqrt(h);
      t1 = curveCbrt(0.5 * (r - q)) + curveCbrt(0.5 * (-r - q)) - kx;
      t2 = t1;
    } else {
      let z = sqrt(-pp);
      let v = curveAcos(clamp(q / (2.0 * pp * z), -1.0, 1.0)) / 3.0;
      let v2 = v * v;
      let m = 1.0 + v2 * (-0.5 + v2 * (1.0 / 24.0 + v2 * (-1.0 / 720.0 + v2 * (1.0 / 40320.0))));
      let n = 1.7320508 * v * (1.0 + v2 * (-1.0 / 6.0 + v2 * (1.0 / 120.0 + v2 * (-1.0 / 5040.0 + v2 * (1.0 / 362880.0)))));
      t1 = 2.0 * m * z - kx;
      t2 = -(m + n) * z - kx;
    }
  } else {
    let l = 2.0 * a + b;
    t1 = -dot(d, l) / (dot(l, l) + 1e-20);
    t2 = t1;
  }
  let r1 = curvePolish(g0, g1, p, t1, c);
  let r2 = curvePolish(g0, g1, p, t2, c);
  return select(r1, r2, dot(r2.yz, r2.yz) < dot(r1.yz, r1.yz));
}

fn curveSdf(g0: vec4f, g1: vec4f, p: vec2f) -> SdfGrad {
  let n = curveNear(g0, g1, p);
  let t = n.x;
  let dist = sqrt(dot(n.yz, n.yz));
  // t is a stationary point of the distance (or an end): only the explicit
  // dependence on the points counts, the unit offset times the Bernstein weights
  var e = vec2f(0.0);
  if (dist > 0.0) {
    e = n.yz / dist;
  }
  let u = 1.0 - t;
  let w0 = u * u;
  let w1 = 2.0 * u * t;
  let w2 = t * t;
  return SdfGrad(dist - 0.5 * g1.z, vec4f(w0 * e, w1 * e), vec4f(w2 * e, -0.5, 0.0));
}

fn curveGeo1(v: array<f32, 8>, raw4: f32) -> vec3f {
  return vec3f(v[4], v[5], v[6]);
}

// (x0, x1, y0, y1): the control polygon's box (it holds the curve) widened by half the width and `reach`
fn curveBox(g0: vec4f, g1: vec4f, reach: f32) -> vec4f {
  let ext = 0.5 * g1.z + reach;
  let lo = min(min(g0.xy, g0.zw), g1.xy) - ext;
  let hi = max(max(g0.xy, g0.zw), g1.xy) + ext;
  return vec4f(lo.x, hi.x, lo.y, hi.y);
}

// perimeter: twice the arc length (8-point Gauss-Legendre, as curve.js);
// degeneracy: a width under half a pixel at 128 px; canvas: every point coordinate
fn curvePrior(v: array<f32, 8>, wPerim: f32, wDegen: f32, wCanvas: f32) -> KindPrior {
  var g = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let xs = array<f32, 8>(0.019855071751231912, 0.10166676129318664, 0.2372337950418355, 0.4082826787521751, 0.5917173212478248, 0.7627662049581645, 0.8983332387068134, 0.9801449282487681);
  let ws = array<f32, 8>(0.05061426814518853, 0.11119051722668721, 0.15685332293894344, 0.18134189168918083, 0.18134189168918083, 0.15685332293894344, 0.11119051722668721, 0.05061426814518853);
  let p0 = vec2f(v[0], v[1]);
  let p1 = vec2f(v[2], v[3]);
  let p2 = vec2f(v[4], v[5]);
  var len = 0.0;
  for (var k = 0u; k < 8u; k++) {
    let t = xs[k];
    let vel = 2.0 * (1.0 - t) * (p1 - p0) + 2.0 * t * (p2 - p1);
    let speed = sqrt(dot(vel, vel));
    len += ws[k] * speed;
    if (speed > 0.0) {
      let un = 2.0 * wPerim * ws[k] * vel / speed;
      let c0 = -2.0 * (1.0 - t);
      let c1 = 2.0 * (1.0 - 2.0 * t);
      let c2 = 2.0 * t;
      g[0] += c0 * un.x;
      g[1] += c0 * un.y;
      g[2] += c1 * un.x;
      g[3] += c1 * un.y;
      g[4] += c2 * un.x;
      g[5] += c2 * un.y;
    }
  }
  let degen = max(CURVE_MIN_WIDTH - v[6], 0.0);
  g[6] -= wDegen * stepF(CURVE_MIN_WIDTH - v[6]);
  var canvas = 0.0;
  for (var q = 0u; q < 6u; q++) {
    canvas += max(v[q] - (1.0 - MARGIN), 0.0) + max(MARGIN - v[q], 0.0);
    g[q] += wCanvas * (stepF(v[q] - (1.0 - MARGIN)) - stepF(MARGIN - v[q]));
  }
  return KindPrior(vec3f(2.0 * len, degen, canvas), g);
}
