// The shape-kind table of the JS engine: one module per kind, indexed by its
// type code (the code the raw layout, the Wasm kernel and the WGSL shaders
// use). A new kind is a new module here plus its C and WGSL sections; see
// docs/engine.md, "Adding a shape kind".

import circle from "./circle.js";
import curve from "./curve.js";
import ellipse from "./ellipse.js";
import rect from "./rect.js";
import triangle from "./triangle.js";

/**
 * @typedef {object} ShapeKind
 * @property {string} name the wire-format `type`
 * @property {number} code type code (index into KINDS)
 * @property {("x"|"y"|"len"|"angle")[]} slots transform of each geometry raw slot from 0:
 *   x, y positions (sigmoid; scaled by W/L, H/L in the metric), len (softplus), angle (raw)
 * @property {(shape: any, at: string) => void} check throws `invalid scene: <field>: <why>`
 * @property {(shape: any) => number[]} values scene values in slot order
 * @property {(v: ArrayLike<number>) => object} fromValues geometry fields from slot values
 * @property {(shape: any) => number[]} positions values that go through a sigmoid
 * @property {(p: ArrayLike<number>, x: number, y: number) => number} sdf metric SDF
 * @property {(p: ArrayLike<number>, x: number, y: number, s: number, g: Float64Array) => void} sdfGrad adds s * dsdf/dp to g
 * @property {(v: ArrayLike<number>, w: object, g: Float64Array) => {perimeter: number, degeneracy: number, canvas: number}} priors
 * @property {(rec: Float32Array, p: ArrayLike<number>) => void} wasmRecord
 * @property {"fill"|"stroke"} [paint] how the UI and SVG paint the kind (default "fill");
 *   a stroke's `canvasPath` sets the line width and cap, its colour goes to `stroke`
 */

/** @type {readonly ShapeKind[]} */
export const KINDS = Object.freeze([circle, ellipse, triangle, rect, curve]);
KINDS.forEach((kind, code) => {
  if (kind.code !== code) throw new Error(`shape kind ${kind.name}: code ${kind.code} at index ${code}`);
});

/** Kind by wire-format name. */
export const KIND_BY_NAME = Object.freeze(Object.fromEntries(KINDS.map((k) => [k.name, k])));

/** The wire-format names, in code order. */
export const KIND_NAMES = Object.freeze(KINDS.map((k) => k.name));
