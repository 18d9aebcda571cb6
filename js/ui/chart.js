// The live loss chart: total loss against step, on a log scale.

import { fitBackingStore } from "./draw.js";

/** @param {Element} el @param {string} name @param {string} fallback */
function cssVar(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

/** @param {number} v */
function fmt(v) {
  return v >= 0.01 ? v.toFixed(4) : v.toExponential(2);
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{step:number, total:number}[]} rows
 * @param {number} totalSteps the x range
 * @returns {number} the points drawn (0: the view shows its placeholder)
 */
export function drawChart(canvas, rows, totalSteps) {
  const { w, h, dpr } = fitBackingStore(canvas);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  // the context keeps its text alignment between draws unless the canvas was resized
  ctx.textAlign = "left";
  ctx.textBaseline = "alphabetic";
  ctx.clearRect(0, 0, w, h);
  // the widget's colours (style.css), which follow the host's theme
  const fg = cssVar(canvas, "--pw-fg2", "#616161");
  const grid = cssVar(canvas, "--pw-border", "#e0e0e0");
  const line = cssVar(canvas, "--pw-accent", "#1976d2");
  const font = cssVar(canvas, "--pw-font", "sans-serif");
  ctx.font = `${10 * dpr}px ${font}`;
  const pts = rows.filter((r) => Number.isFinite(r.total) && r.total > 0);
  const pad = { l: 48 * dpr, r: 8 * dpr, t: 8 * dpr, b: 16 * dpr };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  ctx.strokeStyle = grid;
  ctx.lineWidth = dpr;
  ctx.strokeRect(pad.l, pad.t, pw, ph);
  if (pts.length === 0) return 0;
  let lo = Math.log10(Math.min(...pts.map((p) => p.total)));
  let hi = Math.log10(Math.max(...pts.map((p) => p.total)));
  if (hi - lo < 0.1) {
    lo -= 0.05;
    hi += 0.05;
  }
  const xmax = Math.max(totalSteps, pts[pts.length - 1].step, 1);
  const x = (s) => pad.l + (s / xmax) * pw;
  const y = (v) => pad.t + (1 - (Math.log10(v) - lo) / (hi - lo)) * ph;
  ctx.fillStyle = fg;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(10 ** d));
    ctx.lineTo(pad.l + pw, y(10 ** d));
    ctx.stroke();
    ctx.fillText(`1e${d}`, pad.l - 4 * dpr, y(10 ** d));
  }
  ctx.fillText(fmt(10 ** hi), pad.l - 4 * dpr, pad.t + 5 * dpr);
  ctx.fillText(fmt(10 ** lo), pad.l - 4 * dpr, pad.t + ph - 5 * dpr);
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText("0", pad.l, pad.t + ph + 3 * dpr);
  ctx.textAlign = "right";
  ctx.fillText(`${xmax} steps`, pad.l + pw, pad.t + ph + 3 * dpr);
  ctx.strokeStyle = line;
  ctx.lineWidth = 1.5 * dpr;
  ctx.beginPath();
  pts.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.step), y(p.total)) : ctx.lineTo(x(p.step), y(p.total))));
  ctx.stroke();
  return pts.length;
}
