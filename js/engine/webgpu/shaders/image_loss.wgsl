// Per-pixel image loss terms (squared error, edge-magnitude error, SSIM) and
// the per-pixel coefficients of their adjoints:
//   coef[2q]   = (d loss / d gx, d loss / d gy, (x - y)^2, (|grad x| - |grad y|)^2)
//   coef[2q+1] = (d / d mu_x, d / d E[x^2], d / d E[xy], ssim)
// (adjoint coefficients weighted; the loss terms are summed later), per
// channel (workgroups along z; q then runs over channel-major planes).

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;
@group(0) @binding(5) var<storage, read> tstats: array<vec4f>;
@group(0) @binding(6) var<storage, read> img: array<f32>;
@group(0) @binding(7) var<storage, read_write> coef: array<vec4f>;

const C1: f32 = 0.0001;
const C2: f32 = 0.0009;

fn inside(i: i32, j: i32) -> bool {
  return i >= 0 && j >= 0 && i < i32(dims.width) && j < i32(dims.height);
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= dims.width || gid.y >= dims.height) {
    return;
  }
  let i = i32(gid.x);
  let j = i32(gid.y);
  let plane = gid.z * dims.nPix;
  let q = plane + gid.y * dims.width + gid.x;
  var gx = 0.0;
  var gy = 0.0;
  for (var b = -1; b <= 1; b++) {
    for (var a = -1; a <= 1; a++) {
      if (inside(i + a, j + b)) {
        let v = img[plane + u32(j + b) * dims.width + u32(i + a)];
        gx += sobelX(a, b) * v;
        gy += sobelY(a, b) * v;
      }
    }
  }
  var mx = 0.0;
  var ex2 = 0.0;
  var exy = 0.0;
  for (var b = -3; b <= 3; b++) {
    for (var a = -3; a <= 3; a++) {
      if (inside(i + a, j + b)) {
        let o = plane + u32(j + b) * dims.width + u32(i + a);
        let x = img[o];
        let w = GAUSS[a + 3] * GAUSS[b + 3];
        mx += w * x;
        ex2 += w * x * x;
        exy += w * x * tgt[o];
      }
    }
  }
  let ts = tstats[q];
  let mag = sqrt(gx * gx + gy * gy + 1e-8);
  let dmag = mag - ts.x;
  let dm = dims.wEdge * 2.0 * dmag * dims.invN;
  let my = ts.y;
  let a1 = 2.0 * mx * my + C1;
  let a2 = 2.0 * (exy - mx * my) + C2;
  let b1 = mx * mx + my * my + C1;
  let b2 = ex2 - mx * mx + ts.z - my * my + C2;
  let s = (a1 * a2) / (b1 * b2);
  let inv = 1.0 / (b1 * b2);
  let scale = -dims.wSsim * dims.invN;
  let d = img[q] - tgt[q];
  coef[2u * q] = vec4f(dm * gx / mag, dm * gy / mag, d * d, dmag * dmag);
  coef[2u * q + 1u] = vec4f(
    scale * (2.0 * my * (a2 - a1) * inv - 2.0 * mx * s / b1 + 2.0 * mx * s / b2),
    scale * (-s / b2),
    scale * 2.0 * a1 * inv,
    s,
  );
}
