// The Grow control: a shape budget and a button that starts the shape search
// from the page, the search that PelicanWidget.refine() asks for from Python.
// Like the Run button, it writes a run request naming this page as its owner,
// so this page starts at once with no kernel round trip (docs/widget.md,
// "Requests and ownership").

import { KIND_NAMES } from "../engine/shapes/index.js";

const DEFAULT_BUDGET = 35; // refine()'s default
const MAX_BUDGET = 1000; // widget.py's MAX_SHAPES

/**
 * The run request for a search up to `maxShapes` shapes, as refine() builds it
 * with its defaults: error-driven proposals, the widget's objective, weights and seed.
 * @param {any} model the anywidget model
 * @param {number} maxShapes the shape budget
 * @param {string} owner the frontend that runs it (this page)
 * @param {string[]} [types] the kinds the search may add (default: every kind, which
 *   the request then leaves out, as refine() does)
 * @returns {Record<string, any>} the new `_run_request`
 */
export function growRequest(model, maxShapes, owner, types = KIND_NAMES) {
  const req = model.get("_run_request") ?? {};
  const refine = {
    proposal: "error",
    loss: model.get("objective"),
    weights: { ...model.get("weights") },
    seed: model.get("seed"),
    maxShapes,
  };
  if (types.length < KIND_NAMES.length) refine.types = KIND_NAMES.filter((k) => types.includes(k));
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
 * @param {any} model the anywidget model
 * @param {string} owner this page's frontend id
 * @returns {{el: HTMLElement, dispose: () => void}}
 */
export function createGrowControl(model, owner) {
  const budget = document.createElement("input");
  Object.assign(budget, { type: "number", min: 1, max: MAX_BUDGET, step: 1, value: String(DEFAULT_BUDGET), className: "pelican-grow-shapes" });
  budget.title = `shape budget: the search stops at this many shapes (1 to ${MAX_BUDGET})`;
  const button = document.createElement("button");
  button.className = "pelican-grow";
  button.textContent = "Grow";
  button.title = "Add shapes one at a time where the drawing is most wrong, keeping each only if it lowers the loss";
  const label = document.createElement("label");
  label.append("shapes", budget);
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
  el.append(label, kindList, button);

  const update = () => {
    const st = model.get("status");
    button.disabled = st === "running" || st === "waiting for browser";
    budget.disabled = st === "running";
    for (const box of kinds) box.disabled = st === "running";
  };
  budget.addEventListener("keydown", (e) => {
    if (e.key === "Enter") button.click();
  });
  budget.addEventListener("change", () => {
    if (parseBudget(budget.value) === null) budget.value = String(DEFAULT_BUDGET);
  });
  button.addEventListener("click", () => {
    const maxShapes = parseBudget(budget.value);
    if (maxShapes === null || button.disabled) return;
    const types = kinds.filter((k) => k.checked).map((k) => k.value);
    model.set("_run_request", growRequest(model, maxShapes, owner, types));
    model.save_changes();
  });
  model.on("change:status", update);
  update();
  return { el, dispose: () => model.off("change:status", update) };
}
