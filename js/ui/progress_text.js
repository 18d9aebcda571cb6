// The progress line: "step N / T · R steps/s". A search's total is its plan if
// every round is kept (rejected rounds run past it), so while a search runs
// the total is marked as an estimate and grows with the step; a finished run
// shows the steps it made.

/**
 * @param {{step: number, total: number, stepsPerSecond: number, status: string, search: boolean}} p
 * @returns {{text: string, total: number}} the line and the bar's maximum
 */
export function progressText({ step, total, stepsPerSecond, status, search }) {
  const shown = Math.max(total, step);
  const rate = `${stepsPerSecond.toFixed(0)} steps/s`;
  if (search && status === "running") return { text: `step ${step} / ~${shown} · ${rate}`, total: shown };
  if (search && status === "done") return { text: `step ${step} / ${step} · ${rate}`, total: Math.max(step, 1) };
  return { text: `step ${step} / ${shown} · ${rate}`, total: shown };
}
