// Forward render: alpha-over compositing of all shapes onto the background,
// one pixel per invocation (every channel: one alpha = opacity * coverage,
// composited per channel), at the tau of the current step.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read> types: array<u32>;
@group(0) @binding(6) var<storage, read_write> img: array<f32>;
@group(0) @binding(13) var<storage, read> sched: array<vec4f>;
@group(0) @binding(16) var<storage, read> geo: array<vec4f>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= dims.width || gid.y >= dims.height) {
    return;
  }
  let tau = sched[state[ST_STEP]].y;
  let p = pixelMetric(gid.x, gid.y, dims.invL);
  let q = gid.y * dims.width + gid.x;
  var out = dims.background;
  if (dims.nc == 1u) {
    for (var k = 0u; k < dims.nShapes; k++) {
      let g1 = geo[GEO * k + 1u];
      let c = geo[GEO * k + 5u].x * coverage(shapeSdf(types[k] & TYPE_MASK, geo[GEO * k], g1, p), tau).c;
      out = (1.0 - c) * out + c * g1.w;
    }
    img[q] = out;
    return;
  }
  var gb = vec2f(dims.backgroundG, dims.backgroundB);
  for (var k = 0u; k < dims.nShapes; k++) {
    let g1 = geo[GEO * k + 1u];
    let c = geo[GEO * k + 5u].x * coverage(shapeSdf(types[k] & TYPE_MASK, geo[GEO * k], g1, p), tau).c;
    out = (1.0 - c) * out + c * g1.w;
    gb = (1.0 - c) * gb + c * geo[GEO * k + 4u].xy;
  }
  img[q] = out;
  img[dims.nPix + q] = gb.x;
  img[2u * dims.nPix + q] = gb.y;
}
