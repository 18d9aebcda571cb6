// The loss line under the chart. The total is a weighted sum of terms; the
// line shows each weighted term that adds to it, so the parts explain the
// total (a 2000-shape scene's canvas prior once hid behind "mse, edge, ssim").

const TERMS = ["mse", "edge", "ssim", "perimeter", "degeneracy", "canvas"];

/** @param {number} v */
export function fmtLoss(v) {
  if (!Number.isFinite(v)) return "-";
  if (v === 0) return "0";
  return Math.abs(v) >= 0.001 ? v.toFixed(5) : v.toExponential(3);
}

/**
 * The weighted terms that make up `loss.total`.
 * @param {Record<string, number>} loss the breakdown (unweighted terms and `total`)
 * @param {Record<string, number>} weights the loss weights of the run
 * @returns {{name: string, weight: number, value: number}[]} value = weight x term
 */
export function lossParts(loss, weights) {
  return TERMS.filter((k) => Number.isFinite(loss?.[k]) && (weights?.[k] ?? 0) !== 0).map((k) => ({
    name: k,
    weight: weights[k],
    value: weights[k] * loss[k],
  }));
}

/**
 * @param {Record<string, number>} loss
 * @param {Record<string, number>} weights
 * @returns {string} e.g. "loss 0.03450 = mse 0.02010 + edge 0.00900 + ssim 0.00540";
 *   each part is weight x term, terms that add exactly 0 are left out
 */
export function lossText(loss, weights) {
  if (!Number.isFinite(loss?.total)) return "loss -";
  const parts = lossParts(loss, weights).filter((p) => p.value !== 0);
  const terms = parts.map((p) => `${p.name} ${fmtLoss(p.value)}`);
  return `loss ${fmtLoss(loss.total)}` + (terms.length ? ` = ${terms.join(" + ")}` : "");
}

/**
 * The tooltip of the loss line: each term unweighted, with its weight.
 * @param {Record<string, number>} loss
 * @param {Record<string, number>} weights
 */
export function lossTitle(loss, weights) {
  const parts = lossParts(loss, weights);
  if (!parts.length) return "";
  return "weight × term:\n" + parts.map((p) => `${p.name}: ${p.weight} × ${fmtLoss(loss[p.name])}`).join("\n");
}
