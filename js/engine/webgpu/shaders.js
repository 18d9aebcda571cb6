// WGSL sources: each entry file is compiled together with the shared helper
// files it needs and a generated header of constants. The helper "kinds"
// stands for kinds.wgsl, one section per shape kind (kinds/<name>.wgsl, found
// through the JS table shapes/index.js) and the dispatch generated here.

import adam from "./shaders/adam.wgsl";
import adjoint from "./shaders/adjoint.wgsl";
import backward from "./shaders/backward.wgsl";
import backwardTiled from "./shaders/backward_tiled.wgsl";
import bin from "./shaders/bin.wgsl";
import boxes from "./shaders/boxes.wgsl";
import common from "./shaders/common.wgsl";
import decode from "./shaders/decode.wgsl";
import forward from "./shaders/forward.wgsl";
import forwardTiled from "./shaders/forward_tiled.wgsl";
import imageLoss from "./shaders/image_loss.wgsl";
import kinds from "./shaders/kinds.wgsl";
import circle from "./shaders/kinds/circle.wgsl";
import curve from "./shaders/kinds/curve.wgsl";
import ellipse from "./shaders/kinds/ellipse.wgsl";
import rect from "./shaders/kinds/rect.wgsl";
import triangle from "./shaders/kinds/triangle.wgsl";
import params from "./shaders/params.wgsl";
import priors from "./shaders/priors.wgsl";
import reduce from "./shaders/reduce.wgsl";
import reduceTiled from "./shaders/reduce_tiled.wgsl";
import restore from "./shaders/restore.wgsl";
import stencils from "./shaders/stencils.wgsl";
import targetStats from "./shaders/target_stats.wgsl";
import tiles from "./shaders/tiles.wgsl";
import { KINDS } from "../shapes/index.js";

const FILES = {
  "adam.wgsl": adam,
  "adjoint.wgsl": adjoint,
  "backward.wgsl": backward,
  "backward_tiled.wgsl": backwardTiled,
  "bin.wgsl": bin,
  "boxes.wgsl": boxes,
  "common.wgsl": common,
  "decode.wgsl": decode,
  "forward.wgsl": forward,
  "forward_tiled.wgsl": forwardTiled,
  "image_loss.wgsl": imageLoss,
  "kinds.wgsl": kinds,
  "params.wgsl": params,
  "priors.wgsl": priors,
  "reduce.wgsl": reduce,
  "reduce_tiled.wgsl": reduceTiled,
  "restore.wgsl": restore,
  "stencils.wgsl": stencils,
  "target_stats.wgsl": targetStats,
  "tiles.wgsl": tiles,
};

/** The WGSL section of each kind, by name (kinds/<name>.wgsl). */
const KIND_FILES = { circle, ellipse, triangle, rect, curve };

const SLOT_CODES = { x: 1, y: 2, len: 3, angle: 4 };

/**
 * The dispatch over the kinds, generated from the JS table so that the type
 * codes agree: an if-chain per function (the last kind is the fallback).
 */
function kindDispatch() {
  const chain = (fn, args) =>
    KINDS.map((k, i) =>
      i < KINDS.length - 1 ? `  if (t == ${k.code}u) {\n    return ${k.name}${fn}(${args});\n  }` : `  return ${k.name}${fn}(${args});`,
    ).join("\n");
  const slots = KINDS.map((k, i) => {
    const word = k.slots.reduce((w, t, q) => w + SLOT_CODES[t] * 16 ** q, 0);
    const ret = `return 0x${word.toString(16)}u;`;
    return i < KINDS.length - 1 ? `  if (t == ${k.code}u) {\n    ${ret}\n  }` : `  ${ret}`;
  }).join("\n");
  return [
    `fn shapeSdfGrad(t: u32, g0: vec4f, g1: vec4f, p: vec2f) -> SdfGrad {\n${chain("Sdf", "g0, g1, p")}\n}`,
    `fn shapeBox(t: u32, g0: vec4f, g1: vec4f, reach: f32) -> vec4f {\n${chain("Box", "g0, g1, reach")}\n}`,
    `fn kindGeo1(t: u32, v: array<f32, 8>, raw4: f32) -> vec3f {\n${chain("Geo1", "v, raw4")}\n}`,
    `fn kindPrior(t: u32, v: array<f32, 8>, wPerim: f32, wDegen: f32, wCanvas: f32) -> KindPrior {\n${chain("Prior", "v, wPerim, wDegen, wCanvas")}\n}`,
    `fn kindSlots(t: u32) -> u32 {\n${slots}\n}`,
  ].join("\n\n");
}

/** [file, text] parts that the helper name "kinds" expands to. */
function kindParts() {
  return [
    ["kinds.wgsl", FILES["kinds.wgsl"]],
    ...KINDS.map((k) => {
      if (!KIND_FILES[k.name]) throw new Error(`no WGSL section for the shape kind ${k.name}`);
      return [`kinds/${k.name}.wgsl`, KIND_FILES[k.name]];
    }),
    ["(generated kind dispatch)", kindDispatch()],
  ];
}

/** The WGSL source of every kind section, by name (for the registry test). */
export const WGSL_KINDS = KIND_FILES;

/** Entry file and the helper files it is compiled with. */
export const PROGRAMS = {
  targetStats: ["target_stats.wgsl", "stencils.wgsl"],
  forward: ["forward.wgsl", "kinds"],
  imageLoss: ["image_loss.wgsl", "stencils.wgsl"],
  backward: ["backward.wgsl", "kinds", "stencils.wgsl", "adjoint.wgsl"],
  reduce: ["reduce.wgsl"],
  adam: ["adam.wgsl", "params.wgsl", "priors.wgsl", "kinds"],
  restore: ["restore.wgsl", "params.wgsl", "kinds"],
  decode: ["decode.wgsl", "params.wgsl", "kinds"],
  // the tiled path (tiles.wgsl): boxes -> bin -> forwardTiled -> imageLoss -> backwardTiled -> reduceTiled -> adam
  boxes: ["boxes.wgsl", "tiles.wgsl", "kinds"],
  bin: ["bin.wgsl", "tiles.wgsl"],
  forwardTiled: ["forward_tiled.wgsl", "tiles.wgsl", "kinds"],
  backwardTiled: ["backward_tiled.wgsl", "tiles.wgsl", "kinds", "stencils.wgsl", "adjoint.wgsl"],
  reduceTiled: ["reduce_tiled.wgsl", "tiles.wgsl"],
};

/** The 1-D factor of the normalised 7x7 Gaussian (sigma 1.5), as reference.js builds it. */
function gaussWeights() {
  const g = [];
  for (let i = -3; i <= 3; i++) g.push(Math.exp(-(i * i) / (2 * 1.5 * 1.5)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

/**
 * @param {string} name key of PROGRAMS
 * @param {{pixelsPerThread: number}} constants
 * @returns {{code: string, where: (line: number) => string}} the module source, and
 *   where(line) naming the file and line that a compiler message's line came from
 */
export function programSource(name, { pixelsPerThread }) {
  const [entryName, ...helperNames] = PROGRAMS[name];
  const entry = FILES[entryName];
  // `enable` directives must precede every declaration
  const enables = entry.match(/^enable [^;]+;/gm) ?? [];
  const header = [
    ...enables,
    `const PIX: u32 = ${pixelsPerThread}u;`,
    `const GAUSS = array<f32, 7>(${gaussWeights().map((v) => v.toPrecision(9)).join(", ")});`,
  ].join("\n");
  const parts = [
    ["(generated header)", header],
    ["common.wgsl", FILES["common.wgsl"]],
    ...helperNames.flatMap((file) => (file === "kinds" ? kindParts() : [[file, FILES[file]]])),
    [entryName, entry.replace(/^enable [^;]+;/gm, "")],
  ];
  const starts = [];
  let line = 1;
  for (const [file, text] of parts) {
    starts.push([file, line]);
    line += text.split("\n").length;
  }
  const where = (n) => {
    let at = starts[0];
    for (const s of starts) if (s[1] <= n) at = s;
    return `${at[0]}:${n - at[1] + 1}`;
  };
  return { code: parts.map((p) => p[1]).join("\n"), where };
}

/** Binding numbers an entry file declares (its bind group must give exactly these). */
export function declaredBindings(name) {
  return [...FILES[PROGRAMS[name][0]].matchAll(/@binding\((\d+)\)/g)].map((m) => Number(m[1]));
}
