// Placeholder until the Wasm worker lands (issue 3).
self.onmessage = () => {};
