// The widget's colour helpers that run without a DOM: the start background
// from a target's mean, colour fills in the SVG, RGB pixels for frames.

import assert from "node:assert/strict";
import { test } from "node:test";

import { targetMean } from "../ui/refine_runner.js";
import { sceneToSvg, svgColour } from "../ui/svg.js";
import { toRgba } from "../ui/target.js";

test("targetMean: grey mean, and per channel for a colour target", () => {
  assert.equal(targetMean({ data: new Float32Array([0.25, 0.75]), channels: 1 }), 0.5);
  const rgb = new Float32Array([1, 0, 0.5, 0, 0, 0.25]);
  assert.deepEqual(targetMean({ data: rgb, channels: 3 }), [0.5, 0, 0.375]);
});

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
