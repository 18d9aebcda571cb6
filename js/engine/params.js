// Scene (wire format, user units) <-> raw parameters (unconstrained, packed
// STRIDE floats per shape). The layout is fixed in docs/engine.md.

/** Floats per shape in the raw parameter array. */
export const STRIDE = 10;
/** Slot of the (grey) fill; 8 and 9 are kept for the G and B channels. */
export const FILL_SLOT = 7;
export const CIRCLE = 0;
export const ELLIPSE = 1;
export const TRIANGLE = 2;
export const TYPE_CODES = Object.freeze({ circle: CIRCLE, ellipse: ELLIPSE, triangle: TRIANGLE });
export const TYPE_NAMES = Object.freeze(["circle", "ellipse", "triangle"]);

/** Slots that carry a parameter, per type code (the others stay 0). */
export const USED_SLOTS = Object.freeze([
  Object.freeze([0, 1, 2, FILL_SLOT]),
  Object.freeze([0, 1, 2, 3, 4, FILL_SLOT]),
  Object.freeze([0, 1, 2, 3, 4, 5, FILL_SLOT]),
]);

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

function fail(where, message) {
  throw new Error(`invalid scene: ${where}: ${message}`);
}

function checkNumber(value, where, { min = -Infinity, max = Infinity, open = false } = {}) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(where, `expected a finite number, got ${typeof value === "number" ? String(value) : JSON.stringify(value)}`);
  }
  if (open ? value <= min : value < min) fail(where, `${value} is ${open ? "not above" : "below"} ${min}`);
  if (value > max) fail(where, `${value} is above ${max}`);
}

function checkFill(fill, where) {
  if (Array.isArray(fill)) fail(where, "RGB fills are not supported by the engine yet; use a grey number in [0, 1]");
  checkNumber(fill, where, { min: 0, max: 1 });
}

function checkShape(shape, i) {
  const at = `shapes[${i}]`;
  if (shape === null || typeof shape !== "object") fail(at, "expected an object");
  switch (shape.type) {
    case "circle":
      checkNumber(shape.cx, `${at}.cx`);
      checkNumber(shape.cy, `${at}.cy`);
      checkNumber(shape.r, `${at}.r`, { min: 0, open: true });
      break;
    case "ellipse":
      checkNumber(shape.cx, `${at}.cx`);
      checkNumber(shape.cy, `${at}.cy`);
      checkNumber(shape.rx, `${at}.rx`, { min: 0, open: true });
      checkNumber(shape.ry, `${at}.ry`, { min: 0, open: true });
      checkNumber(shape.angle, `${at}.angle`);
      break;
    case "triangle":
      if (!Array.isArray(shape.points) || shape.points.length !== 3) fail(`${at}.points`, "expected 3 [x, y] points");
      shape.points.forEach((p, k) => {
        if (!Array.isArray(p) || p.length !== 2) fail(`${at}.points[${k}]`, "expected [x, y]");
        checkNumber(p[0], `${at}.points[${k}][0]`);
        checkNumber(p[1], `${at}.points[${k}][1]`);
      });
      break;
    default:
      fail(`${at}.type`, `expected "circle", "ellipse" or "triangle", got ${JSON.stringify(shape.type)}`);
  }
  checkFill(shape.fill, `${at}.fill`);
}

/**
 * Whether the raw parameters represent `shape` as it is: positions (a sigmoid)
 * must lie in [0, 1]; others are clamped into it when packed.
 */
export function representable(shape) {
  const inside = (v) => v >= 0 && v <= 1;
  if (shape.type === "triangle") return shape.points.every(([x, y]) => inside(x) && inside(y));
  return inside(shape.cx) && inside(shape.cy);
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
  if (scene.background !== undefined) {
    if (Array.isArray(scene.background)) {
      fail("background", "colour ([r, g, b]) backgrounds are not supported by the engine yet; use a grey number in [0, 1]");
    }
    checkNumber(scene.background, "background", { min: 0, max: 1 });
  }
  if (!Array.isArray(scene.shapes)) fail("shapes", "expected an array");
  scene.shapes.forEach(checkShape);
}

/** The grey that compositing starts from: the scene's `background`, 1.0 (white) when absent. */
export function sceneBackground(scene) {
  return scene?.background ?? 1.0;
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
    types[i] = TYPE_CODES[s.type];
    if (s.type === "triangle") {
      for (let k = 0; k < 3; k++) {
        raw[o + 2 * k] = logit(s.points[k][0]);
        raw[o + 2 * k + 1] = logit(s.points[k][1]);
      }
    } else {
      raw[o] = logit(s.cx);
      raw[o + 1] = logit(s.cy);
      if (s.type === "circle") {
        raw[o + 2] = softplusInverse(s.r);
      } else {
        raw[o + 2] = softplusInverse(s.rx);
        raw[o + 3] = softplusInverse(s.ry);
        raw[o + 4] = s.angle;
      }
    }
    raw[o + FILL_SLOT] = logit(s.fill);
  });
  return { raw, types };
}

/**
 * Constrained (scene-unit) values of one shape, in raw slot order.
 * @param {ArrayLike<number>} raw
 * @param {number} i shape index
 * @param {number} type type code
 * @param {Float64Array} out STRIDE values; out[k] = transform_k(raw[k])
 * @param {Float64Array} [dout] STRIDE derivatives d out[k] / d raw[k] (0 for unused slots)
 */
export function decodeShape(raw, i, type, out, dout) {
  const o = i * STRIDE;
  out.fill(0);
  if (dout) dout.fill(0);
  for (const k of USED_SLOTS[type]) {
    const x = raw[o + k];
    const radius = type !== TRIANGLE && (k === 2 || (type === ELLIPSE && k === 3));
    const angle = type === ELLIPSE && k === 4;
    if (angle) {
      out[k] = x;
      if (dout) dout[k] = 1;
    } else if (radius) {
      out[k] = softplus(x);
      if (dout) dout[k] = sigmoid(x);
    } else {
      const s = sigmoid(x);
      out[k] = s;
      if (dout) dout[k] = s * (1 - s);
    }
  }
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
 */
export function rawToShapes(raw, types, base) {
  const v = new Float64Array(STRIDE);
  const shapes = [];
  for (let i = 0; i < types.length; i++) {
    const original = base?.shapes[i];
    if (original && sameSlots(raw, i, base.raw)) {
      shapes.push(structuredClone(original));
      continue;
    }
    const type = types[i];
    decodeShape(raw, i, type, v);
    const extra = original && original.type === TYPE_NAMES[type] ? structuredClone(original) : {};
    let shape;
    if (type === TRIANGLE) {
      shape = { ...extra, type: "triangle", points: [[v[0], v[1]], [v[2], v[3]], [v[4], v[5]]] };
    } else if (type === CIRCLE) {
      shape = { ...extra, type: "circle", cx: v[0], cy: v[1], r: v[2] };
    } else {
      shape = { ...extra, type: "ellipse", cx: v[0], cy: v[1], rx: v[2], ry: v[3], angle: v[4] };
    }
    shape.fill = v[FILL_SLOT];
    shapes.push(shape);
  }
  return shapes;
}

/**
 * Validates and packs a scene given to `setScene`: its raw parameters and type
 * codes, and the base that `sceneFromRaw` reports untouched shapes from. A
 * shape the raw parameters can only clamp gets NaN base slots, so that it is
 * reported as clamped rather than as given.
 * @param {any} scene wire-format scene
 * `background` is the grey compositing starts from (`sceneBackground`).
 * @param {any} scene wire-format scene
 * @returns {{raw: Float32Array, types: Uint8Array, background: number, base: {scene: any, shapes: any[], raw: Float32Array}}}
 */
export function packScene(scene) {
  validateScene(scene);
  const { raw, types } = sceneToRaw(scene);
  const baseRaw = Float32Array.from(raw);
  scene.shapes.forEach((shape, i) => {
    if (!representable(shape)) baseRaw.fill(NaN, i * STRIDE, (i + 1) * STRIDE);
  });
  const background = sceneBackground(scene);
  return { raw, types, background, base: { scene: structuredClone(scene), shapes: structuredClone(scene.shapes), raw: baseRaw } };
}

/**
 * Raw parameters, type codes and background of a scene argument of
 * `render`/`loss` (validated), or `current` when the argument is omitted.
 * @param {any} scene
 * @param {{raw: Float32Array, types: Uint8Array, background: number}} current
 */
export function resolveSceneArgument(scene, current) {
  if (scene === undefined || scene === null) return current;
  validateScene(scene);
  return { ...sceneToRaw(scene), background: sceneBackground(scene) };
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
  scene.shapes = rawToShapes(raw, types, base ?? undefined);
  return scene;
}
