// Stand-ins for the widget's refine runner (ui/refine_runner.js): an engine
// whose searches end at once, and a model over a Map. Not a test file itself.

/** An engine of a `width` x `height` target that records each refine()'s options in `seen` and returns no shapes. */
export function recordingEngine(width, height) {
  const seen = [];
  const engine = {
    refine: async (options) => {
      seen.push(options);
      return { scene: { shapes: [] }, steps: 0 };
    },
    getTarget: () => ({ width, height }),
    loss: async () => ({ total: 0 }),
  };
  return { engine, seen };
}

/** A widget model over the Map `state`, which starts with an empty scene. */
export function mapModel() {
  const state = new Map([["scene", { shapes: [] }]]);
  const model = { get: (k) => state.get(k), set: (k, v) => state.set(k, v), save_changes: () => {} };
  return { model, state };
}
