#!/usr/bin/env bash
# Builds the static JupyterLite site into lite/dist/, always from clean:
#   1. the project's wheel (its build runs the JS build through hatch-jupyter-builder),
#   2. Pyodide from npm (lite/package.json + lock) plus the pure-Python wheels from PyPI,
#      registered in its pyodide-lock.json by lite/lock.py,
#   3. `jupyter lite build` with the notebooks (outputs cleared) and a sample image as contents.
# Everything generated lives in lite/_build/ (staging) and lite/dist/ (the site).
# Usage: bash lite/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

build=lite/_build
stage=$build/site
rm -rf lite/dist lite/.jupyterlite.doit.db "$stage" "$build/wheels" "$build/files"
mkdir -p "$stage/static" "$build/files"

echo "lite: building the project wheel"
isolation=()
python3 -c "import hatchling, hatch_jupyter_builder" 2>/dev/null && isolation=(--no-build-isolation)
python3 -m pip wheel -q --no-deps "${isolation[@]}" -w "$build/wheels" .
wheel=$(ls "$build"/wheels/pelican_widget-*.whl)

echo "lite: fetching pyodide from npm"
npm ci --prefix lite --ignore-scripts --no-audit --no-fund --silent

echo "lite: registering wheels in pyodide-lock.json"
python3 lite/lock.py --pyodide lite/node_modules/pyodide --wheel "$wheel" \
  --cache "$build/pypi" --out "$stage/static/pyodide"

echo "lite: drawing the sample image"
python3 lite/sample.py "$build/files/pelican_head.png"

# the notebooks as the repository has them, never with outputs JupyterLab autosaved
python3 lite/clear_outputs.py "$build/files" notebooks/pelican.ipynb notebooks/lite_landing.ipynb

# a fresh lite dir per build: a stale .jupyterlite.doit.db sends pyodideUrl back to the CDN
cp lite/jupyter-lite.json "$stage/"
echo "lite: jupyter lite build"
root=$PWD
# run inside the stage: the build keeps its .jupyterlite.doit.db in the working directory
(cd "$stage" && jupyter lite build --lite-dir . --output-dir "$root/lite/dist" \
  --apps lab --apps notebooks --no-sourcemaps --no-unused-shared-packages \
  --contents "$root/$build/files/pelican.ipynb" --contents "$root/$build/files/lite_landing.ipynb" \
  --contents "$root/$build/files/pelican_head.png") >"$build/jupyter-lite-build.log" 2>&1 ||
  { cat "$build/jupyter-lite-build.log"; exit 1; }

python3 lite/verify.py lite/dist
echo "lite: done in $(($(date +%s) - start)) s, $(du -sh lite/dist | cut -f1) in lite/dist"
