// The engine host: one per widget model in each frontend (anywidget's
// `initialize`). It answers Python's requests (traits `_run_request`,
// `_stop_request`) and writes the state traits. Views never touch the engine.
//
// Ownership (docs/widget.md): several frontends (pages) can hold the same
// model; exactly one runs a request. Starting needs no kernel round trip, so
// a run starts while the kernel is busy (a cell blocked in `wait()`, or every
// cell of a JupyterLite "Run All"):
// - a request names its `owner` (Python names the frontend it heard from
//   last; a Run button names its own page); the named frontend starts at once;
// - a request with no owner ("": Python knows no frontend yet) is started at
//   once by every frontend that sees it, each writing `_claim`; the kernel
//   grants the first claim through `_owner` and the others stop silently;
// - the owner writes `_heartbeat` every second while it runs. A frontend that
//   sees a request whose owner never shows a heartbeat takes it over by a
//   claim; one whose owner stops beating mid-run reports it (the kernel then
//   ends the run as "stopped").
// Every wait in the run path has a deadline (DEADLINES_MS): when it passes
// the run ends with status "error" and a message naming what did not answer.

import { createEngine } from "../engine/index.js";
import { encodePng } from "./png.js";
import { runRefine } from "./refine_runner.js";
import { createSnapshots } from "./snapshots.js";
import { decodeTarget, forgetTarget } from "./target.js";

const FRAME_INTERVAL_MS = 100; // frames and scenes to Python: at most ~10/s
const HISTORY_INTERVAL_MS = 1000; // loss history to Python: batched, ~1/s
const HISTORY_MAX_ROWS = 500; // the synced history is thinned beyond this
const PROGRESS_EVERY = 10;
const HEARTBEAT_MS = 1000;

// Deadlines of the run path. Generous, because a busy 2-core machine compiles
// the Wasm kernel or decodes a large target slowly; tests shorten them through
// `globalThis.__pelicanDeadlinesMs` (set before the widget loads).
const DEADLINES_MS = {
  engine: 60_000, // createEngine: Worker start and kernel compile, or WebGPU adapter and device
  target: 30_000, // decoding the target image, handing target and scene to the engine
  stall: 10_000, // "running" with no optimiser step (or end-of-run work) for this long
  takeover: 10_000, // a request whose named owner never sent a heartbeat
  gone: 15_000, // an owner whose heartbeat stopped mid-run (longer than `stall`: a live owner reports its own stall first)
};

/** @param {keyof typeof DEADLINES_MS} name */
function deadline(name) {
  const v = globalThis.__pelicanDeadlinesMs?.[name];
  return Number.isFinite(v) && v > 0 ? v : DEADLINES_MS[name];
}

/**
 * Resolve as `promise` does, or reject once `ms` pass with a message naming `what`.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
export function withDeadline(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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

// One id per frontend (a page's widget manager), shared by the runner and the
// views of that page, so a Run button can name its own page as the owner.
const FRONTEND_IDS = new WeakMap();

/**
 * @param {any} model
 * @returns {string}
 */
export function frontendId(model) {
  const key = model.widget_manager ?? globalThis;
  let id = FRONTEND_IDS.get(key);
  if (!id) {
    id = randomId();
    FRONTEND_IDS.set(key, id);
  }
  return id;
}

/**
 * @param {any} model the anywidget model
 * @returns {() => void} cleanup
 */
export function startRunner(model) {
  const frontend = frontendId(model);
  /** @type {Promise<any> | null} */
  let enginePromise = null;
  let engineKey = "";
  /**
   * @type {{controller: AbortController, request: number, done: Promise<void>,
   *   silent: boolean, phase: string, lastActivity: number} | null}
   */
  let running = null;
  let started = 0; // the last request this frontend started (or gave up on)
  let claimed = 0;
  let beat = 0;
  let disposed = false;
  // The last heartbeat of another frontend: {frontend, request, at (local ms)}.
  // It starts from the synced value, so a page reloaded mid-run knows that
  // the old page had started the run (before this page announces itself).
  const initialBeat = model.get("_heartbeat") ?? {};
  let seenBeat = { frontend: initialBeat.frontend ?? "", request: initialBeat.request ?? 0, at: performance.now() };
  // when this frontend first saw the current request (for the takeover deadline)
  let seenRequest = { id: 0, at: performance.now() };
  // this frontend's last takeover claim and owner-gone report: {request, at}
  let tookOver = { request: 0, at: 0 };
  let reported = { request: 0, at: 0 };
  let note = 0; // makes every claim a new value (the kernel acts on changes)

  const write = (values) => {
    if (disposed) return;
    for (const [k, v] of Object.entries(values)) model.set(k, v);
    model.save_changes();
  };

  // The same values, also as a custom message. ipywidgets lets one state
  // update per model be in flight until the kernel answers it with "idle";
  // one that the kernel's loop read just before a cell blocked in wait() is
  // answered only when that cell ends, and until then the page holds every
  // later update of this widget: wait() saw no claim, no progress, no end (the
  // hangs of issue 15). Custom messages are not held back; the kernel applies
  // them like state updates (widget.py, _on_direct_state).
  const direct = (values) => {
    if (disposed) return;
    const state = {};
    const paths = [];
    const buffers = [];
    for (const [k, v] of Object.entries(values)) {
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
        paths.push(k);
        buffers.push(v);
      } else state[k] = v;
    }
    try {
      model.send({ pelican: "state", state, buffers: paths }, undefined, buffers);
    } catch (err) {
      console.debug("pelican-widget: direct state not sent", err);
    }
  };
  const writeBoth = (values) => {
    write(values);
    direct(values);
  };

  function disposeEngine() {
    const old = enginePromise;
    enginePromise = null;
    engineKey = "";
    old?.then((e) => e.dispose?.()).catch(() => {});
  }

  function engine() {
    const options = {
      backend: model.get("requested_backend"),
      workers: model.get("workers"),
      // "auto" gives up on a silent WebGPU adapter well before the engine deadline
      adapterWaitMs: Math.min(10_000, deadline("engine") / 3),
    };
    const key = JSON.stringify(options);
    if (!enginePromise || key !== engineKey) {
      disposeEngine();
      engineKey = key;
      const promise = createEngine(options);
      enginePromise = promise;
      promise.then(
        (e) => {
          if (enginePromise !== promise) return; // replaced meanwhile (deadline, new backend)
          const reason = e.backendReason ?? e.reason ?? "";
          writeBoth({ backend: e.backend, backend_reason: String(reason) });
        },
        () => {
          if (enginePromise === promise) disposeEngine();
        },
      );
    }
    const backend = model.get("requested_backend");
    const what =
      backend === "webgpu"
        ? "the WebGPU engine (adapter and device request)"
        : backend === "wasm"
          ? "the Wasm engine (Web Worker start and kernel compile)"
          : "the engine (WebGPU adapter request, or Web Worker start and Wasm compile)";
    return withDeadline(enginePromise, deadline("engine"), what).catch((err) => {
      // a start that never answers is abandoned: the next run starts afresh
      disposeEngine();
      throw err;
    });
  }

  let lastBeatAt = 0;
  function heartbeat(request) {
    beat += 1;
    lastBeatAt = performance.now();
    const hb = { frontend, request, beat };
    // locally (goes with the next state update) and at once, unthrottled
    if (!disposed) model.set("_heartbeat", hb);
    direct({ _heartbeat: hb });
  }

  function onRequest() {
    const req = model.get("_run_request") ?? {};
    if (!req.id) return;
    if (req.id !== seenRequest.id) seenRequest = { id: req.id, at: performance.now() };
    if (req.id < started) {
      // The kernel refused a request this page made (a Run button while a run
      // was going) and sent its own back: drop the run started for it.
      if (running && running.request > req.id) {
        running.silent = true;
        running.controller.abort();
      }
      started = req.id;
      claimed = Math.min(claimed, req.id);
      return;
    }
    if (req.id <= started) return;
    if ((model.get("_stop_request") ?? 0) > (req.stop ?? 0)) return;
    const owner = req.owner ?? "";
    const granted = model.get("_owner") ?? {};
    if (owner === frontend || (owner === "" && !(granted.request === req.id && granted.frontend !== frontend))) {
      if (owner === "") claim(req.id);
      start(req);
    }
    // else another frontend is named: the watchdog takes over if it never starts
  }

  function claim(request, extra = {}) {
    if (request <= claimed && !extra.takeover) return;
    claimed = request;
    console.debug(`pelican-widget: frontend ${frontend} claims request ${request}`);
    writeBoth({ _claim: { frontend, request, ...extra } });
  }

  function onOwner() {
    const owner = model.get("_owner") ?? {};
    const req = model.get("_run_request") ?? {};
    if (running && owner.request === running.request && owner.frontend && owner.frontend !== frontend) {
      // the kernel granted this request to another frontend: stop without a trace
      console.debug(`pelican-widget: frontend ${frontend} yields request ${running.request} to ${owner.frontend}`);
      running.silent = true;
      running.controller.abort();
      return;
    }
    // a takeover claim granted to this frontend
    if (owner.frontend === frontend && owner.request === req.id && req.id > started && model.get("status") === "running") {
      start(req);
    }
  }

  function onHeartbeat() {
    const hb = model.get("_heartbeat") ?? {};
    if (hb.frontend && hb.frontend !== frontend) {
      seenBeat = { frontend: hb.frontend, request: hb.request ?? 0, at: performance.now() };
    }
  }

  function onStop() {
    running?.controller.abort();
  }

  // Once a second: the owner's heartbeat and stall check; elsewhere the check
  // that the owner of a running request is alive.
  function tick() {
    const now = performance.now();
    if (running) {
      if (now - lastBeatAt >= HEARTBEAT_MS * 0.9) heartbeat(running.request);
      if (running.phase !== "start" && now - running.lastActivity > deadline("stall")) {
        running.stall?.(
          new Error(
            `the run made no progress for ${Math.round(deadline("stall") / 1000)} s ` +
              `(no optimiser step from the ${model.get("backend") || "engine"} engine)`,
          ),
        );
      }
      return;
    }
    const req = model.get("_run_request") ?? {};
    if (model.get("status") !== "running" || !req.id || req.id <= started) return;
    const ownerStarted = seenBeat.request === req.id && seenBeat.frontend !== frontend;
    if (ownerStarted) {
      // The owner ran this request: it must keep beating. The kernel judges
      // the report on its own clock; repeat it while the run stays "running".
      const last = Math.max(seenBeat.at, seenRequest.at);
      const again = reported.request !== req.id || now - reported.at > deadline("gone");
      if (now - last > deadline("gone") && again) {
        reported = { request: req.id, at: now };
        console.debug(`pelican-widget: frontend ${frontend} reports owner ${seenBeat.frontend} of request ${req.id} gone`);
        writeBoth({ _claim: { frontend, request: req.id, gone: seenBeat.frontend, note: ++note } });
      }
    } else {
      // Nobody started it (its owner was closed): ask the kernel for it, again
      // while it refuses (it grants only when it heard nothing either).
      const since = Math.max(seenRequest.at, tookOver.request === req.id ? tookOver.at : 0);
      if (now - since > deadline("takeover")) {
        tookOver = { request: req.id, at: now };
        claim(req.id, { takeover: true, note: ++note });
      }
    }
  }
  const ticker = setInterval(tick, HEARTBEAT_MS);

  async function start(req) {
    started = Math.max(started, req.id);
    if (running) {
      // Python sends a new request only once it saw the last run end, so an
      // older run still going here is stale: end it before starting.
      running.silent = true;
      running.controller.abort();
      await running.done;
    }
    // one line per run, so a page (or a test) can tell which frontend ran it
    console.debug(`pelican-widget: frontend ${frontend} runs request ${req.id}`);
    run(req);
  }

  async function run(req) {
    const controller = new AbortController();
    let finish;
    let stall;
    const stalled = new Promise((_, reject) => (stall = reject));
    stalled.catch(() => {});
    const me = {
      controller,
      request: req.id,
      done: new Promise((r) => (finish = r)),
      silent: false,
      phase: "start",
      lastActivity: performance.now(),
      stall,
    };
    running = me;
    // Writes of a run that yielded to another frontend would fight the
    // owner's. Each carries this run's request id (in `_heartbeat`), so the
    // kernel drops what a stopped run sends after the next was requested.
    const stamp = () => {
      beat += 1;
      lastBeatAt = performance.now();
      return { frontend, request: req.id, beat };
    };
    const put = (values) => !me.silent && writeBoth({ ...values, _heartbeat: stamp() });
    const set = (k, v) => !me.silent && !disposed && model.set(k, v);
    const active = (phase) => {
      me.phase = phase ?? me.phase;
      me.lastActivity = performance.now();
    };
    // every await of the run races the stall watchdog
    const guard = (promise) => Promise.race([promise, stalled]);
    const steps = req.steps;
    const history = [];
    // the drawing over time, for Python's save_gif / save_animation
    const snapshots = createSnapshots();
    let historyEvery = PROGRESS_EVERY;
    let lastFlush = 0;
    let lastHistory = 0;
    let flushing = false;
    const startScene = model.get("scene");
    try {
      heartbeat(req.id);
      put({
        status: "running",
        error: "",
        step: 0,
        total_steps: steps,
        steps_per_second: 0,
        loss_history: [],
      });
      const eng = await engine();
      const size = model.get("target_size");
      const bytes = model.get("target_image");
      const channels = model.get("colour") === "rgb" ? 3 : 1;
      const target = await withDeadline(decodeTarget(bytes, size, channels), deadline("target"), "decoding the target image").catch((err) => {
        forgetTarget(bytes);
        throw err;
      });
      await withDeadline(Promise.resolve(eng.setTarget(target)), deadline("target"), `the ${eng.backend} engine (setTarget)`);
      await withDeadline(Promise.resolve(eng.setScene(startScene)), deadline("target"), `the ${eng.backend} engine (setScene)`);
      if (controller.signal.aborted) throw new DOMException("stopped", "AbortError");
      snapshots.offer(0, startScene, null, true);
      active("optimize");
      const resolution = Math.max(target.width, target.height);
      const onProgress = (p) => {
        active();
        if (me.silent) return;
        const now = performance.now();
        // Progress comes from the engine's Workers, which a hidden tab does not
        // throttle as it does timers: beat here too, so a background owner lives.
        if (now - lastBeatAt >= HEARTBEAT_MS) heartbeat(req.id);
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
        set("step", p.step);
        set("loss", loss);
        const rate = Number(p.stepsPerSecond);
        set("steps_per_second", Number.isFinite(rate) && rate > 0 ? rate : 0);
        if (now - lastHistory >= HISTORY_INTERVAL_MS) {
          lastHistory = now;
          set("loss_history", history.slice());
        }
        if (now - lastFlush >= FRAME_INTERVAL_MS && !flushing) {
          lastFlush = now;
          flushing = true;
          Promise.resolve(p.getScene?.())
            .then(async (scene) => {
              if (scene) {
                set("scene", scene);
                snapshots.offer(p.step, scene, loss.total);
              }
              const frame = await p.getFrame?.();
              if (frame) set("frame", await encodePng(frame, target.width, target.height, channels));
            })
            .catch(() => {})
            .finally(() => {
              flushing = false;
              if (running === me && !me.silent && !disposed) {
                const hb = stamp();
                model.set("_heartbeat", hb);
                model.save_changes();
                // Progress also unthrottled (see `direct`): a cell blocked in
                // wait(timeout=…) reads w.step while the page may hold the
                // state update. Never after the result, which it would undo.
                if (me.phase !== "finish") {
                  direct({
                    step: model.get("step"),
                    loss: model.get("loss"),
                    steps_per_second: model.get("steps_per_second"),
                    _heartbeat: hb,
                  });
                }
              }
            });
        }
      };
      const common = {
        weights: model.get("weights"),
        progressEvery: PROGRESS_EVERY,
        onProgress,
        signal: controller.signal,
        snapshot: (scene) => snapshots.offer(model.get("step") ?? 0, scene, model.get("loss")?.total, true),
      };
      // a request with a `refine` dict runs the shape search instead
      const result = await guard(
        req.refine
          ? runRefine(eng, req.refine, { ...common, onActivity: () => active() }, model)
          : eng.optimize({
              ...common,
              steps,
              lr: model.get("lr"),
              tauStart: model.get("tau_start") / resolution,
              tauEnd: model.get("tau_end") / resolution,
            }),
      );
      active("finish");
      if (me.silent) return;
      const scene = result?.scene ?? (await guard(Promise.resolve(eng.getScene?.()))) ?? model.get("scene");
      const evalTau = 0.5 / resolution;
      const finalLoss = breakdown(result?.loss ?? (await guard(Promise.resolve(eng.loss(scene, { tau: evalTau })))));
      const image = await guard(Promise.resolve(eng.render(scene, { tau: evalTau })));
      const last = history[history.length - 1];
      const step = result?.steps ?? result?.step ?? model.get("step");
      if (!last || last.step !== step) history.push({ step, ...finalLoss });
      snapshots.offer(step, scene, finalLoss.total, true);
      put({
        // the search's round log goes with the result (see `direct`); its
        // total was a plan (every round kept): the result has the steps it made
        ...(req.refine ? { rounds: model.get("rounds") ?? [], total_steps: step } : {}),
        scene,
        step,
        loss: finalLoss,
        loss_history: history.slice(),
        snapshots: snapshots.list(),
        frame: await guard(encodePng(image, target.width, target.height, channels)),
        status: result?.aborted || controller.signal.aborted ? "stopped" : "done",
      });
    } catch (err) {
      if (me.silent) return;
      if (controller.signal.aborted && err?.name === "AbortError") {
        put({ status: "stopped", snapshots: snapshots.list() });
        return;
      }
      // The scene trait keeps the last good scene; the error goes to the widget.
      console.error("pelican-widget:", err);
      // an engine that missed a deadline is in an unknown state: start afresh
      if (me.phase !== "start" || /did not answer|no progress/.test(message(err))) {
        controller.abort();
        disposeEngine();
      }
      if (history.length) set("loss_history", history.slice());
      put({ status: "error", error: message(err) });
    } finally {
      if (running === me) running = null;
      finish();
    }
  }

  model.on("change:_run_request", onRequest);
  model.on("change:_owner", onOwner);
  model.on("change:_stop_request", onStop);
  model.on("change:_heartbeat", onHeartbeat);
  // The kernel went away (restart, shutdown): its model is dead, so a run
  // here would optimise for nobody. Stop it and free the engine.
  const onKernelGone = () => {
    if (!running) return;
    console.debug(`pelican-widget: frontend ${frontend} stops request ${running.request}: the kernel is gone`);
    running.silent = true;
    running.controller.abort();
    running.stall?.(new Error("the kernel is gone"));
    disposeEngine();
  };
  model.on("comm_live_update", onKernelGone);
  model.on("comm:close", onKernelGone);

  // Announce this frontend, so Python can name it as the owner of its requests.
  heartbeat(0);
  if (model.get("status") === "waiting for browser") {
    // The first frontend starts the engine at once, so the badge shows it.
    engine().then(
      () => model.get("status") === "waiting for browser" && write({ status: "ready" }),
      (err) => model.get("status") === "waiting for browser" && write({ status: "error", error: `engine start failed: ${message(err)}` }),
    );
  }
  onRequest();

  return () => {
    model.off("change:_run_request", onRequest);
    model.off("change:_owner", onOwner);
    model.off("change:_stop_request", onStop);
    model.off("change:_heartbeat", onHeartbeat);
    model.off("comm_live_update", onKernelGone);
    model.off("comm:close", onKernelGone);
    clearInterval(ticker);
    if (running) {
      running.silent = true;
      running.controller.abort();
      running.stall?.(new Error("the widget was closed"));
    }
    disposed = true;
    disposeEngine();
  };
}
