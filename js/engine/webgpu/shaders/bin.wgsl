// Tile lists: one workgroup per 16x16 tile tests every shape's tile
// rectangle (boxes.wgsl), 256 shapes at a time, and appends the hits at
// their rank (a subgroup scan, then the subgroups' totals), so each list
// comes out in paint order, given subgroups of consecutive invocation
// indices with lanes in index order (docs/engine.md, "Assumption"). A list
// has room for every shape: a tile under all of them is only slower.

enable subgroups;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(17) var<storage, read_write> bins: array<u32>;

// one total per subgroup (subgroups of 4 lanes or more)
var<workgroup> sgTotals: array<u32, 64>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) li: u32,
  @builtin(subgroup_size) sgSize: u32,
  @builtin(subgroup_invocation_id) sgLane: u32,
) {
  let S = dims.nShapes;
  let tile = wid.y * tilesX() + wid.x;
  let list = listAt(tile);
  let sg = li / sgSize;
  let nsg = 256u / sgSize;
  var count = 0u;
  for (var c = 0u; c < S; c += 256u) {
    let k = c + li;
    var hit = false;
    if (k < S) {
      let r = rectOf(k);
      hit = wid.x >= r.x && wid.x < r.z && wid.y >= r.y && wid.y < r.w;
    }
    let v = select(0u, 1u, hit);
    let rank = subgroupExclusiveAdd(v);
    let total = subgroupAdd(v);
    if (sgLane == 0u) {
      sgTotals[sg] = total;
    }
    workgroupBarrier();
    var at = count + rank;
    var all = 0u;
    for (var i = 0u; i < nsg; i++) {
      let s = sgTotals[i];
      if (i < sg) {
        at += s;
      }
      all += s;
    }
    if (hit) {
      bins[list + at] = k;
    }
    count += all;
    workgroupBarrier();
  }
  if (li == 0u) {
    bins[countAt(tile)] = count;
  }
}
