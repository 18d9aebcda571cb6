// End of a run: the best parameters seen become the current ones.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(2) var<storage, read_write> raw: array<f32>;
@group(0) @binding(3) var<storage, read> types: array<u32>;
@group(0) @binding(12) var<storage, read> opt: array<f32>;
@group(0) @binding(16) var<storage, read_write> geo: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let n = dims.nShapes * STRIDE;
  for (var q = li; q < n; q += 256u) {
    raw[q] = opt[2u * n + q];
  }
  workgroupBarrier();
  storageBarrier();
  for (var k = li; k < dims.nShapes; k += 256u) {
    decodeShape(k, dims.sx, dims.sy);
  }
}
