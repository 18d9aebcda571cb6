// The Grow control's request: the search that PelicanWidget.refine() asks for,
// started from the page and owned by it.

import assert from "node:assert/strict";
import { test } from "node:test";

import { growRequest, parseBudget, parseOpacity } from "../ui/grow.js";

const fakeModel = (state) => ({ get: (key) => state[key] });

const STATE = {
  _run_request: { id: 4, steps: 500, stop: 1 },
  _stop_request: 1,
  steps: 300,
  objective: "mse",
  weights: { mse: 1, edge: 0 },
  seed: 7,
  scene: { shapes: [] },
  _background_from_target: false,
};

test("growRequest: the next request id, owned by this page, with refine()'s options", () => {
  const req = growRequest(fakeModel(STATE), 12, "page-a");
  assert.deepEqual(req, {
    id: 5,
    steps: 300,
    stop: 1,
    owner: "page-a",
    refine: { proposal: "error", loss: "mse", weights: { mse: 1, edge: 0 }, seed: 7, maxShapes: 12 },
  });
});

test("growRequest asks the runner for the target's mean only for an empty drawing that needs it", () => {
  const needs = { ...STATE, _background_from_target: true };
  assert.equal(growRequest(fakeModel(needs), 5, "p").refine.backgroundFromTarget, true);
  const drawn = { ...needs, scene: { shapes: [{ type: "circle" }] } };
  assert.equal("backgroundFromTarget" in growRequest(fakeModel(drawn), 5, "p").refine, false);
  assert.equal("backgroundFromTarget" in growRequest(fakeModel(STATE), 5, "p").refine, false);
});

test("parseBudget accepts integers in [1, 1000] only", () => {
  assert.equal(parseBudget("35"), 35);
  assert.equal(parseBudget("1000"), 1000);
  for (const bad of ["0", "1001", "2.5", "", "abc", "-3"]) assert.equal(parseBudget(bad), null, bad);
});

test("growRequest: a choice of kinds goes to the search as refine()'s types, in the table's order; every kind is the default", () => {
  assert.deepEqual(growRequest(fakeModel(STATE), 9, "p", ["curve", "rect"]).refine.types, ["rect", "curve"]);
  assert.equal("types" in growRequest(fakeModel(STATE), 9, "p", ["circle", "ellipse", "triangle", "rect", "curve"]).refine, false);
  assert.equal("types" in growRequest(fakeModel(STATE), 9, "p").refine, false);
});

test("growRequest: a start opacity below 1 goes to the search as refine()'s opacity; 1 (the default) is left out", () => {
  assert.equal(growRequest(fakeModel(STATE), 9, "p", undefined, 0.5).refine.opacity, 0.5);
  assert.equal(growRequest(fakeModel(STATE), 9, "p", ["rect"], 0.05).refine.opacity, 0.05);
  assert.equal("opacity" in growRequest(fakeModel(STATE), 9, "p", undefined, 1).refine, false);
  assert.equal("opacity" in growRequest(fakeModel(STATE), 9, "p").refine, false);
});

test("an invalid start opacity is never sent", () => {
  for (const bad of ["0", "-0.5", "1.5", "0.01", "", " ", "abc", "NaN"]) assert.equal(parseOpacity(bad), null, bad);
  assert.equal(parseOpacity("0.35"), 0.35);
  assert.equal(parseOpacity("1"), 1);
  for (const bad of [0, -0.5, 1.5, Number.NaN, "0.5"]) {
    assert.equal("opacity" in growRequest(fakeModel(STATE), 9, "p", undefined, bad).refine, false, String(bad));
  }
});
