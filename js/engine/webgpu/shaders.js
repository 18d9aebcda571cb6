// WGSL sources: each entry file is compiled together with the shared helper
// files it needs and a generated header of constants.

import adam from "./shaders/adam.wgsl";
import adjoint from "./shaders/adjoint.wgsl";
import backward from "./shaders/backward.wgsl";
import common from "./shaders/common.wgsl";
import decode from "./shaders/decode.wgsl";
import forward from "./shaders/forward.wgsl";
import imageLoss from "./shaders/image_loss.wgsl";
import params from "./shaders/params.wgsl";
import priors from "./shaders/priors.wgsl";
import reduce from "./shaders/reduce.wgsl";
import restore from "./shaders/restore.wgsl";
import shapes from "./shaders/shapes.wgsl";
import stencils from "./shaders/stencils.wgsl";
import targetStats from "./shaders/target_stats.wgsl";

const FILES = {
  "adam.wgsl": adam,
  "adjoint.wgsl": adjoint,
  "backward.wgsl": backward,
  "common.wgsl": common,
  "decode.wgsl": decode,
  "forward.wgsl": forward,
  "image_loss.wgsl": imageLoss,
  "params.wgsl": params,
  "priors.wgsl": priors,
  "reduce.wgsl": reduce,
  "restore.wgsl": restore,
  "shapes.wgsl": shapes,
  "stencils.wgsl": stencils,
  "target_stats.wgsl": targetStats,
};

/** Entry file and the helper files it is compiled with. */
export const PROGRAMS = {
  targetStats: ["target_stats.wgsl", "stencils.wgsl"],
  forward: ["forward.wgsl", "shapes.wgsl"],
  imageLoss: ["image_loss.wgsl", "stencils.wgsl"],
  backward: ["backward.wgsl", "shapes.wgsl", "stencils.wgsl", "adjoint.wgsl"],
  reduce: ["reduce.wgsl"],
  adam: ["adam.wgsl", "params.wgsl", "priors.wgsl"],
  restore: ["restore.wgsl", "params.wgsl"],
  decode: ["decode.wgsl", "params.wgsl"],
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
    ...helperNames.map((file) => [file, FILES[file]]),
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
