// Snapshots of the drawing during a run or a search, for the animated GIF and
// SVG that Python writes (PelicanWidget.save_gif / save_animation). Throttled
// (at most one per `everyMs`) and bounded: at `max` snapshots every other one
// is dropped and the interval doubles, so a run of any length keeps between
// max/2 and max of them, evenly spread. Memory: `max` scenes, about
// 100 bytes of JSON per shape each (120 x 35 shapes: ~0.4 MB; the 1000-shape
// ceiling: ~12 MB).

export const MAX_SNAPSHOTS = 120;
const EVERY_MS = 200;

/**
 * @param {{max?: number, everyMs?: number, now?: () => number}} [options]
 */
export function createSnapshots({ max = MAX_SNAPSHOTS, everyMs = EVERY_MS, now = () => performance.now() } = {}) {
  /** @type {{step: number, loss: number | null, scene: object}[]} */
  let frames = [];
  let interval = everyMs;
  let last = -Infinity;

  const push = (step, scene, loss) => {
    const frame = { step, loss: Number.isFinite(loss) ? loss : null, scene: structuredClone(scene) };
    if (frames.length && frames[frames.length - 1].step === step) frames[frames.length - 1] = frame;
    else frames.push(frame);
    if (frames.length > max) {
      frames = frames.filter((_, i) => i % 2 === 0);
      interval *= 2;
    }
  };

  return {
    /** Keep the scene if the interval has passed (or `force`: a search round, the end). */
    offer(step, scene, loss, force = false) {
      if (!scene) return;
      const t = now();
      if (!force && t - last < interval) return;
      last = t;
      push(step, scene, loss);
    },
    /** @returns {{step: number, loss: number | null, scene: object}[]} */
    list: () => frames.slice(),
    clear() {
      frames = [];
      interval = everyMs;
      last = -Infinity;
    },
  };
}
