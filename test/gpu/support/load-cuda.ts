/**
 * Child process of test/gpu: loads the tiny fixture on the cuda execution provider through our
 * loading code (models/loading) and prints one JSON line, {"kind": "loaded"} or the FlorenceError's
 * kind and message. Run under ort-resolve-hook.mjs so "onnxruntime-node" is the test's copy.
 */
import { fileURLToPath } from "node:url";
import { isFlorenceError } from "../../../models/errors.js";
import { loadSessions } from "../../../models/loading/index.js";

const TINY_DIR = fileURLToPath(new URL("../../fixtures/tiny", import.meta.url));

try {
  const sessions = await loadSessions(TINY_DIR, { executionProvider: "cuda", logSeverityLevel: 4 });
  await sessions.release();
  console.log(JSON.stringify({ kind: "loaded" }));
} catch (e) {
  console.log(
    JSON.stringify(isFlorenceError(e) ? { kind: e.kind, message: e.message } : { kind: "other", message: String(e) }),
  );
}
