// The fixed image filters: Sobel taps (cross-correlation, tap (a, b) is the
// offset along x and y) and the 7x7 Gaussian's 1-D factor (GAUSS, in the header).

fn sobelX(a: i32, b: i32) -> f32 {
  return f32(a) * f32(2 - abs(b));
}

fn sobelY(a: i32, b: i32) -> f32 {
  return f32(b) * f32(2 - abs(a));
}
