// Backward pass of the tiled path: one workgroup per 16x16 tile, one pixel
// per invocation, the tile's listed shapes (bin.wgsl) from the front one to
// the back one, as backward.wgsl does for all shapes. A stretch of far
// shapes between two listed ones scales the transmittance T and adds its
// contribution to the front sum A in one affine step (tiles.wgsl stretch).
//
// Per listed shape the workgroup sums its pixels' gradient (subgroupAdd,
// then the subgroups' rows in workgroup memory, two buffers so that one
// barrier per shape suffices) into the shape's slot for this tile, one
// invocation per slot column. The far
// shapes' fill gradient, lo T per pixel, is not walked shape by shape: T
// changes only at listed shapes, so with E = sum g T over the tile, the
// segment from listed shape k up to the next listed one gives every shape j
// in it lo / aff[j + 1].A * Y, Y = aff[k + 1].A E_k. The slot keeps
// D_k = Y_k - Y(segment below k) = aff[k].A F_k - (aff[k].A - aff[k + 1].A) E_k
// (F = sum g c T) and the tile keeps Y of the bottom segment, sum g T over
// all shapes; a prefix sum over shapes in adam.wgsl turns these difference
// terms into each shape's total. The listed shape's own fill gradient
// keeps F - lo E, so that with the far part it is F.
// A shape whose slots did not fit (SPILL) adds into a slot of its own with
// compare-and-swap float additions: right, slower, and its sum's order varies.
// Opacity (dims.translucent; an opaque scene never reads it): a listed shape
// paints alpha = a c and its d/d sdf, d/d a are backward.wgsl's; its far
// field paints a lo (the maps of boxes.wgsl), so its direct fill keeps
// F - a lo E. The opacity's gradient goes to the third column's z (shapeCols
// then 4 in grey too). Where shape j is far, d out / d a_j = lo T_j (f_j -
// out_{j-1}); within a segment up to the listed shape `top` above it that is
// lo / aff[j + 1].A ((f_j - B_j) Y - aff[j].A Z) summed over the tile, Y as
// above and Z = sum g T_top (out_{top-1} - B_top) (B: aff's offsets), which
// at listed shape k is sum g (final - A - T B_{k+1}) (T, A in front of k). Z
// changes at k by sum g T (c - a lo) (f_k - B_k) = (f_k - B_k)(F - a lo E),
// the direct fill, and the bottom segment's Z is background * Y, so adam.wgsl
// gets every shape's Z by a prefix sum as Y's, with no more sums here; the
// listed shape's own pixels subtract what that formula gives it, so that
// with the far part its gradient is that of its pixels.

enable subgroups;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;
@group(0) @binding(6) var<storage, read> img: array<f32>;
@group(0) @binding(7) var<storage, read> coef: array<vec4f>;
@group(0) @binding(16) var<storage, read> geo: array<vec4f>;
@group(0) @binding(17) var<storage, read> bins: array<u32>;
@group(0) @binding(18) var<storage, read_write> slots: array<atomic<u32>>;

// 4 vec4 columns per subgroup (64 subgroups at most), two buffers
var<workgroup> parts: array<array<vec4f, 256>, 2>;
var<workgroup> listed: u32;

fn sumParts(buf: u32, col: u32, nsg: u32) -> vec4f {
  var s = vec4f(0.0);
  for (var i = 0u; i < nsg; i++) {
    s += parts[buf][4u * i + col];
  }
  return s;
}

fn addF(i: u32, v: f32) {
  if (v == 0.0) {
    return;
  }
  var old = atomicLoad(&slots[i]);
  loop {
    let r = atomicCompareExchangeWeak(&slots[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) {
      break;
    }
    old = r.old_value;
  }
}

// vec4 `at` of the slots: stored, or added (a spilled shape)
fn put(at: u32, v: vec4f, spill: bool) {
  for (var c = 0u; c < 4u; c++) {
    if (spill) {
      addF(4u * at + c, v[c]);
    } else {
      atomicStore(&slots[4u * at + c], bitcast<u32>(v[c]));
    }
  }
}

// Column `col` of shape k's slot (vec4 `at`) from the subgroups' rows in
// buffer buf, one invocation per column: ga; gb with the direct fill
// F - alo E; in colour the G and B direct fills, and the opacity's gradient;
// the far-field term D. alo: a lo, shape k's far-field alpha;
// m0, m1: aff[k].A, aff[k + 1].A.
fn writeColumn(col: u32, buf: u32, nsg: u32, alo: f32, m0: f32, m1: f32, at: u32, spill: bool) {
  if (col == 0u) {
    put(at, sumParts(buf, 0u, nsg), spill);
    return;
  }
  let e = sumParts(buf, 3u, nsg).xyz;
  let b = sumParts(buf, 1u, nsg);
  if (col == 1u) {
    put(at + 1u, vec4f(b.xyz, b.w - alo * e.x), spill);
    return;
  }
  // the G and B sums are zero in grey, the opacity's where all shapes are opaque
  let c = sumParts(buf, 2u, nsg);
  if (col == dims.shapeCols - 1u) {
    let F = vec3f(b.w, c.xy);
    put(at + col, vec4f(m0 * F - (m0 - m1) * e, 0.0), spill);
    return;
  }
  put(at + 2u, vec4f(c.xy - alo * e.yz, c.z, 0.0), spill);
}

@compute @workgroup_size(16, 16)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_size) sgSize: u32,
  @builtin(subgroup_invocation_id) sgLane: u32,
) {
  let tile = wid.y * tilesX() + wid.x;
  if (li == 0u) {
    listed = bins[countAt(tile)];
  }
  let count = workgroupUniformLoad(&listed);
  let list = listAt(tile);
  let tau = binF(BIN_TAU);
  let lo = binF(BIN_LO);
  let sg = li / sgSize;
  let nsg = 256u / sgSize;
  let colour = dims.nc == 3u;
  let sc = dims.shapeCols;
  let N = dims.nPix;
  let x = gid.x;
  let y = gid.y;
  let valid = x < dims.width && y < dims.height;
  let pm = pixelMetric(x, y, dims.invL);

  var fin = 0.0;
  var gp = 0.0;
  // channels G and B (colour only)
  var fin2 = vec2f(0.0);
  var gp2 = vec2f(0.0);
  var lossSum = vec4f(0.0);
  if (valid) {
    let q = y * dims.width + x;
    fin = img[q];
    gp = imageAdjoint(i32(x), i32(y), 0u);
    lossSum = vec4f(coef[2u * q].zw, coef[2u * q + 1u].w, 0.0);
    if (colour) {
      fin2 = vec2f(img[N + q], img[2u * N + q]);
      gp2 = vec2f(imageAdjoint(i32(x), i32(y), 1u), imageAdjoint(i32(x), i32(y), 2u));
      let q1 = N + q;
      let q2 = 2u * N + q;
      lossSum += vec4f(coef[2u * q1].zw, coef[2u * q1 + 1u].w, 0.0) + vec4f(coef[2u * q2].zw, coef[2u * q2 + 1u].w, 0.0);
    }
  }

  var T = 1.0;
  var acc = 0.0;
  var acc2 = vec2f(0.0);
  var above = dims.nShapes;
  var buf = 0u;
  for (var e = count; e > 0u; e--) {
    let k = bins[list + e - 1u];
    let s = stretch(k + 1u, above);
    acc += T * s.y;
    acc2 += T * s.zw;
    T *= s.x;
    let t = bins[offAt(k) + 1u];
    // where this tile's sums of shape k go (read before the barrier)
    let m0 = aff(k).x;
    let m1 = aff(k + 1u).x;
    let off = bins[offAt(k)];
    let spill = off == SPILL;
    var at = spillAt(k);
    if (!spill) {
      let r = rectOf(k);
      at = (off + (wid.y - r.y) * (r.z - r.x) + (wid.x - r.x)) * sc;
    }
    let g0 = geo[GEO * k];
    let g1 = geo[GEO * k + 1u];
    let f = g1.w;
    var f2 = vec2f(0.0);
    if (colour) {
      f2 = geo[GEO * k + 4u].xy;
    }
    var a = 1.0;
    if (dims.translucent == 1u) {
      a = geo[GEO * k + 5u].x;
    }
    let opaque = a == 1.0;
    var ga = vec4f(0.0);
    var gb = vec4f(0.0);
    // G and B fill sums (colour), E = g T per channel, the opacity's gradient
    var gc = vec2f(0.0);
    var ge = vec3f(0.0);
    var go = 0.0;
    if (valid) {
      let sgr = shapeSdfGrad(t, g0, g1, pm);
      let cv = coverage(sgr.d, tau);
      let cc = cv.c;
      let c = a * cc;
      let cfT = c * f * T;
      if (cv.dc != 0.0 || !opaque) {
        let e = (1.0 - c) * T * f - (fin - acc - cfT);
        var dsdf = -gp * c / tau * e;
        var dop = gp * e;
        if (colour) {
          let e2 = (1.0 - c) * T * f2 - (fin2 - acc2 - c * f2 * T);
          dsdf += -c / tau * dot(gp2, e2);
          dop += dot(gp2, e2);
        }
        if (cv.dc != 0.0) {
          if (!opaque) {
            // backward.wgsl's a (1 - c_k) / (1 - alpha_k), over a
            dsdf *= (1.0 - cc) / (1.0 - c);
          }
          ga = dsdf * sgr.ga;
          gb = dsdf * sgr.gb;
        }
        if (!opaque) {
          // less what the far formula (adam.wgsl) gives this pixel
          let ak = aff(k);
          let ak1 = aff(k + 1u);
          let gT = vec3f(gp, gp2) * T;
          let z = vec3f(gp, gp2) * (vec3f(fin, fin2) - vec3f(acc, acc2) - T * ak1.yzw);
          go = dop * cc / (1.0 - c) - lo * (dot(vec3f(f, f2) - ak.yzw, gT) - ak.x / ak1.x * (z.x + z.y + z.z));
        }
      }
      gb.w += gp * c * T;
      ge = vec3f(gp * T, gp2 * T);
      if (colour) {
        gc = gp2 * c * T;
        acc2 += c * f2 * T;
      }
      acc += cfT;
      T = T * (1.0 - c);
    }
    // only the nonzero components: the subgroup sums are most of this loop's work
    let ra = subgroupAdd(ga);
    let rb = subgroupAdd(gb);
    var rc = vec4f(0.0);
    var re = vec4f(0.0);
    if (colour) {
      if (dims.translucent == 1u) {
        rc = vec4f(subgroupAdd(vec3f(gc, go)), 0.0);
      } else {
        rc = vec4f(subgroupAdd(gc), 0.0, 0.0);
      }
      re = vec4f(subgroupAdd(ge), 0.0);
    } else {
      re.x = subgroupAdd(ge.x);
      if (dims.translucent == 1u) {
        rc.z = subgroupAdd(go);
      }
    }
    if (sgLane == 0u) {
      parts[buf][4u * sg] = ra;
      parts[buf][4u * sg + 1u] = rb;
      parts[buf][4u * sg + 2u] = rc;
      parts[buf][4u * sg + 3u] = re;
    }
    workgroupBarrier();
    if (li < sc) {
      writeColumn(li, buf, nsg, a * lo, m0, m1, at, spill);
    }
    buf ^= 1u;
    above = k;
  }
  // the bottom stretch [0, above): T is then the transmittance of all shapes
  T *= stretch(0u, above).x;
  let rl = subgroupAdd(lossSum);
  let ry = subgroupAdd(vec4f(gp * T, gp2 * T, 0.0));
  if (sgLane == 0u) {
    parts[buf][4u * sg] = rl;
    parts[buf][4u * sg + 1u] = ry;
  }
  workgroupBarrier();
  if (li < 2u) {
    put(tileSumsAt(tile) + li, sumParts(buf, li, nsg), false);
  }
}
