// Helper of tests/test_shape_registry.py (outside js/test/, where node --test would run it): reads
// {scenes: {kind: scene}} as JSON on stdin and prints, per kind, what the JS
// side does with that scene: the kind table entry, the reference and Wasm
// renders, the UI's SVG text and the canvas calls of the UI's drawing.

import { createEngine } from "../js/build/engine.mjs";
import { KINDS } from "../js/engine/shapes/index.js";
import { drawScene } from "../js/ui/draw.js";
import { sceneToSvg } from "../js/ui/svg.js";

/** A 2D context that records the calls the drawing makes. */
function recordingCanvas() {
  const calls = [];
  const ctx = new Proxy(
    {},
    {
      get: (target, key) => (key in target ? target[key] : (...args) => calls.push([key, ...args])),
      set: (target, key, value) => {
        calls.push([`set ${String(key)}`, value]);
        return true;
      },
    },
  );
  const canvas = { width: 0, height: 0, clientWidth: 100, clientHeight: 80, getBoundingClientRect: () => ({ width: 100, height: 80 }), getContext: () => ctx };
  return { canvas, calls };
}

async function renderWith(options, scene) {
  const engine = await createEngine(options);
  const n = scene.width * scene.height;
  engine.setTarget({ data: new Float32Array(n).fill(0.5), width: scene.width, height: scene.height });
  engine.setScene(scene);
  const image = Array.from(await engine.render());
  engine.dispose();
  return image;
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { scenes } = JSON.parse(input);
const out = {
  kinds: KINDS.map((k) => ({ name: k.name, code: k.code, members: Object.keys(k).sort() })),
  results: {},
};
for (const [name, scene] of Object.entries(scenes)) {
  const { canvas, calls } = recordingCanvas();
  drawScene(canvas, scene);
  out.results[name] = {
    reference: await renderWith({ backend: "reference" }, scene),
    wasm: await renderWith({ backend: "wasm", workers: 0 }, scene),
    svg: sceneToSvg(scene),
    draw: calls.map((c) => c[0]),
  };
}
process.stdout.write(JSON.stringify(out));
