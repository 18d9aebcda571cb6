// The Grow control: a shape budget, the start opacity of new shapes and a
// button that starts the shape search from the page, the search that
// PelicanWidget.refine() asks for from Python.
// Like the Run button, it writes a run request naming this page as its owner,
// so this page starts at once with no kernel round trip (docs/widget.md,
// "Requests and ownership").

import { KIND_NAMES } from "../engine/shapes/index.js";

const DEFAULT_BUDGET = 35; // refine()'s default
const MAX_BUDGET = 1000; // widget.py's MAX_SHAPES
// Fainter starts than the box's lowest step barely show in a drawing; refine()
// itself takes any opacity in (0, 1].
const MIN_OPACITY = 0.05;

/**
 * The run request for a search up to `maxShapes` shapes, as refine() builds it
 * with its defaults: error-driven proposals, the widget's objective, weights and seed.
 * @param {any} model the anywidget model
 * @param {number} maxShapes the shape budget
 * @param {string} owner the frontend that runs it (this page)
 * @param {string[]} [types] the kinds the search may add (default: every kind, which
 *   the request then leaves out, as refine() does)
 * @param {number} [opacity] the opacity new shapes start at; sent only when it is a
 *   valid start opacity below 1 (1, the default, means opaque shapes and is left out,
 *   as refine() does)
 * @returns {Record<string, any>} the new `_run_request`
 */
export function growRequest(model, maxShapes, owner, types = KIND_NAMES, opacity = 1) {
  const req = model.get("_run_request") ?? {};
  const refine = {
    proposal: "error",
    loss: model.get("objective"),
    weights: { ...model.get("weights") },
    seed: model.get("seed"),
    maxShapes,
  };
  if (types.length < KIND_NAMES.length) refine.types = KIND_NAMES.filter((k) => types.includes(k));
  if (isOpacity(opacity) && opacity < 1) refine.opacity = opacity;
  // Without numpy the kernel could not compute the target's mean: the runner does.
  if (model.get("_background_from_target") && (model.get("scene")?.shapes?.length ?? 0) === 0) {
    refine.backgroundFromTarget = true;
  }
  return { id: (req.id ?? 0) + 1, steps: model.get("steps"), stop: model.get("_stop_request"), owner, refine };
}

/**
 * @param {string} text what the budget box holds
 * @returns {number | null} the budget, or null when it is not an integer in [1, MAX_BUDGET]
 */
export function parseBudget(text) {
  const v = Number(text);
  return Number.isInteger(v) && v >= 1 && v <= MAX_BUDGET ? v : null;
}

/**
 * @param {unknown} v
 * @returns {v is number} whether `v` is a start opacity the box offers, a number in [MIN_OPACITY, 1]
 */
const isOpacity = (v) => typeof v === "number" && v >= MIN_OPACITY && v <= 1;

/**
 * @param {string} text what the opacity box holds
 * @returns {number | null} the start opacity, or null when it is not a number in [MIN_OPACITY, 1]
 */
export function parseOpacity(text) {
  const v = text.trim() === "" ? NaN : Number(text);
  return isOpacity(v) ? v : null;
}

/**
 * @param {any} model the anywidget model
 * @param {string} owner this page's frontend id
 * @returns {{el: HTMLElement, dispose: () => void}}
 */
export function createGrowControl(model, owner) {
  const budget = document.createElement("input");
  Object.assign(budget, { type: "number", min: 1, max: MAX_BUDGET, step: 1, value: String(DEFAULT_BUDGET), className: "pelican-grow-shapes" });
  budget.title = `shape budget: the search stops at this many shapes (1 to ${MAX_BUDGET})`;
  const opacityIn = document.createElement("input");
  Object.assign(opacityIn, { type: "number", min: MIN_OPACITY, max: 1, step: 0.05, value: "1", className: "pelican-grow-opacity" });
  opacityIn.title = `start opacity of new shapes (${MIN_OPACITY} to 1), then optimised with the rest; 1: opaque shapes`;
  // the box's last valid value: an invalid entry falls back to it, as the steps and lr boxes do
  let opacity = 1;
  const button = document.createElement("button");
  button.className = "pelican-grow";
  button.textContent = "Grow";
  button.title = "Add shapes one at a time where the drawing is most wrong, keeping each only if it lowers the loss";
  const label = document.createElement("label");
  label.append("shapes", budget);
  const opacityLabel = document.createElement("label");
  opacityLabel.append("opacity", opacityIn);
  // one box per kind the search may add; at least one stays ticked
  const kinds = KIND_NAMES.map((name) => {
    const box = document.createElement("input");
    Object.assign(box, { type: "checkbox", checked: true, className: "pelican-grow-kind", value: name });
    box.title = `let the search add ${name} shapes`;
    box.addEventListener("change", () => {
      if (!kinds.some((k) => k.checked)) box.checked = true;
    });
    const item = document.createElement("label");
    item.append(box, name);
    return box;
  });
  const kindList = document.createElement("span");
  kindList.className = "pelican-grow-kinds";
  kindList.append(...kinds.map((box) => box.parentElement));
  const el = document.createElement("span");
  el.className = "pelican-grow-control";
  el.append(label, opacityLabel, kindList, button);

  const update = () => {
    const st = model.get("status");
    button.disabled = st === "running" || st === "waiting for browser";
    budget.disabled = st === "running";
    opacityIn.disabled = st === "running";
    for (const box of kinds) box.disabled = st === "running";
  };
  for (const input of [budget, opacityIn]) {
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") button.click();
    });
  }
  budget.addEventListener("change", () => {
    if (parseBudget(budget.value) === null) budget.value = String(DEFAULT_BUDGET);
  });
  const commitOpacity = () => {
    const v = parseOpacity(opacityIn.value);
    if (v === null) opacityIn.value = String(opacity);
    else opacity = v;
  };
  opacityIn.addEventListener("change", commitOpacity);
  button.addEventListener("click", () => {
    const maxShapes = parseBudget(budget.value);
    if (maxShapes === null || button.disabled) return;
    const types = kinds.filter((k) => k.checked).map((k) => k.value);
    // Enter in the box clicks before its change event fires
    commitOpacity();
    model.set("_run_request", growRequest(model, maxShapes, owner, types, opacity));
    model.save_changes();
  });
  model.on("change:status", update);
  update();
  return { el, dispose: () => model.off("change:status", update) };
}
