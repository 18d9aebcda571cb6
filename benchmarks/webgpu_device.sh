#!/bin/bash
# benchmarks/webgpu_bench.mjs on a machine without Node or a package registry
# (the device machines): `pack` here fills the ignored folders .carry (an
# xz-compressed node, the linux-x64 dawn.node of the npm package `webgpu`,
# the start scene) and .gl (the Vulkan loader debs); `run` there, from the
# repository root with .carry, .gl and js/build carried, unpacks them and
# runs the benchmark once per tiling value, logs in $OUT. E.g.
#   (cd js && npm run build) && bash benchmarks/webgpu_device.sh pack
#   device: TILINGS="off on" bash benchmarks/webgpu_device.sh run
# Environment of `run`:
#   BENCH_ARGS  the benchmark's arguments (default: --sizes 128,256 --shapes 9,35 --big)
#   TILINGS     the --tiling values, in order (default: off auto)
#   PROFILE     a --profile list for the runs other than --tiling off
#   SKIP_GL=1   leave the loader debs packed and Vulkan as it is (a local dry run)
set -o pipefail
cd "$(dirname "$0")/.." || exit 1

pack() {
  mkdir -p .carry/webgpu/dist/linux-x64 .gl /tmp/amd64/partial || exit 1
  node -e 'if (process.arch !== "x64" || Number(process.versions.node.split(".")[0]) < 20) process.exit(1)' || {
    echo "needs an x86-64 node 20 or later" >&2
    exit 1
  }
  xz -T2 -c "$(readlink -f "$(command -v node)")" > .carry/node.xz || exit 1
  cp js/node_modules/webgpu/package.json js/node_modules/webgpu/index.js .carry/webgpu/ || exit 1
  xz -T2 -c js/node_modules/webgpu/dist/linux-x64/dawn.node > .carry/webgpu/dist/linux-x64/dawn.node.xz || exit 1
  cp ../shared/data/initial_pelican.json .carry/ || exit 1
  local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update > /dev/null && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2) || exit 1
  du -sh .carry .gl js/build
}

unxz_to() {
  xz -dc "$1" > "$2" 2> /dev/null ||
    python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$1" "$2"
}

run() {
  if [ -z "$SKIP_GL" ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -f $icd ] && export VK_DRIVER_FILES=$icd
  fi
  mkdir -p /tmp/bin && unxz_to .carry/node.xz /tmp/bin/node && chmod +x /tmp/bin/node || exit 1
  local w=js/node_modules/webgpu
  mkdir -p $w/dist/linux-x64 && cp .carry/webgpu/package.json .carry/webgpu/index.js $w/ &&
    unxz_to .carry/webgpu/dist/linux-x64/dawn.node.xz $w/dist/linux-x64/dawn.node || exit 1
  local out=${OUT:-/tmp/bench-out}
  mkdir -p "$out"
  (nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; /tmp/bin/node --version) > "$out/gpu.txt" 2>&1
  cat "$out/gpu.txt"
  for t in ${TILINGS:-off auto}; do
    local profile=()
    [ -n "$PROFILE" ] && [ "$t" != off ] && profile=(--profile "$PROFILE")
    # shellcheck disable=SC2086
    /tmp/bin/node benchmarks/webgpu_bench.mjs --scene .carry/initial_pelican.json ${BENCH_ARGS:---sizes 128,256 --shapes 9,35 --big} \
      --tiling "$t" "${profile[@]}" 2>&1 | tee "$out/bench_$t.log"
  done
}

case "$1" in
  pack) pack ;;
  run) run ;;
  *)
    echo "usage: $0 pack|run" >&2
    exit 2
    ;;
esac
