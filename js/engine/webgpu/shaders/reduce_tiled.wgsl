// Gradient reduction of the tiled path: workgroup k < S sums shape k's
// slots over the tiles of its rectangle (or takes its spill slot and clears
// it for the next step), workgroup S sums the tiles' loss and far-field
// sums. Output in partial2 as one chunk of reduce.wgsl's layout, so adam.wgsl
// reads it alike: shapeCols columns per shape (ga, gb, [G, B fills and the
// opacity's gradient,] far terms D with a lo / aff[k + 1].A in w, a the
// shape's opacity), then loss sums, then far-field sums; with a translucent
// shape then aff[k] per shape (the far-field opacity gradient, adam.wgsl).

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(11) var<storage, read_write> partial2: array<vec4f>;
@group(0) @binding(16) var<storage, read> geo: array<vec4f>;
@group(0) @binding(17) var<storage, read> bins: array<u32>;
@group(0) @binding(18) var<storage, read_write> slots: array<vec4f>;

var<workgroup> red: array<vec4f, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let S = dims.nShapes;
  let sc = dims.shapeCols;
  let k = wid.x;
  var sums = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  var cols = 2u;
  if (k < S) {
    cols = sc;
    let r = rectOf(k);
    let n = (r.z - r.x) * (r.w - r.y);
    let off = bins[offAt(k)];
    if (off == SPILL) {
      if (li == 0u) {
        for (var i = 0u; i < sc; i++) {
          sums[i] = slots[spillAt(k) + i];
          slots[spillAt(k) + i] = vec4f(0.0);
        }
      }
    } else {
      for (var t = li; t < n; t += 256u) {
        for (var i = 0u; i < sc; i++) {
          sums[i] += slots[(off + t) * sc + i];
        }
      }
    }
  } else {
    for (var t = li; t < tileTotal(); t += 256u) {
      sums[0] += slots[tileSumsAt(t)];
      sums[1] += slots[tileSumsAt(t) + 1u];
    }
  }
  let base = select(sc * S, sc * k, k < S);
  for (var i = 0u; i < cols; i++) {
    red[li] = sums[i];
    workgroupBarrier();
    for (var w = 128u; w > 0u; w >>= 1u) {
      if (li < w) {
        red[li] += red[li + w];
      }
      workgroupBarrier();
    }
    if (li == 0u) {
      var v = red[0];
      if (k < S && i == sc - 1u) {
        v.w = geo[GEO * k + 5u].x * binF(BIN_LO) / aff(k + 1u).x;
      }
      partial2[base + i] = v;
    }
    workgroupBarrier();
  }
  if (dims.translucent == 1u && k < S && li == 0u) {
    partial2[sc * S + 2u + k] = aff(k);
  }
}
