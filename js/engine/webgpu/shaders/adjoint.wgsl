// d loss / d image per pixel: the MSE term plus the adjoints (transposed
// stencils, zero padding) of the Sobel and Gaussian filters applied to the
// per-pixel coefficients of image_loss.wgsl.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;
@group(0) @binding(6) var<storage, read> img: array<f32>;
@group(0) @binding(7) var<storage, read> coef: array<vec4f>;
@group(0) @binding(9) var<storage, read_write> adj: array<f32>;

fn inImage(i: i32, j: i32) -> bool {
  return i >= 0 && j >= 0 && i < i32(dims.width) && j < i32(dims.height);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= dims.width || gid.y >= dims.height) {
    return;
  }
  let i = i32(gid.x);
  let j = i32(gid.y);
  let p = gid.y * dims.width + gid.x;
  let x = img[p];
  let y = tgt[p];
  var g = dims.wMse * 2.0 * (x - y) * dims.invN;
  // output q = p - (a, b) saw this pixel through tap (a, b)
  for (var b = -1; b <= 1; b++) {
    for (var a = -1; a <= 1; a++) {
      if (inImage(i - a, j - b)) {
        let c = coef[2u * (u32(j - b) * dims.width + u32(i - a))];
        g += sobelX(a, b) * c.x + sobelY(a, b) * c.y;
      }
    }
  }
  var s = vec3f(0.0);
  for (var b = -3; b <= 3; b++) {
    for (var a = -3; a <= 3; a++) {
      if (inImage(i + a, j + b)) {
        let c = coef[2u * (u32(j + b) * dims.width + u32(i + a)) + 1u];
        s += GAUSS[a + 3] * GAUSS[b + 3] * c.xyz;
      }
    }
  }
  adj[p] = g + s.x + 2.0 * x * s.y + y * s.z;
}
