// Batches of the shape search (refine.js): how many shapes a round adds.

/** The most shapes an "auto" round adds. */
export const MAX_BATCH = 32;

/**
 * Shapes the next round adds: `batch` itself, or under "auto" a quarter of
 * the shapes drawn so far, between 1 and `cap`; never past the budget.
 * @param {number | "auto"} batch
 * @param {number} shapes shapes in the scene now
 * @param {number} maxShapes the budget
 * @param {number} cap the "auto" ceiling (refine.js halves it after a rejected round)
 */
export function batchSize(batch, shapes, maxShapes, cap = MAX_BATCH) {
  const wanted = batch === "auto" ? Math.max(1, Math.min(cap, Math.floor(shapes / 4))) : batch;
  return Math.max(1, Math.min(wanted, maxShapes - shapes));
}
