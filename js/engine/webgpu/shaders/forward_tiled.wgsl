// Forward render of the tiled path: one workgroup per 16x16 tile, one pixel
// per invocation, compositing only the shapes listed on the tile (bin.wgsl)
// in paint order. The shapes between two listed ones have the far-field
// coverage lo at every pixel of the tile, so each such stretch [a, b) is
// one affine step, aff[b] after the inverse of aff[a] (tiles.wgsl): the
// result is the untiled one up to rounding, for any number of shapes.
// A translucent shape paints alpha = a c (its far field a lo, in the maps);
// an opaque scene (dims.translucent 0) skips reading a.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(6) var<storage, read_write> img: array<f32>;
@group(0) @binding(16) var<storage, read> geo: array<vec4f>;
@group(0) @binding(17) var<storage, read> bins: array<u32>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  if (gid.x >= dims.width || gid.y >= dims.height) {
    return;
  }
  let tile = wid.y * tilesX() + wid.x;
  let count = bins[countAt(tile)];
  let list = listAt(tile);
  let tau = binF(BIN_TAU);
  let p = pixelMetric(gid.x, gid.y, dims.invL);
  let q = gid.y * dims.width + gid.x;
  var next = 0u;
  if (dims.nc == 1u) {
    var out = dims.background;
    for (var e = 0u; e < count; e++) {
      let k = bins[list + e];
      let s = stretch(next, k);
      out = s.x * out + s.y;
      let g1 = geo[GEO * k + 1u];
      var c = coverage(shapeSdf(bins[offAt(k) + 1u], geo[GEO * k], g1, p), tau).c;
      if (dims.translucent == 1u) {
        c *= geo[GEO * k + 5u].x;
      }
      out = (1.0 - c) * out + c * g1.w;
      next = k + 1u;
    }
    let s = stretch(next, dims.nShapes);
    img[q] = s.x * out + s.y;
    return;
  }
  var out = vec3f(dims.background, dims.backgroundG, dims.backgroundB);
  for (var e = 0u; e < count; e++) {
    let k = bins[list + e];
    let s = stretch(next, k);
    out = s.x * out + s.yzw;
    let g1 = geo[GEO * k + 1u];
    var c = coverage(shapeSdf(bins[offAt(k) + 1u], geo[GEO * k], g1, p), tau).c;
    if (dims.translucent == 1u) {
      c *= geo[GEO * k + 5u].x;
    }
    out = (1.0 - c) * out + c * vec3f(g1.w, geo[GEO * k + 4u].xy);
    next = k + 1u;
  }
  let s = stretch(next, dims.nShapes);
  out = s.x * out + s.yzw;
  img[q] = out.x;
  img[dims.nPix + q] = out.y;
  img[2u * dims.nPix + q] = out.z;
}
