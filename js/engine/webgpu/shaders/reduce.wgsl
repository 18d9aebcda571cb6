// First level of the gradient reduction: sums a chunk of the partial-sum rows
// for 64 vec4 columns; 4 lanes per column share the rows and meet once in
// workgroup memory.

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> state: array<u32>;
@group(0) @binding(10) var<storage, read> partials: array<vec4f>;
@group(0) @binding(11) var<storage, read_write> partial2: array<vec4f>;

var<workgroup> lanes: array<vec4f, 256>;

@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wid.x * 64u + lid.x;
  let chunk = wid.y;
  let rows = dims.backGroups * (256u / state[ST_SGSIZE]);
  let r0 = chunk * dims.rowsPerChunk;
  let r1 = min(r0 + dims.rowsPerChunk, rows);
  var s = vec4f(0.0);
  if (col < dims.cols) {
    for (var r = r0 + lid.y; r < r1; r += 4u) {
      s += partials[r * dims.cols + col];
    }
  }
  lanes[lid.y * 64u + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && col < dims.cols) {
    partial2[chunk * dims.cols + col] = lanes[lid.x] + lanes[64u + lid.x] + lanes[128u + lid.x] + lanes[192u + lid.x];
  }
}
