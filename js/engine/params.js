// Scene (wire format, user units) <-> raw parameters (unconstrained, packed
// STRIDE floats per shape). The layout is fixed in docs/engine.md; each
// shape kind's own slots come from its module in shapes/.

import { fail, checkNumber } from "./shapes/common.js";
import { KINDS, KIND_BY_NAME, KIND_NAMES } from "./shapes/index.js";

/** Floats per shape in the raw parameter array. */
export const STRIDE = 11;
/** Slot of the first fill channel: grey, or R with G and B in the next two. */
export const FILL_SLOT = 7;
/** Slot of the opacity (sigmoid; OPAQUE and above: exactly 1, fixed). */
export const OPACITY_SLOT = 10;
/**
 * Raw opacity of an opaque shape (opacity exactly 1). From this value up the
 * opacity decodes to exactly 1 with a zero derivative, so an opaque shape's
 * slot gets no gradient and Adam never moves it: opaque scenes optimise as
 * they did before opacity existed. Packed opacities below 1 stay below
 * logit(1 - 1e-6) ~ 13.8 and are optimised through the sigmoid; one that
 * Adam pushes up to OPAQUE becomes opaque for good.
 */
export const OPAQUE = 16;
/** Type codes: each kind's index in the table of shapes/index.js. */
export const CIRCLE = KIND_BY_NAME.circle.code;
export const ELLIPSE = KIND_BY_NAME.ellipse.code;
export const TRIANGLE = KIND_BY_NAME.triangle.code;
export const TYPE_CODES = Object.freeze(Object.fromEntries(KINDS.map((k) => [k.name, k.code])));
export const TYPE_NAMES = KIND_NAMES;

/** Fill slots of a pipeline with `channels` colour channels (1 grey, 3 RGB). */
export function fillSlots(channels = 1) {
  return Array.from({ length: channels }, (_, c) => FILL_SLOT + c);
}

/**
 * Slots that carry a parameter for a type code (the others stay 0); with
 * `translucent`, the opacity slot too (an opaque shape's is fixed at OPAQUE).
 */
export function usedSlots(type, channels = 1, translucent = false) {
  return [...KINDS[type].slots.keys(), ...fillSlots(channels), ...(translucent ? [OPACITY_SLOT] : [])];
}

/** Whether a raw opacity is the fixed opaque one (decodes to exactly 1, no gradient). */
export function isOpaque(rawOpacity) {
  return !(rawOpacity < OPAQUE);
}

/** usedSlots of every type code in a grey pipeline. */
export const USED_SLOTS = Object.freeze(KINDS.map((k) => Object.freeze(usedSlots(k.code, 1))));

const EPS = 1e-6;

export function sigmoid(x) {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function logit(v) {
  const c = Math.min(Math.max(v, EPS), 1 - EPS);
  return Math.log(c / (1 - c));
}

/** softplus with PyTorch's threshold (linear above 20); its derivative is sigmoid. */
export function softplus(x) {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

export function softplusInverse(r) {
  return r > 20 ? r : Math.log(Math.expm1(r));
}

/** A colour is a grey number in [0, 1] or [r, g, b] of them (DESIGN.md). */
function checkColour(value, where) {
  if (Array.isArray(value)) {
    if (value.length !== 3) fail(where, `expected a grey number or [r, g, b] (3 numbers), got ${value.length} numbers`);
    value.forEach((v, c) => checkNumber(v, `${where}[${c}]`, { min: 0, max: 1 }));
    return;
  }
  checkNumber(value, where, { min: 0, max: 1 });
}

function checkShape(shape, i) {
  const at = `shapes[${i}]`;
  if (shape === null || typeof shape !== "object") fail(at, "expected an object");
  const kind = Object.hasOwn(KIND_BY_NAME, shape.type) ? KIND_BY_NAME[shape.type] : null;
  if (!kind) fail(`${at}.type`, `expected one of ${KIND_NAMES.map((n) => JSON.stringify(n)).join(", ")}, got ${JSON.stringify(shape.type)}`);
  kind.check(shape, at);
  checkColour(shape.fill, `${at}.fill`);
  // in (0, 1]: 0 paints nothing and has no gradient to come back from
  if (shape.opacity !== undefined) checkNumber(shape.opacity, `${at}.opacity`, { min: 0, max: 1, open: true });
}

/**
 * Whether the raw parameters represent `shape` as it is: positions (a sigmoid)
 * must lie in [0, 1]; others are clamped into it when packed.
 */
export function representable(shape) {
  return KIND_BY_NAME[shape.type].positions(shape).every((v) => v >= 0 && v <= 1);
}

/**
 * Throws an Error naming the first offending field if `scene` is not a valid
 * wire-format scene the engine can optimise.
 * @param {any} scene
 */
export function validateScene(scene) {
  if (scene === null || typeof scene !== "object" || Array.isArray(scene)) fail("scene", "expected an object");
  if (scene.version !== undefined && scene.version !== 1) fail("version", `unsupported version ${JSON.stringify(scene.version)} (expected 1)`);
  for (const key of ["width", "height"]) {
    if (scene[key] !== undefined && !(Number.isInteger(scene[key]) && scene[key] > 0)) {
      fail(key, `expected a positive integer, got ${JSON.stringify(scene[key])}`);
    }
  }
  if (scene.background !== undefined) checkColour(scene.background, "background");
  if (!Array.isArray(scene.shapes)) fail("shapes", "expected an array");
  scene.shapes.forEach(checkShape);
  // grey or colour throughout; a grey background is the colour with equal channels
  const rgb = scene.shapes.findIndex((s) => Array.isArray(s.fill));
  if (rgb >= 0 || Array.isArray(scene.background)) {
    const grey = scene.shapes.findIndex((s) => !Array.isArray(s.fill));
    const why = rgb >= 0 ? `shapes[${rgb}].fill` : "background";
    if (grey >= 0) fail(`shapes[${grey}].fill`, `grey in a colour scene (${why} is [r, g, b]); a scene is grey or colour throughout`);
  }
}

/** Colour channels of a (valid) scene: 3 when a fill or the background is [r, g, b], else 1. */
export function sceneChannels(scene) {
  return Array.isArray(scene.background) || scene.shapes.some((s) => Array.isArray(s.fill)) ? 3 : 1;
}

/** A copy of a grey scene with every fill and the background v as [v, v, v]. */
export function asColourScene(scene) {
  const rgb = (v) => (Array.isArray(v) ? [...v] : [v, v, v]);
  const copy = structuredClone(scene);
  copy.background = rgb(scene.background ?? 1.0);
  for (const shape of copy.shapes) shape.fill = rgb(shape.fill);
  return copy;
}

/**
 * What compositing starts from: the scene's `background`, 1.0 (white) when
 * absent; a grey number, or with `channels` 3 an [r, g, b] array (a grey
 * background as three equal channels).
 */
export function sceneBackground(scene, channels = 1) {
  const value = scene?.background ?? 1.0;
  if (channels === 1) return value;
  return Array.isArray(value) ? [...value] : [value, value, value];
}

/**
 * The scene to pack for a pipeline of `channels` channels (null: the scene's
 * own): a grey scene on a colour target is taken as its equal colour scene; a
 * colour scene on a grey target is an error.
 */
function forChannels(scene, channels) {
  const own = sceneChannels(scene);
  const want = channels ?? own;
  if (own === 3 && want === 1) fail("shapes", "the scene is in colour ([r, g, b] fills or background) but the target is grey");
  return { scene: own === 1 && want === 3 ? asColourScene(scene) : scene, channels: want };
}

/** Raw value of a scene value under a slot transform (the inverse of decodeShape's). */
function encode(transform, value) {
  if (transform === "len") return softplusInverse(value);
  if (transform === "angle") return value;
  return logit(value);
}

/** Raw opacity: OPAQUE for exactly 1 (fixed), else the clamped logit (optimised). */
export function encodeOpacity(opacity) {
  return opacity >= 1 ? OPAQUE : logit(opacity);
}

/** Opacity of a raw value and its derivative: exactly 1 and 0 from OPAQUE up. */
export function decodeOpacity(x) {
  if (isOpaque(x)) return { a: 1, da: 0 };
  const s = sigmoid(x);
  return { a: s, da: s * (1 - s) };
}

/** The fill channels of a shape: [grey] or [r, g, b]. */
export function fillChannels(fill) {
  return Array.isArray(fill) ? fill : [fill];
}

/**
 * Packs the shapes of a (validated) scene into raw parameters.
 * @param {{shapes: any[]}} scene
 * @returns {{raw: Float32Array, types: Uint8Array}}
 */
export function sceneToRaw(scene) {
  const n = scene.shapes.length;
  const raw = new Float32Array(n * STRIDE);
  const types = new Uint8Array(n);
  scene.shapes.forEach((s, i) => {
    const o = i * STRIDE;
    const kind = KIND_BY_NAME[s.type];
    types[i] = kind.code;
    kind.values(s).forEach((v, k) => {
      raw[o + k] = encode(kind.slots[k], v);
    });
    fillChannels(s.fill).forEach((v, c) => {
      raw[o + FILL_SLOT + c] = logit(v);
    });
    raw[o + OPACITY_SLOT] = encodeOpacity(s.opacity ?? 1);
  });
  return { raw, types };
}

/**
 * Constrained (scene-unit) values of one shape, in raw slot order.
 * @param {ArrayLike<number>} raw
 * @param {number} i shape index
 * @param {number} type type code
 * @param {Float64Array} out STRIDE values; out[k] = transform_k(raw[k]); out[OPACITY_SLOT]
 *   the opacity (1 for an opaque shape)
 * @param {Float64Array} [dout] STRIDE derivatives d out[k] / d raw[k] (0 for unused slots)
 * @param {number} [channels=1] fill channels to decode (1 grey, 3 RGB)
 */
export function decodeShape(raw, i, type, out, dout, channels = 1) {
  const o = i * STRIDE;
  const slots = KINDS[type].slots;
  out.fill(0);
  if (dout) dout.fill(0);
  for (let k = 0; k < slots.length; k++) {
    const x = raw[o + k];
    const t = slots[k];
    if (t === "angle") {
      out[k] = x;
      if (dout) dout[k] = 1;
    } else if (t === "len") {
      out[k] = softplus(x);
      if (dout) dout[k] = sigmoid(x);
    } else {
      const s = sigmoid(x);
      out[k] = s;
      if (dout) dout[k] = s * (1 - s);
    }
  }
  for (let k = FILL_SLOT; k < FILL_SLOT + channels; k++) {
    const s = sigmoid(raw[o + k]);
    out[k] = s;
    if (dout) dout[k] = s * (1 - s);
  }
  const { a, da } = decodeOpacity(raw[o + OPACITY_SLOT]);
  out[OPACITY_SLOT] = a;
  if (dout) dout[OPACITY_SLOT] = da;
}

function sameSlots(raw, i, ref) {
  if (!ref) return false;
  const o = i * STRIDE;
  for (let k = 0; k < STRIDE; k++) if (!Object.is(raw[o + k], ref[o + k])) return false;
  return true;
}

/**
 * Turns raw parameters back into wire-format shapes. A shape whose raw slots
 * are bitwise those of `base.raw` is returned as `base.shapes[i]` (a copy), so
 * untouched and frozen shapes keep their exact user values and extra fields.
 * @param {ArrayLike<number>} raw
 * @param {Uint8Array} types
 * @param {{raw: ArrayLike<number>, shapes: any[]}} [base]
 * @param {number} [channels=1] fill channels (1: grey numbers, 3: [r, g, b])
 */
export function rawToShapes(raw, types, base, channels = 1) {
  const v = new Float64Array(STRIDE);
  const shapes = [];
  for (let i = 0; i < types.length; i++) {
    const original = base?.shapes[i];
    if (original && sameSlots(raw, i, base.raw)) {
      shapes.push(structuredClone(original));
      continue;
    }
    const kind = KINDS[types[i]];
    decodeShape(raw, i, kind.code, v, undefined, channels);
    const extra = original && original.type === kind.name ? structuredClone(original) : {};
    const shape = { ...extra, type: kind.name, ...kind.fromValues(v) };
    shape.fill = channels === 1 ? v[FILL_SLOT] : Array.from(v.subarray(FILL_SLOT, FILL_SLOT + channels));
    // written only below 1 (DESIGN.md); an opaque result drops a copied field
    if (v[OPACITY_SLOT] < 1) shape.opacity = v[OPACITY_SLOT];
    else delete shape.opacity;
    shapes.push(shape);
  }
  return shapes;
}

/**
 * Validates and packs a scene given to `setScene`: its raw parameters and type
 * codes, and the base that `sceneFromRaw` reports untouched shapes from. A
 * shape the raw parameters can only clamp gets NaN base slots, so that it is
 * reported as clamped rather than as given. `background` is what compositing
 * starts from (`sceneBackground`).
 * @param {any} scene wire-format scene
 * @param {1 | 3 | null} [channels] the target's channels (null: the scene's own);
 *   a grey scene on a colour target is packed as its equal colour scene
 * @returns {{raw: Float32Array, types: Uint8Array, background: number | number[], channels: 1 | 3,
 *   base: {scene: any, shapes: any[], raw: Float32Array, given: any, channels: 1 | 3}}}
 */
export function packScene(scene, channels = null) {
  validateScene(scene);
  const { scene: packed, channels: c } = forChannels(scene, channels);
  const { raw, types } = sceneToRaw(packed);
  const baseRaw = Float32Array.from(raw);
  packed.shapes.forEach((shape, i) => {
    if (!representable(shape)) baseRaw.fill(NaN, i * STRIDE, (i + 1) * STRIDE);
  });
  const background = sceneBackground(packed, c);
  return {
    raw,
    types,
    background,
    channels: c,
    base: { scene: structuredClone(packed), shapes: structuredClone(packed.shapes), raw: baseRaw, given: structuredClone(scene), channels: c },
  };
}

/**
 * The packed scene for a target of `channels` channels: `packed` itself when
 * nothing is packed or its channels match; else packed again, so a grey scene
 * becomes its equal colour scene, while a colour scene on a grey target is
 * dropped (the caller sets a scene again).
 * @param {{raw: Float32Array, types: Uint8Array, background: number | number[], base: {channels: 1 | 3} | null}} packed
 * @param {1 | 3} channels
 * @param {(raw: Float32Array) => any} toScene the backend's scene of raw parameters
 */
export function repackForChannels(packed, channels, toScene) {
  if (!packed.base || packed.base.channels === channels) return packed;
  try {
    return packScene(toScene(packed.raw), channels);
  } catch {
    return { raw: new Float32Array(0), types: new Uint8Array(0), background: 1.0, base: null };
  }
}

/**
 * Raw parameters, type codes and background of a scene argument of
 * `render`/`loss` (validated), or `current` when the argument is omitted.
 * @param {any} scene
 * @param {{raw: Float32Array, types: Uint8Array, background: number | number[]}} current
 * @param {1 | 3 | null} [channels] the target's channels
 */
export function resolveSceneArgument(scene, current, channels = null) {
  if (scene === undefined || scene === null) return current;
  validateScene(scene);
  const { scene: packed, channels: c } = forChannels(scene, channels);
  return { ...sceneToRaw(packed), background: sceneBackground(packed, c) };
}

/**
 * The wire-format scene of raw parameters: the base scene's extra fields and
 * background (1.0 when it had none), the target's size where there is one, and
 * the shapes of `rawToShapes`.
 * @param {ArrayLike<number>} raw
 * @param {Uint8Array} types
 * @param {{scene: any, shapes: any[], raw: ArrayLike<number>} | null} base from `packScene`
 * @param {{width: number, height: number} | null} target
 */
export function sceneFromRaw(raw, types, base, target) {
  const scene = base ? structuredClone({ ...base.scene, shapes: undefined }) : {};
  scene.version = 1;
  scene.width = target?.width ?? base?.scene.width ?? 128;
  scene.height = target?.height ?? base?.scene.height ?? 128;
  scene.background = sceneBackground(base?.scene);
  scene.shapes = rawToShapes(raw, types, base ?? undefined, base?.channels ?? 1);
  return scene;
}
