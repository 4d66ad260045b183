/** Starts one of this folder's thread entries, from dist/ (compiled .js) or from source through tsx in tests. */
import { Worker } from "node:worker_threads";

/** The thread entries of this folder. */
export type ThreadEntry = "worker-main" | "preprocess-main";

export function spawnThread(entry: ThreadEntry, workerData: object): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    const source = new URL(`./${entry}.ts`, here).href;
    return new Worker(new URL("./worker-bootstrap.mjs", here), { workerData: { ...workerData, entry: source } });
  }
  return new Worker(new URL(`./${entry}.js`, here), { workerData });
}
