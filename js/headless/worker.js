// The Wasm pool's Workers under Node: node:worker_threads behind the small
// Worker surface pool.js uses (postMessage, onmessage, onerror, terminate).
// Node has no Web Worker global, and worker_threads cannot start a Blob URL,
// so the bundled Worker source runs from a data: URL behind a prelude that
// gives it the `self`/`postMessage`/`onmessage` of a module Worker.

import { Worker } from "node:worker_threads";

const PRELUDE = `import { parentPort } from "node:worker_threads";
globalThis.self = globalThis;
globalThis.postMessage = (message, transfer) => parentPort.postMessage(message, transfer);
parentPort.on("message", (data) => globalThis.onmessage?.({ data }));
`;

/**
 * @param {string} source the bundled Worker module
 * @returns {{onmessage: ((e: {data: any}) => void) | null, onerror: ((e: {message: string}) => void) | null,
 *   postMessage: (message: any, transfer?: any[]) => void, terminate: () => void}}
 */
export function spawnThreadWorker(source) {
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
