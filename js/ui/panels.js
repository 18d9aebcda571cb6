// Sizes the target and drawing canvases to a sensible box whatever the
// target's aspect: side by side up to a height limit, stacked (each the full
// width) for wide targets. Plain `width: 100%` made a 100x1000 target 3373 px
// tall and left a 1000x100 one 31 px high.

export const PANEL_MAX_HEIGHT = 320; // CSS px: a tall target stays within one screen
const STACK_RATIO = 2; // wider than 2:1: one panel per row, each the full width

/**
 * @param {HTMLElement} panels the container (its width is the budget)
 * @param {HTMLCanvasElement[]} canvases the target and drawing canvases
 * @param {[number, number] | undefined} size the target's [width, height]
 */
export function fitPanels(panels, canvases, size) {
  const [w, h] = size ?? [1, 1];
  const ratio = (w || 1) / (h || 1);
  const stacked = ratio > STACK_RATIO;
  panels.dataset.layout = stacked ? "stacked" : "side";
  const gap = parseFloat(getComputedStyle(panels).columnGap) || 0;
  const columns = stacked ? 1 : canvases.length;
  const budget = Math.max(1, (panels.clientWidth - gap * (columns - 1)) / columns);
  const width = Math.max(1, Math.min(budget, PANEL_MAX_HEIGHT * ratio));
  for (const canvas of canvases) {
    canvas.style.width = `${Math.floor(width)}px`;
    canvas.style.height = `${Math.floor(width / ratio)}px`;
  }
}
