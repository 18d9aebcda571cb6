// d loss / d image at one pixel: the MSE term plus the adjoints (transposed
// stencils, zero padding) of the Sobel and Gaussian filters applied to the
// per-pixel coefficients of image_loss.wgsl. Needs bindings `dims`, `img`,
// `tgt` and `coef` in the including entry file.

fn inImage(i: i32, j: i32) -> bool {
  return i >= 0 && j >= 0 && i < i32(dims.width) && j < i32(dims.height);
}

// ch: the colour channel (planes of nPix pixels)
fn imageAdjoint(i: i32, j: i32, ch: u32) -> f32 {
  let plane = ch * dims.nPix;
  let p = plane + u32(j) * dims.width + u32(i);
  let x = img[p];
  let y = tgt[p];
  var g = dims.wMse * 2.0 * (x - y) * dims.invN;
  // output q = p - (a, b) saw this pixel through tap (a, b)
  for (var b = -1; b <= 1; b++) {
    for (var a = -1; a <= 1; a++) {
      if (inImage(i - a, j - b)) {
        let c = coef[2u * (plane + u32(j - b) * dims.width + u32(i - a))];
        g += sobelX(a, b) * c.x + sobelY(a, b) * c.y;
      }
    }
  }
  var s = vec3f(0.0);
  for (var b = -3; b <= 3; b++) {
    for (var a = -3; a <= 3; a++) {
      if (inImage(i + a, j + b)) {
        let c = coef[2u * (plane + u32(j + b) * dims.width + u32(i + a)) + 1u];
        s += GAUSS[a + 3] * GAUSS[b + 3] * c.xyz;
      }
    }
  }
  return g + s.x + 2.0 * x * s.y + y * s.z;
}
