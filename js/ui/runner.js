// The engine host: one per widget model in each frontend (anywidget's
// `initialize`). It answers Python's requests (traits `_run_request`,
// `_stop_request`) and writes the state traits. Views never touch the engine.
//
// Ownership: several frontends (browser tabs) can hold the same model. A run
// request is claimed by writing `_claim`; the kernel grants the first claim
// for each request id by setting `_owner`, so exactly one frontend runs it and
// the others only show the state it streams.

import { createEngine } from "../engine/index.js";
import { runRefine } from "./refine_runner.js";
import { decodeTarget, encodeGreyPng } from "./target.js";

const FRAME_INTERVAL_MS = 100; // frames and scenes to Python: at most ~10/s
const HISTORY_INTERVAL_MS = 1000; // loss history to Python: batched, ~1/s
const HISTORY_MAX_ROWS = 500; // the synced history is thinned beyond this
const PROGRESS_EVERY = 10;

/**
 * A loss breakdown with 6 significant digits: enough for a chart and a
 * printout, and it halves the JSON of the streamed history.
 * @param {any} loss
 */
function breakdown(loss) {
  const terms = typeof loss === "number" ? { total: loss } : { ...(loss ?? {}) };
  for (const [k, v] of Object.entries(terms)) {
    if (typeof v === "number" && Number.isFinite(v)) terms[k] = Number(v.toPrecision(6));
  }
  return terms;
}

/** @param {any} err */
function message(err) {
  return String(err?.message ?? err ?? "unknown error");
}

function randomId() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID();
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/**
 * @param {any} model the anywidget model
 * @returns {() => void} cleanup
 */
export function startRunner(model) {
  const frontend = randomId();
  /** @type {Promise<any> | null} */
  let enginePromise = null;
  let engineKey = "";
  /** @type {{controller: AbortController, request: number, done: Promise<void>} | null} */
  let running = null;
  let claimed = 0;

  const write = (values) => {
    for (const [k, v] of Object.entries(values)) model.set(k, v);
    model.save_changes();
  };

  function engine() {
    const options = { backend: model.get("requested_backend"), workers: model.get("workers") };
    const key = JSON.stringify(options);
    if (!enginePromise || key !== engineKey) {
      const old = enginePromise;
      old?.then((e) => e.dispose?.()).catch(() => {});
      engineKey = key;
      enginePromise = createEngine(options);
      enginePromise.then(
        (e) => {
          const reason = e.backendReason ?? e.reason ?? "";
          write({ backend: e.backend, backend_reason: String(reason) });
        },
        () => {},
      );
    }
    return enginePromise;
  }

  function onRequest() {
    const req = model.get("_run_request") ?? {};
    const owner = model.get("_owner") ?? {};
    if (!req.id || req.id <= (owner.request ?? 0) || req.id <= claimed) return;
    claimed = req.id;
    console.debug(`pelican-widget: frontend ${frontend} claims request ${req.id}`);
    write({ _claim: { frontend, request: req.id } });
  }

  async function onOwner() {
    const owner = model.get("_owner") ?? {};
    const req = model.get("_run_request") ?? {};
    if (owner.frontend !== frontend || owner.request !== req.id) return;
    if (running?.request === req.id) return;
    if (running) {
      // Python only grants a new request once it saw the last run end, so an
      // older run still going here is stale: end it before starting.
      running.controller.abort();
      await running.done;
    }
    // one line per run, so a page (or a test) can tell which frontend ran it
    console.debug(`pelican-widget: frontend ${frontend} runs request ${req.id}`);
    run(req);
  }

  function onStop() {
    running?.controller.abort();
  }

  async function run(req) {
    const controller = new AbortController();
    let finish;
    running = { controller, request: req.id, done: new Promise((r) => (finish = r)) };
    const steps = req.steps;
    const history = [];
    let historyEvery = PROGRESS_EVERY;
    let lastFlush = 0;
    let lastHistory = 0;
    let flushing = false;
    const startScene = model.get("scene");
    try {
      if ((model.get("_stop_request") ?? 0) > (req.stop ?? 0)) {
        write({ status: "stopped" });
        return;
      }
      write({
        status: "running",
        error: "",
        step: 0,
        total_steps: steps,
        steps_per_second: 0,
        loss_history: [],
      });
      const eng = await engine();
      const size = model.get("target_size");
      const target = await decodeTarget(model.get("target_image"), size);
      await eng.setTarget(target);
      await eng.setScene(startScene);
      const resolution = Math.max(target.width, target.height);
      const onProgress = (p) => {
        const now = performance.now();
        const loss = breakdown(p.breakdown ?? p.loss);
        if (p.step % historyEvery === 0 || p.step === steps) {
          history.push({ step: p.step, ...loss });
          if (history.length > HISTORY_MAX_ROWS) {
            // keep every other row so the synced list stays small on long runs
            const kept = history.filter((_, i) => i % 2 === 0);
            history.length = 0;
            history.push(...kept);
            historyEvery *= 2;
          }
        }
        model.set("step", p.step);
        model.set("loss", loss);
        const rate = Number(p.stepsPerSecond);
        model.set("steps_per_second", Number.isFinite(rate) && rate > 0 ? rate : 0);
        if (now - lastHistory >= HISTORY_INTERVAL_MS) {
          lastHistory = now;
          model.set("loss_history", history.slice());
        }
        if (now - lastFlush >= FRAME_INTERVAL_MS && !flushing) {
          lastFlush = now;
          flushing = true;
          Promise.resolve(p.getScene?.())
            .then(async (scene) => {
              if (scene) model.set("scene", scene);
              const frame = await p.getFrame?.();
              if (frame) model.set("frame", await encodeGreyPng(frame, target.width, target.height));
            })
            .catch(() => {})
            .finally(() => {
              flushing = false;
              if (running?.request === req.id) model.save_changes();
            });
        }
      };
      const common = {
        weights: model.get("weights"),
        progressEvery: PROGRESS_EVERY,
        onProgress,
        signal: controller.signal,
      };
      // a request with a `refine` dict runs the shape search instead
      const result = req.refine
        ? await runRefine(eng, req.refine, common, model)
        : await eng.optimize({
            ...common,
            steps,
            lr: model.get("lr"),
            tauStart: model.get("tau_start") / resolution,
            tauEnd: model.get("tau_end") / resolution,
          });
      const scene = result?.scene ?? (await eng.getScene?.()) ?? model.get("scene");
      const evalTau = 0.5 / resolution;
      const finalLoss = breakdown(result?.loss ?? (await eng.loss(scene, { tau: evalTau })));
      const image = await eng.render(scene, { tau: evalTau });
      const last = history[history.length - 1];
      const step = result?.steps ?? result?.step ?? model.get("step");
      if (!last || last.step !== step) history.push({ step, ...finalLoss });
      write({
        scene,
        step,
        loss: finalLoss,
        loss_history: history.slice(),
        frame: await encodeGreyPng(image, target.width, target.height),
        status: result?.aborted || controller.signal.aborted ? "stopped" : "done",
      });
    } catch (err) {
      // The scene trait keeps the last good scene; the error goes to the widget.
      console.error("pelican-widget:", err);
      if (history.length) model.set("loss_history", history.slice());
      write({ status: "error", error: message(err) });
    } finally {
      running = null;
      finish();
    }
  }

  model.on("change:_run_request", onRequest);
  model.on("change:_owner", onOwner);
  model.on("change:_stop_request", onStop);

  if (model.get("status") === "waiting for browser") {
    // The first frontend starts the engine at once, so the badge shows it.
    engine().then(
      () => model.get("status") === "waiting for browser" && write({ status: "ready" }),
      (err) => write({ status: "error", error: `engine start failed: ${message(err)}` }),
    );
  }
  onRequest();

  return () => {
    model.off("change:_run_request", onRequest);
    model.off("change:_owner", onOwner);
    model.off("change:_stop_request", onStop);
    running?.controller.abort();
    enginePromise?.then((e) => e.dispose?.()).catch(() => {});
  };
}
