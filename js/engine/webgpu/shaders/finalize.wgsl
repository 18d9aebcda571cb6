// Second level of the reduction, one invocation per shape: sums the chunk
// partials, maps metric gradients to raw ones, adds the priors' gradient and
// stores their values. The invocation after the last shape sums the image
// loss terms. opt holds m | v | best | grad | evaluated, nShapes * STRIDE floats each.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(2) var<storage, read> raw: array<f32>;
@group(0) @binding(3) var<storage, read> types: array<u32>;
@group(0) @binding(11) var<storage, read> partial2: array<vec4f>;
@group(0) @binding(12) var<storage, read_write> opt: array<f32>;
@group(0) @binding(15) var<storage, read_write> terms: array<vec4f>;
@group(0) @binding(16) var<storage, read> geo: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let k = gid.x;
  let S = dims.nShapes;
  if (k > S) {
    return;
  }
  if (k == S) {
    var l = vec4f(0.0);
    for (var c = 0u; c < dims.chunks; c++) {
      l += partial2[c * dims.cols + 2u * S];
    }
    terms[0] = l;
    return;
  }
  var ga = vec4f(0.0);
  var gb = vec4f(0.0);
  for (var c = 0u; c < dims.chunks; c++) {
    ga += partial2[c * dims.cols + 2u * k];
    gb += partial2[c * dims.cols + 2u * k + 1u];
  }
  let pr = shapePrior(k, dims.wPerim, dims.wDegen, dims.wCanvas);
  ga = ga * geo[4u * k + 2u] + pr.ga;
  gb = gb * geo[4u * k + 3u] + pr.gb;
  terms[1u + k] = vec4f(pr.value, 0.0);
  let o = 3u * S * STRIDE + k * STRIDE;
  opt[o] = ga.x;
  opt[o + 1u] = ga.y;
  opt[o + 2u] = ga.z;
  opt[o + 3u] = ga.w;
  opt[o + 4u] = gb.x;
  opt[o + 5u] = gb.y;
  opt[o + 6u] = gb.z;
  opt[o + 7u] = gb.w;
  opt[o + 8u] = 0.0;
  opt[o + 9u] = 0.0;
}
