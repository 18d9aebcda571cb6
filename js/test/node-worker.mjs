// Runs the bundled Worker source on node:worker_threads, behind the small
// Worker surface pool.js uses (postMessage, onmessage, onerror, terminate):
// Node 20 has no Web Worker global. For tests and benchmarks only.

import { Worker } from "node:worker_threads";

const PRELUDE = `import { parentPort } from "node:worker_threads";
globalThis.self = globalThis;
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
parentPort.on("message", (data) => globalThis.onmessage?.({ data }));
`;

/** @param {string} source the bundled Worker module */
export function spawnNodeWorker(source) {
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(PRELUDE + source)}`));
  const adapter = {
    onmessage: null,
    onerror: null,
    postMessage: (message, transfer) => worker.postMessage(message, transfer),
    terminate: () => worker.terminate(),
  };
  worker.on("message", (data) => adapter.onmessage?.({ data }));
  worker.on("error", (error) => adapter.onerror?.({ message: error.message }));
  return adapter;
}
