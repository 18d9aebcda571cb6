// Module Worker running the kernel on one band of rows (see pool.js for the
// protocol: {id, op, args} in, {id, ok, result | error} out).

import { KernelBand } from "./kernel.js";

const bandReady = KernelBand.create();

const ops = {
  ping() {
    return { result: null };
  },
  setTarget(band, { rows, width, height, y0, y1, types, channels = 1 }) {
    band.setTypes(types);
    band.setTarget(rows, width, height, y0, y1, channels);
    return { result: null };
  },
  setTypes(band, { types }) {
    band.setTypes(types);
    return { result: null };
  },
  setBackground(band, { value }) {
    band.setBackground(value);
    return { result: null };
  },
  evaluate(band, { raw, tau, weights, wantGrad }) {
    const start = performance.now();
    const result = band.evaluate(raw, tau, weights, wantGrad);
    // the pool balances its row bands on this
    result.ms = performance.now() - start;
    const transfer = [result.sums.buffer];
    if (result.grad) transfer.push(result.grad.buffer);
    return { result, transfer };
  },
  render(band, { raw, tau }) {
    const image = band.render(raw, tau);
    return { result: image, transfer: [image.buffer] };
  },
};

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  try {
    const band = await bandReady;
    const handler = ops[op];
    if (!handler) throw new Error(`unknown operation ${op}`);
    const { result, transfer = [] } = handler(band, args);
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (error) {
    self.postMessage({ id, ok: false, error: error?.message ?? String(error) });
  }
};
