// Forward render: alpha-over compositing of all shapes onto the background
// grey, one pixel per invocation, at the tau of the current step.

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
  var out = dims.background;
  for (var k = 0u; k < dims.nShapes; k++) {
    let g1 = geo[4u * k + 1u];
    let c = coverage(shapeSdf(types[k] & TYPE_MASK, geo[4u * k], g1, p), tau).c;
    out = (1.0 - c) * out + c * g1.w;
  }
  img[gid.y * dims.width + gid.x] = out;
}
