// Placeholder until the engine lands (issue 3).
export async function createEngine() {
  throw new Error("engine not built yet");
}
