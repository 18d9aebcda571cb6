// Geometry of freshly uploaded parameters (setScene, render, loss).

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(2) var<storage, read> raw: array<f32>;
@group(0) @binding(3) var<storage, read> types: array<u32>;
@group(0) @binding(16) var<storage, read_write> geo: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < dims.nShapes) {
    decodeShape(gid.x, dims.sx, dims.sy);
  }
}
