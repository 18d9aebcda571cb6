// The engine's loss and render equal the NumPy oracle's on the fixture scenes
// exported by tests/test_fixtures.py (format documented there).

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { createEngine, representable } from "../build/engine.mjs";

const DIR = new URL("./fixtures/", import.meta.url);
const FIXTURES = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, DIR), "utf8")));
const BACKENDS = [
  { name: "reference", options: { backend: "reference" }, renderTol: 1e-6 },
  { name: "wasm", options: { backend: "wasm", workers: 0 }, renderTol: 1e-5 },
];
const LOSS_RTOL = 1e-4;

test("the fixtures are there", () => {
  assert.ok(FIXTURES.length >= 5, `found ${FIXTURES.length} fixture files in ${DIR.pathname}`);
});

// Positions go through a sigmoid, so the engine holds only scenes whose
// positions lie in [0, 1] (others are clamped; docs/engine.md).
for (const fixture of FIXTURES) {
  test(`${fixture.name}: every position lies in [0, 1], so the engine can hold the scene`, () => {
    const outside = fixture.scene.shapes.map((s, i) => (representable(s) ? null : i)).filter((i) => i !== null);
    assert.deepEqual(outside, [], `shapes ${outside} of ${fixture.name} have positions outside [0, 1]; move them inside (tests/test_fixtures.py)`);
  });
}

for (const backend of BACKENDS) {
  for (const fixture of FIXTURES.filter((f) => f.scene.shapes.every(representable))) {
    test(`${backend.name}: ${fixture.name} matches the oracle`, async () => {
      const engine = await createEngine(backend.options);
      const { width, height, data, channels } = fixture.target;
      engine.setTarget({ data: Float32Array.from(data.flat(2)), width, height, channels });
      engine.setScene(fixture.scene);
      for (const c of fixture.cases) {
        const loss = await engine.loss(undefined, { tau: c.tau });
        for (const [key, expected] of Object.entries(c.loss)) {
          const err = Math.abs(loss[key] - expected);
          assert.ok(err <= LOSS_RTOL * Math.abs(expected) + 1e-12, `tau ${c.tau} ${key}: ${loss[key]} vs ${expected}`);
        }
        const image = await engine.render(undefined, { tau: c.tau });
        const expected = c.render.flat(2);
        assert.equal(image.length, expected.length);
        let worst = 0;
        for (let p = 0; p < expected.length; p++) worst = Math.max(worst, Math.abs(image[p] - expected[p]));
        assert.ok(worst <= backend.renderTol, `tau ${c.tau}: render differs by up to ${worst}`);
      }
      engine.dispose();
    });
  }
}
