// One view of the widget: plain DOM and canvases. It reads the model and
// writes only request traits and hyperparameters (never engine state), so
// every view in every frontend shows the same run.

import { drawChart } from "./chart.js";
import { drawPixels, drawScene } from "./draw.js";
import { createGrowControl } from "./grow.js";
import { lossText, lossTitle } from "./loss_text.js";
import { fitPanels } from "./panels.js";
import { progressText as progressLine } from "./progress_text.js";
import { createRoundLog } from "./round_log.js";
import { frontendId } from "./runner.js";
import { sceneToSvg } from "./svg.js";
import { decodeTarget, toImageData } from "./target.js";

/**
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {(Node|string)[]} [children]
 */
function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") node.className = v;
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/**
 * @param {{model: any, el: HTMLElement}} ctx
 * @returns {() => void} cleanup
 */
export function renderView({ model, el }) {
  const badge = h("span", { class: "pelican-badge" });
  const status = h("span", { class: "pelican-status" });
  const targetCanvas = h("canvas", { class: "pelican-target" });
  const drawing = h("canvas", { class: "pelican-drawing" });
  const bar = h("progress", { max: 1, value: 0 });
  const progressText = h("span", { class: "pelican-progress-text" });
  const chart = h("canvas", { class: "pelican-chart" });
  // a DOM placeholder, not canvas text: it wraps and cannot be clipped
  const chartEmpty = h("div", { class: "pelican-chart-empty", textContent: "loss (log scale) appears here during a run" });
  const title = h("span", { class: "pelican-title" });
  const panels = h("div", { class: "pelican-panels" });
  const lossLine = h("div", { class: "pelican-loss" });
  const runBtn = h("button", { class: "pelican-run", textContent: "Run", title: "Optimise from the current drawing" });
  const pauseBtn = h("button", { class: "pelican-pause", textContent: "Pause", title: "Stop the run, keeping the best drawing" });
  const resetBtn = h("button", { class: "pelican-reset", textContent: "Reset", title: "Back to the start drawing" });
  const stepsIn = h("input", { type: "number", min: 1, step: 50, class: "pelican-steps" });
  const lrIn = h("input", { type: "number", min: 0.0001, max: 1, step: 0.005, class: "pelican-lr" });
  const svgBtn = h("button", { class: "pelican-svg", textContent: "Download SVG" });
  const errorBox = h("div", { class: "pelican-error", role: "alert" });
  const roundLog = createRoundLog(model);
  const grow = createGrowControl(model, frontendId(model));

  const root = h("div", { class: "pelican-widget" }, [
    h("div", { class: "pelican-head" }, [title, status, badge]),
    panels,
    h("div", { class: "pelican-progress" }, [bar, progressText]),
    h("div", { class: "pelican-chart-box" }, [chart, chartEmpty]),
    lossLine,
    roundLog.el,
    h("div", { class: "pelican-controls" }, [
      runBtn,
      grow.el,
      pauseBtn,
      resetBtn,
      h("label", {}, ["steps", stepsIn]),
      h("label", {}, ["lr", lrIn]),
      svgBtn,
    ]),
    errorBox,
  ]);
  panels.append(
    h("figure", {}, [targetCanvas, h("figcaption", { textContent: "target" })]),
    h("figure", {}, [drawing, h("figcaption", { textContent: "drawing" })]),
  );
  el.replaceChildren(root);

  // The chart shows the synced history plus a live tail from `loss`, so it
  // moves at the progress rate although the history syncs about once a second.
  let tail = [];
  const rows = () => {
    const hist = model.get("loss_history") ?? [];
    const last = hist.length ? hist[hist.length - 1].step : -1;
    return hist.concat(tail.filter((r) => r.step > last));
  };

  const setAspect = () => fitPanels(panels, [targetCanvas, drawing], model.get("target_size"));

  let targetToken = 0;
  const updateTarget = () => {
    setAspect();
    const token = ++targetToken;
    decodeTarget(model.get("target_image"), model.get("target_size"), model.get("colour") === "rgb" ? 3 : 1).then(
      (t) => {
        if (token === targetToken) drawPixels(targetCanvas, toImageData(t.data, t.width, t.height, t.channels));
      },
      (err) => {
        if (token === targetToken) errorBox.textContent = String(err?.message ?? err);
      },
    );
  };

  const updateScene = () => drawScene(drawing, model.get("scene"));
  const updateChart = () => {
    chartEmpty.hidden = drawChart(chart, rows(), model.get("total_steps") || model.get("steps")) > 0;
  };
  const updateTitle = () => {
    title.textContent = model.get("title") || "pelican-widget";
  };

  const updateStatus = () => {
    const st = model.get("status");
    status.textContent = st;
    root.dataset.status = st;
    const running = st === "running";
    // A drawing without shapes has nothing to optimise: the search grows one.
    const empty = (model.get("scene")?.shapes?.length ?? 0) === 0;
    runBtn.disabled = running || empty || st === "waiting for browser";
    runBtn.title = empty ? "The drawing has no shapes: grow one first (Grow, or w.refine())" : "Optimise from the current drawing";
    pauseBtn.disabled = !running;
    errorBox.textContent = model.get("error") || "";
  };

  const updateBackend = () => {
    const backend = model.get("backend") || "";
    const requested = model.get("requested_backend");
    badge.textContent = backend || `${requested}…`;
    badge.dataset.backend = backend;
    badge.title = model.get("backend_reason") || (backend ? backend : "the engine starts with the first run");
  };

  const updateProgress = () => {
    const step = model.get("step") || 0;
    const total = model.get("total_steps") || model.get("steps");
    const line = progressLine({
      step,
      total,
      stepsPerSecond: model.get("steps_per_second") || 0,
      status: model.get("status"),
      search: Boolean(model.get("_run_request")?.refine),
    });
    bar.max = Math.max(1, line.total);
    bar.value = Math.min(step, line.total);
    progressText.textContent = line.text;
  };

  const updateLoss = () => {
    const loss = model.get("loss") ?? {};
    const step = model.get("step") || 0;
    if (Number.isFinite(loss.total)) {
      if (step === 0 || (tail.length && step < tail[tail.length - 1].step)) tail = [];
      tail.push({ step, total: loss.total });
    }
    lossLine.textContent = lossText(loss, model.get("weights") ?? {});
    lossLine.title = lossTitle(loss, model.get("weights") ?? {});
    lossLine.dataset.loss = Number.isFinite(loss.total) ? String(loss.total) : "";
    updateChart();
  };

  const updateInputs = () => {
    if (document.activeElement !== stepsIn) stepsIn.value = String(model.get("steps"));
    if (document.activeElement !== lrIn) lrIn.value = String(model.get("lr"));
  };

  // Enter commits a value as leaving the field does.
  for (const input of [stepsIn, lrIn]) {
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") input.blur();
    });
  }
  // Inputs write only values that the Python validation accepts.
  stepsIn.addEventListener("change", () => {
    const v = Number(stepsIn.value);
    if (Number.isInteger(v) && v >= 1 && v <= 1_000_000) {
      model.set("steps", v);
      model.save_changes();
    } else updateInputs();
  });
  lrIn.addEventListener("change", () => {
    const v = Number(lrIn.value);
    if (Number.isFinite(v) && v > 0 && v <= 1) {
      model.set("lr", v);
      model.save_changes();
    } else updateInputs();
  });
  runBtn.addEventListener("click", () => {
    const req = model.get("_run_request") ?? {};
    // this page runs it at once (no kernel round trip: see runner.js)
    const owner = frontendId(model);
    model.set("_run_request", { id: (req.id ?? 0) + 1, steps: model.get("steps"), stop: model.get("_stop_request"), owner });
    model.save_changes();
  });
  pauseBtn.addEventListener("click", () => {
    model.set("_stop_request", (model.get("_stop_request") ?? 0) + 1);
    model.save_changes();
  });
  resetBtn.addEventListener("click", () => {
    model.set("_reset_request", (model.get("_reset_request") ?? 0) + 1);
    model.save_changes();
  });
  svgBtn.addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([sceneToSvg(model.get("scene"))], { type: "image/svg+xml" }));
    const a = h("a", { href: url, download: `${model.get("title") || "drawing"}.svg` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  const handlers = {
    "change:target_image change:target_size change:colour": updateTarget,
    "change:scene": () => {
      updateScene();
      updateStatus();
    },
    "change:status change:error": () => {
      updateStatus();
      updateProgress();
    },
    "change:title": updateTitle,
    "change:weights": updateLoss,
    "change:backend change:backend_reason change:requested_backend": updateBackend,
    "change:step change:total_steps change:steps_per_second": () => {
      if ((model.get("step") || 0) === 0) tail = [];
      updateProgress();
    },
    "change:loss": updateLoss,
    "change:loss_history": () => {
      // an empty history starts a new run (or a reset): drop the live tail
      if ((model.get("loss_history") ?? []).length === 0) tail = [];
      updateChart();
    },
    "change:steps change:lr": () => {
      updateInputs();
      updateProgress();
    },
  };
  for (const [events, fn] of Object.entries(handlers)) {
    for (const ev of events.split(" ")) model.on(ev, fn);
  }

  // Redraw the vector views when their size or the pixel ratio changes.
  const redraw = () => {
    updateScene();
    updateChart();
  };
  const resize = new ResizeObserver(redraw);
  resize.observe(drawing);
  resize.observe(chart);
  // the panels' width decides the canvases' size (their height never feeds back)
  const panelResize = new ResizeObserver(setAspect);
  panelResize.observe(panels);
  let dprQuery = null;
  const watchDpr = () => {
    dprQuery?.removeEventListener("change", onDpr);
    dprQuery = matchMedia(`(resolution: ${globalThis.devicePixelRatio || 1}dppx)`);
    dprQuery.addEventListener("change", onDpr);
  };
  const onDpr = () => {
    watchDpr();
    redraw();
  };
  watchDpr();

  updateTitle();
  updateTarget();
  updateStatus();
  updateBackend();
  updateProgress();
  updateInputs();
  updateLoss();
  updateScene();

  return () => {
    for (const [events, fn] of Object.entries(handlers)) {
      for (const ev of events.split(" ")) model.off(ev, fn);
    }
    resize.disconnect();
    panelResize.disconnect();
    roundLog.dispose();
    grow.dispose();
    dprQuery?.removeEventListener("change", onDpr);
  };
}
