// Target-only quantities, once per target: Sobel magnitude, Gaussian mean and
// Gaussian second moment (zero padding), per channel (workgroups along z).

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;
@group(0) @binding(5) var<storage, read_write> tstats: array<vec4f>;

fn tAt(i: i32, j: i32, ch: u32) -> f32 {
  if (i < 0 || j < 0 || i >= i32(dims.width) || j >= i32(dims.height)) {
    return 0.0;
  }
  return tgt[ch * dims.nPix + u32(j) * dims.width + u32(i)];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= dims.width || gid.y >= dims.height) {
    return;
  }
  let i = i32(gid.x);
  let j = i32(gid.y);
  let ch = gid.z;
  var gx = 0.0;
  var gy = 0.0;
  for (var b = -1; b <= 1; b++) {
    for (var a = -1; a <= 1; a++) {
      let v = tAt(i + a, j + b, ch);
      gx += sobelX(a, b) * v;
      gy += sobelY(a, b) * v;
    }
  }
  var mu = 0.0;
  var e2 = 0.0;
  for (var b = -3; b <= 3; b++) {
    for (var a = -3; a <= 3; a++) {
      let v = tAt(i + a, j + b, ch);
      let w = GAUSS[a + 3] * GAUSS[b + 3];
      mu += w * v;
      e2 += w * v * v;
    }
  }
  tstats[ch * dims.nPix + gid.y * dims.width + gid.x] = vec4f(sqrt(gx * gx + gy * gy + 1e-8), mu, e2, 0.0);
}
