// The widget's colour helpers that run without a DOM: colour fills in the
// SVG, RGB pixels for the target view, grey and RGB PNG frames.

import assert from "node:assert/strict";
import { test } from "node:test";

import { sceneToSvg, svgColour } from "../ui/svg.js";
import { toRgba } from "../ui/target.js";

test("svgColour writes every channel with four decimals of percent", () => {
  assert.equal(svgColour(0.5), "rgb(50%,50%,50%)");
  assert.equal(svgColour([0.123456, 0.654321, 1]), "rgb(12.3456%,65.4321%,100%)");
  assert.equal(svgColour([0, 0.00001, 0.1]), "rgb(0%,0.001%,10%)");
});

test("sceneToSvg writes colour fills and a colour background, no NaN", () => {
  const scene = {
    width: 20,
    height: 10,
    background: [0, 0, 1],
    shapes: [{ type: "circle", cx: 0.5, cy: 0.5, r: 0.2, fill: [1, 0.5, 0] }],
  };
  const svg = sceneToSvg(scene);
  assert.match(svg, /<rect width="20" height="10" fill="rgb\(0%,0%,100%\)"\/>/);
  assert.match(svg, /<circle [^>]* fill="rgb\(100%,50%,0%\)"\/>/);
  assert.doesNotMatch(svg, /NaN/);
});

test("toRgba: grey repeats, RGB keeps the channels, values clamp to 8 bits", () => {
  assert.deepEqual(Array.from(toRgba(new Float32Array([0.5, 2]), 2, 1)), [128, 128, 128, 255, 255, 255, 255, 255]);
  const rgb = new Float32Array([1, 0, -1, 0.2, 0.4, 0.6]);
  assert.deepEqual(Array.from(toRgba(rgb, 2, 1, 3)), [255, 0, 0, 255, 51, 102, 153, 255]);
});

test("encodePng writes a grey or an RGB PNG of the image's own channels", async () => {
  const { inflateSync } = await import("node:zlib");
  const { encodePng } = await import("../ui/png.js");
  const chunks = (bytes) => {
    const out = {};
    for (let at = 8; at < bytes.length; ) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
      const kind = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
      out[kind] = bytes.subarray(at + 8, at + 8 + length);
      at += 12 + length;
    }
    return out;
  };
  const rgb = await encodePng(new Float32Array([1, 0, 0, 0.2, 0.4, 0.6, 0, 0, 0, 1, 1, 1]), 2, 2, 3);
  const file = new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  assert.deepEqual(Array.from(file.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = chunks(file);
  assert.deepEqual(Array.from(parts.IHDR), [0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  assert.deepEqual(Array.from(inflateSync(parts.IDAT)), [0, 255, 0, 0, 51, 102, 153, 0, 0, 0, 0, 255, 255, 255]);
  assert.ok("IEND" in parts);
  const grey = await encodePng(new Float32Array([0, 0.5, 2]), 3, 1);
  const greyParts = chunks(new Uint8Array(grey.buffer));
  assert.equal(greyParts.IHDR[9], 0);
  assert.deepEqual(Array.from(inflateSync(greyParts.IDAT)), [0, 0, 128, 255]);
});
